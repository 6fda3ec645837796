import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from scoring.models import Criterion, CriterionWeight, LockEvent, Score, StageLock
from scoring.services import assign_evaluator, lock_stage, save_scores, unlock_stage

from .. import factories as f


@pytest.fixture
def scored(world):
    quality = Criterion.objects.create(zone=world.zone, code="quality", name="比质量")
    safety = Criterion.objects.create(zone=world.zone, code="safety", name="比安全", max_score=50)
    for criterion, weight in ((quality, "0.5"), (safety, "0.5")):
        CriterionWeight.objects.create(stage=world.stage, criterion=criterion, weight=weight)
    evaluator = world.users["evaluator"]
    assignment = evaluator.assignments.get(project=world.project_a)
    return world, assignment, quality, safety


@pytest.mark.parametrize(
    ("quality", "safety", "message"),
    [
        ("101", "10", "0 到 100"),
        ("-1", "10", "0 到 100"),
        ("80", "51", "0 到 50"),
        ("80.123", "10", "2 位小数"),
        ("abc", "10", "数字"),
        ("NaN", "10", "0 到 100"),
    ],
)
def test_bad_scores_are_refused_and_nothing_saved(scored, quality, safety, message):
    world, assignment, q, s = scored
    with pytest.raises(ValidationError, match=message):
        save_scores(assignment, {q: quality, s: safety}, world.users["evaluator"])
    assert not Score.objects.exists()


def test_draft_then_submit(scored):
    world, assignment, q, s = scored
    evaluator = world.users["evaluator"]
    save_scores(assignment, {q: "80"}, evaluator)
    assert Score.objects.get().submitted is False
    with pytest.raises(ValidationError, match="比安全"):
        save_scores(assignment, {q: "80"}, evaluator, submit=True)
    save_scores(assignment, {q: "82.5", s: "40"}, evaluator, submit=True)
    assert sorted(Score.objects.values_list("value", "submitted")) == [
        (Decimal("40.00"), True),
        (Decimal("82.50"), True),
    ]


def test_only_the_assigned_evaluator_saves(scored):
    world, assignment, q, s = scored
    with pytest.raises(PermissionDenied):
        save_scores(assignment, {q: "80"}, world.users["idle_evaluator"])


def test_lock_refused_while_incomplete_then_locks_and_unlocks_with_reason(scored):
    world, assignment, q, s = scored
    staff = world.users["city"]
    with pytest.raises(ValidationError, match="未完成"):
        lock_stage(world.zone, world.stage, staff)
    # project_b has no evaluator: give it one so every entry can be complete.
    other = f.UserFactory(role="evaluator", organisation=world.west)
    b = assign_evaluator(evaluator=other, project=world.project_b, stage=world.stage)
    save_scores(b, {q: "70", s: "30"}, other, submit=True)
    save_scores(assignment, {q: "80", s: "40"}, world.users["evaluator"], submit=True)
    lock_stage(world.zone, world.stage, staff)
    assert StageLock.objects.filter(zone=world.zone, stage=world.stage).exists()
    with pytest.raises(ValidationError, match="锁定"):
        save_scores(assignment, {q: "90", s: "40"}, world.users["evaluator"], submit=True)
    assert Score.objects.get(assignment=assignment, criterion=q).value == Decimal("80")
    with pytest.raises(ValidationError):
        unlock_stage(world.zone, world.stage, staff, "  ")
    with pytest.raises(PermissionDenied):
        unlock_stage(world.zone, world.stage, world.users["west"], "理由")
    unlock_stage(world.zone, world.stage, staff, "评委录入错误")
    assert list(LockEvent.objects.values_list("locked", "reason")) == [
        (False, "评委录入错误"),
        (True, ""),
    ]


def test_results_follow_a_changed_score(scored):
    from scoring.models import FinalResult

    world, assignment, q, s = scored
    other = f.UserFactory(role="evaluator", organisation=world.west)
    b = assign_evaluator(evaluator=other, project=world.project_b, stage=world.stage)
    save_scores(b, {q: "70", s: "30"}, other, submit=True)
    save_scores(assignment, {q: "80", s: "40"}, world.users["evaluator"], submit=True)
    a = FinalResult.objects.get(project=world.project_a)
    assert (a.score, a.rank) == (Decimal("80.00"), 1)
    save_scores(assignment, {q: "50", s: "20"}, world.users["evaluator"], submit=True)
    a.refresh_from_db()
    assert (a.score, a.rank) == (Decimal("45.00"), 2)
    assert FinalResult.objects.get(project=world.project_b).rank == 1


def test_stage_dates_do_not_matter_for_judgement(scored):
    world, assignment, q, s = scored
    world.stage.end_date = datetime.date(2020, 1, 1)
    save_scores(assignment, {q: "80", s: "40"}, world.users["evaluator"], submit=True)
