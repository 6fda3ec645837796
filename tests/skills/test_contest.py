"""Running a contest through the services: registration, heats, marks, theory import, lock
with advancement into the next tier, prizes in the final, unlock."""

import random
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from competitions.models import Campaign
from skills import services
from skills.models import ComponentScore, HeatEntry, HeatJudge, HeatLogEntry

from .. import factories as f
from .conftest import mark


@pytest.fixture(autouse=True)
def english():
    """The refusals are matched in English here (their Chinese is checked by the pages)."""
    with translation.override("en"):
        yield


def test_unit_registers_own_people_only(world, contest):
    own = f.PersonFactory(unit=world.unit_a, name="新选手")
    other = f.PersonFactory(unit=world.unit_b, name="别家选手")

    contestant = services.register(contest.event, own, world.users["unit_a"])

    assert contestant.unit == world.unit_a
    with pytest.raises(PermissionDenied):
        services.register(contest.event, other, world.users["unit_a"])
    with pytest.raises(ValidationError, match="already registered"):
        services.register(contest.event, own, world.users["city"])


def test_registration_needs_an_open_skill_campaign(world, contest):
    person = f.PersonFactory(unit=world.unit_a)
    contest.campaign.status = Campaign.Status.CLOSED
    contest.campaign.save()
    with pytest.raises(ValidationError):
        services.register(contest.event, person, world.users["unit_a"])
    contest.campaign.status = Campaign.Status.ACTIVE
    contest.campaign.kind = Campaign.Kind.LABOUR
    contest.campaign.save()
    with pytest.raises(ValidationError):
        services.register(contest.event, person, world.users["unit_a"])


def test_evaluators_and_other_districts_cannot_register(world, contest):
    person = f.PersonFactory(unit=world.unit_a)
    with pytest.raises(PermissionDenied):
        services.register(contest.event, person, world.users["evaluator"])
    with pytest.raises(PermissionDenied):
        services.register(contest.event, person, world.users["east"])


def test_entering_gives_next_station_numbers_and_one_heat_per_tier(world, contest):
    person = f.PersonFactory(unit=world.unit_a)
    newcomer = services.register(contest.event, person, world.users["unit_a"])

    [entry] = services.enter_contestants(contest.heat_a, [newcomer], world.users["city"])

    assert entry.station_number == "05"
    with pytest.raises(ValidationError, match="another heat of this tier"):
        services.enter_contestants(contest.heat_b, [newcomer], world.users["city"])
    with pytest.raises(PermissionDenied):
        services.enter_contestants(contest.heat_a, [newcomer], world.users["unit_a"])


def test_draw_shuffles_station_numbers_until_judging_starts(world, contest):
    staff = world.users["city"]
    services.draw_station_numbers(contest.heat_a, staff, rng=random.Random(3))

    numbers = sorted(contest.heat_a.entries.values_list("station_number", flat=True))
    assert numbers == ["01", "02", "03", "04"]
    services.save_marks(contest.heat_a, contest.judge1, "practical", {contest.entries_a[0]: 80})
    with pytest.raises(ValidationError, match="Judging has started"):
        services.draw_station_numbers(contest.heat_a, staff)


def test_marks_are_checked_and_saved_all_or_nothing(contest):
    heat, judge = contest.heat_a, contest.judge1
    first, second = contest.entries_a[:2]

    with pytest.raises(ValidationError) as refused:
        services.save_marks(heat, judge, "practical", {first: "88", second: "101"})
    assert "02" in refused.value.message_dict
    assert not ComponentScore.objects.exists()

    assert services.save_marks(heat, judge, "practical", {first: "88.5", second: 70}) == 2
    assert services.save_marks(heat, judge, "practical", {first: "90", second: ""}) == 1
    assert list(ComponentScore.objects.values_list("value", flat=True)) == [Decimal("90")]


def test_only_the_heats_judges_mark_their_component(contest):
    stranger = f.UserFactory(role="evaluator")
    entry = contest.entries_a[0]
    with pytest.raises(PermissionDenied):
        services.save_marks(contest.heat_a, stranger, "practical", {entry: 80})
    with pytest.raises(PermissionDenied):
        services.save_marks(contest.heat_a, contest.judge1, "theory", {entry: 80})
    with pytest.raises(ValidationError):
        services.save_marks(contest.heat_a, contest.judge1, "practical", {contest.entries_b[0]: 80})


def test_theory_import_reports_every_bad_row_and_saves_nothing(world, contest):
    staff = world.users["city"]
    rows = [(2, "01", "92"), (3, "09", "80"), (4, "01", "70"), (5, "02", "abc"), (6, "03", "101")]

    with pytest.raises(ValidationError) as refused:
        services.import_theory(contest.heat_a, staff, rows)

    text = " ".join(refused.value.messages)
    for row in ("3", "4", "5", "6"):
        assert f"Row {row}" in text
    assert not ComponentScore.objects.exists()
    assert services.import_theory(contest.heat_a, staff, [(2, "01", "92"), (3, "02", "80")]) == 2
    # A second sheet replaces the imported scores.
    services.import_theory(contest.heat_a, staff, [(2, "01", "90")])
    assert ComponentScore.objects.get(entry=contest.entries_a[0]).value == 90


def test_theory_import_refused_where_judges_mark_theory(world, contest):
    HeatJudge.objects.create(heat=contest.heat_a, judge=contest.judge1, component="theory")
    with pytest.raises(ValidationError):
        services.import_theory(contest.heat_a, world.users["city"], [(2, "01", "90")])


def test_lock_needs_complete_marking(world, contest):
    staff = world.users["city"]
    services.import_theory(contest.heat_a, staff, [(2, "01", "90")])
    services.save_marks(contest.heat_a, contest.judge1, "practical", {contest.entries_a[0]: 80})

    progress = services.marking_progress(contest.heat_a)
    assert (progress.entries, progress.expected, progress.given) == (4, 12, 2)
    assert progress.missing == ["01", "02", "03", "04"]
    with pytest.raises(ValidationError, match="01、02、03、04"):
        services.lock_heat(contest.heat_a, staff)
    assert contest.heat_a.entries.filter(rank__isnull=False).count() == 0


def lock_unit_heat_a(world, contest, practical=None):
    mark(
        contest,
        contest.heat_a,
        contest.entries_a,
        theory=["90", "80", "70", "60"],
        practical=practical or [("80", "82"), ("90", "90"), ("70", "72"), ("95", "93")],
        seconds=[600, 620, 640, 660],
    )
    return services.lock_heat(contest.heat_a, world.users["city"])


def stored(heat):
    return {
        e.station_number: (e.total, e.rank, e.advanced, e.prize)
        for e in HeatEntry.objects.filter(heat=heat)
    }


def test_lock_stores_results_and_enters_the_top_two_into_the_final(world, contest):
    outcome = lock_unit_heat_a(world, contest)

    # total = 0.3 × theory + 0.7 × mean of the two practical marks
    assert stored(contest.heat_a) == {
        "01": (Decimal("83.70"), 3, False, ""),
        "02": (Decimal("87.00"), 1, True, ""),
        "03": (Decimal("70.70"), 4, False, ""),
        "04": (Decimal("83.80"), 2, True, ""),
    }
    assert outcome.target == contest.final
    assert [e.station_number for e in outcome.advanced] == ["02", "04"]
    final = contest.final.entries.order_by("station_number")
    assert [(e.station_number, e.contestant.person.name) for e in final] == [
        ("01", "林二"),
        ("02", "吴四"),
    ]
    assert HeatLogEntry.objects.get(heat=contest.heat_a).action == "lock"
    with pytest.raises(ValidationError, match="locked"):
        services.save_marks(contest.heat_a, contest.judge1, "practical", {contest.entries_a[0]: 10})
    with pytest.raises(ValidationError, match="already locked"):
        services.lock_heat(contest.heat_a, world.users["city"])


def test_ties_at_the_cut_off_all_advance(world, contest):
    # 01 and 03 tie on total, practical and time for the second place: both advance.
    mark(
        contest,
        contest.heat_a,
        contest.entries_a,
        theory=["80", "90", "80", "60"],
        practical=[("90", "90"), ("95", "95"), ("90", "90"), ("70", "70")],
        seconds=[600, 600, 600, 600],
    )
    outcome = services.lock_heat(contest.heat_a, world.users["city"])

    assert [(e.station_number, e.rank) for e in outcome.advanced] == [
        ("02", 1),
        ("01", 2),
        ("03", 2),
    ]
    assert contest.final.entries.count() == 3


def test_next_tier_heat_is_created_when_the_tier_has_none(world, contest):
    contest.final.delete()

    outcome = lock_unit_heat_a(world, contest)

    assert outcome.target.tier == contest.city_tier
    assert outcome.target.entries.count() == 2


def test_advances_to_sends_contestants_to_the_chosen_heat(world, contest):
    other = contest.city_tier.heats.create(name="市级决赛二组")
    contest.heat_a.advances_to = other
    contest.heat_a.save()

    outcome = lock_unit_heat_a(world, contest)

    assert outcome.target == other
    assert not contest.final.entries.exists()


def test_final_lock_stores_prizes_and_hands_finalists_to_honours(world, contest):
    lock_unit_heat_a(world, contest)
    final = list(contest.final.entries.order_by("station_number"))
    for judge in (contest.judge1, contest.judge2):
        HeatJudge.objects.create(heat=contest.final, judge=judge, component="practical")
    mark(contest, contest.final, final, theory=["80", "90"], practical=[("80", "80"), ("90", "90")])
    outcome = services.lock_heat(contest.final, world.users["city"])

    # Two finalists at 10/20/30 %: one first prize, one second prize (at least one each).
    assert [(a.entry.station_number, a.prize) for a in outcome.awards] == [
        ("02", "一等奖"),
        ("01", "二等奖"),
    ]
    assert outcome.target is None and outcome.advanced == []
    finalists = services.finalists(contest.campaign)
    assert [(e.contestant.person.name, e.rank, e.prize) for e in finalists] == [
        ("吴四", 1, "一等奖"),
        ("林二", 2, "二等奖"),
    ]


def test_unlock_needs_a_reason_and_takes_advancing_contestants_back(world, contest):
    staff = world.users["city"]
    lock_unit_heat_a(world, contest)

    with pytest.raises(ValidationError):
        services.unlock_heat(contest.heat_a, staff, "  ")
    services.unlock_heat(contest.heat_a, staff, "评分录入有误")

    assert not contest.final.entries.exists()
    assert set(stored(contest.heat_a).values()) == {(None, None, False, "")}
    assert contest.heat_a.log.first().reason == "评分录入有误"
    services.save_marks(contest.heat_a, contest.judge1, "practical", {contest.entries_a[0]: 81})


def test_unlock_refused_once_the_next_tier_has_marked_them(world, contest):
    staff = world.users["city"]
    lock_unit_heat_a(world, contest)
    HeatJudge.objects.create(heat=contest.final, judge=contest.judge1, component="practical")
    entry = contest.final.entries.first()
    services.save_marks(contest.final, contest.judge1, "practical", {entry: 80})

    with pytest.raises(ValidationError, match="next tier"):
        services.unlock_heat(contest.heat_a, staff, "重新评分")
    assert contest.heat_a.entries.filter(advanced=True).count() == 2


def test_only_the_campaign_office_locks(world, contest):
    lock = services.lock_heat
    with pytest.raises(PermissionDenied):
        lock(contest.heat_a, world.users["west"])
    with pytest.raises(PermissionDenied):
        lock(contest.heat_a, contest.judge1)


def test_unlock_takes_back_contestants_sent_past_the_next_tier(world, contest):
    # unit → district → city, with heat A sending its best straight to the city final.
    district = contest.event.tiers.create(level="district", order=1, advance_count=1)
    contest.unit_tier.order = 0
    contest.unit_tier.save()
    district.heats.create(name="区级赛")
    contest.heat_a.advances_to = contest.final
    contest.heat_a.save()

    outcome = lock_unit_heat_a(world, contest)
    assert outcome.target == contest.final and contest.final.entries.count() == 2
    services.unlock_heat(contest.heat_a, world.users["city"], "重新评分")

    assert not contest.final.entries.exists()


def test_nobody_advances_from_the_last_tier_even_with_an_advance_rule(world, contest):
    contest.city_tier.advance_count = 1
    contest.city_tier.save()
    lock_unit_heat_a(world, contest)
    final = list(contest.final.entries.order_by("station_number"))
    for judge in (contest.judge1, contest.judge2):
        HeatJudge.objects.create(heat=contest.final, judge=judge, component="practical")
    mark(contest, contest.final, final, theory=["80", "90"], practical=[("80", "80"), ("90", "90")])

    outcome = services.lock_heat(contest.final, world.users["city"])

    assert outcome.advanced == [] and not contest.final.entries.filter(advanced=True).exists()
    assert [a.prize for a in outcome.awards] == ["一等奖", "二等奖"]
