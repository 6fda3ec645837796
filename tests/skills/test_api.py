"""The skill contest API: events, heats, blind entries, judges' marks, locking and unlocking,
marking progress, contestants and registration; SCORING.md's skill example 3 through the API.

The set-up is built with the services the pages use (``contest`` fixture, ``mark()``); only
what is under test goes through the API. Messages are read in the default language (Simplified
Chinese) unless a test sends ``Accept-Language: en``.
"""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from skills import services
from skills.models import ComponentScore, Contestant, HeatEntry, HeatJudge

from .. import factories as f
from .conftest import mark


def api(user=None, language=None):
    client = APIClient(HTTP_ACCEPT_LANGUAGE=language) if language else APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def staff(world):
    return api(world.users["city"])


def entries(client, heat):
    response = client.get(f"/api/v1/heats/{heat.pk}/entries/")
    assert response.status_code == 200, response.content
    return response.json()


def post_marks(client, heat, marks, component="practical"):
    return client.post(
        f"/api/v1/heats/{heat.pk}/marks/",
        {
            "component": component,
            "marks": [{"station_number": s, "value": v} for s, v in marks.items()],
        },
        format="json",
    )


def mark_b(contest):
    """Heat B completely marked: 郑五 ahead of 孙六."""
    mark(contest, contest.heat_b, contest.entries_b, ["80", "70"], [("90", "90"), ("70", "70")])


# --- SCORING.md skill example 3 --------------------------------------------------------------


def test_worked_example_3_through_the_api(world, contest, staff):
    """Theory 92, five practical judges 85, 88, 90, 79, 95 → trimmed 87.666… → 88.97."""
    heat = contest.heat_a
    judges = [contest.judge1, contest.judge2]
    for n in range(3):
        judge = f.UserFactory(username=f"judge_extra{n}", role="evaluator")
        HeatJudge.objects.create(heat=heat, judge=judge, component="practical")
        judges.append(judge)
    services.import_theory(
        heat,
        world.users["city"],
        [(2, "01", "92"), (3, "02", "80"), (4, "03", "80"), (5, "04", "80")],
    )
    for judge, value in zip(judges, ["85", "88", "90", "79", "95"], strict=True):
        response = post_marks(api(judge), heat, {"01": value, "02": "80", "03": "80", "04": "80"})
        assert response.status_code == 200, response.content
        assert {(m["station_number"], m["value"]) for m in response.json()} >= {
            ("01", f"{value}.00")
        }

    # Before the lock: the staff who run the event see the live result and the names; a
    # judge sees station numbers only, and no scores.
    live = entries(staff, heat)
    assert [row["station_number"] for row in live] == ["01", "02", "03", "04"]
    assert live[0]["contestant_name"] == "陈一" and live[0]["unit_name"] == "西湖酒店"
    assert (live[0]["total"], live[0]["rank"], live[0]["practical"]) == ("88.97", 1, "87.67")
    blind = entries(api(contest.judge1), heat)
    assert {row["station_number"] for row in blind} == {"01", "02", "03", "04"}
    assert all(row["contestant_name"] is None and row["unit_name"] is None for row in blind)
    assert all(row["contestant"] is None and row["total"] is None for row in blind)

    response = staff.post(f"/api/v1/heats/{heat.pk}/lock/")
    assert response.status_code == 200, response.content
    locked = response.json()
    assert locked["heat"]["locked_at"] is not None
    assert locked["target"] == contest.final.pk
    assert [e["station_number"] for e in locked["advanced"]][0] == "01"
    assert locked["advanced"][0]["contestant_name"] == "陈一"

    stored = entries(staff, heat)
    first = stored[0]
    assert (first["station_number"], first["total"], first["rank"]) == ("01", "88.97", 1)
    assert (first["theory"], first["practical"], first["advanced"]) == ("92.00", "87.67", True)
    assert HeatEntry.objects.get(pk=first["id"]).total == Decimal("88.97")

    # After the lock the judge reads the names and the stored results too.
    seen = entries(api(contest.judge1), heat)
    assert seen[0]["contestant_name"] == "陈一"
    assert (seen[0]["total"], seen[0]["rank"]) == ("88.97", 1)


# --- Visibility ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["skill-events/", "heats/", "contestants/", "heats/{heat}/entries/"]
)
def test_anonymous_is_refused(contest, url):
    response = APIClient().get("/api/v1/" + url.format(heat=contest.heat_a.pk))
    assert response.status_code in (401, 403)


def test_events_show_rules_tiers_and_small_field(world, contest, staff):
    data = staff.get(f"/api/v1/skill-events/?campaign={contest.campaign.pk}").json()
    assert data["count"] == 1
    event = data["results"][0]
    assert event["trade"] == "电工"
    assert (event["theory_weight"], event["practical_weight"]) == ("0.30", "0.70")
    assert event["tie_break"] == ["practical", "time", "theory"]
    assert [t["level"] for t in event["tiers"]] == ["unit", "city"]
    assert event["tiers"][0]["advance_count"] == 2
    assert (event["contestant_count"], event["small_field"]) == (6, False)
    contest.event.min_field_size = 8
    contest.event.save()
    assert staff.get(f"/api/v1/skill-events/{contest.event.pk}/").json()["small_field"] is True
    # Another campaign's filter finds nothing; a judge sees the events they judge.
    other = staff.get(f"/api/v1/skill-events/?campaign={world.campaign.pk}").json()
    assert other["count"] == 0
    assert api(contest.judge1).get("/api/v1/skill-events/").json()["count"] == 1
    assert api(world.users["idle_evaluator"]).get("/api/v1/skill-events/").json()["count"] == 0


def test_heats_are_scoped_and_filterable(world, contest, staff):
    data = staff.get(f"/api/v1/heats/?event={contest.event.pk}").json()
    assert {h["name"] for h in data["results"]} == {"西湖酒店选拔赛", "滨江电力选拔赛", "市级决赛"}
    unit_heats = staff.get(f"/api/v1/heats/?tier={contest.unit_tier.pk}").json()["results"]
    counts = {h["name"]: (h["entry_count"], h["level"]) for h in unit_heats}
    assert counts == {"西湖酒店选拔赛": (4, "unit"), "滨江电力选拔赛": (2, "unit")}
    # A judge of heat B only sees heat B; another heat answers 404.
    judge = f.UserFactory(username="judge_b", role="evaluator")
    HeatJudge.objects.create(heat=contest.heat_b, judge=judge, component="practical")
    client = api(judge)
    assert [h["name"] for h in client.get("/api/v1/heats/").json()["results"]] == ["滨江电力选拔赛"]
    assert client.get(f"/api/v1/heats/{contest.heat_a.pk}/").status_code == 404


def test_unit_user_sees_only_their_own_contestants(world, contest):
    unit_b = api(world.users["unit_b"])
    names = [c["person_name"] for c in unit_b.get("/api/v1/contestants/").json()["results"]]
    assert sorted(names) == ["孙六", "郑五"]
    rows = api(world.users["unit_a"]).get(f"/api/v1/contestants/?event={contest.event.pk}")
    data = rows.json()["results"]
    assert sorted(c["person_name"] for c in data) == ["吴四", "周三", "林二", "陈一"]
    assert {c["unit_name"] for c in data} == {"西湖酒店"}
    first = next(c for c in data if c["person_name"] == "陈一")
    assert first["heats"] == [{"heat": contest.heat_a.pk, "station_number": "01"}]
    other = contest.entries_a[0].contestant_id
    assert unit_b.get(f"/api/v1/contestants/{other}/").status_code == 404
    # Judges see no contestants: they mark by station number.
    assert api(contest.judge1).get("/api/v1/contestants/").json()["count"] == 0


def test_unit_user_sees_another_units_entries_only_once_locked(world, contest, staff):
    unit_b = api(world.users["unit_b"])
    assert entries(unit_b, contest.heat_a) == []
    own = entries(unit_b, contest.heat_b)
    # Their own contestants, still blind and unscored before the lock.
    assert [row["station_number"] for row in own] == ["01", "02"]
    assert all(row["contestant_name"] is None and row["total"] is None for row in own)
    mark(contest, contest.heat_a, contest.entries_a, ["90", "80", "70", "60"], [("90", "90")] * 4)
    assert staff.post(f"/api/v1/heats/{contest.heat_a.pk}/lock/").status_code == 200
    rows = entries(unit_b, contest.heat_a)
    assert [row["contestant_name"] for row in rows] == ["陈一", "林二", "周三", "吴四"]
    assert [row["rank"] for row in rows] == [1, 2, 3, 4]
    assert [row["advanced"] for row in rows] == [True, True, False, False]


def test_judge_reads_names_only_after_the_lock(world, contest, staff):
    mark_b(contest)
    judge = api(contest.judge1)
    before = entries(judge, contest.heat_b)
    assert [(r["station_number"], r["contestant_name"]) for r in before] == [
        ("01", None),
        ("02", None),
    ]
    assert all(r["theory"] is None and r["rank"] is None for r in before)
    assert staff.post(f"/api/v1/heats/{contest.heat_b.pk}/lock/").status_code == 200
    after = entries(judge, contest.heat_b)
    assert [(r["contestant_name"], r["unit_name"], r["rank"]) for r in after] == [
        ("郑五", "滨江电力", 1),
        ("孙六", "滨江电力", 2),
    ]


# --- Marks -----------------------------------------------------------------------------------


def test_judge_reads_only_their_own_marks(contest):
    assert post_marks(api(contest.judge1), contest.heat_a, {"01": "88.5"}).status_code == 200
    assert post_marks(api(contest.judge2), contest.heat_a, {"01": "70"}).status_code == 200
    mine = api(contest.judge1).get(f"/api/v1/heats/{contest.heat_a.pk}/marks/").json()
    assert mine == [{"station_number": "01", "component": "practical", "value": "88.50"}]
    # A blank value clears the mark.
    assert post_marks(api(contest.judge1), contest.heat_a, {"01": ""}).json() == []


def test_marks_refused_for_a_judge_of_another_heat(contest):
    judge = f.UserFactory(username="judge_b", role="evaluator")
    HeatJudge.objects.create(heat=contest.heat_b, judge=judge, component="practical")
    assert post_marks(api(judge), contest.heat_a, {"01": "80"}).status_code == 404
    assert not ComponentScore.objects.exists()


def test_marks_refused_for_a_component_the_judge_does_not_mark(world, contest):
    response = post_marks(api(contest.judge1), contest.heat_a, {"01": "80"}, component="theory")
    assert response.status_code == 403
    # Staff who see the heat do not judge it.
    response = post_marks(api(world.users["city"]), contest.heat_a, {"01": "80"})
    assert response.status_code == 403
    response = api(world.users["city"]).get(f"/api/v1/heats/{contest.heat_a.pk}/marks/")
    assert response.status_code == 403
    assert not ComponentScore.objects.exists()


def test_marks_refused_once_the_heat_is_locked(world, contest):
    mark_b(contest)
    services.lock_heat(contest.heat_b, world.users["city"])
    before = list(ComponentScore.objects.values_list("pk", "value"))
    response = post_marks(api(contest.judge1), contest.heat_b, {"01": "10"})
    assert response.status_code == 409
    assert "锁定" in response.json()["detail"] or "locked" in response.json()["detail"]
    assert list(ComponentScore.objects.values_list("pk", "value")) == before


def test_bad_marks_are_refused_per_station_and_nothing_is_saved(contest):
    judge = api(contest.judge1)
    response = post_marks(judge, contest.heat_a, {"01": "88", "02": "abc", "03": "101"})
    assert response.status_code == 400
    errors = response.json()["marks"]
    assert set(errors) == {"02", "03"}
    assert errors["02"] == ["请输入数字。"]
    assert not ComponentScore.objects.exists()
    response = post_marks(judge, contest.heat_a, {"01": "88", "09": "80"})
    assert response.status_code == 400
    assert set(response.json()["marks"]) == {"09"}
    response = post_marks(judge, contest.heat_a, {"01": "88"})
    twice = judge.post(
        f"/api/v1/heats/{contest.heat_a.pk}/marks/",
        {
            "component": "practical",
            "marks": [
                {"station_number": "02", "value": "80"},
                {"station_number": "02", "value": "81"},
            ],
        },
        format="json",
    )
    assert twice.status_code == 400
    assert set(twice.json()["marks"]) == {"02"}
    assert list(ComponentScore.objects.values_list("entry__station_number", "value")) == [
        ("01", Decimal("88"))
    ]


def test_bad_mark_message_in_english(contest):
    response = post_marks(api(contest.judge1, "en"), contest.heat_a, {"01": "abc"})
    assert response.status_code == 400
    assert response.json()["marks"] == {"01": ["Enter a number."]}


# --- Locking, unlocking, progress ------------------------------------------------------------


def test_lock_refused_while_marking_is_incomplete(world, contest, staff):
    heat = contest.heat_a
    services.import_theory(
        heat,
        world.users["city"],
        [(n, e.station_number, "80") for n, e in enumerate(contest.entries_a, 2)],
    )
    assert (
        post_marks(
            api(contest.judge1), heat, {s: "80" for s in ("01", "02", "03", "04")}
        ).status_code
        == 200
    )
    assert post_marks(api(contest.judge2), heat, {"01": "80", "02": "85"}).status_code == 200
    progress = staff.get(f"/api/v1/heats/{heat.pk}/progress/").json()
    assert progress == {
        "entries": 4,
        "expected": 12,
        "given": 10,
        "missing": ["03", "04"],
        "complete": False,
    }
    response = staff.post(f"/api/v1/heats/{heat.pk}/lock/")
    assert response.status_code == 409
    assert "03、04" in response.json()["detail"]
    heat.refresh_from_db()
    assert heat.locked_at is None
    # A judge may not lock, even a complete heat.
    assert post_marks(api(contest.judge2), heat, {"03": "80", "04": "80"}).status_code == 200
    assert api(contest.judge1).post(f"/api/v1/heats/{heat.pk}/lock/").status_code == 403
    assert staff.get(f"/api/v1/heats/{heat.pk}/progress/").json()["complete"] is True


def test_advancing_entries_enter_the_city_final(contest, staff):
    mark(
        contest,
        contest.heat_a,
        contest.entries_a,
        ["90", "80", "70", "60"],
        [("95", "95"), ("60", "60"), ("90", "90"), ("50", "50")],
    )
    assert entries(staff, contest.final) == []
    response = staff.post(f"/api/v1/heats/{contest.heat_a.pk}/lock/")
    assert response.status_code == 200
    body = response.json()
    assert body["target"] == contest.final.pk
    assert [(e["station_number"], e["contestant_name"]) for e in body["advanced"]] == [
        ("01", "陈一"),
        ("03", "周三"),
    ]
    assert body["awards"] == []
    final = entries(staff, contest.final)
    assert [(r["station_number"], r["contestant_name"]) for r in final] == [
        ("01", "陈一"),
        ("02", "周三"),
    ]
    assert staff.get(f"/api/v1/heats/{contest.final.pk}/").json()["entry_count"] == 2


def test_locking_the_final_awards_the_prizes(world, contest, staff):
    mark(contest, contest.heat_a, contest.entries_a, ["90", "80", "70", "60"], [("90", "90")] * 4)
    mark_b(contest)
    for heat in (contest.heat_a, contest.heat_b):
        assert staff.post(f"/api/v1/heats/{heat.pk}/lock/").status_code == 200
    final = contest.final
    HeatJudge.objects.create(heat=final, judge=contest.judge1, component="practical")
    stations = [row["station_number"] for row in entries(staff, final)]
    assert stations == ["01", "02", "03", "04"]
    services.import_theory(
        final, world.users["city"], [(n, s, "80") for n, s in enumerate(stations, 2)]
    )
    values = dict(zip(stations, ["70", "95", "85", "60"], strict=True))
    assert post_marks(api(contest.judge1), final, values).status_code == 200
    response = staff.post(f"/api/v1/heats/{final.pk}/lock/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["advanced"], body["target"]) == ([], None)
    assert [(a["station_number"], a["rank"], a["prize"]) for a in body["awards"]] == [
        ("02", 1, "一等奖"),
        ("03", 2, "二等奖"),
        ("01", 3, "三等奖"),
    ]
    rows = entries(api(world.users["unit_b"]), final)
    assert [(r["station_number"], r["prize"]) for r in rows] == [
        ("02", "一等奖"),
        ("03", "二等奖"),
        ("01", "三等奖"),
        ("04", None),
    ]


def test_unlock_needs_a_reason(world, contest, staff):
    mark_b(contest)
    url = f"/api/v1/heats/{contest.heat_b.pk}/unlock/"
    assert staff.post(url, {"reason": "x"}, format="json").status_code == 409  # not locked
    assert staff.post(f"/api/v1/heats/{contest.heat_b.pk}/lock/").status_code == 200
    response = staff.post(url, {}, format="json")
    assert response.status_code == 400
    assert response.json()["reason"] == ["请填写解锁理由,该理由将被记录。"]
    assert staff.post(url, {"reason": "   "}, format="json").status_code == 400
    assert api(contest.judge1).post(url, {"reason": "复核"}, format="json").status_code == 403
    contest.heat_b.refresh_from_db()
    assert contest.heat_b.locked_at is not None
    response = staff.post(url, {"reason": "复核工位02的实操分"}, format="json")
    assert response.status_code == 200
    assert response.json()["locked_at"] is None
    assert not HeatEntry.objects.filter(heat=contest.final).exists()


# --- Registration ----------------------------------------------------------------------------


def test_unit_liaison_registers_their_own_person(world, contest):
    client = api(world.users["unit_a"])
    person = f.PersonFactory(unit=world.unit_a, name="钱七")
    response = client.post(
        "/api/v1/contestants/", {"event": contest.event.pk, "person": person.pk}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["person_name"], body["unit"], body["heats"]) == ("钱七", world.unit_a.pk, [])
    assert Contestant.objects.filter(event=contest.event, person=person).exists()
    again = client.post(
        "/api/v1/contestants/", {"event": contest.event.pk, "person": person.pk}, format="json"
    )
    assert again.status_code == 400


def test_unit_liaison_cannot_register_another_units_person(world, contest):
    person = f.PersonFactory(unit=world.unit_b, name="冯八")
    response = api(world.users["unit_a"]).post(
        "/api/v1/contestants/", {"event": contest.event.pk, "person": person.pk}, format="json"
    )
    assert response.status_code == 403
    assert not Contestant.objects.filter(person=person).exists()
    # A judge registers nobody.
    response = api(contest.judge1).post(
        "/api/v1/contestants/", {"event": contest.event.pk, "person": person.pk}, format="json"
    )
    assert response.status_code == 403


def test_registration_for_an_event_out_of_sight_is_invalid(world, contest):
    other_province = f.organisation("江苏省总工会", "province")
    campaign = f.CampaignFactory(organiser=other_province, kind="skill")
    hidden = contest.event.__class__.objects.create(campaign=campaign, trade="焊工")
    person = f.PersonFactory(unit=world.unit_a)
    response = api(world.users["unit_a"]).post(
        "/api/v1/contestants/", {"event": hidden.pk, "person": person.pk}, format="json"
    )
    assert response.status_code == 400
    assert "event" in response.json()


# --- Query counts ----------------------------------------------------------------------------


def _queries(client, url):
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(context)


def _grow(world, contest, n=15):
    """More events, tiers, contestants, heats and marked entries in heat A."""
    for i in range(n):
        event = contest.event.__class__.objects.create(campaign=contest.campaign, trade=f"工种{i}")
        event.tiers.create(level="unit", order=1, advance_count=1)
        event.tiers.create(level="city", order=2)
        tier = event.tiers.get(level="unit")
        tier.heats.create(name=f"场次{i}")
        person = f.PersonFactory(unit=world.unit_a)
        contestant = Contestant.objects.create(
            event=contest.event, person=person, unit=world.unit_a
        )
        entry = HeatEntry.objects.create(
            heat=contest.heat_a, contestant=contestant, station_number=f"{i + 10:02d}"
        )
        ComponentScore.objects.create(entry=entry, component="theory", value=80)
        for judge in (contest.judge1, contest.judge2):
            ComponentScore.objects.create(entry=entry, component="practical", judge=judge, value=75)


@pytest.mark.parametrize("role", ["city", "unit_a", "judge"])
def test_query_counts_do_not_grow_with_the_data(world, contest, role):
    client = api(contest.judge1 if role == "judge" else world.users[role])
    urls = [
        "/api/v1/skill-events/",
        "/api/v1/heats/",
        "/api/v1/contestants/",
        f"/api/v1/heats/{contest.heat_a.pk}/entries/",
    ]
    mark(contest, contest.heat_a, contest.entries_a, ["90", "80", "70", "60"], [("90", "90")] * 4)
    before = [_queries(client, url) for url in urls]
    _grow(world, contest)
    assert [_queries(client, url) for url in urls] == before


def test_entries_query_count_is_constant_once_locked(world, contest, staff):
    judge = api(contest.judge1)
    mark_b(contest)
    staff.post(f"/api/v1/heats/{contest.heat_b.pk}/lock/")
    small = _queries(judge, f"/api/v1/heats/{contest.heat_b.pk}/entries/")
    mark(contest, contest.heat_a, contest.entries_a, ["90", "80", "70", "60"], [("90", "90")] * 4)
    _grow(world, contest)
    staff.post(f"/api/v1/heats/{contest.heat_a.pk}/lock/")
    assert len(entries(judge, contest.heat_a)) == 19
    assert _queries(judge, f"/api/v1/heats/{contest.heat_a.pk}/entries/") == small
