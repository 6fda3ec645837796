"""A world for the permission matrix (``test_url_matrix.py``): the shared test world of
``tests/conftest.py`` plus, for every kind of record a URL addresses, one record on each side:

- side W: a labour campaign and a skill campaign organised by the district west, unit A's
  projects, reports, people, contestants ... and the evaluator assigned to them (also the judge
  of W's heat);
- side E: the same organised by the district east for unit B, scored by an evaluator who is
  none of the matrix's roles, so the world's evaluator has no assignment there.

Every name on side W carries the marker ``QW-`` and every name on side E ``QE-``, so a response
can be searched for anything of the other side. The city union runs both (it is above them).

The world is built once per test module inside a transaction rolled back at the end; each
test runs in its own savepoint (pytest-django's ``db``), so changes made by a test's requests
are undone after it. (A module of its own, not ``conftest.py``: the fixture is imported by the
modules that use it.)
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client, override_settings
from django.utils import timezone

from .. import factories as f
from ..conftest import build_world

MARKERS = {"W": "QW-", "E": "QE-"}
# Names of the shared world that belong to one side only (unit A / unit B and their records).
SIDE_NAMES = {"W": ("西湖酒店", "酒店服务提升", "李娜"), "E": ("滨江电力", "峰会保电", "张强")}
MISSING_ID = 987654
MATRIX_ROLES = ("city", "west", "east", "unit_a", "unit_b", "evaluator", "idle_evaluator")


@dataclass
class Side:
    """The records of one side, by the record kinds of the matrix."""

    name: str
    records: dict = field(default_factory=dict)


@dataclass
class ScopedWorld:
    base: object  # the World of tests/conftest.py
    sides: dict  # "W" / "E" → Side
    users: dict
    clients: dict  # role → logged-in Client (anonymous: a plain one)
    baseline: str | None = None  # the database's fingerprint at the start of a test


def _file(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n% test file\n", content_type="application/pdf")


def _build_side(base, side: str, org, unit, liaison, staff, evaluator) -> Side:
    from accounts.models import Notification
    from awards import services as awards_services
    from awards import summaries
    from awards.models import (
        HonourList,
        HonourListEntry,
        HonourRule,
        HonourType,
        Objection,
        SummaryBuild,
    )
    from competitions.models import (
        Campaign,
        CampaignDocument,
        CampaignRegistration,
        Milestone,
        ProgressReport,
        Project,
        ProjectAttachment,
        ReportAttachment,
    )
    from scoring import services as scoring_services
    from scoring.models import Criterion, CriterionWeight, FinalResult, ScoringRules
    from skills.models import Contestant, Heat, HeatEntry, HeatJudge, SkillEvent, Tier

    tag = MARKERS[side]
    today = timezone.localdate()
    r = {"organisation": org, "unit": unit, "liaison": liaison, "evaluator": evaluator}
    r["campaign"] = campaign = f.CampaignFactory(organiser=org, title=f"{tag}竞赛")
    r["zone"] = zone = f.ZoneFactory(campaign=campaign, name=f"{tag}赛区")
    r["stage"] = stage = f.StageFactory(campaign=campaign, name=f"{tag}阶段", weight="1")
    r["document"] = CampaignDocument.objects.create(
        campaign=campaign, title=f"{tag}通知", file=_file("notice.pdf")
    )
    r["team"] = team = f.TeamFactory(unit=unit, name=f"{tag}班组")
    r["person"] = person = f.PersonFactory(unit=unit, team=team, name=f"{tag}职工")
    r["person2"] = f.PersonFactory(unit=unit, name=f"{tag}职工二")
    r["person3"] = f.PersonFactory(unit=unit, name=f"{tag}职工三")
    CampaignRegistration.objects.create(
        campaign=campaign, unit=unit, status="approved", requested_by=liaison
    )
    # A registration waiting for a decision, in the city campaign both districts see.
    r["registration"] = CampaignRegistration.objects.create(
        campaign=base.campaign, unit=unit, status="pending", requested_by=liaison
    )
    plan = {
        "target_tasks": "目标",
        "content": "内容",
        "standards": "标准",
        "requirements": "要求",
        "plan": "方案",
    }
    r["project"] = project = f.ProjectFactory(
        zone=zone, unit=unit, title=f"{tag}项目", leader=person, team=team, **plan
    )
    r["project2"] = project2 = f.ProjectFactory(zone=zone, unit=unit, title=f"{tag}项目二")
    r["draft"] = draft = f.ProjectFactory(
        zone=zone, unit=unit, title=f"{tag}草稿", status=Project.Status.DRAFT, **plan
    )
    Milestone.objects.create(project=draft, period=datetime.date(2026, 12, 1), planned_percent=100)
    r["submitted"] = f.ProjectFactory(
        zone=zone, unit=unit, title=f"{tag}待审", status=Project.Status.SUBMITTED, **plan
    )
    r["approved"] = f.ProjectFactory(
        zone=zone, unit=unit, title=f"{tag}已批", status=Project.Status.APPROVED, **plan
    )
    r["attachment"] = ProjectAttachment.objects.create(
        project=project, file=_file("plan.pdf"), title=f"{tag}附件", uploaded_by=liaison
    )
    r["report"] = report = ProgressReport.objects.create(
        project=project,
        period_start=datetime.date(2026, 10, 1),
        period_end=datetime.date(2026, 10, 31),
        due_date=datetime.date(2026, 11, 5),
        actual_percent=30,
        narrative=f"{tag}月报",
    )
    r["report_sub"] = ProgressReport.objects.create(
        project=project,
        period_start=datetime.date(2026, 9, 1),
        period_end=datetime.date(2026, 9, 30),
        due_date=datetime.date(2026, 10, 5),
        status=ProgressReport.Status.SUBMITTED,
        actual_percent=50,
        submitted_at=timezone.now(),
        first_submitted_at=timezone.now(),
        narrative=f"{tag}已交月报",
    )
    r["report_attachment"] = ReportAttachment.objects.create(
        report=report, file=_file("photo.pdf"), title=f"{tag}照片"
    )

    # Scoring: one judgement criterion weighing 1, a veto item, and a spare veto item nothing
    # refers to (deleted, edited or raised by the matrix).
    r["criterion"] = quality = Criterion.objects.create(
        zone=zone, code="quality", name=f"{tag}比质量"
    )
    accident = Criterion.objects.create(
        zone=zone, code="accident", name=f"{tag}重大事故", kind="veto"
    )
    r["spare"] = Criterion.objects.create(
        zone=zone, code="spare", name=f"{tag}备用否决项", kind="veto", order=9
    )
    r["criterion_weight"] = CriterionWeight.objects.create(
        stage=stage, criterion=quality, weight="1"
    )
    ScoringRules.objects.create(campaign=campaign)
    # Submitted scores on the first project (staff read them); the second waits for scores.
    done = scoring_services.assign_evaluator(evaluator=evaluator, project=project, stage=stage)
    (r["score"],) = scoring_services.save_scores(
        done, {quality: Decimal("88")}, evaluator, submit=True
    )
    r["assignment"] = scoring_services.assign_evaluator(
        evaluator=evaluator, project=project2, stage=stage
    )
    r["veto"] = scoring_services.raise_veto(done, accident, f"{tag}事故", evaluator)
    r["result"] = FinalResult.objects.get(project=project)

    # A skill contest of the district: one tier, one heat judged by the side's evaluator.
    r["skill_campaign"] = skill = f.CampaignFactory(
        organiser=org, title=f"{tag}技能大赛", kind=Campaign.Kind.SKILL
    )
    r["event"] = event = SkillEvent.objects.create(campaign=skill, trade=f"{tag}电工")
    r["tier"] = tier = Tier.objects.create(event=event, level="unit", order=1, advance_count=1)
    r["heat"] = heat = Heat.objects.create(tier=tier, name=f"{tag}选拔赛")
    HeatJudge.objects.create(heat=heat, judge=evaluator, component="practical")
    r["contestant"] = contestant = Contestant.objects.create(event=event, person=person, unit=unit)
    # Registered, not in a heat yet.
    r["contestant2"] = Contestant.objects.create(event=event, person=r["person2"], unit=unit)
    r["entry"] = HeatEntry.objects.create(heat=heat, contestant=contestant, station_number="01")

    # Honours: a draft list of a person honour (an entry waiting for its unit to nominate, one
    # over quota) and a campaign-wide unit honour in public notice with an objection; an
    # instant honour with its certificate; a summary.
    medal = HonourType.objects.get(name="五一劳动奖章")
    collective = HonourType.objects.get(name="先进集体")
    r["rule"] = rule = HonourRule.objects.create(
        campaign=campaign, zone=zone, honour_type=medal, quota=1
    )
    r["honour_list"] = draft_list = HonourList.objects.create(rule=rule)
    r["list_entry"] = HonourListEntry.objects.create(
        honour_list=draft_list, project=project, unit=unit, rank=1, score=Decimal("88")
    )
    r["over_entry"] = HonourListEntry.objects.create(
        honour_list=draft_list,
        project=project2,
        unit=unit,
        rank=1,
        score=Decimal("88"),
        over_quota=True,
    )
    pub_rule = HonourRule.objects.create(campaign=campaign, honour_type=collective, quota=2)
    r["pub_list"] = pub_list = HonourList.objects.create(
        rule=pub_rule,
        status=HonourList.Status.PUBLISHED,
        notice_start=today - datetime.timedelta(days=1),
        notice_end=today + datetime.timedelta(days=5),
        published_at=timezone.now(),
        published_by=staff,
    )
    r["pub_entry"] = pub_entry = HonourListEntry.objects.create(
        honour_list=pub_list, project=project, unit=unit, rank=1, score=Decimal("88")
    )
    r["objection"] = Objection.objects.create(
        entry=pub_entry, name=f"{tag}异议人", contact="13800000000", content=f"{tag}异议内容"
    )
    instant = awards_services.award_instant(
        campaign, collective, staff, f"{tag}即时授予", unit=unit, project=project
    )
    r["certificate"] = instant.certificate
    build = SummaryBuild.objects.create(
        campaign=campaign,
        period="month",
        period_start=datetime.date(2026, 10, 1),
        period_end=datetime.date(2026, 10, 31),
        trigger="manual",
        requested_by=staff,
    )
    r["summary"] = summaries.run_build(build.pk)
    r["notification"] = Notification.objects.create(
        user=liaison, title=f"{tag}提醒", event=f"matrix:{side}"
    )
    return Side(side, r)


def build_scoped_world() -> ScopedWorld:
    base = build_world()
    users = dict(base.users)
    users["evaluator_e"] = f.UserFactory(username="evaluator_e", role="evaluator")
    sides = {
        "W": _build_side(
            base, "W", base.west, base.unit_a, users["unit_a"], users["west"], users["evaluator"]
        ),
        "E": _build_side(
            base, "E", base.east, base.unit_b, users["unit_b"], users["east"], users["evaluator_e"]
        ),
    }
    clients = {"anonymous": Client()}
    for role in MATRIX_ROLES:
        clients[role] = Client()
        clients[role].force_login(users[role])
    return ScopedWorld(base, sides, users, clients)


@pytest.fixture(scope="module", name="scoped_world")
def scoped_world_fixture(django_db_setup, django_db_blocker, tmp_path_factory):
    """The permission matrix's world, built once per module (see the module docstring)."""
    media = tmp_path_factory.mktemp("matrix-media")
    with override_settings(MEDIA_ROOT=str(media)), django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield build_scoped_world()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
