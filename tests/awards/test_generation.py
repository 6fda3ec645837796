"""Generating honours lists from the locked results (AWARDS.md), through the services."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from awards import services
from awards.models import HonourList, HonourListEntry, HonourType

from .conftest import EXAMPLE_2

SEEDED = {
    "五一劳动奖状": "unit",
    "五一劳动奖章": "person",
    "工人先锋号": "team",
    "劳动模范": "person",
    "模范集体": "unit",
    "先进集体": "unit",
    "先进个人": "person",
    "技术能手": "person",
    "工匠": "person",
}


def listed(honour_list):
    return {
        e.project.title: e.over_quota
        for e in honour_list.entries.filter(removed_at__isnull=True).select_related("project")
    }


@pytest.mark.django_db
def test_seeded_honour_types_present():
    types = {t.name: t for t in HonourType.objects.all()}
    assert {name: types[name].recipient for name in SEEDED} == SEEDED
    assert types["技术能手"].campaign_kind == "skill"
    assert types["先进集体"].campaign_kind == "labour"


def test_worked_example_quota_2_lists_a_and_b(ranking, honour):
    ranking(EXAMPLE_2, vetoed={"D"})
    rule = honour(quota=2, min_score="85")
    honour_list = services.generate(rule)
    assert listed(honour_list) == {"A": False, "B": False}
    entries = {e.project.title: e for e in honour_list.entries.select_related("project")}
    assert str(entries["A"].score) == "91.01" and entries["A"].rank == 2
    assert entries["B"].source == HonourListEntry.Source.GENERATED
    assert honour_list.status == HonourList.Status.DRAFT and honour_list.generated_at


def test_worked_example_quota_1_tie_listed_over_quota(ranking, honour):
    ranking(EXAMPLE_2, vetoed={"D"})
    honour_list = services.generate(honour(quota=1, min_score="85"))
    assert listed(honour_list) == {"A": True, "B": True}


def test_generate_refused_before_stages_locked(ranking, honour):
    ranking(EXAMPLE_2, vetoed={"D"}, lock=False)
    rule = honour(quota=2, min_score="85")
    with pytest.raises(ValidationError, match="locked"):
        services.generate(rule)
    assert not HonourList.objects.filter(rule=rule).exists()


def test_generate_twice_replaces_the_draft(ranking, honour):
    ranking(EXAMPLE_2, vetoed={"D"})
    rule = honour(quota=2, min_score="85")
    first = services.generate(rule)
    second = services.generate(rule)
    assert first.pk == second.pk
    assert HonourList.objects.filter(rule=rule).count() == 1
    assert HonourListEntry.objects.filter(honour_list=second).count() == 2
    assert listed(second) == {"A": False, "B": False}


def test_generate_never_touches_published_list(world, ranking, honour):
    ranking(EXAMPLE_2, vetoed={"D"})
    rule = honour(quota=2, min_score="85")
    honour_list = services.generate(rule)
    import datetime

    services.publish(honour_list, world.users["city"], datetime.date(2026, 3, 2))
    before = list(honour_list.entries.values_list("pk", "project__title", "over_quota"))
    with pytest.raises(ValidationError, match="published"):
        services.generate(rule)
    assert list(honour_list.entries.values_list("pk", "project__title", "over_quota")) == before
    honour_list.refresh_from_db()
    assert honour_list.status == HonourList.Status.PUBLISHED


def test_min_score_top_n_and_top_percent(ranking, honour):
    ranking(EXAMPLE_2, vetoed={"D"})
    assert listed(services.generate(honour(quota=5, min_score="90"))) == {
        "A": False,
        "B": False,
    }
    # Top 3 of the ranking: D (1, vetoed), A and B (2); C and E are 4th.
    rule = honour("模范集体", quota=5, top_n=3)
    assert listed(services.generate(rule)) == {"A": False, "B": False}
    # Top 40% of five: fewer than two entries ahead, so ranks 1 and 2.
    rule = honour("五一劳动奖状", quota=5, top_percent="40")
    assert listed(services.generate(rule)) == {"A": False, "B": False}


def test_completed_project_required(ranking, honour):
    projects = ranking(EXAMPLE_2, vetoed={"D"})
    projects["B"].status = "completed"
    projects["B"].save(update_fields=["status"])
    rule = honour(quota=2, require_completed=True)
    assert listed(services.generate(rule)) == {"B": False}


def test_per_unit_cap(world, ranking, honour):
    from .. import factories as f

    big = f.UnitFactory(name="大单位", organisation=world.west)
    scores = {"P1": ["95"], "P2": ["94"], "P3": ["93"], "P4": ["92"]}
    ranking(
        scores,
        units={"P1": big, "P2": big, "P3": big},
        leaders={name: {} for name in scores},
    )
    honour_list = services.generate(honour("先进个人", quota=3, per_unit_cap=2))
    assert listed(honour_list) == {"P1": False, "P2": False, "P4": False}
    assert {e.person.name for e in honour_list.entries.select_related("person")} == {
        "负责人P1",
        "负责人P2",
        "负责人P4",
    }


def test_generate_refused_to_other_staff(world, ranking, honour):
    ranking(EXAMPLE_2, vetoed={"D"})
    rule = honour(quota=2)
    with pytest.raises(PermissionDenied):
        services.queue_generation(rule, world.users["west"])


def test_skill_honour_refused_before_final_heat_locked(world, contest):
    from awards.models import HonourRule

    rule = HonourRule.objects.create(
        campaign=contest.campaign, honour_type=HonourType.objects.get(name="技术能手"), quota=3
    )
    with pytest.raises(ValidationError, match="final heat"):
        services.generate(rule)


def test_rule_clean_rejects_cap_and_composition_on_unit_honours(world, honour):
    rule = honour(quota=2)
    rule.per_unit_cap = 1
    rule.front_line_min = 60
    with pytest.raises(ValidationError) as error:
        rule.full_clean()
    assert {"per_unit_cap", "front_line_min"} <= set(error.value.message_dict)
