"""Hostile input to the main HTML forms and query strings.

Every form of the table below gets oversized text, NUL bytes, script tags, SQL fragments,
huge / negative / NaN numbers, invalid UTF-8 and files that lie about their type. Refused
input must answer 200 or 400 with the error shown in Chinese (or a 400 page saying what was
wrong), never a 500, and leave the database as it was. Text that is merely odd (script tags,
SQL) may be accepted: then it is stored as typed and shown escaped.

The demo world is built once for the module (tests/quality/demo_world.py).
"""

import datetime
import re
from dataclasses import dataclass, field

import pytest
from django.apps import apps
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client, override_settings
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from tests.factories import valid_credit_code

from .demo_world import demo_fixture  # noqa: F401  (the ``demo`` fixture)

CJK = re.compile(r"[\u4e00-\u9fff]")
# Where the pages put errors: form error lists, the score sheet's per-field errors, the
# marking sheet's row errors and the messages of the base template.
ERROR_BLOCKS = re.compile(
    r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>'
    r'|<p class="score-error"[^>]*>(.+?)</p>'
    r'|<div class="errorlist">(.*?)</div>'
    r'|<li class="error">(.*?)</li>',
    re.S,
)

SCRIPT = '<script>alert("x")</script>'
SQL = "'; DROP TABLE competitions_project; -- 1' OR '1'='1"
TOLERATED_TEXT = {"script": SCRIPT, "sql": SQL}
REFUSED_NUMBERS = {
    "huge": "9" * 40,
    "negative": "-5",
    "nan": "NaN",
    "infinity": "Infinity",
    "exponent": "1e400",
    "words": "一百",
}
# A Windows executable (MZ header, "This program cannot be run in DOS mode") named .pdf, and
# an HTML page with a script named .jpg.
EXE = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
    + b"\x00" * 44
    + (b"\x80\x00\x00\x00This program cannot be run in DOS mode.\r\r\n$" + b"\x00" * 200)
)
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
BAD_FILES = {
    "exe-named-pdf": ("report.pdf", EXE),
    "html-named-jpg": ("photo.jpg", HTML),
    "html-named-xlsx": ("units.xlsx", HTML),
    "oversized": ("big.pdf", PDF + b"0" * 4096),
}
OUR_APPS = ("accounts", "competitions", "scoring", "awards", "skills")


def _nul_refused():
    """The answer of config.middleware.RefuseNulCharactersMiddleware, in the page's language."""
    return _(
        "The request contains a NUL character (\\x00), which no field accepts. Nothing was changed."
    )


@dataclass
class FormCase:
    """One form: who sends it, where, a valid submission to start from, and its fields."""

    user: str | None
    url: object  # ids -> url
    data: object  # ids -> valid POST data
    text: list = field(default_factory=list)  # free text fields
    limited: str | None = None  # a text field with a maximum length
    numbers: list = field(default_factory=list)
    file: str | None = None  # the file field, if any
    stored: tuple | None = None  # (model label, field): where accepted text is kept
    shown: object = None  # (ids, response, text) -> (user, url) of a page showing the text
    upload_only: bool = False  # an import: the file is the whole submission


def _management(prefix, total=0):
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "60",
    }


def _declaration(ids):
    return {
        "zone": ids["zone"],
        "title": "客房服务提升二期",
        "target_tasks": "按期完成",
        "content": "服务提升",
        "standards": "最高标准",
        "requirements": "零投诉",
        "plan": "每月填报进度",
        **_management("milestones"),
        **_management("attachments", 1),
        "attachments-0-title": "",
    }


def _report(ids):
    return {
        "actual_percent": "40",
        "workers": "12",
        "hidden_dangers_found": "3",
        "hidden_dangers_fixed": "2",
        "safety_incidents": "0",
        "quality_issues": "0",
        "proposals": "1",
        "proposals_benefit": "1000",
        "innovations": "0",
        "people_trained": "5",
        "narrative": "本月进展顺利",
        **_management("attachments", 1),
        "attachments-0-title": "",
    }


def _signup(ids):
    return {
        "campaign-campaign": ids["campaign"],
        "unit-name": "杭州新单位有限公司",
        "unit-credit_code": ids["credit_code"],
        "unit-ownership": "private",
        "unit-industry": "制造业",
        "unit-size": "small",
        "unit-organisation": ids["district"],
        "unit-address": "杭州市西湖区",
        "user-username": "new_liaison",
        "user-display_name": "新单位 · 联络员",
        "user-email": "liaison@example.com",
        "user-phone": "13812345678",
        "user-password1": "Hangzhou-2016-G20!",
        "user-password2": "Hangzhou-2016-G20!",
    }


def _search(page, text):
    return reverse(page) + "?" + urlencode({"q": text})


FORMS = {
    "declaration": FormCase(
        user="hotel",
        url=lambda ids: reverse("declaration-create"),
        data=_declaration,
        text=["title", "content", "plan"],
        limited="title",
        file="attachments-0-file",
        stored=("competitions.Project", "title"),
        shown=lambda ids, response, value: ("hotel", response["Location"]),
    ),
    "report": FormCase(
        user="hotel",
        url=lambda ids: reverse("report-edit", args=[ids["report"]]),
        data=_report,
        text=["narrative"],
        numbers=["workers", "actual_percent", "proposals_benefit", "people_trained"],
        file="attachments-0-file",
        stored=("competitions.ProgressReport", "narrative"),
        shown=lambda ids, response, value: ("hotel", response["Location"]),
    ),
    "score": FormCase(
        user="evaluator",
        url=lambda ids: reverse("scoring:score", args=[ids["assignment"]]),
        data=lambda ids: dict.fromkeys(ids["score_fields"], "80"),
        numbers=["first_score"],
    ),
    "unit-signup": FormCase(
        user=None,
        url=lambda ids: reverse("signup"),
        data=_signup,
        text=["unit-name", "unit-industry", "unit-address", "user-display_name"],
        limited="unit-name",
        stored=("competitions.Unit", "name"),
        shown=lambda ids, response, value: (
            "city",
            reverse("unit-list") + "?" + urlencode({"q": value}),
        ),
    ),
    "honour-rule": FormCase(
        user="city",
        url=lambda ids: reverse("awards:rules", args=[ids["campaign"]]),
        data=lambda ids: {"honour_type": ids["honour_type"], "quota": "3"},
        numbers=["quota", "min_score", "top_n", "per_unit_cap"],
    ),
    "objection": FormCase(
        user=None,
        url=lambda ids: reverse("awards:notice", args=[ids["notice"]]),
        data=lambda ids: {
            "entry": ids["entry"],
            "name": "王先生",
            "contact": "13912345678",
            "content": "该同志事迹与实际不符。",
        },
        text=["name", "content"],
        limited="name",
        stored=("awards.Objection", "content"),
        shown=lambda ids, response, value: (
            "city",
            reverse("awards:objections", args=[ids["notice"]]),
        ),
    ),
    "skill-contestant": FormCase(
        user="hotel",
        url=lambda ids: reverse("skills:register", args=[ids["event"]]),
        data=lambda ids: {"name": "赵新", "job_title": "电工"},
        text=["name", "job_title"],
        limited="name",
        stored=("competitions.Person", "name"),
        shown=lambda ids, response, value: ("hotel", reverse("skills:event", args=[ids["event"]])),
    ),
    "skill-marks": FormCase(
        user="evaluator",
        url=lambda ids: reverse("skills:mark", args=[ids["heat"], "practical"]),
        data=lambda ids: dict.fromkeys(ids["mark_fields"], "85"),
        numbers=["first_mark"],
    ),
    "login": FormCase(
        user=None,
        url=lambda ids: reverse("login"),
        data=lambda ids: {"username": "nobody", "password": "wrong-password"},
        text=["username", "password"],
    ),
    "unit-import": FormCase(
        user="city",
        url=lambda ids: reverse("unit-import"),
        data=lambda ids: {},
        file="file",
        upload_only=True,
    ),
    "contestant-import": FormCase(
        user="city",
        url=lambda ids: reverse("skills:contestant-import", args=[ids["event"]]),
        data=lambda ids: {},
        file="file",
        upload_only=True,
    ),
}


@pytest.fixture(scope="module")
def ids(demo, django_db_blocker):
    """Records of the demo the forms need, and one report the unit can still fill in."""
    from awards.models import HonourList, HonourRule, HonourType
    from competitions.models import Campaign, Organisation, ProgressReport, Project
    from scoring.models import Criterion, EvaluatorAssignment, StageLock
    from skills.models import HeatJudge, SkillEvent

    with django_db_blocker.unblock():
        hotel = demo.users["hotel"]
        project = Project.objects.get(unit=hotel.unit, status="running")
        report = ProgressReport.objects.create(
            project=project,
            period_start=datetime.date(2026, 10, 1),
            period_end=datetime.date(2026, 10, 31),
            due_date=datetime.date(2026, 11, 5),
            planned_percent=30,
        )
        locked = set(StageLock.objects.values_list("zone_id", "stage_id"))
        assignment = next(
            a
            for a in EvaluatorAssignment.objects.filter(evaluator=demo.users["evaluator"])
            .select_related("project")
            .order_by("pk")
            if (a.project.zone_id, a.stage_id) not in locked
        )
        criteria = Criterion.objects.filter(zone_id=assignment.project.zone_id, kind="judgement")
        judge = HeatJudge.objects.filter(
            judge=demo.users["evaluator"], heat__locked_at__isnull=True
        ).first()
        campaign = Campaign.objects.get(kind="labour")
        used = HonourRule.objects.filter(campaign=campaign).values_list("honour_type_id")
        notice = HonourList.objects.get(status="published")
        values = {
            "zone": project.zone_id,
            "report": report.pk,
            "assignment": assignment.pk,
            "score_fields": [f"score_{c.pk}" for c in criteria.order_by("order", "code")],
            "campaign": campaign.pk,
            "credit_code": valid_credit_code(),
            "district": Organisation.objects.get(name="西湖区总工会").pk,
            "honour_type": HonourType.objects.filter(campaign_kind="labour")
            .exclude(pk__in=used)
            .order_by("pk")
            .first()
            .pk,
            "notice": notice.pk,
            "entry": notice.entries.filter(removed_at__isnull=True).order_by("rank").first().pk,
            "event": SkillEvent.objects.get().pk,
            "heat": judge.heat_id,
            "mark_fields": [f"mark-{pk}" for pk in judge.heat.entries.values_list("pk", flat=True)],
        }
    return values


@pytest.fixture(autouse=True)
def fresh_throttles():
    """Failed logins and anonymous posts count towards throttles kept in the cache."""
    cache.clear()
    yield
    cache.clear()


def _client(demo, username):
    client = Client()
    if username:
        client.force_login(demo.users[username])
    return client


def _snapshot():
    """Row counts of every table of the apps, and the rows of the tables forms write (raw
    SQL: this runs twice in every test)."""
    models = [m for m in apps.get_models() if m._meta.app_label in OUR_APPS]
    written = [
        apps.get_model(label)
        for label in (
            "competitions.Project",
            "competitions.ProgressReport",
            "competitions.Unit",
            "scoring.Score",
            "skills.ComponentScore",
            "awards.HonourRule",
        )
    ]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        counts = ", ".join(f"(SELECT COUNT(*) FROM {quote(m._meta.db_table)})" for m in models)
        cursor.execute(f"SELECT {counts}")
        snapshot = [cursor.fetchone()]
        for model in written:
            cursor.execute(f"SELECT * FROM {quote(model._meta.db_table)} ORDER BY 1")
            snapshot.append(cursor.fetchall())
    return snapshot


def _errors(html: str) -> list[str]:
    texts = [
        next(g for g in match.groups() if g is not None) for match in ERROR_BLOCKS.finditer(html)
    ]
    return [re.sub(r"<[^>]+>", " ", text).strip() for text in texts if text.strip()]


def _assert_refused(client, response, before):
    """Refused with the reason shown in Chinese, and nothing changed."""
    assert response.status_code in (200, 302, 400), response.status_code
    if response.status_code == 302:  # some views report the refusal on the next page
        response = client.get(response["Location"])
    html = response.content.decode()
    if response.status_code == 400 and "errorlist" not in html:
        # The 400 page (e.g. NUL characters) says what was wrong.
        assert CJK.search(html), html[:500]
    else:
        errors = _errors(html)
        assert errors, f"no error shown: {html[:2000]}"
        assert all(CJK.search(text) for text in errors), errors
    assert _snapshot() == before


def _cases(kind):
    return [
        pytest.param(name, id=name)
        for name, case in FORMS.items()
        if (kind == "text" and case.text)
        or (kind == "limited" and case.limited)
        or (kind == "numbers" and case.numbers)
        or (kind == "file" and case.file)
    ]


def _prepare(name, ids, demo):
    case = FORMS[name]
    client = _client(demo, case.user)
    return case, client, case.url(ids), case.data(ids)


@pytest.mark.parametrize("name", [n for n, case in FORMS.items() if not case.upload_only])
def test_valid_submission_is_accepted(name, ids, demo, db):
    """The starting point of every hostile variant below is a submission that works, so a
    refusal below is due to the hostile value alone. (An import's valid upload is an Excel
    workbook, tested with the imports.)"""
    case, client, url, data = _prepare(name, ids, demo)
    if case.file:
        data = {**data, case.file: SimpleUploadedFile("plan.pdf", PDF)}
    before = _snapshot()
    response = client.post(url, data)
    if name == "login":
        assert response.status_code == 200  # a wrong password: the form, not a redirect
        return
    assert response.status_code in (200, 302), response.content.decode()[:3000]
    if response.status_code == 200:
        assert not _errors(response.content.decode())
    assert _snapshot() != before


@pytest.mark.parametrize("name", _cases("limited"))
def test_oversized_text_is_refused(name, ids, demo, db):
    case, client, url, data = _prepare(name, ids, demo)
    before = _snapshot()
    response = client.post(url, {**data, case.limited: "长" * 20_000})
    _assert_refused(client, response, before)


@pytest.mark.parametrize("name", _cases("text"))
def test_nul_characters_are_refused(name, ids, demo, db):
    case, client, url, data = _prepare(name, ids, demo)
    before = _snapshot()
    response = client.post(url, {**data, case.text[0]: "正常\x00文字"})
    assert response.status_code == 400
    assert _nul_refused() in response.content.decode()
    assert _snapshot() == before


@pytest.mark.parametrize("payload", TOLERATED_TEXT)
@pytest.mark.parametrize("name", _cases("text"))
def test_markup_and_sql_are_stored_as_text_and_shown_escaped(name, payload, ids, demo, db):
    case, client, url, data = _prepare(name, ids, demo)
    value = TOLERATED_TEXT[payload]
    before = _snapshot()
    response = client.post(url, {**data, **dict.fromkeys(case.text, value)})
    assert response.status_code in (200, 302, 400)
    assert SCRIPT not in response.content.decode()
    if not case.stored or _snapshot() == before:
        if name != "login":  # a wrong password is refused whatever the name
            _assert_refused(client, response, before)
        return
    label, field_name = case.stored
    # Stored exactly as typed: the SQL went in as data, not as SQL.
    assert apps.get_model(label).objects.filter(**{field_name: value}).exists()
    viewer, page = case.shown(ids, response, value)
    html = _client(demo, viewer).get(page).content.decode()
    assert SCRIPT not in html
    if payload == "script":
        assert "&lt;script&gt;alert(" in html


@pytest.mark.parametrize("payload", REFUSED_NUMBERS)
@pytest.mark.parametrize("name", _cases("numbers"))
def test_bad_numbers_are_refused(name, payload, ids, demo, db):
    case, client, url, data = _prepare(name, ids, demo)
    numbers = case.numbers
    if numbers == ["first_score"]:
        numbers = ids["score_fields"][:1]
    elif numbers == ["first_mark"]:
        numbers = ids["mark_fields"][:1]
    before = _snapshot()
    for number in numbers:
        response = client.post(url, {**data, number: REFUSED_NUMBERS[payload]})
        _assert_refused(client, response, before)


@pytest.mark.parametrize("kind", BAD_FILES)
@pytest.mark.parametrize("name", _cases("file"))
@override_settings(UPLOAD_MAX_BYTES=2048)
def test_files_of_the_wrong_type_or_size_are_refused(name, kind, ids, demo, db):
    case, client, url, data = _prepare(name, ids, demo)
    filename, content = BAD_FILES[kind]
    before = _snapshot()
    response = client.post(url, {**data, case.file: SimpleUploadedFile(filename, content)})
    _assert_refused(client, response, before)


@pytest.mark.parametrize("name", _cases("text"))
def test_invalid_utf8_in_the_body_is_no_server_error(name, ids, demo, db):
    """Raw bytes that are not UTF-8 decode to replacement characters; the form answers as
    for any other text."""
    case, client, url, data = _prepare(name, ids, demo)
    body = "&".join(f"{k}={v}" for k, v in data.items() if isinstance(v, str | int))
    body = body.encode() + b"&" + case.text[0].encode() + b"=\xff\xfe\xc3\x28\xa0\xa1"
    response = client.post(url, body, content_type="application/x-www-form-urlencoded")
    assert response.status_code in (200, 302, 400)
    response.content.decode()  # the answer itself is valid UTF-8


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=4096)
def test_oversized_body_is_refused(ids, demo, db):
    case, client, url, data = _prepare("declaration", ids, demo)
    before = _snapshot()
    response = client.post(url, {**data, "content": "长" * 10_000})
    assert response.status_code == 400
    assert _snapshot() == before


# Query strings of list pages: search terms, filters with ids and choices, page numbers.
QUERY_PAGES = [
    ("city", "project-list", ["q", "zone", "unit", "campaign", "status", "page"]),
    ("city", "unit-list", ["q", "organisation", "ownership", "size", "page"]),
    ("city", "review-queue", ["q", "zone", "status", "page"]),
    ("hotel", "report-list", ["status", "page"]),
    ("city", "report-grid", ["campaign", "zone", "organisation", "page"]),
    ("city", "awards:certificates", ["campaign", "q", "page"]),
    (None, "awards:verify", ["code"]),
    ("city", "registration-list", ["status", "page"]),
    ("city", "scoring:vetoes", ["status", "page"]),
]
HOSTILE_QUERY = {
    "script": SCRIPT,
    "sql": SQL,
    "huge": "9" * 40,
    "negative": "-1",
    "nan": "NaN",
    "oversized": "长" * 5000,
}


@pytest.mark.parametrize("payload", HOSTILE_QUERY)
@pytest.mark.parametrize("user,page,params", [pytest.param(*p, id=p[1]) for p in QUERY_PAGES])
def test_hostile_query_strings_answer_without_server_error(user, page, params, payload, demo, db):
    client = _client(demo, user)
    value = HOSTILE_QUERY[payload]
    response = client.get(reverse(page), dict.fromkeys(params, value))
    if response.status_code == 302:  # the verification form goes to the code's page
        response = client.get(response["Location"])
    assert response.status_code in (200, 400, 404)
    html = response.content.decode()
    assert SCRIPT not in html


@pytest.mark.parametrize("user,page,params", [pytest.param(*p, id=p[1]) for p in QUERY_PAGES])
def test_nul_in_query_strings_is_refused(user, page, params, demo, db):
    response = _client(demo, user).get(reverse(page), dict.fromkeys(params, "a\x00b"))
    assert response.status_code == 400
    assert _nul_refused() in response.content.decode()


# Views that read a posted field themselves, without a form: a value int() cannot take used to
# raise ValueError (a 500); a time past the column's range overflowed the database. The last
# item is the message expected (in the page's language), if not just any Chinese error.
TOO_LONG = "A completion time is at most 24 hours."
RAW_POSTS = {
    "objection-id-not-a-number": ("awards:objections", "notice", {"objection": "abc"}, None),
    "contestant-id-superscript": ("skills:heat-enter", "heat", {"contestant": ["²", "x"]}, None),
    "time-superscript": ("skills:heat-times", "heat", {"time": "²"}, None),
    "time-huge": ("skills:heat-times", "heat", {"time": "9" * 30}, TOO_LONG),
    "time-over-a-day": ("skills:heat-times", "heat", {"time": "99999999999"}, TOO_LONG),
}


@pytest.mark.parametrize("case", RAW_POSTS)
def test_fields_read_without_a_form_refuse_bad_values(case, ids, demo, db):
    from skills.models import HeatEntry

    page, key, data, expected = RAW_POSTS[case]
    if "time" in data:
        entry = HeatEntry.objects.filter(heat_id=ids["heat"]).order_by("pk").first()
        data = {f"time-{entry.pk}": data["time"]}
    client = _client(demo, "city")
    before = _snapshot()
    response = client.post(reverse(page, args=[ids[key]]), data)
    assert response.status_code in (302, 404)
    if response.status_code == 302:
        messages = _errors(client.get(response["Location"]).content.decode())
        assert messages
        if expected:
            assert any(_(expected) in text for text in messages), messages
        else:
            assert all(CJK.search(text) for text in messages), messages
    assert _snapshot() == before


def test_identity_numbers_with_other_digits_are_refused_not_crashed():
    from django.core.exceptions import ValidationError

    from competitions.validators import validate_id_number

    with pytest.raises(ValidationError):
        validate_id_number("²" * 18)


def test_theory_sheet_stations_with_other_digits_are_kept_as_typed():
    from skills.sheets import _station

    assert _station("²", {"01", "02"}) == "²"
    assert _station("1", {"01", "02"}) == "01"


def test_nul_in_api_requests_is_refused(demo, db):
    """The API answers the same 400 as JSON; NUL inside a JSON string is refused by the
    serializer's field (DRF's CharField) before it reaches the database."""
    from competitions.models import Project

    client = _client(demo, "hotel")
    response = client.get("/api/v1/projects/", {"q": "a\x00b"})
    assert response.status_code == 400
    assert response.json() == {"detail": _nul_refused()}

    project = Project.objects.filter(unit=demo.users["hotel"].unit, status="draft").first()
    before = _snapshot()
    response = client.patch(
        f"/api/v1/projects/{project.pk}/", {"title": "a\x00b"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "title" in response.json()
    assert _snapshot() == before


def test_api_ids_that_are_not_numbers_are_not_found(demo, db):
    """The router takes any text as a detail id; views that look a record up themselves
    answered a 500 for one that is not a number (found by the schemathesis run)."""
    response = Client().post(
        "/api/v1/honour-lists/f'x/objections/",
        {"entry": 1, "name": "王", "contact": "13912345678", "content": "异议"},
        content_type="application/json",
    )
    assert response.status_code == 404


def test_api_ids_beyond_the_id_range_are_refused(demo, db):
    """A list of ids goes into a ``pk__in`` lookup, which has no overflow guard: SQLite
    raised OverflowError for a number past 64 bits (found by the schemathesis run)."""
    client = _client(demo, "city")
    before = _snapshot()
    response = client.post(
        "/api/v1/projects/decide/",
        {"action": "reject", "projects": [-(10**28), 10**30]},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert set(response.json()["projects"]) == {"0", "1"}
    assert _snapshot() == before
