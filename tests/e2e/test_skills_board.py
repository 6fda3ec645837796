"""The results board of a skill event refreshes itself in the hall: the board is open while a
heat is still being marked (no names, only its progress), staff lock the heat, and the names
and scores appear without a reload; a failed refresh keeps the results and shows a notice.
From a row, the explanation of the result opens with the trimmed marks struck through."""

import re

import pytest

from skills import services

from ..skills.conftest import contest, mark  # noqa: F401 (the contest fixture)

pytestmark = pytest.mark.e2e

HEAT_A = ["陈一", "林二", "周三", "吴四"]
HEAT_B = ["郑五", "孙六"]


def test_board_refreshes_itself_when_a_heat_is_locked(
    transactional_db,
    page,
    live_server,
    contest,  # noqa: F811
    shot,
):
    staff = contest.campaign.organiser.users.get(username="city")
    mark(
        contest,
        contest.heat_a,
        contest.entries_a,
        theory=["80", "80", "80", "70"],
        practical=[("90", "90"), ("80", "80"), ("80", "80"), ("68", "70")],
        seconds=[1510, 1625, 1625, 1802],
    )
    services.lock_heat(contest.heat_a, staff)
    mark(
        contest,
        contest.heat_b,
        contest.entries_b,
        theory=["90", "76"],
        practical=[("80", "80"), ("86", "86")],
        seconds=[900, 900],
    )

    page.goto(f"{live_server.url}/skills/board/{contest.event.pk}/?every=1")
    results = page.locator("#board-results")
    heat_b = page.locator(f"#heat-{contest.heat_b.pk}")
    assert page.locator("h1").inner_text().startswith("电工")
    assert heat_b.get_attribute("data-state") == "marking"
    assert "评分中" in heat_b.inner_text()
    text = results.inner_text()
    for name in HEAT_A:
        assert name in text
    for name in HEAT_B:
        assert name not in text
    assert "25:10" in text  # 陈一's time, mm:ss
    stamp = page.locator("#board-updated").inner_text()
    shot("marking")

    services.lock_heat(contest.heat_b, staff)

    # The page fetches ?fragment=1 every second and swaps the results in.
    page.wait_for_selector(f"#heat-{contest.heat_b.pk}[data-state=locked]")
    rows = heat_b.locator("tbody tr")
    assert rows.count() == 2
    first = rows.nth(0).inner_text()
    assert "孙六" in first and "83.00" in first and "15:00" in first  # practical decides
    assert "郑五" in rows.nth(1).inner_text()
    assert page.locator("#board-offline").is_hidden()
    page.wait_for_function(
        "stamp => document.getElementById('board-updated').textContent !== stamp", arg=stamp
    )
    assert re.search(r"\d\d:\d\d:\d\d", page.locator("#board-updated").inner_text())
    assert page.url.endswith("?every=1")  # no reload, no navigation
    shot("locked")

    # The connection drops: the results stay, a notice shows, and goes when it is back.
    page.route("**/*fragment=1*", lambda route: route.abort())
    page.wait_for_selector("#board-offline", state="visible")
    assert "孙六" in results.inner_text()
    shot("offline")
    page.unroute("**/*fragment=1*")
    page.wait_for_selector("#board-offline", state="hidden")

    # A row opens the explanation of the result.
    with page.expect_navigation():
        heat_b.get_by_role("link", name="孙六").click()
    assert "/explain/" in page.url
    assert page.locator("h1").inner_text().strip() == "成绩说明"
    main = page.locator("main").inner_text()
    assert "83.00" in main and "→ 83.00" in main
    assert page.locator("tr[data-tie-break=practical]").count() == 1
    shot("explanation")
