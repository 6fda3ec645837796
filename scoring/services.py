"""Scoring operations. Each function is the single path for its change."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .models import EvaluatorAssignment
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
