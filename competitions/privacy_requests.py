"""Requests of data subjects under China's PIPL: a copy of everything held about a person or
a user account (art. 45) and its erasure (art. 47).

Each export and each erasure is recorded as a :class:`~competitions.models.PrivacyRequest`
(who handled it, when, why, through which channel), in the same transaction as the erasure.

What an erasure keeps: the records others rely on stay, anonymised (a contestant's marks and
rank, a removed honours-list entry, the scores an evaluator gave, the audit trail of what an
account did). What it refuses: a person who holds an honour that was conferred or is in
public notice (a certificate, an instant honour, an active entry on a published or confirmed
list) is a public record under the union's honour rules and the certificate must keep
verifying; the entry on a draft list is removed by the campaign's office first. See
docs/user-guide.md, "Personal data".
"""

import copy
import datetime
import json
from collections import defaultdict

from auditlog.models import LogEntry
from django.conf import settings
from django.contrib.admin.models import LogEntry as AdminLogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Prefetch, Q, TextField
from django.db.models.functions import Cast
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop

from .audit import log_bulk
from .models import Person, PrivacyRequest, Project
from .validators import normalise_mobile

# The person's fields cleared by an erasure (the name is replaced by a pseudonym).
PERSON_ERASED_FIELDS = ("phone", "id_number", "trade", "job_title")
ERASED_VALUE = "***"


def _pseudonym(message: str, pk: int) -> str:
    """A stored pseudonym, in the site's language whoever asks: 已删除人员#12."""
    with translation.override(settings.LANGUAGE_CODE):
        return _(message) % {"id": pk}


def person_pseudonym(pk: int) -> str:
    return _pseudonym(gettext_noop("Erased person #%(id)d"), pk)


def user_pseudonym(pk: int) -> str:
    return _pseudonym(gettext_noop("Erased user #%(id)d"), pk)


def to_json(data: dict) -> str:
    return json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)


def _record(kind, subject, subject_id, by, channel, reason="", summary=None) -> PrivacyRequest:
    return PrivacyRequest.objects.create(
        kind=kind,
        subject=subject,
        subject_id=subject_id,
        reason=reason,
        handled_by=by if by is not None and by.is_authenticated else None,
        channel=channel,
        summary=summary or {},
    )


def _requests(subject, subject_id) -> list[dict]:
    return [
        {
            "kind": request.kind,
            "handled_at": request.created_at,
            "handled_by": str(request.handled_by) if request.handled_by else None,
            "channel": request.channel,
            "reason": request.reason,
        }
        for request in PrivacyRequest.objects.filter(
            subject=subject, subject_id=subject_id
        ).select_related("handled_by")
    ]


def _audit_trail(instance) -> list[dict]:
    return [
        {
            "at": entry.timestamp,
            "action": entry.get_action_display(),
            "by": str(entry.actor) if entry.actor else None,
            "changes": entry.changes,
        }
        for entry in LogEntry.objects.get_for_object(instance)
        .select_related("actor")
        .order_by("timestamp", "pk")
    ]


def _objections_with(contacts):
    """Objections lodged with one of ``contacts`` (phone numbers or e-mail addresses), as
    written by the objector: a phone with spaces, hyphens or +86, an e-mail in any case."""
    from awards.models import Objection

    phones = {normalise_mobile(c) for c in contacts if c and "@" not in c}
    emails = {c.lower() for c in contacts if c and "@" in c}
    if not phones and not emails:
        return Objection.objects.none()
    # A cheap database filter on the last four digits, then the exact comparison here.
    candidates = Q(pk__in=[])
    for phone in phones:
        candidates |= Q(contact__contains=phone[-4:])
    for email in emails:
        candidates |= Q(contact__iexact=email)
    matching = [
        objection.pk
        for objection in Objection.objects.filter(candidates).only("pk", "contact")
        if normalise_mobile(objection.contact) in phones
        or objection.contact.strip().lower() in emails
    ]
    return Objection.objects.filter(pk__in=matching)


def _objections_by_contact(contacts) -> list[dict]:
    return [
        {
            "lodged_at": objection.lodged_at,
            "name": objection.name,
            "contact": objection.contact,
            "against": objection.entry.recipient_name,
            "honour": objection.entry.honour_list.rule.honour_type.name,
            "content": objection.content,
            "status": objection.status,
            "investigation": objection.investigation,
        }
        for objection in _objections_with(contacts)
        .select_related(
            "entry__person",
            "entry__team",
            "entry__unit",
            "entry__honour_list__rule__honour_type",
        )
        .order_by("pk")
    ]


# --- Export ------------------------------------------------------------------------------------


def person_data(person: Person) -> dict:
    """Everything held about ``person``, as JSON-ready data, in a constant number of queries:
    their record, unit and team, the projects they lead, honours-list entries, instant honours,
    certificates, skill contests with marks and ranks, objections lodged with their phone
    number, the audit trail of their record and the requests they made."""
    from awards.models import Certificate, HonourListEntry, InstantHonour
    from skills.models import Contestant, HeatEntry

    person = Person.objects.select_related("unit__organisation", "team").get(pk=person.pk)
    unit = person.unit
    entries = (
        HonourListEntry.objects.filter(person=person)
        .select_related(
            "honour_list__rule__honour_type",
            "honour_list__rule__campaign",
            "honour_list__rule__zone",
            "project",
            "certificate",
        )
        .order_by("pk")
    )
    instant = (
        InstantHonour.objects.filter(person=person)
        .select_related("honour_type", "campaign", "certificate")
        .order_by("pk")
    )
    certificates = Certificate.objects.filter(
        Q(entry__person=person) | Q(instant_honour__person=person)
    ).order_by("pk")
    heat_entries = HeatEntry.objects.select_related("heat__tier").order_by("heat__tier__order")
    contestants = (
        Contestant.objects.filter(person=person)
        .select_related("event__campaign", "unit")
        .prefetch_related(Prefetch("entries", queryset=heat_entries))
        .order_by("pk")
    )
    return {
        "subject": {"kind": "person", "id": person.pk},
        "exported_at": timezone.now(),
        "person": {
            "name": person.name,
            "phone": person.phone,
            "id_number": person.id_number,
            "trade": person.trade,
            "job_title": person.job_title,
            "front_line_worker": person.is_front_line,
            "unit_leader": person.is_leader,
            "industrial_worker": person.is_industrial_worker,
            "migrant_worker": person.is_migrant_worker,
            "unit": {
                "id": unit.pk,
                "name": unit.name,
                "credit_code": unit.credit_code,
                "union": unit.organisation.name,
            },
            "team": person.team.name if person.team else None,
        },
        "projects_led": [
            {
                "id": project.pk,
                "title": project.title,
                "campaign": project.campaign.title,
                "zone": project.zone.name,
                "status": project.status,
            }
            for project in Project.objects.filter(leader=person)
            .select_related("campaign", "zone")
            .order_by("pk")
        ],
        "honour_entries": [
            {
                "honour": entry.honour_list.rule.honour_type.name,
                "campaign": entry.honour_list.rule.campaign.title,
                "zone": entry.honour_list.rule.zone.name if entry.honour_list.rule.zone else None,
                "list_status": entry.honour_list.status,
                "project": entry.project.title if entry.project else None,
                "rank": entry.rank,
                "score": entry.score,
                "source": entry.source,
                "reason": entry.reason,
                "removed_at": entry.removed_at,
                "removal_reason": entry.removal_reason,
                "certificate": getattr(getattr(entry, "certificate", None), "number", None),
            }
            for entry in entries
        ],
        "instant_honours": [
            {
                "honour": honour.honour_type.name,
                "campaign": honour.campaign.title,
                "reason": honour.reason,
                "awarded_at": honour.awarded_at,
                "certificate": getattr(getattr(honour, "certificate", None), "number", None),
            }
            for honour in instant
        ],
        "certificates": [
            {
                "number": certificate.number,
                "honour": certificate.honour_name,
                "recipient": certificate.recipient_name,
                "unit": certificate.unit_name,
                "campaign": certificate.campaign_title,
                "issued_by": certificate.issuer_name,
                "issued_on": certificate.issued_on,
            }
            for certificate in certificates
        ],
        "skill_contests": [
            {
                "event": contestant.event.trade,
                "campaign": contestant.event.campaign.title,
                "unit": contestant.unit.name,
                "heats": [
                    {
                        "tier": entry.heat.tier.get_level_display(),
                        "heat": entry.heat.name,
                        "station_number": entry.station_number,
                        "completion_seconds": entry.completion_seconds,
                        "theory": entry.theory,
                        "practical": entry.practical,
                        "total": entry.total,
                        "rank": entry.rank,
                        "advanced": entry.advanced,
                        "prize": entry.prize,
                    }
                    for entry in contestant.entries.all()
                ],
            }
            for contestant in contestants
        ],
        "objections_lodged": _objections_by_contact([person.phone]),
        "audit_trail": _audit_trail(person),
        "requests": _requests(PrivacyRequest.Subject.PERSON, person.pk),
    }


def user_data(account) -> dict:
    """Everything held about the user ``account``, in a constant number of queries: the
    profile, notifications, scores and marks given as an evaluator or judge, project steps
    taken with their comments, registrations requested, objections lodged with the account's
    e-mail or phone, the audit entries of what they did, and the requests they made."""
    from scoring.models import Score
    from skills.models import ComponentScore

    from .models import CampaignRegistration, ProjectTransition

    account = get_user_model().objects.select_related("organisation", "unit").get(pk=account.pk)
    from awards.models import Objection
    from skills.models import Contestant

    personal_models = {
        content_type.pk
        for content_type in ContentType.objects.get_for_models(
            Person, Contestant, Objection
        ).values()
    }
    return {
        "subject": {"kind": "user", "id": account.pk},
        "exported_at": timezone.now(),
        "profile": {
            "username": account.username,
            "display_name": account.display_name,
            "first_name": account.first_name,
            "last_name": account.last_name,
            "email": account.email,
            "phone": account.phone,
            "role": account.role,
            "organisation": account.organisation.name if account.organisation else None,
            "unit": account.unit.name if account.unit else None,
            "date_joined": account.date_joined,
            "last_login": account.last_login,
            "active": account.is_active,
        },
        "notifications": [
            {
                "title": note.title,
                "text": note.body,
                "link": note.url,
                "created_at": note.created_at,
                "read_at": note.read_at,
            }
            for note in account.notifications.all()
        ],
        "scores_given": [
            {
                "project": score.project.title,
                "stage": score.stage.name,
                "criterion": score.criterion.name,
                "score": score.value,
                "submitted": score.submitted,
                "updated_at": score.updated_at,
            }
            for score in Score.objects.filter(assignment__evaluator=account)
            .select_related("project", "stage", "criterion")
            .order_by("pk")
        ],
        "skill_marks_given": [
            {
                "heat": mark.entry.heat.name,
                "station_number": mark.entry.station_number,
                "component": mark.component,
                "mark": mark.value,
            }
            for mark in ComponentScore.objects.filter(judge=account)
            .select_related("entry__heat")
            .order_by("pk")
        ],
        "project_steps": [
            {
                "project": step.project.title,
                "action": step.action,
                "from": step.from_status,
                "to": step.to_status,
                "comment": step.comment,
                "at": step.created_at,
            }
            for step in ProjectTransition.objects.filter(actor=account)
            .select_related("project")
            .order_by("pk")
        ],
        "registrations_requested": [
            {
                "campaign": registration.campaign.title,
                "unit": registration.unit.name,
                "status": registration.status,
                "requested_at": registration.created_at,
            }
            for registration in CampaignRegistration.objects.filter(requested_by=account)
            .select_related("campaign", "unit")
            .order_by("pk")
        ],
        "objections_lodged": _objections_by_contact([account.email, account.phone]),
        "actions_recorded": [
            {
                "at": entry.timestamp,
                "action": entry.get_action_display(),
                "record": entry.content_type.name,
                # Another person's name is their data, not this user's.
                "object": (
                    f"#{entry.object_pk}"
                    if entry.content_type_id in personal_models
                    else entry.object_repr
                ),
                "address": entry.remote_addr,
            }
            for entry in LogEntry.objects.filter(actor=account)
            .select_related("content_type")
            .order_by("timestamp", "pk")
        ],
        "requests": _requests(PrivacyRequest.Subject.USER, account.pk),
    }


def export_person(person: Person, by, channel: str) -> dict:
    """The data of :func:`person_data`, with the export recorded."""
    data = person_data(person)
    _record(PrivacyRequest.Kind.EXPORT, PrivacyRequest.Subject.PERSON, person.pk, by, channel)
    return data


def export_user(account, by, channel: str) -> dict:
    """The data of :func:`user_data`, with the export recorded."""
    data = user_data(account)
    _record(PrivacyRequest.Kind.EXPORT, PrivacyRequest.Subject.USER, account.pk, by, channel)
    return data


# --- Erasure -----------------------------------------------------------------------------------


def erasure_blockers(person: Person) -> list[str]:
    """Why ``person`` cannot be erased (empty when they can): the honours that are public
    records, and entries on draft lists the campaign's office must remove first."""
    from awards.models import Certificate, HonourList, HonourListEntry, InstantHonour

    problems = [
        _(
            "%(person)s holds the certificate %(number)s (%(honour)s). A conferred honour is "
            "a public record and stays; the data cannot be erased while it is valid."
        )
        % {"person": person.name, "number": c.number, "honour": c.honour_name}
        for c in Certificate.objects.filter(
            Q(entry__person=person) | Q(instant_honour__person=person)
        ).order_by("pk")
    ]
    problems += [
        _("%(person)s received the instant honour %(honour)s, a public record that stays.")
        % {"person": person.name, "honour": honour.honour_type.name}
        for honour in InstantHonour.objects.filter(person=person, certificate__isnull=True)
        .select_related("honour_type")
        .order_by("pk")
    ]
    for entry in (
        HonourListEntry.objects.filter(person=person, removed_at__isnull=True, certificate=None)
        .select_related("honour_list__rule__honour_type", "honour_list__rule__campaign")
        .select_related("honour_list__rule__zone")
        .order_by("pk")
    ):
        names = {"person": person.name, "list": str(entry.honour_list.rule)}
        if entry.honour_list.status == HonourList.Status.DRAFT:
            problems.append(
                _(
                    "%(person)s is on the draft honours list %(list)s; the campaign's "
                    "competition office removes the entry (or the unit nominates someone "
                    "else) first."
                )
                % names
            )
        else:
            problems.append(
                _(
                    "%(person)s is on the honours list %(list)s, which is public (in notice or "
                    "confirmed); the honour is a public record and stays."
                )
                % names
            )
    return problems


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            _("Give the reason for the erasure (for example the date and form of the request).")
        )
    return reason


def _replace_in(value, replacements: dict[str, str]):
    """``value`` (text, or JSON data whose strings are rewritten, keys left alone) with
    every occurrence of each key of ``replacements`` replaced."""
    if isinstance(value, str):
        for old, new in replacements.items():
            value = value.replace(old, new)
        return value
    if isinstance(value, dict):
        return {key: _replace_in(item, replacements) for key, item in value.items()}
    if isinstance(value, list):
        return [_replace_in(item, replacements) for item in value]
    return value


def _blank(changes, fields):
    """Audit ``changes`` with the values of ``fields`` replaced by ***."""
    if not isinstance(changes, dict):
        return changes
    return {
        field: (
            [ERASED_VALUE if v not in (None, "", "None") else v for v in values]
            if field in fields and isinstance(values, list)
            else values
        )
        for field, values in changes.items()
    }


def _scrub_entries(entries, replacements: dict[str, str], blank_fields=()) -> int:
    """Rewrite audit entries: the values of ``blank_fields`` in their changes become ***,
    every occurrence of a replaced value is replaced, the serialised copy is dropped."""
    for entry in entries:
        entry.changes = _replace_in(_blank(entry.changes, blank_fields), replacements)
        entry.object_repr = _replace_in(entry.object_repr, replacements)
        entry.changes_text = _replace_in(entry.changes_text, replacements)
        entry.additional_data = _replace_in(entry.additional_data, replacements)
        entry.actor_email = _replace_in(entry.actor_email, replacements)
        entry.serialized_data = None
    fields = [
        "changes",
        "object_repr",
        "changes_text",
        "additional_data",
        "actor_email",
        "serialized_data",
    ]
    LogEntry.objects.bulk_update(entries, fields, batch_size=500)
    return len(entries)


def _entries_mentioning(values) -> Q:
    """Audit entries whose text holds one of ``values`` (distinctive strings: a phone
    number, an ID number, an e-mail address), found by the database."""
    condition = Q(pk__in=[])
    for value in values:
        if value:
            condition |= (
                Q(object_repr__contains=value)
                | Q(changes_as_text__contains=value)
                | Q(changes_text__contains=value)
                | Q(actor_email=value)
            )
    return condition


def _scrub_audit(subject, related, replacements: dict[str, str], distinctive, blank_fields) -> int:
    """Scrub the audit trail: the ``subject``'s own entries lose the values of
    ``blank_fields``; those entries, the entries of the ``related`` objects and every entry
    mentioning one of the ``distinctive`` values have the ``replacements`` applied. The admin's
    own history of these objects is rewritten the same way."""
    by_type = defaultdict(list)
    for obj in (subject, *related):
        by_type[ContentType.objects.get_for_model(obj).pk].append(str(obj.pk))
    own = Q(pk__in=[])
    admin_own = Q(pk__in=[])
    for content_type_id, pks in by_type.items():
        own |= Q(content_type_id=content_type_id, object_pk__in=pks)
        admin_own |= Q(content_type_id=content_type_id, object_id__in=pks)
    admin_entries = list(AdminLogEntry.objects.filter(admin_own))
    for entry in admin_entries:
        entry.object_repr = _replace_in(entry.object_repr, replacements)
    AdminLogEntry.objects.bulk_update(admin_entries, ["object_repr"])

    subject_type = ContentType.objects.get_for_model(subject).pk
    entries = LogEntry.objects.annotate(changes_as_text=Cast("changes", TextField())).filter(
        own | _entries_mentioning(distinctive)
    )
    mine, others = [], []
    for entry in entries:
        is_subject = entry.content_type_id == subject_type and entry.object_pk == str(subject.pk)
        (mine if is_subject else others).append(entry)
    return _scrub_entries(mine, replacements, blank_fields) + _scrub_entries(others, replacements)


def _anonymise_objections(objections: list) -> int:
    """The objector's name and contact go from ``objections``."""
    from awards.models import Objection

    Objection.objects.filter(pk__in=[o.pk for o in objections]).update(
        name=ERASED_VALUE, contact=ERASED_VALUE
    )
    return len(objections)


def erase_person(person: Person, reason: str, by, channel: str) -> PrivacyRequest:
    """Erase ``person``'s personal data on request, in one transaction, and record it.

    Guarantees: refused with the reasons of :func:`erasure_blockers` (public honours) and
    without a reason; the name becomes a pseudonym (已删除人员#id), phone, ID number, trade
    and job title are cleared, the projects they led lose their leader, objections lodged
    with their phone lose name and contact, and their values are scrubbed from the audit
    trail (their record's, their contestant and list entries', and any entry mentioning the
    phone or ID number). Contest marks, ranks and removed list entries stay, anonymised."""
    from awards.models import HonourListEntry, InstantHonour
    from skills.models import Contestant

    reason = _require_reason(reason)
    with transaction.atomic():
        person = Person.objects.select_for_update().get(pk=person.pk)
        problems = erasure_blockers(person)
        if problems:
            raise ValidationError(problems)
        pseudonym = person_pseudonym(person.pk)
        old = {field: getattr(person, field) for field in ("name", *PERSON_ERASED_FIELDS)}
        # Only the identifying values are searched for elsewhere: a trade such as 车工 is
        # not the person's and would only blot out other records.
        replacements = {old["name"]: pseudonym}
        replacements.update({old[key]: ERASED_VALUE for key in ("phone", "id_number") if old[key]})
        # update(), not save(): a saved change would write the old values to the audit log.
        Person.objects.filter(pk=person.pk).update(
            name=pseudonym, **dict.fromkeys(PERSON_ERASED_FIELDS, "")
        )
        person.refresh_from_db()

        led = list(Project.objects.filter(leader=person))
        if led:
            Project.objects.filter(pk__in=[p.pk for p in led]).update(leader=None)
            unlinked = []
            for project in led:
                after = copy.copy(project)
                after.leader_id = None
                unlinked.append((project, after))
            log_bulk(Project, unlinked, by)

        objections = list(_objections_with([old["phone"]]))
        anonymised = _anonymise_objections(objections)
        related = [
            *HonourListEntry.objects.filter(person=person),
            *InstantHonour.objects.filter(person=person),
            *Contestant.objects.filter(person=person),
            *objections,
        ]
        scrubbed = _scrub_audit(
            person,
            related,
            replacements,
            distinctive=[old["phone"], old["id_number"]],
            blank_fields=("name", *PERSON_ERASED_FIELDS),
        )
        request = _record(
            PrivacyRequest.Kind.ERASURE,
            PrivacyRequest.Subject.PERSON,
            person.pk,
            by,
            channel,
            reason=_replace_in(reason, replacements),
            summary={
                "fields": ["name", *PERSON_ERASED_FIELDS],
                "projects_unlinked": len(led),
                "objections_anonymised": anonymised,
                "audit_entries_scrubbed": scrubbed,
            },
        )
        LogEntry.objects.log_create(
            person,
            force_log=True,
            action=LogEntry.Action.UPDATE,
            changes={"name": [ERASED_VALUE, pseudonym]},
            actor=by if by is not None and by.is_authenticated else None,
            additional_data={"privacy_request": request.pk},
        )
    return request


def erase_user(account, reason: str, by, channel: str) -> PrivacyRequest:
    """Erase a user account's personal data on request, in one transaction, and record it.

    Guarantees: refused without a reason, for the account doing the erasure and for the
    last active superuser; the username and display name become a pseudonym, names, e-mail
    and phone are cleared, the password is made unusable and the account inactive (no staff
    or superuser rights), notifications and API tokens are deleted, objections lodged with
    its e-mail or phone lose name and contact, and the audit trail loses its e-mail, its
    network addresses and its names where they appear. What the account did (scores,
    decisions, project steps) stays, attributed to the anonymised account."""
    from rest_framework.authtoken.models import Token

    from scoring.models import EvaluatorAssignment
    from skills.models import HeatJudge

    User = get_user_model()
    reason = _require_reason(reason)
    if by is not None and by.pk == account.pk:
        raise ValidationError(_("You cannot erase the account you are signed in with."))
    with transaction.atomic():
        account = User.objects.select_for_update().get(pk=account.pk)
        if (
            account.is_superuser
            and account.is_active
            and not User.objects.filter(is_superuser=True, is_active=True)
            .exclude(pk=account.pk)
            .exists()
        ):
            raise ValidationError(_("This is the last active superuser; it cannot be erased."))
        pseudonym = user_pseudonym(account.pk)
        old_str = str(account)
        old = {
            "username": account.username,
            "display_name": account.display_name,
            "full_name": account.get_full_name(),
            "email": account.email,
            "phone": account.phone,
        }
        username = f"erased-{account.pk}"
        while User.objects.filter(username=username).exclude(pk=account.pk).exists():
            username += "x"
        account.username = username
        account.display_name = pseudonym
        account.first_name = account.last_name = account.email = account.phone = ""
        account.set_unusable_password()
        account.is_active = account.is_staff = account.is_superuser = False
        account.save()
        notifications, _by_type = account.notifications.all().delete()
        Token.objects.filter(user=account).delete()
        lodged = list(_objections_with([old["email"], old["phone"]]))
        objections = _anonymise_objections(lodged)

        replacements = {old_str: pseudonym}
        for key in ("display_name", "full_name"):
            if old[key]:
                replacements.setdefault(old[key], pseudonym)
        for key in ("email", "phone"):
            if old[key]:
                replacements[old[key]] = ERASED_VALUE
        related = [
            *EvaluatorAssignment.objects.filter(evaluator=account),
            *HeatJudge.objects.filter(judge=account),
            *lodged,
        ]
        scrubbed = _scrub_audit(
            account,
            related,
            replacements,
            distinctive=[old["email"], old["phone"]],
            blank_fields=(),
        )
        LogEntry.objects.filter(actor=account).update(
            actor_email=None, remote_addr=None, remote_port=None
        )
        return _record(
            PrivacyRequest.Kind.ERASURE,
            PrivacyRequest.Subject.USER,
            account.pk,
            by,
            channel,
            reason=_replace_in(reason, replacements),
            summary={
                "fields": ["username", "display_name", "first_name", "last_name", "email", "phone"],
                "notifications_deleted": notifications,
                "objections_anonymised": objections,
                "audit_entries_scrubbed": scrubbed,
            },
        )


# --- Readable export ---------------------------------------------------------------------------

SECTION_TITLES = {
    "person": gettext_lazy("Personal record"),
    "profile": gettext_lazy("Account"),
    "projects_led": gettext_lazy("Projects led"),
    "honour_entries": gettext_lazy("Honours list entries"),
    "instant_honours": gettext_lazy("Instant honours"),
    "certificates": gettext_lazy("Certificates"),
    "skill_contests": gettext_lazy("Skill contests"),
    "objections_lodged": gettext_lazy("Objections lodged with the same contact"),
    "audit_trail": gettext_lazy("Changes to the record"),
    "notifications": gettext_lazy("Notifications"),
    "scores_given": gettext_lazy("Scores given as an evaluator"),
    "skill_marks_given": gettext_lazy("Marks given as a judge"),
    "project_steps": gettext_lazy("Project steps taken"),
    "registrations_requested": gettext_lazy("Registrations requested"),
    "actions_recorded": gettext_lazy("Actions recorded in the audit trail"),
    "requests": gettext_lazy("Personal data requests"),
}


FIELD_LABELS = {
    "name": gettext_lazy("Name"),
    "phone": gettext_lazy("Mobile phone"),
    "id_number": gettext_lazy("ID card number"),
    "trade": gettext_lazy("Trade"),
    "job_title": gettext_lazy("Job title"),
    "front_line_worker": gettext_lazy("Front-line worker"),
    "unit_leader": gettext_lazy("Unit leader"),
    "industrial_worker": gettext_lazy("Industrial worker"),
    "migrant_worker": gettext_lazy("Migrant worker"),
    "is_front_line": gettext_lazy("Front-line worker"),
    "is_leader": gettext_lazy("Unit leader"),
    "is_industrial_worker": gettext_lazy("Industrial worker"),
    "is_migrant_worker": gettext_lazy("Migrant worker"),
    "unit": gettext_lazy("Unit"),
    "team": gettext_lazy("Team"),
    "id": gettext_lazy("ID"),
    "title": gettext_lazy("Title"),
    "campaign": gettext_lazy("Campaign"),
    "zone": gettext_lazy("Zone"),
    "status": gettext_lazy("Status"),
    "honour": gettext_lazy("Honour"),
    "list_status": gettext_lazy("List status"),
    "project": gettext_lazy("Project"),
    "rank": gettext_lazy("Rank"),
    "score": gettext_lazy("Score"),
    "source": gettext_lazy("Source"),
    "reason": gettext_lazy("Reason"),
    "removed_at": gettext_lazy("Removed at"),
    "removal_reason": gettext_lazy("Reason for removal"),
    "certificate": gettext_lazy("Certificate"),
    "awarded_at": gettext_lazy("Awarded at"),
    "number": gettext_lazy("Number"),
    "recipient": gettext_lazy("Recipient"),
    "issued_by": gettext_lazy("Issued by"),
    "issued_on": gettext_lazy("Issued on"),
    "event": gettext_lazy("Event"),
    "heats": gettext_lazy("Heats"),
    "lodged_at": gettext_lazy("Lodged at"),
    "contact": gettext_lazy("Contact"),
    "against": gettext_lazy("Against"),
    "content": gettext_lazy("Content"),
    "investigation": gettext_lazy("Investigation"),
    "at": gettext_lazy("At"),
    "action": gettext_lazy("Action"),
    "by": gettext_lazy("By"),
    "changes": gettext_lazy("Changes"),
    "kind": gettext_lazy("Kind"),
    "handled_at": gettext_lazy("Handled at"),
    "handled_by": gettext_lazy("Handled by"),
    "channel": gettext_lazy("Channel"),
    "username": gettext_lazy("Username"),
    "display_name": gettext_lazy("Display name"),
    "first_name": gettext_lazy("First name"),
    "last_name": gettext_lazy("Last name"),
    "email": gettext_lazy("E-mail"),
    "role": gettext_lazy("Role"),
    "organisation": gettext_lazy("Organisation"),
    "date_joined": gettext_lazy("Joined"),
    "last_login": gettext_lazy("Last login"),
    "active": gettext_lazy("Active"),
    "text": gettext_lazy("Text"),
    "link": gettext_lazy("Link"),
    "created_at": gettext_lazy("Created at"),
    "read_at": gettext_lazy("Read at"),
    "stage": gettext_lazy("Stage"),
    "criterion": gettext_lazy("Criterion"),
    "submitted": gettext_lazy("Submitted"),
    "updated_at": gettext_lazy("Updated at"),
    "heat": gettext_lazy("Heat"),
    "station_number": gettext_lazy("Station number"),
    "component": gettext_lazy("Component"),
    "mark": gettext_lazy("Mark"),
    "from": gettext_lazy("From"),
    "to": gettext_lazy("To"),
    "comment": gettext_lazy("Comment"),
    "requested_at": gettext_lazy("Requested at"),
    "record": gettext_lazy("Record"),
    "object": gettext_lazy("Object"),
    "address": gettext_lazy("Network address"),
    "credit_code": gettext_lazy("Unified social credit code"),
    "union": gettext_lazy("Union"),
    "tier": gettext_lazy("Tier"),
    "completion_seconds": gettext_lazy("Completion time (seconds)"),
    "theory": gettext_lazy("Theory"),
    "practical": gettext_lazy("Practical"),
    "total": gettext_lazy("Total"),
    "advanced": gettext_lazy("Advanced"),
    "prize": gettext_lazy("Prize"),
}


def _label(key: str) -> str:
    return str(FIELD_LABELS.get(key, key))


def _text(value) -> str:
    if value is None or value == "" or value == "None":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, dict):
        return "; ".join(f"{_label(key)}: {_text(item)}" for key, item in value.items())
    if isinstance(value, list):
        return " | ".join(_text(item) for item in value) or "—"
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _changes_text(changes) -> str:
    """Audit changes as "field: before → after"."""
    if not isinstance(changes, dict):
        return _text(changes)
    return "; ".join(
        f"{_label(field)}: {_text(values[0])} → {_text(values[1])}"
        if isinstance(values, list) and len(values) == 2
        else f"{_label(field)}: {_text(values)}"
        for field, values in changes.items()
    )


def readable_sections(data: dict) -> list[dict]:
    """The export as titled sections for people to read: a record as label/value pairs, a
    list as a table (nested values written out on one line)."""
    sections = []
    for key, title in SECTION_TITLES.items():
        if key not in data:
            continue
        value = data[key]
        if isinstance(value, dict):
            sections.append(
                {
                    "title": title,
                    "pairs": [(_label(name), _text(item)) for name, item in value.items()],
                }
            )
        else:
            columns = list(value[0]) if value else []
            rows = [
                [
                    _changes_text(row[column]) if column == "changes" else _text(row.get(column))
                    for column in columns
                ]
                for row in value
            ]
            sections.append({"title": title, "columns": [_label(c) for c in columns], "rows": rows})
    return sections


def readable_document(data: dict) -> str:
    """The export as a standalone HTML document (the readable copy for the data subject)."""
    return render_to_string(
        "competitions/privacy_export_document.html",
        {"data": data, "sections": readable_sections(data)},
    )
