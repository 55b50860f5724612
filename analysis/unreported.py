"""Section "What goes unreported": bias analyses of the published counts under named reporting scenarios, the CQC's
incidents under plausible recording completeness, multiple systems estimation on SYNTHETIC linked lists, and the
validation of ssstats' MSE on the UK 2013 modern-slavery data and Rcapture's hare data.

Run as a script to regenerate this section's tables and figures without rendering the report::

    python -m analysis.unreported
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

import ssstats as ss
from ssstats import plots
from ssstats.simulate import synthetic_linked_lists
from ssstats.simulate.lists import SYNTHETIC_LISTS
from ssstats.tables import Markdown
from ssstats.underreporting import closed_population

from .published import citation as cite  # noqa: F401  (used by the section)
from .published import fmt_int, fmt_level, fmt_pct, fraction_words, period_text, the_level, v
from . import figures_dir

ROOT = Path(__file__).resolve().parents[1]
FIG_DIR = figures_dir()
UK_PATH = ROOT / "data" / "uk2013_modern_slavery_5lists.csv"
HARE_PATH = ROOT / "data" / "hare_capture_histories.csv"

SEED = 20240601  # every random step of this section
N_DRAWS = 1_000_000
N_BOOT = 1000
#: the prior weight ("effective sample size") given to the CSEW rate in the bias analysis: an assumption
PRIOR_WEIGHT = 100
#: the recording completeness values the CQC's incidents are divided by (multiplier method): single values, and
#: an uncertain range read as a logit-normal distribution
CQC_COMPLETENESS = (0.25, 0.5, 0.75, (0.3, 0.9))
#: the completeness the prose takes as its example
CQC_EXAMPLE = 0.5


# ---------------------------------------------------------------------------------------------------------------
# scenarios: the priors, stated

def scenarios() -> dict:
    """Named scenarios: priors for the share of true incidents that trusts record, and the share of
    police-reportable offences that reach the police.

    The CSEW's rate (victims of rape or assault by penetration who told the police) is written as a beta prior
    with the weight of :data:`PRIOR_WEIGHT` respondents.  How far a general-population survey carries to
    inpatients is itself uncertain, so the other scenarios bracket it.  Every number in a scenario's text is read
    from its priors.
    """
    p = v("csew_told_police_pct") / 100
    k = PRIOR_WEIGHT
    recorded = ("trapezoidal", 0.3, 0.5, 0.7, 0.9)
    staff_high = 0.5
    corr_recorded, corr_sigma, corr = ("beta", 12, 8), 0.4, 0.5
    _, a, b, c, d = recorded
    return {
        "CSEW rate": {
            "recorded": recorded,
            "to_police": ("beta", p * k, (1 - p) * k),
            "text": f"trusts record {a:.0%} to {d:.0%} of incidents (most likely {b:.0%} to {c:.0%}); the CSEW rate "
                    f"carries over",
        },
        "Staff report more": {
            "recorded": recorded,
            "to_police": ("triangular", p, 0.3, staff_high),
            "text": f"on a ward, staff can report to the police for a patient: between the CSEW rate and "
                    f"{staff_high:.0%}",
        },
        "Patients less believed": {
            "recorded": ("triangular", 0.2, 0.4, 0.7),
            "to_police": ("triangular", 0.05, 0.10, p),
            "text": "recording is poorer and fewer offences reach the police than in the CSEW",
        },
        "Correlated": {
            "recorded": corr_recorded,
            "to_police": ("logit-normal", float(np.log(p / (1 - p))), corr_sigma),
            "correlation": corr,
            "text": f"recording (mean {corr_recorded[1] / (corr_recorded[1] + corr_recorded[2]):.0%}) and reporting "
                    f"to the police (median {p:.0%}) move together (Gaussian copula, correlation {corr:g})",
        },
    }


def bias_level(results: dict) -> float:
    """The one level of the bias analyses' intervals (and of their priors' ranges), as the results carry it."""
    return the_level(np.concatenate([r.table["level"].to_numpy() for r in results.values()]))


def bias_columns(level: float) -> tuple[str, str]:
    """The bias table's interval headers (systematic error alone, with random error) at ``level``."""
    lev = fmt_level(level)
    return f"{lev} interval (systematic)", f"{lev} interval (with random error)"


def run_bias(scen: dict) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Bias analysis of the trusts' recorded incidents and the police reports under each scenario."""
    observed = {"incidents": v("indy_sky_total_incidents"), "police-reportable offences": v("indy_police_reports")}
    results = {}
    for i, (name, s) in enumerate(scen.items()):
        corr = None
        if "correlation" in s:
            r = s["correlation"]
            corr = [[1, r], [r, 1]]
        results[name] = ss.bias_analysis(
            observed, reporting={"incidents": s["recorded"], "police-reportable offences": s["to_police"]},
            correlation=corr, nested=False, n_draws=N_DRAWS, seed=SEED + i)
    # the headers name the level the intervals (and the priors' ranges, the same quantiles) were computed at
    level = bias_level(results)
    col_sys, col_rnd = bias_columns(level)
    col_range = f"{fmt_level(level)} range"
    rows, priors = [], []
    for name, res in results.items():
        t = res.table
        for q in observed:
            sys_ = t[(t["quantity"] == q) & (t["analysis"] == "systematic")].iloc[0]
            rnd = t[(t["quantity"] == q) & (t["analysis"] == "systematic + random")].iloc[0]
            rows.append({"scenario": name, "quantity": q, "observed": sys_["observed"],
                         "median": round(sys_["median"]),
                         col_sys: f"{sys_['lower']:,.0f} to {sys_['upper']:,.0f}",
                         col_rnd: f"{rnd['lower']:,.0f} to {rnd['upper']:,.0f}",
                         "draws kept": res.n_kept})
        pr = res.priors.copy()
        pr["parameter"] = pr["parameter"].str.replace("reporting: incidents", "share of incidents recorded") \
            .str.replace("reporting: police-reportable offences", "share of offences reported to the police")
        pr.insert(0, "scenario", name)
        pr[col_range] = [f"{a:.0%} to {b:.0%}" for a, b in zip(pr["lower"], pr["upper"])]
        pr["median"] = [f"{m:.0%}" for m in pr["median"]]
        priors.append(pr[["scenario", "parameter", "distribution", "parameters", "median", col_range]])
    return pd.DataFrame(rows), pd.concat(priors, ignore_index=True), results


def run_cqc() -> tuple[pd.DataFrame, object]:
    """The CQC's incidents under plausible recording completeness (multiplier method)."""
    obs = v("cqc18_incidents")
    results = [ss.multiplier_estimate(obs, rep, seed=SEED) for rep in CQC_COMPLETENESS]
    lev = fmt_level(the_level(np.concatenate([r.table["level"].to_numpy() for r in results])))
    rows = []
    for rep, res in zip(CQC_COMPLETENESS, results):
        label = (f"{rep[0]:.0%} to {rep[1]:.0%} (uncertain)" if isinstance(rep, tuple)
                 else f"{fraction_words(rep)} recorded")
        t = res.table.set_index("method")
        rows.append({"recording completeness": label, "estimated incidents": round(t.loc["delta", "estimate"]),
                     f"{lev} interval (delta)": f"{t.loc['delta', 'lower']:,.0f} to {t.loc['delta', 'upper']:,.0f}",
                     f"{lev} interval (simulation)":
                         f"{t.loc['simulation', 'lower']:,.0f} to {t.loc['simulation', 'upper']:,.0f}"})
    return pd.DataFrame(rows), results[-1]


def run_synthetic() -> tuple[pd.DataFrame, pd.DataFrame, dict, int]:
    """MSE on SYNTHETIC linked lists: independence, stepwise and best-AIC models, with bootstrap intervals."""
    lists = synthetic_linked_lists(seed=SEED)
    truth = lists.attrs["true_total"]
    fits = {
        "independence (main effects)": ss.fit_mse(lists, "count", model="main", lists=SYNTHETIC_LISTS,
                                                  interval="profile"),
        "stepwise (SparseMSE)": ss.fit_mse(lists, "count", model="stepwise", lists=SYNTHETIC_LISTS,
                                           interval="bootstrap", n_boot=N_BOOT, seed=SEED, progress=False),
        "best AIC": ss.fit_mse(lists, "count", model="best", lists=SYNTHETIC_LISTS, interval="bootstrap",
                               n_boot=N_BOOT, seed=SEED, progress=False),
    }
    lev = fmt_level(the_level([r.level for r in fits.values()]))
    table = pd.DataFrame([{
        "model (synthetic data)": k, "interactions": ", ".join(t.replace("_", " ") for t in r.terms) or "none",
        "observed": r.n_observed, "estimate": round(r.estimate), f"{lev} interval": f"{r.lower:,.0f} to {r.upper:,.0f}",
        "interval": r.interval, "AIC": round(r.aic, 1)} for k, r in fits.items()])
    hist = lists.rename(columns={c: c.replace("_", " ") for c in SYNTHETIC_LISTS})
    return hist, table, fits, truth


def uk_range() -> tuple[float, float]:
    return float(ss.figure("uk2013_mse_lower").value), float(ss.figure("uk2013_mse_upper").value)


def run_uk():
    uk = pd.read_csv(UK_PATH, comment="#")
    step = ss.fit_mse(uk, "count", model="stepwise", interval="bootstrap", n_boot=N_BOOT, seed=SEED, progress=False)
    main = ss.fit_mse(uk, "count", model="main")
    prof = ss.fit_mse(uk, "count", model="stepwise", interval="profile")
    return uk, step, main, prof


def _stepwise_sentence(fit) -> str:
    if not fit.terms:
        return (f"Stepwise selection [@chan2021sparsemse] keeps the independence model here: with "
                f"{len(fit.lists)} lists, dependence of this kind is hard to detect from the overlaps alone, and an "
                f"estimate is only as good as its model of the dependence.")
    return (f"Stepwise selection [@chan2021sparsemse] adds {', '.join(t.replace('_', ' ') for t in fit.terms)} "
            f"and estimates {fit.estimate:,.0f}; an estimate is only as good as its model of the dependence.")


@dataclass
class UnreportedSection:
    bias_table: pd.DataFrame
    priors_table: pd.DataFrame
    scenario_text: pd.DataFrame
    cqc_table: pd.DataFrame
    synthetic_histories: pd.DataFrame
    synthetic_table: pd.DataFrame
    uk_table: pd.DataFrame
    hare_table: pd.DataFrame
    figures: dict = field(default_factory=dict)
    numbers: dict = field(default_factory=dict)


def run(fig_dir: str | Path = FIG_DIR) -> UnreportedSection:
    """Compute the section's tables, numbers and figures and write the figures (PNG and SVG) to ``fig_dir``."""
    scen = scenarios()
    bias_table, priors_table, bias_results = run_bias(scen)
    scenario_text = pd.DataFrame([{"scenario": k, "assumption": s["text"]} for k, s in scen.items()])
    cqc_table, cqc_res = run_cqc()
    hist, syn_table, syn_fits, truth = run_synthetic()
    uk, step, main, prof = run_uk()
    lo_pub, hi_pub = uk_range()
    uk_year = f"{ss.figure('uk2013_mse_lower').period_end:%Y}"
    uk_col = f"{fmt_level(the_level([main.level, step.level, prof.level]))} interval"
    uk_table = pd.DataFrame([
        {"model": "independence (main effects)", "estimate": round(main.estimate),
         uk_col: f"{main.lower:,.0f} to {main.upper:,.0f}", "interval": "lognormal"},
        {"model": "stepwise (SparseMSE)", "estimate": round(step.estimate),
         uk_col: f"{step.lower:,.0f} to {step.upper:,.0f}", "interval": "bootstrap (BCa, model re-selected)"},
        {"model": "stepwise (SparseMSE)", "estimate": round(prof.extra["profile_mle"]),
         uk_col: f"{prof.lower:,.0f} to {prof.upper:,.0f}", "interval": "profile likelihood"},
        {"model": "published (Silverman 2014)", "estimate": np.nan,
         uk_col: f"{lo_pub:,.0f} to {hi_pub:,.0f}", "interval": "published range"},
    ])
    hare_histories = pd.read_csv(HARE_PATH, comment="#")
    hare = closed_population(hare_histories)
    ht = hare.table
    hare_table = ht[ht["model"].isin(["M0", "Mt", "Mh Poisson2", "Mth Poisson2", "Mb"])][
        ["model", "abundance", "stderr", "deviance", "df", "AIC"]].round({"abundance": 1, "stderr": 1,
                                                                        "deviance": 3, "AIC": 3})

    figs = {
        "bias": bias_results["CSEW rate"].plot(
            title="Bias analysis, CSEW scenario: systematic error alone and with random error"),
        "synthetic": plots.plot_mse_compare(
            syn_fits, title="MSE on synthetic linked lists", synthetic=True, truth=truth),
        "uk": step.plot(title=f"UK {uk_year} modern slavery: stepwise MSE, {N_BOOT:,} bootstrap replicates",
                        reference=(lo_pub, hi_pub), reference_label="published range (Silverman 2014)"),
    }
    for name, fig in figs.items():
        plots.save_figure(fig, f"unreported_{name}", fig_dir)

    csew = bias_table[bias_table["scenario"] == "CSEW rate"].set_index("quantity")
    _, with_random = bias_columns(bias_level(bias_results))
    num = {
        "incidents": fmt_int(v("indy_sky_total_incidents")),
        "reports": fmt_int(v("indy_police_reports")),
        "incidents_period": period_text("indy_sky_total_incidents"),
        "reports_period": period_text("indy_police_reports"),
        "csew_prior": f"Beta({scen['CSEW rate']['to_police'][1]:g}, {scen['CSEW rate']['to_police'][2]:g})",
        "prior_weight": fmt_int(PRIOR_WEIGHT),
        "n_boot": fmt_int(N_BOOT),
        "csew_pct": fmt_pct(v("csew_told_police_pct") / 100, 0),
        "csew_inc_median": fmt_int(csew.loc["incidents", "median"]),
        "csew_inc_ci": csew.loc["incidents", with_random],
        "csew_off_median": fmt_int(csew.loc["police-reportable offences", "median"]),
        "csew_off_ci": csew.loc["police-reportable offences", with_random],
        "naive_offences": fmt_int(v("indy_police_reports") / (v("csew_told_police_pct") / 100)),
        "n_draws": fmt_int(N_DRAWS),
        "cqc": fmt_int(v("cqc18_incidents")),
        "cqc_half": fmt_int(cqc_table.iloc[CQC_COMPLETENESS.index(CQC_EXAMPLE)]["estimated incidents"]),
        "cqc_half_words": fraction_words(CQC_EXAMPLE),
        "cqc_level": fmt_level(the_level(cqc_res.table["level"])),
        "bias_level": fmt_level(bias_level(bias_results)),
        # the levels of what the figures draw, for their captions
        "bias_fig_level": fmt_level(the_level(bias_results["CSEW rate"].table["level"])),
        "syn_level": fmt_level(the_level([f.level for f in syn_fits.values()])),
        "uk_level": fmt_level(step.level),
        "uk_year": uk_year,
        "syn_truth": fmt_int(truth),
        "syn_lists": str(len(syn_fits["stepwise (SparseMSE)"].lists)),
        "syn_observed": fmt_int(syn_fits["stepwise (SparseMSE)"].n_observed),
        "syn_main": fmt_int(syn_fits["independence (main effects)"].estimate),
        "syn_best": fmt_int(syn_fits["best AIC"].estimate),
        "syn_best_ci": f"{syn_fits['best AIC'].lower:,.0f} to {syn_fits['best AIC'].upper:,.0f}",
        "syn_best_pool": f"{inspect.signature(ss.fit_mse).parameters['n_boot_models'].default:,}",
        "syn_step_sentence": Markdown(_stepwise_sentence(syn_fits["stepwise (SparseMSE)"])),  # holds a citation
        "uk_observed": fmt_int(step.n_observed),
        "uk_lists": str(len(step.lists)),
        "uk_step": fmt_int(step.estimate),
        "uk_step_ci": f"{step.lower:,.0f} to {step.upper:,.0f}",
        "uk_terms": len(step.terms),
        "uk_main": fmt_int(main.estimate),
        "uk_lo": fmt_int(lo_pub), "uk_hi": fmt_int(hi_pub),
        "uk_within": "within" if lo_pub <= step.estimate <= hi_pub else "outside",
        "hare_mthp": f"{ht.set_index('model').loc['Mth Poisson2', 'abundance']:.1f}",
        "hare_mthp_se": f"{ht.set_index('model').loc['Mth Poisson2', 'stderr']:.1f}",
        "hare_animals": fmt_int(len(hare_histories)),
        "hare_occasions": str(hare_histories.shape[1]),
    }
    return UnreportedSection(bias_table=bias_table, priors_table=priors_table, scenario_text=scenario_text,
                             cqc_table=cqc_table, synthetic_histories=hist, synthetic_table=syn_table,
                             uk_table=uk_table, hare_table=hare_table, figures=figs, numbers=num)


if __name__ == "__main__":  # pragma: no cover
    s = run()
    for k, val in s.numbers.items():
        print(f"{k}: {val}")
    print(s.bias_table.to_string())
