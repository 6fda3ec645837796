"""The explanation of every number of a skill contest entry (how its result came about).

:func:`build` is pure: it takes the output of :func:`services.heat_results` for the entry's
heat, the entry's component scores and the heat's judges, and lays out what the stored row
leaves out: every mark (judges anonymised as "Judge 1, 2 …" unless ``names``; an imported
theory score as "Imported"), the ones the trimming struck out, the aggregates, weights and
contributions, the exact total and its half-up rounding, the tie-break that decided the rank
against the entries with the same rounded total, the advancement rule and, in the last tier,
the prize rule. The decisions themselves (rank, who advances, which prize) are those of
:func:`services.heat_results`, :func:`services.advancing` and :func:`services.award_prizes`;
for a locked heat the stored values on the entry are shown, and a difference between them and
the recomputation is flagged. :func:`explain` loads the data and calls :func:`build`.
"""

import math
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from django.utils.translation import gettext as _

from scoring import engine
from scoring.explain import show

from . import services
from .models import ComponentScore, HeatEntry, HeatJudge

THEORY = ComponentScore.Component.THEORY
PRACTICAL = ComponentScore.Component.PRACTICAL
COMPONENTS = (THEORY, PRACTICAL)

__all__ = ["Explanation", "build", "explain", "show"]


@dataclass
class Mark:
    label: str
    value: Decimal
    imported: bool = False
    trimmed: bool = False


@dataclass
class ComponentLine:
    key: str
    label: str
    weight: Fraction
    marks: list = field(default_factory=list)
    aggregate: Fraction | None = None

    @property
    def trims(self) -> bool:
        return any(m.trimmed for m in self.marks)

    @property
    def rounded(self) -> Decimal | None:
        return None if self.aggregate is None else engine.round_half_up(self.aggregate)

    @property
    def contribution(self) -> Fraction | None:
        return None if self.aggregate is None else self.weight * self.aggregate

    @property
    def shown(self) -> dict:
        return {
            "weight": show(self.weight),
            "aggregate": show(self.aggregate),
            "contribution": show(self.contribution),
        }


@dataclass
class TieLine:
    """This entry against another with the same rounded total: the first link of the
    event's chain where they differ (``key`` None: equal on all, a shared rank)."""

    other: object  # HeatResult
    key: str | None
    label: str
    mine: str = ""
    theirs: str = ""
    ahead: bool = False


@dataclass
class Advancement:
    rule: str | None  # "count", "percent" or None (nobody advances)
    count: int | None
    percent: Decimal | None
    field_size: int
    exact_places: Fraction | None  # percent × field ÷ 100
    places: int
    cut_off: int | None
    advancing: int  # how many advance, ties at the cut-off included
    advanced: bool

    @property
    def shown_exact(self) -> str:
        return show(self.exact_places)

    @property
    def shown_percent(self) -> str:
        return "" if self.percent is None else f"{show(self.percent)}%"

    @property
    def ties_beyond(self) -> int:
        return max(self.advancing - self.places, 0)


@dataclass
class PrizeLine:
    name: str
    share: Fraction
    exact: Fraction  # share × finalists ÷ 100
    floor: int
    count: int
    first_place: int | None
    last_place: int | None
    won: bool

    finalists: int = 0

    @property
    def capped(self) -> bool:
        """Fewer places than the share gives (at least one): the better prizes took them."""
        return self.share > 0 and self.count < max(self.floor, 1)

    @property
    def shown(self) -> dict:
        return {
            "share": f"{show(self.share)}%",
            "formula": f"{show(self.share)}% × {self.finalists} = {show(self.exact)}",
        }


@dataclass
class Explanation:
    entry: HeatEntry
    locked: bool
    names: bool
    trim_threshold: int
    components: list
    total: Fraction | None
    rounded: Decimal | None
    rank: int | None
    ties: list
    chain: list  # (key, label) of the event's tie-break chain
    advancement: Advancement | None
    last_tier: bool
    finalists: int
    prizes: list
    prize: str
    advanced: bool
    mismatches: list = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.total is not None

    @property
    def arithmetic(self) -> str:
        terms = [f"{show(c.weight)} × {show(c.aggregate)}" for c in self.components]
        return " + ".join(terms) + f" = {show(self.total)} → {self.rounded}"

    @property
    def shared(self) -> bool:
        return any(t.key is None for t in self.ties)


def chain_labels() -> dict:
    return {
        PRACTICAL: _("higher practical score"),
        "time": _("shorter completion time"),
        THEORY: _("higher theory score"),
    }


def component_labels() -> dict:
    return {THEORY: _("Theory"), PRACTICAL: _("Practical")}


def _judge_labels(scores, judges, names: bool) -> dict:
    """Judge id → label: numbered 1, 2 … in the order the judges were assigned to the heat
    (judges with marks but no longer assigned after them), the same number for a judge of
    both components; by name for the staff who run the event."""
    order = []
    for judge_id in [j.judge_id for j in judges] + [s.judge_id for s in scores]:
        if judge_id is not None and judge_id not in order:
            order.append(judge_id)
    users = {j.judge_id: j.judge for j in judges} | {
        s.judge_id: s.judge for s in scores if s.judge_id
    }
    labels = {}
    for number, judge_id in enumerate(order, start=1):
        user = users.get(judge_id)
        if names and user is not None:
            labels[judge_id] = user.display_name or user.username
        else:
            labels[judge_id] = _("Judge %(n)d") % {"n": number}
    return labels


def _tie_line(event, mine, other, labels) -> TieLine:
    for key in event.tie_break:
        if key == "time":
            a, b = mine.entry.time_key, other.entry.time_key
            shown = mine.entry.completion_time or "—", other.entry.completion_time or "—"
        else:
            a = mine.practical if key == PRACTICAL else mine.theory
            b = other.practical if key == PRACTICAL else other.theory
            shown = show(a), show(b)
        if a != b:
            return TieLine(other, key, labels.get(key, key), shown[0], shown[1], a > b)
    return TieLine(other, None, _("equal on every link"))


def _places(tier, field_size: int) -> tuple[str | None, Fraction | None, int]:
    """The number of places of :func:`services.advancing`, with the exact share it came from."""
    if tier.advance_count is not None:
        return "count", None, min(tier.advance_count, field_size)
    if tier.advance_percent is not None:
        exact = engine.exact(tier.advance_percent) * field_size / 100
        places = math.floor(exact)
        if tier.advance_percent > 0:
            places = max(places, 1)
        return "percent", exact, min(places, field_size)
    return None, None, 0


def build(
    entry: HeatEntry,
    results: list,
    scores: list,
    judges: list,
    *,
    last_tier: bool,
    names: bool,
) -> Explanation:
    """Explain ``entry`` from its heat's :func:`services.heat_results` (``results``), its
    :class:`ComponentScore` rows (``scores``, judges loaded) and the heat's
    :class:`HeatJudge` rows (``judges``, in assignment order). ``last_tier``: the heat's
    tier is the event's last (prizes); ``names``: name the judges (staff who run the event)."""
    heat = entry.heat
    tier = heat.tier
    event = tier.event
    locked = heat.locked_at is not None
    row = next(r for r in results if r.entry.pk == entry.pk)
    ranked = [r for r in results if r.rank is not None]

    judge_labels = _judge_labels(scores, judges, names)
    position = {judge_id: index for index, judge_id in enumerate(judge_labels)}
    titles = component_labels()
    weights = {THEORY: engine.exact(event.theory_weight)}
    weights[PRACTICAL] = 1 - weights[THEORY]
    components = []
    for key in COMPONENTS:
        line = ComponentLine(key, titles[key], weights[key])
        given = sorted(
            (s for s in scores if s.component == key),
            key=lambda s: (0, 0) if s.judge_id is None else (1, position[s.judge_id]),
        )
        for score in given:
            if score.judge_id is None:
                line.marks.append(Mark(_("Imported"), score.value, imported=True))
            else:
                line.marks.append(Mark(judge_labels[score.judge_id], score.value))
        if line.marks:
            values = [m.value for m in line.marks]
            for index in engine.trimmed_indices(values, event.trim_threshold):
                line.marks[index].trimmed = True
            line.aggregate = engine.aggregate(values, event.trim_threshold)
        components.append(line)

    tie_labels = chain_labels()
    ties = []
    if row.rank is not None:
        ties = [
            _tie_line(event, row, other, tie_labels)
            for other in ranked
            if other.entry.pk != entry.pk and other.total_rounded == row.total_rounded
        ]

    going = {e.pk for e in services.advancing(heat, results)}
    advancement = None
    rule, exact_places, places = _places(tier, len(ranked))
    if rule is not None or not last_tier:
        cut_off = ranked[places - 1].rank if places else None
        advancement = Advancement(
            rule=rule,
            count=tier.advance_count,
            percent=tier.advance_percent,
            field_size=len(ranked),
            exact_places=exact_places,
            places=places,
            cut_off=cut_off,
            advancing=len(going),
            advanced=entry.pk in going,
        )

    prizes, prize = [], ""
    if last_tier:
        awards = {a.entry.pk: a.prize for a in services.award_prizes(heat, results)}
        prize = awards.get(entry.pk, "")
        place = 0
        counts = services.prize_counts(len(ranked), event.prize_shares)
        for (name, share), (_name, count) in zip(event.prize_shares, counts, strict=True):
            share = engine.exact(share)
            exact = share * len(ranked) / 100
            first, last = (place + 1, place + count) if count else (None, None)
            place += count
            prizes.append(
                PrizeLine(
                    name,
                    share,
                    exact,
                    math.floor(exact),
                    count,
                    first,
                    last,
                    prize == name,
                    len(ranked),
                )
            )

    explained = Explanation(
        entry=entry,
        locked=locked,
        names=names,
        trim_threshold=event.trim_threshold,
        components=components,
        total=row.total,
        rounded=row.total_rounded,
        rank=row.rank,
        ties=ties,
        chain=[(key, tie_labels.get(key, key)) for key in event.tie_break],
        advancement=advancement,
        last_tier=last_tier,
        finalists=len(ranked),
        prizes=prizes,
        prize=prize,
        advanced=entry.pk in going,
    )
    if locked:
        explained.mismatches = _mismatches(entry, row, explained)
        # What the board shows is what was stored at the lock.
        explained.rank = entry.rank
        explained.advanced = entry.advanced
        explained.prize = entry.prize
        if explained.advancement is not None:
            explained.advancement.advanced = entry.advanced
        for line in explained.prizes:
            line.won = line.name == entry.prize
    return explained


def _mismatches(entry: HeatEntry, row, explained: Explanation) -> list[str]:
    """The stored values of a locked entry that differ from the recomputation (none unless
    the rules or scores were changed behind the lock)."""

    def rounded(value):
        return None if value is None else engine.round_half_up(value)

    checks = [
        (_("Theory"), entry.theory, rounded(row.theory)),
        (_("Practical"), entry.practical, rounded(row.practical)),
        (_("Total score"), entry.total, row.total_rounded),
        (_("Rank"), entry.rank, row.rank),
        (_("Advanced"), entry.advanced, explained.advanced),
        (_("Prize"), entry.prize, explained.prize),
    ]
    return [label for label, stored, computed in checks if stored != computed]


def explain(entry: HeatEntry, *, names: bool) -> Explanation:
    """Load what :func:`build` needs for ``entry`` (its heat, tier and event loaded)."""
    heat = entry.heat
    results = services.heat_results(heat)
    scores = list(ComponentScore.objects.filter(entry=entry).select_related("judge").order_by("pk"))
    judges = list(HeatJudge.objects.filter(heat=heat).select_related("judge").order_by("pk"))
    last_tier = services.next_tier(heat.tier) is None
    return build(entry, results, scores, judges, last_tier=last_tier, names=names)
