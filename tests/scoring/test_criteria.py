from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

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


def test_measurement_criteria_from_the_stage_reports(world):
    import datetime

    from competitions.models import ProgressReport
    from scoring.models import FinalResult
    from scoring.results import recompute
    from scoring.services import save_scores

    d = datetime.date
    stage = world.stage  # 2026-01-01 .. 2026-06-30, weight 1
    judged = Criterion.objects.create(zone=world.zone, code="quality", name="比质量")
    progress = Criterion.objects.create(
        zone=world.zone,
        code="progress",
        name="比进度",
        kind="measurement",
        measure="progress_ratio",
    )
    on_time = Criterion.objects.create(
        zone=world.zone,
        code="on_time",
        name="按时填报",
        kind="measurement",
        measure="on_time_rate",
    )
    safety = Criterion.objects.create(
        zone=world.zone,
        code="safety",
        name="安全",
        kind="measurement",
        measure="safety_record",
        penalty_per_incident=30,
    )
    for criterion, weight in (
        (judged, "0.25"),
        (progress, "0.25"),
        (on_time, "0.25"),
        (safety, "0.25"),
    ):
        CriterionWeight.objects.create(stage=stage, criterion=criterion, weight=weight)
    submitted = datetime.datetime(2026, 3, 1, tzinfo=datetime.UTC)
    for month, planned, actual, late, incidents in [
        (1, 20, 10, False, 1),  # ratio 0.5
        (2, 40, 50, True, 0),  # ratio capped at 1; late
        (7, 90, 0, False, 5),  # outside the stage: ignored
    ]:
        ProgressReport.objects.create(
            project=world.project_a,
            period_start=d(2026, month, 1),
            period_end=d(2026, month, 28),
            due_date=d(2026, month + 1, 5),
            planned_percent=planned,
            actual_percent=actual,
            late=late,
            safety_incidents=incidents,
            first_submitted_at=submitted,
            status="accepted",
        )
    assignment = world.users["evaluator"].assignments.get(project=world.project_a)
    save_scores(assignment, {judged: "80"}, world.users["evaluator"], submit=True)
    recompute(zones=type(world.zone).objects.filter(pk=world.zone.pk))
    # progress 75 (mean of 0.5 and 1), on time 50 (1 of 2), safety 70 (100 − 30 × 1)
    result = FinalResult.objects.get(project=world.project_a)
    assert result.score == Decimal("68.75")  # (80 + 75 + 50 + 70) / 4


def stage_formset(campaign, weights):
    from django.forms.models import inlineformset_factory

    from competitions.admin import StageWeightsFormSet
    from competitions.models import Campaign, Stage

    existing = list(campaign.stages.order_by("pk"))
    formset_class = inlineformset_factory(
        Campaign,
        Stage,
        formset=StageWeightsFormSet,
        fields=["name", "order", "start_date", "end_date", "weight"],
        extra=len(weights) - len(existing),
    )
    data = {
        "stages-TOTAL_FORMS": str(len(weights)),
        "stages-INITIAL_FORMS": str(len(existing)),
        "stages-MIN_NUM_FORMS": "0",
        "stages-MAX_NUM_FORMS": "1000",
    }
    for index, weight in enumerate(weights):
        stage = existing[index] if index < len(existing) else None
        data |= {
            f"stages-{index}-id": str(stage.pk) if stage else "",
            f"stages-{index}-name": stage.name if stage else f"阶段{index}",
            f"stages-{index}-order": str(index),
            f"stages-{index}-start_date": "2026-01-01",
            f"stages-{index}-end_date": "2026-12-31",
            f"stages-{index}-weight": weight,
        }
    return formset_class(data, instance=campaign, prefix="stages")


def test_campaign_stage_weights_saved_only_when_they_add_up_to_one(world):
    translation.activate("en")
    refused = stage_formset(world.campaign, ["0.5", "0.4"])
    assert not refused.is_valid()
    assert "add up to 0.9" in str(refused.non_form_errors())
    assert list(world.campaign.stages.values_list("weight", flat=True)) == [Decimal("1")]

    accepted = stage_formset(world.campaign, ["0.4", "0.6"])
    assert accepted.is_valid(), accepted.errors
    accepted.save()
    weights = world.campaign.stages.order_by("order").values_list("weight", flat=True)
    assert list(weights) == [Decimal("0.4"), Decimal("0.6")]
