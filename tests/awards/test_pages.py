"""The honours pages: the whole flow in the browser's requests (generate → adjust → nominate →
publish → objection → decide → confirm) as the right roles, the permission matrix of every
page and action, refusals that change nothing, double submits, query counts, and the
generation job's progress as the status endpoint reports it.

Set-ups go through the services; what is under test goes through the pages. Messages are
read in English (``client.cookies["django_language"] = "en"``).
"""

import datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

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

ROLES = ["anonymous", "superuser", "city", "west", "east", "unit_a", "unit_b", "evaluator"]
STAFF = {"superuser", "city"}


@pytest.fixture(autouse=True)
def clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def page(world):
    """A logged-in client reading English, for one of the world's users."""

    def make(name):
        client = Client()
        client.cookies["django_language"] = "en"
        if name != "anonymous":
            client.force_login(world.users[name])
        return client

    return make


def texts(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


def follow(client, url, data=None):
    response = client.post(url, data or {}, follow=True)
    assert response.status_code == 200, response.status_code
    return response


def medal_rule(world, **fields):
    fields.setdefault("quota", 2)
    fields.setdefault("min_score", "85")
    return HonourRule.objects.create(
        campaign=world.campaign,
        zone=world.zone,
        honour_type=HonourType.objects.get(name="五一劳动奖章"),
        **fields,
    )


# --- The flow ----------------------------------------------------------------------------------


def test_flow_from_locked_results_to_confirmed_honours(
    world, ranking, page, django_capture_on_commit_callbacks
):
    """五一劳动奖章 (a person honour) in the worked example's zone: A's project has no leader,
    so its unit (unit_a) names the recipient; the others propose their project leaders."""
    leaders = {name: {"is_front_line": True} for name in "BCDE"}
    ranking(EXAMPLE_2, vetoed={"D"}, units={"A": world.unit_a}, leaders=leaders)
    staff = page("city")

    # Rule set-up through the rule page.
    medal = HonourType.objects.get(name="五一劳动奖章")
    response = follow(
        staff,
        reverse("awards:rules", args=[world.campaign.pk]),
        {"honour_type": medal.pk, "zone": world.zone.pk, "quota": "2", "min_score": "85"},
    )
    assert "The honour rule is saved." in texts(response)
    rule = HonourRule.objects.get(campaign=world.campaign, honour_type=medal)
    list_url = reverse("awards:list", args=[rule.pk])

    # Generate: the job runs when the request's transaction commits.
    with django_capture_on_commit_callbacks(execute=True):
        response = follow(staff, reverse("awards:list-generate", args=[rule.pk]))
    honour_list = HonourList.objects.get(rule=rule)
    assert honour_list.task_state == "done"
    status = staff.get(reverse("awards:list-status", args=[rule.pk])).json()
    assert (status["state"], status["progress"], status["entry_count"]) == ("done", 100, 2)
    page_text = staff.get(list_url).content.decode()
    assert "负责人B" in page_text and "Awaiting nomination" in page_text

    # Publishing is refused while A has nobody nominated; nothing changes.
    response = follow(
        staff, reverse("awards:list-publish", args=[rule.pk]), {"start": "2026-03-02"}
    )
    assert "Some entries still need a person to be nominated." in texts(response)
    honour_list.refresh_from_db()
    assert honour_list.status == "draft"

    # The unit nominates for its own entry; another unit's entry is not theirs (404).
    entry_a = honour_list.entries.get(project__title="A")
    entry_b = honour_list.entries.get(project__title="B")
    unit_page = page("unit_a")
    assert "A" in unit_page.get(reverse("awards:nominations")).content.decode()
    li_na = world.unit_a.people.get(name="李娜")
    response = follow(
        unit_page, reverse("awards:nominate", args=[entry_a.pk]), {"person": li_na.pk}
    )
    assert "李娜 is nominated." in texts(response)
    entry_a.refresh_from_db()
    assert entry_a.person == li_na and entry_a.nominated_by == world.users["unit_a"]
    assert unit_page.post(reverse("awards:nominate", args=[entry_b.pk]), {}).status_code == 404

    # Adjust: remove B (substitutes C and E, tied), keep C, remove E without substitution.
    response = follow(
        staff,
        reverse("awards:entry-remove", args=[rule.pk, entry_b.pk]),
        {"reason": "材料不全", "substitute": "on"},
    )
    assert "负责人B is removed from the list; 2 substitutes are proposed." in texts(response)
    c = honour_list.entries.get(project__title="C", removed_at=None)
    e = honour_list.entries.get(project__title="E", removed_at=None)
    assert c.over_quota and e.over_quota
    follow(staff, reverse("awards:entry-keep", args=[rule.pk, c.pk]), {"reason": "安全记录更优"})
    follow(staff, reverse("awards:entry-remove", args=[rule.pk, e.pk]), {"reason": "并列择优"})
    c.refresh_from_db()
    assert not c.over_quota and "安全记录更优" in c.reason

    # Add an entry by hand (a person of another unit taking part in the zone).
    zhang = world.unit_b.people.get(name="张强")
    response = follow(
        staff,
        reverse("awards:entry-add", args=[rule.pk]),
        {"unit": world.unit_b.pk, "person": zhang.pk, "reason": "峰会保电抢险突出"},
    )
    assert "张强 is added to the list." in texts(response)
    page_text = staff.get(list_url).content.decode()
    assert "<s>负责人B</s>" in page_text and "材料不全" in page_text

    # Publish from today: the default end is 5 working days later.
    today = timezone.localdate()
    response = follow(
        staff, reverse("awards:list-publish", args=[rule.pk]), {"start": today.isoformat()}
    )
    honour_list.refresh_from_db()
    assert honour_list.status == "published"
    assert honour_list.notice_end == services.add_working_days(today, 5)
    assert honour_list.published_by == world.users["city"]

    # Anyone objects on the public notice page; staff uphold it on the objections page.
    public = Client()
    public.cookies["django_language"] = "en"
    response = follow(
        public,
        reverse("awards:notice", args=[honour_list.pk]),
        {"entry": c.pk, "name": "王某", "contact": "13800000000", "content": "成绩造假"},
    )
    assert "王某" not in response.content.decode()
    objection = Objection.objects.get(entry=c)
    response = follow(
        staff,
        reverse("awards:objections", args=[honour_list.pk]),
        {
            "objection": objection.pk,
            f"o{objection.pk}-decision": "upheld",
            f"o{objection.pk}-investigation": "经核实,成绩材料不实",
        },
    )
    c.refresh_from_db()
    assert c.removed_at is not None

    # Confirming during the notice is refused with a clear message; afterwards it works.
    response = follow(staff, reverse("awards:list-confirm", args=[rule.pk]))
    assert "The public notice has not ended yet." in texts(response)
    HonourList.objects.filter(pk=honour_list.pk).update(
        notice_start=today - datetime.timedelta(days=10),
        notice_end=today - datetime.timedelta(days=1),
    )
    response = follow(staff, reverse("awards:list-confirm", args=[rule.pk]))
    assert "The list is confirmed as version 1; its certificates are issued." in texts(response)
    honour_list.refresh_from_db()
    assert (honour_list.status, honour_list.version) == ("confirmed", 1)
    assert honour_list.confirmed_by == world.users["city"]
    numbers = set(
        Certificate.objects.filter(entry__honour_list=honour_list).values_list("number", flat=True)
    )
    assert len(numbers) == 2
    page_text = staff.get(list_url).content.decode()
    assert all(number in page_text for number in numbers)
    assert "Add an entry by hand" not in page_text  # a confirmed list no longer changes


def test_generate_failure_is_shown_on_the_page(
    world, ranking, honour, page, django_capture_on_commit_callbacks
):
    ranking(EXAMPLE_2, vetoed={"D"}, lock=False)
    rule = honour(quota=2)
    staff = page("city")
    with django_capture_on_commit_callbacks(execute=True):
        follow(staff, reverse("awards:list-generate", args=[rule.pk]))
    status = staff.get(reverse("awards:list-status", args=[rule.pk])).json()
    assert status["state"] == "failed" and "locked" in status["error"]
    assert (
        "The results are not final yet"
        in staff.get(reverse("awards:list", args=[rule.pk])).content.decode()
    )


# --- Progress of the generation ------------------------------------------------------------------


def test_status_endpoint_reports_progress_while_the_job_runs(
    world, ranking, honour, page, monkeypatch
):
    """While ``generate`` writes its entries inside its transaction, the status endpoint (read
    between two entries) reports the step and a growing percentage from the cache."""
    ranking(EXAMPLE_2, vetoed={"D"})
    rule = honour(quota=4, min_score="80")
    staff = page("city")
    url = reverse("awards:list-status", args=[rule.pk])
    assert staff.get(url).json()["state"] == "idle"
    seen = []
    add_entry = services._add_entry

    def add_and_look(*args, **kwargs):
        entry = add_entry(*args, **kwargs)
        data = staff.get(url).json()
        seen.append((data["state"], data["step"], data["progress"], data["step_display"]))
        return entry

    monkeypatch.setattr(services, "_add_entry", add_and_look)
    from awards.tasks import generate_honour_list

    assert generate_honour_list.delay(rule.pk).get() == 4
    # After entry n is written the status still reports entry n - 1 (progress is recorded
    # after each row), so the first look shows the candidates step.
    assert seen[0][:2] == ("running", "candidates")
    assert seen[0][3] == "4 eligible entries found."
    assert [s[1] for s in seen[1:]] == ["entries"] * 3
    assert [s[2] for s in seen] == sorted(s[2] for s in seen) and seen[-1][2] < 100
    assert seen[2][3] == "Writing entries: 2 of 4."
    done = staff.get(url).json()
    assert (done["state"], done["progress"], done["active"]) == ("done", 100, False)


def test_list_page_shows_a_running_job_with_its_progress(world, honour, page):
    rule = honour(quota=2)
    honour_list = HonourList.objects.create(rule=rule)
    services.record_job(honour_list.pk, HonourList.TaskState.RUNNING, 10)
    services.record_progress(honour_list.pk, 65, "entries", done=3, total=5)
    response = page("city").get(reverse("awards:list", args=[rule.pk]))
    content = response.content.decode()
    assert 'data-state="running"' in content
    assert '<progress max="100" value="65">' in content
    assert "Writing entries: 3 of 5." in content
    assert "js/honours.js" in content and "<script>" not in content
    # A finished job never shows a stale step.
    services.record_job(honour_list.pk, HonourList.TaskState.DONE, 100)
    data = page("city").get(reverse("awards:list-status", args=[rule.pk])).json()
    assert (data["progress"], data["step"]) == (100, "done")


# --- Permissions --------------------------------------------------------------------------------


@pytest.fixture
def urls(world, honour):
    rule = honour(quota=2)
    honour_list = HonourList.objects.create(rule=rule)
    entry = HonourListEntry.objects.create(
        honour_list=honour_list, unit=world.unit_a, project=world.project_a, rank=1
    )
    return {
        "rule": rule,
        "entry": entry,
        "index": reverse("awards:index"),
        "rules": reverse("awards:rules", args=[world.campaign.pk]),
        "rule-edit": reverse("awards:rule-edit", args=[rule.pk]),
        "list": reverse("awards:list", args=[rule.pk]),
        "list-status": reverse("awards:list-status", args=[rule.pk]),
        "instant": reverse("awards:instant", args=[world.campaign.pk]),
        "nominations": reverse("awards:nominations"),
    }


STAFF_PAGES = ["rules", "rule-edit", "list", "list-status", "instant"]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", STAFF_PAGES)
def test_staff_pages_only_for_the_campaign_staff(world, urls, page, role, name):
    response = page(role).get(urls[name])
    if role == "anonymous":
        assert response.status_code == 302 and "/login" in response["Location"]
    elif role in STAFF:
        assert response.status_code == 200
    else:
        # District staff and units see the campaign but do not run it; the evaluator sees it
        # through their assignment.
        assert response.status_code == 403


@pytest.mark.parametrize("role", ROLES)
def test_index_for_staff_and_units(world, urls, page, role):
    response = page(role).get(urls["index"])
    expected = {"anonymous": 302, "evaluator": 403}.get(role, 200)
    assert response.status_code == expected
    if role in ("city", "superuser"):
        assert reverse("awards:list", args=[urls["rule"].pk]) in response.content.decode()
    if role in ("west", "east"):
        # They see the campaign's rules, but not the page managing its list.
        content = response.content.decode()
        assert "先进集体" in content
        assert reverse("awards:list", args=[urls["rule"].pk]) not in content


@pytest.mark.parametrize("role", ROLES)
def test_nominations_page_only_for_unit_liaisons(world, urls, page, role):
    response = page(role).get(urls["nominations"])
    expected = {"anonymous": 302, "unit_a": 200, "unit_b": 200}.get(role, 403)
    assert response.status_code == expected


def test_nav_link_for_organisers_and_units_only(world, page):
    link = f'href="{reverse("awards:index")}"'
    assert link in page("city").get("/").content.decode()
    assert link in page("unit_a").get("/").content.decode()
    assert link not in page("evaluator").get("/").content.decode()


def _snapshot():
    return (
        list(HonourRule.objects.values_list("pk", "quota").order_by("pk")),
        list(HonourList.objects.values_list("pk", "status", "task_state").order_by("pk")),
        list(
            HonourListEntry.objects.values_list(
                "pk", "removed_at", "person", "over_quota"
            ).order_by("pk")
        ),
        InstantHonour.objects.count(),
    )


@pytest.mark.parametrize("role", ["west", "east", "unit_a", "unit_b", "evaluator", "anonymous"])
def test_actions_refused_change_nothing(world, urls, page, role):
    rule, entry = urls["rule"], urls["entry"]
    li_na = world.unit_a.people.get(name="李娜")
    posts = [
        (reverse("awards:rules", args=[world.campaign.pk]), {"honour_type": 1, "quota": 3}),
        (reverse("awards:rule-edit", args=[rule.pk]), {"quota": 9}),
        (reverse("awards:rule-delete", args=[rule.pk]), {}),
        (reverse("awards:list-generate", args=[rule.pk]), {}),
        (reverse("awards:entry-remove", args=[rule.pk, entry.pk]), {"reason": "x"}),
        (reverse("awards:entry-keep", args=[rule.pk, entry.pk]), {"reason": "x"}),
        (reverse("awards:entry-nominate", args=[rule.pk, entry.pk]), {"person": li_na.pk}),
        (reverse("awards:entry-add", args=[rule.pk]), {"unit": world.unit_b.pk, "reason": "x"}),
        (reverse("awards:list-publish", args=[rule.pk]), {"start": "2026-03-02"}),
        (reverse("awards:list-confirm", args=[rule.pk])),
        (
            reverse("awards:instant", args=[world.campaign.pk]),
            {"honour_type": 1, "unit": world.unit_a.pk, "reason": "x"},
        ),
    ]
    before = _snapshot()
    client = page(role)
    for item in posts:
        url, data = item if isinstance(item, tuple) else (item, {})
        response = client.post(url, data)
        expected = (302,) if role == "anonymous" else (403,)
        assert response.status_code in expected, (url, response.status_code)
        if role == "anonymous":
            assert "/login" in response["Location"]
    assert _snapshot() == before


def test_unit_nominates_only_its_own_entries(world, urls, page):
    entry = urls["entry"]  # unit_a's entry; the honour is a unit honour
    medal = medal_rule(world)
    medal_list = HonourList.objects.create(rule=medal)
    own = HonourListEntry.objects.create(honour_list=medal_list, unit=world.unit_a, rank=1)
    other = HonourListEntry.objects.create(honour_list=medal_list, unit=world.unit_b, rank=2)
    zhang = world.unit_b.people.get(name="张强")
    # unit_b cannot nominate for unit_a's entry, nor unit_a for unit_b's (404: not theirs).
    assert page("unit_b").post(reverse("awards:nominate", args=[own.pk]), {}).status_code == 404
    assert (
        page("unit_a").post(reverse("awards:nominate", args=[other.pk]), {"person": zhang.pk})
    ).status_code == 404
    # A unit honour's entry awaits nobody.
    assert page("unit_a").post(reverse("awards:nominate", args=[entry.pk]), {}).status_code == 404
    # A person of another unit is refused with a message and nothing changes.
    response = follow(
        page("unit_a"), reverse("awards:nominate", args=[own.pk]), {"person": zhang.pk}
    )
    assert "Choose a person or team of the entry's unit." in texts(response)
    own.refresh_from_db()
    assert own.person is None
    # Staff see and may nominate on the unit's behalf.
    li_na = world.unit_a.people.get(name="李娜")
    response = follow(
        page("city"),
        reverse("awards:entry-nominate", args=[medal.pk, own.pk]),
        {"person": li_na.pk},
    )
    own.refresh_from_db()
    assert own.person == li_na and own.nominated_by == world.users["city"]


# --- Refusals and double submits ------------------------------------------------------------------


def test_refusals_are_messages_and_change_nothing(world, ranking, honour, page):
    ranking(EXAMPLE_2, vetoed={"D"})
    rule = honour(quota=1, min_score="85")
    honour_list = services.generate(rule)
    staff = page("city")
    before = _snapshot()
    # Over quota: publishing refused.
    response = follow(
        staff, reverse("awards:list-publish", args=[rule.pk]), {"start": "2026-03-02"}
    )
    assert "Entries tied at the quota cut-off are over quota; resolve them first." in (
        response.content.decode()
    )
    # Removal without reason, confirm of a draft, bad dates, unknown entry.
    entry = honour_list.entries.first()
    response = follow(
        staff, reverse("awards:entry-remove", args=[rule.pk, entry.pk]), {"reason": ""}
    )
    assert "Give the reason for removing the entry; it is recorded." in texts(response)
    response = follow(staff, reverse("awards:list-confirm", args=[rule.pk]))
    assert "Only a list in public notice can be confirmed." in texts(response)
    response = staff.post(reverse("awards:list-publish", args=[rule.pk]), {"start": "not a date"})
    assert response.status_code == 200 and "Enter a valid date." in response.content.decode()
    response = staff.post(
        reverse("awards:list-publish", args=[rule.pk]), {"start": "2026-03-09", "end": "2026-03-02"}
    )
    assert "The notice cannot end before it starts." in response.content.decode()
    assert staff.post(reverse("awards:entry-remove", args=[rule.pk, 999999])).status_code == 404
    # Adding someone already on the list, or a unit not taking part.
    response = staff.post(
        reverse("awards:entry-add", args=[rule.pk]), {"unit": entry.unit_id, "reason": "补充"}
    )
    assert "This recipient is already on the list." in response.content.decode()
    outsider = f.UnitFactory(name="未参赛单位", organisation=world.west)
    response = staff.post(
        reverse("awards:entry-add", args=[rule.pk]), {"unit": outsider.pk, "reason": "补充"}
    )
    assert "Select a valid choice." in response.content.decode()
    assert _snapshot() == before


def test_double_submit_runs_once(world, honour, page):
    world.campaign.status = "active"
    world.campaign.save()
    staff = page("city")
    url = reverse("awards:instant", args=[world.campaign.pk])
    form = staff.get(url).context["once"]
    data = {
        "once": form,
        "honour_type": HonourType.objects.get(name="先进集体").pk,
        "unit": world.unit_a.pk,
        "reason": "峰会保障突出",
    }
    first = follow(staff, url, data)
    second = follow(staff, url, data)
    assert InstantHonour.objects.count() == 1
    assert any("certificate" in text for text in texts(first))
    assert "This form has been sent already; it was run once." in texts(second)


def test_rule_set_up_validates_and_deletes_only_unpublished(world, ranking, honour, page):
    staff = page("city")
    url = reverse("awards:rules", args=[world.campaign.pk])
    medal = HonourType.objects.get(name="五一劳动奖章")
    group = HonourType.objects.get(name="先进集体")
    skill = HonourType.objects.get(name="技术能手")
    # A per-unit cap is refused on a unit honour; a skill honour is not offered here.
    response = staff.post(url, {"honour_type": group.pk, "quota": "2", "per_unit_cap": "1"})
    assert "A per-unit cap applies to honours for people and teams only." in (
        response.content.decode()
    )
    response = staff.post(url, {"honour_type": skill.pk, "quota": "2"})
    assert "Select a valid choice." in response.content.decode()
    follow(staff, url, {"honour_type": medal.pk, "zone": world.zone.pk, "quota": "2"})
    response = staff.post(url, {"honour_type": medal.pk, "zone": world.zone.pk, "quota": "3"})
    assert "This honour already has a rule in this zone." in response.content.decode()
    assert HonourRule.objects.count() == 1
    # Edit, then delete while the list is a draft.
    rule = HonourRule.objects.get()
    follow(
        staff,
        reverse("awards:rule-edit", args=[rule.pk]),
        {"honour_type": medal.pk, "zone": world.zone.pk, "quota": "5"},
    )
    rule.refresh_from_db()
    assert rule.quota == 5
    follow(staff, reverse("awards:rule-delete", args=[rule.pk]))
    assert not HonourRule.objects.exists()
    # A rule whose list is published is neither changed nor deleted.
    ranking(EXAMPLE_2, vetoed={"D"})
    published = services.publish(
        services.generate(honour(quota=2, min_score="85")),
        world.users["city"],
        datetime.date(2026, 3, 2),
    )
    rule = published.rule
    response = follow(staff, reverse("awards:rule-delete", args=[rule.pk]))
    assert "The list of this rule is published or confirmed; the rule cannot be deleted." in texts(
        response
    )
    response = staff.post(
        reverse("awards:rule-edit", args=[rule.pk]),
        {"honour_type": group.pk, "zone": world.zone.pk, "quota": "9"},
    )
    assert "the rule cannot change" in response.content.decode()
    rule.refresh_from_db()
    assert rule.quota == 2


def test_instant_honour_page(world, page):
    staff = page("city")
    url = reverse("awards:instant", args=[world.campaign.pk])
    medal = HonourType.objects.get(name="五一劳动奖章")
    li_na = world.unit_a.people.get(name="李娜")
    response = staff.post(url, {"honour_type": medal.pk, "unit": world.unit_a.pk, "reason": "救人"})
    assert "This honour goes to a person: choose one." in response.content.decode()
    assert not InstantHonour.objects.exists()
    response = follow(
        staff,
        url,
        {
            "honour_type": medal.pk,
            "unit": world.unit_a.pk,
            "person": li_na.pk,
            "reason": "峰会期间勇救落水群众",
        },
    )
    honour = InstantHonour.objects.get()
    number = honour.certificate.number
    assert (
        number in response.content.decode() and "峰会期间勇救落水群众" in response.content.decode()
    )
    # Units not taking part in the campaign are not offered.
    outsider = f.UnitFactory(name="未参赛单位", organisation=world.west)
    options = staff.get(url).context["form"].fields["unit"].queryset
    assert world.unit_a in options and outsider not in options


# --- Query counts -------------------------------------------------------------------------------


def _list_with(world, n):
    rule = medal_rule(world, quota=n)
    honour_list = HonourList.objects.create(rule=rule)
    for index in range(n):
        unit = f.UnitFactory(name=f"参赛单位{index}", organisation=world.west)
        project = f.ProjectFactory(zone=world.zone, unit=unit, title=f"项目{index}")
        person = f.PersonFactory(unit=unit, name=f"职工{index}", is_front_line=index % 2 == 0)
        f.TeamFactory(unit=unit, name=f"班组{index}")
        HonourListEntry.objects.create(
            honour_list=honour_list,
            unit=unit,
            project=project,
            person=person if index % 3 else None,
            rank=index + 1,
            score="90.00",
            over_quota=index == n - 1,
        )
    return rule


def _queries(client, url):
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context)


def test_list_page_queries_do_not_grow_with_entries(world, page):
    staff = page("city")
    one = _queries(staff, reverse("awards:list", args=[_list_with(world, 1).pk]))
    HonourRule.objects.all().delete()
    twenty = _queries(staff, reverse("awards:list", args=[_list_with(world, 20).pk]))
    assert one == twenty


def test_index_queries_do_not_grow_with_rules(world, page):
    staff = page("city")
    _list_with(world, 1)
    one = _queries(staff, reverse("awards:index"))
    medal = HonourType.objects.get(name="五一劳动奖章")
    for n in range(19):
        zone = f.ZoneFactory(campaign=world.campaign, name=f"赛区{n}")
        rule = HonourRule.objects.create(
            campaign=world.campaign, zone=zone, honour_type=medal, quota=1
        )
        HonourList.objects.create(rule=rule)
    assert HonourRule.objects.count() == 20
    assert _queries(staff, reverse("awards:index")) == one


def test_nominations_queries_do_not_grow_with_entries(world, page):
    medal_list = HonourList.objects.create(rule=medal_rule(world))
    unit = page("unit_a")

    def add(numbers):
        for index in numbers:
            project = f.ProjectFactory(zone=world.zone, unit=world.unit_a, title=f"项目{index}")
            HonourListEntry.objects.create(
                honour_list=medal_list, unit=world.unit_a, project=project, rank=index + 1
            )

    add(range(1))
    one = _queries(unit, reverse("awards:nominations"))
    add(range(1, 20))
    assert HonourListEntry.objects.count() == 20
    assert _queries(unit, reverse("awards:nominations")) == one
