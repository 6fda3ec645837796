"""Computing, storing and ranking results (SCORING.md), in bulk.

``recompute`` reads every submitted score with one grouped query (count, sum, min and max per
entry, stage and criterion) and the number of evaluators assigned with another, does the
arithmetic of SCORING.md in memory while the groups stream in, ranks each zone in memory and
writes only the rows that changed. The same path serves a whole campaign and a single entry
after a score is saved (then the zone's other stored results are read back to rank it).
docs/benchmarks.md has the figures on a province-scale campaign.

Exact and fast: scores have at most 2 decimals, so the grouped query returns sums, minima and
maxima in integer hundredths, and every value after that (aggregates, percentages, stage,
final and tie-break scores) is kept as an exact ratio of two integers: the very numbers
``engine``'s Fractions give (the tests compare them), without building a Fraction for each
of the hundreds of thousands of criteria. Values are rounded half-up only where they are
stored. ``EntryResult`` still hands out Fractions to readers such as the explanation page.

Writes: rows are compared with the stored ones (JSON as text) and only new or changed rows
are written (see ``_write``: COPY on PostgreSQL for thousands of rows, else one upsert).
"""

import json
from collections import Counter, defaultdict
from contextlib import nullcontext
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from functools import cached_property
from math import floor, gcd, lcm

from django.db import IntegrityError, connection, transaction
from django.db.models import BigIntegerField, Count, Max, Min, Sum, TextField
from django.db.models.functions import Cast, Round
from django.utils import timezone

from competitions.models import ProgressReport, Project, Stage, Zone

from . import engine
from .models import (
    Criterion,
    CriterionWeight,
    EvaluatorAssignment,
    FinalResult,
    Score,
    ScoringRules,
    StageResult,
    Veto,
)

ENTRY_STATUSES = (Project.Status.APPROVED, Project.Status.RUNNING, Project.Status.COMPLETED)
DEFAULT_RULES = ScoringRules()
# From this many rows on, PostgreSQL receives an upsert through COPY and a temporary table.
COPY_FROM_ROWS = 500


@dataclass(frozen=True)
class StagePlan:
    """A stage's arithmetic in integers.

    ``weight``: the stage weight as (numerator, denominator). ``judgement``: (criterion id,
    q, p, spread limit, share) with max_score = p/q, the spread limit in hundredths and the
    criterion's weight = share / ``common``. ``weights``: (criterion id, a, b), weight = a/b.
    ``common`` is set when the stage has only judgement criteria, all with the same maximum
    (p/q = ``maximum``): then a stage whose criteria have the same number of scores sums
    its weighted percentages over one denominator."""

    stage_id: int
    weight: tuple
    judgement: tuple
    measurement: tuple
    weights: tuple
    common: int
    maximum: tuple


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

    @cached_property
    def plan(self) -> list[StagePlan]:
        threshold = engine.exact(self.rules.spread_threshold_percent)
        maxima = {_ratio(engine.exact(c.max_score)) for c in self.judgement}
        return [self._stage_plan(stage, threshold, maxima) for stage in self.stages]

    def _stage_plan(self, stage, threshold, maxima) -> StagePlan:
        weights = self.weights.get(stage.pk, {})
        common = 1
        for c in self.judgement:
            common = lcm(common, weights.get(c.pk, Fraction(0)).denominator)
        judgement = []
        for c in self.judgement:
            maximum = engine.exact(c.max_score)
            # high − low > max × threshold / 100 in points is, in whole hundredths,
            # high − low > floor(max × threshold).
            limit = floor(maximum * threshold)
            share = weights.get(c.pk, Fraction(0)) * common
            judgement.append((c.pk, maximum.denominator, maximum.numerator, limit, int(share)))
        uniform = not self.measurement and len(maxima) == 1
        return StagePlan(
            stage_id=stage.pk,
            weight=_ratio(engine.exact(stage.weight)),
            judgement=tuple(judgement),
            measurement=tuple(c.pk for c in self.measurement),
            weights=tuple((c, w.numerator, w.denominator) for c, w in weights.items()),
            common=common if uniform else 0,
            maximum=next(iter(maxima)) if uniform else (1, 1),
        )

    @cached_property
    def tie_break_ids(self) -> list[int]:
        return [c.pk for c in self.tie_break_criteria()]


def _ratio(value: Fraction) -> tuple[int, int]:
    return value.numerator, value.denominator


def _add(num, den, n, d):
    """num/den + n/d as an unreduced (numerator, denominator), exact."""
    if den == d:
        return num + n, den
    common = den // gcd(den, d) * d
    return num * (common // den) + n * (common // d), common


def _units(num, den, places) -> int:
    """num/den (den > 0) in units of 10^-places, rounded half-up away from zero (四舍五入),
    exactly as ``engine.round_half_up``."""
    scaled = abs(num) * 10**places * 2 + den
    units = scaled // (2 * den)
    return units if num >= 0 else -units


def rounded(num, den, places) -> Decimal:
    """num/den rounded half-up to ``places`` decimals: ``engine.round_half_up`` on integers."""
    return Decimal(_units(num, den, places)).scaleb(-places)


def load_setup(zones) -> dict[int, ZoneSetup]:
    zones = list(zones.select_related("campaign"))
    campaign_ids = {z.campaign_id for z in zones}
    rules = {r.campaign_id: r for r in ScoringRules.objects.filter(campaign_id__in=campaign_ids)}
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
    for stage_id, criterion_id, zone_id, weight in CriterionWeight.objects.filter(
        criterion__zone__in=zones
    ).values_list("stage_id", "criterion_id", "criterion__zone_id", "weight"):
        setups[zone_id].weights.setdefault(stage_id, {})[criterion_id] = engine.exact(weight)
    return setups


class EntryResult:
    """An entry's exact results.

    ``stages``: stage id -> (score or None, complete, spread alert, {criterion id:
    percentage}) and ``final`` (None unless complete) are Fractions, made on demand from the
    integer ratios the computation keeps in ``ratios`` and ``final_ratio``."""

    __slots__ = (
        "project_id",
        "zone_id",
        "ratios",
        "final_ratio",
        "complete",
        "vetoed",
        "spread_alert",
        "tie_break",
    )

    def __init__(self, project_id, zone_id, ratios, final_ratio, complete, vetoed, spread, tie):
        self.project_id = project_id
        self.zone_id = zone_id
        self.ratios = ratios  # stage id -> ((num, den) | None, complete, spread, {c: (num, den)})
        self.final_ratio = final_ratio
        self.complete = complete
        self.vetoed = vetoed
        self.spread_alert = spread
        self.tie_break = tie  # final percentages of the tie-break criteria, 6 decimals, as str

    @property
    def stages(self) -> dict:
        return {
            stage_id: (
                None if score is None else Fraction(*score),
                complete,
                spread,
                {c: Fraction(*ratio) for c, ratio in per_criterion.items()},
            )
            for stage_id, (score, complete, spread, per_criterion) in self.ratios.items()
        }

    @property
    def final(self) -> Fraction | None:
        return None if self.final_ratio is None else Fraction(*self.final_ratio)

    def __repr__(self):
        return f"EntryResult({self.project_id}, final={self.final})"


def _cents(aggregate):
    """An aggregate of 2-decimal scores in integer hundredths (rounded: SQLite sums floats)."""
    return Cast(Round(aggregate * 100), BigIntegerField())


def compute_entries(setups, project_ids=None) -> list[EntryResult]:
    """The exact results of every entry of the zones in ``setups`` (or of ``project_ids``)."""
    return list(_computed(setups, project_ids))


def _computed(setups, project_ids):
    """``compute_entries``, one entry at a time as its scores arrive. The caller must not
    use the database connection before the generator is exhausted."""
    zone_ids = list(setups)
    entries = Project.objects.filter(zone_id__in=zone_ids, status__in=ENTRY_STATUSES)
    if project_ids is not None:
        entries = entries.filter(pk__in=project_ids)
    entries = list(entries.order_by("pk").values_list("pk", "zone_id"))
    ids = [pk for pk, _zone in entries]
    if project_ids is not None:
        scope = {"project_id__in": ids}
    elif _whole_campaigns(setups):
        # Every zone of the campaigns: their stages select the rows, no join needed.
        scope = {"stage_id__in": {s.pk for setup in setups.values() for s in setup.stages}}
    else:
        scope = {"project__zone_id__in": zone_ids}
    assigned = {
        row[:2]: row[2]
        for row in _rows(
            EvaluatorAssignment.objects.filter(**scope)
            .values("project_id", "stage_id")
            .annotate(n=Count("id"))
            .values_list("project_id", "stage_id", "n")
            .order_by()
        )
    }
    vetoes = Veto.objects.filter(confirmed_at__isnull=False)
    if project_ids is not None:
        vetoes = vetoes.filter(project_id__in=ids)
    else:
        vetoes = vetoes.filter(project__zone_id__in=zone_ids)
    vetoed = set(vetoes.values_list("project_id", flat=True))
    measured = _measurements(setups, entries)
    grouped = (
        Score.objects.filter(submitted=True, **scope)
        .values("project_id", "stage_id", "criterion_id")
        .annotate(
            n=Count("id"),
            total=_cents(Sum("value")),
            low=_cents(Min("value")),
            high=_cents(Max("value")),
        )
        .values_list("project_id", "stage_id", "criterion_id", "n", "total", "low", "high")
        .order_by("project_id", "stage_id", "criterion_id")
    )
    # Entries and groups both come in project order: each entry is computed as soon as its
    # groups have arrived, while the database is still aggregating the next ones.
    rows = _rows(grouped, stream=True)
    row = next(rows, None)
    for project_id, zone_id in entries:
        while row is not None and row[0] < project_id:  # not an entry
            row = next(rows, None)
        stats = {}
        while row is not None and row[0] == project_id:
            stats[row[1], row[2]] = row
            row = next(rows, None)
        yield _entry(setups[zone_id], project_id, stats, assigned, measured, project_id in vetoed)
    for _rest in rows:  # groups of projects after the last entry
        pass


def _rows(queryset, stream=False):
    """The rows of an integer-valued ``values_list`` as the driver returns them: for 100,000
    groups the ORM's per-value converters cost more than the query. With ``stream``, on
    PostgreSQL, the rows arrive in chunks (psycopg's ``stream``) and are used while the
    database produces the next ones; the query is still counted in ``connection.queries``
    (a query-count test sees the same queries on every database)."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        if stream and connection.vendor == "postgresql":
            logged = cursor.debug_sql(sql, params) if connection.queries_logged else nullcontext()
            with logged:
                yield from cursor.cursor.stream(sql, params, size=2000)
        else:
            cursor.execute(sql, params)
            yield from cursor.fetchall()


def _whole_campaigns(setups) -> bool:
    campaign_ids = {setup.zone.campaign_id for setup in setups.values()}
    return (
        not Zone.objects.filter(campaign_id__in=campaign_ids).exclude(pk__in=list(setups)).exists()
    )


def _entry(setup, project_id, stats, assigned, measured, vetoed) -> EntryResult:
    trim = setup.rules.trim_threshold
    tie_ids = setup.tie_break_ids
    tie = dict.fromkeys(tie_ids, (0, 1))
    ratios, complete_all, spread_any = {}, bool(setup.stages), False
    final_num, final_den = 0, 1
    for plan in setup.plan:
        stage_id = plan.stage_id
        expected = assigned.get((project_id, stage_id), 0)
        per_criterion, complete, spread = {}, expected > 0 or not plan.judgement, False
        # Σ share × numerator, and the count divisor shared by every criterion (0: mixed).
        weighted, divisor = 0, None
        # Without an evaluator assigned, no judgement score counts.
        for criterion_id, q, p, limit, share in plan.judgement if expected else ():
            row = stats.get((stage_id, criterion_id))
            if row is None or row[3] < expected:
                complete = False
                continue
            _project, _stage, _criterion, n, total, low, high = row
            # The aggregate is num / div hundredths; percentage = aggregate / max × 100.
            if n >= trim:  # 去掉一个最高分和一个最低分
                num, div = total - low - high, n - 2
            else:
                num, div = total, n
            per_criterion[criterion_id] = (num * q, div * p)
            weighted += share * num
            if divisor != div:
                divisor = div if divisor is None else 0
            if high - low > limit:
                spread = True
        for criterion_id in plan.measurement:
            value = measured.get((project_id, stage_id, criterion_id))
            per_criterion[criterion_id] = (0, 1) if value is None else _ratio(value)
        score = None
        if complete:
            if plan.common and divisor:
                p, q = plan.maximum
                num, den = weighted * q, plan.common * divisor * p
            else:
                num, den = 0, 1
                for criterion_id, a, b in plan.weights:
                    ratio = per_criterion.get(criterion_id)
                    if ratio is not None:
                        num, den = _add(num, den, a * ratio[0], b * ratio[1])
            score = (num, den)
            sa, sb = plan.weight
            # Stages usually share a denominator: then sums need no _add (hot loop).
            if sb * den == final_den:
                final_num += sa * num
            else:
                final_num, final_den = _add(final_num, final_den, sa * num, sb * den)
            for criterion_id in tie:
                ratio = per_criterion.get(criterion_id)
                if ratio is not None:
                    n, d = tie[criterion_id]
                    if d == sb * ratio[1]:
                        tie[criterion_id] = (n + sa * ratio[0], d)
                    else:
                        tie[criterion_id] = _add(n, d, sa * ratio[0], sb * ratio[1])
        ratios[stage_id] = (score, complete, spread, per_criterion)
        complete_all = complete_all and complete
        spread_any = spread_any or spread
    tie_break = [_fixed(*tie[c], 6) for c in tie_ids]
    final = (final_num, final_den) if complete_all else None
    return EntryResult(
        project_id, setup.zone.pk, ratios, final, complete_all, vetoed, spread_any, tie_break
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
    (``project_ids``), then re-rank their zones. Returns the number of entries computed.

    Projects in scope that are not entries (any more) lose their stored results, so they
    are not ranked. The zones' rows are locked first (``scoring.services.lock_zone``): two
    recomputes of a zone take turns, as each re-ranks the whole zone from the stored rows of
    the other entries and would otherwise write a stale copy of the other's rows back."""
    if zones is None:
        zones = Zone.objects.filter(projects__pk__in=project_ids).distinct()
    scope = None if project_ids is None else set(project_ids)
    with transaction.atomic():
        locked = Zone.objects.filter(pk__in=zones.values("pk")).order_by("pk")
        list(locked.select_for_update().values_list("pk", flat=True))
        setups = load_setup(zones)
        stages = _StageRows(list(setups), scope)
        entries = {}
        for entry in _computed(setups, project_ids):
            # Compared with the stored rows while the next scores arrive.
            stages.add(entry)
            entries[entry.project_id] = entry
        stages.write(entries)
        _store_finals(setups, entries, scope)
    return len(entries)


# Stage scores and criterion percentages are stored as they are shown: rounded half-up from
# the exact value to 2 decimals (SCORING.md rule 5). Rounding a stored 4-place value again
# could differ by 0.01 (86.104966… → 86.1050 → 86.11); the final score, ranks and tie-breaks
# are computed from the exact values, never from these.
SHOWN_PLACES = 2


def _fixed(num, den, places) -> str:
    """``str(rounded(num, den, places))``, for the places stored, without a Decimal."""
    units = _units(num, den, places)
    if units < 0:
        return str(rounded(num, den, places))
    scale = 10**places
    return f"{units // scale}.{units % scale:0{places}d}"


def _criteria_json(per_criterion, shown) -> str:
    """The stored per-criterion percentages (``SHOWN_PLACES`` decimals) as JSON text, keys
    in the order PostgreSQL's jsonb gives them back (shorter keys first: ascending ids) and in
    ``json.dumps``'s layout, so that a stored row is compared as text. ``shown`` caches
    the text of each ratio: a zone's percentages repeat a lot."""
    parts = []
    for criterion_id in sorted(per_criterion):
        ratio = per_criterion[criterion_id]
        text = shown.get(ratio)
        if text is None:
            text = shown[ratio] = _fixed(*ratio, SHOWN_PLACES)
        parts.append(f'"{criterion_id}": "{text}"')
    return "{" + ", ".join(parts) + "}"


def _tie_break_json(values) -> str:
    """``json.dumps`` of the tie-break values (decimal strings), as jsonb gives it back, so
    that a stored row is compared as text."""
    return "[" + ", ".join(f'"{v}"' for v in values) + "]"


class _StageRows:
    """The stage results to write: each entry's rows, compared with the stored ones."""

    FIELDS = ("score", "complete", "spread_alert", "criteria", "computed_at")

    def __init__(self, zone_ids, scope):
        stored = StageResult.objects.annotate(criteria_text=Cast("criteria", TextField()))
        if scope is None:
            stored = stored.filter(project__zone_id__in=zone_ids)
        else:
            stored = stored.filter(project_id__in=scope)
        self.stored = {
            (project_id, stage_id): (pk, (score, complete, spread, text))
            for pk, project_id, stage_id, score, complete, spread, text in stored.values_list(
                "pk", "project_id", "stage_id", "score", "complete", "spread_alert", "criteria_text"
            )
        }
        self.new, self.changed = [], []
        self.now, self.shown = timezone.now(), {}

    def add(self, entry):
        for stage_id, (score, complete, spread, per_criterion) in entry.ratios.items():
            row = (
                None if score is None else rounded(*score, SHOWN_PLACES),
                complete,
                spread,
                _criteria_json(per_criterion, self.shown),
            )
            old = self.stored.pop((entry.project_id, stage_id), None)
            if old is None:
                self.new.append((entry.project_id, stage_id, *row, self.now))
            elif old[1] != row:
                self.changed.append((entry.project_id, stage_id, *row, self.now))

    def write(self, computed):
        """Write the new and changed rows; drop the stored rows of projects in scope that
        are no longer entries (those left over once every entry was added)."""
        stale = [pk for (project, _s), (pk, _row) in self.stored.items() if project not in computed]
        if stale:
            StageResult.objects.filter(pk__in=stale).delete()
        _write(StageResult, ["project", "stage"], self.FIELDS, self.new, self.changed)


def _store_finals(setups, computed, scope) -> int:
    """Merge the ``computed`` entries (project id -> EntryResult) into the stored final
    results of their zones, rank and grade each zone, and write the rows that changed.
    Projects in ``scope`` (all projects of the zones when None) that are not entries lose
    their row. Returns the number of rows written."""
    stored = {
        row[0]: row
        for row in FinalResult.objects.filter(zone_id__in=list(setups))
        .annotate(tie_break_text=Cast("tie_break", TextField()))
        .values_list(
            "project_id",
            "zone_id",
            "score",
            "complete",
            "vetoed",
            "spread_alert",
            "tie_break_text",
            "rank",
            "grade",
        )
    }
    current = {}
    for project_id, row in stored.items():
        if scope is None or project_id in scope or project_id in computed:
            continue  # recomputed below, or no longer an entry
        current[project_id] = list(row)
    for project_id, entry in computed.items():
        final = None if entry.final_ratio is None else rounded(*entry.final_ratio, 2)
        current[project_id] = [
            project_id,
            entry.zone_id,
            final,
            entry.complete,
            entry.vetoed,
            entry.spread_alert,
            _tie_break_json(entry.tie_break),
            None,
            "",
        ]
    by_zone = defaultdict(list)
    for row in current.values():
        by_zone[row[1]].append(row)
    ties = {project_id: entry.tie_break for project_id, entry in computed.items()}
    for zone_id, rows in by_zone.items():
        _rank(setups[zone_id], rows, ties)
    stale = [p for p in stored if p not in current]
    if stale:
        FinalResult.objects.filter(project_id__in=stale).delete()
    now, new, changed = timezone.now(), [], []
    for row in current.values():
        old = stored.get(row[0])
        if old is None:
            new.append((*row, now))
        elif list(old) != row:
            changed.append((*row, now))
    fields = ["zone", "score", "complete", "vetoed", "spread_alert", "tie_break", "rank", "grade"]
    _write(FinalResult, ["project"], [*fields, "computed_at"], new, changed)
    return len(new) + len(changed)


def _rank(setup, rows, ties):
    """Set rank (index 7) and grade (index 8) of a zone's final rows (SCORING.md).

    Tie-break values are only needed between equal scores: they are read (from ``ties``,
    project id -> values as computed, or from the stored JSON) for those rows only."""
    ranked_rows = [row for row in rows if row[3] and row[2] is not None]
    shared = Counter(row[2] for row in ranked_rows) if setup.tie_break_ids else {}

    def tie_break(row):
        if shared.get(row[2], 0) < 2:
            return ()
        values = ties.get(row[0])
        return _tie_values(row[6]) if values is None else tuple(Decimal(v) for v in values)

    ranked = {
        r.key: r.rank
        for r in engine.competition_ranking((row[0], row[2], tie_break(row)) for row in ranked_rows)
    }
    bands = [(Decimal(str(lowest)), name) for lowest, name in setup.rules.grade_bands]
    failing = setup.rules.failing_grade
    for row in rows:
        row[7] = ranked.get(row[0])
        score, complete, vetoed = row[2], row[3], row[4]
        row[8] = (
            engine.grade_for(score if complete else None, vetoed, bands, failing)
            if bands or vetoed
            else ""
        )


def _tie_values(text) -> tuple:
    """The stored tie-break values, from their JSON text: split as ``_tie_break_json``
    writes it (and jsonb gives it back), parsed as JSON only if it is laid out otherwise."""
    if text == "[]":
        return ()
    try:
        return tuple(Decimal(v) for v in text[2:-2].split('", "'))
    except InvalidOperation:
        return tuple(Decimal(v) for v in json.loads(text))


def rank_zone(setup: ZoneSetup) -> int:
    """Rank the zone's complete entries and grade them; rewrite only what changed."""
    return _store_finals({setup.zone.pk: setup}, {}, set())


def _write(model, unique, fields, new, changed):
    """Write rows into ``model``'s table: ``new`` ones (none was stored when they were read)
    and ``changed`` ones, each a tuple of the ``unique`` then the other ``fields`` values,
    JSON as text.

    On PostgreSQL, from ``COPY_FROM_ROWS`` rows on, new rows are copied straight into the
    table (should another transaction have inserted one meanwhile, they are upserted
    instead) and changed rows are copied into a temporary table and update the stored ones
    in one statement: Django's ``bulk_create`` would spend seconds quoting arrays for tens
    of thousands of rows. Fewer rows, or another database, get one ``bulk_create`` upsert."""
    names = [*unique, *fields]
    postgresql = connection.vendor == "postgresql"
    if postgresql and len(new) >= COPY_FROM_ROWS:
        try:
            with transaction.atomic():
                _copy(model, names, new)
        except IntegrityError:
            _bulk_upsert(model, unique, fields, new)
        new = []
    if postgresql and len(changed) >= COPY_FROM_ROWS:
        _copy_update(model, unique, names, changed)
        changed = []
    if new or changed:
        _bulk_upsert(model, unique, fields, [*new, *changed])


def _copy(model, names, rows, table=None):
    quote = connection.ops.quote_name
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in names)
    sql = f"COPY {table or quote(model._meta.db_table)} ({columns}) FROM STDIN"
    with (
        connection.cursor() as cursor,
        connection.wrap_database_errors,
        cursor.cursor.copy(sql) as copy,
    ):
        for row in rows:
            copy.write_row(row)


def _copy_update(model, unique, names, rows):
    meta, quote = model._meta, connection.ops.quote_name
    fields = [meta.get_field(name) for name in names]
    columns = [quote(f.column) for f in fields]
    table, temporary = quote(meta.db_table), quote(f"update_{meta.db_table}")
    definition = ", ".join(
        f"{column} {f.db_type(connection)}" for column, f in zip(columns, fields, strict=True)
    )
    keys = " AND ".join(f"{table}.{c} = changed.{c}" for c in columns[: len(unique)])
    updates = ", ".join(f"{c} = changed.{c}" for c in columns[len(unique) :])
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE {temporary} ({definition}) ON COMMIT DROP")
        _copy(model, names, rows, table=temporary)
        cursor.execute(f"UPDATE {table} SET {updates} FROM {temporary} AS changed WHERE {keys}")
        cursor.execute(f"DROP TABLE {temporary}")


def _bulk_upsert(model, unique, fields, rows):
    model_fields = [model._meta.get_field(name) for name in [*unique, *fields]]
    is_json = [f.get_internal_type() == "JSONField" for f in model_fields]
    objects = [
        model(
            **{
                f.attname: json.loads(value) if json_text else value
                for f, json_text, value in zip(model_fields, is_json, row, strict=True)
            }
        )
        for row in rows
    ]
    model.objects.bulk_create(
        objects, batch_size=1000, update_conflicts=True, unique_fields=unique, update_fields=fields
    )
