"""The public results board of a skill event and the explanation of an entry's result."""

import re
from decimal import Decimal
from fractions import Fraction

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from skills import explain, services
from skills.models import ComponentScore, Contestant, Heat, HeatEntry, HeatJudge, SkillEvent, Tier
from skills.services import Progress

from .. import factories as f
from .conftest import mark

HEAT_A_NAMES = ["陈一", "林二", "周三", "吴四"]
HEAT_B_NAMES = ["郑五", "孙六"]


def english(client: Client) -> Client:
    client.cookies["django_language"] = "en"
    return client


def staff_of(contest):
    return contest.campaign.organiser.users.get(username="city")


def board_url(event, **query):
    url = reverse("skills:board", args=[event.pk])
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return url


def explain_url(entry):
    return reverse("skills:explain", args=[entry.pk])


def lock_heat_a(contest):
    """陈一 87.00 first, 林二 and 周三 80.00 equal on everything (shared 2nd), 吴四
    fourth (69.30); the top 2 advance, so with the tie at the cut-off three do."""
    mark(
        contest,
        contest.heat_a,
        contest.entries_a,
        theory=["80", "80", "80", "70"],
        practical=[("90", "90"), ("80", "80"), ("80", "80"), ("68", "70")],
    )
    return services.lock_heat(contest.heat_a, staff_of(contest))


def partly_mark_heat_b(contest):
    """Theory imported for both; station 01 fully marked, 02 lacks judge2's mark."""
    staff = staff_of(contest)
    services.import_theory(contest.heat_b, staff, [(2, "01", "75"), (3, "02", "85")])
    one, two = contest.entries_b
    services.save_marks(contest.heat_b, contest.judge1, "practical", {one: "70", two: "95"})
    services.save_marks(contest.heat_b, contest.judge2, "practical", {one: "72"})


def example_3_final(contest):
    """SCORING.md example 3 in a heat of the last tier: theory 92 imported, practical from five
    judges 85, 88, 90, 79, 95; locked."""
    staff = staff_of(contest)
    heat = Heat.objects.create(tier=contest.city_tier, name="示例三")
    judges = [
        f.UserFactory(username=f"p{n}", role="evaluator", display_name=f"裁判员{n}号")
        for n in range(1, 6)
    ]
    for judge in judges:
        HeatJudge.objects.create(heat=heat, judge=judge, component="practical")
    person = f.PersonFactory(unit=contest.entries_a[0].contestant.unit, name="沈示例")
    contestant = Contestant.objects.create(event=contest.event, person=person, unit=person.unit)
    [entry] = services.enter_contestants(heat, [contestant], staff)
    services.import_theory(heat, staff, [(2, entry.station_number, "92")])
    for judge, value in zip(judges, ["85", "88", "90", "79", "95"], strict=True):
        services.save_marks(heat, judge, "practical", {entry: value})
    services.lock_heat(heat, staff)
    entry.refresh_from_db()
    return entry


# --- The board ---------------------------------------------------------------------------


def test_board_shows_locked_results_and_no_name_of_a_heat_being_marked(contest):
    lock_heat_a(contest)
    partly_mark_heat_b(contest)

    response = Client().get(board_url(contest.event))

    assert response.status_code == 200
    page = response.content.decode()
    for name in HEAT_A_NAMES:
        assert name in page
    for name in HEAT_B_NAMES:
        assert name not in page
    # Stored results of heat A: rank, station, total, and the three who advanced.
    assert "87.00" in page and "80.00" in page and "69.00" in page
    assert page.count('class="mark mark-advanced"') == 3
    # Heat B shows only its progress: station 01 fully marked, 02 not; none of its scores.
    section = re.search(
        rf'id="heat-{contest.heat_b.pk}".*?</article>', page, flags=re.DOTALL
    ).group(0)
    assert 'data-state="marking"' in section
    assert 'data-marked="1" data-entries="2"' in section
    assert "95" not in section and "85" not in section
    # Rows link to the explanation; the page loads the refresh script, no inline script.
    assert explain_url(contest.entries_a[0]) in page
    assert "js/live-region.js" in page
    assert "<script>" not in page and "<script >" not in page
    assert "set_language" not in page  # no language switch on the hall screen


def test_board_orders_latest_tier_first_and_the_heat_being_marked_before_locked_ones(contest):
    lock_heat_a(contest)
    Heat.objects.filter(pk=contest.heat_b.pk).update(locked_at=None)

    page = Client().get(board_url(contest.event)).content.decode()

    final = page.index(f'id="heat-{contest.final.pk}"')
    heat_b = page.index(f'id="heat-{contest.heat_b.pk}"')
    heat_a = page.index(f'id="heat-{contest.heat_a.pk}"')
    assert final < heat_b < heat_a


def test_board_locked_heats_most_recent_first(contest):
    lock_heat_a(contest)
    mark(
        contest,
        contest.heat_b,
        contest.entries_b,
        theory=["60", "70"],
        practical=[("60", "60"), ("70", "70")],
    )
    services.lock_heat(contest.heat_b, staff_of(contest))
    Heat.objects.filter(pk=contest.heat_a.pk).update(
        locked_at=timezone.now() - timezone.timedelta(hours=1)
    )

    page = Client().get(board_url(contest.event)).content.decode()

    assert page.index(f'id="heat-{contest.heat_b.pk}"') < page.index(
        f'id="heat-{contest.heat_a.pk}"'
    )
    for name in HEAT_A_NAMES + HEAT_B_NAMES:
        assert name in page


def test_board_fragment_is_the_results_region_only(contest):
    lock_heat_a(contest)

    response = english(Client()).get(board_url(contest.event, fragment=1))

    assert response.status_code == 200
    page = response.content.decode()
    assert "<html" not in page and "<body" not in page
    assert "board-results" not in page  # the region itself stays on the page
    assert re.search(r'data-updated="Updated at \d\d:\d\d:\d\d"', page)
    assert "陈一" in page and "87.00" in page
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.parametrize(("every", "seconds"), [("1", 1), ("30", 30), ("0", 15), ("x", 15)])
def test_board_refresh_interval_from_the_query_string(contest, every, seconds):
    page = Client().get(board_url(contest.event, every=every)).content.decode()

    assert f'data-refresh-seconds="{seconds}"' in page


def test_board_404_for_an_unknown_event(db):
    assert Client().get(reverse("skills:board", args=[999999])).status_code == 404


def test_board_completion_time_as_minutes_and_seconds(contest):
    mark(
        contest,
        contest.heat_b,
        contest.entries_b,
        theory=["60", "70"],
        practical=[("60", "60"), ("70", "70")],
        seconds=[754, 3605],
    )
    services.lock_heat(contest.heat_b, staff_of(contest))

    page = Client().get(board_url(contest.event)).content.decode()

    assert "12:34" in page and "60:05" in page
    contest.entries_b[0].completion_seconds = 59
    assert contest.entries_b[0].completion_time == "00:59"


def test_progress_of_many_heats_equals_marking_progress(contest):
    partly_mark_heat_b(contest)
    staff = staff_of(contest)
    services.import_theory(contest.heat_a, staff, [(2, "01", "80"), (3, "03", "70")])
    services.save_marks(
        contest.heat_a, contest.judge1, "practical", {e: "80" for e in contest.entries_a}
    )
    services.save_marks(contest.heat_a, contest.judge2, "practical", {contest.entries_a[0]: "81"})
    # A heat with theory judges too, and an empty heat.
    theory_heat = Heat.objects.create(tier=contest.unit_tier, name="理论评分场")
    HeatJudge.objects.create(heat=theory_heat, judge=contest.judge1, component="theory")
    entry = HeatEntry.objects.create(
        heat=theory_heat, contestant=contest.entries_a[0].contestant, station_number="01"
    )
    ComponentScore.objects.create(entry=entry, component="practical", value="80")
    heats = [contest.heat_a, contest.heat_b, contest.final, theory_heat]

    with CaptureQueriesContext(connection) as queries:
        progress = services.progress_of(h.pk for h in heats)

    assert len(queries) == 3
    # heat A: theory imported for 01 and 03; judge1 marked all four, judge2 only 01.
    assert progress[contest.heat_a.pk] == Progress(4, 12, 7, ["02", "03", "04"])
    assert progress[contest.final.pk] == Progress(0, 0, 0, [])
    # A theory judge who has not marked; a practical mark without practical judges counts.
    assert progress[theory_heat.pk] == Progress(1, 2, 1, ["01"])
    for heat in heats:
        assert progress[heat.pk] == services.marking_progress(heat), heat.name


def _event_with(world, n_heats, n_entries):
    """An event with ``n_heats`` locked heats and ``n_heats`` heats being marked, each with
    ``n_entries`` entries (stored results on the locked ones, a mark on the others)."""
    campaign = f.CampaignFactory(organiser=world.city, kind="skill")
    event = SkillEvent.objects.create(campaign=campaign, trade=f"钳工{n_heats}")
    tier = Tier.objects.create(event=event, level="unit", order=1, advance_count=1)
    judge = f.UserFactory(role="evaluator")
    for number in range(n_heats):
        for locked in (True, False):
            heat = Heat.objects.create(
                tier=tier,
                name=f"场次{number}{'L' if locked else 'O'}",
                locked_at=timezone.now() if locked else None,
            )
            HeatJudge.objects.create(heat=heat, judge=judge, component="practical")
            for index in range(n_entries):
                person = f.PersonFactory(unit=world.unit_a)
                contestant = Contestant.objects.create(
                    event=event, person=person, unit=world.unit_a
                )
                entry = HeatEntry.objects.create(
                    heat=heat,
                    contestant=contestant,
                    station_number=f"{index + 1:02d}",
                    completion_seconds=600 + index,
                    **(
                        {"theory": 80, "practical": 80, "total": 80, "rank": index + 1}
                        if locked
                        else {}
                    ),
                )
                if not locked:
                    ComponentScore.objects.create(
                        entry=entry, component="practical", judge=judge, value=70
                    )
    return event


def _board_queries(event):
    client = Client()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(board_url(event))
    assert response.status_code == 200
    # ATOMIC_REQUESTS wraps the view in a savepoint; only the real queries count.
    return [q["sql"] for q in queries if "SAVEPOINT" not in q["sql"]]


def test_board_query_count_does_not_grow_with_heats_or_entries(world):
    small = _board_queries(_event_with(world, 1, 2))
    large = _board_queries(_event_with(world, 3, 8))

    assert len(small) == len(large) <= 6
    # Of the heats being marked the board reads counts only: no score values.
    for sql in large:
        if "skills_componentscore" in sql:
            assert '"value"' not in sql


def test_board_query_count_with_locked_heats_only(world):
    def locked_only(n_heats, n_entries):
        event = _event_with(world, n_heats, n_entries)
        Heat.objects.filter(tier__event=event, locked_at__isnull=True).delete()
        return event

    assert len(_board_queries(locked_only(1, 1))) == len(_board_queries(locked_only(3, 10)))


# --- The explanation ---------------------------------------------------------------------


def test_explanation_worked_example_3_strikes_the_trimmed_marks(contest):
    entry = example_3_final(contest)

    response = english(Client()).get(explain_url(entry))

    assert response.status_code == 200
    page = response.content.decode()
    assert "<s>95</s>" in page and "<s>79</s>" in page
    for kept in ("85", "88", "90"):
        assert f"<s>{kept}</s>" not in page
        assert f">{kept} <" in page
    assert "87.6667…" in page  # the exact aggregate
    assert "87.67" in page  # shown rounded
    assert "0.3 × 92 + 0.7 × 87.6667… = 88.9667… → 88.97" in page
    assert "Imported" in page
    # Judges are anonymised for the public.
    assert "Judge 1" in page and "Judge 5" in page
    assert "裁判员1号" not in page
    # Last tier: the prize rule and the prize won (one finalist: 10% × 1 → at least one).
    assert "10% × 1 = 0.1" in page
    assert 'class="won" data-prize="一等奖"' in page


def test_explanation_equals_heat_results_and_the_stored_values(contest):
    entry = example_3_final(contest)
    lock_heat_a(contest)

    for explained_entry in [entry, *contest.entries_a]:
        explained_entry.refresh_from_db()
        x = explain.explain(
            HeatEntry.objects.select_related("heat__tier__event").get(pk=explained_entry.pk),
            names=False,
        )
        row = next(
            r
            for r in services.heat_results(explained_entry.heat)
            if r.entry.pk == explained_entry.pk
        )
        theory, practical = x.components
        assert theory.aggregate == row.theory
        assert practical.aggregate == row.practical
        assert x.total == row.total
        assert x.rounded == row.total_rounded == explained_entry.total
        assert theory.rounded == explained_entry.theory
        assert practical.rounded == explained_entry.practical
        assert x.rank == row.rank == explained_entry.rank
        assert x.advanced == explained_entry.advanced
        assert x.prize == explained_entry.prize
        assert x.mismatches == []

    x = explain.explain(HeatEntry.objects.get(pk=entry.pk), names=False)
    assert x.components[1].aggregate == Fraction(263, 3)
    assert x.rounded == Decimal("88.97")
    assert x.prize == "一等奖"


def test_explanation_worked_example_4_names_the_practical_tie_break(contest):
    mark(
        contest,
        contest.heat_b,
        contest.entries_b,
        theory=["90", "76"],
        practical=[("80", "80"), ("86", "86")],
        seconds=[900, 900],
    )
    services.lock_heat(contest.heat_b, staff_of(contest))
    p1, p2 = contest.entries_b
    p1.refresh_from_db()
    p2.refresh_from_db()
    assert (p1.total, p1.rank, p2.total, p2.rank) == (
        Decimal("83.00"),
        2,
        Decimal("83.00"),
        1,
    )

    page = english(Client()).get(explain_url(p2)).content.decode()

    assert 'data-tie-break="practical"' in page
    assert "higher practical score" in page
    assert "ranked ahead" in page
    assert "孙六" in page and "郑五" in page
    assert re.search(r'id="rank">1<', page)

    page = english(Client()).get(explain_url(p1)).content.decode()
    assert 'data-tie-break="practical"' in page and "ranked behind" in page
    assert re.search(r'id="rank">2<', page)


def test_explanation_shared_rank_and_ties_at_the_cut_off(contest):
    lock_heat_a(contest)
    lin = contest.entries_a[1]

    page = english(Client()).get(explain_url(lin)).content.decode()

    assert 'data-tie-break="shared"' in page and "shared rank" in page
    assert "equal on every link" in page
    assert "周三" in page
    assert "The top 2 of each heat advance to the next tier: 2 places in a field of 4." in page
    assert "Cut-off rank 2" in page and "so 3 advance" in page
    assert "This entry advanced." in page

    x = explain.explain(HeatEntry.objects.get(pk=contest.entries_a[3].pk), names=False)
    assert x.ties == [] and x.rank == 4 and not x.advanced
    assert x.advancement.cut_off == 2 and x.advancement.advancing == 3
    assert x.last_tier is False and x.prizes == []


def test_explanation_percent_rule(contest):
    Tier.objects.filter(pk=contest.unit_tier.pk).update(advance_count=None, advance_percent=30)
    lock_heat_a(contest)

    x = explain.explain(HeatEntry.objects.get(pk=contest.entries_a[0].pk), names=False)

    assert x.advancement.rule == "percent"
    assert x.advancement.exact_places == Fraction(6, 5)  # 30% × 4 = 1.2
    assert x.advancement.places == 1 and x.advancement.cut_off == 1
    assert x.advanced
    page = english(Client()).get(explain_url(contest.entries_a[0])).content.decode()
    assert "30% × 4 = 1.2" in page


def test_explanation_404_for_anonymous_and_others_on_an_unlocked_heat(contest, client_for):
    partly_mark_heat_b(contest)
    entry = contest.entries_b[0]

    assert Client().get(explain_url(entry)).status_code == 404
    for name in ("unit_b", "evaluator", "east"):
        assert client_for(name).get(explain_url(entry)).status_code == 404
    judge = Client()
    judge.force_login(contest.judge1)
    assert judge.get(explain_url(entry)).status_code == 404
    assert Client().get(reverse("skills:explain", args=[999999])).status_code == 404


def test_explanation_for_staff_on_an_unlocked_heat_is_live_with_judges_named(contest, client_for):
    partly_mark_heat_b(contest)
    two = contest.entries_b[1]

    response = english(client_for("city")).get(explain_url(two))

    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="live-notice"' in page
    assert "王裁判" in page  # judge1 named for the office
    assert ">95 <" in page  # judge1's live mark
    # Live numbers: station 02 has judge1's practical mark only (judge2's is missing).
    assert "0.3 × 85 + 0.7 × 95 = 92 → 92.00" in page
    x = explain.explain(two, names=True)
    assert [m.label for m in x.components[1].marks] == ["王裁判"]

    # An entry of a heat nobody has marked yet: no total, no rank.
    page = english(client_for("city")).get(explain_url(contest.entries_a[0])).content.decode()
    assert "No marks yet" in page and "not complete" in page
    assert re.search(r'id="rank">—<', page)


def test_explanation_of_a_locked_heat_anonymises_judges_for_the_public(contest):
    lock_heat_a(contest)

    page = english(Client()).get(explain_url(contest.entries_a[0])).content.decode()

    assert "王裁判" not in page and "赵裁判" not in page
    assert "Judge 1" in page and "Judge 2" in page
    assert 'id="live-notice"' not in page and 'id="mismatch"' not in page


def test_explanation_flags_a_stored_result_that_differs(contest):
    lock_heat_a(contest)
    HeatEntry.objects.filter(pk=contest.entries_a[0].pk).update(total="99.99")

    page = english(Client()).get(explain_url(contest.entries_a[0])).content.decode()

    assert 'id="mismatch"' in page and "Total score" in page
