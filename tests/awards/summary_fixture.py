"""A small campaign whose summary figures for March 2026 are counted by hand.

The world's campaign (杭州市总工会, 2026, monthly reports due on the 5th) with two zones:

    zone 场馆建设 (Z1)                         zone 环境整治 (Z2)
    P1 西湖酒店  running (no history)           P5 滨江电力  running
    P2 滨江电力  running                        P6 单位D     withdrawn
    P3 西湖酒店  completed                      P7 单位D     approved 02-10, started 04-10
    P4 单位C     draft                          P8 单位E     declared 04-05 (after March)
                                                P9 单位E     submitted 03-15, approved 04-02

At the end of March: running P1 P2 P5, completed P3, approved P7 (started only in April),
submitted P9, draft P4, withdrawn P6; P8 did not exist. Taking part (approved, running,
completed): P1 P2 P3 P5 P7 → 5 projects of units 西湖酒店, 滨江电力, 单位D → 3 units.

Reports (February's are due on March 5; March's on April 5, after the build day April 1):

    project  February (due 03-05)          March (period ends in March)
    P1       accepted, on time, 100 wkrs    submitted: 120 workers, 3 proposals 2000.25 yuan,
                                            0 innov., 5 trained, dangers 2/2, 1 incident, 0 qual.
    P2       submitted late, 60 workers     accepted: 80 workers, 1 proposal 500.00, 2 innov.,
                                            20 trained, dangers 1/0, 0 incidents, 2 quality
    P3       never submitted → missing      returned (999 workers, 50 proposals: not counted)
    P5       returned                       still due (not counted)
    P7       accepted, on time, 35 workers  accepted: 30 workers, 4 proposals 100.00, 1 innov.
             (January: accepted, 40 workers, 7 proposals: outside March)

Results: Z1's only stage locked on March 20; final results P1 90.00 #1, P2 85.00 #2,
P3 80.00 #3, P4 vetoed. Z2 not locked (P5's result #1 does not count).

Honours: 先进集体 in Z1 confirmed 03-25 with P1 西湖酒店 (and 滨江电力, removed); 先进个人 over
the campaign confirmed 02-20 with P5's leader; a 先进集体 list in Z2 still a draft; an instant
工人先锋号 for P5's team on 03-10 and another on 04-03 (after March).
"""

import datetime
from decimal import Decimal

from django.utils import timezone

from awards.models import HonourList, HonourListEntry, HonourRule, HonourType, InstantHonour
from competitions.models import ProgressReport, Project, ProjectTransition, Zone
from scoring.models import FinalResult, StageLock

from .. import factories as f

MARCH = (datetime.date(2026, 3, 1), datetime.date(2026, 3, 31))
BUILD_DAY = datetime.date(2026, 4, 1)


def at(day: str) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.fromisoformat(day + "T10:00"))


def _report(project, month, status, late=False, **figures):
    start = datetime.date(2026, month, 1)
    following = datetime.date(2026, month + 1, 1)
    filed = status in ("submitted", "accepted")
    return ProgressReport.objects.create(
        project=project,
        period_start=start,
        period_end=following - datetime.timedelta(days=1),
        due_date=following.replace(day=5),
        status=status,
        late=late,
        actual_percent=Decimal(50) if status != "due" else None,
        first_submitted_at=at(f"2026-{month + 1:02d}-0{7 if late else 3}") if filed else None,
        **figures,
    )


def _steps(project, *steps):
    for day, old, new in steps:
        step = ProjectTransition.objects.create(
            project=project, action="step", from_status=old, to_status=new
        )
        ProjectTransition.objects.filter(pk=step.pk).update(created_at=at(day))


def _honour_type(name, recipient):
    # Seeded by a migration; a transactional test's flush removes them, so create if need be.
    honour_type, _created = HonourType.objects.get_or_create(
        name=name, level="city", defaults={"recipient": recipient}
    )
    return honour_type


def build(world) -> dict:
    z1 = world.zone
    z2 = Zone.objects.create(campaign=world.campaign, name="环境整治", order=2)
    unit_c = f.UnitFactory(name="单位C", organisation=world.west)
    unit_d = f.UnitFactory(name="单位D", organisation=world.east)
    unit_e = f.UnitFactory(name="单位E", organisation=world.east)
    p = {"P1": world.project_a, "P2": world.project_b}
    p["P3"] = f.ProjectFactory(zone=z1, unit=world.unit_a, title="P3", status="completed")
    p["P4"] = f.ProjectFactory(zone=z1, unit=unit_c, title="P4", status="draft")
    p["P5"] = f.ProjectFactory(zone=z2, unit=world.unit_b, title="P5", status="running")
    p["P6"] = f.ProjectFactory(zone=z2, unit=unit_d, title="P6", status="withdrawn")
    p["P7"] = f.ProjectFactory(zone=z2, unit=unit_d, title="P7", status="running")
    p["P8"] = f.ProjectFactory(zone=z2, unit=unit_e, title="P8", status="running")
    p["P9"] = f.ProjectFactory(zone=z2, unit=unit_e, title="P9", status="approved")
    Project.objects.filter(pk__in=[x.pk for x in p.values()]).update(created_at=at("2026-01-10"))
    Project.objects.filter(pk=p["P8"].pk).update(created_at=at("2026-04-05"))
    _steps(
        p["P7"],
        ("2026-01-20", "draft", "submitted"),
        ("2026-02-10", "submitted", "approved"),
        ("2026-04-10", "approved", "running"),
    )
    _steps(p["P9"], ("2026-03-15", "draft", "submitted"), ("2026-04-02", "submitted", "approved"))

    _report(p["P1"], 2, "accepted", workers=100, proposals=2, proposals_benefit="1000.50")
    _report(
        p["P1"],
        3,
        "submitted",
        workers=120,
        proposals=3,
        proposals_benefit="2000.25",
        people_trained=5,
        hidden_dangers_found=2,
        hidden_dangers_fixed=2,
        safety_incidents=1,
    )
    _report(p["P2"], 2, "submitted", late=True, workers=60, proposals=1)
    _report(
        p["P2"],
        3,
        "accepted",
        workers=80,
        proposals=1,
        proposals_benefit="500.00",
        innovations=2,
        people_trained=20,
        hidden_dangers_found=1,
        quality_issues=2,
    )
    _report(p["P3"], 2, "due")
    _report(p["P3"], 3, "returned", workers=999, proposals=50)
    _report(p["P5"], 2, "returned", workers=70)
    _report(p["P5"], 3, "due")
    _report(p["P7"], 1, "accepted", workers=40, proposals=7)
    _report(p["P7"], 2, "accepted", workers=35)
    _report(
        p["P7"], 3, "accepted", workers=30, proposals=4, proposals_benefit="100.00", innovations=1
    )

    lock = StageLock.objects.create(zone=z1, stage=world.stage)
    StageLock.objects.filter(pk=lock.pk).update(locked_at=at("2026-03-20"))
    for key, score, rank, vetoed in (
        ("P1", "90.00", 1, False),
        ("P2", "85.00", 2, False),
        ("P3", "80.00", 3, False),
        ("P4", "95.00", None, True),
    ):
        FinalResult.objects.create(
            project=p[key], zone=z1, score=score, rank=rank, complete=True, vetoed=vetoed
        )
    FinalResult.objects.create(project=p["P5"], zone=z2, score="99", rank=1, complete=True)

    collective = _honour_type("先进集体", "unit")
    individual = _honour_type("先进个人", "person")
    pioneer = _honour_type("工人先锋号", "team")
    leader = f.PersonFactory(unit=world.unit_b, name="王五")
    team = f.TeamFactory(unit=world.unit_b, name="保电班组")

    def confirmed_list(rule, day):
        return HonourList.objects.create(
            rule=rule, status=HonourList.Status.CONFIRMED, version=1, confirmed_at=at(day)
        )

    z1_list = confirmed_list(
        HonourRule.objects.create(
            campaign=world.campaign, zone=z1, honour_type=collective, quota=2
        ),
        "2026-03-25",
    )
    HonourListEntry.objects.create(honour_list=z1_list, project=p["P1"], unit=world.unit_a)
    HonourListEntry.objects.create(
        honour_list=z1_list,
        project=p["P2"],
        unit=world.unit_b,
        removed_at=at("2026-03-26"),
        removal_reason="核查不实",
    )
    people_list = confirmed_list(
        HonourRule.objects.create(campaign=world.campaign, honour_type=individual, quota=1),
        "2026-02-20",
    )
    HonourListEntry.objects.create(
        honour_list=people_list, project=p["P5"], unit=world.unit_b, person=leader
    )
    draft = HonourList.objects.create(
        rule=HonourRule.objects.create(
            campaign=world.campaign, zone=z2, honour_type=collective, quota=1
        )
    )
    HonourListEntry.objects.create(honour_list=draft, project=p["P7"], unit=unit_d)
    for day in ("2026-03-10", "2026-04-03"):
        honour = InstantHonour.objects.create(
            campaign=world.campaign,
            honour_type=pioneer,
            unit=world.unit_b,
            team=team,
            project=p["P5"],
            reason="抢修保电",
            awarded_by=world.users["city"],
        )
        InstantHonour.objects.filter(pk=honour.pk).update(awarded_at=at(day))
    return {"zones": (z1, z2), "projects": p, "types": (collective, individual, pioneer)}
