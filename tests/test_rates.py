"""Tests of ssstats.rates against R (tests/results/rates_reference.R, rates_difference_score.R) and published
test vectors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import ssstats as ss
from ssstats import SSStatsError
from ssstats.rates import PROPORTION_METHODS, RATE_METHODS

RESULTS = Path(__file__).parent / "results"
RTOL = 1e-8


# ------------------------------------------------------------------------------------------------ R references

@pytest.fixture(scope="module")
def r_props():
    return pd.read_csv(RESULTS / "rates_proportions.csv")


@pytest.fixture(scope="module")
def r_pois():
    return pd.read_csv(RESULTS / "rates_poisson.csv")


@pytest.mark.parametrize("method", sorted(PROPORTION_METHODS))
def test_proportion_ci_matches_r(r_props, method):
    ref = r_props[r_props.method == method]
    assert len(ref) >= 80
    for level, grp in ref.groupby("level"):
        out = ss.proportion_ci(grp.x.to_numpy(), grp.n.to_numpy(), method=method, level=level)
        np.testing.assert_allclose(out.lower, grp.lower, rtol=RTOL, atol=1e-14)
        np.testing.assert_allclose(out.upper, grp.upper, rtol=RTOL, atol=1e-14)


@pytest.mark.parametrize("method", sorted(RATE_METHODS))
def test_rate_ci_matches_r(r_pois, method):
    ref = r_pois[r_pois.method == method]
    assert len(ref) >= 75
    for level, grp in ref.groupby("level"):
        out = ss.rate_ci(grp["count"].to_numpy(), grp.exposure.to_numpy(), method=method, level=level)
        np.testing.assert_allclose(out.lower, grp.lower, rtol=RTOL, atol=1e-14)
        np.testing.assert_allclose(out.upper, grp.upper, rtol=RTOL, atol=1e-14)


def test_proportion_test_matches_r():
    ref = pd.read_csv(RESULTS / "rates_binomial_test.csv")
    out = ss.proportion_test(ref.x.to_numpy(), ref.n.to_numpy(), ref.value.to_numpy())
    for col in ("p_less", "p_greater", "p_value"):
        np.testing.assert_allclose(out[col], ref[col], rtol=RTOL)


def test_compare_proportions_matches_r():
    ref = pd.read_csv(RESULTS / "rates_compare_proportions.csv")
    out = ss.compare_proportions(ref.x1, ref.n1, ref.x2, ref.n2, measures="difference")
    np.testing.assert_allclose(out.lower, ref.diff_lower, rtol=RTOL)
    np.testing.assert_allclose(out.upper, ref.diff_upper, rtol=RTOL)
    np.testing.assert_allclose(out.fisher_p_value, ref.fisher_p, rtol=RTOL)
    # Miettinen-Nurminen score test; R's NaN (pooled proportion 100%) is p = 1 here (the groups agree exactly)
    np.testing.assert_allclose(out.p_value, ref.score_p.fillna(1.0), rtol=RTOL)
    ratio = ss.compare_proportions(ref.x1, ref.n1, ref.x2, ref.n2, measures="ratio")
    np.testing.assert_allclose(ratio.lower, ref.ratio_lower, rtol=RTOL, atol=1e-15)
    np.testing.assert_allclose(ratio.upper, ref.ratio_upper, rtol=RTOL)
    assert ((ratio.lower <= ratio.estimate) & (ratio.estimate <= ratio.upper)).all()
    odds = ss.compare_proportions(ref.x1, ref.n1, ref.x2, ref.n2, measures="odds_ratio")
    np.testing.assert_allclose(odds.lower, ref.or_lower, rtol=RTOL)
    np.testing.assert_allclose(odds.upper, ref.or_upper, rtol=RTOL)


def test_compare_rates_matches_r():
    ref = pd.read_csv(RESULTS / "rates_compare_rates.csv")
    out = ss.compare_rates(ref.c1, ref.e1, ref.c2, ref.e2, measures="ratio", level=(0.95, 0.998))
    with np.errstate(divide="ignore"):
        expected = (ref.c1 / ref.e1) / (ref.c2 / ref.e2)
    for lev, grp in out.groupby("level"):
        np.testing.assert_allclose(grp.p_value, ref.exact_cond_p, rtol=RTOL)
        np.testing.assert_allclose(grp.estimate, expected, rtol=1e-12)
        # R poisson.test's conditional exact interval, zero counts included (0 and Inf limits)
        np.testing.assert_allclose(grp.lower, ref[f"ratio_lower_{lev:g}"], rtol=RTOL, atol=1e-300)
        np.testing.assert_allclose(grp.upper, ref[f"ratio_upper_{lev:g}"], rtol=RTOL)


def test_comparisons_take_several_levels_and_one_per():
    out = ss.compare_proportions(26, 1374, 256, 6539, level=(0.95, 0.998), measures="ratio")
    assert out.level.tolist() == [0.95, 0.998]
    assert out.lower[1] < out.lower[0] and out.upper[1] > out.upper[0]
    with pytest.raises(SSStatsError, match=r"`per` must be a single number; got 2 values"):
        ss.compare_rates(1, 10, 1, 10, per=[1, 2])


def test_rate_ratio_with_zero_counts_is_a_proper_interval():
    """statsmodels' score interval collapses to a point at zero counts; the conditional exact one does not."""
    out = ss.compare_rates([0, 5, 0], 100.0, [5, 0, 0], 120.0, measures="ratio", level=(0.9, 0.99))
    for _, grp in out.groupby("level"):
        assert grp.lower.tolist()[0] == 0.0 and np.isfinite(grp.upper.tolist()[0])
        assert grp.lower.tolist()[1] > 0 and grp.upper.tolist()[1] == np.inf
        assert grp.lower.tolist()[2] == 0.0 and grp.upper.tolist()[2] == np.inf
        assert ((grp.lower <= grp.estimate.fillna(1.0)) & (grp.estimate.fillna(1.0) <= grp.upper)).all()
    narrow, wide = out[out.level == 0.9], out[out.level == 0.99]
    assert (wide.upper.to_numpy()[0] > narrow.upper.to_numpy()[0]) and (wide.lower.to_numpy()[1] <
                                                                        narrow.lower.to_numpy()[1])


# ------------------------------------------------------------------------------- published test vectors (methods.md)

def test_pheindicatormethods_vectors():
    # Byar x = 65 and x = 1045 (PHEindicatormethods tests)
    out = ss.rate_ci([65, 1045], 1, method="byar")
    np.testing.assert_allclose(out.lower, [50.163187710459454, 982.59320180733255], rtol=1e-12)
    np.testing.assert_allclose(out.upper, [82.849138545939837, 1110.3312129856499], rtol=1e-12)
    # Wilson 65/100 at 95% and 99.8%
    out = ss.proportion_ci(65, 100, level=(0.95, 0.998))
    np.testing.assert_allclose(out.lower, [0.55254443296887967, 0.49549465740704313], rtol=1e-10)
    np.testing.assert_allclose(out.upper, [0.73635751756902468, 0.77835406140896968], rtol=1e-10)
    # phe_rate 1 per 100 (exact), multiplier 100
    out = ss.rate_ci(1, 100, method="exact", per=100)
    np.testing.assert_allclose(out.lower, 0.025317807984289897, rtol=1e-10)
    np.testing.assert_allclose(out.upper, 5.571643390938898, rtol=1e-10)


def test_statsmodels_binom_package_vectors():
    out = ss.proportion_ci([18, 18], [20, 20], method="wilson")
    np.testing.assert_allclose([out.lower[0], out.upper[0]], [0.6989663547715128, 0.972133518786232], rtol=1e-10)
    out = ss.proportion_ci(18, 20, method="exact")
    np.testing.assert_allclose([out.lower[0], out.upper[0]], [0.6830172859809176, 0.9876514728297052], rtol=1e-10)
    out = ss.rate_ci(15, 400, method="exact")
    np.testing.assert_allclose([out.lower[0], out.upper[0]], [0.0209884653319583, 0.0618505471787146], rtol=1e-10)


# ----------------------------------------------------------------------------------------------------- behaviour

@pytest.mark.parametrize("method", sorted(PROPORTION_METHODS))
def test_proportion_ends_are_one_sided_and_finite(method):
    out = ss.proportion_ci([0, 7], [7, 7], method=method)
    assert out.lower[0] == 0.0 and out.upper[1] == 1.0
    assert np.isfinite(out[["lower", "upper"]].to_numpy()).all()


@pytest.mark.parametrize("method", sorted(RATE_METHODS))
def test_rate_zero_count(method):
    out = ss.rate_ci(0, 250.0, method=method, per=1000)
    assert out.lower[0] == 0.0
    assert np.isfinite(out.upper[0])
    assert out.upper[0] > 0 or method == "wald"


def test_output_frame_shape_and_labels():
    x = pd.Series([3, 0, 26], index=["Ward A", "Ward B", "Ward C"])
    n = pd.Series([40, 12, 1374], index=x.index)
    out = ss.proportion_ci(x, n, level=(0.95, 0.998))
    assert list(out.columns) == ["unit", "x", "n", "estimate", "lower", "upper", "method", "level"]
    assert len(out) == 6
    assert list(out.unit[:3]) == ["Ward A", "Ward B", "Ward C"]
    assert set(out.level) == {0.95, 0.998}
    wide = out.pivot(index="unit", columns="level", values="lower")
    assert (wide[0.998] <= wide[0.95]).all()
    r = ss.rate_ci(x, n * 10, per=1000)
    assert list(r.columns) == ["unit", "count", "exposure", "per", "estimate", "lower", "upper", "method", "level"]
    np.testing.assert_allclose(r.estimate, x.to_numpy() / (n.to_numpy() * 10) * 1000)


def test_dataframe_columns_in():
    df = pd.DataFrame({"charges": [1, 2], "reports": [10, 20]})
    out = ss.proportion_ci(df.charges, df.reports, method="exact")
    assert "unit" not in out.columns
    np.testing.assert_allclose(out.estimate, [0.1, 0.1])


def test_broadcast_scalar_against_array():
    out = ss.proportion_ci([1, 2, 3], 10)
    assert list(out.n) == [10, 10, 10]


# --------------------------------------------------------------------------------------------------- bad input

@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        (dict(x=-1, n=10), "`x` must be a non-negative integer count; got -1"),
        (dict(x=1.5, n=10), "`x` must be a whole number"),
        (dict(x=11, n=10), "`x` must be less than or equal to `n`"),
        (dict(x=0, n=0), "`n` must be greater than zero"),
        (dict(x=np.nan, n=10), "must be finite"),
        (dict(x=np.inf, n=10), "infinite"),
        (dict(x=1, n=10, level=95), "give 0.95, not 95"),
        (dict(x=1, n=10, level=0), "strictly between 0 and 1"),
        (dict(x=1, n=10, method="clopper"), "`method` must be one of"),
        (dict(x=[1, 2], n=[10, 10, 10]), "same length"),
        (dict(x="3", n=10), "must be numeric"),
    ],
)
def test_proportion_bad_input(kwargs, fragment):
    with pytest.raises(SSStatsError, match=None) as info:
        ss.proportion_ci(**kwargs)
    assert fragment in str(info.value)
    assert isinstance(info.value, ValueError)


def test_bad_input_names_unit_and_position():
    x = pd.Series([3, -2], index=["Ward A", "Ward B"])
    with pytest.raises(SSStatsError, match=r"unit 'Ward B' \(position 1\)"):
        ss.proportion_ci(x, 10)
    with pytest.raises(SSStatsError, match="at position 2"):
        ss.proportion_ci([1, 2, 30], [10, 10, 10])


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        (dict(count=-1, exposure=10), "`count` must be a non-negative integer count"),
        (dict(count=1, exposure=0), "`exposure` must be greater than zero; got 0"),
        (dict(count=1, exposure=-5), "`exposure` must be greater than zero"),
        (dict(count=1, exposure=np.nan), "must be finite"),
        (dict(count=1, exposure=10, per=0), "`per` must be greater than zero"),
        (dict(count=1, exposure=10, method="poisson"), "`method` must be one of"),
        (dict(count=[1, 2], exposure=[1, 2, 3]), "same length"),
        (dict(count=1, exposure=10, level=1.0), "strictly between 0 and 1"),
    ],
)
def test_rate_bad_input(kwargs, fragment):
    with pytest.raises(SSStatsError) as info:
        ss.rate_ci(**kwargs)
    assert fragment in str(info.value)


def test_compare_bad_input():
    with pytest.raises(SSStatsError, match="`x1` must be less than or equal to `n1`"):
        ss.compare_proportions(5, 4, 1, 10)
    with pytest.raises(SSStatsError, match="`e2` must be greater than zero"):
        ss.compare_rates(1, 10, 1, 0)
    with pytest.raises(SSStatsError, match="`measures` must be one of"):
        ss.compare_rates(1, 10, 1, 10, measures="odds")
    with pytest.raises(SSStatsError, match="`value` must be a probability strictly between 0 and 1"):
        ss.proportion_test(1, 10, 1.0)


def test_rate_difference_score_interval_matches_r():
    """The score interval for a rate difference against R (tests/results/rates_difference_score.R: the constrained
    MLE and both limits found with uniroot from the definition), zero counts and both-zero included."""
    ref = pd.read_csv(RESULTS / "rates_difference_score.csv")
    out = ss.compare_rates(ref.c1, ref.e1, ref.c2, ref.e2, measures="difference", level=(0.5, 0.95, 0.998))
    assert (out.method == "score").all()
    for lev, grp in out.groupby("level"):
        np.testing.assert_allclose(grp.estimate, ref.estimate, rtol=1e-12)
        np.testing.assert_allclose(grp.lower, ref[f"lower_{lev:g}"], rtol=1e-11)
        np.testing.assert_allclose(grp.upper, ref[f"upper_{lev:g}"], rtol=1e-11)


def test_rate_difference_score_interval_where_statsmodels_root_finding_fails():
    """statsmodels' confint_poisson_2indep(score, diff) uses Nelder-Mead at xtol 1e-8: at 0 events in 2 against 1 in 1
    at 50% it returns a point outside the estimate.  Inverting the same statistic gives a proper interval whose
    limits make the statistic +-z; with both counts 0 it is [-z^2/e2, z^2/e1]."""
    from scipy import stats as st
    from statsmodels.stats import rates as sm_rates

    lo_sm, hi_sm = sm_rates.confint_poisson_2indep(0, 2.0, 1, 1.0, method="score", compare="diff", alpha=0.5)
    assert not (lo_sm <= -1 <= hi_sm and lo_sm < hi_sm)  # statsmodels' own inversion fails here
    out = ss.compare_rates([0, 0, 3], [4.0, 2.0, 10.0], [0, 1, 5], [1.0, 1.0, 20.0], measures="difference",
                           level=(0.5, 0.95))
    for row in out.itertuples():
        assert row.lower < row.estimate < row.upper or (row.c1 == row.c2 == 0 and row.lower < 0 < row.upper)
        z = st.norm.isf((1 - row.level) / 2)
        for limit, target in ((row.lower, z), (row.upper, -z)):
            with np.errstate(divide="ignore", invalid="ignore"):  # statsmodels also reports the ratio 0/0
                stat = sm_rates.test_poisson_2indep(row.c1, row.e1, row.c2, row.e2, value=limit, method="score",
                                                    compare="diff").statistic
            assert stat == pytest.approx(target, rel=1e-9)
    both = out[(out.c1 == 0) & (out.c2 == 0)]
    z = st.norm.isf((1 - both.level) / 2)
    np.testing.assert_allclose(both.lower, -z**2 / both.e2, rtol=1e-12)
    np.testing.assert_allclose(both.upper, z**2 / both.e1, rtol=1e-12)


@pytest.mark.parametrize("kind,method", [("proportion", "exact"), ("proportion", "jeffreys"), ("proportion", "mid_p"),
                                         ("rate", "exact"), ("rate", "jeffreys"), ("rate", "mid_p")])
def test_costly_methods_computed_once_per_distinct_input_give_the_same_limits(kind, method):
    """Above a few thousand units the costly methods run once per distinct (x, n) or count; the limits must be
    those computed unit by unit (here: in chunks too small to be grouped)."""
    rng = np.random.default_rng(3)
    n = rng.integers(1, 60, 20_000)
    x = rng.binomial(n, 0.05)
    if kind == "proportion":
        whole = ss.proportion_ci(x, n, method=method, level=(0.95, 0.998))
        parts = [ss.proportion_ci(x[i:i + 2000], n[i:i + 2000], method=method, level=(0.95, 0.998))
                 for i in range(0, x.size, 2000)]
    else:
        e = n * 30.5
        whole = ss.rate_ci(x, e, method=method, level=(0.95, 0.998))
        parts = [ss.rate_ci(x[i:i + 2000], e[i:i + 2000], method=method, level=(0.95, 0.998))
                 for i in range(0, x.size, 2000)]
    for lev in (0.95, 0.998):
        w = whole[whole.level == lev]
        p = pd.concat([q[q.level == lev] for q in parts])
        np.testing.assert_allclose(w.lower.to_numpy(), p.lower.to_numpy(), rtol=1e-14, atol=0)
        np.testing.assert_allclose(w.upper.to_numpy(), p.upper.to_numpy(), rtol=1e-14, atol=0)


@pytest.mark.parametrize("level", [0.5, 0.8, 0.9, 0.95, 0.99, 0.998, 0.999999])
def test_methods_trusted_for_exact_ends_give_them(level):
    """The methods whose one-sided limits are not reset rely on their formulas giving exactly 0 and 1 there."""
    from ssstats.rates import _EXACT_ENDS_PROPORTION, _EXACT_ENDS_RATE

    n = np.arange(1, 3000)
    for m in _EXACT_ENDS_PROPORTION:
        lo0 = PROPORTION_METHODS[m](np.zeros(n.size), n.astype(float), 1 - level)[0]
        hin = PROPORTION_METHODS[m](n.astype(float), n.astype(float), 1 - level)[1]
        assert (np.asarray(lo0) == 0).all() and (np.asarray(hin) == 1).all(), m
    for m in _EXACT_ENDS_RATE:
        lo0 = RATE_METHODS[m](np.zeros(n.size), n * 2.5, 1 - level)[0]
        assert (np.asarray(lo0) == 0).all(), m


@pytest.mark.parametrize("method", sorted(PROPORTION_METHODS))
def test_integer_and_float_counts_give_identical_limits(method):
    """Integer counts are converted to float64 once and the methods run on the copies: the limits must equal, to
    the last bit, those from float input and (for the statsmodels methods) statsmodels' own call on the integers."""
    from statsmodels.stats import proportion as sm_prop

    rng = np.random.default_rng(11)
    n = rng.integers(1, 400, 6000)
    x = rng.binomial(n, 0.04)
    x[:5], n[:5] = 0, 7  # the one-sided ends
    x[5:10] = n[5:10]
    a = ss.proportion_ci(x, n, method=method, level=(0.95, 0.998))
    b = ss.proportion_ci(x.astype(float), n.astype(float), method=method, level=(0.95, 0.998))
    for col in ("estimate", "lower", "upper"):
        assert np.array_equal(a[col].to_numpy(), b[col].to_numpy()), col
    assert a.x.dtype == np.int64 and b.x.dtype == np.float64 or b.x.dtype == np.int64
    assert np.array_equal(a.estimate.to_numpy()[:6000], x / n)  # the estimate is x / n exactly
    sm_name = {"wilson": "wilson", "agresti_coull": "agresti_coull", "wald": "normal", "exact": "beta"}.get(method)
    if sm_name:
        lo, hi = sm_prop.proportion_confint(x, n, alpha=1 - 0.95, method=sm_name)  # as ssstats computes alpha
        inner = (x > 0) & (x < n)  # the ends are set to 0 and 1 exactly
        first = a[a.level == 0.95]
        assert np.array_equal(first.lower.to_numpy()[inner], lo[inner])
        assert np.array_equal(first.upper.to_numpy()[inner], hi[inner])


@pytest.mark.parametrize("method", sorted(RATE_METHODS))
def test_integer_and_float_rate_counts_give_identical_limits(method):
    rng = np.random.default_rng(12)
    c = rng.poisson(3, 6000)
    e = rng.uniform(50, 5000, 6000)
    a = ss.rate_ci(c, e, method=method, per=1000)
    b = ss.rate_ci(c.astype(float), e, method=method, per=1000)
    for col in ("estimate", "lower", "upper"):
        assert np.array_equal(a[col].to_numpy(), b[col].to_numpy()), col
    assert np.array_equal(a.estimate.to_numpy(), c / e * 1000)


def test_the_callers_arrays_are_not_written_to():
    """The estimate is written over ssstats' own float copy of the counts, never over the caller's arrays."""
    x = np.array([0, 3, 5, 10] * 2000)
    n = np.array([10, 10, 20, 10] * 2000)
    xf = x.astype(float)
    keep = (x.copy(), n.copy(), xf.copy())
    for method in PROPORTION_METHODS:
        ss.proportion_ci(x, n, method=method)
        ss.proportion_ci(xf, n, method=method)
        ss.rate_ci(x, n * 1.0, method="exact" if method == "exact" else "wald", per=100)
        ss.rate_ci(xf, n * 1.0, method="score", per=100)
    for before, after in zip(keep, (x, n, xf)):
        assert np.array_equal(before, after)


@pytest.mark.parametrize("x,n,fragment", [
    ([0, -1, 2], [5, 5, 5], "`x` must be a non-negative integer count; got -1 at position 1"),
    ([0, 6, 2], [5, 5, 5], "`x` must be less than or equal to `n`; got x=6 > n=5 at position 1"),
    ([0, 1, 2], [5, 0, 5], "`n` must be greater than zero (a proportion needs trials); got 0 at position 1"),
    ([0, 1, 2], [5, -3, 5], "`n` must be a non-negative integer count; got -3 at position 1"),
    ([-(2**63), 1, 2], [5, 5, 5], "got -9223372036854775808 at position 0"),
    ([0, 1, 2], [5, 5, 2**63 - 1], None),  # the largest int64 is a valid number of trials
])
def test_integer_arrays_checked_in_two_passes_are_still_diagnosed(x, n, fragment):
    """int64 arrays are validated by n.min() > 0 and an unsigned x <= n; whatever fails is then named exactly as
    for any other input."""
    xa, na = np.array(x, dtype=np.int64), np.array(n, dtype=np.int64)
    if fragment is None:
        assert len(ss.proportion_ci(xa, na, method="wald")) == 3
        return
    with pytest.raises(SSStatsError) as e:
        ss.proportion_ci(xa, na)
    assert fragment in str(e.value)
    if max(abs(int(v)) for v in x) < 2**31:  # the same message from int32 arrays, which take the unit-by-unit route
        with pytest.raises(SSStatsError) as e2:
            ss.proportion_ci(xa.astype(np.int32), na.astype(np.int32))
        assert str(e2.value) == str(e.value)


@pytest.mark.parametrize("levels", [0.95, (0.9, 0.95)])
def test_writing_to_the_output_never_writes_to_the_inputs(levels):
    """The frames are built without copying what ssstats computed, but the caller's arrays, Series and index are
    copied: writing to any cell of the output leaves them as they were."""
    x = np.array([1, 2, 3, 0])
    n = np.array([10, 20, 30, 5])
    e = np.array([10.0, 20.0, 30.0, 5.0])
    s = pd.Series(x.copy(), index=["a", "b", "c", "d"])
    keep = (x.copy(), n.copy(), e.copy(), s.copy(), s.index.copy())
    frames = [ss.proportion_ci(x, n, level=levels), ss.proportion_ci(s, n, level=levels),
              ss.rate_ci(x, e, level=levels, per=1000), ss.rate_ci(s, e, level=levels),
              ss.compare_proportions(x, n, n, n + 5), ss.compare_rates(x, e, x, e), ss.proportion_test(x, n, 0.1)]
    for f in frames:
        for col in f.columns:
            if pd.api.types.is_numeric_dtype(f[col]) and not pd.api.types.is_bool_dtype(f[col]):
                f.loc[f.index[0], col] = 123
            elif isinstance(f[col].dtype, pd.CategoricalDtype):
                f.loc[f.index[0], col] = f[col].cat.categories[0]
            elif f[col].dtype == object or pd.api.types.is_string_dtype(f[col]):
                f.loc[f.index[0], col] = "written"
    assert np.array_equal(x, keep[0]) and np.array_equal(n, keep[1]) and np.array_equal(e, keep[2])
    assert s.equals(keep[3]) and s.index.equals(keep[4])
