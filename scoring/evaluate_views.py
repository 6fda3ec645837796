"""The evaluator's side of scoring: their queue, the scoring form of one entry, vetoes.

Evaluators reach only their own assignments (``assignments_for_user`` narrowed to the
evaluator themself, so staff, who see assignments in their scope, cannot score for anyone)
and never see another evaluator's scores. The competition office confirms or rejects the
vetoes raised against entries of its campaigns.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from competitions import reporting
from competitions.rules import require_office_staff
from competitions.services import error_text

from . import queries, services
from .forms import ScoreSheetForm, VetoRaiseForm, score_field_name
from .models import Criterion, Score, StageLock, Veto
from .queries import assignments_for_user

VETOES_PAGE_SIZE = 50

TODO, DRAFT, DONE = "todo", "draft", "done"


def own_assignments(user):
    """The assignments the user scores: their own, never those of another evaluator."""
    return assignments_for_user(user).filter(evaluator_id=user.pk)


def _queue(user) -> list:
    """The user's assignments in queue order (campaign, zone, stage, entry), each with its
    ``state`` (todo, draft, done) and ``locked`` — in one query whatever their number."""
    judgement_count = (
        Criterion.objects.filter(zone_id=OuterRef("project__zone_id"), kind="judgement")
        .order_by()
        .values("zone_id")
        .annotate(n=Count("pk"))
        .values("n")
    )

    def score_count(**conditions):
        # A subquery per assignment, not a join grouped by every selected column: that
        # evaluated the other subqueries once per score and took 2.5× as long (load test).
        scores = (
            Score.objects.filter(assignment_id=OuterRef("pk"), **conditions)
            .order_by()
            .values("assignment_id")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return Coalesce(Subquery(scores, output_field=IntegerField()), Value(0))

    assignments = (
        own_assignments(user)
        .select_related("project__campaign", "project__zone", "project__unit", "stage")
        .annotate(
            scored=score_count(),
            submitted=score_count(submitted=True),
            criteria_total=Coalesce(
                Subquery(judgement_count, output_field=IntegerField()), Value(0)
            ),
            locked=Exists(
                StageLock.objects.filter(
                    zone_id=OuterRef("project__zone_id"), stage_id=OuterRef("stage_id")
                )
            ),
        )
        .order_by(
            "-project__campaign__start_date",
            "project__campaign_id",
            "project__zone__order",
            "project__zone_id",
            "stage__order",
            "stage_id",
            "project__title",
            "pk",
        )
    )
    rows = list(assignments)
    for a in rows:
        # Submitted means every criterion has a submitted score and no draft is left over.
        if a.scored and a.submitted == a.scored and a.submitted >= a.criteria_total:
            a.state = DONE
        elif a.scored:
            a.state = DRAFT
        else:
            a.state = TODO
    return rows


def _next_unfinished(user, current_pk):
    """The next assignment in the queue after ``current_pk`` that is still to be scored
    (wrapping round to the start), or None when everything open is submitted."""
    rows = _queue(user)
    position = next((i for i, a in enumerate(rows) if a.pk == current_pk), -1)
    open_rows = [
        a
        for a in rows[position + 1 :] + rows[: position + 1]
        if a.state != DONE and not a.locked and a.criteria_total
    ]
    return open_rows[0] if open_rows else None


@login_required
def queue(request):
    """What the evaluator has to score, grouped by campaign, zone and stage."""
    if not request.user.is_evaluator:
        raise PermissionDenied(_("This page is for evaluators."))
    rows = _queue(request.user)
    groups = []
    for a in rows:
        key = (a.project.campaign_id, a.project.zone_id, a.stage_id)
        if not groups or groups[-1]["key"] != key:
            groups.append(
                {
                    "key": key,
                    "campaign": a.project.campaign,
                    "zone": a.project.zone,
                    "stage": a.stage,
                    "locked": a.locked,
                    "rows": [],
                    "counts": {TODO: 0, DRAFT: 0, DONE: 0},
                }
            )
        groups[-1]["rows"].append(a)
        groups[-1]["counts"][a.state] += 1
    order = {TODO: 0, DRAFT: 1, DONE: 2}
    for group in groups:
        # What is left first, then drafts, then what is done.
        group["rows"].sort(key=lambda a: order[a.state])
    totals = {state: sum(g["counts"][state] for g in groups) for state in order}
    return render(
        request,
        "scoring/evaluate/queue.html",
        {"groups": groups, "totals": totals, "total": len(rows)},
    )


def _score_context(request, assignment, form, veto_form=None):
    project = assignment.project
    user = request.user
    locked = services.is_locked(project.zone_id, assignment.stage_id)
    own_scores = list(assignment.scores.all())
    submitted = bool(own_scores) and all(s.submitted for s in own_scores)
    veto_criteria = Criterion.objects.filter(zone_id=project.zone_id, kind="veto").order_by(
        "order", "code"
    )
    if veto_form is None and not locked:
        veto_form = VetoRaiseForm(veto_criteria, prefix="veto")
    today = timezone.localdate()
    # The evaluator sees their own vetoes only, as with scores.
    own_vetoes = (
        Veto.objects.filter(project=project, raised_by=user)
        .select_related("criterion", "stage")
        .order_by("-created_at")
    )
    values = {s.criterion_id: s.value for s in own_scores}
    focus = _first_empty(form)
    if focus and not locked:
        form.fields[focus].widget.attrs["autofocus"] = True
    return {
        "assignment": assignment,
        "project": project,
        "form": form,
        "rows": [(c, field, values.get(c.pk)) for c, field in form.rows()],
        "locked": locked,
        "submitted": submitted,
        "has_draft": bool(own_scores) and not submitted,
        "veto_form": veto_form if veto_criteria.exists() else None,
        "own_vetoes": own_vetoes,
        "milestones": project.milestones.all(),
        "reports": [
            (report, reporting.cell_state(report, today))
            for report in project.reports.order_by("period_start")
        ],
    }


def _first_empty(form):
    """The name of the field to focus: the first with an error, else the first empty one."""
    for _criterion, field in form.rows():
        if field.errors:
            return field.name
    for _criterion, field in form.rows():
        if field.value() in (None, ""):
            return field.name
    return None


def _assignment_or_404(user, pk):
    return get_object_or_404(
        own_assignments(user).select_related(
            "project__campaign", "project__zone", "project__unit", "project__leader", "stage"
        ),
        pk=pk,
    )


def _saved(assignment) -> dict:
    """The evaluator's saved scores of the assignment, as the form's initial values."""
    return {
        score_field_name(s.criterion): format(s.value.normalize(), "f")
        for s in assignment.scores.select_related("criterion")
    }


@login_required
def score(request, pk):
    """The scoring form of one entry: a draft, or submitted; read-only once the stage locks."""
    user = request.user
    assignment = _assignment_or_404(user, pk)
    project = assignment.project
    criteria = list(
        Criterion.objects.filter(zone_id=project.zone_id, kind="judgement").order_by(
            "order", "code"
        )
    )
    if request.method == "POST":
        if services.is_locked(project.zone_id, assignment.stage_id):
            messages.error(request, _("This stage is locked; scores can no longer change."))
            return redirect("scoring:score", assignment.pk)
        submit = request.POST.get("action") == "submit"
        form = ScoreSheetForm(criteria, request.POST)
        if form.is_valid():
            try:
                services.save_scores(assignment, form.values(), user, submit=submit)
            except ValidationError as error:
                form.add_service_error(error)
                if submit and not hasattr(error, "error_dict"):
                    for criterion in form.missing():
                        form.add_error(score_field_name(criterion), _("Required to submit."))
            else:
                if not submit:
                    messages.success(request, _("Draft saved. Submit it when every score is in."))
                    return redirect("scoring:score", assignment.pk)
                messages.success(
                    request,
                    _("Scores of “%(project)s” submitted.") % {"project": project.title},
                )
                following = _next_unfinished(user, assignment.pk)
                if following is None:
                    messages.info(request, _("Every entry in your queue is submitted."))
                    return redirect("scoring:queue")
                return redirect("scoring:score", following.pk)
        status = 400
    else:
        form = ScoreSheetForm(criteria, initial=_saved(assignment))
        status = 200
    return render(
        request,
        "scoring/evaluate/score.html",
        _score_context(request, assignment, form),
        status=status,
    )


@login_required
@require_POST
def raise_veto(request, pk):
    user = request.user
    assignment = _assignment_or_404(user, pk)
    project = assignment.project
    veto_criteria = Criterion.objects.filter(zone_id=project.zone_id, kind="veto")
    veto_form = VetoRaiseForm(veto_criteria, request.POST, prefix="veto")
    if veto_form.is_valid():
        try:
            services.raise_veto(
                assignment,
                veto_form.cleaned_data["criterion"],
                veto_form.cleaned_data["reason"],
                user,
            )
        except ValidationError as error:
            veto_form.add_error(None, error)
        else:
            messages.success(
                request, _("Veto raised; the competition office will confirm or reject it.")
            )
            return redirect("scoring:score", assignment.pk)
    criteria = Criterion.objects.filter(zone_id=project.zone_id, kind="judgement").order_by(
        "order", "code"
    )
    form = ScoreSheetForm(criteria, initial=_saved(assignment))
    context = _score_context(request, assignment, form, veto_form=veto_form)
    return render(request, "scoring/evaluate/score.html", context, status=400)


@login_required
def veto_list(request):
    """Raised vetoes waiting for the competition office, and those it decided."""
    require_office_staff(request.user)
    scoped = queries.vetoes_for_staff(request.user)
    status = request.GET.get("status") or Veto.Status.RAISED
    counts = dict(scoped.order_by().values_list("status").annotate(n=Count("id")))
    vetoes = scoped
    if status in Veto.Status.values:
        vetoes = vetoes.filter(status=status)
    vetoes = vetoes.select_related(
        "project__unit",
        "project__zone",
        "project__campaign",
        "criterion",
        "stage",
        "raised_by",
        "confirmed_by",
        "rejected_by",
    ).annotate(
        locked=Exists(
            StageLock.objects.filter(
                zone_id=OuterRef("project__zone_id"), stage_id=OuterRef("stage_id")
            )
        )
    )
    vetoes = vetoes.order_by("created_at", "pk")
    page = Paginator(vetoes, VETOES_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "scoring/evaluate/vetoes.html",
        {
            "page_obj": page,
            "vetoes": page.object_list,
            "status": status,
            "statuses": [
                (value, label, counts.get(value, 0)) for value, label in Veto.Status.choices
            ],
            "total": sum(counts.values()),
        },
    )


def _decide(request, pk, decide, done_message):
    require_office_staff(request.user)
    veto = get_object_or_404(
        queries.vetoes_for_staff(request.user).select_related("project__zone__campaign"), pk=pk
    )
    try:
        decide(veto)
    except (PermissionDenied, ValidationError) as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, done_message % {"project": veto.project.title})
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        return redirect(back)
    return redirect("scoring:vetoes")


@login_required
@require_POST
def veto_confirm(request, pk):
    return _decide(
        request,
        pk,
        lambda veto: services.confirm_veto(veto, request.user),
        _("Veto confirmed: “%(project)s” is vetoed."),
    )


@login_required
@require_POST
def veto_reject(request, pk):
    reason = request.POST.get("reason", "")
    return _decide(
        request,
        pk,
        lambda veto: services.reject_veto(veto, request.user, reason),
        _("Veto against “%(project)s” rejected."),
    )


urlpatterns = [
    path("queue/", queue, name="queue"),
    path("assignments/<int:pk>/score/", score, name="score"),
    path("assignments/<int:pk>/veto/", raise_veto, name="raise-veto"),
    path("vetoes/", veto_list, name="vetoes"),
    path("vetoes/<int:pk>/confirm/", veto_confirm, name="veto-confirm"),
    path("vetoes/<int:pk>/reject/", veto_reject, name="veto-reject"),
]
