"""Automatic evaluator assignment: balance, conflict of interest, shortfalls, idempotence,
all in a constant number of queries."""

from collections import Counter

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from competitions.models import Project
from scoring.models import EvaluatorAssignment, StageLock
from scoring.rules import conflict_of_interest
from scoring.services import auto_assign

from .. import factories as f


def entries(zone, organisation, count):
    return [
        f.ProjectFactory(zone=zone, unit=f.UnitFactory(organisation=organisation))
        for _ in range(count)
    ]


def evaluators(count, **fields):
    return [f.UserFactory(role="evaluator", **fields) for _ in range(count)]


def loads(pool, zone, stage):
    counted = Counter(
        EvaluatorAssignment.objects.filter(
            stage=stage, project__zone=zone, evaluator__in=pool
        ).values_list("evaluator_id", flat=True)
    )
    return [counted[e.pk] for e in pool]


def per_entry_counts(zone, stage):
    counted = Counter(
        EvaluatorAssignment.objects.filter(stage=stage, project__zone=zone).values_list(
            "project_id", flat=True
        )
    )
    return {p.pk: counted[p.pk] for p in Project.objects.filter(zone=zone)}


def test_auto_assign_gives_every_entry_n_evaluators_with_balanced_loads(world):
    entries(world.zone, world.west, 6)
    entries(world.zone, world.east, 6)
    pool = evaluators(5)  # no union or unit: no conflict anywhere
    report = auto_assign(world.zone, world.stage, pool, 2, world.users["city"])

    counts = per_entry_counts(world.zone, world.stage)
    assert set(counts.values()) == {2}
    # project_a had the world's evaluator already: it counts, one place fewer to fill.
    assert len(report.created) == 14 * 2 - 1
    assert report.shortfalls == []
    assert report.entries == 14
    pool_loads = loads(pool, world.zone, world.stage)
    assert max(pool_loads) - min(pool_loads) <= 1
    assert sum(pool_loads) == 27


def test_auto_assign_balances_against_assignments_that_exist(world):
    entries(world.zone, world.west, 4)  # 6 entries in all
    busy, free = evaluators(2)
    for project in Project.objects.filter(zone=world.zone)[:3]:
        EvaluatorAssignment.objects.create(evaluator=busy, project=project, stage=world.stage)
    auto_assign(world.zone, world.stage, [busy, free], 1, world.users["city"])
    # The two entries without an evaluator (project_a has one) go to the idle evaluator.
    assert loads([busy, free], world.zone, world.stage) == [3, 2]


def test_auto_assign_never_breaks_conflict_of_interest(world):
    entries(world.zone, world.west, 5)
    entries(world.zone, world.east, 5)
    west_unit = Project.objects.filter(unit__organisation=world.west).first().unit
    pool = [
        *evaluators(2, organisation=world.west),
        *evaluators(2, organisation=world.east),
        f.UserFactory(role="evaluator", unit=west_unit),
        f.UserFactory(role="evaluator", organisation=world.city),  # above every unit
    ]
    report = auto_assign(world.zone, world.stage, pool, 2, world.users["city"])

    created = EvaluatorAssignment.objects.filter(
        stage=world.stage, evaluator__in=pool
    ).select_related("evaluator__organisation", "project__unit__organisation")
    assert created.count() == len(report.created) > 0
    for assignment in created:
        assert conflict_of_interest(assignment.evaluator, assignment.project) == ""
    assert not EvaluatorAssignment.objects.filter(evaluator=pool[-1]).exists()
    assert report.shortfalls == []  # west entries draw on the east evaluators, and back


def test_auto_assign_reports_the_entries_left_short_and_why(world):
    west_entries = entries(world.zone, world.west, 3)
    west_evaluator = f.UserFactory(role="evaluator", organisation=world.west)
    anyone = f.UserFactory(role="evaluator")
    with translation.override("en"):
        report = auto_assign(
            world.zone, world.stage, [west_evaluator, anyone], 2, world.users["city"]
        )

    short = {s.project.pk: s for s in report.shortfalls}
    # Only ``anyone`` may score the west entries. project_a (a west unit too) had the
    # world's evaluator already, so ``anyone`` completes it.
    assert set(short) == {p.pk for p in west_entries}
    for project in west_entries:
        shortfall = short[project.pk]
        assert (shortfall.assigned, shortfall.missing) == (1, 1)
        assert [e for e, _reason in shortfall.conflicts] == [west_evaluator]
        assert "1 have a conflict of interest" in shortfall.reason
    counts = per_entry_counts(world.zone, world.stage)
    assert counts[world.project_a.pk] == counts[world.project_b.pk] == 2
    assert all(counts[p.pk] == 1 for p in west_entries)


def test_auto_assign_twice_adds_nothing(world):
    entries(world.zone, world.east, 4)
    pool = evaluators(3, organisation=world.west)
    first = auto_assign(world.zone, world.stage, pool, 2, world.users["city"])
    before = list(EvaluatorAssignment.objects.order_by("pk").values_list("pk", flat=True))
    second = auto_assign(world.zone, world.stage, pool, 2, world.users["city"])
    assert first.created and second.created == []
    assert list(EvaluatorAssignment.objects.order_by("pk").values_list("pk", flat=True)) == before
    # What was short stays reported, nothing more.
    assert [s.project.pk for s in second.shortfalls] == [s.project.pk for s in first.shortfalls]


def test_auto_assign_writes_the_audit_trail(world):
    entries(world.zone, world.east, 2)
    pool = evaluators(2)
    report = auto_assign(world.zone, world.stage, pool, 1, world.users["city"])
    logged = LogEntry.objects.get_for_model(EvaluatorAssignment).filter(
        actor=world.users["city"], action=LogEntry.Action.CREATE
    )
    assert sorted(int(e.object_pk) for e in logged) == sorted(a.pk for a in report.created)


@pytest.mark.parametrize("who", ["west", "east", "unit_a", "evaluator", "norole"])
def test_auto_assign_refused_outside_the_campaigns_office(world, who):
    with pytest.raises(PermissionDenied):
        auto_assign(world.zone, world.stage, evaluators(1), 1, world.users[who])
    assert EvaluatorAssignment.objects.count() == 1  # the world's own


def test_auto_assign_refused_when_locked_or_asked_wrongly(world):
    staff = world.users["city"]
    pool = evaluators(2)
    with pytest.raises(ValidationError):
        auto_assign(world.zone, world.stage, pool, 0, staff)
    with pytest.raises(ValidationError):
        auto_assign(world.zone, world.stage, [], 1, staff)
    with pytest.raises(ValidationError):  # not an evaluator
        auto_assign(world.zone, world.stage, [*pool, world.users["unit_a"]], 1, staff)
    inactive = f.UserFactory(role="evaluator", is_active=False)
    with pytest.raises(ValidationError):
        auto_assign(world.zone, world.stage, [*pool, inactive], 1, staff)
    other_stage = f.StageFactory(campaign=f.CampaignFactory(organiser=world.city))
    with pytest.raises(ValidationError):
        auto_assign(world.zone, other_stage, pool, 1, staff)
    StageLock.objects.create(zone=world.zone, stage=world.stage, locked_by=staff)
    with pytest.raises(ValidationError):
        auto_assign(world.zone, world.stage, pool, 1, staff)
    assert EvaluatorAssignment.objects.count() == 1


def test_auto_assign_queries_do_not_grow_with_the_entries(world):
    pool = [*evaluators(2, organisation=world.west), *evaluators(2)]
    small = f.ZoneFactory(campaign=world.campaign)
    large = f.ZoneFactory(campaign=world.campaign)
    entries(small, world.west, 3)
    entries(small, world.east, 2)
    entries(large, world.west, 15)
    entries(large, world.east, 15)
    ContentType.objects.get_for_model(EvaluatorAssignment)  # cached from here on
    counts = []
    for zone in (small, large):
        # Fresh instances, as a page would load them.
        zone = type(zone).objects.get(pk=zone.pk)
        stage = type(world.stage).objects.get(pk=world.stage.pk)
        with CaptureQueriesContext(connection) as captured:
            # 2 per entry stays within one batch of audit entries on SQLite (999 parameters).
            report = auto_assign(zone, stage, pool, 2, world.users["city"])
        assert len(report.created) == 2 * report.entries
        counts.append(len(captured))
    assert counts[0] == counts[1], counts
