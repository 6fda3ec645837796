"""The Chinese catalogue is complete and its compiled form is current."""

from pathlib import Path

import polib
from django.test import Client
from django.utils import translation

LOCALE = Path(__file__).resolve().parent.parent / "locale" / "zh_Hans" / "LC_MESSAGES"


def test_chinese_catalogue_is_complete():
    po = polib.pofile(str(LOCALE / "django.po"))
    untranslated = [entry.msgid for entry in po.untranslated_entries()]
    fuzzy = [entry.msgid for entry in po.fuzzy_entries()]
    assert untranslated == [] and fuzzy == []


def test_compiled_catalogue_matches_source():
    po = polib.pofile(str(LOCALE / "django.po"))
    mo = polib.mofile(str(LOCALE / "django.mo"))
    source = {(e.msgid, e.msgstr or e.msgstr_plural.get(0)) for e in po.translated_entries()}
    compiled = {(e.msgid, e.msgstr or e.msgstr_plural.get(0)) for e in mo if e.msgid}
    assert source == compiled, "run: python manage.py compilemessages"


def test_chinese_is_the_default_language(db):
    page = Client().get("/accounts/login/")
    assert page["Content-Language"] == "zh-hans"
    assert "登录" in page.content.decode()


def test_english_is_available_by_choice(db):
    client = Client()
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert "Log in" in client.get("/accounts/login/").content.decode()


def test_pages_ignore_browser_language(db):
    page = Client(headers={"accept-language": "en-US,en;q=0.9"}).get("/accounts/login/")
    assert "登录" in page.content.decode()


def test_api_honours_accept_language(db):
    response = Client(headers={"accept-language": "en"}).get("/api/v1/projects/")
    assert response.status_code == 401
    assert "Authentication credentials were not provided" in response.json()["detail"]
    response = Client().get("/api/v1/projects/")
    assert "身份认证信息未提供" in response.json()["detail"]


def test_validation_messages_are_translated():
    from django.core.exceptions import ValidationError

    from competitions.validators import validate_credit_code

    with translation.override("zh-hans"):
        try:
            validate_credit_code("123")
        except ValidationError as error:
            assert "统一社会信用代码应为18位" in error.messages[0]
