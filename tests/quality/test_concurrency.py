"""Concurrency (issue 8): two people acting on the same thing at once, forms sent twice, and
the uniqueness the database itself guarantees.

The tests marked ``pg`` need PostgreSQL (``DATABASE_URL``): they run two real requests at once,
each in its own thread with its own database connection, through the real views and the test
client. Requests run in one transaction each (``ATOMIC_REQUESTS``), so what a request locks or
writes stays locked or invisible to others until its response is ready. ``race()`` makes the
interleaving deterministic instead of leaving it to timing luck:

1. the first request runs until it returns from a "hold" function of the code under test (the
   view's ``redirect``, say): its transaction is still open;
2. the second request starts and runs until PostgreSQL makes it wait for a lock the first
   holds (seen in ``pg_stat_activity``), or until it finishes without waiting;
3. the first request goes on and commits, then the second finishes.

So the second request always reads before the first commits, and the test shows what it does
with that: wait on a row lock and see the first's decision (good), or carry on with what it
read and write over it (a lost update), or trip over a unique index (a 500, unless caught).

The sequential double submits (the same POST replayed) and the constraint checks run on SQLite
too.
"""

import datetime
import importlib
import re
import threading
import time
import uuid
from decimal import Decimal
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, connections, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification, User
from awards import services as award_services
from awards.models import HonourList, HonourListEntry, Objection
from competitions import services
from competitions.models import (
    CampaignRegistration,
    Milestone,
    ProgressReport,
    Project,
    ProjectTransition,
    Unit,
)
from scoring.models import (
    Criterion,
    CriterionWeight,
    EvaluatorAssignment,
    FinalResult,
    Score,
    ScoringRules,
    StageLock,
    StageResult,
)
from scoring.results import recompute
from scoring.services import assign_evaluator, save_scores
from skills.models import ComponentScore, Contestant

from .. import factories as f
from ..awards.conftest import EXAMPLE_2, honour, ranking  # noqa: F401  (fixtures)
from ..competitions.test_reports import form_data as report_data
from ..competitions.test_uploads import PDF
from ..competitions.test_workflow import make_declarable
from ..skills.conftest import contest  # noqa: F401  (fixture)

S = Project.Status
WAIT = 30.0  # seconds: the longest a held request waits for the other one


# The race harness ----------------------------------------------------------------------------


def _waiting_for_a_lock() -> bool:
    """Whether another connection to the test database waits for a lock right now."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0] > 0


def race(first, second, hold: str, second_waits: bool = True):
    """Run ``first()`` and ``second()`` at once, interleaved as the module docstring says.

    ``hold`` names the function (``"module.attribute"``) where the first request is held with
    its transaction open. ``second_waits`` says whether the second request must wait for a
    lock the first holds (True: else the two did not overlap where it matters and the test
    would prove nothing) or must not (False: it has no reason to). Returns both results; an
    exception raised is returned as a result.
    """
    module_name, _dot, attribute = hold.rpartition(".")
    module = importlib.import_module(module_name)
    original = getattr(module, attribute)
    reached, release = threading.Event(), threading.Event()
    here = threading.local()

    def gate(*args, **kwargs):
        result = original(*args, **kwargs)
        if getattr(here, "held", False) and not reached.is_set():
            reached.set()
            release.wait(WAIT)
        return result

    results = {}

    def run(name, call, held):
        here.held = held
        try:
            results[name] = call()
        except Exception as error:  # noqa: BLE001 (the test looks at it)
            results[name] = error
        finally:
            connections.close_all()

    with mock.patch.object(module, attribute, gate):
        one = threading.Thread(target=run, args=("first", first, True))
        one.start()
        deadline = time.monotonic() + WAIT
        while not reached.wait(0.02) and one.is_alive() and time.monotonic() < deadline:
            pass
        two = threading.Thread(target=run, args=("second", second, False))
        two.start()
        deadline = time.monotonic() + WAIT
        waited = False
        while two.is_alive() and not waited and time.monotonic() < deadline:
            waited = _waiting_for_a_lock()
            time.sleep(0.02)
        release.set()
        one.join(2 * WAIT)
        two.join(2 * WAIT)
    assert reached.is_set(), f"the first request never reached {hold}: {results.get('first')!r}"
    if second_waits:
        assert waited, f"the second request never waited for the first: {results['second']!r}"
    else:
        assert not waited, "the second request waited for a lock the first held"
    return results["first"], results["second"]


@pytest.fixture
def pg(transactional_db):
    """Real transactions on PostgreSQL. The tables are emptied after each such test, the rows
    seeded by data migrations included, so those are seeded again first."""
    if connection.vendor != "postgresql":
        pytest.skip("two requests at once need PostgreSQL's row locks: set DATABASE_URL")
    from django.apps import apps

    importlib.import_module("awards.migrations.0003_seed_honour_types").seed(apps, None)


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page(response) -> str:
    """The page a request ended on, failing clearly on an exception or a server error."""
    assert not isinstance(response, Exception), f"the request raised {response!r}"
    assert response.status_code < 500, response.status_code
    return response.content.decode()


def shown_messages(response) -> list[str]:
    """The messages on the page. Read from the HTML: ``response.context`` is not reliable
    with two requests in flight (the test client records templates through a global
    signal, so each client also sees the other thread's)."""
    listed = re.search(r'<ul class="messages">(.*?)</ul>', page(response), re.S)
    return re.findall(r"<li[^>]*>(.*?)</li>", listed.group(1), re.S) if listed else []


def zh(message: str, **params) -> str:
    """A message as the default (Chinese) interface shows it, as the page escapes it."""
    from django.utils.html import escape
    from django.utils.translation import gettext, override

    with override("zh-hans"):
        return escape(gettext(message) % params if params else gettext(message))


DECLARATION_TAKEN = "该单位已在本竞赛活动中申报过同名项目"
DECLARATION_GONE = (
    "This declaration has been submitted or decided in the meantime (it is “%(status)s” now); "
    "this form was not saved."
)
REPORT_GONE = (
    "This report has been submitted or reviewed in the meantime (it is “%(status)s” now); "
    "this form was not saved."
)


# Fixtures ------------------------------------------------------------------------------------


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
        "milestones-TOTAL_FORMS": "1",
        "milestones-INITIAL_FORMS": "0",
        "milestones-0-period": "2026-03",
        "milestones-0-planned_percent": "100",
        "attachments-TOTAL_FORMS": "1",
        "attachments-INITIAL_FORMS": "0",
        "attachments-0-title": "方案",
        "attachments-0-file": SimpleUploadedFile("方案.pdf", PDF),
    }
    data.update(overrides)
    return data


def edit_data(project, **overrides):
    """The declaration form of an existing draft as the page posts it (milestones kept)."""
    data = {
        "zone": project.zone_id,
        "title": project.title,
        "leader": "",
        "team": "",
        "target_tasks": project.target_tasks,
        "content": project.content,
        "standards": project.standards,
        "requirements": project.requirements,
        "plan": project.plan,
        "milestones-TOTAL_FORMS": "0",
        "milestones-INITIAL_FORMS": "0",
        "attachments-TOTAL_FORMS": "0",
        "attachments-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return data


def due_report(world):
    return ProgressReport.objects.create(
        project=world.project_a,
        period_start=datetime.date(2026, 3, 1),
        period_end=datetime.date(2026, 3, 31),
        due_date=timezone.localdate() + datetime.timedelta(days=5),
        planned_percent=40,
    )


def signup_data(world, credit_code):
    return {
        "campaign-campaign": world.campaign.pk,
        "unit-name": "新注册单位",
        "unit-credit_code": credit_code,
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
    }


OBJECTOR = {"name": "王群众", "contact": "13912345678", "content": "材料不实,工期造假。"}


@pytest.fixture
def draft_list(world, ranking, honour):  # noqa: F811
    """The AWARDS.md example: a draft list of A and B (quota 2, minimum 85)."""
    ranking(EXAMPLE_2, vetoed={"D"})
    return award_services.generate(honour(quota=2, min_score="85"))


@pytest.fixture
def in_notice(world, draft_list):
    today = timezone.localdate()
    return award_services.publish(
        draft_list, world.users["city"], today - datetime.timedelta(days=1), today
    )


@pytest.fixture
def sheet(world):
    """One judgement criterion (weight 1) on the world's stage; project_a is scored by the
    world's evaluator and by the evaluator of no union (no conflict of interest)."""
    quality = Criterion.objects.create(zone=world.zone, code="quality", name="比质量")
    CriterionWeight.objects.create(stage=world.stage, criterion=quality, weight="1")
    ScoringRules.objects.create(campaign=world.campaign)
    first = EvaluatorAssignment.objects.get(evaluator=world.users["evaluator"])
    second = assign_evaluator(
        evaluator=world.users["idle_evaluator"], project=world.project_a, stage=world.stage
    )
    return world, quality, first, second


def score_post(client, assignment, criterion, value, action="submit"):
    return client.post(
        reverse("scoring:score", args=[assignment.pk]),
        {f"score_{criterion.pk}": value, "action": action},
        follow=True,
    )


def final_of(project) -> FinalResult:
    return FinalResult.objects.get(project=project)


# 1a. Two staff deciding the same declaration at once -----------------------------------------


@pytest.mark.parametrize("door", ["project page", "review queue"])
def test_two_staff_deciding_one_declaration_get_one_decision(pg, world, door):
    project = make_declarable(world.project_a)
    services.transition(project, "submit", world.users["unit_a"])
    approve, refuse = login(world.users["west"]), login(world.users["city"])

    def first():
        return approve.post(
            reverse("project-transition", args=[project.pk]), {"action": "approve"}, follow=True
        )

    def second():
        if door == "project page":
            url, data = reverse("project-transition", args=[project.pk]), {}
        else:
            url, data = reverse("review-decide"), {"projects": [project.pk]}
        return refuse.post(url, {"action": "return", "comment": "请补充材料", **data}, follow=True)

    won, lost = race(first, second, hold="competitions.workflow_views.redirect")
    assert "项目现为“已通过”" in page(won)
    # The one who lost sees why, in Chinese, and nothing of theirs was saved.
    assert "可能已有他人处理" in page(lost)
    project.refresh_from_db()
    assert project.status == S.APPROVED
    decisions = ProjectTransition.objects.filter(project=project).exclude(action="submit")
    assert [(t.action, t.actor) for t in decisions] == [("approve", world.users["west"])]


def test_bulk_decision_and_report_review_at_once_do_not_deadlock(pg, world):
    """Staff approve two declarations of a unit in one go while a colleague accepts a report
    of one of them. Locking a project used to lock its unit's and organisation's rows too
    (``select_for_update`` over a join), so the two requests held one row each that the other
    needed: PostgreSQL broke the deadlock by failing one of them (a server error)."""
    older = make_declarable(world.project_a)
    newer = make_declarable(f.ProjectFactory(zone=world.zone, unit=world.unit_a, title="新项目"))
    for project in (older, newer):
        services.transition(project, "submit", world.users["unit_a"])
    report = due_report(world)  # of the older project
    ProgressReport.objects.filter(pk=report.pk).update(status="submitted", actual_percent=40)
    deciding, reviewing = login(world.users["west"]), login(world.users["city"])

    # The queue decides the newer declaration first: held there, then on to the older one.
    decided, reviewed = race(
        lambda: deciding.post(
            reverse("review-decide"),
            {"action": "approve", "projects": [older.pk, newer.pk]},
            follow=True,
        ),
        lambda: reviewing.post(
            reverse("report-review", args=[report.pk]), {"decision": "accept"}, follow=True
        ),
        hold="competitions.services._queue_notifications",
        second_waits=False,
    )
    page(decided), page(reviewed)
    assert set(Project.objects.filter(unit=world.unit_a).values_list("status", flat=True)) == {
        S.APPROVED
    }
    report.refresh_from_db()
    assert report.status == ProgressReport.Status.ACCEPTED


# 1b. The same form sent twice at once ------------------------------------------------------


def test_declaration_sent_twice_at_once_is_one_project(pg, registered):
    url = reverse("declaration-create")
    tabs = [login(registered.users["unit_a"]) for _tab in range(2)]

    def send(unit):
        return lambda: unit.post(url, declaration_data(registered, submit="1"), follow=True)

    first, second = race(*map(send, tabs), hold="competitions.workflow_views.redirect")
    assert "申报已提交审核" in page(first)
    assert DECLARATION_TAKEN in page(second)  # the form again, with the reason
    project = Project.objects.get(title="前厅服务竞赛")
    assert project.status == S.SUBMITTED
    assert project.transitions.count() == 1
    assert project.milestones.count() == 1 and project.attachments.count() == 1


def test_declaration_submitted_twice_at_once_is_submitted_once(pg, registered):
    project = make_declarable(registered.project_a)
    url = reverse("declaration-edit", args=[project.pk])
    tabs = [login(registered.users["unit_a"]) for _tab in range(2)]

    def send(unit):
        return lambda: unit.post(url, edit_data(project, submit="1"), follow=True)

    first, second = race(*map(send, tabs), hold="competitions.workflow_views.redirect")
    project.refresh_from_db()
    assert project.status == S.SUBMITTED
    assert list(project.transitions.values_list("action", flat=True)) == ["submit"]
    assert "申报已提交审核" in page(first)
    assert zh(DECLARATION_GONE, status=zh("Submitted")) in page(second)


def test_old_report_form_saved_while_submitted_does_not_undo_the_submission(pg, world):
    """A second tab saves the report as a draft while the first submits it: the submission
    stands (it used to be overwritten by the stale form, back to "due")."""
    report = due_report(world)
    url = reverse("report-edit", args=[report.pk])
    one, two = login(world.users["unit_a"]), login(world.users["unit_a"])

    def submit():
        return one.post(url, report_data(submit="1"), follow=True)

    def save_draft():
        return two.post(url, report_data(narrative="另一个标签页"), follow=True)

    first, second = race(submit, save_draft, hold="competitions.report_views.redirect")
    report.refresh_from_db()
    assert report.status == ProgressReport.Status.SUBMITTED
    assert report.submitted_at is not None and report.first_submitted_at is not None
    assert report.narrative == "按节点推进"
    assert "报告已提交" in page(first)
    assert zh(REPORT_GONE, status=zh("Submitted")) in page(second)


def api_client(user):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(user)
    return client


def test_api_edit_while_submitting_does_not_undo_the_submission(pg, registered):
    """Through the API: a PATCH of the declaration read before a submission committed waits
    for it and is refused (409), instead of saving the project back to "draft"."""
    project = make_declarable(registered.project_a)
    url = f"/api/v1/projects/{project.pk}/"
    one, two = api_client(registered.users["unit_a"]), api_client(registered.users["unit_a"])
    first, second = race(
        lambda: one.post(url + "submit/"),
        lambda: two.patch(url, {"plan": "另一个标签页的方案"}, format="json"),
        hold="competitions.api.Response",
    )
    assert first.status_code == 200 and first.json()["status"] == "submitted"
    assert second.status_code == 409, second.content
    project.refresh_from_db()
    assert project.status == S.SUBMITTED and project.plan == "一对一方案"
    assert list(project.transitions.values_list("action", flat=True)) == ["submit"]


def test_api_declaration_sent_twice_at_once_is_one_project(pg, registered):
    body = {"zone": registered.zone.pk, "title": "接口申报", "plan": "p"}
    one, two = api_client(registered.users["unit_a"]), api_client(registered.users["unit_a"])
    first, second = race(
        lambda: one.post("/api/v1/projects/", body, format="json"),
        lambda: two.post("/api/v1/projects/", body, format="json"),
        hold="rest_framework.mixins.Response",
    )
    assert first.status_code == 201
    assert second.status_code == 400 and DECLARATION_TAKEN in second.content.decode()
    assert Project.objects.filter(title="接口申报").count() == 1


def test_registration_requested_twice_at_once_is_one_registration(pg, world):
    url = reverse("registration-request", args=[world.campaign.pk])
    tabs = [login(world.users["unit_a"]) for _tab in range(2)]

    def send(unit):
        return lambda: unit.post(url, follow=True)

    first, second = race(*map(send, tabs), hold="competitions.workflow_views.redirect")
    assert "报名已提交" in page(first) and "报名已提交" in page(second)
    assert CampaignRegistration.objects.filter(unit=world.unit_a).count() == 1


def test_sign_up_sent_twice_at_once_is_one_unit_and_one_account(pg, world):
    data = signup_data(world, f.valid_credit_code())

    def send():
        return Client().post(reverse("signup"), data)

    first, second = race(send, send, hold="competitions.workflow_views.render")
    assert "newliaison" in page(first)
    assert "该统一社会信用代码的单位已登记" in page(second)
    assert Unit.objects.filter(name="新注册单位").count() == 1
    assert User.objects.filter(username="newliaison").count() == 1
    assert CampaignRegistration.objects.filter(unit__name="新注册单位").count() == 1


@pytest.mark.parametrize("tabs", ["one form sent twice", "two tabs"])
def test_honours_list_published_twice_at_once_is_published_once(pg, world, draft_list, tabs):
    url = reverse("awards:list-publish", args=[draft_list.rule_id])
    today = timezone.localdate()

    def send(start, once):
        staff = login(world.users["city"])
        data = {"start": start.isoformat(), "once": once}
        return lambda: staff.post(url, data, follow=True)

    # Fresh tokens: the cache (Redis with REDIS_URL) outlives the test's database.
    once = uuid.uuid4().hex
    second_once = once if tabs == "one form sent twice" else uuid.uuid4().hex
    first, second = race(
        send(today, once),
        send(today + datetime.timedelta(days=7), second_once),
        hold="awards.views.redirect",
        second_waits=tabs == "two tabs",  # the one-time token refuses at once
    )
    assert "名单已公示" in page(first)
    refused = "该表单已提交过" if tabs == "one form sent twice" else "只有草稿名单才能公示"
    assert refused in page(second)
    draft_list.refresh_from_db()
    assert draft_list.status == HonourList.Status.PUBLISHED
    assert draft_list.notice_start == today


def test_objection_sent_twice_at_once_is_one_objection(pg, in_notice):
    entry = in_notice.entries.filter(removed_at__isnull=True).order_by("rank").first()
    url = reverse("awards:notice", args=[in_notice.pk])

    data = {"entry": entry.pk, **OBJECTOR, "once": uuid.uuid4().hex}

    def send():
        return Client().post(url, data, follow=True)

    first, second = race(send, send, hold="awards.views.redirect", second_waits=False)
    assert "您的异议已收到" in page(first)
    assert "该表单已提交过,只执行了一次" in page(second)
    assert Objection.objects.filter(entry=entry).count() == 1


def test_skill_registration_sent_twice_at_once_is_one_contestant(pg, world, contest):  # noqa: F811
    person = f.PersonFactory(unit=world.unit_a, name="钱七")
    url = reverse("skills:register", args=[contest.event.pk])
    tabs = [login(world.users["unit_a"]) for _tab in range(2)]

    def send(unit):
        return lambda: unit.post(url, {"person": person.pk}, follow=True)

    first, second = race(*map(send, tabs), hold="skills.contest_views.redirect")
    page(first), page(second)
    assert shown_messages(first) == ["钱七 已报名参加电工。"]
    assert shown_messages(second) == ["钱七 已报名电工。"]  # already registered
    assert Contestant.objects.filter(person=person).count() == 1


# 1c–e. Scores saved at once ------------------------------------------------------------------


def test_two_evaluators_saving_one_entry_at_once_both_count(pg, sheet):
    world, quality, first_assignment, second_assignment = sheet
    one, two = login(first_assignment.evaluator), login(second_assignment.evaluator)
    won, other = race(
        lambda: score_post(one, first_assignment, quality, "80"),
        lambda: score_post(two, second_assignment, quality, "90"),
        hold="scoring.evaluate_views.redirect",
    )
    page(won), page(other)
    assert sorted(
        Score.objects.filter(project=world.project_a).values_list("value", flat=True)
    ) == [
        Decimal("80"),
        Decimal("90"),
    ]
    # The stored results were computed from both scores, not from the one seen first.
    stage = StageResult.objects.get(project=world.project_a, stage=world.stage)
    assert stage.complete and stage.score == Decimal("85")
    assert final_of(world.project_a).score == Decimal("85.00")


def test_one_evaluator_saving_the_same_form_twice_at_once_keeps_one_score(pg, sheet):
    world, quality, assignment, _second = sheet
    tabs = [login(assignment.evaluator) for _tab in range(2)]

    def send(evaluator):
        return lambda: score_post(evaluator, assignment, quality, "88", action="draft")

    first, second = race(*map(send, tabs), hold="scoring.evaluate_views.redirect")
    page(first), page(second)
    assert list(Score.objects.values_list("assignment_id", "criterion_id", "value")) == [
        (assignment.pk, quality.pk, Decimal("88"))
    ]


def test_scores_saved_while_staff_change_assignments_keep_the_zone_ranking_right(pg, sheet):
    """An evaluator submits entry A while staff remove an evaluator from entry B of the same
    zone: both re-rank the zone, and the ranking must come from both changes (staff used to
    re-rank with A's old score and write it back over the new one)."""
    world, quality, first_assignment, second_assignment = sheet
    second_assignment.delete()
    save_scores(first_assignment, {quality: "80"}, first_assignment.evaluator, submit=True)
    b_done = assign_evaluator(
        evaluator=world.users["idle_evaluator"], project=world.project_b, stage=world.stage
    )
    save_scores(b_done, {quality: "90"}, b_done.evaluator, submit=True)
    b_pending = assign_evaluator(
        evaluator=f.UserFactory(role="evaluator"), project=world.project_b, stage=world.stage
    )
    recompute(project_ids=[world.project_b.pk])  # B waits for its second evaluator
    assert final_of(world.project_a).rank == 1 and final_of(world.project_b).rank is None
    evaluator, staff = login(first_assignment.evaluator), login(world.users["city"])

    won, other = race(
        lambda: score_post(evaluator, first_assignment, quality, "95"),
        lambda: staff.post(reverse("scoring:assignment-remove", args=[b_pending.pk]), follow=True),
        hold="scoring.evaluate_views.redirect",
    )
    page(won), page(other)
    a, b = final_of(world.project_a), final_of(world.project_b)
    assert (a.score, a.rank) == (Decimal("95.00"), 1)
    assert (b.score, b.rank) == (Decimal("90.00"), 2)


def test_weights_changed_while_the_stage_is_locked_leave_the_locked_results(pg, sheet):
    """Staff lock the stage while others change its weights: the change waits for the lock
    and is refused (it used to slip in after the lock and change locked results)."""
    world, quality, first_assignment, second_assignment = sheet
    safety = Criterion.objects.create(zone=world.zone, code="safety", name="比安全")
    CriterionWeight.objects.create(stage=world.stage, criterion=safety, weight="0")
    Project.objects.filter(pk=world.project_b.pk).update(status=S.DRAFT)  # not an entry
    for assignment, value in ((first_assignment, "80"), (second_assignment, "90")):
        save_scores(assignment, {quality: value, safety: "40"}, assignment.evaluator, submit=True)
    assert final_of(world.project_a).score == Decimal("85.00")
    lock_url = reverse("scoring:lock", args=[world.zone.pk, world.stage.pk])
    weights_url = reverse("scoring:weights", args=[world.zone.pk])
    locker, editor = login(world.users["city"]), login(world.users["city"])
    prefix = f"stage{world.stage.pk}"
    weights = {"stage": world.stage.pk, f"{prefix}-c{quality.pk}": "0.5"}
    weights[f"{prefix}-c{safety.pk}"] = "0.5"

    first, second = race(
        lambda: locker.post(lock_url, follow=True),
        lambda: editor.post(weights_url, weights),
        hold="scoring.result_views.redirect",
    )
    assert StageLock.objects.filter(zone=world.zone, stage=world.stage).exists()
    assert dict(
        CriterionWeight.objects.filter(stage=world.stage).values_list("criterion_id", "weight")
    ) == {quality.pk: Decimal("1"), safety.pk: Decimal("0")}
    assert final_of(world.project_a).score == Decimal("85.00")
    assert zh("%(stage)s is locked; its scores can no longer change.", stage="筹备初期") in page(
        first
    )
    refused = zh(
        "Scoring of %(stage)s is locked; its weights can no longer change.", stage="筹备初期"
    )
    assert refused in page(second)


def test_two_judges_marking_one_heat_at_once_both_count(pg, contest):  # noqa: F811
    heat, entries = contest.heat_a, contest.entries_a
    url = reverse("skills:mark", args=[heat.pk, "practical"])
    one, two = login(contest.judge1), login(contest.judge2)
    marks = {f"mark-{entry.pk}": "80" for entry in entries}

    first, second = race(
        lambda: one.post(url, marks, follow=True),
        lambda: two.post(url, {**marks, f"mark-{entries[0].pk}": "70"}, follow=True),
        hold="skills.judge_views.redirect",
    )
    page(first), page(second)
    rows = ComponentScore.objects.filter(entry__heat=heat, component="practical")
    assert rows.filter(judge=contest.judge1).count() == len(entries)
    assert rows.filter(judge=contest.judge2).count() == len(entries)
    assert rows.get(judge=contest.judge2, entry=entries[0]).value == Decimal("70")


def test_one_judge_saving_marks_twice_at_once_keeps_one_mark_each(pg, contest):  # noqa: F811
    heat, entries = contest.heat_a, contest.entries_a
    url = reverse("skills:mark", args=[heat.pk, "practical"])
    marks = {f"mark-{entry.pk}": "75.5" for entry in entries}
    tabs = [login(contest.judge1) for _tab in range(2)]

    def send(judge):
        return lambda: judge.post(url, marks, follow=True)

    first, second = race(*map(send, tabs), hold="skills.judge_views.redirect")
    page(first), page(second)
    assert ComponentScore.objects.filter(entry__heat=heat, judge=contest.judge1).count() == len(
        entries
    )


def test_evaluators_of_two_zones_of_a_campaign_do_not_wait_for_each_other(pg, sheet):
    """Score saves take their zone's row lock. It used to lock the campaign's row as well
    (the zone's default ordering joins the campaign), so every save in a campaign waited for
    every other one, whatever the zone."""
    world, quality, first_assignment, second_assignment = sheet
    second_assignment.delete()  # project_a: one evaluator
    other_zone = f.ZoneFactory(campaign=world.campaign, name="交通保障")
    other_quality = Criterion.objects.create(zone=other_zone, code="quality", name="比质量")
    CriterionWeight.objects.create(stage=world.stage, criterion=other_quality, weight="1")
    other_entry = f.ProjectFactory(zone=other_zone, unit=world.unit_a, title="交通疏导")
    other_assignment = assign_evaluator(
        evaluator=world.users["idle_evaluator"], project=other_entry, stage=world.stage
    )
    one, two = login(first_assignment.evaluator), login(other_assignment.evaluator)

    first, second = race(
        lambda: score_post(one, first_assignment, quality, "80"),
        lambda: score_post(two, other_assignment, other_quality, "90"),
        hold="scoring.evaluate_views.redirect",
        second_waits=False,
    )
    page(first), page(second)
    assert final_of(world.project_a).score == Decimal("80.00")
    assert final_of(other_entry).score == Decimal("90.00")


# Sequential double submits: the same POST replayed (any database) ---------------------------


def test_declaration_replayed_is_one_project(registered, client_for):
    unit = client_for("unit_a")
    unit.post(reverse("declaration-create"), declaration_data(registered, submit="1"))
    again = unit.post(reverse("declaration-create"), declaration_data(registered, submit="1"))
    assert again.status_code == 200
    assert DECLARATION_TAKEN in again.content.decode()
    assert Project.objects.filter(title="前厅服务竞赛").count() == 1
    assert ProjectTransition.objects.filter(project__title="前厅服务竞赛").count() == 1


def test_submission_replayed_is_submitted_once(registered, client_for):
    project = make_declarable(registered.project_a)
    unit = client_for("unit_a")
    url = reverse("declaration-edit", args=[project.pk])
    unit.post(url, edit_data(project, submit="1"))
    again = unit.post(url, edit_data(project, submit="1"), follow=True)
    assert again.status_code == 200
    assert zh(DECLARATION_GONE, status=zh("Submitted")) in again.content.decode()
    assert project.transitions.count() == 1


def test_decision_replayed_is_decided_once(registered, client_for):
    project = make_declarable(registered.project_a)
    services.transition(project, "submit", registered.users["unit_a"])
    staff = client_for("west")
    url = reverse("project-transition", args=[project.pk])
    staff.post(url, {"action": "approve"})
    again = staff.post(url, {"action": "approve"}, follow=True)
    assert "可能已有他人处理" in again.content.decode()
    assert project.transitions.filter(action="approve").count() == 1


def test_report_replayed_is_submitted_once(world, client_for):
    report = due_report(world)
    unit = client_for("unit_a")
    url = reverse("report-edit", args=[report.pk])
    unit.post(url, report_data(submit="1"))
    report.refresh_from_db()
    submitted_at = report.submitted_at
    again = unit.post(url, report_data(submit="1"), follow=True)
    assert zh(REPORT_GONE, status=zh("Submitted")) in again.content.decode()
    report.refresh_from_db()
    assert report.status == ProgressReport.Status.SUBMITTED
    assert report.submitted_at == submitted_at


def test_registration_replayed_is_one_registration(world, client_for):
    unit = client_for("unit_a")
    url = reverse("registration-request", args=[world.campaign.pk])
    unit.post(url)
    assert unit.post(url).status_code == 302
    assert CampaignRegistration.objects.filter(unit=world.unit_a).count() == 1


def test_sign_up_replayed_is_one_unit(world):
    data = signup_data(world, f.valid_credit_code())
    Client().post(reverse("signup"), data)
    again = Client().post(reverse("signup"), data)
    assert again.status_code == 200
    assert "该统一社会信用代码的单位已登记" in again.content.decode()
    assert Unit.objects.filter(name="新注册单位").count() == 1


def test_publish_replayed_is_run_once(world, draft_list, client_for):
    staff = client_for("city")
    url = reverse("awards:list-publish", args=[draft_list.rule_id])
    today = timezone.localdate()
    once = uuid.uuid4().hex
    staff.post(url, {"start": today.isoformat(), "once": once})
    later = today + datetime.timedelta(days=7)
    again = staff.post(url, {"start": later.isoformat(), "once": once}, follow=True)
    assert "该表单已提交过" in again.content.decode()
    draft_list.refresh_from_db()
    assert draft_list.status == HonourList.Status.PUBLISHED and draft_list.notice_start == today


def test_objection_replayed_is_one_objection(in_notice):
    entry = in_notice.entries.filter(removed_at__isnull=True).first()
    url = reverse("awards:notice", args=[in_notice.pk])
    form = Client().get(url).content.decode()
    once = form.split('name="once" value="', 1)[1].split('"', 1)[0]
    data = {"entry": entry.pk, **OBJECTOR, "once": once}
    assert "您的异议已收到" in Client().post(url, data, follow=True).content.decode()
    again = Client().post(url, data, follow=True).content.decode()
    assert "该表单已提交过,只执行了一次" in again
    assert Objection.objects.filter(entry=entry).count() == 1
    # The form shown again carries a new token: another objection is one more.
    assert once not in again
    Client().post(url, {**data, "once": uuid.uuid4().hex})
    assert Objection.objects.filter(entry=entry).count() == 2


def test_skill_registration_replayed_is_one_contestant(world, contest, client_for):  # noqa: F811
    person = f.PersonFactory(unit=world.unit_a, name="钱七")
    unit = client_for("unit_a")
    url = reverse("skills:register", args=[contest.event.pk])
    unit.post(url, {"person": person.pk})
    again = unit.post(url, {"person": person.pk}, follow=True)
    assert "钱七 已报名" in again.content.decode()
    assert Contestant.objects.filter(person=person).count() == 1


def test_new_worker_registered_twice_by_name_is_one_contestant(world, contest, client_for):  # noqa: F811
    unit = client_for("unit_a")
    url = reverse("skills:register", args=[contest.event.pk])
    unit.post(url, {"name": "冯八", "job_title": "电工"})
    again = unit.post(url, {"name": "冯八", "job_title": "电工"}, follow=True)
    message = "%(person)s of your unit is already registered for %(event)s."
    assert zh(message, person="冯八", event="电工") in again.content.decode()
    assert Contestant.objects.filter(event=contest.event, person__name="冯八").count() == 1
    assert world.unit_a.people.filter(name="冯八").count() == 1


def test_score_form_replayed_keeps_one_score(sheet, client_for):
    world, quality, assignment, _second = sheet
    evaluator = client_for("evaluator")
    for _time in range(2):
        score_post(evaluator, assignment, quality, "88")
    assert Score.objects.filter(assignment=assignment).count() == 1


# 2. Uniqueness the database guarantees -------------------------------------------------------

# Each (model, constraint name): the rows that must exist once, enforced by the database so
# that two requests at once cannot both pass a check made in Python.
EXPECTED_UNIQUE = [
    ("competitions.Unit", "credit_code"),
    ("competitions.CampaignRegistration", "registration_unique"),
    ("competitions.Project", "project_title_unique_per_unit_and_campaign"),
    ("competitions.Milestone", "milestone_unique_period"),
    ("competitions.ProgressReport", "report_once_per_period"),
    ("scoring.EvaluatorAssignment", "assignment_unique"),
    ("scoring.Score", "score_once_per_criterion"),
    ("scoring.CriterionWeight", "criterion_weight_unique"),
    ("scoring.Veto", "veto_open_once_per_item"),
    ("scoring.StageLock", "stage_lock_unique"),
    ("scoring.StageResult", "stage_result_unique"),
    ("scoring.FinalResult", "project"),
    ("scoring.ScoringRules", "campaign"),
    ("awards.HonourRule", "honour_rule_unique_per_zone"),
    ("awards.HonourRule", "honour_rule_unique_per_campaign"),
    ("awards.HonourList", "rule"),
    ("awards.HonourListEntry", "honour_entry_recipient_once"),
    ("awards.Certificate", "certificate_serial_unique_per_campaign"),
    ("awards.Certificate", "entry"),
    ("awards.Certificate", "instant_honour"),
    ("awards.SummaryBuild", "summary_scheduled_once_per_period"),
    ("skills.Contestant", "contestant_unique_per_event"),
    ("skills.HeatJudge", "heat_judge_unique"),
    ("skills.HeatEntry", "heat_entry_contestant_unique_per_heat"),
    ("skills.HeatEntry", "heat_entry_station_unique_per_heat"),
    ("skills.ComponentScore", "component_score_unique_per_judge"),
    ("skills.ComponentScore", "component_score_unique_without_judge"),
    ("accounts.Notification", "notification_once_per_event"),
]


def _unique_sets(model) -> dict:
    """The database's unique constraints and unique indexes of ``model``'s table, by name,
    as sets of column names."""
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, model._meta.db_table)
    return {
        name: set(info["columns"])
        for name, info in found.items()
        if info["unique"] and not info["primary_key"]
    }


@pytest.mark.parametrize(("label", "name"), EXPECTED_UNIQUE)
def test_uniqueness_is_enforced_by_the_database(db, label, name):
    from django.apps import apps

    model = apps.get_model(label)
    in_database = _unique_sets(model)
    declared = {c.name: c for c in model._meta.constraints}
    if name in declared:
        columns = {model._meta.get_field(field).column for field in declared[name].fields}
        assert in_database.get(name) == columns, f"{label}: {name} is not in the database"
    else:  # a unique field (or one-to-one): the database names its index itself
        column = model._meta.get_field(name).column
        assert {column} in in_database.values(), f"{label}.{name} is not unique in the database"


def _twice(model, **fields):
    model.objects.create(**fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        model.objects.create(**fields)


def test_duplicate_rows_are_refused_by_the_database(world, contest):  # noqa: F811
    """Inserted directly, past every check in Python, a second copy is refused."""
    quality = Criterion.objects.create(zone=world.zone, code="quality", name="比质量")
    assignment = EvaluatorAssignment.objects.get(evaluator=world.users["evaluator"])
    with pytest.raises(IntegrityError), transaction.atomic():
        EvaluatorAssignment.objects.create(
            evaluator=assignment.evaluator, project=assignment.project, stage=assignment.stage
        )
    _twice(
        Score,
        assignment=assignment,
        criterion=quality,
        project=world.project_a,
        stage=world.stage,
        value=1,
    )
    _twice(CampaignRegistration, campaign=world.campaign, unit=world.unit_a)
    _twice(
        ProgressReport,
        project=world.project_a,
        period_start=datetime.date(2026, 3, 1),
        period_end=datetime.date(2026, 3, 31),
        due_date=datetime.date(2026, 4, 5),
    )
    _twice(Milestone, project=world.project_a, period=datetime.date(2026, 3, 1), planned_percent=1)
    _twice(StageResult, project=world.project_a, stage=world.stage)
    _twice(FinalResult, project=world.project_a, zone=world.zone)
    person = f.PersonFactory(unit=world.unit_a)
    _twice(Contestant, event=contest.event, person=person, unit=world.unit_a)
    entry = contest.entries_a[0]
    _twice(ComponentScore, entry=entry, component="practical", judge=contest.judge1, value=1)
    _twice(ComponentScore, entry=entry, component="theory", value=1)
    _twice(Notification, user=world.users["unit_a"], event="e:1", title="t")


def test_an_honour_goes_to_a_recipient_once_per_list(world, draft_list):
    entry = draft_list.entries.filter(removed_at__isnull=True).first()
    copy = HonourListEntry(
        honour_list=draft_list, unit=entry.unit, project=entry.project, source="added"
    )
    copy.recipient_key = entry.recipient_key
    with pytest.raises(IntegrityError), transaction.atomic():
        copy.save()
    # Once removed, the recipient may be listed again (e.g. substituted back).
    HonourListEntry.objects.filter(pk=entry.pk).update(
        removed_at=timezone.now(), removal_reason="异议成立"
    )
    copy.save()
