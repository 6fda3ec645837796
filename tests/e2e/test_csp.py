"""The Content-Security-Policy (config/security.py) in the browser: every key page loads with
no CSP violation, and the page scripts it allows still work (the review queue's "select all",
the live regions of the skills board and the overview screen, the charts, the API docs).

Violations are collected twice: from the ``securitypolicyviolation`` events of the page (an
init script, which the policy does not apply to) and from Chromium's console errors.
"""

import pytest

from .conftest import login

pytestmark = pytest.mark.e2e

COLLECT_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__csp.push(`${event.effectiveDirective} blocked ${event.blockedURI || "inline"}`
    + ` at ${event.sourceFile || event.documentURI}:${event.lineNumber}`);
});
"""


@pytest.fixture
def csp_page(page):
    """The test's page, recording CSP violations; ``csp_page.violations(url)`` lists those
    of the page now shown (console and DOM events), with the URL."""
    console = []
    page.on(
        "console",
        lambda message: (
            console.append(f"{page.url}: {message.text}")
            if message.type == "error" and "Content Security Policy" in message.text
            else None
        ),
    )
    page.add_init_script(COLLECT_VIOLATIONS)

    def violations():
        found = [f"{page.url}: {v}" for v in page.evaluate("window.__csp || []")]
        found += console
        console.clear()
        return found

    page.violations = violations
    return page


def visit(page, url: str, expect_status: int = 200) -> list[str]:
    response = page.goto(url)
    assert response.status == expect_status, f"{url} answered {response.status}"
    page.wait_for_load_state("load")
    return page.violations()


def staff_urls(live_server) -> list[str]:
    from awards.models import HonourRule, SummaryBuild
    from competitions.models import Campaign, ProgressReport, Project, Unit, Zone
    from skills.models import Heat, SkillEvent

    campaign = Campaign.objects.order_by("pk").first()
    zone = Zone.objects.filter(campaign=campaign).order_by("pk").first()
    project = Project.objects.filter(reports__isnull=False).order_by("pk").first()
    report = ProgressReport.objects.order_by("pk").first()
    unit = Unit.objects.order_by("pk").first()
    urls = [
        "/",
        "/campaigns/",
        f"/campaigns/{campaign.pk}/",
        "/zones/",
        f"/zones/{zone.pk}/",
        "/units/",
        f"/units/{unit.pk}/",
        "/units/import/",
        "/projects/",
        f"/projects/{project.pk}/",  # progress chart (SVG) and its table
        "/reports/",
        f"/reports/{report.pk}/",
        "/reports/grid/",
        "/registrations/",
        "/scoring/setup/",
        f"/scoring/zones/{zone.pk}/criteria/",
        f"/scoring/zones/{zone.pk}/weights/",
        f"/scoring/zones/{zone.pk}/ranking/",
        "/scoring/vetoes/",
        "/skills/",
        "/honours/",
        f"/honours/campaigns/{campaign.pk}/rules/",
        f"/honours/campaigns/{campaign.pk}/instant/",
        "/honours/certificates/",
        "/honours/summaries/",
        "/accounts/notifications/",
        "/accounts/password_change/",
        "/admin/",
        "/admin/competitions/project/",
        f"/admin/competitions/project/{project.pk}/change/",
        "/admin/competitions/campaign/add/",
        "/api/v1/",
        "/api/docs/",
    ]
    event = SkillEvent.objects.order_by("pk").first()
    if event:
        urls.append(f"/skills/events/{event.pk}/")
    heat = Heat.objects.order_by("pk").first()
    if heat:
        urls.append(f"/skills/heats/{heat.pk}/")
    rule = HonourRule.objects.order_by("pk").first()
    if rule:
        urls += [f"/honours/rules/{rule.pk}/", f"/honours/rules/{rule.pk}/edit/"]
    build = SummaryBuild.objects.order_by("pk").first()
    if build:
        # bar charts (SVG) and the build history with its progress script
        urls += [f"/honours/summaries/{build.pk}/", f"/honours/summaries/campaigns/{campaign.pk}/"]
    return [live_server.url + url for url in urls]


def test_staff_pages_have_no_csp_violation(csp_page, live_server, demo):
    page = csp_page
    login(page, live_server, "admin")
    found = page.violations()
    for url in staff_urls(live_server):
        found += visit(page, url)
    assert not found, "CSP violations:\n" + "\n".join(found)


def test_public_pages_have_no_csp_violation(csp_page, live_server, demo):
    from skills.models import SkillEvent

    page = csp_page
    found = []
    urls = ["/accounts/login/", "/accounts/password_reset/", "/signup/", "/honours/notices/"]
    urls += ["/honours/verify/", "/admin/login/", "/api/docs/"]
    for url in urls:
        found += visit(page, live_server.url + url)
    found += visit(page, f"{live_server.url}/no-such-page/", expect_status=404)
    event = SkillEvent.objects.exclude(campaign__status="draft").order_by("pk").first()
    found += visit(page, f"{live_server.url}/skills/board/{event.pk}/?every=1")
    assert not found, "CSP violations:\n" + "\n".join(found)


def test_page_scripts_work_under_the_policy(csp_page, live_server, demo, monkeypatch, shot):
    """What the moved scripts and styles do: "select all" on the review queue, the question
    before deleting a criterion, the charts' size, the overview's refresh, the API docs."""
    from awards import summary_views
    from competitions.models import Campaign, Project, Zone
    from scoring.models import Criterion

    page = csp_page
    found = []
    login(page, live_server, "city")

    found += visit(page, f"{live_server.url}/review/?status=submitted")
    boxes = page.locator("input[name=projects]")
    assert boxes.count() >= 1, "the demo has no submitted declaration to review"
    page.locator("#select-all").check()
    assert all(box.is_checked() for box in boxes.all())
    page.locator("#select-all").uncheck()
    assert not any(box.is_checked() for box in boxes.all())

    # Deleting a criterion asks first; "cancel" keeps it.
    criterion = Criterion.objects.filter(zone__stage_locks__isnull=True).order_by("pk").first()
    assert criterion is not None, "the demo has no zone with unlocked scoring"
    found += visit(page, f"{live_server.url}/scoring/zones/{criterion.zone_id}/criteria/")
    questions = []

    def dismiss(dialog):
        questions.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.locator(f"form[action$='/criteria/{criterion.pk}/delete/'] button").click()
    page.wait_for_timeout(300)
    assert questions and criterion.name in questions[0]
    assert page.url.endswith(f"/scoring/zones/{criterion.zone_id}/criteria/")
    assert Criterion.objects.filter(pk=criterion.pk).exists()

    project = Project.objects.filter(reports__isnull=False).order_by("pk").first()
    found += visit(page, f"{live_server.url}/projects/{project.pk}/")
    chart = page.locator("svg.chart-svg").first
    box = chart.bounding_box()
    drawn = float(chart.get_attribute("width")), float(chart.get_attribute("height"))
    assert 0 < box["width"] <= drawn[0] + 0.5
    # Scaled with its aspect ratio kept (height: auto), not stretched or collapsed.
    assert box["height"] == pytest.approx(box["width"] * drawn[1] / drawn[0], rel=0.02)
    shot("project-chart")
    found += visit(page, f"{live_server.url}/reports/grid/")
    shot("report-grid")

    # The overview screen refreshes its region: every second here instead of every minute.
    monkeypatch.setattr(summary_views, "OVERVIEW_EVERY", 1)
    campaign = Campaign.objects.order_by("pk").first()
    found += visit(page, f"{live_server.url}/honours/summaries/campaigns/{campaign.pk}/screen/")
    stamp = page.locator("#ov-updated").inner_text()
    page.wait_for_function(
        "stamp => document.getElementById('ov-updated').textContent.trim() !== stamp",
        arg=stamp.strip(),
        timeout=5000,
    )
    assert page.locator("#ov-offline").is_hidden()

    found += visit(page, f"{live_server.url}/api/docs/")
    page.locator(".swagger-ui .opblock").first.wait_for()
    assert page.locator(".swagger-ui .opblock").count() > 10
    found += page.violations()
    assert Zone.objects.exists()
    assert not found, "CSP violations:\n" + "\n".join(found)


def test_skills_board_refreshes_under_the_policy(csp_page, live_server, demo):
    from skills.models import SkillEvent

    page = csp_page
    event = SkillEvent.objects.exclude(campaign__status="draft").order_by("pk").first()
    found = visit(page, f"{live_server.url}/skills/board/{event.pk}/?every=1")
    stamp = page.locator("#board-updated").inner_text().strip()
    page.wait_for_function(
        "stamp => document.getElementById('board-updated').textContent.trim() !== stamp",
        arg=stamp,
        timeout=5000,
    )
    assert page.locator("#board-offline").is_hidden()
    found += page.violations()
    assert not found, "CSP violations:\n" + "\n".join(found)
