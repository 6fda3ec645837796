"""Scoped querysets: what each user may see (属地管理、分级负责).

Every page, API endpoint and admin list starts from one of these functions, so a record
outside the user's scope cannot be listed or opened by any door.

- superuser: everything;
- organiser staff: their organisation's subtree; campaigns run by their subtree or by the
  unions above them;
- unit liaison: their own unit, its projects, and the campaigns that reach their unit;
- evaluator: the projects they are assigned to, with their units, zones and campaigns.
"""

from django.db.models import Exists, OuterRef, Q

from .models import Campaign, CampaignDocument, Organisation, Person, Project, Stage, Team, Unit


def _scope_path(user) -> str:
    """The path of the organisation whose subtree an organiser manages."""
    return user.organisation.path


def ancestor_paths(path: str) -> list[str]:
    """Paths of a node and all its ancestors (materialised path prefixes)."""
    step = Organisation.steplen
    return [path[:end] for end in range(step, len(path) + 1, step)]


def _home_path(user) -> str | None:
    """For liaisons and evaluators: the organisation their campaigns reach them through."""
    if user.is_liaison:
        return user.unit.organisation.path
    if user.organisation_id:
        return user.organisation.path
    return None


def user_role(user) -> str | None:
    """The role that decides the user's scope: superuser, organiser, unit, evaluator or None."""
    if not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return "superuser"
    if user.is_organiser and user.organisation_id:
        return "organiser"
    if user.is_liaison and user.unit_id:
        return "unit"
    if user.is_evaluator:
        return "evaluator"
    return None


def _assigned(user):
    from scoring.models import EvaluatorAssignment

    return EvaluatorAssignment.objects.filter(evaluator=user)


def organisations_for_user(user):
    role = user_role(user)
    qs = Organisation.objects.all()
    if role == "superuser":
        return qs
    if role == "organiser":
        return qs.filter(path__startswith=_scope_path(user))
    home = _home_path(user) if role else None
    if home:
        return qs.filter(path__in=ancestor_paths(home))
    return qs.none()


def _campaigns_reaching(path: str):
    """Campaigns organised or co-organised by the organisation at ``path`` or above it."""
    ancestors = ancestor_paths(path)
    co = Campaign.co_organisers.through.objects.filter(
        campaign_id=OuterRef("pk"), organisation__path__in=ancestors
    )
    return Q(organiser__path__in=ancestors) | Q(Exists(co))


def _run_by_subtree(path: str):
    """Campaigns organised or co-organised by the organisation at ``path`` or below it."""
    co_below = Campaign.co_organisers.through.objects.filter(
        campaign_id=OuterRef("pk"), organisation__path__startswith=path
    )
    return Q(organiser__path__startswith=path) | Q(Exists(co_below))


def campaigns_run_by(user):
    """The campaigns an organiser's subtree runs (organiser or co-organiser); all for a
    superuser, none for anyone else. Their staff see who objected, run heats, and so on."""
    role = user_role(user)
    if role == "superuser":
        return Campaign.objects.all()
    if role != "organiser":
        return Campaign.objects.none()
    return Campaign.objects.filter(_run_by_subtree(_scope_path(user)))


def campaigns_for_user(user):
    role = user_role(user)
    qs = Campaign.objects.all()
    if role == "superuser":
        return qs
    if role == "organiser":
        path = _scope_path(user)
        return qs.filter(_run_by_subtree(path) | _campaigns_reaching(path))
    if role == "unit":
        own = Project.objects.filter(campaign_id=OuterRef("pk"), unit_id=user.unit_id)
        return qs.filter(_campaigns_reaching(_home_path(user)) | Q(Exists(own)))
    if role == "evaluator":
        return qs.filter(pk__in=_assigned(user).values("project__campaign_id"))
    return qs.none()


def registered_campaigns(unit):
    """Running campaigns in which ``unit`` may declare projects (registration approved)."""
    from .models import CampaignRegistration

    return Campaign.objects.filter(
        status=Campaign.Status.ACTIVE,
        registrations__unit=unit,
        registrations__status=CampaignRegistration.Status.APPROVED,
    )


def zones_for_user(user):
    from .models import Zone

    return Zone.objects.filter(campaign__in=campaigns_for_user(user))


def stages_for_user(user):
    return Stage.objects.filter(campaign__in=campaigns_for_user(user))


def documents_for_user(user):
    return CampaignDocument.objects.filter(campaign__in=campaigns_for_user(user))


def units_for_user(user):
    role = user_role(user)
    qs = Unit.objects.all()
    if role == "superuser":
        return qs
    if role == "organiser":
        return qs.filter(organisation__path__startswith=_scope_path(user))
    if role == "unit":
        return qs.filter(pk=user.unit_id)
    if role == "evaluator":
        return qs.filter(pk__in=_assigned(user).values("project__unit_id"))
    return qs.none()


def teams_for_user(user):
    role = user_role(user)
    if role == "evaluator":
        return Team.objects.none()
    return Team.objects.filter(unit__in=units_for_user(user))


def people_for_user(user):
    role = user_role(user)
    if role == "evaluator":
        return Person.objects.none()
    return Person.objects.filter(unit__in=units_for_user(user))


def projects_for_user(user):
    role = user_role(user)
    qs = Project.objects.all()
    if role == "superuser":
        return qs
    if role == "organiser":
        return qs.filter(unit__organisation__path__startswith=_scope_path(user))
    if role == "unit":
        return qs.filter(unit_id=user.unit_id)
    if role == "evaluator":
        return qs.filter(pk__in=_assigned(user).values("project_id"))
    return qs.none()


def reports_for_user(user):
    """Progress reports of the projects the user may see."""
    from .models import ProgressReport

    return ProgressReport.objects.filter(project__in=projects_for_user(user))


def registrations_for_user(user):
    from .models import CampaignRegistration

    return CampaignRegistration.objects.filter(unit__in=units_for_user(user))


def milestones_for_user(user):
    from .models import Milestone

    return Milestone.objects.filter(project__in=projects_for_user(user))


def attachments_for_user(user):
    from .models import ProjectAttachment

    return ProjectAttachment.objects.filter(project__in=projects_for_user(user))


def transitions_for_user(user):
    from .models import ProjectTransition

    return ProjectTransition.objects.filter(project__in=projects_for_user(user))


def report_attachments_for_user(user):
    from .models import ReportAttachment

    return ReportAttachment.objects.filter(report__in=reports_for_user(user))
