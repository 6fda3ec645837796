import rules
from django.db.models import Q

from competitions.queries import campaigns_for_user, campaigns_run_by, user_role
from competitions.rules import can_view, has_role, staff_of_campaign

from .models import Certificate, HonourList, HonourListEntry, HonourRule, Objection


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


def honour_entries_for_user(user):
    """The entries of the honours lists the user can see."""
    return HonourListEntry.objects.filter(honour_list__in=honour_lists_for_user(user))


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


rules.add_perm("awards.view_honourtype", rules.is_superuser | has_role)
for action in ("add", "change", "delete"):
    rules.add_perm(f"awards.{action}_honourtype", rules.is_superuser)

# Rules are set up by the campaign's competition office.
rules.add_perm("awards.view_honourrule", rules.is_superuser | can_view(honour_rules_for_user))
for action in ("add", "change", "delete"):
    rules.add_perm(f"awards.{action}_honourrule", rules.is_superuser | staff_of_campaign)

# Lists change only through the services (generate, publish, remove, confirm): the admin
# shows them.
rules.add_perm("awards.view_honourlist", rules.is_superuser | can_view(honour_lists_for_user))
for action in ("add", "change", "delete"):
    rules.add_perm(f"awards.{action}_honourlist", rules.always_deny)
rules.add_perm(
    "awards.view_honourlistentry", rules.is_superuser | can_view(honour_entries_for_user)
)
for action in ("add", "change", "delete"):
    rules.add_perm(f"awards.{action}_honourlistentry", rules.always_deny)

# Objections are read in the admin and decided on the list's objections page, through
# ``services.decide_objection``.
rules.add_perm("awards.view_objection", rules.is_superuser | can_view(objections_for_staff))
for action in ("add", "change", "delete"):
    rules.add_perm(f"awards.{action}_objection", rules.always_deny)

# Certificates are issued by ``services.issue_certificates`` and ``services.award_instant``
# only, and never change: their text is what was printed.
rules.add_perm("awards.view_certificate", rules.is_superuser | can_view(certificates_for_user))
for action in ("add", "change", "delete"):
    rules.add_perm(f"awards.{action}_certificate", rules.always_deny)


# Summaries -------------------------------------------------------------------------------


def summary_campaigns_for_user(user):
    """The campaigns whose summaries the user reads and builds: their competition office
    (staff of the organiser and co-organisers) and the unions above them."""
    return campaigns_run_by(user)


def summary_builds_for_user(user):
    """The summary builds (with their snapshots) of those campaigns."""
    from .models import SummaryBuild

    return SummaryBuild.objects.filter(campaign__in=campaigns_run_by(user))


def overview_campaigns_for_user(user):
    """The campaigns whose overview screen (大屏) the user may open: union staff (and
    superusers) who can see the campaign. Unit liaisons and evaluators have none."""
    from competitions.queries import user_role

    if user_role(user) not in ("organiser", "superuser"):
        return campaigns_for_user(user).none()
    return campaigns_for_user(user)
