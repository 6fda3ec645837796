"""Pages for progress reports: the unit files them, staff accept or return them."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import queries, reporting
from . import rules as competition_rules
from .forms import ReportAttachmentFormSet, ReportForm, ReportReviewForm
from .models import ProgressReport, ReportAttachment
from .services import error_text
from .views import _download

Report = ProgressReport


@login_required
def report_list(request):
    """Units: their reports, open ones first. Staff: the submitted reports to review."""
    user = request.user
    role = queries.user_role(user)
    reports = queries.reports_for_user(user).select_related("project__unit", "project__zone")
    # Staff open on what waits for them; "all" lifts the filter.
    status = request.GET.get("status") or (
        Report.Status.SUBMITTED if role in ("organiser", "superuser") else "all"
    )
    if status in Report.Status.values:
        reports = reports.filter(status=status)
    reports = reports.order_by("due_date", "project__title", "pk")
    page = Paginator(reports, 50).get_page(request.GET.get("page"))
    today = timezone.localdate()
    return render(
        request,
        "competitions/report_list.html",
        {
            "page_obj": page,
            "reports": [(r, reporting.cell_state(r, today)) for r in page.object_list],
            "status": status,
            "statuses": Report.Status.choices,
            "role": role,
        },
    )


@login_required
def report_detail(request, pk):
    user = request.user
    report = get_object_or_404(
        queries.reports_for_user(user).select_related(
            "project__unit__organisation", "project__campaign", "reviewed_by"
        ),
        pk=pk,
    )
    project = report.project
    return render(
        request,
        "competitions/report_detail.html",
        {
            "report": report,
            "project": project,
            "state": reporting.cell_state(report, timezone.localdate()),
            "attachments": report.attachments.all(),
            "can_edit": report.is_editable and competition_rules.is_liaison_of(user, project),
            "can_review": report.status == Report.Status.SUBMITTED
            and competition_rules.may_review(user, project),
            "review_form": ReportReviewForm(),
        },
    )


@login_required
def report_edit(request, pk):
    """The unit fills in its report: save as a draft, or submit."""
    user = request.user
    reports = queries.reports_for_user(user).select_related("project__unit")
    if request.method == "POST":
        # Held to the end of the request (ATOMIC_REQUESTS): a second tab's stale form waits
        # for a submission in progress and is then refused, instead of saving the report
        # back to "due" over it.
        reports = reports.select_for_update(of=("self",))
    report = get_object_or_404(reports, pk=pk)
    if not competition_rules.is_liaison_of(user, report.project):
        raise PermissionDenied(_("This report cannot be edited now."))
    if not report.is_editable:
        if request.method == "POST":
            messages.error(
                request,
                _(
                    "This report has been submitted or reviewed in the meantime (it is "
                    "“%(status)s” now); this form was not saved."
                )
                % {"status": report.get_status_display()},
            )
            return redirect("report-detail", report.pk)
        raise PermissionDenied(_("This report cannot be edited now."))
    data = request.POST if request.method == "POST" else None
    files = request.FILES if request.method == "POST" else None
    form = ReportForm(data, instance=report)
    attachments = ReportAttachmentFormSet(data, files, instance=report, prefix="attachments")
    if data is not None and form.is_valid() and attachments.is_valid():
        with transaction.atomic():
            form.save()
            attachments.save()
        if "submit" in request.POST:
            try:
                reporting.submit_report(report, user)
            except (PermissionDenied, ValidationError) as error:
                messages.error(request, _("Saved, not submitted: ") + error_text(error))
                return redirect("report-edit", report.pk)
            messages.success(request, _("Report submitted."))
        else:
            messages.success(
                request,
                _("Report saved; submit it before %(due)s.")
                % {"due": f"{report.due_date:%Y-%m-%d}"},
            )
        return redirect("report-detail", report.pk)
    return render(
        request,
        "competitions/report_form.html",
        {
            "report": report,
            "form": form,
            "attachments": attachments,
            "max_size": filesizeformat(settings.UPLOAD_MAX_BYTES),
        },
    )


@login_required
@require_POST
def report_review(request, pk):
    report = get_object_or_404(queries.reports_for_user(request.user), pk=pk)
    form = ReportReviewForm(request.POST)
    if form.is_valid():
        try:
            reporting.review_report(
                report,
                form.cleaned_data["decision"] == "accept",
                request.user,
                form.cleaned_data["comment"],
            )
        except (PermissionDenied, ValidationError) as error:
            messages.error(request, error_text(error))
        else:
            messages.success(request, _("Report reviewed."))
    return redirect("report-detail", report.pk)


@login_required
def report_attachment_download(request, pk):
    attachment = get_object_or_404(
        ReportAttachment.objects.filter(report__in=queries.reports_for_user(request.user)),
        pk=pk,
    )
    return _download(attachment.file)
