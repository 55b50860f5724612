"""bias_analysis against exact quantiles from R (tests/results/mse_bias_reference.csv) and by construction."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import special, stats

from ssstats import SSStatsError
from ssstats.underreporting import bias_analysis
from ssstats.underreporting.bias import _beta_ppf

RES = Path(__file__).resolve().parent / "results"


@pytest.fixture(scope="module")
def ref():
    return pd.read_csv(RES / "mse_bias_reference.csv")


@pytest.mark.parametrize("row", range(6))
def test_single_parameter_quantiles_match_r(ref, row):
    r = ref.iloc[row]
    spec = (r["distribution"], *[float(v) for v in r["parameters"].split(",")])
    kw = {"reporting": spec} if r["kind"] == "reporting" else {"reporting": 1.0, "misclassification": spec}
    res = bias_analysis(int(r["observed"]), n_draws=400_000, seed=row, **kw)
    s = res.table[res.table["analysis"] == "systematic"].iloc[0]
    np.testing.assert_allclose([s["median"], s["lower"], s["upper"]], [r["median"], r["lower"], r["upper"]],
                               rtol=0.01)


def test_copula_paths_match_direct_draws(ref):
    # with a correlation matrix every parameter goes through its quantile function: same marginals
    r = ref.iloc[0]
    res = bias_analysis({"a": 1120, "b": 1120}, reporting={"a": ("beta", 30, 30), "b": ("uniform", 0.3, 0.9)},
                        correlation=[[1, 0.3], [0.3, 1]], nested=False, n_draws=400_000, seed=2)
    s = res.table[(res.table["analysis"] == "systematic") & (res.table["quantity"] == "a")].iloc[0]
    np.testing.assert_allclose([s["median"], s["lower"], s["upper"]], [r["median"], r["lower"], r["upper"]],
                               rtol=0.01)


def test_correlation_is_induced():
    res = bias_analysis({"a": 100, "b": 100}, reporting={"a": ("beta", 20, 20), "b": ("logit-normal", 0, 0.5)},
                        correlation=[[1, 0.8], [0.8, 1]], nested=False, n_draws=200_000, seed=1)
    rho = stats.spearmanr(res.draws["a"][:50_000], res.draws["b"][:50_000])[0]
    # Spearman correlation of a Gaussian copula with r = 0.8 is (6 / pi) asin(r / 2)
    assert rho == pytest.approx(6 / np.pi * np.arcsin(0.4), abs=0.02)


def test_beta_fast_quantile_accuracy():
    u = np.random.default_rng(0).random(200_000)
    for a, b in [(0.5, 0.5), (16.5, 84.5), (200, 3), (1, 1)]:
        assert np.abs(_beta_ppf(u, a, b) - special.betaincinv(a, b, u)).max() < 1e-6


def test_random_error_is_binomial_thinning():
    res = bias_analysis(1000, 0.5, n_draws=200_000, seed=1)  # constant p: corrected = 2000 exactly
    s, r = res.table.iloc[0], res.table.iloc[1]
    assert s["median"] == s["lower"] == s["upper"] == 2000
    # N = 1000 + NegBin(1000.5, 0.5): exact quantiles from SciPy's negative binomial
    np.testing.assert_allclose([r["lower"], r["upper"]], 1000 + stats.nbinom.ppf([0.025, 0.975], 1000.5, 0.5),
                               atol=2)


def test_random_error_with_misclassification_and_nothing_observed():
    res = bias_analysis(400, 1.0, misclassification=0.75, n_draws=200_000, seed=2)
    r = res.table.iloc[1]  # p = 1: N = T ~ Binomial(400, 0.75)
    np.testing.assert_allclose([r["lower"], r["upper"]], stats.binom.ppf([0.025, 0.975], 400, 0.75), atol=1)
    z = bias_analysis(0, 0.2, n_draws=200_000, seed=3).table.iloc[1]
    assert z["upper"] == stats.nbinom.ppf(0.975, 0.5, 0.2)


def test_impossible_draws_counted_and_discarded():
    # trapezoid reaching above 1; and a cascade where the later stage can exceed the earlier
    res = bias_analysis({"incidents": 100, "police": 60}, reporting={"incidents": ("uniform", 0.5, 1.2),
                                                                      "police": ("uniform", 0.5, 1.0)},
                        n_draws=100_000, seed=3)
    assert res.n_kept + sum(res.discarded.values()) == res.n_draws
    assert any("outside" in k for k in res.discarded)
    assert any("later stage" in k for k in res.discarded)
    p_out = 0.2 / 0.7
    k = [v for kk, v in res.discarded.items() if "outside" in kk][0]
    assert k / res.n_draws == pytest.approx(p_out, abs=0.01)
    assert "discarded" in res.summary()


def test_seeded():
    a = bias_analysis(56, ("beta", 16.5, 84.5), n_draws=10_000, seed=5).table
    b = bias_analysis(56, ("beta", 16.5, 84.5), n_draws=10_000, seed=5).table
    c = bias_analysis(56, ("beta", 16.5, 84.5), n_draws=10_000, seed=6).table
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


def test_bad_inputs():
    with pytest.raises(SSStatsError, match="distribution must be one of .*got 'gamma'"):
        bias_analysis(56, ("gamma", 1, 2))
    with pytest.raises(SSStatsError, match="uniform needs min < max"):
        bias_analysis(56, ("uniform", 0.9, 0.2))
    with pytest.raises(SSStatsError, match="wrong number of parameters"):
        bias_analysis(56, ("beta", 1))
    with pytest.raises(SSStatsError, match="not a stage"):
        bias_analysis({"a": 5}, {"b": 0.5})
    with pytest.raises(SSStatsError, match="must be 2 x 2"):
        bias_analysis({"a": 5, "b": 3}, {"a": ("uniform", .2, .5), "b": ("uniform", .2, .5)}, correlation=[[1]])
    with pytest.raises(SSStatsError, match="positive definite"):
        bias_analysis({"a": 5, "b": 3}, {"a": ("uniform", .2, .5), "b": ("uniform", .2, .5)},
                      correlation=[[1, 1.2], [1.2, 1]])
    with pytest.raises(SSStatsError, match="`observed` must be a non-negative integer count; got -3"):
        bias_analysis(-3, 0.5)
    with pytest.raises(SSStatsError, match="every draw was impossible"):
        bias_analysis(5, ("uniform", 1.1, 1.5))


@pytest.mark.parametrize("kwargs, match", [
    (dict(observed={}, reporting={}), "`observed` must hold at least one count; got an empty dict"),
    (dict(observed=5, reporting=0.5, nested="no"), "`nested` must be True or False; got 'no'"),
    (dict(observed=5, reporting=1.5), r"prior for 'reporting: count': a constant must be a probability .*got 1.5"),
    (dict(observed=5, reporting=float("nan")), r"prior for 'reporting: count': a constant .*got nan"),
    (dict(observed=5, reporting=("constant", -0.2)), r"constant must be a probability .*got -0.2"),
    (dict(observed=5, reporting=("logit-normal", float("nan"), 1)), r"logit-normal needs a finite mu .*got \(nan"),
    (dict(observed=5, reporting=("beta", float("nan"), 2)), r"beta needs both shapes > 0; got \(nan"),
    (dict(observed=5, reporting=0.5, misclassification={"x": 0.9}), "`misclassification` names 'x'"),
    (dict(observed=2.5, reporting=0.5), r"`observed` must be a whole number .*2.5 for unit 'count'"),
    (dict(observed=5, reporting=0.5, seed=None), "`seed` is required"),
])
def test_bad_inputs_are_named(kwargs, match):
    with pytest.raises(SSStatsError, match=match):
        bias_analysis(n_draws=1000, **kwargs)


def test_plot_and_priors_table():
    res = bias_analysis({"incidents": 1120, "police": 56}, {"incidents": ("trapezoidal", .3, .5, .7, .9),
                                                            "police": ("beta", 16, 84)}, n_draws=5000, seed=1)
    assert list(res.priors["distribution"]) == ["trapezoidal", "beta"]
    assert len(res.plot().axes) == 2


# ---- the report section (analysis/unreported.py), with fewer draws ---------------------------------------------

def test_section_runs_and_labels_synthetic(tmp_path, monkeypatch):
    from analysis import unreported as U

    monkeypatch.setattr(U, "N_DRAWS", 20_000)
    monkeypatch.setattr(U, "N_BOOT", 60)
    sec = U.run(fig_dir=tmp_path)
    for name in ("bias", "synthetic", "uk"):
        for ext in ("png", "svg"):
            assert (tmp_path / f"unreported_{name}.{ext}").stat().st_size > 1000
    assert "(synthetic data)" in sec.figures["synthetic"].axes[0].get_title()
    assert sec.synthetic_histories["synthetic"].all()
    assert "synthetic" in sec.synthetic_table.columns[0]
    # every scenario states its priors; the UK stepwise estimate sits in the published range
    assert set(sec.priors_table["scenario"]) == set(sec.scenario_text["scenario"])
    assert sec.numbers["uk_within"] == "within"
    assert sec.numbers["csew_pct"] == "16%"
    # numbers in titles and prose follow the settings and the data, none typed
    assert sec.numbers["n_boot"] == "60" and "60 bootstrap replicates" in sec.figures["uk"].axes[0].get_title()
    assert sec.numbers["csew_prior"] == "Beta(16, 84)"  # the CSEW's 16 in 100, weight 100: by hand
    assert (sec.numbers["hare_animals"], sec.numbers["hare_occasions"], sec.numbers["uk_lists"]) == ("68", "6", "5")
    assert "median 16%" in sec.scenario_text.set_index("scenario").loc["Correlated", "assumption"]
