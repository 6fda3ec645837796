"""Load test of the whole platform: gunicorn, PostgreSQL, Redis and a Celery worker, driven
by locust (``benchmarks/locustfile.py``), headless, bounded in users and time, on 127.0.0.1.

    .venv/bin/python -m benchmarks.loadtest                 # 50 users for 60 s, the target
    .venv/bin/python -m benchmarks.loadtest --saturation    # step users up, find the ceiling
    .venv/bin/python -m benchmarks.loadtest --short         # CI: small dataset, 20 users, 15 s

It creates the PostgreSQL database if missing (``jingsai_load``; ``DATABASE_URL`` or
``--database-url`` name another), migrates it, builds the province-scale dataset of
``benchmarks/dataset.py`` with the load data of ``benchmarks/load_data.py`` unless a dataset of
that size is there already, starts gunicorn (DEBUG off, plain http on 127.0.0.1) and a Celery
worker (Redis ``redis://127.0.0.1:6379/8`` unless ``REDIS_URL``/``--redis-url``), runs locust,
stops everything it started (on failure and Ctrl-C too) and prints, per request type and for
all requests, the number of requests, the throughput, p50/p95/p99 and the failures, then the
verdict against the target: no failures and p95 ≤ 500 ms. The figures cover ``--duration``
from the moment every user has logged in; the logins (one password hash each) are reported
apart. It also prints the CPU time a request cost the web workers, the Celery worker and
PostgreSQL, and the throughput that allows on the machine's cores: a figure that holds even
while other work shares the machine.

A dataset it built is removed at the end (the database too, if it created it) unless
``--keep-data``; a dataset found in the database is used and kept (``--rebuild`` replaces
it, ``--data-only`` only builds it, ``--delete-data`` removes it). Only hosts 127.0.0.1 and
localhost are accepted, for the server, the database and Redis.
"""

import argparse
import contextlib
import csv
import json
import math
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LOCAL_HOSTS = ("127.0.0.1", "localhost")
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/jingsai_load"
DEFAULT_REDIS = "redis://127.0.0.1:6379/8"
TARGET_P95_MS = 500
SHORT_P95_MS = 1500  # CI shares its machine: a loose bound, errors still fail the run
SATURATION_STEPS = "10,25,50,100,150,200"


class NotLocal(ValueError):
    """A host other than 127.0.0.1 or localhost."""


def require_local(url_or_host: str) -> str:
    """The host of ``url_or_host`` if it is 127.0.0.1 or localhost; NotLocal otherwise. The
    load test never sends load, or builds data, anywhere else."""
    text = url_or_host.strip()
    host = urlsplit(text).hostname if "://" in text else text.split(":")[0]
    if (host or "").lower() not in LOCAL_HOSTS:
        raise NotLocal(
            f"refusing {url_or_host!r}: the load test runs against 127.0.0.1 or localhost only"
        )
    return host


# --- Locust's CSV ---------------------------------------------------------------------------


@dataclass
class Row:
    method: str
    name: str
    requests: int
    failures: int
    rps: float
    p50: float | None
    p95: float | None
    p99: float | None


def _number(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None  # "N/A": no requests


def parse_stats(path) -> tuple[list[Row], Row]:
    """Locust's ``<prefix>_stats.csv``: the rows per request type (busiest first) and the
    aggregate row."""
    rows, total = [], None
    with open(path, newline="", encoding="utf-8") as handle:
        for record in csv.DictReader(handle):
            row = Row(
                method=record["Type"],
                name=record["Name"],
                requests=int(record["Request Count"]),
                failures=int(record["Failure Count"]),
                rps=float(record["Requests/s"]),
                p50=_number(record["50%"]),
                p95=_number(record["95%"]),
                p99=_number(record["99%"]),
            )
            if row.name == "Aggregated":
                total = row
            elif row.requests:
                rows.append(row)
    if total is None:
        raise ValueError(f"{path}: no Aggregated row")
    rows.sort(key=lambda r: (-r.requests, r.name))
    return rows, total


def parse_failures(path) -> list[tuple[int, str]]:
    """Locust's ``<prefix>_failures.csv``: (occurrences, "METHOD name: error"), most first."""
    if not Path(path).exists():
        return []
    with open(path, newline="", encoding="utf-8") as handle:
        found = [
            (int(r["Occurrences"]), f"{r['Method']} {r['Name']}: {r['Error']}")
            for r in csv.DictReader(handle)
        ]
    return sorted(found, reverse=True)


def parse_logins(path) -> dict:
    """The logins recorded by the locustfile as the users started (``logins.json``): their
    number, p50, p95 and slowest time in ms, and the failures."""
    data = {"times": [], "failures": []}
    if Path(path).exists():
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    times = sorted(data["times"])

    def percentile(share):
        return times[min(len(times) - 1, math.ceil(share * len(times)) - 1)] if times else None

    return {
        "measured_seconds": data.get("measured_seconds"),
        "count": len(times),
        "p50": percentile(0.5),
        "p95": percentile(0.95),
        "max": times[-1] if times else None,
        "failures": data["failures"],
    }


def verdict(total: Row, max_p95_ms: float, login_failures=0) -> tuple[bool, str]:
    """PASS when nothing failed (logins included) and the aggregate p95 is within the bound."""
    problems = []
    if total.requests == 0:
        problems.append("no requests were made")
    if total.failures:
        problems.append(f"{total.failures} failures")
    if login_failures:
        problems.append(f"{login_failures} failed logins")
    if total.p95 is None or total.p95 > max_p95_ms:
        problems.append(f"p95 {_ms(total.p95)} > {max_p95_ms:g} ms")
    if problems:
        return False, "FAIL (" + "; ".join(problems) + ")"
    return True, f"PASS (no failures, p95 {_ms(total.p95)} ≤ {max_p95_ms:g} ms)"


def _ms(value) -> str:
    return "n/a" if value is None else f"{value:.0f} ms"


def table(rows: list[Row], total: Row) -> str:
    """The figures as a fixed-width table, the aggregate last."""
    width = max([len(f"{r.method} {r.name}") for r in rows] + [len("All requests")])
    head = f"{'request':<{width}}  {'requests':>8}  {'req/s':>7}  {'p50 ms':>6}  "
    head += f"{'p95 ms':>6}  {'p99 ms':>6}  {'failures':>8}"
    lines = [head, "-" * len(head)]

    def line(label, r):
        cells = [_cell(r.p50), _cell(r.p95), _cell(r.p99)]
        return (
            f"{label:<{width}}  {r.requests:>8}  {r.rps:>7.2f}  {cells[0]:>6}  {cells[1]:>6}  "
            f"{cells[2]:>6}  {r.failures:>8}"
        )

    lines += [line(f"{r.method} {r.name}", r) for r in rows]
    lines += ["-" * len(head), line("All requests", total)]
    return "\n".join(lines)


def _cell(value) -> str:
    return "-" if value is None else f"{value:.0f}"


def steps_table(steps: list[dict], max_p95_ms: float) -> str:
    """The saturation run: one line per step, then the highest throughput reached."""
    lines = [
        f"{'users':>5}  {'req/s':>7}  {'p50 ms':>6}  {'p95 ms':>6}  {'p99 ms':>6}  "
        f"{'requests':>8}  {'failures':>8}  {'CPU ms/request':>14}"
    ]
    for s in steps:
        lines.append(
            f"{s['users']:>5}  {s['rps']:>7.2f}  {_cell(s['p50']):>6}  {_cell(s['p95']):>6}  "
            f"{_cell(s['p99']):>6}  {s['requests']:>8}  {s['failures']:>8}  "
            f"{_cell(s.get('cpu_ms')):>14}"
        )
    if steps:
        best = max(steps, key=lambda s: s["rps"])
        lines.append(f"Highest throughput: {best['rps']:.1f} req/s at {best['users']} users.")
        within = [s for s in steps if s["p95"] is not None and s["p95"] <= max_p95_ms]
        if within:
            top = max(within, key=lambda s: s["rps"])
            lines.append(
                f"Highest throughput with p95 ≤ {max_p95_ms:g} ms: {top['rps']:.1f} req/s at "
                f"{top['users']} users."
            )
        else:
            lines.append(f"No step had p95 ≤ {max_p95_ms:g} ms.")
    return "\n".join(lines)


# --- Processes ------------------------------------------------------------------------------


class Processes:
    """The processes this run started, each in a session of its own; ``stop`` ends exactly
    those (TERM, then KILL after a grace period), whatever happened."""

    def __init__(self):
        self.started = []

    def start(self, name, args, log_path, env):
        log = open(log_path, "ab")  # noqa: SIM115 - closed in stop()
        process = subprocess.Popen(
            [str(a) for a in args],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.started.append((name, process, log))
        return process

    def stop(self, grace=15):
        for _name, process, _log in reversed(self.started):
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for _name, process, log in reversed(self.started):
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            # Children left behind in the session (a worker's pool): end them too.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            log.close()
        self.started = []


def free_port(host, first) -> int:
    for port in range(first, first + 100):
        with socket.socket() as probe:
            # As gunicorn binds: a port whose last connections are in TIME_WAIT is free.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port from {first} on {host}")


def wait_for_http(url, process, seconds=60):
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server stopped (exit code {process.returncode})")
        with contextlib.suppress(OSError), opener.open(url, timeout=2) as response:
            if response.status == 200:
                return
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {seconds} s")


def wait_for_worker(app, process, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the Celery worker stopped (exit code {process.returncode})")
        if app.control.ping(timeout=1):
            return
    raise RuntimeError(f"the Celery worker did not answer within {seconds} s")


class CpuMeter:
    """What requests cost whatever else the machine is doing: the CPU time of the web
    workers, of the Celery worker and of the database's backends, and the requests served
    (lines of gunicorn's access log), sampled at the marks the locustfile writes when a
    measurement starts and stops."""

    def __init__(self, server, worker, database_url, access_log):
        import psycopg

        self.server, self.worker, self.access_log = server.pid, worker.pid, access_log
        self.locust = None  # the load generator, once started
        self.connection = psycopg.connect(database_url.replace("postgres://", "postgresql://"))
        self.connection.autocommit = True
        self.database = urlsplit(database_url).path.lstrip("/")

    def sample(self) -> dict:
        backends = self.connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [self.database],
        ).fetchall()
        return {
            "web": _cpu([self.server, *_children(self.server)]),
            "tasks": _cpu([self.worker, *_children(self.worker)]),
            "db": _cpu([pid for (pid,) in backends]),
            "requests": _lines(self.access_log),
            "locust": _cpu([self.locust] if self.locust else []),
            "time": time.monotonic(),
        }

    def close(self):
        self.connection.close()

    @staticmethod
    def between(start: dict, end: dict) -> dict:
        """CPU ms per request (web, tasks, database, all) between two samples."""
        requests = max(end["requests"] - start["requests"], 1)
        costs = {
            part: sum(end[part][pid] - start[part].get(pid, 0.0) for pid in end[part])
            * 1000
            / requests
            for part in ("web", "tasks", "db", "locust")
        }
        costs["all"] = costs["web"] + costs["tasks"] + costs["db"]
        costs["requests"] = end["requests"] - start["requests"]
        costs["seconds"] = end["time"] - start["time"]
        return costs


def _children(pid) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if int(_stat(entry.name)[1]) == pid:
                    found.append(int(entry.name))
    return found


def _stat(pid) -> list[str]:
    """/proc/<pid>/stat after the command name: state, ppid, … utime (11), stime (12)."""
    with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
        return handle.read().rsplit(")", 1)[1].split()


def _cpu(pids) -> dict:
    ticks = os.sysconf("SC_CLK_TCK")
    seconds = {}
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = _stat(pid)
            seconds[pid] = (int(fields[11]) + int(fields[12])) / ticks
    return seconds


def _lines(path) -> int:
    with contextlib.suppress(OSError), open(path, "rb") as handle:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 16), b""))
    return 0


# --- The database ---------------------------------------------------------------------------


def ensure_database(url) -> bool:
    """Create the database named in ``url`` if missing; True when it was created."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    maintenance = urlunsplit(parts._replace(path="/postgres", scheme="postgresql"))
    with psycopg.connect(maintenance, autocommit=True) as connection:
        if connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return False
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return True


def drop_database(url):
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    maintenance = urlunsplit(parts._replace(path="/postgres", scheme="postgresql"))
    with psycopg.connect(maintenance, autocommit=True) as connection:
        connection.execute(
            # FORCE: a connection of a process just stopped may not have ended yet.
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(parts.path.lstrip("/"))
            )
        )


# --- The run --------------------------------------------------------------------------------


def options(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.loadtest",
        description="Load test on gunicorn + PostgreSQL + Redis + a Celery worker, 127.0.0.1 only.",
    )
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--spawn-rate", type=float, default=5, help="users started a second")
    parser.add_argument("--duration", default="60s", help="locust's --run-time, e.g. 60s, 2m")
    parser.add_argument(
        "--saturation",
        action="store_true",
        help="step the users up (--steps, --step-seconds) and report each step",
    )
    parser.add_argument("--steps", default=SATURATION_STEPS, help="users of each step")
    parser.add_argument("--step-seconds", type=int, default=30)
    parser.add_argument(
        "--short",
        action="store_true",
        help=f"CI: --projects 1000, 20 users for 15 s, p95 bound {SHORT_P95_MS} ms",
    )
    parser.add_argument("--projects", type=int, help="dataset size (default 10000)")
    parser.add_argument("--p95", type=float, help=f"p95 bound in ms (default {TARGET_P95_MS})")
    parser.add_argument("--keep-data", action="store_true", help="keep a dataset built now")
    parser.add_argument(
        "--rebuild", action="store_true", help="replace a dataset of that size with a new one"
    )
    parser.add_argument(
        "--delete-data", action="store_true", help="delete the kept load datasets and stop"
    )
    parser.add_argument(
        "--data-only", action="store_true", help="migrate, build or find the dataset, keep it, stop"
    )
    parser.add_argument("--workers", type=int, default=5, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker")
    parser.add_argument("--wait", default="1,3", help="users' think time, min,max seconds")
    parser.add_argument("--host", default="127.0.0.1", help="127.0.0.1 or localhost")
    parser.add_argument("--port", type=int, default=8101, help="first port to try")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", DEFAULT_DATABASE))
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", DEFAULT_REDIS))
    parser.add_argument("--out", help="directory for locust's CSV and the logs")
    args = parser.parse_args(argv)
    if args.short:
        args.projects = args.projects or 1000
        if args.users == parser.get_default("users"):
            args.users = 20
        if args.duration == parser.get_default("duration"):
            args.duration = "15s"
        if args.spawn_rate == parser.get_default("spawn_rate"):
            args.spawn_rate = 10
        args.p95 = args.p95 or SHORT_P95_MS
    args.projects = args.projects or 10_000
    args.p95 = args.p95 or TARGET_P95_MS
    args.keep_data = args.keep_data or args.data_only
    for where in (args.host, args.database_url, args.redis_url):
        try:
            require_local(where)
        except NotLocal as error:
            parser.error(str(error))
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        parser.error("the load test needs PostgreSQL (--database-url postgres://…)")
    return args


def log(message=""):
    print(message, flush=True)


def server_env(args, out: Path) -> dict:
    """The environment of Django here and in the server and worker: production settings
    (DEBUG off), plain http on loopback."""
    return {
        **os.environ,
        "ENV_FILE": "/dev/null",
        "DEBUG": "0",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": os.environ.get("LOAD_SECRET_KEY") or secrets.token_urlsafe(40),
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "SECURE_HSTS_SECONDS": "0",
        # No collectstatic (over a minute): WhiteNoise serves the sources; locust does not
        # fetch static files and a page names them the same either way.
        "STATIC_MANIFEST": "0",
        "STATIC_ROOT": str(out / "static"),
        "LOG_LEVEL": "WARNING",
        # Every simulated client comes from 127.0.0.1, which the per-address throttle of
        # anonymous API calls (the token endpoint) would take for one client.
        "API_ANON_RATE": "100000/minute",
        "CACHE_KEY_PREFIX": "jingsai-load",
        # Database connections kept for the whole run (production: 60 s), so that the CPU
        # time of their backends can be measured (a reconnection a minute costs nothing).
        "CONN_MAX_AGE": "3600",
    }


def prepare_data(args, say):
    """Migrate; find or build the dataset. Returns (name, built now)."""
    from django.core.management import call_command

    from . import load_data
    from .dataset import build

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    say(f"Migrated in {time.perf_counter() - started:.1f} s.")
    found = [name for name, entries in load_data.load_datasets() if entries == args.projects]
    if found and not args.rebuild:
        say(f"Using dataset {found[0]} ({args.projects} entries).")
        return found[0], False
    for name in found:  # --rebuild: the new one replaces them
        load_data.delete_load_data(name)
        say(f"Deleted dataset {name}.")
    say(f"Building a dataset of {args.projects} projects …")
    started = time.perf_counter()
    dataset = build(projects=args.projects, log=say)
    counts = load_data.add_load_data(dataset.name, log=say)
    say(
        f"Dataset {dataset.name} built in {time.perf_counter() - started:.1f} s: "
        + ", ".join(f"{k} {v}" for k, v in {**dataset.counts, **counts}.items())
    )
    return dataset.name, True


def run_locust(args, url, env, out: Path, processes: Processes, meter) -> tuple:
    locust = [
        BIN / "locust",
        "-f",
        ROOT / "benchmarks" / "locustfile.py",
        "--headless",
        "--host",
        url,
        "--csv",
        out / "locust",
        "--only-summary",
        "--stop-timeout",
        "10",
        "--loglevel",
        "WARNING",
    ]
    env = {**env, "LOAD_LOGINS_OUT": str(out / "logins.json")}
    if args.saturation:
        steps = ",".join(f"{u.strip()}:{args.step_seconds}" for u in args.steps.split(","))
        env = {**env, "LOAD_STEPS": steps, "LOAD_STEPS_OUT": str(out / "steps.json")}
        env["LOAD_SPAWN_RATE"] = str(max(args.spawn_rate, 20))
        seconds = args.step_seconds * len(steps.split(","))
    else:
        # The locustfile measures from the moment every user has logged in, for the
        # duration, then stops; --run-time only bounds a run whose logins never end.
        measured = _seconds(args.duration)
        env = {**env, "LOAD_USERS": str(args.users), "LOAD_MEASURE_SECONDS": str(measured)}
        seconds = measured + math.ceil(args.users / args.spawn_rate) + 120
        locust += ["--users", args.users, "--spawn-rate", args.spawn_rate]
        locust += ["--run-time", f"{seconds}s"]
    marks = out / "marks.txt"
    marks.unlink(missing_ok=True)
    env["LOAD_MARKS"] = str(marks)
    process = processes.start("locust", locust, out / "locust.log", env)
    meter.locust = process.pid
    deadline = time.monotonic() + seconds + 90
    samples, seen = [], 0
    while True:
        try:
            code = process.wait(timeout=0.2)
        except subprocess.TimeoutExpired:
            code = None
            if time.monotonic() > deadline:
                raise RuntimeError("locust did not finish in time") from None
        lines = marks.read_text().splitlines() if marks.exists() else []
        for mark in lines[seen:]:
            samples.append((mark, meter.sample()))
        seen = len(lines)
        if code is not None:
            return code, _intervals(samples)


def _intervals(samples) -> dict:
    """The CPU per request of each measured interval: {"run" or users: costs}."""
    costs, started = {}, {}
    for mark, sample in samples:
        what, _sep, label = mark.partition(" ")
        if what == "start":
            started[label] = sample
        elif what == "stop" and label in started:
            costs[label or "run"] = CpuMeter.between(started.pop(label), sample)
    return costs


def _seconds(duration: str) -> int:
    units = {"s": 1, "m": 60, "h": 3600}
    total, number = 0, ""
    for char in duration.strip():
        if char.isdigit():
            number += char
        else:
            total += int(number) * units[char]
            number = ""
    return total + int(number or 0)


def main(argv=None) -> int:
    args = options(argv)
    out = Path(args.out or tempfile.mkdtemp(prefix="jingsai-load-"))
    out.mkdir(parents=True, exist_ok=True)
    (out / "static").mkdir(exist_ok=True)
    env = server_env(args, out)
    os.environ.update(env)  # for Django here, before it is set up
    created = ensure_database(args.database_url)

    import django

    django.setup()
    from django.db import connections

    from config.celery import app

    from . import load_data

    if args.delete_data:
        for name, entries in load_data.load_datasets():
            load_data.delete_load_data(name)
            log(f"Deleted {name} ({entries} entries).")
        return 0

    def on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, on_signal)

    processes = Processes()
    name, built = None, False
    passed = False
    try:
        log(f"Load test on {args.database_url} and {args.redis_url}; output in {out}")
        log(f"Machine load before: {_load()}")
        name, built = prepare_data(args, log)
        if args.data_only:
            return 0
        reset = load_data.reset_open_reports(name)
        (out / "manifest.json").write_text(
            json.dumps(load_data.manifest(name), ensure_ascii=False), encoding="utf-8"
        )
        log(f"{reset} reports of the current period open to file.")
        app.control.purge()
        connections.close_all()

        port = free_port(args.host, args.port)
        url = f"http://{args.host}:{port}"
        gunicorn = [BIN / "gunicorn", "config.wsgi:application", "--bind", f"{args.host}:{port}"]
        gunicorn += ["--workers", args.workers, "--threads", args.threads, "--timeout", "60"]
        gunicorn += ["--graceful-timeout", "10", "--worker-tmp-dir", "/dev/shm", "--log-level"]
        gunicorn += ["warning", "--access-logfile", out / "access.log"]
        server = processes.start("gunicorn", gunicorn, out / "gunicorn.log", env)
        worker_name = f"load-{port}@{socket.gethostname()}"
        worker = [BIN / "celery", "-A", "config", "worker", "-l", "warning"]
        worker += ["--concurrency", "1", "-n", worker_name, "--without-heartbeat"]
        worker += ["--without-gossip", "--without-mingle"]
        worker_process = processes.start("celery", worker, out / "celery.log", env)
        wait_for_http(f"{url}/healthz/", server)
        wait_for_worker(app, worker_process)
        log(
            f"gunicorn on {url} ({args.workers} workers × {args.threads} threads), "
            f"Celery worker {worker_name}."
        )
        locust_env = {
            **env,
            "LOAD_MANIFEST": str(out / "manifest.json"),
            "LOAD_WAIT": args.wait,
        }
        if args.saturation:
            log(f"Saturation: users {args.steps}, {args.step_seconds} s each …")
        else:
            log(f"{args.users} users (spawn rate {args.spawn_rate}/s) for {args.duration} …")
        meter = CpuMeter(server, worker_process, args.database_url, out / "access.log")
        try:
            code, costs = run_locust(args, url, locust_env, out, processes, meter)
        finally:
            meter.close()
        log(f"Machine load after: {_load()}")
        if code not in (0, 1):  # 1: some requests failed, reported below
            raise RuntimeError(f"locust failed (exit code {code}); see {out / 'locust.log'}")
        (out / "cpu.json").write_text(json.dumps(costs, indent=1), encoding="utf-8")
        passed = report(args, out, costs)
    except KeyboardInterrupt:
        log("Interrupted.")
        passed = False
    finally:
        processes.stop()
        connections.close_all()
        if built and not args.keep_data:
            if created:
                drop_database(args.database_url)
                log(f"Dropped the database created for the run, {args.database_url}.")
            else:
                load_data.delete_load_data(name)
                log(f"Deleted dataset {name}.")
        elif name:
            log(f"Dataset {name} kept in {args.database_url}.")
    return 0 if passed else 1


def report(args, out: Path, costs: dict) -> bool:
    if args.saturation:
        steps = json.loads((out / "steps.json").read_text())
        for step in steps:
            step["cpu_ms"] = costs.get(str(step["users"]), {}).get("all")
        text = steps_table(steps, args.p95)
        log("\n" + text)
        (out / "steps.txt").write_text(text + "\n", encoding="utf-8")
        return True
    rows, total = parse_stats(out / "locust_stats.csv")
    logins = parse_logins(out / "logins.json")
    measured = logins["measured_seconds"]
    text = [
        f"{args.users} users, measured from the moment all had logged in, for "
        + (f"{measured:.0f} s:" if measured else "(they never all logged in):"),
        table(rows, total),
        f"Logins as the users started (before the measurement): {logins['count']}, p50 "
        f"{_ms(logins['p50'])}, p95 {_ms(logins['p95'])}, slowest {_ms(logins['max'])}, "
        f"{len(logins['failures'])} failed",
    ]
    if "run" in costs:
        text.append(cpu_text(costs["run"]))
    text += [f"  {count} × {what}" for count, what in parse_failures(out / "locust_failures.csv")]
    text += [f"  login failed: {what}" for what in logins["failures"][:10]]
    passed, result = verdict(total, args.p95, len(logins["failures"]))
    if not measured:
        passed, result = False, "FAIL (the users never all logged in)"
    text.append(f"Target (no failures, p95 ≤ {args.p95:g} ms): {result}")
    log("\n" + "\n".join(text))
    (out / "table.txt").write_text("\n".join(text) + "\n", encoding="utf-8")
    return passed


def cpu_text(cost: dict, cores=None) -> str:
    """CPU per request and the throughput it would allow if nothing else used the cores."""
    cores = cores or os.cpu_count()
    ceiling = cores * 1000 / cost["all"] if cost["all"] else float("inf")
    shared = cost["all"] + cost.get("locust", 0)
    with_locust = cores * 1000 / shared if shared else float("inf")
    return (
        f"CPU per request ({cost['requests']} requests served in {cost['seconds']:.0f} s): "
        f"web {cost['web']:.1f} ms, Celery {cost['tasks']:.1f} ms, PostgreSQL "
        f"{cost['db']:.1f} ms; {cost['all']:.1f} ms in all, so at most ~{ceiling:.0f} req/s "
        f"on {cores} cores with nothing else running (~{with_locust:.0f} req/s beside locust, "
        f"which took {cost.get('locust', 0):.1f} ms a request)"
    )


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} on {os.cpu_count()} cores"


if __name__ == "__main__":
    sys.exit(main())
