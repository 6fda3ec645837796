from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from competitions.models import Stage
from scoring.models import Criterion, CriterionWeight
from scoring.services import check_stage_weights, copy_criteria_set, set_stage_weights


def test_copy_liubi_with_equal_weights_adding_to_one(world):
    created = copy_criteria_set(world.zone, "liubi", world.users["city"])
    assert [c.name for c in created] == ["比质量", "比安全", "比进度", "比效益", "比创新", "比廉洁"]
    weights = CriterionWeight.objects.filter(stage=world.stage)
    assert sum(w.weight for w in weights) == Decimal(1)
    assert copy_criteria_set(world.zone, "liubi", world.users["city"]) == []


def test_copy_refused_outside_the_campaigns_office(world):
    with pytest.raises(PermissionDenied):
        copy_criteria_set(world.zone, "wubi", world.users["unit_a"])
    with pytest.raises(ValidationError):
        copy_criteria_set(world.zone, "nonsense", world.users["city"])


def test_stage_weights_must_add_up_to_exactly_one(world):
    copy_criteria_set(world.zone, "sanbisansai", world.users["city"])
    a, b, c = Criterion.objects.filter(zone=world.zone)
    before = list(CriterionWeight.objects.values_list("criterion_id", "weight"))
    with pytest.raises(ValidationError, match="0.9"):
        set_stage_weights(
            world.zone, world.stage, {a: "0.3", b: "0.3", c: "0.3"}, world.users["city"]
        )
    with pytest.raises(ValidationError):
        set_stage_weights(
            world.zone, world.stage, {a: "1.5", b: "-0.5", c: "0"}, world.users["city"]
        )
    assert list(CriterionWeight.objects.values_list("criterion_id", "weight")) == before
    set_stage_weights(
        world.zone, world.stage, {a: "0.5", b: "0.25", c: "0.25"}, world.users["city"]
    )
    assert CriterionWeight.objects.get(criterion=a).weight == Decimal("0.5")


def test_campaign_stage_weights_checked(world):
    check_stage_weights(world.campaign)  # one stage of weight 1
    Stage.objects.create(
        campaign=world.campaign,
        name="决战期",
        start_date="2026-07-01",
        end_date="2026-12-31",
        weight="0.6",
    )
    with pytest.raises(ValidationError, match="1.6"):
        check_stage_weights(world.campaign)
