"""A judge marks a skill heat by station number in the browser: the demo evaluator opens the
heats they judge, marks the practical of the open unit heat by keyboard (a mark above 100 is
refused and nothing is saved), never seeing a name; the city's competition office then locks
the heat, and the judge finds the names shown and the marks read-only."""

import pytest

from .browser import logout, messages, submit_form
from .conftest import login

pytestmark = pytest.mark.e2e

HEAT = "第三场选拔赛"


def test_judge_marks_a_heat_by_station_number(page, live_server, demo, shot):
    from skills.models import ComponentScore, Heat

    heat = Heat.objects.get(name=HEAT)
    names = list(heat.entries.values_list("contestant__person__name", flat=True))
    stations = list(
        heat.entries.order_by("station_number").values_list("station_number", flat=True)
    )
    mark_path = f"/skills/heats/{heat.pk}/mark/practical/"

    # 1. The judge's heats: the open heat is there, nothing marked yet.
    login(page, live_server, "evaluator")
    page.locator("nav.mainnav a[href='/skills/judging/']").click()
    row = page.locator(f"tr[data-heat='{heat.pk}']")
    assert "0 / 4" in row.inner_text()
    shot("01-heats")
    with page.expect_navigation():
        row.locator(f"a[href='{mark_path}']").click()

    # 2. The sheet: station numbers only, the first field focused.
    body = page.locator("main").inner_text()
    assert all(name not in body for name in names)
    assert (
        page.locator("tr[data-station]").evaluate_all("rows => rows.map(r => r.dataset.station)")
        == stations
    )
    assert page.evaluate("document.activeElement.classList.contains('mark')")

    # 3. Typed by keyboard with one mark above 100: refused, nothing saved, the value kept.
    for value in ("86.5", "105", "79", "91"):
        page.keyboard.type(value)
        page.keyboard.press("Tab")
    submit_form(page, "form.mark-form button[type=submit]")
    assert page.locator("tr.has-error").count() == 1
    assert page.locator("tr.has-error").get_attribute("data-station") == stations[1]
    assert not ComponentScore.objects.filter(entry__heat=heat, judge__username="evaluator").exists()
    shot("02-refused")

    # 4. Corrected and saved.
    page.locator("tr.has-error input.mark").fill("95")
    submit_form(page, "form.mark-form button[type=submit]")
    saved = ComponentScore.objects.filter(entry__heat=heat, judge__username="evaluator")
    assert sorted(str(v) for v in saved.values_list("value", flat=True)) == [
        "79.00",
        "86.50",
        "91.00",
        "95.00",
    ]
    assert "4" in messages(page)
    shot("03-saved")
    logout(page)

    # 5. The city's office locks the heat: results with names.
    login(page, live_server, "city")
    page.goto(f"{live_server.url}/skills/heats/{heat.pk}/")
    submit_form(page, "form[action$='/lock/'] button")
    heat.refresh_from_db()
    assert heat.locked_at is not None
    assert all(name in page.locator("main").inner_text() for name in names)
    shot("04-locked")
    logout(page)

    # 6. The judge now sees the names; the marks are read-only.
    login(page, live_server, "evaluator")
    page.goto(f"{live_server.url}{mark_path}")
    body = page.locator("main").inner_text()
    assert all(name in body for name in names)
    assert page.locator("input.mark").count() == 0
    shot("05-names-after-lock")
