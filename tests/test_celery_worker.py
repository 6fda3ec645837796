"""Tasks through a real Celery worker and Redis broker (runs when REDIS_URL is set, as in CI)."""

import pytest
from django.conf import settings
from django.core import mail

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
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    assert not app.conf.task_always_eager
    with start_worker(
        app, pool="solo", concurrency=1, perform_ping_check=False, shutdown_timeout=10
    ) as worker:
        yield worker


def test_email_task_goes_through_redis_and_worker(celery_worker_thread):
    from accounts.tasks import send_email
    from config.celery import app

    assert not app.conf.task_always_eager

    mail.outbox = []
    result = send_email.delay("竞赛通知", "正文", ["unit@example.com"])
    assert result.get(timeout=30) == 1
    assert [m.subject for m in mail.outbox] == ["竞赛通知"]


def test_broker_is_redis():
    from config.celery import app

    assert app.conf.broker_url.startswith("redis://")
    assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache")


def test_transition_notifications_go_through_the_worker(
    transactional_db, world, celery_worker_thread
):
    """A declaration submitted in a committed transaction reaches the reviewers through
    Redis and a worker thread with its own database connection."""
    from accounts.models import Notification
    from competitions import services

    from .competitions.test_workflow import make_declarable
    from .conftest import wait_for

    project = make_declarable(world.project_a)
    services.transition(project, "submit", world.users["unit_a"])  # commits: autocommit
    wait_for(lambda: Notification.objects.filter(user=world.users["west"]).exists())
    assert set(Notification.objects.values_list("user__username", flat=True)) == {"west", "city"}


def test_report_schedule_runs_in_the_worker(transactional_db, world, celery_worker_thread):
    import datetime

    from competitions.models import ProgressReport
    from competitions.tasks import run_report_schedule

    world.campaign.start_date = datetime.date.today().replace(day=1)
    world.campaign.save()
    world.project_a.running_since = world.campaign.start_date
    world.project_a.save()
    result = run_report_schedule.delay().get(timeout=30)
    assert result["opened"] == 1
    assert ProgressReport.objects.filter(project=world.project_a).count() == 1
    assert run_report_schedule.delay().get(timeout=30)["opened"] == 0
