"""The outbox (dispatch.send_on_commit): a task asked for in a committed transaction is
published after the commit, or kept and published by the sweeper when the broker was down;
never lost, never raised to the user, never published twice by two processes at once.

The broker is Celery's in-memory transport (a real kombu transport, consumed below) or a
Redis address where nothing listens, so these run on the embedded default too."""

import contextlib
import datetime
import logging
import socket
import threading
import time

import pytest
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone

from accounts.tasks import send_email
from config.celery import app
from dispatch import send_on_commit, services
from dispatch.models import OutboxMessage
from dispatch.tasks import publish_pending

from ..conftest import wait_for


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def dead_redis_url() -> str:
    """A Redis address with nothing listening: connections are refused at once."""
    return f"redis://127.0.0.1:{free_port()}/0"


def _drop_broker_pools():
    """Forget the pooled broker connections: the next publish connects to the new URL."""
    from kombu import pools

    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@contextlib.contextmanager
def broker_at(url: str, eager: bool = False):
    """Point this process's Celery app at another broker (tasks sent, not run in-process)."""
    saved = app.conf.broker_url, app.conf.task_always_eager
    _drop_broker_pools()
    app.conf.broker_url, app.conf.task_always_eager = url, eager
    try:
        yield app
    finally:
        _drop_broker_pools()
        app.conf.broker_url, app.conf.task_always_eager = saved


@pytest.fixture
def memory_broker():
    """The in-memory transport, emptied before and after; returns a reader of its queue."""
    with broker_at("memory://"):
        app.control.purge()

        def published() -> list[tuple[str, list]]:
            """The task messages waiting in the default queue, taken off it: (task, args)."""
            taken = []
            with app.connection_for_read() as conn:
                queue = conn.SimpleQueue(app.conf.task_default_queue)
                try:
                    while True:
                        try:
                            message = queue.get(block=False)
                        except queue.Empty:
                            break
                        args, _kwargs, _embed = message.decode()
                        taken.append((message.headers["task"], list(args)))
                        message.ack()
                finally:
                    queue.close()
            return taken

        yield published
        app.control.purge()


@pytest.fixture(autouse=True)
def broker_not_failed_recently():
    """Each test starts without the memory of an earlier test's failed publish."""
    services._broker_down_until = 0.0
    yield
    services._broker_down_until = 0.0


def age(message: OutboxMessage, seconds: int) -> None:
    OutboxMessage.objects.filter(pk=message.pk).update(
        created_at=timezone.now() - datetime.timedelta(seconds=seconds)
    )


# Without a broker: in-process, as before ---------------------------------------------------


def test_send_on_commit_runs_the_task_in_process_after_the_commit_without_a_broker(
    db, django_capture_on_commit_callbacks
):
    assert app.conf.task_always_eager  # the embedded default (and the tests' default)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert send_on_commit(send_email, "通知", "正文", ["a@example.com"]) is None
        assert mail.outbox == []  # not before the commit
    assert len(callbacks) == 1
    assert [m.subject for m in mail.outbox] == ["通知"]
    assert not OutboxMessage.objects.exists()


# With a broker ---------------------------------------------------------------------------


def test_message_is_published_after_the_commit_and_marked_sent(
    db, memory_broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = send_on_commit(send_email, "通知", "正文", ["a@example.com"])
        # Written in the caller's transaction, not yet sent.
        assert OutboxMessage.objects.filter(pk=message.pk, sent_at__isnull=True).exists()
        assert memory_broker() == []
    message.refresh_from_db()
    assert message.sent_at is not None and message.attempts == 1 and message.last_error == ""
    assert memory_broker() == [("accounts.tasks.send_email", ["通知", "正文", ["a@example.com"]])]
    assert mail.outbox == []  # sent to the broker, not run here


def test_rolled_back_transaction_sends_nothing(db, memory_broker):
    with pytest.raises(RuntimeError), transaction.atomic():
        send_on_commit(send_email, "通知", "正文", ["a@example.com"])
        raise RuntimeError("the change failed")
    assert not OutboxMessage.objects.exists()
    assert memory_broker() == []


def test_dead_broker_keeps_the_message_pending_quickly_and_without_an_error(
    db, django_capture_on_commit_callbacks, caplog
):
    caplog.set_level(logging.WARNING)
    with broker_at(dead_redis_url()):
        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True):
            message = send_on_commit(send_email, "通知", "正文", ["a@example.com"])
        elapsed = time.monotonic() - started
    message.refresh_from_db()
    assert message.sent_at is None and message.attempts == 1
    assert "refused" in message.last_error.lower() or "Error 111" in message.last_error
    assert elapsed < 3, f"publishing to a dead broker took {elapsed:.1f} s"
    assert "left pending" in caplog.text


def test_after_a_failed_publish_commits_leave_their_messages_to_the_sweeper_for_a_while(
    db, memory_broker, django_capture_on_commit_callbacks
):
    """A broker that hangs costs its timeouts once, not on every request that sends a task."""
    with broker_at(dead_redis_url()), django_capture_on_commit_callbacks(execute=True):
        first = send_on_commit(send_email, "一", "正文", ["a@example.com"])
        second = send_on_commit(send_email, "二", "正文", ["b@example.com"])
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.attempts, second.attempts) == (1, 0)  # the second was not even tried
    assert services.publish(second.pk) is False  # moments later, on a working broker too
    assert services.publish_pending(min_age=0) == 2  # the sweeper always tries
    assert [args[0] for _task, args in memory_broker()] == ["一", "二"]


def test_sweeper_publishes_pending_messages_when_the_broker_is_back(
    db, memory_broker, django_capture_on_commit_callbacks
):
    with broker_at(dead_redis_url()), django_capture_on_commit_callbacks(execute=True):
        first = send_on_commit(send_email, "一", "正文", ["a@example.com"])
        second = send_on_commit(send_email, "二", "正文", ["b@example.com"])
    assert OutboxMessage.objects.filter(sent_at__isnull=True).count() == 2
    age(first, 120)
    age(second, 60)
    # Back on a working broker (memory_broker): the beat task sends both, oldest first.
    assert publish_pending.apply().get() == 2
    assert [task_args[1][0] for task_args in memory_broker()] == ["一", "二"]
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()
    assert OutboxMessage.objects.get(pk=first.pk).attempts == 2
    # Nothing is sent twice.
    assert services.publish_pending(min_age=0) == 0
    assert services.publish(first.pk) is False
    assert memory_broker() == []


def test_sweeper_leaves_young_messages_to_their_commit(db, memory_broker):
    young = OutboxMessage.objects.create(task="accounts.tasks.send_email", args=["x", "y", []])
    old = OutboxMessage.objects.create(task="accounts.tasks.send_email", args=["o", "y", []])
    age(old, 11)
    assert services.publish_pending() == 1  # DISPATCH_SWEEP_AFTER = 10 s
    assert OutboxMessage.objects.get(pk=young.pk).sent_at is None
    assert OutboxMessage.objects.get(pk=old.pk).sent_at is not None
    assert services.publish_pending(min_age=0) == 1


def test_sweeper_stops_at_the_first_failure_and_keeps_the_order(db):
    messages = [
        OutboxMessage.objects.create(task="accounts.tasks.send_email", args=[str(n), "", []])
        for n in range(3)
    ]
    for n, message in enumerate(messages):
        age(message, 300 - n)
    with broker_at(dead_redis_url()):
        assert services.publish_pending() == 0
    attempts = list(OutboxMessage.objects.order_by("created_at").values_list("attempts", flat=True))
    assert attempts == [1, 0, 0]  # no point trying the others against a dead broker


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_connecting_to_the_broker_sends_what_waited_in_the_outbox(memory_broker):
    """What was kept while Redis was down goes out as soon as a worker connects again, even
    if it is only seconds old (no wait for the next beat sweep)."""
    from celery.contrib.testing.worker import start_worker

    message = OutboxMessage.objects.create(
        task="accounts.tasks.send_email", args=["积压", "正文", ["a@example.com"]]
    )
    mail.outbox = []
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        # The worker's connect sweep publishes the message and the worker then runs it.
        wait_for(lambda: [m.subject for m in mail.outbox] == ["积压"], timeout=30)
    message.refresh_from_db()
    assert message.sent_at is not None and message.attempts == 1


def test_connect_sweep_lets_the_worker_start_when_the_broker_is_unreachable(caplog):
    from dispatch.tasks import SweepOutboxOnConnect

    caplog.set_level(logging.WARNING)

    assert SweepOutboxOnConnect in app.steps["consumer"]
    with broker_at(dead_redis_url()):
        SweepOutboxOnConnect(parent=None).start(consumer=None)
    assert "Could not queue the outbox sweep" in caplog.text


def test_purge_keeps_pending_and_recent_messages(db):
    now = timezone.now()
    pending = OutboxMessage.objects.create(task="t", args=[])
    recent = OutboxMessage.objects.create(task="t", args=[], sent_at=now)
    old = OutboxMessage.objects.create(task="t", args=[], sent_at=now - datetime.timedelta(days=8))
    age(pending, 30 * 86400)
    assert services.purge_sent() == 1
    assert set(OutboxMessage.objects.values_list("pk", flat=True)) == {pending.pk, recent.pk}
    assert not OutboxMessage.objects.filter(pk=old.pk).exists()


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: SQLite has no row locks (SELECT ... FOR UPDATE SKIP LOCKED)",
)
def test_a_message_being_published_elsewhere_is_skipped_not_sent_twice(
    transactional_db, memory_broker
):
    """While another process holds a message (its commit hook or another sweeper is
    publishing it), publish() and the sweeper pass it by instead of sending it again."""
    message = OutboxMessage.objects.create(task="accounts.tasks.send_email", args=["l", "", []])
    age(message, 120)
    locked, release = threading.Event(), threading.Event()

    def hold_the_row():
        try:
            with transaction.atomic():
                OutboxMessage.objects.select_for_update().get(pk=message.pk)
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_row)
    holder.start()
    try:
        assert locked.wait(10)
        started = time.monotonic()
        assert services.publish(message.pk) is False
        assert services.publish_pending() == 0
        assert time.monotonic() - started < 2  # skipped, not waited for
    finally:
        release.set()
        holder.join()
    assert memory_broker() == []
    assert services.publish_pending() == 1
