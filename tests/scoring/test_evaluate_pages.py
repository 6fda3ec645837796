"""The evaluator's queue and scoring form: who reaches them, drafts and submissions, the
server's refusals, locked stages, blind scoring and query counts."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from competitions.models import Milestone, ProgressReport
from scoring.models import Criterion, CriterionWeight, Score
from scoring.services import assign_evaluator, lock_stage, save_scores

from .. import factories as f


@pytest.fixture
def sheet(world):
    """Two judgement criteria (比质量 out of 100, 比安全 out of 50) and a veto item."""
    quality = Criterion.objects.create(
        zone=world.zone, code="quality", name="比质量", order=1, description="工程质量一次验收合格"
    )
    safety = Criterion.objects.create(
        zone=world.zone, code="safety", name="比安全", order=2, max_score=50
    )
    Criterion.objects.create(zone=world.zone, code="fatal", name="发生死亡事故", kind="veto")
    for criterion in (quality, safety):
        CriterionWeight.objects.create(stage=world.stage, criterion=criterion, weight="0.5")
    assignment = world.users["evaluator"].assignments.get(project=world.project_a)
    return world, assignment, quality, safety


def english(client):
    client.cookies["django_language"] = "en"
    return client


def score_url(assignment):
    return reverse("scoring:score", args=[assignment.pk])


def post_scores(client, assignment, quality, safety, action="draft", values=("", "")):
    q, s = values
    return client.post(
        score_url(assignment),
        {f"score_{quality.pk}": q, f"score_{safety.pk}": s, "action": action},
    )


def another_entry(world, title="峰会志愿服务"):
    """One more entry of the zone assigned to the world's evaluator (no conflict of interest:
    the unit is under 西湖区, the evaluator belongs to 滨江区)."""
    unit = f.UnitFactory(organisation=world.west)
    project = f.ProjectFactory(zone=world.zone, unit=unit, title=title)
    return assign_evaluator(evaluator=world.users["evaluator"], project=project, stage=world.stage)


# Who reaches the pages


def test_queue_is_for_evaluators(sheet, client_for):
    world, assignment, *_ = sheet
    response = client_for("evaluator").get(reverse("scoring:queue"))
    assert response.status_code == 200
    assert [a.pk for g in response.context["groups"] for a in g["rows"]] == [assignment.pk]
    assert score_url(assignment) in response.content.decode()
    idle = client_for("idle_evaluator").get(reverse("scoring:queue"))
    assert idle.status_code == 200 and idle.context["groups"] == []


@pytest.mark.parametrize("user", ["unit_a", "city", "superuser", "norole"])
def test_queue_refuses_other_roles(world, client_for, user):
    assert client_for(user).get(reverse("scoring:queue")).status_code == 403


def test_queue_needs_login(world, client_for):
    response = client_for("anonymous").get(reverse("scoring:queue"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    ("user", "status"),
    [
        ("evaluator", 200),
        ("idle_evaluator", 404),
        ("unit_a", 404),
        ("city", 404),  # staff see the assignment in their scope but never score for anyone
        ("superuser", 404),
        ("norole", 404),
        ("anonymous", 302),
    ],
)
def test_score_form_only_for_the_assigned_evaluator(sheet, client_for, user, status):
    world, assignment, quality, safety = sheet
    client = client_for(user)
    assert client.get(score_url(assignment)).status_code == status
    response = post_scores(client, assignment, quality, safety, "submit", ("80", "40"))
    assert response.status_code == (302 if user == "evaluator" else status)
    assert Score.objects.exists() == (user == "evaluator")


# The form


def test_score_form_shows_criteria_declaration_and_reports(sheet, client_for):
    world, assignment, quality, safety = sheet
    project = world.project_a
    project.target_tasks = "完成峰会接待任务"
    project.plan = "对标五星级服务标准"
    project.save()
    Milestone.objects.create(project=project, period=datetime.date(2026, 3, 1), planned_percent=40)
    ProgressReport.objects.create(
        project=project,
        period_start=datetime.date(2026, 3, 1),
        period_end=datetime.date(2026, 3, 31),
        due_date=datetime.date(2026, 4, 5),
        planned_percent=40,
        actual_percent=Decimal("37.5"),
        safety_incidents=2,
        status=ProgressReport.Status.ACCEPTED,
        first_submitted_at=datetime.datetime(2026, 4, 8, tzinfo=datetime.UTC),
        late=True,
    )
    save_scores(assignment, {quality: "88"}, world.users["evaluator"])
    response = english(client_for("evaluator")).get(score_url(assignment))
    html = response.content.decode()
    assert [c.code for c, _field, _value in response.context["rows"]] == ["quality", "safety"]
    assert html.index("比质量") < html.index("比安全")
    assert "工程质量一次验收合格" in html
    safety_input = f'name="score_{safety.pk}"'
    assert safety_input in html
    for attribute in ('min="0"', 'max="50"', 'step="0.01"', 'inputmode="decimal"'):
        assert attribute in html
    # The first empty field has the focus; the draft value is filled in.
    assert response.context["form"].fields[f"score_{safety.pk}"].widget.attrs.get("autofocus")
    assert not response.context["form"].fields[f"score_{quality.pk}"].widget.attrs.get("autofocus")
    assert 'value="88"' in html
    # The declaration and the reports beside the form.
    for text in ("完成峰会接待任务", "对标五星级服务标准", "2026-03", "37.5", "Late"):
        assert text in html
    assert "scoring/score-form.js" in html
    assert 'data-msg-range="Enter a score from 0 to 50."' in html
    # Enter submits the form with its first button: the draft, never a half submission.
    assert html.index('value="draft"') < html.index('value="submit"')


def test_draft_then_submit_goes_to_the_next_entry(sheet, client_for):
    world, assignment, quality, safety = sheet
    following = another_entry(world)
    client = english(client_for("evaluator"))
    response = post_scores(client, assignment, quality, safety, "draft", ("85.5", ""))
    assert response.status_code == 302 and response["Location"] == score_url(assignment)
    assert list(Score.objects.values_list("value", "submitted")) == [(Decimal("85.50"), False)]
    queue = client.get(reverse("scoring:queue")).context
    assert {a.pk: a.state for g in queue["groups"] for a in g["rows"]} == {
        assignment.pk: "draft",
        following.pk: "todo",
    }

    response = post_scores(client, assignment, quality, safety, "submit", ("85.5", "42"))
    assert response.status_code == 302
    assert response["Location"] == score_url(following)
    assert set(Score.objects.values_list("submitted", flat=True)) == {True}
    queue = client.get(reverse("scoring:queue")).context
    assert queue["totals"] == {"todo": 1, "draft": 0, "done": 1}
    group = queue["groups"][0]
    assert group["counts"] == {"todo": 1, "draft": 0, "done": 1}
    assert [a.state for a in group["rows"]] == ["todo", "done"]  # what is left first

    response = post_scores(client, following, quality, safety, "submit", ("70", "30"))
    assert response["Location"] == reverse("scoring:queue")


def test_submitted_scores_can_be_corrected_until_locked(sheet, client_for):
    world, assignment, quality, safety = sheet
    client = english(client_for("evaluator"))
    post_scores(client, assignment, quality, safety, "submit", ("80", "40"))
    page = client.get(score_url(assignment))
    assert page.context["submitted"] is True
    assert 'value="draft"' not in page.content.decode()  # only resubmitting is offered
    post_scores(client, assignment, quality, safety, "submit", ("90", "45"))
    assert sorted(Score.objects.values_list("value", flat=True)) == [Decimal(45), Decimal(90)]


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        (("101", "40"), "quality", "Enter a score from 0 to 100."),
        (("80", "50.5"), "safety", "Enter a score from 0 to 50."),
        (("-1", "40"), "quality", "Enter a score from 0 to 100."),
        (("80.123", "40"), "quality", "Scores have at most 2 decimals."),
        (("80", "4O"), "safety", "Enter a number."),
    ],
)
def test_invalid_values_are_shown_per_field_and_nothing_saved(
    sheet, client_for, values, field, message
):
    world, assignment, quality, safety = sheet
    client = english(client_for("evaluator"))
    for action in ("draft", "submit"):
        response = post_scores(client, assignment, quality, safety, action, values)
        assert response.status_code == 400
        criterion = quality if field == "quality" else safety
        assert response.context["form"].errors[f"score_{criterion.pk}"] == [message]
        assert f'id="score_{criterion.pk}-error" aria-live="polite">{message}' in (
            response.content.decode()
        )
    assert not Score.objects.exists()


def test_submit_needs_every_criterion(sheet, client_for):
    world, assignment, quality, safety = sheet
    client = english(client_for("evaluator"))
    response = post_scores(client, assignment, quality, safety, "submit", ("80", ""))
    assert response.status_code == 400
    form = response.context["form"]
    assert "Score every criterion before submitting: 比安全." in form.non_field_errors()
    assert form.errors[f"score_{safety.pk}"] == ["Required to submit."]
    assert not Score.objects.exists()


def test_locked_stage_is_read_only_and_refuses_posts(sheet, client_for):
    world, assignment, quality, safety = sheet
    other = f.UserFactory(role="evaluator", organisation=world.west)
    b = assign_evaluator(evaluator=other, project=world.project_b, stage=world.stage)
    save_scores(b, {quality: "70", safety: "30"}, other, submit=True)
    save_scores(assignment, {quality: "80", safety: "40"}, world.users["evaluator"], submit=True)
    lock_stage(world.zone, world.stage, world.users["city"])
    client = english(client_for("evaluator"))

    page = client.get(score_url(assignment))
    html = page.content.decode()
    assert page.status_code == 200 and page.context["locked"] is True
    assert "locked" in html and f'name="score_{quality.pk}"' not in html
    assert 'value="submit"' not in html and "raise-veto" not in html
    assert "80" in html and "40" in html

    response = post_scores(client, assignment, quality, safety, "submit", ("10", "10"))
    assert response.status_code == 302
    followed = client.get(response["Location"])
    assert "This stage is locked" in followed.content.decode()
    assert sorted(Score.objects.filter(assignment=assignment).values_list("value", flat=True)) == [
        Decimal(40),
        Decimal(80),
    ]
    queue = client.get(reverse("scoring:queue")).context
    assert queue["groups"][0]["locked"] is True


def test_form_shows_only_the_evaluators_own_scores(sheet, client_for):
    world, assignment, quality, safety = sheet
    rival = f.UserFactory(username="rival", role="evaluator", organisation=world.east)
    theirs = assign_evaluator(evaluator=rival, project=world.project_a, stage=world.stage)
    save_scores(theirs, {quality: "33.33", safety: "44.44"}, rival, submit=True)
    save_scores(assignment, {quality: "81.25"}, world.users["evaluator"])

    mine = client_for("evaluator")
    for url in (score_url(assignment), reverse("scoring:queue")):
        html = mine.get(url).content.decode()
        assert "33.33" not in html and "44.44" not in html
    assert "81.25" in mine.get(score_url(assignment)).content.decode()
    assert mine.get(score_url(theirs)).status_code == 404

    rival_client = client_for("anonymous")
    rival_client.force_login(rival)
    html = rival_client.get(score_url(theirs)).content.decode()
    assert "33.33" in html and "81.25" not in html


def test_zone_without_criteria_says_so(world, client_for):
    assignment = world.users["evaluator"].assignments.get()
    response = english(client_for("evaluator")).get(score_url(assignment))
    assert response.status_code == 200
    assert "no criteria to score yet" in response.content.decode()


def test_queue_query_count_is_constant(sheet, client_for):
    world, assignment, quality, safety = sheet
    client = client_for("evaluator")
    save_scores(assignment, {quality: "80"}, world.users["evaluator"])
    with CaptureQueriesContext(connection) as first:
        response = client.get(reverse("scoring:queue"))
    assert response.context["total"] == 1
    second_stage = f.StageFactory(campaign=world.campaign, name="决战期", order=2)
    for n in range(19):
        entry = another_entry(world, title=f"项目{n:02d}")
        if n % 3 == 0:
            extra = assign_evaluator(
                evaluator=world.users["evaluator"], project=entry.project, stage=second_stage
            )
            save_scores(extra, {quality: "75", safety: "40"}, world.users["evaluator"], True)
    with CaptureQueriesContext(connection) as second:
        response = client.get(reverse("scoring:queue"))
    assert response.context["total"] == 27
    assert len(response.context["groups"]) == 2
    assert len(second) == len(first)
