import pytest
from django.core.exceptions import ValidationError

from scoring.forms import EvaluatorAssignmentForm
from scoring.models import EvaluatorAssignment
from scoring.services import assign_evaluator

from .. import factories as f


def test_assign_evaluator_is_idempotent(world):
    evaluator = world.users["evaluator"]
    again = assign_evaluator(evaluator=evaluator, project=world.project_a, stage=world.stage)
    assert EvaluatorAssignment.objects.filter(evaluator=evaluator).count() == 1
    assert again.project == world.project_a


def test_evaluator_of_the_same_unit_is_refused(world):
    evaluator = f.UserFactory(role="evaluator", unit=world.unit_a)
    with pytest.raises(ValidationError, match="就职于项目所属单位"):
        assign_evaluator(evaluator=evaluator, project=world.project_a, stage=world.stage)
    assert not EvaluatorAssignment.objects.filter(evaluator=evaluator).exists()


def test_evaluator_of_a_union_above_the_unit_is_refused(world):
    # The evaluator belongs to the city union; both units are under it.
    evaluator = f.UserFactory(role="evaluator", organisation=world.city)
    with pytest.raises(ValidationError, match="隶属于评委所在工会组织"):
        assign_evaluator(evaluator=evaluator, project=world.project_b, stage=world.stage)


def test_evaluator_of_a_sibling_district_is_allowed(world):
    evaluator = f.UserFactory(role="evaluator", organisation=world.west)
    assign_evaluator(evaluator=evaluator, project=world.project_b, stage=world.stage)


def test_non_evaluator_cannot_be_assigned(world):
    with pytest.raises(ValidationError, match="不是评委"):
        assign_evaluator(evaluator=world.users["city"], project=world.project_a, stage=world.stage)


def test_stage_of_another_campaign_is_refused(world):
    other_stage = f.StageFactory(campaign=f.CampaignFactory(organiser=world.city))
    with pytest.raises(ValidationError, match="该阶段不属于"):
        assign_evaluator(
            evaluator=world.users["evaluator"], project=world.project_b, stage=other_stage
        )


def test_admin_form_reports_conflict_of_interest(world):
    evaluator = f.UserFactory(role="evaluator", unit=world.unit_b)
    form = EvaluatorAssignmentForm(
        data={"evaluator": evaluator.pk, "project": world.project_b.pk, "stage": world.stage.pk}
    )
    assert not form.is_valid()
    assert "就职于项目所属单位" in str(form.non_field_errors())
