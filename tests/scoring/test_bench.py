"""The scoring benchmark (``manage.py bench_scoring``) on a small dataset: it prints its
figures, its results agree with an independent computation, and it leaves nothing behind.
The timings themselves are not asserted: they belong to docs/benchmarks.md."""

import json
import re
from decimal import Decimal
from fractions import Fraction
from io import StringIO

import pytest
from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from benchmarks.dataset import swap_weights
from competitions.models import Campaign, Organisation, Project, Stage, Unit
from scoring import engine, results
from scoring.models import (
    Criterion,
    CriterionWeight,
    EvaluatorAssignment,
    FinalResult,
    Score,
    ScoringRules,
    StageResult,
    Veto,
)
from scoring.rules import conflict_of_interest

FIGURES = [
    r"^Dataset bench-\S+ on \w+ .*: 1 campaign, 2 zones, 2 stages, (\d+) projects, "
    r"6 judgement criteria, 5 evaluators per entry and stage$",
    r"^Floor: one grouped query over the scores \((\d+) groups\): [\d.]+ ms \(median of 2\)$",
    r"^Recompute, first \((\d+) entries, no stored results: every result inserted\): "
    r"[\d.]+ ms, [\d.]+× the floor$",
    r"^Recompute, weights changed \(every result updated\): [\d.]+ ms, [\d.]+× the floor "
    r"\(median of 1\)$",
    r"^Recompute, again \(results unchanged\): [\d.]+ ms, [\d.]+× the floor \(median of 1\)$",
    r"^Form save \(6 scores submitted, the entry recomputed, \d+ entries re-ranked; .*\): "
    r"[\d.]+ ms \(median of 2\)$",
    r"^Targets: recompute ≤ 3× the floor: (met|NOT met) first .*, (met|NOT met) weights "
    r"changed .*, (met|NOT met) unchanged .*form save ≤ 100 ms: (met|NOT met)",
]
TABLES = [
    Organisation,
    get_user_model(),
    Unit,
    Campaign,
    Project,
    Criterion,
    EvaluatorAssignment,
    Score,
    StageResult,
    FinalResult,
    Veto,
    LogEntry,
]


def bench(**options) -> str:
    out = StringIO()
    options = {"zones": 2, "repeat": 1, "saves": 2, **options}
    call_command("bench_scoring", stdout=out, **options)
    return out.getvalue()


def counts():
    return {model.__name__: model.objects.count() for model in TABLES}


def line(output, pattern):
    found = [m for m in (re.match(pattern, text) for text in output.splitlines()) if m]
    assert found, f"no line matching {pattern!r} in:\n{output}"
    return found[0]


def ranking_queries(output):
    match = re.search(r"^Ranking page \(zone of (\d+) entries\): .* (\d+) queries$", output, re.M)
    if match is None:
        assert "ranking page not available" in output
        return None
    return int(match[1]), int(match[2])


def test_bench_prints_its_figures_and_deletes_what_it_built(db):
    before = counts()
    output = bench(projects=60)
    assert int(line(output, FIGURES[0])[1]) == 60
    assert int(line(output, FIGURES[1])[1]) == 60 * 2 * 6  # entries × stages × criteria
    assert int(line(output, FIGURES[2])[1]) == 60
    for pattern in FIGURES[3:]:
        line(output, pattern)
    assert re.search(r"^Ranking page", output, re.M)
    assert re.search(r"^Deleted the dataset bench-", output, re.M)
    assert counts() == before


def test_bench_results_equal_an_independent_computation(db):
    # 300 entries: 600 stage results, enough for the bulk write path (COPY on PostgreSQL).
    output = bench(projects=300, keep=True)
    name = re.search(r"^Kept the dataset (bench-\S+);", output, re.M)[1]
    campaign = Campaign.objects.get(title=name)
    projects = Project.objects.filter(campaign=campaign)
    assert projects.count() == 300
    assert FinalResult.objects.filter(project__in=projects, complete=True).count() == 300

    # Nobody scores an entry of their own unit or of a unit under their own union.
    for assignment in EvaluatorAssignment.objects.filter(project__in=projects).select_related(
        "evaluator__organisation", "project__unit__organisation"
    ):
        assert conflict_of_interest(assignment.evaluator, assignment.project) == ""

    vetoed = Veto.objects.get(project__in=projects).project
    sample = [vetoed, *projects.exclude(pk=vetoed.pk).order_by("pk")[::75]]
    for project in sample:
        assert_results_follow_scoring_md(project)
    vetoed_result = FinalResult.objects.get(project=vetoed)
    assert vetoed_result.vetoed and vetoed_result.grade == "不达标"
    for zone_id in campaign.zones.values_list("pk", flat=True):
        assert_zone_ranked(zone_id)

    # Other weights in every stage: every stored result changes, and follows.
    swap_weights(campaign, "efficiency", "quality")
    before = dict(StageResult.objects.filter(project__in=projects).values_list("pk", "score"))
    results.recompute(zones=campaign.zones.all())
    after = dict(StageResult.objects.filter(project__in=projects).values_list("pk", "score"))
    assert after.keys() == before.keys()
    assert sum(after[pk] != before[pk] for pk in after) > 500
    for project in sample:
        assert_results_follow_scoring_md(project)
    for zone_id in campaign.zones.values_list("pk", flat=True):
        assert_zone_ranked(zone_id)

    # Rows taken for new that another transaction has inserted meanwhile are upserted.
    stored = list(
        StageResult.objects.filter(project__in=projects).values_list(
            "project_id", "stage_id", "score", "complete", "spread_alert", "criteria"
        )
    )
    rows = [(*row[:5], json.dumps(row[5]), timezone.now()) for row in stored]
    rows[0] = (*rows[0][:2], Decimal("12.3456"), *rows[0][3:])
    fields = ["score", "complete", "spread_alert", "criteria", "computed_at"]
    results._write(StageResult, ["project", "stage"], fields, rows, [])
    assert StageResult.objects.filter(project__in=projects).count() == len(stored)
    first = StageResult.objects.get(project_id=rows[0][0], stage_id=rows[0][1])
    assert first.score == Decimal("12.3456")

    call_command("bench_scoring", delete=name, stdout=StringIO())
    assert not Campaign.objects.filter(title=name).exists()
    assert not Organisation.objects.filter(name__startswith=name).exists()
    assert not get_user_model().objects.filter(username__startswith=name).exists()
    assert not Score.objects.exists()


def assert_results_follow_scoring_md(project):
    """SCORING.md's aggregation from the raw scores, with the engine's exact functions."""
    rules = ScoringRules.objects.get(campaign=project.campaign)
    stages = Stage.objects.filter(campaign=project.campaign).order_by("order")
    criteria = Criterion.objects.filter(zone=project.zone, kind="judgement")
    stage_scores = {}
    spread = False
    for stage in stages:
        weights = {
            w.criterion_id: w.weight
            for w in CriterionWeight.objects.filter(stage=stage, criterion__zone=project.zone)
        }
        percentages = {}
        for criterion in criteria:
            values = list(
                Score.objects.filter(
                    project=project, stage=stage, criterion=criterion, submitted=True
                ).values_list("value", flat=True)
            )
            assert len(values) == 5
            aggregate = engine.aggregate(values, rules.trim_threshold)
            percentages[criterion.pk] = engine.percentage(aggregate, criterion.max_score)
            spread |= max(values) - min(values) > criterion.max_score * Decimal("0.2")
        stage_scores[stage.pk] = engine.weighted_sum(percentages, weights)
        stored = StageResult.objects.get(project=project, stage=stage)
        assert stored.complete
        assert stored.score == engine.round_half_up(stage_scores[stage.pk])
        assert stored.criteria == {
            str(c): str(engine.round_half_up(p)) for c, p in percentages.items()
        }
    final = engine.weighted_sum(stage_scores, {s.pk: s.weight for s in stages})
    result = FinalResult.objects.get(project=project)
    assert result.score == engine.round_half_up(final)
    assert result.spread_alert == spread
    assert result.complete and result.rank is not None
    assert result.grade == engine.grade_for(
        result.score, result.vetoed, rules.grade_bands, rules.failing_grade
    )
    computed = results.compute_entries(
        results.load_setup(type(project.zone).objects.filter(pk=project.zone_id)), [project.pk]
    )[0]
    assert computed.final == final
    assert {s: v[0] for s, v in computed.stages.items()} == stage_scores


def assert_zone_ranked(zone_id):
    """Standard competition ranking on (rounded score, tie-break values), higher first."""
    rows = list(FinalResult.objects.filter(zone_id=zone_id, complete=True))
    key = {r.pk: (r.score, tuple(Decimal(v) for v in r.tie_break)) for r in rows}
    for row in rows:
        assert row.rank == 1 + sum(1 for other in rows if key[other.pk] > key[row.pk])


def test_ranking_page_queries_do_not_grow_with_the_entries(db):
    small = ranking_queries(bench(projects=10))
    large = ranking_queries(bench(projects=60))
    if small is None or large is None:
        pytest.skip("the ranking page is not available")
    assert (small[0], large[0]) == (5, 30)
    assert small[1] == large[1]


@given(
    st.integers(min_value=-(10**12), max_value=10**12),
    st.integers(min_value=1, max_value=10**9),
    st.sampled_from([2, 4, 6]),
)
def test_integer_rounding_is_the_engines(num, den, places):
    expected = engine.round_half_up(Fraction(num, den), places)
    assert results.rounded(num, den, places) == expected
    assert str(results.rounded(num, den, places)) == str(expected)
    assert results._fixed(num, den, places) == str(expected)


@given(
    st.dictionaries(
        st.integers(min_value=1, max_value=10**6),
        st.tuples(st.integers(0, 10**9), st.integers(1, 10**6)),
        max_size=8,
    )
)
def test_stored_json_is_compared_in_jsonbs_layout(per_criterion):
    # jsonb gives keys back shorter first, i.e. integer ids in ascending order, in the
    # layout of json.dumps: the text of a stored row equals the text computed for it.
    as_dict = {
        str(c): str(engine.round_half_up(Fraction(*per_criterion[c])))
        for c in sorted(per_criterion)
    }
    assert results._criteria_json(per_criterion, {}) == json.dumps(as_dict)
    values = list(as_dict.values())
    assert results._tie_break_json(values) == json.dumps(values)
    as_decimals = tuple(Decimal(v) for v in values)
    assert results._tie_values(json.dumps(values)) == as_decimals
    assert results._tie_values(json.dumps(values, separators=(",", ":"))) == as_decimals
