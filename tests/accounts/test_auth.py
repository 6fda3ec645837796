import pytest
from django.core import mail
from django.urls import reverse

from .. import factories as f
from ..conftest import wait_for


def test_login_and_logout(world, client):
    response = client.post(reverse("login"), {"username": "west", "password": f.PASSWORD})
    assert response.status_code == 302 and response.url == reverse("home")
    assert client.get(reverse("home")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("home")).status_code == 302


def test_login_wrong_password_shows_error_in_chinese(world, client):
    response = client.post(reverse("login"), {"username": "west", "password": "nope"})
    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()


def test_password_change(world, client_for):
    client = client_for("west")
    response = client.post(
        reverse("password_change"),
        {
            "old_password": f.PASSWORD,
            "new_password1": "A-much-better-pass-42",
            "new_password2": "A-much-better-pass-42",
        },
    )
    assert response.status_code == 302
    world.users["west"].refresh_from_db()
    assert world.users["west"].check_password("A-much-better-pass-42")


@pytest.mark.celery_worker
def test_password_reset_mail_is_sent_by_task_after_commit(
    world, client, django_capture_on_commit_callbacks, celery_worker_thread
):
    user = world.users["west"]
    user.email = "west@example.com"
    user.save()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("password_reset"), {"email": "west@example.com"})
    assert response.status_code == 302
    wait_for(lambda: len(mail.outbox) == 1)
    assert mail.outbox[0].to == ["west@example.com"]
    assert "/accounts/reset/" in mail.outbox[0].body


def test_language_switch_to_english(world, client_for):
    client = client_for("west")
    assert "竞赛活动" in client.get(reverse("home")).content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert "Campaigns" in client.get(reverse("home")).content.decode()
