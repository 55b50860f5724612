"""Tests of ssstats.units against R (tests/results/units_reference.R: VGAM, MASS, stats) and published values.

All data here are synthetic (made by the R script with fixed seeds, or below with fixed seeds), except VGAM's
``lirat`` data.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, optimize, special, stats

import ssstats as ss
from ssstats import SSStatsError

RESULTS = Path(__file__).parent / "results"
RTOL = 1e-5  # fitted models (CONTRIBUTING.md)


@pytest.fixture(scope="module")
def ref():
    r = pd.read_csv(RESULTS / "units_reference.csv")
    return {(d, q): v for d, q, v in r.itertuples(index=False)}


@pytest.fixture(scope="module")
def d1():
    return pd.read_csv(RESULTS / "units_data_bb.csv")


@pytest.fixture(scope="module")
def bb(d1):
    return ss.fit_beta_binomial(d1.y, d1.n, labels=d1.unit)


@pytest.fixture(scope="module")
def nb(d1):
    return ss.fit_negative_binomial(d1.events, d1.bed_days, labels=d1.unit)


@pytest.fixture(scope="module")
def cens_data():
    return pd.read_csv(RESULTS / "units_data_censored.csv")


# ------------------------------------------------------------------------------------------ beta-binomial vs VGAM

def test_beta_binomial_matches_vgam(bb, ref):
    assert bb.mu == pytest.approx(ref["bb", "mu"], rel=RTOL)
    assert bb.rho == pytest.approx(ref["bb", "rho"], rel=RTOL)
    assert bb.alpha == pytest.approx(ref["bb", "alpha"], rel=RTOL)
    assert bb.beta == pytest.approx(ref["bb", "beta"], rel=RTOL)
    # VGAM's logLik includes the binomial coefficients, as ours does
    assert bb.loglik == pytest.approx(ref["bb", "loglik_vgam"], rel=1e-9)
    assert bb.loglik_binomial == pytest.approx(ref["bb", "loglik_binomial"], rel=1e-9)
    assert bb.lrt[0] == pytest.approx(2 * (ref["bb", "loglik"] - ref["bb", "loglik_binomial"]), rel=1e-7)
    assert bb.lrt[1] == pytest.approx(0.5 * stats.chi2.sf(bb.lrt[0], 1), rel=1e-12)
    assert bb.n_units == 60 and bb.n_excluded == 0 and bb.n_censored == 0


def test_beta_binomial_observed_information_se(bb, ref):
    assert bb.se["logit_mu"] == pytest.approx(ref["bb", "se_logit_mu"], rel=RTOL)
    assert bb.se["logit_rho"] == pytest.approx(ref["bb", "se_logit_rho"], rel=RTOL)
    # delta method back to the natural scale
    assert bb.se["mu"] == pytest.approx(ref["bb", "se_logit_mu"] * bb.mu * (1 - bb.mu), rel=RTOL)


def test_beta_binomial_profile_intervals_match_r(bb, ref):
    ci = bb.ci.set_index("parameter")
    for p in ("mu", "rho"):
        assert ci.loc[p, "lower"] == pytest.approx(ref["bb", f"{p}_lower"], rel=RTOL)
        assert ci.loc[p, "upper"] == pytest.approx(ref["bb", f"{p}_upper"], rel=RTOL)
    frame = bb.to_frame()
    assert list(frame.parameter) == ["mu", "rho", "alpha", "beta"]
    assert frame.loc[0, "lower"] == ci.loc["mu", "lower"]


def test_beta_binomial_alpha_beta_profile_intervals_match_r(bb, ref):
    frame = bb.to_frame().set_index("parameter")
    for p in ("alpha", "beta"):
        assert frame.loc[p, "lower"] == pytest.approx(ref["bb", f"{p}_lower"], rel=RTOL)
        assert frame.loc[p, "upper"] == pytest.approx(ref["bb", f"{p}_upper"], rel=RTOL)
        assert frame.loc[p, "method"] == "profile likelihood"
    assert frame[["lower", "upper"]].notna().all().all()


def test_alpha_beta_intervals_at_the_boundaries():
    # rho = 0 (identical units): alpha and beta are infinite; their intervals are [lower, inf), one-sided
    fit = ss.fit_beta_binomial(np.full(30, 2), np.full(30, 10))
    frame = fit.to_frame().set_index("parameter")
    assert np.isinf(frame.loc["alpha", "upper"]) and np.isinf(frame.loc["beta", "upper"])
    assert 0 < frame.loc["alpha", "lower"] < np.inf and "one-sided" in frame.loc["alpha", "method"]
    # the lower limit is where the profile deviance over beta reaches the one-sided cut-off (2.71), computed
    # here with scipy's beta-binomial log-pmf and a bounded scalar optimiser
    y, n = np.full(30, 2), np.full(30, 10)
    best = lambda a: -optimize.minimize_scalar(  # noqa: E731
        lambda t: -stats.betabinom.logpmf(y, n, a, np.exp(t)).sum(), bounds=(np.log(a) - 5, np.log(a) + 5),
        method="bounded", options=dict(xatol=1e-12)).fun
    a_lo = frame.loc["alpha", "lower"]
    assert 2 * (fit.loglik - best(a_lo)) == pytest.approx(stats.chi2.ppf(0.90, 1), rel=1e-5)
    # rho = 0 with huge trials (the log-gamma path): the search for alpha's lower limit starts close enough to
    # the binomial (rho ~ 1e-6 / n), whatever n
    fit = ss.fit_beta_binomial([1, 0, 2, 1], [10**9] * 4)
    frame = fit.to_frame().set_index("parameter")
    assert fit.rho == 0 and 0 < frame.loc["alpha", "lower"] < np.inf and np.isinf(frame.loc["alpha", "upper"])
    # rho at 1 (all-or-none units): alpha and beta tend to 0, lower limits 0
    fit = ss.fit_beta_binomial([0, 3, 0, 4, 2, 0, 0, 1], [2, 3, 4, 4, 2, 3, 1, 1])
    frame = fit.to_frame().set_index("parameter")
    assert frame.loc["alpha", "lower"] == 0 and 0 < frame.loc["alpha", "upper"] < np.inf


def test_beta_binomial_unit_estimates_match_r(bb):
    r = pd.read_csv(RESULTS / "units_eb.csv")
    r = r[r.model == "beta_binomial"].reset_index(drop=True)
    out = bb.unit_estimates()
    assert list(out.unit) == list(r.unit)
    for c in ("estimate", "lower", "upper"):
        np.testing.assert_allclose(out[c], r[c], rtol=RTOL)
    # shrinkage: every estimate lies between the raw proportion and mu
    lo = np.minimum(out.raw, bb.mu)
    hi = np.maximum(out.raw, bb.mu)
    assert np.all((out.estimate >= lo - 1e-12) & (out.estimate <= hi + 1e-12))


def test_beta_binomial_predictive_interval_matches_r(bb):
    r = pd.read_csv(RESULTS / "units_predictive.csv")
    r = r[r.model == "beta_binomial"]
    out = bb.predictive_interval(r["size"].to_numpy(), level=0.95)
    np.testing.assert_array_equal(out.lower, r.lower)
    np.testing.assert_array_equal(out.upper, r.upper)
    np.testing.assert_allclose(out.upper_proportion, r.upper / r["size"], rtol=1e-12)
    two = bb.predictive_interval(20, level=(0.95, 0.998))
    assert list(two.level) == [0.95, 0.998] and two.upper.iloc[1] >= two.upper.iloc[0]


def test_lirat_published_and_vgam(ref):
    lirat = pd.read_csv(RESULTS / "units_data_lirat.csv")
    lirat = lirat[lirat.N > 1]  # as VGAM's documented example (subset = N > 1)
    fit = ss.fit_beta_binomial(lirat.R, lirat.N)
    # published values (methods.md), printed by VGAM to 7 significant digits at its default tolerance
    assert fit.mu == pytest.approx(0.4702838, rel=5e-6)
    assert fit.rho == pytest.approx(0.6003587, rel=5e-6)
    assert fit.loglik == pytest.approx(-122.6953, abs=5e-5)
    # VGAM with a tight tolerance
    assert fit.mu == pytest.approx(ref["lirat", "mu"], rel=1e-6)
    assert fit.rho == pytest.approx(ref["lirat", "rho"], rel=1e-6)
    assert fit.loglik == pytest.approx(ref["lirat", "loglik"], rel=1e-9)


# ------------------------------------------------------------------------------------------------ censored cells

def test_censored_matches_r_optim(cens_data, ref):
    d = cens_data
    assert d.y.isna().sum() == ref["censored", "n_censored"]
    fit = ss.fit_beta_binomial(d.y, d.n, censored=(d.lower, d.upper), labels=d.unit)
    assert fit.n_censored == ref["censored", "n_censored"]
    assert fit.mu == pytest.approx(ref["censored", "mu"], rel=RTOL)
    assert fit.rho == pytest.approx(ref["censored", "rho"], rel=RTOL)
    assert fit.loglik == pytest.approx(ref["censored", "loglik"], rel=1e-8)
    assert "censored" in fit.summary()
    # the uncensored truth, fitted by VGAM
    full = ss.fit_beta_binomial(d.y_true, d.n)
    assert full.mu == pytest.approx(ref["uncensored", "mu"], rel=RTOL)
    assert full.rho == pytest.approx(ref["uncensored", "rho"], rel=RTOL)
    assert full.loglik == pytest.approx(ref["uncensored", "loglik"], rel=1e-8)


def test_censored_posterior_by_numerical_integration(cens_data):
    d = cens_data
    fit = ss.fit_beta_binomial(d.y, d.n, censored=(d.lower, d.upper))
    est = fit.unit_estimates()
    a, b = fit.alpha, fit.beta
    for i in np.flatnonzero(d.censored.to_numpy())[:2]:
        n, lo, hi = int(d.n[i]), int(d.lower[i]), int(d.upper[i])

        def dens(p):  # prior x P(lo <= Y <= hi | p)
            like = stats.binom.cdf(hi, n, p) - stats.binom.cdf(lo - 1, n, p)
            return stats.beta.pdf(p, a, b) * like

        z = integrate.quad(dens, 0, 1, epsabs=1e-14, epsrel=1e-11, limit=200)[0]
        mean = integrate.quad(lambda p: p * dens(p), 0, 1, epsabs=1e-14, epsrel=1e-11, limit=200)[0] / z

        def cdf(x):
            return integrate.quad(dens, 0, x, epsabs=1e-14, epsrel=1e-11, limit=200)[0] / z

        q_lo = optimize.brentq(lambda x: cdf(x) - 0.025, 1e-9, 0.5, xtol=1e-12)
        q_hi = optimize.brentq(lambda x: cdf(x) - 0.975, 1e-3, 1 - 1e-9, xtol=1e-12)
        assert est.censored[i] and np.isnan(est.raw[i])
        assert est.estimate[i] == pytest.approx(mean, rel=1e-8)
        assert est.lower[i] == pytest.approx(q_lo, rel=1e-6)
        assert est.upper[i] == pytest.approx(q_hi, rel=1e-6)


def test_censored_nan_trials_refused():
    with pytest.raises(SSStatsError, match=r"`trials` is missing.*unit 'B'"):
        ss.fit_beta_binomial(pd.Series([1, 2, 3], index=["A", "B", "C"]), [5, np.nan, 7])


def test_censored_missing_bounds_refused():
    with pytest.raises(SSStatsError, match=r"`successes` is missing.*position 1.*censored="):
        ss.fit_beta_binomial([1, np.nan, 3], [5, 6, 7])
    with pytest.raises(SSStatsError, match="lower bound must not exceed"):
        ss.fit_beta_binomial([1, np.nan, 3], [5, 6, 7], censored=([1, 4, 3], [1, 2, 3]))
    with pytest.raises(SSStatsError, match=r"lower bound must not exceed `trials`; got lower=4 > trials=3"):
        ss.fit_beta_binomial([1, np.nan, 3], [5, 3, 7], censored=([1, 4, 3], [1, 7, 3]))
    # "*" = 1-7 in a unit with 3 trials holds 1-3: the same fit as the bounds (1, 3)
    a = ss.fit_beta_binomial([1, np.nan, 3, 0], [5, 3, 7, 4], censored=([1, 1, 3, 0], [1, 7, 3, 0]))
    b = ss.fit_beta_binomial([1, np.nan, 3, 0], [5, 3, 7, 4], censored=([1, 1, 3, 0], [1, 3, 3, 0]))
    assert a.loglik == b.loglik and a.mu == b.mu
    with pytest.raises(SSStatsError, match="outside its `censored` bounds"):
        ss.fit_beta_binomial([1, np.nan, 3], [5, 6, 7], censored=([2, 1, 3], [2, 4, 3]))


# ----------------------------------------------------------------------------------------------- boundary rho = 0

def _binomial_profile_upper(y, n, crit):
    """Independent: upper rho where 2(l_binomial - max_mu l(mu, rho)) = crit, with scipy's betabinom."""
    mu0 = y.sum() / n.sum()
    l0 = stats.binom.logpmf(y, n, mu0).sum()

    def prof(r):
        s = (1 - r) / r
        f = lambda m: -stats.betabinom.logpmf(y, n, m * s, (1 - m) * s).sum()  # noqa: E731
        return -optimize.minimize_scalar(f, bounds=(1e-6, 1 - 1e-6), method="bounded",
                                         options=dict(xatol=1e-12)).fun

    return optimize.brentq(lambda r: 2 * (l0 - prof(r)) - crit, 1e-8, 0.9, xtol=1e-13), l0


def test_rho_at_zero_identical_units():
    y = np.full(30, 2)
    n = np.full(30, 10)
    fit = ss.fit_beta_binomial(y, n)
    assert fit.rho == 0 and fit.mu == pytest.approx(0.2, rel=1e-9)
    assert np.isinf(fit.alpha) and np.isinf(fit.beta)
    upper, l0 = _binomial_profile_upper(y, n, stats.chi2.ppf(0.90, 1))
    assert fit.loglik == pytest.approx(l0, rel=1e-10)
    assert fit.lrt == (0.0, 1.0)
    ci = fit.ci.set_index("parameter")
    assert ci.loc["rho", "lower"] == 0
    assert ci.loc["rho", "upper"] == pytest.approx(upper, rel=1e-5)
    assert "one-sided" in ci.loc["rho", "method"]
    assert np.isnan(fit.se["rho"]) and fit.se["mu"] == pytest.approx(np.sqrt(0.2 * 0.8 / 300), rel=1e-7)
    est = fit.unit_estimates()
    assert np.all(est.estimate == fit.mu)
    assert "boundary" in fit.summary()
    pred = fit.predictive_interval(50)
    assert pred.lower[0] == stats.binom.ppf(0.025, 50, 0.2) and pred.upper[0] == stats.binom.ppf(0.975, 50, 0.2)


def test_rho_at_zero_binomial_data():
    rng = np.random.default_rng(11)  # synthetic binomial data, no overdispersion
    n = rng.integers(5, 40, size=200)
    y = rng.binomial(n, 0.1)
    fit = ss.fit_beta_binomial(y, n)
    l_bin = stats.binom.logpmf(y, n, y.sum() / n.sum()).sum()
    if fit.rho == 0:
        assert fit.loglik == pytest.approx(l_bin, rel=1e-10)
        assert fit.lrt[1] == 1.0
    else:  # a small positive rho is possible by chance: then the fit must beat the binomial
        assert fit.loglik > l_bin and fit.lrt[1] > 0.05
    assert fit.ci.set_index("parameter").loc["rho", "lower"] == 0


# ------------------------------------------------------------------------------------------------ regressions

def test_beta_binomial_regression_matches_vgam(d1, ref):
    cov = d1[["ward", "period"]]
    fit = ss.fit_beta_binomial_regression(d1.y, d1.n, cov)
    c = fit.coef.set_index("term")
    assert list(c.index) == ["const", "ward[single_sex]", "period", "logit(rho)"]
    assert c.loc["const", "estimate"] == pytest.approx(ref["bbreg", "coef_(Intercept):1"], rel=RTOL)
    assert c.loc["ward[single_sex]", "estimate"] == pytest.approx(ref["bbreg", "coef_wardsingle_sex"], rel=RTOL)
    assert c.loc["period", "estimate"] == pytest.approx(ref["bbreg", "coef_period"], rel=RTOL)
    assert c.loc["logit(rho)", "estimate"] == pytest.approx(ref["bbreg", "coef_(Intercept):2"], rel=RTOL)
    assert fit.loglik == pytest.approx(ref["bbreg", "loglik"], rel=1e-9)
    for term, key in (("const", "se_const"), ("ward[single_sex]", "se_ward"), ("period", "se_period"),
                      ("logit(rho)", "se_logit_rho")):
        assert c.loc[term, "se"] == pytest.approx(ref["bbreg", key], rel=RTOL)
    assert "rho" in fit.summary()


def test_beta_binomial_regression_intercept_only_equals_fit(bb, d1):
    fit = ss.fit_beta_binomial_regression(d1.y, d1.n)
    assert special.expit(fit.params["const"]) == pytest.approx(bb.mu, rel=1e-7)
    assert fit.rho == pytest.approx(bb.rho, rel=1e-7)
    assert fit.bse["const"] == pytest.approx(bb.se["logit_mu"], rel=1e-6)


def test_quasibinomial_matches_r(d1, ref):
    fit = ss.fit_quasibinomial(d1.y, d1.n, d1[["ward", "period"]])
    c = fit.coef
    for i in range(3):
        for col, key in (("estimate", "coef"), ("se", "se"), ("statistic", "t"), ("p_value", "p"),
                         ("lower", "lower"), ("upper", "upper")):
            assert c[col][i] == pytest.approx(ref["quasi", f"{key}_{i + 1}"], rel=1e-7)
    assert fit.dispersion == pytest.approx(ref["quasi", "dispersion"], rel=1e-8)
    assert (c.test == "t").all()
    assert "dispersion" in fit.summary()


def test_regression_units_without_trials_left_out(d1):
    y = np.append(d1.y, 0)
    n = np.append(d1.n, 0)
    cov = pd.concat([d1[["ward", "period"]], pd.DataFrame({"ward": ["mixed"], "period": [1]})], ignore_index=True)
    a = ss.fit_quasibinomial(y, n, cov)
    b = ss.fit_quasibinomial(d1.y, d1.n, d1[["ward", "period"]])
    assert a.n_excluded == 1 and a.n_units == 60
    np.testing.assert_allclose(a.params, b.params, rtol=1e-10)
    assert "1 with no trials left out" in a.summary()


def test_covariate_problems_named(d1):
    cov = d1[["ward", "period"]].copy()
    cov.loc[3, "ward"] = None
    with pytest.raises(SSStatsError, match=r"column 'ward' is missing.*position 3"):
        ss.fit_quasibinomial(d1.y, d1.n, cov)
    with pytest.raises(SSStatsError, match="one row per unit"):
        ss.fit_quasibinomial(d1.y, d1.n, d1[["ward"]].iloc[:10])
    with pytest.raises(SSStatsError, match="collinear"):
        ss.fit_quasibinomial(d1.y, d1.n, pd.DataFrame({"a": d1.period, "b": 2 * d1.period}))
    with pytest.raises(SSStatsError, match="DataFrame"):
        ss.fit_quasibinomial(d1.y, d1.n, "ward + period")


# --------------------------------------------------------------------------------------- negative binomial vs MASS

def test_negative_binomial_matches_glm_nb(nb, ref):
    assert nb.params["const"] == pytest.approx(ref["nb", "coef_1"], rel=RTOL)
    assert nb.theta == pytest.approx(ref["nb", "theta"], rel=RTOL)
    assert nb.alpha == pytest.approx(1 / ref["nb", "theta"], rel=RTOL)
    assert nb.rate == pytest.approx(np.exp(ref["nb", "coef_1"]), rel=RTOL)
    assert nb.loglik == pytest.approx(ref["nb", "loglik"], rel=1e-9)
    assert nb.bse["const"] == pytest.approx(ref["nb", "se_1"], rel=RTOL)
    assert nb.bse["alpha"] == pytest.approx(ref["nb", "se_alpha"], rel=RTOL)
    assert not nb.boundary and "theta" in nb.summary()


def test_negative_binomial_regression_matches_glm_nb(d1, ref):
    fit = ss.fit_negative_binomial(d1.events, d1.bed_days, d1[["ward", "period"]])
    for i in range(3):
        assert fit.params.iloc[i] == pytest.approx(ref["nbreg", f"coef_{i + 1}"], rel=RTOL)
        assert fit.bse.iloc[i] == pytest.approx(ref["nbreg", f"se_{i + 1}"], rel=RTOL)
    assert fit.theta == pytest.approx(ref["nbreg", "theta"], rel=RTOL)
    assert fit.loglik == pytest.approx(ref["nbreg", "loglik"], rel=1e-9)
    assert list(fit.coef.term) == ["const", "ward[single_sex]", "period"]


def test_negative_binomial_unit_rates_and_predictive(nb):
    r = pd.read_csv(RESULTS / "units_eb.csv")
    r = r[r.model == "gamma_poisson"].reset_index(drop=True)
    out = nb.unit_estimates()
    for c in ("estimate", "lower", "upper"):
        np.testing.assert_allclose(out[c], r[c], rtol=RTOL)
    p = pd.read_csv(RESULTS / "units_predictive.csv")
    p = p[p.model == "negative_binomial"]
    pred = nb.predictive_interval(p["size"].to_numpy())
    np.testing.assert_array_equal(pred.lower, p.lower)
    np.testing.assert_array_equal(pred.upper, p.upper)


def test_negative_binomial_poisson_boundary():
    rng = np.random.default_rng(5)  # synthetic under-dispersed counts: alpha's maximum is at 0
    e = rng.uniform(1000, 5000, 50)
    y = np.round(e * 0.003)
    fit = ss.fit_negative_binomial(y, e)
    lp = stats.poisson.logpmf(y, e * y.sum() / e.sum()).sum()
    assert fit.boundary and fit.alpha == 0 and np.isinf(fit.theta)
    assert fit.loglik == pytest.approx(lp, rel=1e-10)
    assert fit.rate == pytest.approx(y.sum() / e.sum(), rel=1e-8)
    assert "boundary" in fit.summary()
    est = fit.unit_estimates()
    np.testing.assert_allclose(est.estimate, fit.rate, rtol=1e-12)
    pred = fit.predictive_interval(2000)
    assert pred.upper[0] == stats.poisson.ppf(0.975, 2000 * fit.rate)


# ------------------------------------------------------------------------------------------------- bad inputs

@pytest.mark.parametrize("y, n, match", [
    ([1, 7, 2], [5, 6, 7], r"`successes` must be less than or equal to `trials`.*successes=7 > trials=6.*position 1"),
    ([1, -1, 2], [5, 6, 7], r"`successes`.*non-negative.*-1.0.*position 1"),
    ([1, 1.5, 2], [5, 6, 7], r"`successes`.*1.5.*position 1"),
    ([1, 2, 2], [5, -6, 7], r"`trials`.*-6.*position 1"),
    ([1, 2, 2], [5, 6.5, 7], r"`trials`.*6.5.*position 1"),
    ([1, 2], [5, 6, 7], r"same length"),
    ([1, np.inf, 2], [5, 6, 7], r"`successes`.*inf"),
    (["a", 1, 2], [5, 6, 7], r"`successes` must be numeric; got 'a'"),
])
def test_beta_binomial_bad_inputs(y, n, match):
    with pytest.raises(SSStatsError, match=match):
        ss.fit_beta_binomial(y, n)


def test_beta_binomial_labels_in_messages():
    with pytest.raises(SSStatsError, match=r"unit 'Ward B' \(position 1\)"):
        ss.fit_beta_binomial(pd.Series([1, 9], index=["Ward A", "Ward B"]), [5, 6])


def test_beta_binomial_too_few_and_degenerate():
    with pytest.raises(SSStatsError, match="at least 2 units"):
        ss.fit_beta_binomial([3], [10])
    with pytest.raises(SSStatsError, match=r"at least 2 units.*1 unit\(s\) with no trials"):
        ss.fit_beta_binomial([3, 0], [10, 0])
    with pytest.raises(SSStatsError, match="single trial"):
        ss.fit_beta_binomial([0, 1, 1], [1, 1, 1])
    with pytest.raises(SSStatsError, match="no unit has any successes"):
        ss.fit_beta_binomial([0, 0, 0], [4, 5, 6])
    with pytest.raises(SSStatsError, match="every unit has all its trials"):
        ss.fit_beta_binomial([4, 5, 6], [4, 5, 6])
    with pytest.raises(SSStatsError, match="level"):
        ss.fit_beta_binomial([1, 2], [4, 5], level=95)


def test_units_without_trials_excluded_and_counted(d1, bb):
    y = np.append(d1.y, [0, 0])
    n = np.append(d1.n, [0, 0])
    fit = ss.fit_beta_binomial(y, n)
    assert fit.n_excluded == 2 and fit.n_units == 60
    assert fit.mu == pytest.approx(bb.mu, rel=1e-10)
    assert "2 units with no trials left out" in fit.summary()
    assert len(fit.unit_estimates()) == 60


@pytest.mark.parametrize("counts, exposure, match", [
    ([1, 2, 3], [10, 0, 5], r"`exposure` must be greater than zero; got 0.0 at position 1"),
    ([1, 2, 3], [10, -1, 5], r"`exposure`.*-1.0 at position 1"),
    ([1, 2.5, 3], [10, 1, 5], r"`counts`.*2.5 at position 1"),
    ([1, np.nan, 3], [10, 1, 5], r"`counts` is missing \(NaN\) at position 1"),
    ([1, 2], [10, 1, 5], r"same length"),
    ([0, 0, 0], [10, 1, 5], r"no unit has any events"),
    ([4], [10], r"at least 2 units"),
])
def test_negative_binomial_bad_inputs(counts, exposure, match):
    with pytest.raises(SSStatsError, match=match):
        ss.fit_negative_binomial(counts, exposure)


# ------------------------------------------------------------------------------------------------------- plot

def test_caterpillar_plot(bb):
    import matplotlib.pyplot as plt

    fig = bb.plot(title="Charges per report across units (synthetic data)")
    assert fig.axes[0].get_title() == "Charges per report across units (synthetic data)"
    plt.close(fig)
    fig = bb.plot(max_units=20)
    ax = fig.axes[0]
    assert "20 of 60 drawn" in ax.get_ylabel()
    assert len(ax.get_yticks()) == 20 and {t.get_text() for t in ax.get_yticklabels()} <= set(bb._labels)
    plt.close(fig)
    fig = bb.plot(max_units=None)  # 60 units: vertical layout, the raw proportions drawn for every unit
    raw = fig.axes[0].lines[1].get_ydata()
    np.testing.assert_allclose(np.sort(raw), np.sort(bb.unit_estimates().raw))
    plt.close(fig)


def test_closed_form_path_matches_vgam(monkeypatch, d1, ref):
    """The log-gamma path used for very large numbers of trials, forced on the R data set."""
    from ssstats import units

    monkeypatch.setattr(units, "_KMAX_TABLE", 0)
    fit = ss.fit_beta_binomial(d1.y, d1.n)
    assert fit.mu == pytest.approx(ref["bb", "mu"], rel=RTOL)
    assert fit.rho == pytest.approx(ref["bb", "rho"], rel=RTOL)
    assert fit.loglik == pytest.approx(ref["bb", "loglik"], rel=1e-9)
    assert fit.se["logit_rho"] == pytest.approx(ref["bb", "se_logit_rho"], rel=RTOL)
    ci = fit.ci.set_index("parameter")
    assert ci.loc["rho", "upper"] == pytest.approx(ref["bb", "rho_upper"], rel=RTOL)


def _assert_scipy_maximum(y, n, fit, rel):
    """scipy's log-pmf (independent of the fit's own) gives the fit's log-likelihood, and no better point nearby."""
    assert fit.loglik == pytest.approx(stats.betabinom.logpmf(y, n, fit.alpha, fit.beta).sum(), rel=rel)
    for dm, dr in ((1e-4, 0), (-1e-4, 0), (0, 1e-3), (0, -1e-3)):
        m, r = fit.mu * (1 + dm), fit.rho * (1 + dr)
        s = (1 - r) / r
        assert stats.betabinom.logpmf(y, n, m * s, (1 - m) * s).sum() < fit.loglik


def test_huge_trials_loglik_matches_scipy():
    rng = np.random.default_rng(3)  # synthetic: 50 units with millions of trials
    n = rng.integers(10**6, 10**7, 50)
    y = rng.binomial(n, rng.beta(2, 2000, 50))
    _assert_scipy_maximum(y, n, ss.fit_beta_binomial(y, n), rel=1e-9)


def test_censored_cells_from_load_units():
    """The representation of ``ssstats.data.load_units``: c (NaN where censored), c_lower, c_upper."""
    frame = pd.DataFrame({  # synthetic return with two suppressed charge cells ("*" = 1-7)
        "unit_id": list("ABCDEFG"), "provider": ["P1"] * 7, "period": [2023] * 7,
        "incidents": [50, 40, 30, 70, 20, 10, 60], "referred_to_police": [20, 10, 5, 25, 5, 0, 30],
        "police_reports": [12, 8, 3, 20, 5, 0, 25], "charges": ["1", "*", "*", "6", "0", "0", "9"],
    })
    d = ss.load_units(frame)
    fit = ss.fit_beta_binomial(d.charges, d.police_reports, censored=(d.charges_lower, d.charges_upper),
                               labels=d.unit_id)
    assert fit.n_censored == 2 and fit.n_excluded == 1 and fit.n_units == 6
    # C has 3 reports, so its "*" (1-7) holds 1-3
    same = ss.fit_beta_binomial([1, np.nan, np.nan, 6, 0, 9], [12, 8, 3, 20, 5, 25],
                                censored=([1, 1, 1, 6, 0, 9], [1, 7, 3, 6, 0, 9]))
    assert fit.loglik == pytest.approx(same.loglik, rel=1e-12)
    # direct likelihood at the fitted values with scipy's beta-binomial
    y = np.array([1, 6, 0, 9])
    n = np.array([12, 20, 5, 25])
    a, b = fit.alpha, fit.beta
    if np.isfinite(a):
        direct = (stats.betabinom.logpmf(y, n, a, b).sum()
                  + np.log(stats.betabinom.cdf(7, 8, a, b) - stats.betabinom.cdf(0, 8, a, b))
                  + np.log(stats.betabinom.cdf(3, 3, a, b) - stats.betabinom.cdf(0, 3, a, b)))
    else:
        p = fit.mu
        direct = (stats.binom.logpmf(y, n, p).sum() + np.log(stats.binom.cdf(7, 8, p) - stats.binom.cdf(0, 8, p))
                  + np.log(stats.binom.cdf(3, 3, p) - stats.binom.cdf(0, 3, p)))
    assert fit.loglik == pytest.approx(direct, rel=1e-10)
    est = fit.unit_estimates()
    assert list(est.unit) == ["A", "B", "C", "D", "E", "G"]
    assert est.censored.tolist() == [False, True, True, False, False, False]


def test_rho_at_upper_boundary_all_or_none_units():
    # synthetic: every unit has all its trials successes or none
    y = [0, 3, 0, 4, 2, 0, 0, 1]
    n = [2, 3, 4, 4, 2, 3, 1, 1]
    fit = ss.fit_beta_binomial(y, n)
    assert fit.rho > 0.999999
    assert fit.mu == pytest.approx(4 / 8, rel=1e-6)  # the share of "all" units
    # limit of the likelihood as rho -> 1: each unit is all-or-none with probability mu or 1 - mu
    assert fit.loglik == pytest.approx(4 * np.log(0.5) + 4 * np.log(0.5), abs=1e-6)
    assert np.isnan(fit.se["rho"])
    assert "upper boundary 1" in fit.summary()
    assert fit.ci.set_index("parameter").loc["rho", "upper"] == 1.0


def test_quasibinomial_dispersion_floor(d1, ref):
    y, n = [2] * 10, [50] * 10  # identical units: Pearson chi2 = 0
    floored = ss.fit_quasibinomial(y, n)
    assert floored.dispersion_floored and floored.dispersion == 1.0 and floored.dispersion_estimate < 1e-20
    assert floored.bse["const"] == pytest.approx(np.sqrt(1 / (500 * 0.04 * 0.96)), rel=1e-8)  # binomial SE
    assert "floored at 1" in floored.summary()
    raw = ss.fit_quasibinomial(y, n, floor_dispersion=False)  # as R: the (near-zero) estimate used as it is
    assert raw.bse["const"] < 1e-12
    # over-dispersed data are unaffected by the floor
    fit = ss.fit_quasibinomial(d1.y, d1.n, d1[["ward", "period"]])
    assert not fit.dispersion_floored and fit.dispersion == pytest.approx(ref["quasi", "dispersion"], rel=1e-8)


def test_regressions_refuse_separation():
    cov = pd.DataFrame({"ward": ["a", "a", "a", "b", "b", "b"]})
    y, n = [0, 0, 0, 3, 1, 4], [10, 12, 9, 10, 8, 11]
    for f in (ss.fit_quasibinomial, ss.fit_beta_binomial_regression):
        with pytest.raises(SSStatsError, match="separation"):
            f(y, n, cov)


def test_negative_binomial_censored_matches_r_optim(ref):
    d = pd.read_csv(RESULTS / "units_data_nb_censored.csv")
    fit = ss.fit_negative_binomial(d["count"], d.exposure, censored=(d.lower, d.upper), labels=d.unit)
    assert fit.n_censored == ref["nb_censored", "n_censored"] == d["count"].isna().sum()
    assert fit.params["const"] == pytest.approx(ref["nb_censored", "coef_1"], rel=RTOL)
    assert fit.alpha == pytest.approx(ref["nb_censored", "alpha"], rel=RTOL)
    assert fit.loglik == pytest.approx(ref["nb_censored", "loglik"], rel=1e-9)
    # R's SEs: optimHess on differences of an analytic gradient (precise to about 1e-9)
    assert fit.bse["const"] == pytest.approx(ref["nb_censored", "se_1"], rel=RTOL)
    assert fit.bse["alpha"] == pytest.approx(ref["nb_censored", "se_alpha"], rel=RTOL)
    assert "censored" in fit.summary()
    est = fit.unit_estimates()
    assert est.censored.sum() == fit.n_censored and est["count"][est.censored].isna().all()
    # a censored unit's posterior mean, by direct summation over its possible counts
    i = int(np.flatnonzero(est.censored)[0])
    th, m, e = fit.theta, fit.rate, d.exposure[i]
    ys = np.arange(1, 8)
    w = stats.nbinom.pmf(ys, th, th / (th + m * e))
    assert est.estimate[i] == pytest.approx(np.sum(w * (th + ys) / (th / m + e)) / w.sum(), rel=1e-10)
    q = optimize.brentq(lambda r: np.sum(w * stats.gamma.cdf(r, th + ys, scale=1 / (th / m + e))) / w.sum()
                        - 0.975, 1e-9, 1.0, xtol=1e-15)
    assert est.upper[i] == pytest.approx(q, rel=1e-8)


def test_negative_binomial_degenerate_censoring_equals_statsmodels(d1):
    y = d1.events.to_numpy(float)
    yc = y.copy()
    yc[[3, 7]] = np.nan  # "censored" to their own value: the likelihood is unchanged
    a = ss.fit_negative_binomial(d1.events, d1.bed_days, d1[["ward", "period"]])
    b = ss.fit_negative_binomial(yc, d1.bed_days, d1[["ward", "period"]], censored=(y, y))
    np.testing.assert_allclose(b.params, a.params, rtol=1e-8)
    np.testing.assert_allclose(b.bse, a.bse, rtol=1e-6)
    assert b.loglik == pytest.approx(a.loglik, rel=1e-12)
    with pytest.raises(SSStatsError, match=r"`counts` is missing \(NaN\) at position 3.*censored=\(lower, upper\)"):
        ss.fit_negative_binomial(yc, d1.bed_days)


# ------------------------------------------------------------------------------ censored beta-binomial regression

@pytest.fixture(scope="module")
def cens_reg():
    return pd.read_csv(RESULTS / "units_data_bbreg_censored.csv")


def test_beta_binomial_regression_censored_matches_r(cens_reg, ref):
    d = cens_reg
    fit = ss.fit_beta_binomial_regression(d.y, d.n, d[["ward", "period"]], labels=d.unit,
                                          censored=(d.lower, d.upper))
    assert fit.n_censored == ref["bbreg_censored", "n_censored"] == d.y.isna().sum() == 17
    for ours, theirs in (("const", "const"), ("ward[single_sex]", "ward"), ("period", "period"),
                         ("logit(rho)", "logit_rho")):
        assert fit.params[ours] == pytest.approx(ref["bbreg_censored", f"coef_{theirs}"], rel=RTOL)
        assert fit.bse[ours] == pytest.approx(ref["bbreg_censored", f"se_{theirs}"], rel=RTOL)
    assert fit.loglik == pytest.approx(ref["bbreg_censored", "loglik"], rel=1e-9)
    assert "17 with censored successes" in fit.summary()
    # censoring changes the fit (the uncensored data give VGAM's coefficients, not these)
    assert fit.params["const"] != pytest.approx(ref["bbreg", "coef_(Intercept):1"], rel=1e-3)


def test_beta_binomial_regression_censored_degenerate_equals_uncensored(d1):
    # a range of one value is the value itself: same fit as without censoring
    y = d1.y.astype(float).copy()
    y[[3, 10]] = np.nan
    a = ss.fit_beta_binomial_regression(d1.y, d1.n, d1[["ward", "period"]])
    b = ss.fit_beta_binomial_regression(y, d1.n, d1[["ward", "period"]], censored=(d1.y, d1.y))
    np.testing.assert_allclose(b.params, a.params, rtol=1e-9)
    np.testing.assert_allclose(b.bse, a.bse, rtol=1e-7)
    assert b.n_censored == 2 and a.n_censored == 0


def test_beta_binomial_regression_censored_intercept_only_equals_fit(cens_data):
    d = cens_data
    reg = ss.fit_beta_binomial_regression(d.y, d.n, censored=(d.lower, d.upper))
    fit = ss.fit_beta_binomial(d.y, d.n, censored=(d.lower, d.upper))
    assert special.expit(reg.params["const"]) == pytest.approx(fit.mu, rel=1e-7)
    assert reg.rho == pytest.approx(fit.rho, rel=1e-7)
    assert reg.loglik == pytest.approx(fit.loglik, rel=1e-10)


def test_beta_binomial_regression_censored_bad_inputs(cens_reg):
    d = cens_reg
    cov = d[["ward"]]
    with pytest.raises(SSStatsError, match=r"pass its range as `censored=\(lower, upper\)`.*|.*U08"):
        ss.fit_beta_binomial_regression(d.y, d.n, cov, labels=d.unit)
    lo = d.lower.copy()
    lo[7] = 5  # above the upper bound 4
    with pytest.raises(SSStatsError, match=r"lower bound must not exceed the upper bound.*lower=5.*'U08'"):
        ss.fit_beta_binomial_regression(d.y, d.n, cov, labels=d.unit, censored=(lo, d.upper))
    hi = d.upper.copy()
    hi[0] = -1
    with pytest.raises(SSStatsError, match=r"censored upper.*-1"):
        ss.fit_beta_binomial_regression(d.y, d.n, cov, labels=d.unit, censored=(d.lower, hi))
    with pytest.raises(SSStatsError, match="pair"):
        ss.fit_beta_binomial_regression(d.y, d.n, cov, censored=d.lower)
    y = d.y.copy()
    y[0] = 2.5
    with pytest.raises(SSStatsError, match=r"`successes` = 2.5 lies outside its `censored` bounds.*'U01'"):
        ss.fit_beta_binomial_regression(y, d.n, cov, labels=d.unit, censored=(d.lower, d.upper))
    with pytest.raises(SSStatsError, match=r"non-negative whole number: 2.5 for unit 'U01'"):
        ss.fit_beta_binomial_regression(y.fillna(1), d.n, cov, labels=d.unit)
    lo = d.lower.copy()
    lo[7], hi = 9, d.upper.copy()
    hi[7] = 9  # U08 has 6 trials
    with pytest.raises(SSStatsError, match=r"lower bound must not exceed `trials`; got lower=9 > trials=\d+ for "
                                           r"unit 'U08'"):
        ss.fit_beta_binomial_regression(d.y, d.n, cov, labels=d.unit, censored=(lo, hi))
    with pytest.raises(SSStatsError, match=r"one value per unit"):
        ss.fit_beta_binomial_regression(d.y, d.n, cov, censored=(d.lower[:10], d.upper[:10]))


def test_quasibinomial_refuses_censored_cells(cens_reg):
    d = cens_reg
    with pytest.raises(SSStatsError) as err:
        ss.fit_quasibinomial(d.y, d.n, d[["ward"]], labels=d.unit)
    msg = str(err.value)
    assert "`successes` is missing (NaN) for unit 'U08' (position 7)" in msg
    assert "cannot enter a quasi-likelihood" in msg
    assert "fit_beta_binomial_regression(..., censored=(lower, upper))" in msg


def test_beta_binomial_regression_censored_on_synthetic_units():
    from ssstats.data import load_units

    root = Path(__file__).parents[1]
    d = load_units(root / "data" / "synthetic_units.csv")
    assert d.charges_censored.any()
    fit = ss.fit_beta_binomial_regression(d.charges, d.police_reports, d[["ward_type", "sector"]],
                                          labels=d.unit_id, censored=(d.charges_lower, d.charges_upper))
    with_trials = d.police_reports > 0
    assert fit.n_censored == int((d.charges_censored & with_trials).sum()) > 0
    assert fit.n_excluded == int((~with_trials).sum())
    assert f"{fit.n_censored} with censored successes" in fit.summary()
    assert np.all(np.isfinite(fit.bse)) and 0 < fit.rho < 1
    # the log-likelihood at the fit and a little way off it, evaluated independently: scipy's beta-binomial
    # log-pmf, summed over each censored unit's range [lower, min(upper, trials)]
    u = d[with_trials].reset_index(drop=True)
    X = np.column_stack([np.ones(len(u))] + [
        (u[t.split("[")[0]] == t.split("[")[1][:-1]).to_numpy(float) for t in fit.params.index[1:-1]])

    def loglik(theta):
        mu, rho = special.expit(X @ theta[:-1]), special.expit(theta[-1])
        a, b = mu * (1 - rho) / rho, (1 - mu) * (1 - rho) / rho
        tot = 0.0
        for i in range(len(u)):
            lo, hi = (u.charges_lower[i], min(u.charges_upper[i], u.police_reports[i])) if u.charges_censored[i] \
                else (u.charges[i], u.charges[i])
            ks = np.arange(lo, hi + 1)
            tot += special.logsumexp(stats.betabinom.logpmf(ks, u.police_reports[i], a[i], b[i]))
        return tot

    theta = fit.params.to_numpy()
    assert loglik(theta) == pytest.approx(fit.loglik, rel=1e-10)
    for j in range(theta.size):
        for h in (1e-3, -1e-3):
            assert loglik(theta + h * (np.arange(theta.size) == j)) < fit.loglik


def test_many_distinct_pairs_loglik_and_maximum_match_scipy():
    """Exceedance-count likelihood on units that are nearly all distinct (y, n) pairs (synthetic, seeded)."""
    rng = np.random.default_rng(12)
    n = rng.integers(1, 401, 1000)
    y = rng.binomial(n, rng.beta(0.3 * 9, 0.7 * 9, n.size))
    fit = ss.fit_beta_binomial(y, n)
    assert fit.loglik == pytest.approx(stats.betabinom.logpmf(y, n, fit.alpha, fit.beta).sum(), rel=1e-11)
    # the maximum, found independently by scipy's optimiser on scipy's log-pmf (log alpha, log beta)
    res = optimize.minimize(lambda t: -stats.betabinom.logpmf(y, n, *np.exp(t)).sum(),
                            np.log([fit.alpha, fit.beta]) + 0.05, method="Nelder-Mead",
                            options=dict(xatol=1e-10, fatol=1e-12, maxiter=4000))
    assert np.exp(res.x) == pytest.approx([fit.alpha, fit.beta], rel=1e-5)
    assert -res.fun <= fit.loglik + 1e-8
    # and the profile limit of alpha: the deviance there is the chi2_1 95% cut-off
    lo = fit.to_frame().set_index("parameter").loc["alpha", "lower"]
    inner = optimize.minimize_scalar(lambda t: -stats.betabinom.logpmf(y, n, lo, np.exp(t)).sum(),
                                     bounds=np.log(fit.beta) + np.array([-1, 1]), method="bounded",
                                     options=dict(xatol=1e-12))
    assert 2 * (fit.loglik + inner.fun) == pytest.approx(stats.chi2.ppf(0.95, 1), rel=1e-5)


@pytest.mark.parametrize("fn", [ss.fit_beta_binomial, ss.fit_quasibinomial, ss.fit_beta_binomial_regression])
def test_text_and_booleans_refused_with_value_and_position(fn):
    y, n = [0, 8, 1, 0, 9, 2, 5, 1], [10, 12, 9, 8, 11, 10, 10, 12]
    with pytest.raises(SSStatsError, match=r"`successes` must be numeric; got '3' at position 2"):
        fn([0, 8, "3", 0, 9, 2, 5, 1], n)
    with pytest.raises(SSStatsError, match=r"`successes` must be numeric; got (booleans|True at position 0)"):
        fn([True, False] * 4, n)
    with pytest.raises(SSStatsError, match=r"`trials` must be numeric; got '3' at position 2"):
        fn(y, [10, 12, "3", 8, 11, 10, 10, 12])
    with pytest.raises(SSStatsError, match=r"`trials` must be numeric; got (booleans|True at position 0)"):
        fn(y, [True, False] * 4)


@pytest.mark.parametrize("level", [0.3, 0.5, 0.8, 0.95])
def test_beta_binomial_intervals_at_the_boundary_and_low_levels(level):
    """rho fitted at 0 on sparse units: every interval exists and holds its estimate (a bracket that the warm-started
    profile lost, or a one-sided cut-off of 0 at levels of 50% or less, raised SciPy's error before)."""
    y = [0] * 11 + [1] + [0] * 5
    n = [1, 3, 2, 2, 2, 1, 1, 2, 4, 1, 3, 4, 2, 2, 3, 1, 3]
    t = ss.fit_beta_binomial(y, n, level=level).to_frame().set_index("parameter")
    assert t.loc["rho", "estimate"] == 0
    assert not t[["lower", "upper"]].isna().any().any()
    assert ((t.lower <= t.estimate) & (t.estimate <= t.upper)).all()
    if level <= 0.5:  # no one-sided cut-off above 0: the rho interval is {0}, alpha and beta infinite
        assert t.loc["rho", "upper"] == 0 and t.loc["alpha", "lower"] == np.inf


# ------------------------------------------------------------------------- a billion trials, rates of 1e-9 (audit)

def _bb_vs_regression(y, n):
    b = ss.fit_beta_binomial(y, n)
    f = ss.fit_beta_binomial_regression(y, n)
    return b, special.expit(f.params["const"]), f.rho, f


def test_regression_billion_trials_rates_1e9_no_covariates():
    y, n = [1, 0, 2, 1, 3, 0, 1, 2, 5, 0], [10**9] * 10
    b, mu, rho, f = _bb_vs_regression(y, n)
    assert mu == pytest.approx(b.mu, rel=1e-6) and rho == pytest.approx(b.rho, rel=RTOL)
    assert f.loglik == pytest.approx(b.loglik, rel=1e-10)
    # with a covariate these data show no overdispersion (the binomial is the maximum): said so, not "separation"
    cov = pd.DataFrame({"w": list("ababababab")})
    with pytest.raises(SSStatsError, match="rho tends to 0"):
        ss.fit_beta_binomial_regression(y, n, cov)
    assert ss.fit_quasibinomial(y, n, cov).params["w[b]"] == pytest.approx(np.log(3 / 12), rel=1e-6)


@pytest.mark.parametrize("r", [1e-7, 1e-6])
def test_regression_billion_trials_small_rho_agrees_with_fit(r):
    rng = np.random.default_rng(5)  # synthetic: Beta(2, 2/r) rates, 1e9 trials per unit
    n = np.full(200, 10**9)
    y = rng.binomial(n, rng.beta(2, 2 / r, n.size))
    b, mu, rho, _ = _bb_vs_regression(y, n)
    assert b.rho * 1e9 > 10  # rho ~ 4e-8 yet the variance is tens of times the binomial one
    assert mu == pytest.approx(b.mu, rel=1e-6) and rho == pytest.approx(b.rho, rel=1e-6)


def test_regression_billion_trials_with_covariates():
    rng = np.random.default_rng(8)  # synthetic: two wards at rates 1e-9 and 3e-9, overdispersed, 1e9 trials
    ward = np.repeat(["a", "b"], 60)
    mu = np.where(ward == "a", 1e-9, 3e-9)
    rho = 1e-9
    s = (1 - rho) / rho
    n = np.full(ward.size, 10**9)
    y = rng.binomial(n, rng.beta(mu * s, (1 - mu) * s))
    f = ss.fit_beta_binomial_regression(y, n, pd.DataFrame({"ward": ward}))
    # each ward alone by fit_beta_binomial: the common-rho regression's log-likelihood is at most their sum
    sep = sum(ss.fit_beta_binomial(y[ward == w], n[ward == w]).loglik for w in "ab")
    assert f.loglik <= sep + 1e-8
    ratio = y[ward == "b"].sum() / y[ward == "a"].sum()  # equal trials: about the ratio of the ward totals
    assert np.exp(f.params["ward[b]"]) == pytest.approx(ratio, rel=0.1)


def test_quasibinomial_no_successes_wording():
    with pytest.raises(SSStatsError, match="no unit has any successes"):
        ss.fit_quasibinomial([0] * 10, [50] * 10)
    with pytest.raises(SSStatsError, match="every unit has all its trials successes"):
        ss.fit_beta_binomial_regression([50] * 10, [50] * 10)


def test_separation_on_a_continuous_covariate():
    x = pd.DataFrame({"x": np.arange(8.0)})  # synthetic: no successes below x = 4, all above
    y, n = [0, 0, 0, 0, 8, 11, 10, 9], [10, 12, 9, 10, 8, 11, 10, 9]
    for f in (ss.fit_quasibinomial, ss.fit_beta_binomial_regression):
        with pytest.raises(SSStatsError, match="separation"):
            f(y, n, x)
    ss.fit_quasibinomial([0, 1, 0, 0, 3, 1, 4, 2], n, x)  # overlap: fits


def test_few_units_many_trials_use_the_closed_form_and_match_scipy():
    """340 units with up to 100,000 trials: the per-pair log-gamma form is chosen (cheaper than tables as long as
    the largest n); its log-likelihood and maximum agree with scipy's and with the table form forced."""
    from ssstats import units

    rng = np.random.default_rng(21)  # synthetic
    n = rng.integers(1, 100_001, 340)
    y = rng.binomial(n, rng.beta(0.1 * 19, 0.9 * 19, n.size))
    d = units._make_data(y.astype(float), n.astype(float), np.zeros(0), np.zeros(0), np.zeros(0))
    assert d.closed
    fit = ss.fit_beta_binomial(y, n)
    _assert_scipy_maximum(y, n, fit, rel=1e-10)
    old = units._CLOSED_FIXED
    try:
        units._CLOSED_FIXED = 10**9  # the tables, forced
        table = ss.fit_beta_binomial(y, n)
    finally:
        units._CLOSED_FIXED = old
    assert table.mu == pytest.approx(fit.mu, rel=1e-9) and table.rho == pytest.approx(fit.rho, rel=1e-8)
    pd.testing.assert_frame_equal(table.ci, fit.ci, rtol=1e-6)
