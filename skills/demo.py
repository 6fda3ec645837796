"""Demo data of a city skill contest: 杭州市职工职业技能大赛, trade 电工, unit heats feeding the
city final. Two unit heats are locked (results on the board, their best two in the final), one
is still being marked: the demo evaluator has its practical to do."""

import datetime
from decimal import Decimal

from django.db import transaction

from competitions.models import Campaign, Person, Unit

from . import services
from .models import Heat, HeatJudge, SkillEvent, Tier

HEATS = [
    # (heat, unit name, locked)
    ("西子湖大酒店选拔赛", "杭州西子湖大酒店有限公司", True),
    ("钱塘建设选拔赛", "浙江钱塘建设集团有限公司", True),
    ("第三场选拔赛", None, False),
]


def _people(unit, count, start):
    people = list(Person.objects.filter(unit=unit).order_by("pk")[:count])
    for index in range(len(people), count):
        people.append(
            Person.objects.create(
                unit=unit, name=f"选手{start + index:02d}", trade="电工", is_front_line=True
            )
        )
    return people


@transaction.atomic
def build_skills_demo(organiser, users) -> bool:
    """Create the demo skill contest once; returns whether it was created."""
    campaign, created = Campaign.objects.get_or_create(
        organiser=organiser,
        title="杭州市职工职业技能大赛",
        defaults={
            "kind": Campaign.Kind.SKILL,
            "theme": "单位有比武,层层有选拔,全市有大赛",
            "start_date": datetime.date(2016, 3, 1),
            "end_date": datetime.date(2016, 11, 30),
            "status": Campaign.Status.ACTIVE,
            "office": "杭州市总工会经济技术部",
            "evaluation_method": (
                "理论知识30%、实际操作70%;实操五名以上裁判去掉一个最高分和一个最低分。"
            ),
        },
    )
    if not created and campaign.skill_events.exists():
        return False
    staff = users["city"]
    event = SkillEvent.objects.create(campaign=campaign, trade="电工", min_field_size=6)
    unit_tier = Tier.objects.create(event=event, level="unit", order=1, advance_count=2)
    city_tier = Tier.objects.create(event=event, level="city", order=2)
    final = Heat.objects.create(
        tier=city_tier,
        name="市级决赛",
        venue="杭州技师学院实训楼",
        starts_at=datetime.datetime(2016, 10, 20, 9, 0, tzinfo=datetime.UTC),
    )
    judges = [users[f"expert{n}"] for n in range(1, 4)]
    units = list(Unit.objects.order_by("pk"))
    used = {u for _h, u, _l in HEATS if u}
    spare = next(u for u in units if u.name not in used)
    for number, (name, unit_name, locked) in enumerate(HEATS):
        unit = Unit.objects.get(name=unit_name) if unit_name else spare
        heat = Heat.objects.create(tier=unit_tier, name=name, venue=unit.name)
        markers = judges if locked else [*judges[:2], users["evaluator"]]
        for judge in markers:
            HeatJudge.objects.create(heat=heat, judge=judge, component="practical")
        contestants = [services.register(event, p, staff) for p in _people(unit, 4, number * 4)]
        entries = services.enter_contestants(heat, contestants, staff)
        services.import_theory(
            heat,
            staff,
            [
                (row, e.station_number, Decimal(70 + (row * 7 + number * 3) % 28))
                for row, e in enumerate(entries, start=2)
            ],
        )
        services.record_times(
            heat, staff, {e: 2400 + (i * 131 + number * 57) % 900 for i, e in enumerate(entries)}
        )
        for offset, judge in enumerate(markers):
            if judge == users["evaluator"]:
                continue  # the demo evaluator's marks are still to come
            services.save_marks(
                heat,
                judge,
                "practical",
                {
                    e: Decimal(72 + (i * 11 + offset * 3 + number * 5) % 26)
                    for i, e in enumerate(entries)
                },
            )
        if locked:
            services.lock_heat(heat, staff)
    for judge in judges:
        HeatJudge.objects.create(heat=final, judge=judge, component="practical")
    return True
