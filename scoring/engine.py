"""The arithmetic of SCORING.md, exact until the end.

Everything here is a pure function on numbers: Fractions inside, Decimals rounded half-up
(四舍五入) to 2 places only for what is stored or shown. The services feed it from the
database; the skill contests use the same functions.
"""

from collections.abc import Iterable, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import NamedTuple


def exact(value) -> Fraction:
    """A Decimal, int or str as an exact Fraction (never through float)."""
    if isinstance(value, Fraction):
        return value
    return Fraction(Decimal(value))


def round_half_up(value, places: int = 2) -> Decimal:
    """Round an exact value half-up (四舍五入, away from zero): 91.005 → 91.01."""
    scaled = abs(exact(value)) * 10**places
    units = int(scaled + Fraction(1, 2))  # floor of a non-negative number
    sign = -1 if exact(value) < 0 else 1
    return (Decimal(sign * units) / 10**places).quantize(Decimal(1).scaleb(-places))


def aggregate_stats(count: int, total, low, high, trim_threshold: int) -> Fraction:
    """The aggregate of ``count`` scores from their sum, minimum and maximum: with at least
    ``trim_threshold`` scores the highest and lowest are dropped (去掉一个最高分和一个最低分)
    and the rest averaged; with fewer, the plain mean."""
    if count <= 0:
        raise ValueError("no scores to aggregate")
    if count >= trim_threshold:
        return (exact(total) - exact(low) - exact(high)) / (count - 2)
    return exact(total) / count


def aggregate(values: Sequence, trim_threshold: int) -> Fraction:
    """As :func:`aggregate_stats`, from the scores themselves."""
    exacts = [exact(v) for v in values]
    return aggregate_stats(len(exacts), sum(exacts), min(exacts), max(exacts), trim_threshold)


def trimmed_indices(values: Sequence, trim_threshold: int) -> set[int]:
    """Which of ``values`` the trimming drops (one highest, one lowest), for explanations."""
    if len(values) < trim_threshold:
        return set()
    exacts = [exact(v) for v in values]
    low = min(range(len(exacts)), key=lambda i: (exacts[i], i))
    high = max(range(len(exacts)), key=lambda i: (exacts[i], -i))
    return {low, high}


def percentage(aggregate_value: Fraction, max_score) -> Fraction:
    """Criterion percentage = aggregate / max_score × 100."""
    return aggregate_value / exact(max_score) * 100


def weighted_sum(values: dict, weights: dict) -> Fraction:
    """Σ weight × value over the keys of ``weights`` (stage score, final score, totals)."""
    return sum((exact(weights[key]) * values[key] for key in weights), Fraction(0))


def spread_too_wide(low, high, max_score, threshold_percent) -> bool:
    """Highest and lowest evaluator scores differ by more than the threshold share of max."""
    return exact(high) - exact(low) > exact(max_score) * exact(threshold_percent) / 100


def grade_for(score: Decimal | None, vetoed: bool, bands: Iterable, failing: str) -> str:
    """The grade band of a rounded final score; a vetoed entry always gets ``failing``."""
    if vetoed:
        return failing
    if score is None:
        return ""
    for lowest, name in bands:  # highest band first; limits as stored (str) or Decimal
        if score >= (lowest if isinstance(lowest, Decimal) else Decimal(str(lowest))):
            return name
    return ""


class Ranked(NamedTuple):
    key: object
    rank: int


def competition_ranking(entries: Iterable[tuple[object, Decimal, tuple]]) -> list[Ranked]:
    """Standard competition ranking (1, 2, 2, 4) of (key, rounded score, tie-break values).

    Higher scores rank first; equal scores are ordered by the tie-break values in turn
    (higher first) and still share a rank where all of them are equal.
    """
    ordered = sorted(entries, key=lambda e: (e[1], e[2]), reverse=True)
    ranked, previous, rank = [], None, 0
    for position, (key, score, tie_break) in enumerate(ordered, start=1):
        if (score, tie_break) != previous:
            rank, previous = position, (score, tie_break)
        ranked.append(Ranked(key, rank))
    return ranked
