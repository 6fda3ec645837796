"""Staff pages that set up scoring: a zone's criteria and weights, a campaign's scoring
rules, and who evaluates which entry in each stage.

Every page opens on the scoped querysets of ``competitions.queries`` (outside the user's
scope: 404) and then ``services.require_staff_of`` (not the campaign's office: 403); every
change goes through one function of ``services``.
"""

from collections import defaultdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from competitions import queries
from competitions.rules import require_office_staff
from competitions.services import error_text

from . import services
from .forms import (
    AssignEvaluatorForm,
    AutoAssignForm,
    CopyCriteriaSetForm,
    CriterionForm,
    GradeBandFormSet,
    ScoringRulesForm,
    StageWeightsForm,
    grade_band_rows,
)
from .models import (
    Criterion,
    CriterionWeight,
    EvaluatorAssignment,
    Score,
    ScoringRules,
    StageLock,
)
from .queries import assignments_for_user
from .results import ENTRY_STATUSES

ENTRIES_PAGE_SIZE = 100
SHORTFALLS_LISTED = 20


def _zone_for_staff(request, zone_id):
    """The zone, if it is in the user's scope (else 404) and they run its campaign (else 403)."""
    require_office_staff(request.user)
    zone = get_object_or_404(
        queries.zones_for_user(request.user)
        .select_related("campaign__organiser")
        .prefetch_related("campaign__co_organisers"),
        pk=zone_id,
    )
    services.require_staff_of(zone, request.user)
    return zone


def _stage_of(zone, stage_id):
    return get_object_or_404(zone.campaign.stages.all(), pk=stage_id)


def _add_service_error(form, error, fields=()):
    """Put a refusal of a service on the fields it names, the rest on the whole form."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in fields else None, errors)
    else:
        form.add_error(None, error)


@login_required
def setup_index(request):
    """The zones whose scoring the user sets up, by campaign."""
    require_office_staff(request.user)
    zones = (
        queries.zones_for_user(request.user)
        .select_related("campaign__organiser")
        .prefetch_related("campaign__co_organisers", "campaign__stages")
        .annotate(
            criteria_count=Count("criteria", distinct=True),
            entry_count=Count(
                "projects", filter=Q(projects__status__in=ENTRY_STATUSES), distinct=True
            ),
        )
        .order_by("-campaign__start_date", "campaign_id", "order", "name")
    )
    zones = [zone for zone in zones if services.is_staff_of(zone, request.user)]
    locked = set(StageLock.objects.filter(zone__in=zones).values_list("zone_id", "stage_id"))
    for zone in zones:
        zone.stage_states = [
            (stage, (zone.pk, stage.pk) in locked) for stage in zone.campaign.stages.all()
        ]
    return render(request, "scoring/setup/index.html", {"zones": zones})


# Criteria ---------------------------------------------------------------------------------


@login_required
def criteria(request, zone_id):
    """The zone's criteria set: list, add, copy a common set."""
    zone = _zone_for_staff(request, zone_id)
    form = CriterionForm(
        request.POST if request.method == "POST" else None,
        instance=Criterion(zone=zone),
        prefix="new",
    )
    if request.method == "POST" and form.is_valid():
        try:
            criterion = services.save_criterion(form.save(commit=False), request.user)
        except ValidationError as error:
            _add_service_error(form, error, form.fields)
        else:
            messages.success(request, _("Criterion “%(name)s” added.") % {"name": criterion})
            return redirect("scoring:criteria", zone.pk)
    return render(
        request,
        "scoring/setup/criteria.html",
        {
            "zone": zone,
            "criteria": zone.criteria.all(),
            "locked": services.zone_is_locked(zone),
            "form": form,
            "copy_form": CopyCriteriaSetForm(),
            "tab": "criteria",
        },
    )


@login_required
def criterion_edit(request, zone_id, criterion_id):
    zone = _zone_for_staff(request, zone_id)
    criterion = get_object_or_404(zone.criteria.all(), pk=criterion_id)
    form = CriterionForm(request.POST if request.method == "POST" else None, instance=criterion)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_criterion(form.save(commit=False), request.user)
        except ValidationError as error:
            _add_service_error(form, error, form.fields)
        else:
            messages.success(request, _("Criterion “%(name)s” saved.") % {"name": criterion})
            return redirect("scoring:criteria", zone.pk)
    return render(
        request,
        "scoring/setup/criterion_form.html",
        {
            "zone": zone,
            "criterion": criterion,
            "form": form,
            "locked": services.zone_is_locked(zone),
            "tab": "criteria",
        },
    )


@login_required
@require_POST
def criterion_delete(request, zone_id, criterion_id):
    zone = _zone_for_staff(request, zone_id)
    criterion = get_object_or_404(zone.criteria.all(), pk=criterion_id)
    try:
        services.delete_criterion(criterion, request.user)
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, _("Criterion “%(name)s” deleted.") % {"name": criterion})
    return redirect("scoring:criteria", zone.pk)


@login_required
@require_POST
def criteria_copy(request, zone_id):
    zone = _zone_for_staff(request, zone_id)
    form = CopyCriteriaSetForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a criteria set."))
        return redirect("scoring:criteria", zone.pk)
    try:
        created = services.copy_criteria_set(zone, form.cleaned_data["key"], request.user)
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        if created:
            messages.success(request, _("%(count)d criteria copied.") % {"count": len(created)})
        else:
            messages.info(request, _("The zone has every criterion of this set already."))
    return redirect("scoring:criteria", zone.pk)


# Weights ----------------------------------------------------------------------------------


@login_required
def weights(request, zone_id):
    """One form per stage: the weight of each judgement and measurement criterion."""
    zone = _zone_for_staff(request, zone_id)
    stages = list(zone.campaign.stages.all())
    weighted = list(zone.criteria.exclude(kind=Criterion.Kind.VETO))
    current = defaultdict(dict)
    for stage_id, criterion_id, weight in CriterionWeight.objects.filter(
        criterion__zone=zone
    ).values_list("stage_id", "criterion_id", "weight"):
        current[stage_id][criterion_id] = weight
    locked = set(zone.stage_locks.values_list("stage_id", flat=True))
    posted = request.POST.get("stage") if request.method == "POST" else None
    forms = []
    for stage in stages:
        data = request.POST if posted == str(stage.pk) else None
        form = StageWeightsForm(
            data,
            stage=stage,
            criteria=weighted,
            current=current[stage.pk],
            locked=stage.pk in locked,
        )
        if data is not None and form.is_valid():
            try:
                services.set_stage_weights(zone, stage, form.weights(), request.user)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Weights of %(stage)s saved.") % {"stage": stage.name})
                return redirect("scoring:weights", zone.pk)
        forms.append(form)
    try:
        services.check_stage_weights(zone.campaign)
        stage_weights_problem = ""
    except ValidationError as error:
        stage_weights_problem = error_text(error)
    return render(
        request,
        "scoring/setup/weights.html",
        {
            "zone": zone,
            "stages": stages,
            "forms": forms,
            "has_criteria": bool(weighted),
            "stage_weights_problem": stage_weights_problem,
            "tab": "weights",
        },
    )


# Scoring rules ----------------------------------------------------------------------------


@login_required
def scoring_rules(request, campaign_id):
    """The campaign's trimming, spread alert, tie-break and grade bands."""
    require_office_staff(request.user)
    campaign = get_object_or_404(
        queries.campaigns_for_user(request.user)
        .select_related("organiser")
        .prefetch_related("co_organisers"),
        pk=campaign_id,
    )
    services.require_staff_of(campaign, request.user)
    instance = ScoringRules.objects.filter(campaign=campaign).first() or ScoringRules(
        campaign=campaign
    )
    names = defaultdict(list)
    for code, name in (
        Criterion.objects.filter(zone__campaign=campaign)
        .order_by("zone__order", "order", "code")
        .values_list("code", "name")
    ):
        if name not in names[code]:
            names[code].append(name)
    choices = [(code, f"{' / '.join(labels)} ({code})") for code, labels in names.items()]
    data = request.POST if request.method == "POST" else None
    form = ScoringRulesForm(data, instance=instance, criteria_choices=choices)
    bands = GradeBandFormSet(
        data,
        initial=[{"lowest": lowest, "name": name} for lowest, name in instance.grade_bands],
        prefix="bands",
    )
    band_errors = []
    if data is not None and form.is_valid() and bands.is_valid():
        try:
            services.save_scoring_rules(
                campaign,
                request.user,
                trim_threshold=form.cleaned_data["trim_threshold"],
                spread_threshold_percent=form.cleaned_data["spread_threshold_percent"],
                tie_break_codes=form.tie_break_codes(),
                grade_bands=grade_band_rows(bands),
                failing_grade=form.cleaned_data["failing_grade"],
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                band_errors = error.error_dict.pop("grade_bands", [])
                band_errors = [m for e in band_errors for m in e.messages]
            _add_service_error(form, error, form.fields)
        else:
            messages.success(request, _("Scoring rules saved; results recomputed."))
            return redirect("scoring:rules", campaign.pk)
    return render(
        request,
        "scoring/setup/rules.html",
        {
            "campaign": campaign,
            "zones": campaign.zones.all(),
            "form": form,
            "bands": bands,
            "band_errors": band_errors,
        },
    )


# Evaluator assignments ---------------------------------------------------------------------


def _entries(zone, user):
    """The zone's entries that the user may see."""
    return services.zone_entries(zone).filter(pk__in=queries.projects_for_user(user))


@login_required
def assignments(request, zone_id, stage_id):
    """Entries of a zone with their evaluators in one stage; assign by hand or automatically."""
    zone = _zone_for_staff(request, zone_id)
    stage = _stage_of(zone, stage_id)
    submitted = Score.objects.filter(assignment=OuterRef("pk"), submitted=True)
    in_stage = (
        EvaluatorAssignment.objects.filter(stage=stage)
        .select_related("evaluator")
        .annotate(has_submitted=Exists(submitted))
        .order_by("evaluator__display_name", "evaluator__username", "pk")
    )
    entries = (
        _entries(zone, request.user)
        .select_related("unit")
        .prefetch_related(Prefetch("assignments", queryset=in_stage, to_attr="stage_assignments"))
        .order_by("unit__name", "title", "pk")
    )
    page = Paginator(entries, ENTRIES_PAGE_SIZE).get_page(request.GET.get("page"))
    evaluators = services.active_evaluators().annotate(
        load=Count(
            "assignments",
            filter=Q(assignments__stage=stage, assignments__project__zone=zone),
        )
    )
    return render(
        request,
        "scoring/setup/assignments.html",
        {
            "zone": zone,
            "stage": stage,
            "locked": services.is_locked(zone.pk, stage.pk),
            "page_obj": page,
            "entries": page.object_list,
            "unassigned": _entries(zone, request.user).exclude(assignments__stage=stage).count(),
            "evaluators": evaluators,
            "auto_form": AutoAssignForm(),
            "tab": "assignments",
        },
    )


@login_required
@require_POST
def assignments_add(request, zone_id, stage_id):
    """Assign one evaluator to the ticked entries; each refused pair is reported."""
    zone = _zone_for_staff(request, zone_id)
    stage = _stage_of(zone, stage_id)
    form = AssignEvaluatorForm(request.POST, entries=_entries(zone, request.user))
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect("scoring:assignments", zone.pk, stage.pk)
    evaluator = form.cleaned_data["evaluator"]
    try:
        done, refused = services.assign_entries(
            zone, stage, evaluator, form.cleaned_data["projects"], request.user
        )
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        if done:
            messages.success(
                request,
                _("%(evaluator)s assigned to %(count)d entries.")
                % {"evaluator": evaluator, "count": len(done)},
            )
        for project, reason in refused:
            messages.error(
                request,
                _("%(evaluator)s not assigned to “%(project)s”: %(reason)s")
                % {"evaluator": evaluator, "project": project, "reason": reason},
            )
    return redirect("scoring:assignments", zone.pk, stage.pk)


@login_required
@require_POST
def assignments_auto(request, zone_id, stage_id):
    """Give every entry N evaluators from the chosen ones, balancing their loads."""
    zone = _zone_for_staff(request, zone_id)
    stage = _stage_of(zone, stage_id)
    form = AutoAssignForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect("scoring:assignments", zone.pk, stage.pk)
    try:
        report = services.auto_assign(
            zone,
            stage,
            form.cleaned_data["evaluators"],
            form.cleaned_data["per_entry"],
            request.user,
        )
    except ValidationError as error:
        messages.error(request, error_text(error))
        return redirect("scoring:assignments", zone.pk, stage.pk)
    messages.success(
        request,
        _("%(created)d assignments made; %(short)d of %(entries)d entries are left short.")
        % {
            "created": len(report.created),
            "short": len(report.shortfalls),
            "entries": report.entries,
        },
    )
    for shortfall in report.shortfalls[:SHORTFALLS_LISTED]:
        messages.warning(request, f"{shortfall.project}: {shortfall.reason}")
    if len(report.shortfalls) > SHORTFALLS_LISTED:
        messages.warning(
            request,
            _("… and %(count)d more entries left short.")
            % {"count": len(report.shortfalls) - SHORTFALLS_LISTED},
        )
    return redirect("scoring:assignments", zone.pk, stage.pk)


@login_required
@require_POST
def assignment_remove(request, pk):
    require_office_staff(request.user)
    assignment = get_object_or_404(
        assignments_for_user(request.user).select_related(
            "evaluator", "stage", "project__zone__campaign"
        ),
        pk=pk,
    )
    try:
        services.remove_assignment(assignment, request.user)
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(
            request,
            _("%(evaluator)s no longer evaluates “%(project)s” in %(stage)s.")
            % {
                "evaluator": assignment.evaluator,
                "project": assignment.project,
                "stage": assignment.stage,
            },
        )
    return redirect("scoring:assignments", assignment.project.zone_id, assignment.stage_id)


urlpatterns = [
    path("setup/", setup_index, name="setup"),
    path("zones/<int:zone_id>/criteria/", criteria, name="criteria"),
    path("zones/<int:zone_id>/criteria/copy/", criteria_copy, name="criteria-copy"),
    path(
        "zones/<int:zone_id>/criteria/<int:criterion_id>/edit/",
        criterion_edit,
        name="criterion-edit",
    ),
    path(
        "zones/<int:zone_id>/criteria/<int:criterion_id>/delete/",
        criterion_delete,
        name="criterion-delete",
    ),
    path("zones/<int:zone_id>/weights/", weights, name="weights"),
    path("campaigns/<int:campaign_id>/rules/", scoring_rules, name="rules"),
    path(
        "zones/<int:zone_id>/stages/<int:stage_id>/assignments/",
        assignments,
        name="assignments",
    ),
    path(
        "zones/<int:zone_id>/stages/<int:stage_id>/assignments/add/",
        assignments_add,
        name="assignments-add",
    ),
    path(
        "zones/<int:zone_id>/stages/<int:stage_id>/assignments/auto/",
        assignments_auto,
        name="assignments-auto",
    ),
    path("assignments/<int:pk>/remove/", assignment_remove, name="assignment-remove"),
]
