"""The scoped querysets decide who sees what; every page and endpoint is built on them."""

import pytest

from competitions import queries


def names(qs, field="name"):
    return set(qs.values_list(field, flat=True))


@pytest.mark.parametrize(
    ("user", "units"),
    [
        ("superuser", {"西湖酒店", "滨江电力"}),
        ("province", {"西湖酒店", "滨江电力"}),
        ("city", {"西湖酒店", "滨江电力"}),
        ("west", {"西湖酒店"}),
        ("east", {"滨江电力"}),
        ("unit_a", {"西湖酒店"}),
        ("unit_b", {"滨江电力"}),
        ("evaluator", {"西湖酒店"}),
        ("idle_evaluator", set()),
        ("norole", set()),
    ],
)
def test_units_for_user_follow_the_tree(world, user, units):
    assert names(queries.units_for_user(world.users[user])) == units


@pytest.mark.parametrize(
    ("user", "projects"),
    [
        ("city", {"酒店服务提升", "峰会保电"}),
        ("west", {"酒店服务提升"}),
        ("east", {"峰会保电"}),
        ("unit_a", {"酒店服务提升"}),
        ("unit_b", {"峰会保电"}),
        ("evaluator", {"酒店服务提升"}),
        ("idle_evaluator", set()),
        ("norole", set()),
    ],
)
def test_projects_for_user_follow_scope(world, user, projects):
    assert names(queries.projects_for_user(world.users[user]), "title") == projects


@pytest.mark.parametrize(
    ("user", "visible"),
    [
        ("province", True),  # the campaign is run inside the province's subtree
        ("city", True),  # the organiser
        ("west", True),  # run by the union above the district
        ("unit_a", True),  # reaches the unit through its district
        ("evaluator", True),  # assigned to one of its projects
        ("idle_evaluator", False),
        ("norole", False),
    ],
)
def test_campaigns_for_user(world, user, visible):
    assert queries.campaigns_for_user(world.users[user]).exists() is visible


def test_campaign_of_sibling_district_is_invisible(world):
    from .. import factories as f

    f.CampaignFactory(organiser=world.east, title="滨江区技能比武")
    assert "滨江区技能比武" not in names(queries.campaigns_for_user(world.users["west"]), "title")
    assert "滨江区技能比武" in names(queries.campaigns_for_user(world.users["east"]), "title")
    assert "滨江区技能比武" in names(queries.campaigns_for_user(world.users["city"]), "title")
    assert "滨江区技能比武" not in names(queries.campaigns_for_user(world.users["unit_a"]), "title")


def test_co_organiser_staff_see_the_campaign(world):
    from .. import factories as f

    office = f.organisation("峰会办", "other")
    campaign = f.CampaignFactory(organiser=world.east, title="联合竞赛")
    campaign.co_organisers.add(office)
    staff = f.UserFactory(role="organiser", organisation=office)
    assert names(queries.campaigns_for_user(staff), "title") == {"联合竞赛"}


@pytest.mark.parametrize(
    ("user", "organisations"),
    [
        ("city", {"杭州市总工会", "西湖区总工会", "滨江区总工会"}),
        ("west", {"西湖区总工会"}),
        ("unit_a", {"浙江省总工会", "杭州市总工会", "西湖区总工会"}),
        ("norole", set()),
    ],
)
def test_organisations_for_user(world, user, organisations):
    assert names(queries.organisations_for_user(world.users[user])) == organisations


def test_inactive_user_sees_nothing(world):
    user = world.users["city"]
    user.is_active = False
    assert not queries.projects_for_user(user).exists()
