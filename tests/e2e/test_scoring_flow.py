"""The evaluator's scoring in the browser, by keyboard: the demo evaluator opens their queue,
types a wrong score first (refused inline, as the server would), corrects it, saves a draft
with Enter, submits, and finds the entry done in the queue. Then a veto: the evaluator raises
one with a reason and the city's competition office confirms it."""

import pytest

from .browser import logout, messages, submit_form
from .conftest import login

pytestmark = pytest.mark.e2e

ZONE = "场馆建设"


def zone_with_criteria():
    """The demo's 场馆建设 zone with its 六比 criteria (copied in when the demo has none)."""
    from django.contrib.auth import get_user_model

    from competitions.models import Zone
    from scoring.services import copy_criteria_set

    zone = Zone.objects.get(name=ZONE)
    if not zone.criteria.filter(kind="judgement").exists():
        admin = get_user_model().objects.filter(is_superuser=True).first()
        copy_criteria_set(zone, "liubi", admin)
    return zone


def open_assignment(user):
    """The first entry of the evaluator's queue with nothing scored yet."""
    from scoring.models import EvaluatorAssignment

    return (
        EvaluatorAssignment.objects.filter(evaluator=user, scores__isnull=True)
        .order_by("project__title", "pk")
        .first()
    )


def test_evaluator_scores_an_entry_with_the_keyboard(page, live_server, demo, shot):
    from django.contrib.auth import get_user_model

    from scoring.models import Score

    zone = zone_with_criteria()
    criteria = list(zone.criteria.filter(kind="judgement").order_by("order", "code"))
    evaluator = get_user_model().objects.get(username="evaluator")
    assignment = open_assignment(evaluator)
    assert assignment is not None, "the demo evaluator has nothing left to score"
    score_path = f"/scoring/assignments/{assignment.pk}/score/"

    # 1. The queue: the entry is among those still to score.
    login(page, live_server, "evaluator")
    page.goto(f"{live_server.url}/scoring/queue/")
    assert page.locator("main section.queue-stage").count() >= 1
    row = page.locator(f"tr.queue-row[data-assignment='{assignment.pk}']")
    assert row.count() == 1
    assert row.get_attribute("data-state") == "todo"
    shot("01-queue")
    with page.expect_navigation():
        row.locator(f"a.button[href='{score_path}']").click()
    assert page.url == f"{live_server.url}{score_path}"

    # 2. The form: one field per criterion in order, the first one focused, the declaration
    # and the progress reports beside it.
    inputs = page.locator("#score-form input[data-score]")
    assert inputs.count() == len(criteria)
    labels = page.locator("#score-form .score-label label").all_inner_texts()
    assert [label.strip() for label in labels] == [c.name for c in criteria]
    first = inputs.nth(0)
    assert page.evaluate("document.activeElement.name") == first.get_attribute("name")
    assert page.locator("aside.score-side section.declaration").count() == 1
    assert assignment.project.title in page.locator("main h1").inner_text()
    shot("02-empty-form")

    # 3. A wrong score is refused as it is typed; corrected, the message goes.
    page.keyboard.type("120")
    error = page.locator(f"#{first.get_attribute('name')}-error")
    assert error.inner_text().strip() != ""
    assert page.locator(".score-row.has-error").count() == 1
    assert first.get_attribute("aria-invalid") == "true"
    shot("03-inline-error")
    page.keyboard.press("Control+A")
    page.keyboard.type("88.5")
    assert error.inner_text().strip() == ""
    assert page.locator(".score-row.has-error").count() == 0
    # Three decimals are refused too, as the server refuses them.
    page.keyboard.press("Tab")
    page.keyboard.type("90.125")
    assert page.locator(".score-row.has-error").count() == 1
    page.keyboard.press("Control+A")
    page.keyboard.type("90")
    assert page.locator(".score-row.has-error").count() == 0

    # 4. Enter saves a draft (the form's first button), never a half submission.
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == f"{live_server.url}{score_path}", messages(page)
    assert page.locator("main ul.messages li.success").count() == 1, messages(page)
    drafts = dict(Score.objects.filter(assignment=assignment).values_list("criterion_id", "value"))
    assert {k: str(v) for k, v in drafts.items()} == {
        criteria[0].pk: "88.50",
        criteria[1].pk: "90.00",
    }
    assert not Score.objects.filter(assignment=assignment, submitted=True).exists()
    # The next empty field has the focus now.
    assert page.evaluate("document.activeElement.name") == inputs.nth(2).get_attribute("name")
    shot("04-draft-saved")

    # 5. The rest by keyboard, then submit.
    for value in ["86", "79.5", "92", "100"][: len(criteria) - 2]:
        page.keyboard.type(value)
        page.keyboard.press("Tab")
    shot("05-filled")
    submit_form(page, "#score-form button[value=submit]")
    assert page.url != f"{live_server.url}{score_path}", messages(page)
    assert page.locator("main ul.messages li.success").count() == 1, messages(page)
    assert Score.objects.filter(assignment=assignment, submitted=True).count() == len(criteria)
    shot("06-next-entry")

    # 6. The queue shows it done.
    page.goto(f"{live_server.url}/scoring/queue/")
    row = page.locator(f"tr.queue-row[data-assignment='{assignment.pk}']")
    assert row.get_attribute("data-state") == "done"
    assert row.locator(".badge.state-done").count() == 1
    row.scroll_into_view_if_needed()
    shot("07-queue-done")


def test_evaluator_raises_a_veto_and_the_office_confirms_it(page, live_server, demo, shot):
    from django.contrib.auth import get_user_model

    from scoring.models import Criterion, FinalResult, Veto

    zone = zone_with_criteria()
    Criterion.objects.get_or_create(
        zone=zone, code="fatal", defaults={"name": "发生较大及以上安全事故", "kind": "veto"}
    )
    evaluator = get_user_model().objects.get(username="evaluator")
    assignment = open_assignment(evaluator)
    project = assignment.project
    reason = "8月12日施工现场发生一起较大安全事故,已由安监部门通报。"

    login(page, live_server, "evaluator")
    page.goto(f"{live_server.url}/scoring/assignments/{assignment.pk}/score/")
    page.locator("details.raise-veto summary").click()
    page.select_option("select[name=veto-criterion]", label="发生较大及以上安全事故")
    page.fill("textarea[name=veto-reason]", reason)
    shot("01-raise-veto")
    submit_form(page, "details.raise-veto button[type=submit]")
    assert page.locator("main ul.messages li.success").count() == 1, messages(page)
    assert page.locator("ul.own-vetoes .badge.veto-raised").count() == 1
    shot("02-veto-raised")
    veto = Veto.objects.get(project=project)

    logout(page)
    login(page, live_server, "city")
    page.goto(f"{live_server.url}/scoring/vetoes/")
    row = page.locator(f"table.veto-list tr[data-veto='{veto.pk}']")
    assert reason in row.inner_text()
    shot("03-office-vetoes")
    submit_form(page, f"tr[data-veto='{veto.pk}'] form[action$='/confirm/'] button")
    assert page.locator("main ul.messages li.success").count() == 1, messages(page)
    veto.refresh_from_db()
    assert veto.status == Veto.Status.CONFIRMED
    page.goto(f"{live_server.url}/scoring/vetoes/?status=confirmed")
    assert page.locator(f"tr[data-veto='{veto.pk}'] .badge.veto-confirmed").count() == 1
    shot("04-confirmed")
    result = FinalResult.objects.filter(project=project).first()
    assert result is None or result.vetoed
