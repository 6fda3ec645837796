"""Staff lock a stage and read the ranking in the browser, in Chinese: the city union tries to
lock the demo's first stage while the demo evaluator still has entries to score (refused, with
the count), the evaluator's remaining forms are submitted, the stage is locked, and the
ranking and an entry's explanation (trimmed scores struck through) are read."""

import pytest

from .browser import messages, submit_form
from .conftest import login

pytestmark = pytest.mark.e2e

ZONE = "场馆建设"
TRIMMED_ENTRY = "主会场周边道路综合改造"


def finish_demo_evaluator_queue():
    """Submit what the demo evaluator still has to score (their browser flow is tested in
    test_scoring_flow.py)."""
    from scoring.models import Criterion, EvaluatorAssignment
    from scoring.services import save_scores

    for assignment in EvaluatorAssignment.objects.filter(
        evaluator__username="evaluator"
    ).select_related("project", "evaluator"):
        criteria = Criterion.objects.filter(zone_id=assignment.project.zone_id, kind="judgement")
        save_scores(assignment, dict.fromkeys(criteria, "88.5"), assignment.evaluator, submit=True)


def test_staff_lock_stage_and_read_ranking(page, live_server, demo, shot):
    from competitions.models import Zone
    from scoring.models import StageLock

    zone = Zone.objects.get(name=ZONE)
    stage = zone.campaign.stages.order_by("order").first()
    login(page, live_server, "city")
    with page.expect_navigation():
        page.locator("header nav.mainnav").get_by_role("link", name="评分", exact=True).click()
    with page.expect_navigation():
        page.locator(f"table tr:has-text('{ZONE}')").get_by_role("link", name="排名").click()
    assert page.url == f"{live_server.url}/scoring/zones/{zone.pk}/ranking/"
    shot("ranking-before")

    submit_form(page, f".lock-table tr:has-text('{stage.name}') button:has-text('锁定阶段')")
    assert "尚未完成评分" in messages(page)
    assert not StageLock.objects.filter(zone=zone, stage=stage).exists()

    finish_demo_evaluator_queue()
    submit_form(page, f".lock-table tr:has-text('{stage.name}') button:has-text('锁定阶段')")
    assert "已锁定" in messages(page)
    assert StageLock.objects.filter(zone=zone, stage=stage).exists()
    row = page.locator(f".lock-table tr:has-text('{stage.name}')")
    assert "已锁定" in row.inner_text()

    ranks = page.locator("table.ranking tbody tr td:first-child").all_inner_texts()
    assert ranks and ranks[0].strip() == "1"
    shot("ranking-locked")

    # Five evaluators scored this entry in the first stage, so trimming applies.
    with page.expect_navigation():
        page.locator("table.ranking tbody").get_by_role("link", name=TRIMMED_ENTRY).click()
    assert "/explanation/" in page.url
    assert page.locator("h1").inner_text().strip() == "成绩说明"
    assert page.locator(".score-chip.trimmed s").count() > 0  # five scores: trimmed ones
    assert "→" in page.locator("main").inner_text()  # the final arithmetic line
    shot("explanation")
