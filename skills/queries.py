"""Scoped querysets of skill contests: what each user may see.

- superuser: everything;
- organiser staff: the events of the campaigns they see; contestants of the campaigns they
  run (organiser or co-organiser in their subtree) and of the units in their subtree;
- unit liaison: the events of the campaigns that reach their unit; their own contestants;
  the entries of locked heats (results are public once locked);
- judge (evaluator): the events and heats they judge; entries of their heats, which the
  pages and API show by station number only until the heat is locked.
"""

from django.db.models import Exists, OuterRef, Q

from competitions import queries as cq

from .models import Contestant, Heat, HeatEntry, HeatJudge, SkillEvent


def events_for_user(user):
    role = cq.user_role(user)
    qs = SkillEvent.objects.all()
    if role == "superuser":
        return qs
    if role in ("organiser", "unit"):
        return qs.filter(campaign__in=cq.campaigns_for_user(user))
    if role == "evaluator":
        return qs.filter(tiers__heats__judges__judge=user).distinct()
    return qs.none()


def heats_for_user(user):
    role = cq.user_role(user)
    qs = Heat.objects.all()
    if role == "superuser":
        return qs
    if role in ("organiser", "unit"):
        return qs.filter(tier__event__in=events_for_user(user))
    if role == "evaluator":
        return qs.filter(Exists(HeatJudge.objects.filter(heat_id=OuterRef("pk"), judge=user)))
    return qs.none()


def contestants_for_user(user):
    role = cq.user_role(user)
    qs = Contestant.objects.all()
    if role == "superuser":
        return qs
    if role == "organiser":
        return qs.filter(
            Q(event__campaign__in=cq.campaigns_run_by(user))
            | Q(unit__organisation__path__startswith=user.organisation.path)
        )
    if role == "unit":
        return qs.filter(unit_id=user.unit_id)
    return qs.none()


def entries_for_user(user):
    role = cq.user_role(user)
    qs = HeatEntry.objects.all()
    if role == "superuser":
        return qs
    if role == "organiser":
        return qs.filter(
            Q(contestant__in=contestants_for_user(user))
            | Q(heat__locked_at__isnull=False, heat__in=heats_for_user(user))
        )
    if role == "unit":
        return qs.filter(
            Q(contestant__unit_id=user.unit_id)
            | Q(heat__locked_at__isnull=False, heat__in=heats_for_user(user))
        )
    if role == "evaluator":
        return qs.filter(heat__in=heats_for_user(user))
    return qs.none()


def waiting_contestants(heat):
    """The event's registered contestants not yet in a heat of ``heat``'s tier, when that is
    the first tier (later tiers are filled by advancement); none otherwise."""
    from .services import first_tier

    event = heat.tier.event
    first = first_tier(event)
    if first is None or first.pk != heat.tier_id:
        return Contestant.objects.none()
    in_tier = HeatEntry.objects.filter(heat__tier_id=heat.tier_id).values("contestant_id")
    return (
        event.contestants.exclude(pk__in=in_tier)
        .select_related("person", "unit")
        .order_by("unit__name", "person__name")
    )


def runs_event(user, event) -> bool:
    """Staff of the event's campaign (or a superuser): they run its heats and see names."""
    from scoring.services import is_staff_of

    return is_staff_of(event.campaign, user)


def shows_names(heat, user) -> bool:
    """Names are shown once the heat is locked, and before that only to the staff who run the
    contest; judges mark by station number (blind marking)."""
    return heat.locked_at is not None or runs_event(user, heat.tier.event)
