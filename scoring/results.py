"""Computing, storing and ranking results (SCORING.md), in bulk.

``recompute`` reads every submitted score with one grouped query (count, sum, min and max
per entry, stage and criterion), does the exact arithmetic of ``engine`` in memory and writes
the stage and final results with one upsert each; ranks are then rewritten only where they
changed. The same path serves a whole campaign and a single entry after a score is saved.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction

from django.db import transaction
from django.db.models import Count, Max, Min, Sum

from competitions.models import ProgressReport, Project, Zone

from . import engine
from .models import (
    Criterion,
    EvaluatorAssignment,
    FinalResult,
    Score,
    ScoringRules,
    StageResult,
    Veto,
)

ENTRY_STATUSES = (Project.Status.APPROVED, Project.Status.RUNNING, Project.Status.COMPLETED)
DEFAULT_RULES = ScoringRules()


@dataclass
class ZoneSetup:
    """What the arithmetic needs to know about a zone, loaded once per recompute."""

    zone: Zone
    rules: ScoringRules
    stages: list  # Stage objects, in order
    criteria: list  # Criterion objects of the zone
    weights: dict = field(default_factory=dict)  # stage id -> {criterion id: Fraction}

    @property
    def judgement(self):
        return [c for c in self.criteria if c.kind == Criterion.Kind.JUDGEMENT]

    @property
    def measurement(self):
        return [c for c in self.criteria if c.kind == Criterion.Kind.MEASUREMENT]

    def tie_break_criteria(self):
        by_code = {c.code: c for c in self.criteria}
        return [by_code[code] for code in self.rules.tie_break_codes if code in by_code]


def load_setup(zones) -> dict[int, ZoneSetup]:
    zones = list(zones.select_related("campaign"))
    campaign_ids = {z.campaign_id for z in zones}
    rules = {r.campaign_id: r for r in ScoringRules.objects.filter(campaign_id__in=campaign_ids)}
    from competitions.models import Stage

    stages = defaultdict(list)
    for stage in Stage.objects.filter(campaign_id__in=campaign_ids).order_by("order", "pk"):
        stages[stage.campaign_id].append(stage)
    criteria = defaultdict(list)
    for criterion in Criterion.objects.filter(zone__in=zones).order_by("order", "pk"):
        criteria[criterion.zone_id].append(criterion)
    setups = {
        z.pk: ZoneSetup(
            zone=z,
            rules=rules.get(z.campaign_id, DEFAULT_RULES),
            stages=stages[z.campaign_id],
            criteria=criteria[z.pk],
        )
        for z in zones
    }
    from .models import CriterionWeight

    for stage_id, criterion_id, zone_id, weight in CriterionWeight.objects.filter(
        criterion__zone__in=zones
    ).values_list("stage_id", "criterion_id", "criterion__zone_id", "weight"):
        setups[zone_id].weights.setdefault(stage_id, {})[criterion_id] = engine.exact(weight)
    return setups


@dataclass
class EntryResult:
    project_id: int
    zone_id: int
    stages: dict  # stage id -> (score Fraction | None, complete, spread, per-criterion dict)
    final: Fraction | None
    complete: bool
    vetoed: bool
    spread_alert: bool
    tie_break: list


def compute_entries(setups, project_ids=None) -> list[EntryResult]:
    """The exact results of every entry of the zones in ``setups`` (or of ``project_ids``)."""
    zone_ids = list(setups)
    entries = Project.objects.filter(zone_id__in=zone_ids, status__in=ENTRY_STATUSES)
    if project_ids is not None:
        entries = entries.filter(pk__in=project_ids)
    entries = list(entries.values_list("pk", "zone_id"))
    ids = [pk for pk, _zone in entries]
    # A whole zone is filtered by zone (one indexed join), a few entries by id.
    if project_ids is None:
        scores = Score.objects.filter(submitted=True, project__zone_id__in=zone_ids)
        assignments = EvaluatorAssignment.objects.filter(project__zone_id__in=zone_ids)
    else:
        scores = Score.objects.filter(submitted=True, project_id__in=ids)
        assignments = EvaluatorAssignment.objects.filter(project_id__in=ids)
    stats = {
        (p, s, c): (n, total, low, high)
        for p, s, c, n, total, low, high in scores.values("project_id", "stage_id", "criterion_id")
        .annotate(n=Count("id"), total=Sum("value"), low=Min("value"), high=Max("value"))
        .values_list("project_id", "stage_id", "criterion_id", "n", "total", "low", "high")
        .order_by()
    }
    assigned = {
        (p, s): n
        for p, s, n in assignments.values("project_id", "stage_id")
        .annotate(n=Count("id"))
        .values_list("project_id", "stage_id", "n")
        .order_by()
    }
    vetoed = set(
        Veto.objects.filter(project_id__in=ids, confirmed_at__isnull=False).values_list(
            "project_id", flat=True
        )
    )
    measured = _measurements(setups, entries)
    results = []
    for project_id, zone_id in entries:
        setup = setups[zone_id]
        results.append(_entry(setup, project_id, stats, assigned, measured, project_id in vetoed))
    return results


def _entry(setup, project_id, stats, assigned, measured, vetoed) -> EntryResult:
    rules = setup.rules
    stage_results, complete_all, spread_any = {}, bool(setup.stages), False
    criterion_final = defaultdict(Fraction)
    for stage in setup.stages:
        expected = assigned.get((project_id, stage.pk), 0)
        per_criterion, complete, spread = {}, expected > 0 or not setup.judgement, False
        for criterion in setup.judgement:
            row = stats.get((project_id, stage.pk, criterion.pk))
            if row is None or row[0] < expected or expected == 0:
                complete = False
                continue
            n, total, low, high = row
            value = engine.aggregate_stats(n, total, low, high, rules.trim_threshold)
            pct = engine.percentage(value, criterion.max_score)
            too_wide = engine.spread_too_wide(
                low, high, criterion.max_score, rules.spread_threshold_percent
            )
            spread = spread or too_wide
            per_criterion[criterion.pk] = pct
        for criterion in setup.measurement:
            per_criterion[criterion.pk] = measured.get(
                (project_id, stage.pk, criterion.pk), Fraction(0)
            )
        weights = setup.weights.get(stage.pk, {})
        score = None
        if complete:
            score = sum(
                (w * per_criterion.get(c, Fraction(0)) for c, w in weights.items()), Fraction(0)
            )
            for criterion_id, pct in per_criterion.items():
                criterion_final[criterion_id] += engine.exact(stage.weight) * pct
        stage_results[stage.pk] = (score, complete, spread, per_criterion)
        complete_all = complete_all and complete
        spread_any = spread_any or spread
    final = None
    if complete_all:
        final = sum(
            (engine.exact(stage.weight) * stage_results[stage.pk][0] for stage in setup.stages),
            Fraction(0),
        )
    tie_break = [
        str(engine.round_half_up(criterion_final[c.pk], 6)) for c in setup.tie_break_criteria()
    ]
    return EntryResult(
        project_id, setup.zone.pk, stage_results, final, complete_all, vetoed, spread_any, tie_break
    )


def _measurements(setups, entries) -> dict:
    """(project, stage, criterion) -> percentage for the measurement criteria of each entry's
    own zone, from its progress reports (one query)."""
    measured_zones = {zone_id for zone_id, setup in setups.items() if setup.measurement}
    wanted = [(pk, zone_id) for pk, zone_id in entries if zone_id in measured_zones]
    if not wanted:
        return {}
    reports = defaultdict(list)
    for report in ProgressReport.objects.filter(project_id__in=[pk for pk, _z in wanted]).only(
        "project_id",
        "period_end",
        "late",
        "planned_percent",
        "actual_percent",
        "safety_incidents",
        "first_submitted_at",
    ):
        reports[report.project_id].append(report)
    measured = {}
    for project_id, zone_id in wanted:
        setup = setups[zone_id]
        for stage in setup.stages:
            in_stage = [
                r for r in reports[project_id] if stage.start_date <= r.period_end <= stage.end_date
            ]
            for criterion in setup.measurement:
                measured[(project_id, stage.pk, criterion.pk)] = measure(criterion, in_stage)
    return measured


def measure(criterion, reports) -> Fraction:
    """A measurement criterion's percentage from the stage's reports (SCORING.md)."""
    maximum = engine.exact(criterion.max_score)
    if criterion.measure == Criterion.Measure.PROGRESS_RATIO:
        ratios = [
            min(engine.exact(r.actual_percent) / engine.exact(r.planned_percent), 1)
            for r in reports
            if r.actual_percent is not None and r.planned_percent
        ]
        points = sum(ratios, Fraction(0)) / len(ratios) * maximum if ratios else Fraction(0)
    elif criterion.measure == Criterion.Measure.ON_TIME_RATE:
        on_time = [r for r in reports if r.first_submitted_at is not None and not r.late]
        points = Fraction(len(on_time), len(reports)) * maximum if reports else Fraction(0)
    else:  # safety record
        incidents = sum(r.safety_incidents for r in reports)
        points = max(maximum - engine.exact(criterion.penalty_per_incident) * incidents, 0)
    return engine.percentage(points, maximum)


def recompute(zones=None, project_ids=None) -> int:
    """Recompute and store the results of ``zones`` (a Zone queryset) or of some entries
    (``project_ids``), then re-rank their zones. Returns the number of entries computed."""
    if zones is None:
        zones = Zone.objects.filter(projects__pk__in=project_ids).distinct()
    setups = load_setup(zones)
    entries = compute_entries(setups, project_ids)
    with transaction.atomic():
        _store(entries, setups)
        for zone_id in {e.zone_id for e in entries} or set(setups):
            rank_zone(setups[zone_id])
    return len(entries)


def _store(entries, setups):
    stage_rows, final_rows = [], []
    for entry in entries:
        for stage_id, (score, complete, spread, per_criterion) in entry.stages.items():
            stage_rows.append(
                StageResult(
                    project_id=entry.project_id,
                    stage_id=stage_id,
                    score=None if score is None else engine.round_half_up(score, 4),
                    complete=complete,
                    spread_alert=spread,
                    criteria={
                        str(c): str(engine.round_half_up(p, 4)) for c, p in per_criterion.items()
                    },
                )
            )
        final_rows.append(
            FinalResult(
                project_id=entry.project_id,
                zone_id=entry.zone_id,
                score=None if entry.final is None else engine.round_half_up(entry.final),
                complete=entry.complete,
                vetoed=entry.vetoed,
                spread_alert=entry.spread_alert,
                tie_break=entry.tie_break,
            )
        )
    StageResult.objects.bulk_create(
        stage_rows,
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["project", "stage"],
        update_fields=["score", "complete", "spread_alert", "criteria", "computed_at"],
    )
    FinalResult.objects.bulk_create(
        final_rows,
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["project"],
        update_fields=[
            "zone",
            "score",
            "complete",
            "vetoed",
            "spread_alert",
            "tie_break",
            "computed_at",
        ],
    )


def rank_zone(setup: ZoneSetup) -> int:
    """Rank the zone's complete entries and grade them; rewrite only what changed."""
    rows = list(
        FinalResult.objects.filter(zone=setup.zone).only(
            "pk", "score", "complete", "vetoed", "rank", "grade", "tie_break"
        )
    )
    ranked = {
        r.key: r.rank
        for r in engine.competition_ranking(
            (row.pk, row.score, tuple(engine.exact(v) for v in row.tie_break))
            for row in rows
            if row.complete and row.score is not None
        )
    }
    bands = setup.rules.grade_bands
    changed = []
    for row in rows:
        rank = ranked.get(row.pk)
        grade = (
            engine.grade_for(
                row.score if row.complete else None, row.vetoed, bands, setup.rules.failing_grade
            )
            if bands or row.vetoed
            else ""
        )
        if (rank, grade) != (row.rank, row.grade):
            row.rank, row.grade = rank, grade
            changed.append(row)
    FinalResult.objects.bulk_update(changed, ["rank", "grade"], batch_size=1000)
    return len(changed)
