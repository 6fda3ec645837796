import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from .. import factories as f
from .test_permission_matrix import CAN_SEE, ROLES

ENDPOINTS = ["organisations", "campaigns", "zones", "stages", "units", "projects"]


def api_client(world, role):
    client = APIClient()
    if role != "anonymous":
        client.force_authenticate(world.users[role])
    return client


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_api_requires_authentication(world, endpoint):
    response = APIClient().get(f"/api/v1/{endpoint}/")
    assert response.status_code == 401


@pytest.mark.parametrize("role", ROLES[1:])
@pytest.mark.parametrize(
    ("record", "endpoint"),
    [
        ("unit_a", "units"),
        ("unit_b", "units"),
        ("project_a", "projects"),
        ("project_b", "projects"),
        ("campaign", "campaigns"),
        ("zone", "zones"),
    ],
)
def test_api_detail_follows_scope(world, role, record, endpoint):
    pk = getattr(world, record).pk
    response = api_client(world, role).get(f"/api/v1/{endpoint}/{pk}/")
    assert response.status_code == (200 if record in CAN_SEE[role] else 404)


def test_api_projects_list_is_scoped_and_filterable(world):
    client = api_client(world, "city")
    data = client.get("/api/v1/projects/").json()
    assert data["count"] == 2
    filtered = client.get(f"/api/v1/projects/?unit={world.unit_a.pk}").json()
    assert [p["title"] for p in filtered["results"]] == ["酒店服务提升"]
    searched = client.get("/api/v1/projects/?q=保电").json()
    assert [p["title"] for p in searched["results"]] == ["峰会保电"]
    west = api_client(world, "west").get("/api/v1/projects/").json()
    assert [p["title"] for p in west["results"]] == ["酒店服务提升"]


def test_api_filter_with_out_of_scope_choice_is_refused(world):
    response = api_client(world, "west").get(f"/api/v1/projects/?unit={world.unit_b.pk}")
    assert response.status_code == 400


def test_api_organisation_parent_and_subtree_filter(world):
    client = api_client(world, "city")
    rows = {row["name"]: row for row in client.get("/api/v1/organisations/").json()["results"]}
    assert rows["西湖区总工会"]["parent"] == world.city.pk
    units = client.get(f"/api/v1/units/?organisation={world.west.pk}").json()
    assert [u["name"] for u in units["results"]] == ["西湖酒店"]


def test_api_token_authentication(world):
    token = Token.objects.create(user=world.users["east"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    titles = [p["title"] for p in client.get("/api/v1/projects/").json()["results"]]
    assert titles == ["峰会保电"]


def test_api_token_obtained_with_password(world):
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "east", "password": f.PASSWORD}, format="json"
    )
    assert response.status_code == 200
    assert Token.objects.get(user=world.users["east"]).key == response.json()["token"]


def test_api_is_read_only(world):
    client = api_client(world, "superuser")
    response = client.post("/api/v1/units/", {"name": "x"}, format="json")
    assert response.status_code == 405


def test_api_schema_validates(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    assert "/api/v1/projects/" in out.read_text()


def test_api_docs_page_loads_assets_locally(db, client):
    page = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in page
    assert "cdn" not in page.lower()


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_api_list_query_count_is_constant(world, endpoint):
    client = api_client(world, "city")
    before = _count(client, f"/api/v1/{endpoint}/")
    for n in range(20):
        unit = f.UnitFactory(organisation=world.west)
        f.ProjectFactory(zone=world.zone, unit=unit)
        f.ZoneFactory(campaign=world.campaign)
        f.StageFactory(campaign=world.campaign)
        f.organisation(f"街道工会{n}", "enterprise", world.east)
        world.east.refresh_from_db()
        f.CampaignFactory(organiser=world.west).co_organisers.add(world.east)
    assert _count(client, f"/api/v1/{endpoint}/") == before
