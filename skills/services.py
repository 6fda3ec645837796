"""Results, advancement and prizes of skill contests (SCORING.md, "Skill contests").

All arithmetic goes through :mod:`scoring.engine`: exact Fractions until the total is rounded
half-up to 2 places for ranking and display.
"""

import secrets
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, OuterRef, QuerySet, Subquery
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from competitions import queries as competition_queries
from competitions.models import Person
from scoring import engine
from scoring.services import require_staff_of

from .models import (
    ComponentScore,
    Contestant,
    Heat,
    HeatEntry,
    HeatJudge,
    HeatLogEntry,
    SkillEvent,
    Tier,
)

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
            values.append(entry.time_key)
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


def _ranked(heat: Heat, results=None) -> list[HeatResult]:
    if results is None:
        results = heat_results(heat)
    return [row for row in results if row.rank is not None]


def advancing(heat: Heat, results: list[HeatResult] | None = None) -> list[HeatEntry]:
    """The entries of a heat that advance to the next tier, in rank order.

    Guarantees: the number of places is the tier's ``advance_count`` (capped at the field), or
    ``advance_percent`` % of the field rounded down but at least one when the percentage is
    above zero; the field is the ranked entries (both components scored). Ties at the cut-off
    all advance: every entry whose rank is at most the rank of the last place advances, so
    more entries than places may advance. A tier with neither setting advances nobody.
    """
    tier = heat.tier
    ranked = _ranked(heat, results)
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


def award_prizes(heat: Heat, results: list[HeatResult] | None = None) -> list[Award]:
    """The prize winners of a (final) heat in rank order, by the event's ``prize_shares``.

    Guarantees: the counts come from :func:`prize_counts` over the ranked entries, and the
    prizes fill places 1, 2, 3 … in rank order: with ``c1, c2 …`` the counts, the first prize
    takes places 1…c1, the second the next c2 places, and so on. An entry gets the best prize
    whose last place is at or after its rank, so entries tied at a boundary all get the better
    prize (and take places from the next prize down, as ranks 1, 2, 2, 4 skip place 3). Entries
    ranked beyond the last prize place get nothing and are not listed. Nothing is stored.
    """
    ranked = _ranked(heat, results)
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


# --- Running a contest: registration, heats, judging, locking --------------------------------


def require_event_staff(event: SkillEvent, user) -> None:
    """Only the competition office of the event's campaign (or a superuser) runs its heats."""
    require_staff_of(event.campaign, user)


def _parse_score(raw) -> Decimal:
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError) as error:
        raise ValidationError(_("Enter a number.")) from error
    if not value.is_finite() or value < 0 or value > 100:
        raise ValidationError(_("Enter a score from 0 to 100."))
    if value.as_tuple().exponent < -2:
        raise ValidationError(_("Scores have at most 2 decimals."))
    return value


def _lock_heat_row(heat: Heat) -> Heat:
    """Lock the heat's row for the transaction: saves, time records, locks and unlocks of one
    heat happen one after another, and a save never lands in a locked heat."""
    return Heat.objects.select_for_update().get(pk=heat.pk)


def _refuse_locked(heat: Heat) -> None:
    if heat.locked_at is not None:
        raise ValidationError(_("This heat is locked; its scores can no longer change."))


def check_registration_open(event: SkillEvent) -> None:
    """Contestants register only for a skill contest that is not closed (ValidationError)."""
    campaign = event.campaign
    if campaign.kind != campaign.Kind.SKILL:
        raise ValidationError(_("Contestants register only for skill contests."))
    if campaign.status == campaign.Status.CLOSED:
        raise ValidationError(_("This campaign is closed."))


def register(event: SkillEvent, person, user) -> Contestant:
    """Register ``person`` for ``event`` on behalf of their unit.

    Guarantees: a unit liaison registers only people of their own unit; staff register anyone
    of a unit in their scope; the campaign is a skill contest that is not closed; a person is
    registered once per event (ValidationError otherwise). The contestant competes for the
    person's unit.
    """
    role = competition_queries.user_role(user)
    if role == "unit":
        if person.unit_id != user.unit_id:
            raise PermissionDenied(_("A unit registers only its own people."))
    elif role in ("organiser", "superuser"):
        require_event_staff(event, user)
        if not competition_queries.people_for_user(user).filter(pk=person.pk).exists():
            raise PermissionDenied(_("This person is outside your scope."))
    else:
        raise PermissionDenied(_("Only units and the competition office register contestants."))
    check_registration_open(event)
    already = ValidationError(
        _("%(person)s is already registered for %(event)s.") % {"person": person, "event": event}
    )
    if Contestant.objects.filter(event=event, person=person).exists():
        raise already
    try:
        with transaction.atomic():
            return Contestant.objects.create(event=event, person=person, unit_id=person.unit_id)
    except IntegrityError:
        # Registered at the same moment by another request (a form sent twice).
        raise already from None


def register_new_worker(event: SkillEvent, user, name: str, job_title: str = "") -> Contestant:
    """A unit liaison adds a worker of their unit by name and registers them, together or not
    at all (same rules as :func:`register`); the worker is a front-line worker of the event's
    trade. A name the unit has registered for the event already is refused, so a form sent
    twice adds one worker."""
    if competition_queries.user_role(user) != "unit":
        raise PermissionDenied(_("A unit registers only its own people."))
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("Choose a worker of your unit or give a new worker's name."))
    with transaction.atomic():
        # The event's row lock makes the same form sent twice at once take turns, so the
        # second finds the first's worker instead of adding a namesake.
        SkillEvent.objects.select_for_update(of=("self",)).get(pk=event.pk)
        if Contestant.objects.filter(event=event, unit_id=user.unit_id, person__name=name).exists():
            raise ValidationError(
                _("%(person)s of your unit is already registered for %(event)s.")
                % {"person": name, "event": event}
            )
        person = Person.objects.create(
            unit_id=user.unit_id,
            name=name,
            trade=event.trade,
            job_title=(job_title or "").strip(),
            is_front_line=True,
        )
        return register(event, person, user)


def _next_station_numbers(heat: Heat, count: int) -> list[str]:
    """``count`` station numbers after the highest numeric one of the heat: 01, 02 …"""
    taken = heat.entries.values_list("station_number", flat=True)
    highest = max((int(n) for n in taken if n.isascii() and n.isdigit()), default=0)
    return [f"{number:02d}" for number in range(highest + 1, highest + 1 + count)]


def _enter(heat: Heat, contestants) -> list[HeatEntry]:
    """Put contestants into a heat with the next station numbers; those already in it are
    skipped."""
    present = set(heat.entries.values_list("contestant_id", flat=True))
    new = [c for c in contestants if c.pk not in present]
    numbers = _next_station_numbers(heat, len(new))
    return HeatEntry.objects.bulk_create(
        HeatEntry(heat=heat, contestant=contestant, station_number=number)
        for contestant, number in zip(new, numbers, strict=True)
    )


def enter_contestants(heat: Heat, contestants, user) -> list[HeatEntry]:
    """Staff put registered contestants of the heat's event into the heat.

    Guarantees: staff of the campaign only; the heat is not locked; every contestant belongs
    to the heat's event and is not yet in another heat of the same tier; each gets the next
    free station number (01, 02 …). All or nothing.
    """
    event = heat.tier.event
    require_event_staff(event, user)
    contestants = list(contestants)
    if any(c.event_id != event.pk for c in contestants):
        raise ValidationError(_("A contestant of another event cannot enter this heat."))
    with transaction.atomic():
        # The tier's row lock serialises entering across its heats: one heat per tier.
        Tier.objects.select_for_update().get(pk=heat.tier_id)
        heat = _lock_heat_row(heat)
        _refuse_locked(heat)
        elsewhere = (
            HeatEntry.objects.filter(heat__tier_id=heat.tier_id, contestant__in=contestants)
            .exclude(heat=heat)
            .select_related("contestant__person", "heat")
        )
        if clash := list(elsewhere):
            raise ValidationError(
                _("Already in another heat of this tier: %(names)s.")
                % {"names": "、".join(f"{e.contestant} ({e.heat})" for e in clash)}
            )
        return _enter(heat, contestants)


def remove_entry(entry: HeatEntry, user) -> None:
    """Staff take a contestant out of a heat that is not locked and has no score for them."""
    require_event_staff(entry.heat.tier.event, user)
    with transaction.atomic():
        heat = _lock_heat_row(entry.heat)
        _refuse_locked(heat)
        if entry.scores.exists():
            raise ValidationError(_("This contestant already has scores in this heat."))
        entry.delete()


def draw_station_numbers(heat: Heat, user, rng=None) -> None:
    """Draw lots (抽签) for the station numbers: entries get 01 … n in a random order.

    Refused once the heat has any score or is locked, so marks stay with their station.
    """
    require_event_staff(heat.tier.event, user)
    rng = rng or secrets.SystemRandom()
    with transaction.atomic():
        heat = _lock_heat_row(heat)
        _refuse_locked(heat)
        if ComponentScore.objects.filter(entry__heat=heat).exists():
            raise ValidationError(_("Judging has started; the stations can no longer be drawn."))
        entries = list(heat.entries.all())
        rng.shuffle(entries)
        # Two passes keep the per-heat unique constraint satisfied while numbers move.
        for entry in entries:
            entry.station_number = f"~{entry.pk}"
        HeatEntry.objects.bulk_update(entries, ["station_number"])
        for number, entry in enumerate(entries, start=1):
            entry.station_number = f"{number:02d}"
        HeatEntry.objects.bulk_update(entries, ["station_number"])


def judged_components(heat: Heat, user) -> list[str]:
    """The components ``user`` judges in ``heat``."""
    return list(HeatJudge.objects.filter(heat=heat, judge=user).values_list("component", flat=True))


def save_marks(heat: Heat, user, component: str, values: dict) -> int:
    """A judge saves their marks of one component for entries of the heat, by entry.

    ``values`` maps entries (or their ids) to a score 0–100 with at most 2 decimals, or to
    None/"" to clear a mark. Guarantees: only a judge of that component in this heat; the heat
    is not locked; every entry belongs to the heat; all marks are written together or, with
    any error, none (ValidationError with a message per station). Returns the number of
    marks now held by the judge for the heat's entries.
    """
    if component not in judged_components(heat, user):
        raise PermissionDenied(_("You do not judge this component of this heat."))
    entries = {e.pk: e for e in heat.entries.all()}
    errors, clean, cleared = {}, {}, []
    for key, raw in values.items():
        entry = entries.get(getattr(key, "pk", key))
        if entry is None:
            raise ValidationError(_("This contestant is not in this heat."))
        if raw is None or str(raw).strip() == "":
            cleared.append(entry.pk)
            continue
        try:
            clean[entry.pk] = _parse_score(raw)
        except ValidationError as error:
            errors[entry.station_number] = error.messages
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        heat = _lock_heat_row(heat)
        _refuse_locked(heat)
        mine = ComponentScore.objects.filter(entry__heat=heat, component=component, judge=user)
        mine.filter(entry_id__in=cleared).delete()
        existing = {s.entry_id: s for s in mine.filter(entry_id__in=clean)}
        changed = []
        for entry_id, value in clean.items():
            score = existing.get(entry_id)
            if score is not None and score.value != value:
                score.value = value
                changed.append(score)
        ComponentScore.objects.bulk_update(changed, ["value"])
        ComponentScore.objects.bulk_create(
            ComponentScore(entry_id=entry_id, component=component, judge=user, value=value)
            for entry_id, value in clean.items()
            if entry_id not in existing
        )
        return mine.count()


# No heat lasts a day; a bigger number is a typing error (and would overflow the column).
MAX_COMPLETION_SECONDS = 24 * 60 * 60


def record_times(heat: Heat, user, seconds: dict) -> None:
    """Staff record completion times (seconds, or None to clear) by entry; not once locked."""
    require_event_staff(heat.tier.event, user)
    entries = {e.pk: e for e in heat.entries.all()}
    changed = []
    for key, value in seconds.items():
        entry = entries.get(getattr(key, "pk", key))
        if entry is None:
            raise ValidationError(_("This contestant is not in this heat."))
        if value is not None and (type(value) is not int or value < 0):
            raise ValidationError(_("A completion time is a whole number of seconds."))
        if value is not None and value > MAX_COMPLETION_SECONDS:
            raise ValidationError(_("A completion time is at most 24 hours."))
        if entry.completion_seconds != value:
            entry.completion_seconds = value
            changed.append(entry)
    with transaction.atomic():
        heat = _lock_heat_row(heat)
        _refuse_locked(heat)
        HeatEntry.objects.bulk_update(changed, ["completion_seconds"])


def import_theory(heat: Heat, user, rows) -> int:
    """Import the heat's theory exam scores from (station number, score) rows.

    Guarantees: staff only; the heat is not locked and has no theory judges (their marks and
    an exam sheet would be mixed); every station number exists in the heat and appears once;
    every score is 0–100 with at most 2 decimals. Errors name the sheet row (``rows`` yields
    (row number, station, score)); with any error nothing is saved. Imported scores replace
    earlier imported ones. Returns the number of scores imported.
    """
    require_event_staff(heat.tier.event, user)
    if HeatJudge.objects.filter(heat=heat, component=THEORY).exists():
        raise ValidationError(_("The theory of this heat is marked by judges, not imported."))
    by_station = {e.station_number: e for e in heat.entries.all()}
    errors, clean, seen = [], {}, set()
    for row_number, station, raw in rows:
        station = str(station or "").strip()
        where = _("Row %(row)s") % {"row": row_number}
        entry = by_station.get(station)
        if entry is None:
            errors.append(
                f"{where}: " + _("no station %(station)s in this heat.") % {"station": station}
            )
            continue
        if station in seen:
            errors.append(
                f"{where}: " + _("station %(station)s appears twice.") % {"station": station}
            )
            continue
        seen.add(station)
        try:
            clean[entry.pk] = _parse_score(raw)
        except ValidationError as error:
            errors.append(f"{where}: " + " ".join(error.messages))
    if errors:
        raise ValidationError(errors)
    if not clean:
        raise ValidationError(_("The sheet holds no scores."))
    with transaction.atomic():
        heat = _lock_heat_row(heat)
        _refuse_locked(heat)
        ComponentScore.objects.filter(
            entry__heat=heat, entry_id__in=clean, component=THEORY, judge__isnull=True
        ).delete()
        ComponentScore.objects.bulk_create(
            ComponentScore(entry_id=entry_id, component=THEORY, value=value)
            for entry_id, value in clean.items()
        )
    return len(clean)


@dataclass(frozen=True)
class Progress:
    """How far the marking of a heat is: entries, marks expected and given, and the stations
    still missing a mark."""

    entries: int
    expected: int
    given: int
    missing: list[str]

    @property
    def complete(self) -> bool:
        return self.entries > 0 and not self.missing


def progress_of(heat_ids) -> dict[int, Progress]:
    """How far the marking of each of the heats is, in three queries whatever their number.

    Every entry needs a mark from each judge of each component, and a theory and practical
    score at all (an imported theory score stands in for theory judges). Reads no names and
    no values."""
    heat_ids = list(heat_ids)
    if not heat_ids:
        return {}
    judges = defaultdict(set)
    for heat_id, judge_id, component in (
        HeatJudge.objects.filter(heat_id__in=heat_ids)
        .order_by()
        .values_list("heat_id", "judge_id", "component")
    ):
        judges[heat_id, component].add(judge_id)
    marks = defaultdict(set)
    for entry_id, component, judge_id in (
        ComponentScore.objects.filter(entry__heat_id__in=heat_ids)
        .order_by()
        .values_list("entry_id", "component", "judge_id")
    ):
        marks[entry_id, component].add(judge_id)
    tallies = {heat_id: [0, 0, 0, []] for heat_id in heat_ids}  # entries, expected, given, missing
    for heat_id, entry_id, station in (
        HeatEntry.objects.filter(heat_id__in=heat_ids)
        .order_by("heat_id", "station_number")
        .values_list("heat_id", "pk", "station_number")
    ):
        tally = tallies[heat_id]
        tally[0] += 1
        done = True
        for component in (THEORY, PRACTICAL):
            wanted = judges[heat_id, component]
            have = marks[entry_id, component]
            tally[1] += max(len(wanted), 1)
            tally[2] += len(have & wanted) if wanted else min(len(have), 1)
            if not have or not wanted <= have:
                done = False
        if not done:
            tally[3].append(station)
    return {heat_id: Progress(*tally) for heat_id, tally in tallies.items()}


def marking_progress(heat: Heat) -> Progress:
    """:func:`progress_of` one heat."""
    return progress_of([heat.pk])[heat.pk]


def first_tier(event: SkillEvent) -> Tier | None:
    """The event's first tier (lowest order): the heats contestants are entered into; later
    tiers are filled by advancement."""
    return event.tiers.order_by("order", "pk").first()


def next_tier(tier: Tier) -> Tier | None:
    return (
        Tier.objects.filter(event_id=tier.event_id, order__gt=tier.order)
        .order_by("order", "pk")
        .first()
    )


def _target_heat(heat: Heat, tier: Tier) -> Heat:
    if heat.advances_to_id:
        return heat.advances_to
    target = tier.heats.order_by("name", "pk").first()
    if target is None:
        # Named in the site's language, whoever locks (the name is stored).
        with translation.override(settings.LANGUAGE_CODE):
            target = Heat.objects.create(tier=tier, name=str(tier.get_level_display()))
    return target


@dataclass(frozen=True)
class LockOutcome:
    heat: Heat
    advanced: list[HeatEntry]
    target: Heat | None
    awards: list[Award]


def lock_heat(heat: Heat, user) -> LockOutcome:
    """Lock a heat's scores, store its results, and move the contest on.

    Guarantees: staff only; every entry is fully marked (:func:`marking_progress`), else a
    ValidationError names the stations; in one transaction the results of
    :func:`heat_results` are stored on the entries (scores rounded half-up to 2 places, rank),
    the :func:`advancing` entries are marked and entered into the next tier's heat (the heat's
    ``advances_to``, else the next tier's first heat, created when it has none) with new
    station numbers, and in the last tier the prizes of :func:`award_prizes` are stored. The
    lock is recorded with its author. Names become visible to judges and the public.
    """
    event = heat.tier.event
    require_event_staff(event, user)
    with transaction.atomic():
        heat = _lock_heat_row(heat)
        if heat.locked_at is not None:
            raise ValidationError(_("This heat is already locked."))
        progress = marking_progress(heat)
        if not progress.complete:
            if not progress.entries:
                raise ValidationError(_("This heat has no contestants."))
            raise ValidationError(
                _("Marking is not complete for stations %(stations)s.")
                % {"stations": "、".join(progress.missing)}
            )
        results = heat_results(heat)
        tier = next_tier(heat.tier)
        going = {e.pk for e in advancing(heat, results)} if tier else set()
        prized = [] if tier else award_prizes(heat, results)
        awards = {a.entry.pk: a.prize for a in prized}
        entries = []
        for row in results:
            entry = row.entry
            entry.theory = engine.round_half_up(row.theory)
            entry.practical = engine.round_half_up(row.practical)
            entry.total = row.total_rounded
            entry.rank = row.rank
            entry.advanced = entry.pk in going
            entry.prize = awards.get(entry.pk, "")
            entries.append(entry)
        HeatEntry.objects.bulk_update(
            entries, ["theory", "practical", "total", "rank", "advanced", "prize"]
        )
        heat.locked_at = timezone.now()
        heat.save(update_fields=["locked_at"])
        HeatLogEntry.objects.create(heat=heat, action=HeatLogEntry.Action.LOCK, actor=user)
        target = None
        if tier is not None and going:
            target = _lock_heat_row(_target_heat(heat, tier))
            if target.locked_at is not None:
                raise ValidationError(
                    _("The next heat, %(heat)s, is already locked.") % {"heat": target}
                )
            _enter(target, [e.contestant for e in entries if e.advanced])
    return LockOutcome(heat, [e for e in entries if e.advanced], target, prized)


def unlock_heat(heat: Heat, user, reason: str) -> None:
    """Unlock a heat with a reason: its stored results and prizes are cleared and its
    advancing contestants leave the next tier's heats again.

    Refused while any of them has a score in the next tier or sits in a locked heat there.
    """
    require_event_staff(heat.tier.event, user)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Give the reason for unlocking."))
    with transaction.atomic():
        heat = _lock_heat_row(heat)
        if heat.locked_at is None:
            raise ValidationError(_("This heat is not locked."))
        # Wherever they were sent: the next tier, or a later one through ``advances_to``.
        onward = HeatEntry.objects.filter(
            heat__tier__event_id=heat.tier.event_id,
            heat__tier__order__gt=heat.tier.order,
            contestant_id__in=heat.entries.filter(advanced=True).values("contestant_id"),
        )
        marked = ComponentScore.objects.filter(entry__in=onward).exists()
        if marked or onward.filter(heat__locked_at__isnull=False).exists():
            raise ValidationError(
                _("Contestants of this heat have been marked in the next tier already.")
            )
        onward.delete()
        heat.entries.update(
            theory=None, practical=None, total=None, rank=None, advanced=False, prize=""
        )
        heat.locked_at = None
        heat.save(update_fields=["locked_at"])
        HeatLogEntry.objects.create(
            heat=heat, action=HeatLogEntry.Action.UNLOCK, actor=user, reason=reason
        )


def finalists(campaign) -> QuerySet[HeatEntry]:
    """The hand-off to honours (技术能手): the entries of the locked heats of each event's last
    tier, with their stored total, rank and prize, best first."""
    last_order = (
        Tier.objects.filter(event_id=OuterRef("heat__tier__event_id"))
        .order_by("-order")
        .values("order")[:1]
    )
    return (
        HeatEntry.objects.filter(
            heat__tier__event__campaign=campaign,
            heat__locked_at__isnull=False,
            heat__tier__order=Subquery(last_order),
        )
        .select_related("contestant__person", "contestant__unit", "heat__tier__event")
        .order_by("heat__tier__event__trade", "heat", F("rank").asc(nulls_last=True))
    )
