import io
import time
from unittest.mock import patch

import pytest
from auditlog.models import LogEntry
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook, load_workbook

from competitions.import_views import TOKEN_SALT
from competitions.imports import PERSON_COLUMNS, UNIT_COLUMNS
from competitions.models import Person, Team, Unit

from ..factories import valid_credit_code

IMPORT_URL = reverse("unit-import")
TEMPLATE_URL = reverse("unit-import-template")
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def unit_row(name, code, organisation="西湖区总工会", **extra):
    row = {
        "单位名称": name,
        "统一社会信用代码": code,
        "所有制": "国有",
        "行业": "建筑业",
        "规模": "中型",
        "所属工会": organisation,
        "地址": "文三路 1 号",
    }
    return row | extra


def person_row(name, code, team="", **extra):
    row = {"姓名": name, "单位统一社会信用代码": code, "班组": team, "一线职工": "是"}
    return row | extra


def fill_template(client, units=(), people=()) -> bytes:
    """The downloaded template with its example rows replaced by ``units`` and ``people``."""
    workbook = load_workbook(io.BytesIO(client.get(TEMPLATE_URL).content))
    for title, columns, rows in (("单位", UNIT_COLUMNS, units), ("职工", PERSON_COLUMNS, people)):
        sheet = workbook[title]
        sheet.delete_rows(2)
        # Typed in from row 2, as a user would (the template pre-formats rows below).
        for number, row in enumerate(rows, start=2):
            for index, column in enumerate(columns, start=1):
                sheet.cell(row=number, column=index, value=row.get(column.header))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(client, content, name="导入.xlsx"):
    return client.post(IMPORT_URL, {"file": SimpleUploadedFile(name, content)})


def confirm(client, preview):
    return client.post(IMPORT_URL, {"token": preview.context["token"]})


def row_errors(response, sheet="units"):
    """(row number, columns with errors) of every row with a problem."""
    rows = getattr(response.context["plan"], sheet).rows
    return [(row.number, [column for column, _message in row.errors]) for row in rows if row.errors]


def test_template_is_an_xlsx_with_both_sheets(world, client_for):
    response = client_for("west").get(TEMPLATE_URL)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["单位", "职工"]
    units, people = workbook["单位"], workbook["职工"]
    assert [cell.value for cell in units[1]] == [column.header for column in UNIT_COLUMNS]
    assert [cell.value for cell in people[1]] == [column.header for column in PERSON_COLUMNS]
    assert all(cell.font.bold for cell in units[1])
    assert units["F2"].value == "西湖区总工会"  # an organisation of the user's scope
    assert units["B2"].value == people["B2"].value == "91440300708461136T"
    lists = [v.formula1 for v in units.data_validations.dataValidation]
    assert any("国有" in formula for formula in lists)
    assert any("中型" in formula for formula in lists)
    flags = [v.formula1 for v in people.data_validations.dataValidation]
    assert flags.count('"是,否"') == 4


def test_template_as_downloaded_passes_the_checks(world, client_for):
    client = client_for("west")
    preview = upload(client, client.get(TEMPLATE_URL).content)
    assert preview.status_code == 200
    assert preview.context["plan"].is_valid
    assert not Unit.objects.filter(credit_code="91440300708461136T").exists()


def test_import_creates_units_teams_and_people_after_confirm(world, client_for, media_root):
    client = client_for("west")
    code_1, code_2 = valid_credit_code(), valid_credit_code()
    content = fill_template(
        client,
        units=[
            unit_row("西湖建工集团", code_1),
            {},  # an empty row is ignored
            unit_row("西溪物业公司", code_2.lower(), 地址="", 规模="小型", 所有制="民营"),
            unit_row("西湖酒店(新名)", world.unit_a.credit_code),
        ],
        people=[
            person_row("陈刚", code_1, team="钢筋班组", 产业工人="Y", 农民工="1"),
            person_row("刘芳", code_1, team="钢筋班组", 单位负责人="是"),
            person_row("周敏", code_2),
            person_row("李娜", world.unit_a.credit_code, team="前厅班组", 单位负责人="是"),
            person_row("赵磊", world.unit_a.credit_code, team="客房班组", 一线职工="N"),
        ],
    )
    units_before, people_before = Unit.objects.count(), Person.objects.count()
    preview = upload(client, content)
    assert preview.status_code == 200
    plan = preview.context["plan"]
    assert plan.is_valid, plan.file_errors + [
        line for sheet in plan.sheets for line in sheet.error_lines
    ]
    assert [row.number for row in plan.units.rows] == [2, 4, 5]
    assert [row.action for row in plan.units.rows] == ["create", "create", "update"]
    assert [row.action for row in plan.people.rows] == [
        "create",
        "create",
        "create",
        "update",
        "create",
    ]
    assert plan.summary["teams_new"] == 2
    # The preview alone saves nothing, but keeps the file for the confirmation.
    assert (Unit.objects.count(), Person.objects.count()) == (units_before, people_before)
    assert len(list((media_root / "imports").iterdir())) == 1

    response = confirm(client, preview)
    assert response.status_code == 302
    assert response["Location"] == reverse("unit-list")
    assert Unit.objects.count() == units_before + 2
    unit_1 = Unit.objects.get(credit_code=code_1)
    assert unit_1.organisation == world.west
    assert unit_1.get_ownership_display() and unit_1.ownership == Unit.Ownership.STATE
    unit_2 = Unit.objects.get(credit_code=code_2)
    assert (unit_2.ownership, unit_2.size, unit_2.address) == ("private", "small", "")
    world.unit_a.refresh_from_db()
    assert world.unit_a.name == "西湖酒店(新名)"
    chen = Person.objects.get(name="陈刚")
    assert chen.unit == unit_1 and chen.team.name == "钢筋班组"
    assert (chen.is_front_line, chen.is_industrial_worker, chen.is_migrant_worker) == (
        True,
        True,
        True,
    )
    assert Person.objects.get(name="刘芳").team == chen.team
    assert Person.objects.get(name="周敏").team is None
    li_na = Person.objects.get(unit=world.unit_a, name="李娜")  # updated, not duplicated
    assert li_na.is_leader and li_na.team.name == "前厅班组"
    assert Team.objects.filter(unit=world.unit_a).count() == 2
    assert not Person.objects.get(name="赵磊").is_front_line
    assert Person.objects.count() == people_before + 4
    assert list((media_root / "imports").iterdir()) == []

    # The success message counts created and updated records.
    with translation.override("en"):
        page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en")
    assert any("3" in str(m) and "5" in str(m) for m in page.context["messages"])


def test_import_writes_audit_entries_with_the_actor(world, client_for):
    client = client_for("west")
    code = valid_credit_code()
    preview = upload(
        client,
        fill_template(
            client,
            units=[
                unit_row("西湖建工集团", code),
                unit_row("西湖酒店", world.unit_a.credit_code, 地址=world.unit_a.address),
            ],
            people=[person_row("陈刚", code, team="钢筋班组"), person_row("李娜", code)],
        ),
    )
    assert [row.action for row in preview.context["plan"].units.rows] == ["create", "unchanged"]
    confirm(client, preview)
    unit = Unit.objects.get(credit_code=code)
    entry = LogEntry.objects.get_for_object(unit).get()
    assert entry.action == LogEntry.Action.CREATE
    assert entry.actor == world.users["west"]
    assert entry.object_repr == "西湖建工集团"
    assert entry.changes["credit_code"] == ["None", code]
    assert entry.changes["organisation"] == ["None", str(world.west.pk)]
    # What django-auditlog records for a unit saved one by one has the same shape.
    unit.name = "西湖建工集团有限公司"
    unit.save()
    library_entry = LogEntry.objects.get_for_object(unit).filter(action=LogEntry.Action.UPDATE)
    assert library_entry.get().changes == {"name": ["西湖建工集团", "西湖建工集团有限公司"]}

    # An unchanged unit gets no entry, as with the library.
    assert not LogEntry.objects.get_for_object(world.unit_a).filter(action=LogEntry.Action.UPDATE)
    for person in Person.objects.filter(unit=unit):
        entry = LogEntry.objects.get_for_object(person).get()
        assert entry.actor == world.users["west"]
        assert entry.changes["name"] == ["None", person.name]
    team = Team.objects.get(unit=unit)
    assert LogEntry.objects.get_for_object(team).get().actor == world.users["west"]


def test_update_is_audited_with_the_changed_fields_only(world, client_for):
    client = client_for("west")
    preview = upload(
        client,
        fill_template(
            client,
            people=[person_row("李娜", world.unit_a.credit_code, team="前厅班组", 职务="领班")],
        ),
    )
    assert [row.action for row in preview.context["plan"].people.rows] == ["update"]
    confirm(client, preview)
    person = Person.objects.get(unit=world.unit_a, name="李娜")
    entry = LogEntry.objects.get_for_object(person).get(action=LogEntry.Action.UPDATE)
    assert entry.actor == world.users["west"]
    assert entry.changes["job_title"][1] == "领班"
    assert "name" not in entry.changes


def test_bad_credit_code_imports_nothing_and_names_the_row(world, client_for, media_root):
    client = client_for("west")
    good = valid_credit_code()
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    content = fill_template(
        client,
        units=[unit_row("甲公司", good), unit_row("乙公司", bad)],
        people=[person_row("陈刚", good)],
    )
    response = upload(client, content)
    assert response.status_code == 200
    plan = response.context["plan"]
    assert not plan.is_valid
    assert response.context["token"] is None
    assert row_errors(response) == [(3, ["统一社会信用代码"])]
    with translation.override("en"):
        assert plan.units.rows[1].error_lines[0].startswith("Row 3, 统一社会信用代码: ")
    assert "统一社会信用代码" in response.content.decode()
    assert not Unit.objects.filter(credit_code__in=[good, bad]).exists()
    assert not Person.objects.filter(name="陈刚").exists()
    assert not (media_root / "imports").exists()


def test_organisation_outside_scope_or_unknown_is_refused(world, client_for):
    client = client_for("west")
    codes = [valid_credit_code() for _ in range(3)]
    response = upload(
        client,
        fill_template(
            client,
            units=[
                unit_row("甲公司", codes[0], organisation="滨江区总工会"),
                unit_row("乙公司", codes[1], organisation="不存在的工会"),
                unit_row("丙公司", codes[2], organisation="杭州市总工会"),
            ],
        ),
    )
    assert row_errors(response) == [(2, ["所属工会"]), (3, ["所属工会"]), (4, ["所属工会"])]
    with translation.override("en"):
        outside, unknown, above = (row.errors[0][1] for row in response.context["plan"].units.rows)
    assert outside == above != unknown
    assert not Unit.objects.filter(credit_code__in=codes).exists()
    # The city union sees both districts: the same file passes for them.
    city = client_for("city")
    content = fill_template(city, units=[unit_row("甲公司", codes[0], organisation="滨江区总工会")])
    assert upload(city, content).context["plan"].is_valid


def test_unit_registered_outside_scope_is_refused(world, client_for):
    client = client_for("west")
    response = upload(
        client,
        fill_template(
            client,
            units=[unit_row("滨江电力", world.unit_b.credit_code)],
            people=[person_row("张强", world.unit_b.credit_code)],
        ),
    )
    assert row_errors(response) == [(2, ["统一社会信用代码"])]
    assert row_errors(response, "people") == [(2, ["单位统一社会信用代码"])]
    world.unit_b.refresh_from_db()
    assert world.unit_b.name == "滨江电力"


def test_sheet_level_mistakes_are_reported_per_row(world, client_for):
    client = client_for("west")
    code = valid_credit_code()
    response = upload(
        client,
        fill_template(
            client,
            units=[
                unit_row("甲公司", code),
                unit_row("甲公司分号", code),
                unit_row("", valid_credit_code(), 规模="超大"),
            ],
            people=[
                person_row("陈刚", code),
                person_row("陈刚", code),
                person_row("刘芳", valid_credit_code()),
                person_row("周敏", code, 农民工="也许"),
            ],
        ),
    )
    assert row_errors(response) == [(3, ["统一社会信用代码"]), (4, ["规模", "单位名称"])]
    assert row_errors(response, "people") == [
        (3, ["姓名"]),
        (4, ["单位统一社会信用代码"]),
        (5, ["农民工"]),
    ]
    assert not Unit.objects.filter(credit_code=code).exists()


def test_people_sheet_alone_and_missing_sheet(world, client_for):
    client = client_for("west")
    workbook = Workbook()
    workbook.active.title = "职工"
    workbook.active.append(["姓名", "单位统一社会信用代码"])
    workbook.active.append(["孙丽", world.unit_a.credit_code])
    buffer = io.BytesIO()
    workbook.save(buffer)
    preview = upload(client, buffer.getvalue())
    assert preview.context["plan"].is_valid
    assert confirm(client, preview).status_code == 302
    assert Person.objects.get(name="孙丽").unit == world.unit_a


def test_missing_column_and_empty_file_are_reported(world, client_for):
    client = client_for("west")
    workbook = Workbook()
    workbook.active.title = "单位"
    workbook.active.append(["单位名称", "统一社会信用代码"])
    workbook.active.append(["甲公司", valid_credit_code()])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = upload(client, buffer.getvalue())
    assert len(response.context["plan"].file_errors) == 4  # 所有制, 行业, 规模, 所属工会

    empty = io.BytesIO()
    Workbook().save(empty)
    response = upload(client, empty.getvalue())
    assert len(response.context["plan"].file_errors) == 1


@pytest.mark.parametrize(
    ("name", "content"),
    [("单位.xlsx", PDF), ("单位.xlsx", "单位名称,统一社会信用代码\n甲,1\n".encode())],
)
def test_file_that_is_not_xlsx_is_refused(world, client_for, name, content):
    response = upload(client_for("west"), content, name)
    assert response.status_code == 400
    assert response.context["form"].errors["file"]
    assert response.context["plan"] is None
    assert "errorlist" in response.content.decode()


def test_xlsx_content_under_another_name_is_refused(world, client_for):
    client = client_for("west")
    response = upload(client, client.get(TEMPLATE_URL).content, "单位.pdf")
    assert response.status_code == 400
    assert response.context["form"].errors["file"]


@pytest.mark.parametrize("name", ["unit_a", "evaluator", "norole"])
def test_other_roles_are_forbidden(world, client_for, name):
    client = client_for(name)
    assert client.get(IMPORT_URL).status_code == 403
    assert client.get(TEMPLATE_URL).status_code == 403
    content = fill_template(client_for("west"), units=[unit_row("甲公司", valid_credit_code())])
    assert upload(client, content).status_code == 403


def test_anonymous_is_sent_to_login(world, client_for):
    for url in (IMPORT_URL, TEMPLATE_URL):
        response = client_for("anonymous").get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", ["city", "superuser"])
def test_import_page_opens_for_staff(world, client_for, name):
    response = client_for(name).get(IMPORT_URL)
    assert response.status_code == 200
    assert TEMPLATE_URL in response.content.decode()


def test_tampered_foreign_or_used_token_is_refused(world, client_for):
    client = client_for("west")
    code = valid_credit_code()
    preview = upload(client, fill_template(client, units=[unit_row("甲公司", code)]))
    token = preview.context["token"]
    key = signing.loads(token, salt=TOKEN_SALT)["file"]

    tampered = client.post(IMPORT_URL, {"token": token[:-2] + "xx"})
    assert tampered.status_code == 400
    assert list(tampered.context["messages"])
    forged = signing.dumps({"file": key, "user": world.users["west"].pk}, salt="other")
    assert client.post(IMPORT_URL, {"token": forged}).status_code == 400
    # Another organiser cannot confirm the west union's upload.
    assert client_for("city").post(IMPORT_URL, {"token": token}).status_code == 400
    assert client.post(IMPORT_URL, {"token": ""}).status_code == 400
    assert not Unit.objects.filter(credit_code=code).exists()

    assert confirm(client, preview).status_code == 302
    assert Unit.objects.filter(credit_code=code).exists()
    # The file is gone once imported: the same token cannot import twice.
    assert confirm(client, preview).status_code == 400


def test_expired_token_is_refused(world, client_for):
    client = client_for("west")
    code = valid_credit_code()
    preview = upload(client, fill_template(client, units=[unit_row("甲公司", code)]))
    token = preview.context["token"]
    value = signing.TimestampSigner(salt=TOKEN_SALT).unsign(token)
    # The same payload as signed two hours ago.
    with patch("time.time", return_value=time.time() - 7200):
        old = signing.TimestampSigner(salt=TOKEN_SALT).sign(value)
    assert client.post(IMPORT_URL, {"token": old}).status_code == 400
    assert not Unit.objects.filter(credit_code=code).exists()


def _confirm_queries(client, size):
    codes = [valid_credit_code() for _ in range(size)]
    content = fill_template(
        client,
        units=[unit_row(f"批量单位{code}", code) for code in codes],
        people=[person_row(f"职工{i}", code, team=f"班组{i}") for i, code in enumerate(codes)],
    )
    with CaptureQueriesContext(connection) as preview_queries:
        preview = upload(client, content)
    assert preview.context["plan"].is_valid
    with CaptureQueriesContext(connection) as confirm_queries:
        response = confirm(client, preview)
    assert response.status_code == 302
    assert Unit.objects.filter(credit_code__in=codes).count() == size
    assert Person.objects.filter(unit__credit_code__in=codes).count() == size
    assert (
        LogEntry.objects.filter(object_repr__in=[f"批量单位{code}" for code in codes]).count()
        == size
    )
    return len(preview_queries), len(confirm_queries)


def test_query_count_does_not_grow_with_rows(world, client_for):
    client = client_for("west")
    assert _confirm_queries(client, 5) == _confirm_queries(client, 50)


def test_confirm_checks_the_file_again(world, client_for, media_root):
    client = client_for("west")
    code = valid_credit_code()
    preview = upload(client, fill_template(client, units=[unit_row("甲公司", code)]))
    # Meanwhile the east union registers a unit with the same code.
    Unit.objects.create(
        name="滨江甲公司",
        credit_code=code,
        ownership="private",
        industry="制造业",
        size="small",
        organisation=world.east,
    )
    response = confirm(client, preview)
    assert response.status_code == 400
    assert row_errors(response) == [(2, ["统一社会信用代码"])]
    assert Unit.objects.get(credit_code=code).organisation == world.east
    assert list((media_root / "imports").iterdir()) == []
