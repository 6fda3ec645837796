"""Progress reports: the schedule job, filing with validation, lateness, review,
reminders, pages and API."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Notification
from competitions import reporting
from competitions.models import Campaign, Milestone, ProgressReport, Project
from competitions.services import TransitionConflict

D = datetime.date
Report = ProgressReport


@pytest.fixture
def running(world):
    """Both projects running since 2026-02-10 in a campaign of 2026, reports due on the 5th."""
    campaign = world.campaign
    campaign.start_date, campaign.end_date = D(2026, 1, 1), D(2026, 12, 31)
    campaign.save()
    for project in (world.project_a, world.project_b):
        project.running_since = D(2026, 2, 10)
        project.save()
    Milestone.objects.create(project=world.project_a, period=D(2026, 2, 1), planned_percent=20)
    Milestone.objects.create(project=world.project_a, period=D(2026, 4, 1), planned_percent=50)
    return world


def test_periods_are_monthly_with_due_day_in_the_next_month(world):
    world.campaign.start_date, world.campaign.end_date = D(2026, 1, 15), D(2026, 4, 30)
    periods = list(reporting.campaign_periods(world.campaign, D(2026, 12, 1)))
    assert periods[0] == (D(2026, 1, 1), D(2026, 1, 31), D(2026, 2, 5))
    assert periods[1] == (D(2026, 2, 1), D(2026, 2, 28), D(2026, 3, 5))
    assert [p[0].month for p in periods] == [1, 2, 3, 4]


def test_periods_quarterly(world):
    campaign = world.campaign
    campaign.start_date, campaign.end_date = D(2026, 1, 1), D(2026, 12, 31)
    campaign.report_every_months, campaign.report_due_day = 3, 10
    periods = list(reporting.campaign_periods(campaign, D(2026, 7, 2)))
    assert periods == [
        (D(2026, 1, 1), D(2026, 3, 31), D(2026, 4, 10)),
        (D(2026, 4, 1), D(2026, 6, 30), D(2026, 7, 10)),
        (D(2026, 7, 1), D(2026, 9, 30), D(2026, 10, 10)),
    ]


def test_schedule_opens_reports_once(running):
    assert reporting.open_due_reports(D(2026, 4, 15)) == 6  # Feb, Mar, Apr for two projects
    assert reporting.open_due_reports(D(2026, 4, 15)) == 0
    assert reporting.open_due_reports(D(2026, 5, 1)) == 2
    rows = list(
        Report.objects.filter(project=running.project_a).values_list(
            "period_start", "due_date", "planned_percent"
        )
    )
    assert rows == [
        (D(2026, 2, 1), D(2026, 3, 5), Decimal("20.00")),
        (D(2026, 3, 1), D(2026, 4, 5), Decimal("20.00")),
        (D(2026, 4, 1), D(2026, 5, 5), Decimal("50.00")),
        (D(2026, 5, 1), D(2026, 6, 5), Decimal("50.00")),
    ]


def test_schedule_skips_projects_not_running_and_closed_campaigns(running):
    Project.objects.filter(pk=running.project_b.pk).update(status="completed")
    assert reporting.open_due_reports(D(2026, 2, 20)) == 1
    Campaign.objects.update(status="closed")
    assert reporting.open_due_reports(D(2026, 6, 20)) == 0


def test_starting_a_project_sets_running_since(world):
    from competitions import services

    project = world.project_a
    Project.objects.filter(pk=project.pk).update(status="approved", running_since=None)
    project.refresh_from_db()
    services.transition(project, "start", world.users["west"])
    project.refresh_from_db()
    assert project.running_since == timezone.localdate()


def _report(world, project=None, **fields):
    values = dict(
        project=project or world.project_a,
        period_start=D(2026, 3, 1),
        period_end=D(2026, 3, 31),
        due_date=timezone.localdate() + datetime.timedelta(days=5),
        planned_percent=40,
    )
    values.update(fields)
    return Report.objects.create(**values)


def test_submit_on_time_and_late(world):
    on_time = _report(world, actual_percent=35)
    reporting.submit_report(on_time, world.users["unit_a"])
    assert on_time.status == "submitted" and not on_time.late
    late = _report(world, period_start=D(2026, 1, 1), due_date=D(2026, 2, 5), actual_percent=10)
    reporting.submit_report(late, world.users["unit_a"])
    assert late.late


def test_late_flag_stays_from_the_first_submission(world):
    report = _report(world, actual_percent=35)
    reporting.submit_report(report, world.users["unit_a"])
    reporting.review_report(report, False, world.users["west"], "补充")
    Report.objects.filter(pk=report.pk).update(due_date=D(2020, 1, 1))
    report.refresh_from_db()
    reporting.submit_report(report, world.users["unit_a"])
    assert not report.late


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"actual_percent": None}, "实际进度"),
        ({"actual_percent": 30, "hidden_dangers_found": 1, "hidden_dangers_fixed": 2}, "不能超过"),
    ],
)
def test_submit_refuses_incomplete_or_inconsistent_figures(world, fields, message):
    report = _report(world)
    Report.objects.filter(pk=report.pk).update(
        **{k: v for k, v in fields.items() if k != "hidden_dangers_fixed"}
    )
    report.refresh_from_db()
    for key, value in fields.items():
        setattr(report, key, value)
    if "hidden_dangers_fixed" in fields:
        # The database refuses such a row, so the check must come before saving.
        with pytest.raises(ValidationError, match=message):
            report.full_clean(exclude=["project"])
        return
    with pytest.raises(ValidationError, match=message):
        reporting.submit_report(report, world.users["unit_a"])
    report.refresh_from_db()
    assert report.status == "due"


@pytest.mark.parametrize("user", ["unit_b", "west", "evaluator"])
def test_only_the_units_liaison_submits(world, user):
    report = _report(world, actual_percent=30)
    with pytest.raises(PermissionDenied):
        reporting.submit_report(report, world.users[user])


def test_review_accept_and_return(world, django_capture_on_commit_callbacks):
    report = _report(world, actual_percent=30)
    reporting.submit_report(report, world.users["unit_a"])
    with pytest.raises(PermissionDenied):
        reporting.review_report(report, True, world.users["east"])
    with pytest.raises(ValidationError, match="请说明理由"):
        reporting.review_report(report, False, world.users["west"], "")
    with django_capture_on_commit_callbacks(execute=True):
        reporting.review_report(report, False, world.users["west"], "照片不清楚")
    assert report.status == "returned"
    note = Notification.objects.get(user=world.users["unit_a"])
    assert "退回" in note.title and note.body == "照片不清楚"
    with pytest.raises(TransitionConflict):
        reporting.review_report(report, True, world.users["west"])
    reporting.submit_report(report, world.users["unit_a"])
    reporting.review_report(report, True, world.users["city"])
    assert report.status == "accepted" and report.reviewed_by == world.users["city"]


def test_reminders_and_overdue_notices_go_out_once(world, django_capture_on_commit_callbacks):
    world.users["unit_a"].email = "unit@example.com"
    world.users["unit_a"].save()
    today = D(2026, 4, 2)
    soon = _report(world, period_start=D(2026, 3, 1), due_date=D(2026, 4, 5))
    later = _report(
        world, period_start=D(2026, 4, 1), period_end=D(2026, 4, 30), due_date=D(2026, 5, 5)
    )
    overdue = _report(
        world, period_start=D(2026, 2, 1), period_end=D(2026, 2, 28), due_date=D(2026, 3, 5)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert reporting.send_reminders(today) == (1, 1)
    with django_capture_on_commit_callbacks(execute=True):
        assert reporting.send_reminders(today) == (0, 0)
    soon.refresh_from_db(), later.refresh_from_db(), overdue.refresh_from_db()
    assert soon.reminder_sent_at and not later.reminder_sent_at
    assert overdue.overdue_notice_sent_at
    titles = sorted(n.title for n in Notification.objects.filter(user=world.users["unit_a"]))
    assert len(titles) == 2 and any("逾期" in t for t in titles)
    assert len(mail.outbox) == 2


def test_schedule_task_opens_and_reminds(running):
    from competitions.tasks import run_report_schedule

    result = run_report_schedule.delay().get()
    assert result["opened"] > 0
    assert run_report_schedule.delay().get()["opened"] == 0


def test_cell_states(world):
    today = D(2026, 4, 10)
    cases = {
        "on_time": dict(status="accepted", late=False),
        "late": dict(status="submitted", late=True),
        "returned": dict(status="returned"),
        "missing": dict(status="due", due_date=D(2026, 4, 5)),
        "open": dict(status="due", due_date=D(2026, 5, 5)),
    }
    for expected, fields in cases.items():
        report = Report(**{"due_date": D(2026, 4, 5), "late": False, **fields})
        assert reporting.cell_state(report, today) == expected


# Pages -----------------------------------------------------------------------------------


def form_data(**overrides):
    data = {
        "actual_percent": "38.5",
        "workers": "120",
        "hidden_dangers_found": "4",
        "hidden_dangers_fixed": "3",
        "safety_incidents": "0",
        "quality_issues": "1",
        "proposals": "6",
        "proposals_benefit": "12500.50",
        "innovations": "1",
        "people_trained": "30",
        "narrative": "按节点推进",
        "attachments-TOTAL_FORMS": "0",
        "attachments-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return data


def test_unit_files_report_in_the_browser(world, client_for):
    report = _report(world)
    client = client_for("unit_a")
    assert client.get(reverse("report-list")).status_code == 200
    response = client.post(reverse("report-edit", args=[report.pk]), form_data(submit="1"))
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == "submitted"
    assert report.proposals_benefit == Decimal("12500.50")
    assert report.hidden_dangers_fixed == 3


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"actual_percent": "120"}, "100"),
        ({"actual_percent": "-1"}, "0"),
        ({"hidden_dangers_fixed": "9"}, "不能超过"),
        ({"workers": "-3"}, "0"),
        ({"proposals_benefit": "-5"}, "0"),
        ({"proposals_benefit": "1e400"}, "数"),
        ({"workers": "abc"}, "整数"),
    ],
)
def test_bad_figures_are_refused_and_change_nothing(world, client_for, overrides, message):
    report = _report(world)
    response = client_for("unit_a").post(
        reverse("report-edit", args=[report.pk]), form_data(submit="1", **overrides)
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    report.refresh_from_db()
    assert report.status == "due" and report.workers == 0


def test_report_edit_is_for_the_unit_only(world, client_for):
    report = _report(world)
    url = reverse("report-edit", args=[report.pk])
    assert client_for("unit_b").get(url).status_code == 404
    assert client_for("west").get(url).status_code == 403
    assert client_for("east").get(url).status_code == 404


def test_staff_review_on_the_page(world, client_for):
    report = _report(world, actual_percent=30)
    reporting.submit_report(report, world.users["unit_a"])
    client = client_for("west")
    assert "接受" in client.get(reverse("report-detail", args=[report.pk])).content.decode()
    client.post(reverse("report-review", args=[report.pk]), {"decision": "accept"})
    report.refresh_from_db()
    assert report.status == "accepted"
    page = client_for("unit_a").get(reverse("project-detail", args=[world.project_a.pk]))
    assert report.period_label in page.content.decode()


def test_report_list_query_count_is_constant(world, client_for, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _report(world)
    client = client_for("unit_a")
    with CaptureQueriesContext(connection) as first:
        client.get(reverse("report-list"))
    for month in range(4, 12):
        _report(world, period_start=D(2026, month, 1))
    with CaptureQueriesContext(connection) as second:
        client.get(reverse("report-list"))
    assert len(first) == len(second)


# API -------------------------------------------------------------------------------------


def api(world, user):
    client = APIClient()
    client.force_authenticate(world.users[user])
    return client


def test_api_report_flow(world):
    report = _report(world)
    unit = api(world, "unit_a")
    response = unit.patch(
        f"/api/v1/reports/{report.pk}/",
        {"actual_percent": "35", "hidden_dangers_found": 2, "hidden_dangers_fixed": 3},
        format="json",
    )
    assert response.status_code == 400
    response = unit.patch(
        f"/api/v1/reports/{report.pk}/", {"actual_percent": "35", "workers": 12}, format="json"
    )
    assert response.status_code == 200 and response.json()["state"] == "open"
    assert unit.post(f"/api/v1/reports/{report.pk}/submit/").json()["status"] == "submitted"
    assert (
        unit.patch(f"/api/v1/reports/{report.pk}/", {"workers": 1}, format="json").status_code
        == 409
    )
    staff = api(world, "west")
    assert staff.post(f"/api/v1/reports/{report.pk}/return/", {}, format="json").status_code == 400
    assert staff.post(f"/api/v1/reports/{report.pk}/accept/").json()["status"] == "accepted"
    assert staff.post(f"/api/v1/reports/{report.pk}/accept/").status_code == 409
    assert api(world, "east").get(f"/api/v1/reports/{report.pk}/").status_code == 404
    assert (
        api(world, "west")
        .patch(f"/api/v1/reports/{report.pk}/", {"workers": 1}, format="json")
        .status_code
        == 403
    )
