"""Excel imports (contestants, theory exam sheets) and result exports of skill contests."""

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from competitions.models import Person
from skills import services
from skills.models import ComponentScore, Contestant, HeatEntry, HeatJudge
from skills.sheets import sheet_titles

from .. import factories as f
from .conftest import mark

HEADERS = ["姓名", "单位", "工种", "岗位", "场次"]
THEORY_HEADERS = ["工位号", "理论成绩"]


def xlsx(headers, rows, title="报名") -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    sheet.append(headers)
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(client, url, content: bytes, name="名单.xlsx"):
    return client.post(url, {"file": SimpleUploadedFile(name, content)})


def read(response):
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return load_workbook(io.BytesIO(response.content))


def table(sheet) -> list[dict]:
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def staff_of(contest):
    return contest.campaign.organiser.users.get(username="city")


def import_url(contest):
    return reverse("skills:contestant-import", args=[contest.event.pk])


def theory_url(heat):
    return reverse("skills:theory-import", args=[heat.pk])


def english(client) -> Client:
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    return client


# Contestant import -------------------------------------------------------------------------


def test_staff_imports_contestants_and_enters_them_into_heats(contest, world, client_for):
    rows = [
        ("新人甲", "西湖酒店", "电工", "班组长", "西湖酒店选拔赛"),
        ("李娜", world.unit_a.credit_code, "", "", ""),
        ("张强", "滨江电力", "", "", "滨江电力选拔赛"),
    ]
    page = upload(client_for("city"), import_url(contest), xlsx(HEADERS, rows))
    assert page.status_code == 302
    new = Person.objects.get(name="新人甲")
    assert (new.unit, new.trade, new.job_title) == (world.unit_a, "电工", "班组长")
    assert Person.objects.filter(name="李娜").count() == 1  # found, not created
    registered = Contestant.objects.filter(
        event=contest.event, person__name__in=["新人甲", "李娜", "张强"]
    )
    assert {(c.person.name, c.unit_id) for c in registered} == {
        ("新人甲", world.unit_a.pk),
        ("李娜", world.unit_a.pk),
        ("张强", world.unit_b.pk),
    }
    assert HeatEntry.objects.get(contestant__person=new).heat == contest.heat_a
    assert HeatEntry.objects.get(contestant__person=new).station_number == "05"
    assert HeatEntry.objects.get(contestant__person__name="张强").station_number == "03"
    assert not HeatEntry.objects.filter(contestant__person__name="李娜").exists()
    assert client_for("city").get(page.url).status_code == 200


def test_success_message_counts_registered_and_entered(contest, client_for):
    client = english(client_for("city"))
    rows = [("丙", "西湖酒店", "", "", "西湖酒店选拔赛"), ("丁", "西湖酒店", "", "", "")]
    page = client.post(
        import_url(contest),
        {"file": SimpleUploadedFile("a.xlsx", xlsx(HEADERS, rows))},
        follow=True,
    )
    assert "Registered 2 contestants; 1 of them were entered into heats." in page.content.decode()


def test_liaison_imports_people_of_their_own_unit(contest, world, client_for):
    rows = [
        ("李娜", "", "13800000000"),
        ("新人乙", "西湖酒店", ""),
        ("新人丙", world.unit_a.credit_code.lower(), ""),
    ]
    # A 手机 (mobile) column is not collected: it is ignored.
    page = upload(client_for("unit_a"), import_url(contest), xlsx(["姓名", "单位", "手机"], rows))
    assert page.status_code == 302
    names = set(
        Contestant.objects.filter(event=contest.event, unit=world.unit_a).values_list(
            "person__name", flat=True
        )
    )
    assert {"李娜", "新人乙", "新人丙"} <= names


def test_liaison_naming_another_unit_is_a_row_error(contest, world, client_for):
    rows = [("新人乙", ""), ("张强", "滨江电力")]
    page = upload(client_for("unit_a"), import_url(contest), xlsx(HEADERS[:2], rows))
    assert page.status_code == 400
    text = page.content.decode()
    assert "第 3 行 单位" in text
    assert "第 2 行" not in text
    assert not Person.objects.filter(name="新人乙").exists()
    assert not Contestant.objects.filter(person__name="张强").exists()


def test_liaison_cannot_enter_heats(contest, client_for):
    rows = [("新人乙", "", "", "", "西湖酒店选拔赛")]
    page = upload(client_for("unit_a"), import_url(contest), xlsx(HEADERS, rows))
    assert page.status_code == 400
    assert "第 2 行 场次" in page.content.decode()
    assert not Person.objects.filter(name="新人乙").exists()


def test_duplicate_registration_is_a_row_error(contest, client_for):
    client = english(client_for("city"))
    rows = [("新人甲", "西湖酒店"), ("陈一", "西湖酒店"), ("新人甲", "西湖酒店")]
    page = upload(client, import_url(contest), xlsx(HEADERS[:2], rows))
    assert page.status_code == 400
    text = page.content.decode()
    assert "Row 3, 姓名: 陈一 is already registered for 电工." in text
    assert "Row 4, 姓名: This person already appears in row 2." in text
    assert not Person.objects.filter(name="新人甲").exists()


def test_unknown_heat_and_unit_are_row_errors(contest, world, client_for):
    outside = f.UnitFactory(name="外省单位", organisation=world.province)
    rows = [
        ("新人甲", "西湖酒店", "", "", "不存在的场次"),
        ("新人乙", "西湖酒店", "", "", "市级决赛"),  # a heat of the second tier
        ("新人丙", "无此单位"),
        ("新人丁", outside.name),
        ("新人戊", ""),
        ("", "西湖酒店"),
    ]
    client = english(client_for("city"))
    page = upload(client, import_url(contest), xlsx(HEADERS, rows))
    assert page.status_code == 400
    text = page.content.decode()
    assert "Row 2, 场次: The first tier of this event has no heat named 不存在的场次." in text
    assert "Row 3, 场次: The first tier of this event has no heat named 市级决赛." in text
    assert "Row 4, 单位: No unit has this name or credit code." in text
    assert "Row 5, 单位: This unit is outside your scope." in text
    assert "Row 6, 单位:" in text
    assert "Row 7, 姓名:" in text
    assert not Person.objects.filter(name__startswith="新人").exists()


def test_locked_heat_is_a_row_error(contest, client_for):
    contest.heat_b.locked_at = "2026-05-01T10:00:00+08:00"
    contest.heat_b.save()
    client = english(client_for("city"))
    rows = [("新人甲", "滨江电力", "", "", "滨江电力选拔赛")]
    page = upload(client, import_url(contest), xlsx(HEADERS, rows))
    assert page.status_code == 400
    assert "Row 2, 场次: The heat 滨江电力选拔赛 is locked" in page.content.decode()


def test_one_bad_row_saves_nothing(contest, client_for):
    people, contestants, entries = (
        Person.objects.count(),
        Contestant.objects.count(),
        HeatEntry.objects.count(),
    )
    rows = [
        ("新人甲", "西湖酒店", "电工", "", "西湖酒店选拔赛"),
        ("新人乙", "滨江电力", "", "", "滨江电力选拔赛"),
        ("新人丙", "西湖酒店", "", "", "没有这个场次"),
    ]
    page = upload(client_for("city"), import_url(contest), xlsx(HEADERS, rows))
    assert page.status_code == 400
    assert "第 4 行 场次" in page.content.decode()
    assert (Person.objects.count(), Contestant.objects.count(), HeatEntry.objects.count()) == (
        people,
        contestants,
        entries,
    )


def test_a_text_file_named_xlsx_is_refused(contest, client_for):
    page = upload(client_for("city"), import_url(contest), "姓名,单位\n甲,西湖酒店\n".encode())
    assert page.status_code == 400
    assert "XLSX" in page.content.decode()
    assert not Person.objects.filter(name="甲").exists()


def test_an_oversized_file_is_refused(contest, client_for, settings):
    content = xlsx(HEADERS, [("新人甲", "西湖酒店")])
    settings.UPLOAD_MAX_BYTES = len(content) - 1
    page = upload(client_for("city"), import_url(contest), content)
    assert page.status_code == 400
    assert not Person.objects.filter(name="新人甲").exists()
    settings.UPLOAD_MAX_BYTES = len(content)
    assert upload(client_for("city"), import_url(contest), content).status_code == 302


def test_missing_name_column_and_empty_sheet(contest, client_for):
    client = english(client_for("city"))
    page = upload(client, import_url(contest), xlsx(["名字", "单位"], [("甲", "西湖酒店")]))
    assert "The sheet 报名 has no column 姓名." in page.content.decode()
    page = upload(client, import_url(contest), xlsx(HEADERS, []))
    assert "The file has no rows to import." in page.content.decode()


def test_closed_campaign_refuses_registration(contest, client_for):
    contest.campaign.status = contest.campaign.Status.CLOSED
    contest.campaign.save()
    page = upload(client_for("city"), import_url(contest), xlsx(HEADERS, [("新人甲", "西湖酒店")]))
    assert page.status_code == 400
    assert not Person.objects.filter(name="新人甲").exists()


def test_who_may_import_contestants(contest, client_for):
    url = import_url(contest)
    assert client_for("city").get(url).status_code == 200
    assert client_for("superuser").get(url).status_code == 200
    assert client_for("unit_a").get(url).status_code == 200
    assert client_for("west").get(url).status_code == 403  # sees the event, does not run it
    judge = Client()
    judge.force_login(contest.judge1)
    assert judge.get(url).status_code == 403
    assert client_for("norole").get(url).status_code == 404
    assert client_for("anonymous").get(url).status_code == 302
    template = reverse("skills:contestant-template", args=[contest.event.pk])
    assert judge.get(template).status_code == 403
    assert client_for("norole").get(template).status_code == 404


def test_contestant_template_round_trip(contest, client_for):
    client = client_for("city")
    workbook = read(client.get(reverse("skills:contestant-template", args=[contest.event.pk])))
    sheet = workbook["报名"]
    assert [cell.value for cell in sheet[1]] == HEADERS
    assert "填写说明" in workbook.sheetnames
    for column, value in enumerate(["新人甲", "西湖酒店", "电工", "", "西湖酒店选拔赛"], start=1):
        sheet.cell(row=2, column=column, value=value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert upload(client, import_url(contest), buffer.getvalue()).status_code == 302
    assert HeatEntry.objects.filter(heat=contest.heat_a, contestant__person__name="新人甲").exists()


def test_contestant_import_queries_do_not_grow_with_rows(contest, client_for):
    client = client_for("city")

    def count(names):
        rows = [(name, "西湖酒店", "", "", "西湖酒店选拔赛") for name in names]
        content = xlsx(HEADERS, rows)
        with CaptureQueriesContext(connection) as queries:
            assert upload(client, import_url(contest), content).status_code == 302
        return len(queries)

    count(["预热"])  # caches (content types) filled
    assert count(["甲1", "甲2"]) == count([f"乙{n}" for n in range(12)])


# Theory exam sheets ------------------------------------------------------------------------


def theory_scores(heat):
    return dict(
        ComponentScore.objects.filter(entry__heat=heat, component="theory").values_list(
            "entry__station_number", "value"
        )
    )


def test_theory_import_happy_path(contest, client_for):
    rows = [("01", 92), ("02", "88.5"), (3, 75), ("04", 60.25)]
    page = upload(client_for("city"), theory_url(contest.heat_a), xlsx(THEORY_HEADERS, rows))
    assert page.status_code == 302
    assert theory_scores(contest.heat_a) == {
        "01": Decimal("92"),
        "02": Decimal("88.5"),
        "03": Decimal("75"),
        "04": Decimal("60.25"),
    }


def test_theory_import_lists_every_error_and_saves_nothing(contest, client_for):
    rows = [("01", 92), ("09", 80), ("01", 70), ("02", 101), ("03", "abc")]
    client = english(client_for("city"))
    page = upload(client, theory_url(contest.heat_a), xlsx(THEORY_HEADERS, rows))
    assert page.status_code == 400
    text = page.content.decode()
    assert "Row 3: no station 09 in this heat." in text
    assert "Row 4: station 01 appears twice." in text
    assert "Row 5: Enter a score from 0 to 100." in text
    assert "Row 6: Enter a number." in text
    assert theory_scores(contest.heat_a) == {}


def test_theory_template_round_trip(contest, client_for):
    client = client_for("city")
    template = reverse("skills:theory-template", args=[contest.heat_a.pk])
    workbook = read(client.get(template))
    sheet = workbook.active
    assert [cell.value for cell in sheet[1]] == THEORY_HEADERS
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True) if row[0]] == [
        "01",
        "02",
        "03",
        "04",
    ]
    for row, score in zip(range(2, 5), (90, 80, 70), strict=True):
        sheet.cell(row=row, column=2, value=score)  # station 04 left without a score
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert upload(client, theory_url(contest.heat_a), buffer.getvalue()).status_code == 302
    assert theory_scores(contest.heat_a) == {"01": 90, "02": 80, "03": 70}


def test_theory_import_only_for_staff_who_run_the_event(contest, client_for):
    url = theory_url(contest.heat_a)
    template = reverse("skills:theory-template", args=[contest.heat_a.pk])
    assert client_for("city").get(url).status_code == 200
    assert client_for("unit_a").get(url).status_code == 403
    assert client_for("unit_a").get(template).status_code == 403
    assert client_for("west").get(url).status_code == 403
    judge = Client()
    judge.force_login(contest.judge1)
    assert judge.get(url).status_code == 403
    content = xlsx(THEORY_HEADERS, [("01", 90)])
    assert upload(client_for("unit_a"), url, content).status_code == 403
    assert client_for("norole").get(url).status_code == 404
    assert theory_scores(contest.heat_a) == {}


def test_theory_import_refuses_a_locked_heat(contest, client_for):
    contest.heat_a.locked_at = "2026-05-01T10:00:00+08:00"
    contest.heat_a.save()
    page = upload(
        english(client_for("city")),
        theory_url(contest.heat_a),
        xlsx(THEORY_HEADERS, [("01", 90)]),
    )
    assert page.status_code == 400
    assert "This heat is locked" in page.content.decode()
    assert theory_scores(contest.heat_a) == {}


# Exports -----------------------------------------------------------------------------------


@pytest.fixture
def locked_b(contest):
    """Heat B judged by five practical judges and locked: SCORING.md example 3 at station 01."""
    judges = [contest.judge1, contest.judge2]
    for number in range(3, 6):
        judge = f.UserFactory(username=f"judge{number}", role="evaluator")
        HeatJudge.objects.create(heat=contest.heat_b, judge=judge, component="practical")
        judges.append(judge)
    staff = staff_of(contest)
    first, second = contest.entries_b
    services.import_theory(contest.heat_b, staff, [(2, "01", "92"), (3, "02", "80")])
    for judge, a, b in zip(judges, (85, 88, 90, 79, 95), (70, 75, 80, 85, 90), strict=True):
        services.save_marks(contest.heat_b, judge, "practical", {first: a, second: b})
    services.record_times(contest.heat_b, staff, {first: 1500, second: 1600})
    services.lock_heat(contest.heat_b, staff)
    return contest.heat_b


def test_locked_heat_export_worked_example_3(contest, locked_b, client_for):
    client = english(client_for("unit_b"))
    workbook = read(client.get(reverse("skills:heat-export", args=[locked_b.pk])))
    assert workbook.sheetnames == ["滨江电力选拔赛"]
    rows = table(workbook.active)
    assert list(rows[0]) == [
        "Tier",
        "Heat",
        "Station number",
        "Name",
        "Unit",
        "Completion time (seconds)",
        "Theory · Imported",
        "Practical · Judge 1",
        "Practical · Judge 2",
        "Practical · Judge 3",
        "Practical · Judge 4",
        "Practical · Judge 5",
        "Theory score",
        "Practical score",
        "Total",
        "Rank",
        "Advanced",
        "Prize",
    ]
    s = rows[0]
    assert [s["Tier"], s["Heat"], s["Station number"], s["Name"], s["Unit"]] == [
        "Unit",
        "滨江电力选拔赛",
        "01",
        "郑五",
        "滨江电力",
    ]
    assert s["Completion time (seconds)"] == 1500
    assert [s[f"Practical · Judge {n}"] for n in range(1, 6)] == [85, 88, 90, 79, 95]
    assert s["Theory · Imported"] == 92
    assert Decimal(str(s["Theory score"])) == Decimal("92")
    assert Decimal(str(s["Practical score"])) == Decimal("87.67")
    assert Decimal(str(s["Total"])) == Decimal("88.97")
    assert (s["Rank"], s["Advanced"], s["Prize"]) == (1, "Yes", None)
    assert Decimal(str(rows[1]["Total"])) == Decimal("80.00")
    assert rows[1]["Rank"] == 2


def test_export_in_chinese_by_default(contest, locked_b, client_for):
    rows = table(
        read(client_for("unit_b").get(reverse("skills:heat-export", args=[locked_b.pk]))).active
    )
    assert rows[0]["姓名"] == "郑五"
    assert "是" in rows[0].values()
    assert sum(str(header).startswith("实际操作 · ") for header in rows[0]) == 5


def test_unlocked_heat_export_for_staff_has_live_values(contest, client_for):
    mark(
        contest,
        contest.heat_a,
        contest.entries_a,
        theory=["90", "76", "80", "70"],
        practical=[("80", "80"), ("86", "86"), ("70", "72"), ("60", "62")],
    )
    url = reverse("skills:heat-export", args=[contest.heat_a.pk])
    rows = table(read(english(client_for("city")).get(url)).active)
    by_station = {row["Station number"]: row for row in rows}
    assert [row["Station number"] for row in rows] == [
        "02",
        "01",
        "03",
        "04",
    ]  # example 4 tie-break
    assert by_station["01"]["Name"] == "陈一"
    assert Decimal(str(by_station["01"]["Total"])) == Decimal("83.00")
    assert Decimal(str(by_station["02"]["Total"])) == Decimal("83.00")
    assert (by_station["02"]["Rank"], by_station["01"]["Rank"]) == (1, 2)
    assert by_station["02"]["Advanced"] == "Yes" and by_station["03"]["Advanced"] == "No"
    assert by_station["01"]["Practical · Judge 1"] == 80
    assert by_station["01"]["Theory · Imported"] == 90
    for name in ("unit_a", "unit_b", "west"):
        assert client_for(name).get(url).status_code == 404
    judge = Client()
    judge.force_login(contest.judge1)
    assert judge.get(url).status_code == 404


def test_event_export_has_a_sheet_per_visible_heat(contest, locked_b, client_for):
    url = reverse("skills:event-export", args=[contest.event.pk])
    staff_book = read(english(client_for("city")).get(url))
    # The final received the two advancing contestants of heat B.
    assert staff_book.sheetnames == ["滨江电力选拔赛", "西湖酒店选拔赛", "市级决赛"]
    final = table(staff_book["市级决赛"])
    assert {row["Station number"] for row in final} == {"01", "02"}
    assert final[0]["Total"] is None
    unit_book = read(client_for("unit_a").get(url))
    assert unit_book.sheetnames == ["滨江电力选拔赛"]
    judge = Client()
    judge.force_login(contest.judge1)
    assert read(judge.get(url)).sheetnames == ["滨江电力选拔赛"]
    assert client_for("norole").get(url).status_code == 404


def test_event_export_without_visible_heats(contest, client_for):
    url = reverse("skills:event-export", args=[contest.event.pk])
    book = read(client_for("unit_a").get(url))
    assert len(book.sheetnames) == 1


def test_export_query_count_does_not_grow_with_entries(contest, locked_b, client_for):
    client = client_for("city")
    heat_url = reverse("skills:heat-export", args=[locked_b.pk])
    unlocked_url = reverse("skills:heat-export", args=[contest.heat_a.pk])
    event_url = reverse("skills:event-export", args=[contest.event.pk])

    def counts():
        result = []
        for url in (heat_url, unlocked_url, event_url):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            result.append(len(queries))
        return result

    before = counts()
    for heat in (locked_b, contest.heat_a, contest.final):
        for number in range(10, 16):
            person = f.PersonFactory(unit=contest.entries_b[0].contestant.unit)
            contestant = Contestant.objects.create(
                event=contest.event, person=person, unit=person.unit
            )
            entry = HeatEntry.objects.create(
                heat=heat, contestant=contestant, station_number=str(number), total=50, rank=9
            )
            ComponentScore.objects.create(entry=entry, component="theory", value=50)
            ComponentScore.objects.create(
                entry=entry, component="practical", judge=contest.judge1, value=50
            )
    assert counts() == before


def test_sheet_titles_are_safe_for_excel():
    titles = sheet_titles(
        ["a/b:c*d?e[f]g\\h", "x" * 40, "x" * 40, "X" * 40, "", "History", "'quoted'"]
    )
    assert titles[0] == "a_b_c_d_e_f_g_h"
    assert titles[1] == "x" * 31
    assert titles[2] == "x" * 28 + "(2)"
    assert titles[3] == "X" * 28 + "(3)"
    assert all(len(t) <= 31 for t in titles)
    assert len({t.lower() for t in titles}) == len(titles)
    assert titles[4] and titles[5].lower() != "history"
    assert titles[6] == "quoted"
