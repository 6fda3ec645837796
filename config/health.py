"""``/healthz/``: is the app able to serve, and what is degraded.

Plain text, one fact a line, for load balancers, docker compose and people::

    ok                  (or "degraded": Redis is down, pages still work; "unavailable")
    database: ok
    redis: ok           (or "down (…)", or "not configured" without REDIS_URL)
    outbox: 0 waiting   (task messages not yet accepted by the broker, and the oldest's age)

Status 200 while the database answers, 503 when it does not (then nothing can be served).
"""

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.http import HttpResponse
from django.utils import timezone

TIMEOUT = 1  # seconds, for the Redis check


@transaction.non_atomic_requests
def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = "ok"
    except DatabaseError as error:
        database = f"down ({type(error).__name__})"
    redis = _redis_state()
    lines = [
        f"database: {database}",
        f"redis: {redis}",
    ]
    if database == "ok":
        lines.append(f"outbox: {_outbox_state()}")
    overall = (
        "unavailable" if database != "ok" else "degraded" if redis.startswith("down") else "ok"
    )
    return HttpResponse(
        "\n".join([overall, *lines]) + "\n",
        content_type="text/plain; charset=utf-8",
        status=503 if overall == "unavailable" else 200,
    )


def _redis_state() -> str:
    if not settings.REDIS_URL:
        return "not configured"
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    client = redis.Redis.from_url(
        settings.REDIS_URL,
        socket_connect_timeout=TIMEOUT,
        socket_timeout=TIMEOUT,
        retry=Retry(NoBackoff(), 0),  # one try: a hung Redis must not hold the check up
    )
    try:
        client.ping()
    except redis.RedisError as error:
        return f"down ({type(error).__name__})"
    finally:
        client.close()
    return "ok"


def _outbox_state() -> str:
    from dispatch.models import OutboxMessage

    waiting = OutboxMessage.objects.filter(sent_at__isnull=True)
    oldest = waiting.order_by("created_at").values_list("created_at", flat=True).first()
    if oldest is None:
        return "0 waiting"
    age = int((timezone.now() - oldest).total_seconds())
    return f"{waiting.count()} waiting, oldest {age} s"
