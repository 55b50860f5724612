"""More property-based tests (hypothesis): intervals hold their estimate, limits widen with the level, and results
do not depend on the order of units.

Complements ``test_properties.py``: the comparisons (difference and ratio of proportions, ratio and difference of
rates, zero counts included), the two-list and multiplier estimates, the unit-level estimates of the
negative-binomial and beta-binomial fits; nested limits for ``compare_*`` and the funnel; unit order for the
negative-binomial and quasi-binomial fits, a cascade from a unit frame and the closed-population models.
Examples are few and derandomised, so that a failure reproduces and the file runs in a few seconds.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

import ssstats as ss
from ssstats import SSStatsError
from test_properties import _both_or_neither  # both orders succeed alike or both raise SSStatsError
from test_properties import unit_data as units  # binomial units with spread, and a permutation

FAST = settings(max_examples=20, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=8, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
TOL = 1e-9


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsmodels' convergence warnings on degenerate draws
        yield


def _holds(lower, estimate, upper, rel=TOL):
    """lower <= estimate <= upper, allowing rounding; infinite limits are fine, NaN is not."""
    lower, estimate, upper = (np.asarray(v, dtype=float) for v in (lower, estimate, upper))
    assert not np.isnan(lower).any() and not np.isnan(upper).any(), (lower, estimate, upper)
    ok = ~np.isnan(estimate)
    slack = rel * np.maximum(1, np.abs(np.where(np.isfinite(estimate), estimate, 0)))
    assert np.all(lower[ok] <= estimate[ok] + slack[ok]), (lower, estimate, upper)
    assert np.all(estimate[ok] <= upper[ok] + slack[ok]), (lower, estimate, upper)
    assert np.all(lower <= upper), (lower, upper)


@st.composite
def binomial(draw, max_n=2000):
    n = draw(st.integers(1, max_n))
    x = draw(st.integers(0, n))
    return x, n


@st.composite
def poisson(draw):
    c = draw(st.one_of(st.just(0), st.integers(0, 30), st.integers(0, 5000)))
    e = draw(st.floats(0.5, 1e5))
    return c, e


two_levels = st.tuples(st.floats(0.5, 0.99), st.floats(0.5, 0.999)).map(sorted).filter(lambda t: t[1] - t[0] > 1e-3)


# ---------------------------------------------------------------------------------------------------------------
# intervals hold their estimate

def _check_comparison(out, lowest):
    """Difference and ratio rows: each interval holds its estimate; the ratio is >= 0, the difference >= lowest."""
    out = out.set_index("measure")
    assert sorted(out.index) == ["difference", "ratio"]
    _holds(out["lower"], out["estimate"], out["upper"])
    assert out.loc["difference", "lower"] >= lowest and out.loc["ratio", "lower"] >= 0


@FAST
@given(a=binomial(), b=binomial(), level=st.floats(0.5, 0.999))
def test_compare_proportions_interval_holds_the_estimate(a, b, level):
    _check_comparison(ss.compare_proportions(*a, *b, level=level), lowest=-1)
    assert (ss.compare_proportions(*a, *b, level=level, measures="difference")["upper"] <= 1).all()


@FAST
@given(a=poisson(), b=poisson(), level=st.floats(0.5, 0.999))
@example(a=(0, 4.0), b=(0, 1.0), level=0.5)
@example(a=(0, 1.0), b=(0, 3.0), level=0.5)
def test_compare_rates_interval_holds_the_estimate(a, b, level):
    _check_comparison(ss.compare_rates(*a, *b, level=level), lowest=-np.inf)


@FAST
@given(c1=st.just(0), c2=st.integers(0, 50), e1=st.floats(1, 1e4), e2=st.floats(1, 1e4))
def test_compare_rates_with_a_zero_count(c1, c2, e1, e2):
    for args in ((c1, e1, c2, e2), (c2, e2, c1, e1)):
        out = ss.compare_rates(*args)
        _holds(out["lower"], out["estimate"], out["upper"])


@FAST
@given(n1=st.integers(1, 10**5), n2=st.integers(1, 10**5), frac=st.floats(0, 1), level=st.floats(0.5, 0.999))
def test_two_list_intervals_hold_the_estimate(n1, n2, frac, level):
    m = int(np.floor(frac * min(n1, n2)))
    r = ss.chapman(n1, n2, m, level=level).iloc[0]
    _holds(r["lower"], r["estimate"], r["upper"])
    if m >= 1:  # Lincoln-Petersen needs a recapture
        r = ss.lincoln_petersen(n1, n2, m, level=level).iloc[0]
        _holds(r["lower"], r["estimate"], r["upper"])
        assert r["lower"] >= n1 + n2 - m - 1e-9 * (n1 + n2)  # never below the number actually seen


@FAST
@given(observed=st.integers(0, 5000), p=st.floats(0.02, 0.98), width=st.floats(0, 0.3),
       level=st.floats(0.5, 0.99))
def test_multiplier_interval_holds_the_estimate(observed, p, width, level):
    reporting = p if width == 0 else (max(p - width, 0.01), min(p + width, 0.99))
    assume(np.ndim(reporting) == 0 or reporting[0] < reporting[1])
    t = ss.multiplier_estimate(observed, reporting, level=level, n_draws=4000, seed=1).table
    _holds(t["lower"], t["estimate"], t["upper"], rel=1e-9)
    assert (t["lower"] >= 0).all()


@st.composite
def rates(draw, k=(5, 30)):
    k = draw(st.integers(*k))
    e = np.array(draw(st.lists(st.floats(10, 1e4), min_size=k, max_size=k)))
    r = draw(st.floats(1e-3, 0.1))
    spread = draw(st.floats(0, 1.5))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    c = rng.poisson(e * r * np.exp(spread * rng.standard_normal(k)))
    return c, e, rng.permutation(k)


def _fit(f, *args, **kwargs):
    try:
        return f(*args, **kwargs)
    except SSStatsError as e:
        return e


def _unit_estimates_hold(fit, d, level, upper_bound):
    """Each unit's shrunken estimate lies in its interval, within [0, upper_bound]; refusals (SSStatsError) skipped."""
    fit = _fit(fit, d[0], d[1], level=level)
    assume(not isinstance(fit, SSStatsError))
    u = fit.unit_estimates()
    _holds(u["lower"], u["estimate"], u["upper"], rel=1e-7)
    assert (u["lower"] >= 0).all() and (u["upper"] <= upper_bound).all()


@SLOW
@given(d=rates(), level=st.floats(0.8, 0.99))
def test_negative_binomial_unit_rates_hold_their_estimate(d, level):
    _unit_estimates_hold(ss.fit_negative_binomial, d, level, np.inf)


@SLOW
@given(d=units(), level=st.floats(0.8, 0.99))
# found here: SciPy's brentq "f(a) and f(b) must have different signs" from the profile interval (fixed in 94ed3f1)
@example(d=(np.array([1, 0, 0, 0, 49]), np.array([1, 1, 1, 1, 161]), np.array([2, 1, 3, 4, 0])), level=0.875)
def test_beta_binomial_unit_estimates_hold_their_estimate(d, level):
    _unit_estimates_hold(ss.fit_beta_binomial, d, level, 1)


# ---------------------------------------------------------------------------------------------------------------
# limits widen with the level

def _nested(narrow, wide, rel=TOL):
    lo_n, hi_n = np.asarray(narrow["lower"], float), np.asarray(narrow["upper"], float)
    lo_w, hi_w = np.asarray(wide["lower"], float), np.asarray(wide["upper"], float)
    assert np.all(lo_w <= lo_n + rel * np.maximum(1, np.abs(np.nan_to_num(lo_n)))), (lo_w, lo_n)
    assert np.all(hi_n <= hi_w + rel * np.maximum(1, np.abs(np.nan_to_num(hi_n, posinf=0)))), (hi_n, hi_w)


@FAST
@pytest.mark.parametrize("compare, group", [(ss.compare_proportions, binomial()), (ss.compare_rates, poisson())],
                         ids=["proportions", "rates"])
@given(data=st.data(), lv=two_levels)
def test_compare_limits_widen_with_the_level(compare, group, data, lv):
    args = (*data.draw(group, label="group 1"), *data.draw(group, label="group 2"))
    narrow, wide = compare(*args, level=lv[0]), compare(*args, level=lv[1])
    assert list(narrow["measure"]) == list(wide["measure"])
    _nested(narrow, wide)


def _funnel_levels_nest(f, denominators):
    """At each denominator, the 99.8% limits contain the 95% ones (unadjusted and adjusted alike)."""
    lim = f.limits(denominators=denominators)
    for _, g in lim.groupby("adjustment"):
        l95 = g[g["level"] == 0.95].set_index("denominator").sort_index()
        l998 = g[g["level"] == 0.998].set_index("denominator").sort_index()
        assert len(l95) == len(denominators) and list(l95.index) == list(l998.index)
        _nested(l95, l998, rel=1e-9)


@SLOW
@given(d=units(), od=st.sampled_from([None, "multiplicative", "additive"]),
       limits=st.sampled_from(["exact", "normal", "wilson"]))
def test_funnel_998_limits_contain_the_95_limits(d, od, limits):
    x, n, _ = d
    f = _fit(ss.funnel, x, n, overdispersion=od, limits=limits)
    assume(not isinstance(f, SSStatsError))
    _funnel_levels_nest(f, np.unique(np.concatenate([n, [1, 5, 20, 100, 1000]])))


@SLOW
@given(d=rates(), od=st.sampled_from([None, "multiplicative", "additive"]))
def test_funnel_rate_998_limits_contain_the_95_limits(d, od):
    c, e, _ = d
    f = _fit(ss.funnel, c, e, kind="rate", overdispersion=od)
    assume(not isinstance(f, SSStatsError))
    _funnel_levels_nest(f, np.unique(np.concatenate([e, [1.0, 50.0, 5000.0]])))


# ---------------------------------------------------------------------------------------------------------------
# order of units

@SLOW
@given(d=rates())
@example(d=(np.array([6, 0, 0, 0, 0]), np.array([1505.0, 10, 10, 10, 13]), np.array([3, 0, 1, 4, 2])))
def test_negative_binomial_does_not_depend_on_unit_order(d):
    c, e, perm = d
    a, b = _both_or_neither(ss.fit_negative_binomial, (c, e), (c[perm], e[perm]))
    if isinstance(a, SSStatsError):
        return
    # the tolerance of a fitted model (CONTRIBUTING: 1e-5), not of rounding
    assert b.rate == pytest.approx(a.rate, rel=1e-5)
    assert b.alpha == pytest.approx(a.alpha, rel=1e-4, abs=1e-6) and b.boundary == a.boundary
    assert b.loglik == pytest.approx(a.loglik, rel=1e-8, abs=1e-7)
    ua, ub = a.unit_estimates(), b.unit_estimates()
    for col in ("estimate", "lower", "upper"):
        np.testing.assert_allclose(ub[col], ua[col].to_numpy()[perm], rtol=1e-5, atol=1e-9)


@SLOW
@given(d=units())
def test_quasibinomial_does_not_depend_on_unit_order(d):
    x, n, perm = d
    a, b = _both_or_neither(ss.fit_quasibinomial, (x, n), (x[perm], n[perm]))
    if isinstance(a, SSStatsError):
        return
    fa, fb = a.to_frame().set_index("term"), b.to_frame().set_index("term")
    for col in ("estimate", "se", "lower", "upper"):
        np.testing.assert_allclose(fb[col], fa[col], rtol=1e-7, atol=1e-10)
    assert b.dispersion == pytest.approx(a.dispersion, rel=1e-8)


@FAST
@given(data=st.lists(st.tuples(st.integers(0, 500), st.integers(0, 100), st.integers(0, 100)), min_size=1,
                     max_size=12),
       seed=st.integers(0, 2**32 - 1))
def test_cascade_from_a_unit_frame_does_not_depend_on_unit_order(data, seed):
    inc = np.array([d[0] for d in data])
    rep = np.minimum(np.array([d[1] for d in data]), inc)
    chg = np.minimum(np.array([d[2] for d in data]), rep)
    frame = pd.DataFrame({"unit_id": [f"u{i}" for i in range(inc.size)], "incidents": inc,
                          "police_reports": rep, "charges": chg})
    perm = np.random.default_rng(seed).permutation(inc.size)
    a, b = _both_or_neither(ss.Cascade, (frame,), (frame.iloc[perm].reset_index(drop=True),))
    if isinstance(a, SSStatsError):
        return
    np.testing.assert_array_equal(a.counts, b.counts)
    assert a.overall == pytest.approx(b.overall, rel=1e-12) if a.overall is not None else b.overall is None
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())


@st.composite
def capture_histories(draw):
    t = draw(st.integers(3, 5))
    k = draw(st.integers(25, 80))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    p = rng.uniform(0.2, 0.6, size=t)
    h = (rng.random((k * 3, t)) < p).astype(int)
    h = h[h.sum(axis=1) > 0][:k]
    perm = rng.permutation(h.shape[0])
    return pd.DataFrame(h, columns=[f"c{j + 1}" for j in range(t)]), perm


def _table(r):
    t = r.table.set_index("model")
    return t[[c for c in ("abundance", "stderr", "deviance", "df", "AIC", "BIC", "lower", "upper") if c in t]]


@SLOW
@given(d=capture_histories())
def test_closed_population_does_not_depend_on_row_order(d):
    h, perm = d
    a, b = _both_or_neither(ss.closed_population, (h,), (h.iloc[perm].reset_index(drop=True),))
    if isinstance(a, SSStatsError):
        return
    pd.testing.assert_frame_equal(_table(a), _table(b), check_exact=False, rtol=1e-6, atol=1e-8)


def test_closed_population_hare_rows_reversed():
    from pathlib import Path

    hare = pd.read_csv(Path(__file__).resolve().parents[1] / "data" / "hare_capture_histories.csv", comment="#")
    a = ss.closed_population(hare)
    b = ss.closed_population(hare.iloc[::-1].reset_index(drop=True))
    pd.testing.assert_frame_equal(_table(a), _table(b), check_exact=False, rtol=1e-6, atol=1e-8)
