"""Fault drill: the running system under load while PostgreSQL, Redis and the worker fail.

    .venv/bin/python -m benchmarks.faultdrill [--short] [--keep]

Everything runs on private servers started here, in a temporary directory, and removed at the
end: a PostgreSQL cluster (initdb, port 5441 or the next free one; as the ``postgres`` user
when run as root, since initdb refuses root), a redis-server (6391+, append-only file as in
docker-compose), gunicorn (127.0.0.1:8441+) and a Celery worker with beat. The demo is
seeded (``seed_demo``) and a draft honours rule added. Threads then request logged-in pages
without pause while the drill

  a. stops PostgreSQL (``pg_ctl stop -m fast``) for 10 s (5 s with --short) and starts it;
  b. stops Redis for as long, asks for an honours list meanwhile (API), and starts it again;
  c. SIGKILLs the worker (main process and pool) while it generates that list, held half
     way by a row lock the drill takes, and starts a new worker.

It records every request (second, status, latency) and prints, per second, the requests
that succeeded and failed (and how), then a summary per fault: the failures during the
outage and whether they were clean (503 with the "try again" page, no 500, no traceback, no
request over the client timeout), the time from the restart to the first success and to
steady success, and for b and c whether the work asked for was done once and right. It
exits 1 when a recovery does not happen or a failure is not clean.
"""

import argparse
import collections
import contextlib
import glob
import http.cookiejar
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
CLIENT_TIMEOUT = 10.0  # a request slower than this counts as a hang
RECOVERY_DEADLINE = 60.0  # seconds after a restart for the system to serve again
STEADY = 3  # consecutive clean seconds that count as recovered


# Processes ---------------------------------------------------------------------------------


def free_port(start: int) -> int:
    for port in range(start, start + 100):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port from {start}")


def pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=_version_key)
    if found:
        return Path(found[-1]).parent
    pg_ctl = shutil.which("pg_ctl")
    if pg_ctl:
        return Path(os.path.realpath(pg_ctl)).parent
    sys.exit("PostgreSQL server binaries (pg_ctl, initdb) not found")


def _version_key(path: str) -> int:
    match = re.search(r"/postgresql/(\d+)/", path)
    return int(match.group(1)) if match else 0


class Drill:
    def __init__(self, args):
        self.args = args
        self.short = args.short
        self.outage = 5.0 if self.short else 10.0
        self.visibility_timeout = 5 if self.short else 10
        self.dir = Path(tempfile.mkdtemp(prefix="faultdrill-"))
        self.dir.chmod(0o755)
        self.as_postgres = os.geteuid() == 0
        # PostgreSQL's own directory (data, socket, log), owned by the user that runs it.
        self.pg_dir = self.dir / "pg"
        self.pg_data = self.pg_dir / "data"
        self.pg_port = free_port(5441)
        self.redis_port = free_port(6391)
        self.http_port = free_port(8441)
        self.base = f"http://127.0.0.1:{self.http_port}"
        self.processes: dict[str, subprocess.Popen] = {}
        self.pg_started = False
        self.workers_started = 0
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_"))},
            "ENV_FILE": "/dev/null",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "PYTHONPATH": str(ROOT),
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "0",
            "SESSION_COOKIE_SECURE": "0",
            "CSRF_COOKIE_SECURE": "0",
            "SECURE_HSTS_SECONDS": "0",
            "STATIC_MANIFEST": "0",
            "MEDIA_ROOT": str(self.dir / "media"),
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:{self.pg_port}/jingsai",
            "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "EMAIL_URL": "consolemail://",
            # A killed worker's task comes back after 5-10 s (production: 15 min).
            "CELERY_VISIBILITY_TIMEOUT": str(self.visibility_timeout),
            "CELERY_BROKER_TRANSPORT_OPTIONS": json.dumps(
                {
                    "unacked_restore_interval": 1,
                    "unacked_restore_throttle": 1,
                    "unacked_mutex_expire": 5,
                }
            ),
            "LOG_LEVEL": "WARNING",
        }

    # PostgreSQL ------------------------------------------------------------------------

    def _pg(self, tool: str, *args: str, check=True) -> subprocess.CompletedProcess:
        command = [str(pg_bin() / tool), *args]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(
            command, check=check, capture_output=True, text=True, cwd=self.dir, timeout=120
        )

    def init_postgres(self):
        self.pg_dir.mkdir()
        if self.as_postgres:
            shutil.chown(self.pg_dir, "postgres", "postgres")
        self._pg(
            "initdb",
            "-D",
            str(self.pg_data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C",
        )
        self.start_postgres()
        self._pg(
            "createdb", "-h", "127.0.0.1", "-p", str(self.pg_port), "-U", "postgres", "jingsai"
        )

    def start_postgres(self):
        options = (
            f"-p {self.pg_port} -c listen_addresses=127.0.0.1 -k {self.pg_dir} "
            "-c fsync=off -c max_connections=100"
        )
        self._pg(
            "pg_ctl", "-D", str(self.pg_data), "-o", options, "-l", str(self.pg_dir / "server.log"),
            "-w", "start",
        )  # fmt: skip
        self.pg_started = True

    def stop_postgres(self, mode="fast"):
        self._pg("pg_ctl", "-D", str(self.pg_data), "-m", mode, "-w", "stop", check=False)
        self.pg_started = False

    # Redis, gunicorn, the worker -------------------------------------------------------

    def start_redis(self):
        self.processes["redis"] = subprocess.Popen(
            ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1"]
            + ["--dir", str(self.dir), "--appendonly", "yes", "--save", ""]
            + ["--logfile", str(self.dir / "redis.log")],
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_until(lambda: self.redis_ping(), 15, "redis-server did not start")

    def redis_ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.redis_port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop_redis(self):
        process = self.processes.pop("redis", None)
        if process and process.poll() is None:
            process.terminate()  # SIGTERM: Redis flushes its append-only file and exits
            process.wait(15)

    def start_web(self):
        log = (self.dir / "gunicorn.log").open("a")
        self.processes["web"] = subprocess.Popen(
            [PYTHON, "-m", "gunicorn", "config.wsgi:application"]
            + ["--bind", f"127.0.0.1:{self.http_port}", "--workers", "2", "--threads", "4"]
            + ["--timeout", "30", "--graceful-timeout", "5", "--access-logfile", "-"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_until(
            lambda: http_status(self.base + "/healthz/") == 200, 60, "gunicorn did not start"
        )

    def start_worker(self):
        self.workers_started += 1
        number = self.workers_started
        log = (self.dir / f"worker-{number}.log").open("a")
        self.processes["worker"] = subprocess.Popen(
            [PYTHON, "-m", "celery", "-A", "config", "worker", "--beat"]
            + ["--schedule", str(self.dir / "beat-schedule"), "--pool=prefork"]
            + ["--concurrency=2", "--loglevel=INFO", "--without-gossip", "--without-mingle"]
            + [f"--hostname=drill-{number}@%h"],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # main process, pool and beat in one process group
        )

    def kill_worker(self):
        process = self.processes.pop("worker", None)
        if process and process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)

    def cleanup(self):
        for name in ("worker", "web", "redis"):
            process = self.processes.pop(name, None)
            if process and process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(10)
        if self.pg_data.exists():
            self.stop_postgres("immediate")
        if self.args.keep:
            print(f"Kept {self.dir} (logs, data)")
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def tail(self, name: str, lines: int = 30) -> str:
        path = self.dir / name
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def wait_until(condition, timeout: float, message: str, step: float = 0.2):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise DrillError(message)
        time.sleep(step)


class DrillError(Exception):
    pass


# The Django side: seeding, the drill's honours rule, checking the lists ----------------------


def django_setup(env: dict):
    os.environ.update(env)
    import django

    django.setup()


def seed(drill: Drill) -> dict:
    """Migrate, seed the demo and add a draft honours rule on the locked demo zone; returns
    what the load and the scenarios need (zone id, rule id, list id, the expected entries)."""
    from decimal import Decimal

    from django.core.management import call_command
    from django.db import connections

    from awards import services
    from awards.demo import ZONE
    from awards.models import HonourList, HonourRule, HonourType
    from competitions.demo import DEMO_PASSWORD, build_demo
    from competitions.models import Zone

    call_command("migrate", verbosity=0, interactive=False)
    build_demo()  # seed_demo without the summaries, which the drill does not need
    zone = Zone.objects.select_related("campaign").get(name=ZONE)
    honour_type, _ = HonourType.objects.get_or_create(
        name="故障演练先进集体",
        level=HonourType.Level.CITY,
        defaults={"recipient": HonourType.Recipient.UNIT},
    )
    rule, _ = HonourRule.objects.get_or_create(
        campaign=zone.campaign,
        zone=zone,
        honour_type=honour_type,
        defaults={"quota": 3, "min_score": Decimal("60")},
    )
    # The entries of an uninterrupted generation; each later run replaces them.
    services.generate(rule)
    expected = list_entries(rule.pk)
    honour_list = HonourList.objects.get(rule=rule)
    connections.close_all()
    return {
        "zone": zone.pk,
        "rule": rule.pk,
        "list": honour_list.pk,
        "expected": expected,
        "password": DEMO_PASSWORD,
    }


def list_entries(rule_id: int) -> list[tuple]:
    from awards.models import HonourListEntry

    return list(
        HonourListEntry.objects.filter(honour_list__rule_id=rule_id, removed_at__isnull=True)
        .order_by("rank", "recipient_key")
        .values_list("recipient_key", "rank", "score", "over_quota", "source")
    )


def lists_of(rule_id: int) -> list:
    """When each list of the rule was generated (there must be one)."""
    from awards.models import HonourList

    return list(HonourList.objects.filter(rule_id=rule_id).values_list("generated_at", flat=True))


def last_message(task: str) -> str:
    from dispatch.models import OutboxMessage

    message = OutboxMessage.objects.filter(task=task).order_by("-pk").first()
    if message is None:
        return "none"
    waited = (message.sent_at - message.created_at).total_seconds() if message.sent_at else None
    return f"{message.attempts} attempts, sent after {waited} s, last error {message.last_error!r}"


def close_db():
    from django.db import connections

    connections.close_all()


# HTTP --------------------------------------------------------------------------------------


def http_status(url: str, timeout: float = 2.0) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except (OSError, urllib.error.URLError):
        return None


class Session:
    """A logged-in browser: cookies, CSRF token from the login form."""

    def __init__(self, base: str, username: str, password: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        page = self.opener.open(base + "/accounts/login/", timeout=CLIENT_TIMEOUT).read()
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        body = urllib.parse.urlencode(
            {"username": username, "password": password, "csrfmiddlewaretoken": token.decode()}
        ).encode()
        request = urllib.request.Request(
            base + "/accounts/login/", data=body, headers={"Referer": base + "/accounts/login/"}
        )
        self.opener.open(request, timeout=CLIENT_TIMEOUT).read()
        if not any(cookie.name == "sessionid" for cookie in self.jar):
            raise DrillError(f"could not log in as {username}")

    def get(self, path: str):
        """(status or None, kind, body head) of one GET, never raising."""
        try:
            with self.opener.open(self.base + path, timeout=CLIENT_TIMEOUT) as response:
                response.read()
                return response.status, "ok", b""
        except urllib.error.HTTPError as error:
            body = error.read()
            retry = error.headers.get("Retry-After")
            if error.code == 503 and retry and b"Traceback" not in body:
                return 503, "503", body[:200]
            return error.code, f"http {error.code}", body[:200]
        except TimeoutError:
            return None, "hang", b""
        except (OSError, urllib.error.URLError) as error:
            reason = getattr(error, "reason", error)
            kind = "hang" if isinstance(reason, TimeoutError) else "no connection"
            return None, kind, b""


def api(base: str, method: str, path: str, token: str | None = None, data=None):
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    body = None
    if data is not None:
        body = json.dumps(data).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(base + path, data=body, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=CLIENT_TIMEOUT) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        content = error.read()
        try:
            return error.code, json.loads(content)
        except ValueError:
            return error.code, content[:200]


def healthz(base: str) -> dict:
    """``/healthz/`` as a dict: overall, database, redis, outbox."""
    try:
        with urllib.request.urlopen(base + "/healthz/", timeout=CLIENT_TIMEOUT) as response:
            text = response.read().decode()
    except urllib.error.HTTPError as error:
        text = error.read().decode(errors="replace")
    except (OSError, urllib.error.URLError):
        return {"overall": "no answer"}
    lines = text.splitlines()
    facts = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    return {"overall": lines[0] if lines else "", **facts}


# Load --------------------------------------------------------------------------------------


@dataclass
class Record:
    start: float
    end: float
    path: str
    status: int | None
    kind: str
    detail: bytes = b""


@dataclass
class Load:
    base: str
    sessions: list  # (Session, the paths it requests in turn)
    records: list = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self):
        self.threads = [
            threading.Thread(target=self._loop, args=(n,), daemon=True)
            for n in range(len(self.sessions))
        ]
        for thread in self.threads:
            thread.start()

    def _loop(self, number: int):
        session, paths = self.sessions[number]
        turn = number
        while not self.stop.is_set():
            path = paths[turn % len(paths)]
            turn += 1
            start = time.monotonic()
            status, kind, body = session.get(path)
            with self.lock:
                self.records.append(Record(start, time.monotonic(), path, status, kind, body))
            time.sleep(0.05)

    def finish(self):
        self.stop.set()
        for thread in self.threads:
            thread.join(CLIENT_TIMEOUT + 5)

    def between(self, start: float, end: float) -> list[Record]:
        with self.lock:
            return [r for r in self.records if start <= r.end < end]


# Scenarios ---------------------------------------------------------------------------------


@dataclass
class Outcome:
    name: str
    outage: float = 0.0
    requests: int = 0
    ok: int = 0
    failures: collections.Counter = field(default_factory=collections.Counter)
    max_latency: float = 0.0
    first_ok: float | None = None
    steady: float | None = None
    notes: list = field(default_factory=list)
    problems: list = field(default_factory=list)


def observe(load: Load, outcome: Outcome, fault: float, restart: float, clean_kinds: set):
    """Wait for recovery after ``restart`` and fill ``outcome`` from the load's records."""
    deadline = restart + RECOVERY_DEADLINE
    while time.monotonic() < deadline:
        second = _steady_since(load, restart)
        if second is not None:
            break
        time.sleep(0.5)
    during = load.between(fault, time.monotonic())
    outcome.requests = len(during)
    outcome.ok = sum(r.kind == "ok" for r in during)
    outcome.failures.update(r.kind for r in during if r.kind != "ok")
    outcome.max_latency = max((r.end - r.start for r in during), default=0.0)
    after = [r for r in during if r.start >= restart and r.kind == "ok"]
    outcome.first_ok = (min(r.end for r in after) - restart) if after else None
    second = _steady_since(load, restart)
    outcome.steady = None if second is None else max(0.0, second - restart)
    if outcome.steady is None:
        outcome.problems.append(f"no {STEADY} clean seconds within {RECOVERY_DEADLINE:.0f} s")
    unclean = {kind: n for kind, n in outcome.failures.items() if kind not in clean_kinds}
    if unclean:
        outcome.problems.append(f"unclean failures: {dict(unclean)}")
        examples = {}
        for r in during:
            if r.kind in unclean and r.kind not in examples:
                examples[r.kind] = f"{r.path}: {r.detail[:160]!r}"
        outcome.problems.extend(f"  e.g. {kind} {text}" for kind, text in examples.items())


def _steady_since(load: Load, restart: float) -> float | None:
    """The start of the first run of STEADY whole seconds after ``restart`` in which every
    request succeeded (and there were requests)."""
    now = time.monotonic()
    second = restart
    run_start, run = None, 0
    while second + 1 <= now:
        window = load.between(second, second + 1)
        if window and all(r.kind == "ok" for r in window):
            run_start = second if run == 0 else run_start
            run += 1
            if run >= STEADY:
                return run_start
        else:
            run = 0
        second += 1
    return None


def scenario_postgres(drill: Drill, load: Load) -> Outcome:
    outcome = Outcome("a. PostgreSQL stopped", outage=drill.outage)
    close_db()
    fault = time.monotonic()
    drill.stop_postgres("fast")
    outcome.notes.append(f"healthz during: {healthz(drill.base)}")
    time.sleep(max(0.0, drill.outage - (time.monotonic() - fault)))
    drill.start_postgres()
    restart = time.monotonic()
    outcome.outage = restart - fault
    observe(load, outcome, fault, restart, clean_kinds={"503"})
    outcome.notes.append(f"healthz after: {healthz(drill.base)}")
    return outcome


def scenario_redis(drill: Drill, load: Load, facts: dict, token: str) -> Outcome:
    outcome = Outcome("b. Redis stopped", outage=drill.outage)
    close_db()
    before = lists_of(facts["rule"])
    fault = time.monotonic()
    drill.stop_redis()
    time.sleep(1)
    # Work asked for while Redis is down: saved, its task kept in the outbox.
    started = time.monotonic()
    status, body = api(drill.base, "POST", f"/api/v1/honour-lists/{facts['list']}/generate/", token)
    asked = time.monotonic() - started
    outcome.notes.append(f"generate during the outage: {status} in {asked * 1000:.0f} ms")
    if status != 202:
        outcome.problems.append(f"generation refused during the outage: {status} {body}")
    during = healthz(drill.base)
    outcome.notes.append(f"healthz during: {during}")
    if not during.get("outbox", "").startswith("1 waiting"):
        outcome.problems.append("the generation task is not kept in the outbox")
    time.sleep(max(0.0, drill.outage - (time.monotonic() - fault)))
    drill.start_redis()
    restart = time.monotonic()
    outcome.outage = restart - fault
    observe(load, outcome, fault, restart, clean_kinds=set())  # pages never fail
    try:
        wait_until(
            lambda: healthz(drill.base).get("outbox") == "0 waiting", RECOVERY_DEADLINE, "outbox"
        )
        outcome.notes.append(f"outbox sent {time.monotonic() - restart:.1f} s after restart")
        wait_until(lambda: _job_state(drill, facts, token) == "done", RECOVERY_DEADLINE, "job")
        outcome.notes.append(f"list generated {time.monotonic() - restart:.1f} s after restart")
    except DrillError as error:
        outcome.problems.append(f"the work asked for during the outage was not done: {error}")
    _check_list(outcome, facts, before)
    outcome.notes.append(f"its outbox message: {last_message('awards.tasks.generate_honour_list')}")
    return outcome


def scenario_worker(drill: Drill, load: Load, facts: dict, token: str) -> Outcome:
    import psycopg

    outcome = Outcome("c. worker SIGKILLed mid-generation")
    close_db()
    before = lists_of(facts["rule"])
    holder = psycopg.connect(
        host="127.0.0.1", port=drill.pg_port, user="postgres", dbname="jingsai"
    )
    try:
        # Hold the list's entries: the generation marks itself running, takes the rule's
        # lock and waits there to replace them, half way through its transaction.
        holder.execute(
            "SELECT id FROM awards_honourlistentry WHERE honour_list_id = %s FOR UPDATE",
            [facts["list"]],
        )
        status, _ = api(
            drill.base, "POST", f"/api/v1/honour-lists/{facts['list']}/generate/", token
        )
        if status != 202:
            outcome.problems.append(f"generation refused: {status}")
        wait_until(lambda: _job_state(drill, facts, token) == "running", 30, "job never ran")
        fault = time.monotonic()
        drill.kill_worker()
        outcome.notes.append("worker killed while the job was running")
    finally:
        holder.rollback()
        holder.close()
    drill.start_worker()
    restart = time.monotonic()
    try:
        wait_until(lambda: _job_state(drill, facts, token) == "done", RECOVERY_DEADLINE, "job")
        outcome.notes.append(f"list generated {time.monotonic() - restart:.1f} s after the restart")
    except DrillError:
        outcome.problems.append("the generation did not run again after the worker restart")
    observe(load, outcome, fault, restart, clean_kinds=set())
    _check_list(outcome, facts, before)
    return outcome


def _job_state(drill: Drill, facts: dict, token: str) -> str | None:
    status, body = api(drill.base, "GET", f"/api/v1/honour-lists/{facts['list']}/job/", token)
    return body.get("state") if status == 200 and isinstance(body, dict) else None


def _check_list(outcome: Outcome, facts: dict, before: list):
    """One list, generated again after ``before``, with the uninterrupted run's entries."""
    close_db()
    entries, lists = list_entries(facts["rule"]), lists_of(facts["rule"])
    if len(lists) != 1 or entries != facts["expected"] or lists[0] <= before[0]:
        outcome.problems.append(
            f"the list is not the uninterrupted one: {len(lists)} lists, {len(entries)} "
            f"entries (expected {len(facts['expected'])}), generated {lists} (before {before})"
        )
    else:
        outcome.notes.append(f"one list, {len(entries)} entries, as an uninterrupted run")


# Reports -----------------------------------------------------------------------------------


def print_seconds(load: Load, origin: float, start: float, end: float, title: str):
    print(f"\n{title}: per second (t from the fault)")
    print(f"{'t':>4} {'ok':>4} {'503':>4} {'other':>6} {'hang':>5} {'max ms':>7}")
    second = start
    while second < end:
        window = load.between(second, second + 1)
        kinds = collections.Counter(r.kind for r in window)
        other = sum(n for kind, n in kinds.items() if kind not in ("ok", "503", "hang"))
        worst = max((r.end - r.start for r in window), default=0.0)
        print(
            f"{second - origin:>4.0f} {kinds['ok']:>4} {kinds['503']:>4} {other:>6} "
            f"{kinds['hang']:>5} {worst * 1000:>7.0f}"
        )
        second += 1


def print_summary(outcomes: list[Outcome]):
    print("\nSummary")
    header = (
        f"{'fault':<36} {'down s':>6} {'reqs':>5} {'ok':>5} {'failed':>7} "
        f"{'max ms':>7} {'1st ok s':>8} {'steady s':>8}  failures"
    )
    print(header)
    print("-" * len(header))
    for o in outcomes:
        first = "-" if o.first_ok is None else f"{o.first_ok:.1f}"
        steady = "never" if o.steady is None else f"{o.steady:.1f}"
        failed = sum(o.failures.values())
        kinds = ", ".join(f"{kind} ×{n}" for kind, n in sorted(o.failures.items())) or "none"
        print(
            f"{o.name:<36} {o.outage:>6.1f} {o.requests:>5} {o.ok:>5} {failed:>7} "
            f"{o.max_latency * 1000:>7.0f} {first:>8} {steady:>8}  {kinds}"
        )
    for o in outcomes:
        for note in o.notes:
            print(f"  {o.name[:2]} {note}")
        for problem in o.problems:
            print(f"  {o.name[:2]} PROBLEM: {problem}")


# Main --------------------------------------------------------------------------------------


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--short", action="store_true", help="5 s outages (CI, under 2 min)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args(argv)
    if shutil.which("redis-server") is None:
        print("redis-server is not installed", file=sys.stderr)
        return 2
    drill = Drill(args)
    outcomes: list[Outcome] = []
    began = time.monotonic()
    previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        print(
            f"Private PostgreSQL :{drill.pg_port}, Redis :{drill.redis_port}, "
            f"gunicorn :{drill.http_port} in {drill.dir}",
            flush=True,
        )
        drill.init_postgres()
        drill.start_redis()
        django_setup(drill.env)
        print(f"Servers up after {time.monotonic() - began:.0f} s; seeding.", flush=True)
        facts = seed(drill)
        drill.start_web()
        drill.start_worker()
        print(f"Ready after {time.monotonic() - began:.0f} s; load starts.", flush=True)
        status, body = api(
            drill.base,
            "POST",
            "/api/v1/auth/token/",
            data={"username": "city", "password": facts["password"]},
        )
        token = body["token"]
        staff_pages = [
            "/",
            "/projects/",
            f"/scoring/zones/{facts['zone']}/ranking/",
            "/honours/",
            f"/honours/rules/{facts['rule']}/",
        ]
        unit_pages = ["/", "/projects/", "/reports/", "/honours/"]
        password = facts["password"]
        sessions = [(Session(drill.base, "city", password), staff_pages) for _ in range(4)]
        sessions += [(Session(drill.base, "hotel", password), unit_pages) for _ in range(2)]
        load = Load(drill.base, sessions)
        load.run()
        time.sleep(2 if args.short else 5)
        windows = []
        for run in (
            lambda: scenario_postgres(drill, load),
            lambda: scenario_redis(drill, load, facts, token),
            lambda: scenario_worker(drill, load, facts, token),
        ):
            start = time.monotonic()
            outcome = run()
            outcomes.append(outcome)
            windows.append((outcome, start, time.monotonic()))
            print(f"{outcome.name}: done", flush=True)
            time.sleep(1)
        load.finish()
        for outcome, start, end in windows:
            print_seconds(load, start, start - 1, end + 1, outcome.name)
        print_summary(outcomes)
    except (DrillError, subprocess.CalledProcessError) as error:
        print(f"\nDRILL FAILED: {error}", file=sys.stderr)
        if isinstance(error, subprocess.CalledProcessError):
            print(error.stderr, file=sys.stderr)
        for log in ("gunicorn.log", "worker-1.log", "worker-2.log", "pg/server.log", "redis.log"):
            print(f"--- {log}\n{drill.tail(log)}", file=sys.stderr)
        return 1
    finally:
        drill.cleanup()
        signal.signal(signal.SIGTERM, previous)
    failed = [o for o in outcomes if o.problems]
    print(f"\nDrill took {time.monotonic() - began:.0f} s: ", end="")
    print("FAILED" if failed else "every fault recovered cleanly.")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
