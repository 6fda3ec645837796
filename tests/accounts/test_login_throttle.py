"""The login throttle (accounts.throttling) at every door that takes a password: the login
page, the admin's login and the API token endpoint; and DRF's throttle of anonymous API use.

Each test logs in from an address of its own, so the counters (kept in the cache, shared
between tests and, with Redis, between test workers) never mix.
"""

import secrets
import time

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from rest_framework.test import APIClient

from accounts import throttling

from .. import factories as f

WRONG = "not-the-password"


@pytest.fixture
def address():
    """A client address no other test uses; its counters are cleared afterwards."""
    ip = f"2001:db8::{secrets.token_hex(2)}:{secrets.token_hex(2)}"
    yield ip
    for username in ("west", "east", "root", *(f"ghost{i}" for i in range(5))):
        throttling.forget(_request(ip), username)


def _request(ip, forwarded=None):
    from django.test import RequestFactory

    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    return RequestFactory().get("/", REMOTE_ADDR=ip, **extra)


def english(ip) -> Client:
    client = Client(REMOTE_ADDR=ip)
    client.cookies["django_language"] = "en"
    return client


def log_in(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_five_failures_lock_the_account_even_for_the_right_password(world, address):
    client = english(address)
    for _ in range(5):
        response = log_in(client, "west", WRONG)
        assert response.status_code == 200
        assert "Please enter a correct username and password" in response.content.decode()
    response = log_in(client, "west", f.PASSWORD)
    assert response.status_code == 429
    assert 890 <= int(response["Retry-After"]) <= 900
    page = response.content.decode()
    assert "Too many failed logins" in page and "try again in 15 minutes" in page
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("home")).status_code == 302


def test_the_lock_holds_one_account_from_one_address_only(world, address):
    client = english(address)
    for _ in range(5):
        log_in(client, "west", WRONG)
    # The same account from another address, and another account from this one, log in.
    assert log_in(english(address + "1"), "west", f.PASSWORD).status_code == 302
    throttling.forget(_request(address + "1"), "west")
    assert log_in(english(address), "east", f.PASSWORD).status_code == 302


def test_a_successful_login_clears_the_account_counter(world, address):
    client = english(address)
    for _ in range(4):
        log_in(client, "west", WRONG)
    assert log_in(client, "west", f.PASSWORD).status_code == 302
    client.post(reverse("logout"))
    for _ in range(4):
        assert log_in(client, "west", WRONG).status_code == 200
    assert log_in(client, "west", f.PASSWORD).status_code == 302


def test_twenty_failures_from_one_address_lock_every_account(world, address):
    client = english(address)
    # Four guesses at each of five usernames, none of them existing: no account reaches 5,
    # and unknown usernames count like known ones.
    for i in range(5):
        for _ in range(4):
            assert log_in(client, f"ghost{i}", WRONG).status_code == 200
    response = log_in(client, "west", f.PASSWORD)
    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()
    # Another address is not affected.
    other = english(address + "2")
    assert log_in(other, "west", f.PASSWORD).status_code == 302
    throttling.forget(_request(address + "2"), "west")


def test_the_lock_ends_after_the_window(world, address, settings):
    settings.LOGIN_FAILURE_WINDOW = 1
    client = english(address)
    for _ in range(5):
        log_in(client, "west", WRONG)
    assert log_in(client, "west", f.PASSWORD).status_code == 429
    time.sleep(1.2)
    assert log_in(client, "west", f.PASSWORD).status_code == 302


def test_the_admin_login_is_throttled(world, address):
    client = english(address)
    url = reverse("admin:login")
    for _ in range(5):
        response = client.post(url, {"username": "root", "password": WRONG})
        assert "Please enter the correct username and password" in response.content.decode()
    response = client.post(url, {"username": "root", "password": f.PASSWORD})
    assert "Too many failed logins" in response.content.decode()
    assert client.get(reverse("admin:index")).status_code == 302  # still not logged in


def test_the_api_token_endpoint_is_throttled(world, address):
    client = APIClient(REMOTE_ADDR=address, HTTP_ACCEPT_LANGUAGE="en")
    url = reverse("api-token")
    for _ in range(5):
        response = client.post(url, {"username": "west", "password": WRONG}, format="json")
        assert response.status_code == 400
    response = client.post(url, {"username": "west", "password": f.PASSWORD}, format="json")
    assert response.status_code == 429
    assert 890 <= int(response["Retry-After"]) <= 900
    assert "try again in 15 minutes" in response.json()["detail"]
    assert "token" not in response.json()


def test_the_api_token_endpoint_still_gives_tokens(world, address):
    client = APIClient(REMOTE_ADDR=address)
    response = client.post(
        reverse("api-token"), {"username": "west", "password": f.PASSWORD}, format="json"
    )
    assert response.status_code == 200 and response.json()["token"]


def test_a_forged_forwarded_for_does_not_escape_the_lock(world, address, settings):
    settings.NUM_PROXIES = 0
    for i in range(5):
        english(address).post(
            reverse("login"),
            {"username": "west", "password": WRONG},
            HTTP_X_FORWARDED_FOR=f"198.51.100.{i}",
        )
    response = english(address).post(
        reverse("login"),
        {"username": "west", "password": f.PASSWORD},
        HTTP_X_FORWARDED_FOR="198.51.100.99",
    )
    assert response.status_code == 429


def test_behind_a_proxy_the_address_the_proxy_saw_counts(settings):
    settings.NUM_PROXIES = 1
    proxy = "10.0.0.5"
    # The proxy appends the address it saw; anything before it came from the client.
    assert throttling.client_ip(_request(proxy, "203.0.113.7")) == "203.0.113.7"
    assert throttling.client_ip(_request(proxy, "1.2.3.4, 203.0.113.7")) == "203.0.113.7"
    settings.NUM_PROXIES = 0
    assert throttling.client_ip(_request(proxy, "203.0.113.7")) == proxy


def test_the_wait_is_said_in_chinese(world, address):
    msgid = (
        "Too many failed logins. For your account's safety, logging in is paused: please try "
        "again in %(minutes)d minute."
    )
    with translation.override("zh-hans"):
        if translation.ngettext(msgid, msgid, 1) == msgid:
            pytest.skip("the Chinese catalogue has no translation of the throttle message yet")
    client = Client(REMOTE_ADDR=address)
    for _ in range(5):
        log_in(client, "west", WRONG)
    response = log_in(client, "west", f.PASSWORD)
    assert response.status_code == 429
    with translation.override("zh-hans"):
        expected = throttling.wait_message(900)
    assert "15" in expected
    assert escape(expected) in response.content.decode()


def test_anonymous_api_use_is_throttled_per_address(world, address):
    """Public endpoints (certificate verification here) answer 429 after 60 requests a
    minute from one address, whatever X-Forwarded-For the client sends."""
    client = APIClient(REMOTE_ADDR=address)
    url = reverse("api:certificate-verify") + "?code=NO-SUCH-CODE"
    for i in range(60):
        assert client.get(url, HTTP_X_FORWARDED_FOR=f"198.51.100.{i}").status_code == 404
    response = client.get(url)
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert APIClient(REMOTE_ADDR=address + "3").get(url).status_code == 404


def test_objection_throttle_has_a_scope_of_its_own():
    """Public objections are throttled apart from other anonymous requests: otherwise
    verifying certificates would use up the objections allowed from an address."""
    from rest_framework.request import Request
    from rest_framework.throttling import AnonRateThrottle

    from awards.api import ObjectionThrottle

    request = Request(_request("192.0.2.1"))
    assert ObjectionThrottle().get_cache_key(request, None) != AnonRateThrottle().get_cache_key(
        request, None
    )
