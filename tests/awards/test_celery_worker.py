"""Generating an honours list through a real Celery worker and Redis (runs when REDIS_URL is
set, as in CI): the job's progress is visible from outside its transaction while it runs,
and a run that fails half way is rolled back and repaired by the next run."""

import threading
import time

import pytest
from django.conf import settings

from awards import services
from awards.models import HonourList, HonourType

from ..conftest import wait_for
from .conftest import EXAMPLE_2

pytestmark = [
    pytest.mark.celery_worker,
    # Committed transactions, so the worker's connection sees the data.
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not settings.REDIS_URL,
        reason="REDIS_URL is not set: no broker to run a real worker against "
        "(.ci/run sets it for the PostgreSQL + Redis run)",
    ),
]


@pytest.fixture(autouse=True)
def honour_types():
    """The seeded honour types (data migration): a transactional test run before may have
    flushed them (serialized rollback is not used: its flush leaves no content types for the
    transactional tests that follow)."""
    HonourType.objects.get_or_create(
        name="先进集体", level=HonourType.Level.CITY, defaults={"recipient": "unit"}
    )


@pytest.fixture(scope="module")
def celery_worker_thread():
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    assert not app.conf.task_always_eager
    with start_worker(
        app, pool="solo", concurrency=1, perform_ping_check=False, shutdown_timeout=10
    ) as worker:
        yield worker


def test_generation_in_the_worker_reports_progress(
    world, ranking, honour, celery_worker_thread, monkeypatch
):
    """The worker (its own thread and database connection) writes the entries in one
    transaction; meanwhile this thread reads the job's progress, as the status page does."""
    ranking(EXAMPLE_2, vetoed={"D"})
    rule = honour(quota=4, min_score="80")
    writing = threading.Event()
    add_entry = services._add_entry

    def slow_add_entry(*args, **kwargs):
        writing.set()
        time.sleep(0.3)  # long enough for the poll below to see each step
        return add_entry(*args, **kwargs)

    monkeypatch.setattr(services, "_add_entry", slow_add_entry)
    honour_list = services.queue_generation(rule, world.users["city"])  # commits: autocommit
    seen = []

    def finished():
        status = services.job_status(HonourList.objects.get(pk=honour_list.pk))
        seen.append((status["state"], status["step"], status["progress"]))
        return status["state"] in ("done", "failed")

    wait_for(finished, timeout=60)
    assert writing.is_set()
    honour_list.refresh_from_db()
    assert (honour_list.task_state, honour_list.task_progress) == ("done", 100)
    assert honour_list.entries.count() == 4
    # Steps seen from outside the worker's transaction, with the entries not yet committed.
    steps = {step for state, step, _progress in seen if state == "running"}
    assert "entries" in steps
    progresses = [progress for state, _step, progress in seen if state == "running"]
    assert any(10 < p < 100 for p in progresses)
    assert progresses == sorted(progresses)


def test_failed_run_is_rolled_back_and_the_next_run_repairs_it(
    world, ranking, honour, celery_worker_thread, monkeypatch
):
    ranking(EXAMPLE_2, vetoed={"D"})
    rule = honour(quota=2, min_score="85")

    def fail_after_writing(honour_list):
        raise RuntimeError("worker lost")

    monkeypatch.setattr(services, "_finish_generation", fail_after_writing)
    honour_list = services.queue_generation(rule, world.users["city"])
    wait_for(lambda: HonourList.objects.get(pk=honour_list.pk).task_state == "failed", 60)
    honour_list.refresh_from_db()
    assert "worker lost" in honour_list.task_error
    assert not honour_list.entries.exists()  # the written rows were rolled back

    monkeypatch.undo()
    services.queue_generation(rule, world.users["city"])
    wait_for(lambda: HonourList.objects.get(pk=honour_list.pk).task_state == "done", 60)
    assert HonourList.objects.filter(rule=rule).count() == 1
    assert sorted(honour_list.entries.values_list("project__title", "over_quota")) == [
        ("A", False),
        ("B", False),
    ]
