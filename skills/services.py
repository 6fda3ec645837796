"""Results, advancement and prizes of skill contests (SCORING.md, "Skill contests").

All arithmetic goes through :mod:`scoring.engine`: exact Fractions until the total is rounded
half-up to 2 places for ranking and display.
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from django.db.models import Count, F, QuerySet

from scoring import engine

from .models import ComponentScore, Heat, HeatEntry, SkillEvent

THEORY = ComponentScore.Component.THEORY
PRACTICAL = ComponentScore.Component.PRACTICAL


@dataclass(frozen=True)
class HeatResult:
    """One entry's result in a heat; the scores and rank are None until both components have
    at least one score."""

    entry: HeatEntry
    theory: Fraction | None
    practical: Fraction | None
    total: Fraction | None
    total_rounded: Decimal | None
    rank: int | None


@dataclass(frozen=True)
class Award:
    entry: HeatEntry
    rank: int
    prize: str


def _tie_break_values(event: SkillEvent, entry: HeatEntry, theory, practical) -> tuple:
    values = []
    for key in event.tie_break:
        if key == "practical":
            values.append(practical)
        elif key == "theory":
            values.append(theory)
        elif key == "time":
            # Higher ranks first, so a shorter time must compare higher; a missing time
            # compares lower than any recorded one.
            seconds = entry.completion_seconds
            values.append((0, 0) if seconds is None else (1, -seconds))
        else:
            raise ValueError(f"unknown tie-break criterion {key!r} in event {event.pk}")
    return tuple(values)


def heat_results(heat: Heat) -> list[HeatResult]:
    """The results of a heat in rank order.

    Guarantees: each component is the :func:`engine.aggregate` of its judges' scores with the
    event's ``trim_threshold``; total = theory_weight × theory + (1 − theory_weight) ×
    practical, exact, and rounded half-up to 2 places; ranks are standard competition ranks
    (1, 2, 2, 4) on the rounded total and then the event's tie-break chain ("practical":
    higher practical score, "time": shorter completion time, a missing time last, "theory":
    higher theory score); entries equal on all of them share a rank. Entries still lacking a
    theory or practical score come last, by station number, with no scores and no rank.
    An unknown tie-break criterion raises ValueError.
    """
    event = heat.tier.event
    entries = heat.entries.select_related("contestant__person", "contestant__unit").order_by(
        "station_number"
    )
    values = defaultdict(lambda: defaultdict(list))
    for entry_id, component, value in ComponentScore.objects.filter(entry__heat=heat).values_list(
        "entry_id", "component", "value"
    ):
        values[entry_id][component].append(value)

    weights = {THEORY: event.theory_weight, PRACTICAL: event.practical_weight}
    scored, unscored, to_rank = {}, [], []
    for entry in entries:
        by_component = values[entry.pk]
        if not (by_component[THEORY] and by_component[PRACTICAL]):
            unscored.append(HeatResult(entry, None, None, None, None, None))
            continue
        components = {
            component: engine.aggregate(by_component[component], event.trim_threshold)
            for component in (THEORY, PRACTICAL)
        }
        total = engine.weighted_sum(components, weights)
        rounded = engine.round_half_up(total)
        scored[entry.pk] = (entry, components, total, rounded)
        to_rank.append(
            (
                entry.pk,
                rounded,
                _tie_break_values(event, entry, components[THEORY], components[PRACTICAL]),
            )
        )

    results = []
    for key, rank in engine.competition_ranking(to_rank):
        entry, components, total, rounded = scored[key]
        results.append(
            HeatResult(entry, components[THEORY], components[PRACTICAL], total, rounded, rank)
        )
    return results + unscored


def _ranked(heat: Heat) -> list[HeatResult]:
    return [row for row in heat_results(heat) if row.rank is not None]


def advancing(heat: Heat) -> list[HeatEntry]:
    """The entries of a heat that advance to the next tier, in rank order.

    Guarantees: the number of places is the tier's ``advance_count`` (capped at the field), or
    ``advance_percent`` % of the field rounded down but at least one when the percentage is
    above zero; the field is the ranked entries (both components scored). Ties at the cut-off
    all advance: every entry whose rank is at most the rank of the last place advances, so
    more entries than places may advance. A tier with neither setting advances nobody.
    """
    tier = heat.tier
    ranked = _ranked(heat)
    field = len(ranked)
    if tier.advance_count is not None:
        places = min(tier.advance_count, field)
    elif tier.advance_percent is not None:
        places = int(engine.exact(tier.advance_percent) * field / 100)
        if tier.advance_percent > 0:
            places = max(places, 1)
        places = min(places, field)
    else:
        places = 0
    if places == 0:
        return []
    cut_off = ranked[places - 1].rank
    return [row.entry for row in ranked if row.rank <= cut_off]


def prize_counts(finalist_count: int, shares) -> list[tuple[str, int]]:
    """How many of each prize ``finalist_count`` finalists earn, best prize first.

    Guarantees: each count is share % × finalists rounded down, at least one where the share is
    non-zero (SCORING.md); a prize never takes more places than the finalists left after the
    better prizes, so the counts never add up to more than the field. ``shares`` is a list of
    (prize name, percent) with the percent as str, int or Decimal.
    """
    counts, left = [], finalist_count
    for name, share in shares:
        share = engine.exact(share)
        count = int(share * finalist_count / 100)
        if share > 0:
            count = max(count, 1)
        count = min(count, left)
        counts.append((name, count))
        left -= count
    return counts


def award_prizes(heat: Heat) -> list[Award]:
    """The prize winners of a (final) heat in rank order, by the event's ``prize_shares``.

    Guarantees: the counts come from :func:`prize_counts` over the ranked entries, and the
    prizes fill places 1, 2, 3 … in rank order: with ``c1, c2 …`` the counts, the first prize
    takes places 1…c1, the second the next c2 places, and so on. An entry gets the best prize
    whose last place is at or after its rank, so entries tied at a boundary all get the better
    prize (and take places from the next prize down, as ranks 1, 2, 2, 4 skip place 3). Entries
    ranked beyond the last prize place get nothing and are not listed. Nothing is stored.
    """
    ranked = _ranked(heat)
    limits, last_place = [], 0
    for name, count in prize_counts(len(ranked), heat.tier.event.prize_shares):
        last_place += count
        if count:
            limits.append((last_place, name))
    awards = []
    for row in ranked:
        prize = next((name for limit, name in limits if row.rank <= limit), None)
        if prize is None:
            break  # rows are in rank order: nobody further down wins a prize
        awards.append(Award(row.entry, row.rank, prize))
    return awards


def flag_small_events(campaign) -> QuerySet[SkillEvent]:
    """The campaign's events with fewer registered contestants than their ``min_field_size``,
    each annotated with ``contestant_count``."""
    return (
        SkillEvent.objects.filter(campaign=campaign)
        .annotate(contestant_count=Count("contestants"))
        .filter(contestant_count__lt=F("min_field_size"))
        .order_by("trade")
    )
