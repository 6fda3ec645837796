"""Publishing, composition quotas, removal with substitution and confirming."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from awards import services
from awards.models import HonourList, HonourListEntry

from .conftest import EXAMPLE_2

MONDAY = datetime.date(2026, 3, 2)


def active(honour_list):
    return {
        e.project.title: (e.source, e.over_quota)
        for e in honour_list.entries.filter(removed_at__isnull=True).select_related("project")
    }


def test_add_working_days_skips_weekends():
    friday = datetime.date(2026, 3, 6)
    assert services.add_working_days(friday, 5) == datetime.date(2026, 3, 13)
    assert services.add_working_days(MONDAY, 5) == datetime.date(2026, 3, 9)


def test_publish_defaults_to_five_working_days(world, ranking, honour):
    ranking(EXAMPLE_2, vetoed={"D"})
    honour_list = services.generate(honour(quota=2, min_score="85"))
    friday = datetime.date(2026, 3, 6)
    published = services.publish(honour_list, world.users["city"], friday)
    assert published.status == HonourList.Status.PUBLISHED
    assert published.notice_start == friday
    assert published.notice_end == datetime.date(2026, 3, 13)
    assert published.published_by == world.users["city"]


def test_publish_refused_with_ties_over_quota(world, ranking, honour):
    ranking(EXAMPLE_2, vetoed={"D"})
    honour_list = services.generate(honour(quota=1, min_score="85"))
    with pytest.raises(ValidationError, match="over quota"):
        services.publish(honour_list, world.users["city"], MONDAY)
    a = honour_list.entries.get(project__title="A")
    services.resolve_over_quota(a, world.users["city"], "名额调剂")
    b = honour_list.entries.get(project__title="B")
    services.remove_entry(b, world.users["city"], "并列择优", substitute=False)
    assert services.publish(honour_list, world.users["city"], MONDAY).status == "published"


def test_worked_example_upheld_objection_substitutes_tied_entries(world, ranking, honour):
    ranking(EXAMPLE_2, vetoed={"D"})
    honour_list = services.generate(honour(quota=2, min_score="85"))
    services.publish(honour_list, world.users["city"], MONDAY)
    a = honour_list.entries.get(project__title="A")
    substitutes = services.remove_entry(a, world.users["city"], "异议成立:材料不实")
    assert {e.project.title for e in substitutes} == {"C", "E"}
    assert active(honour_list) == {
        "B": ("generated", False),
        "C": ("substitute", True),
        "E": ("substitute", True),
    }
    a.refresh_from_db()
    assert a.removed_at and a.removal_reason == "异议成立:材料不实"
    assert a.removed_by == world.users["city"]
    # The removed entry stays on record; A is not proposed again by a later removal.
    assert HonourListEntry.objects.filter(honour_list=honour_list).count() == 4


def test_remove_entry_needs_reason(world, ranking, honour):
    ranking(EXAMPLE_2, vetoed={"D"})
    honour_list = services.generate(honour(quota=2))
    with pytest.raises(ValidationError):
        services.remove_entry(honour_list.entries.first(), world.users["city"], "  ")


def test_composition_problems_refuse_publishing_without_override(world, ranking, honour):
    leaders = {
        "P1": {"is_front_line": True, "is_leader": True},
        "P2": {"is_leader": True, "is_industrial_worker": True},
        "P3": {"is_front_line": True, "is_migrant_worker": True},
        "P4": {"is_industrial_worker": True},
    }
    ranking({name: ["90"] for name in leaders} | {"P1": ["95"]}, leaders=leaders)
    rule = honour(
        "先进个人",
        quota=4,
        front_line_min="60",
        leader_max="15",
        industrial_min="35",
        migrant_min="10",
    )
    honour_list = services.generate(rule)
    problems = {
        p["quota"]: (p["limit"], p["actual"]) for p in services.composition_problems(honour_list)
    }
    assert set(problems) == {"front_line_min", "leader_max"}
    assert str(problems["front_line_min"][1]) == "50.00"
    assert str(problems["leader_max"][1]) == "50.00"
    with pytest.raises(ValidationError, match="composition"):
        services.publish(honour_list, world.users["city"], MONDAY)
    honour_list.refresh_from_db()
    assert honour_list.status == HonourList.Status.DRAFT
    published = services.publish(
        honour_list, world.users["city"], MONDAY, override_reason="一线岗位名额不足,经研究同意"
    )
    assert published.status == HonourList.Status.PUBLISHED
    assert published.composition_override_reason == "一线岗位名额不足,经研究同意"


def test_composition_met_has_no_problems(ranking, honour):
    leaders = {"P1": {"is_front_line": True}, "P2": {"is_front_line": True}}
    ranking({"P1": ["95"], "P2": ["90"]}, leaders=leaders)
    honour_list = services.generate(honour("先进个人", quota=2, front_line_min="60"))
    assert services.composition_problems(honour_list) == []


def test_confirm_after_notice_versions_the_list(world, ranking, honour):
    ranking(EXAMPLE_2, vetoed={"D"})
    honour_list = services.generate(honour(quota=2, min_score="85"))
    published = services.publish(honour_list, world.users["city"], MONDAY)
    with pytest.raises(ValidationError, match="not ended"):
        services.confirm(published, world.users["city"], today=published.notice_end)
    confirmed = services.confirm(
        published, world.users["city"], today=published.notice_end + datetime.timedelta(days=1)
    )
    assert confirmed.status == HonourList.Status.CONFIRMED and confirmed.version == 1
    with pytest.raises(ValidationError, match="confirmed"):
        services.remove_entry(confirmed.entries.first(), world.users["city"], "迟到的异议")
    with pytest.raises(ValidationError):
        services.generate(confirmed.rule)
