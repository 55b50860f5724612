"""Tests of the SYNTHETIC unit-level returns: ssstats.simulate.synthetic_units and foi_return."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import ssstats
from ssstats import SSStatsError
from ssstats.simulate import FOI_NOTATIONS, foi_return, synthetic_units

STAGES = ["incidents", "referred_to_police", "police_reports", "charges"]
ROOT = Path(__file__).resolve().parents[1]

#: published figure behind each stage's total; the expected totals are read from data/published_figures.csv
FIGURES = {"incidents": "indy_sky_total_incidents", "referred_to_police": "indy_sky_police_referrals",
           "police_reports": "indy_police_reports", "charges": "indy_police_charges"}


@pytest.fixture(scope="module")
def published():
    return {s: int(ssstats.figure(fid).value) for s, fid in FIGURES.items()}


@pytest.fixture(scope="module")
def units():
    return synthetic_units(seed=7)


def test_defaults_hit_the_published_totals_exactly(units, published):
    assert len(units) == int(ssstats.figure("atkins_units").value)
    assert {s: int(units[s].sum()) for s in STAGES} == published
    assert published["police_reports"] == 1374 and published["charges"] == 26  # the figures the brief names


@pytest.mark.parametrize("seed", [0, 1, 123, np.random.default_rng(5)])
def test_totals_exact_for_several_seeds(seed):
    totals = {"incidents": 5000, "referred_to_police": 300, "police_reports": 400, "charges": 11}
    u = synthetic_units(seed, n_units=60, totals=totals, batch=1000)
    assert {s: int(u[s].sum()) for s in STAGES} == totals
    assert len(u) == 60


def test_deterministic_and_seed_dependent():
    kw = dict(n_units=40, totals={"incidents": 2000, "referred_to_police": 90, "police_reports": 150,
                                  "charges": 4}, batch=1000)
    a = synthetic_units(11, **kw)
    b = synthetic_units(11, **kw)
    c = synthetic_units(12, **kw)
    pd.testing.assert_frame_equal(a, b)
    assert not a["incidents"].equals(c["incidents"])


def test_labelled_synthetic_and_structure(units):
    assert units["synthetic"].all() and units.attrs["synthetic"] is True
    assert units["unit_id"].iloc[0] == "SYN-001" and units["unit_id"].iloc[-1] == f"SYN-{len(units):03d}"
    assert units["unit_id"].is_unique
    assert set(units["ward_type"]) == {"mixed", "single-sex"}
    assert set(units["sector"]) == {"NHS", "independent"}
    # sector is a property of the provider
    assert (units.groupby("provider")["sector"].nunique() == 1).all()
    assert (units["bed_days"] > 0).all() and (units["beds"] >= 1).all()
    for s in STAGES:
        assert units[s].dtype == np.int64 and (units[s] >= 0).all()
    # binomial structure of the generator: trials bound their successes
    assert (units["referred_to_police"] <= units["incidents"]).all()
    assert (units["police_reports"] <= units["incidents"]).all()
    assert (units["charges"] <= units["police_reports"]).all()


def test_realistic_variation_between_units(units):
    # incidents per bed day vary more than Poisson (negative binomial), and police reports out of incidents more
    # than binomial (beta-binomial): Pearson dispersion well above 1
    rate = units["incidents"].sum() / units["bed_days"].sum()
    mu = units["bed_days"] * rate
    disp_nb = (((units["incidents"] - mu) ** 2) / mu).sum() / (len(units) - 1)
    n, y = units["incidents"], units["police_reports"]
    p = y.sum() / n.sum()
    keep = n > 0
    disp_bb = (((y - n * p) ** 2) / (n * p * (1 - p)))[keep].sum() / (keep.sum() - 1)
    assert disp_nb > 5 and disp_bb > 1.5
    # mixed-sex wards have more incidents per bed day (rate ratio 1.5 by default)
    r = units.groupby("ward_type").apply(lambda g: g["incidents"].sum() / g["bed_days"].sum(), include_groups=False)
    assert r["mixed"] > r["single-sex"]


def test_censored_cells_present_and_truthful(units):
    cens = units.attrs["censored"]
    assert set(cens) == {"referred_to_police", "charges"}
    assert cens["referred_to_police"] > 0 and cens["charges"] > 0
    for s in cens:
        shown = units[f"{s}_shown"]
        hidden = shown.isin(list(FOI_NOTATIONS))
        assert int(hidden.sum()) == cens[s]
        assert hidden.mean() < 0.5  # a minority of cells
        assert units.loc[hidden, s].between(1, 4).all()
        assert (shown[~hidden] == units.loc[~hidden, s].astype(str)).all()
    foi = foi_return(units)
    assert not any(c.endswith("_shown") for c in foi.columns)
    assert foi["charges"].isin(list(FOI_NOTATIONS)).sum() == cens["charges"]
    assert foi["synthetic"].all()


def _loaded(units, tmp_path):
    path = tmp_path / "synthetic_units.csv"
    foi_return(units).to_csv(path, index=False)
    return ssstats.load_units(path)


def test_foi_file_loads_with_load_units(units, tmp_path):
    df = _loaded(units, tmp_path)
    assert len(df) == len(units)
    for s in ("referred_to_police", "charges"):
        cens = df[f"{s}_censored"].to_numpy()
        assert cens.sum() == units.attrs["censored"][s]
        assert np.isnan(df.loc[cens, s]).all()
        truth = units[s].to_numpy()
        assert (df[f"{s}_lower"].to_numpy() <= truth).all() and (truth <= df[f"{s}_upper"].to_numpy()).all()
        np.testing.assert_array_equal(df.loc[~cens, s].to_numpy(), truth[~cens])
    np.testing.assert_array_equal(df["police_reports"].to_numpy(), units["police_reports"].to_numpy())
    # the Cascade of the loaded file carries the censored charges as bounds that contain the true total
    c = ssstats.Cascade(df, stages=["police_reports", "charges"])
    row = c.to_frame().iloc[1]
    assert row["count_lower"] <= units["charges"].sum() <= row["count_upper"]
    assert "synthetic" in c.label


def test_committed_file_is_reproducible():
    from analysis import make_synthetic

    committed = (ROOT / "data" / "synthetic_units.csv").read_text()
    buf = io.StringIO()
    make_synthetic.build().to_csv(buf, index=False, lineterminator="\n")
    assert buf.getvalue() == committed
    assert "synthetic" in make_synthetic.PATH.name


@pytest.mark.parametrize("kwargs, match", [
    (dict(seed=None), "`seed` is required"),
    (dict(seed=1, n_units=0), "`n_units` must be a whole number of at least 1; got 0"),
    (dict(seed=1, n_units=2.5), "`n_units`.*2.5"),
    (dict(seed=1, rho_charge=1.0), "`rho_charge` must be below 1"),
    (dict(seed=1, rho_police=-0.1), "`rho_police` must be a probability.*-0.1"),
    (dict(seed=1, censor_prob=1.5), "`censor_prob` must be a probability.*1.5"),
    (dict(seed=1, incident_theta=0), "`incident_theta` must be greater than zero; got 0"),
    (dict(seed=1, censor_stages=["arrests"]), "unknown stage 'arrests'"),
    (dict(seed=1, totals={"charges": -2}), "non-negative whole numbers; got -2 for stage 'charges'"),
    (dict(seed=1, totals={"arrests": 2}), "unknown stage 'arrests'"),
    (dict(seed=1, totals={"incidents": 100, "referred_to_police": 5, "police_reports": 10, "charges": 11}),
     "charges=11 cannot exceed police_reports=10"),
])
def test_bad_input(kwargs, match):
    with pytest.raises(SSStatsError, match=match):
        synthetic_units(**kwargs)


def test_foi_return_refuses_other_frames():
    with pytest.raises(SSStatsError, match="synthetic_units"):
        foi_return(pd.DataFrame({"charges": [1]}))


def test_between_unit_variation_is_recovered(units):
    # the beta-binomial fitted across units (ssstats.fit_beta_binomial) recovers the generator's rho (0.10 by
    # default) for police reports out of incidents: its 95% profile interval covers it
    fit = ssstats.fit_beta_binomial(units["police_reports"], units["incidents"])
    ci = fit.ci.set_index("parameter")
    assert ci.loc["rho", "lower"] <= 0.10 <= ci.loc["rho", "upper"]
    assert ci.loc["mu", "lower"] <= units["police_reports"].sum() / units["incidents"].sum() <= ci.loc["mu", "upper"]
