"""A Redis cache that keeps pages working while Redis is unreachable.

Nothing this project keeps in the cache is needed to answer a request: honours generation
progress is informative, form one-time tokens and throttling counters only hold back repeats.
So while Redis is down the cache answers as Django's dummy cache does (a miss on ``get``,
``add`` succeeds, writes do nothing) instead of raising, and logs a warning once per outage.

After a failure, Redis is not tried again for ``RETRY_AFTER`` seconds (per process), so a
Redis that hangs costs a request at most the socket timeouts once in that window rather than
on every cache call.
"""

import logging
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

logger = logging.getLogger(__name__)

UNAVAILABLE = (RedisConnectionError, RedisTimeoutError)
RETRY_AFTER = 5.0

_lock = threading.Lock()
# Location → monotonic time until which Redis is considered down (0: it is up).
_down_until: dict[str, float] = {}


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        # One immediate retry over a new connection: after a Redis restart the pooled
        # connections are dead, and the first command on each would otherwise fail.
        self._options = {"retry": Retry(NoBackoff(), 1), **self._options}
        self._location = str(server)

    # Circuit breaker ---------------------------------------------------------------------

    def _skipping(self) -> bool:
        return time.monotonic() < _down_until.get(self._location, 0.0)

    def _failed(self, error) -> None:
        with _lock:
            was_up = not _down_until.get(self._location)
            _down_until[self._location] = time.monotonic() + RETRY_AFTER
        if was_up:
            logger.warning(
                "Redis cache unavailable (%s: %s); pages go on without the cache",
                type(error).__name__,
                error,
            )

    def _succeeded(self) -> None:
        if _down_until.get(self._location):
            with _lock:
                _down_until[self._location] = 0.0
            logger.warning("Redis cache reachable again")

    def _call(self, method: str, fallback, *args, **kwargs):
        if self._skipping():
            return fallback
        try:
            result = getattr(super(), method)(*args, **kwargs)
        except UNAVAILABLE as error:
            self._failed(error)
            return fallback
        self._succeeded()
        return result

    # The cache API, each with the dummy cache's answer while Redis is down -----------------

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("add", True, key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._call("get", default, key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set", None, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("touch", False, key, timeout, version)

    def delete(self, key, version=None):
        return self._call("delete", False, key, version)

    def get_many(self, keys, version=None):
        return self._call("get_many", {}, keys, version)

    def has_key(self, key, version=None):
        return self._call("has_key", False, key, version)

    def incr(self, key, delta=1, version=None):
        missing = object()
        result = self._call("incr", missing, key, delta, version)
        if result is missing:
            # As for a key that is not there (the dummy cache's answer).
            raise ValueError(f"Key '{key}' not found.")
        return result

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set_many", [], data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._call("delete_many", None, keys, version)

    def clear(self):
        return self._call("clear", False)
