"""Permission predicates for the competition hierarchy (django-rules).

Seeing a record is decided by the scoped querysets in ``queries``; these rules decide who
may change what. Organiser staff manage their own organisation's subtree; campaigns are
managed by the staff of their organisers and co-organisers (and the unions above them).
"""

import rules
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from . import queries


@rules.predicate
def is_organiser(user):
    return queries.user_role(user) == "organiser"


@rules.predicate
def has_role(user):
    return queries.user_role(user) is not None


def _within(user, path: str) -> bool:
    return path.startswith(user.organisation.path)


@rules.predicate
def manages_organisation(user, organisation):
    return organisation is None or _within(user, organisation.path)


@rules.predicate
def manages_campaign(user, obj):
    """``obj`` is a campaign or anything that belongs to one (zone, stage, document)."""
    if obj is None:
        return True
    campaign = getattr(obj, "campaign", obj)
    paths = [campaign.organiser.path, *(o.path for o in campaign.co_organisers.all())]
    return any(_within(user, path) for path in paths)


@rules.predicate
def manages_unit(user, obj):
    """``obj`` is a unit or anything that belongs to one (team, person, project), or to a
    project (progress report)."""
    if obj is None:
        return True
    if not hasattr(obj, "unit") and hasattr(obj, "project"):
        obj = obj.project
    unit = getattr(obj, "unit", obj)
    return _within(user, unit.organisation.path)


def can_view(scope):
    """A predicate that holds when ``obj`` is in the user's scope as given by ``scope``."""

    @rules.predicate(name=f"can_view_{scope.__name__}")
    def predicate(user, obj):
        if obj is None:
            return has_role(user)
        return scope(user).filter(pk=obj.pk).exists()

    return predicate


staff_of_campaign = is_organiser & manages_campaign
staff_of_unit = is_organiser & manages_unit

PERMISSIONS = {
    "organisation": (queries.organisations_for_user, rules.always_deny),
    "campaign": (queries.campaigns_for_user, staff_of_campaign),
    "campaigndocument": (queries.documents_for_user, staff_of_campaign),
    "zone": (queries.zones_for_user, staff_of_campaign),
    "stage": (queries.stages_for_user, staff_of_campaign),
    "unit": (queries.units_for_user, staff_of_unit),
    "team": (queries.teams_for_user, staff_of_unit),
    "person": (queries.people_for_user, staff_of_unit),
    "project": (queries.projects_for_user, staff_of_unit),
    "campaignregistration": (queries.registrations_for_user, staff_of_unit),
    "milestone": (queries.milestones_for_user, rules.always_deny),
    "projectattachment": (queries.attachments_for_user, rules.always_deny),
    "projecttransition": (queries.transitions_for_user, rules.always_deny),
    "progressreport": (queries.reports_for_user, staff_of_unit),
    "reportattachment": (queries.report_attachments_for_user, rules.always_deny),
}

for model, (scope, manage) in PERMISSIONS.items():
    rules.add_perm(f"competitions.view_{model}", rules.is_superuser | can_view(scope))
    rules.add_perm(f"competitions.change_{model}", rules.is_superuser | manage)
    rules.add_perm(f"competitions.add_{model}", rules.is_superuser | manage)
    rules.add_perm(f"competitions.delete_{model}", rules.is_superuser)


def is_liaison_of(user, project) -> bool:
    """The unit's own liaison acts for the unit (declares, submits, withdraws)."""
    return queries.user_role(user) == "unit" and user.unit_id == project.unit_id


def may_review(user, obj) -> bool:
    """Staff of a unit's organisation or above decide its declarations and registrations.

    ``obj`` is a unit or anything that belongs to one (project, registration)."""
    role = queries.user_role(user)
    if role == "superuser":
        return True
    unit = getattr(obj, "unit", obj)
    return role == "organiser" and _within(user, unit.organisation.path)


def may_declare(user) -> bool:
    return queries.user_role(user) == "unit"


def is_office_staff(user) -> bool:
    """Competition office staff (or a superuser): review queues, imports, the report grid."""
    return queries.user_role(user) in ("organiser", "superuser")


def require_office_staff(user) -> None:
    if not is_office_staff(user):
        raise PermissionDenied(_("Only competition office staff can do this."))
