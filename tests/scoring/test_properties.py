"""Property tests of the scoring arithmetic (hypothesis)."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from scoring import engine

score = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False, allow_infinity=False)
scores = st.lists(score, min_size=1, max_size=9)


@given(scores, st.randoms(use_true_random=False), st.integers(min_value=3, max_value=7))
def test_permuting_evaluators_does_not_change_the_aggregate(values, random, threshold):
    shuffled = list(values)
    random.shuffle(shuffled)
    assert engine.aggregate(values, threshold) == engine.aggregate(shuffled, threshold)


@given(scores, st.integers(min_value=3, max_value=7))
def test_aggregate_stays_within_the_scores(values, threshold):
    value = engine.aggregate(values, threshold)
    assert engine.exact(min(values)) <= value <= engine.exact(max(values))


@given(
    st.lists(score, min_size=6, max_size=6),
    st.lists(st.integers(min_value=0, max_value=100), min_size=6, max_size=6).filter(any),
)
def test_stage_score_stays_within_0_and_100(percentages, raw_weights):
    total = sum(raw_weights)
    weights = {i: engine.exact(w) / total for i, w in enumerate(raw_weights)}
    values = {i: engine.exact(p) for i, p in enumerate(percentages)}
    result = engine.weighted_sum(values, weights)
    assert 0 <= result <= 100
    assert Decimal(0) <= engine.round_half_up(result) <= Decimal(100)


@given(st.lists(st.tuples(st.integers(0, 10_000), score), min_size=1, max_size=30))
def test_equal_scores_get_equal_ranks(rows):
    entries = [(key, value, ()) for key, (_, value) in enumerate(rows)]
    ranked = {r.key: r.rank for r in engine.competition_ranking(entries)}
    by_key = dict(enumerate(value for _, value in rows))
    for a in ranked:
        for b in ranked:
            if by_key[a] == by_key[b]:
                assert ranked[a] == ranked[b]
            elif by_key[a] > by_key[b]:
                assert ranked[a] < ranked[b]
    # Standard competition ranking: a rank is 1 + the number of entries strictly ahead.
    for key, rank in ranked.items():
        assert rank == 1 + sum(1 for other in by_key.values() if other > by_key[key])


@given(st.fractions(min_value=0, max_value=100, max_denominator=10_000))
def test_round_half_up_is_within_half_a_cent(value):
    rounded = engine.round_half_up(value)
    assert abs(engine.exact(rounded) - value) <= engine.exact("0.005")
