"""Summaries: figures against the hand-counted fixture (summary_fixture.py), builds and the
beat job, pages, exports, permissions and query counts."""

import datetime
import io
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from awards import summaries
from awards.models import SummaryBuild, SummarySnapshot
from awards.tasks import build_period_summaries, build_summary
from competitions.models import Campaign, Zone

from .. import factories as f
from . import summary_fixture
from .summary_fixture import BUILD_DAY, MARCH

Q1 = (datetime.date(2026, 1, 1), datetime.date(2026, 3, 31))


@pytest.fixture
def counted(world):
    return summary_fixture.build(world)


def english(client: Client) -> Client:
    client.cookies["django_language"] = "en"
    return client


def march_build(world, trigger="scheduled", **fields):
    return SummaryBuild.objects.create(
        campaign=world.campaign,
        period="month",
        period_start=MARCH[0],
        period_end=MARCH[1],
        trigger=trigger,
        **fields,
    )


def built(world, **fields):
    build = march_build(world, **fields)
    summaries.run_build(build.pk, today=BUILD_DAY)
    build.refresh_from_db()
    return build


# Figures ----------------------------------------------------------------------------------


def test_campaign_figures_for_march_match_the_hand_count(world, counted):
    figures = summaries.compute_figures(world.campaign, None, *MARCH, today=BUILD_DAY)
    assert figures["scope"]["zone_name"] is None
    assert figures["period"] == {"start": "2026-03-01", "end": "2026-03-31"}
    # Running P1 P2 P5; completed P3; approved P7 (started in April); submitted P9 (approved
    # in April); draft P4; withdrawn P6; P8 declared in April is not counted.
    assert figures["projects"]["by_state"] == {
        "draft": 1,
        "submitted": 1,
        "returned": 0,
        "rejected": 0,
        "approved": 1,
        "running": 3,
        "completed": 1,
        "withdrawn": 1,
    }
    assert figures["projects"]["declared"] == 8
    assert figures["projects"]["taking_part"] == 5  # P1 P2 P3 P5 P7
    assert figures["units"] == 3  # 西湖酒店 (P1 P3), 滨江电力 (P2 P5), 单位D (P7)
    # Peak workers of March's filed reports: P1 120 + P2 80 + P7 30 (P3 returned, P5 due).
    assert figures["people"] == {"workers": 230, "contestants": None}
    # February's reports fall due on March 5: P1 P7 on time, P2 late, P5 returned, P3 missing.
    assert figures["reports"] == {
        "due": 5,
        "on_time": 2,
        "late": 1,
        "returned": 1,
        "missing": 1,
        "on_time_rate": "40.0",  # 2 / 5
        "filed": 3,  # March: P1 submitted, P2 and P7 accepted
    }
    assert figures["proposals"] == {"count": 8, "benefit": "2600.25"}  # 3+1+4; 2000.25+500+100
    assert figures["innovations"] == 3  # 0 + 2 + 1
    assert figures["people_trained"] == 25  # 5 + 20 + 0
    assert figures["safety"] == {
        "hidden_dangers_found": 3,  # 2 + 1
        "hidden_dangers_fixed": 2,  # 2 + 0
        "fix_rate": "66.7",
        "incidents": 1,
        "quality_issues": 2,
    }
    # Z1 locked on March 20: P1 P2 P3 ranked (P4 vetoed); Z2 not locked.
    results = figures["results"]
    assert (results["stages"], results["zones_locked"], results["ranked"]) == (1, 1, 3)
    assert [(t["rank"], t["project"], t["unit"], t["score"]) for t in results["top"]] == [
        (1, "酒店服务提升", "西湖酒店", "90.00"),
        (2, "峰会保电", "滨江电力", "85.00"),
        (3, "P3", "西湖酒店", "80.00"),
    ]
    honours = figures["honours"]
    # 先进集体 Z1 confirmed 03-25 (one entry left after the removal); 先进个人 confirmed 02-20;
    # 工人先锋号 instant 03-10 (the one of 04-03 is after March); the Z2 draft list not counted.
    assert [
        (h["name"], h["confirmed_in_period"], h["confirmed_total"], h["instant_in_period"])
        for h in honours["by_type"]
    ] == [("先进个人", 0, 1, 0), ("先进集体", 1, 1, 0), ("工人先锋号", 0, 0, 1)]
    assert (
        honours["confirmed_in_period"],
        honours["confirmed_total"],
        honours["instant_in_period"],
        honours["instant_total"],
    ) == (1, 2, 1, 1)


def test_zone_figures_for_march_match_the_hand_count(world, counted):
    z1, z2 = counted["zones"]
    one = summaries.compute_figures(world.campaign, z1, *MARCH, today=BUILD_DAY)
    assert one["scope"]["zone_name"] == "场馆建设"
    assert one["projects"]["by_state"]["running"] == 2  # P1 P2
    assert (one["projects"]["declared"], one["projects"]["taking_part"], one["units"]) == (4, 3, 2)
    assert one["people"]["workers"] == 200  # 120 + 80
    assert one["reports"]["due"] == 3 and one["reports"]["on_time_rate"] == "33.3"  # P1 of 3
    assert one["proposals"] == {"count": 4, "benefit": "2500.25"}
    assert (one["innovations"], one["people_trained"]) == (2, 25)
    assert one["results"]["ranked"] == 3
    assert (one["honours"]["confirmed_in_period"], one["honours"]["instant_total"]) == (1, 0)

    two = summaries.compute_figures(world.campaign, z2, *MARCH, today=BUILD_DAY)
    # P5 running, P6 withdrawn, P7 approved, P9 submitted (P8 not yet declared).
    assert {k: v for k, v in two["projects"]["by_state"].items() if v} == {
        "running": 1,
        "withdrawn": 1,
        "approved": 1,
        "submitted": 1,
    }
    assert (two["projects"]["taking_part"], two["units"]) == (2, 2)  # P5 P7; 滨江电力, 单位D
    assert two["people"]["workers"] == 30
    assert two["reports"]["due"] == 2 and two["reports"]["on_time_rate"] == "50.0"  # P7; P5
    assert two["proposals"] == {"count": 4, "benefit": "100.00"}
    assert two["safety"]["fix_rate"] is None  # no hidden danger found
    assert two["results"] == {"stages": 1, "zones_locked": 0, "ranked": 0, "top": []}
    # P5's leader (先进个人, confirmed in February) and P5's instant honour count in Z2.
    assert (two["honours"]["confirmed_in_period"], two["honours"]["confirmed_total"]) == (0, 1)
    assert (two["honours"]["instant_in_period"], two["honours"]["instant_total"]) == (1, 1)


def test_quarter_figures_take_each_projects_peak_and_every_report_due(world, counted):
    figures = summaries.compute_figures(world.campaign, None, *Q1, today=BUILD_DAY)
    # Peaks: P1 max(100, 120), P2 max(60, 80), P7 max(40, 35, 30).
    assert figures["people"]["workers"] == 240
    # Due in Q1: P7's January report (Feb 5) and the five of February (March 5).
    assert figures["reports"]["due"] == 6 and figures["reports"]["on_time_rate"] == "50.0"
    assert figures["proposals"] == {"count": 18, "benefit": "3600.75"}  # 2+3, 1+1, 7+0+4
    assert figures["honours"]["confirmed_in_period"] == 2  # both lists confirmed in Q1


def test_figures_cost_a_fixed_number_of_queries(world, counted):
    with CaptureQueriesContext(connection) as small:
        summaries.compute_figures(world.campaign, counted["zones"][0], *MARCH, today=BUILD_DAY)
    for index in range(20):
        project = f.ProjectFactory(
            zone=world.zone, unit=world.unit_a, title=f"more{index}", status="running"
        )
        summary_fixture._report(project, 3, "accepted", workers=10, proposals=1)
    with CaptureQueriesContext(connection) as large:
        summaries.compute_figures(world.campaign, counted["zones"][0], *MARCH, today=BUILD_DAY)
    assert len(large) == len(small)


def test_skill_campaign_counts_contestants_and_their_units(contest):
    campaign = contest.campaign
    start, end = summaries.period_bounds("month", campaign.start_date)
    figures = summaries.compute_figures(campaign, None, start, end, today=end)
    from skills.models import Contestant

    contestants = Contestant.objects.filter(event__campaign=campaign)
    assert figures["people"]["contestants"] == contestants.count() > 0
    assert figures["units"] == contestants.values("unit").distinct().count()


# Periods ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "day", "bounds"),
    [
        ("month", "2026-02-14", ("2026-02-01", "2026-02-28")),
        ("quarter", "2026-05-31", ("2026-04-01", "2026-06-30")),
        ("quarter", "2026-12-01", ("2026-10-01", "2026-12-31")),
        ("year", "2024-02-29", ("2024-01-01", "2024-12-31")),
    ],
)
def test_period_bounds(period, day, bounds):
    start, end = summaries.period_bounds(period, datetime.date.fromisoformat(day))
    assert (start.isoformat(), end.isoformat()) == bounds


@pytest.mark.parametrize(
    ("today", "periods"),
    [
        ("2026-02-01", ["month"]),
        ("2026-04-01", ["month", "quarter"]),
        ("2026-06-15", ["month"]),
        ("2026-07-01", ["month", "quarter"]),
        ("2027-01-01", ["month", "quarter", "year"]),
    ],
)
def test_periods_ending_last_month(today, periods):
    last = summaries.last_month_end(datetime.date.fromisoformat(today))
    assert [p for p, _s, _e in summaries.periods_ending(last)] == periods


# The beat job -----------------------------------------------------------------------------


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run what is queued on commit (the tests' transaction never commits)."""

    def run(task, *args):
        with django_capture_on_commit_callbacks(execute=True):
            return task.delay(*args).get()

    return run


def test_beat_job_builds_month_and_quarter_once(world, counted, on_commit):
    draft = f.CampaignFactory(organiser=world.city, status=Campaign.Status.DRAFT)
    old = f.CampaignFactory(
        organiser=world.city,
        start_date=datetime.date(2025, 1, 1),
        end_date=datetime.date(2025, 12, 31),
        status=Campaign.Status.CLOSED,
    )
    assert on_commit(build_period_summaries, "2026-04-01") == 2
    builds = SummaryBuild.objects.all()
    assert sorted(builds.values_list("campaign", "period", "period_start", "state")) == [
        (world.campaign.pk, "month", MARCH[0], "done"),
        (world.campaign.pk, "quarter", Q1[0], "done"),
    ]
    assert not builds.filter(campaign__in=[draft, old]).exists()
    # Campaign and two zones in each build.
    assert SummarySnapshot.objects.filter(build__period="month").count() == 3
    # Twice the same day: nothing new.
    assert on_commit(build_period_summaries, "2026-04-01") == 0
    assert SummaryBuild.objects.count() == 2


def test_beat_job_builds_the_year_after_december(world, on_commit):
    assert on_commit(build_period_summaries, "2027-01-01") == 3
    assert sorted(SummaryBuild.objects.values_list("period", "period_start")) == [
        ("month", datetime.date(2026, 12, 1)),
        ("quarter", datetime.date(2026, 10, 1)),
        ("year", datetime.date(2026, 1, 1)),
    ]


def test_beat_job_rebuilds_a_failed_build_only(world, counted, on_commit):
    failed = march_build(world, state="failed", error="database gone")
    assert on_commit(build_period_summaries, "2026-04-01") == 2  # the failed month, Q1
    failed.refresh_from_db()
    assert (failed.state, failed.error, failed.progress) == ("done", "", 100)
    assert SummaryBuild.objects.filter(period="month").count() == 1


def test_beat_job_requeues_a_lost_build_but_not_a_waiting_one(world, on_commit):
    waiting = march_build(world, state="queued")
    assert on_commit(build_period_summaries, "2026-04-01") == 1  # Q1 only
    waiting.refresh_from_db()
    assert waiting.state == "queued"
    SummaryBuild.objects.filter(pk=waiting.pk).update(
        created_at=timezone.now() - datetime.timedelta(hours=2)
    )
    assert on_commit(build_period_summaries, "2026-04-01") == 1
    waiting.refresh_from_db()
    assert waiting.state == "done"


# Builds -----------------------------------------------------------------------------------


def test_build_records_progress_as_zones_finish(world, counted, monkeypatch):
    build = march_build(world)
    seen = []
    original = summaries.record_build

    def spy(build_id, state, progress, error=""):
        seen.append((state, progress))
        original(build_id, state, progress, error)

    monkeypatch.setattr(summaries, "record_build", spy)
    summaries.run_build(build.pk, today=BUILD_DAY)
    assert seen == [
        ("running", 0),
        ("running", 33),
        ("running", 66),
        ("running", 99),
        ("done", 100),
    ]
    build.refresh_from_db()
    assert build.finished_at is not None
    assert [s.zone_id for s in build.snapshots.order_by("pk")] == [
        None,
        *(z.pk for z in counted["zones"]),
    ]


def test_failed_build_is_recorded_and_a_retry_completes_it(world, counted, monkeypatch):
    build = march_build(world)
    original = summaries.compute_figures

    def fail_on_second_zone(campaign, zone, *args, **kwargs):
        if zone is not None and zone.name == "环境整治":
            raise RuntimeError("worker lost")
        return original(campaign, zone, *args, **kwargs)

    monkeypatch.setattr(summaries, "compute_figures", fail_on_second_zone)
    with pytest.raises(RuntimeError):
        build_summary.delay(build.pk).get()
    build.refresh_from_db()
    assert (build.state, build.error) == ("failed", "worker lost")
    assert build.snapshots.count() == 2  # campaign and Z1 written before the failure

    monkeypatch.undo()
    assert build_summary.delay(build.pk).get() == 3
    build.refresh_from_db()
    assert (build.state, build.progress) == ("done", 100)
    assert build.snapshots.filter(zone__isnull=True).count() == 1
    # A finished build received again is left alone.
    assert build_summary.delay(build.pk).get() == 3


def test_history_keeps_builds_of_different_months(world, counted, client_for):
    march = built(world)
    april = SummaryBuild.objects.create(
        campaign=world.campaign,
        period="month",
        period_start=datetime.date(2026, 4, 1),
        period_end=datetime.date(2026, 4, 30),
    )
    summaries.run_build(april.pk, today=datetime.date(2026, 5, 1))
    march_whole = march.snapshots.get(zone=None).figures
    april_whole = april.snapshots.get(zone=None).figures
    assert march_whole["projects"]["by_state"]["approved"] == 1  # P7 before it started
    assert april_whole["projects"]["by_state"]["approved"] == 1  # P9, approved on April 2
    assert april_whole["projects"]["by_state"]["running"] == 5  # P1 P2 P5 P7 P8
    client = english(client_for("city"))
    page = client.get(reverse("awards:summary-campaign", args=[world.campaign.pk]))
    assert page.status_code == 200
    assert f'data-build="{march.pk}"' in page.content.decode()
    assert f'data-build="{april.pk}"' in page.content.decode()
    for build in (march, april):
        assert client.get(reverse("awards:summary", args=[build.pk])).status_code == 200


# Build now --------------------------------------------------------------------------------


def test_request_build_queues_and_runs_on_commit(
    world, counted, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        build = summaries.request_build(
            world.campaign, world.users["city"], "quarter", datetime.date(2026, 2, 10)
        )
    build.refresh_from_db()
    assert (build.trigger, build.period, build.period_start, build.period_end) == (
        "manual",
        "quarter",
        Q1[0],
        Q1[1],
    )
    assert build.state == "done" and build.requested_by == world.users["city"]
    assert build.snapshots.count() == 3


def test_manual_build_is_kept_beside_the_scheduled_one(world):
    scheduled = built(world)
    manual = summaries.request_build(world.campaign, world.users["city"], "month", MARCH[0])
    assert manual.pk != scheduled.pk
    assert SummaryBuild.objects.filter(period="month", period_start=MARCH[0]).count() == 2


@pytest.mark.parametrize("name", ["city", "province", "superuser"])
def test_request_build_allowed_for_campaign_staff_and_above(world, name):
    build = summaries.request_build(world.campaign, world.users[name], "month", MARCH[0])
    assert build.state == "queued"


@pytest.mark.parametrize("name", ["west", "east", "unit_a", "evaluator"])
def test_request_build_refused_for_others(world, name):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied, match="competition office"):
        summaries.request_build(world.campaign, world.users[name], "month", MARCH[0])
    assert not SummaryBuild.objects.exists()


def test_request_build_refused_while_another_runs(world):
    from django.core.exceptions import ValidationError

    march_build(world, state="running")
    with pytest.raises(ValidationError, match="being built already"):
        summaries.request_build(world.campaign, world.users["city"], "year", MARCH[0])
    assert SummaryBuild.objects.count() == 1


@pytest.mark.parametrize(
    ("period", "day", "message"),
    [
        ("week", "2026-03-01", "month, a quarter or a year"),
        ("month", "2030-01-01", "not begun"),
        ("month", "2025-12-01", "ran from"),
    ],
)
def test_request_build_refuses_bad_periods(world, period, day, message):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match=message):
        summaries.request_build(
            world.campaign, world.users["city"], period, datetime.date.fromisoformat(day)
        )
    assert not SummaryBuild.objects.exists()


def test_request_build_refused_for_a_campaign_in_preparation(world):
    from django.core.exceptions import ValidationError

    world.campaign.status = Campaign.Status.DRAFT
    world.campaign.save()
    with pytest.raises(ValidationError, match="in preparation"):
        summaries.request_build(world.campaign, world.users["city"], "month", MARCH[0])


# Pages ------------------------------------------------------------------------------------


def test_build_now_form_builds_and_redirects(
    world, counted, client_for, django_capture_on_commit_callbacks
):
    client = english(client_for("city"))
    url = reverse("awards:summary-build", args=[world.campaign.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"period": "month", "day": "2026-03-15"}, follow=True)
    assert response.status_code == 200
    assert "The summary of 2026-03 is being built." in response.content.decode()
    build = SummaryBuild.objects.get()
    # Tasks run in-process in the tests: the summary is done by the time the page shows.
    assert (build.trigger, build.state) == ("manual", "done")


def test_build_now_form_shows_refusals_and_changes_nothing(world, client_for):
    client = english(client_for("city"))
    url = reverse("awards:summary-build", args=[world.campaign.pk])
    page = client.post(url, {"period": "month", "day": "2031-01-01"}, follow=True)
    assert "This period has not begun yet." in page.content.decode()
    page = client.post(url, {"period": "month", "day": "no date"}, follow=True)
    assert "Enter a valid date." in page.content.decode()
    assert not SummaryBuild.objects.exists()
    # Staff of the unions above may read but only the office builds; west does not even see it.
    assert english(client_for("west")).post(url, {"period": "month"}).status_code == 404


def test_progress_bar_and_status_while_building(world, client_for):
    build = march_build(world, state="running", progress=40)
    client = english(client_for("city"))
    page = client.get(reverse("awards:summary-campaign", args=[world.campaign.pk]))
    html = page.content.decode()
    assert 'id="summary-progress"' in html and 'value="40"' in html
    assert "js/summary-progress.js" in html and "Reload the page" in html
    assert re.search(r'<button type="submit" class="primary" disabled>', html)
    status = client.get(reverse("awards:summary-status", args=[build.pk])).json()
    assert status == {
        "state": "running",
        "state_label": "Running",
        "progress": 40,
        "error": "",
        "finished": False,
        "url": "",
    }
    summaries.run_build(build.pk, today=BUILD_DAY)
    status = client.get(reverse("awards:summary-status", args=[build.pk])).json()
    assert status["finished"] and status["url"] == reverse("awards:summary", args=[build.pk])


def test_summary_page_shows_charts_and_tables(world, counted, client_for):
    build = built(world)
    html = english(client_for("city")).get(reverse("awards:summary", args=[build.pk])).content
    html = html.decode()
    assert html.count("<svg") == 4  # projects by state; on-time rate, proposals, benefit
    assert 'aria-label="Projects by state: Draft: 1; Submitted: 1; Approved: 1; Running: 3;' in html
    assert "场馆建设: 33.3%; 环境整治: 50.0%" in html
    row = re.search(r'data-figure="proposals.benefit">(.*?)</tr>', html, re.S).group(1)
    assert re.findall(r'<td class="num">(.*?)</td>', row) == ["2,600.25", "2,500.25", "100.00"]
    assert "Economic benefit (yuan)" in html and "先进集体" in html and "西湖酒店" in html


def test_excel_export_holds_the_figures(world, counted, client_for):
    build = built(world)
    response = english(client_for("city")).get(reverse("awards:summary-xlsx", args=[build.pk]))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Figures", "Projects by state", "Honours", "Top three"]
    rows = {row[0]: row[1:] for row in book["Figures"].iter_rows(min_row=5, values_only=True)}
    assert rows["Figure"] == ("Whole campaign", "场馆建设", "环境整治")
    assert rows["Units taking part"] == (3, 2, 2)
    assert rows["Projects taking part"] == (5, 3, 2)
    assert rows["People taking part (peak per project)"] == (230, 200, 30)
    assert [str(v) for v in rows["Economic benefit (yuan)"]] == ["2600.25", "2500.25", "100"]
    assert [str(v) for v in rows["On-time rate (%)"]] == ["40", "33.3", "50"]
    assert "Contestants registered" not in rows  # a labour competition
    states = {r[0]: r[1:] for r in book["Projects by state"].iter_rows(values_only=True)}
    assert states["Running"] == (3, 2, 1)
    top = list(book["Top three"].iter_rows(min_row=2, values_only=True))
    assert [(r[1], r[3]) for r in top] == [(1, "西湖酒店"), (2, "滨江电力"), (3, "西湖酒店")]


def test_pdf_export_prints_the_figures_in_chinese(world, counted, client):
    build = built(world)
    client.force_login(world.users["city"])
    response = client.get(reverse("awards:summary-pdf", args=[build.pk]))  # default: Chinese
    assert response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    text = re.sub(r"\s+", "", text)  # pypdf spaces out CJK glyphs
    assert world.campaign.title in text
    assert "场馆建设" in text and "环境整治" in text
    assert "2,600.25" in text and "40.0%" in text
    assert "西湖酒店" in text and "先进集体" in text


def test_exports_refused_until_built(world, client_for):
    build = march_build(world, state="running")
    client = english(client_for("city"))
    assert client.get(reverse("awards:summary-xlsx", args=[build.pk])).status_code == 403
    assert client.get(reverse("awards:summary-pdf", args=[build.pk])).status_code == 403


def test_overview_screen_shows_latest_summary_and_live_counts(world, counted, client_for):
    built(world)
    client = english(client_for("city"))
    url = reverse("awards:summary-overview", args=[world.campaign.pk])
    html = client.get(url).content.decode()
    assert 'class="overview"' in html and "js/live-region.js" in html
    assert 'data-refresh-seconds="60"' in html and 'id="ov-offline"' in html
    assert "Latest summary: 2026-03" in html
    assert "<script>" not in html  # scripts from static files only
    fragment = client.get(url + "?fragment=1").content.decode()
    assert "<html" not in fragment and "data-updated=" in fragment
    # Live: running now P1 P2 P5 P7 P8; two honours confirmed (one removed); two instant.
    tiles = dict(
        (label.strip(), num)
        for num, label in re.findall(
            r'<span class="num">([^<]*)</span><span class="lbl">([^<]*)</span>', fragment
        )
    )
    assert tiles["Projects running"] == "5"
    assert tiles["Honours confirmed"] == "2" and tiles["Instant honours"] == "2"
    assert tiles["Projects taking part"] == "5" and tiles["Units taking part"] == "3"
    assert tiles["On-time report rate"] == "40.0%"
    assert tiles["Economic benefit (10,000 yuan)"] == "0.3"  # 2600.25 yuan


def test_overview_screen_without_a_summary(world, client_for):
    url = reverse("awards:summary-overview", args=[world.campaign.pk])
    html = english(client_for("city")).get(url).content.decode()
    assert "No summary has been built yet." in html


# Permissions ------------------------------------------------------------------------------


def _urls(world, build):
    campaign = world.campaign.pk
    return {
        "campaign": reverse("awards:summary-campaign", args=[campaign]),
        "summary": reverse("awards:summary", args=[build.pk]),
        "status": reverse("awards:summary-status", args=[build.pk]),
        "xlsx": reverse("awards:summary-xlsx", args=[build.pk]),
        "pdf": reverse("awards:summary-pdf", args=[build.pk]),
    }


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("city", 200),  # the campaign's office
        ("province", 200),  # the union above
        ("superuser", 200),
        ("west", 404),  # a district below: the campaign reaches it, its summaries do not
        ("east", 404),
        ("unit_a", 404),
        ("evaluator", 404),
        ("norole", 404),
    ],
)
def test_summary_pages_by_role(world, client_for, name, expected):
    build = built(world)
    client = client_for(name)
    for url in _urls(world, build).values():
        assert client.get(url).status_code == expected, url


def test_another_districts_campaign_is_refused(world, client_for):
    campaign = f.CampaignFactory(organiser=world.east, title="滨江区竞赛")
    build = SummaryBuild.objects.create(
        campaign=campaign, period="month", period_start=MARCH[0], period_end=MARCH[1]
    )
    summaries.run_build(build.pk, today=BUILD_DAY)
    assert client_for("east").get(reverse("awards:summary", args=[build.pk])).status_code == 200
    assert client_for("city").get(reverse("awards:summary", args=[build.pk])).status_code == 200
    west = client_for("west")
    assert west.get(reverse("awards:summary", args=[build.pk])).status_code == 404
    assert west.get(reverse("awards:summary-overview", args=[campaign.pk])).status_code == 404
    index = west.get(reverse("awards:summaries")).content.decode()
    assert f'data-campaign="{campaign.pk}"' not in index


@pytest.mark.parametrize(
    ("name", "expected"),
    [("city", 200), ("province", 200), ("west", 200), ("unit_a", 404), ("evaluator", 404)],
)
def test_overview_screen_for_staff_who_see_the_campaign(world, client_for, name, expected):
    url = reverse("awards:summary-overview", args=[world.campaign.pk])
    assert client_for(name).get(url).status_code == expected


def test_anonymous_is_sent_to_login(world):
    build = built(world)
    client = Client()
    for url in [
        reverse("awards:summaries"),
        reverse("awards:summary-overview", args=[world.campaign.pk]),
        *_urls(world, build).values(),
    ]:
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response["Location"], url


# Query counts -----------------------------------------------------------------------------


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def _more(world, count):
    for index in range(count):
        campaign = f.CampaignFactory(organiser=world.city, title=f"更多竞赛{index}")
        Zone.objects.create(campaign=campaign, name=f"赛区{index}")
        SummaryBuild.objects.create(
            campaign=world.campaign,
            period="month",
            period_start=datetime.date(2026, 1 + index % 12, 1),
            period_end=datetime.date(2026, 1 + index % 12, 28),
            trigger="manual",
            state="done",
            finished_at=timezone.now(),
        )
        SummaryBuild.objects.create(
            campaign=campaign,
            period="month",
            period_start=MARCH[0],
            period_end=MARCH[1],
            state="done",
            finished_at=timezone.now(),
        )


def test_index_and_history_cost_the_same_queries_for_more_rows(world, client_for):
    built(world)
    client = client_for("city")
    urls = [
        reverse("awards:summaries"),
        reverse("awards:summary-campaign", args=[world.campaign.pk]),
    ]
    before = [_queries(client, url) for url in urls]
    _more(world, 20)
    assert [_queries(client, url) for url in urls] == before


def test_summary_page_and_screen_cost_the_same_queries_for_more_zones(world, counted, client_for):
    client = client_for("city")
    build = built(world)
    urls = [
        reverse("awards:summary", args=[build.pk]),
        reverse("awards:summary-overview", args=[world.campaign.pk]),
    ]
    before = [_queries(client, url) for url in urls]
    for index in range(20):
        zone = Zone.objects.create(campaign=world.campaign, name=f"新赛区{index}", order=10)
        f.ProjectFactory(zone=zone, unit=world.unit_b, title=f"新项目{index}")
    bigger = built(world, trigger="manual")
    assert bigger.snapshots.count() == 23
    urls[0] = reverse("awards:summary", args=[bigger.pk])
    assert [_queries(client, url) for url in urls] == before


# API --------------------------------------------------------------------------------------


def api(user=None):
    from rest_framework.test import APIClient

    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_authenticate(user)
    return client


def test_api_lists_builds_with_snapshots(world, counted):
    build = built(world)
    data = api(world.users["province"]).get("/api/v1/summaries/").json()
    assert data["count"] == 1
    item = data["results"][0]
    assert (item["id"], item["period"], item["period_label"], item["state"]) == (
        build.pk,
        "month",
        "2026-03",
        "done",
    )
    assert [s["zone_name"] for s in item["snapshots"]] == [None, "场馆建设", "环境整治"]
    whole = item["snapshots"][0]["figures"]
    assert whole["proposals"] == {"count": 8, "benefit": "2600.25"}
    assert whole["reports"]["on_time_rate"] == "40.0"
    detail = api(world.users["city"]).get(f"/api/v1/summaries/{build.pk}/").json()
    assert detail["snapshots"][1]["figures"]["people"]["workers"] == 200


@pytest.mark.parametrize("name", ["west", "east", "unit_a", "evaluator", "norole"])
def test_api_hides_builds_outside_the_scope(world, name):
    build = built(world)
    client = api(world.users[name])
    assert client.get("/api/v1/summaries/").json()["count"] == 0
    assert client.get(f"/api/v1/summaries/{build.pk}/").status_code == 404


def test_api_refuses_anonymous(world):
    assert api().get("/api/v1/summaries/").status_code in (401, 403)


def test_api_build_now(world, counted, django_capture_on_commit_callbacks):
    body = {"campaign": world.campaign.pk, "period": "quarter", "day": "2026-03-31"}
    with django_capture_on_commit_callbacks(execute=True):
        response = api(world.users["city"]).post("/api/v1/summaries/build/", body, format="json")
    assert response.status_code == 202
    assert response.json()["state"] == "queued"  # as recorded when the request was answered
    build = SummaryBuild.objects.get(pk=response.json()["id"])
    assert (build.trigger, build.period_start, build.state) == ("manual", Q1[0], "done")


@pytest.mark.parametrize(
    ("name", "body", "code", "message"),
    [
        ("province", {"period": "month", "day": "2026-03-01"}, 202, None),
        ("west", {"period": "month", "day": "2026-03-01"}, 400, "No such campaign"),
        ("unit_a", {"period": "month", "day": "2026-03-01"}, 400, "No such campaign"),
        ("city", {"period": "week", "day": "2026-03-01"}, 400, "not a valid choice"),
        ("city", {"period": "month", "day": "2040-01-01"}, 400, "not begun"),
        ("city", {"period": "month", "day": "March"}, 400, "Date has wrong format"),
    ],
)
def test_api_build_refusals(world, name, body, code, message):
    response = api(world.users[name]).post(
        "/api/v1/summaries/build/", {"campaign": world.campaign.pk, **body}, format="json"
    )
    assert response.status_code == code, response.content
    if message:
        assert message in response.content.decode()
        assert not SummaryBuild.objects.exists()


def test_api_build_refused_while_running_and_outside_the_scope(world):
    march_build(world, state="running")
    response = api(world.users["city"]).post(
        "/api/v1/summaries/build/",
        {"campaign": world.campaign.pk, "period": "year", "day": "2026-03-01"},
        format="json",
    )
    assert response.status_code == 400
    assert "being built already" in response.json()["detail"]
    # Another district's campaign is not in west's scope at all.
    campaign = f.CampaignFactory(organiser=world.east, title="滨江区竞赛")
    response = api(world.users["west"]).post(
        "/api/v1/summaries/build/",
        {"campaign": campaign.pk, "period": "month", "day": "2026-03-01"},
        format="json",
    )
    assert response.status_code == 400
    assert "No such campaign" in response.json()["campaign"][0]


def test_api_list_costs_the_same_queries_for_more_builds(world):
    built(world)
    client = api(world.users["city"])
    before = _queries(client, "/api/v1/summaries/")
    _more(world, 20)
    assert _queries(client, "/api/v1/summaries/") == before


# Demo -------------------------------------------------------------------------------------


def test_demo_periods_follow_the_beat_job(world):
    from awards.summary_demo import ended_periods

    campaign = f.CampaignFactory(
        organiser=world.city,
        start_date=datetime.date(2015, 9, 1),
        end_date=datetime.date(2016, 9, 30),
    )
    periods = list(ended_periods(campaign, datetime.date(2030, 1, 1)))
    assert [p for p, _s, _e in periods].count("month") == 13  # 2015-09 .. 2016-09
    assert [(p, s.isoformat()) for p, s, _e in periods if p != "month"] == [
        ("quarter", "2015-07-01"),
        ("quarter", "2015-10-01"),
        ("year", "2015-01-01"),
        ("quarter", "2016-01-01"),
        ("quarter", "2016-04-01"),
        ("quarter", "2016-07-01"),
        ("year", "2016-01-01"),
    ]


def test_seed_summaries_is_idempotent(world, counted):
    from awards import summary_demo

    world.campaign.title = summary_demo.DEMO_CAMPAIGNS[0]
    world.campaign.save()
    first = summary_demo.seed_summaries()
    assert first == SummaryBuild.objects.filter(state="done").count() > 0
    assert SummaryBuild.objects.filter(period="quarter", period_start=Q1[0]).exists()
    assert summary_demo.seed_summaries() == 0
    march = SummaryBuild.objects.get(period="month", period_start=MARCH[0])
    whole = march.snapshots.get(zone=None).figures
    assert whole["proposals"] == {"count": 8, "benefit": "2600.25"}


def test_beat_job_also_rebuilds_earlier_failed_months(world, on_commit):
    january = SummaryBuild.objects.create(
        campaign=world.campaign,
        period="month",
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 1, 31),
        state="failed",
        error="disk full",
    )
    done = SummaryBuild.objects.create(
        campaign=world.campaign,
        period="month",
        period_start=datetime.date(2026, 2, 1),
        period_end=datetime.date(2026, 2, 28),
        state="done",
    )
    assert on_commit(build_period_summaries, "2026-04-01") == 3  # March, Q1, January again
    january.refresh_from_db()
    done.refresh_from_db()
    assert january.state == "done" and done.snapshots.count() == 0  # February left alone
    assert on_commit(build_period_summaries, "2026-04-01") == 0
