"""Faults: Redis stopped, the database unreachable, the Celery worker killed.

- Redis down: pages answer 200 (the cache degrades to a dummy cache), actions that send a
  task succeed for the user with the task kept in the outbox, and once Redis is back the
  sweeper publishes it and a worker does the work.
- Database unreachable: a 503 page that says to try again (JSON for the API), never a
  traceback; ``/healthz/`` says what is down.
- Worker killed (SIGKILL) in the middle of generating an honours list, its pool child or the
  whole worker: the task runs again and leaves exactly the list an uninterrupted run leaves.

Redis is a private ``redis-server`` started here on a free port (skipped when it is not
installed), or an address where nothing listens. The worker-kill tests need PostgreSQL: the
worker is a separate process that must see the test database.
"""

import datetime
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import OperationalError, connection
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification
from awards import services as award_services
from awards.models import HonourList, HonourType, SummaryBuild
from competitions import services as competition_services
from config import cache as resilient_cache
from config.cache import ResilientRedisCache
from dispatch import services as dispatch_services
from dispatch.models import OutboxMessage

from ..awards.conftest import EXAMPLE_2, honour, ranking  # noqa: F401 (fixtures)
from ..competitions.test_workflow import make_declarable
from ..conftest import wait_for
from .test_dispatch import broker_at, dead_redis_url, free_port

ROOT = Path(__file__).resolve().parents[2]
needs_redis_server = pytest.mark.skipif(
    shutil.which("redis-server") is None,
    reason="redis-server is not installed: no private Redis to stop and start again",
)
needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: the worker is another process and must see the test database "
    "(SQLite's test database lives in this process's memory)",
)


class PrivateRedis:
    """A throw-away redis-server on a free port that a test may stop and start again."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no", "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL,
        )
        import redis

        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        wait_for(lambda: self._answers(client, redis), timeout=10)
        client.close()

    @staticmethod
    def _answers(client, redis) -> bool:
        try:
            return client.ping()
        except redis.ConnectionError:
            return False

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


@pytest.fixture
def private_redis(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed: no private Redis to stop and start again")
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


def redis_cache_settings(url: str) -> dict:
    return {
        "default": {
            **settings.CACHES["default"],
            "BACKEND": "config.cache.ResilientRedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "faults-test",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        }
    }


@pytest.fixture
def honour_types(db):
    """The seeded honour types (data migration): a transactional test run before may have
    flushed them."""
    HonourType.objects.get_or_create(
        name="先进集体", level=HonourType.Level.CITY, defaults={"recipient": "unit"}
    )


@pytest.fixture(autouse=True)
def warnings_logged(caplog):
    """Warnings reach caplog even after an in-thread worker set the root logger to ERROR,
    and each test starts with no memory of an earlier test's outage (ports are reused)."""
    caplog.set_level(logging.WARNING)
    resilient_cache._down_until.clear()
    dispatch_services._broker_down_until = 0.0


# The cache --------------------------------------------------------------------------------


def test_cache_answers_like_a_dummy_cache_while_redis_is_unreachable(caplog):
    cache = ResilientRedisCache(dead_redis_url(), {"OPTIONS": {"socket_connect_timeout": 1}})
    started = time.monotonic()
    assert cache.get("k", "default") == "default"
    assert cache.get_or_set("k", 5) == 5
    assert cache.add("k", 1) is True  # a form's one-time token lets the form through
    assert cache.set("k", 1) is None
    assert cache.get_many(["a", "b"]) == {}
    assert cache.has_key("k") is False
    assert cache.delete("k") is False
    with pytest.raises(ValueError):
        cache.incr("k")  # as for a missing key: callers (login throttling) handle it
    assert time.monotonic() - started < 1
    assert caplog.text.count("Redis cache unavailable") == 1  # once per outage


@needs_redis_server
def test_cache_comes_back_with_redis(private_redis, monkeypatch, caplog):
    monkeypatch.setattr(resilient_cache, "RETRY_AFTER", 0.0)
    cache = ResilientRedisCache(private_redis.url, {"OPTIONS": {"socket_timeout": 2}})
    cache.set("k", 1)
    assert cache.get("k") == 1
    private_redis.stop()
    assert cache.get("k", "gone") == "gone"
    private_redis.start()  # empty: nothing was saved
    # The pooled connection is dead; the first command after the restart still succeeds.
    cache.set("k", 2)
    assert cache.get("k") == 2
    assert "Redis cache reachable again" in caplog.text


# Redis down: pages and actions ------------------------------------------------------------


@pytest.fixture
def redis_down():
    """Cache and broker on a Redis address where nothing listens."""
    url = dead_redis_url()
    with override_settings(CACHES=redis_cache_settings(url), REDIS_URL=url), broker_at(url):
        yield url


def test_pages_work_while_redis_is_down(world, client_for, ranking, honour, redis_down):  # noqa: F811
    ranking(EXAMPLE_2, vetoed={"D"})
    rule = honour(quota=4, min_score="80")
    HonourList.objects.create(rule=rule, task_state=HonourList.TaskState.RUNNING)
    staff = client_for("city")
    pages = [
        reverse("home"),
        reverse("project-list"),
        reverse("scoring:ranking", args=[world.zone.pk]),
        reverse("awards:index"),
        reverse("awards:list", args=[rule.pk]),
        reverse("awards:list-status", args=[rule.pk]),  # reads the job's progress (cache)
    ]
    for url in pages:
        assert staff.get(url).status_code == 200, url
    assert client_for("unit_a").get(reverse("project-list")).status_code == 200
    # Logging in counts failures in the cache: it degrades to no throttling, not to an error.
    page = Client().post(reverse("login"), {"username": "west", "password": "wrong"})
    assert page.status_code == 200
    health = Client().get(reverse("healthz"))
    assert health.status_code == 200
    assert health.content.decode().splitlines()[:3] == [
        "degraded",
        "database: ok",
        "redis: down (ConnectionError)",
    ]


def test_actions_succeed_while_redis_is_down_with_their_tasks_kept(
    world,
    client_for,
    ranking,  # noqa: F811
    honour,  # noqa: F811
    redis_down,
    django_capture_on_commit_callbacks,
):
    ranking(EXAMPLE_2, vetoed={"D"})
    rule = honour(quota=4, min_score="80")
    submitted = _submitted_declaration(world)
    staff = client_for("city")
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        decided = client_for("west").post(
            reverse("project-transition", args=[submitted.pk]),
            {"action": "approve", "comment": "同意"},
            follow=True,
        )
        generated = staff.post(reverse("awards:list-generate", args=[rule.pk]), follow=True)
        built = staff.post(
            reverse("awards:summary-build", args=[world.campaign.pk]),
            {"period": "month", "day": "2026-03-15"},
            follow=True,
        )
    assert time.monotonic() - started < 10
    for page in (decided, generated, built):
        html = page.content.decode()
        assert page.status_code == 200
        assert '<li class="success">' in html and '<li class="error">' not in html
    submitted.refresh_from_db()
    assert submitted.status == "approved"
    assert HonourList.objects.get(rule=rule).task_state == "queued"
    assert SummaryBuild.objects.get().state == "queued"
    waiting = OutboxMessage.objects.filter(sent_at__isnull=True)
    assert sorted(waiting.values_list("task", flat=True)) == [
        "awards.tasks.build_summary",
        "awards.tasks.generate_honour_list",
        "competitions.tasks.notify_transition",
    ]
    # The first was tried (and failed at once); the next ones were left to the sweeper.
    assert [(m.attempts, bool(m.last_error)) for m in waiting.order_by("pk")] == [
        (1, True),
        (0, False),
        (0, False),
    ]


def _submitted_declaration(world):
    project = make_declarable(world.project_a)
    competition_services.transition(project, "submit", world.users["unit_a"])
    OutboxMessage.objects.all().delete()  # the submission's own notice is not the point here
    return project


@needs_redis_server
@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_work_asked_for_while_redis_was_down_is_done_when_it_is_back(
    world,
    client_for,
    ranking,  # noqa: F811
    honour,  # noqa: F811
    honour_types,
    private_redis,
):
    """The whole story: Redis stops, staff decide a declaration and ask for an honours list;
    both are saved and their tasks wait in the outbox; Redis starts again, the sweeper sends
    them and a worker does them."""
    from celery.contrib.testing.worker import start_worker

    ranking(EXAMPLE_2, vetoed={"D"})
    rule = honour(quota=4, min_score="80")
    liaison = world.users["unit_a"]
    with (
        override_settings(CACHES=redis_cache_settings(private_redis.url)),
        broker_at(private_redis.url) as app,
    ):
        submitted = _submitted_declaration(world)
        private_redis.stop()
        decided = client_for("west").post(
            reverse("project-transition", args=[submitted.pk]),
            {"action": "approve", "comment": "同意"},
        )
        generated = client_for("city").post(reverse("awards:list-generate", args=[rule.pk]))
        assert (decided.status_code, generated.status_code) == (302, 302)
        assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 2
        assert not Notification.objects.filter(user=liaison).exists()

        private_redis.start()
        # A worker connecting to Redis sends what waited in the outbox, then does it.
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
            wait_for(lambda: HonourList.objects.get(rule=rule).task_state == "done", 60)
            wait_for(lambda: Notification.objects.filter(user=liaison).exists(), 30)
    assert HonourList.objects.get(rule=rule).entries.count() == 4
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()


# Database unreachable ---------------------------------------------------------------------


def database_refuses(execute, sql, params, many, context):
    raise OperationalError(
        'connection to server at "127.0.0.1", port 5432 failed: Connection refused'
    )


def test_database_outage_answers_503_with_a_page_that_says_to_retry(world):
    client = Client(raise_request_exception=False)
    client.force_login(world.users["west"])
    with connection.execute_wrapper(database_refuses):
        page = client.get(reverse("project-list"))
        posted = client.post(reverse("project-transition", args=[world.project_a.pk]), {})
        client.cookies["django_language"] = "en"
        english = client.get(reverse("home"))
        api = client.get("/api/v1/projects/")
    assert page.status_code == 503 and page["Retry-After"] == "15"
    html = page.content.decode()
    assert '<html lang="zh-hans">' in html
    assert 'http-equiv="refresh" content="15"' in html  # GET pages try again by themselves
    assert "Traceback" not in html and "OperationalError" not in html
    assert posted.status_code == 503
    assert "http-equiv" not in posted.content.decode()  # never repeats a POST
    assert english.status_code == 503
    assert "Service temporarily unavailable" in english.content.decode()
    assert "it was not saved" in english.content.decode()
    assert api.status_code == 503 and api["Content-Type"] == "application/json"
    assert "try again" in json.loads(api.content)["detail"]


def test_driver_errors_that_escape_django_also_answer_503(world):
    """Closing a cursor after PostgreSQL shut down raises psycopg's own error, not Django's
    (seen in the fault drill: the project list's filter form iterating its choices)."""

    def shut_down(execute, sql, params, many, context):
        raise connection.Database.OperationalError(
            "terminating connection due to administrator command"
        )

    client = Client(raise_request_exception=False)
    client.force_login(world.users["west"])
    with connection.execute_wrapper(shut_down):
        page = client.get(reverse("project-list"))
    assert page.status_code == 503 and page["Retry-After"] == "15"


def test_other_errors_still_get_the_500_page(world):
    def broken(execute, sql, params, many, context):
        raise ZeroDivisionError("a bug")

    client = Client(raise_request_exception=False)
    client.force_login(world.users["west"])
    with connection.execute_wrapper(broken):
        page = client.get(reverse("project-list"))
    assert page.status_code == 500
    assert "服务器错误" in page.content.decode()


@override_settings(REDIS_URL="")
def test_healthz_reports_database_redis_and_outbox(db):
    lines = Client().get(reverse("healthz")).content.decode().splitlines()
    assert lines == ["ok", "database: ok", "redis: not configured", "outbox: 0 waiting"]

    message = OutboxMessage.objects.create(task="accounts.tasks.send_email", args=[])
    OutboxMessage.objects.filter(pk=message.pk).update(
        created_at=timezone.now() - datetime.timedelta(seconds=120)
    )
    outbox = Client().get(reverse("healthz")).content.decode().splitlines()[3]
    assert outbox.startswith("outbox: 1 waiting, oldest 12")

    with connection.execute_wrapper(database_refuses):
        down = Client(raise_request_exception=False).get(reverse("healthz"))
    assert down.status_code == 503
    assert down.content.decode().splitlines() == [
        "unavailable",
        "database: down (OperationalError)",
        "redis: not configured",
    ]


@needs_redis_server
def test_healthz_sees_redis_up(db, private_redis):
    with override_settings(REDIS_URL=private_redis.url):
        lines = Client().get(reverse("healthz")).content.decode().splitlines()
    assert lines[:3] == ["ok", "database: ok", "redis: ok"]


# The worker killed in the middle of generating an honours list -----------------------------

# A real worker process (``celery worker``, prefork, one pool child) whose honours generation
# writes each entry slowly and notes the writing process's pid in a file, so the test knows
# the run is half way and which process to kill.
WORKER = """
import os, time
import django

django.setup()
from awards import services

add_entry = services._add_entry


def slow_add_entry(*args, **kwargs):
    with open(os.environ["FAULTS_MARKER"], "a") as marker:
        marker.write(f"{os.getpid()}\\n")
    time.sleep(float(os.environ["FAULTS_ENTRY_DELAY"]))
    return add_entry(*args, **kwargs)


services._add_entry = slow_add_entry
from config.celery import app

app.worker_main(
    ["worker", "--pool=prefork", "--concurrency=1", "--loglevel=INFO", "--without-gossip",
     "--without-mingle", "--without-heartbeat", "--hostname=faults-%(n)s@%%h"]
)
"""


class WorkerProcess:
    def __init__(self, directory: Path, redis_url: str, number: int, entry_delay: float):
        self.marker = directory / "entries.log"
        self.log = directory / f"worker-{number}.log"
        db = connection.settings_dict
        env = {
            **os.environ,
            "ENV_FILE": "/dev/null",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "PYTHONPATH": str(ROOT),
            "SECRET_KEY": settings.SECRET_KEY,
            "DATABASE_URL": (
                f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}"
                f":{db['PORT'] or 5432}/{db['NAME']}"
            ),
            "REDIS_URL": redis_url,
            # A killed worker's message comes back after 3 s (checked every second).
            "CELERY_VISIBILITY_TIMEOUT": "3",
            "CELERY_BROKER_TRANSPORT_OPTIONS": json.dumps(
                {
                    "unacked_restore_interval": 1,
                    "unacked_restore_throttle": 1,
                    "unacked_mutex_expire": 5,
                }
            ),
            "FAULTS_MARKER": str(self.marker),
            "FAULTS_ENTRY_DELAY": str(entry_delay),
        }
        self.process = subprocess.Popen(
            [sys.executable, "-c", WORKER % {"n": number}],
            cwd=ROOT,
            env=env,
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: main process and pool child
        )

    def kill_all(self):
        """SIGKILL the main process and its pool child at once, as a crash would."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def writers(self) -> list[int]:
        """The pids that wrote entries, in order, each once."""
        if not self.marker.exists():
            return []
        pids = [int(line) for line in self.marker.read_text().split()]
        return list(dict.fromkeys(pids))

    def tail(self) -> str:
        return self.log.read_text()[-3000:] if self.log.exists() else ""


@pytest.fixture
def workers(tmp_path, private_redis):
    started = []

    def start(entry_delay: float) -> WorkerProcess:
        worker = WorkerProcess(tmp_path, private_redis.url, len(started) + 1, entry_delay)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.kill_all()


def entries_of(rule) -> list[tuple]:
    honour_list = HonourList.objects.get(rule=rule)
    return list(
        honour_list.entries.order_by("rank", "recipient_key").values_list(
            "recipient_key", "project__title", "rank", "score", "over_quota", "source", "removed_at"
        )
    )


@pytest.fixture
def generation(world, ranking, honour, honour_types):  # noqa: F811
    """A rule, the entries of an uninterrupted generation, and the rule without a list."""
    ranking(EXAMPLE_2, vetoed={"D"})
    rule = honour(quota=4, min_score="80")
    award_services.generate(rule)
    expected = entries_of(rule)
    assert len(expected) == 4
    HonourList.objects.filter(rule=rule).delete()
    return rule, expected


def assert_one_correct_list(rule, expected, worker):
    try:
        wait_for(lambda: HonourList.objects.get(rule=rule).task_state == "done", timeout=60)
    except AssertionError:
        pytest.fail(f"the generation was not run again to the end; worker log:\n{worker.tail()}")
    assert HonourList.objects.filter(rule=rule).count() == 1
    assert entries_of(rule) == expected


@needs_postgresql
@needs_redis_server
@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_generation_runs_again_when_the_pool_child_is_killed(
    world, generation, private_redis, workers
):
    rule, expected = generation
    worker = workers(entry_delay=0.5)
    with broker_at(private_redis.url):
        award_services.queue_generation(rule, world.users["city"])
    wait_for(lambda: worker.writers(), timeout=60)
    child = worker.writers()[0]
    os.kill(child, signal.SIGKILL)  # half way through writing the entries
    # The main process sees its child lost and puts the message back (reject_on_worker_lost).
    assert_one_correct_list(rule, expected, worker)
    writers = worker.writers()
    assert writers[0] == child and len(writers) == 2, writers  # ran again in a new child


@needs_postgresql
@needs_redis_server
@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_generation_runs_again_when_the_whole_worker_is_killed(
    world, generation, private_redis, workers
):
    rule, expected = generation
    first = workers(entry_delay=0.5)
    with broker_at(private_redis.url):
        award_services.queue_generation(rule, world.users["city"])
    wait_for(lambda: first.writers(), timeout=60)
    killed = first.writers()[0]
    first.kill_all()  # nobody acknowledges the message nor gives it back
    assert HonourList.objects.get(rule=rule).task_state == "running"
    assert not HonourList.objects.get(rule=rule).entries.exists()  # rolled back
    # A new worker gets the message once its visibility timeout (3 s here) has passed.
    second = workers(entry_delay=0.1)
    assert_one_correct_list(rule, expected, second)
    writers = second.writers()
    assert writers[0] == killed and len(writers) == 2, writers
