"""The honours flow in the browser, in Chinese, from generation to a verified certificate.

The city union (the G20 campaign's competition office) opens 荣誉评选, adds a rule for a unit
honour (五一劳动奖状, no nomination needed) on the demo's locked zone 环境整治 with a quota of
3, generates the list (the job's progress reaches "done"), settles the tie at the cut-off (the
ranking has two entries tied third: one is kept, the other removed with a reason) and
publishes it for public notice. An anonymous visitor, in a browser of their own, finds the
list among the honours in public notice and lodges an objection; the office dismisses it with
its investigation. Once the notice has ended the office confirms the list, opens its
certificates and downloads one as a PDF (its text names the recipient, the honour and the
verification code), and the anonymous visitor checks that code on the public verification
page.
"""

import datetime
import re

import pytest
from playwright.sync_api import expect

from .browser import messages, submit_form
from .conftest import VIEWPORT, login, screenshot

pytestmark = pytest.mark.e2e

ZONE = "环境整治"
HONOUR = "五一劳动奖状"
QUOTA = 3  # 环境整治's locked ranking: 1, 2, then two entries tied third, then 5.
TIED_THIRD = ("杭州市市容环境卫生服务中心", "杭州运河综合保护开发建设集团有限公司")
OBJECTED_UNIT = "杭州市排水有限公司"  # second in the ranking, certain to stay on the list


def pdf_text(path) -> str:
    """The PDF's text without whitespace: pypdf spaces out the CJK glyphs it extracts."""
    from pypdf import PdfReader

    text = "".join(page.extract_text() or "" for page in PdfReader(path).pages)
    return re.sub(r"\s+", "", text)


def anonymous_page(browser, errors):
    """A second browser profile: a member of the public, not logged in, in Chinese."""
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return context, page


def test_honour_list_from_generation_to_verified_certificate(
    page, browser, live_server, demo, shot, request, monkeypatch
):
    from django.utils import timezone

    from awards.models import Certificate, HonourList, HonourListEntry, HonourType, Objection
    from competitions.models import Zone

    # The shipped honour types are seeded by a migration; the browser tests flush the tables
    # between tests, so make sure this one exists (the demo does the same for its own).
    HonourType.objects.get_or_create(
        name=HONOUR, level=HonourType.Level.CITY, defaults={"recipient": "unit"}
    )
    campaign = Zone.objects.get(name=ZONE).campaign
    today = timezone.localdate()

    # --- The competition office sets up the rule -------------------------------------------
    login(page, live_server, "city")
    with page.expect_navigation():
        page.locator("header nav.mainnav").get_by_role("link", name="荣誉评选", exact=True).click()
    assert page.url == f"{live_server.url}/honours/"
    assert page.locator("h1").inner_text().strip() == "荣誉评选"
    with page.expect_navigation():
        page.locator(f"section[data-campaign='{campaign.pk}']").get_by_role(
            "link", name="评选规则"
        ).click()
    assert page.url == f"{live_server.url}/honours/campaigns/{campaign.pk}/rules/"

    form = page.locator("form.rule-form")
    honour_option = form.locator("select[name=honour_type] option", has_text=HONOUR)
    form.locator("select[name=honour_type]").select_option(honour_option.get_attribute("value"))
    form.locator("select[name=zone]").select_option(label=ZONE)
    form.locator("input[name=quota]").fill(str(QUOTA))
    submit_form(page, "form.rule-form button[type=submit]")
    assert "评选规则已保存" in messages(page)
    rule_row = page.locator("table tr[data-rule]", has_text=HONOUR)
    expect(rule_row).to_contain_text(ZONE)
    expect(rule_row).to_contain_text("未生成")
    shot("rules")

    # --- Generation: the job's progress reaches "done" and the entries appear -------------
    with page.expect_navigation():
        rule_row.get_by_role("link", name=HONOUR).click()
    assert re.search(r"/honours/rules/\d+/$", page.url), page.url
    list_url = page.url
    assert HONOUR in page.locator("h1").inner_text()
    submit_form(page, "#generation button[type=submit]")
    assert "正在生成名单" in messages(page)
    # With in-process tasks the job has finished before the page comes back; with a worker,
    # honours.js polls the status URL and reloads the page once the job is done.
    status = page.locator("#generation-status")
    expect(status).to_have_attribute("data-state", "done", timeout=20_000)
    expect(status.locator("[data-percent]")).to_have_text("100%")
    expect(status.locator("[data-step]")).to_have_text("已完成。")
    rows = page.locator("table.entries-table tbody tr[data-entry]")
    expect(rows).to_have_count(QUOTA + 1)
    assert rows.first.locator("td").first.inner_text().strip() == "1"
    shot("generated")

    # --- The tie at the cut-off: keep one, remove the other with the reason ----------------
    tied = page.locator("table.entries-table tbody tr.over-quota")
    expect(tied).to_have_count(2)
    kept_name, removed_name = (
        HonourListEntry.objects.get(pk=tied.nth(n).get_attribute("data-entry")).recipient_name
        for n in (0, 1)
    )
    assert {kept_name, removed_name} == set(TIED_THIRD)
    first = tied.nth(0)
    first.locator("summary", has_text="保留(处理并列)").click()
    first.locator("form[action$='/keep/'] input[name=reason]").fill("并列第三,经竞赛办研究予以保留")
    with page.expect_navigation():
        first.get_by_role("button", name="保留在名单中").click()
    assert f"{kept_name}保留在名单中" in messages(page)

    second = page.locator("table.entries-table tbody tr.over-quota")
    expect(second).to_have_count(1)
    second.locator("summary", has_text="移出名单").click()
    second.locator("form[action$='/remove/'] input[name=reason]").fill(
        "并列超出名额,经竞赛办研究不列入"
    )
    second.locator("form[action$='/remove/'] input[name=substitute]").uncheck()
    with page.expect_navigation():
        second.get_by_role("button", name="确认移出").click()
    assert f"已将{removed_name}移出名单" in messages(page)
    expect(page.locator("table.entries-table tbody tr.removed s")).to_have_text(removed_name)
    expect(page.locator("table.entries-table tbody tr.over-quota:not(.removed)")).to_have_count(0)
    expect(page.locator("table.entries-table tbody tr:not(.removed)")).to_have_count(QUOTA)

    # --- Publication for public notice -------------------------------------------------------
    # confirm() needs today > notice_end, while an objection needs today within the notice.
    # The publish form accepts a past start and an explicit end, so the notice is published
    # as having run for the past week (more than its 5 working days) and ending today: the
    # public can still object today, and only one day has to pass before the confirmation
    # (see below).
    start = today - datetime.timedelta(days=7)
    publish = page.locator("#publish form")
    publish.locator("input[name=start]").fill(start.isoformat())
    publish.locator("input[name=end]").fill(today.isoformat())
    submit_form(page, "#publish button[type=submit]")
    assert f"名单已公示,公示期 {start:%Y-%m-%d} 至 {today:%Y-%m-%d}" in messages(page)
    expect(page.locator("h1 .badge")).to_have_text("公示中")
    honour_list = HonourList.objects.get(rule__honour_type__name=HONOUR)
    assert honour_list.status == HonourList.Status.PUBLISHED
    assert honour_list.notice_end == today
    shot("published")

    # --- A member of the public lodges an objection -----------------------------------------
    public_errors = []
    public_context, public = anonymous_page(browser, public_errors)
    try:
        public.goto(f"{live_server.url}/honours/notices/")
        assert public.locator("form[action$='/logout/']").count() == 0
        notice_card = public.locator("section.card", has_text=HONOUR)
        expect(notice_card).to_contain_text(ZONE)
        expect(notice_card).not_to_contain_text(removed_name)
        with public.expect_navigation():
            notice_card.get_by_role("link", name=HONOUR).click()
        assert public.url == f"{live_server.url}/honours/notices/{honour_list.pk}/"
        objection_form = public.locator("form:has(select[name=entry])")
        entry_option = objection_form.locator("select[name=entry] option", has_text=OBJECTED_UNIT)
        objection_form.locator("select[name=entry]").select_option(
            entry_option.get_attribute("value")
        )
        objection_form.locator("input[name=name]").fill("王建国")
        objection_form.locator("input[name=contact]").fill("0571-88889999")
        objection_form.locator("textarea[name=content]").fill(
            "该单位施工期间曾有夜间噪声投诉,请核实。"
        )
        with public.expect_navigation():
            objection_form.get_by_role("button", name="提交异议").click()
        assert "您的异议已收到" in messages(public)
        screenshot(public, request, "public-objection")
        assert Objection.objects.filter(entry__honour_list=honour_list).count() == 1

        # --- The office investigates and dismisses it ---------------------------------------
        page.goto(list_url)
        with page.expect_navigation():
            page.locator(".page-head .buttons").get_by_role("link", name="异议").click()
        assert page.url == f"{live_server.url}/honours/lists/{honour_list.pk}/objections/"
        card = page.locator("section.card", has_text=OBJECTED_UNIT)
        expect(card).to_contain_text("王建国")  # staff see who lodged it; the public do not
        card.get_by_label("异议不成立").check()
        card.locator("textarea[name$=investigation]").fill(
            "经现场核实,投诉已于施工期间整改到位,不影响评选。"
        )
        with page.expect_navigation():
            card.get_by_role("button", name="记录审核决定").click()
        assert "异议不成立" in messages(page)
        expect(page.locator("section.card", has_text=OBJECTED_UNIT).locator(".pill")).to_have_text(
            "异议不成立"
        )
        shot("objection-dismissed")

        # --- The notice ends; the office confirms the list -----------------------------------
        # On the notice's last day the confirmation is still refused.
        page.goto(list_url)
        expect(page.locator("#confirm")).not_to_contain_text("公示期已结束")
        page.once("dialog", lambda dialog: dialog.accept())
        submit_form(page, "#confirm button[type=submit]")
        assert "公示期尚未结束" in messages(page)
        expect(page.locator("h1 .badge")).to_have_text("公示中")

        # Time control: the day after the notice's last day. The services and views read
        # today from timezone.localdate(), in this process (the live server is a thread of
        # it), so the date moves on for them; timestamps keep the real clock.
        real_localdate = timezone.localdate

        def localdate(value=None, timezone=None):
            if value is None:
                return real_localdate(timezone=timezone) + datetime.timedelta(days=1)
            return real_localdate(value, timezone)

        monkeypatch.setattr("django.utils.timezone.localdate", localdate)

        page.goto(list_url)
        confirm = page.locator("#confirm")
        expect(confirm).to_contain_text("公示期已结束")
        page.once("dialog", lambda dialog: dialog.accept())
        submit_form(page, "#confirm button[type=submit]")
        assert "名单已确认(第 1 版),荣誉证书已生成" in messages(page)
        expect(page.locator("h1 .badge")).to_have_text("已确认")
        honour_list.refresh_from_db()
        assert honour_list.status == HonourList.Status.CONFIRMED
        assert honour_list.version == 1
        shot("confirmed")

        # --- Its certificates; one downloaded as a PDF ---------------------------------------
        with page.expect_navigation():
            page.get_by_role("link", name="本名单的荣誉证书").click()
        assert page.url == f"{live_server.url}/honours/lists/{honour_list.pk}/certificates/"
        cert_rows = page.locator("table tbody tr")
        expect(cert_rows).to_have_count(QUOTA)
        row = cert_rows.filter(has_text=OBJECTED_UNIT)
        number = row.locator("td").nth(0).inner_text().strip()
        code = row.locator("td").nth(3).inner_text().strip()
        certificate = Certificate.objects.get(verification_code=code)
        assert certificate.number == number
        assert certificate.recipient_name == OBJECTED_UNIT
        assert removed_name not in page.locator("table").inner_text()
        shot("certificates")

        with page.expect_download() as download_info:
            row.get_by_role("link", name="下载 PDF").click()
        download = download_info.value
        assert download.suggested_filename.endswith(".pdf")
        text = pdf_text(download.path())
        assert OBJECTED_UNIT in text
        assert HONOUR in text
        assert code in text
        assert number in text

        # --- The public verify the certificate ----------------------------------------------
        with public.expect_navigation():
            public.locator("footer").get_by_role("link", name="证书查验").click()
        assert public.url == f"{live_server.url}/honours/verify/"
        public.locator("input[name=code]").fill(code)
        with public.expect_navigation():
            public.get_by_role("button", name="查验").click()
        assert public.url == f"{live_server.url}/honours/verify/{code}/"
        expect(public.locator(".badge")).to_have_text("证书真实有效")
        details = public.locator("dl.props")
        expect(details).to_contain_text(OBJECTED_UNIT)
        expect(details).to_contain_text(HONOUR)
        expect(details).to_contain_text(number)
        screenshot(public, request, "public-verified")
    finally:
        public_context.close()
    assert not public_errors, f"JavaScript errors on the public pages: {public_errors}"
