"""The transactional outbox behind ``dispatch.send_on_commit``.

Why: a task sent with ``transaction.on_commit(lambda: task.delay(...))`` is lost when the
broker is down at that moment, and the user gets a 500 for work that was in fact saved. Here
the message is a row written in the caller's transaction; after the commit it is published
and marked sent. When publishing fails the row stays pending and ``publish_pending`` (Celery
beat every minute, and each worker as it starts) sends it once the broker is back.

Delivery is at least once: a message whose publish succeeded but whose "sent" mark was lost
(the process died in between) is sent again, so tasks must be idempotent — ours are. Two
processes never publish the same row at the same time: publishing holds the row's lock and
the others skip locked rows.
"""

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import OutboxMessage

logger = logging.getLogger(__name__)

# One immediate retry over a fresh connection (a pooled one may be stale after a Redis
# restart) and no waiting: a dead broker must not hold up the request that saved the work.
# The connect timeouts themselves are the broker's transport options (settings).
PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0}
# After a failed publish this process leaves new messages to the sweeper for this many
# seconds instead of trying again on every commit: a broker that hangs (rather than refusing
# connections) costs its socket timeouts, and requests must not pay them one after another.
BROKER_RETRY_AFTER = 5.0
_broker_down_until = 0.0


def send_on_commit(task, *args) -> OutboxMessage | None:
    """Run ``task(*args)`` after the current transaction commits.

    Guarantees, with a broker: the message is stored in the caller's transaction, so a
    rollback sends nothing and a commit always gets its task, even when the broker is down
    then (the message waits in the outbox); publishing never raises to the caller. ``args``
    must be JSON-serialisable (ids, strings). Without a broker (tasks run in-process, eager)
    the task runs right after the commit, as ``task.delay`` on commit would. Returns the
    outbox row, or None when eager."""
    if task.app.conf.task_always_eager:
        transaction.on_commit(lambda: task.delay(*args))
        return None
    message = OutboxMessage.objects.create(task=task.name, args=list(args))
    transaction.on_commit(lambda: publish(message.pk), robust=True)
    return message


def publish(message_id: int) -> bool:
    """Publish one pending message, unless it was sent already, another process is
    publishing it right now, or the broker failed moments ago. Returns whether this call
    sent it."""
    if time.monotonic() < _broker_down_until:
        return False
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(pk=message_id, sent_at__isnull=True)
            .first()
        )
        return message is not None and _publish(message)


def publish_pending(limit: int | None = None, min_age: float | None = None) -> int:
    """Publish the pending messages, oldest first, at most ``limit`` of them; returns how
    many were sent.

    Only messages older than ``min_age`` seconds (default ``DISPATCH_SWEEP_AFTER``) are taken,
    so that the periodic sweep leaves the young ones to the commit that is publishing them
    (it could not send them twice anyway: each message is locked, published and marked in its
    own short transaction, and rows locked by another process are skipped). The sweep stops
    at the first failure: the broker is down and the rest waits for the next sweep, still in
    order."""
    limit = limit or getattr(settings, "DISPATCH_SWEEP_BATCH", 500)
    if min_age is None:
        min_age = getattr(settings, "DISPATCH_SWEEP_AFTER", 10)
    cutoff = timezone.now() - timedelta(seconds=min_age)
    sent = 0
    for _ in range(limit):
        with transaction.atomic():
            message = (
                OutboxMessage.objects.select_for_update(skip_locked=True)
                .filter(sent_at__isnull=True, created_at__lte=cutoff)
                .order_by("created_at", "pk")
                .first()
            )
            if message is None or not _publish(message):
                break
        sent += 1
    return sent


def purge_sent(days: int | None = None) -> int:
    """Delete the messages sent more than ``days`` (``DISPATCH_KEEP_SENT_DAYS``) ago; kept
    that long to see what was sent when. Returns how many were deleted."""
    days = getattr(settings, "DISPATCH_KEEP_SENT_DAYS", 7) if days is None else days
    cutoff = timezone.now() - timedelta(days=days)
    deleted, _by_model = OutboxMessage.objects.filter(sent_at__lt=cutoff).delete()
    return deleted


def pending_count() -> int:
    """Messages not yet accepted by the broker (for ``/healthz/``)."""
    return OutboxMessage.objects.filter(sent_at__isnull=True).count()


def _publish(message: OutboxMessage) -> bool:
    """Hand the (locked) message to the broker and record the outcome on its row."""
    from config.celery import app

    message.attempts += 1
    try:
        # ignore_result: nobody waits for these results, and subscribing to the result
        # backend would retry for ~20 s against a dead Redis before giving up.
        app.send_task(
            message.task,
            args=message.args,
            ignore_result=True,
            retry=True,
            retry_policy=PUBLISH_RETRY_POLICY,
        )
    except Exception as error:  # noqa: BLE001 (any broker failure leaves the message pending)
        global _broker_down_until
        _broker_down_until = time.monotonic() + BROKER_RETRY_AFTER
        message.last_error = f"{type(error).__name__}: {error}"[:2000]
        message.save(update_fields=["attempts", "last_error"])
        logger.warning(
            "Broker unavailable: task %s (outbox message %s) left pending: %s",
            message.task,
            message.pk,
            message.last_error,
        )
        return False
    message.sent_at = timezone.now()
    message.save(update_fields=["attempts", "sent_at"])
    return True
