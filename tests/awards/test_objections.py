"""Objections during the public notice (公示): lodging, deciding, the public pages."""

import datetime

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from awards import services
from awards.models import HonourList, Objection

from .conftest import EXAMPLE_2

OBJECTOR = {"name": "王秘密", "contact": "13912345678", "content": "材料不实,工期造假。"}


def active(honour_list):
    return {
        e.project.title: (e.source, e.over_quota)
        for e in honour_list.entries.filter(removed_at__isnull=True).select_related("project")
    }


@pytest.fixture
def published(world, ranking, honour):
    """The AWARDS.md example (quota 2, minimum 85): A and B published, notice open today."""
    ranking(EXAMPLE_2, vetoed={"D"})
    honour_list = services.generate(honour(quota=2, min_score="85"))
    today = timezone.localdate()
    return services.publish(
        honour_list, world.users["city"], today - datetime.timedelta(days=1), today
    )


def entry(honour_list, title):
    return honour_list.entries.get(project__title=title, removed_at__isnull=True)


def test_lodge_within_notice_is_saved(published):
    a = entry(published, "A")
    objection = services.lodge_objection(a, **OBJECTOR)
    assert objection.pk and objection.status == Objection.Status.LODGED
    # Both days of the notice are included.
    services.lodge_objection(a, **OBJECTOR, today=published.notice_start)
    services.lodge_objection(a, **OBJECTOR, today=published.notice_end)
    assert Objection.objects.count() == 3


def test_lodge_outside_notice_or_on_draft_is_refused(world, ranking, honour):
    ranking(EXAMPLE_2, vetoed={"D"})
    honour_list = services.generate(honour(quota=2, min_score="85"))
    a = entry(honour_list, "A")
    with pytest.raises(ValidationError, match="public notice"):
        services.lodge_objection(a, **OBJECTOR)
    monday = datetime.date(2026, 3, 2)
    services.publish(honour_list, world.users["city"], monday)
    honour_list.refresh_from_db()
    one = datetime.timedelta(days=1)
    for day in (monday - one, honour_list.notice_end + one):
        with pytest.raises(ValidationError, match="public notice"):
            services.lodge_objection(a, **OBJECTOR, today=day)
    assert not Objection.objects.exists()


def test_lodge_needs_name_contact_and_content(published):
    a = entry(published, "A")
    for bad in ({"name": " "}, {"contact": "not a contact"}, {"content": ""}):
        with pytest.raises(ValidationError):
            services.lodge_objection(a, **(OBJECTOR | bad))
    services.lodge_objection(a, **(OBJECTOR | {"contact": "wang@example.com"}))
    assert Objection.objects.count() == 1


def test_lodge_against_removed_entry_is_refused(world, published):
    a = entry(published, "A")
    services.remove_entry(a, world.users["city"], "材料不实", substitute=False)
    with pytest.raises(ValidationError, match="removed"):
        services.lodge_objection(a, **OBJECTOR)
    assert not Objection.objects.exists()


def test_public_notice_pages_show_entries_never_the_objector(published):
    services.lodge_objection(entry(published, "A"), **OBJECTOR)
    client = Client()
    for url in (reverse("awards:notices"), reverse("awards:notice", args=[published.pk])):
        page = client.get(url)
        assert page.status_code == 200
        html = page.content.decode()
        assert "单位A" in html and "单位B" in html and "91.01" in html
        assert "服务峰会立功竞赛" in html and "先进集体" in html
        assert OBJECTOR["name"] not in html and OBJECTOR["contact"] not in html
        assert OBJECTOR["content"] not in html


def test_draft_list_has_no_public_page(world, ranking, honour):
    ranking(EXAMPLE_2, vetoed={"D"})
    honour_list = services.generate(honour(quota=2, min_score="85"))
    assert Client().get(reverse("awards:notice", args=[honour_list.pk])).status_code == 404
    assert "单位A" not in Client().get(reverse("awards:notices")).content.decode()


def test_lodge_through_the_page(published):
    client = Client()
    client.cookies["django_language"] = "en"
    url = reverse("awards:notice", args=[published.pk])
    a = entry(published, "A")
    response = client.post(url, {"entry": a.pk, **OBJECTOR}, follow=True)
    assert response.redirect_chain[-1][0] == url
    assert "Thank you" in response.content.decode()
    assert Objection.objects.get().entry == a


def test_bad_input_shows_errors_in_the_users_language(published):
    url = reverse("awards:notice", args=[published.pk])
    a = entry(published, "A")
    english = Client()
    english.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = english.post(url, {"entry": a.pk, **OBJECTOR, "contact": "???", "name": ""})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Give a phone number or an e-mail address." in html
    assert "This field is required." in html
    chinese = Client().post(url, {"entry": a.pk, **OBJECTOR, "name": ""})
    assert "该字段是必填项" in chinese.content.decode()
    assert not Objection.objects.exists()


def test_page_refuses_objection_outside_notice(world, published):
    HonourList.objects.filter(pk=published.pk).update(
        notice_start=datetime.date(2020, 1, 6), notice_end=datetime.date(2020, 1, 10)
    )
    url = reverse("awards:notice", args=[published.pk])
    client = Client()
    client.cookies["django_language"] = "en"
    page = client.get(url)
    assert page.status_code == 200 and 'name="content"' not in page.content.decode()
    response = client.post(url, {"entry": entry(published, "A").pk, **OBJECTOR}, follow=True)
    assert "only during the public notice" in response.content.decode()
    assert not Objection.objects.exists()


def test_worked_example_upheld_objection_through_the_pages(world, published, client_for):
    a = entry(published, "A")
    Client().post(reverse("awards:notice", args=[published.pk]), {"entry": a.pk, **OBJECTOR})
    objection = Objection.objects.get()
    staff = client_for("city")
    staff.cookies["django_language"] = "en"
    url = reverse("awards:objections", args=[published.pk])
    page = staff.get(url).content.decode()
    assert OBJECTOR["name"] in page and OBJECTOR["contact"] in page
    prefix = f"o{objection.pk}"
    response = staff.post(
        url,
        {
            "objection": objection.pk,
            f"{prefix}-decision": "upheld",
            f"{prefix}-investigation": "经核查,材料不实",
        },
        follow=True,
    )
    html = response.content.decode()
    assert "2 substitutes" in html and "单位C" in html and "单位E" in html
    assert active(published) == {
        "B": ("generated", False),
        "C": ("substitute", True),
        "E": ("substitute", True),
    }
    a.refresh_from_db()
    assert a.removed_at and a.removal_reason == "经核查,材料不实"
    objection.refresh_from_db()
    assert objection.status == Objection.Status.UPHELD
    assert objection.decided_by == world.users["city"] and objection.decided_at
    # The public page no longer lists A; the substitutes appear.
    public = Client().get(reverse("awards:notice", args=[published.pk])).content.decode()
    assert "单位A" not in public and "单位C" in public
    # Deciding twice is refused.
    with translation.override("en"), pytest.raises(ValidationError, match="decided already"):
        services.decide_objection(objection, world.users["city"], False, "再议")


def test_dismissed_objection_leaves_the_entry(world, published):
    a = entry(published, "A")
    objection = services.lodge_objection(a, **OBJECTOR)
    with pytest.raises(ValidationError, match="investigation"):
        services.decide_objection(objection, world.users["city"], False, "  ")
    assert services.decide_objection(objection, world.users["city"], False, "经核查属实") == []
    objection.refresh_from_db()
    assert objection.status == Objection.Status.DISMISSED
    assert objection.investigation == "经核查属实"
    assert active(published) == {"A": ("generated", False), "B": ("generated", False)}


def test_decision_refused_to_other_staff_and_anonymous(world, published, client_for):
    objection = services.lodge_objection(entry(published, "A"), **OBJECTOR)
    for name in ("west", "unit_a", "evaluator"):
        with pytest.raises(PermissionDenied):
            services.decide_objection(objection, world.users[name], True, "越权")
    url = reverse("awards:objections", args=[published.pk])
    data = {
        "objection": objection.pk,
        f"o{objection.pk}-decision": "upheld",
        f"o{objection.pk}-investigation": "越权",
    }
    for name in ("west", "unit_a"):
        client = client_for(name)
        assert client.get(url).status_code in (403, 404)
        assert client.post(url, data).status_code in (403, 404)
    anonymous = Client()
    assert anonymous.get(url).status_code == 302
    assert anonymous.post(url, data).status_code == 302
    objection.refresh_from_db()
    assert objection.status == Objection.Status.LODGED
    assert active(published) == {"A": ("generated", False), "B": ("generated", False)}


def test_confirm_refused_while_objection_lodged(world, published):
    objection = services.lodge_objection(entry(published, "A"), **OBJECTOR)
    after = published.notice_end + datetime.timedelta(days=1)
    with pytest.raises(ValidationError, match="objections"):
        services.confirm(published, world.users["city"], today=after)
    services.decide_objection(objection, world.users["city"], False, "经核查属实")
    assert services.confirm(published, world.users["city"], today=after).status == "confirmed"


def test_notice_pages_cost_constant_queries(world, ranking, honour):
    ranking({f"P{i}": [str(90 - i)] for i in range(6)})

    def queries(count):
        honour_list = services.generate(honour(quota=count))
        today = timezone.localdate()
        services.publish(honour_list, world.users["city"], today, today)
        services.lodge_objection(honour_list.entries.first(), **OBJECTOR)
        client = Client()
        counts = []
        for url in (reverse("awards:notices"), reverse("awards:notice", args=[honour_list.pk])):
            with CaptureQueriesContext(connection) as captured:
                page = client.get(url)
            assert page.status_code == 200
            assert page.content.decode().count("<tr><td>") == count
            counts.append(len(captured))
        honour_list.rule.delete()
        return counts

    assert queries(2) == queries(6)


def test_admin_shows_objections_to_campaign_staff_only(world, published, client_for):
    from awards.queries import objections_for_staff

    objection = services.lodge_objection(entry(published, "A"), **OBJECTOR)
    city = client_for("city")
    assert city.get("/admin/awards/objection/").status_code == 200
    page = city.get(f"/admin/awards/objection/{objection.pk}/change/")
    assert page.status_code == 200 and OBJECTOR["contact"] in page.content.decode()
    west = client_for("west")
    assert west.get(f"/admin/awards/objection/{objection.pk}/change/").status_code in (302, 403)
    assert list(objections_for_staff(world.users["city"])) == [objection]
    assert list(objections_for_staff(world.users["province"])) == [objection]
    for name in ("west", "unit_a", "norole"):
        assert not objections_for_staff(world.users[name]).exists()
