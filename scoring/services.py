"""Scoring operations. Each function is the single path for its change."""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .models import (
    Criterion,
    CriterionWeight,
    EvaluatorAssignment,
    LockEvent,
    Score,
    StageLock,
    StageResult,
)
from .rules import conflict_of_interest


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
    from competitions.models import Project

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
        # Lock the entry so a stage lock or another save cannot interleave.
        Project.objects.select_for_update().filter(pk=project.pk).first()
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

    _require_staff_of(zone, user)
    with transaction.atomic():
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
    _require_staff_of(zone, user)
    if not (reason or "").strip():
        raise ValidationError(_("Give the reason for unlocking; it is recorded."))
    with transaction.atomic():
        deleted, _rows = StageLock.objects.filter(zone=zone, stage=stage).delete()
        if deleted:
            LockEvent.objects.create(
                zone=zone, stage=stage, locked=False, actor=user, reason=reason.strip()
            )


def _require_staff_of(zone, user):
    from competitions.queries import user_role
    from competitions.rules import manages_campaign

    role = user_role(user)
    if role == "superuser":
        return
    if role != "organiser" or not manages_campaign.test(user, zone.campaign):
        raise PermissionDenied(_("Only the campaign's competition office can do this."))


def copy_criteria_set(zone, key: str, user) -> list[Criterion]:
    """Copy a common criteria set (六比, 三比三赛, 五比) into a zone as judgement criteria
    out of 100, with equal weights in every stage. Criteria the zone has already (by code)
    are left as they are."""
    from .templates_sets import CRITERIA_SETS

    _require_staff_of(zone, user)
    if key not in CRITERIA_SETS:
        raise ValidationError(_("Unknown criteria set."))
    _label, lines = CRITERIA_SETS[key]
    with transaction.atomic():
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
    return created


def set_stage_weights(zone, stage, weights: dict, user) -> None:
    """Replace a stage's criterion weights in a zone. They must add up to exactly 1 over the
    zone's judgement and measurement criteria; otherwise nothing is saved (no silent
    renormalisation)."""
    _require_staff_of(zone, user)
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
        CriterionWeight.objects.filter(stage=stage, criterion__zone=zone).delete()
        CriterionWeight.objects.bulk_create(
            CriterionWeight(stage=stage, criterion_id=pk, weight=value)
            for pk, value in values.items()
        )


def check_stage_weights(campaign) -> None:
    """The stage weights of a campaign must add up to exactly 1."""
    total = sum((s.weight for s in campaign.stages.all()), Decimal(0))
    if total != 1:
        raise ValidationError(
            _("The stage weights must add up to 1; they add up to %(total)s.")
            % {"total": format(total.normalize(), "f")}
        )
