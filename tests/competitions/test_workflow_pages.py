"""The declaration workflow in the browser's forms and through the API."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from competitions import services
from competitions.models import CampaignRegistration, Project, ProjectAttachment

from .. import factories as f
from .test_uploads import PDF
from .test_workflow import make_declarable

S = Project.Status


@pytest.fixture
def registered(world):
    for unit in (world.unit_a, world.unit_b):
        CampaignRegistration.objects.create(campaign=world.campaign, unit=unit, status="approved")
    return world


def declaration_data(world, **overrides):
    data = {
        "zone": world.zone.pk,
        "title": "前厅服务竞赛",
        "leader": "",
        "team": "",
        "target_tasks": "接待零差错",
        "content": "服务技能比武",
        "standards": "四个最",
        "requirements": "零投诉",
        "plan": "一对一方案",
        "milestones-TOTAL_FORMS": "2",
        "milestones-INITIAL_FORMS": "0",
        "milestones-0-period": "2026-03",
        "milestones-0-planned_percent": "30",
        "milestones-1-period": "2026-06",
        "milestones-1-planned_percent": "100",
        "attachments-TOTAL_FORMS": "1",
        "attachments-INITIAL_FORMS": "0",
        "attachments-0-title": "方案",
        "attachments-0-file": SimpleUploadedFile("方案.pdf", PDF),
    }
    data.update(overrides)
    return data


def test_unit_saves_a_draft_with_milestones_and_attachment(registered, client_for):
    response = client_for("unit_a").post(
        reverse("declaration-create"), declaration_data(registered)
    )
    project = Project.objects.get(title="前厅服务竞赛")
    assert response.status_code == 302 and response.url == reverse(
        "project-detail", args=[project.pk]
    )
    assert project.status == S.DRAFT and project.unit == registered.unit_a
    assert project.campaign == registered.campaign
    assert [float(m.planned_percent) for m in project.milestones.all()] == [30, 100]
    assert project.attachments.get().uploaded_by == registered.users["unit_a"]


def test_unit_saves_and_submits_in_one_go(registered, client_for):
    data = declaration_data(registered, submit="1")
    client_for("unit_a").post(reverse("declaration-create"), data)
    project = Project.objects.get(title="前厅服务竞赛")
    assert project.status == S.SUBMITTED
    assert project.transitions.get().actor == registered.users["unit_a"]


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"attachments-0-file": SimpleUploadedFile("方案.pdf", b"<html>")}, "只接受"),
        ({"milestones-1-planned_percent": "20"}, "计划进度不能倒退"),
        ({"milestones-1-planned_percent": "120"}, "100"),
        ({"milestones-1-period": "2026-03"}, "重复"),
        ({"title": ""}, "该字段是必填项"),
    ],
)
def test_bad_declaration_is_refused_and_saves_nothing(registered, client_for, overrides, error):
    response = client_for("unit_a").post(
        reverse("declaration-create"), declaration_data(registered, **overrides)
    )
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not Project.objects.filter(title="前厅服务竞赛").exists()
    assert not ProjectAttachment.objects.exists()


def test_zone_of_unregistered_campaign_is_refused(registered, client_for):
    other = f.ZoneFactory(campaign=f.CampaignFactory(organiser=registered.city))
    response = client_for("unit_a").post(
        reverse("declaration-create"), declaration_data(registered, zone=other.pk)
    )
    assert response.status_code == 200
    assert not Project.objects.filter(title="前厅服务竞赛").exists()


def test_unregistered_unit_is_sent_to_register(world, client_for):
    response = client_for("unit_a").get(reverse("declaration-create"))
    assert response.status_code == 302 and response.url == reverse("registration-list")


@pytest.mark.parametrize("user", ["west", "evaluator", "norole"])
def test_only_liaisons_declare(world, client_for, user):
    assert client_for(user).get(reverse("declaration-create")).status_code == 403


def test_submitted_declaration_cannot_be_edited(registered, client_for):
    project = make_declarable(registered.project_a)
    services.transition(project, "submit", registered.users["unit_a"])
    url = reverse("declaration-edit", args=[project.pk])
    assert client_for("unit_a").get(url).status_code == 403
    assert client_for("unit_b").get(url).status_code == 404


def test_transition_page_refusal_shows_message_and_changes_nothing(registered, client_for):
    project = make_declarable(registered.project_a)
    services.transition(project, "submit", registered.users["unit_a"])
    client = client_for("west")
    response = client.post(
        reverse("project-transition", args=[project.pk]),
        {"action": "return", "comment": ""},
        follow=True,
    )
    assert "请说明理由" in response.content.decode()
    project.refresh_from_db()
    assert project.status == S.SUBMITTED
    response = client.post(
        reverse("project-transition", args=[project.pk]),
        {"action": "return", "comment": "补充材料"},
        follow=True,
    )
    project.refresh_from_db()
    assert project.status == S.RETURNED
    page = client_for("unit_a").get(reverse("project-detail", args=[project.pk]))
    assert "补充材料" in page.content.decode()
    assert "修改申报" in page.content.decode()


def test_other_district_cannot_transition_by_id(registered, client_for):
    project = make_declarable(registered.project_a)
    services.transition(project, "submit", registered.users["unit_a"])
    response = client_for("east").post(
        reverse("project-transition", args=[project.pk]), {"action": "approve"}
    )
    assert response.status_code == 404
    project.refresh_from_db()
    assert project.status == S.SUBMITTED


def _submitted(world, n, unit=None):
    unit = unit or world.unit_a
    projects = []
    for _ in range(n):
        project = make_declarable(f.ProjectFactory(zone=world.zone, unit=unit))
        services.transition(
            project,
            "submit",
            world.users["unit_a"] if unit == world.unit_a else world.users["unit_b"],
        )
        projects.append(project)
    return projects


def test_review_queue_is_scoped_with_counts(registered, client_for):
    _submitted(registered, 2)
    _submitted(registered, 1, registered.unit_b)
    context = client_for("west").get(reverse("review-queue")).context
    assert len(context["projects"]) == 2
    counts = {value: n for value, _label, n in context["state_counts"]}
    assert counts["submitted"] == 2 and counts["running"] == 1  # project_a
    context = client_for("city").get(reverse("review-queue")).context
    assert len(context["projects"]) == 3


@pytest.mark.parametrize("user", ["unit_a", "evaluator", "norole"])
def test_review_queue_is_for_staff_only(world, client_for, user):
    assert client_for(user).get(reverse("review-queue")).status_code == 403


def test_review_queue_query_count_is_constant(registered, client_for):
    _submitted(registered, 1)
    client = client_for("west")
    with CaptureQueriesContext(connection) as first:
        client.get(reverse("review-queue"))
    _submitted(registered, 20)
    with CaptureQueriesContext(connection) as second:
        response = client.get(reverse("review-queue"))
    assert len(response.context["projects"]) == 21
    assert len(second) == len(first)


def test_bulk_decision_approves_several_and_reports_refusals(registered, client_for):
    mine = _submitted(registered, 2)
    theirs = _submitted(registered, 1, registered.unit_b)
    response = client_for("west").post(
        reverse("review-decide"),
        {"action": "approve", "projects": [p.pk for p in mine + theirs]},
        follow=True,
    )
    assert response.status_code == 200
    assert {p.status for p in Project.objects.filter(pk__in=[p.pk for p in mine])} == {S.APPROVED}
    theirs[0].refresh_from_db()
    assert theirs[0].status == S.SUBMITTED  # outside west's scope: not even a candidate


def test_registration_pages(world, client_for):
    campaign = f.CampaignFactory(organiser=world.city, title="新竞赛")
    unit_client = client_for("unit_a")
    page = unit_client.get(reverse("registration-list")).content.decode()
    assert "新竞赛" in page
    unit_client.post(reverse("registration-request", args=[campaign.pk]))
    registration = CampaignRegistration.objects.get(campaign=campaign, unit=world.unit_a)
    assert (
        client_for("east")
        .post(reverse("registration-decide", args=[registration.pk]), {"decision": "approve"})
        .status_code
        == 404
    )
    client_for("west").post(
        reverse("registration-decide", args=[registration.pk]), {"decision": "approve"}
    )
    registration.refresh_from_db()
    assert registration.status == "approved"


def test_signup_creates_pending_unit_and_inactive_liaison(world, client):
    from accounts.models import User

    response = client.post(
        reverse("signup"),
        {
            "campaign-campaign": world.campaign.pk,
            "unit-name": "新注册单位",
            "unit-credit_code": f.valid_credit_code().lower(),
            "unit-ownership": "private",
            "unit-industry": "制造业",
            "unit-size": "small",
            "unit-organisation": world.west.pk,
            "unit-address": "",
            "user-username": "newliaison",
            "user-display_name": "新联络员",
            "user-email": "new@example.com",
            "user-phone": "13800000000",
            "user-password1": "Very-good-pass-2026",
            "user-password2": "Very-good-pass-2026",
        },
    )
    assert response.status_code == 200
    user = User.objects.get(username="newliaison")
    assert not user.is_active and user.unit.name == "新注册单位"
    assert CampaignRegistration.objects.get(unit=user.unit).status == "pending"


def test_signup_with_bad_credit_code_saves_nothing(world, client):
    from competitions.models import Unit

    response = client.post(
        reverse("signup"),
        {
            "campaign-campaign": world.campaign.pk,
            "unit-name": "坏单位",
            "unit-credit_code": "91440300708461136X",
        },
    )
    assert response.status_code == 200
    assert "校验位" in response.content.decode()
    assert not Unit.objects.filter(name="坏单位").exists()


def test_attachment_download_is_scoped(registered, client_for):
    client_for("unit_a").post(reverse("declaration-create"), declaration_data(registered))
    attachment = ProjectAttachment.objects.get()
    url = reverse("attachment-download", args=[attachment.pk])
    assert client_for("unit_a").get(url).status_code == 200
    assert client_for("west").get(url).status_code == 200
    assert client_for("unit_b").get(url).status_code == 404
    assert client_for("east").get(url).status_code == 404


# API -------------------------------------------------------------------------------------


def api(world, user):
    client = APIClient()
    client.force_authenticate(world.users[user])
    return client


def test_api_full_flow(registered):
    unit = api(registered, "unit_a")
    created = unit.post(
        "/api/v1/projects/",
        {
            "zone": registered.zone.pk,
            "title": "接口申报",
            "target_tasks": "t",
            "content": "c",
            "standards": "s",
            "requirements": "r",
            "plan": "p",
            "milestones": [{"period": "2026-04-01", "planned_percent": "50"}],
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert created.json()["status"] == "draft"
    assert (
        unit.patch(f"/api/v1/projects/{pk}/", {"plan": "新方案"}, format="json").status_code == 200
    )
    assert unit.post(f"/api/v1/projects/{pk}/submit/").json()["status"] == "submitted"
    assert unit.patch(f"/api/v1/projects/{pk}/", {"plan": "x"}, format="json").status_code == 409
    staff = api(registered, "west")
    response = staff.post(f"/api/v1/projects/{pk}/return/", {"comment": ""}, format="json")
    assert response.status_code == 400
    response = staff.post(f"/api/v1/projects/{pk}/return/", {"comment": "补充"}, format="json")
    assert response.json()["status"] == "returned"
    unit.post(f"/api/v1/projects/{pk}/submit/")
    assert staff.post(f"/api/v1/projects/{pk}/approve/").json()["status"] == "approved"
    again = staff.post(f"/api/v1/projects/{pk}/approve/")
    assert again.status_code == 409
    steps = unit.get(f"/api/v1/projects/{pk}/transitions/").json()
    assert [s["to_status"] for s in steps] == ["submitted", "returned", "submitted", "approved"]


def test_api_refusals(registered):
    project = make_declarable(registered.project_a)
    assert api(registered, "west").post("/api/v1/projects/", {}, format="json").status_code == 403
    assert (
        api(registered, "unit_a").post(f"/api/v1/projects/{project.pk}/approve/").status_code == 403
    )
    assert (
        api(registered, "east").post(f"/api/v1/projects/{project.pk}/approve/").status_code == 404
    )
    assert (
        api(registered, "unit_b")
        .patch(f"/api/v1/projects/{project.pk}/", {"plan": "x"}, format="json")
        .status_code
        == 404
    )
    project.refresh_from_db()
    assert project.status == S.DRAFT and project.plan == "一对一方案"


def test_api_duplicate_title_is_a_clear_error(registered):
    response = api(registered, "unit_a").post(
        "/api/v1/projects/",
        {"zone": registered.zone.pk, "title": registered.project_a.title},
        format="json",
    )
    assert response.status_code == 400
    assert "同名项目" in str(response.json())


def test_api_bulk_decide(registered):
    mine = _submitted(registered, 2)
    theirs = _submitted(registered, 1, registered.unit_b)
    response = api(registered, "west").post(
        "/api/v1/projects/decide/",
        {"action": "approve", "projects": [p.pk for p in mine + theirs]},
        format="json",
    )
    body = response.json()
    assert sorted(body["decided"]) == sorted(p.pk for p in mine)
    assert [r["id"] for r in body["refused"]] == [theirs[0].pk]
    assert (
        api(registered, "unit_a")
        .post("/api/v1/projects/decide/", {"action": "approve", "projects": [1]}, format="json")
        .status_code
        == 403
    )
