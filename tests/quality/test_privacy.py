"""Personal data (issue 8, PIPL): phone and ID number collected and validated, masked for
everyone but the staff who need them, exported and erased on request.

The person 李娜 of unit A (西湖区) is the data subject: the liaison of unit A and the staff of
西湖区, 杭州市 and 浙江省 see her phone and ID number in full; 滨江区, unit B, evaluators and
the public do not.
"""

import contextlib
import datetime
import io
import json

import pytest
from auditlog.context import set_actor
from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.test import APIClient

from awards.models import (
    Certificate,
    HonourList,
    HonourListEntry,
    HonourRule,
    HonourType,
    Objection,
)
from competitions import privacy, privacy_requests
from competitions.models import Campaign, Person, PrivacyRequest
from competitions.validators import id_number_check_char, validate_id_number, validate_mobile
from skills.models import Contestant, Heat, HeatEntry, SkillEvent, Tier

from .. import factories as f

PHONE = "13912345678"
ID_BODY = "33010619850612301"
ID_NUMBER = ID_BODY + id_number_check_char(ID_BODY)
OTHER_PHONE = "13687654321"
LIAISON_PHONE = "13700001111"

# Who sees 李娜's (unit A's) personal data in full, and who only masked.
FULL = ["superuser", "province", "city", "west", "unit_a"]
MASKED = ["east", "unit_b", "evaluator", "idle_evaluator", "norole", "anonymous"]


def subject(world) -> Person:
    return Person.objects.get(unit=world.unit_a, name="李娜")


@pytest.fixture
def li_na(world):
    """李娜 with phone and ID number, entered by 西湖区 staff (so the audit trail holds them)."""
    person = subject(world)
    with set_actor(world.users["west"]):
        person.phone, person.id_number = PHONE, ID_NUMBER
        person.save()
    return person


# --- Collection: validators ------------------------------------------------------------------


@pytest.mark.parametrize("number", ["11010519491231002X", "440524188001010014", ID_NUMBER])
def test_id_number_published_examples_are_valid(number):
    validate_id_number(number)


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("11010519491231002", "18 characters; this one has 17"),
        ("1101051949123100AX", "17 digits followed by a digit or X"),
        ("110105194913310025", "not a real date"),
        ("110105194902300028", "not a real date"),
        ("110105194912310021", "check character"),
    ],
)
def test_id_number_invalid_is_refused_with_reason(number, message):
    with translation.override("en"):
        with pytest.raises(ValidationError) as error:
            validate_id_number(number)
        assert message in str(error.value)


def test_id_number_every_single_digit_change_is_caught():
    for position in range(17):
        for digit in "0123456789":
            if digit == ID_NUMBER[position]:
                continue
            changed = ID_NUMBER[:position] + digit + ID_NUMBER[position + 1 :]
            with pytest.raises(ValidationError):
                validate_id_number(changed)


@pytest.mark.parametrize("number", ["13812345678", "19912345678", "+86 138-1234-5678"])
def test_mobile_valid(number):
    validate_mobile(number)


@pytest.mark.parametrize("number", ["12812345678", "1381234567", "0571-88889999", "138123456789"])
def test_mobile_invalid_is_refused(number):
    with translation.override("en"):
        with pytest.raises(ValidationError) as error:
            validate_mobile(number)
        assert "11 digits" in str(error.value)


def test_person_stores_normalised_phone_and_upper_case_x(world):
    person = subject(world)
    person.phone, person.id_number = "+86 139-1234-5678", "11010519491231002x"
    person.full_clean()
    person.save()
    person.refresh_from_db()
    assert (person.phone, person.id_number) == (PHONE, "11010519491231002X")


def test_admin_edits_phone_and_id_number_with_validation(world, client_for):
    person = subject(world)
    url = reverse("admin:competitions_person_change", args=[person.pk])
    west = client_for("west")
    form = {"unit": world.unit_a.pk, "team": person.team_id, "name": person.name}
    bad = west.post(url, form | {"phone": "12345", "id_number": ID_NUMBER[:-1] + "0"})
    assert bad.status_code == 200
    assert len(bad.context["adminform"].form.errors) == 2
    response = west.post(url, form | {"phone": "139 1234 5678", "id_number": ID_NUMBER.lower()})
    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.phone, person.id_number) == (PHONE, ID_NUMBER)


def test_excel_import_takes_phone_and_id_number(world, client_for, settings, tmp_path):
    from ..competitions.test_import import confirm, fill_template, person_row, upload

    settings.MEDIA_ROOT = tmp_path
    west = client_for("west")
    code = world.unit_a.credit_code
    rows = [
        person_row("赵新", code, **{"手机号": "139 1234 5678", "身份证号": ID_NUMBER.lower()}),
        person_row("钱错", code, **{"手机号": "12345", "身份证号": ID_NUMBER[:-1] + "0"}),
    ]
    preview = upload(west, fill_template(west, people=rows))
    errors = [row.errors for row in preview.context["plan"].people.rows]
    assert errors[0] == [] and {column for column, _ in errors[1]} == {"手机号", "身份证号"}
    preview = upload(west, fill_template(west, people=rows[:1]))
    confirm(west, preview)
    person = Person.objects.get(name="赵新")
    assert (person.phone, person.id_number) == (PHONE, ID_NUMBER)


# --- Masking ---------------------------------------------------------------------------------


def test_masks():
    assert privacy.mask_phone("13812345678") == "138****5678"
    assert privacy.mask_id_number("330102199001011234") == "330102********1234"
    assert privacy.mask_email("zhang.wei@example.com") == "z***@example.com"
    assert privacy.mask_contact("0571-88889999") == "057****9999"
    assert privacy.mask_contact("wang@example.com") == "w***@example.com"
    assert privacy.mask_phone("") == privacy.mask_id_number("") == ""


@pytest.mark.parametrize("role", FULL + MASKED)
def test_rule_full_values_only_for_the_unit_and_the_unions_above(world, role):
    user = world.users.get(role)
    if user is None:
        from django.contrib.auth.models import AnonymousUser

        user = AnonymousUser()
    assert privacy.may_see_personal_data(user, world.unit_a) == (role in FULL)
    assert privacy.may_see_personal_data(user, world.unit_a.pk, {}) == (role in FULL)


@pytest.mark.parametrize("role", FULL)
def test_person_page_shows_full_values_to_those_responsible(world, li_na, client_for, role):
    page = client_for(role).get(reverse("person-detail", args=[li_na.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert PHONE in html and ID_NUMBER in html
    handles = reverse("person-export", args=[li_na.pk, "json"]) in html
    assert handles == (role != "unit_a")  # the unit itself does not handle requests


@pytest.mark.parametrize("role", ["east", "unit_b", "evaluator", "idle_evaluator", "norole"])
def test_person_page_not_found_outside_the_scope(world, li_na, client_for, role):
    assert client_for(role).get(reverse("person-detail", args=[li_na.pk])).status_code == 404


def test_unit_page_lists_people_with_values_and_liaison_contact(world, li_na, client_for):
    liaison = world.users["unit_a"]
    liaison.phone, liaison.email = LIAISON_PHONE, "liaison@example.com"
    liaison.save()
    url = reverse("unit-detail", args=[world.unit_a.pk])
    for role in FULL:
        html = client_for(role).get(url).content.decode()
        assert PHONE in html and ID_NUMBER in html and LIAISON_PHONE in html, role
    # The evaluator scoring unit A's project sees the unit, not its people, and a masked
    # liaison contact.
    html = client_for("evaluator").get(url).content.decode()
    assert "137****1111" in html and "l***@example.com" in html
    assert LIAISON_PHONE not in html and PHONE not in html and "李娜" not in html


def test_unit_page_query_count_does_not_grow_with_people(world, client_for):
    url = reverse("unit-detail", args=[world.unit_a.pk])
    city = client_for("city")
    with CaptureQueriesContext(connection) as one:
        city.get(url)
    for n in range(20):
        f.PersonFactory(unit=world.unit_a, phone=f"1390000{n:04d}")
    with CaptureQueriesContext(connection) as many:
        assert "13900000019" in city.get(url).content.decode()
    assert len(many) == len(one)


@pytest.fixture
def skill_contest(world, li_na):
    """A city skill contest co-organised by 滨江区: its staff run the event and see every
    contestant, but only unit B (their district) in full."""
    campaign = f.CampaignFactory(
        organiser=world.city, title="职工技能大赛", kind=Campaign.Kind.SKILL
    )
    campaign.co_organisers.add(world.east)
    event = SkillEvent.objects.create(campaign=campaign, trade="电工")
    tier = Tier.objects.create(event=event, level="unit", order=1, advance_count=1)
    heat = Heat.objects.create(tier=tier, name="选拔赛", locked_at=timezone.now())
    zhang = Person.objects.get(name="张强")
    zhang.phone = OTHER_PHONE
    zhang.save()
    for rank, person in enumerate((li_na, zhang), start=1):
        contestant = Contestant.objects.create(event=event, person=person, unit=person.unit)
        HeatEntry.objects.create(
            heat=heat,
            contestant=contestant,
            station_number=f"0{rank}",
            theory="80",
            practical="90",
            total="87",
            rank=rank,
            advanced=rank == 1,
            prize="一等奖" if rank == 1 else "",
        )
    return event


def test_contestants_page_and_api_mask_other_districts_people(world, skill_contest, client_for):
    page = client_for("east").get(reverse("skills:event", args=[skill_contest.pk]))
    html = page.content.decode()
    assert "139****5678" in html and PHONE not in html and OTHER_PHONE in html
    html = client_for("city").get(reverse("skills:event", args=[skill_contest.pk])).content
    assert PHONE in html.decode() and OTHER_PHONE in html.decode()

    for role, expected in (
        ("east", {"李娜": "139****5678", "张强": OTHER_PHONE}),
        ("city", {"李娜": PHONE, "张强": OTHER_PHONE}),
        ("unit_a", {"李娜": PHONE}),
    ):
        client = APIClient()
        client.force_authenticate(world.users[role])
        rows = client.get("/api/v1/contestants/", {"event": skill_contest.pk}).json()["results"]
        assert {row["person_name"]: row["person_phone"] for row in rows} == expected, role


@pytest.fixture
def person_honour(world):
    rule = HonourRule.objects.create(
        campaign=world.campaign,
        zone=world.zone,
        honour_type=HonourType.objects.get(name="先进个人"),
        quota=2,
    )
    return HonourList.objects.create(rule=rule)


def test_objection_contact_full_for_deciding_staff_then_masked(world, person_honour, client_for):
    zhang = Person.objects.get(name="张强")
    person_honour.status = HonourList.Status.PUBLISHED
    person_honour.save()
    entry = HonourListEntry.objects.create(
        honour_list=person_honour, unit=world.unit_b, person=zhang, rank=1
    )
    objection = Objection.objects.create(entry=entry, name="王某", contact=PHONE, content="不实")
    api = APIClient()
    api.force_authenticate(world.users["city"])
    url = f"/api/v1/honour-lists/{person_honour.pk}/objections/"
    assert api.get(url).json()[0]["contact"] == PHONE
    admin = client_for("city")
    assert PHONE in admin.get(f"/admin/awards/objection/{objection.pk}/change/").content.decode()
    changelist = admin.get("/admin/awards/objection/").content.decode()
    assert "139****5678" in changelist and PHONE not in changelist

    Objection.objects.filter(pk=objection.pk).update(
        status=Objection.Status.DISMISSED, investigation="查无实据", decided_at=timezone.now()
    )
    assert api.get(url).json()[0]["contact"] == "139****5678"
    page = admin.get(reverse("awards:objections", args=[person_honour.pk])).content.decode()
    assert "139****5678" in page and PHONE not in page
    assert (
        PHONE not in admin.get(f"/admin/awards/objection/{objection.pk}/change/").content.decode()
    )


def test_admin_list_masks_for_users_not_responsible(world, li_na, client_for):
    changelist = client_for("west").get("/admin/competitions/person/").content.decode()
    assert PHONE in changelist and ID_NUMBER in changelist
    column = privacy.masked_column("phone", "phone", world.users["east"])
    assert column(li_na) == "139****5678"
    column = privacy.masked_column("id_number", "ID", world.users["city"])
    assert column(li_na) == ID_NUMBER


def test_profile_shows_own_contact_and_downloads_own_data(world, client_for):
    liaison = world.users["unit_a"]
    liaison.phone, liaison.email = LIAISON_PHONE, "liaison@example.com"
    liaison.save()
    liaison.notifications.create(title="报告已退回", event="test:1")
    client = client_for("unit_a")
    html = client.get(reverse("profile")).content.decode()
    assert LIAISON_PHONE in html and "liaison@example.com" in html
    data = json.loads(client.get(reverse("profile-export")).content)
    assert data["profile"]["phone"] == LIAISON_PHONE
    assert [n["title"] for n in data["notifications"]] == ["报告已退回"]
    assert PrivacyRequest.objects.get().handled_by == liaison
    assert Client().get(reverse("profile")).status_code == 302


# --- Export ----------------------------------------------------------------------------------


def _records(world, person, person_honour, count):
    """``count`` records of each kind about ``person``: led projects, list entries (removed),
    contest entries, objections lodged with their phone."""
    campaign = f.CampaignFactory(organiser=world.city, kind=Campaign.Kind.SKILL)
    for n in range(count):
        f.ProjectFactory(zone=world.zone, unit=person.unit, leader=person)
        rule = HonourRule.objects.create(
            campaign=f.CampaignFactory(organiser=world.city),
            honour_type=HonourType.objects.get(name="先进个人"),
            quota=1,
        )
        honour_list = HonourList.objects.create(rule=rule)
        entry = HonourListEntry.objects.create(
            honour_list=honour_list,
            unit=person.unit,
            person=person,
            rank=n + 1,
            removed_at=timezone.now(),
            removal_reason="名额调整",
        )
        Objection.objects.create(entry=entry, name="李娜", contact=person.phone, content="x")
        event = SkillEvent.objects.create(campaign=campaign, trade=f"工种{n}")
        tier = Tier.objects.create(event=event, level="unit", order=1)
        heat = Heat.objects.create(tier=tier, name=f"赛场{n}")
        contestant = Contestant.objects.create(event=event, person=person, unit=person.unit)
        HeatEntry.objects.create(heat=heat, contestant=contestant, station_number="01", rank=2)


def test_export_holds_everything_about_the_person(world, li_na, person_honour, skill_contest):
    _records(world, li_na, person_honour, 1)
    data = json.loads(privacy_requests.to_json(privacy_requests.person_data(li_na)))
    assert data["person"]["name"] == "李娜"
    assert (data["person"]["phone"], data["person"]["id_number"]) == (PHONE, ID_NUMBER)
    assert data["person"]["unit"]["name"] == "西湖酒店" and data["person"]["team"] == "前厅班组"
    assert len(data["projects_led"]) == 1 and len(data["honour_entries"]) == 1
    assert data["honour_entries"][0]["removal_reason"] == "名额调整"
    contests = {c["event"]: c["heats"] for c in data["skill_contests"]}
    assert contests["电工"][0]["rank"] == 1 and contests["电工"][0]["prize"] == "一等奖"
    assert data["objections_lodged"][0]["contact"] == PHONE
    changes = [entry["changes"] for entry in data["audit_trail"]]
    assert any(change.get("phone", [None, None])[1] == PHONE for change in changes)


def test_export_query_count_is_constant(world, person_honour):
    counts = []
    for count in (1, 3):
        person = f.PersonFactory(unit=world.unit_a, phone=f"1391111000{count}")
        _records(world, person, person_honour, count)
        with CaptureQueriesContext(connection) as captured:
            data = privacy_requests.person_data(person)
        assert len(data["skill_contests"]) == len(data["objections_lodged"]) == count
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_export_pages_for_handlers_only_and_recorded(world, li_na, client_for):
    json_url = reverse("person-export", args=[li_na.pk, "json"])
    response = client_for("west").get(json_url)
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    assert json.loads(response.content)["person"]["id_number"] == ID_NUMBER
    readable = client_for("city").get(reverse("person-export", args=[li_na.pk, "html"]))
    assert readable.status_code == 200 and ID_NUMBER in readable.content.decode()
    assert client_for("unit_a").get(json_url).status_code == 403
    assert client_for("east").get(json_url).status_code == 404
    assert client_for("anonymous").get(json_url).status_code == 302
    assert (
        client_for("west").get(reverse("person-export", args=[li_na.pk, "xml"])).status_code == 404
    )
    requests = PrivacyRequest.objects.order_by("pk")
    assert [(r.kind, r.handled_by.username, r.channel) for r in requests] == [
        ("export", "west", "web"),
        ("export", "city", "web"),
    ]


def test_export_commands_write_json_and_readable_files(world, li_na, tmp_path):
    target = tmp_path / "export.json"
    call_command("export_person", str(li_na.pk), "--output", str(target), "--by", "west")
    assert json.loads(target.read_text(encoding="utf-8"))["person"]["phone"] == PHONE
    out = io.StringIO()
    call_command("export_person", str(li_na.pk), "--format", "html", stdout=out)
    assert ID_NUMBER in out.getvalue() and out.getvalue().startswith("<!doctype html>")
    out = io.StringIO()
    call_command("export_person", str(world.users["west"].pk), "--user", stdout=out)
    assert json.loads(out.getvalue())["profile"]["username"] == "west"
    with pytest.raises(CommandError):
        call_command("export_person", "999999")
    assert PrivacyRequest.objects.filter(kind="export", channel="command").count() == 3


# --- Erasure ---------------------------------------------------------------------------------


def database_hits(*needles) -> list[tuple[str, str]]:
    """Every table of the database searched for ``needles`` as text (JSON unescaped)."""
    hits = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')
            for row in cursor.fetchall():
                for cell in row:
                    if isinstance(cell, (dict, list)):
                        cell = json.dumps(cell, ensure_ascii=False)
                    if isinstance(cell, (bytes, memoryview)):
                        cell = bytes(cell).decode("utf-8", "ignore")
                    if not isinstance(cell, str):
                        continue
                    if "\\u" in cell:
                        with contextlib.suppress(ValueError):
                            cell = json.dumps(json.loads(cell), ensure_ascii=False)
                    hits += [(table, needle) for needle in needles if needle in cell]
    return hits


def test_erasure_leaves_nothing_identifying_and_records_still_work(
    world, li_na, person_honour, skill_contest, client_for
):
    _records(world, li_na, person_honour, 1)
    written_otherwise = Objection.objects.create(
        entry=HonourListEntry.objects.get(person=li_na),
        name="李娜",
        contact="+86 139-1234-5678",
        content="同一人",
    )
    world.project_a.leader = li_na
    world.project_a.save()
    west = client_for("west")
    # An edit through the admin leaves the admin's own history too.
    west.post(
        reverse("admin:competitions_person_change", args=[li_na.pk]),
        {
            "unit": world.unit_a.pk,
            "name": "李娜",
            "phone": PHONE,
            "id_number": ID_NUMBER,
            "job_title": "领班",
        },
    )
    assert database_hits("李娜", PHONE, ID_NUMBER)

    url = reverse("person-erase", args=[li_na.pk])
    assert "reason" in west.get(url).content.decode()
    refused = west.post(url, {"reason": "", "confirm": "on"})
    assert refused.status_code == 200 and Person.objects.filter(name="李娜").exists()
    response = west.post(url, {"reason": "本人2026-03-01书面申请删除", "confirm": "on"})
    assert response.status_code == 302

    assert database_hits("李娜", PHONE, ID_NUMBER) == []
    li_na.refresh_from_db()
    assert li_na.name == privacy_requests.person_pseudonym(li_na.pk)
    assert (li_na.phone, li_na.id_number, li_na.job_title) == ("", "", "")
    world.project_a.refresh_from_db()
    assert world.project_a.leader is None
    written_otherwise.refresh_from_db()
    assert (written_otherwise.name, written_otherwise.contact) == ("***", "***")
    request = PrivacyRequest.objects.get(kind="erasure")
    assert (request.handled_by, request.reason, request.subject_id) == (
        world.users["west"],
        "本人2026-03-01书面申请删除",
        li_na.pk,
    )
    last = LogEntry.objects.get_for_object(li_na).order_by("-pk").first()
    assert last.actor == world.users["west"]
    assert last.additional_data == {"privacy_request": request.pk}

    # What must stay still works: the contest's ranks, the lists, the pages.
    entry = HeatEntry.objects.filter(contestant__person=li_na).order_by("pk").first()
    assert (entry.rank, entry.prize) == (1, "一等奖")
    city = client_for("city")
    for url in (
        reverse("person-detail", args=[li_na.pk]),
        reverse("unit-detail", args=[world.unit_a.pk]),
        reverse("project-detail", args=[world.project_a.pk]),
        reverse("skills:event", args=[skill_contest.pk]),
        reverse("awards:list", args=[person_honour.rule_id]),
        "/api/v1/contestants/",
        "/admin/competitions/person/",
        f"/admin/competitions/person/{li_na.pk}/change/",
    ):
        page = city.get(url)
        assert page.status_code == 200, url
    assert li_na.name in city.get(reverse("skills:event", args=[skill_contest.pk])).content.decode()


def test_erasure_refused_while_an_honour_is_a_public_record(world, li_na, person_honour):
    entry = HonourListEntry.objects.create(
        honour_list=person_honour, unit=world.unit_a, person=li_na, rank=1
    )
    with translation.override("en"):
        with pytest.raises(ValidationError) as draft:
            privacy_requests.erase_person(li_na, "申请", world.users["west"], "web")
        assert "draft honours list" in " ".join(draft.value.messages)
        person_honour.status = HonourList.Status.CONFIRMED
        person_honour.save()
        Certificate.objects.create(
            campaign=world.campaign,
            entry=entry,
            serial=1,
            number="2026-0001",
            verification_code="ABCD1234",
            honour_name="先进个人",
            recipient_name="李娜",
            unit_name="西湖酒店",
            campaign_title=world.campaign.title,
            issuer_name="杭州市总工会",
            issued_on=datetime.date(2026, 5, 1),
        )
        with pytest.raises(ValidationError) as held:
            privacy_requests.erase_person(li_na, "申请", world.users["west"], "web")
        assert "certificate 2026-0001" in " ".join(held.value.messages)
        with pytest.raises(CommandError, match="2026-0001"):
            call_command("erase_person", str(li_na.pk), "--reason", "申请")
    li_na.refresh_from_db()
    assert (li_na.name, li_na.phone) == ("李娜", PHONE)
    assert not PrivacyRequest.objects.exists()


def test_erase_page_permissions(world, li_na, client_for):
    url = reverse("person-erase", args=[li_na.pk])
    assert client_for("unit_a").get(url).status_code == 403
    assert client_for("unit_a").post(url, {"reason": "x", "confirm": "on"}).status_code == 403
    for role in ("east", "evaluator", "norole"):
        assert client_for(role).post(url, {"reason": "x", "confirm": "on"}).status_code == 404
    assert client_for("anonymous").get(url).status_code == 302
    li_na.refresh_from_db()
    assert li_na.name == "李娜"


def test_erase_person_command(world, li_na):
    out = io.StringIO()
    call_command("erase_person", str(li_na.pk), "--reason", "电话申请", "--by", "city", stdout=out)
    assert "Erased" in out.getvalue()
    li_na.refresh_from_db()
    assert li_na.phone == "" and li_na.name == privacy_requests.person_pseudonym(li_na.pk)
    request = PrivacyRequest.objects.get()
    assert (request.channel, request.handled_by.username) == ("command", "city")
    with pytest.raises(CommandError):
        call_command("erase_person", str(li_na.pk), "--reason", " ")


def test_erase_user_account(world, client_for):
    evaluator = world.users["evaluator"]
    evaluator.display_name, evaluator.email, evaluator.phone = "钱评委", "qian@example.com", PHONE
    evaluator.save()
    evaluator.notifications.create(title="新的评分任务", event="test:2")
    client = client_for("evaluator")
    client.get(reverse("home"))  # an action recorded with the account's e-mail comes below
    with set_actor(evaluator):
        world.project_a.title = "酒店服务提升(修订)"
        world.project_a.save()
    assert database_hits("钱评委", "qian@example.com", PHONE)

    superuser = client_for("superuser")
    assert superuser.get(reverse("account-privacy", args=[evaluator.pk])).status_code == 200
    assert (
        client_for("city").get(reverse("account-privacy", args=[evaluator.pk])).status_code == 403
    )
    exported = superuser.get(reverse("account-export", args=[evaluator.pk, "json"]))
    assert json.loads(exported.content)["profile"]["email"] == "qian@example.com"
    response = superuser.post(
        reverse("account-erase", args=[evaluator.pk]), {"reason": "离职申请", "confirm": "on"}
    )
    assert response.status_code == 302

    assert database_hits("钱评委", "qian@example.com", PHONE) == []
    evaluator.refresh_from_db()
    assert evaluator.username == f"erased-{evaluator.pk}" and not evaluator.is_active
    assert not evaluator.has_usable_password() and not evaluator.notifications.exists()
    # The scores stay with the anonymised account; the project page still renders.
    assert world.project_a.assignments.get().evaluator == evaluator
    assert (
        client_for("city").get(reverse("project-detail", args=[world.project_a.pk])).status_code
        == 200
    )
    assert not Client().login(username="evaluator", password=f.PASSWORD)


def test_erase_user_refuses_own_account_and_needs_reason(world):
    root = world.users["superuser"]
    with pytest.raises(ValidationError):
        privacy_requests.erase_user(root, "申请", root, "web")
    with pytest.raises(ValidationError):
        privacy_requests.erase_user(world.users["west"], "", root, "web")
    call_command("erase_person", str(world.users["west"].pk), "--user", "--reason", "申请")
    assert get_user_model().objects.get(pk=world.users["west"].pk).username.startswith("erased-")


def test_honour_entries_api_masks_person_data_outside_the_responsible(world, li_na, person_honour):
    person_honour.status = HonourList.Status.PUBLISHED
    person_honour.save()
    HonourListEntry.objects.create(
        honour_list=person_honour, unit=world.unit_a, person=li_na, rank=1
    )
    url = f"/api/v1/honour-lists/{person_honour.pk}/"
    for role, phone, id_number in (
        ("city", PHONE, ID_NUMBER),
        ("west", PHONE, ID_NUMBER),
        ("unit_a", PHONE, ID_NUMBER),
        ("east", "139****5678", privacy.mask_id_number(ID_NUMBER)),
        ("unit_b", "139****5678", privacy.mask_id_number(ID_NUMBER)),
    ):
        client = APIClient()
        client.force_authenticate(world.users[role])
        entry = client.get(url).json()["entries"][0]
        assert (entry["person_phone"], entry["person_id_number"]) == (phone, id_number), role
