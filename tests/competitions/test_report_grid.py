"""The staff's report grid, its Excel exports and the project progress chart.

The views take today from ``timezone.localdate()``; the reports here have due dates far in the
past or far in the future, so each state is fixed whatever day the suite runs.
"""

import datetime
import io
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from competitions import charts, reporting
from competitions.models import Milestone, ProgressReport, Project
from competitions.report_grid import STATES, state_conditions

from .. import factories as f

S = ProgressReport.Status
PAST = datetime.date(2020, 1, 5)
FUTURE = datetime.date(2099, 1, 5)
GRID = reverse("report-grid")


def month(n: int) -> tuple[datetime.date, datetime.date]:
    start = datetime.date(2026, n, 1)
    return start, reporting.add_months(start, 1) - datetime.timedelta(days=1)


def report(project, n, status=S.DUE, *, late=False, due=PAST, actual=None, **figures):
    start, end = month(n)
    return ProgressReport.objects.create(
        project=project,
        period_start=start,
        period_end=end,
        due_date=due,
        status=status,
        late=late,
        actual_percent=actual,
        **figures,
    )


def five_states(project):
    """One report in each state, January to May."""
    return [
        report(project, 1, S.ACCEPTED, actual=Decimal("10")),  # on time
        report(project, 2, S.SUBMITTED, late=True, actual=Decimal("25.5")),  # late
        report(project, 3, S.RETURNED, actual=Decimal("30")),  # returned
        report(project, 4, S.DUE),  # missing: due in the past
        report(project, 5, S.DUE, due=FUTURE),  # open: not due yet
    ]


def grid_states(response) -> dict[str, list]:
    """Project title → the state key of each cell (None where there is no report)."""
    return {
        row["project"].title: [cell and cell["state"].key for cell in row["cells"]]
        for row in response.context["rows"]
    }


def titles(response) -> set[str]:
    return {row["project"].title for row in response.context["rows"]}


# --- the grid -----------------------------------------------------------------------------


def test_grid_cell_shows_state_of_each_report(world, client_for):
    reports = five_states(world.project_a)
    report(world.project_b, 1, S.SUBMITTED)

    response = client_for("city").get(GRID)

    assert response.status_code == 200
    assert [p.label for p in response.context["periods"]] == [
        "2026-01",
        "2026-02",
        "2026-03",
        "2026-04",
        "2026-05",
    ]
    states = grid_states(response)
    assert states["酒店服务提升"] == ["on_time", "late", "returned", "missing", "open"]
    assert states["峰会保电"] == ["on_time", None, None, None, None]
    html = response.content.decode()
    for r in reports:
        assert f'href="{reverse("report-detail", args=[r.pk])}"' in html
    assert "state-missing" in html and "state-open" in html
    for state in STATES.values():  # the legend names every state
        assert str(state.label) in html


def test_grid_cell_states_follow_today(world, client_for):
    """A report still due turns from open to missing once its due date has passed."""
    today = timezone.localdate()
    report(world.project_a, 1, S.DUE, due=today)
    report(world.project_a, 2, S.DUE, due=today - datetime.timedelta(days=1))

    states = grid_states(client_for("city").get(GRID))

    assert states["酒店服务提升"] == ["open", "missing"]


def test_grid_legend_covers_every_cell_state():
    assert tuple(STATES) == reporting.CELL_STATES


def test_grid_state_conditions_agree_with_cell_state(world):
    today = timezone.localdate()
    five_states(world.project_a)
    report(world.project_a, 6, S.SUBMITTED, due=FUTURE)  # filed early
    report(world.project_a, 7, S.RETURNED, late=True, due=FUTURE)
    for key, condition in state_conditions(today).items():
        in_sql = set(ProgressReport.objects.filter(condition).values_list("pk", flat=True))
        in_python = {
            r.pk for r in ProgressReport.objects.all() if reporting.cell_state(r, today) == key
        }
        assert in_sql == in_python, key


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("superuser", {"酒店服务提升", "峰会保电"}),
        ("province", {"酒店服务提升", "峰会保电"}),
        ("city", {"酒店服务提升", "峰会保电"}),
        ("west", {"酒店服务提升"}),
        ("east", {"峰会保电"}),
    ],
)
def test_grid_shows_staff_their_subtree_only(world, client_for, role, expected):
    report(world.project_a, 1)
    report(world.project_b, 1)
    response = client_for(role).get(GRID)
    assert response.status_code == 200
    assert titles(response) == expected
    assert response.context["report_total"] == len(expected)


@pytest.mark.parametrize("page", ["report-grid", "report-grid-export", "report-figures-export"])
@pytest.mark.parametrize("role", ["unit_a", "unit_b", "evaluator", "idle_evaluator", "norole"])
def test_grid_and_exports_refuse_other_roles(world, client_for, page, role):
    assert client_for(role).get(reverse(page)).status_code == 403


@pytest.mark.parametrize("page", ["report-grid", "report-grid-export", "report-figures-export"])
def test_grid_and_exports_send_anonymous_to_login(world, client_for, page):
    response = client_for("anonymous").get(reverse(page))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_grid_lists_running_and_completed_projects_only(world, client_for):
    Project.objects.filter(pk=world.project_b.pk).update(status=Project.Status.COMPLETED)
    for status in ("draft", "submitted", "approved", "returned", "rejected", "withdrawn"):
        f.ProjectFactory(zone=world.zone, unit=world.unit_a, title=f"未开展{status}", status=status)
    assert titles(client_for("city").get(GRID)) == {"酒店服务提升", "峰会保电"}


def test_grid_filters_by_organisation_subtree(world, client_for):
    client = client_for("city")
    assert titles(client.get(GRID, {"organisation": world.west.pk})) == {"酒店服务提升"}
    assert titles(client.get(GRID, {"organisation": world.east.pk})) == {"峰会保电"}
    assert titles(client.get(GRID, {"organisation": world.city.pk})) == {"酒店服务提升", "峰会保电"}


def test_grid_filters_by_campaign_and_zone(world, client_for):
    other_zone = f.ZoneFactory(campaign=world.campaign, name="环境整治")
    moved = f.ProjectFactory(zone=other_zone, unit=world.unit_b, title="环境整治项目")
    other_campaign_zone = f.ZoneFactory(campaign=f.CampaignFactory(organiser=world.city))
    f.ProjectFactory(zone=other_campaign_zone, unit=world.unit_a, title="另一活动项目")
    client = client_for("city")

    assert titles(client.get(GRID, {"zone": other_zone.pk})) == {moved.title}
    assert titles(client.get(GRID, {"campaign": world.campaign.pk})) == {
        "酒店服务提升",
        "峰会保电",
        "环境整治项目",
    }
    assert titles(client.get(GRID, {"campaign": other_campaign_zone.campaign_id})) == {
        "另一活动项目"
    }


def test_grid_filter_choices_stay_in_scope(world, client_for):
    """West staff cannot pick the east district: the filter is refused, the scope remains."""
    response = client_for("west").get(GRID, {"organisation": world.east.pk})
    assert response.context["filter"].errors
    assert titles(response) == {"酒店服务提升"}
    choices = {str(o) for o in response.context["filter"].form.fields["organisation"].queryset}
    assert choices == {"西湖区总工会"}


def test_grid_totals_count_states_overall_and_per_period(world, client_for):
    five_states(world.project_a)
    report(world.project_b, 1, S.SUBMITTED, late=True)
    report(world.project_b, 2, S.DUE)  # missing

    response = client_for("city").get(GRID)

    totals = {state.key: n for state, n in response.context["totals"]}
    assert totals == {"on_time": 1, "late": 2, "returned": 1, "missing": 2, "open": 1}
    assert response.context["report_total"] == 7
    # 1 on time of 6 due or filed reports
    assert response.context["on_time_rate"] == pytest.approx(16.7)
    columns = {t["state"].key: t["counts"] for t in response.context["column_totals"]}
    assert columns["on_time"] == [1, 0, 0, 0, 0]
    assert columns["late"] == [1, 1, 0, 0, 0]
    assert columns["missing"] == [0, 1, 0, 1, 0]
    assert columns["open"] == [0, 0, 0, 0, 1]
    rates = [p.on_time_rate for p in response.context["periods"]]
    assert rates == [50.0, 0.0, 0.0, 0.0, None]
    html = response.content.decode()
    assert "16.7%" in html


def test_grid_totals_cover_all_pages_and_the_filter(world, client_for):
    for i in range(55):
        project = f.ProjectFactory(zone=world.zone, unit=world.unit_a, title=f"项目{i:02d}")
        report(project, 1, S.ACCEPTED)
    report(world.project_b, 1, S.DUE)
    client = client_for("city")

    first = client.get(GRID)
    assert len(first.context["rows"]) == 50
    assert first.context["page_obj"].paginator.count == 57
    totals = {state.key: n for state, n in first.context["totals"]}
    assert totals["on_time"] == 55 and totals["missing"] == 1
    assert len(client.get(GRID, {"page": 2}).context["rows"]) == 7

    west = client.get(GRID, {"organisation": world.west.pk})
    totals = {state.key: n for state, n in west.context["totals"]}
    assert totals["on_time"] == 55 and totals["missing"] == 0


def test_grid_export_links_keep_the_filters(world, client_for):
    response = client_for("city").get(GRID, {"organisation": world.west.pk, "page": "1"})
    html = response.content.decode()
    query = f"?organisation={world.west.pk}"
    assert f'href="{reverse("report-grid-export")}{query}"' in html
    assert f'href="{reverse("report-figures-export")}{query}"' in html


def _count_queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(GRID)
    assert response.status_code == 200
    return len(ctx)


def test_grid_query_count_is_constant(world, client_for):
    client = client_for("city")
    for n in (1, 2, 3):
        report(world.project_a, n, S.ACCEPTED)
    before = _count_queries(client)

    for i in range(20):
        unit = f.UnitFactory(organisation=world.west)
        project = f.ProjectFactory(zone=f.ZoneFactory(campaign=world.campaign), unit=unit)
        for n in range(1, 7):
            report(project, n, S.SUBMITTED, late=bool(i % 2))

    assert _count_queries(client) == before


# --- the exports --------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["report-grid-export", "report-figures-export"])
def test_export_query_count_is_constant(world, client_for, page):
    client = client_for("city")
    report(world.project_a, 1, S.ACCEPTED)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse(page)).status_code == 200
        return len(ctx)

    before = count()
    for _ in range(20):
        project = f.ProjectFactory(zone=f.ZoneFactory(campaign=world.campaign), unit=world.unit_b)
        for n in range(1, 5):
            report(project, n, S.RETURNED)
    assert count() == before


def _workbook(response):
    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''" in response["Content-Disposition"]
    return load_workbook(io.BytesIO(response.content)).active


def test_grid_export_has_a_row_per_project_with_state_labels(world, client_for):
    five_states(world.project_a)
    report(world.project_b, 2, S.SUBMITTED)
    for i in range(55):  # more than one page: the export holds them all
        f.ProjectFactory(zone=world.zone, unit=world.unit_b, title=f"项目{i:02d}")

    sheet = _workbook(client_for("city").get(reverse("report-grid-export")))

    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][4:] == ("2026-01", "2026-02", "2026-03", "2026-04", "2026-05")
    assert len(rows) == 1 + 57
    with translation.override("zh-hans"):
        label = {key: str(state.label) for key, state in STATES.items()}
        by_project = {row[3]: row for row in rows[1:]}
        assert by_project["酒店服务提升"] == (
            "服务峰会立功竞赛",
            "场馆建设",
            "西湖酒店",
            "酒店服务提升",
            label["on_time"],
            label["late"],
            label["returned"],
            label["missing"],
            label["open"],
        )
        assert by_project["峰会保电"][4:] == (None, label["on_time"], None, None, None)
        assert by_project["项目00"][4:] == (None,) * 5
    row_a = next(row for row in sheet.iter_rows(min_row=2) if row[3].value == "酒店服务提升")
    assert row_a[7].fill.fgColor.rgb.endswith(STATES["missing"].background)  # April
    assert row_a[4].fill.fgColor.rgb.endswith(STATES["on_time"].background)


def test_grid_export_keeps_scope_and_filters(world, client_for):
    report(world.project_a, 1)
    report(world.project_b, 1)
    west = _workbook(client_for("west").get(reverse("report-grid-export")))
    assert [row[3] for row in west.iter_rows(min_row=2, values_only=True)] == ["酒店服务提升"]
    city = _workbook(
        client_for("city").get(reverse("report-grid-export"), {"organisation": world.east.pk})
    )
    assert [row[3] for row in city.iter_rows(min_row=2, values_only=True)] == ["峰会保电"]


def test_figures_export_lists_every_report_with_its_figures(world, client_for):
    reviewed = timezone.make_aware(datetime.datetime(2026, 2, 6, 9, 30))
    report(
        world.project_a,
        1,
        S.ACCEPTED,
        actual=Decimal("42.50"),
        planned_percent=Decimal("40"),
        workers=120,
        hidden_dangers_found=5,
        hidden_dangers_fixed=4,
        safety_incidents=0,
        quality_issues=1,
        proposals=3,
        proposals_benefit=Decimal("12345.67"),
        innovations=2,
        people_trained=30,
        submitted_at=reviewed - datetime.timedelta(days=1),
        reviewed_at=reviewed,
    )
    report(world.project_a, 2, S.DUE)
    report(world.project_b, 1, S.SUBMITTED, late=True, actual=Decimal("5"))

    sheet = _workbook(client_for("city").get(reverse("report-figures-export")))

    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert len(header) == 21
    assert header[:4] == ("竞赛活动", "赛区", "单位", "竞赛项目")
    assert "计划进度(%)" in header and "提交时间" in header
    assert len(rows) == 4
    first = next(row for row in rows[1:] if row[3] == "酒店服务提升" and row[4] == "2026-01")
    values = dict(zip(header, first, strict=True))
    assert values["计划进度(%)"] == 40
    benefit = first[16]
    assert isinstance(benefit, float) and benefit == pytest.approx(12345.67)
    assert first[5] == datetime.datetime(2020, 1, 5)  # the due date
    assert first[9:15] == (42.5, 120, 5, 4, 0, 1)
    assert first[15] == 3 and first[17:19] == (2, 30)
    assert first[20] == datetime.datetime(2026, 2, 6, 9, 30)  # local time, Asia/Shanghai
    row_a = next(
        row
        for row in sheet.iter_rows(min_row=2)
        if row[3].value == "酒店服务提升" and row[4].value == "2026-01"
    )
    assert row_a[16].number_format == "#,##0.00"
    with translation.override("zh-hans"):
        assert first[6] == str(S.ACCEPTED.label)
    unfiled = next(row for row in rows[1:] if row[4] == "2026-02")
    assert unfiled[9] is None  # no actual progress yet


def test_figures_export_keeps_scope(world, client_for):
    report(world.project_a, 1)
    report(world.project_b, 1)
    sheet = _workbook(client_for("east").get(reverse("report-figures-export")))
    assert [row[3] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["峰会保电"]


# --- the progress chart -------------------------------------------------------------------


def _points(svg: str, css_class: str) -> list[str]:
    match = re.search(rf'<polyline class="{css_class}" points="([^"]*)"', svg)
    assert match, css_class
    return match.group(1).split()


def test_progress_chart_draws_planned_and_actual_lines(world, django_assert_max_num_queries):
    report(world.project_a, 1, S.ACCEPTED, actual=Decimal("8"), planned_percent=Decimal("10"))
    report(world.project_a, 2, S.SUBMITTED, actual=Decimal("20"), planned_percent=Decimal("25"))
    report(world.project_a, 3, S.DUE, planned_percent=Decimal("40"))

    with django_assert_max_num_queries(2):
        chart = charts.progress_chart(world.project_a)
    html = render_to_string("competitions/_progress_chart.html", {"chart": chart})

    assert 'role="img"' in html and 'aria-label="' in html
    assert len(_points(html, "chart-planned")) == 3
    assert len(_points(html, "chart-actual")) == 2
    assert [tick["label"] for tick in chart["x_ticks"]] == ["2026-01", "2026-02", "2026-03"]
    # y runs from 100 % at the top to 0 % at the bottom
    _x, y0 = map(float, _points(html, "chart-actual")[0].split(","))
    assert chart["top"] < y0 < chart["bottom"]
    assert chart["y_ticks"][0]["y"] == chart["bottom"]
    assert chart["y_ticks"][-1]["y"] == chart["top"]
    with translation.override("zh-hans"):
        assert str(translation.gettext("Planned progress")) in html
    # the table lists the periods with figures
    assert html.split("<tbody>")[1].count("<tr>") == 2


def test_progress_chart_labels_at_most_eight_periods_and_always_the_latest(world):
    for n in range(1, 13):
        report(world.project_a, n, S.ACCEPTED, actual=Decimal(n * 8))
    chart = charts.progress_chart(world.project_a)
    labels = [tick["label"] for tick in chart["x_ticks"]]
    assert len(labels) <= charts.MAX_X_LABELS
    assert labels[-1] == "2026-12"
    assert len(chart["actual"]["dots"]) == 12


def test_progress_chart_plans_from_milestones_before_the_first_report(world):
    for n, percent in ((3, "20"), (4, "60"), (5, "100")):
        Milestone.objects.create(
            project=world.project_a, period=month(n)[0], planned_percent=Decimal(percent)
        )
    chart = charts.progress_chart(world.project_a)
    html = render_to_string("competitions/_progress_chart.html", {"chart": chart})
    assert len(_points(html, "chart-planned")) == 3
    assert "chart-actual" not in html
    assert chart["from_milestones"]


def test_progress_chart_of_an_empty_project_says_so(world, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        chart = charts.progress_chart(world.project_b)
    html = render_to_string("competitions/_progress_chart.html", {"chart": chart})
    assert "<svg" not in html
    assert translation.gettext("No progress data yet") in html
    # The include also holds when the page passes no chart at all.
    assert translation.gettext("No progress data yet") in render_to_string(
        "competitions/_progress_chart.html", {}
    )
