"""The outbox sweeper: sends the task messages that could not be published after their
commit (the broker was down)."""

import logging

from celery import bootsteps, shared_task

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def publish_pending(min_age: float | None = None) -> int:
    """Celery beat, every minute, and each time a worker (re)connects to the broker: publish
    the pending outbox messages and purge the old sent ones. Returns how many were sent."""
    from . import services

    sent = services.publish_pending(min_age=min_age)
    services.purge_sent()
    return sent


class SweepOutboxOnConnect(bootsteps.StartStopStep):
    """Worker consumer step, started whenever the worker connects to the broker: at start
    and again after every lost connection (Redis restarted). Messages kept in the outbox
    meanwhile are sent then, not at the next beat. All of them, however young: none can be
    sent twice, publishing takes the row's lock (``dispatch.services``)."""

    requires = {"celery.worker.consumer.tasks:Tasks"}

    def start(self, consumer):
        try:
            publish_pending.apply_async(kwargs={"min_age": 0}, ignore_result=True)
        except Exception:  # noqa: BLE001 (the beat sweep will do it)
            logger.warning("Could not queue the outbox sweep", exc_info=True)
