import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from .. import factories as f


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx)


def _grow(world, n=20):
    for i in range(n):
        unit = f.UnitFactory(organisation=world.west)
        f.TeamFactory(unit=unit)
        f.PersonFactory(unit=unit)
        f.ProjectFactory(zone=world.zone, unit=unit)
        f.ZoneFactory(campaign=world.campaign)
        f.CampaignFactory(organiser=world.city, title=f"活动{i}").co_organisers.add(world.west)


@pytest.mark.parametrize(
    "page", ["home", "campaign-list", "zone-list", "unit-list", "project-list"]
)
@pytest.mark.parametrize("role", ["city", "west", "unit_a", "evaluator"])
def test_list_page_query_count_is_constant(world, client_for, page, role):
    client = client_for(role)
    url = reverse(page)
    before = _count(client, url)
    _grow(world)
    assert _count(client, url) == before


@pytest.mark.parametrize(
    ("page", "record"),
    [
        ("campaign-detail", "campaign"),
        ("zone-detail", "zone"),
        ("unit-detail", "unit_a"),
        ("project-detail", "project_a"),
    ],
)
def test_detail_page_query_count_is_constant(world, client_for, page, record):
    client = client_for("city")
    url = reverse(page, args=[getattr(world, record).pk])
    before = _count(client, url)
    _grow(world)
    for _ in range(20):
        f.PersonFactory(unit=world.unit_a)
        f.TeamFactory(unit=world.unit_a)
        f.ProjectFactory(zone=world.zone, unit=world.unit_a)
    assert _count(client, url) == before


def test_project_list_filters(world, client_for):
    client = client_for("city")
    page = client.get(reverse("project-list"), {"unit": world.unit_b.pk}).content.decode()
    assert "峰会保电" in page and "酒店服务提升" not in page
    page = client.get(reverse("project-list"), {"q": "酒店"}).content.decode()
    assert "酒店服务提升" in page and "峰会保电" not in page
    page = client.get(reverse("project-list"), {"status": "draft"}).content.decode()
    assert "峰会保电" not in page and "酒店服务提升" not in page


def test_unit_list_filter_by_organisation_takes_subtree(world, client_for):
    page = client_for("city").get(reverse("unit-list"), {"organisation": world.city.pk})
    content = page.content.decode()
    assert "西湖酒店" in content and "滨江电力" in content
    page = client_for("city").get(reverse("unit-list"), {"organisation": world.east.pk})
    assert "西湖酒店" not in page.content.decode()


def test_list_pagination(world, client_for):
    _grow(world, 25)
    client = client_for("city")
    first = client.get(reverse("unit-list")).context
    assert first["page_obj"].paginator.count == 27
    assert len(first["object_list"]) == 20
    second = client.get(reverse("unit-list"), {"page": 2}).context
    assert len(second["object_list"]) == 7


def test_bad_filter_value_does_not_break_the_page(world, client_for):
    response = client_for("city").get(reverse("project-list"), {"zone": "abc", "page": "x"})
    assert response.status_code in (200, 404)
    assert response.status_code != 500


def test_dashboard_counts_by_role(world, client_for):
    context = client_for("west").get(reverse("home")).context
    assert context["project_total"] == 1
    assert context["unit_total"] == 1
    context = client_for("evaluator").get(reverse("home")).context
    assert [a.project for a in context["assignments"]] == [world.project_a]
