"""Demo honours of the G20 campaign (服务G20杭州峰会立功竞赛), zone 环境整治.

The zone is scored by the four external experts (三比三赛 criteria) and both stages are locked
through the scoring services, so its results are final (the 场馆建设 zone stays open: the demo
evaluator still has entries to score there). Then:

- 先进集体 (quota 2): generated, published in September 2016 and confirmed — its certificates
  are issued by ``services.confirm``;
- 五一劳动奖章 (quota 2, at most 1 per unit): generated and published from the day the demo is
  loaded, so the public notice page has a list in notice;
- one instant honour (工人先锋号) with its certificate.

Idempotent: a second run creates nothing.
"""

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from competitions.models import Campaign, Team

from . import services
from .models import HonourList, HonourRule, HonourType, InstantHonour

ZONE = "环境整治"
STAGE_WEIGHTS = {"environment": "0.40", "management": "0.35", "teamwork": "0.25"}
CONFIRMED_NOTICE_START = datetime.date(2016, 9, 12)


def _score_and_lock(zone, users) -> None:
    """Score the zone with the external experts and lock its stages (once)."""
    from scoring.results import ENTRY_STATUSES, recompute
    from scoring.services import (
        assign_evaluator,
        copy_criteria_set,
        is_locked,
        lock_stage,
        save_scores,
        set_stage_weights,
    )

    stages = list(zone.campaign.stages.order_by("order"))
    if all(is_locked(zone.pk, stage.pk) for stage in stages):
        return
    admin, staff = users["admin"], users["city"]
    if not zone.criteria.exists():
        criteria = {c.code: c for c in copy_criteria_set(zone, "sanbisansai", admin)}
        for stage in stages:
            weights = {criteria[code]: weight for code, weight in STAGE_WEIGHTS.items()}
            set_stage_weights(zone, stage, weights, admin)
        entries = list(zone.projects.filter(status__in=ENTRY_STATUSES).order_by("pk"))
        experts = [users[f"expert{n}"] for n in range(1, 5)]
        for stage in stages:
            for number, project in enumerate(entries):
                for offset, expert in enumerate(experts):
                    assignment = assign_evaluator(evaluator=expert, project=project, stage=stage)
                    values = {
                        criterion: Decimal(
                            80 + (number * 4 + index * 3 + offset * 2 + stage.order) % 16
                        )
                        for index, criterion in enumerate(criteria.values())
                    }
                    save_scores(assignment, values, expert, submit=True)
        recompute(zones=type(zone).objects.filter(pk=zone.pk))
    for stage in stages:
        lock_stage(zone, stage, staff)


def _settle_ties(honour_list, staff) -> None:
    """Entries tied at the cut-off: the best placed are kept up to the quota, the others
    leave the list (the office's decision, recorded with its reason)."""
    active = honour_list.entries.filter(removed_at__isnull=True)
    places = honour_list.rule.quota - active.filter(over_quota=False).count()
    for entry in active.filter(over_quota=True).order_by("rank", "pk"):
        if places > 0:
            services.resolve_over_quota(entry, staff, "并列名额经竞赛办研究确定")
            places -= 1
        else:
            services.remove_entry(entry, staff, "并列超出名额,经竞赛办研究不列入", substitute=False)


def _draft_ready(rule, staff) -> HonourList:
    honour_list = services.generate(rule)
    _settle_ties(honour_list, staff)
    return honour_list


def _honour_type(name: str, recipient: str) -> HonourType:
    """A seeded honour type (migration 0003), created again if the database lost it (the
    browser tests flush the tables between tests)."""
    honour_type, _created = HonourType.objects.get_or_create(
        name=name, level=HonourType.Level.CITY, defaults={"recipient": recipient}
    )
    return honour_type


@transaction.atomic
def build_awards_demo(campaign: Campaign, users: dict) -> dict[str, int]:
    """Create the demo honours of ``campaign`` (see the module docstring); ``users`` are the
    demo users by username. Returns the number of records created by kind."""
    created = dict.fromkeys(["rules", "confirmed lists", "published lists", "instant honours"], 0)
    staff = users["city"]
    zone = campaign.zones.get(name=ZONE)
    _score_and_lock(zone, users)

    group_rule, was_created = HonourRule.objects.get_or_create(
        campaign=campaign,
        zone=zone,
        honour_type=_honour_type("先进集体", "unit"),
        defaults={"quota": 2, "min_score": Decimal("80")},
    )
    created["rules"] += was_created
    medal_rule, was_created = HonourRule.objects.get_or_create(
        campaign=campaign,
        zone=zone,
        honour_type=_honour_type("五一劳动奖章", "person"),
        defaults={"quota": 2, "min_score": Decimal("80"), "per_unit_cap": 1},
    )
    created["rules"] += was_created

    group_list = HonourList.objects.filter(rule=group_rule).first()
    if group_list is None or group_list.status == HonourList.Status.DRAFT:
        group_list = _draft_ready(group_rule, staff)
        group_list = services.publish(group_list, staff, CONFIRMED_NOTICE_START)
        services.confirm(group_list, staff)
        created["confirmed lists"] += 1

    medal_list = HonourList.objects.filter(rule=medal_rule).first()
    if medal_list is None or medal_list.status == HonourList.Status.DRAFT:
        medal_list = _draft_ready(medal_rule, staff)
        services.publish(medal_list, staff, timezone.localdate())
        created["published lists"] += 1

    if not InstantHonour.objects.filter(campaign=campaign).exists():
        team = (
            Team.objects.filter(unit__projects__zone=zone)
            .select_related("unit")
            .order_by("unit__name", "name")
            .first()
        )
        services.award_instant(
            campaign,
            _honour_type("工人先锋号", "team"),
            staff,
            "峰会保障期间连续奋战72小时,圆满完成主会场周边环境整治任务。",
            unit=team.unit,
            team=team,
        )
        created["instant honours"] += 1
    return created
