"""Results pages: a zone's ranking with stage locks, an entry's explanation, Excel export.

The ranking page costs a fixed number of queries however many entries the zone has: the
zone, its stages, locks and lock events, the per-stage completeness counts, the visible
final results with their projects and units, and their stage results.
"""

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, F, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from openpyxl import Workbook

from competitions import queries as competition_queries
from competitions.excel import header_row, xlsx_response
from competitions.models import Project, Zone
from competitions.services import error_text

from . import queries, results, services
from .explain import explain, show
from .models import Criterion, LockEvent, StageLock, StageResult

CENT = Decimal("0.01")


def _zone(user, zone_id) -> Zone:
    return get_object_or_404(
        competition_queries.zones_for_user(user).select_related("campaign"), pk=zone_id
    )


RANKING_PAGE_SIZE = 100


def _ranking_page(zone, user, number):
    """One page of the zone's visible entries in rank order (unranked ones last), each with
    its stored stage scores (already rounded as shown)."""
    finals = (
        queries.results_for_user(user)
        .filter(zone=zone)
        .select_related("project__unit")
        .order_by(F("rank").asc(nulls_last=True), "-score", "project__title", "project_id")
    )
    page = Paginator(finals, RANKING_PAGE_SIZE).get_page(number)
    stage_scores = {
        (project_id, stage_id): score
        for project_id, stage_id, score in StageResult.objects.filter(
            project_id__in=[r.project_id for r in page.object_list]
        ).values_list("project_id", "stage_id", "score")
    }
    return page, stage_scores


@login_required
def ranking(request, zone_id):
    user = request.user
    zone = _zone(user, zone_id)
    staff = services.is_staff_of(zone, user)
    stages = list(zone.campaign.stages.order_by("order", "pk"))
    page, stage_scores = _ranking_page(zone, user, request.GET.get("page"))
    rows = [
        {
            "result": result,
            "stages": [stage_scores.get((result.project_id, s.pk)) for s in stages],
        }
        for result in page.object_list
    ]
    context = {
        "zone": zone,
        "stages": stages,
        "rows": rows,
        "page_obj": page,
        "is_paginated": page.has_other_pages(),
        "staff": staff,
        "grade_bands": _rules(zone).grade_bands,
    }
    if staff:
        context.update(_lock_panel(zone, stages))
    return render(request, "scoring/results/ranking.html", context)


def _rules(zone):
    return getattr(zone.campaign, "scoring_rules", None) or results.DEFAULT_RULES


def _lock_panel(zone, stages):
    """Per stage: lock, counts of complete / incomplete / spread-alert entries; lock history;
    entries whose results were never computed (e.g. approved after the last recompute)."""
    locks = {
        lock.stage_id: lock
        for lock in StageLock.objects.filter(zone=zone).select_related("locked_by")
    }
    counts = {
        row["stage_id"]: row
        for row in StageResult.objects.filter(
            project__zone=zone, project__status__in=results.ENTRY_STATUSES
        )
        .values("stage_id")
        .annotate(
            n_complete=Count("pk", filter=Q(complete=True)),
            n_incomplete=Count("pk", filter=Q(complete=False)),
            n_spread=Count("pk", filter=Q(spread_alert=True)),
        )
        .order_by()
    }
    entries = Project.objects.filter(zone=zone, status__in=results.ENTRY_STATUSES)
    uncomputed = entries.filter(final_result__isnull=True).count()
    panel = [
        {"stage": stage, "lock": locks.get(stage.pk), "counts": counts.get(stage.pk, {})}
        for stage in stages
    ]
    events = (
        LockEvent.objects.filter(zone=zone).select_related("actor", "stage").order_by("-pk")[:20]
    )
    return {"lock_panel": panel, "lock_events": events, "uncomputed": uncomputed}


@login_required
@require_POST
def lock(request, zone_id, stage_id):
    zone = _zone(request.user, zone_id)
    stage = get_object_or_404(zone.campaign.stages, pk=stage_id)
    try:
        services.lock_stage(zone, stage, request.user)
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(
            request, _("%(stage)s is locked; its scores can no longer change.") % {"stage": stage}
        )
    return redirect("scoring:ranking", zone_id=zone.pk)


@login_required
@require_POST
def unlock(request, zone_id, stage_id):
    zone = _zone(request.user, zone_id)
    stage = get_object_or_404(zone.campaign.stages, pk=stage_id)
    try:
        services.unlock_stage(zone, stage, request.user, request.POST.get("reason", ""))
    except ValidationError as error:
        messages.error(request, error_text(error))
    else:
        messages.success(request, _("%(stage)s is unlocked.") % {"stage": stage})
    return redirect("scoring:ranking", zone_id=zone.pk)


@login_required
@require_POST
def recompute(request, zone_id):
    zone = _zone(request.user, zone_id)
    services.require_staff_of(zone, request.user)
    count = results.recompute(zones=Zone.objects.filter(pk=zone.pk))
    messages.success(
        request, _("The results of %(count)d entries are up to date.") % {"count": count}
    )
    return redirect("scoring:ranking", zone_id=zone.pk)


@login_required
def ranking_export(request, zone_id):
    """The ranking as Excel: one row per visible entry with every stage's criterion
    percentages, stage scores, the final score, rank, grade and flags."""
    user = request.user
    zone = _zone(user, zone_id)
    stages = list(zone.campaign.stages.order_by("order", "pk"))
    criteria = [
        c for c in Criterion.objects.filter(zone=zone).order_by("order", "pk") if c.kind != "veto"
    ]
    finals = list(queries.results_for_user(user).filter(zone=zone).select_related("project__unit"))
    finals.sort(key=lambda r: (r.rank is None, r.rank or 0, r.project.title))
    stage_rows = {
        (r.project_id, r.stage_id): r
        for r in StageResult.objects.filter(
            project__zone=zone, project_id__in=[f.project_id for f in finals]
        ).only("project_id", "stage_id", "score", "criteria")
    }
    workbook = Workbook(write_only=True)
    with translation.override("zh-hans"):
        sheet = workbook.create_sheet(_("Ranking"))
        sheet.freeze_panes = "D2"
        titles = [_("Rank"), _("Unit"), _("Project")]
        for stage in stages:
            titles += [f"{stage.name} · {c.name} (%)" for c in criteria]
            titles.append(_("%(stage)s score") % {"stage": stage.name})
        titles += [_("Final score"), _("Grade"), _("Vetoed"), _("Complete"), _("Spread alert")]
        header_row(sheet, titles)
        yes, no = _("Yes"), _("No")
        for final in finals:
            row = [final.rank, final.project.unit.name, final.project.title]
            for stage in stages:
                stored = stage_rows.get((final.project_id, stage.pk))
                per_criterion = stored.criteria if stored else {}
                row += [
                    Decimal(per_criterion[str(c.pk)]) if str(c.pk) in per_criterion else None
                    for c in criteria
                ]
                row.append(
                    stored.score.quantize(CENT) if stored and stored.score is not None else None
                )
            row += [
                final.score,
                final.grade,
                yes if final.vetoed else no,
                yes if final.complete else no,
                yes if final.spread_alert else no,
            ]
            sheet.append(row)
        filename = _("Ranking %(zone)s %(date)s.xlsx") % {
            "zone": zone.name,
            "date": timezone.localdate().isoformat(),
        }
    return xlsx_response(workbook, filename)


@login_required
def explanation(request, project_id):
    """Every evaluator score (anonymised unless the viewer is office staff), the trimmed ones,
    the weights and the arithmetic to the final score."""
    user = request.user
    project = get_object_or_404(
        competition_queries.projects_for_user(user).select_related(
            "zone__campaign", "unit", "campaign"
        ),
        pk=project_id,
    )
    if project.zone_id is None:
        raise Http404
    staff = services.is_staff_of(project.zone, user)
    explained = explain(project, user, names=staff)
    return render(
        request,
        "scoring/results/explanation.html",
        {"project": project, "x": explained, "staff": staff, "show": show},
    )


urlpatterns = [
    path("zones/<int:zone_id>/ranking/", ranking, name="ranking"),
    path("zones/<int:zone_id>/ranking.xlsx", ranking_export, name="ranking-export"),
    path("zones/<int:zone_id>/recompute/", recompute, name="recompute"),
    path("zones/<int:zone_id>/stages/<int:stage_id>/lock/", lock, name="lock"),
    path("zones/<int:zone_id>/stages/<int:stage_id>/unlock/", unlock, name="unlock"),
    path("projects/<int:project_id>/explanation/", explanation, name="explanation"),
]
