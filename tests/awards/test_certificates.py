"""Certificates: the PDF and its Chinese text, the font check, numbering, the bulk downloads,
the public verification page and API, and who may download what."""

import datetime
import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from pypdf import PdfReader
from rest_framework.test import APIClient

from awards import certificates as printing
from awards import services
from awards.models import Certificate, HonourType
from competitions.models import Campaign

from .. import factories as f
from .conftest import EXAMPLE_2

MONDAY = datetime.date(2026, 3, 2)
ISSUED = datetime.date(2026, 3, 10)
BASE = "https://jingsai.example.org"


def flat(text: str) -> str:
    """pypdf puts spaces and line breaks between CJK glyphs: compare without whitespace."""
    return "".join(text.split())


def pdf_text(data: bytes) -> list[str]:
    return [flat(page.extract_text()) for page in PdfReader(io.BytesIO(data)).pages]


def expected_text(certificate, addressee, campaign, honour, issuer, date, url):
    return flat(
        f"荣誉证书{addressee}：在{campaign}中表现突出，被授予“{honour}”称号。"
        f"特发此证，以资鼓励。{issuer}{date}"
        f"证书编号：{certificate.number}验证码：{certificate.verification_code}"
        f"验证网址：{url}"
    )


@pytest.fixture
def confirmed(world, ranking, honour):
    """The 先进集体 list of the world's zone confirmed with 西湖酒店 (serial 1) and 滨江电力
    (serial 2); ``remove`` names entries removed before confirmation (no substitutes)."""

    def make(remove=(), objection=False):
        ranking(EXAMPLE_2, vetoed={"D"}, units={"A": world.unit_a, "B": world.unit_b})
        staff = world.users["city"]
        honour_list = services.generate(honour(quota=2, min_score="85"))
        for unit in remove:
            entry = honour_list.entries.get(unit=unit)
            services.remove_entry(entry, staff, "材料不实", substitute=False)
        published = services.publish(honour_list, staff, MONDAY)
        if objection:
            entry = published.entries.get(unit=world.unit_a)
            lodged = services.lodge_objection(
                entry, "举报人王五", "13800001111", "质疑安全台账", today=MONDAY
            )
            services.decide_objection(lodged, staff, False, "经核查台账齐全")
        done = services.confirm(
            published, staff, today=published.notice_end + datetime.timedelta(days=1)
        )
        Certificate.objects.filter(entry__honour_list=done).update(issued_on=ISSUED)
        return done

    return make


def instant(world, campaign=None, staff="city", unit=None, person="李娜", honour="五一劳动奖章"):
    """An instant honour (and so a certificate) for a person of the world's unit A."""
    campaign = campaign or world.campaign
    if campaign.status != Campaign.Status.ACTIVE:
        campaign.status = Campaign.Status.ACTIVE
        campaign.save()
    unit = unit or world.unit_a
    recipient = {"unit": unit}
    if person:
        recipient["person"] = unit.people.get(name=person)
    awarded = services.award_instant(
        campaign,
        HonourType.objects.get(name=honour),
        world.users[staff],
        "勇救落水群众",
        **recipient,
    )
    return awarded.certificate


# --- The text ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "text"),
    [
        (datetime.date(2026, 3, 10), "二〇二六年三月十日"),
        (datetime.date(2026, 12, 31), "二〇二六年十二月三十一日"),
        (datetime.date(2030, 10, 20), "二〇三〇年十月二十日"),
        (datetime.date(2027, 1, 1), "二〇二七年一月一日"),
        (datetime.date(2026, 11, 19), "二〇二六年十一月十九日"),
    ],
)
def test_chinese_date_of_certificates(day, text):
    assert printing.chinese_date(day) == text


def test_certificate_pdf_text_is_the_chinese_certificate_text(world, confirmed):
    honour_list = confirmed()
    certificate = Certificate.objects.get(entry__honour_list=honour_list, serial=1)
    url = printing.verification_url(certificate, BASE)
    assert url == f"{BASE}/honours/verify/{certificate.verification_code}/"
    # The UI is in English here (the autouse fixture); the certificate is Chinese anyway.
    data = printing.render(certificate, url)
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert float(box.width) > float(box.height)  # landscape
    assert pdf_text(data) == [
        expected_text(
            certificate,
            "西湖酒店",
            "服务峰会立功竞赛",
            "先进集体",
            "杭州市总工会",
            "二〇二六年三月十日",
            url,
        )
    ]


def test_person_certificate_names_the_unit_and_prints_the_middle_dot(world):
    person = f.PersonFactory(unit=world.unit_a, name="阿依古丽·买买提")
    certificate = instant(world, person=person.name)
    certificate.issued_on = ISSUED
    url = printing.verification_url(certificate, BASE)
    [text] = pdf_text(printing.render(certificate, url))
    assert text == expected_text(
        certificate,
        "阿依古丽·买买提（西湖酒店）",
        "服务峰会立功竞赛",
        "五一劳动奖章",
        "杭州市总工会",
        "二〇二六年三月十日",
        url,
    )


def test_long_texts_stay_on_one_page(world):
    certificate = instant(world)
    certificate.campaign_title = "杭州市“迎亚运、当先锋、作表率”重点工程建设劳动竞赛" * 4
    certificate.unit_name = "杭州市地铁集团有限责任公司运营分公司" * 2
    data = printing.render(certificate, printing.verification_url(certificate, BASE))
    [text] = pdf_text(data)
    assert flat(certificate.campaign_title) in text and "特发此证，以资鼓励。" in text


# --- The font ---------------------------------------------------------------------------------


def test_character_missing_from_the_font_refuses_the_certificate(world, client_for):
    certificate = instant(world)
    Certificate.objects.filter(pk=certificate.pk).update(recipient_name="王喆", unit_name="𠮷野家")
    certificate.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        printing.render(certificate, printing.verification_url(certificate, BASE))
    message = refused.value.messages[0]
    assert "“喆”(U+5586)" in message and "“𠮷”(U+20BB7)" in message
    assert "CERTIFICATE_FONT" in message
    assert printing.missing_characters(["王喆 李娜"]) == ["喆"]
    # The page download says so instead of sending a broken PDF.
    client = client_for("city")
    client.cookies["django_language"] = "en"
    response = client.get(f"/honours/certificates/{certificate.pk}/pdf/", follow=True)
    assert response.headers["Content-Type"].startswith("text/html")
    assert "U+5586" in response.content.decode()
    # So does the API (409), naming the characters.
    api = APIClient()
    api.force_authenticate(world.users["city"])
    response = api.get(f"/api/v1/certificates/{certificate.pk}/pdf/")
    assert response.status_code == 409 and "U+5586" in response.json()["detail"]


def test_certificate_font_setting_is_used_and_checked(world, settings, tmp_path):
    """A TrueType CERTIFICATE_FONT without Chinese (cut from the shipped one) refuses, naming
    the characters; with them it prints."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    certificate = instant(world)
    url = printing.verification_url(certificate, BASE)
    shipped = TTFont(str(settings.CERTIFICATE_FONT))
    subsetter = subset.Subsetter(subset.Options())
    subsetter.populate(text="".join(chr(c) for c in range(32, 127)) + "荣誉证书")
    subsetter.subset(shipped)
    printing._to_truetype(shipped)
    latin = tmp_path / "latin.ttf"
    shipped.save(str(latin))
    settings.CERTIFICATE_FONT = latin
    with pytest.raises(ValidationError) as refused:
        printing.render(certificate, url)
    message = refused.value.messages[0]
    assert message.startswith("The certificate font has no glyph for “李”(U+674E)、“娜”(U+5A1C)")
    assert "荣" not in message and "U+3000、" in message and message.count("U+") == 30
    assert "、…, so" in message
    assert printing.missing_characters(["荣誉证书 ABC"]) == []


def test_bulk_download_refused_as_a_whole_when_one_name_lacks_glyphs(world, confirmed):
    honour_list = confirmed()
    Certificate.objects.filter(entry__honour_list=honour_list, serial=2).update(
        recipient_name="滨江电力喆"
    )
    client = Client()
    client.force_login(world.users["city"])
    client.cookies["django_language"] = "en"
    response = client.get(f"/honours/lists/{honour_list.pk}/certificates/zip/", follow=True)
    assert response.redirect_chain[-1][0] == f"/honours/lists/{honour_list.pk}/certificates/"
    assert "U+5586" in response.content.decode()


# --- Numbering --------------------------------------------------------------------------------


def test_numbers_run_on_per_campaign_across_lists_and_instant_honours(world, confirmed):
    honour_list = confirmed()
    later = instant(world)
    other = f.CampaignFactory(
        organiser=world.city, title="另一竞赛", start_date=datetime.date(2025, 5, 1)
    )
    first_of_other = instant(world, campaign=other)
    year, pk = world.campaign.start_date.year, world.campaign.pk
    listed = list(Certificate.objects.filter(entry__honour_list=honour_list).order_by("serial"))
    assert [c.number for c in [*listed, later]] == [
        f"{year}-{pk:04d}-00001",
        f"{year}-{pk:04d}-00002",
        f"{year}-{pk:04d}-00003",
    ]
    assert first_of_other.number == f"2025-{other.pk:04d}-00001"
    assert printing.file_name(later) == f"{later.number}-李娜.pdf"
    later.recipient_name = "前厅 班组/夜班"
    assert printing.file_name(later) == f"{later.number}-前厅_班组_夜班.pdf"


# --- Bulk downloads ---------------------------------------------------------------------------


def test_bulk_zip_holds_one_pdf_per_active_entry(world, confirmed, client_for):
    honour_list = confirmed(remove=[world.unit_a])
    active = honour_list.entries.filter(removed_at__isnull=True)
    assert honour_list.entries.count() == 2 and active.count() == 1
    response = client_for("city").get(f"/honours/lists/{honour_list.pk}/certificates/zip/")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert "filename*=utf-8''" in response["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    [certificate] = Certificate.objects.filter(entry__honour_list=honour_list)
    assert certificate.entry.unit == world.unit_b
    assert archive.namelist() == [f"{certificate.number}-滨江电力.pdf"]
    [text] = pdf_text(archive.read(archive.namelist()[0]))
    assert "滨江电力：" in text and certificate.verification_code in text
    assert f"http://testserver/honours/verify/{certificate.verification_code}/" in text


def test_bulk_zip_and_booklet_of_two(world, confirmed, client_for):
    honour_list = confirmed()
    client = client_for("province")  # a union above the organiser runs the campaign too
    response = client.get(f"/honours/lists/{honour_list.pk}/certificates/zip/")
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    numbers = [c.number for c in Certificate.objects.filter(entry__honour_list=honour_list)]
    assert archive.namelist() == [f"{numbers[0]}-西湖酒店.pdf", f"{numbers[1]}-滨江电力.pdf"]
    response = client.get(f"/honours/lists/{honour_list.pk}/certificates/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pages = pdf_text(response.content)
    assert len(pages) == 2 and "西湖酒店：" in pages[0] and "滨江电力：" in pages[1]


def test_list_without_certificates_offers_no_bulk_download(world, ranking, honour, client_for):
    ranking(EXAMPLE_2, vetoed={"D"})
    honour_list = services.generate(honour(quota=2, min_score="85"))
    client = client_for("city")
    client.cookies["django_language"] = "en"
    page = client.get(f"/honours/lists/{honour_list.pk}/certificates/")
    assert page.status_code == 200
    assert "issued when the list is confirmed" in page.content.decode()
    response = client.get(f"/honours/lists/{honour_list.pk}/certificates/zip/", follow=True)
    assert "no certificates yet" in response.content.decode()


# --- Who may download -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("superuser", 200),
        ("province", 200),
        ("city", 200),
        ("west", 404),  # districts under the organiser do not run the campaign
        ("east", 404),
        ("unit_a", 200),  # the recipient's unit
        ("unit_b", 404),
        ("evaluator", 404),
        ("norole", 404),
        ("anonymous", 302),
    ],
)
def test_certificate_pdf_permissions(world, client_for, role, status):
    certificate = instant(world)
    response = client_for(role).get(f"/honours/certificates/{certificate.pk}/pdf/")
    assert response.status_code == status
    if status == 200:
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")
    if status == 302:
        assert response["Location"].startswith("/accounts/login/")


def test_district_campaign_certificates_are_for_that_district_not_another(world, client_for):
    west_campaign = f.CampaignFactory(organiser=world.west, title="西湖区岗位练兵")
    certificate = instant(world, campaign=west_campaign, staff="west")
    assert certificate.issuer_name == "西湖区总工会"
    url = f"/honours/certificates/{certificate.pk}/pdf/"
    assert client_for("west").get(url).status_code == 200
    assert client_for("east").get(url).status_code == 404
    assert client_for("city").get(url).status_code == 200  # the union above


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("city", 200),
        ("superuser", 200),
        ("west", 403),
        ("east", 403),
        ("unit_a", 403),
        ("anonymous", 302),
    ],
)
def test_list_certificate_pages_are_for_the_campaign_staff(
    world, confirmed, client_for, role, status
):
    honour_list = confirmed()
    client = client_for(role)
    for suffix in ("", "zip/", "pdf/"):
        response = client.get(f"/honours/lists/{honour_list.pk}/certificates/{suffix}")
        assert response.status_code == status, suffix


def test_certificate_list_is_scoped(world, confirmed, client_for):
    honour_list = confirmed()
    mine = instant(world)
    listed = list(Certificate.objects.filter(entry__honour_list=honour_list))
    theirs = listed[1]  # 滨江电力, unit B

    def numbers(role, query=""):
        page = client_for(role).get(f"/honours/certificates/{query}")
        assert page.status_code == 200
        return {c.number for c in page.context["certificates"]}

    everything = {c.number for c in [*listed, mine]}
    assert numbers("city") == everything
    assert numbers("unit_a") == {listed[0].number, mine.number}
    assert numbers("unit_b") == {theirs.number}
    assert numbers("east") == set() and numbers("evaluator") == set()
    assert numbers("city", "?q=滨江") == {theirs.number}
    assert numbers("city", f"?campaign={world.campaign.pk}") == everything
    assert client_for("anonymous").get("/honours/certificates/").status_code == 302


def _count(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_certificate_list_page_queries_do_not_grow_with_rows(world, client_for):
    client = client_for("city")
    instant(world)
    one = _count(client, "/honours/certificates/")
    for _i in range(19):
        instant(world)
    assert Certificate.objects.count() == 20
    assert _count(client, "/honours/certificates/") == one


def test_list_certificates_page_queries_do_not_grow_with_rows(world, confirmed, client_for):
    honour_list = confirmed()
    client = client_for("city")
    url = f"/honours/lists/{honour_list.pk}/certificates/"
    before = _count(client, url)
    for serial in range(3, 21):
        # More certificates of the same list: copies of the first on other entries.
        entry = honour_list.entries.create(unit=f.UnitFactory(organisation=world.west))
        Certificate.objects.create(
            campaign=world.campaign,
            entry=entry,
            serial=serial,
            number=f"X-{serial}",
            verification_code=f"CODE{serial:08d}",
            honour_name="先进集体",
            recipient_name=entry.unit.name,
            unit_name=entry.unit.name,
            campaign_title="服务峰会立功竞赛",
            issuer_name="杭州市总工会",
            issued_on=ISSUED,
        )
    assert _count(client, url) == before


# --- Public verification ----------------------------------------------------------------------


def test_verification_page_shows_the_printed_details_to_anyone(world, confirmed):
    honour_list = confirmed(objection=True)
    certificate = Certificate.objects.get(entry__honour_list=honour_list, serial=1)
    client = Client()  # anonymous
    client.cookies["django_language"] = "en"
    response = client.get(f"/honours/verify/{certificate.verification_code}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Genuine certificate" in page
    for detail in (
        "先进集体",
        "西湖酒店",
        "服务峰会立功竞赛",
        "杭州市总工会",
        "2026-03-10",
        certificate.number,
    ):
        assert detail in page
    # Nothing that is not on the certificate: not the objection, not the ranking.
    entry = certificate.entry
    for secret in ("举报人王五", "13800001111", "质疑安全台账", "经核查台账齐全", str(entry.score)):
        assert secret not in page


def test_verification_accepts_number_and_loosely_typed_code(world):
    certificate = instant(world)
    client = Client()
    code = certificate.verification_code
    loose = f" {code[:4].lower()}-{code[4:8]} {code[8:]} "
    response = client.get("/honours/verify/", {"code": loose})
    assert response.status_code == 302 and response["Location"] == f"/honours/verify/{code}/"
    response = client.get("/honours/verify/", {"code": certificate.number})
    assert response["Location"] == f"/honours/verify/{certificate.number}/"
    assert client.get(response["Location"]).context["certificate"] == certificate


def test_unknown_code_is_a_clear_not_found(world):
    instant(world)
    client = Client()
    client.cookies["django_language"] = "en"
    response = client.get("/honours/verify/ZZZZZZZZZZZZ/")
    assert response.status_code == 404
    assert "Certificate not found" in response.content.decode()
    assert client.get("/honours/verify/2026-9999-00001/").status_code == 404
    # Rubbish in the form is a form error, not a 500.
    response = client.get("/honours/verify/", {"code": "<script>"})
    assert response.status_code == 200 and response.context["form"].errors
    assert client.get("/honours/verify/").status_code == 200


# --- API --------------------------------------------------------------------------------------


def api(world, role=None):
    client = APIClient()
    if role:
        client.force_authenticate(world.users[role])
    return client


def test_api_lists_certificates_in_scope(world, confirmed):
    honour_list = confirmed()
    mine = instant(world)
    rows = api(world, "city").get("/api/v1/certificates/").json()["results"]
    assert [row["number"] for row in rows] == [
        c.number for c in Certificate.objects.order_by("serial")
    ]
    first = rows[0]
    assert first["honour_list"] == honour_list.pk and first["instant_honour"] is None
    assert first["verification_url"] == (
        f"http://testserver/honours/verify/{first['verification_code']}/"
    )
    assert first["pdf"] == f"http://testserver/api/v1/certificates/{first['id']}/pdf/"
    assert rows[-1]["honour_list"] is None and rows[-1]["recipient_name"] == "李娜"
    unit_rows = api(world, "unit_a").get("/api/v1/certificates/").json()["results"]
    assert {row["id"] for row in unit_rows} == {rows[0]["id"], mine.pk}
    assert api(world, "east").get("/api/v1/certificates/").json()["results"] == []
    assert api(world, "east").get(f"/api/v1/certificates/{mine.pk}/").status_code == 404
    filtered = api(world, "city").get(f"/api/v1/certificates/?honour_list={honour_list.pk}")
    assert len(filtered.json()["results"]) == 2
    assert api(world).get("/api/v1/certificates/").status_code == 401


def test_api_pdf_download(world):
    certificate = instant(world)
    client = api(world, "unit_a")
    response = client.get(f"/api/v1/certificates/{certificate.pk}/pdf/")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "李娜" in pdf_text(response.content)[0]
    response = client.get(
        f"/api/v1/certificates/{certificate.pk}/pdf/", HTTP_ACCEPT="application/pdf"
    )
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    refused = api(world, "unit_b").get(
        f"/api/v1/certificates/{certificate.pk}/pdf/", HTTP_ACCEPT="application/pdf"
    )
    assert refused.status_code == 404 and refused["Content-Type"] == "application/json"
    assert "detail" in refused.json()
    assert (
        api(world, "unit_b").get(f"/api/v1/certificates/{certificate.pk}/pdf/").status_code == 404
    )
    assert api(world).get(f"/api/v1/certificates/{certificate.pk}/pdf/").status_code == 401


def test_api_verify_is_public_and_returns_the_printed_details_only(world):
    certificate = instant(world)
    client = api(world)
    response = client.get("/api/v1/certificates/verify/", {"code": certificate.verification_code})
    assert response.status_code == 200
    assert response.json() == {
        "number": certificate.number,
        "honour_name": "五一劳动奖章",
        "recipient_name": "李娜",
        "unit_name": "西湖酒店",
        "campaign_title": "服务峰会立功竞赛",
        "issuer_name": "杭州市总工会",
        "issued_on": certificate.issued_on.isoformat(),
    }
    assert client.get("/api/v1/certificates/verify/", {"code": "ZZZZZZZZZZZZ"}).status_code == 404
    assert client.get("/api/v1/certificates/verify/").status_code == 400


def test_api_list_queries_do_not_grow_with_rows(world):
    client = api(world, "city")

    def count():
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/api/v1/certificates/")
        assert response.status_code == 200
        return len(queries), len(response.json()["results"])

    instant(world)
    one, rows = count()
    assert rows == 1
    for _i in range(19):
        instant(world)
    assert count() == (one, 20)
