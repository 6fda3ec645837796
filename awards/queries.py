"""Scoped querysets of the honours pages and API (what each user may read).

The lists themselves are scoped by ``honour_lists_for_user`` (the campaigns the user
sees). Which of their entries a user reads is decided here, once for pages and API:

- the staff who run the campaign (``campaigns_run_by``): every entry, removed ones included;
- everyone else who sees the list: the active entries of a list published or confirmed (the
  public notice shows them anyway) and, for a unit liaison, their own unit's entries.
"""

from django.db.models import Exists, OuterRef, Q

from competitions.models import Person, Project, Team, Unit
from competitions.queries import campaigns_for_user, campaigns_run_by, user_role

from .models import (
    Certificate,
    HonourList,
    HonourListEntry,
    HonourRule,
    HonourType,
    InstantHonour,
    Objection,
    SummaryBuild,
)

PUBLIC_STATUSES = (HonourList.Status.PUBLISHED, HonourList.Status.CONFIRMED)


def honour_rules_for_user(user):
    """The honour rules of the campaigns the user can see."""
    return HonourRule.objects.filter(campaign__in=campaigns_for_user(user))


def honour_lists_for_user(user):
    """The honours lists of the campaigns the user can see."""
    return HonourList.objects.filter(rule__campaign__in=campaigns_for_user(user))


def objections_for_staff(user):
    """Objections to the lists of the campaigns the user's office runs (they show who
    objected, so not to staff who merely see the campaign)."""
    return Objection.objects.filter(entry__honour_list__rule__campaign__in=campaigns_run_by(user))


def certificates_for_user(user):
    """The certificates the user may see and download: the competition office of the
    campaign (its organiser's or a co-organiser's staff, or a union above them) and the
    recipient's unit liaison; a superuser all. Staff who merely see a campaign (a district
    under the organiser) do not get its certificates."""
    role = user_role(user)
    if role == "superuser":
        return Certificate.objects.all()
    if role == "organiser":
        return Certificate.objects.filter(campaign__in=campaigns_run_by(user))
    if role == "unit":
        return Certificate.objects.filter(
            Q(entry__unit_id=user.unit_id) | Q(instant_honour__unit_id=user.unit_id)
        )
    return Certificate.objects.none()


def entries_for_user(user):
    """The entries of the lists the user sees that the user may read (module docstring)."""
    visible = Q(honour_list__rule__campaign__in=campaigns_run_by(user)) | Q(
        honour_list__status__in=PUBLIC_STATUSES, removed_at__isnull=True
    )
    if user_role(user) == "unit":
        visible |= Q(unit_id=user.unit_id)
    return HonourListEntry.objects.filter(honour_list__in=honour_lists_for_user(user)).filter(
        visible
    )


def awaiting_nomination(user):
    """A unit liaison's active entries on draft lists of person or team honours: the unit
    names (or changes) who receives them until the list is published."""
    if user_role(user) != "unit":
        return HonourListEntry.objects.none()
    return (
        HonourListEntry.objects.filter(
            unit_id=user.unit_id,
            removed_at__isnull=True,
            honour_list__status=HonourList.Status.DRAFT,
            honour_list__rule__honour_type__recipient__in=(
                HonourType.Recipient.PERSON,
                HonourType.Recipient.TEAM,
            ),
        )
        .select_related(
            "honour_list__rule__honour_type",
            "honour_list__rule__campaign",
            "honour_list__rule__zone",
            "project",
            "person",
            "team",
        )
        .order_by("honour_list__rule__campaign", "honour_list", "rank", "pk")
    )


def instant_honours_for_user(user):
    """Instant honours of the campaigns the user sees."""
    return InstantHonour.objects.filter(campaign__in=campaigns_for_user(user))


def participating_units(campaign, zone=None):
    """The units that take part in a campaign (or one zone of it): a project there, a
    contestant in its skill contest, or an approved registration (campaign-wide only)."""
    from competitions.models import CampaignRegistration
    from skills.models import Contestant

    projects = Project.objects.filter(campaign=campaign, unit_id=OuterRef("pk"))
    if zone is not None:
        projects = projects.filter(zone=zone)
    taking_part = Q(Exists(projects))
    if zone is None:
        contestants = Contestant.objects.filter(event__campaign=campaign, unit_id=OuterRef("pk"))
        registered = CampaignRegistration.objects.filter(
            campaign=campaign,
            unit_id=OuterRef("pk"),
            status=CampaignRegistration.Status.APPROVED,
        )
        taking_part |= Q(Exists(contestants)) | Q(Exists(registered))
    elif campaign.kind == campaign.Kind.SKILL:
        contestants = Contestant.objects.filter(event__campaign=campaign, unit_id=OuterRef("pk"))
        taking_part |= Q(Exists(contestants))
    return Unit.objects.filter(taking_part)


def participating_people(campaign, zone=None):
    return Person.objects.filter(unit__in=participating_units(campaign, zone))


def participating_teams(campaign, zone=None):
    return Team.objects.filter(unit__in=participating_units(campaign, zone))


def campaign_projects(campaign, zone=None):
    projects = Project.objects.filter(campaign=campaign)
    return projects.filter(zone=zone) if zone is not None else projects


# Summaries -------------------------------------------------------------------------------


def summary_campaigns_for_user(user):
    """The campaigns whose summaries the user reads and builds: their competition office
    (staff of the organiser and co-organisers) and the unions above them."""
    return campaigns_run_by(user)


def summary_builds_for_user(user):
    """The summary builds (with their snapshots) of those campaigns."""
    return SummaryBuild.objects.filter(campaign__in=campaigns_run_by(user))


def overview_campaigns_for_user(user):
    """The campaigns whose overview screen (大屏) the user may open: union staff (and
    superusers) who can see the campaign. Unit liaisons and evaluators have none."""
    if user_role(user) not in ("organiser", "superuser"):
        return campaigns_for_user(user).none()
    return campaigns_for_user(user)
