"""Appendix "Do the intervals cover?": run the simulation study, store it, and turn the stored results into tables
and a figure.

The study itself lives in :mod:`ssstats.simulate.study`; everything it produces is SYNTHETIC (simulated data with
a known truth), and its stored results say so in their file name: the report never reruns the study, and the
appendix reads ``data/synthetic_simulation_results.csv``.

Command line (from the repository root)::

    python -m analysis.simulation_study --full      # a few minutes on 2 cores; writes
                                                    # data/synthetic_simulation_results.csv and
                                                    # figures/simulation_coverage.*
    python -m analysis.simulation_study --quick     # seconds; prints a summary, writes nothing
    python -m analysis.simulation_study --quick --output /tmp/sim.csv --seed 7 --n-jobs 1

:func:`run` (used by the report) only reads the stored results and draws the figure.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from analysis import figures_dir

ROOT = Path(__file__).resolve().parents[1]
#: the stored results of the full study (SYNTHETIC: the name says so, as every synthetic file's does)
RESULTS_PATH = ROOT / "data" / "synthetic_simulation_results.csv"
FIGURE_NAME = "simulation_coverage"
FIG_DIR = figures_dir()

#: the settings the report's body relies on (the charge proportion 26 / 1,374; tests check it against data/)
CHARGE_TRIALS = 1374
#: "small" in the appendix's prose and tables: at most this many trials (proportions) or expected events (rates)
SMALL_TRIALS = 100
SMALL_EVENTS = 5
#: a Monte Carlo coverage is called short of (or above) the nominal level beyond this many standard errors; the
#: figure's error bars span as many
MC_K = 2

_PROPORTION_ORDER = ["wald", "agresti_coull", "wilson", "jeffreys", "mid_p", "exact"]
_RATE_ORDER = ["wald", "score", "jeffreys", "mid_p", "byar", "exact"]
_LABELS = {
    "wald": "Wald", "agresti_coull": "Agresti-Coull", "wilson": "Wilson", "jeffreys": "Jeffreys",
    "mid_p": "mid-p", "exact": "exact", "byar": "Byar", "score": "score",
    "binomial_wilson": "binomial (Wilson)", "binomial_exact": "binomial (exact)", "beta_binomial": "beta-binomial",
    "empirical_bayes": "empirical Bayes (beta-binomial)", "wilson_per_unit": "Wilson, unit by unit",
}


def load_results(path: str | Path = RESULTS_PATH) -> pd.DataFrame:
    """Read the stored study and check it is what the appendix expects (synthetic, one seed, one version)."""
    from ssstats import SSStatsError
    from ssstats._validate import check_columns
    from ssstats.simulate import RESULT_COLUMNS

    df = pd.read_csv(path)
    check_columns(df, [*RESULT_COLUMNS, "seed", "ssstats_version", "synthetic_simulation"], str(path))
    if not df["synthetic_simulation"].astype(bool).all():
        raise SSStatsError(f"{path}: every row must have synthetic_simulation = True")
    for col in ("seed", "ssstats_version"):
        if df[col].nunique() != 1:
            raise SSStatsError(f"{path}: expected one `{col}` for the whole study; got {sorted(df[col].unique())}")
    return df


def label(method: str) -> str:
    return _LABELS.get(method, method)


def proportion_table(results: pd.DataFrame) -> pd.DataFrame:
    """Exact coverage and mean (expected) width of the proportion intervals over p = 1-5%: at n = 1,374 (the
    charge rate's), at the smallest n of the design, and over every n."""
    d = results[results["study"] == "proportion"]
    n_small = int(d["trials"].min())
    at = d[d["trials"] == CHARGE_TRIALS].groupby("method")
    small = d[d["trials"] == n_small].groupby("method")
    every = d.groupby("method")
    one, few = f"n = {CHARGE_TRIALS:,}", f"n = {n_small:,}"
    span = f"n {n_small:,} to {int(d['trials'].max()):,}"
    out = pd.DataFrame({
        f"mean coverage, {one}": at["coverage"].mean(),
        f"lowest coverage, {one}": at["coverage"].min(),
        f"mean width, {one}": at["mean_width"].mean(),
        f"mean coverage, {few}": small["coverage"].mean(),
        f"lowest coverage, {few}": small["coverage"].min(),
        f"mean width, {few}": small["mean_width"].mean(),
        f"mean coverage, {span}": every["coverage"].mean(),
        f"lowest coverage, {span}": every["coverage"].min(),
        "settings below 93%": every["coverage"].apply(lambda c: f"{(c < 0.93).mean():.0%}"),
    })
    out = out.reindex([m for m in _PROPORTION_ORDER if m in out.index])
    out.index = [label(m) for m in out.index]
    return _as_percent(out.rename_axis("method").reset_index())


def rate_table(results: pd.DataFrame) -> pd.DataFrame:
    """Exact coverage and mean (expected) width, in events, of the Poisson intervals: expected counts up to
    :data:`SMALL_EVENTS` and over the whole range."""
    d = results[results["study"] == "rate"]
    small = d[d["true_value"] <= SMALL_EVENTS].groupby("method")
    every = d.groupby("method")
    lo, hi = f"{d['true_value'].min():g}", f"{d['true_value'].max():g}"
    out = pd.DataFrame({
        f"mean coverage, {lo} to {SMALL_EVENTS:g} events": small["coverage"].mean(),
        f"lowest coverage, {lo} to {SMALL_EVENTS:g} events": small["coverage"].min(),
        f"mean width (events), {lo} to {SMALL_EVENTS:g} events": small["mean_width"].mean(),
        f"mean coverage, {lo} to {hi} events": every["coverage"].mean(),
        f"lowest coverage, {lo} to {hi} events": every["coverage"].min(),
        f"mean width (events), {lo} to {hi} events": every["mean_width"].mean(),
    })
    out = out.reindex([m for m in _RATE_ORDER if m in out.index])
    out.index = [label(m) for m in out.index]
    return _as_percent(out.rename_axis("method").reset_index())


def _as_percent(table: pd.DataFrame) -> pd.DataFrame:
    """Coverage columns as percentages with one decimal, as in the Monte Carlo tables."""
    for c in table.columns:
        if "coverage" in c:
            table[c] = [f"{100 * v:.1f}%" for v in table[c]]
    return table


def _mc(c: pd.Series, se: pd.Series) -> pd.Series:
    return [f"{100 * a:.1f}% ({100 * b:.1f})" for a, b in zip(c, se)]


def overdispersion_table(results: pd.DataFrame) -> pd.DataFrame:
    """Monte Carlo coverage (with its standard error) and mean width across 340 overdispersed synthetic units.

    Each cell is ``coverage (MC s.e.); width w``: the mean width of the interval (of the overall proportion, or
    averaged over the units for 'each unit') over the replicates, on the proportion scale."""
    d = results[results["study"].isin(["overall_proportion", "unit_proportions"])].copy()
    d["cell"] = [f"{c}; width {w:.3g}" for c, w in zip(_mc(d["coverage"], d["coverage_mcse"]), d["mean_width"])]
    d["design"] = [f"mean {m:.3g} trials, mu {v:.3g}" for m, v in zip(d["mean_trials"], d["true_value"])]
    d["target"] = d["study"].map({"overall_proportion": "overall proportion", "unit_proportions": "each unit"})
    d["method"] = d["method"].map(label)
    wide = d.pivot_table(index=["design", "target", "method"], columns="rho", values="cell", aggfunc="first",
                         sort=False)
    wide.columns = [f"rho = {c:g}" for c in wide.columns]
    return wide.reset_index()


_MSE_INTERVAL_ORDER = ["lognormal", "profile", "bootstrap"]
_MSE_INTERVAL_LABELS = {"lognormal": "log-normal", "profile": "profile likelihood", "bootstrap": "bootstrap (BCa)"}


def mse_table(results: pd.DataFrame) -> pd.DataFrame:
    """Monte Carlo coverage of the intervals for N, by number of lists, dependence, model and interval."""
    d = results[results["study"] == "mse"].copy()
    rank = {m: i for i, m in enumerate(_MSE_INTERVAL_ORDER)}
    out = pd.DataFrame({
        "lists": d["lists"].astype(int),
        "lists 1 and 2": np.where(d["log_odds_ratio"] > 0, [f"dependent (odds ratio {np.exp(g):.3g})"
                                                           for g in d["log_odds_ratio"]], "independent"),
        "model": d["model"],
        "interval": d["method"].map(lambda m: _MSE_INTERVAL_LABELS.get(m, m)),
        "_rank": d["method"].map(lambda m: rank.get(m, len(rank))),
        "coverage (MC s.e.)": _mc(d["coverage"], d["coverage_mcse"]),
        "mean estimate / N": d["mean_estimate"] / d["true_value"],
        "mean width / N": d["mean_width"] / d["true_value"],
        "replicates": d["replicates"],
        "failed fits": d["failed"],
    })
    out = out.sort_values(["lists 1 and 2", "lists", "model", "_rank"], kind="stable").drop(columns="_rank")
    return out.reset_index(drop=True)


def coverage_at(results: pd.DataFrame, study: str, method: str, **where) -> pd.Series:
    """The coverage values of one study and method at the given parameter values (for inline numbers)."""
    d = results[(results["study"] == study) & (results["method"] == method)]
    for k, v in where.items():
        d = d[np.isclose(d[k], v)]
    return d["coverage"]


def coverage_ylim(coverage, level: float, lower=None) -> tuple[float, float]:
    """A y-range for coverage that shows every value given (and the nominal level): never clipped.

    ``lower`` (e.g. coverage minus two Monte Carlo standard errors) extends the range downwards if given.  The
    lower end is rounded down to a multiple of 5 percentage points, at least 0.02 below the lowest value.
    """
    vals = np.asarray(coverage, dtype=float)
    if lower is not None:
        vals = np.concatenate([vals, np.asarray(lower, dtype=float)])
    vals = vals[np.isfinite(vals)]
    lo = min(float(vals.min()) if vals.size else level, level)
    lo = max(0.0, np.floor((lo - 0.02) * 20) / 20)
    return float(lo), 1.0 + 0.02 * (1.0 - lo) + 0.002


def _two_se(s: pd.DataFrame) -> np.ndarray:
    """Error bars of 2 Monte Carlo s.e. either side, kept inside [0, 1] where coverage lives (lower, upper)."""
    c, e = s["coverage"].to_numpy(float), MC_K * s["coverage_mcse"].to_numpy(float)
    return np.vstack([np.minimum(e, c), np.minimum(e, 1 - c)])


def plot_coverage(results: pd.DataFrame):
    """Six panels: proportions at n = 1,374 and at the smallest n, Poisson counts, overdispersed units, and multiple
    systems estimation with independent and with dependent lists.  Every y-range shows every value plotted."""
    import matplotlib.pyplot as plt

    from ssstats.plots import PALETTE, apply_style

    apply_style()
    colours = dict(zip(["wald", "agresti_coull", "wilson", "jeffreys", "mid_p", "exact", "score", "byar"],
                       [PALETTE[c] for c in ("red", "orange", "blue", "green", "purple", "black", "sky", "grey")]))
    fig, axes = plt.subplots(2, 3, figsize=(15, 9.5))
    lev = float(results["level"].dropna().iloc[0])

    prop = results[results["study"] == "proportion"]
    n_small = int(prop["trials"].min()) if len(prop) else CHARGE_TRIALS
    for ax, n_trials, tag in ((axes[0, 0], CHARGE_TRIALS, "A"), (axes[0, 1], n_small, "B")):
        d = prop[prop["trials"] == n_trials]
        for m in _PROPORTION_ORDER:
            s = d[d["method"] == m].sort_values("true_value")
            ax.plot(100 * s["true_value"], s["coverage"], color=colours[m], label=label(m), lw=1.2)
        ax.set(title=f"{tag}. Proportions, n = {n_trials:,} (exact)", xlabel="true proportion (%)",
               ylabel="coverage", ylim=coverage_ylim(d["coverage"], lev))

    ax = axes[0, 2]
    d = results[results["study"] == "rate"]
    for m in _RATE_ORDER:
        s = d[d["method"] == m].sort_values("true_value")
        ax.plot(s["true_value"], s["coverage"], color=colours[m], label=label(m), lw=1.0,
                ls="--" if m == "byar" else "-")
    ax.set(title="C. Poisson counts (exact)", xlabel="expected number of events", ylabel="coverage",
           ylim=coverage_ylim(d["coverage"], lev))

    ax = axes[1, 0]
    d = results[results["study"].isin(["overall_proportion", "unit_proportions"])]
    styles = {"binomial_wilson": PALETTE["red"], "binomial_exact": PALETTE["orange"],
              "beta_binomial": PALETTE["blue"], "empirical_bayes": PALETTE["green"],
              "wilson_per_unit": PALETTE["grey"]}
    designs = sorted(d["mean_trials"].unique())
    for (m, mt), s in d.groupby(["method", "mean_trials"], sort=False):
        s = s.sort_values("rho")
        ls = "-" if mt == designs[0] else ":"
        ax.errorbar(s["rho"], s["coverage"], yerr=_two_se(s), color=styles.get(m, "k"), ls=ls,
                    marker="o", ms=3, capsize=2, label=f"{label(m)}, mean {mt:.3g} trials")
    ax.set(title="D. 340 overdispersed units (Monte Carlo, ±2 s.e.)", xlabel="between-unit correlation rho",
           ylabel="coverage", ylim=coverage_ylim(d["coverage"], lev, d["coverage"] - _two_se(d)[0]))

    mse = results[results["study"] == "mse"]
    iv_colour = {"lognormal": PALETTE["blue"], "profile": PALETTE["purple"], "bootstrap": PALETTE["orange"]}
    shift = {("main", "lognormal"): -0.15, ("main", "profile"): -0.09, ("main", "bootstrap"): -0.03,
             ("stepwise", "lognormal"): 0.03, ("stepwise", "profile"): 0.09, ("stepwise", "bootstrap"): 0.15}
    for ax, dependent, tag in ((axes[1, 1], False, "E"), (axes[1, 2], True, "F")):
        d = mse[(mse["log_odds_ratio"] > 0) == dependent]
        for (model, iv), s in d.groupby(["model", "method"], sort=False):
            s = s.sort_values("lists")
            ax.errorbar(s["lists"] + shift.get((model, iv), 0.0), s["coverage"], yerr=_two_se(s),
                        marker="o" if model == "main" else "s", ms=4, capsize=2,
                        ls="-" if model == "main" else "--", color=iv_colour.get(iv, "k"),
                        label=f"{model}, {_MSE_INTERVAL_LABELS.get(iv, iv)}")
        which = ("dependent lists 1 and 2" if dependent else "independent lists")
        ax.set(title=f"{tag}. Multiple systems estimation, {which}\n(Monte Carlo, ±2 s.e.)",
               xlabel="number of lists", ylabel="coverage", xticks=sorted(d["lists"].unique()) if len(d) else [],
               ylim=coverage_ylim(d["coverage"], lev, d["coverage"] - _two_se(d)[0]))

    for ax in axes.ravel():
        ax.axhline(lev, color="k", lw=0.8, ls=":")
        if ax.get_legend_handles_labels()[0] and ax is not axes[1, 0]:
            ax.legend(fontsize=7, loc="best")
    if axes[1, 0].get_legend_handles_labels()[0]:  # many lines: the legend goes below the panel
        axes[1, 0].legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2, frameon=False)
    fig.suptitle(f"Coverage of nominal {lev:.0%} intervals (synthetic simulation)")
    fig.tight_layout()
    return fig


def make_figures(results: pd.DataFrame, directory: str | Path = ROOT / "figures"):
    """Write the appendix figure (PNG and SVG) and return it."""
    from ssstats.plots import save_figure

    fig = plot_coverage(results)
    save_figure(fig, FIGURE_NAME, directory)
    return fig


def _pct(v: float, digits: int = 1) -> str:
    """``0.123`` -> ``'12.3%'``; a value that rounds to zero is written without a sign (never ``'-0%'``)."""
    return f"{round(100 * v, digits) + 0.0:.{digits}f}%"


def _numbers(res: pd.DataFrame) -> dict[str, str]:
    """Formatted numbers for the appendix prose, read from the stored results (and the study's list design)."""
    from ssstats.simulate import list_probabilities

    n: dict[str, str] = {}
    prop = res[res["study"] == "proportion"]
    n["seed"] = str(int(res["seed"].iloc[0]))
    n["version"] = str(res["ssstats_version"].iloc[0])
    n["level"] = _pct(float(res["level"].dropna().iloc[0]), 0)
    n["p_lo"], n["p_hi"] = _pct(prop["true_value"].min(), 0), _pct(prop["true_value"].max(), 0)
    n["n_lo"], n["n_hi"] = f"{int(prop['trials'].min()):,}", f"{int(prop['trials'].max()):,}"
    for m in ("wald", "wilson", "exact", "jeffreys", "mid_p", "agresti_coull"):
        at = coverage_at(res, "proportion", m, trials=CHARGE_TRIALS)
        every = coverage_at(res, "proportion", m)
        n[f"prop_{m}_min_1374"] = _pct(at.min())
        n[f"prop_{m}_mean_1374"] = _pct(at.mean())
        n[f"prop_{m}_min_all"] = _pct(every.min())
        pm = prop[prop["method"] == m]
        n[f"prop_{m}_width_1374"] = f"{pm.loc[pm['trials'] == CHARGE_TRIALS, 'mean_width'].mean():.3g}"
        n[f"prop_{m}_width_small"] = f"{pm.loc[pm['trials'] == prop['trials'].min(), 'mean_width'].mean():.3g}"
    n["small_trials"], n["small_events"] = f"{SMALL_TRIALS:,}", f"{SMALL_EVENTS:g}"
    n["charge_trials"] = f"{CHARGE_TRIALS:,}"
    small = res[(res["study"] == "proportion") & (res["trials"] <= SMALL_TRIALS)]
    n["prop_wald_min_small"] = _pct(small.loc[small["method"] == "wald", "coverage"].min())
    rate_all = res[res["study"] == "rate"]
    n["mu_lo"], n["mu_hi"] = f"{rate_all['true_value'].min():g}", f"{rate_all['true_value'].max():g}"
    rate = res[(res["study"] == "rate") & (res["true_value"] <= SMALL_EVENTS)]
    for m in ("wald", "exact", "byar", "score", "jeffreys", "mid_p"):
        n[f"rate_{m}_min_small"] = _pct(rate.loc[rate["method"] == m, "coverage"].min())
    n["rate_exact_byar_min_small"] = _pct(rate.loc[rate["method"].isin(["exact", "byar"]), "coverage"].min())
    od = res[res["study"].isin(["overall_proportion", "unit_proportions"])]
    if len(od):
        n["od_reps"] = f"{int(od['replicates'].max()):,}"
        n["od_rho_max"] = f"{od['rho'].max():g}"
        n["od_failed"] = f"{int(od['failed'].sum()):,}"
        for design, mt in (("reports", od["mean_trials"].min()), ("incidents", od["mean_trials"].max())):
            n[f"od_{design}_mean_trials"] = f"{mt:.3g}"
            for m in ("binomial_wilson", "binomial_exact", "beta_binomial", "empirical_bayes", "wilson_per_unit"):
                d = od[(od["method"] == m) & np.isclose(od["mean_trials"], mt)]
                for rho in (0.0, od["rho"].max()):
                    v = d.loc[np.isclose(d["rho"], rho)]
                    key = f"od_{design}_{m}_rho{'0' if rho == 0 else 'max'}"
                    n[key] = _pct(v["coverage"].iloc[0]) if len(v) else "n/a"
                    n[key + "_width"] = f"{v['mean_width'].iloc[0]:.3g}" if len(v) else "n/a"
        n.update(_eb_numbers(od, float(od["level"].iloc[0])))
    mse = res[res["study"] == "mse"]
    if len(mse):
        from ssstats.simulate import STUDY_DESIGNS

        from .unreported import N_BOOT

        lev = float(mse["level"].iloc[0])
        every = mse[mse["method"] != "bootstrap"]
        boot = mse[mse["method"] == "bootstrap"]
        n["mse_reps"] = f"{int(every['replicates'].max()):,}"
        n["mse_boot_reps"] = f"{int(boot['replicates'].max()):,}" if len(boot) else "n/a"
        # the number of resamples is a setting of the full design, not a column of the stored results
        n["mse_n_boot"] = f"{STUDY_DESIGNS['full']['mse_n_boot']:,}"
        n["report_n_boot"] = f"{N_BOOT:,}"
        n["mse_N"] = f"{int(mse['true_value'].iloc[0]):,}"
        k_lo, k_hi = int(mse["lists"].min()), int(mse["lists"].max())
        n["mse_lists_lo"], n["mse_lists_hi"] = str(k_lo), str(k_hi)
        # the capture probabilities the study gave its lists (the stored results keep only the number of lists)
        n["mse_p_lo"], n["mse_p_hi"] = _pct(min(list_probabilities(k_hi)), 0), _pct(max(list_probabilities(k_hi)), 0)
        n["mse_failed"] = f"{int(mse['failed'].sum()):,}"
        n["mse_fits"] = f"{int((mse['replicates'] + mse['failed']).sum()):,}"
        n["mse_mcse_lo"], n["mse_mcse_hi"] = (f"{100 * mse['coverage_mcse'][mse['coverage_mcse'] > 0].min():.1f}",
                                              f"{100 * mse['coverage_mcse'].max():.1f}")
        ind, dep = mse[mse["log_odds_ratio"] == 0], mse[mse["log_odds_ratio"] > 0]
        n["mse_or"] = f"{np.exp(dep['log_odds_ratio'].iloc[0]):.3g}" if len(dep) else "n/a"
        for tag, d in (("ind", ind), ("dep", dep)):
            for iv in ("lognormal", "profile", "bootstrap"):
                for model in ("main", "stepwise"):
                    e = d[(d["model"] == model) & (d["method"] == iv)]
                    c = e["coverage"]
                    rng = f"{_pct(c.min())} to {_pct(c.max())}" if len(c) else "n/a"
                    short = 1 - e["mean_estimate"] / e["true_value"]  # shortfall of the mean estimate
                    keys = [f"mse_{tag}_{iv}_{model}"] + ([f"mse_{tag}_{model}"] if iv == "lognormal" else [])
                    for key in keys:
                        n[f"{key}_range"] = rng
                        n[f"{key}_short"] = (f"{_pct(short.min(), 0)} to {_pct(short.max(), 0)}"
                                             if len(e) else "n/a")
                        n[f"{key}_verdict"] = mc_verdict(e, lev) if len(e) else "n/a"
        # how many settings would lie beyond 2 s.e. by chance alone if every interval covered exactly 95%
        from scipy import stats

        n["mse_settings"] = f"{len(mse):,}"
        n["mse_chance_beyond"] = f"{len(mse) * 2 * stats.norm.sf(MC_K):.1f}"
        both = ind.pivot_table(index=["lists", "method"], columns="model", values="coverage")
        if {"main", "stepwise"} <= set(both.columns):
            gap = (both["stepwise"] - both["main"]).abs().dropna()
            n["mse_ind_step_vs_main"] = f"{100 * gap.max():.1f}" if len(gap) else "n/a"
    n.update(_settings(res))
    fits = res[res["calculation"] == "monte_carlo"]
    n["mc_failed"] = f"{int(fits['failed'].sum()):,}"
    return n


def _eb_numbers(od: pd.DataFrame, level: float) -> dict[str, str]:
    """The empirical-Bayes unit intervals in each design of the overdispersion study, for the appendix's prose
    and the body's caterpillar plot: ``eb_few_*`` for the design with the fewest trials per unit (the police
    returns' sizes, as the synthetic units' charges out of police reports), ``eb_many_*`` for the most."""
    import inspect

    from ssstats.simulate import synthetic_units

    n: dict[str, str] = {}
    eb = od[od["method"] == "empirical_bayes"]
    rhos = np.sort(od["rho"].unique())
    pos = rhos[rhos > 0]
    n["od_rho_pos_min"] = f"{pos.min():g}" if pos.size else "n/a"
    few, many = od["mean_trials"].min(), od["mean_trials"].max()
    d = eb[np.isclose(eb["mean_trials"], few)].sort_values("rho")
    if len(d):
        lo, hi = d.loc[d["coverage"].idxmin()], d.loc[d["coverage"].idxmax()]
        n["eb_few_mean_trials"] = f"{few:.3g}"
        n["eb_few_lo"], n["eb_few_lo_rho"] = _pct(lo["coverage"]), f"{lo['rho']:g}"
        n["eb_few_hi"], n["eb_few_hi_rho"] = _pct(hi["coverage"]), f"{hi['rho']:g}"
        n["eb_few_short"] = _short_words(d, level)
        # the between-unit correlation the body's synthetic units were made with (charges out of police reports)
        syn_rho = float(inspect.signature(synthetic_units).parameters["rho_charge"].default)
        at = d[np.isclose(d["rho"], syn_rho)]
        n["eb_syn_rho"] = f"{syn_rho:g}"
        n["eb_few_at_syn_rho"] = _pct(at["coverage"].iloc[0]) if len(at) else "n/a"
    d = eb[np.isclose(eb["mean_trials"], many) & (eb["rho"] > 0)]
    if len(d) and many != few:
        n["eb_many_mean_trials"] = f"{many:.3g}"
        n["eb_many_pos_lo"], n["eb_many_pos_hi"] = _pct(d["coverage"].min()), _pct(d["coverage"].max())
        n["eb_many_pos_short"] = _short_words(d, level)
    return n


def _short_words(rows: pd.DataFrame, level: float, k: float = MC_K) -> str:
    """How many of ``rows`` lie more than ``k`` Monte Carlo standard errors below ``level``, in words ("all
    four", "none of the three", "two of the four"); a coverage of 0 or 1 is judged by the s.e. a coverage at the
    level would have, as in :func:`mc_verdict`."""
    from .published import number_words

    se = np.where(rows["coverage_mcse"] > 0, rows["coverage_mcse"],
                  np.sqrt(level * (1 - level) / rows["replicates"]))
    short, total = int(((level - rows["coverage"]) / se > k).sum()), len(rows)
    if short == total:
        return f"all {number_words(total)}"
    if short == 0:
        return f"none of the {number_words(total)}"
    return f"{number_words(short)} of the {number_words(total)}"


def numbers(path: str | Path = RESULTS_PATH) -> dict[str, str]:
    """The appendix's inline numbers (``SimulationSection.numbers``) read from the stored results, without drawing
    the figure: for a section of the body that cites the simulation study before the appendix runs."""
    return _numbers(load_results(path))


def dependent_lists() -> tuple[int, int]:
    """The two lists (numbered from 1) that the study makes dependent, read off its capture model: the pair whose
    joint capture probability is not the product of its margins when the log odds ratio is not zero."""
    import itertools

    from ssstats.simulate import capture_probabilities

    h, pr = capture_probabilities([0.5, 0.5, 0.5, 0.5], log_odds_ratio=1.0)
    marg = pr @ h
    pairs = [(i + 1, j + 1) for i, j in itertools.combinations(range(h.shape[1]), 2)
             if not np.isclose(pr @ (h[:, i] * h[:, j]), marg[i] * marg[j])]
    if len(pairs) != 1:  # pragma: no cover - the study has one dependent pair
        raise ValueError(f"expected one dependent pair of lists; got {pairs}")
    return pairs[0]


def _settings(res: pd.DataFrame) -> dict[str, str]:
    """Settings the appendix's prose names, read from the results and from where they live in code."""
    from scipy import stats

    from .comparing_units import LEVELS as FUNNEL_LEVELS
    from .published import LEVELS as CHARGE_LEVELS
    from .published import number_words

    lev = float(res["level"].dropna().iloc[0])
    n = {"z": f"{stats.norm.ppf(1 - (1 - lev) / 2):.2f}",  # the Wald interval's multiplier at the level
         "mc_k_words": number_words(MC_K)}
    # the body's intervals at other levels (the funnels' outer limits, the charge rate's stricter interval)
    others = sorted({x for x in (*FUNNEL_LEVELS, *CHARGE_LEVELS) if not np.isclose(x, lev)})
    n["other_levels"] = _and([f"{100 * x:.10g}%" for x in others])
    od = res[res["study"].isin(["overall_proportion", "unit_proportions"])]
    if len(od):
        n["od_rho_min"] = f"{od['rho'].min():g}"
    n["mse_dep_a"], n["mse_dep_b"] = (str(k) for k in dependent_lists())
    return n


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def mc_verdict(rows: pd.DataFrame, level: float, k: float = MC_K) -> str:
    """Words for Monte Carlo coverage against the nominal level, from the coverage and its Monte Carlo s.e.

    Settings (by number of lists) whose coverage is within ``k`` Monte Carlo standard errors of ``level`` are
    named together; every other setting is given with its coverage, its standard error (percentage points) and how
    many standard errors it lies below or above the level.  A coverage of 0 or 1 (s.e. 0) is judged by
    ``sqrt(level (1 - level) / replicates)``.
    """
    rows = rows.sort_values("lists")
    lev = _pct(level, 0)
    within, outside = [], []
    for r in rows.itertuples():
        # a coverage of 0 or 1 has a Monte Carlo s.e. of 0: judge it by the s.e. a coverage at the nominal level
        # would have with as many replicates
        se = r.coverage_mcse if r.coverage_mcse > 0 else np.sqrt(level * (1 - level) / r.replicates)
        z = (r.coverage - level) / se
        if abs(z) <= k:
            within.append(str(int(r.lists)))
        elif r.coverage_mcse == 0:
            outside.append(f"{_pct(r.coverage)} with {int(r.lists)} lists (every replicate "
                           f"{'missed' if r.coverage == 0 else 'covered'})")
        else:
            outside.append(f"{_pct(r.coverage)} (s.e. {100 * r.coverage_mcse:.1f}) with {int(r.lists)} lists, "
                           f"{abs(z):.1f} standard errors {'below' if z < 0 else 'above'} {lev}")
    parts = []
    if within:
        parts.append(f"within {k:g} Monte Carlo standard errors of {lev} with {_and(within)} lists")
    if outside:
        parts.append(("but " if within else "") + "; ".join(outside))
    return "; ".join(parts) if len(parts) < 2 else f"{parts[0]}, {parts[1]}"


@dataclass
class SimulationSection:
    """What the appendix shows: the stored results, its tables, its numbers and its figure."""

    results: pd.DataFrame
    proportions: pd.DataFrame
    rates: pd.DataFrame
    overdispersion: pd.DataFrame
    mse: pd.DataFrame
    numbers: dict = field(default_factory=dict)
    figure: object = None


def run(path: str | Path = RESULTS_PATH, fig_dir: str | Path | None = FIG_DIR) -> SimulationSection:
    """Read the stored (synthetic) study and make the appendix's tables, numbers and figure; never reruns it.

    The figure is written to ``fig_dir`` (default :func:`analysis.figures_dir`; ``None`` draws it without writing).
    """
    res = load_results(path)
    fig = make_figures(res, fig_dir) if fig_dir is not None else plot_coverage(res)
    return SimulationSection(results=res, proportions=proportion_table(res), rates=rate_table(res),
                             overdispersion=overdispersion_table(res), mse=mse_table(res), numbers=_numbers(res),
                             figure=fig)


def summary_table(res: pd.DataFrame) -> pd.DataFrame:
    """What ``--quick`` and ``--full`` print: per study and method, the settings, mean and lowest coverage, mean
    width and failed fits (printed with ``to_string``, so no column is ever cut to ``...``)."""
    out = (res.groupby(["study", "method"], sort=False)
           .agg(settings=("coverage", "size"), mean_coverage=("coverage", "mean"),
                lowest_coverage=("coverage", "min"), mean_width=("mean_width", "mean"), failed=("failed", "sum")))
    out["failed"] = out["failed"].astype(np.int64)
    return out.round(4)


def _shown(path: Path) -> str:
    """``path`` relative to the repository when it is inside it (for messages)."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def main(argv: list[str] | None = None) -> int:
    from ssstats.simulate import run_study

    parser = argparse.ArgumentParser(description="Run the simulation study of ssstats' intervals (synthetic).")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--quick", action="store_true", help="a few seconds; prints a summary, writes only --output")
    mode.add_argument("--full", action="store_true", help=f"a few minutes; writes {_shown(RESULTS_PATH)}")
    parser.add_argument("--seed", type=int, default=20261123, help="root seed (default 20261123)")
    parser.add_argument("--n-jobs", type=int, default=2, help="joblib workers (default 2)")
    parser.add_argument("--output", type=Path, default=None, help="CSV to write (default: the stored results "
                        "for --full, nothing for --quick)")
    parser.add_argument("--figures", type=Path, default=None,
                        help="directory for the figure (default figures/ for --full, none for --quick)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    args = parser.parse_args(argv)
    name = "full" if args.full else "quick"
    res = run_study(name, seed=args.seed, n_jobs=args.n_jobs, progress=not args.no_progress)
    output = args.output if args.output is not None else (RESULTS_PATH if args.full else None)
    figures = args.figures if args.figures is not None else (ROOT / "figures" if args.full else None)
    print(summary_table(res).to_string())
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        res.to_csv(output, index=False, float_format="%.10g")
        print(f"wrote {len(res)} rows to {output}")
    if figures is not None:
        # from the stored CSV when there is one, so the figure is byte for byte the one the report draws from it
        make_figures(load_results(output) if output is not None else res, figures)
        print(f"wrote {figures / FIGURE_NAME}.png and .svg")
    return 0


if __name__ == "__main__":
    sys.exit(main())
