from decimal import Decimal
from fractions import Fraction

import pytest
from django.db import IntegrityError, transaction

from skills.models import ComponentScore, Contestant, Heat, HeatEntry, SkillEvent, Tier
from skills.services import (
    advancing,
    award_prizes,
    flag_small_events,
    heat_results,
    prize_counts,
)

from .. import factories as f

THEORY = ComponentScore.Component.THEORY
PRACTICAL = ComponentScore.Component.PRACTICAL


@pytest.fixture
def event(world):
    return SkillEvent.objects.create(campaign=world.campaign, trade="电工")


def make_heat(event, level=Tier.Level.UNIT, **advance):
    tier = Tier.objects.create(event=event, level=level, **advance)
    return Heat.objects.create(tier=tier, name="第一场")


@pytest.fixture
def enter(world):
    def make(heat, station, theory=None, practical=(), seconds=600):
        """An entry with an imported theory score and one practical score per judge."""
        person = f.PersonFactory(unit=world.unit_a)
        contestant = Contestant.objects.create(
            event=heat.tier.event, person=person, unit=world.unit_a
        )
        entry = HeatEntry.objects.create(
            heat=heat, contestant=contestant, station_number=station, completion_seconds=seconds
        )
        if theory is not None:
            ComponentScore.objects.create(entry=entry, component=THEORY, value=theory)
        for value in practical:
            ComponentScore.objects.create(
                entry=entry, component=PRACTICAL, judge=f.UserFactory(), value=value
            )
        return entry

    return make


def ranks(heat):
    return {row.entry.station_number: row.rank for row in heat_results(heat)}


def test_heat_results_worked_example_3_trims_five_judges(event, enter):
    heat = make_heat(event)
    entry = enter(heat, "01", theory="92", practical=["85", "88", "90", "79", "95"])

    [row] = heat_results(heat)

    assert row.entry == entry
    assert row.theory == 92
    assert row.practical == Fraction(263, 3)  # 87.666…
    assert row.total == Fraction(3, 10) * 92 + Fraction(7, 10) * Fraction(263, 3)
    assert row.total_rounded == Decimal("88.97")
    assert row.rank == 1


def test_heat_results_worked_example_4_practical_breaks_the_tie(event, enter):
    heat = make_heat(event)
    enter(heat, "01", theory="90", practical=["80"], seconds=900)
    enter(heat, "02", theory="76", practical=["86"], seconds=900)

    rows = heat_results(heat)

    assert [(r.entry.station_number, r.total_rounded, r.rank) for r in rows] == [
        ("02", Decimal("83.00"), 1),
        ("01", Decimal("83.00"), 2),
    ]


def test_heat_results_fewer_judges_than_threshold_uses_plain_mean(event, enter):
    heat = make_heat(event)
    enter(heat, "01", theory="80", practical=["70", "80", "90", "100"])

    [row] = heat_results(heat)

    assert row.practical == 85


def test_heat_results_shorter_time_breaks_a_tie_and_missing_time_ranks_last(event, enter):
    heat = make_heat(event)
    enter(heat, "01", theory="80", practical=["90"], seconds=None)
    enter(heat, "02", theory="80", practical=["90"], seconds=700)
    enter(heat, "03", theory="80", practical=["90"], seconds=650)

    assert [r.entry.station_number for r in heat_results(heat)] == ["03", "02", "01"]
    assert ranks(heat) == {"03": 1, "02": 2, "01": 3}


def test_heat_results_equal_on_everything_share_a_rank(event, enter):
    heat = make_heat(event)
    enter(heat, "01", theory="80", practical=["90"])
    enter(heat, "02", theory="80", practical=["90"])
    enter(heat, "03", theory="70", practical=["90"])

    assert ranks(heat) == {"01": 1, "02": 1, "03": 3}


def test_heat_results_incomplete_entry_comes_last_unranked(event, enter):
    heat = make_heat(event)
    enter(heat, "01", practical=["90"])
    enter(heat, "02", theory="60", practical=["60"])

    rows = heat_results(heat)

    assert [(r.entry.station_number, r.rank, r.total) for r in rows] == [
        ("02", 1, 60),
        ("01", None, None),
    ]


def test_heat_results_custom_chain_theory_first(event, enter):
    event.tie_break = ["theory"]
    event.save()
    heat = make_heat(event)
    enter(heat, "01", theory="90", practical=["80"])
    enter(heat, "02", theory="76", practical=["86"])

    assert ranks(heat) == {"01": 1, "02": 2}


def test_advancing_tie_at_the_cut_off_all_advance(event, enter):
    heat = make_heat(event, advance_count=2)
    enter(heat, "01", theory="90", practical=["90"])
    enter(heat, "02", theory="80", practical=["80"])
    enter(heat, "03", theory="80", practical=["80"])
    enter(heat, "04", theory="70", practical=["70"])
    assert ranks(heat) == {"01": 1, "02": 2, "03": 2, "04": 4}

    assert [e.station_number for e in advancing(heat)] == ["01", "02", "03"]


def test_advancing_percent_rounds_down(event, enter):
    heat = make_heat(event, advance_percent=Decimal("50"))
    for number, score in enumerate(["95", "90", "85", "80", "75"], start=1):
        enter(heat, f"0{number}", theory=score, practical=[score])

    # 50% of 5 = 2.5 → 2 places
    assert [e.station_number for e in advancing(heat)] == ["01", "02"]


def test_advancing_small_percent_still_advances_one(event, enter):
    heat = make_heat(event, advance_percent=Decimal("10"))
    for number, score in enumerate(["95", "90", "85"], start=1):
        enter(heat, f"0{number}", theory=score, practical=[score])

    assert [e.station_number for e in advancing(heat)] == ["01"]


def test_advancing_without_a_rule_advances_nobody(event, enter):
    heat = make_heat(event)
    enter(heat, "01", theory="90", practical=["90"])

    assert advancing(heat) == []


def test_prize_counts_ten_finalists():
    shares = [["一等奖", "10"], ["二等奖", "20"], ["三等奖", "30"]]

    assert prize_counts(10, shares) == [("一等奖", 1), ("二等奖", 2), ("三等奖", 3)]


def test_prize_counts_five_finalists_at_least_one_each():
    shares = [["一等奖", "10"], ["二等奖", "20"], ["三等奖", "30"]]

    assert prize_counts(5, shares) == [("一等奖", 1), ("二等奖", 1), ("三等奖", 1)]


def test_prize_counts_zero_share_and_small_field():
    assert prize_counts(
        2, [["一等奖", "10"], ["特别奖", "0"], ["二等奖", "20"], ["三等奖", 30]]
    ) == [
        ("一等奖", 1),
        ("特别奖", 0),
        ("二等奖", 1),
        ("三等奖", 0),
    ]


def test_award_prizes_by_rank_order(event, enter):
    heat = make_heat(event, level=Tier.Level.CITY)
    for number in range(10):
        score = str(95 - number)
        enter(heat, f"{number:02d}", theory=score, practical=[score])

    awards = award_prizes(heat)

    assert [(a.entry.station_number, a.rank, a.prize) for a in awards] == [
        ("00", 1, "一等奖"),
        ("01", 2, "二等奖"),
        ("02", 3, "二等奖"),
        ("03", 4, "三等奖"),
        ("04", 5, "三等奖"),
        ("05", 6, "三等奖"),
    ]


def test_award_prizes_tie_at_a_boundary_gets_the_better_prize(event, enter):
    heat = make_heat(event, level=Tier.Level.CITY)
    scores = ["95", "90", "90", "90", "85", "80", "80", "75", "70", "65"]
    for number, score in enumerate(scores):
        enter(heat, f"{number:02d}", theory=score, practical=[score])

    awards = award_prizes(heat)

    # counts 1/2/3: ranks 2, 2, 2 straddle the second-prize places 2–3 and all get 二等奖;
    # ranks 5, 6, 6 fall within the third-prize places 4–6.
    assert [(a.rank, a.prize) for a in awards] == [
        (1, "一等奖"),
        (2, "二等奖"),
        (2, "二等奖"),
        (2, "二等奖"),
        (5, "三等奖"),
        (6, "三等奖"),
        (6, "三等奖"),
    ]


def test_theory_weight_above_cap_refused_by_database(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        SkillEvent.objects.create(campaign=world.campaign, trade="焊工", theory_weight="0.31")


def test_theory_weight_defaults_and_practical_weight_derived(event):
    assert event.theory_weight == Decimal("0.3")
    assert event.practical_weight == Decimal("0.7")
    assert event.tie_break == ["practical", "time", "theory"]


def test_tier_with_count_and_percent_refused_by_database(event):
    with pytest.raises(IntegrityError), transaction.atomic():
        Tier.objects.create(
            event=event, level=Tier.Level.UNIT, advance_count=2, advance_percent=Decimal("10")
        )


def test_second_imported_theory_score_refused_by_database(event, enter):
    heat = make_heat(event)
    entry = enter(heat, "01", theory="90")

    with pytest.raises(IntegrityError), transaction.atomic():
        ComponentScore.objects.create(entry=entry, component=THEORY, value="91")


def test_score_above_100_refused_by_database(event, enter):
    heat = make_heat(event)
    entry = enter(heat, "01")

    with pytest.raises(IntegrityError), transaction.atomic():
        ComponentScore.objects.create(entry=entry, component=THEORY, value="100.5")


def test_flag_small_events_below_min_field_size(world, event):
    big = SkillEvent.objects.create(campaign=world.campaign, trade="焊工", min_field_size=2)
    for _ in range(2):
        person = f.PersonFactory(unit=world.unit_a)
        Contestant.objects.create(event=big, person=person, unit=world.unit_a)
    person = f.PersonFactory(unit=world.unit_a)
    Contestant.objects.create(event=event, person=person, unit=world.unit_a)

    flagged = list(flag_small_events(world.campaign))

    assert flagged == [event]
    assert flagged[0].contestant_count == 1
