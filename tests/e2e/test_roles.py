"""What each demo role sees in the browser: language, scope of lists, and forbidden URLs."""

import pytest

from .conftest import login, screenshot

pytestmark = pytest.mark.e2e

PAGE_SIZE = 20


def list_column(page, url: str, max_pages: int = 10) -> list[str]:
    """The first-column link texts of a paginated list, following its pages."""
    names = []
    for number in range(1, max_pages + 1):
        response = page.goto(f"{url}?page={number}")
        assert response.status == 200, f"{url}?page={number} answered {response.status}"
        rows = page.locator("table.table tbody tr td:first-child a").all_inner_texts()
        assert len(rows) <= PAGE_SIZE
        names += [row.strip() for row in rows]
        if page.locator(f"nav.pagination a[href$='page={number + 1}']").count() == 0:
            return names
    raise AssertionError(f"{url} has more than {max_pages} pages")


def dashboard(page, live_server, shot, username):
    login(page, live_server, username)
    assert page.url == f"{live_server.url}/"
    assert page.locator("main h1").count() == 1
    assert page.locator("main .stats .stat").count() >= 1
    shot("dashboard")


@pytest.mark.parametrize("locale", ["zh-CN", "de-DE"])
def test_login_page_is_chinese_by_default(browser, live_server, demo, request, locale):
    """A Chinese browser, and one whose language the site lacks, both get Chinese."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale=locale)
    try:
        page = context.new_page()
        response = page.goto(f"{live_server.url}/accounts/login/")
        assert response.status == 200
        assert page.locator("html").get_attribute("lang") == "zh-hans"
        assert page.locator("main h1").inner_text().strip() == "登录"
        assert page.locator("form:has(input[name=username]) button[type=submit]").inner_text() == (
            "登录"
        )
        screenshot(page, request, "login")
    finally:
        context.close()


def test_city_sees_every_unit_and_project(page, live_server, demo, shot):
    from competitions.models import Project, Unit

    dashboard(page, live_server, shot, "city")

    units = list_column(page, f"{live_server.url}/units/")
    assert len(units) == 30 == Unit.objects.count()
    assert set(units) == set(Unit.objects.values_list("name", flat=True))
    # The second page is the last one, and the pager counts all 30 records.
    assert page.url.endswith("page=2")
    assert "30" in page.locator("nav.pagination span").inner_text()
    shot("units-page2")

    projects = list_column(page, f"{live_server.url}/projects/")
    assert sorted(projects) == sorted(Project.objects.values_list("title", flat=True))
    assert len(projects) == 35


def test_xihu_sees_only_its_district(page, live_server, demo, shot):
    from competitions.models import Project, Unit

    dashboard(page, live_server, shot, "xihu")

    units = list_column(page, f"{live_server.url}/units/")
    shot("units")
    assert "杭州西子湖大酒店有限公司" in units
    assert "国网杭州供电公司" not in units  # 滨江区
    expected = Unit.objects.filter(organisation__name="西湖区总工会")
    assert sorted(units) == sorted(expected.values_list("name", flat=True))

    projects = list_column(page, f"{live_server.url}/projects/")
    shot("projects")
    assert "峰会接待酒店服务提升" in projects
    assert "峰会保电攻坚" not in projects
    expected = Project.objects.filter(unit__organisation__name="西湖区总工会")
    assert sorted(projects) == sorted(expected.values_list("title", flat=True))


def test_hotel_sees_only_its_own_unit(page, live_server, demo, shot):
    from competitions.models import Project

    dashboard(page, live_server, shot, "hotel")

    units = list_column(page, f"{live_server.url}/units/")
    shot("units")
    assert units == ["杭州西子湖大酒店有限公司"]

    projects = list_column(page, f"{live_server.url}/projects/")
    shot("projects")
    expected = Project.objects.filter(unit__name="杭州西子湖大酒店有限公司")
    assert sorted(projects) == sorted(expected.values_list("title", flat=True))
    assert len(projects) == 2


def test_evaluator_sees_only_assigned_projects(page, live_server, demo, shot):
    from scoring.models import EvaluatorAssignment

    dashboard(page, live_server, shot, "evaluator")
    assignments = EvaluatorAssignment.objects.filter(evaluator__username="evaluator")
    assigned_titles = set(assignments.values_list("project__title", flat=True))
    assigned_units = set(assignments.values_list("project__unit__name", flat=True))
    assert assigned_titles, "the demo assigns the evaluator to some projects"

    projects = list_column(page, f"{live_server.url}/projects/")
    shot("projects")
    assert len(projects) == len(set(projects))
    assert set(projects) == assigned_titles

    units = list_column(page, f"{live_server.url}/units/")
    shot("units")
    assert set(units) == assigned_units


def test_xihu_gets_404_for_another_district(page, live_server, demo, shot):
    from competitions.models import Project, Unit

    login(page, live_server, "xihu")
    own = Project.objects.get(title="峰会接待酒店服务提升")
    foreign = Project.objects.get(title="峰会保电攻坚")  # 国网杭州供电公司, 滨江区
    foreign_unit = Unit.objects.get(name="国网杭州供电公司")

    response = page.goto(f"{live_server.url}/projects/{own.pk}/")
    assert response.status == 200
    assert own.title in page.locator("main").inner_text()

    response = page.goto(f"{live_server.url}/projects/{foreign.pk}/")
    shot("foreign-project")
    assert response.status == 404
    assert foreign.title not in page.content()

    response = page.goto(f"{live_server.url}/units/{foreign_unit.pk}/")
    assert response.status == 404
    assert foreign_unit.name not in page.content()


def test_switch_to_english_and_back(page, live_server, demo, shot):
    login(page, live_server, "city")
    assert page.locator("html").get_attribute("lang") == "zh-hans"

    with page.expect_navigation():
        page.locator("button[name=language][value=en]").click()
    assert page.url == f"{live_server.url}/", "stays on the dashboard"
    assert page.locator("html").get_attribute("lang") == "en"
    nav = page.locator("nav.mainnav")
    for label in ("Dashboard", "Campaigns", "Zones", "Units", "Projects"):
        assert nav.get_by_role("link", name=label, exact=True).count() == 1, label
    assert page.locator("main h1").inner_text().strip() == "Dashboard"
    shot("english")

    # The choice sticks across pages...
    page.goto(f"{live_server.url}/units/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("main h1").inner_text().strip() == "Units"
    # ...until switched back.
    page.goto(f"{live_server.url}/")
    with page.expect_navigation():
        page.locator("button[name=language][value=zh-hans]").click()
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    current = page.locator("button[name=language][value=zh-hans]").get_attribute("class")
    assert "current" in current.split()


NAV_TARGETS = {
    "Dashboard": "/",
    "Campaigns": "/campaigns/",
    "Zones": "/zones/",
    "Units": "/units/",
    "Projects": "/projects/",
}


def test_nav_links_open_the_pages(page, live_server, demo, shot):
    login(page, live_server, "city")
    hrefs = page.locator("nav.mainnav a").evaluate_all("links => links.map(a => a.pathname)")
    for path in NAV_TARGETS.values():
        assert path in hrefs, f"nav has no link to {path}: {hrefs}"
    for path in NAV_TARGETS.values():
        with page.expect_navigation():
            page.locator(f"nav.mainnav a[href='{path}']").click()
        assert page.url == f"{live_server.url}{path}"
        assert page.locator("nav.mainnav a.active").count() == 1, path


def test_list_rows_open_detail_pages(page, live_server, demo, shot):
    login(page, live_server, "xihu")
    for listing in ("/units/", "/projects/"):
        page.goto(f"{live_server.url}{listing}")
        link = page.locator("table.table tbody tr td:first-child a").first
        name = link.inner_text().strip()
        with page.expect_navigation():
            link.click()
        assert page.url.startswith(f"{live_server.url}{listing}"), page.url
        assert name in page.locator("main h1").inner_text()
        shot(listing.strip("/") + "-detail")


def test_switching_language_keeps_the_page(page, live_server, demo):
    login(page, live_server, "city")
    page.goto(f"{live_server.url}/projects/")
    with page.expect_navigation():
        page.locator("button[name=language][value=en]").click()
    assert page.url == f"{live_server.url}/projects/"
    assert page.locator("html").get_attribute("lang") == "en"


CHINESE_NAV = ["工作台", "竞赛活动", "赛区", "参赛单位", "竞赛项目"]


def test_nav_is_chinese(page, live_server, demo, shot):
    from django.conf import settings
    from django.utils import translation

    with translation.override("zh-hans"):
        compiled = translation.gettext("Campaigns") != "Campaigns"
    if not compiled:
        pytest.skip(
            "no Chinese translation of the nav yet: compile the catalogue in "
            f"{settings.LOCALE_PATHS[0]} (manage.py compilemessages)"
        )
    login(page, live_server, "city")
    nav = page.locator("nav.mainnav")
    for label in CHINESE_NAV:
        assert nav.get_by_role("link", name=label, exact=True).count() == 1, label
    assert page.locator("form[action$='/logout/'] button").inner_text().strip() == "退出登录"
    shot("dashboard")


@pytest.mark.parametrize(
    "username", ["admin", "province", "city", "xihu", "binjiang", "hotel", "builder", "evaluator"]
)
def test_every_demo_user_has_a_dashboard(page, live_server, demo, shot, username):
    dashboard(page, live_server, shot, username)
    assert "error" not in (page.locator("main p.lead").get_attribute("class") or ""), (
        f"{username} has no role: {page.locator('main p.lead').inner_text()}"
    )
