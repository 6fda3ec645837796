from django.db.models import Exists, OuterRef, Q

from competitions.models import Campaign, Stage
from competitions.queries import projects_for_user, user_role, zones_for_user

from .models import (
    Criterion,
    CriterionWeight,
    EvaluatorAssignment,
    FinalResult,
    Score,
    StageLock,
    Veto,
)


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


def criteria_for_user(user):
    """The criteria of the zones the user can see."""
    return Criterion.objects.filter(zone__in=zones_for_user(user))


def criterion_weights_for_user(user):
    """The stage weights of the criteria the user can see."""
    return CriterionWeight.objects.filter(criterion__zone__in=zones_for_user(user))


def scores_for_user(user):
    """Individual evaluator scores.

    An evaluator sees their own scores (drafts too), never another evaluator's. Staff see the
    submitted scores of the projects in their scope, at any time: they look into spread
    alerts before they lock a stage. Unit users never see individual scores through the API
    (their explanation page shows them anonymised once the stage is locked).
    """
    role = user_role(user)
    if role == "evaluator":
        return Score.objects.filter(assignment__evaluator=user)
    if role in ("superuser", "organiser"):
        qs = Score.objects.filter(submitted=True)
        return qs if role == "superuser" else qs.filter(project__in=projects_for_user(user))
    return Score.objects.none()


def all_stages_locked(zone="zone"):
    """A condition on rows with a ``zone`` foreign key (or, with ``zone=None``, on zones): the
    zone's campaign has stages and scoring of every one of them is locked in the zone."""
    campaign = OuterRef(f"{zone}__campaign_id" if zone else "campaign_id")
    zone_id = OuterRef(OuterRef(f"{zone}_id" if zone else "pk"))
    stages = Stage.objects.filter(campaign_id=campaign)
    unlocked = stages.exclude(
        Exists(StageLock.objects.filter(zone_id=zone_id, stage_id=OuterRef("pk")))
    )
    return Exists(stages) & ~Exists(unlocked)


def results_for_user(user):
    """Final results (with their stage results) of the projects the user can see.

    Staff (and superusers) see the results of the projects in their scope at any time, as
    they are computed. Unit users and evaluators see them only once scoring of every stage
    of the zone is locked, so nothing provisional is published.
    """
    role = user_role(user)
    if role == "superuser":
        return FinalResult.objects.all()
    qs = FinalResult.objects.filter(project__in=projects_for_user(user))
    if role == "organiser":
        return qs
    return qs.filter(all_stages_locked())


def vetoes_for_staff(user):
    """Vetoes against entries of the campaigns the user's competition office runs (or
    co-runs): those it may confirm or reject (``services.require_staff_of``)."""
    role = user_role(user)
    vetoes = Veto.objects.all()
    if role == "superuser":
        return vetoes
    if role != "organiser":
        return vetoes.none()
    own = user.organisation.path
    co_run = Campaign.co_organisers.through.objects.filter(
        campaign_id=OuterRef("pk"), organisation__path__startswith=own
    )
    campaigns = Campaign.objects.filter(Q(organiser__path__startswith=own) | Q(Exists(co_run)))
    return vetoes.filter(project__campaign__in=campaigns)
