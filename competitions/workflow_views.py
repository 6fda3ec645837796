"""Pages of the declaration workflow: declare, submit, review, register, sign up."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.forms import LiaisonSignUpForm

from . import queries, services
from . import rules as competition_rules
from .filters import ProjectFilter
from .forms import (
    AttachmentFormSet,
    BulkDecisionForm,
    DeclarationForm,
    InviteForm,
    MilestoneFormSet,
    RegistrationDecisionForm,
    SignUpCampaignForm,
    SignUpUnitForm,
    TransitionForm,
)
from .models import Campaign, CampaignRegistration, Project
from .services import error_text

REVIEW_PAGE_SIZE = 50


def _declaration_page(request, project=None):
    user = request.user
    if not competition_rules.may_declare(user):
        raise PermissionDenied(_("Only a unit's liaison can declare projects."))
    campaigns = queries.registered_campaigns(user.unit)
    if project is None and not campaigns.exists():
        messages.warning(
            request,
            _("Your unit is not registered for a running campaign yet: register first."),
        )
        return redirect("registration-list")
    instance = project or Project(unit=user.unit)
    data = request.POST if request.method == "POST" else None
    files = request.FILES if request.method == "POST" else None
    form = DeclarationForm(data, files, instance=instance, unit=user.unit, campaigns=campaigns)
    milestones = MilestoneFormSet(data, instance=instance, prefix="milestones")
    attachments = AttachmentFormSet(data, files, instance=instance, prefix="attachments")
    if request.method == "POST" and all(
        [form.is_valid(), milestones.is_valid(), attachments.is_valid()]
    ):
        try:
            with transaction.atomic():
                project = form.save()
                milestones.instance = attachments.instance = project
                milestones.save()
                for attachment in attachments.save(commit=False):
                    attachment.uploaded_by = user
                    attachment.save()
                for attachment in attachments.deleted_objects:
                    attachment.delete()
        except IntegrityError:
            # The same declaration sent twice at once: both passed the form's check before
            # either was saved, and the database kept the first one.
            form.add_error(
                None, _("This unit already declared a project with this title in this campaign.")
            )
        else:
            if "submit" in request.POST:
                try:
                    services.transition(project, "submit", user)
                except (PermissionDenied, ValidationError) as error:
                    messages.error(
                        request, _("Saved as a draft, not submitted: ") + error_text(error)
                    )
                    return redirect("declaration-edit", project.pk)
                messages.success(request, _("Declaration submitted for review."))
            else:
                messages.success(request, _("Draft saved. You can come back and submit it later."))
            return redirect("project-detail", project.pk)
    return render(
        request,
        "competitions/declaration_form.html",
        {
            "form": form,
            "milestones": milestones,
            "attachments": attachments,
            "project": project,
            "max_size": filesizeformat(settings.UPLOAD_MAX_BYTES),
        },
    )


@login_required
def declaration_create(request):
    return _declaration_page(request)


@login_required
def declaration_edit(request, pk):
    projects = queries.projects_for_user(request.user)
    if request.method == "POST":
        # Held to the end of the request (ATOMIC_REQUESTS): the same form sent twice, or a
        # submission and a stale second tab, take turns, and the later one sees the state
        # the earlier one left instead of writing its stale copy over it.
        projects = projects.select_for_update(of=("self",))
    project = get_object_or_404(projects, pk=pk)
    if not competition_rules.is_liaison_of(request.user, project):
        raise PermissionDenied(_("This declaration cannot be edited now."))
    if not project.is_editable:
        if request.method == "POST":
            messages.error(
                request,
                _(
                    "This declaration has been submitted or decided in the meantime (it is "
                    "“%(status)s” now); this form was not saved."
                )
                % {"status": project.get_status_display()},
            )
            return redirect("project-detail", project.pk)
        raise PermissionDenied(_("This declaration cannot be edited now."))
    return _declaration_page(request, project)


@login_required
@require_POST
def project_transition(request, pk):
    project = get_object_or_404(
        queries.projects_for_user(request.user).select_related("unit__organisation"), pk=pk
    )
    form = TransitionForm(request.POST)
    if form.is_valid():
        try:
            step = services.transition(
                project, form.cleaned_data["action"], request.user, form.cleaned_data["comment"]
            )
        except (PermissionDenied, ValidationError) as error:
            messages.error(request, error_text(error))
        else:
            messages.success(
                request,
                _("Done: the project is now “%(status)s”.")
                % {"status": step.get_to_status_display()},
            )
    return redirect("project-detail", project.pk)


@login_required
def review_queue(request):
    """Declarations waiting for a decision in the user's area, with counts per state."""
    competition_rules.require_office_staff(request.user)
    scoped = queries.projects_for_user(request.user)
    data = request.GET.copy()
    data.setdefault("status", Project.Status.SUBMITTED)
    filterset = ProjectFilter(data, queryset=scoped, request=request)
    projects = filterset.qs.select_related("unit", "zone", "campaign").order_by(
        "submitted_at", "pk"
    )
    # Counts per state under the same filters except the state itself.
    unfiltered = ProjectFilter(
        {k: v for k, v in data.items() if k != "status"}, queryset=scoped, request=request
    ).qs
    counts = dict(unfiltered.order_by().values_list("status").annotate(n=Count("id")))
    page = Paginator(projects, REVIEW_PAGE_SIZE).get_page(request.GET.get("page"))
    query = data.copy()
    query.pop("status", None)
    query.pop("page", None)
    return render(
        request,
        "competitions/review_queue.html",
        {
            "filter": filterset,
            "page_obj": page,
            "projects": page.object_list,
            "state_counts": [
                (value, label, counts.get(value, 0)) for value, label in Project.Status.choices
            ],
            "current_status": data.get("status"),
            "query": query.urlencode(),
            "decision_form": BulkDecisionForm(),
        },
    )


@login_required
@require_POST
def review_decide(request):
    competition_rules.require_office_staff(request.user)
    form = BulkDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose at least one declaration and a decision."))
        return redirect(_safe_next(request))
    chosen = form.cleaned_data["projects"]
    projects = list(
        queries.projects_for_user(request.user)
        .filter(pk__in=chosen)
        .select_related("unit__organisation")
    )
    if len(projects) < len(set(chosen)):
        messages.error(
            request,
            _("%(count)d of the chosen declarations are outside your area and were left alone.")
            % {"count": len(set(chosen)) - len(projects)},
        )
    done, refused = services.decide_many(
        projects,
        form.cleaned_data["action"],
        request.user,
        form.cleaned_data["comment"],
    )
    if done:
        messages.success(request, _("%(count)d declarations decided.") % {"count": len(done)})
    for project, reason in refused:
        messages.error(request, f"{project.title}: {reason}")
    return redirect(_safe_next(request))


def _safe_next(request):
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return reverse("review-queue")


@login_required
def registration_list(request):
    """Staff: registrations of their area to decide. Liaisons: their unit's registrations
    and the campaigns they may still register for."""
    user = request.user
    role = queries.user_role(user)
    registrations = CampaignRegistration.objects.select_related(
        "campaign", "unit__organisation", "requested_by", "decided_by"
    )
    context = {"role": role}
    if role in ("organiser", "superuser"):
        registrations = registrations.filter(unit__in=queries.units_for_user(user))
        status = request.GET.get("status", CampaignRegistration.Status.PENDING)
        if status in CampaignRegistration.Status.values:
            registrations = registrations.filter(status=status)
        context.update(
            status=status,
            statuses=CampaignRegistration.Status.choices,
            invite_form=InviteForm(
                campaigns=queries.campaigns_for_user(user).filter(status=Campaign.Status.ACTIVE),
                units=queries.units_for_user(user),
            ),
        )
    elif role == "unit":
        registrations = registrations.filter(unit=user.unit)
        context["open_campaigns"] = (
            queries.campaigns_for_user(user)
            .filter(status=Campaign.Status.ACTIVE)
            .exclude(
                registrations__unit=user.unit, registrations__status__in=["pending", "approved"]
            )
        )
    else:
        raise PermissionDenied(_("Only staff and unit liaisons handle registrations."))
    page = Paginator(registrations.order_by("-created_at", "-pk"), 50).get_page(
        request.GET.get("page")
    )
    context.update(page_obj=page, registrations=page.object_list)
    return render(request, "competitions/registration_list.html", context)


@login_required
@require_POST
def registration_request(request, campaign_pk):
    campaign = get_object_or_404(queries.campaigns_for_user(request.user), pk=campaign_pk)
    if not competition_rules.may_declare(request.user):
        raise PermissionDenied(_("Only the unit's liaison can register it."))
    try:
        services.request_registration(campaign, request.user.unit, request.user)
    except (PermissionDenied, ValidationError) as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, _("Registration requested; the competition office decides."))
    return redirect("registration-list")


@login_required
@require_POST
def registration_decide(request, pk):
    registration = get_object_or_404(
        CampaignRegistration.objects.filter(unit__in=queries.units_for_user(request.user)),
        pk=pk,
    )
    form = RegistrationDecisionForm(request.POST)
    if form.is_valid():
        try:
            services.decide_registration(
                registration,
                form.cleaned_data["decision"] == "approve",
                request.user,
                form.cleaned_data["comment"],
            )
        except (PermissionDenied, ValidationError) as error:
            messages.error(request, error_text(error))
        else:
            messages.success(request, _("Registration decided."))
    return redirect("registration-list")


@login_required
@require_POST
def registration_invite(request):
    competition_rules.require_office_staff(request.user)
    form = InviteForm(
        request.POST,
        campaigns=queries.campaigns_for_user(request.user).filter(status=Campaign.Status.ACTIVE),
        units=queries.units_for_user(request.user),
    )
    if form.is_valid():
        try:
            services.invite_unit(
                form.cleaned_data["campaign"], form.cleaned_data["unit"], request.user
            )
        except (PermissionDenied, ValidationError) as error:
            messages.error(request, error_text(error))
        else:
            messages.success(request, _("The unit takes part in the campaign now."))
    else:
        messages.error(request, _("Choose a campaign and a unit of your area."))
    return redirect("registration-list")


def signup(request):
    """A new unit signs up for a campaign online, with its liaison account."""
    if request.user.is_authenticated:
        return redirect("registration-list")
    data = request.POST if request.method == "POST" else None
    campaign_form = SignUpCampaignForm(data, prefix="campaign")
    unit_form = SignUpUnitForm(data, prefix="unit")
    user_form = LiaisonSignUpForm(data, prefix="user")
    if data is not None and all(f.is_valid() for f in (campaign_form, unit_form, user_form)):
        user = user_form.save(commit=False)
        try:
            services.sign_up(
                campaign=campaign_form.cleaned_data["campaign"],
                unit=unit_form.save(commit=False),
                liaison=user,
            )
        except IntegrityError:
            # Sent twice at once (a double click): the first one is saved. Checked again,
            # the forms now say what is taken (the credit code, the user name).
            unit_form = SignUpUnitForm(data, prefix="unit")
            user_form = LiaisonSignUpForm(data, prefix="user")
            if unit_form.is_valid() and user_form.is_valid():
                unit_form.add_error(
                    None, _("The sign-up could not be saved; please send it again.")
                )
        else:
            return render(request, "competitions/signup_done.html", {"account": user})
    return render(
        request,
        "competitions/signup.html",
        {"campaign_form": campaign_form, "unit_form": unit_form, "user_form": user_form},
    )
