from competitions.queries import projects_for_user, user_role

from .models import EvaluatorAssignment


def assignments_for_user(user):
    """Evaluators see their own assignments; staff those of the projects in their scope."""
    qs = EvaluatorAssignment.objects.all()
    role = user_role(user)
    if role == "superuser":
        return qs
    if role == "evaluator":
        return qs.filter(evaluator=user)
    if role == "organiser":
        return qs.filter(project__in=projects_for_user(user))
    return qs.none()
