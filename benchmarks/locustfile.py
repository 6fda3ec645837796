"""Locust users of the platform, for ``benchmarks/loadtest.py`` (which starts everything).

Four kinds of user, on the load data of ``benchmarks/load_data.py`` (the usernames, the
password and the zones come from the JSON file named by ``LOAD_MANIFEST``):

- union staff of the province, city and district unions browse: the declarations waiting for
  review, the project list (and its next page), a zone's projects, a zone's ranking and an
  entry's result explanation, the progress reports waiting for review, the home page;
- unit liaisons open their progress reports and fill in the current one: save a draft, or
  submit it (a real POST through the form, with its CSRF token);
- evaluators open their queue and an entry's score form, then submit it with one score
  corrected (the entry's result and the zone's ranking are recomputed);
- API clients (staff with a token from ``/api/v1/auth/token/``) read projects, results, a
  zone's ranking and reports.

Everyone logs in through the real login form (or gets a token). A response other than the
expected status, or a page showing an error message, counts as a failure.

``LOAD_STEPS="10:30,25:30"`` switches to the step shape of the saturation run: users step up,
each step's figures measured once its users have logged in and written to ``LOAD_STEPS_OUT``.
"""

import json
import os
import random
import re
import time
from decimal import Decimal

import gevent
from locust import LoadTestShape, between, events, task
from locust.contrib.fasthttp import FastHttpUser
from locust.stats import StatsEntry

from benchmarks.load_pages import error_text, form_fields, links, shows_error

MANIFEST = {}
if os.environ.get("LOAD_MANIFEST"):
    with open(os.environ["LOAD_MANIFEST"], encoding="utf-8") as handle:
        MANIFEST = json.load(handle)

_wait = [float(s) for s in os.environ.get("LOAD_WAIT", "1,3").split(",")]
WAIT = between(_wait[0], _wait[-1])  # think time between two pages of one user
# Which staff log in: a province union has few staff but sees everything.
STAFF_MIX = [("province", 2), ("city", 3), ("district", 5)]
# Logging in (a password hash each) happens as users start; its figures are kept apart.
LOGIN_NAMES = {"/accounts/login/ (form)", "/accounts/login/ (log in)", "/api/v1/auth/token/"}
LOGINS = {"times": [], "failures": []}
# Measured from the moment all LOAD_USERS users have logged in, for LOAD_MEASURE_SECONDS.
MEASURE = {
    "users": int(os.environ.get("LOAD_USERS") or 0),
    "seconds": float(os.environ.get("LOAD_MEASURE_SECONDS") or 0),
    "ready": 0,
    "from": None,
    "to": None,
}


def mark(text):
    """Tell the runner (LOAD_MARKS) that a measurement starts or stops: it samples the CPU
    time of the server's processes then."""
    if os.environ.get("LOAD_MARKS"):
        with open(os.environ["LOAD_MARKS"], "a", encoding="utf-8") as marks:
            marks.write(text + "\n")


def _ready(user):
    """A user has logged in (or failed to): once all have, the figures start afresh and the
    run ends after the measured time."""
    MEASURE["ready"] += 1
    if MEASURE["users"] and MEASURE["ready"] == MEASURE["users"]:
        runner = user.environment.runner
        runner.stats.reset_all()
        MEASURE["from"] = time.time()
        mark("start")
        if MEASURE["seconds"]:

            def stop():
                MEASURE["to"] = time.time()
                mark("stop")
                runner.quit()

            gevent.spawn_later(MEASURE["seconds"], stop)


class Browser(FastHttpUser):
    """A person with a browser: logs in through the form, then reads pages."""

    abstract = True
    wait_time = WAIT

    def username(self) -> str:
        raise NotImplementedError

    def on_start(self):
        try:
            self.login(self.username())
        finally:
            _ready(self)

    def login(self, username):
        page = self.page("/accounts/login/", name="/accounts/login/ (form)")
        if page is None:
            return
        data = form_fields(page)
        data.update(username=username, password=MANIFEST["password"], next="/")
        with self.client.post(
            "/accounts/login/",
            data=data,
            name="/accounts/login/ (log in)",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"login of {username} refused (HTTP {response.status_code})")

    def page(self, url, name=None, expect=200) -> str | None:
        """GET a page; a failure unless it has the expected status and no error message.
        Returns its HTML, or None when it failed."""
        with self.client.get(url, name=name or url, catch_response=True) as response:
            return check(response, expect)

    def post_form(self, url, data, name, expect_location=None) -> str | None:
        """POST a form as the browser would; success is a redirect (the form saved), then
        the page it leads to is read as a request of its own. Returns that page's HTML."""
        with self.client.post(
            url, data=data, name=name, allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 302:
                text = error_text(response.text or "")
                response.failure(f"not saved (HTTP {response.status_code}){text}")
                return None
            location = response.headers.get("Location", "")
            if expect_location and not re.search(expect_location, location):
                response.failure(f"saved, but sent to {location}")
                return None
            response.success()
        return self.page(location, name=f"{name} → {_pattern(location)}")


def check(response, expect=200):
    """Mark the response: a failure unless it has the expected status and shows no error
    message. Returns its text, or None when it failed."""
    if response.status_code != expect:
        response.failure(f"HTTP {response.status_code}, expected {expect}")
        return None
    text = response.text or ""
    if shows_error(text):
        response.failure("the page shows an error message" + error_text(text))
        return None
    response.success()
    return text


def _pattern(url) -> str:
    """A URL with its ids replaced, so that the statistics group pages of one kind."""
    return re.sub(r"/\d+/", "/[id]/", url.split("?")[0])


def staff_username() -> str:
    groups = [g for g, _w in STAFF_MIX if MANIFEST["staff"].get(g)]
    weights = [w for g, w in STAFF_MIX if MANIFEST["staff"].get(g)]
    return random.choice(MANIFEST["staff"][random.choices(groups, weights)[0]])


class UnionStaff(Browser):
    """Staff of a province, city or district union browsing what waits for them."""

    weight = 3

    def username(self):
        return staff_username()

    @task(4)
    def review_queue(self):
        self.page("/review/")

    @task(3)
    def project_list(self):
        html = self.page("/projects/")
        if html and "page=2" in html and random.random() < 0.5:
            self.page("/projects/?page=2", name="/projects/?page=2")

    @task(1)
    def zone_projects(self):
        zone = random.choice(MANIFEST["zones"])
        self.page(f"/zones/{zone}/", name="/zones/[id]/")

    @task(4)
    def ranking_and_explanation(self):
        zone = random.choice(MANIFEST["zones"])
        html = self.page(f"/scoring/zones/{zone}/ranking/", name="/scoring/zones/[id]/ranking/")
        entries = links(html or "", r'href="(/scoring/projects/\d+/explanation/)"')
        if entries:
            self.page(random.choice(entries), name="/scoring/projects/[id]/explanation/")

    @task(2)
    def reports_to_review(self):
        html = self.page("/reports/")
        reports = links(html or "", r'href="(/reports/\d+/)"')
        if reports:
            self.page(random.choice(reports), name="/reports/[id]/")

    @task(1)
    def home(self):
        self.page("/")


class UnitLiaison(Browser):
    """A unit's liaison filing the period's progress report: a draft, or submitted."""

    weight = 3

    def username(self):
        return random.choice(MANIFEST["liaisons"])

    @task(1)
    def home(self):
        self.page("/")

    @task(4)
    def file_report(self):
        html = self.page("/reports/?status=due", name="/reports/?status=due")
        forms = links(html or "", r'href="(/reports/\d+/edit/)"')
        if not forms:
            self.page("/reports/?status=all", name="/reports/?status=all")
            return
        url = random.choice(forms)
        form = self.page(url, name="/reports/[id]/edit/")
        if form is None:
            return
        data = form_fields(form)
        planned = Decimal(re.search(r"(\d+(?:\.\d+)?)%", form).group(1)) if "%" in form else 50
        found = random.randint(0, 8)
        data.update(
            actual_percent=str(min(Decimal(100), max(Decimal(0), planned + random.randint(-8, 5)))),
            workers=str(random.randint(20, 400)),
            hidden_dangers_found=str(found),
            hidden_dangers_fixed=str(random.randint(0, found)),
            safety_incidents="0",
            quality_issues=str(random.randint(0, 3)),
            proposals=str(random.randint(0, 6)),
            proposals_benefit=f"{random.randint(0, 200000)}.00",
            innovations=str(random.randint(0, 2)),
            people_trained=str(random.randint(0, 120)),
            narrative="本期按计划推进，隐患已按期整改。",
        )
        if random.random() < 0.4:
            data["submit"] = ""
            self.post_form(url, data, "/reports/[id]/edit/ (submit)", r"/reports/\d+/$")
        else:
            data["save"] = ""
            self.post_form(url, data, "/reports/[id]/edit/ (save)", r"/reports/\d+/$")


class Evaluator(Browser):
    """An evaluator going through the queue: opens an entry and resubmits its scores with
    one of them corrected."""

    weight = 3

    def username(self):
        return random.choice(MANIFEST["evaluators"])

    @task(2)
    def queue(self):
        self.queue_html = self.page("/scoring/queue/")

    @task(5)
    def score(self):
        queue = getattr(self, "queue_html", None) or self.page("/scoring/queue/")
        self.queue_html = queue
        entries = links(queue or "", r'href="(/scoring/assignments/\d+/score/)"')
        if not entries:
            return
        url = random.choice(entries)
        form = self.page(url, name="/scoring/assignments/[id]/score/")
        if form is None:
            return
        data = form_fields(form, "score-form")
        scores = sorted(name for name in data if name.startswith("score_"))
        if not scores:
            return
        maxima = dict(re.findall(r'name="(score_\d+)"[^>]*data-max="([\d.]+)"', form))
        name = random.choice(scores)
        value = Decimal(data[name] or "80")
        top = Decimal(maxima.get(name, "100"))
        value = value + Decimal("0.5") if value + Decimal("0.5") <= top else value - 1
        data[name] = str(max(value, Decimal(0)))
        data["action"] = "submit"
        self.post_form(url, data, "/scoring/assignments/[id]/score/ (submit)")


class ApiClient(FastHttpUser):
    """An integration reading the API with a staff member's token."""

    weight = 1
    wait_time = WAIT

    def on_start(self):
        try:
            self.get_token()
        finally:
            _ready(self)

    def get_token(self):
        self.token = None
        with self.client.post(
            "/api/v1/auth/token/",
            json={"username": staff_username(), "password": MANIFEST["password"]},
            name="/api/v1/auth/token/",
            catch_response=True,
        ) as response:
            if response.status_code == 200:
                self.token = response.json()["token"]
                response.success()
            else:
                response.failure(f"no token (HTTP {response.status_code})")

    def get(self, url, name=None):
        if self.token is None:
            return None
        with self.client.get(
            url,
            name=name or url,
            headers={"Authorization": f"Token {self.token}", "Accept": "application/json"},
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
                return None
            response.success()
            return response.json()

    @task(3)
    def projects(self):
        first = self.get("/api/v1/projects/")
        if first and first.get("count", 0) > 50:
            page = random.randint(2, (first["count"] + 49) // 50)
            self.get(f"/api/v1/projects/?page={page}", name="/api/v1/projects/?page=[n]")

    @task(2)
    def results(self):
        zone = random.choice(MANIFEST["zones"])
        self.get(f"/api/v1/results/?zone={zone}", name="/api/v1/results/?zone=[id]")

    @task(2)
    def ranking(self):
        zone = random.choice(MANIFEST["zones"])
        self.get(f"/api/v1/zones/{zone}/ranking/", name="/api/v1/zones/[id]/ranking/")

    @task(2)
    def reports(self):
        self.get("/api/v1/reports/?status=submitted", name="/api/v1/reports/?status=submitted")

    @task(1)
    def campaigns(self):
        self.get("/api/v1/campaigns/")


def parse_steps(text) -> list[tuple[int, int]]:
    """``"10:30,25:30"`` → [(10, 30), (25, 30)]: users and seconds of each step."""
    steps = []
    for part in text.split(","):
        users, _sep, seconds = part.strip().partition(":")
        steps.append((int(users), int(seconds or 30)))
    return steps


if os.environ.get("LOAD_STEPS"):

    class StepShape(LoadTestShape):
        """Users step up; each step is measured from the moment its users have all logged in
        (at the latest from half-way through the step) to its end, logins left out, and its
        figures are written to ``LOAD_STEPS_OUT``."""

        steps = parse_steps(os.environ["LOAD_STEPS"])
        settle = 2  # seconds at least between a step's start and its measurement
        spawn_rate = float(os.environ.get("LOAD_SPAWN_RATE", "20"))

        def __init__(self):
            super().__init__()
            self.current, self.measuring, self.results = -1, False, []

        def tick(self):
            elapsed = self.get_run_time()
            start = 0
            for index, (users, seconds) in enumerate(self.steps):
                if elapsed < start + seconds:
                    if index != self.current:
                        self._close()
                        self.current, self.measuring = index, False
                    logged_in = MEASURE["ready"] >= users and elapsed >= start + self.settle
                    if not self.measuring and (logged_in or elapsed >= start + seconds / 2):
                        self.runner.stats.reset_all()
                        self.measuring, self.measured_from = True, elapsed
                        mark(f"start {users}")
                    return users, self.spawn_rate
                start += seconds
            self._close()
            return None

        def _close(self):
            """Record the step that is ending."""
            if self.current < 0 or not self.measuring:
                return
            mark(f"stop {self.steps[self.current][0]}")
            stats = self.runner.stats
            total = StatsEntry(stats, "pages", None)
            logins = 0
            for (name, _method), entry in stats.entries.items():
                if name in LOGIN_NAMES:
                    logins += entry.num_requests
                else:
                    total.extend(entry)
            seconds = max(self.get_run_time() - self.measured_from, 1e-9)
            self.results.append(
                {
                    "users": self.steps[self.current][0],
                    "seconds": round(seconds, 1),
                    "requests": total.num_requests,
                    "failures": total.num_failures,
                    "rps": total.num_requests / seconds,
                    "p50": total.get_response_time_percentile(0.5),
                    "p95": total.get_response_time_percentile(0.95),
                    "p99": total.get_response_time_percentile(0.99),
                    "logins": logins,
                }
            )
            self.measuring = False
            with open(os.environ["LOAD_STEPS_OUT"], "w", encoding="utf-8") as out:
                json.dump(self.results, out, indent=1)


@events.request.add_listener
def _record_login(name, response_time, exception=None, **_kwargs):
    if name in LOGIN_NAMES:
        LOGINS["times"].append(response_time)
        if exception is not None:
            LOGINS["failures"].append(f"{name}: {exception}")


@events.quitting.add_listener
def _write_logins(environment, **_kwargs):
    if os.environ.get("LOAD_LOGINS_OUT"):
        to = MEASURE["to"] or time.time()
        measured = to - MEASURE["from"] if MEASURE["from"] else None
        with open(os.environ["LOAD_LOGINS_OUT"], "w", encoding="utf-8") as out:
            json.dump({**LOGINS, "measured_seconds": measured}, out)


@events.init.add_listener
def _check_manifest(environment, **_kwargs):
    if not MANIFEST and not os.environ.get("LOAD_ALLOW_NO_MANIFEST"):
        raise SystemExit("LOAD_MANIFEST must name the manifest written by benchmarks.loadtest")
