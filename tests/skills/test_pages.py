"""Contest pages: the events list and event page, unit registration, the heat page where the
competition office runs a heat, and the judges' blind marking sheet."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from skills import services
from skills.models import ComponentScore, Contestant, HeatEntry

from .. import factories as f
from .conftest import mark

NAMES_A = ["陈一", "林二", "周三", "吴四"]


def test_events_list_and_event_page(client_for, contest):
    response = client_for("unit_a").get("/skills/")
    assert response.status_code == 200
    assert "电工" in response.content.decode()

    page = client_for("city").get(f"/skills/events/{contest.event.pk}/").content.decode()
    for name in [*NAMES_A, "郑五", "孙六", "西湖酒店选拔赛", "市级决赛"]:
        assert name in page
    # The unit sees its own contestants only.
    page = client_for("unit_b").get(f"/skills/events/{contest.event.pk}/").content.decode()
    assert "郑五" in page and "陈一" not in page


def test_small_field_is_flagged(client_for, contest):
    contest.event.min_field_size = 10
    contest.event.save()
    page = client_for("city").get(f"/skills/events/{contest.event.pk}/").content.decode()
    assert 'class="card notice"' in page


def test_events_outside_the_scope_are_not_found(client_for, contest):
    other = f.CampaignFactory(organiser=f.organisation("宁波市总工会", "city"), kind="skill")
    event = other.skill_events.create(trade="钳工")
    assert client_for("unit_a").get(f"/skills/events/{event.pk}/").status_code == 404
    assert client_for("anonymous").get(f"/skills/events/{contest.event.pk}/").status_code == 302


def test_unit_registers_a_new_worker(client_for, world, contest):
    client = client_for("unit_a")
    response = client.post(
        f"/skills/events/{contest.event.pk}/register/", {"name": "新人", "job_title": "电工"}
    )
    assert response.status_code == 302
    contestant = Contestant.objects.get(person__name="新人")
    assert contestant.unit == world.unit_a and contestant.event == contest.event
    # Twice: refused, nothing more saved.
    client.post(f"/skills/events/{contest.event.pk}/register/", {"person": contestant.person_id})
    assert Contestant.objects.filter(person__name="新人").count() == 1


def test_unit_cannot_register_another_units_worker(client_for, world, contest):
    stranger = f.PersonFactory(unit=world.unit_b, name="外单位")
    client_for("unit_a").post(
        f"/skills/events/{contest.event.pk}/register/", {"person": stranger.pk}
    )
    assert not Contestant.objects.filter(person=stranger).exists()


def test_staff_enter_draw_time_lock_and_unlock(client_for, world, contest):
    client = client_for("city")
    heat = contest.heat_a
    newcomer = services.register(
        contest.event, f.PersonFactory(unit=world.unit_a), world.users["city"]
    )

    page = client.get(f"/skills/heats/{heat.pk}/").content.decode()
    assert newcomer.person.name in page  # waiting to enter
    client.post(f"/skills/heats/{heat.pk}/enter/", {"contestant": [newcomer.pk]})
    assert heat.entries.filter(contestant=newcomer).get().station_number == "05"
    entry = heat.entries.get(contestant=newcomer)
    client.post(f"/skills/heats/{heat.pk}/entries/{entry.pk}/remove/")
    assert not heat.entries.filter(contestant=newcomer).exists()

    client.post(f"/skills/heats/{heat.pk}/draw/")
    assert sorted(heat.entries.values_list("station_number", flat=True)) == ["01", "02", "03", "04"]

    first = contest.entries_a[0]
    response = client.post(f"/skills/heats/{heat.pk}/times/", {f"time-{first.pk}": "40:05"})
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.completion_seconds == 2405
    client.post(f"/skills/heats/{heat.pk}/times/", {f"time-{first.pk}": "forty"})
    first.refresh_from_db()
    assert first.completion_seconds == 2405

    # Locking before marking is complete is refused with the stations named.
    response = client.post(f"/skills/heats/{heat.pk}/lock/", follow=True)
    assert "01" in response.content.decode() and heat.log.count() == 0

    entries = list(heat.entries.order_by("station_number"))
    mark(
        contest,
        heat,
        entries,
        ["90", "80", "70", "60"],
        [("80", "82"), ("90", "90"), ("70", "72"), ("95", "93")],
    )
    client.post(f"/skills/heats/{heat.pk}/lock/")
    heat.refresh_from_db()
    assert heat.locked_at is not None
    assert contest.final.entries.count() == 2

    client.post(f"/skills/heats/{heat.pk}/unlock/", {"reason": ""})
    heat.refresh_from_db()
    assert heat.locked_at is not None
    client.post(f"/skills/heats/{heat.pk}/unlock/", {"reason": "裁判录分有误"})
    heat.refresh_from_db()
    assert heat.locked_at is None and not contest.final.entries.exists()


@pytest.mark.parametrize("user", ["west", "unit_a", "evaluator"])
def test_only_the_campaign_office_runs_a_heat(client_for, world, contest, user):
    heat = contest.heat_a
    client = client_for(user)
    for action in ("draw", "lock"):
        assert client.post(f"/skills/heats/{heat.pk}/{action}/").status_code in (403, 404)
    assert heat.log.count() == 0


def test_judge_marks_blind_by_station_number(contest, client):
    client.force_login(contest.judge1)
    heat = contest.heat_a
    url = f"/skills/heats/{heat.pk}/mark/practical/"

    page = client.get(url).content.decode()
    for station in ("01", "02", "03", "04"):
        assert f'data-station="{station}"' in page
    for name in NAMES_A:
        assert name not in page
    assert "西湖酒店" not in page.replace("西湖酒店选拔赛", "")

    entries = contest.entries_a
    data = {f"mark-{e.pk}": v for e, v in zip(entries, ["88", "101", "", "70.5"], strict=True)}
    client.post(url, data)
    assert not ComponentScore.objects.exists()  # one bad mark: nothing saved
    data[f"mark-{entries[1].pk}"] = "91"
    client.post(url, data)
    assert sorted(ComponentScore.objects.values_list("value", flat=True)) == [70.5, 88, 91]


def test_judge_sees_names_after_the_lock_and_cannot_change_marks(contest, world, client):
    heat = contest.heat_a
    mark(
        contest,
        heat,
        contest.entries_a,
        ["90", "80", "70", "60"],
        [("80", "82"), ("90", "90"), ("70", "72"), ("95", "93")],
    )
    services.lock_heat(heat, world.users["city"])
    client.force_login(contest.judge1)
    url = f"/skills/heats/{heat.pk}/mark/practical/"

    page = client.get(url).content.decode()
    for name in NAMES_A:
        assert name in page
    client.post(url, {f"mark-{contest.entries_a[0].pk}": "10"})
    assert not ComponentScore.objects.filter(value=10).exists()


def test_judge_cannot_open_another_heat_or_component(contest, client):
    other = f.UserFactory(role="evaluator")
    client.force_login(other)
    assert client.get(f"/skills/heats/{contest.heat_a.pk}/mark/practical/").status_code == 404
    client.force_login(contest.judge1)
    assert client.get(f"/skills/heats/{contest.heat_a.pk}/mark/theory/").status_code == 404
    # The staff heat page sends judges to their own list.
    assert client.get(f"/skills/heats/{contest.heat_a.pk}/").status_code == 302


def test_judging_list_shows_own_progress(contest, client):
    services.save_marks(contest.heat_a, contest.judge1, "practical", {contest.entries_a[0]: 80})
    client.force_login(contest.judge1)
    page = client.get("/skills/judging/").content.decode()
    assert "1 / 4" in page and "0 / 2" in page


def _queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_heat_and_marking_pages_cost_the_same_queries_for_more_contestants(
    contest, world, client_for, client
):
    staff = client_for("city")
    client.force_login(contest.judge1)
    heat = contest.heat_a
    urls = (f"/skills/heats/{heat.pk}/", f"/skills/events/{contest.event.pk}/")
    before = [_queries(staff, url) for url in urls]
    before_mark = _queries(client, f"/skills/heats/{heat.pk}/mark/practical/")
    for number in range(5, 15):
        person = f.PersonFactory(unit=world.unit_a)
        contestant = Contestant.objects.create(
            event=contest.event, person=person, unit=world.unit_a
        )
        entry = HeatEntry.objects.create(
            heat=heat, contestant=contestant, station_number=f"{number:02d}"
        )
        services.save_marks(heat, contest.judge1, "practical", {entry: 80})
    assert [_queries(staff, url) for url in urls] == before
    assert _queries(client, f"/skills/heats/{heat.pk}/mark/practical/") == before_mark


def test_unit_sees_only_its_own_contestants_in_an_open_heat(client_for, world, contest):
    heat = contest.heat_a
    assert "陈一" in client_for("unit_a").get(f"/skills/heats/{heat.pk}/").content.decode()
    page = client_for("unit_b").get(f"/skills/heats/{heat.pk}/").content.decode()
    assert not any(f'data-station="{n}"' in page for n in ("01", "02", "03", "04"))
    # Once locked, the results are public to every unit.
    mark(contest, heat, contest.entries_a, ["90", "80", "70", "60"], [("80", "82")] * 4)
    services.lock_heat(heat, world.users["city"])
    page = client_for("unit_b").get(f"/skills/heats/{heat.pk}/").content.decode()
    assert all(name in page for name in NAMES_A)
