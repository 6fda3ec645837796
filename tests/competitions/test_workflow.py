"""The declaration workflow: every allowed and refused transition, the audit record,
notifications, registrations and concurrency, through the service every door uses."""

import datetime

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import Notification
from competitions import services
from competitions.models import CampaignRegistration, Milestone, Project, ProjectTransition

from .. import factories as f

S = Project.Status
ALL_ACTIONS = list(services.ACTIONS)


def make_declarable(project):
    project.target_tasks = "按期完成"
    project.content = "竞赛内容"
    project.standards = "四个最"
    project.requirements = "零事故"
    project.plan = "一对一方案"
    project.status = S.DRAFT
    project.save()
    Milestone.objects.create(project=project, period=datetime.date(2026, 3, 1), planned_percent=30)
    CampaignRegistration.objects.get_or_create(
        campaign=project.campaign, unit=project.unit, defaults={"status": "approved"}
    )
    return project


@pytest.fixture
def declared(world):
    for project in (world.project_a, world.project_b):
        make_declarable(project)
    return world


def actor_for(world, action_name):
    return world.users["unit_a" if services.ACTIONS[action_name].by_unit else "west"]


@pytest.mark.parametrize("status", S.values)
@pytest.mark.parametrize("action_name", ALL_ACTIONS)
def test_state_machine_allows_exactly_the_listed_transitions(declared, status, action_name):
    project = declared.project_a
    Project.objects.filter(pk=project.pk).update(status=status)
    project.refresh_from_db()
    action = services.ACTIONS[action_name]
    user = actor_for(declared, action_name)
    if status in action.sources:
        step = services.transition(project, action_name, user, "理由")
        assert (step.from_status, step.to_status, step.actor) == (status, action.target, user)
        project.refresh_from_db()
        assert project.status == action.target
    else:
        with pytest.raises(services.TransitionConflict):
            services.transition(project, action_name, user, "理由")
        project.refresh_from_db()
        assert project.status == status
        assert not ProjectTransition.objects.filter(project=project).exists()


@pytest.mark.parametrize(
    ("user", "action_name"),
    [
        ("unit_a", "approve"),  # units do not decide
        ("unit_b", "submit"),  # another unit's liaison
        ("west", "submit"),  # staff do not submit for the unit
        ("east", "approve"),  # staff of another district
        ("evaluator", "approve"),
        ("norole", "withdraw"),
    ],
)
def test_wrong_person_is_refused_and_nothing_changes(declared, user, action_name):
    project = declared.project_a
    Project.objects.filter(pk=project.pk).update(status=S.SUBMITTED)
    project.refresh_from_db()
    with pytest.raises(PermissionDenied):
        services.transition(project, action_name, declared.users[user], "x")
    project.refresh_from_db()
    assert project.status == S.SUBMITTED
    assert not ProjectTransition.objects.exists()


def test_city_staff_above_the_district_may_decide(declared):
    project = declared.project_a
    services.transition(project, "submit", declared.users["unit_a"])
    services.transition(project, "approve", declared.users["city"])
    assert project.status == S.APPROVED


@pytest.mark.parametrize("action_name", ["return", "reject"])
def test_return_and_reject_need_a_comment(declared, action_name):
    project = declared.project_a
    services.transition(project, "submit", declared.users["unit_a"])
    with pytest.raises(ValidationError, match="请说明理由"):
        services.transition(project, action_name, declared.users["west"], "   ")
    project.refresh_from_db()
    assert project.status == S.SUBMITTED


def test_full_cycle_records_every_step_with_times(declared):
    project, unit, staff = declared.project_a, declared.users["unit_a"], declared.users["west"]
    services.transition(project, "submit", unit)
    assert project.submitted_at is not None
    services.transition(project, "return", staff, "请补充安全措施")
    services.transition(project, "submit", unit)
    services.transition(project, "approve", staff)
    assert project.decided_at is not None
    services.transition(project, "start", staff)
    services.transition(project, "complete", staff)
    steps = list(project.transitions.values_list("from_status", "to_status", "comment"))
    assert steps == [
        ("draft", "submitted", ""),
        ("submitted", "returned", "请补充安全措施"),
        ("returned", "submitted", ""),
        ("submitted", "approved", ""),
        ("approved", "running", ""),
        ("running", "completed", ""),
    ]


def test_incomplete_declaration_cannot_be_submitted(declared):
    project = declared.project_a
    project.plan = ""
    project.save()
    project.milestones.all().delete()
    with pytest.raises(ValidationError, match="一对一竞赛方案"):
        services.transition(project, "submit", declared.users["unit_a"])
    project.refresh_from_db()
    assert project.status == S.DRAFT


def test_declaration_without_milestones_cannot_be_submitted(declared):
    declared.project_a.milestones.all().delete()
    with pytest.raises(ValidationError, match="里程碑"):
        services.transition(declared.project_a, "submit", declared.users["unit_a"])


def test_unregistered_unit_cannot_submit(declared):
    CampaignRegistration.objects.filter(unit=declared.unit_a).update(status="pending")
    with pytest.raises(ValidationError, match="报名尚未通过"):
        services.transition(declared.project_a, "submit", declared.users["unit_a"])


def test_stale_copy_gets_a_conflict_not_a_second_decision(declared):
    project = declared.project_a
    services.transition(project, "submit", declared.users["unit_a"])
    first = Project.objects.get(pk=project.pk)
    second = Project.objects.get(pk=project.pk)  # another staff member's page, loaded before
    services.transition(first, "approve", declared.users["west"])
    with pytest.raises(services.TransitionConflict, match="已通过"):
        services.transition(second, "return", declared.users["city"], "退回")
    assert Project.objects.get(pk=project.pk).status == S.APPROVED
    assert project.transitions.filter(action="return").count() == 0


def test_unknown_action_is_refused(declared):
    with pytest.raises(ValidationError):
        services.transition(declared.project_a, "promote", declared.users["west"])


def test_submission_notifies_the_reviewers_after_commit(
    declared, django_capture_on_commit_callbacks
):
    declared.users["west"].email = "west@example.com"
    declared.users["west"].save()
    with django_capture_on_commit_callbacks(execute=True):
        services.transition(declared.project_a, "submit", declared.users["unit_a"])
    notified = set(Notification.objects.values_list("user__username", flat=True))
    # The district and the city (the campaign's organiser) hear of it; the province and the
    # other district do not.
    assert notified == {"west", "city"}
    assert [m.to for m in mail.outbox] == [["west@example.com"]]
    assert "酒店服务提升" in mail.outbox[0].subject


def test_decision_notifies_the_unit_with_the_comment(declared, django_capture_on_commit_callbacks):
    services.transition(declared.project_a, "submit", declared.users["unit_a"])
    with django_capture_on_commit_callbacks(execute=True):
        services.transition(declared.project_a, "return", declared.users["west"], "请补充")
    note = Notification.objects.get(user=declared.users["unit_a"])
    assert "退回修改" in note.title and note.body == "请补充"


def test_notification_task_is_safe_to_retry(declared, django_capture_on_commit_callbacks):
    from competitions.tasks import notify_transition

    with django_capture_on_commit_callbacks(execute=True):
        step = services.transition(declared.project_a, "submit", declared.users["unit_a"])
    count = Notification.objects.count()
    assert notify_transition(step.pk) == 0
    assert Notification.objects.count() == count


def test_decide_many_reports_each_refusal(declared):
    services.transition(declared.project_a, "submit", declared.users["unit_a"])
    services.transition(declared.project_b, "submit", declared.users["unit_b"])
    done, refused = services.decide_many(
        [declared.project_a, declared.project_b], "approve", declared.users["west"]
    )
    assert [step.project for step in done] == [declared.project_a]
    assert [project for project, _reason in refused] == [declared.project_b]


# Registrations -----------------------------------------------------------------------------


def test_unit_requests_and_staff_approve_registration(world, django_capture_on_commit_callbacks):
    campaign = f.CampaignFactory(organiser=world.city, title="新竞赛")
    with django_capture_on_commit_callbacks(execute=True):
        registration = services.request_registration(campaign, world.unit_a, world.users["unit_a"])
    assert registration.status == "pending"
    assert Notification.objects.filter(user=world.users["west"]).exists()
    with pytest.raises(PermissionDenied):
        services.decide_registration(registration, True, world.users["east"])
    with pytest.raises(ValidationError):
        services.decide_registration(registration, False, world.users["west"], "")
    services.decide_registration(registration, True, world.users["west"])
    registration.refresh_from_db()
    assert registration.status == "approved" and registration.decided_by == world.users["west"]
    with pytest.raises(services.TransitionConflict):
        services.decide_registration(registration, False, world.users["city"], "改主意")


def test_refused_unit_may_ask_again(world):
    campaign = f.CampaignFactory(organiser=world.city)
    registration = services.request_registration(campaign, world.unit_a, world.users["unit_a"])
    services.decide_registration(registration, False, world.users["west"], "材料不全")
    again = services.request_registration(campaign, world.unit_a, world.users["unit_a"])
    assert again.pk == registration.pk and again.status == "pending"


def test_unit_cannot_register_another_unit_or_a_foreign_campaign(world):
    campaign = f.CampaignFactory(organiser=world.east)
    with pytest.raises(PermissionDenied):
        services.request_registration(campaign, world.unit_a, world.users["unit_a"])
    with pytest.raises(PermissionDenied):
        services.request_registration(world.campaign, world.unit_b, world.users["unit_a"])


def test_staff_invite_only_units_of_their_area(world):
    registration = services.invite_unit(world.campaign, world.unit_a, world.users["west"])
    assert registration.status == "approved"
    with pytest.raises(PermissionDenied):
        services.invite_unit(world.campaign, world.unit_b, world.users["west"])


def test_sign_up_waits_for_approval_then_activates_liaison(world):
    from accounts.models import User
    from competitions.models import Unit

    unit = Unit(
        name="新单位",
        credit_code=f.valid_credit_code(),
        ownership="private",
        industry="制造业",
        size="small",
        organisation=world.west,
    )
    liaison = User(username="newunit", email="new@example.com")
    liaison.set_password(f.PASSWORD)
    registration = services.sign_up(campaign=world.campaign, unit=unit, liaison=liaison)
    liaison.refresh_from_db()
    assert not liaison.is_active and liaison.unit == unit and liaison.role == "unit"
    services.decide_registration(registration, True, world.users["west"])
    liaison.refresh_from_db()
    assert liaison.is_active
