"""Fixtures of the honours tests: zone rankings built through the real scoring services.

``ranking(scores, ...)`` turns the world's zone 场馆建设 (one stage, weight 1) into a zone
whose only judgement criterion weighs 1, so an entry's final score is the mean of its
evaluators' scores: evaluators save and submit them, staff confirm vetoes and lock the stage.
"""

from decimal import Decimal

import pytest

from awards.models import HonourRule, HonourType
from competitions.models import Project
from scoring.models import Criterion, CriterionWeight, EvaluatorAssignment, ScoringRules
from scoring.services import assign_evaluator, confirm_veto, lock_stage, raise_veto, save_scores

from .. import factories as f
from ..skills.conftest import contest  # noqa: F401  (the skill contest fixture)

# SCORING.md example 2: A 91.005 (two evaluators: 91.00 and 91.01), B 91.01, C 88.50,
# D 95.20 with a confirmed veto, E 88.50.
EXAMPLE_2 = {
    "A": ["91.00", "91.01"],
    "B": ["91.01"],
    "C": ["88.50"],
    "D": ["95.20"],
    "E": ["88.50"],
}


@pytest.fixture
def ranking(world):
    zone, stage = world.zone, world.stage
    # The world's own projects and assignment are not part of these rankings.
    EvaluatorAssignment.objects.filter(project__zone=zone).delete()
    Project.objects.filter(zone=zone).update(status=Project.Status.DRAFT)
    quality = Criterion.objects.create(zone=zone, code="quality", name="比质量")
    veto_item = Criterion.objects.create(zone=zone, code="accident", name="重大事故", kind="veto")
    CriterionWeight.objects.create(stage=stage, criterion=quality, weight="1")
    ScoringRules.objects.create(campaign=world.campaign)
    staff = world.users["city"]

    def build(scores, vetoed=(), units=None, leaders=None, lock=True, status="running"):
        """``scores``: name → evaluator scores. ``units``: name → unit (default: one unit per
        project). ``leaders``: name → Person fields of the project leader."""
        projects = {}
        for name, values in scores.items():
            unit = (units or {}).get(name) or f.UnitFactory(
                name=f"单位{name}", organisation=world.west
            )
            leader = None
            if leaders and name in leaders:
                leader = f.PersonFactory(unit=unit, name=f"负责人{name}", **leaders[name])
            project = f.ProjectFactory(
                zone=zone, unit=unit, title=name, leader=leader, status=status
            )
            projects[name] = project
            for value in values:
                evaluator = f.UserFactory(role="evaluator")
                assignment = assign_evaluator(evaluator=evaluator, project=project, stage=stage)
                save_scores(assignment, {quality: Decimal(value)}, evaluator, submit=True)
                if name in vetoed and value == values[0]:
                    veto = raise_veto(assignment, veto_item, "重大安全事故", evaluator)
                    confirm_veto(veto, staff)
        if lock:
            lock_stage(zone, stage, staff)
        return projects

    return build


@pytest.fixture
def honour(world):
    """A rule for an honour type seeded by the data migration, in the world's zone."""

    def make(name="先进集体", **fields):
        fields.setdefault("quota", 2)
        return HonourRule.objects.create(
            campaign=world.campaign,
            zone=world.zone,
            honour_type=HonourType.objects.get(name=name),
            **fields,
        )

    return make


@pytest.fixture(autouse=True)
def english():
    """Refusals are matched in English in these tests."""
    from django.utils import translation

    with translation.override("en"):
        yield
