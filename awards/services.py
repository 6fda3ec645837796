"""Honours lists (AWARDS.md): generating a draft from the locked results, checking quotas,
publishing for public notice, removing entries with substitution, confirming.

Every operation that changes a list is one function here, checks who may do it
(``scoring.services.require_staff_of``) and that the transition is allowed, and runs in one
transaction; django-auditlog records the changes with their author.
"""

import datetime
import logging
import secrets
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from itertools import groupby

from auditlog.context import set_actor
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from dispatch import send_on_commit
from scoring.services import require_staff_of

from .models import (
    Certificate,
    HonourList,
    HonourListEntry,
    HonourRule,
    HonourType,
    InstantHonour,
    Objection,
)

logger = logging.getLogger(__name__)

NOTICE_WORKING_DAYS = 5

COMPOSITION = {
    # rule field: (person attribute, at least (True) or at most (False))
    "front_line_min": ("is_front_line", True),
    "leader_max": ("is_leader", False),
    "industrial_min": ("is_industrial_worker", True),
    "migrant_min": ("is_migrant_worker", True),
}


@dataclass
class Candidate:
    """One eligible entry of the ranking, in ranking order."""

    project: object
    unit: object
    team: object
    person: object
    score: Decimal
    rank: int | None
    tie: tuple  # equal ``tie`` values are tied: they share a place in the ranking

    def recipient_key(self, recipient: str) -> str:
        if self.person is not None:
            return f"person:{self.person.pk}"
        if self.team is not None:
            return f"team:{self.team.pk}"
        if recipient != HonourType.Recipient.UNIT and self.project is not None:
            return f"project:{self.project.pk}"
        return f"unit:{self.unit.pk}"


# Generating -----------------------------------------------------------------------------


def generate(rule: HonourRule, progress=None) -> HonourList:
    """Build (or rebuild) the draft honours list of ``rule`` from the locked results.

    Guarantees:
    - refuses (ValidationError) unless scoring of every stage is locked in every zone the
      rule covers (skill honours: unless the final heats are locked), and refuses when the
      rule's list is published or confirmed, which it never changes;
    - one list per rule: running again replaces the draft's entries (manual adjustments of
      the draft included) and never duplicates a recipient;
    - eligibility as AWARDS.md: vetoed entries never, minimum final score, top N / top X%
      of the zone ranking, completed project, minimum on-time report rate;
    - the quota is filled in ranking order; entries tied at the cut-off are all listed and
      flagged ``over_quota``; at most ``per_unit_cap`` recipients come from one unit;
    - everything happens in one transaction under a row lock on the rule, so two runs
      serialise and a run that fails half way leaves the list as it was. Rows written inside
      the transaction are invisible to others until it commits, so how far the run is goes to
      ``progress(percent, step, **counts)`` (``record_progress`` in the cache, for the job's
      status page), never to the list row.
    """
    progress = progress or (lambda percent, step, **counts: None)
    with transaction.atomic():
        rule = (
            HonourRule.objects.select_for_update(of=("self",))
            .select_related("campaign", "zone", "honour_type")
            .get(pk=rule.pk)
        )
        honour_list, _created = HonourList.objects.get_or_create(rule=rule)
        if honour_list.status != HonourList.Status.DRAFT:
            raise ValidationError(
                _("This honours list is published or confirmed; it is not generated again.")
            )
        progress(20, "ranking")
        candidates = eligible_candidates(rule)
        progress(40, "candidates", count=len(candidates))
        honour_list.entries.all().delete()
        chosen = select(candidates, rule, slots=rule.quota)
        total = len(chosen)
        for done, (candidate, over_quota) in enumerate(chosen, start=1):
            _add_entry(honour_list, candidate, over_quota, HonourListEntry.Source.GENERATED)
            progress(40 + 50 * done // total, "entries", done=done, total=total)
        progress(95, "saving")
        _finish_generation(honour_list)
    return honour_list


def _finish_generation(honour_list: HonourList) -> None:
    honour_list.generated_at = timezone.now()
    honour_list.save(update_fields=["generated_at"])


def _add_entry(honour_list, candidate: Candidate, over_quota: bool, source, reason=""):
    return HonourListEntry.objects.create(
        honour_list=honour_list,
        project=candidate.project,
        unit=candidate.unit,
        team=candidate.team,
        person=candidate.person,
        rank=candidate.rank,
        score=candidate.score,
        over_quota=over_quota,
        source=source,
        reason=reason,
    )


def eligible_candidates(rule: HonourRule) -> list[Candidate]:
    """The entries of the rule's ranking that meet its eligibility, best first.

    Raises ValidationError when the results are not locked yet."""
    if rule.honour_type.campaign_kind == HonourType.CampaignKind.SKILL:
        return _skill_candidates(rule)
    return _labour_candidates(rule)


def _labour_candidates(rule: HonourRule) -> list[Candidate]:
    from competitions.models import Project, Zone
    from scoring.models import FinalResult
    from scoring.queries import all_stages_locked

    zones = Zone.objects.filter(pk=rule.zone_id) if rule.zone_id else rule.campaign.zones.all()
    zone_ids = set(zones.values_list("pk", flat=True))
    locked = set(zones.filter(all_stages_locked(zone=None)).values_list("pk", flat=True))
    if not zone_ids or locked != zone_ids:
        raise ValidationError(
            _(
                "The results are not final yet: scoring of every stage must be locked in "
                "every zone of the honour before the list is generated."
            )
        )
    results = list(
        FinalResult.objects.filter(zone_id__in=zone_ids, complete=True, rank__isnull=False)
        .exclude(project__status__in=[Project.Status.WITHDRAWN, Project.Status.REJECTED])
        .select_related("project__unit", "project__leader", "project__team")
    )
    field_sizes = Counter(result.zone_id for result in results)
    on_time = _on_time_rates([r.project_id for r in results]) if rule.min_on_time_rate else {}
    recipient = rule.honour_type.recipient
    candidates = []
    for result in results:
        project = result.project
        if result.vetoed or result.score is None:
            continue
        if rule.min_score is not None and result.score < rule.min_score:
            continue
        if rule.top_n is not None and result.rank > rule.top_n:
            continue
        # Top X%: fewer than X% of the zone's ranked entries are placed ahead of it.
        if rule.top_percent is not None and (result.rank - 1) * 100 >= (
            field_sizes[result.zone_id] * rule.top_percent
        ):
            continue
        if rule.require_completed and project.status != Project.Status.COMPLETED:
            continue
        if rule.min_on_time_rate is not None:
            rate = on_time.get(project.pk)
            if rate is None or rate < rule.min_on_time_rate:
                continue
        tie = (result.score, *(Decimal(value) for value in result.tie_break))
        candidates.append(
            Candidate(
                project=project,
                unit=project.unit,
                team=project.team if recipient == HonourType.Recipient.TEAM else None,
                # The project leader is proposed; the unit may nominate someone else.
                person=project.leader if recipient == HonourType.Recipient.PERSON else None,
                score=result.score,
                rank=result.rank,
                tie=tie,
            )
        )
    candidates.sort(key=lambda c: (tuple(-value for value in c.tie), c.project.pk))
    return candidates


def _skill_candidates(rule: HonourRule) -> list[Candidate]:
    """技术能手: the finalists of the campaign's skill contest (locked final heats)."""
    from skills.services import finalists

    entries = [
        entry
        for entry in finalists(rule.campaign)
        if entry.rank is not None and entry.total is not None
    ]
    if not entries:
        raise ValidationError(
            _("The results are not final yet: no final heat of the contest is locked.")
        )
    candidates = []
    for entry in entries:
        if rule.min_score is not None and entry.total < rule.min_score:
            continue
        if rule.top_n is not None and entry.rank > rule.top_n:
            continue
        contestant = entry.contestant
        candidates.append(
            Candidate(
                project=None,
                unit=contestant.unit,
                team=None,
                person=contestant.person,
                score=entry.total,
                rank=entry.rank,
                tie=(entry.total,),
            )
        )
    candidates.sort(key=lambda c: (-c.score, c.person.pk))
    return candidates


def _on_time_rates(project_ids) -> dict:
    """Per project, the percentage of its due progress reports that arrived on time (as the
    report grid counts them); projects with no report due yet have none."""
    from django.db.models import Count

    from competitions.models import ProgressReport
    from competitions.report_grid import state_conditions

    conditions = state_conditions(timezone.localdate())
    rows = (
        ProgressReport.objects.filter(project_id__in=project_ids)
        .exclude(conditions["open"])
        .values("project_id")
        .annotate(due=Count("pk"), on_time=Count("pk", filter=conditions["on_time"]))
    )
    return {
        row["project_id"]: Decimal(100) * row["on_time"] / row["due"] for row in rows if row["due"]
    }


def select(candidates, rule, slots: int, taken_keys=(), unit_counts=None):
    """Fill ``slots`` places from ``candidates`` (best first): [(candidate, over_quota)].

    A tied group that does not fit whole into the places left is listed whole, every member
    flagged over quota. Recipients in ``taken_keys`` are skipped; ``unit_counts`` (recipients
    already listed per unit) counts against the per-unit cap."""
    recipient = rule.honour_type.recipient
    cap = rule.per_unit_cap if recipient != HonourType.Recipient.UNIT else None
    units = Counter(unit_counts or {})
    seen = set(taken_keys)
    chosen = []
    filled = 0
    for _tie, group in groupby(candidates, key=lambda c: c.tie):
        if filled >= slots:
            break
        members = []
        for candidate in group:
            key = candidate.recipient_key(recipient)
            if key in seen or (cap is not None and units[candidate.unit.pk] >= cap):
                continue
            seen.add(key)
            units[candidate.unit.pk] += 1
            members.append(candidate)
        over = filled + len(members) > slots
        chosen.extend((candidate, over) for candidate in members)
        filled += len(members)
    return chosen


# Checks ----------------------------------------------------------------------------------


def composition_problems(honour_list: HonourList) -> list[dict]:
    """The composition quotas the list breaks, e.g. front-line workers below 60%.

    Each problem is ``{"quota": field name, "limit": Decimal, "actual": Decimal}`` with
    ``actual`` the percentage among the active entries that name a person. An empty list
    when the honour is not for people or sets no composition quota."""
    rule = honour_list.rule
    quotas = rule.composition_quotas
    if not quotas or rule.honour_type.recipient != HonourType.Recipient.PERSON:
        return []
    people = [
        entry.person
        for entry in honour_list.entries.filter(removed_at__isnull=True, person__isnull=False)
        .select_related("person")
        .order_by()
    ]
    if not people:
        return []
    problems = []
    for field, limit in quotas.items():
        attribute, at_least = COMPOSITION[field]
        actual = Decimal(100) * sum(getattr(p, attribute) for p in people) / len(people)
        if (actual < limit) if at_least else (actual > limit):
            problems.append(
                {"quota": field, "limit": limit, "actual": actual.quantize(Decimal("0.01"))}
            )
    return problems


def add_working_days(start: datetime.date, days: int) -> datetime.date:
    """The date ``days`` working days (Monday to Friday) after ``start``."""
    current = start
    while days > 0:
        current += datetime.timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


# Publishing, removing, confirming ---------------------------------------------------------


def _locked_list(honour_list: HonourList) -> HonourList:
    return (
        HonourList.objects.select_for_update(of=("self",))
        .select_related("rule__campaign", "rule__honour_type")
        .get(pk=honour_list.pk)
    )


def publish(
    honour_list: HonourList,
    user,
    start: datetime.date,
    end: datetime.date | None = None,
    override_reason: str = "",
) -> HonourList:
    """Publish a draft list for public notice (公示) from ``start`` to ``end`` (default:
    5 working days after ``start``).

    Guarantees: staff of the campaign only; only a draft with at least one entry; refused
    while entries tied at the cut-off are still flagged over quota, while a person or team
    honour has entries with nobody nominated, and while a composition quota is broken
    unless ``override_reason`` is given (it is kept on the list)."""
    require_staff_of(honour_list.rule.campaign, user)
    end = end or add_working_days(start, NOTICE_WORKING_DAYS)
    if end < start:
        raise ValidationError(_("The notice cannot end before it starts."))
    override_reason = (override_reason or "").strip()
    with transaction.atomic(), set_actor(user):
        current = _locked_list(honour_list)
        if current.status != HonourList.Status.DRAFT:
            raise ValidationError(_("Only a draft list can be published."))
        active = current.entries.filter(removed_at__isnull=True)
        if not active.exists():
            raise ValidationError(_("The list has no entries to publish."))
        if active.filter(over_quota=True).exists():
            raise ValidationError(
                _("Entries tied at the quota cut-off are over quota; resolve them first.")
            )
        recipient = current.rule.honour_type.recipient
        if recipient == HonourType.Recipient.PERSON and active.filter(person=None).exists():
            raise ValidationError(_("Some entries still need a person to be nominated."))
        if recipient == HonourType.Recipient.TEAM and active.filter(team=None).exists():
            raise ValidationError(_("Some entries still need a team to be nominated."))
        if composition_problems(current) and not override_reason:
            raise ValidationError(
                _(
                    "The list breaks a composition quota; it can be published only with a "
                    "written reason for the override."
                )
            )
        current.status = HonourList.Status.PUBLISHED
        current.notice_start = start
        current.notice_end = end
        current.published_at = timezone.now()
        current.published_by = user
        current.composition_override_reason = override_reason
        current.save()
    return current


def remove_entry(entry: HonourListEntry, user, reason: str, substitute: bool = True) -> list:
    """Remove an entry (e.g. an upheld objection) with the reason; returns the substitutes.

    Guarantees: staff of the campaign only; a reason is required; the list is a draft or in
    public notice (a confirmed list does not change); the entry is kept, marked removed.
    With ``substitute`` and an entry that came from the ranking, the places freed are filled
    from the ranking by the next eligible entries not yet on the list (removed ones
    included), recorded as substitutes; a tied group that does not fit is proposed whole,
    flagged over quota for staff to resolve."""
    honour_list = entry.honour_list
    require_staff_of(honour_list.rule.campaign, user)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Give the reason for removing the entry; it is recorded."))
    with transaction.atomic(), set_actor(user):
        current = _locked_list(honour_list)
        if current.status == HonourList.Status.CONFIRMED:
            raise ValidationError(_("A confirmed list can no longer change."))
        entry = HonourListEntry.objects.select_for_update().get(pk=entry.pk)
        if entry.removed_at is not None:
            raise ValidationError(_("This entry has been removed already."))
        entry.removed_at = timezone.now()
        entry.removed_by = user
        entry.removal_reason = reason
        entry.save()
        ranked = {HonourListEntry.Source.GENERATED, HonourListEntry.Source.SUBSTITUTE}
        if not substitute or entry.source not in ranked:
            return []
        return _substitute(current, reason)


def _substitute(honour_list: HonourList, reason: str) -> list:
    rule = honour_list.rule
    entries = list(honour_list.entries.all())
    active = [e for e in entries if e.removed_at is None]
    slots = rule.quota - len(active)
    if slots <= 0:
        return []
    # A project already listed is not proposed again, even where its unit nominated someone
    # (the entry's key is then the nominee's, not the candidate's project or leader).
    listed_projects = {e.project_id for e in entries if e.project_id}
    candidates = [
        c
        for c in eligible_candidates(rule)
        if c.project is None or c.project.pk not in listed_projects
    ]
    chosen = select(
        candidates,
        rule,
        slots=slots,
        taken_keys={e.recipient_key for e in entries},
        unit_counts=Counter(e.unit_id for e in active),
    )
    return [
        _add_entry(honour_list, candidate, over, HonourListEntry.Source.SUBSTITUTE, reason)
        for candidate, over in chosen
    ]


def resolve_over_quota(entry: HonourListEntry, user, reason: str) -> HonourListEntry:
    """Staff keep an entry flagged over quota (a tie resolved in its favour), with a reason.

    Guarantees: staff of the campaign only; a reason is required and recorded on the entry;
    the list is not confirmed."""
    require_staff_of(entry.honour_list.rule.campaign, user)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Give the reason for keeping the entry; it is recorded."))
    with transaction.atomic(), set_actor(user):
        current = _locked_list(entry.honour_list)
        if current.status == HonourList.Status.CONFIRMED:
            raise ValidationError(_("A confirmed list can no longer change."))
        entry = HonourListEntry.objects.select_for_update().get(pk=entry.pk)
        entry.over_quota = False
        entry.reason = "\n".join(part for part in (entry.reason, reason) if part)
        entry.save()
    return entry


def confirm(honour_list: HonourList, user, today: datetime.date | None = None) -> HonourList:
    """Confirm a published list once its notice period has ended.

    Guarantees: staff of the campaign only; only a published list, only after the notice's
    last day, with no entry left over quota and every objection decided; the version goes
    up by one and the list is confirmed, after which it no longer changes."""
    require_staff_of(honour_list.rule.campaign, user)
    today = today or timezone.localdate()
    with transaction.atomic(), set_actor(user):
        current = _locked_list(honour_list)
        if current.status != HonourList.Status.PUBLISHED:
            raise ValidationError(_("Only a list in public notice can be confirmed."))
        if today <= current.notice_end:
            raise ValidationError(_("The public notice has not ended yet."))
        if current.entries.filter(removed_at__isnull=True, over_quota=True).exists():
            raise ValidationError(
                _("Entries tied at the quota cut-off are over quota; resolve them first.")
            )
        if Objection.objects.filter(
            entry__honour_list=current, status=Objection.Status.LODGED
        ).exists():
            raise ValidationError(_("Some objections are still to be decided."))
        current.status = HonourList.Status.CONFIRMED
        current.version += 1
        current.confirmed_at = timezone.now()
        current.confirmed_by = user
        current.save()
        issue_certificates(current)
    return current


# Staff additions and unit nominations ------------------------------------------------------


def _recipient_fields(honour_type, unit, project=None, person=None, team=None) -> dict:
    """Check who an honour goes to and return the entry's recipient fields.

    The recipient must fit the honour type (a person for a person honour, a team for a team
    honour; a unit honour goes to the unit) and belong to ``unit``; a project must be the
    unit's."""
    recipient = honour_type.recipient
    if unit is None:
        raise ValidationError(_("Choose the unit."))
    if project is not None and project.unit_id != unit.pk:
        raise ValidationError(_("The project must be one of the unit's."))
    if person is not None and person.unit_id != unit.pk:
        raise ValidationError(_("The person must work for the unit."))
    if team is not None and team.unit_id != unit.pk:
        raise ValidationError(_("The team must belong to the unit."))
    if recipient == HonourType.Recipient.PERSON:
        if person is None:
            raise ValidationError(_("This honour goes to a person: choose one."))
        team = None
    elif recipient == HonourType.Recipient.TEAM:
        if team is None:
            raise ValidationError(_("This honour goes to a team: choose one."))
        person = None
    else:
        person = team = None
    return {"unit": unit, "project": project, "person": person, "team": team}


def add_entry(honour_list: HonourList, user, reason: str, **recipient) -> HonourListEntry:
    """Staff add a recipient to a list by hand (``unit`` and, as the honour needs, ``person``
    or ``team``, optionally ``project``), with a reason.

    Guarantees: staff of the campaign only; a reason is required and kept on the entry; the
    list is a draft or in public notice (not confirmed); the recipient fits the honour type
    and is not on the list already; the unit takes part in the rule's campaign (and zone);
    the entry is recorded as added by staff, not over quota."""
    from competitions.models import Project

    rule = honour_list.rule
    require_staff_of(rule.campaign, user)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Give the reason for adding the entry; it is recorded."))
    fields = _recipient_fields(rule.honour_type, **recipient)
    projects = Project.objects.filter(campaign=rule.campaign, unit=fields["unit"])
    if rule.zone_id:
        projects = projects.filter(zone=rule.zone)
    if not projects.exists() and not _takes_part_in_skill_event(rule, fields["unit"]):
        raise ValidationError(_("The unit has no project in this campaign or zone."))
    with transaction.atomic(), set_actor(user):
        current = _locked_list(honour_list)
        if current.status == HonourList.Status.CONFIRMED:
            raise ValidationError(_("A confirmed list can no longer change."))
        entry = HonourListEntry(
            honour_list=current, source=HonourListEntry.Source.ADDED, reason=reason, **fields
        )
        entry.recipient_key = entry.compute_recipient_key()
        if current.entries.filter(
            removed_at__isnull=True, recipient_key=entry.recipient_key
        ).exists():
            raise ValidationError(_("This recipient is already on the list."))
        entry.save()
    return entry


def _takes_part_in_skill_event(rule: HonourRule, unit) -> bool:
    from skills.models import Contestant

    return Contestant.objects.filter(event__campaign=rule.campaign, unit=unit).exists()


def may_nominate(user, entry: HonourListEntry) -> bool:
    """The entry's unit liaison nominates for its own entries; the campaign's staff may too."""
    from competitions.queries import user_role
    from scoring.services import is_staff_of

    if user_role(user) == "unit":
        return user.unit_id == entry.unit_id
    return is_staff_of(entry.honour_list.rule.campaign, user)


def nominate(entry: HonourListEntry, user, person=None, team=None) -> HonourListEntry:
    """The unit names the person or team who receives a person or team honour of its entry.

    Guarantees: the entry's unit liaison or the campaign's staff only; the list is a draft
    (nominations close when it is published); the person or team belongs to the entry's unit
    and is not on the list already; the nomination records who and when."""
    if not may_nominate(user, entry):
        raise PermissionDenied(_("Only the unit or the campaign's staff can nominate here."))
    with transaction.atomic(), set_actor(user):
        current = _locked_list(entry.honour_list)
        if current.status != HonourList.Status.DRAFT:
            raise ValidationError(_("Nominations close when the list is published."))
        entry = HonourListEntry.objects.select_for_update(of=("self",)).get(pk=entry.pk)
        if entry.removed_at is not None:
            raise ValidationError(_("This entry has been removed from the list."))
        honour_type = current.rule.honour_type
        if honour_type.recipient == HonourType.Recipient.UNIT:
            raise ValidationError(_("A unit honour goes to the unit; nobody is nominated."))
        fields = _recipient_fields(
            honour_type, entry.unit, project=entry.project, person=person, team=team
        )
        entry.person, entry.team = fields["person"], fields["team"]
        key = entry.compute_recipient_key()
        if (
            current.entries.filter(removed_at__isnull=True, recipient_key=key)
            .exclude(pk=entry.pk)
            .exists()
        ):
            raise ValidationError(_("This recipient is already on the list."))
        entry.nominated_by = user
        entry.nominated_at = timezone.now()
        entry.save()
    return entry


# Instant honours and certificates ----------------------------------------------------------


def award_instant(campaign, honour_type: HonourType, user, reason: str, **recipient):
    """Staff honour a unit, team or person at once during a campaign (即时授予).

    Guarantees: staff of the campaign only; a written reason is required; the campaign is
    running; the recipient fits the honour type and belongs to the unit; the honour and its
    numbered certificate are created together in one transaction."""
    from competitions.models import Campaign

    require_staff_of(campaign, user)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Give the reason for the instant honour; it is recorded."))
    if honour_type is None:
        raise ValidationError(_("Choose the honour."))
    if campaign.status != Campaign.Status.ACTIVE:
        raise ValidationError(_("Instant honours are given while the campaign is running."))
    fields = _recipient_fields(honour_type, **recipient)
    with transaction.atomic(), set_actor(user):
        honour = InstantHonour.objects.create(
            campaign=campaign, honour_type=honour_type, reason=reason, awarded_by=user, **fields
        )
        _issue(campaign, instant_honour=honour)
    return honour


def issue_certificates(honour_list: HonourList) -> list[Certificate]:
    """Give every active entry of a confirmed list its numbered certificate.

    Guarantees: called inside the confirming transaction; idempotent (an entry that has a
    certificate keeps it); numbers are consecutive per campaign in list order."""
    entries = (
        honour_list.entries.filter(removed_at__isnull=True, certificate__isnull=True)
        .select_related("unit", "team", "person")
        .order_by(F("rank").asc(nulls_last=True), "pk")
    )
    return [_issue(honour_list.rule.campaign, entry=entry) for entry in entries]


def _issue(campaign, entry=None, instant_honour=None) -> Certificate:
    """One certificate with the next serial of the campaign (the campaign row is locked, so
    two confirmations never take the same number) and a fresh verification code."""
    from competitions.models import Campaign

    locked = (
        Campaign.objects.select_for_update(of=("self",))
        .select_related("organiser")
        .get(pk=campaign.pk)
    )
    serial = (locked.certificates.aggregate(last=Max("serial"))["last"] or 0) + 1
    honour = entry or instant_honour
    honour_type = entry.honour_list.rule.honour_type if entry else instant_honour.honour_type
    issued_on = timezone.localdate()
    return Certificate.objects.create(
        campaign=locked,
        entry=entry,
        instant_honour=instant_honour,
        serial=serial,
        number=f"{locked.start_date.year}-{locked.pk:04d}-{serial:05d}",
        verification_code=_new_code(),
        honour_name=honour_type.name,
        recipient_name=honour.recipient_name,
        unit_name=honour.unit.name,
        campaign_title=locked.title,
        issuer_name=locked.organiser.name,
        list_version=entry.honour_list.version if entry else None,
        issued_on=issued_on,
    )


CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read out and typed by hand


def _new_code() -> str:
    """A random 12-character verification code (60 bits), not guessable."""
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _i in range(12))
        if not Certificate.objects.filter(verification_code=code).exists():
            return code


# Objections during the public notice --------------------------------------------------------


def in_notice(honour_list: HonourList, today: datetime.date | None = None) -> bool:
    """Whether the list is published and ``today`` lies within its notice period."""
    today = today or timezone.localdate()
    return (
        honour_list.status == HonourList.Status.PUBLISHED
        and honour_list.notice_start is not None
        and honour_list.notice_start <= today <= honour_list.notice_end
    )


def lodge_objection(
    entry: HonourListEntry, name: str, contact: str, content: str, today=None
) -> Objection:
    """Anyone lodges an objection against an entry of a list in public notice.

    Guarantees: only while the list is published and ``today`` is within the notice period
    (both days included); only against an entry not removed; name, contact (a phone number
    or an e-mail address) and content are required and validated; nothing is saved when
    refused."""
    objection = Objection(
        entry=entry,
        name=(name or "").strip(),
        contact=(contact or "").strip(),
        content=(content or "").strip(),
    )
    objection.full_clean(exclude=["entry", "status"])
    with transaction.atomic():
        current = _locked_list(entry.honour_list)
        if not in_notice(current, today):
            raise ValidationError(_("Objections can be lodged only during the public notice."))
        if HonourListEntry.objects.filter(pk=entry.pk, removed_at__isnull=True).count() != 1:
            raise ValidationError(_("This entry has been removed from the list."))
        objection.save()
    return objection


def decide_objection(objection: Objection, user, upheld: bool, investigation: str) -> list:
    """Staff record the investigation and decide an objection; returns the substitutes.

    Guarantees: staff of the campaign only; the investigation is required; only a lodged
    objection is decided, once (the objection row is locked); upheld removes the entry with
    the investigation as the reason and, for a ranked entry, substitutes the next eligible
    entries automatically (:func:`remove_entry`); dismissed leaves the entry. The decision
    records who decided and when."""
    honour_list = objection.entry.honour_list
    require_staff_of(honour_list.rule.campaign, user)
    investigation = (investigation or "").strip()
    if not investigation:
        raise ValidationError(_("Record the investigation; it is kept with the decision."))
    with transaction.atomic(), set_actor(user):
        current = _locked_list(honour_list)
        objection = (
            Objection.objects.select_for_update(of=("self",))
            .select_related("entry")
            .get(pk=objection.pk)
        )
        if objection.status != Objection.Status.LODGED:
            raise ValidationError(_("This objection has been decided already."))
        if current.status != HonourList.Status.PUBLISHED:
            raise ValidationError(_("Only objections to a list in public notice are decided."))
        objection.status = Objection.Status.UPHELD if upheld else Objection.Status.DISMISSED
        objection.investigation = investigation
        objection.decided_by = user
        objection.decided_at = timezone.now()
        objection.save()
        substitutes = []
        if upheld and objection.entry.removed_at is None:
            substitutes = remove_entry(objection.entry, user, investigation, substitute=True)
    return substitutes


# The generation job ------------------------------------------------------------------------


def queue_generation(rule: HonourRule, user) -> HonourList:
    """Staff ask for the list to be generated in the background (``tasks.generate_honour_list``).

    Guarantees: staff of the campaign only; the list is a draft (created empty if need be);
    its job state is "queued" and the task is sent after the commit."""
    from .tasks import generate_honour_list

    require_staff_of(rule.campaign, user)
    with transaction.atomic():
        HonourRule.objects.select_for_update(of=("self",)).get(pk=rule.pk)
        honour_list, _created = HonourList.objects.get_or_create(rule=rule)
        if honour_list.status != HonourList.Status.DRAFT:
            raise ValidationError(
                _("This honours list is published or confirmed; it is not generated again.")
            )
        record_job(honour_list.pk, HonourList.TaskState.QUEUED, 0)
        send_on_commit(generate_honour_list, rule.pk, timezone.now().isoformat())
    return honour_list


def record_job(list_id: int, state: str, progress: int, error: str = "") -> None:
    """Store the generation job's state on a draft list (never on a published one).

    A running job starts its fine-grained progress in the cache (``record_progress``); any
    other state ends it, so a finished job never shows a stale step."""
    HonourList.objects.filter(pk=list_id, status=HonourList.Status.DRAFT).update(
        task_state=state, task_progress=progress, task_error=error, task_updated_at=timezone.now()
    )
    if state == HonourList.TaskState.RUNNING:
        record_progress(list_id, progress, "started")
    else:
        _cache_call("delete", _progress_key(list_id))


# How far a running generation is lives in the cache (Redis with a worker, local memory
# in-process): the run writes its rows in one transaction, which nobody sees before the
# commit, while the cache is seen by the web processes at once.
PROGRESS_TIMEOUT = 60 * 60


def _progress_key(list_id: int) -> str:
    return f"awards:generation:{list_id}"


def _cache_call(method: str, *args):
    """Progress is informative: an unreachable cache must not fail the generation."""
    from django.core.cache import cache

    try:
        return getattr(cache, method)(*args)
    except Exception:  # noqa: BLE001 (any cache backend error)
        logger.warning("Cache unavailable for the honours list progress", exc_info=True)
        return None


def record_progress(list_id: int, progress: int, step: str, **counts) -> None:
    """Note how far the running generation of a list is (percent, step, counts)."""
    _cache_call(
        "set",
        _progress_key(list_id),
        {"progress": int(progress), "step": step, "counts": counts},
        PROGRESS_TIMEOUT,
    )


def _step_text(step: str, counts: dict) -> str:
    texts = {
        "queued": lambda: _("Waiting for a worker to start the job."),
        "started": lambda: _("Started."),
        "ranking": lambda: _("Reading the locked results and the ranking."),
        "candidates": lambda: _("%(count)d eligible entries found.") % counts,
        "entries": lambda: _("Writing entries: %(done)d of %(total)d.") % counts,
        "saving": lambda: _("Saving the list."),
        "done": lambda: _("Done."),
        "failed": lambda: _("Failed."),
        "idle": lambda: _("Not generated yet."),
    }
    try:
        return texts.get(step, texts["idle"])()
    except (KeyError, TypeError):
        return ""


def job_status(honour_list: HonourList) -> dict:
    """The generation job of a list as pages and the API show it: ``state`` (idle, queued,
    running, done, failed), ``progress`` (0–100), ``step`` and its text, ``error``.

    The list row says whether the job is queued, running or finished; while it runs, the
    cache says how far it is."""
    state = honour_list.task_state
    progress, step, counts = honour_list.task_progress, state, {}
    if state == HonourList.TaskState.RUNNING:
        step = "started"
        noted = _cache_call("get", _progress_key(honour_list.pk))
        if noted and noted.get("progress", 0) >= progress:
            progress, step, counts = noted["progress"], noted["step"], noted.get("counts", {})
    return {
        "state": state,
        "state_display": HonourList.TaskState(state).label,
        "progress": progress,
        "step": step,
        "step_display": _step_text(step, counts),
        "error": honour_list.task_error,
        "active": state in (HonourList.TaskState.QUEUED, HonourList.TaskState.RUNNING),
        "updated_at": honour_list.task_updated_at,
    }


# Setting up the rules ----------------------------------------------------------------------


def save_rule(rule: HonourRule, user) -> HonourRule:
    """Staff of the campaign create or change an honour rule.

    Guarantees: staff of the campaign only; the model's validation in full (zone of the
    campaign, one rule per honour and zone, per-unit cap and composition quotas only where
    they apply); the honour type is for this kind of campaign (labour or skill); a rule whose
    list is published or confirmed no longer changes."""
    require_staff_of(rule.campaign, user)
    rule.full_clean()
    if rule.honour_type.campaign_kind != rule.campaign.kind:
        raise ValidationError(
            {"honour_type": _("This honour is not awarded in this kind of campaign.")}
        )
    with transaction.atomic(), set_actor(user):
        if rule.pk:
            HonourRule.objects.select_for_update(of=("self",)).get(pk=rule.pk)
            if _has_public_list(rule):
                raise ValidationError(
                    _("The list of this rule is published or confirmed; the rule cannot change.")
                )
        rule.save()
    return rule


def delete_rule(rule: HonourRule, user) -> None:
    """Staff of the campaign delete a rule, with its draft list, while no list of it has been
    published (a published or confirmed list, and its rule, are kept)."""
    require_staff_of(rule.campaign, user)
    with transaction.atomic(), set_actor(user):
        HonourRule.objects.select_for_update(of=("self",)).get(pk=rule.pk)
        if _has_public_list(rule):
            raise ValidationError(
                _("The list of this rule is published or confirmed; the rule cannot be deleted.")
            )
        rule.delete()


def _has_public_list(rule: HonourRule) -> bool:
    return (
        HonourList.objects.filter(rule_id=rule.pk).exclude(status=HonourList.Status.DRAFT).exists()
    )
