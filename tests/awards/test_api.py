"""The honours API: lists with nested entries, the actions of the list page, public
objections and their decision, instant honours; scoping, permissions, refusals that change
nothing, query counts.

Set-ups go through the services; what is under test goes through the API. Messages are read
in English (``Accept-Language: en``).
"""

import datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from awards import services
from awards.models import (
    Certificate,
    HonourList,
    HonourListEntry,
    HonourRule,
    HonourType,
    InstantHonour,
    Objection,
)

from .. import factories as f
from .conftest import EXAMPLE_2

MONDAY = datetime.date(2026, 3, 2)
REFUSED = ["west", "east", "unit_a", "unit_b", "evaluator"]


@pytest.fixture(autouse=True)
def clear_cache():
    cache.clear()
    yield
    cache.clear()


def api(user=None):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def client_of(world):
    def make(role):
        return api(None if role == "anonymous" else world.users[role])

    return make


def medal_rule(world, **fields):
    fields.setdefault("quota", 2)
    fields.setdefault("min_score", "85")
    return HonourRule.objects.create(
        campaign=world.campaign,
        zone=world.zone,
        honour_type=HonourType.objects.get(name="五一劳动奖章"),
        **fields,
    )


def detail(client, honour_list):
    response = client.get(f"/api/v1/honour-lists/{honour_list.pk}/")
    assert response.status_code == 200, response.content
    return response.json()


# --- The flow ----------------------------------------------------------------------------------


def test_flow_through_the_api(world, ranking, client_of, django_capture_on_commit_callbacks):
    leaders = {name: {"is_front_line": True} for name in "BCDE"}
    ranking(EXAMPLE_2, vetoed={"D"}, units={"A": world.unit_a}, leaders=leaders)
    rule = medal_rule(world)
    staff = client_of("city")

    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post("/api/v1/honour-lists/generate/", {"rule": rule.pk}, format="json")
    assert response.status_code == 202, response.content
    assert response.json()["state"] == "queued"  # the job runs after the commit
    honour_list = HonourList.objects.get(rule=rule)
    job = staff.get(f"/api/v1/honour-lists/{honour_list.pk}/job/").json()
    assert (job["state"], job["progress"]) == ("done", 100)
    base = f"/api/v1/honour-lists/{honour_list.pk}/"

    # Generating again through the list's own action replaces the draft.
    with django_capture_on_commit_callbacks(execute=True):
        assert staff.post(base + "generate/").status_code == 202
    data = detail(staff, honour_list)
    assert [e["project_title"] for e in data["entries"]] == ["A", "B"]
    assert data["status"] == "draft" and data["recipient_kind"] == "person"
    entry_a, entry_b = (e["id"] for e in data["entries"])

    # Refused with a message while A has nobody nominated.
    response = staff.post(base + "publish/", {"start": "2026-03-02"}, format="json")
    assert response.status_code == 400
    assert response.json()["detail"] == "Some entries still need a person to be nominated."

    # The unit nominates for its own entry, not for another unit's.
    li_na = world.unit_a.people.get(name="李娜")
    unit = client_of("unit_a")
    response = unit.post(base + "nominate/", {"entry": entry_a, "person": li_na.pk}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["recipient_name"] == "李娜"
    response = unit.post(base + "nominate/", {"entry": entry_b, "person": li_na.pk}, format="json")
    assert response.status_code == 403

    # Remove B with substitution; C and E are tied, keep C and remove E.
    response = staff.post(
        base + f"entries/{entry_b}/remove/", {"reason": "材料不全"}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["removed"]["active"] is False and body["removed"]["removal_reason"] == "材料不全"
    subs = {e["project_title"]: e for e in body["substitutes"]}
    assert set(subs) == {"C", "E"} and all(e["over_quota"] for e in subs.values())
    response = staff.post(
        base + f"entries/{subs['C']['id']}/keep/", {"reason": "安全记录更优"}, format="json"
    )
    assert response.json()["over_quota"] is False
    response = staff.post(
        base + f"entries/{subs['E']['id']}/remove/",
        {"reason": "并列择优", "substitute": False},
        format="json",
    )
    assert response.json()["substitutes"] == []

    # Add by hand, then publish from today.
    zhang = world.unit_b.people.get(name="张强")
    response = staff.post(
        base + "add-entry/",
        {"unit": world.unit_b.pk, "person": zhang.pk, "reason": "峰会保电抢险突出"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["source"] == "added"
    today = timezone.localdate()
    response = staff.post(base + "publish/", {"start": today.isoformat()}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["notice_end"] == services.add_working_days(today, 5).isoformat()

    # Anyone objects (no login); the answer does not repeat who objected.
    response = APIClient().post(
        base + "objections/",
        {"entry": subs["C"]["id"], "name": "王某", "contact": "13800000000", "content": "造假"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert set(response.json()) == {"id", "entry", "status", "lodged_at"}
    objection_id = response.json()["id"]
    # Staff read who objected; others may not.
    rows = staff.get(base + "objections/").json()
    assert (rows[0]["name"], rows[0]["contact"]) == ("王某", "13800000000")
    assert client_of("west").get(base + "objections/").status_code == 403
    assert client_of("unit_a").get(base + "objections/").status_code == 403
    # The public data never carries the objector.
    assert "13800000000" not in unit.get(base).content.decode()

    response = staff.post(
        base + f"objections/{objection_id}/decide/",
        {"upheld": True, "investigation": "经核实,材料不实"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["objection"]["status"] == "upheld"

    # Confirm: refused during the notice, then versioned with certificates.
    response = staff.post(base + "confirm/")
    assert (response.status_code, response.json()["detail"]) == (
        400,
        "The public notice has not ended yet.",
    )
    HonourList.objects.filter(pk=honour_list.pk).update(
        notice_start=today - datetime.timedelta(days=9),
        notice_end=today - datetime.timedelta(days=1),
    )
    response = staff.post(base + "confirm/")
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["status"], data["version"], data["confirmed_by"]) == ("confirmed", 1, "city")
    numbers = {e["certificate_number"] for e in data["entries"] if e["active"]}
    assert numbers == set(
        Certificate.objects.filter(entry__honour_list=honour_list).values_list("number", flat=True)
    )
    assert len(numbers) == 2


# --- Scoping and permissions ------------------------------------------------------------------


@pytest.fixture
def draft(world):
    """A draft 五一劳动奖章 list with an entry of unit_a (awaiting a nomination) and one of
    unit_b."""
    rule = medal_rule(world)
    honour_list = HonourList.objects.create(rule=rule)
    own = HonourListEntry.objects.create(
        honour_list=honour_list, unit=world.unit_a, project=world.project_a, rank=1
    )
    other = HonourListEntry.objects.create(
        honour_list=honour_list, unit=world.unit_b, project=world.project_b, rank=2
    )
    return honour_list, own, other


@pytest.mark.parametrize(
    "role, entries",
    [
        ("superuser", {"酒店服务提升", "峰会保电"}),
        ("city", {"酒店服务提升", "峰会保电"}),
        ("west", set()),  # sees the campaign, does not run it: no draft entries
        ("east", set()),
        ("unit_a", {"酒店服务提升"}),  # its own entries only
        ("unit_b", {"峰会保电"}),
        ("evaluator", set()),
    ],
)
def test_list_scope_and_draft_entries(world, draft, client_of, role, entries):
    response = client_of(role).get("/api/v1/honour-lists/")
    assert response.status_code == 200
    (row,) = response.json()["results"]
    assert {e["project_title"] for e in row["entries"]} == entries


def test_list_refused_to_anonymous_and_scoped_away(world, draft, client_of):
    assert client_of("anonymous").get("/api/v1/honour-lists/").status_code == 401
    assert client_of("idle_evaluator").get("/api/v1/honour-lists/").json()["results"] == []
    honour_list = draft[0]
    assert client_of("idle_evaluator").get(
        f"/api/v1/honour-lists/{honour_list.pk}/"
    ).status_code == (404)


def test_published_list_shows_its_active_entries_to_everyone_who_sees_it(world, draft, client_of):
    honour_list, own, other = draft
    li_na = world.unit_a.people.get(name="李娜")
    zhang = world.unit_b.people.get(name="张强")
    services.nominate(own, world.users["city"], person=li_na)
    services.nominate(other, world.users["city"], person=zhang)
    services.remove_entry(other, world.users["city"], "材料不全", substitute=False)
    services.publish(honour_list, world.users["city"], MONDAY)
    seen = detail(client_of("west"), honour_list)["entries"]
    assert [e["recipient_name"] for e in seen] == ["李娜"]
    staff_seen = detail(client_of("city"), honour_list)["entries"]
    assert [(e["recipient_name"], e["active"]) for e in staff_seen] == [
        ("李娜", True),
        ("张强", False),
    ]


def _snapshot():
    return (
        list(HonourList.objects.values_list("pk", "status", "task_state", "version")),
        list(
            HonourListEntry.objects.values_list(
                "pk", "removed_at", "person", "over_quota"
            ).order_by("pk")
        ),
        Objection.objects.filter(status="lodged").count(),
        InstantHonour.objects.count(),
    )


@pytest.mark.parametrize("role", [*REFUSED, "anonymous"])
def test_actions_refused_change_nothing(world, draft, client_of, role):
    honour_list, own, other = draft
    base = f"/api/v1/honour-lists/{honour_list.pk}/"
    li_na = world.unit_a.people.get(name="李娜")
    zhang = world.unit_b.people.get(name="张强")
    posts = [
        ("/api/v1/honour-lists/generate/", {"rule": honour_list.rule_id}),
        (base + "generate/", {}),
        (base + "publish/", {"start": "2026-03-02"}),
        (base + "confirm/", {}),
        (base + f"entries/{own.pk}/remove/", {"reason": "x"}),
        (base + f"entries/{own.pk}/keep/", {"reason": "x"}),
        (base + "add-entry/", {"unit": world.unit_a.pk, "person": li_na.pk, "reason": "x"}),
        # A unit may nominate for its own entry (allowed, tested above); here another unit's.
        (
            base + "nominate/",
            {"entry": own.pk, "person": li_na.pk}
            if role == "unit_b"
            else {"entry": other.pk, "person": zhang.pk},
        ),
        (
            "/api/v1/instant-honours/",
            {
                "campaign": world.campaign.pk,
                "honour_type": HonourType.objects.get(name="先进集体").pk,
                "unit": world.unit_a.pk,
                "reason": "x",
            },
        ),
    ]
    before = _snapshot()
    client = client_of(role)
    for url, data in posts:
        response = client.post(url, data, format="json")
        if role == "anonymous":
            assert response.status_code == 401, url
        elif role == "evaluator" and url == base + "nominate/":
            assert response.status_code == 403, url
        else:
            # Scoped lookups that the user cannot see answer 400/404 (the rule or campaign
            # is not among the choices); lookups they can see, 403.
            assert response.status_code in (400, 403, 404), (url, response.status_code)
            if role in ("west", "east", "unit_a", "unit_b") and "instant" not in url:
                assert response.status_code == 403, (url, response.status_code)
    assert _snapshot() == before
    assert client.get(base + "job/").status_code in (401, 403)


def test_refusals_are_400_with_the_service_message_and_change_nothing(world, ranking, client_of):
    ranking(EXAMPLE_2, vetoed={"D"})
    rule = HonourRule.objects.create(
        campaign=world.campaign,
        zone=world.zone,
        honour_type=HonourType.objects.get(name="先进集体"),
        quota=1,
        min_score="85",
    )
    honour_list = services.generate(rule)
    base = f"/api/v1/honour-lists/{honour_list.pk}/"
    staff = client_of("city")
    before = _snapshot()
    response = staff.post(base + "publish/", {"start": "2026-03-02"}, format="json")
    assert response.json() == {
        "detail": "Entries tied at the quota cut-off are over quota; resolve them first."
    }
    response = staff.post(base + "publish/", {"start": "soon"}, format="json")
    assert response.status_code == 400 and "start" in response.json()
    entry = honour_list.entries.first()
    response = staff.post(base + f"entries/{entry.pk}/remove/", {"reason": ""}, format="json")
    assert response.status_code == 400
    assert staff.post(base + "entries/999999/remove/", {"reason": "x"}).status_code == 404
    response = staff.post(
        base + "add-entry/", {"unit": entry.unit_id, "reason": "补充"}, format="json"
    )
    assert response.json() == {"detail": "This recipient is already on the list."}
    assert staff.post(base + "confirm/").status_code == 400
    # Objections only during the notice: a draft list is not public (404).
    response = APIClient().post(
        base + "objections/",
        {"entry": entry.pk, "name": "王某", "contact": "13800000000", "content": "x"},
        format="json",
    )
    assert response.status_code == 404
    assert _snapshot() == before


def test_objection_input_is_validated(world, ranking, client_of):
    ranking(EXAMPLE_2, vetoed={"D"})
    rule = HonourRule.objects.create(
        campaign=world.campaign,
        zone=world.zone,
        honour_type=HonourType.objects.get(name="先进集体"),
        quota=2,
        min_score="85",
    )
    honour_list = services.publish(
        services.generate(rule), world.users["city"], timezone.localdate()
    )
    url = f"/api/v1/honour-lists/{honour_list.pk}/objections/"
    entry = honour_list.entries.first()
    public = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    response = public.post(
        url, {"entry": entry.pk, "name": "王某", "contact": "not a contact", "content": "x"}
    )
    assert response.status_code == 400 and "contact" in response.json()
    response = public.post(url, {"entry": 999999, "name": "王某", "contact": "13800000000"})
    assert response.status_code == 400 and "content" in response.json()
    response = public.post(
        url, {"entry": 999999, "name": "王某", "contact": "13800000000", "content": "x"}
    )
    assert response.json() == {"entry": ["There is no such entry on the list."]}
    assert not Objection.objects.exists()
    # An objection decided twice: the second is refused.
    objection = services.lodge_objection(entry, "王某", "13800000000", "造假")
    decide = f"{url}{objection.pk}/decide/"
    staff = client_of("city")
    body = {"upheld": False, "investigation": "查无实据"}
    assert staff.post(decide, body, format="json").status_code == 200
    response = staff.post(decide, body, format="json")
    assert response.json() == {"detail": "This objection has been decided already."}
    assert client_of("west").post(decide, body, format="json").status_code == 403


# --- Instant honours ---------------------------------------------------------------------------


def test_instant_honours_create_and_list(world, client_of):
    medal = HonourType.objects.get(name="五一劳动奖章")
    li_na = world.unit_a.people.get(name="李娜")
    staff = client_of("city")
    body = {
        "campaign": world.campaign.pk,
        "honour_type": medal.pk,
        "unit": world.unit_a.pk,
        "reason": "峰会期间勇救落水群众",
    }
    response = staff.post("/api/v1/instant-honours/", body, format="json")
    assert response.json() == {"detail": "This honour goes to a person: choose one."}
    response = staff.post("/api/v1/instant-honours/", body | {"person": li_na.pk}, format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["recipient_name"] == "李娜" and data["awarded_by"] == "city"
    assert data["certificate_number"] == InstantHonour.objects.get().certificate.number
    assert client_of("unit_a").get("/api/v1/instant-honours/").json()["count"] == 1
    assert client_of("idle_evaluator").get("/api/v1/instant-honours/").json()["count"] == 0
    assert client_of("anonymous").get("/api/v1/instant-honours/").status_code == 401


# --- Query counts -------------------------------------------------------------------------------


def _lists_with(world, n):
    honour_list = HonourList.objects.create(rule=medal_rule(world, quota=n))
    for index in range(n):
        unit = f.UnitFactory(name=f"参赛单位{index}", organisation=world.west)
        HonourListEntry.objects.create(
            honour_list=honour_list,
            unit=unit,
            project=f.ProjectFactory(zone=world.zone, unit=unit, title=f"项目{index}"),
            person=f.PersonFactory(unit=unit, name=f"职工{index}"),
            rank=index + 1,
        )
    return honour_list


def _count(client, url):
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context)


@pytest.mark.parametrize("role", ["city", "unit_a"])
def test_list_endpoint_queries_constant(world, client_of, role):
    client = client_of(role)
    _lists_with(world, 1)
    one = _count(client, "/api/v1/honour-lists/")
    HonourRule.objects.all().delete()
    _lists_with(world, 20)
    assert _count(client, "/api/v1/honour-lists/") == one


def test_instant_honours_queries_constant(world, client_of):
    staff = client_of("city")
    group = HonourType.objects.get(name="先进集体")

    def award(n):
        for index in range(n):
            unit = f.UnitFactory(name=f"即时单位{index}{n}", organisation=world.west)
            services.award_instant(world.campaign, group, world.users["city"], "突出", unit=unit)

    award(1)
    one = _count(staff, "/api/v1/instant-honours/")
    award(19)
    assert _count(staff, "/api/v1/instant-honours/") == one
