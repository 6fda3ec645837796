import rules
from django.utils.translation import gettext as _

from competitions.rules import can_view, is_organiser, manages_unit

from .queries import assignments_for_user


def conflict_of_interest(evaluator, project) -> str:
    """Why ``evaluator`` may not score ``project``, or "" when they may.

    An evaluator may not score an entry of their own unit, nor of a unit under the union
    organisation they are declared to belong to.
    """
    unit = project.unit
    if evaluator.unit_id and evaluator.unit_id == unit.pk:
        return _("The evaluator works for the project's unit.")
    if evaluator.organisation_id and unit.organisation.path.startswith(evaluator.organisation.path):
        message = _("The project's unit is under the evaluator's own union organisation (%(org)s).")
        return message % {"org": evaluator.organisation}
    return ""


@rules.predicate
def manages_assignment(user, assignment):
    """Staff manage the assignments of the projects of their subtree."""
    return assignment is None or manages_unit.test(user, assignment.project)


rules.add_perm(
    "scoring.view_evaluatorassignment", rules.is_superuser | can_view(assignments_for_user)
)
for action in ("add", "change", "delete"):
    rules.add_perm(
        f"scoring.{action}_evaluatorassignment",
        rules.is_superuser | (is_organiser & manages_assignment),
    )
