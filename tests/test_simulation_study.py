"""Tests of the simulation study (ssstats.simulate.study) and its appendix module (analysis/simulation_study.py).

Exact coverage is checked against R (tests/results/simulation_coverage.R computes it with R's own intervals);
Monte Carlo coverage against the exact values and known theory; the run's seeding against n_jobs.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ssstats import SSStatsError
from ssstats.simulate import (
    RESULT_COLUMNS,
    capture_probabilities,
    exact_proportion_coverage,
    exact_rate_coverage,
    run_study,
    study_tasks,
    unit_sizes,
)

ROOT = Path(__file__).resolve().parents[1]
R_REF = pd.read_csv(ROOT / "tests" / "results" / "simulation_coverage.csv")
STORED = ROOT / "data" / "synthetic_simulation_results.csv"
APPENDIX = ROOT / "sections" / "_appendix_simulation.qmd"

HAVE_BB = importlib.util.find_spec("ssstats.units") is not None
HAVE_MSE = importlib.util.find_spec("ssstats.underreporting.mse") is not None
needs_bb = pytest.mark.skipif(not HAVE_BB, reason="ssstats.units (fit_beta_binomial) not in this tree yet")
needs_mse = pytest.mark.skipif(not HAVE_MSE, reason="ssstats.underreporting.mse (fit_mse) not in this tree yet")


# ---------------------------------------------------------------------------------------------------------------
# exact coverage against R

def test_exact_proportion_coverage_matches_r():
    ref = R_REF[R_REF["study"] == "proportion"]
    got = exact_proportion_coverage(ref["trials"].unique(), ref["true_value"].unique(),
                                    methods=list(ref["method"].unique()))
    m = ref.merge(got, on=["method", "trials", "true_value"], suffixes=("_r", ""))
    assert len(m) == len(ref) == 36
    np.testing.assert_allclose(m["coverage"], m["coverage_r"], rtol=1e-10)
    np.testing.assert_allclose(m["mean_width"], m["mean_width_r"], rtol=1e-8)


def test_exact_rate_coverage_matches_r():
    ref = R_REF[R_REF["study"] == "rate"]
    got = exact_rate_coverage(ref["true_value"].unique(), methods=list(ref["method"].unique()))
    m = ref.merge(got, on=["method", "true_value"], suffixes=("_r", ""))
    assert len(m) == len(ref) == 12
    np.testing.assert_allclose(m["coverage"], m["coverage_r"], rtol=1e-10)
    np.testing.assert_allclose(m["mean_width"], m["mean_width_r"], rtol=1e-8)


def test_clopper_pearson_and_garwood_never_undercover():
    # a theorem (the exact intervals invert exact tests), independent of the code
    p = np.linspace(0.01, 0.05, 9)
    cov = exact_proportion_coverage([20, 137, 1374], p, methods="exact")
    assert (cov["coverage"] >= 0.95 - 1e-12).all()
    cov = exact_rate_coverage(np.linspace(0.5, 30, 12), methods="exact")
    assert (cov["coverage"] >= 0.95 - 1e-12).all()


def test_wald_undercovers_for_small_counts():
    from scipy import stats

    cov = exact_proportion_coverage(50, [0.01, 0.02, 0.05], methods="wald")
    # by hand, at n = 50 and p = 0.01: x = 0 gives [0, 0]; x = 1..4 give lower limits x/50 - 1.96 sqrt(...) of
    # 0, 0, 0 (truncated) and 0.0048 (below 0.01); x = 5 gives 0.0168: so it covers exactly when 1 <= x <= 4
    assert cov["coverage"].iloc[0] == pytest.approx(stats.binom.cdf(4, 50, 0.01) - 0.99**50, abs=1e-12)
    assert (cov["coverage"] < 0.95).all() and (cov["coverage"].iloc[:2] < 0.9).all()


def test_coverage_is_a_probability_and_level_matters():
    a = exact_proportion_coverage(200, [0.01, 0.03], level=0.95)
    b = exact_proportion_coverage(200, [0.01, 0.03], level=0.998)
    assert a["coverage"].between(0, 1).all() and b["coverage"].between(0, 1).all()
    assert (b["mean_width"].to_numpy() > a["mean_width"].to_numpy()).all()
    assert list(a.columns) == RESULT_COLUMNS
    assert (a["calculation"] == "exact").all() and (a["coverage_mcse"] == 0).all()


@pytest.mark.parametrize("call, match", [
    (lambda: exact_proportion_coverage(0, 0.1), "`n` must be greater than zero"),
    (lambda: exact_proportion_coverage(10.5, 0.1), "`n` must be a whole number"),
    (lambda: exact_proportion_coverage(10, 1.0), "`p` must be a probability strictly between 0 and 1"),
    (lambda: exact_proportion_coverage(10, 0.1, methods="normal"), "`methods` must be one of"),
    (lambda: exact_rate_coverage(-1.0), "`mu` must be greater than zero; got -1"),
    (lambda: exact_rate_coverage(1.0, level=95), r"`level` must be strictly between 0 and 1 \(give 0.95"),
    (lambda: unit_sizes(340, 1.0), "`mean` must be greater than 1"),
    (lambda: capture_probabilities([0.2]), "`p` needs at least two lists"),
    (lambda: study_tasks("slow"), "`mode` must be one of 'quick', 'full'; got 'slow'"),
    (lambda: study_tasks("quick", studies=["coverage"]), "`studies` must be one of"),
    (lambda: run_study("quick", seed=-3), "`seed` must be a non-negative integer; got -3"),
    (lambda: run_study("quick", seed=None), "`seed` must be a non-negative integer; got None"),
    (lambda: run_study("quick", n_jobs=0), "`n_jobs` must be a non-zero integer"),
])
def test_bad_input_is_named(call, match):
    with pytest.raises(SSStatsError, match=match):
        call()


# ---------------------------------------------------------------------------------------------------------------
# the simulation machinery

def test_unit_sizes_match_the_published_totals():
    reports = unit_sizes(340, 1374 / 340)
    incidents = unit_sizes(340, 19899 / 340)
    assert reports.size == incidents.size == 340 and reports.min() >= 1
    assert abs(reports.sum() - 1374) / 1374 < 0.01 and abs(incidents.sum() - 19899) / 19899 < 0.01
    assert np.all(np.diff(reports) >= 0)  # quantiles, so sorted


def test_capture_probabilities_independence_and_dependence():
    h, pr = capture_probabilities([0.1, 0.2, 0.3])
    assert h.shape == (8, 3) and pr.sum() == pytest.approx(1)
    # independence: each list's margin is its capture probability, and the joint is the product
    np.testing.assert_allclose(pr @ h, [0.1, 0.2, 0.3], rtol=1e-12)
    assert pr[0] == pytest.approx(0.9 * 0.8 * 0.7, rel=1e-12)
    h, pr = capture_probabilities([0.1, 0.2, 0.3], log_odds_ratio=np.log(4))
    both = pr[(h[:, 0] == 1) & (h[:, 1] == 1)].sum()
    only1 = pr[(h[:, 0] == 1) & (h[:, 1] == 0)].sum()
    only2 = pr[(h[:, 0] == 0) & (h[:, 1] == 1)].sum()
    neither = pr[(h[:, 0] == 0) & (h[:, 1] == 0)].sum()
    assert both * neither / (only1 * only2) == pytest.approx(4, rel=1e-12)


def test_task_seeds_follow_a_fixed_order():
    t1 = study_tasks("quick")
    t2 = study_tasks("quick")
    assert [t.study for t in t1] == [t.study for t in t2]
    assert {t.study for t in t1} == {"proportion", "rate", "overdispersion", "mse"}


def test_exact_studies_need_no_seed_and_are_labelled():
    res = run_study("quick", seed=5, n_jobs=1, progress=False, studies=["proportion", "rate"])
    assert list(res.columns) == [*RESULT_COLUMNS, "seed", "ssstats_version", "synthetic_simulation"]
    assert res["synthetic_simulation"].all() and (res["seed"] == 5).all()
    assert len(res) == 2 * 3 * 6 + 4 * 6


@needs_bb
def test_overdispersion_binomial_coverage_agrees_with_exact_when_rho_is_zero():
    from ssstats.simulate import overdispersion_coverage

    trials = unit_sizes(340, 1374 / 340)
    res = overdispersion_coverage(trials, 0.019, 0.0, reps=400, seed=11, methods=["binomial_wilson", "binomial_exact"])
    exact = exact_proportion_coverage(int(trials.sum()), 0.019, methods=["wilson", "exact"])
    for m, e in zip(["binomial_wilson", "binomial_exact"], exact["coverage"]):
        row = res[res["method"] == m].iloc[0]
        assert row["replicates"] == 400 and row["failed"] == 0
        assert abs(row["coverage"] - e) < 4 * max(row["coverage_mcse"], 0.005)
        assert row["coverage_mcse"] == pytest.approx(np.sqrt(row["coverage"] * (1 - row["coverage"]) / 400))


@needs_bb
def test_overdispersion_shows_the_binomial_interval_too_narrow():
    from ssstats.simulate import overdispersion_coverage

    # rho = 0.2 over 340 units of about 58 trials: the variance of the pooled proportion is inflated about
    # 1 + (sum n^2 / sum n - 1) rho ~ 20-fold, so a binomial 95% interval covers far less than 95%
    trials = unit_sizes(340, 19899 / 340)
    res = overdispersion_coverage(trials, 0.049, 0.2, reps=200, seed=2, methods=["binomial_wilson"])
    assert res["coverage"].iloc[0] < 0.6


SUMMARY_COLUMNS = ["settings", "mean_coverage", "lowest_coverage", "mean_width", "failed"]


def _check_summary(stdout: str, res: pd.DataFrame) -> None:
    """The printed summary shows every column, and every study and method with the values of ``res``: nothing
    is cut to ``...``."""
    assert "..." not in stdout, stdout
    assert not re.search(r"\[\d+ rows x \d+ columns\]", stdout), stdout
    lines = stdout.splitlines()
    i = next(k for k, line in enumerate(lines) if line.split()[:1] == ["settings"])
    assert lines[i].split() == SUMMARY_COLUMNS, lines[i]
    assert lines[i + 1].split() == ["study", "method"], lines[i + 1]
    printed, study = {}, None
    for line in lines[i + 2:]:
        tok = line.split()
        if len(tok) == len(SUMMARY_COLUMNS) + 2:  # the first method of a study names the study
            study, tok = tok[0], tok[1:]
        if len(tok) != len(SUMMARY_COLUMNS) + 1:
            break  # past the table (e.g. "wrote ... rows")
        printed[(study, tok[0])] = [float(v) for v in tok[1:]]
    # the values, computed here from the results written
    g = res.groupby(["study", "method"])
    want = pd.DataFrame({"settings": g.size(), "mean_coverage": g["coverage"].mean(),
                         "lowest_coverage": g["coverage"].min(), "mean_width": g["mean_width"].mean(),
                         "failed": g["failed"].sum()})
    assert set(printed) == set(want.index)
    for key, vals in printed.items():
        np.testing.assert_allclose(vals, want.loc[key].to_numpy(float), rtol=1e-3, atol=1e-4, err_msg=str(key))


@needs_bb
@needs_mse
def test_quick_run_does_not_depend_on_n_jobs_and_cli_writes_it(tmp_path, capsys):
    from analysis import simulation_study as sim

    out = tmp_path / "sim.csv"
    # the command line itself, its output a pipe as narrow as an 80-column terminal
    env = {**os.environ, "COLUMNS": "80", "LINES": "24"}
    cli = subprocess.run([sys.executable, "-m", "analysis.simulation_study", "--quick", "--seed", "3", "--n-jobs",
                          "2", "--no-progress", "--output", str(out)], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=300, check=True)
    assert f"wrote {len(pd.read_csv(out))} rows to {out}" in cli.stdout
    two = pd.read_csv(out)
    _check_summary(cli.stdout, two)
    again = tmp_path / "sim_again.csv"
    assert sim.main(["--quick", "--seed", "3", "--n-jobs", "1", "--no-progress", "--output", str(again)]) == 0
    _check_summary(capsys.readouterr().out, two)  # in-process too (pytest's captured stdout)
    assert again.read_bytes() == out.read_bytes()  # same seed: byte-identical, whatever n_jobs
    one = run_study("quick", seed=3, n_jobs=1, progress=False)
    pd.testing.assert_frame_equal(one.reset_index(drop=True), two, check_dtype=False, rtol=1e-9)
    assert {"lognormal", "profile", "bootstrap"} <= set(two.loc[two["study"] == "mse", "method"])
    assert {"overall_proportion", "unit_proportions", "mse"} <= set(two["study"])
    other = run_study("quick", seed=4, n_jobs=1, progress=False, studies=["overdispersion"])
    assert not np.allclose(other["mean_width"], two.loc[two["study"].isin(other["study"]), "mean_width"])


# ---------------------------------------------------------------------------------------------------------------
# the stored results the appendix reads

stored = pytest.mark.skipif(not STORED.exists(), reason="data/synthetic_simulation_results.csv not generated yet")


@stored
def test_stored_results_are_labelled_and_reproduce_the_exact_part():
    from analysis import simulation_study as sim

    res = sim.load_results(STORED)
    assert res["synthetic_simulation"].all()
    rows = res[(res["study"] == "proportion") & (res["trials"] == 1374)].sample(5, random_state=0)
    for r in rows.itertuples():
        again = exact_proportion_coverage(1374, r.true_value, methods=r.method)
        assert again["coverage"].iloc[0] == pytest.approx(r.coverage, rel=1e-9)


@stored
def test_stored_results_say_what_the_appendix_says():
    from analysis import simulation_study as sim

    res = sim.load_results(STORED)
    wald = sim.coverage_at(res, "proportion", "wald", trials=20)
    wilson = sim.coverage_at(res, "proportion", "wilson", trials=20)
    assert wald.mean() < 0.9 < wilson.mean()
    od = res[(res["study"] == "overall_proportion") & (res["rho"] == res["rho"].max())]
    binom = od[od["method"] == "binomial_wilson"]["coverage"]
    bb = od[od["method"] == "beta_binomial"]["coverage"]
    assert (binom.to_numpy() < bb.to_numpy()).all()
    section = sim.run(STORED, fig_dir=None)
    assert len(section.proportions) == 6 and len(section.rates) == 6
    assert "(synthetic simulation)" in section.figure.texts[0].get_text()


def test_study_designs_follow_the_published_figures():
    # the package types the designs (it never reads data/ at run time); they must match data/published_figures.csv
    import ssstats as ss
    from analysis import simulation_study as sim
    from ssstats.simulate import STUDY_DESIGNS

    fig = {k: ss.figure(k).value for k in ("indy_police_reports", "indy_police_charges", "indy_sky_total_incidents",
                                           "indy_sky_police_referrals", "indy_police_units")}
    assert sim.CHARGE_TRIALS == fig["indy_police_reports"]
    for mode in ("quick", "full"):
        assert sim.CHARGE_TRIALS in STUDY_DESIGNS[mode]["proportion_n"]
    units, mean, mu = STUDY_DESIGNS["full"]["od_designs"]["police_reports"]
    assert (units, units * mean, mu * units * mean) == pytest.approx(
        (fig["indy_police_units"], fig["indy_police_reports"], fig["indy_police_charges"]), rel=1e-12)
    units, mean, mu = STUDY_DESIGNS["full"]["od_designs"]["incidents"]
    assert (units * mean, mu * units * mean) == pytest.approx(
        (fig["indy_sky_total_incidents"], fig["indy_sky_police_referrals"]), rel=1e-12)


def test_list_probabilities_span_the_stated_range():
    from ssstats.simulate import list_probabilities

    assert list_probabilities(2) == [0.1, 0.25]
    assert list_probabilities(4) == pytest.approx([0.1, 0.15, 0.2, 0.25], abs=1e-12)


@stored
def test_appendix_labels_and_numbers_come_from_the_stored_results(tmp_path):
    from analysis import simulation_study as sim

    res = sim.load_results(STORED)
    prop = res[res["study"] == "proportion"]
    # rename the design: the labels follow the stored results, not typed values
    res2 = res.copy()
    res2.loc[res2["study"] == "rate", "true_value"] *= 2
    path = tmp_path / "sim.csv"
    res2.to_csv(path, index=False)
    sec = sim.run(path, fig_dir=None)
    hi = 2 * res.loc[res["study"] == "rate", "true_value"].max()
    assert f"mean coverage, {2 * 0.5:g} to {hi:g} events" in sec.rates.columns
    assert sec.numbers["mu_hi"] == f"{hi:g}"
    assert f"n {int(prop['trials'].min()):,} to {int(prop['trials'].max()):,}" in " ".join(sec.proportions.columns)
    assert (sec.numbers["mse_lists_lo"], sec.numbers["mse_lists_hi"]) == ("2", "5")
    assert (sec.numbers["mse_p_lo"], sec.numbers["mse_p_hi"]) == ("10%", "25%")


# ---------------------------------------------------------------------------------------------------------------
# the MSE arms (log-normal, profile, bootstrap), the Monte Carlo wording and the figure's ranges

def _mse_frame(counts, k):
    h, _ = capture_probabilities([0.2] * k)
    return pd.DataFrame(h[1:], columns=[f"list{j + 1}" for j in range(k)]).assign(count=counts)


@needs_mse
def test_mse_profile_coverage_is_what_fit_mse_profile_gives_on_the_same_draws():
    from ssstats import fit_mse
    from ssstats.simulate import list_probabilities, mse_coverage

    p, npop, reps = list_probabilities(3), 2000, 6
    rows = mse_coverage(npop, p, 0.0, ["main"], reps, seed=17, intervals=["lognormal", "profile"], replicates=True)
    # redraw the data independently from the same seed: counts of the 2**3 - 1 observable histories
    _, probs = capture_probabilities(p)
    counts = np.random.default_rng(17).multinomial(npop, probs, size=reps)[:, 1:]
    for interval in ("lognormal", "profile"):
        got = rows[rows["method"] == interval]
        assert len(got) == reps and got["ok"].all()
        fits = [fit_mse(_mse_frame(c, 3), "count", model="main", interval=interval) for c in counts]
        np.testing.assert_array_equal(got["covered"].to_numpy(),
                                      [f.lower <= npop <= f.upper for f in fits])
        np.testing.assert_allclose(got["width"], [f.upper - f.lower for f in fits], rtol=1e-12)
    # the profile and log-normal intervals are different intervals
    assert not np.allclose(rows.loc[rows["method"] == "profile", "width"],
                           rows.loc[rows["method"] == "lognormal", "width"])


@needs_mse
def test_mse_bootstrap_arm_leaves_the_other_intervals_unchanged():
    from ssstats.simulate import list_probabilities, mse_coverage

    p = list_probabilities(3)
    a = mse_coverage(2000, p, 0.0, ["stepwise"], 3, seed=5, intervals=["lognormal"], replicates=True)
    b = mse_coverage(2000, p, 0.0, ["stepwise"], 3, seed=5, intervals=["lognormal", "bootstrap"], n_boot=20,
                     replicates=True)
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b[b["method"] == "lognormal"].reset_index(drop=True))
    boot = b[b["method"] == "bootstrap"]
    assert len(boot) == 3 and boot["width"].gt(0).all()
    with pytest.raises(SSStatsError, match="`intervals` must be one of"):
        mse_coverage(2000, p, 0.0, ["main"], 2, seed=1, intervals=["wald"])


def test_quick_and_full_designs_have_every_mse_arm():
    for mode in ("quick", "full"):
        mse = [t for t in study_tasks(mode) if t.study == "mse"]
        ivs = {iv for t in mse for iv in t.kwargs.get("intervals", ["lognormal"])}
        assert ivs == {"lognormal", "profile", "bootstrap"}
        boot = [t for t in mse if "bootstrap" in t.kwargs["intervals"]]
        assert boot and all(t.kwargs["models"] == ["stepwise"] and len(t.kwargs["p"]) > 2 for t in boot)
        # the bootstrap tasks come last, so adding them left the seeds of the others as they were
        kinds = ["bootstrap" in t.kwargs.get("intervals", []) for t in study_tasks(mode)]
        assert kinds == sorted(kinds)


def test_mc_verdict_counts_standard_errors():
    from analysis import simulation_study as sim

    d = pd.DataFrame({"lists": [2, 5, 3], "coverage": [0.94, 0.894, 0.0], "replicates": 500,
                      "coverage_mcse": [np.sqrt(0.94 * 0.06 / 500), np.sqrt(0.894 * 0.106 / 500), 0.0]})
    text = sim.mc_verdict(d, 0.95)
    # (0.894 - 0.95) / sqrt(0.894 * 0.106 / 500) = -4.06: more than 2 s.e. below; 0.94 is 0.94 s.e. below
    assert "within 2 Monte Carlo standard errors of 95% with 2 lists" in text
    assert "89.4% (s.e. 1.4) with 5 lists, 4.1 standard errors below 95%" in text
    assert "0.0% with 3 lists (every replicate missed)" in text
    assert sim.mc_verdict(d.iloc[:1], 0.95) == "within 2 Monte Carlo standard errors of 95% with 2 lists"
    # all 4 of 4 covered: (1 - 0.95) / sqrt(0.95 * 0.05 / 4) = 0.46 s.e. at the nominal level, so no verdict of
    # over-coverage from so few replicates
    few = pd.DataFrame({"lists": [3], "coverage": [1.0], "coverage_mcse": [0.0], "replicates": [4]})
    assert sim.mc_verdict(few, 0.95) == "within 2 Monte Carlo standard errors of 95% with 3 lists"


def test_coverage_ylim_shows_every_value():
    from analysis import simulation_study as sim

    lo, hi = sim.coverage_ylim([0.182, 0.97, 1.0], 0.95)
    assert lo <= 0.182 - 0.02 and hi > 1.0
    lo, hi = sim.coverage_ylim([0.96, 0.99], 0.95, lower=[0.90])
    assert lo <= 0.88 and hi > 0.99


@stored
@needs_mse
def test_stored_results_have_the_profile_and_bootstrap_arms():
    from analysis import simulation_study as sim
    from ssstats.simulate import STUDY_DESIGNS

    full = STUDY_DESIGNS["full"]
    res = sim.load_results(STORED)
    mse = res[res["study"] == "mse"]
    keys = ["model", "lists", "log_odds_ratio"]
    logn = mse[mse["method"] == "lognormal"].set_index(keys).sort_index()
    prof = mse[mse["method"] == "profile"].set_index(keys).sort_index()
    assert len(logn) == 13 and prof.index.equals(logn.index)  # the profile arm on every setting of the first
    for arm, reps in ((prof, full["mse_reps"]),
                      (mse[mse["method"] == "bootstrap"].set_index(keys), full["mse_boot_reps"])):
        assert ((arm["replicates"] + arm["failed"]) == reps).all()
        assert arm["coverage"].between(0, 1).all() and arm["coverage"].notna().all()
        c, r = arm["coverage"], arm["replicates"]
        np.testing.assert_allclose(arm["coverage_mcse"], np.sqrt(c * (1 - c) / r), rtol=1e-8, atol=1e-12)
    boot = mse[mse["method"] == "bootstrap"]
    assert set(boot["model"]) == {"stepwise"} and len(boot) == 6
    table = sim.run(STORED, fig_dir=None).mse
    assert {"log-normal", "profile likelihood", "bootstrap (BCa)"} == set(table["interval"])


@stored
def test_figure_y_ranges_include_every_minimum():
    from matplotlib.collections import LineCollection

    from analysis import simulation_study as sim

    res = sim.load_results(STORED)
    fig = sim.run(STORED, fig_dir=None).figure
    axes = [ax for ax in fig.axes if ax.get_title()]
    assert len(axes) == 6
    for ax in axes:
        lo, hi = ax.get_ylim()
        for line in ax.get_lines():
            y = np.asarray(line.get_ydata(), dtype=float)
            if y.size > 2 or not np.allclose(y, y[0]):  # data, not the level's axhline
                assert lo <= np.nanmin(y) and np.nanmax(y) <= hi, ax.get_title()
        for coll in ax.collections:  # error bars: every end shown
            if isinstance(coll, LineCollection):
                for seg in coll.get_segments():
                    assert lo <= seg[:, 1].min() + 1e-12 and seg[:, 1].max() <= hi + 1e-12, ax.get_title()
    # the lowest coverage of each exact study is inside the panel that shows it
    by_title = {ax.get_title().split(".")[0]: ax for ax in axes}
    n_small = int(res.loc[res["study"] == "proportion", "trials"].min())
    assert f"n = {n_small:,}" in by_title["B"].get_title()
    wald_small = sim.coverage_at(res, "proportion", "wald", trials=n_small).min()
    wald_rate = sim.coverage_at(res, "rate", "wald").min()
    assert by_title["B"].get_ylim()[0] <= wald_small and by_title["C"].get_ylim()[0] <= wald_rate


def test_percentages_that_round_to_zero_carry_no_sign():
    from analysis.simulation_study import _pct

    assert _pct(-0.003, 0) == "0%" and _pct(-0.0004) == "0.0%" and _pct(0.0) == "0.0%"
    assert _pct(-0.012, 0) == "-1%" and _pct(0.1234) == "12.3%" and _pct(-0.0451, 1) == "-4.5%"
    q = __import__("analysis.simulation_study", fromlist=["numbers"]).numbers()  # the appendix's numbers
    assert not any("-0%" in str(v) or "-0.0%" in str(v) for v in q.values())


# ---------------------------------------------------------------------------------------------------------------
# the stored results are named synthetic; the appendix's widths and its empirical-Bayes statement

def test_stored_results_are_named_synthetic_everywhere():
    from analysis import simulation_study as sim

    assert sim.RESULTS_PATH == STORED and STORED.name.startswith("synthetic_")
    assert not (ROOT / "data" / "simulation_results.csv").exists()  # the old, unlabelled name is gone
    rel = f"data/{STORED.name}"
    assert f"`{rel}`" in APPENDIX.read_text(encoding="utf-8")
    assert f"`{STORED.name}`" in (ROOT / "data" / "README.md").read_text(encoding="utf-8")
    assert rel in (sim.__doc__ or "")


@stored
def test_full_run_writes_the_synthetic_file_by_default(tmp_path, monkeypatch):
    # --full without --output writes RESULTS_PATH (the study itself is replaced by the stored results: minutes)
    import ssstats.simulate
    from analysis import simulation_study as sim

    stored_res = sim.load_results(STORED)
    calls = []

    def fake_run_study(mode, **kw):
        calls.append(mode)
        return stored_res
    monkeypatch.setattr(ssstats.simulate, "run_study", fake_run_study)
    target = tmp_path / "data" / STORED.name
    monkeypatch.setattr(sim, "RESULTS_PATH", target)
    assert sim.main(["--full", "--no-progress", "--figures", str(tmp_path / "fig")]) == 0
    assert calls == ["full"]
    # written as the stored file was: byte for byte
    assert target.read_bytes() == STORED.read_bytes()


@stored
def test_appendix_tables_give_the_mean_widths_the_study_stores():
    from analysis import simulation_study as sim

    res = sim.load_results(STORED)
    sec = sim.run(STORED, fig_dir=None)
    prop = res[res["study"] == "proportion"]
    n_small = int(prop["trials"].min())
    t = sec.proportions.set_index("method")
    for n in (sim.CHARGE_TRIALS, n_small):
        col = f"mean width, n = {n:,}"
        assert col in t.columns
        # recomputed here, exactly, from the design's true proportions
        again = exact_proportion_coverage(n, prop["true_value"].unique(), methods=["wilson", "exact"])
        for m, label in (("wilson", "Wilson"), ("exact", "exact")):
            assert t.loc[label, col] == pytest.approx(again.loc[again["method"] == m, "mean_width"].mean(),
                                                      rel=1e-9)
    rate = res[res["study"] == "rate"]
    r = sec.rates.set_index("method")
    lo, hi = f"{rate['true_value'].min():g}", f"{rate['true_value'].max():g}"
    small = rate[rate["true_value"] <= sim.SMALL_EVENTS]
    for m, label in (("exact", "exact"), ("wald", "Wald")):
        assert r.loc[label, f"mean width (events), {lo} to {sim.SMALL_EVENTS:g} events"] == pytest.approx(
            small.loc[small["method"] == m, "mean_width"].mean(), rel=1e-12)
        assert r.loc[label, f"mean width (events), {lo} to {hi} events"] == pytest.approx(
            rate.loc[rate["method"] == m, "mean_width"].mean(), rel=1e-12)
    # the exact intervals are the wider ones: the price the appendix's prose names
    assert r.loc["exact"].filter(like="mean width").gt(r.loc["Wald"].filter(like="mean width")).all()
    # the overdispersion table: each cell carries the stored mean width of its setting
    od = res[res["study"].isin(["overall_proportion", "unit_proportions"])]
    cells = sec.overdispersion.filter(like="rho = ").to_numpy().ravel()
    widths = sorted(float(c.split("width ")[1]) for c in cells)
    np.testing.assert_allclose(widths, sorted(float(f"{w:.3g}") for w in od["mean_width"]), rtol=1e-12)


@stored
def test_empirical_bayes_numbers_say_what_the_stored_results_show():
    from analysis import simulation_study as sim

    res = sim.load_results(STORED)
    q = sim.run(STORED, fig_dir=None).numbers
    assert sim.numbers(STORED) == q  # the light loader for the body gives the same numbers
    lev = float(res["level"].iloc[0])
    eb = res[(res["study"] == "unit_proportions") & (res["method"] == "empirical_bayes")]
    few = eb[eb["mean_trials"] == eb["mean_trials"].min()]
    many = eb[(eb["mean_trials"] == eb["mean_trials"].max()) & (eb["rho"] > 0)]
    assert q["eb_few_lo"] == sim._pct(few["coverage"].min()) and q["eb_few_hi"] == sim._pct(few["coverage"].max())
    assert q["eb_few_lo_rho"] == f"{few.loc[few['coverage'].idxmin(), 'rho']:g}"
    assert q["eb_few_mean_trials"] == f"{few['mean_trials'].iloc[0]:.3g}"
    # the appendix says: with few trials per unit they under-cover at every rho, each beyond 2 MC s.e.
    assert len(few) == res["rho"].nunique() and (few["coverage"] + sim.MC_K * few["coverage_mcse"] < lev).all()
    from analysis.published import number_words

    assert q["eb_few_short"] == f"all {number_words(len(few))}"
    # ... and within a percentage point of the level with many trials once rho > 0, some still beyond 2 s.e.
    assert (abs(many["coverage"] - lev) < 0.01).all()
    assert q["eb_many_pos_lo"] == sim._pct(many["coverage"].min())
    beyond = int((lev - many["coverage"] > sim.MC_K * many["coverage_mcse"]).sum())
    assert q["eb_many_pos_short"] in {f"{number_words(beyond)} of the {number_words(len(many))}",
                                      f"all {number_words(len(many))}" if beyond == len(many) else None,
                                      f"none of the {number_words(len(many))}" if beyond == 0 else None}
    # at the rho the body's synthetic units were made with
    import inspect

    from ssstats.simulate import synthetic_units

    rho = inspect.signature(synthetic_units).parameters["rho_charge"].default
    assert q["eb_syn_rho"] == f"{rho:g}"
    assert q["eb_few_at_syn_rho"] == sim._pct(few.loc[np.isclose(few["rho"], rho), "coverage"].iloc[0])


def test_appendix_uses_the_empirical_bayes_numbers_and_no_longer_limits_them_to_rho_zero():
    from analysis import simulation_study as sim

    text = APPENDIX.read_text(encoding="utf-8")
    used = set(re.findall(r'Q\["(\w+)"\]', text))
    assert {"eb_few_lo", "eb_few_hi", "eb_few_short", "eb_few_at_syn_rho", "eb_many_pos_lo"} <= used
    assert used <= set(sim.numbers()), sorted(used - set(sim.numbers()))  # every inline key exists
    assert "near or at zero, they shrink" not in text
    assert "@fig-attrition-caterpillar" in text  # what it means for the body's caterpillar plot
