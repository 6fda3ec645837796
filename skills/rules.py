import rules

from competitions.rules import can_view, is_organiser, manages_campaign

from . import queries
from .models import HeatJudge, Tier


@rules.predicate
def manages_event_of(user, obj):
    """``obj`` is an event, tier, heat or heat judge; staff of its campaign manage it."""
    if obj is None:
        return True
    for step in ("heat", "tier", "event"):
        obj = getattr(obj, step, obj)
    return manages_campaign.test(user, obj.campaign)


staff_of_event = is_organiser & manages_event_of


def tiers_for_user(user):
    return Tier.objects.filter(event__in=queries.events_for_user(user))


def heat_judges_for_user(user):
    return HeatJudge.objects.filter(heat__in=queries.heats_for_user(user))


PERMISSIONS = {
    "skillevent": queries.events_for_user,
    "tier": tiers_for_user,
    "heat": queries.heats_for_user,
    "heatjudge": heat_judges_for_user,
}

for model, scope in PERMISSIONS.items():
    rules.add_perm(f"skills.view_{model}", rules.is_superuser | can_view(scope))
    for action in ("add", "change", "delete"):
        rules.add_perm(f"skills.{action}_{model}", rules.is_superuser | staff_of_event)
