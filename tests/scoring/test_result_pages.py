"""The ranking page (with stage locks), the explanation page and the Excel export."""

import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from scoring.models import FinalResult, LockEvent, StageLock
from scoring.results import recompute

from .. import factories as f
from .examples import FINAL_PUSH, PREPARATION, score_entry


@pytest.fixture
def scored(venue):
    """Example 1's entry fully scored in both stages (final 87.24)."""
    world, stages, criteria = venue
    score_entry(world, world.project_a, stages["筹备初期"], criteria, PREPARATION)
    score_entry(world, world.project_a, stages["决战期"], criteria, FINAL_PUSH)
    return world, stages, criteria


def english(client):
    client.cookies["django_language"] = "en"
    return client


def ranking_url(world):
    return reverse("scoring:ranking", kwargs={"zone_id": world.zone.pk})


def lock_all(world, stages):
    from scoring.services import lock_stage

    for stage in stages.values():
        lock_stage(world.zone, stage, world.users["city"])


def test_ranking_shows_score_rank_and_grade_to_staff(scored, client_for):
    world, _stages, _criteria = scored
    response = client_for("city").get(ranking_url(world))
    assert response.status_code == 200
    rows = response.context["rows"]
    assert [(r["result"].project, r["result"].rank, r["result"].score) for r in rows] == [
        (world.project_a, 1, Decimal("87.24"))
    ]
    assert rows[0]["stages"] == [Decimal("86.10"), Decimal("88.00")]
    body = response.content.decode()
    assert all(figure in body for figure in ("87.24", "86.10", "88.00"))


def test_ranking_pages_hold_a_hundred_entries_in_rank_order(venue, client_for):
    world, _stages, _criteria = venue
    zone = world.zone
    for number in range(118):  # with project_a and project_b: 120 entries
        f.ProjectFactory(zone=zone, unit=world.unit_a, title=f"项目{number:03d}")
    recompute(zones=type(zone).objects.filter(pk=zone.pk))
    FinalResult.objects.filter(zone=zone).update(complete=True)
    for rank, result in enumerate(FinalResult.objects.filter(zone=zone).order_by("pk"), 1):
        result.rank, result.score = rank, Decimal(200 - rank)
        result.save()
    client = client_for("city")
    first = client.get(ranking_url(world)).context["rows"]
    second = client.get(ranking_url(world) + "?page=2").context["rows"]
    assert [r["result"].rank for r in first] == list(range(1, 101))
    assert [r["result"].rank for r in second] == list(range(101, 121))


def test_ranking_marks_incomplete_entries_and_counts_them(venue, client_for):
    world, stages, criteria = venue
    score_entry(world, world.project_a, stages["筹备初期"], criteria, PREPARATION)
    recompute(zones=type(world.zone).objects.filter(pk=world.zone.pk))
    response = client_for("city").get(ranking_url(world))
    result = response.context["rows"][0]["result"]
    assert result.rank is None and not result.complete
    panel = {item["stage"].name: item["counts"] for item in response.context["lock_panel"]}
    assert panel["筹备初期"]["n_complete"] == 1
    assert panel["决战期"]["n_incomplete"] == 2  # project_a and project_b have no scores there


@pytest.mark.parametrize("name", ["anonymous", "norole"])
def test_ranking_refused_without_a_role(scored, client_for, name):
    world, _stages, _criteria = scored
    response = client_for(name).get(ranking_url(world))
    assert response.status_code in (302, 404)


def test_ranking_hidden_from_unit_until_every_stage_is_locked(scored, client_for):
    world, stages, _criteria = scored
    assert client_for("unit_a").get(ranking_url(world)).context["rows"] == []
    world.project_b.status = "rejected"  # not an entry: only project_a must be complete
    world.project_b.save()
    lock_all(world, stages)
    rows = client_for("unit_a").get(ranking_url(world)).context["rows"]
    assert [r["result"].project for r in rows] == [world.project_a]
    assert client_for("unit_b").get(ranking_url(world)).context["rows"] == []


def test_ranking_query_count_does_not_grow_with_entries(venue, client_for):
    world, stages, criteria = venue
    client = client_for("city")

    def queries_for_page():
        recompute(zones=type(world.zone).objects.filter(pk=world.zone.pk))
        with CaptureQueriesContext(connection) as captured:
            assert client.get(ranking_url(world)).status_code == 200
        return len(captured)

    few = queries_for_page()
    for number in range(20):
        unit = f.UnitFactory(organisation=world.west)
        f.ProjectFactory(zone=world.zone, unit=unit, title=f"项目{number}")
    many = queries_for_page()
    assert FinalResult.objects.filter(zone=world.zone).count() == 22
    assert few == many


def test_lock_refused_while_entries_are_incomplete(venue, client_for):
    world, stages, _criteria = venue
    client = english(client_for("city"))
    stage = stages["筹备初期"]
    response = client.post(
        reverse("scoring:lock", kwargs={"zone_id": world.zone.pk, "stage_id": stage.pk}),
        follow=True,
    )
    assert "are not completely scored" in response.content.decode()
    assert not StageLock.objects.exists()


def test_lock_and_unlock_with_reason_are_recorded(scored, client_for):
    world, stages, _criteria = scored
    world.project_b.status = "withdrawn"
    world.project_b.save()
    client = english(client_for("city"))
    stage = stages["筹备初期"]
    kwargs = {"zone_id": world.zone.pk, "stage_id": stage.pk}
    response = client.post(reverse("scoring:lock", kwargs=kwargs), follow=True)
    assert "is locked" in response.content.decode()
    assert StageLock.objects.filter(zone=world.zone, stage=stage).exists()

    response = client.post(reverse("scoring:unlock", kwargs=kwargs), {"reason": " "}, follow=True)
    assert "Give the reason for unlocking" in response.content.decode()
    assert StageLock.objects.filter(zone=world.zone, stage=stage).exists()

    client.post(reverse("scoring:unlock", kwargs=kwargs), {"reason": "评委漏评一项"})
    assert not StageLock.objects.filter(zone=world.zone, stage=stage).exists()
    events = list(LockEvent.objects.order_by("pk").values_list("locked", "reason", "actor"))
    assert events == [
        (True, "", world.users["city"].pk),
        (False, "评委漏评一项", world.users["city"].pk),
    ]


@pytest.mark.parametrize("name", ["west", "unit_a", "evaluator"])
def test_lock_refused_to_others(scored, client_for, name):
    world, stages, _criteria = scored
    stage = stages["筹备初期"]
    response = client_for(name).post(
        reverse("scoring:lock", kwargs={"zone_id": world.zone.pk, "stage_id": stage.pk})
    )
    assert response.status_code in (403, 404)
    assert not StageLock.objects.exists()


def test_explanation_shows_names_trimmed_scores_and_arithmetic_to_staff(scored, client_for):
    world, _stages, _criteria = scored
    url = reverse("scoring:explanation", kwargs={"project_id": world.project_a.pk})
    response = client_for("city").get(url)
    assert response.status_code == 200
    x = response.context["x"]
    assert x.rounded == Decimal("87.24")
    preparation, final_push = x.stages
    progress = next(line for line in preparation.lines if line.criterion.code == "progress")
    assert sorted(s.value for s in progress.scores if s.trimmed) == [70, 95]
    assert progress.shown == {
        "weight": "0.3",
        "aggregate": "87.6667…",
        "percentage": "87.6667…",
        "contribution": "26.3",
    }
    assert preparation.arithmetic.endswith("= 86.1")
    assert not any(s.trimmed for line in final_push.lines for s in line.scores)  # 3 scores
    assert x.arithmetic == "0.4 × 86.1 + 0.6 × 88 = 87.24 → 87.24"
    body = response.content.decode()
    assert "<s>95</s>" in body and "<s>70</s>" in body
    named = {
        a.evaluator.display_name or a.evaluator.username
        for a in world.project_a.assignments.filter(stage=preparation.stage)
    }
    assert {s.label for s in progress.scores} == named and len(named) == 5


def test_explanation_anonymises_evaluators_for_the_unit_after_lock(scored, client_for):
    world, stages, _criteria = scored
    world.project_b.status = "withdrawn"
    world.project_b.save()
    url = reverse("scoring:explanation", kwargs={"project_id": world.project_a.pk})
    client = english(client_for("unit_a"))
    before = client.get(url)
    assert before.context["x"].final is None
    assert not any(line.scores for s in before.context["x"].stages for line in s.lines)
    assert "shown once the stage is locked" in before.content.decode()

    lock_all(world, stages)
    after = client.get(url)
    x = after.context["x"]
    assert x.rounded == Decimal("87.24")
    labels = {s.label for stage in x.stages for line in stage.lines for s in line.scores}
    assert labels == {f"Evaluator {n}" for n in range(1, 6)}
    names = [a.evaluator.username for a in world.project_a.assignments.select_related("evaluator")]
    body = after.content.decode()
    assert not any(name in body for name in names)


def test_explanation_of_another_units_project_is_not_found(scored, client_for):
    world, _stages, _criteria = scored
    url = reverse("scoring:explanation", kwargs={"project_id": world.project_a.pk})
    assert client_for("unit_b").get(url).status_code == 404
    assert client_for("idle_evaluator").get(url).status_code == 404


def test_ranking_export_has_every_figure(scored, client_for):
    world, _stages, criteria = scored
    response = client_for("city").get(
        reverse("scoring:ranking-export", kwargs={"zone_id": world.zone.pk})
    )
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    header, *rows = list(sheet.values)
    assert header[:3] == ("名次", "单位", "竞赛项目")
    first = dict(zip(header, rows[0], strict=True))
    assert first["名次"] == 1 and first["竞赛项目"] == world.project_a.title
    assert first["最终得分"] == 87.24
    assert first["筹备初期得分"] == 86.1
    assert first[f"筹备初期 · {criteria['progress'].name} (%)"] == pytest.approx(87.67)
