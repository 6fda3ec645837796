"""A city skill contest (电工) with unit heats feeding a city final.

``contest`` holds: ``campaign`` (a skill campaign of the city union), ``event`` (电工, theory
0.3), tiers ``unit_tier`` (top 2 of each heat advance) and ``city_tier`` (the final, prizes
10/20/30%), heats ``heat_a`` (four contestants of unit A, stations 01–04) and ``heat_b`` (two of
unit B, stations 01–02) in the unit tier, ``final`` in the city tier, judges ``judge1`` and
``judge2`` marking the practical of both unit heats, and ``entries_a`` / ``entries_b`` in
station order. Theory is imported (no theory judges). Nothing is marked yet.
"""

from dataclasses import dataclass

import pytest

from competitions.models import Campaign
from skills import services
from skills.models import Contestant, Heat, HeatEntry, HeatJudge, SkillEvent, Tier

from .. import factories as f


@dataclass
class Contest:
    campaign: Campaign
    event: SkillEvent
    unit_tier: Tier
    city_tier: Tier
    heat_a: Heat
    heat_b: Heat
    final: Heat
    judge1: object
    judge2: object
    entries_a: list[HeatEntry]
    entries_b: list[HeatEntry]


@pytest.fixture
def contest(world) -> Contest:
    campaign = f.CampaignFactory(
        organiser=world.city, title="杭州市职工职业技能大赛", kind=Campaign.Kind.SKILL
    )
    event = SkillEvent.objects.create(campaign=campaign, trade="电工", min_field_size=4)
    unit_tier = Tier.objects.create(event=event, level="unit", order=1, advance_count=2)
    city_tier = Tier.objects.create(event=event, level="city", order=2)
    heat_a = Heat.objects.create(tier=unit_tier, name="西湖酒店选拔赛")
    heat_b = Heat.objects.create(tier=unit_tier, name="滨江电力选拔赛")
    final = Heat.objects.create(tier=city_tier, name="市级决赛")
    judge1 = f.UserFactory(username="judge1", role="evaluator", display_name="王裁判")
    judge2 = f.UserFactory(username="judge2", role="evaluator", display_name="赵裁判")
    for heat in (heat_a, heat_b):
        for judge in (judge1, judge2):
            HeatJudge.objects.create(heat=heat, judge=judge, component="practical")

    def field(heat, unit, names):
        entries = []
        for number, name in enumerate(names, start=1):
            person = f.PersonFactory(unit=unit, name=name)
            contestant = Contestant.objects.create(event=event, person=person, unit=unit)
            entries.append(
                HeatEntry.objects.create(
                    heat=heat, contestant=contestant, station_number=f"{number:02d}"
                )
            )
        return entries

    entries_a = field(heat_a, world.unit_a, ["陈一", "林二", "周三", "吴四"])
    entries_b = field(heat_b, world.unit_b, ["郑五", "孙六"])
    return Contest(
        campaign,
        event,
        unit_tier,
        city_tier,
        heat_a,
        heat_b,
        final,
        judge1,
        judge2,
        entries_a,
        entries_b,
    )


def mark(contest, heat, entries, theory, practical, seconds=None):
    """Mark a heat completely: imported theory per entry, and per entry the practical marks of
    judge1 and judge2 (``practical`` holds (judge1, judge2) pairs)."""
    staff = contest.campaign.organiser.users.filter(role="organiser").first()
    services.import_theory(
        heat,
        staff,
        [(n, e.station_number, t) for n, (e, t) in enumerate(zip(entries, theory, strict=True), 2)],
    )
    for index, judge in enumerate((contest.judge1, contest.judge2)):
        services.save_marks(
            heat,
            judge,
            "practical",
            {e: pair[index] for e, pair in zip(entries, practical, strict=True)},
        )
    if seconds:
        services.record_times(heat, staff, dict(zip(entries, seconds, strict=True)))
