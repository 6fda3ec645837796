"""The load test's pieces that can be checked quickly (benchmarks/loadtest.py, load_data.py,
load_pages.py): the host guard, the figures computed from locust's CSV, the load data on a
tiny dataset, and the locust users' reading of real pages (the form they post back saves).
The load itself (gunicorn, PostgreSQL, Redis, a worker, locust) runs in .ci/run."""

import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, override_settings

from benchmarks import load_data, loadtest
from benchmarks.dataset import build
from benchmarks.load_pages import error_text, form_fields, links, shows_error
from competitions.models import Campaign, Organisation, ProgressReport, Project, Unit
from scoring.models import FinalResult

# --- The host guard -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "where",
    [
        "127.0.0.1",
        "localhost",
        "127.0.0.1:8101",
        "http://127.0.0.1:8101",
        "http://localhost:8101/",
        "postgres://postgres@127.0.0.1:5432/jingsai_load",
        "redis://127.0.0.1:6379/8",
    ],
)
def test_require_local_accepts_loopback(where):
    assert loadtest.require_local(where) in ("127.0.0.1", "localhost")


@pytest.mark.parametrize(
    "where",
    [
        "example.com",
        "10.0.0.5",
        "0.0.0.0",
        "http://example.com",
        "http://127.0.0.1.example.com:8101",
        "http://127.0.0.1@example.com/",
        "postgres://postgres@db.internal:5432/jingsai",
        "redis://10.1.2.3:6379/8",
        "",
    ],
)
def test_require_local_refuses_other_hosts(where):
    with pytest.raises(loadtest.NotLocal):
        loadtest.require_local(where)


@pytest.mark.parametrize(
    "argv",
    [
        ["--host", "192.168.1.10"],
        ["--database-url", "postgres://postgres@db.example.com:5432/jingsai_load"],
        ["--redis-url", "redis://cache.example.com:6379/8"],
    ],
)
def test_options_refuse_other_hosts(argv, capsys):
    with pytest.raises(SystemExit) as stopped:
        loadtest.options(argv)
    assert stopped.value.code == 2
    assert "127.0.0.1 or localhost only" in capsys.readouterr().err


def test_options_short_is_the_ci_run():
    args = loadtest.options(["--short", "--database-url", "postgres://127.0.0.1/x"])
    assert (args.projects, args.users, args.duration) == (1000, 20, "15s")
    assert args.p95 == loadtest.SHORT_P95_MS
    full = loadtest.options(["--database-url", "postgres://127.0.0.1/x"])
    assert (full.projects, full.users, full.duration, full.p95) == (10_000, 50, "60s", 500)
    assert not full.keep_data
    assert loadtest.options(["--data-only", "--database-url", "postgres://127.0.0.1/x"]).keep_data


def test_options_need_postgresql():
    with pytest.raises(SystemExit):
        loadtest.options(["--database-url", "sqlite:////tmp/load.sqlite3"])


# --- Locust's CSV and the table -------------------------------------------------------------

HEADER = (
    "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,"
    "Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,"
    "50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%"
)
STATS = [
    HEADER,
    "GET,/review/,120,0,80,95.5,20,900,25000,2.0,0.0,80,90,100,110,150,210,300,420,900,900,900",
    "GET,/scoring/zones/[id]/ranking/,300,0,120,130.2,40,1200,35000,5.0,0.0,"
    "120,130,140,150,200,260,400,650,1200,1200,1200",
    "POST,/reports/[id]/edit/ (save),60,2,150,170.0,60,700,0,1.0,0.03,"
    "150,160,170,180,260,340,500,610,700,700,700",
    "POST,/api/v1/auth/token/,0,0,0,0,0,0,0,0.0,0.0,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A",
    ",Aggregated,480,2,110,125.0,20,1200,27000,8.0,0.03,110,120,130,140,190,250,380,600,1200,"
    "1200,1200",
]


@pytest.fixture
def locust_csv(tmp_path):
    (tmp_path / "locust_stats.csv").write_text("\n".join(STATS) + "\n", encoding="utf-8")
    (tmp_path / "locust_failures.csv").write_text(
        "Method,Name,Error,Occurrences\n"
        "POST,/reports/[id]/edit/ (save),CatchResponseError('not saved (HTTP 200)'),2\n",
        encoding="utf-8",
    )
    return tmp_path


def test_parse_stats_reads_rows_and_aggregate(locust_csv):
    rows, total = loadtest.parse_stats(locust_csv / "locust_stats.csv")
    # Busiest first; a request type that was never made is left out.
    assert [r.name for r in rows] == [
        "/scoring/zones/[id]/ranking/",
        "/review/",
        "/reports/[id]/edit/ (save)",
    ]
    ranking = rows[0]
    assert (ranking.method, ranking.requests, ranking.failures) == ("GET", 300, 0)
    assert (ranking.rps, ranking.p50, ranking.p95, ranking.p99) == (5.0, 120, 260, 650)
    assert (total.requests, total.failures, total.rps) == (480, 2, 8.0)
    assert (total.p50, total.p95, total.p99) == (110, 250, 600)


def test_table_lists_each_request_type_and_all_requests(locust_csv):
    rows, total = loadtest.parse_stats(locust_csv / "locust_stats.csv")
    lines = loadtest.table(rows, total).splitlines()
    assert lines[0].split() == [
        "request",
        "requests",
        "req/s",
        "p50",
        "ms",
        "p95",
        "ms",
        "p99",
        "ms",
        "failures",
    ]
    assert lines[2].split() == [
        "GET",
        "/scoring/zones/[id]/ranking/",
        "300",
        "5.00",
        "120",
        "260",
        "650",
        "0",
    ]
    assert lines[-1].split() == ["All", "requests", "480", "8.00", "110", "250", "600", "2"]
    assert len(lines) == 3 + len(rows) + 1


def test_verdict_needs_no_failures_and_p95_within_bound(locust_csv):
    rows, total = loadtest.parse_stats(locust_csv / "locust_stats.csv")
    passed, text = loadtest.verdict(total, 500)
    assert not passed and text == "FAIL (2 failures)"
    clean = loadtest.Row("", "Aggregated", 480, 0, 8.0, 110, 250, 600)
    assert loadtest.verdict(clean, 500) == (True, "PASS (no failures, p95 250 ms ≤ 500 ms)")
    assert loadtest.verdict(clean, 200) == (False, "FAIL (p95 250 ms > 200 ms)")
    assert loadtest.verdict(clean, 500, login_failures=1) == (False, "FAIL (1 failed logins)")
    nothing = loadtest.Row("", "Aggregated", 0, 0, 0.0, None, None, None)
    assert loadtest.verdict(nothing, 500)[0] is False


def test_parse_failures_most_frequent_first(locust_csv):
    assert loadtest.parse_failures(locust_csv / "locust_failures.csv") == [
        (2, "POST /reports/[id]/edit/ (save): CatchResponseError('not saved (HTTP 200)')")
    ]
    assert loadtest.parse_failures(locust_csv / "missing.csv") == []


def test_parse_logins_percentiles(tmp_path):
    path = tmp_path / "logins.json"
    times = list(range(100, 2100, 100))  # 20 logins: 100 … 2000 ms
    path.write_text(json.dumps({"times": times[::-1], "failures": ["x"], "measured_seconds": 60}))
    logins = loadtest.parse_logins(path)
    assert logins["count"] == 20
    assert (logins["p50"], logins["p95"], logins["max"]) == (1000, 1900, 2000)
    assert logins["failures"] == ["x"] and logins["measured_seconds"] == 60
    assert loadtest.parse_logins(tmp_path / "none.json")["count"] == 0


def test_steps_table_reports_the_highest_throughput():
    steps = [
        {"users": 10, "rps": 6.0, "p50": 40, "p95": 90, "p99": 150, "requests": 130, "failures": 0},
        {"users": 50, "rps": 28.5, "p50": 60, "p95": 240, "p99": 400, "requests": 620},
        {"users": 100, "rps": 31.0, "p50": 900, "p95": 2400, "p99": 3100, "requests": 680},
    ]
    steps[1]["failures"] = steps[2]["failures"] = 0
    steps[1]["cpu_ms"] = 61.4
    text = loadtest.steps_table(steps, 500)
    assert text.splitlines()[1].split() == ["10", "6.00", "40", "90", "150", "130", "0", "-"]
    assert text.splitlines()[2].split() == ["50", "28.50", "60", "240", "400", "620", "0", "61"]
    assert "Highest throughput: 31.0 req/s at 100 users." in text
    assert "Highest throughput with p95 ≤ 500 ms: 28.5 req/s at 50 users." in text


def test_cpu_per_request_between_marks():
    """CPU seconds of the web workers, the Celery worker and the database backends between
    the locustfile's marks, per request served; processes that appear in between count from
    zero, and a step's marks are kept apart from the others."""

    def sample(web, db, requests, at):
        locust = {5: at / 10}
        return {
            "web": web,
            "tasks": {9: 1.0},
            "db": db,
            "requests": requests,
            "time": at,
            "locust": locust,
        }

    samples = [
        ("start 10", sample({1: 2.0, 2: 3.0}, {7: 1.0}, 100, 0.0)),
        ("stop 10", sample({1: 3.0, 2: 4.0}, {7: 1.5, 8: 0.5}, 140, 30.0)),
        ("start 50", sample({1: 3.0, 2: 4.0}, {7: 1.5, 8: 0.5}, 150, 35.0)),
        ("stop 50", sample({1: 5.0, 2: 6.0, 3: 1.0}, {7: 2.5, 8: 1.5}, 250, 65.0)),
    ]
    costs = loadtest._intervals(samples)
    assert set(costs) == {"10", "50"}
    assert costs["10"] == {
        "web": 50.0,  # 2 s over 40 requests
        "tasks": 0.0,
        "db": 25.0,
        "locust": 75.0,  # the load generator: not in "all"
        "all": 75.0,
        "requests": 40,
        "seconds": 30.0,
    }
    assert (costs["50"]["web"], costs["50"]["db"], costs["50"]["all"]) == (50.0, 20.0, 70.0)
    text = loadtest.cpu_text(costs["10"], cores=2)
    assert "web 50.0 ms, Celery 0.0 ms, PostgreSQL 25.0 ms; 75.0 ms in all" in text
    assert "at most ~27 req/s on 2 cores" in text and "~13 req/s beside locust" in text
    run = loadtest._intervals([("start", samples[0][1]), ("stop", samples[1][1])])
    assert list(run) == ["run"]


def test_cpu_of_this_process_is_read_from_proc():
    import os

    seconds = loadtest._cpu([os.getpid()])
    assert seconds[os.getpid()] > 0
    assert loadtest._cpu([2**22 + 12345]) == {}  # gone: no figure, no error


def test_seconds_of_a_duration():
    assert [loadtest._seconds(d) for d in ("60s", "2m", "1m30s", "45")] == [60, 120, 90, 45]


# --- Reading pages --------------------------------------------------------------------------

PAGE = """<html><body>
<form action="/i18n/setlang/" method="post"><input type="hidden" name="csrfmiddlewaretoken"
 value="t0"><select name="language"><option value="zh-hans" selected>中文</option></select></form>
<form method="post" enctype="multipart/form-data">
  <input type="hidden" name="csrfmiddlewaretoken" value="t1">
  <input type="number" name="workers" value="12"><input type="text" name="empty">
  <input type="checkbox" name="DELETE"><input type="checkbox" name="keep" checked>
  <input type="file" name="file"><button type="submit" name="save">Save</button>
  <textarea name="narrative">
按计划 &amp; 推进</textarea>
  <select name="kind"><option value="a">A</option><option value="b" selected>B</option></select>
  <select name="first"><option value="x">X</option><option value="y">Y</option></select>
</form>
<form id="score-form" method="post" action="/scoring/assignments/7/score/">
  <input name="score_3" value="88.5" data-max="100">
</form>
<a href="/reports/41/edit/">Fill in</a> <a href="/reports/42/">Open</a>
</body></html>"""


def test_form_fields_are_those_a_browser_submits():
    assert form_fields(PAGE) == {
        "csrfmiddlewaretoken": "t1",
        "workers": "12",
        "empty": "",
        "keep": "",
        "narrative": "按计划 & 推进",
        "kind": "b",
        "first": "x",
    }
    assert form_fields(PAGE, "score-form") == {"score_3": "88.5"}
    assert links(PAGE, r'href="(/reports/\d+/edit/)"') == ["/reports/41/edit/"]


@pytest.mark.parametrize(
    "html",
    [
        '<ul class="errorlist"><li>This field is required.</li></ul>',
        '<ul class="errorlist nonfield"><li>Hidden dangers fixed cannot exceed…</li></ul>',
        '<div class="errorlist-box">x</div>',
        '<ul class="messages"><li class="error">Saved, not submitted</li></ul>',
        '<p class="error">Some filters are not valid and were ignored.</p>',
    ],
)
def test_error_messages_are_recognised(html):
    assert shows_error(html)
    assert error_text(html).startswith(": ")


def test_pages_without_errors_pass():
    html = '<ul class="messages"><li class="success">Report saved</li></ul><div class="field">'
    assert not shows_error(html) and error_text(html) == ""


# --- The load data --------------------------------------------------------------------------


@pytest.fixture
def load_dataset(db):
    dataset = build(projects=40, zones=2)
    counts = load_data.add_load_data(dataset.name)
    return dataset, counts


def test_load_data_people_and_work(load_dataset):
    dataset, counts = load_dataset
    User = get_user_model()
    name = dataset.name
    organisations = Organisation.objects.filter(name__startswith=name).count()
    units = Unit.objects.filter(organisation__name__startswith=name).count()
    assert counts["staff"] == organisations + 1  # two at the province union
    assert (
        counts["liaisons"]
        == units
        == User.objects.filter(username__startswith=f"{name}-unit-", role="unit").count()
    )
    assert counts["declarations"] == 4
    campaign = Campaign.objects.get(title=name)
    assert campaign.projects.filter(status=Project.Status.SUBMITTED).count() == 4
    assert FinalResult.objects.filter(zone__campaign=campaign).count() == 40 == counts["results"]
    # One hash on everybody: the known password works for every role.
    hashes = set(User.objects.filter(username__startswith=f"{name}-").values_list("password"))
    assert len(hashes - {(dataset.staff.password,)}) == 1
    # Every running project has one open report, in the current period.
    start, _end, _due = load_data.open_period(campaign)
    running = campaign.projects.filter(status=Project.Status.RUNNING)
    open_reports = ProgressReport.objects.filter(project__in=running, period_start=start)
    assert open_reports.count() == running.count() > 0
    assert set(open_reports.values_list("status", flat=True)) == {"due"}

    manifest = load_data.manifest(name)
    assert len(manifest["staff"]["province"]) == 2 and len(manifest["staff"]["city"]) == 11
    assert len(manifest["liaisons"]) == units
    assert len(manifest["zones"]) == 2 and manifest["password"] == load_data.LOAD_PASSWORD
    assert load_data.load_datasets() == [(name, 40)]


def test_reset_opens_the_current_period_again(load_dataset):
    dataset, _counts = load_dataset
    campaign = Campaign.objects.get(title=dataset.name)
    start, _end, _due = load_data.open_period(campaign)
    report = ProgressReport.objects.filter(project__campaign=campaign, period_start=start)[0]
    ProgressReport.objects.filter(pk=report.pk).update(status="submitted", actual_percent=40)
    assert load_data.reset_open_reports(dataset.name) > 0
    report.refresh_from_db()
    assert (report.status, report.actual_percent) == ("due", None)


@override_settings(ALLOWED_HOSTS=["testserver"])
def test_liaison_reads_and_posts_the_report_form_as_locust_does(load_dataset):
    """The locust user's way through the pages: log in with the known password, find the
    open report, post its form back with figures; it saves, and then submits."""
    dataset, _counts = load_dataset
    manifest = load_data.manifest(dataset.name)
    client = Client(enforce_csrf_checks=True)
    login = form_fields(client.get("/accounts/login/").content.decode())
    login.update(username=manifest["liaisons"][0], password=manifest["password"])
    assert client.post("/accounts/login/", login).status_code == 302

    listing = client.get("/reports/?status=due").content.decode()
    url = links(listing, r'href="(/reports/\d+/edit/)"')[0]
    form = client.get(url).content.decode()
    data = form_fields(form)
    # The report's own form, not the header's language or logout form.
    assert {"csrfmiddlewaretoken", "attachments-TOTAL_FORMS", "workers"} <= set(data)
    assert "language" not in data
    # Figures the model refuses come back as a page with an error message.
    refused = client.post(url, {**data, "hidden_dangers_found": "1", "hidden_dangers_fixed": "9"})
    assert refused.status_code == 200 and shows_error(refused.content.decode())

    data.update(actual_percent="55.5", hidden_dangers_found="3", hidden_dangers_fixed="2")
    saved = client.post(url, {**data, "save": ""})
    assert saved.status_code == 302 and re.search(r"/reports/\d+/$", saved["Location"])
    assert not shows_error(client.get(saved["Location"]).content.decode())
    report = ProgressReport.objects.get(pk=int(url.split("/")[2]))
    assert (report.status, str(report.actual_percent)) == ("due", "55.50")

    submitted = client.post(url, {**data, "submit": ""})
    assert submitted.status_code == 302
    report.refresh_from_db()
    assert report.status == "submitted"


def test_delete_load_data_leaves_nothing(load_dataset):
    dataset, _counts = load_dataset
    name = dataset.name
    load_data.delete_load_data(name)
    assert not get_user_model().objects.filter(username__startswith=name).exists()
    assert not Organisation.objects.filter(name__startswith=name).exists()
    assert not Campaign.objects.filter(title=name).exists()
    assert not ProgressReport.objects.exists() and not Project.objects.exists()
    with pytest.raises(ValueError):
        load_data.delete_load_data("not-a-dataset")


# --- What the load test found ---------------------------------------------------------------


@pytest.mark.parametrize("url", ["/projects/", "/review/"])
def test_unit_filter_lists_few_units_and_hides_many(world, client_for, monkeypatch, url):
    """A province union sees thousands of units: the filter then keeps the chosen unit in a
    hidden input (the search box finds units by name) instead of rendering every option."""
    from competitions.filters import BoundedSelect

    city = client_for("city")  # two units in scope
    html = city.get(url).content.decode()
    assert re.search(r'<select name="unit"[^>]*>', html) and "西湖酒店" in html

    monkeypatch.setattr(BoundedSelect, "limit", 1)
    page = city.get(f"{url}?unit={world.unit_a.pk}&status=")
    html = page.content.decode()
    assert page.status_code == 200 and '<select name="unit"' not in html
    assert f'<input type="hidden" name="unit" value="{world.unit_a.pk}"' in html
    assert "Too many to list" in html or "未全部列出" in html
    # The filter still applies: only unit A's project is listed.
    assert world.project_a.title in html and world.project_b.title not in html

    west = client_for("west")  # one unit: still a select
    assert re.search(r'<select name="unit"', west.get(url).content.decode())


def test_zone_page_lists_its_projects_a_page_at_a_time(world, client_for, monkeypatch):
    from competitions import views

    monkeypatch.setattr(views, "ZONE_PROJECTS_SHOWN", 1)
    client = client_for("city")
    first = client.get(f"/zones/{world.zone.pk}/").content.decode()
    second = client.get(f"/zones/{world.zone.pk}/?page=2").content.decode()
    titles = [world.project_a.title, world.project_b.title]
    shown = [[t for t in titles if t in page] for page in (first, second)]
    assert sorted(shown[0] + shown[1]) == sorted(titles) and len(shown[0]) == 1
    assert "page=2" in first
