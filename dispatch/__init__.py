"""Durable dispatch of Celery tasks: a transactional outbox.

``send_on_commit(task, *args)`` records the task message in the caller's transaction and
publishes it to the broker once the transaction commits. A message that cannot be published
(Redis down) stays in the outbox and a sweeper sends it when the broker is back, so the work
is never lost and the user never sees an error for it. See ``dispatch.services``.
"""


def send_on_commit(task, *args):
    """Queue ``task(*args)`` to run after the current transaction commits (see
    ``dispatch.services.send_on_commit``)."""
    from .services import send_on_commit as send

    return send(task, *args)
