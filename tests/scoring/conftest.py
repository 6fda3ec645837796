"""Fixtures of the scoring tests."""

import pytest

from scoring.models import Criterion, CriterionWeight, ScoringRules

from .examples import CODES, WEIGHTS, example_stages


@pytest.fixture
def venue(world):
    """场馆建设 with the 六比 and the two stages of example 1."""
    campaign = world.campaign
    stages = example_stages(campaign)
    criteria = {
        code: Criterion.objects.create(zone=world.zone, code=code, name=code, order=i)
        for i, code in enumerate(CODES)
    }
    for stage_name, weights in WEIGHTS.items():
        for code, weight in weights.items():
            CriterionWeight.objects.create(
                stage=stages[stage_name], criterion=criteria[code], weight=weight
            )
    ScoringRules.objects.create(campaign=campaign)
    return world, stages, criteria
