"""Scoring operations. Each function is the single path for its change."""

import heapq
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from dispatch import send_on_commit

from .models import (
    Criterion,
    CriterionWeight,
    EvaluatorAssignment,
    LockEvent,
    Score,
    ScoringRules,
    StageLock,
    StageResult,
)
from .rules import conflict_of_interest
from .tasks import notify_veto_raised


def check_assignment(*, evaluator, project, stage) -> None:
    """Raise ValidationError, with the reason, when the assignment is not allowed."""
    if not evaluator.is_evaluator:
        raise ValidationError(_("%(user)s is not an evaluator.") % {"user": evaluator})
    if stage.campaign_id != project.campaign_id:
        raise ValidationError(_("The stage does not belong to the project's campaign."))
    reason = conflict_of_interest(evaluator, project)
    if reason:
        raise ValidationError(reason)


@transaction.atomic
def assign_evaluator(*, evaluator, project, stage) -> EvaluatorAssignment:
    """Assign an evaluator to a project in a stage.

    Guarantees: the user is an evaluator, the stage belongs to the project's campaign, the
    conflict-of-interest rule holds (SCORING.md), and no assignment exists twice.
    """
    check_assignment(evaluator=evaluator, project=project, stage=stage)
    assignment, _created = EvaluatorAssignment.objects.get_or_create(
        evaluator=evaluator, project=project, stage=stage
    )
    return assignment


def lock_zone(zone_id) -> None:
    """Take the zone's row lock for the rest of the transaction: changes that re-rank a zone
    (score saves, stage locks, veto decisions, assignment runs) happen one after another."""
    from competitions.models import Zone

    # No ordering: the zone's default one joins its campaign, whose row would be locked too
    # and make every save of the campaign, in any zone, wait for every other.
    list(Zone.objects.select_for_update().filter(pk=zone_id).order_by().only("pk"))


def is_locked(zone_id, stage_id) -> bool:
    return StageLock.objects.filter(zone_id=zone_id, stage_id=stage_id).exists()


def save_scores(assignment, values: dict, user, submit: bool = False) -> list[Score]:
    """An evaluator saves their scores of one entry in one stage (a draft, or submitted).

    ``values`` maps judgement criteria to scores. Guarantees: only the assigned evaluator
    saves; the stage is not locked; every score lies between 0 and the criterion's maximum
    with at most 2 decimals; submitting needs every judgement criterion; all scores are
    written together and the entry's results are recomputed in the same transaction.
    Raises PermissionDenied or ValidationError and changes nothing then.
    """

    if assignment.evaluator_id != user.pk:
        raise PermissionDenied(_("Only the assigned evaluator scores this entry."))
    project = assignment.project
    criteria = {
        c.pk: c for c in Criterion.objects.filter(zone_id=project.zone_id, kind="judgement")
    }
    errors = {}
    clean = {}
    for criterion, raw in values.items():
        criterion = criteria.get(getattr(criterion, "pk", criterion))
        if criterion is None:
            raise ValidationError(_("This criterion is not scored by evaluators in this zone."))
        if raw in (None, ""):
            continue
        try:
            value = Decimal(str(raw))
        except (InvalidOperation, ValueError):
            errors[criterion.code] = _("Enter a number.")
            continue
        if not value.is_finite() or value < 0 or value > criterion.max_score:
            errors[criterion.code] = _("Enter a score from 0 to %(max)s.") % {
                "max": format(criterion.max_score.normalize(), "f")
            }
        elif value.as_tuple().exponent < -2:
            errors[criterion.code] = _("Scores have at most 2 decimals.")
        else:
            clean[criterion.pk] = value
    if errors:
        raise ValidationError(errors)
    if submit and set(clean) != set(criteria):
        missing = [criteria[pk].name for pk in criteria if pk not in clean]
        raise ValidationError(
            _("Score every criterion before submitting: %(missing)s.")
            % {"missing": "、".join(missing)}
        )
    with transaction.atomic():
        # A stage lock, another save or a veto decision in the zone cannot interleave: each
        # re-ranks the whole zone.
        lock_zone(project.zone_id)
        if is_locked(project.zone_id, assignment.stage_id):
            raise ValidationError(_("This stage is locked; scores can no longer change."))
        rows = [
            Score(
                assignment=assignment,
                criterion_id=criterion_id,
                project_id=project.pk,
                stage_id=assignment.stage_id,
                value=value,
                submitted=submit,
            )
            for criterion_id, value in clean.items()
        ]
        Score.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["assignment", "criterion"],
            update_fields=["value", "submitted", "updated_at"],
        )
        if submit:
            assignment.scores.update(submitted=True)
        from .results import recompute

        recompute(project_ids=[project.pk])
    return list(assignment.scores.all())


def lock_stage(zone, stage, user):
    """Lock scoring of a stage in a zone. Refused while any entry is incomplete."""
    from .results import recompute

    require_staff_of(zone, user)
    with transaction.atomic():
        lock_zone(zone.pk)
        recompute(zones=type(zone).objects.filter(pk=zone.pk))
        incomplete = StageResult.objects.filter(
            project__zone=zone, stage=stage, complete=False
        ).count()
        if incomplete:
            raise ValidationError(
                _(
                    "%(count)d entries are not completely scored in this stage; they must be "
                    "before it is locked."
                )
                % {"count": incomplete}
            )
        lock, created = StageLock.objects.get_or_create(
            zone=zone, stage=stage, defaults={"locked_by": user}
        )
        if created:
            LockEvent.objects.create(zone=zone, stage=stage, locked=True, actor=user)
    return lock


def unlock_stage(zone, stage, user, reason: str):
    """Unlock a stage; the reason is required and recorded."""
    require_staff_of(zone, user)
    if not (reason or "").strip():
        raise ValidationError(_("Give the reason for unlocking; it is recorded."))
    with transaction.atomic():
        deleted, _rows = StageLock.objects.filter(zone=zone, stage=stage).delete()
        if deleted:
            LockEvent.objects.create(
                zone=zone, stage=stage, locked=False, actor=user, reason=reason.strip()
            )


def require_staff_of(obj, user) -> None:
    """Raise PermissionDenied unless ``user`` is a superuser or on the competition office of
    the campaign ``obj`` is or belongs to (a campaign, zone or stage): staff of its organiser
    or a co-organiser, or of a union above them."""
    from competitions.queries import user_role
    from competitions.rules import manages_campaign

    role = user_role(user)
    if role == "superuser":
        return
    if role != "organiser" or not manages_campaign.test(user, getattr(obj, "campaign", obj)):
        raise PermissionDenied(_("Only the campaign's competition office can do this."))


def is_staff_of(obj, user) -> bool:
    """Whether ``user`` passes :func:`require_staff_of` for ``obj``."""
    try:
        require_staff_of(obj, user)
    except PermissionDenied:
        return False
    return True


def copy_criteria_set(zone, key: str, user) -> list[Criterion]:
    """Copy a common criteria set (六比, 三比三赛, 五比) into a zone as judgement criteria
    out of 100, with equal weights in every stage. Criteria the zone has already (by code)
    are left as they are."""
    from .templates_sets import CRITERIA_SETS

    require_staff_of(zone, user)
    if key not in CRITERIA_SETS:
        raise ValidationError(_("Unknown criteria set."))
    _label, lines = CRITERIA_SETS[key]
    with transaction.atomic():
        lock_zone(zone.pk)  # a stage lock taken meanwhile is seen
        _refuse_if_zone_locked(zone)
        existing = set(zone.criteria.values_list("code", flat=True))
        created = Criterion.objects.bulk_create(
            Criterion(zone=zone, code=code, name=name, order=order)
            for order, (code, name) in enumerate(lines)
            if code not in existing
        )
        if not existing:
            share = (Decimal(1) / len(created)).quantize(Decimal("0.0001"))
            for stage in zone.campaign.stages.all():
                weights = [share] * len(created)
                weights[0] += Decimal(1) - share * len(created)  # add up to exactly 1
                CriterionWeight.objects.bulk_create(
                    CriterionWeight(stage=stage, criterion=c, weight=w)
                    for c, w in zip(created, weights, strict=True)
                )
        if created:
            _recompute_zone(zone)
    return created


def set_stage_weights(zone, stage, weights: dict, user) -> None:
    """Replace a stage's criterion weights in a zone. They must add up to exactly 1 over the
    zone's judgement and measurement criteria; otherwise nothing is saved (no silent
    renormalisation). A locked stage keeps its weights; the zone's results are recomputed."""
    require_staff_of(zone, user)
    if stage.campaign_id != zone.campaign_id:
        raise ValidationError(_("The stage does not belong to the zone's campaign."))
    criteria = {c.pk: c for c in zone.criteria.exclude(kind=Criterion.Kind.VETO)}
    values = {}
    for criterion, raw in weights.items():
        pk = getattr(criterion, "pk", criterion)
        if pk not in criteria:
            raise ValidationError(_("This criterion does not belong to the zone."))
        try:
            value = Decimal(str(raw))
        except (InvalidOperation, ValueError) as error:
            raise ValidationError(_("Enter a number.")) from error
        if not value.is_finite() or not 0 <= value <= 1:
            raise ValidationError(_("A weight lies between 0 and 1."))
        values[pk] = value
    total = sum(values.values(), Decimal(0))
    if total != 1:
        raise ValidationError(
            _("The weights of a stage must add up to 1; these add up to %(total)s.")
            % {"total": format(total.normalize(), "f")}
        )
    with transaction.atomic():
        # A stage lock taken meanwhile (lock_stage holds the zone's lock) is seen here.
        lock_zone(zone.pk)
        if is_locked(zone.pk, stage.pk):
            raise ValidationError(
                _("Scoring of %(stage)s is locked; its weights can no longer change.")
                % {"stage": stage}
            )
        CriterionWeight.objects.filter(stage=stage, criterion__zone=zone).delete()
        CriterionWeight.objects.bulk_create(
            CriterionWeight(stage=stage, criterion_id=pk, weight=value)
            for pk, value in values.items()
        )
        _recompute_zone(zone)


def check_stage_weights(campaign) -> None:
    """The stage weights of a campaign must add up to exactly 1."""
    check_stage_weight_total(s.weight for s in campaign.stages.all())


def check_stage_weight_total(weights) -> None:
    """Stage weights (a campaign's, as saved or as about to be saved) must add up to exactly
    1; otherwise a ValidationError says what they add up to (no silent renormalisation)."""
    total = sum(weights, Decimal(0))
    if total != 1:
        raise ValidationError(
            _("The stage weights must add up to 1; they add up to %(total)s.")
            % {"total": format(total.normalize(), "f")}
        )


VETO_RAISED = gettext_noop(
    "%(evaluator)s raised the veto item “%(criterion)s” against “%(project)s”."
)


def raise_veto(assignment, criterion, reason: str, user):
    """The assigned evaluator raises a veto item (一票否决) against the entry, with a reason.

    Guarantees: only the assignment's own evaluator raises it; ``criterion`` is a veto item of
    the entry's zone; the reason is not blank; the stage is not locked; a veto item stands
    against an entry at most once while raised or confirmed (it may be raised again after a
    rejection). Results do not change: a veto counts only once staff confirm it. The
    campaign's competition office is notified after the commit.
    Raises PermissionDenied or ValidationError and changes nothing then.
    """
    from competitions.models import Project

    from .models import Veto

    if assignment.evaluator_id != user.pk:
        raise PermissionDenied(_("Only the assigned evaluator raises a veto on this entry."))
    project = assignment.project
    if criterion.kind != Criterion.Kind.VETO or criterion.zone_id != project.zone_id:
        raise ValidationError(_("This is not a veto item of the entry's zone."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Give the reason for the veto; the competition office reads it."))
    with transaction.atomic():
        # Serialise with score saves and other vetoes on the same entry.
        Project.objects.select_for_update().filter(pk=project.pk).first()
        if is_locked(project.zone_id, assignment.stage_id):
            raise ValidationError(_("This stage is locked; scores can no longer change."))
        standing = Veto.objects.filter(
            project=project,
            criterion=criterion,
            status__in=[Veto.Status.RAISED, Veto.Status.CONFIRMED],
        )
        if standing.exists():
            raise ValidationError(_("This veto item is already raised against this entry."))
        veto = Veto.objects.create(
            project=project,
            criterion=criterion,
            stage_id=assignment.stage_id,
            raised_by=user,
            reason=reason,
        )
        send_on_commit(notify_veto_raised, veto.pk)
    return veto


def confirm_veto(veto, user):
    """The campaign's competition office confirms a raised veto: the entry is vetoed.

    Guarantees: only staff of the campaign (or a superuser) decide; only a veto still awaiting
    a decision is decided, and only once — concurrent decisions wait on the veto's row and
    all but the first are refused; the stage is not locked; the entry's results are
    recomputed in the same transaction, so it shows as vetoed (never eligible for honours,
    graded failing) as soon as the decision is committed.
    Raises PermissionDenied or ValidationError and changes nothing then.
    """
    from django.utils import timezone

    from .models import Veto

    def decide(current):
        current.status = Veto.Status.CONFIRMED
        current.confirmed_by = user
        current.confirmed_at = timezone.now()
        current.save(update_fields=["status", "confirmed_by", "confirmed_at"])

    return _decide_veto(veto, user, decide)


def reject_veto(veto, user, reason: str):
    """The campaign's competition office rejects a raised veto, giving the reason.

    Guarantees: as for ``confirm_veto`` (staff of the campaign only, decided once, stage not
    locked, results recomputed in the same transaction); the reason is required and kept.
    The entry is not vetoed by this item; the item may be raised again later.
    Raises PermissionDenied or ValidationError and changes nothing then.
    """
    from django.utils import timezone

    from .models import Veto

    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Give the reason for rejecting the veto; it is recorded."))

    def decide(current):
        current.status = Veto.Status.REJECTED
        current.rejected_by = user
        current.rejected_at = timezone.now()
        current.rejection_reason = reason
        current.save(update_fields=["status", "rejected_by", "rejected_at", "rejection_reason"])

    return _decide_veto(veto, user, decide)


def _decide_veto(veto, user, decide):
    from .models import Veto
    from .results import recompute

    zone = veto.project.zone
    require_staff_of(zone, user)
    with transaction.atomic():
        lock_zone(zone.pk)
        current = Veto.objects.select_for_update().get(pk=veto.pk)
        if current.status != Veto.Status.RAISED:
            raise ValidationError(_("This veto has been decided already."))
        if is_locked(zone.pk, current.stage_id):
            raise ValidationError(_("This stage is locked; scores can no longer change."))
        decide(current)
        recompute(project_ids=[current.project_id])
    return current


def _notify_veto_raised(veto_id: int) -> int:
    """Tell the staff of the campaign's organisers, who decide on vetoes."""
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    from competitions.tasks import notify

    from .models import Veto

    veto = Veto.objects.select_related(
        "project__campaign__organiser", "criterion", "raised_by"
    ).get(pk=veto_id)
    campaign = veto.project.campaign
    User = get_user_model()
    staff = User.objects.filter(
        is_active=True,
        role=User.Role.ORGANISER,
        organisation__in=[
            campaign.organiser_id,
            *campaign.co_organisers.values_list("pk", flat=True),
        ],
    )
    return notify(
        list(staff),
        event=f"veto:{veto.pk}:raised",
        message=VETO_RAISED,
        params={
            "evaluator": veto.raised_by,
            "criterion": veto.criterion.name,
            "project": veto.project.title,
        },
        body=veto.reason,
        url=reverse("scoring:vetoes"),
    )


# Setting up scoring: criteria, rules and evaluator assignments --------------------------


def _recompute_zone(zone) -> None:
    """Keep a zone's stored results current after its scoring set-up changed."""
    from .results import recompute

    recompute(zones=type(zone).objects.filter(pk=zone.pk))


def zone_is_locked(zone) -> bool:
    """Scoring of at least one stage of the zone is locked."""
    return StageLock.objects.filter(zone=zone).exists()


def _refuse_if_zone_locked(zone) -> None:
    if zone_is_locked(zone):
        raise ValidationError(
            _(
                "Scoring of a stage of this zone is locked, so its criteria can no longer "
                "change. Unlock the stage first."
            )
        )


def _refuse_if_stage_locked(zone, stage) -> None:
    if is_locked(zone.pk, stage.pk):
        raise ValidationError(
            _("Scoring of %(stage)s is locked in this zone; its assignments can no longer change.")
            % {"stage": stage}
        )


def _has_records(criterion) -> bool:
    """Evaluators have scored the criterion, or raised vetoes under it."""
    return criterion.scores.exists() or criterion.vetoes.exists()


def save_criterion(criterion: Criterion, user) -> Criterion:
    """Create or change one criterion of a zone's criteria set.

    ``criterion`` carries its new values and has been validated (``full_clean``, as its
    ModelForm does). Guarantees: only the campaign's office; refused while scoring of any
    stage of the zone is locked; a criterion that has scores or vetoes keeps its kind, so no
    evaluator's work silently stops counting; only a measurement criterion keeps a measure;
    a veto item carries no weight; the zone's results are recomputed.
    """
    zone = criterion.zone
    require_staff_of(zone, user)
    with transaction.atomic():
        lock_zone(zone.pk)  # a stage lock taken meanwhile is seen
        _refuse_if_zone_locked(zone)
        if criterion.pk:
            kind_before = (
                Criterion.objects.filter(pk=criterion.pk).values_list("kind", flat=True).first()
            )
            if kind_before != criterion.kind and _has_records(criterion):
                raise ValidationError(
                    {
                        "kind": _(
                            "This criterion already has scores or vetoes, so its kind "
                            "cannot change."
                        )
                    }
                )
        if criterion.kind != Criterion.Kind.MEASUREMENT:
            criterion.measure = ""
        criterion.save()
        if criterion.kind == Criterion.Kind.VETO:
            criterion.weights.all().delete()
        _recompute_zone(zone)
    return criterion


def delete_criterion(criterion: Criterion, user) -> None:
    """Remove a criterion, with its weights, from its zone's set.

    Guarantees: only the campaign's office; refused while scoring of any stage of the zone is
    locked, and once the criterion has scores or vetoes (they stay on record; a weight of 0
    takes a scored criterion out of the results); the zone's results are recomputed.
    """
    zone = criterion.zone
    require_staff_of(zone, user)
    with transaction.atomic():
        lock_zone(zone.pk)  # a stage lock taken meanwhile is seen
        _refuse_if_zone_locked(zone)
        if _has_records(criterion):
            raise ValidationError(
                _(
                    "“%(criterion)s” already has scores or vetoes, which would be lost; it "
                    "cannot be deleted."
                )
                % {"criterion": criterion}
            )
        criterion.delete()
        _recompute_zone(zone)


GRADE_NAME_LENGTH = 32  # FinalResult.grade


def check_grade_bands(bands) -> list[list[str]]:
    """Grade bands as stored in ScoringRules: ``[[lowest score, name], ...]``, highest first.

    Raises ValidationError, listing every problem, unless each band has a name and a lowest
    score that is a number from 0 to 100 with at most 2 decimals, and the lowest scores go
    down strictly from one band to the next.
    """
    clean, errors, previous = [], [], None
    for position, band in enumerate(bands, start=1):
        try:
            raw, name = band
        except (TypeError, ValueError):
            errors.append(_("Grade band %(n)d: give a lowest score and a name.") % {"n": position})
            continue
        name = str(name or "").strip()
        try:
            lowest = Decimal(str(raw).strip())
        except (InvalidOperation, ValueError):
            lowest = None
        if lowest is None or not lowest.is_finite() or not 0 <= lowest <= 100:
            errors.append(
                _("Grade band %(n)d: the lowest score is a number from 0 to 100.") % {"n": position}
            )
            continue
        if lowest.as_tuple().exponent < -2:
            errors.append(
                _("Grade band %(n)d: the lowest score has at most 2 decimals.") % {"n": position}
            )
        if not name:
            errors.append(_("Grade band %(n)d needs a name.") % {"n": position})
        elif len(name) > GRADE_NAME_LENGTH:
            errors.append(
                _("Grade band %(n)d: a grade has at most %(max)d characters.")
                % {"n": position, "max": GRADE_NAME_LENGTH}
            )
        if previous is not None and lowest >= previous:
            errors.append(
                _(
                    "Grade band %(n)d: list the bands highest first; each lowest score must "
                    "be below the one before (%(lowest)s is not below %(previous)s)."
                )
                % {
                    "n": position,
                    "lowest": format(lowest.normalize(), "f"),
                    "previous": format(previous.normalize(), "f"),
                }
            )
        previous = lowest
        clean.append([format(lowest.normalize(), "f"), name])
    if errors:
        raise ValidationError(errors)
    return clean


def save_scoring_rules(
    campaign,
    user,
    *,
    trim_threshold: int,
    spread_threshold_percent,
    tie_break_codes: list[str],
    grade_bands: list,
    failing_grade: str,
) -> ScoringRules:
    """Create or change a campaign's scoring rules (SCORING.md).

    Guarantees: only the campaign's office; the grade bands pass ``check_grade_bands``; the
    tie-break codes are codes of criteria of the campaign's zones, each listed once, in the
    order given; the model's own limits hold (trimming from at least 3 scores, spread alert
    0–100 %); the trimming rule does not change while scoring of a stage of the campaign is
    locked (locked scores would change); the results of the campaign's zones are recomputed,
    so ranks and grades follow the new rules. Raises ValidationError (a dict by field name)
    and saves nothing when any of this fails.
    """
    from competitions.models import Zone

    from .results import recompute

    require_staff_of(campaign, user)
    errors = {}
    try:
        bands = check_grade_bands(grade_bands)
    except ValidationError as error:
        errors["grade_bands"] = error.messages
    codes = [code for code in tie_break_codes if code]
    known = set(Criterion.objects.filter(zone__campaign=campaign).values_list("code", flat=True))
    if len(set(codes)) != len(codes):
        errors["tie_break_codes"] = [_("List each tie-break criterion once.")]
    elif unknown := [code for code in codes if code not in known]:
        errors["tie_break_codes"] = [
            _("No zone of this campaign has a criterion with the code %(codes)s.")
            % {"codes": "、".join(unknown)}
        ]
    with transaction.atomic():
        rules = ScoringRules.objects.select_for_update().filter(
            campaign=campaign
        ).first() or ScoringRules(campaign=campaign)
        # The zones' locks (as lock_zone): a stage locked meanwhile is seen below.
        list(Zone.objects.filter(campaign=campaign).order_by("pk").select_for_update().only("pk"))
        if (
            str(rules.trim_threshold) != str(trim_threshold)
            and StageLock.objects.filter(zone__campaign=campaign).exists()
        ):
            errors["trim_threshold"] = [
                _(
                    "Scoring of a stage of this campaign is locked, so the trimming rule "
                    "can no longer change."
                )
            ]
        if errors:
            raise ValidationError(errors)
        rules.trim_threshold = trim_threshold
        rules.spread_threshold_percent = spread_threshold_percent
        rules.tie_break_codes = codes
        rules.grade_bands = bands
        rules.failing_grade = (failing_grade or "").strip()
        rules.full_clean(exclude=["campaign"])
        rules.save()
        recompute(zones=Zone.objects.filter(campaign=campaign))
    return rules


def zone_entries(zone):
    """The entries of a zone: its projects that take part in scoring."""
    from .results import ENTRY_STATUSES

    return zone.projects.filter(status__in=ENTRY_STATUSES)


def assign_entries(zone, stage, evaluator, projects, user):
    """Staff assign one evaluator to several entries of a zone in a stage.

    Guarantees: only the campaign's office; refused as a whole while the stage is locked in
    the zone; each pair goes through ``assign_evaluator`` (the user is an evaluator, the
    campaign matches, no conflict of interest), so every refused pair comes back with its
    reason while the allowed ones are saved; projects that are not entries of the zone are
    refused; the entries' results are recomputed (a new evaluator's scores are missing).
    Returns ``(assignments, refused)``, ``refused`` a list of ``(project, reason)``.
    """
    from .results import ENTRY_STATUSES, recompute

    require_staff_of(zone, user)
    if stage.campaign_id != zone.campaign_id:
        raise ValidationError(_("The stage does not belong to the zone's campaign."))
    done, refused = [], []
    with transaction.atomic():
        # A stage lock taken meanwhile (it holds the zone's lock) is seen below.
        lock_zone(zone.pk)
        _refuse_if_stage_locked(zone, stage)
        for project in projects:
            if project.zone_id != zone.pk or project.status not in ENTRY_STATUSES:
                refused.append((project, _("It is not an entry of this zone.")))
                continue
            try:
                done.append(assign_evaluator(evaluator=evaluator, project=project, stage=stage))
            except ValidationError as error:
                refused.append((project, " ".join(error.messages)))
        if done:
            recompute(project_ids=[assignment.project_id for assignment in done])
    return done, refused


def remove_assignment(assignment, user) -> None:
    """Withdraw an evaluator from an entry in a stage.

    Guarantees: only the campaign's office; refused while the stage is locked in the entry's
    zone, and once the evaluator has submitted scores for the entry (draft scores go with
    the assignment); the entry's results are recomputed.
    """
    from .results import recompute

    project = assignment.project
    require_staff_of(project.zone, user)
    with transaction.atomic():
        # Score saves hold the zone's lock: one submitted meanwhile is seen below.
        lock_zone(project.zone_id)
        _refuse_if_stage_locked(project.zone, assignment.stage)
        if assignment.scores.filter(submitted=True).exists():
            raise ValidationError(
                _("%(evaluator)s has submitted scores for “%(project)s”; the assignment stays.")
                % {"evaluator": assignment.evaluator, "project": project}
            )
        assignment.delete()
        recompute(project_ids=[project.pk])


@dataclass
class Shortfall:
    """An entry that could not get the number of evaluators asked for, and why."""

    project: object
    assigned: int  # evaluators the entry has after the run
    missing: int  # how many it is short of the number asked for
    reason: str
    # (evaluator, reason) for each chosen evaluator a conflict of interest ruled out
    conflicts: list = field(default_factory=list)


@dataclass
class AutoAssignReport:
    entries: int  # entries of the zone considered
    created: list  # the new EvaluatorAssignment rows
    shortfalls: list  # Shortfall per entry left short, in entry order


def auto_assign(zone, stage, evaluators, per_entry: int, user) -> AutoAssignReport:
    """Give every entry of ``zone`` ``per_entry`` evaluators in ``stage``, drawn from
    ``evaluators`` (users or their ids).

    Guarantees:

    - only the campaign's office; only active evaluators; a stage of the zone's campaign,
      not locked in the zone; ``per_entry`` at least 1;
    - assignments that exist count towards ``per_entry`` (those of evaluators outside
      ``evaluators`` too) and are never removed, so a second run adds nothing;
    - the conflict-of-interest rule (``rules.conflict_of_interest``) is never broken;
    - load balance: each place goes to the eligible evaluator with the fewest assignments in
      this zone and stage, ties to the lowest id, and the entries with the fewest eligible
      evaluators choose first. Starting from loads within one of each other and with no
      conflict in the way, the loads of ``evaluators`` still differ by at most one after;
    - all or nothing, in one transaction; a constant number of queries whatever the number
      of entries: conflicts are decided in memory on preloaded units and organisation paths,
      and the new rows and their audit entries are written in bulk;
    - an entry that cannot get ``per_entry`` evaluators gets as many as it can and is
      reported in ``shortfalls`` with the reason.
    """
    from django.contrib.auth import get_user_model

    from competitions.audit import log_bulk
    from competitions.models import Project

    from .results import ENTRY_STATUSES, recompute

    require_staff_of(zone, user)
    if stage.campaign_id != zone.campaign_id:
        raise ValidationError(_("The stage does not belong to the zone's campaign."))
    try:
        per_entry = int(per_entry)
    except (TypeError, ValueError) as error:
        raise ValidationError(_("Enter a whole number of evaluators per entry.")) from error
    if per_entry < 1:
        raise ValidationError(_("Ask for at least one evaluator per entry."))
    wanted = {getattr(evaluator, "pk", evaluator) for evaluator in evaluators}
    if not wanted:
        raise ValidationError(_("Choose at least one evaluator."))
    User = get_user_model()
    pool = list(
        User.objects.filter(pk__in=wanted, role=User.Role.EVALUATOR, is_active=True)
        .select_related("organisation")
        .order_by("pk")
    )
    if len(pool) != len(wanted):
        raise ValidationError(_("Only active evaluators can be assigned."))

    with transaction.atomic():
        # Two runs on one zone at once would both count the same free places.
        lock_zone(zone.pk)
        _refuse_if_stage_locked(zone, stage)
        entries = list(
            Project.objects.filter(zone=zone, status__in=ENTRY_STATUSES)
            .select_related("unit__organisation")
            .order_by("pk")
        )
        assigned = defaultdict(set)  # project id -> evaluator ids
        load = dict.fromkeys((evaluator.pk for evaluator in pool), 0)
        for project_id, evaluator_id in EvaluatorAssignment.objects.filter(
            stage=stage, project__zone=zone
        ).values_list("project_id", "evaluator_id"):
            assigned[project_id].add(evaluator_id)
            if evaluator_id in load:
                load[evaluator_id] += 1

        plans = []
        for project in entries:
            have = assigned[project.pk]
            if len(have) >= per_entry:
                continue
            eligible, conflicts = [], []
            for evaluator in pool:
                if evaluator.pk in have:
                    continue
                reason = conflict_of_interest(evaluator, project)
                if reason:
                    conflicts.append((evaluator, reason))
                else:
                    eligible.append(evaluator)
            plans.append((project, have, eligible, conflicts))
        # The most constrained entries choose first; the flexible ones then even out the loads.
        plans.sort(key=lambda plan: (len(plan[2]), plan[0].pk))

        created, shortfalls = [], []
        for project, have, eligible, conflicts in plans:
            need = per_entry - len(have)
            chosen = heapq.nsmallest(need, eligible, key=lambda e: (load[e.pk], e.pk))
            for evaluator in chosen:
                load[evaluator.pk] += 1
                created.append(
                    EvaluatorAssignment(evaluator=evaluator, project=project, stage=stage)
                )
            if len(chosen) < need:
                shortfalls.append(
                    Shortfall(
                        project=project,
                        assigned=len(have) + len(chosen),
                        missing=need - len(chosen),
                        reason=_(
                            "%(missing)d short: of the %(chosen)d chosen evaluators, "
                            "%(assigned)d are assigned to it already and %(conflicts)d have "
                            "a conflict of interest."
                        )
                        % {
                            "missing": need - len(chosen),
                            "chosen": len(pool),
                            "assigned": len(pool) - len(eligible) - len(conflicts),
                            "conflicts": len(conflicts),
                        },
                        conflicts=conflicts,
                    )
                )
        if created:
            EvaluatorAssignment.objects.bulk_create(created)
            # bulk_create sends no signals: write the audit entries auditlog would have.
            log_bulk(EvaluatorAssignment, [(None, row) for row in created], user)
            recompute(project_ids=sorted({row.project_id for row in created}))
    shortfalls.sort(key=lambda shortfall: shortfall.project.pk)
    return AutoAssignReport(entries=len(entries), created=created, shortfalls=shortfalls)


def active_evaluators():
    """The users who may be assigned to score: active evaluators, by name."""
    from django.contrib.auth import get_user_model

    User = get_user_model()
    return (
        User.objects.filter(role=User.Role.EVALUATOR, is_active=True)
        .select_related("organisation", "unit")
        .order_by("display_name", "username", "pk")
    )
