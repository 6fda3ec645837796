"""The scoring API against every role: criteria, weights, assignments, scores (blind until
locked), results and rankings, locking; and SCORING.md's worked example 1 through the API.

The set-up is built with the services the pages use; only what is under test goes through
the API. Tests that read a message send ``Accept-Language: en``.
"""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from scoring import services
from scoring.models import (
    Criterion,
    CriterionWeight,
    EvaluatorAssignment,
    LockEvent,
    Score,
    StageLock,
)
from scoring.results import recompute

from .. import factories as f
from .examples import CODES, FINAL_PUSH, PREPARATION, WEIGHTS, example_stages

ROLES = [
    "anonymous",
    "superuser",
    "city",  # staff of the campaign's organiser
    "west",  # staff of project_a's district, not of the campaign
    "east",  # staff of the other district
    "unit_a",
    "unit_b",
    "evaluator",  # assigned to project_a
    "idle_evaluator",  # assigned to nothing
    "norole",
]


def api(world, role):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if role != "anonymous":
        client.force_authenticate(world.users[role])
    return client


def count(response):
    assert response.status_code == 200, response.content
    return response.json()["count"]


@pytest.fixture
def scoring(world):
    """Two judgement criteria weighted 0.5 each; the world's evaluator on project_a and
    another evaluator on project_b, both in the world's single stage (weight 1)."""
    city = world.users["city"]
    quality = services.save_criterion(
        Criterion(zone=world.zone, code="quality", name="比质量", order=1), city
    )
    safety = services.save_criterion(
        Criterion(zone=world.zone, code="safety", name="比安全", order=2), city
    )
    services.set_stage_weights(world.zone, world.stage, {quality: "0.5", safety: "0.5"}, city)
    world.users["other_evaluator"] = f.UserFactory(
        username="other", role="evaluator", organisation=world.west
    )
    mine = EvaluatorAssignment.objects.get(evaluator=world.users["evaluator"])
    theirs = services.assign_evaluator(
        evaluator=world.users["other_evaluator"], project=world.project_b, stage=world.stage
    )
    return {"quality": quality, "safety": safety, "mine": mine, "theirs": theirs}


def submit_all(world, scoring):
    services.save_scores(
        scoring["mine"],
        {scoring["quality"]: "90", scoring["safety"]: "80"},
        world.users["evaluator"],
        submit=True,
    )
    services.save_scores(
        scoring["theirs"],
        {scoring["quality"]: "70", scoring["safety"]: "60"},
        world.users["other_evaluator"],
        submit=True,
    )


def lock(world):
    services.lock_stage(world.zone, world.stage, world.users["city"])


def scores_url(assignment):
    return f"/api/v1/assignments/{assignment.pk}/scores/"


def stage_url(world, action, stage=None):
    return f"/api/v1/zones/{world.zone.pk}/stages/{(stage or world.stage).pk}/{action}/"


# --- Authentication ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["criteria/", "criterion-weights/", "assignments/", "scores/", "results/"],
)
def test_scoring_api_requires_authentication(world, path):
    assert APIClient().get(f"/api/v1/{path}").status_code == 401


def test_zone_actions_require_authentication(world):
    client = APIClient()
    assert client.get(f"/api/v1/zones/{world.zone.pk}/ranking/").status_code == 401
    assert client.get(f"/api/v1/zones/{world.zone.pk}/locks/").status_code == 401
    assert client.post(stage_url(world, "lock")).status_code == 401


def test_api_root_lists_zones_and_the_scoring_endpoints(world):
    # The zone actions share the ``zones/`` prefix; the root must still link the zone list.
    root = api(world, "city").get("/api/v1/").json()
    assert root["zones"].endswith("/api/v1/zones/")
    for name in ("criteria", "criterion-weights", "assignments", "scores", "results"):
        assert root[name].endswith(f"/api/v1/{name}/")


# --- Criteria --------------------------------------------------------------------------------

SEES_ZONE = {"superuser", "city", "west", "east", "unit_a", "unit_b", "evaluator"}


@pytest.mark.parametrize("role", ROLES[1:])
def test_criteria_read_by_whoever_sees_the_zone(world, scoring, role):
    client = api(world, role)
    response = client.get(f"/api/v1/criteria/?zone={world.zone.pk}")
    assert count(response) == (2 if role in SEES_ZONE else 0)
    detail = client.get(f"/api/v1/criteria/{scoring['quality'].pk}/")
    assert detail.status_code == (200 if role in SEES_ZONE else 404)
    if role in SEES_ZONE:
        assert detail.json()["code"] == "quality"
        assert detail.json()["max_score"] == "100.00"


@pytest.mark.parametrize("role", ROLES)
def test_criteria_written_only_by_staff_of_the_campaign(world, scoring, role):
    client = api(world, role)
    body = {"zone": world.zone.pk, "code": "progress", "name": "比进度", "max_score": "50"}
    created = client.post("/api/v1/criteria/", body, format="json")
    changed = client.patch(
        f"/api/v1/criteria/{scoring['quality'].pk}/", {"name": "质量"}, format="json"
    )
    deleted = client.delete(f"/api/v1/criteria/{scoring['safety'].pk}/")
    if role == "anonymous":
        expected = (401, 401, 401)
    elif role in ("superuser", "city"):
        expected = (201, 200, 204)
    else:
        expected = (403, 403, 403)
    assert (created.status_code, changed.status_code, deleted.status_code) == expected
    allowed = role in ("superuser", "city")
    assert Criterion.objects.filter(code="progress").exists() == allowed
    assert Criterion.objects.get(code="quality").name == ("质量" if allowed else "比质量")
    assert Criterion.objects.filter(code="safety").exists() != allowed
    if allowed:
        assert created.json()["max_score"] == "50.00"
        assert created.json()["kind"] == "judgement"


def test_criterion_validation_errors_change_nothing(world, scoring):
    client = api(world, "city")
    duplicate = client.post(
        "/api/v1/criteria/", {"zone": world.zone.pk, "code": "quality", "name": "x"}, format="json"
    )
    assert duplicate.status_code == 400
    assert "already has a criterion with this code" in str(duplicate.json())
    no_measure = client.post(
        "/api/v1/criteria/",
        {"zone": world.zone.pk, "code": "rate", "name": "x", "kind": "measurement"},
        format="json",
    )
    assert no_measure.status_code == 400
    assert "needs a measure" in str(no_measure.json())
    bad_max = client.patch(
        f"/api/v1/criteria/{scoring['quality'].pk}/", {"max_score": "0"}, format="json"
    )
    assert bad_max.status_code == 400
    assert Criterion.objects.count() == 2
    assert Criterion.objects.get(code="quality").max_score == Decimal(100)


def test_criterion_zone_cannot_be_moved(world, scoring):
    other_zone = f.ZoneFactory(campaign=world.campaign)
    response = api(world, "city").patch(
        f"/api/v1/criteria/{scoring['quality'].pk}/", {"zone": other_zone.pk}, format="json"
    )
    assert response.status_code == 200
    assert Criterion.objects.get(code="quality").zone == world.zone


def test_criteria_refused_while_a_stage_of_the_zone_is_locked(world, scoring):
    submit_all(world, scoring)
    lock(world)
    client = api(world, "city")
    created = client.post(
        "/api/v1/criteria/", {"zone": world.zone.pk, "code": "x", "name": "x"}, format="json"
    )
    changed = client.patch(
        f"/api/v1/criteria/{scoring['quality'].pk}/", {"name": "质量"}, format="json"
    )
    deleted = client.delete(f"/api/v1/criteria/{scoring['safety'].pk}/")
    assert (created.status_code, changed.status_code, deleted.status_code) == (409, 409, 409)
    assert "locked" in created.json()["detail"]
    assert Criterion.objects.count() == 2
    assert Criterion.objects.get(code="quality").name == "比质量"


def test_scored_criterion_cannot_be_deleted(world, scoring):
    submit_all(world, scoring)
    response = api(world, "city").delete(f"/api/v1/criteria/{scoring['safety'].pk}/")
    assert response.status_code == 409
    assert "already has scores" in response.json()["detail"]
    assert Criterion.objects.filter(code="safety").exists()


# --- Weights ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES[1:])
def test_criterion_weights_read_by_whoever_sees_the_zone(world, scoring, role):
    response = api(world, role).get(f"/api/v1/criterion-weights/?stage={world.stage.pk}")
    assert count(response) == (2 if role in SEES_ZONE else 0)
    if role in SEES_ZONE:
        rows = {row["criterion_code"]: row["weight"] for row in response.json()["results"]}
        assert rows == {"quality": "0.5000", "safety": "0.5000"}


@pytest.mark.parametrize("role", ROLES)
def test_weights_set_only_by_staff_of_the_campaign(world, scoring, role):
    body = {"weights": {"quality": "0.3", "safety": "0.7"}}
    response = api(world, role).post(stage_url(world, "weights"), body, format="json")
    expected = {"anonymous": 401, "superuser": 200, "city": 200, "idle_evaluator": 404}
    expected["norole"] = 404
    assert response.status_code == expected.get(role, 403)
    weight = CriterionWeight.objects.get(criterion=scoring["quality"], stage=world.stage).weight
    assert weight == (Decimal("0.3") if response.status_code == 200 else Decimal("0.5"))
    if response.status_code == 200:
        assert {r["criterion_code"]: r["weight"] for r in response.json()} == {
            "quality": "0.3000",
            "safety": "0.7000",
        }


def test_weights_must_add_up_to_exactly_one(world, scoring):
    client = api(world, "city")
    response = client.post(
        stage_url(world, "weights"), {"weights": {"quality": "0.3", "safety": "0.6"}}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "detail": "The weights of a stage must add up to 1; these add up to 0.9."
    }
    unknown = client.post(
        stage_url(world, "weights"), {"weights": {"quality": "1", "nonsense": "0"}}, format="json"
    )
    assert unknown.status_code == 400
    assert "nonsense" in unknown.json()["weights"]
    weights = CriterionWeight.objects.filter(stage=world.stage).values_list("weight", flat=True)
    assert sorted(weights) == [Decimal("0.5"), Decimal("0.5")]


def test_weights_of_a_locked_stage_conflict(world, scoring):
    submit_all(world, scoring)
    lock(world)
    response = api(world, "city").post(
        stage_url(world, "weights"), {"weights": {"quality": "0.3", "safety": "0.7"}}, format="json"
    )
    assert response.status_code == 409
    assert CriterionWeight.objects.get(criterion=scoring["quality"]).weight == Decimal("0.5")


def test_weights_of_a_stage_of_another_campaign_are_not_found(world, scoring):
    other = f.StageFactory(campaign=f.CampaignFactory(organiser=world.city))
    response = api(world, "city").post(
        stage_url(world, "weights", other), {"weights": {"quality": "1"}}, format="json"
    )
    assert response.status_code == 404


# --- Assignments -----------------------------------------------------------------------------

ASSIGNMENTS_SEEN = {
    "superuser": 2,
    "city": 2,
    "west": 1,
    "east": 1,
    "unit_a": 0,
    "unit_b": 0,
    "evaluator": 1,
    "idle_evaluator": 0,
    "norole": 0,
}


@pytest.mark.parametrize("role", ROLES[1:])
def test_assignments_list_is_scoped(world, scoring, role):
    client = api(world, role)
    assert count(client.get("/api/v1/assignments/")) == ASSIGNMENTS_SEEN[role]
    detail = client.get(f"/api/v1/assignments/{scoring['mine'].pk}/")
    sees_mine = role in ("superuser", "city", "west", "evaluator")
    assert detail.status_code == (200 if sees_mine else 404)
    if sees_mine:
        assert detail.json()["evaluator"] == world.users["evaluator"].pk
        assert detail.json()["submitted"] is False


def test_assignment_shows_submission(world, scoring):
    submit_all(world, scoring)
    rows = api(world, "city").get(f"/api/v1/assignments/?project={world.project_a.pk}").json()
    assert [row["submitted"] for row in rows["results"]] == [True]


@pytest.mark.parametrize("role", ROLES)
def test_assignment_created_only_by_staff_of_the_campaign(world, scoring, role):
    newcomer = f.UserFactory(username="newcomer", role="evaluator")
    body = {"evaluator": newcomer.pk, "project": world.project_b.pk, "stage": world.stage.pk}
    response = api(world, role).post("/api/v1/assignments/", body, format="json")
    expected = {
        "anonymous": 401,
        "superuser": 201,
        "city": 201,
        "west": 400,  # project_b is not in west's scope: not a valid choice
        "east": 403,  # sees project_b but is not on the campaign's office
    }
    assert response.status_code == expected.get(role, 403)
    created = EvaluatorAssignment.objects.filter(evaluator=newcomer).exists()
    assert created == (response.status_code == 201)
    if created:
        assert response.json()["project"] == world.project_b.pk
        assert response.json()["evaluator_name"] == "newcomer"


def test_assignment_conflict_of_interest_gives_the_reason(world, scoring):
    colleague = f.UserFactory(role="evaluator", unit=world.unit_a)
    body = {"evaluator": colleague.pk, "project": world.project_a.pk, "stage": world.stage.pk}
    response = api(world, "city").post("/api/v1/assignments/", body, format="json")
    assert response.status_code == 400
    assert response.json() == {"detail": "The evaluator works for the project's unit."}
    assert not EvaluatorAssignment.objects.filter(evaluator=colleague).exists()
    staff = {"evaluator": world.users["city"].pk, "project": world.project_a.pk}
    response = api(world, "city").post(
        "/api/v1/assignments/", {**staff, "stage": world.stage.pk}, format="json"
    )
    assert response.status_code == 400  # not an active evaluator: not a valid choice


@pytest.mark.parametrize("role", ROLES)
def test_assignment_deleted_only_by_staff_of_the_campaign(world, scoring, role):
    response = api(world, role).delete(f"/api/v1/assignments/{scoring['mine'].pk}/")
    expected = {
        "anonymous": 401,
        "superuser": 204,
        "city": 204,
        "west": 403,
        "evaluator": 403,
    }
    assert response.status_code == expected.get(role, 404)
    still_there = EvaluatorAssignment.objects.filter(pk=scoring["mine"].pk).exists()
    assert still_there == (response.status_code != 204)


def test_assignment_stays_once_scores_are_submitted_or_the_stage_locked(world, scoring):
    submit_all(world, scoring)
    client = api(world, "city")
    response = client.delete(f"/api/v1/assignments/{scoring['mine'].pk}/")
    assert response.status_code == 409
    assert "has submitted scores" in response.json()["detail"]
    lock(world)
    spare = services.assign_evaluator(
        evaluator=world.users["idle_evaluator"], project=world.project_a, stage=world.stage
    )
    # A new evaluator on a locked stage cannot be added through the API either.
    newcomer = f.UserFactory(role="evaluator")
    body = {"evaluator": newcomer.pk, "project": world.project_a.pk, "stage": world.stage.pk}
    assert client.post("/api/v1/assignments/", body, format="json").status_code == 409
    assert client.delete(f"/api/v1/assignments/{spare.pk}/").status_code == 409
    assert EvaluatorAssignment.objects.filter(pk__in=[scoring["mine"].pk, spare.pk]).count() == 2


# --- Writing scores --------------------------------------------------------------------------


def test_evaluator_saves_a_draft_then_submits(world, scoring):
    client = api(world, "evaluator")
    draft = client.post(scores_url(scoring["mine"]), {"scores": {"quality": "87.5"}}, format="json")
    assert draft.status_code == 200
    assert draft.json() == {
        "assignment": scoring["mine"].pk,
        "submitted": False,
        "scores": {"quality": "87.50"},
    }
    done = client.post(
        scores_url(scoring["mine"]),
        {"scores": {"quality": "88", "safety": 91.25}, "submit": True},
        format="json",
    )
    assert done.status_code == 200
    assert done.json()["submitted"] is True
    assert done.json()["scores"] == {"quality": "88.00", "safety": "91.25"}
    assert set(Score.objects.values_list("value", "submitted")) == {
        (Decimal("88"), True),
        (Decimal("91.25"), True),
    }


@pytest.mark.parametrize("role", ROLES)
def test_only_the_assigned_evaluator_writes_the_scores(world, scoring, role):
    response = api(world, role).post(
        scores_url(scoring["mine"]), {"scores": {"quality": "80"}}, format="json"
    )
    # Staff who see the assignment are refused (403); anyone else does not see it (404).
    expected = {
        "anonymous": 401,
        "evaluator": 200,
        "superuser": 403,
        "city": 403,
        "west": 403,
    }
    assert response.status_code == expected.get(role, 404)
    assert Score.objects.exists() == (role == "evaluator")


def test_evaluator_cannot_write_another_evaluators_scores(world, scoring):
    response = api(world, "evaluator").post(
        scores_url(scoring["theirs"]), {"scores": {"quality": "100"}}, format="json"
    )
    assert response.status_code == 404
    assert not Score.objects.exists()


def test_invalid_scores_give_per_criterion_errors_and_change_nothing(world, scoring):
    client = api(world, "evaluator")
    client.post(scores_url(scoring["mine"]), {"scores": {"quality": "50"}}, format="json")
    before = list(Score.objects.values_list("criterion_id", "value", "submitted"))
    response = client.post(
        scores_url(scoring["mine"]),
        {"scores": {"quality": "100.5", "safety": "80.125"}, "submit": True},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "scores": {
            "quality": ["Enter a score from 0 to 100."],
            "safety": ["Scores have at most 2 decimals."],
        }
    }
    for body in (
        {"scores": {"quality": "abc"}},
        {"scores": {"quality": "-1"}},
        {"scores": {"nonsense": "10"}},
        {"scores": {"quality": "90"}, "submit": True},  # safety missing
        {"scores": "90"},
    ):
        assert client.post(scores_url(scoring["mine"]), body, format="json").status_code == 400
    assert list(Score.objects.values_list("criterion_id", "value", "submitted")) == before
    missing = client.post(
        scores_url(scoring["mine"]), {"scores": {"quality": "90"}, "submit": True}, format="json"
    )
    assert missing.json() == {"detail": "Score every criterion before submitting: 比安全."}


def test_scores_of_a_locked_stage_conflict(world, scoring):
    submit_all(world, scoring)
    lock(world)
    response = api(world, "evaluator").post(
        scores_url(scoring["mine"]), {"scores": {"quality": "10"}}, format="json"
    )
    assert response.status_code == 409
    assert response.json() == {"detail": "This stage is locked; scores can no longer change."}
    assert Score.objects.get(assignment=scoring["mine"], criterion=scoring["quality"]).value == 90


# --- Reading scores: evaluators see their own only ----------------------------------------------

SCORES_SEEN = {role: 0 for role in ROLES[1:]} | {
    "evaluator": 2,
    "superuser": 4,
    "city": 4,
    "west": 2,
    "east": 2,
}


@pytest.mark.parametrize("role", ROLES[1:])
def test_scores_seen_by_staff_in_scope_and_evaluators_own_only(world, scoring, role):
    submit_all(world, scoring)
    client = api(world, role)
    assert count(client.get("/api/v1/scores/")) == SCORES_SEEN[role]
    lock(world)
    response = client.get("/api/v1/scores/")
    assert count(response) == SCORES_SEEN[role]
    if role == "evaluator":
        rows = response.json()["results"]
        assert {row["assignment"] for row in rows} == {scoring["mine"].pk}
        assert {row["criterion_code"]: row["value"] for row in rows} == {
            "quality": "90.00",
            "safety": "80.00",
        }


def test_evaluator_sees_own_drafts_staff_never_see_drafts(world, scoring):
    api(world, "evaluator").post(
        scores_url(scoring["mine"]), {"scores": {"quality": "60"}}, format="json"
    )
    assert count(api(world, "evaluator").get("/api/v1/scores/")) == 1
    assert count(api(world, "superuser").get("/api/v1/scores/")) == 0


def test_unit_users_never_see_evaluators(world, scoring):
    submit_all(world, scoring)
    lock(world)
    client = api(world, "unit_a")
    assert count(client.get("/api/v1/scores/")) == 0
    assert count(client.get("/api/v1/assignments/")) == 0
    result = client.get("/api/v1/results/").json()["results"][0]
    assert "evaluator" not in str(result)


# --- Results and rankings --------------------------------------------------------------------

RESULTS_BEFORE_LOCK = {role: 0 for role in ROLES[1:]} | {
    "superuser": 2,
    "city": 2,
    "west": 1,
    "east": 1,
}
RESULTS_AFTER_LOCK = RESULTS_BEFORE_LOCK | {"unit_a": 1, "unit_b": 1, "evaluator": 1}


@pytest.mark.parametrize("role", ROLES[1:])
def test_results_visible_to_staff_always_to_others_once_locked(world, scoring, role):
    submit_all(world, scoring)
    client = api(world, role)
    assert count(client.get("/api/v1/results/")) == RESULTS_BEFORE_LOCK[role]
    ranking = client.get(f"/api/v1/zones/{world.zone.pk}/ranking/")
    assert ranking.status_code == (200 if role in SEES_ZONE else 404)
    if role in SEES_ZONE:
        assert ranking.json()["locked"] is False
        assert len(ranking.json()["entries"]) == RESULTS_BEFORE_LOCK[role]
    lock(world)
    assert count(client.get("/api/v1/results/")) == RESULTS_AFTER_LOCK[role]
    if role in SEES_ZONE:
        ranking = client.get(f"/api/v1/zones/{world.zone.pk}/ranking/").json()
        assert ranking["locked"] is True
        assert len(ranking["entries"]) == RESULTS_AFTER_LOCK[role]


def test_result_and_ranking_content(world, scoring):
    submit_all(world, scoring)
    client = api(world, "city")
    results = client.get(f"/api/v1/results/?project={world.project_a.pk}").json()["results"]
    assert len(results) == 1
    result = results[0]
    assert result["score"] == "85.00"  # 0.5 × 90 + 0.5 × 80
    assert result["rank"] == 1 and result["complete"] and not result["vetoed"]
    assert result["stages"] == [
        {
            "stage": world.stage.pk,
            "stage_name": "筹备初期",
            "score": "85.00",
            "complete": True,
            "spread_alert": False,
            "criteria": {"quality": "90.00", "safety": "80.00"},
        }
    ]
    ranking = client.get(f"/api/v1/zones/{world.zone.pk}/ranking/").json()
    assert [
        (e["rank"], e["project_title"], e["unit_name"], e["score"]) for e in ranking["entries"]
    ] == [(1, "酒店服务提升", "西湖酒店", "85.00"), (2, "峰会保电", "滨江电力", "65.00")]
    assert ranking["zone"] == world.zone.pk


def test_incomplete_entries_are_listed_unranked_last(world, scoring):
    services.save_scores(
        scoring["theirs"], {scoring["quality"]: "99"}, world.users["other_evaluator"]
    )
    services.save_scores(
        scoring["mine"],
        {scoring["quality"]: "50", scoring["safety"]: "50"},
        world.users["evaluator"],
        submit=True,
    )
    entries = api(world, "superuser").get(f"/api/v1/zones/{world.zone.pk}/ranking/").json()
    assert [(e["project_title"], e["rank"], e["complete"]) for e in entries["entries"]] == [
        ("酒店服务提升", 1, True),
        ("峰会保电", None, False),
    ]


# --- Locking ---------------------------------------------------------------------------------

LOCK_STATUS = {"anonymous": 401, "superuser": 200, "city": 200, "idle_evaluator": 404}
LOCK_STATUS["norole"] = 404


@pytest.mark.parametrize("role", ROLES)
def test_lock_and_unlock_only_by_staff_of_the_campaign(world, scoring, role):
    submit_all(world, scoring)
    client = api(world, role)
    response = client.post(stage_url(world, "lock"))
    assert response.status_code == LOCK_STATUS.get(role, 403)
    assert StageLock.objects.exists() == (response.status_code == 200)
    if response.status_code == 200:
        assert response.json()["locked"] is True
        assert response.json()["stage"] == world.stage.pk
    else:
        lock(world)
    response = client.post(stage_url(world, "unlock"), {"reason": "复核"}, format="json")
    assert response.status_code == LOCK_STATUS.get(role, 403)
    assert StageLock.objects.exists() == (response.status_code != 200)


def test_lock_refused_while_entries_are_incomplete(world, scoring):
    services.save_scores(
        scoring["mine"],
        {scoring["quality"]: "90", scoring["safety"]: "80"},
        world.users["evaluator"],
        submit=True,
    )
    response = api(world, "city").post(stage_url(world, "lock"))
    assert response.status_code == 409
    assert "not completely scored" in response.json()["detail"]
    assert not StageLock.objects.exists()


def test_unlock_needs_a_reason_and_is_recorded(world, scoring):
    submit_all(world, scoring)
    client = api(world, "city")
    assert client.post(stage_url(world, "lock")).status_code == 200
    locks = client.get(f"/api/v1/zones/{world.zone.pk}/locks/").json()
    assert [(row["stage"], row["locked"]) for row in locks] == [(world.stage.pk, True)]
    blank = client.post(stage_url(world, "unlock"), {"reason": "  "}, format="json")
    assert blank.status_code == 400
    assert blank.json() == {"detail": "Give the reason for unlocking; it is recorded."}
    assert client.post(stage_url(world, "unlock"), {}, format="json").status_code == 400
    assert StageLock.objects.exists()
    done = client.post(stage_url(world, "unlock"), {"reason": "评分录入有误"}, format="json")
    assert done.status_code == 200
    assert done.json()["locked"] is False and done.json()["locked_at"] is None
    assert not StageLock.objects.exists()
    events = list(LockEvent.objects.order_by("created_at", "pk").values_list("locked", "reason"))
    assert events == [(True, ""), (False, "评分录入有误")]
    # Unlocked again: the evaluator may correct the scores.
    response = api(world, "evaluator").post(
        scores_url(scoring["mine"]),
        {"scores": {"quality": "95", "safety": "80"}, "submit": True},
        format="json",
    )
    assert response.status_code == 200


def test_lock_of_a_stage_outside_the_campaign_is_not_found(world, scoring):
    other = f.StageFactory(campaign=f.CampaignFactory(organiser=world.city))
    assert api(world, "city").post(stage_url(world, "lock", other)).status_code == 404


# --- Query counts ----------------------------------------------------------------------------


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(ctx)


def _grow(world, scoring, n):
    """``n`` more entries of the zone, each scored by the world's evaluator, and ``n`` more
    (measurement) criteria weighted 0."""
    city, evaluator = world.users["city"], world.users["evaluator"]
    for i in range(n):
        extra = Criterion(zone=world.zone, code=f"extra{i}", name=f"附加{i}", kind="measurement")
        extra.measure = Criterion.Measure.SAFETY_RECORD
        services.save_criterion(extra, city)
    criteria = list(Criterion.objects.filter(zone=world.zone))
    weights = {c: "0" for c in criteria}
    weights[scoring["quality"]] = weights[scoring["safety"]] = "0.5"
    services.set_stage_weights(world.zone, world.stage, weights, city)
    for i in range(n):
        project = f.ProjectFactory(zone=world.zone, unit=world.unit_a, title=f"项目{i}")
        assignment = services.assign_evaluator(
            evaluator=evaluator, project=project, stage=world.stage
        )
        services.save_scores(
            assignment, {scoring["quality"]: 60 + i, scoring["safety"]: 70}, evaluator, True
        )
    recompute(zones=type(world.zone).objects.filter(pk=world.zone.pk))


LISTS = [
    ("city", "/api/v1/criteria/"),
    ("unit_a", "/api/v1/criteria/"),
    ("city", "/api/v1/criterion-weights/"),
    ("city", "/api/v1/assignments/"),
    ("evaluator", "/api/v1/assignments/"),
    ("evaluator", "/api/v1/scores/"),
    ("superuser", "/api/v1/scores/"),
    ("city", "/api/v1/results/"),
    ("evaluator", "/api/v1/results/"),
    ("city", "/api/v1/zones/{zone}/ranking/"),
    ("unit_a", "/api/v1/zones/{zone}/ranking/"),
]


def test_list_query_count_is_constant(world, scoring):
    # The stage is locked both times, so locked-only rows (staff scores, unit results) count.
    submit_all(world, scoring)
    lock(world)
    lists = [(api(world, role), url.format(zone=world.zone.pk)) for role, url in LISTS]
    before = [_queries(client, url) for client, url in lists]
    services.unlock_stage(world.zone, world.stage, world.users["city"], "更多参赛项目")
    _grow(world, scoring, 19)
    lock(world)
    for (client, url), (role, _url), queries in zip(lists, LISTS, before, strict=True):
        rows = client.get(url).json()
        assert len(rows["entries"] if "entries" in rows else rows["results"]) >= 20, (role, url)
        assert _queries(client, url) == queries, (role, url)


def test_lock_state_query_count_is_constant(world):
    client = api(world, "city")
    url = f"/api/v1/zones/{world.zone.pk}/locks/"
    before = _queries(client, url)
    for _ in range(19):
        stage = f.StageFactory(campaign=world.campaign)
        StageLock.objects.create(zone=world.zone, stage=stage)
    assert len(client.get(url).json()) == 20
    assert _queries(client, url) == before


# --- SCORING.md worked example 1, through the API --------------------------------------------


def test_worked_example_1_through_the_api(world):
    city = world.users["city"]
    stages = example_stages(world.campaign)
    criteria = [
        services.save_criterion(Criterion(zone=world.zone, code=code, name=code, order=i), city)
        for i, code in enumerate(CODES)
    ]
    by_code = {c.code: c for c in criteria}
    for name, weights in WEIGHTS.items():
        services.set_stage_weights(
            world.zone, stages[name], {by_code[code]: w for code, w in weights.items()}, city
        )
    project = world.project_a
    for stage_name, table in (("筹备初期", PREPARATION), ("决战期", FINAL_PUSH)):
        for column in range(len(table["safety"])):
            evaluator = f.UserFactory(role="evaluator")
            assignment = services.assign_evaluator(
                evaluator=evaluator, project=project, stage=stages[stage_name]
            )
            client = APIClient()
            client.force_authenticate(evaluator)
            sheet = {code: str(values[column]) for code, values in table.items()}
            response = client.post(
                scores_url(assignment), {"scores": sheet, "submit": True}, format="json"
            )
            assert response.status_code == 200, response.content
    result = api(world, "city").get(f"/api/v1/results/?project={project.pk}").json()["results"]
    assert result[0]["score"] == "87.24"
    assert [(s["stage_name"], s["score"]) for s in result[0]["stages"]] == [
        ("筹备初期", "86.10"),
        ("决战期", "88.00"),
    ]
    assert result[0]["stages"][0]["criteria"]["progress"] == "87.67"  # 87.666… rounded
    entry = api(world, "city").get(f"/api/v1/zones/{world.zone.pk}/ranking/").json()["entries"]
    assert (entry[0]["project"], entry[0]["rank"], entry[0]["score"]) == (project.pk, 1, "87.24")
