"""Appendix "Do the intervals cover?": run the simulation study, store it, and turn the stored results into tables
and a figure.

The study itself lives in :mod:`ssstats.simulate.study`; everything it produces is SYNTHETIC (simulated data with
a known truth).  The report never reruns it: the appendix reads ``data/simulation_results.csv``.

Command line (from the repository root)::

    python -m analysis.simulation_study --full      # a few minutes on 2 cores; writes
                                                    # data/simulation_results.csv and figures/simulation_coverage.*
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

ROOT = Path(__file__).resolve().parents[1]
RESULTS_PATH = ROOT / "data" / "simulation_results.csv"
FIGURE_NAME = "simulation_coverage"

#: the settings the report's body relies on (the charge proportion 26 / 1,374; tests check it against data/)
CHARGE_TRIALS = 1374
#: "small" in the appendix's prose and tables: at most this many trials (proportions) or expected events (rates)
SMALL_TRIALS = 100
SMALL_EVENTS = 5

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
    """Exact coverage of the proportion intervals over p = 1-5%: at n = 1,374 and over every n."""
    d = results[results["study"] == "proportion"]
    at = d[d["trials"] == CHARGE_TRIALS].groupby("method")
    every = d.groupby("method")
    one = f"n = {CHARGE_TRIALS:,}"
    span = f"n {int(d['trials'].min()):,} to {int(d['trials'].max()):,}"
    out = pd.DataFrame({
        f"mean coverage, {one}": at["coverage"].mean(),
        f"lowest coverage, {one}": at["coverage"].min(),
        f"mean width, {one}": at["mean_width"].mean(),
        f"mean coverage, {span}": every["coverage"].mean(),
        f"lowest coverage, {span}": every["coverage"].min(),
        "settings below 93%": every["coverage"].apply(lambda c: f"{(c < 0.93).mean():.0%}"),
    })
    out = out.reindex([m for m in _PROPORTION_ORDER if m in out.index])
    out.index = [label(m) for m in out.index]
    return _as_percent(out.rename_axis("method").reset_index())


def rate_table(results: pd.DataFrame) -> pd.DataFrame:
    """Exact coverage of the Poisson intervals: expected counts up to :data:`SMALL_EVENTS` and over the whole range."""
    d = results[results["study"] == "rate"]
    small = d[d["true_value"] <= SMALL_EVENTS].groupby("method")
    every = d.groupby("method")
    lo, hi = f"{d['true_value'].min():g}", f"{d['true_value'].max():g}"
    out = pd.DataFrame({
        f"mean coverage, {lo} to {SMALL_EVENTS:g} events": small["coverage"].mean(),
        f"lowest coverage, {lo} to {SMALL_EVENTS:g} events": small["coverage"].min(),
        f"mean coverage, {lo} to {hi} events": every["coverage"].mean(),
        f"lowest coverage, {lo} to {hi} events": every["coverage"].min(),
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
    """Monte Carlo coverage (with its standard error) across 340 overdispersed synthetic units."""
    d = results[results["study"].isin(["overall_proportion", "unit_proportions"])].copy()
    d["cell"] = _mc(d["coverage"], d["coverage_mcse"])
    d["design"] = [f"mean {m:.3g} trials, mu {v:.3g}" for m, v in zip(d["mean_trials"], d["true_value"])]
    d["target"] = d["study"].map({"overall_proportion": "overall proportion", "unit_proportions": "each unit"})
    d["method"] = d["method"].map(label)
    wide = d.pivot_table(index=["design", "target", "method"], columns="rho", values="cell", aggfunc="first",
                         sort=False)
    wide.columns = [f"rho = {c:g}" for c in wide.columns]
    return wide.reset_index()


def mse_table(results: pd.DataFrame) -> pd.DataFrame:
    """Monte Carlo coverage of the log-normal interval for N, by number of lists, dependence and model."""
    d = results[results["study"] == "mse"].copy()
    out = pd.DataFrame({
        "lists": d["lists"].astype(int),
        "lists 1 and 2": np.where(d["log_odds_ratio"] > 0, [f"dependent (odds ratio {np.exp(g):.3g})"
                                                           for g in d["log_odds_ratio"]], "independent"),
        "model": d["model"],
        "coverage (MC s.e.)": _mc(d["coverage"], d["coverage_mcse"]),
        "mean estimate / N": d["mean_estimate"] / d["true_value"],
        "mean width / N": d["mean_width"] / d["true_value"],
        "replicates": d["replicates"],
        "failed fits": d["failed"],
    })
    return out.sort_values(["lists 1 and 2", "lists", "model"], kind="stable").reset_index(drop=True)


def coverage_at(results: pd.DataFrame, study: str, method: str, **where) -> pd.Series:
    """The coverage values of one study and method at the given parameter values (for inline numbers)."""
    d = results[(results["study"] == study) & (results["method"] == method)]
    for k, v in where.items():
        d = d[np.isclose(d[k], v)]
    return d["coverage"]


def plot_coverage(results: pd.DataFrame):
    """Four panels: proportions at n = 1,374, Poisson counts, overdispersed units, multiple systems estimation."""
    import matplotlib.pyplot as plt

    from ssstats.plots import PALETTE, apply_style

    apply_style()
    colours = dict(zip(["wald", "agresti_coull", "wilson", "jeffreys", "mid_p", "exact", "score", "byar"],
                       [PALETTE[c] for c in ("red", "orange", "blue", "green", "purple", "black", "sky", "grey")]))
    fig, axes = plt.subplots(2, 2, figsize=(10, 9))
    lev = float(results["level"].dropna().iloc[0])

    ax = axes[0, 0]
    d = results[(results["study"] == "proportion") & (results["trials"] == CHARGE_TRIALS)]
    for m in _PROPORTION_ORDER:
        s = d[d["method"] == m].sort_values("true_value")
        ax.plot(100 * s["true_value"], s["coverage"], color=colours[m], label=label(m), lw=1.2)
    ax.set(title=f"A. Proportions, n = {CHARGE_TRIALS:,} (exact)", xlabel="true proportion (%)",
           ylabel="coverage")

    ax = axes[0, 1]
    d = results[results["study"] == "rate"]
    for m in _RATE_ORDER:
        s = d[d["method"] == m].sort_values("true_value")
        ax.plot(s["true_value"], s["coverage"], color=colours[m], label=label(m), lw=1.0,
                ls="--" if m == "byar" else "-")
    ax.set(title="B. Poisson counts (exact)", xlabel="expected number of events", ylabel="coverage",
           ylim=(0.80, 1.0))

    ax = axes[1, 0]
    d = results[results["study"].isin(["overall_proportion", "unit_proportions"])]
    styles = {"binomial_wilson": PALETTE["red"], "binomial_exact": PALETTE["orange"],
              "beta_binomial": PALETTE["blue"], "empirical_bayes": PALETTE["green"],
              "wilson_per_unit": PALETTE["grey"]}
    designs = sorted(d["mean_trials"].unique())
    for (m, mt), s in d.groupby(["method", "mean_trials"], sort=False):
        s = s.sort_values("rho")
        ls = "-" if mt == designs[0] else ":"
        ax.errorbar(s["rho"], s["coverage"], yerr=2 * s["coverage_mcse"], color=styles.get(m, "k"), ls=ls,
                    marker="o", ms=3, capsize=2, label=f"{label(m)}, mean {mt:.3g} trials")
    ax.set(title="C. 340 overdispersed units (Monte Carlo, ±2 s.e.)", xlabel="between-unit correlation rho",
           ylabel="coverage")

    ax = axes[1, 1]
    d = results[results["study"] == "mse"]
    for (model, g), s in d.groupby(["model", "log_odds_ratio"], sort=False):
        s = s.sort_values("lists")
        dep = "dependent lists" if g > 0 else "independent lists"
        ax.errorbar(s["lists"] + (0.05 if model == "stepwise" else -0.05), s["coverage"],
                    yerr=2 * s["coverage_mcse"], marker="o" if model == "main" else "s", ms=4, capsize=2,
                    ls="-" if g == 0 else "--",
                    color=PALETTE["blue"] if model == "main" else PALETTE["green"], label=f"{model}, {dep}")
    ax.set(title="D. Multiple systems estimation, N (Monte Carlo)", xlabel="number of lists", ylabel="coverage",
           xticks=sorted(d["lists"].unique()) if len(d) else [])

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
    return f"{100 * v:.{digits}f}%"


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
    mse = res[res["study"] == "mse"]
    if len(mse):
        n["mse_reps"] = f"{int(mse['replicates'].max()):,}"
        n["mse_N"] = f"{int(mse['true_value'].iloc[0]):,}"
        k_lo, k_hi = int(mse["lists"].min()), int(mse["lists"].max())
        n["mse_lists_lo"], n["mse_lists_hi"] = str(k_lo), str(k_hi)
        # the capture probabilities the study gave its lists (the stored results keep only the number of lists)
        n["mse_p_lo"], n["mse_p_hi"] = _pct(min(list_probabilities(k_hi)), 0), _pct(max(list_probabilities(k_hi)), 0)
        n["mse_failed"] = f"{int(mse['failed'].sum()):,}"
        ind, dep = mse[mse["log_odds_ratio"] == 0], mse[mse["log_odds_ratio"] > 0]
        n["mse_or"] = f"{np.exp(dep['log_odds_ratio'].iloc[0]):.3g}" if len(dep) else "n/a"
        for tag, d in (("ind", ind), ("dep", dep)):
            for model in ("main", "stepwise"):
                c = d.loc[d["model"] == model, "coverage"]
                e = d.loc[d["model"] == model]
                n[f"mse_{tag}_{model}_range"] = (f"{_pct(c.min())} to {_pct(c.max())}" if len(c) else "n/a")
                short = 1 - e["mean_estimate"] / e["true_value"]  # shortfall of the mean estimate
                n[f"mse_{tag}_{model}_short"] = (f"{_pct(short.min(), 0)} to {_pct(short.max(), 0)}"
                                                 if len(e) else "n/a")
    return n


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


def run(path: str | Path = RESULTS_PATH, fig_dir: str | Path | None = ROOT / "figures") -> SimulationSection:
    """Read the stored (synthetic) study and make the appendix's tables, numbers and figure; never reruns it."""
    res = load_results(path)
    fig = make_figures(res, fig_dir) if fig_dir is not None else plot_coverage(res)
    return SimulationSection(results=res, proportions=proportion_table(res), rates=rate_table(res),
                             overdispersion=overdispersion_table(res), mse=mse_table(res), numbers=_numbers(res),
                             figure=fig)


def main(argv: list[str] | None = None) -> int:
    from ssstats.simulate import run_study

    parser = argparse.ArgumentParser(description="Run the simulation study of ssstats' intervals (synthetic).")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--quick", action="store_true", help="a few seconds; prints a summary, writes only --output")
    mode.add_argument("--full", action="store_true", help=f"a few minutes; writes {RESULTS_PATH.relative_to(ROOT)}")
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
    summary = (res.groupby(["study", "method"], sort=False)
               .agg(settings=("coverage", "size"), mean_coverage=("coverage", "mean"),
                    lowest_coverage=("coverage", "min"), failed=("failed", "sum")))
    with pd.option_context("display.width", 120, "display.max_rows", 100):
        print(summary.round(4))
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
