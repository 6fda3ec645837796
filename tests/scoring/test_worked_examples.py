"""SCORING.md's worked examples, reproduced exactly through the services that the pages and
the API call: evaluators save and submit their scores, results are recomputed and ranked."""

import datetime
from decimal import Decimal

from competitions.models import Project
from scoring import engine
from scoring.models import Criterion, FinalResult, ScoringRules, StageResult
from scoring.results import recompute

from .. import factories as f
from .examples import FINAL_PUSH, PREPARATION, score_entry


def test_example_1_two_stages(venue):
    world, stages, criteria = venue
    project = world.project_a
    score_entry(world, project, stages["筹备初期"], criteria, PREPARATION)
    score_entry(world, project, stages["决战期"], criteria, FINAL_PUSH)
    preparation = StageResult.objects.get(project=project, stage=stages["筹备初期"])
    final_push = StageResult.objects.get(project=project, stage=stages["决战期"])
    assert engine.round_half_up(engine.exact(preparation.score)) == Decimal("86.10")
    assert engine.round_half_up(engine.exact(final_push.score)) == Decimal("88.00")
    progress = Decimal(preparation.criteria[str(criteria["progress"].pk)])
    assert progress == Decimal("87.67")  # rounded half-up from the exact 87.666…
    result = FinalResult.objects.get(project=project)
    assert result.score == Decimal("87.24")
    assert result.complete and result.rank == 1


def test_example_1_trimmed_mean_is_exact():
    value = engine.aggregate([90, 85, 88, 70, 95], trim_threshold=5)
    assert value * 3 == 263  # 87.666…, not a float approximation
    assert engine.weighted_sum({"p": value}, {"p": Decimal("0.30")}) == engine.exact("26.3")


def test_example_1_incomplete_entry_is_not_ranked(venue):
    world, stages, criteria = venue
    project = world.project_a
    score_entry(world, project, stages["筹备初期"], criteria, PREPARATION)
    result = FinalResult.objects.get(project=project)
    assert not result.complete and result.score is None and result.rank is None


def test_example_2_ranking_with_tie_and_veto(world):
    zone = world.zone
    finals = {"A": "91.005", "B": "91.01", "C": "88.50", "D": "95.20", "E": "88.50"}
    rows = [(name, engine.round_half_up(engine.exact(value)), ()) for name, value in finals.items()]
    ranks = {r.key: r.rank for r in engine.competition_ranking(rows)}
    assert ranks == {"D": 1, "A": 2, "B": 2, "C": 4, "E": 4}
    assert engine.round_half_up(engine.exact("91.005")) == Decimal("91.01")
    # The same through the stored results and the zone ranking.
    from scoring.results import load_setup, rank_zone

    for name, value in finals.items():
        unit = f.UnitFactory(organisation=world.west)
        project = f.ProjectFactory(zone=zone, unit=unit, title=name)
        FinalResult.objects.create(
            project=project,
            zone=zone,
            complete=True,
            vetoed=name == "D",
            score=engine.round_half_up(engine.exact(value)),
        )
    ScoringRules.objects.create(
        campaign=zone.campaign,
        grade_bands=[["95", "优秀"], ["90", "良好"], ["80", "达标"], ["0", "不达标"]],
    )
    rank_zone(load_setup(type(zone).objects.filter(pk=zone.pk))[zone.pk])
    stored = {
        r.project.title: (r.rank, r.grade, r.vetoed)
        for r in FinalResult.objects.select_related("project").filter(zone=zone)
    }
    assert stored == {
        "D": (1, "不达标", True),
        "A": (2, "良好", False),
        "B": (2, "良好", False),
        "C": (4, "达标", False),
        "E": (4, "达标", False),
    }


def test_example_3_skill_total():
    practical = engine.aggregate([85, 88, 90, 79, 95], trim_threshold=5)
    assert practical == engine.exact("87") + engine.exact(2) / 3
    total = engine.weighted_sum(
        {"theory": engine.exact(92), "practical": practical},
        {"theory": Decimal("0.3"), "practical": Decimal("0.7")},
    )
    assert engine.round_half_up(total) == Decimal("88.97")


def test_example_4_skill_tie_break_on_practical():
    weights = {"theory": Decimal("0.3"), "practical": Decimal("0.7")}
    p1 = engine.weighted_sum({"theory": engine.exact(90), "practical": engine.exact(80)}, weights)
    p2 = engine.weighted_sum({"theory": engine.exact(76), "practical": engine.exact(86)}, weights)
    assert engine.round_half_up(p1) == engine.round_half_up(p2) == Decimal("83.00")
    # Tie-break chain: higher practical, then shorter time (negated), then higher theory.
    rows = [
        ("P1", engine.round_half_up(p1), (engine.exact(80), -600, engine.exact(90))),
        ("P2", engine.round_half_up(p2), (engine.exact(86), -600, engine.exact(76))),
    ]
    ranks = {r.key: r.rank for r in engine.competition_ranking(rows)}
    assert ranks == {"P2": 1, "P1": 2}


def test_veto_confirmed_keeps_rank_and_fails_grade(venue):
    from scoring.models import Veto

    world, stages, criteria = venue
    project = world.project_a
    score_entry(world, project, stages["筹备初期"], criteria, PREPARATION)
    score_entry(world, project, stages["决战期"], criteria, FINAL_PUSH)
    veto_item = Criterion.objects.create(
        zone=world.zone, code="accident", name="重大事故", kind="veto"
    )
    Veto.objects.create(
        project=project,
        criterion=veto_item,
        stage=stages["决战期"],
        reason="重大安全事故",
        confirmed_at=datetime.datetime.now(datetime.UTC),
    )
    ScoringRules.objects.filter(campaign=world.campaign).update(
        grade_bands=[["95", "优秀"], ["80", "达标"], ["0", "不达标"]]
    )
    recompute(zones=type(world.zone).objects.filter(pk=world.zone.pk))
    result = FinalResult.objects.get(project=project)
    assert result.vetoed and result.rank == 1 and result.grade == "不达标"
    assert result.score == Decimal("87.24")


def test_projects_not_yet_approved_are_not_entries(venue):
    world, _stages, _criteria = venue
    Project.objects.filter(pk=world.project_b.pk).update(status="submitted")
    recompute(zones=type(world.zone).objects.filter(pk=world.zone.pk))
    assert not FinalResult.objects.filter(project=world.project_b).exists()
