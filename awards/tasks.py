"""Background jobs of the honours lists: thin tasks that take ids and call ``services``."""

import datetime
from functools import partial

from celery import shared_task
from django.core.exceptions import ValidationError
from django.db import OperationalError

from .models import HonourList, HonourRule


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def generate_honour_list(rule_id: int, requested_at: str | None = None) -> int:
    """Generate the draft list of a rule and record the job's state on it for pages to poll.

    Safe to retry and to run twice: ``services.generate`` replaces the draft in one
    transaction, so a run that failed half way left nothing behind and the next one builds
    the whole list. ``requested_at`` (ISO time of the request, sent by
    ``services.queue_generation``) makes a second delivery of a request that has already been
    carried out (the broker delivers at least once) a no-op, so it cannot replace the hand
    adjustments made to the draft since. While it runs, its steps (candidates found, entries
    written ...) go to the cache through ``services.record_progress`` for the status page to
    read. A refusal (results not locked, list already published) is recorded on a draft list
    as a failure with its message and not retried. Returns the number of entries.
    """
    from . import services

    rule = HonourRule.objects.get(pk=rule_id)
    honour_list, _created = HonourList.objects.get_or_create(rule=rule)
    list_id = honour_list.pk
    if (
        requested_at
        and honour_list.task_state == HonourList.TaskState.DONE
        and honour_list.task_updated_at
        and honour_list.task_updated_at >= datetime.datetime.fromisoformat(requested_at)
    ):
        return honour_list.entries.filter(removed_at__isnull=True).count()
    services.record_job(list_id, HonourList.TaskState.RUNNING, 10)
    try:
        honour_list = services.generate(rule, progress=partial(services.record_progress, list_id))
    except ValidationError as error:
        services.record_job(
            honour_list.pk, HonourList.TaskState.FAILED, 0, " ".join(error.messages)
        )
        return 0
    except Exception as error:
        services.record_job(honour_list.pk, HonourList.TaskState.FAILED, 0, str(error))
        raise
    services.record_job(honour_list.pk, HonourList.TaskState.DONE, 100)
    return honour_list.entries.filter(removed_at__isnull=True).count()


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def build_summary(build_id: int) -> int:
    """Build the snapshots of a summary (``summaries.run_build``); returns how many.

    Safe to retry and to receive twice: a finished build is left alone, and each snapshot
    replaces the one an interrupted attempt left. A build deleted meanwhile is skipped."""
    from . import summaries
    from .models import SummaryBuild

    try:
        build = summaries.run_build(build_id)
    except SummaryBuild.DoesNotExist:
        return 0
    return build.snapshots.count()


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def build_period_summaries(day: str | None = None) -> int:
    """Celery beat, every night: queue the summaries of the month that has just
    ended (and of the quarter and the year ending with it) for every campaign that ran then.

    ``day`` (ISO date) stands for today, to build a missed month again by hand. Idempotent
    (``summaries.schedule_period_summaries``); returns the number of builds queued."""
    from . import summaries

    today = datetime.date.fromisoformat(day) if day else None
    return len(summaries.schedule_period_summaries(today))
