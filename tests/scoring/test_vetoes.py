"""Vetoes (一票否决): an evaluator raises one with a reason, the competition office confirms
or rejects it, and a confirmed veto disqualifies the entry in its results."""

import threading
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Notification
from scoring.models import Criterion, CriterionWeight, FinalResult, ScoringRules, Veto
from scoring.services import (
    assign_evaluator,
    confirm_veto,
    lock_stage,
    raise_veto,
    reject_veto,
    save_scores,
)

from .. import factories as f

BANDS = [["95", "优秀"], ["90", "良好"], ["80", "达标"], ["0", "不达标"]]


@pytest.fixture
def vetoable(world):
    quality = Criterion.objects.create(zone=world.zone, code="quality", name="比质量", order=1)
    fatal = Criterion.objects.create(
        zone=world.zone, code="fatal", name="发生死亡事故", kind="veto"
    )
    CriterionWeight.objects.create(stage=world.stage, criterion=quality, weight="1")
    ScoringRules.objects.create(campaign=world.campaign, grade_bands=BANDS)
    assignment = world.users["evaluator"].assignments.get(project=world.project_a)
    return world, assignment, quality, fatal


def english(client):
    client.cookies["django_language"] = "en"
    return client


def raised(vetoable, reason="施工现场发生一起死亡事故"):
    world, assignment, _quality, fatal = vetoable
    return raise_veto(assignment, fatal, reason, world.users["evaluator"])


# Raising


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_raise_requires_a_reason(vetoable, reason):
    with pytest.raises(ValidationError):
        raised(vetoable, reason)
    assert not Veto.objects.exists()


def test_raise_needs_a_veto_item_of_the_zone(vetoable):
    world, assignment, quality, _fatal = vetoable
    other_zone = f.ZoneFactory(campaign=world.campaign)
    elsewhere = Criterion.objects.create(zone=other_zone, code="fatal", name="x", kind="veto")
    for criterion in (quality, elsewhere):
        with pytest.raises(ValidationError):
            raise_veto(assignment, criterion, "理由", world.users["evaluator"])
    assert not Veto.objects.exists()


def test_only_the_assigned_evaluator_raises(vetoable):
    world, assignment, _quality, fatal = vetoable
    for user in ("idle_evaluator", "city", "superuser"):
        with pytest.raises(PermissionDenied):
            raise_veto(assignment, fatal, "理由", world.users[user])
    assert not Veto.objects.exists()


def test_raise_by_page_notifies_the_office(
    vetoable, client_for, django_capture_on_commit_callbacks
):
    world, assignment, _quality, fatal = vetoable
    client = english(client_for("evaluator"))
    url = reverse("scoring:raise-veto", args=[assignment.pk])
    response = client.post(url, {"veto-criterion": fatal.pk, "veto-reason": "  "})
    assert response.status_code == 400
    assert not Veto.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"veto-criterion": fatal.pk, "veto-reason": "发生死亡事故"})
    assert response.status_code == 302
    veto = Veto.objects.get()
    assert (veto.status, veto.raised_by, veto.stage, veto.reason) == (
        Veto.Status.RAISED,
        world.users["evaluator"],
        world.stage,
        "发生死亡事故",
    )
    # The campaign's office (杭州市) decides and is told; the district below is not.
    notified = set(Notification.objects.values_list("user__username", flat=True))
    assert notified == {"city"}
    assert Notification.objects.get().url == reverse("scoring:vetoes")
    page = client.get(reverse("scoring:score", args=[assignment.pk])).content.decode()
    assert "Awaiting decision" in page and "发生死亡事故" in page
    # Other evaluators cannot raise a veto on the entry through the page.
    other = client_for("idle_evaluator")
    assert other.post(url, {"veto-criterion": fatal.pk, "veto-reason": "x"}).status_code == 404


def test_an_item_stands_once_until_rejected(vetoable):
    world, *_rest = vetoable
    veto = raised(vetoable)
    with pytest.raises(ValidationError):
        raised(vetoable, "再次提出")
    reject_veto(veto, world.users["city"], "经核实为非本项目人员")
    again = raised(vetoable, "再次核实后提出")
    assert again.status == Veto.Status.RAISED
    assert Veto.objects.count() == 2


# Deciding


def test_confirm_vetoes_the_entry_and_grades_it_failing(vetoable):
    world, assignment, quality, _fatal = vetoable
    save_scores(assignment, {quality: "98"}, world.users["evaluator"], submit=True)
    result = FinalResult.objects.get(project=world.project_a)
    assert (result.score, result.vetoed, result.grade) == (Decimal("98.00"), False, "优秀")
    veto = raised(vetoable)
    result.refresh_from_db()
    assert result.vetoed is False  # raising alone changes nothing

    decided = confirm_veto(veto, world.users["city"])
    assert decided.status == Veto.Status.CONFIRMED
    assert decided.confirmed_by == world.users["city"] and decided.confirmed_at is not None
    result.refresh_from_db()
    assert (result.score, result.vetoed, result.grade) == (Decimal("98.00"), True, "不达标")
    assert result.rank == 1  # vetoed entries stay in the ranking, marked
    assert LogEntry.objects.get_for_object(decided).exists()


def test_reject_needs_a_reason_and_leaves_the_entry_eligible(vetoable):
    world, assignment, quality, _fatal = vetoable
    save_scores(assignment, {quality: "91"}, world.users["evaluator"], submit=True)
    veto = raised(vetoable)
    with pytest.raises(ValidationError):
        reject_veto(veto, world.users["city"], "  ")
    decided = reject_veto(veto, world.users["city"], "事故发生在竞赛范围之外")
    assert (decided.status, decided.rejected_by, decided.rejection_reason) == (
        Veto.Status.REJECTED,
        world.users["city"],
        "事故发生在竞赛范围之外",
    )
    assert decided.confirmed_at is None
    result = FinalResult.objects.get(project=world.project_a)
    assert (result.vetoed, result.grade) == (False, "良好")


def test_a_veto_is_decided_once(vetoable):
    world, *_rest = vetoable
    veto = raised(vetoable)
    confirm_veto(veto, world.users["city"])
    with pytest.raises(ValidationError):
        confirm_veto(veto, world.users["superuser"])
    with pytest.raises(ValidationError):
        reject_veto(veto, world.users["city"], "理由")
    veto.refresh_from_db()
    assert veto.status == Veto.Status.CONFIRMED and veto.confirmed_by == world.users["city"]


@pytest.mark.parametrize("user", ["west", "east", "unit_a", "evaluator", "idle_evaluator"])
def test_only_the_campaign_office_decides(vetoable, user):
    world, *_rest = vetoable
    veto = raised(vetoable)
    with pytest.raises(PermissionDenied):
        confirm_veto(veto, world.users[user])
    with pytest.raises(PermissionDenied):
        reject_veto(veto, world.users[user], "理由")
    veto.refresh_from_db()
    assert veto.status == Veto.Status.RAISED


def test_locked_stage_refuses_raising_and_deciding(vetoable):
    world, assignment, quality, fatal = vetoable
    veto = raised(vetoable)
    other = f.UserFactory(role="evaluator", organisation=world.west)
    b = assign_evaluator(evaluator=other, project=world.project_b, stage=world.stage)
    save_scores(b, {quality: "70"}, other, submit=True)
    save_scores(assignment, {quality: "80"}, world.users["evaluator"], submit=True)
    lock_stage(world.zone, world.stage, world.users["city"])
    with pytest.raises(ValidationError, match="锁定"):
        confirm_veto(veto, world.users["city"])
    with pytest.raises(ValidationError, match="锁定"):
        reject_veto(veto, world.users["city"], "理由")
    other_item = Criterion.objects.create(
        zone=world.zone, code="fraud", name="弄虚作假", kind="veto"
    )
    with pytest.raises(ValidationError, match="锁定"):
        raise_veto(assignment, other_item, "理由", world.users["evaluator"])
    veto.refresh_from_db()
    assert veto.status == Veto.Status.RAISED and Veto.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_confirmations_give_one_decision(vetoable):
    """Two office staff confirm at the same moment: one decision, the other is refused."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks (select_for_update) are tested on PostgreSQL (DATABASE_URL)")
    world, *_rest = vetoable
    veto = raised(vetoable)
    deciders = [world.users["city"], world.users["superuser"]]
    start = threading.Barrier(len(deciders))
    outcomes = []

    def decide(user):
        from django.db import connection as thread_connection

        try:
            start.wait()
            confirm_veto(Veto.objects.get(pk=veto.pk), user)
            outcomes.append("confirmed")
        except ValidationError:
            outcomes.append("refused")
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=decide, args=(user,)) for user in deciders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["confirmed", "refused"]
    veto.refresh_from_db()
    assert veto.status == Veto.Status.CONFIRMED


# The office's page


@pytest.mark.parametrize("user", ["unit_a", "evaluator", "norole"])
def test_veto_list_is_for_staff_only(vetoable, client_for, user):
    assert client_for(user).get(reverse("scoring:vetoes")).status_code == 403


def test_veto_list_is_scoped_to_the_campaign_office(vetoable, client_for):
    veto = raised(vetoable)
    for user in ("city", "province", "superuser"):
        response = client_for(user).get(reverse("scoring:vetoes"))
        assert [v.pk for v in response.context["vetoes"]] == [veto.pk], user
    # 西湖区 is below the organiser: it neither sees nor decides the campaign's vetoes.
    west = client_for("west")
    assert list(west.get(reverse("scoring:vetoes")).context["vetoes"]) == []
    response = west.post(reverse("scoring:veto-confirm", args=[veto.pk]))
    assert response.status_code == 404
    veto.refresh_from_db()
    assert veto.status == Veto.Status.RAISED


def test_veto_page_confirms_and_rejects(vetoable, client_for):
    world, assignment, quality, fatal = vetoable
    veto = raised(vetoable)
    client = english(client_for("city"))
    page = client.get(reverse("scoring:vetoes")).content.decode()
    assert "施工现场发生一起死亡事故" in page and world.project_a.title in page
    response = client.post(reverse("scoring:veto-reject", args=[veto.pk]), {"reason": ""})
    assert response.status_code == 302
    assert "Give the reason" in client.get(response["Location"]).content.decode()
    veto.refresh_from_db()
    assert veto.status == Veto.Status.RAISED

    response = client.post(reverse("scoring:veto-confirm", args=[veto.pk]))
    assert response.status_code == 302
    veto.refresh_from_db()
    assert veto.status == Veto.Status.CONFIRMED
    done = client.get(reverse("scoring:vetoes") + "?status=confirmed")
    assert [v.pk for v in done.context["vetoes"]] == [veto.pk]
    counts = {value: n for value, _label, n in done.context["statuses"]}
    assert counts == {"raised": 0, "confirmed": 1, "rejected": 0}

    other_item = Criterion.objects.create(
        zone=world.zone, code="fraud", name="弄虚作假", kind="veto"
    )
    second = raise_veto(assignment, other_item, "资料造假", world.users["evaluator"])
    response = client.post(
        reverse("scoring:veto-reject", args=[second.pk]),
        {"reason": "资料经核实无误", "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("scoring:vetoes")
    second.refresh_from_db()
    assert (second.status, second.rejection_reason) == (Veto.Status.REJECTED, "资料经核实无误")


def test_veto_list_query_count_is_constant(vetoable, client_for):
    world, assignment, quality, fatal = vetoable
    raised(vetoable)
    client = client_for("city")
    with CaptureQueriesContext(connection) as first:
        response = client.get(reverse("scoring:vetoes"))
    assert len(response.context["vetoes"]) == 1
    for n in range(19):
        unit = f.UnitFactory(organisation=world.west)
        project = f.ProjectFactory(zone=world.zone, unit=unit, title=f"项目{n:02d}")
        entry = assign_evaluator(
            evaluator=world.users["evaluator"], project=project, stage=world.stage
        )
        raise_veto(entry, fatal, f"理由{n}", world.users["evaluator"])
    with CaptureQueriesContext(connection) as second:
        response = client.get(reverse("scoring:vetoes"))
    assert len(response.context["vetoes"]) == 20
    assert len(second) == len(first)
