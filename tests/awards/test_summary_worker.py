"""Summaries through a real Celery worker and Redis (runs when REDIS_URL is set, as in CI):
the beat job queues the builds on commit, the worker builds them with its own database
connection, and running the job again the same day adds nothing."""

import datetime

import pytest
from django.conf import settings

from awards.models import SummaryBuild, SummarySnapshot

from ..conftest import wait_for
from . import summary_fixture

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.skipif(
        not settings.REDIS_URL,
        reason="REDIS_URL is not set: no broker to run a real worker against "
        "(.ci/run sets it for the PostgreSQL + Redis run)",
    ),
]


@pytest.fixture(scope="module")
def celery_worker_thread():
    """A worker of this module's own, started on an empty queue: the summary tests before
    this module publish real build tasks on commit (for builds their rolled-back tests no
    longer have), which the suite's session worker may still be holding."""
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    assert not app.conf.task_always_eager
    app.control.purge()
    with start_worker(
        app, pool="solo", concurrency=1, perform_ping_check=False, shutdown_timeout=10
    ) as worker:
        yield worker


def test_beat_job_builds_through_the_worker_once(transactional_db, world, celery_worker_thread):
    from awards.tasks import build_period_summaries
    from config.celery import app

    assert not app.conf.task_always_eager
    summary_fixture.build(world)
    # The job itself runs in the worker; the builds it queues on commit run there too.
    assert build_period_summaries.delay("2026-04-01").get(timeout=60) == 2
    wait_for(
        lambda: SummaryBuild.objects.filter(state="done").count() == 2,
        timeout=60,
    )
    month = SummaryBuild.objects.get(period="month")
    assert (month.period_start, month.progress) == (datetime.date(2026, 3, 1), 100)
    assert month.finished_at is not None
    whole = SummarySnapshot.objects.get(build=month, zone=None).figures
    # The hand count of summary_fixture (the worker builds on its day, after April 5: March's
    # reports are then due too, so only the figures that do not depend on the day are checked).
    assert whole["projects"]["taking_part"] == 5 and whole["units"] == 3
    assert whole["proposals"] == {"count": 8, "benefit": "2600.25"}
    assert whole["people"]["workers"] == 230
    assert SummarySnapshot.objects.filter(build=month).count() == 3

    assert build_period_summaries.delay("2026-04-01").get(timeout=60) == 0
    assert SummaryBuild.objects.count() == 2


def test_build_now_goes_through_the_worker(transactional_db, world, celery_worker_thread):
    from awards import summaries

    summary_fixture.build(world)
    build = summaries.request_build(
        world.campaign, world.users["city"], "month", datetime.date(2026, 3, 1)
    )  # autocommit: the task is sent at once
    wait_for(lambda: SummaryBuild.objects.get(pk=build.pk).state == "done", timeout=60)
    build.refresh_from_db()
    assert build.snapshots.count() == 3 and build.progress == 100
