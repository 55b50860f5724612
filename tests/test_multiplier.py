"""multiplier_estimate against base-R values (tests/results/mse_multiplier_reference.csv) and exact quantiles."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from ssstats import SSStatsError
from ssstats.underreporting import multiplier_estimate
from ssstats.underreporting.multiplier import reporting_from_survey

RES = Path(__file__).resolve().parent / "results"


@pytest.fixture(scope="module")
def ref():
    return pd.read_csv(RES / "mse_multiplier_reference.csv")


def test_fixed_probability_delta_matches_r(ref):
    r = ref[ref["case"] == "fixed 0.16"].iloc[0]
    t = multiplier_estimate(56, 0.16).table
    d = t[t["method"] == "delta"].iloc[0]
    np.testing.assert_allclose([d["estimate"], d["lower"], d["upper"]], [r["estimate"], r["lower"], r["upper"]],
                               rtol=1e-10)


def test_beta_survey_delta_matches_r(ref):
    rr = ref[ref["case"] == "beta(16.5, 84.5)"]
    res = multiplier_estimate([56, 1374], reporting_from_survey(16, 100))
    d = res.table[res.table["method"] == "delta"]
    np.testing.assert_allclose(d["estimate"], rr["estimate"], rtol=1e-10)
    np.testing.assert_allclose(d["lower"], rr["lower"], rtol=1e-10)
    np.testing.assert_allclose(d["upper"], rr["upper"], rtol=1e-10)
    assert "beta(16.5, 84.5)" in res.assumption


def test_simulation_fixed_probability_matches_gamma_quantiles():
    # with p fixed, the simulated totals are Gamma(O + 1/2) / p exactly, so their percentiles are known
    res = multiplier_estimate(56, 0.16, n_draws=400_000, seed=4)
    s = res.table[res.table["method"] == "simulation"].iloc[0]
    exact = stats.gamma.ppf([0.025, 0.975], 56.5) / 0.16
    np.testing.assert_allclose([s["lower"], s["upper"]], exact, rtol=0.01)


def test_simulation_beta_matches_quadrature():
    # P(O*/p <= t) = E_p[Gamma cdf(t p)]: check the simulated 97.5th percentile by numerical integration
    dist = stats.beta(16.5, 84.5)
    res = multiplier_estimate(56, dist, n_draws=400_000, seed=9)
    hi = res.table.query("method == 'simulation'")["upper"].iloc[0]
    x, w = np.polynomial.legendre.leggauss(400)
    p = 0.5 * (x + 1)
    cdf = 0.5 * np.sum(w * dist.pdf(p) * stats.gamma.cdf(hi * p, 56.5))
    assert cdf == pytest.approx(0.975, abs=0.002)


def test_interval_prior_is_logit_normal():
    res = multiplier_estimate(1120, (0.3, 0.7), n_draws=50_000, seed=1)
    assert "logit-normal" in res.assumption
    assert res.table["estimate"].iloc[0] == pytest.approx(2240)


def test_seeded():
    a = multiplier_estimate(56, (0.1, 0.3), seed=3).table
    b = multiplier_estimate(56, (0.1, 0.3), seed=3).table
    c = multiplier_estimate(56, (0.1, 0.3), seed=4).table
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)


def test_zero_observed_has_finite_upper_limit():
    t = multiplier_estimate(0, 0.5).table
    assert (t["lower"] == 0).iloc[0] and np.isfinite(t["upper"]).all()


def test_bad_inputs():
    with pytest.raises(SSStatsError, match="`reporting` must be a probability between 0 and 1; got 1.6"):
        multiplier_estimate(56, 1.6)
    with pytest.raises(SSStatsError, match="greater than 0"):
        multiplier_estimate(56, 0.0)
    with pytest.raises(SSStatsError, match="lower < upper"):
        multiplier_estimate(56, (0.5, 0.2))
    with pytest.raises(SSStatsError, match="whole number"):
        multiplier_estimate(5.5, 0.2)
    with pytest.raises(SSStatsError, match="support"):
        multiplier_estimate(5, stats.norm(0.5, 0.1))
    with pytest.raises(SSStatsError, match="`told` must be less than or equal to `asked`"):
        reporting_from_survey(20, 10)


def test_plot():
    assert multiplier_estimate([56, 80], (0.1, 0.3), n_draws=2000).plot().axes


def test_nothing_observed_intervals_start_at_zero():
    f = multiplier_estimate(0, 0.16).to_frame()
    assert (f["estimate"] == 0).all() and (f["lower"] == 0).all() and (f["upper"] > 0).all()


def test_reporting_from_survey_exported_at_top_level():
    import ssstats

    assert ssstats.reporting_from_survey is reporting_from_survey
    assert "reporting_from_survey" in ssstats.__all__ and "reporting_from_survey" in dir(ssstats)
    d = ssstats.reporting_from_survey(16, 100)
    assert d.args == (16.5, 84.5)  # the Jeffreys posterior, by hand
    with pytest.raises(SSStatsError, match="`told` must be less than or equal to `asked`; got told=20 > asked=10"):
        ssstats.reporting_from_survey(20, 10)
    with pytest.raises(SSStatsError, match="`told` must be a non-negative integer count; got -1"):
        ssstats.reporting_from_survey(-1, 10)
