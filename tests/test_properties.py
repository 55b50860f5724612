"""Property-based tests (hypothesis) of ssstats' public functions.

Properties that must hold for any valid input, whatever the method: intervals contain their estimate and lie in
the parameter space; limits widen with the level; proportions are symmetric under x -> n - x for the symmetric
methods; rates scale with ``per``; results do not depend on the order of units; disclosure control keeps what it
does not hide.  Examples are few (``max_examples``) and unhurried (``deadline=None``) to keep the suite fast, and
derandomised: the same examples every run, so that a failure reproduces.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import ssstats as ss
from ssstats import SSStatsError
from ssstats.rates import PROPORTION_METHODS, RATE_METHODS

FAST = settings(max_examples=15, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=8, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SYMMETRIC = ["wilson", "exact", "jeffreys", "mid_p", "agresti_coull", "wald"]


@st.composite
def binomial_data(draw, max_n=5000, size=8):
    n = np.array(draw(st.lists(st.integers(1, max_n), min_size=1, max_size=size)))
    frac = np.array(draw(st.lists(st.floats(0, 1), min_size=n.size, max_size=n.size)))
    x = np.floor(frac * n).astype(int)
    return x, n


levels = st.floats(0.5, 0.999)


# ---------------------------------------------------------------------------------------------------------------
# proportions

@pytest.mark.parametrize("method", list(PROPORTION_METHODS))
@FAST
@given(data=binomial_data(), level=levels)
def test_proportion_limits_contain_the_estimate(method, data, level):
    x, n = data
    ci = ss.proportion_ci(x, n, method=method, level=level)
    lo, est, hi = ci["lower"].to_numpy(), ci["estimate"].to_numpy(), ci["upper"].to_numpy()
    assert np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))
    assert np.all(0 <= lo) and np.all(lo <= est) and np.all(est <= hi) and np.all(hi <= 1)


@pytest.mark.parametrize("method", list(PROPORTION_METHODS))
@FAST
@given(data=binomial_data(), l1=levels, l2=levels)
def test_proportion_limits_widen_with_the_level(method, data, l1, l2):
    assume(abs(l1 - l2) > 1e-6)
    lo_lev, hi_lev = sorted((l1, l2))
    x, n = data
    ci = ss.proportion_ci(x, n, method=method, level=(lo_lev, hi_lev))
    a, b = ci[ci["level"] == lo_lev], ci[ci["level"] == hi_lev]
    assert np.all(b["lower"].to_numpy() <= a["lower"].to_numpy() + 1e-12)
    assert np.all(b["upper"].to_numpy() >= a["upper"].to_numpy() - 1e-12)


@pytest.mark.parametrize("method", SYMMETRIC)
@FAST
@given(data=binomial_data(), level=levels)
def test_proportion_symmetry_under_x_to_n_minus_x(method, data, level):
    x, n = data
    a = ss.proportion_ci(x, n, method=method, level=level)
    b = ss.proportion_ci(n - x, n, method=method, level=level)
    np.testing.assert_allclose(a["lower"], 1 - b["upper"].to_numpy(), atol=1e-10)
    np.testing.assert_allclose(a["upper"], 1 - b["lower"].to_numpy(), atol=1e-10)


@FAST
@given(data=binomial_data(max_n=400, size=1), level=levels)
def test_vectorised_equals_one_at_a_time(data, level):
    x, n = data
    x2 = np.append(x, [0, 3])
    n2 = np.append(n, [7, 11])
    many = ss.proportion_ci(x2, n2, method="mid_p", level=level)
    one = ss.proportion_ci(int(x[0]), int(n[0]), method="mid_p", level=level)
    np.testing.assert_allclose(many[["lower", "upper"]].to_numpy()[0], one[["lower", "upper"]].to_numpy()[0],
                               rtol=1e-9, atol=1e-14)


# ---------------------------------------------------------------------------------------------------------------
# rates

counts = st.lists(st.integers(0, 10**6), min_size=1, max_size=8)


@pytest.mark.parametrize("method", list(RATE_METHODS))
@FAST
@given(c=counts, exposure=st.floats(1e-3, 1e7), level=levels)
def test_rate_limits_contain_the_estimate_and_widen(method, c, exposure, level):
    c = np.array(c)
    ci = ss.rate_ci(c, exposure, method=method, level=(level, min(level + 0.0009, 0.9999)))
    k = c.size
    lo, est, hi = ci["lower"].to_numpy(), ci["estimate"].to_numpy(), ci["upper"].to_numpy()
    assert np.all(np.isfinite(hi)) and np.all(0 <= lo)
    assert np.all(lo <= est * (1 + 1e-12)) and np.all(est <= hi * (1 + 1e-12))
    assert np.all(lo[k:] <= lo[:k] + 1e-12 * hi[:k]) and np.all(hi[k:] >= hi[:k] * (1 - 1e-12))


@pytest.mark.parametrize("method", list(RATE_METHODS))
@FAST
@given(c=counts, exposure=st.floats(1e-2, 1e6), per=st.sampled_from([1, 100, 1000, 100000]))
def test_rate_scales_with_per_and_exposure(method, c, exposure, per):
    a = ss.rate_ci(c, exposure, method=method, per=per)
    b = ss.rate_ci(c, exposure * 10, method=method, per=per * 10)
    for col in ("estimate", "lower", "upper"):
        np.testing.assert_allclose(a[col], b[col], rtol=1e-12)
    c1 = ss.rate_ci(c, exposure, method=method)
    np.testing.assert_allclose(a["upper"], per * c1["upper"].to_numpy(), rtol=1e-12)


# ---------------------------------------------------------------------------------------------------------------
# comparisons and two-list estimates

@FAST
@given(a=binomial_data(max_n=3000, size=1), b=binomial_data(max_n=3000, size=1))
def test_compare_proportions_difference_interval_contains_estimate(a, b):
    (x1,), (n1,) = a
    (x2,), (n2,) = b
    out = ss.compare_proportions(int(x1), int(n1), int(x2), int(n2), measures="difference")
    r = out.iloc[0]
    assert -1 <= r["lower"] <= r["estimate"] + 1e-12 and r["estimate"] <= r["upper"] + 1e-12 and r["upper"] <= 1
    assert 0 <= r["p_value"] <= 1 and 0 <= r["fisher_p_value"] <= 1


@FAST
@given(n1=st.integers(1, 10**5), n2=st.integers(1, 10**5), frac=st.floats(0, 1))
def test_chapman_interval_contains_estimate_and_observed(n1, n2, frac):
    m = int(np.floor(frac * min(n1, n2)))
    r = ss.chapman(n1, n2, m).iloc[0]
    assert r["lower"] <= r["estimate"] * (1 + 1e-12) and r["estimate"] <= r["upper"] * (1 + 1e-12)
    assert r["lower"] >= n1 + n2 - m - 1e-9  # never below the number actually seen


# ---------------------------------------------------------------------------------------------------------------
# order of units

@st.composite
def unit_data(draw, units=(5, 40)):
    k = draw(st.integers(*units))
    n = np.array(draw(st.lists(st.integers(1, 200), min_size=k, max_size=k)))
    p = draw(st.floats(0.02, 0.5))
    spread = draw(st.floats(0, 1))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    pi = np.clip(p * np.exp(spread * rng.standard_normal(k)), 0, 1)
    x = rng.binomial(n, pi)
    perm = rng.permutation(k)
    return x, n, perm


def _both_or_neither(f, *args_pairs):
    """Call f on the original and the permuted data; both must succeed or both must raise SSStatsError."""
    out = []
    for args in args_pairs:
        try:
            out.append(f(*args))
        except SSStatsError as e:
            out.append(e)
    assert isinstance(out[0], SSStatsError) == isinstance(out[1], SSStatsError), out
    return out


@SLOW
@given(d=unit_data())
def test_beta_binomial_fit_does_not_depend_on_unit_order(d):
    x, n, perm = d
    a, b = _both_or_neither(ss.fit_beta_binomial, (x, n), (x[perm], n[perm]))
    if isinstance(a, SSStatsError):
        return
    assert b.mu == pytest.approx(a.mu, rel=1e-6, abs=1e-9)
    assert b.rho == pytest.approx(a.rho, rel=1e-5, abs=1e-7)
    assert b.loglik == pytest.approx(a.loglik, rel=1e-9)
    ci = a.ci.set_index("parameter")  # and each interval holds its estimate
    assert ci.loc["mu", "lower"] <= a.mu <= ci.loc["mu", "upper"]
    assert ci.loc["rho", "lower"] <= a.rho <= ci.loc["rho", "upper"]
    ua, ub = a.unit_estimates(), b.unit_estimates()
    np.testing.assert_allclose(ub["estimate"], ua["estimate"].to_numpy()[perm], rtol=1e-5, atol=1e-7)


@SLOW
@given(d=unit_data(), od=st.sampled_from([None, "multiplicative", "additive"]))
def test_funnel_does_not_depend_on_unit_order(d, od):
    x, n, perm = d
    labels = np.array([f"u{i}" for i in range(x.size)])
    a, b = _both_or_neither(lambda *a: ss.funnel(*a[:2], labels=a[2], overdispersion=od),
                            (x, n, labels), (x[perm], n[perm], labels[perm]))
    if isinstance(a, SSStatsError):
        return
    assert b.target == pytest.approx(a.target, rel=1e-12)
    for attr in ("phi", "tau2"):
        va, vb = getattr(a, attr), getattr(b, attr)
        assert (np.isnan(va) and np.isnan(vb)) or vb == pytest.approx(va, rel=1e-8, abs=1e-14)
    ua = a.units.set_index("unit").sort_index()
    ub = b.units.set_index("unit").sort_index()
    pd.testing.assert_frame_equal(ua, ub, check_exact=False, rtol=1e-8)


@st.composite
def capture_tables(draw):
    k = draw(st.integers(3, 4))
    h = np.array([[(i >> j) & 1 for j in range(k)] for i in range(1, 2**k)])
    c = np.array(draw(st.lists(st.integers(0, 300), min_size=h.shape[0], max_size=h.shape[0])))
    c[h.sum(axis=1) == 1] += draw(st.integers(20, 200))  # every list has records of its own
    frame = pd.DataFrame(h, columns=[f"L{j}" for j in range(k)]).assign(count=c)
    perm = draw(st.permutations(list(range(len(frame)))))
    return frame, perm


@SLOW
@given(d=capture_tables(), model=st.sampled_from(["main", "stepwise"]))
def test_mse_does_not_depend_on_row_order(d, model):
    frame, perm = d
    a, b = _both_or_neither(lambda f: ss.fit_mse(f, count="count", model=model),
                            (frame,), (frame.iloc[perm].reset_index(drop=True),))
    if isinstance(a, SSStatsError):
        return
    assert b.estimate == pytest.approx(a.estimate, rel=1e-8)
    assert b.lower == pytest.approx(a.lower, rel=1e-8) and b.upper == pytest.approx(a.upper, rel=1e-8)
    assert sorted(a.terms) == sorted(b.terms)
    assert a.lower <= a.estimate <= a.upper and a.estimate >= a.n_observed


@FAST
@given(data=st.lists(st.tuples(st.integers(0, 60), st.integers(100, 5000)), min_size=4, max_size=12),
       benchmark=st.sampled_from(["top_quartile", "top_decile"]), seed=st.integers(0, 2**16))
def test_relative_completeness_does_not_depend_on_unit_order(data, benchmark, seed):
    x = np.array([d[0] for d in data])
    e = np.array([d[1] for d in data], dtype=float)
    assume(x.sum() > 0)
    perm = np.random.default_rng(seed).permutation(x.size)
    a = ss.relative_completeness(x, e, benchmark=benchmark).table
    b = ss.relative_completeness(x[perm], e[perm], benchmark=benchmark, labels=perm).table
    b = b.set_index("unit").loc[np.arange(x.size)].reset_index()
    for col in ("estimate", "lower", "upper"):
        np.testing.assert_allclose(b[col], a[col], rtol=1e-12)
    assert (a["flagged"].to_numpy() == b["flagged"].to_numpy()).all()
    assert (a["lower"] <= a["estimate"]).all() and (a["estimate"] <= a["upper"]).all()


# ---------------------------------------------------------------------------------------------------------------
# disclosure control

@FAST
@given(cells=st.lists(st.lists(st.integers(0, 5000), min_size=2, max_size=2), min_size=1, max_size=12),
       secondary=st.sampled_from([True, False, "rows", "columns"]))
def test_suppress_preserves_what_it_does_not_hide(cells, secondary):
    t = pd.DataFrame(cells, columns=["incidents", "referred"])
    t.insert(0, "unit", [f"U{i}" for i in range(len(t))])
    try:
        out = ss.suppress(t, columns=["incidents", "referred"], secondary=secondary)
    except SSStatsError as err:
        # refused only when a hidden cell cannot be protected (its line totals too small; the disclosure tests
        # check that each refusal is true with their own linear programme); nothing half-done is returned
        assert "cannot be protected" in str(err) and "aggregate" in str(err)
        return
    assert out.index.equals(t.index) and list(out.columns) == list(t.columns)
    assert out["unit"].tolist() == t["unit"].tolist()
    for col in ("incidents", "referred"):
        for v, shown in zip(t[col], out[col]):
            if 1 <= v <= 7:
                assert shown == "*"  # always hidden
            elif shown != "*":
                # nearest multiple of 5 (no ties for an odd base), written with thousands separators
                assert shown == f"{5 * int(np.floor(v / 5 + 0.5)):,}"
    hidden = out.attrs["suppressed"]
    assert len(hidden) == int((out[["incidents", "referred"]] == "*").to_numpy().sum())
