"""The declaration workflow in the browser, in Chinese: a unit declares a project, the district
union returns it, the unit revises and resubmits it, and the district approves it in bulk."""

import re

import pytest

from .browser import logout, messages, submit_form
from .conftest import login

pytestmark = pytest.mark.e2e

TITLE = "前厅服务技能竞赛"
COMMENT = "请补充安全保障措施"
UNIT = "杭州西子湖大酒店有限公司"

# A tiny but well-formed one-page PDF.
PDF = b"""%PDF-1.4
1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj
2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj
3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >> endobj
trailer << /Root 1 0 R >>
%%EOF
"""


def status_badge(page) -> str:
    return page.locator("main h1 .badge").inner_text().strip()


def test_declare_return_resubmit_approve(page, live_server, demo, shot, tmp_path):
    from django.contrib.auth import get_user_model

    from accounts.models import Notification
    from competitions.models import Project, ProjectTransition

    User = get_user_model()
    hotel = User.objects.get(username="hotel")
    xihu = User.objects.get(username="xihu")
    pdf = tmp_path / "安全保障方案.pdf"
    pdf.write_bytes(PDF)

    # 1. The unit's liaison opens the project list and starts a declaration.
    login(page, live_server, "hotel")
    page.get_by_role("link", name="竞赛项目", exact=True).click()
    page.wait_for_url(f"{live_server.url}/projects/")
    shot("01-projects")
    declare = page.get_by_role("link", name="申报项目")
    assert declare.get_attribute("href") == "/projects/declare/"
    with page.expect_navigation():
        declare.click()
    assert page.url == f"{live_server.url}/projects/declare/"
    assert page.locator("main h1").inner_text().strip() == "申报项目"

    # 2. Fill in and submit the declaration.
    zone = page.locator("select[name=zone]")
    options = zone.locator("option").all_inner_texts()
    service = [text for text in options if "服务保障" in text]
    assert len(service) == 1, options
    zone.select_option(label=service[0])
    page.fill("input[name=title]", TITLE)
    page.fill("textarea[name=target_tasks]", "峰会期间前厅接待零差错、零投诉。")
    page.fill("textarea[name=content]", "开展前厅接待、礼宾服务、外语会话技能比武。")
    page.fill("textarea[name=standards]", "按五星级酒店前厅服务标准评分。")
    page.fill("textarea[name=requirements]", "前厅部全体员工参赛。")
    page.fill("textarea[name=plan]", "五月培训,六月初赛,七月决赛,八月总结。")
    page.fill("input[name=milestones-0-period]", "2016-05")
    page.fill("input[name=milestones-0-planned_percent]", "30")
    page.fill("input[name=milestones-1-period]", "2016-08")
    page.fill("input[name=milestones-1-planned_percent]", "100")
    page.fill("input[name=attachments-0-title]", "安全保障方案")
    page.set_input_files("input[name=attachments-0-file]", str(pdf))
    shot("02-declaration-form")
    submit_form(page, "button[name=submit]")

    project = Project.objects.get(title=TITLE)
    assert page.url == f"{live_server.url}/projects/{project.pk}/", messages(page)
    assert status_badge(page) == "已提交"
    assert page.locator("main ul.messages li.success").count() == 1, messages(page)
    assert "安全保障方案" in page.locator("main").inner_text()
    assert project.unit.name == UNIT
    assert project.zone.name == "服务保障"
    assert list(project.milestones.values_list("planned_percent", flat=True)) == [30, 100]
    assert project.attachments.count() == 1
    shot("03-submitted")

    # 3. The district union returns it with a comment.
    logout(page)
    login(page, live_server, "xihu")
    page.get_by_role("link", name="申报审核", exact=True).click()
    page.wait_for_url(f"{live_server.url}/review/")
    shot("04-review-queue")
    link = page.locator("table.table tbody td a", has_text=TITLE)
    assert link.count() == 1
    with page.expect_navigation():
        link.click()
    assert page.url == f"{live_server.url}/projects/{project.pk}/"
    page.fill("textarea[name=comment]", COMMENT)
    shot("05-return-comment")
    submit_form(page, "button[name=action][value=return]")
    assert status_badge(page) == "退回修改", messages(page)
    assert page.locator("main ul.messages li.success").count() == 1
    shot("06-returned")

    # 4. The liaison sees the comment and a notification, revises and resubmits.
    logout(page)
    unread = Notification.objects.filter(user=hotel, read_at__isnull=True).count()
    assert unread >= 1
    login(page, live_server, "hotel")
    bell = page.locator("header a.bell")
    assert bell.inner_text().startswith("通知")
    assert bell.locator(".pill").inner_text().strip() == str(unread)
    page.goto(f"{live_server.url}/projects/{project.pk}/")
    assert status_badge(page) == "退回修改"
    history = page.locator("section:has(h2:text-is('审核记录')) table.review-history")
    assert history.locator("td.comment", has_text=COMMENT).count() == 1
    shot("07-returned-seen-by-unit")
    with page.expect_navigation():
        page.get_by_role("link", name="修改申报").click()
    assert page.url == f"{live_server.url}/projects/{project.pk}/edit/"
    assert COMMENT in page.locator("main .notice").inner_text()
    page.fill("textarea[name=requirements]", "前厅部全体员工参赛;安保部全程保障,制定应急预案。")
    shot("08-revision")
    submit_form(page, "button[name=submit]")
    assert page.url == f"{live_server.url}/projects/{project.pk}/", messages(page)
    assert status_badge(page) == "已提交"
    assert "应急预案" in page.locator("section.declaration").inner_text()
    shot("09-resubmitted")

    # 5. The district union approves it from the queue, in bulk.
    logout(page)
    login(page, live_server, "xihu")
    page.goto(f"{live_server.url}/review/")
    page.check(f"input[name=projects][value='{project.pk}']")
    page.select_option("select[name=action]", label="通过")
    shot("10-bulk-approve")
    submit_form(page, "#decide-form button[type=submit]")
    assert page.url == f"{live_server.url}/review/", page.url
    success = page.locator("main ul.messages li.success")
    assert success.count() == 1, messages(page)
    assert re.search(r"\b1\b", success.inner_text()), success.inner_text()
    assert page.locator("main ul.messages li.error").count() == 0, messages(page)
    assert page.locator(f"input[name=projects][value='{project.pk}']").count() == 0
    shot("11-approved-in-bulk")

    # 6. The liaison sees the approval and its notification.
    logout(page)
    login(page, live_server, "hotel")
    page.goto(f"{live_server.url}/projects/{project.pk}/")
    assert status_badge(page) == "已通过"
    shot("12-approved-seen-by-unit")
    page.goto(f"{live_server.url}/accounts/notifications/")
    notes = page.locator("main ul.notifications li", has_text="已审核通过")
    assert notes.count() == 1
    assert TITLE in notes.inner_text()
    shot("13-notifications")

    steps = list(
        ProjectTransition.objects.filter(project=project)
        .order_by("created_at", "pk")
        .values_list("action", "from_status", "to_status", "actor", "comment")
    )
    assert steps == [
        ("submit", "draft", "submitted", hotel.pk, ""),
        ("return", "submitted", "returned", xihu.pk, COMMENT),
        ("submit", "returned", "submitted", hotel.pk, ""),
        ("approve", "submitted", "approved", xihu.pk, ""),
    ]
    project.refresh_from_db()
    assert project.status == Project.Status.APPROVED
    assert project.decided_at is not None


def test_return_without_reason_is_refused(page, live_server, demo, shot):
    from competitions.models import Project

    project = Project.objects.get(title="景区文明服务窗口创建")  # 西湖区, submitted
    assert project.status == Project.Status.SUBMITTED
    before = project.transitions.count()

    login(page, live_server, "xihu")
    page.goto(f"{live_server.url}/projects/{project.pk}/")
    assert status_badge(page) == "已提交"
    submit_form(page, "button[name=action][value=return]")
    assert page.url == f"{live_server.url}/projects/{project.pk}/"
    error = page.locator("main ul.messages li.error")
    assert error.count() == 1, messages(page)
    assert "请说明理由" in error.inner_text()
    assert page.locator("main ul.messages li.success").count() == 0
    assert status_badge(page) == "已提交"
    shot("refused")

    project.refresh_from_db()
    assert project.status == Project.Status.SUBMITTED
    assert project.transitions.count() == before
