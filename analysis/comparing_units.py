"""Section "Comparing units": funnel plots of the SYNTHETIC units, with and without allowing for overdispersion,
and the flagged units after disclosure control.

Every unit here is synthetic (``data/synthetic_units.csv``, made by ``ssstats.simulate.synthetic_units``); the
figures and tables say so.  Run as a script to regenerate this section's figures without rendering the report::

    python -m analysis.comparing_units
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import inspect
import sys

import numpy as np
import pandas as pd

import ssstats as ss
from ssstats import plots
from ssstats.disclosure import round_to_base
from . import figures_dir
from .published import fraction_words

ROOT = Path(__file__).resolve().parents[1]
FIG_DIR = figures_dir()
SYNTHETIC_PATH = ROOT / "data" / "synthetic_units.csv"
#: the funnel limits drawn (inner, outer)
LEVELS = (0.95, 0.998)
#: the incident rate is given per this many bed days
PER_BED_DAYS = 1000
RATE_COLUMN = f"Per {PER_BED_DAYS:,} bed days"

#: the adjustments compared: (label, funnel keyword arguments) per measure
ADJUSTMENTS = {
    "referral": [("no adjustment", {}),
                 ("additive (DerSimonian-Laird)", {"overdispersion": "additive", "tau2_method": "DL"}),
                 ("beta-binomial predictive", {"overdispersion": "beta-binomial"})],
    "incidents": [("no adjustment", {}),
                  ("additive (DerSimonian-Laird)", {"overdispersion": "additive", "tau2_method": "DL"}),
                  ("negative-binomial predictive", {"overdispersion": "negative-binomial"})],
}
#: the adjustment whose flags the unit table reports
MODEL = {"referral": "beta-binomial predictive", "incidents": "negative-binomial predictive"}


@dataclass
class ComparingUnitsSection:
    units: pd.DataFrame  # the synthetic units as load_units reads them
    funnels: dict  # measure -> {adjustment label -> FunnelResult}
    outlier_table: pd.DataFrame  # how many units fall outside the limits under each approach
    flagged_table: pd.DataFrame  # flagged units, through ss.suppress
    figures: dict = field(default_factory=dict)
    numbers: dict = field(default_factory=dict)


def _referral_units(u: pd.DataFrame):
    """Units whose referral proportion can be placed: incidents > 0 and referrals not censored."""
    censored = u["referred_to_police_censored"].to_numpy()
    no_incidents = (u["incidents"] == 0).to_numpy()
    keep = ~censored & ~no_incidents
    return u[keep], int(censored.sum()), int((no_incidents & ~censored).sum())


def referral_model(u: pd.DataFrame) -> ss.units.BetaBinomialFit:
    """The beta-binomial model of referrals across every unit with incidents, suppressed ranges included."""
    has = (u["incidents"] > 0).to_numpy()
    w = u[has]
    return ss.fit_beta_binomial(w["referred_to_police"].to_numpy(), w["incidents"].astype(np.int64).to_numpy(),
                                censored=(w["referred_to_police_lower"].to_numpy(),
                                          w["referred_to_police_upper"].to_numpy()))


def funnels(u: pd.DataFrame) -> tuple[dict, dict]:
    """The funnel plots of both measures under each adjustment, and the counts of units left out.

    Units whose referral count is a suppressed range cannot be placed on the referral funnel, but they inform the
    beta-binomial model behind its predictive limits (fitted with the ranges, ``censored=``)."""
    ref, n_cens, n_zero_inc = _referral_units(u)
    x = pd.Series(ref["referred_to_police"].astype(np.int64).to_numpy(), index=ref["unit_id"])
    bb = referral_model(u)
    extra = {"beta-binomial": {"model": bb}}
    out = {"referral": {lab: ss.funnel(x, ref["incidents"].astype(np.int64).to_numpy(), kind="proportion",
                                       per=100, levels=LEVELS, **kw, **extra.get(kw.get("overdispersion"), {}))
                        for lab, kw in ADJUSTMENTS["referral"]}}
    inc = pd.Series(u["incidents"].astype(np.int64).to_numpy(), index=u["unit_id"])
    out["incidents"] = {lab: ss.funnel(inc, u["bed_days"].to_numpy(), kind="rate", per=PER_BED_DAYS,
                                       levels=LEVELS, **kw)
                        for lab, kw in ADJUSTMENTS["incidents"]}
    return out, {"referral_censored": n_cens, "referral_no_incidents": n_zero_inc}


def outlier_table(fun: dict) -> pd.DataFrame:
    """Units outside the 95% and 99.8% limits under each approach (counts of units, not of incidents)."""
    rows = []
    names = {"referral": "Referred to police (% of incidents)", "incidents": f"Incidents per {PER_BED_DAYS:,} bed days"}
    for measure, by_adj in fun.items():
        for lab, res in by_adj.items():
            row = {"Measure": names[measure], "Limits": lab, "Units": res.n_units}
            for lev in res.levels:  # the levels the funnel was drawn at, as the result carries them
                row[f"Outside {_level(lev)} (above)"] = _outside(res, lev, "high")
                row[f"Outside {_level(lev)} (below)"] = _outside(res, lev, "low")
            inner = res.levels[0]
            row[f"Expected by chance at {_level(inner)}"] = f"{(1 - inner) * res.n_units:.0f}"
            rows.append(row)
    return pd.DataFrame(rows)


def flagged_table(u: pd.DataFrame, fun: dict) -> pd.DataFrame:
    """Units outside the 95% limits of the model-based (predictive) funnels, after disclosure control."""
    ref = fun["referral"][MODEL["referral"]].units.set_index("unit")
    inc = fun["incidents"][MODEL["incidents"]].units.set_index("unit")
    flagged = sorted(set(ref.index[ref["flag"] != "within limits"]) | set(inc.index[inc["flag"] != "within limits"]))
    t = u.set_index("unit_id").loc[flagged]
    # rates and percentages from the ROUNDED counts: from the unrounded ones and the exact bed days a reader could
    # work each rounded count back exactly
    inc_r = round_to_base(t["incidents"].to_numpy())
    ref_r = round_to_base(t["referred_to_police"].to_numpy())  # NaN (censored) stays NaN, suppressed below
    with np.errstate(divide="ignore", invalid="ignore"):
        pct_r = np.where(inc_r > 0, 100 * ref_r / inc_r, np.nan)
    table = pd.DataFrame({
        "Unit (synthetic)": flagged,
        "Incidents": t["incidents"].astype(np.int64).to_numpy(),
        "Bed days": t["bed_days"].round().astype(np.int64).to_numpy(),
        RATE_COLUMN: np.round(PER_BED_DAYS * inc_r / t["bed_days"].to_numpy(), 1),
        "Incident rate": inc.loc[flagged, "flag"].to_numpy(),
        "Referred to police": t["referred_to_police"].to_numpy(),
        "Referred (%)": np.round(pct_r, 0),
        "Referral proportion": ref["flag"].reindex(flagged).fillna("not placed (censored or no incidents)").to_numpy(),
    })
    censored = t["referred_to_police_censored"].to_numpy()
    # a censored referral count was returned as a range within 1-7: its lower bound keeps it suppressed (primary)
    # without imputing a value; the percentage built on it is suppressed with it
    table["Referred to police"] = np.where(censored, t["referred_to_police_lower"].to_numpy(),
                                           table["Referred to police"].to_numpy()).astype(np.int64)
    if (table.loc[censored, "Referred to police"] < 1).any():  # pragma: no cover - guards the data contract
        raise ss.SSStatsError("a censored referral count has lower bound 0; it cannot be shown as suppressed")
    shown = ss.suppress(table, columns=["Incidents", "Referred to police"], secondary="columns",
                        derived={RATE_COLUMN: "Incidents",
                                 "Referred (%)": ["Referred to police", "Incidents"]})
    shown.attrs["censored_units"] = int(censored.sum())
    return shown


def _level(x: float) -> str:
    return f"{100 * float(x):.10g}%"


def _outside(res, level: float, *sides: str) -> int:
    """How many units of a funnel lie outside its ``level`` limits on the given sides (``"high"``, ``"low"``; both
    by default): the funnel's ``high_<level>``/``low_<level>`` columns, named by the level in percent."""
    key = _level(level)[:-1]
    out = np.zeros(len(res.units), dtype=bool)
    for side in sides or ("high", "low"):
        out |= res.units[f"{side}_{key}"].to_numpy(dtype=bool)
    return int(out.sum())


#: right-align the count columns of the flagged table (they hold display strings after suppression)
FLAGGED_ALIGN = {"Incidents": "right", "Referred to police": "right", RATE_COLUMN: "right",
                 "Referred (%)": "right"}


def figures(fun: dict, fig_dir: Path = FIG_DIR) -> dict:
    figs = {}
    titles = {"referral": ("Referred to police (%)", "number of incidents"),
              "incidents": (f"Incidents per {PER_BED_DAYS:,} bed days", "occupied bed days")}
    for measure, by_adj in fun.items():
        ylabel, xlabel = titles[measure]
        n = next(iter(by_adj.values())).n_units
        fig = plots.plot_funnels(list(by_adj.values()), titles=list(by_adj),
                                 suptitle=f"{ylabel}: {n} units (synthetic data)",
                                 xlabel=xlabel, ylabel=ylabel, figsize=(13.5, 4.4))
        plots.save_figure(fig, f"funnel_{measure}", fig_dir)
        figs[measure] = fig
    return figs


def numbers(fun: dict, left_out: dict) -> dict:
    N = {}
    for measure, by_adj in fun.items():
        labs = list(by_adj)
        base, add, model = (by_adj[lab] for lab in labs)
        lo, hi = base.levels  # the inner and outer limits, as drawn (checked to be the same for every funnel below)
        N[f"{measure}_units"] = f"{base.n_units:,}"
        N[f"{measure}_target"] = f"{base.target:.1f}"
        N[f"{measure}_out95_raw"] = f"{_outside(base, lo):,}"
        N[f"{measure}_out998_raw"] = f"{_outside(base, hi):,}"
        N[f"{measure}_chance95"] = f"{(1 - lo) * base.n_units:.0f}"
        N[f"{measure}_chance998"] = f"{(1 - hi) * base.n_units:.1f}"
        N[f"{measure}_phi"] = f"{add.phi:.1f}"
        N[f"{measure}_tau2"] = f"{add.tau2:.3g}"
        N[f"{measure}_out95_add"] = f"{_outside(add, lo):,}"
        N[f"{measure}_below95_add"] = f"{_outside(add, lo, 'low'):,}"
        N[f"{measure}_out998_add"] = f"{_outside(add, hi):,}"
        N[f"{measure}_out95_model"] = f"{_outside(model, lo):,}"
        N[f"{measure}_out998_model"] = f"{_outside(model, hi):,}"
        N[f"{measure}_zero"] = f"{base.n_zero:,}"
        N[f"{measure}_zero_units"] = "unit" if base.n_zero == 1 else "units"
    bb = fun["referral"][MODEL["referral"]].model
    N["referral_rho"] = f"{bb.rho:.3f}"
    N["referral_model_units"] = f"{bb.n_units:,}"
    N["referral_model_censored"] = f"{bb.n_censored:,}"
    N["incidents_alpha"] = f"{fun['incidents'][MODEL['incidents']].model.alpha:.2f}"
    N["referral_censored"] = f"{left_out['referral_censored']:,}"
    N["referral_no_incidents"] = f"{left_out['referral_no_incidents']:,}"
    # settings the prose names, read from the results (or from where they live)
    levels = {tuple(r.levels) for by_adj in fun.values() for r in by_adj.values()}
    if len(levels) != 1:  # pragma: no cover - every funnel is drawn at LEVELS
        raise ss.SSStatsError(f"the funnels are drawn at different levels: {sorted(levels)}")
    (lo, hi), = levels
    N["level_lo"], N["level_hi"] = _level(lo), _level(hi)
    N["chance_pct"] = _level(1 - lo)
    N["incidents_per"] = f"{next(iter(fun['incidents'].values())).per:,g}"
    # on the log scale a unit with no events is given this many events (ssstats.funnel's zero correction)
    # (the module is reached through the function: importing ``ssstats.funnel`` would shadow ``ss.funnel``)
    log_scale = sys.modules[ss.funnel.__module__].SCALES["log"]
    N["zero_events"] = fraction_words(float(np.exp(log_scale.forward(np.array([0.0]), 1.0, 1.0))[0]))
    rule = inspect.signature(ss.suppress).parameters  # flagged_table uses suppress's defaults
    N["supp_threshold"] = f"{rule['threshold'].default:,}"
    N["supp_base"] = f"{rule['base'].default:,}"
    return N


def run(data_path: Path = SYNTHETIC_PATH, fig_dir: Path = FIG_DIR) -> ComparingUnitsSection:
    u = ss.load_units(data_path)
    if not bool(u["synthetic"].all()):
        raise ss.SSStatsError(f"{data_path} is not marked synthetic; this section shows synthetic units only")
    fun, left_out = funnels(u)
    sec = ComparingUnitsSection(units=u, funnels=fun, outlier_table=outlier_table(fun),
                                flagged_table=flagged_table(u, fun))
    sec.figures = figures(fun, fig_dir)
    sec.numbers = numbers(fun, left_out)
    sec.numbers["flagged_units"] = f"{len(sec.flagged_table):,}"
    sec.numbers["flagged_censored"] = f"{sec.flagged_table.attrs['censored_units']:,}"
    return sec


if __name__ == "__main__":  # pragma: no cover
    s = run()
    for measure, by_adj in s.funnels.items():
        for lab, res in by_adj.items():
            print(f"--- {measure}: {lab}")
            print(res.summary())
    print(s.outlier_table.to_string(index=False))
