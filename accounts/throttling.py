"""Throttling of failed logins, for every door that checks a password: the login page, the
admin's login and the API's token endpoint.

It lives in an authentication backend (``ThrottledModelBackend``, in place of Django's
``ModelBackend``) because all three call ``django.contrib.auth.authenticate()``: one check,
whichever way a password comes in. Failures are counted in the cache (Redis in production,
so every web process shares them) over a window of ``LOGIN_FAILURE_WINDOW`` seconds:

- per account and client address: after ``LOGIN_FAILURES_PER_ACCOUNT`` failures (5) that
  account is locked from that address for the window, so guessing one person's password is
  slow while the person can still log in from their own machine;
- per client address: after ``LOGIN_FAILURES_PER_IP`` failures (20), whatever the usernames,
  the address is locked for the window, so trying many accounts is slow too.

While locked, even the right password is refused, and the pages say how long to wait. A
successful login clears the account's counter (not the address's, or an attacker holding one
account could reset it between guesses). Counting unknown usernames like known ones keeps
the throttle from telling which usernames exist.

The client address is ``REMOTE_ADDR``, or behind ``NUM_PROXIES`` reverse proxies the entry
they appended to ``X-Forwarded-For`` (the same rule as DRF's throttles).
"""

import hashlib
import logging
import math
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.utils.translation import ngettext

logger = logging.getLogger("accounts.security")

KEY_PREFIX = "login-failures"
#: The attribute of the request that carries the seconds to wait once a login was refused.
WAIT_ATTRIBUTE = "login_throttled_for"


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, or the entry the last of ``NUM_PROXIES`` trusted
    proxies appended to X-Forwarded-For (entries further left are the client's to forge)."""
    if request is None:
        return "unknown"
    meta = request.META
    remote = meta.get("REMOTE_ADDR") or "unknown"
    proxies = getattr(settings, "NUM_PROXIES", 0)
    forwarded = meta.get("HTTP_X_FORWARDED_FOR")
    if not proxies or not forwarded:
        return remote
    addresses = [part.strip() for part in forwarded.split(",") if part.strip()]
    if not addresses:
        return remote
    return addresses[-min(proxies, len(addresses))]


def _digest(*parts: str) -> str:
    # Hashed: cache keys of any length and character, and no usernames in the cache.
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:40]


def _scopes(request, username: str) -> list[tuple[str, int]]:
    """(cache key, failure limit) of the account-and-address and the address counters."""
    ip = client_ip(request)
    return [
        (
            f"{KEY_PREFIX}:account:{_digest(username.casefold(), ip)}",
            settings.LOGIN_FAILURES_PER_ACCOUNT,
        ),
        (f"{KEY_PREFIX}:ip:{_digest(ip)}", settings.LOGIN_FAILURES_PER_IP),
    ]


def seconds_to_wait(request, username: str) -> int:
    """How long logins as ``username`` from this client are still refused (0: not locked)."""
    locks = cache.get_many([f"{key}:locked" for key, _limit in _scopes(request, username)])
    until = max(locks.values(), default=0)
    return max(0, math.ceil(until - time.time()))


def record_failure(request, username: str) -> None:
    """Count a failed login; lock the account (from this address) or the address once a
    counter reaches its limit."""
    window = settings.LOGIN_FAILURE_WINDOW
    for key, limit in _scopes(request, username):
        # add + incr: atomic in Redis and per process in memory, so parallel guesses all count.
        cache.add(key, 0, window)
        try:
            failures = cache.incr(key)
        except ValueError:  # the counter expired between add and incr
            cache.set(key, 1, window)
            failures = 1
        if failures >= limit:
            cache.set(f"{key}:locked", time.time() + window, window)
            cache.delete(key)
            logger.warning(
                "Logins locked for %d s after %d failures (%s, username %r, address %s)",
                window,
                failures,
                key.split(":")[1],
                username,
                client_ip(request),
            )


def record_success(request, username: str) -> None:
    """A successful login clears the account's counter from this address."""
    account_key, _limit = _scopes(request, username)[0]
    cache.delete(account_key)


def forget(request, username: str) -> None:
    """Clear every counter and lock of this account and address (tests, support staff)."""
    keys = [key for key, _limit in _scopes(request, username)]
    cache.delete_many(keys + [f"{key}:locked" for key in keys])


def wait_message(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return ngettext(
        "Too many failed logins. For your account's safety, logging in is paused: please try "
        "again in %(minutes)d minute.",
        "Too many failed logins. For your account's safety, logging in is paused: please try "
        "again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


def refused_for(request) -> int:
    """The seconds to wait if this request's login was refused by the throttle, else 0."""
    return getattr(request, WAIT_ATTRIBUTE, 0) if request is not None else 0


class ThrottledModelBackend(ModelBackend):
    """Django's username and password check, refused while the throttle locks the account
    or the address, with every failure counted."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is None or password is None:
            return None
        username = str(username)
        wait = seconds_to_wait(request, username)
        if wait:
            if request is not None:
                setattr(request, WAIT_ATTRIBUTE, wait)
            # PermissionDenied stops authenticate() from asking any other backend.
            raise PermissionDenied
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            record_failure(request, username)
        else:
            record_success(request, username)
        return user
