"""Tests of ssstats.funnel against R (tests/results/funnel_limits.R, funnel_tau2.R, metafor) and the published
PHEindicatormethods vectors typed into tests/results/funnel_published.csv."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from ssstats import SSStatsError, funnel
from ssstats.funnel import estimate_tau2

RES = Path(__file__).parent / "results"
LIMITS = pd.read_csv(RES / "funnel_limits.csv")
TAU2 = pd.read_csv(RES / "funnel_tau2.csv").set_index(["dataset", "scale", "quantity"])["value"]
TAU2_LIMITS = pd.read_csv(RES / "funnel_tau2_limits.csv")
PUBLISHED = pd.read_csv(RES / "funnel_published.csv")
PROPS = pd.read_csv(RES / "funnel_data_proportions.csv")
RATIOS = pd.read_csv(RES / "funnel_data_ratios.csv")


def _ref(model):
    return LIMITS[LIMITS["model"] == model]


def _limits_at(res, d, level, adjustment="none"):
    t = res.limits(d)
    t = t[(t["level"] == level) & (t["adjustment"] == adjustment)]
    return t["lower"].to_numpy(), t["upper"].to_numpy()


# ------------------------------------------------------------------------------------------------ unadjusted limits

@pytest.mark.parametrize("model, kind, limits", [
    ("binomial_exact", "proportion", "exact"),
    ("binomial_wilson", "proportion", "wilson"),
    ("poisson_exact", "rate", "exact"),
])
def test_limits_match_r(model, kind, limits):
    ref = _ref(model)
    for (theta, level), g in ref.groupby(["theta", "level"]):
        res = funnel([1], [1] if kind == "proportion" else [1.0], kind=kind, target=theta, levels=[level],
                     limits=limits)
        lo, hi = _limits_at(res, g["d"].to_numpy(), level)
        np.testing.assert_allclose(lo, g["lower"], rtol=1e-8, atol=1e-13)
        np.testing.assert_allclose(hi, g["upper"], rtol=1e-8, atol=1e-13)


def test_published_vectors():
    for _, row in PUBLISHED.iterrows():
        res = funnel([0], [1] if row["kind"] == "proportion" else [1.0], kind=row["kind"], target=row["target"],
                     levels=[row["level"]], limits=row["limits"], per=row["per"])
        den = [int(row["denominator"])] if row["kind"] == "proportion" else [row["denominator"]]
        lo, hi = _limits_at(res, den, row["level"])
        got = (lo if row["side"] == "lower" else hi)[0]
        np.testing.assert_allclose(got, row["value"], rtol=row["rtol"], atol=row["atol"], err_msg=row["source"])


def test_normal_limits_by_formula():
    res = funnel([5], [50], target=0.2, levels=[0.95], limits="normal")
    lo, hi = _limits_at(res, [100], 0.95)
    half = stats.norm.ppf(0.975) * np.sqrt(0.2 * 0.8 / 100)
    np.testing.assert_allclose([lo[0], hi[0]], [0.2 - half, 0.2 + half], rtol=1e-12)


def test_any_levels_and_per():
    res = funnel([3, 30], [1000.0, 9000.0], kind="rate", per=1000, levels=(0.5, 0.9, 0.99, 0.9999))
    t = res.limits([2000.0])
    assert sorted(t["level"]) == [0.5, 0.9, 0.99, 0.9999]
    ordered = t.sort_values("level")
    assert (np.diff(ordered["upper"]) > 0).all() and (np.diff(ordered["lower"]) <= 0).all()
    assert res.target == pytest.approx(1000 * 33 / 10000)


# ------------------------------------------------------------------------------------------------ overdispersion

def test_phi_and_dl_tau2_match_r_for_proportions():
    r = funnel(PROPS["x"], PROPS["n"], overdispersion="additive", tau2_method="DL")
    assert r.phi == pytest.approx(TAU2["proportions", "arcsine", "phi_w10"], rel=1e-10)
    assert r.tau2 == pytest.approx(TAU2["proportions", "arcsine", "tau2_DL_w10"], rel=1e-10)
    assert r.n_zero == 1
    # phi is reported (not applied) without an adjustment too
    plain = funnel(PROPS["x"], PROPS["n"])
    assert plain.phi == pytest.approx(TAU2["proportions", "arcsine", "phi_w10"], rel=1e-10)
    assert "not applied" in plain.summary()


@pytest.mark.parametrize("scale", ["log", "sqrt"])
def test_phi_and_tau2_match_r_for_ratios(scale):
    for winsorize, suffix in ((0.1, "w10"), ("shmi", "shmi")):
        r = funnel(RATIOS["O"], RATIOS["E"], kind="ratio", overdispersion="additive", scale=scale,
                   winsorize=winsorize)
        assert r.phi == pytest.approx(TAU2["ratios", scale, f"phi_{suffix}"], rel=1e-10)
        assert r.tau2 == pytest.approx(TAU2["ratios", scale, f"tau2_DL_{suffix}"], rel=1e-10)
    r = funnel(RATIOS["O"], RATIOS["E"], kind="ratio", overdispersion="multiplicative", scale=scale, winsorize=0)
    assert r.phi == pytest.approx(TAU2["ratios", scale, "phi_w0"], rel=1e-10)


@pytest.mark.parametrize("method", ["REML", "PM"])
@pytest.mark.parametrize("data, kind, scale", [("proportions", "proportion", "arcsine"), ("ratios", "ratio", "log"),
                                               ("ratios", "ratio", "sqrt")])
def test_reml_pm_match_metafor(method, data, kind, scale):
    x, d = (PROPS["x"], PROPS["n"]) if kind == "proportion" else (RATIOS["O"], RATIOS["E"])
    r = funnel(x, d, kind=kind, overdispersion="additive", tau2_method=method, scale=scale, winsorize=0)
    assert r.tau2 == pytest.approx(TAU2[data, scale, f"tau2_{method}_metafor"], rel=1e-6)
    r = funnel(x, d, kind=kind, overdispersion="additive", tau2_method=method, scale=scale, winsorize=0.1)
    assert r.tau2 == pytest.approx(TAU2[data, scale, f"tau2_{method}_w10"], rel=1e-6)


@pytest.mark.parametrize("method", ["DL", "REML", "PM"])
def test_estimate_tau2_matches_metafor(method):
    theta = PROPS["x"].sum() / PROPS["n"].sum()
    y = np.arcsin(np.sqrt(PROPS["x"] / PROPS["n"]))
    v = 1 / (4 * PROPS["n"])
    assert estimate_tau2(y, v, method) == pytest.approx(TAU2["proportions", "arcsine", f"tau2_{method}_metafor"],
                                                        rel=1e-6)
    th = RATIOS["O"].sum() / RATIOS["E"].sum()
    y = np.log(np.where(RATIOS["O"] == 0, 0.5, RATIOS["O"]) / (th * RATIOS["E"]))
    assert estimate_tau2(y, 1 / (th * RATIOS["E"]), method) == pytest.approx(
        TAU2["ratios", "log", f"tau2_{method}_metafor"], rel=1e-6)
    assert theta > 0


def test_additive_limits_back_transformed_match_r():
    cases = [("proportions", "arcsine", "proportion", PROPS["x"], PROPS["n"]),
             ("ratios", "log", "ratio", RATIOS["O"], RATIOS["E"]),
             ("ratios", "sqrt", "ratio", RATIOS["O"], RATIOS["E"])]
    for data, scale, kind, x, d in cases:
        r = funnel(x, d, kind=kind, overdispersion="additive", scale=scale)
        ref = TAU2_LIMITS[(TAU2_LIMITS["dataset"] == data) & (TAU2_LIMITS["scale"] == scale)]
        for level, g in ref.groupby("level"):
            den = g["d"].astype(int).to_numpy() if kind == "proportion" else g["d"].to_numpy()
            lo, hi = _limits_at(r, den, level, "additive")
            np.testing.assert_allclose(lo, g["lower"], rtol=1e-9)
            np.testing.assert_allclose(hi, g["upper"], rtol=1e-9)


def test_sqrt_limits_are_squared_back_and_wider_than_unadjusted():
    r = funnel(RATIOS["O"], RATIOS["E"], kind="ratio", overdispersion="additive", scale="sqrt")
    t = r.limits([50.0, 500.0])  # (at very small E the normal sqrt-scale limit can sit inside the exact one)
    a = t[t["adjustment"] == "additive"].reset_index(drop=True)
    u = t[t["adjustment"] == "none"].reset_index(drop=True)
    assert (a["upper"] > u["upper"]).all() and (a["lower"] <= u["lower"]).all()
    assert ((a["lower"] < r.target) & (a["upper"] > r.target)).all()


def test_multiplicative_widens_exact_limits_by_sqrt_phi():
    r = funnel(PROPS["x"], PROPS["n"], overdispersion="multiplicative")
    ref = _ref("binomial_exact")
    theta = r.target
    lo_u, hi_u = _limits_at(r, [100, 1000], 0.95)
    lo_a, hi_a = _limits_at(r, [100, 1000], 0.95, "multiplicative")
    root = np.sqrt(TAU2["proportions", "arcsine", "phi_w10"])
    np.testing.assert_allclose(hi_a, theta + root * (hi_u - theta), rtol=1e-12)
    np.testing.assert_allclose(lo_a, np.clip(theta + root * (lo_u - theta), 0, 1), rtol=1e-12)
    assert len(ref)


def test_beta_binomial_and_negative_binomial_predictive_limits_match_r():
    from ssstats.funnel import spiegelhalter_quantile

    ref = _ref("betabinom_exact")
    for (rho, theta, level), g in ref.groupby(["par", "theta", "level"]):
        dist = stats.betabinom(g["d"].to_numpy(), theta * (1 - rho) / rho, (1 - theta) * (1 - rho) / rho)
        a = (1 - level) / 2
        np.testing.assert_allclose(spiegelhalter_quantile(dist, a) / g["d"], g["lower"], rtol=1e-8, atol=1e-12)
        np.testing.assert_allclose(spiegelhalter_quantile(dist, 1 - a) / g["d"], g["upper"], rtol=1e-8)
    ref = _ref("negbin_exact")
    for (alpha, theta, level), g in ref.groupby(["par", "theta", "level"]):
        m = theta * g["d"].to_numpy()
        dist = stats.nbinom(1 / alpha, (1 / alpha) / (1 / alpha + m))
        a = (1 - level) / 2
        np.testing.assert_allclose(spiegelhalter_quantile(dist, a) / g["d"], g["lower"], rtol=1e-8, atol=1e-12)
        np.testing.assert_allclose(spiegelhalter_quantile(dist, 1 - a) / g["d"], g["upper"], rtol=1e-8)


def test_beta_binomial_funnel_uses_the_fitted_rho():
    import ssstats

    r = funnel(PROPS["x"], PROPS["n"], overdispersion="beta-binomial", levels=[0.95])
    fit = ssstats.fit_beta_binomial(PROPS["x"], PROPS["n"])
    assert r.model.rho == pytest.approx(fit.rho)
    theta = r.target
    a, b = theta * (1 - fit.rho) / fit.rho, (1 - theta) * (1 - fit.rho) / fit.rho
    d = np.array([20, 300])
    lo, hi = _limits_at(r, d, 0.95, "beta-binomial")
    # the interpolated limit lies between the discrete quantile and one below it
    q_hi = stats.betabinom(d, a, b).ppf(0.975)
    assert ((hi * d <= q_hi + 1e-9) & (hi * d >= q_hi - 1 - 1e-9)).all()
    lo_u, hi_u = _limits_at(r, d, 0.95)
    assert (hi > hi_u).all()


def test_negative_binomial_funnel_for_rates():
    import ssstats

    r = funnel(RATIOS["O"], RATIOS["E"], kind="rate", overdispersion="negative-binomial", per=1000)
    fit = ssstats.fit_negative_binomial(RATIOS["O"], RATIOS["E"])
    assert r.model.alpha == pytest.approx(fit.alpha)
    lo, hi = _limits_at(r, [50.0], 0.998, "negative-binomial")
    lo_u, hi_u = _limits_at(r, [50.0], 0.998)
    assert hi[0] > hi_u[0] and lo[0] <= lo_u[0]


# ------------------------------------------------------------------------------------------------ units, flags

def test_flags_agree_with_limits_and_p_values():
    r = funnel(PROPS["x"], PROPS["n"], levels=(0.95, 0.998))
    u = r.units
    t = r.limits(PROPS["n"].to_numpy())
    t95 = t[t["level"] == 0.95].reset_index(drop=True)
    est = u["estimate"].to_numpy()
    assert (u["high_95"] == (est > t95["upper"])).all()
    assert (u["low_95"] == (est < t95["lower"])).all()
    assert set(u["flag"]) <= {"within limits", "high at 95%", "low at 95%", "high at 99.8%", "low at 99.8%"}
    theta = PROPS["x"].sum() / PROPS["n"].sum()
    x, n = PROPS["x"].to_numpy(), PROPS["n"].to_numpy()
    p_exact = np.minimum(1, 2 * np.minimum(stats.binom.cdf(x, n, theta), stats.binom.sf(x - 1, n, theta)))
    np.testing.assert_allclose(u["p_exact"], p_exact, rtol=1e-12)
    # the interpolated limits at a whole count x: outside at level L iff P(X <= x) or P(X > x) is below (1 - L)/2
    p = np.minimum(1, 2 * np.minimum(stats.binom.cdf(x, n, theta), stats.binom.sf(x, n, theta)))
    np.testing.assert_allclose(u["p_value"], p, rtol=1e-12)
    z = (np.arcsin(np.sqrt(PROPS["x"] / PROPS["n"])) - np.arcsin(np.sqrt(theta))) * 2 * np.sqrt(PROPS["n"])
    np.testing.assert_allclose(u["z"], z, rtol=1e-12)


@pytest.mark.parametrize("kind,limits,overdispersion", [
    (k, lim, od)
    for k, lims, ods in (("proportion", ("exact", "wilson", "normal"),
                          (None, "multiplicative", "additive", "beta-binomial")),
                         ("rate", ("exact", "normal"), (None, "multiplicative", "additive", "negative-binomial")))
    for lim in lims for od in ods])
def test_p_values_agree_with_flags(kind, limits, overdispersion):
    """A unit is outside the drawn limits at level L exactly when its p-value is below 1 - L."""
    rng = np.random.default_rng(7)
    d = rng.integers(20, 400, 300)
    x = rng.binomial(d, rng.beta(4, 60, 300))
    r = funnel(x, d, kind=kind, limits=limits, overdispersion=overdispersion, levels=(0.8, 0.95, 0.998))
    u = r.units
    assert (u["flag"] != "within limits").sum() > 0
    for lev, key in ((0.8, "80"), (0.95, "95"), (0.998, "99.8")):
        outside = u[f"high_{key}"] | u[f"low_{key}"]
        assert ((u["p_value"] < 1 - lev) == outside).all(), (lev, u[(u["p_value"] < 1 - lev) != outside])


def test_overdispersion_flags_fewer_units():
    plain = funnel(PROPS["x"], PROPS["n"])
    adj = funnel(PROPS["x"], PROPS["n"], overdispersion="additive")
    assert (adj.units["flag"] != "within limits").sum() < (plain.units["flag"] != "within limits").sum()
    assert "additive" in adj.summary() and "tau^2" in adj.summary()


def test_labels_from_series_index():
    x = pd.Series([3, 10, 4], index=["A", "B", "C"])
    r = funnel(x, [100, 200, 150])
    assert r.units["unit"].tolist() == ["A", "B", "C"]
    r = funnel([3, 10, 4], [100, 200, 150], labels=["x", "y", "z"])
    assert r.to_frame()["unit"].tolist() == ["x", "y", "z"]


# ------------------------------------------------------------------------------------------------ edge cases

def test_zero_counts_are_handled_and_counted():
    r = funnel([0, 0, 5, 12], [40.0, 900.0, 1000.0, 2000.0], kind="rate", overdispersion="additive")
    assert r.n_zero == 2 and r.units["zero_events"].sum() == 2
    assert np.isfinite(r.units["z"]).all()
    assert any("no events" in n for n in r.notes)
    assert not r.units.loc[0, "low_95"]  # 0 events at small exposure is not "low"
    # a unit with no events and a large exposure is low
    r = funnel([0, 50, 60], [5000.0, 1000.0, 1000.0], kind="rate")
    assert r.units.loc[0, "flag"] == "low at 99.8%"


def test_single_unit():
    r = funnel([7], [50], overdispersion="multiplicative")
    assert r.n_units == 1 and np.isnan(r.phi)
    assert r.units["flag"].tolist() == ["within limits"]
    assert any("fewer than 2" in n for n in r.notes)
    r = funnel([7], [50], overdispersion="additive", tau2_method="REML")
    assert np.isnan(r.tau2)
    # the model-based adjustments are fitted across units: a single unit is refused, naming the way out
    with pytest.raises(SSStatsError, match=r"overdispersion='beta-binomial'.*at least 2 units; got 1"):
        funnel([7], [50], overdispersion="beta-binomial")
    with pytest.raises(SSStatsError, match=r"overdispersion='negative-binomial'.*at least 2 units; got 1"):
        funnel([7], [50.0], kind="rate", overdispersion="negative-binomial")


def test_all_units_identical():
    r = funnel([10] * 5, [100] * 5, overdispersion="multiplicative")
    assert r.phi == 0 and r.phi_applied == 1
    assert (r.units["z"] == 0).all() and (r.units["flag"] == "within limits").all()
    for m in ("DL", "REML", "PM"):
        assert funnel([10] * 5, [100] * 5, overdispersion="additive", tau2_method=m).tau2 == 0


def test_phi_below_one_is_reported_not_ignored():
    # binomial data with less spread than chance
    x, n = [50, 49, 51, 50, 50, 52, 48], [100] * 7
    r = funnel(x, n, overdispersion="multiplicative")
    assert r.phi < 1 and r.phi_applied == 1
    assert any("phi" in s and "<= 1" in s for s in r.notes) and "<= 1" in r.summary()
    lo_a, hi_a = _limits_at(r, [100], 0.95, "multiplicative")
    lo_u, hi_u = _limits_at(r, [100], 0.95)
    np.testing.assert_allclose([lo_a[0], hi_a[0]], [lo_u[0], hi_u[0]])
    r2 = funnel(x, n, overdispersion="multiplicative", phi_floor=False)
    assert r2.phi_applied == pytest.approx(r.phi)
    lo_n, hi_n = _limits_at(r2, [100], 0.95, "multiplicative")
    assert hi_n[0] < hi_u[0]


@pytest.mark.parametrize("args, kwargs, match", [
    (([-1, 3], [10, 10]), {}, r"numerator.*-1.*position 0"),
    (([np.nan, 3], [10, 10]), {}, r"numerator.*NaN"),
    (([1.5, 3], [10, 10]), {}, r"numerator.*whole number"),
    (([11, 3], [10, 10]), {}, r"less than or equal.*numerator=11.*denominator=10"),
    (([1, 3], [0, 10]), {}, r"denominator.*greater than zero.*position 0"),
    (([1, 3], [10.0, -2.0]), {"kind": "rate"}, r"denominator.*greater than zero.*-2"),
    (([1, 3], [10.0, np.nan]), {"kind": "ratio"}, r"denominator.*NaN"),
    (([1, 3], [10, 10, 10]), {}, r"3"),
    (([0, 0], [10, 10]), {}, r"no events"),
    (([10, 10], [10, 10]), {}, r"every trial"),
    (([1, 3], [10, 10]), {"target": 1.5}, r"target"),
    (([1, 3], [10.0, 10.0]), {"kind": "rate", "target": 0}, r"target"),
    (([1, 3], [10, 10]), {"kind": "share"}, r"kind"),
    (([1, 3], [10.0, 10.0]), {"kind": "rate", "limits": "wilson"}, r"limits"),
    (([1, 3], [10.0, 10.0]), {"kind": "rate", "overdispersion": "beta-binomial"}, r"beta-binomial"),
    (([1, 3], [10, 10]), {"overdispersion": "extra"}, r"overdispersion"),
    (([1, 3], [10, 10]), {"tau2_method": "SJ"}, r"tau2_method"),
    (([1, 3], [10, 10]), {"levels": (95,)}, r"levels"),
    (([1, 3], [10, 10]), {"winsorize": 0.6}, r"winsorize"),
    (([1, 3], [10, 10]), {"scale": "log"}, r"scale"),
    (([1, 3], [10, 10]), {"labels": ["a"]}, r"labels"),
])
def test_bad_inputs_raise(args, kwargs, match):
    with pytest.raises(SSStatsError, match=match):
        funnel(*args, **kwargs)


def test_bad_input_names_the_unit():
    with pytest.raises(SSStatsError, match=r"unit 'B'"):
        funnel(pd.Series([1, -3], index=["A", "B"]), [10, 10])


# ------------------------------------------------------------------------------------------------ plots

def test_default_labels_never_name_a_unit_with_a_small_count():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # every unit far outside the limits: 'A' (6 of 8) and 'D' (30 of 40) are outside, but 'A' has counts 1-7
    x = pd.Series([6, 2, 3, 30, 4, 5], index=list("ABCDEF"))
    n = [8, 100, 120, 40, 110, 130]
    r = funnel(x, n)
    assert r.units.set_index("unit").loc[["A", "D"], "flag"].str.startswith("high").all()
    texts = {t.get_text() for t in r.plot().axes[0].texts}
    assert "D" in texts and "A" not in texts
    # for rates the denominator is exposure, not a count: only the numerator decides
    r = funnel(pd.Series([7, 30, 30, 90], index=list("WXYZ")), [1.0, 100.0, 100.0, 100.0], kind="rate")
    assert (r.units.set_index("unit").loc[["W", "Z"], "flag"] == "high at 99.8%").all()
    texts = {t.get_text() for t in r.plot().axes[0].texts}
    assert "Z" in texts and "W" not in texts
    # labels named by the caller are drawn as asked
    assert {t.get_text() for t in r.plot(labels=["W"]).axes[0].texts} == {"W"}
    plt.close("all")


def test_plot_draws_limits_points_and_labels():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ssstats.plots import plot_funnels

    r = funnel(PROPS["x"].set_axis(PROPS["unit"]), PROPS["n"], overdispersion="additive")
    fig = r.plot(title="test (synthetic data)")
    ax = fig.axes[0]
    assert ax.get_title() == "test (synthetic data)"
    # 2 levels x 2 sides x (adjusted + unadjusted) limit lines and the target
    assert len(ax.lines) == 9
    texts = {t.get_text() for t in ax.texts}
    key = "99.8"
    outside = set(r.units.loc[r.units[f"high_{key}"] | r.units[f"low_{key}"], "unit"])
    assert texts == set(list(r.units[r.units["unit"].isin(outside)].sort_values("p_value")["unit"])[:6])
    fig2 = r.plot(labels=False, show_unadjusted=False)
    assert not fig2.axes[0].texts and len(fig2.axes[0].lines) == 5
    fig3 = plot_funnels([funnel(PROPS["x"], PROPS["n"]), r], titles=["a", "b"], suptitle="s (synthetic data)")
    assert [a.get_title() for a in fig3.axes] == ["a", "b"]
    plt.close("all")


def test_predictive_limits_from_a_model_given():
    """model= sets the dispersion of the predictive limits, e.g. a fit that used suppressed ranges."""
    import ssstats

    x, n = PROPS["x"].to_numpy(), PROPS["n"].to_numpy()
    lower, upper = x.astype(float), x.astype(float)
    lower[:3], upper[:3] = 1, 7  # three counts known only as 1-7
    fit = ssstats.fit_beta_binomial(np.where(np.arange(x.size) < 3, np.nan, x), n, censored=(lower, upper))
    r = funnel(x[3:], n[3:], overdispersion="beta-binomial", model=fit)
    assert r.model is fit and any("model given" in note for note in r.notes)
    rho, t = fit.rho, r.target
    a, b = t * (1 - rho) / rho, (1 - t) * (1 - rho) / rho
    lo, hi = _limits_at(r, [200.0], 0.95, "beta-binomial")
    from ssstats.funnel import spiegelhalter_quantile
    dist = stats.betabinom(200, a, b)
    assert hi[0] == pytest.approx(spiegelhalter_quantile(dist, 0.975) / 200, rel=1e-12)
    assert lo[0] == pytest.approx(spiegelhalter_quantile(dist, 0.025) / 200, rel=1e-12)
    with pytest.raises(SSStatsError, match="`model` for overdispersion='beta-binomial' must be a BetaBinomialFit"):
        funnel(x, n, overdispersion="beta-binomial", model=ssstats.fit_negative_binomial(x, n.astype(float)))
    with pytest.raises(SSStatsError, match="`model` sets the predictive limits"):
        funnel(x, n, overdispersion="additive", model=fit)


def test_plot_draws_zero_event_units_where_the_log_scale_tested_them():
    """Additive limits on the log scale test a unit with no events at half an event; the plot draws it there
    (hollow), so that no point sits below a drawn limit while flagged 'within limits'."""
    rng = np.random.default_rng(1)
    e = rng.uniform(5, 400, 120)
    x = rng.poisson(0.02 * e * rng.gamma(2, 0.5, 120))
    r = funnel(x, e, kind="rate", overdispersion="additive", per=1000)
    assert r.n_zero > 0
    fig = r.plot()
    ax = fig.axes[0]
    hollow = [c for c in ax.collections if "no events" in str(c.get_label())]
    assert len(hollow) == 1
    pts = hollow[0].get_offsets()
    assert len(pts) == r.n_zero
    zero = r.units[r.units.zero_events]
    np.testing.assert_allclose(np.sort(pts[:, 1]), np.sort(0.5 * 1000 / zero.denominator.to_numpy()))
    # and against the drawn limits at those exposures, each hollow point lies where its flag says
    lim = r.limits(zero.denominator.to_numpy())
    lo = lim[(lim.adjustment == "additive") & (lim.level == 0.95)].lower.to_numpy()
    assert ((0.5 * 1000 / zero.denominator.to_numpy() < lo) == zero.low_95.to_numpy()).all()


def test_unit_names_do_not_overlap_and_sit_beside_their_markers():
    """Units outside the limits at nearly the same place are named at different spots around their markers
    (the synthetic report's SYN-038 and SYN-334 once overlapped), each within a few points of its marker."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = pd.Series([40, 41, 39, 42, 5, 6, 4, 5, 6, 5, 4, 6], index=[f"UNIT-{i:03d}" for i in range(12)])
    n = [100, 102, 98, 104, 100, 110, 95, 105, 100, 98, 102, 101]
    r = funnel(x, n)
    fig = r.plot()
    ax = fig.axes[0]
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    texts = ax.texts
    assert len(texts) >= 4
    boxes = [t.get_window_extent(renderer) for t in texts]
    for i in range(len(boxes)):
        for j in range(i + 1, len(boxes)):
            assert not boxes[i].overlaps(boxes[j]), (texts[i].get_text(), texts[j].get_text())
    units = r.units.set_index("unit")
    for t in texts:  # anchored at its own unit's marker, in data coordinates
        u = units.loc[t.get_text()]
        assert t.xy == pytest.approx((u["denominator"], u["estimate"]))
    plt.close("all")
