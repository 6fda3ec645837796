"""Summary pages: the campaigns' summaries, a campaign's history of builds with "build now",
one summary with its charts and tables, its Excel and PDF exports, the build's status for
the progress bar, and the leadership's overview screen (大屏).

Who sees what is decided in ``queries`` (``summary_*_for_user``, ``overview_campaigns_for_user``):
anything outside the user's scope is 404. Every page costs a fixed number of queries however
many campaigns, builds or zones there are.
"""

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, F, OuterRef, Subquery
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from competitions.excel import xlsx_bytes_response
from competitions.services import error_text
from scoring.services import is_staff_of

from . import queries, summaries, summary_charts, summary_exports
from .models import SummaryBuild, SummarySnapshot

State = SummaryBuild.State
OVERVIEW_EVERY = 60  # seconds between refreshes of the overview screen


class BuildForm(forms.Form):
    period = forms.ChoiceField(
        label=gettext_lazy("Period"), choices=SummaryBuild.Period.choices, initial="month"
    )
    day = forms.DateField(
        label=gettext_lazy("A day in the period"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=gettext_lazy("The month, quarter or year that contains this day is built."),
    )


def _campaign(user, campaign_id):
    return get_object_or_404(
        queries.summary_campaigns_for_user(user).select_related("organiser"), pk=campaign_id
    )


def _build(user, build_id) -> SummaryBuild:
    return get_object_or_404(
        queries.summary_builds_for_user(user).select_related("campaign", "requested_by"),
        pk=build_id,
    )


def _snapshots(build) -> list:
    return list(
        SummarySnapshot.objects.filter(build=build)
        .select_related("zone")
        .order_by(F("zone__order").asc(nulls_first=True), F("zone_id").asc(nulls_first=True))
    )


def _label(build) -> str:
    return summaries.period_label(build.period, build.period_start)


@login_required
def index(request):
    """The campaigns whose summaries the user reads, with their latest finished summary."""
    done = SummaryBuild.objects.filter(campaign=OuterRef("pk"), state=State.DONE).order_by(
        "-finished_at", "-pk"
    )
    campaigns = list(
        queries.summary_campaigns_for_user(request.user)
        .select_related("organiser")
        .annotate(
            build_count=Count("summary_builds"),
            latest_id=Subquery(done.values("pk")[:1]),
            latest_period=Subquery(done.values("period")[:1]),
            latest_start=Subquery(done.values("period_start")[:1]),
            latest_finished=Subquery(done.values("finished_at")[:1]),
        )
        .order_by("-start_date", "title", "pk")
    )
    for campaign in campaigns:
        campaign.latest_label = (
            summaries.period_label(campaign.latest_period, campaign.latest_start)
            if campaign.latest_id
            else ""
        )
    return render(request, "awards/summary_index.html", {"campaigns": campaigns})


@login_required
def campaign_summaries(request, campaign_id):
    """A campaign's history of summaries (every build, newest period first) and "build now"."""
    campaign = _campaign(request.user, campaign_id)
    builds = list(
        SummaryBuild.objects.filter(campaign=campaign)
        .select_related("requested_by")
        .order_by("-period_end", "-period_start", "-created_at", "-pk")
    )
    for build in builds:
        build.label = _label(build)
    active = next((b for b in builds if b.state in (State.QUEUED, State.RUNNING)), None)
    staff = is_staff_of(campaign, request.user)
    # The last month that ended, within the campaign: what "build now" most often wants.
    day = min(summaries.last_month_end(timezone.localdate()), campaign.end_date)
    form = BuildForm(initial={"period": "month", "day": day}) if staff else None
    return render(
        request,
        "awards/summary_campaign.html",
        {"campaign": campaign, "builds": builds, "active": active, "form": form},
    )


@login_required
@require_POST
def build_now(request, campaign_id):
    campaign = _campaign(request.user, campaign_id)
    form = BuildForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return redirect("awards:summary-campaign", campaign.pk)
    try:
        build = summaries.request_build(
            campaign, request.user, form.cleaned_data["period"], form.cleaned_data["day"]
        )
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, error_text(error))
    else:
        messages.success(
            request,
            _("The summary of %(period)s is being built.") % {"period": _label(build)},
        )
    return redirect("awards:summary-campaign", campaign.pk)


@never_cache
@login_required
def build_status(request, build_id):
    """The build's state and progress as JSON, for the progress bar's script."""
    build = _build(request.user, build_id)
    return JsonResponse(
        {
            "state": build.state,
            "state_label": build.get_state_display(),
            "progress": build.progress,
            "error": build.error,
            "finished": build.state in (State.DONE, State.FAILED),
            "url": reverse("awards:summary", args=[build.pk]) if build.state == State.DONE else "",
        }
    )


@login_required
def summary(request, build_id):
    """One summary: key figures, charts, the figures of the campaign and of each zone."""
    build = _build(request.user, build_id)
    snapshots = _snapshots(build)
    whole = snapshots[0] if snapshots and snapshots[0].zone_id is None else None
    context = {
        "build": build,
        "campaign": build.campaign,
        "label": _label(build),
        "snapshots": snapshots,
        "scopes": [summary_exports.scope_name(s) for s in snapshots],
        "whole": whole,
        "figures": whole.figures if whole else {},
        "table": summary_exports.figure_table(snapshots),
        "states": summary_exports.state_table(snapshots),
        "honours": [(s, summary_exports.honour_rows(s)) for s in snapshots],
        "top": summary_exports.top_rows(whole) if whole else [],
        "state_chart": summary_charts.state_chart(whole.figures) if whole else None,
        "zone_charts": summary_charts.zone_charts(snapshots),
    }
    return render(request, "awards/summary_detail.html", context)


def _done_build(user, build_id):
    build = _build(user, build_id)
    if build.state != State.DONE:
        raise PermissionDenied(_("This summary is not built yet."))
    return build, _snapshots(build)


@login_required
def summary_xlsx(request, build_id):
    build, snapshots = _done_build(request.user, build_id)
    content = summary_exports.xlsx_bytes(build, snapshots)
    return xlsx_bytes_response(content, summary_exports.filename(build, "xlsx"))


@login_required
def summary_pdf(request, build_id):
    build, snapshots = _done_build(request.user, build_id)
    response = HttpResponse(
        summary_exports.pdf_bytes(build, snapshots), content_type="application/pdf"
    )
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=summary_exports.filename(build, "pdf")
    )
    return response


# The overview screen (大屏) -------------------------------------------------------------------


def _figure(snapshot, path):
    return summaries.figure(snapshot.figures, path) if snapshot else None


def _wan(value) -> Decimal | None:
    """Yuan in 万元 (ten thousands) to one decimal: big screens show big sums short."""
    if value is None:
        return None
    return (Decimal(str(value)) / 10000).quantize(Decimal("0.1"))


@never_cache
@login_required
def overview(request, campaign_id):
    """The full-screen overview of a campaign for the leadership; ``?fragment=1`` renders the
    figures region only (the page's own refresh every minute)."""
    campaign = get_object_or_404(
        queries.overview_campaigns_for_user(request.user).select_related("organiser"),
        pk=campaign_id,
    )
    build = summaries.latest_build(campaign)
    snapshots = _snapshots(build) if build else []
    whole = snapshots[0] if snapshots and snapshots[0].zone_id is None else None
    today = timezone.localdate()
    context = {
        "campaign": campaign,
        "build": build,
        "label": _label(build) if build else "",
        "figures": whole.figures if whole else {},
        "zone_charts": summary_charts.zone_charts(snapshots, compact=True),
        "benefit_wan": _wan(_figure(whole, "proposals.benefit")),
        "live": summaries.live_counts(campaign, today),
        "updated": timezone.localtime().strftime("%H:%M:%S"),
        "every": OVERVIEW_EVERY,
    }
    if request.GET.get("fragment"):
        return render(request, "awards/summary_overview_body.html", context)
    return render(request, "awards/summary_overview.html", context)
