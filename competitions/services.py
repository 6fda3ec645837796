"""Operations on projects and registrations. Every state change goes through one function
here, whichever door (page, API, admin) it comes in by."""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dispatch import send_on_commit

from . import rules as competition_rules
from .models import CampaignRegistration, Project, ProjectTransition

Status = Project.Status


class TransitionConflict(ValidationError):
    """The project is not (or no longer) in a state that allows the action."""


@dataclass(frozen=True)
class Action:
    name: str
    label: object
    sources: tuple[str, ...]
    target: str
    by_unit: bool  # True: the unit's liaison acts; False: staff of the unit's organisation
    needs_comment: bool = False


ACTIONS = {
    action.name: action
    for action in [
        Action(
            "submit",
            gettext_lazy("Submit"),
            (Status.DRAFT, Status.RETURNED),
            Status.SUBMITTED,
            by_unit=True,
        ),
        Action(
            "withdraw",
            gettext_lazy("Withdraw"),
            (Status.DRAFT, Status.SUBMITTED, Status.RETURNED),
            Status.WITHDRAWN,
            by_unit=True,
        ),
        Action(
            "return",
            gettext_lazy("Return for revision"),
            (Status.SUBMITTED,),
            Status.RETURNED,
            by_unit=False,
            needs_comment=True,
        ),
        Action(
            "approve", gettext_lazy("Approve"), (Status.SUBMITTED,), Status.APPROVED, by_unit=False
        ),
        Action(
            "reject",
            gettext_lazy("Reject"),
            (Status.SUBMITTED,),
            Status.REJECTED,
            by_unit=False,
            needs_comment=True,
        ),
        Action(
            "start",
            gettext_lazy("Start running"),
            (Status.APPROVED,),
            Status.RUNNING,
            by_unit=False,
        ),
        Action(
            "complete",
            gettext_lazy("Mark completed"),
            (Status.RUNNING,),
            Status.COMPLETED,
            by_unit=False,
        ),
    ]
}
DECISIONS = ("return", "approve", "reject")


def may_act(user, project, action: Action) -> bool:
    """Whether ``user`` is the kind of person who takes ``action`` on ``project``."""
    if action.by_unit:
        return competition_rules.is_liaison_of(user, project)
    return competition_rules.may_review(user, project)


def available_actions(user, project) -> list[Action]:
    """The actions ``user`` may take on ``project`` now, for buttons and API hints."""
    return [
        action
        for action in ACTIONS.values()
        if project.status in action.sources and may_act(user, project, action)
    ]


def transition(project: Project, action_name: str, user, comment: str = "") -> ProjectTransition:
    """Move ``project`` through the review workflow.

    Guarantees: the action exists and ``user`` may take it on this project; the project is
    locked and re-read so two people acting at once get one transition and one conflict; a
    required comment is present; the status, its timestamp and a ProjectTransition (who,
    when, from, to, comment) are saved together; notifications are queued after the commit.
    Raises PermissionDenied, TransitionConflict or ValidationError and changes nothing then.
    """
    action = ACTIONS.get(action_name)
    if action is None:
        raise ValidationError(_("Unknown action “%(action)s”.") % {"action": action_name})
    comment = (comment or "").strip()
    with transaction.atomic():
        # Only the project's row: locking its unit's and organisation's rows too (the join)
        # made decisions on a unit's projects and reviews of its reports deadlock.
        locked = Project.objects.select_for_update(of=("self",)).select_related(
            "unit__organisation"
        )
        current = locked.get(pk=project.pk)
        if not may_act(user, current, action):
            raise PermissionDenied(_("You may not do this to this project."))
        if current.status not in action.sources:
            raise TransitionConflict(
                _(
                    "The project is “%(status)s” now, so it cannot be “%(action)s”. "
                    "Someone may have acted on it in the meantime; reload the page."
                )
                % {"status": current.get_status_display(), "action": action.label}
            )
        if action.needs_comment and not comment:
            raise ValidationError(_("Please give a reason: the unit reads it."))
        if action.name == "submit":
            _check_declaration_complete(current)
        now = timezone.now()
        step = ProjectTransition(
            project=current,
            actor=user,
            action=action.name,
            from_status=current.status,
            to_status=action.target,
            comment=comment,
        )
        current.status = action.target
        fields = ["status", "updated_at"]
        if action.name == "submit":
            current.submitted_at = now
            fields.append("submitted_at")
        elif action.name in DECISIONS:
            current.decided_at = now
            fields.append("decided_at")
        elif action.name == "start" and current.running_since is None:
            current.running_since = timezone.localdate(now)
            fields.append("running_since")
        current.save(update_fields=fields)
        step.save()
        _queue_notifications(step)
    project.status, project.submitted_at, project.decided_at = (
        current.status,
        current.submitted_at,
        current.decided_at,
    )
    return step


def decide_many(projects, action_name: str, user, comment: str = ""):
    """Apply one decision to several projects; each is decided on its own.

    Returns (done, refused): the transitions made and (project, reason) for the others.
    """
    done, refused = [], []
    for project in projects:
        try:
            done.append(transition(project, action_name, user, comment))
        except (PermissionDenied, ValidationError) as error:
            refused.append((project, error_text(error)))
    return done, refused


def error_text(error) -> str:
    """The message of a refusal (ValidationError or PermissionDenied), for pages and lists."""
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error)


def check_milestone_plan(rows) -> None:
    """A plan of (month, planned %) rows: each month once, progress never going down."""
    months = [period.replace(day=1) for period, _percent in rows]
    if len(months) != len(set(months)):
        raise ValidationError(_("Each month may appear only once."))
    ordered = sorted(zip(months, (percent for _period, percent in rows), strict=True))
    for (_month, earlier), (month, later) in zip(ordered, ordered[1:], strict=False):
        if later < earlier:
            raise ValidationError(
                _("Planned progress cannot go down: %(month)s is lower than the month before.")
                % {"month": month.strftime("%Y-%m")}
            )


def _check_declaration_complete(project: Project) -> None:
    missing = [
        str(Project._meta.get_field(name).verbose_name)
        for name in ("target_tasks", "content", "standards", "requirements", "plan")
        if not getattr(project, name).strip()
    ]
    if missing:
        raise ValidationError(
            _("Fill in before submitting: %(fields)s.") % {"fields": "、".join(missing)}
        )
    if not project.milestones.exists():
        raise ValidationError(_("Plan at least one milestone before submitting."))
    registered = CampaignRegistration.objects.filter(
        campaign_id=project.campaign_id,
        unit_id=project.unit_id,
        status=CampaignRegistration.Status.APPROVED,
    )
    if not registered.exists():
        raise ValidationError(_("Your unit's registration for this campaign is not approved yet."))


def _queue_notifications(step: ProjectTransition) -> None:
    from .tasks import notify_transition

    send_on_commit(notify_transition, step.pk)


# Registrations ---------------------------------------------------------------------------


def request_registration(campaign, unit, user) -> CampaignRegistration:
    """A unit asks to take part in a campaign. Asking again changes nothing; a refused unit
    may ask again."""
    if not (competition_rules.may_declare(user) and user.unit_id == unit.pk):
        raise PermissionDenied(_("Only the unit's liaison can register it."))
    from .queries import campaigns_for_user

    if not campaigns_for_user(user).filter(pk=campaign.pk).exists():
        raise PermissionDenied(_("This campaign is not open to your unit."))
    with transaction.atomic():
        registration, created = CampaignRegistration.objects.select_for_update().get_or_create(
            campaign=campaign, unit=unit, defaults={"requested_by": user}
        )
        asked_again = not created and registration.status == CampaignRegistration.Status.REFUSED
        if asked_again:
            registration.status = CampaignRegistration.Status.PENDING
            registration.requested_by = user
            registration.decided_by = registration.decided_at = None
            registration.save()
        if created or asked_again:
            _queue_registration_notice(registration)
    return registration


def decide_registration(registration, approve: bool, user, comment: str = ""):
    """Staff of the unit's organisation approve or refuse a registration. Approving also
    activates the liaison accounts created by the unit's online sign-up."""
    if not competition_rules.may_review(user, registration):
        raise PermissionDenied(_("You may not decide registrations of this unit."))
    comment = (comment or "").strip()
    if not approve and not comment:
        raise ValidationError(_("Please give a reason: the unit reads it."))
    with transaction.atomic():
        current = CampaignRegistration.objects.select_for_update().get(pk=registration.pk)
        if current.status != CampaignRegistration.Status.PENDING:
            raise TransitionConflict(
                _("This registration was decided already (%(status)s).")
                % {"status": current.get_status_display()}
            )
        current.status = (
            CampaignRegistration.Status.APPROVED if approve else CampaignRegistration.Status.REFUSED
        )
        current.decided_by, current.decided_at, current.comment = user, timezone.now(), comment
        current.save()
        if approve:
            current.unit.users.filter(role="unit", is_active=False, last_login=None).update(
                is_active=True
            )
        _queue_registration_notice(current)
    registration.status = current.status
    return current


def invite_unit(campaign, unit, user) -> CampaignRegistration:
    """Staff enter a unit of their subtree into a campaign they run: approved at once."""
    from .queries import campaigns_for_user

    reaches = campaigns_for_user(user).filter(pk=campaign.pk).exists()
    if not (competition_rules.may_review(user, unit) and reaches):
        raise PermissionDenied(_("You may only invite units of your own area."))
    registration, _created = CampaignRegistration.objects.update_or_create(
        campaign=campaign,
        unit=unit,
        defaults={
            "status": CampaignRegistration.Status.APPROVED,
            "decided_by": user,
            "decided_at": timezone.now(),
        },
    )
    return registration


@transaction.atomic
def sign_up(*, campaign, unit, liaison) -> CampaignRegistration:
    """A new unit signs up online with its liaison account, both waiting for the staff.

    ``unit`` and ``liaison`` are unsaved, validated instances; the liaison stays inactive
    until the registration is approved.
    """
    unit.save()
    liaison.role, liaison.unit, liaison.is_active = "unit", unit, False
    liaison.save()
    registration = CampaignRegistration.objects.create(
        campaign=campaign, unit=unit, requested_by=liaison
    )
    _queue_registration_notice(registration)
    return registration


def _queue_registration_notice(registration) -> None:
    from .tasks import notify_registration

    send_on_commit(notify_registration, registration.pk)
