"""Section "Attrition across units": the cascades the published data support, the SYNTHETIC units, and the two
units named in the press set against the national charge rate.

Run as a script to regenerate this section's tables and figures without rendering the report::

    python -m analysis.attrition
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

import ssstats as ss
from ssstats import plots
from ssstats.simulate import FOI_NOTATIONS, synthetic_units

from . import make_synthetic
from .published import citation as cite  # noqa: F401  (used by the section)
from .published import fmt_ci, fmt_int, fmt_level, fmt_pct, period_text, the_level, v
from . import figures_dir

ROOT = Path(__file__).resolve().parents[1]
FIG_DIR = figures_dir()
SYNTHETIC_PATH = ROOT / "data" / "synthetic_units.csv"

#: national charge/summons rates the press units are set against: (figure id of the percentage, offence); the
#: period of each is read from published_figures.csv (:func:`year_to`), not typed
NATIONAL_RATES = [
    ("rape_charge_pct_ye_mar2023", "rape"),
    ("sexoff_charge_pct_ye_mar2023", "all sexual offences"),
]


def year_to(fid: str) -> str:
    """A published figure's period in words: "year to March 2023" for twelve months, else :func:`period_text`."""
    f = ss.figure(fid)
    if f.period_start and f.period_end and 364 <= (f.period_end - f.period_start).days <= 366:
        return f"year to {f.period_end:%B %Y}"
    return period_text(fid)


def rate_label(fid: str, offence: str) -> str:
    """``"rape, year to March 2023"``: the offence and the period of a national rate."""
    return f"{offence}, {year_to(fid)}"

#: how many units the synthetic-unit table shows (those with the most police reports)
N_TABLE_UNITS = 10
#: an outcome less likely than this is called "surprising" (no charge at all from n offences; :func:`surprise`)
SURPRISING = 0.05
#: the one-sided confidence level of the upper limit of a press unit's own charge rate (Clopper-Pearson)
OWN_RATE_LEVEL = 0.95
#: the level of the synthetic units' posterior intervals, and of the band of true proportions, in the caterpillar
CATERPILLAR_LEVEL = 0.95


@dataclass
class AttritionSection:
    cascades: dict            # name -> ss.Cascade (published figures)
    cascade_table: pd.DataFrame
    synthetic: pd.DataFrame   # the synthetic units as load_units reads them
    synthetic_cascades: dict  # name -> ss.Cascade (synthetic units)
    charge_fit: object        # ss.fit_beta_binomial of charges out of police reports (synthetic units)
    referral_fit: object      # ... of referrals out of incidents (synthetic units)
    regression: object        # ss.fit_beta_binomial_regression of referrals on ward type and sector (synthetic)
    regression_table: pd.DataFrame
    unit_table: pd.DataFrame  # synthetic units with the most police reports, through ss.suppress
    press: pd.DataFrame       # the two units named in the press against the national charge rates
    figures: dict = field(default_factory=dict)
    numbers: dict = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------------------------
# published cascades

def published_cascades() -> dict:
    """The cascades the published figures support, each with the nesting its source allows."""
    police_period = period_text("indy_police_reports").split(" (")[0]  # without "(exact dates not given)"
    return {
        f"Trust returns, {period_text('indy_sky_total_incidents')}": ss.Cascade(
            {"incidents": v("indy_sky_total_incidents"), "referred_to_police": v("indy_sky_police_referrals")},
            label="Trust FOI returns: incidents referred to the police"),
        f"Police returns, {police_period}, {fmt_int(v('atkins_units'))} units": ss.Cascade(
            {"police_reports": v("indy_police_reports"), "charges": v("indy_police_charges")},
            label="Police FOI returns: reports resulting in a charge"),
        # "Of those reports made on mixed-sex wards, 491 were ... referred to safeguarding, and 104 were reported
        # to the police": both out of the mixed-sex reports, and the source does not say the 104 are among the 491
        f"HSJ {hsj_year()}, mixed-sex wards, {period_text('hsj20_mixed')}": ss.Cascade(
            {"mixed-sex_ward_reports": v("hsj20_mixed"), "referred_to_safeguarding": v("hsj20_safeguarding"),
             "reported_to_police": v("hsj20_police")},
            nested=False, label=f"HSJ {hsj_year()}: reports on mixed-sex wards, safeguarding and police"),
    }


def hsj_year() -> str:
    """The year the Health Service Journal published its mixed-sex ward figures (from published_figures.csv)."""
    return ss.figure("hsj20_mixed").date[:4]


def cascade_table(cascades: dict) -> pd.DataFrame:
    """One row per proportion of every cascade, as the report shows it."""
    rows = []
    header = f"{_level_of(cascades)} interval (Wilson)"
    for name, c in cascades.items():
        f = c.to_frame()
        for r in f.iloc[1:].itertuples(index=False):
            rows.append({
                "Cascade": name,
                "Stage": r.stage.replace("_", " "),
                "Count": fmt_int(r.count),
                "Out of": f"{fmt_int(f.loc[f.stage == r.denominator_stage, 'count'].iloc[0])} "
                          f"{r.denominator_stage.replace('_', ' ')}",
                "Proportion": fmt_pct(r.estimate, 2),
                header: fmt_ci(r.lower, r.upper, 2),
                "Lost at this stage": fmt_int(r.lost) if c.nested else "not nested",
            })
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------------------------
# synthetic units

def synthetic_unit_table(units: pd.DataFrame, fit, n: int = N_TABLE_UNITS) -> pd.DataFrame:
    """The SYNTHETIC units with the most police reports, their charges and shrunken charge proportions, through
    :func:`ssstats.suppress` (NHS Digital rule; a percentage built on a suppressed count is suppressed too).

    A censored charges cell (``"*"``: 1 to 7; ``"<5"``: 0 to 4; ``"1-4"``) is resolved to its upper bound before
    suppression: every such bound is at most 7, so the cell shows ``"*"`` whatever its true value, as the rule
    requires; nothing is imputed into the shown table.
    """
    est = fit.unit_estimates(level=CATERPILLAR_LEVEL).set_index("unit")
    header = f"{fmt_level(the_level(est['level']))} interval"
    top = units.sort_values(["police_reports", "unit_id"], ascending=[False, True]).head(n)
    charges = np.where(top["charges_censored"], top["charges_upper"], top["charges"]).astype(np.int64)
    if (top["charges_censored"] & (top["charges_upper"] > 7)).any():  # pragma: no cover - FOI bounds are <= 7
        raise ss.SSStatsError("a censored charges cell has an upper bound above 7 and cannot be shown as '*'")
    e = est.loc[top["unit_id"]]
    table = pd.DataFrame({
        "Unit (synthetic)": top["unit_id"].to_numpy(),
        "Ward type": top["ward_type"].to_numpy(),
        "Sector": top["sector"].to_numpy(),
        "Police reports": top["police_reports"].to_numpy().astype(np.int64),
        "Charges": charges,
        "Shrunken charge %": [fmt_pct(x, 1) for x in e["estimate"]],
        header: [fmt_ci(lo, hi, 1) for lo, hi in zip(e["lower"], e["upper"])],
    })
    return ss.suppress(table, columns=["Police reports", "Charges"], secondary="columns",
                       derived={"Shrunken charge %": ["Police reports", "Charges"],
                                header: ["Police reports", "Charges"]})


# ---------------------------------------------------------------------------------------------------------------
# the two units named in the press

def press_units() -> pd.DataFrame:
    """Littlebrook and Kingfisher Court: offences reported to police, none charged, against national rates.

    ``p_zero`` is the binomial probability of no charge from n offences if each were charged with the national
    probability; ``upper`` the one-sided 95% upper limit of the unit's own charge rate (Clopper-Pearson; with 0
    events it is 1 - 0.05^(1/n), the upper end of the two-sided 90% interval).
    """
    units = [
        dict(unit="Littlebrook Hospital (Kent)", n=v("littlebrook_rapes") + v("littlebrook_other_offences"),
             charged=v("littlebrook_prosecutions"), years=v("littlebrook_period_years"), source="littlebrook_rapes"),
        dict(unit="Kingfisher Court (Hertfordshire)", n=v("kingfisher_allegations"),
             charged=v("kingfisher_prosecutions"), years=v("kingfisher_period_years"),
             source="kingfisher_allegations"),
    ]
    frame = pd.DataFrame(units)
    # a one-sided upper limit at OWN_RATE_LEVEL is the upper end of the two-sided interval at 2 OWN_RATE_LEVEL - 1
    own = ss.proportion_ci(frame["charged"], frame["n"], method="exact", level=2 * OWN_RATE_LEVEL - 1)
    frame["upper"] = own["upper"].to_numpy()
    for fid, label in NATIONAL_RATES:
        p = v(fid) / 100
        t = ss.proportion_test(frame["charged"], frame["n"], p, alternative="less")
        key = fid.split("_pct")[0]
        frame[f"p_zero_{key}"] = t["p_less"].to_numpy()
        frame[f"expected_{key}"] = t["expected"].to_numpy()
    # and at the charge rate of the mental-health units themselves (police returns: charges / police reports)
    units_rate = v("indy_police_charges") / v("indy_police_reports")
    t = ss.proportion_test(frame["charged"], frame["n"], units_rate, alternative="less")
    frame["p_zero_units"] = t["p_less"].to_numpy()
    frame["expected_units"] = t["expected"].to_numpy()
    return frame


def surprise(p: float) -> str:
    """Plain words for how surprising an outcome of probability ``p`` is."""
    if p >= 0.2:
        return "not surprising at all"
    if p >= SURPRISING:
        return "unremarkable"
    if p >= 0.01:
        return "somewhat surprising"
    return "very surprising"


def odds_words(p: float) -> str:
    """``0.41`` -> ``'about 2 times in 5'``-style words for a probability."""
    for den in (2, 3, 4, 5, 10, 20, 100):
        num = round(p * den)
        if num >= 1 and abs(num / den - p) < 0.03:
            return f"about {num} time{'s' if num > 1 else ''} in {den}"
    return f"with probability {p:.2f}"


# ---------------------------------------------------------------------------------------------------------------

def _level_of(cascades: dict) -> str:
    """The one confidence level of several cascades' intervals, as the prose writes it."""
    return fmt_level(the_level([c.level for c in cascades.values()]))


def run(fig_dir: str | Path = FIG_DIR, synthetic_path: str | Path = SYNTHETIC_PATH) -> AttritionSection:
    """Compute the section's tables, numbers and figures and write the figures (PNG and SVG) to ``fig_dir``."""
    cascades = published_cascades()
    table = cascade_table(cascades)

    units = ss.load_units(synthetic_path)
    if not units["synthetic"].astype(bool).all():
        raise ss.SSStatsError(f"{synthetic_path} is not marked synthetic in every row")
    syn_cascades = {
        "Synthetic trust side": ss.Cascade(units, stages=["incidents", "referred_to_police"],
                                           label="Synthetic units: incidents referred to the police"),
        "Synthetic police side": ss.Cascade(units, stages=["police_reports", "charges"],
                                            label="Synthetic units: police reports resulting in a charge"),
    }
    # a censored cell's range is cut at the unit's trials: "*" stands for 1 to 7, but a unit with 5 police reports
    # cannot have more than 5 charges (the stages are nested)
    charge_fit = ss.fit_beta_binomial(units["charges"], units["police_reports"],
                                      censored=(units["charges_lower"],
                                                np.minimum(units["charges_upper"], units["police_reports"])),
                                      labels=units["unit_id"])
    referral_fit = ss.fit_beta_binomial(units["referred_to_police"], units["incidents"],
                                        censored=(units["referred_to_police_lower"],
                                                  np.minimum(units["referred_to_police_upper"], units["incidents"])),
                                        labels=units["unit_id"])
    unit_table = synthetic_unit_table(units, charge_fit)
    press = press_units()
    regression = referral_regression(units)

    figs = {
        "cascades": plots.plot_cascades(
            cascades, title=f"Attrition in the published figures ({_level_of(cascades)} Wilson intervals)"),
        "synthetic_cascades": plots.plot_cascades(
            syn_cascades, title=f"Attrition across {len(units)} synthetic units (synthetic data)"),
        "caterpillar": charge_fit.plot(
            level=CATERPILLAR_LEVEL,
            title=f"Shrunken charge proportions, {charge_fit.n_units} synthetic units with police reports "
                  "(synthetic data)"),
        "press": plots.plot_no_event_probability(
            press.assign(unit=press["unit"].str.replace(r" \(.*\)", "", regex=True)),
            {f"national charge rate, {rate_label(fid, label)}": v(fid) / 100 for fid, label in NATIONAL_RATES},
            alpha=SURPRISING, title="How surprising is no charge at all? Units named in the press",
            xlabel="offences reported to the police", ylabel="probability of no charge at all"),
    }
    for name, fig in figs.items():
        plots.save_figure(fig, f"attrition_{name}", fig_dir)

    numbers = _numbers(cascades, units, syn_cascades, charge_fit, referral_fit, press)
    numbers.update(_regression_numbers(regression))
    return AttritionSection(cascades=cascades, cascade_table=table, synthetic=units,
                            synthetic_cascades=syn_cascades, charge_fit=charge_fit, referral_fit=referral_fit,
                            regression=regression, regression_table=regression_table(regression),
                            unit_table=unit_table, press=press, figures=figs, numbers=numbers)


#: covariates of the regression across units (columns of the unit-level schema)
COVARIATES = ["ward_type", "sector"]


def referral_regression(units: pd.DataFrame):
    """Beta-binomial regression of referrals to the police out of incidents on ward type and sector, across the
    synthetic units with incidents, suppressed referral counts entering as their ranges."""
    w = units[units["incidents"] > 0]
    return ss.fit_beta_binomial_regression(
        w["referred_to_police"], w["incidents"].astype(np.int64), covariates=w[COVARIATES],
        censored=(w["referred_to_police_lower"], np.minimum(w["referred_to_police_upper"], w["incidents"])),
        labels=w["unit_id"])


def regression_table(fit) -> pd.DataFrame:
    """The regression's terms as odds ratios with their intervals (the logit(rho) row as rho)."""
    c = fit.coef
    terms = c[c["term"] != "logit(rho)"]
    lev = fmt_pct(float(terms["level"].iloc[0]), 0)
    return pd.DataFrame({
        "Term (synthetic data)": terms["term"].replace({"const": "baseline odds (mixed-sex, NHS)"}).to_numpy(),
        "Odds ratio": np.exp(terms["estimate"]).round(3).to_numpy(),
        f"{lev} interval": [f"{np.exp(lo):.3f} to {np.exp(hi):.3f}" for lo, hi in zip(terms["lower"],
                                                                                     terms["upper"])],
        "p-value": terms["p_value"].round(4).to_numpy(),
    })


def _regression_numbers(fit) -> dict:
    gen = inspect.signature(synthetic_units).parameters
    row = fit.coef.set_index("term").loc["sector[independent]"]
    return dict(
        reg_units=fmt_int(fit.n_units), reg_censored=fmt_int(fit.n_censored),
        reg_or_indep=f"{np.exp(row.estimate):.2f}",
        reg_or_indep_ci=f"{np.exp(row.lower):.2f} to {np.exp(row.upper):.2f}",
        reg_level=fmt_pct(float(row.level), 0),
        reg_true_ratio=f"{gen['independent_referral_ratio'].default:g}",
        reg_rho=f"{fit.rho:.3f}",
        reg_verdict=(f"{'includes' if row.lower <= 0 <= row.upper else 'excludes'} 1 (no difference) and "
                     f"{'includes' if np.exp(row.lower) <= gen['independent_referral_ratio'].default <= np.exp(row.upper) else 'excludes'}"
                     " the generator's ratio"),
        reg_reading=("with units this varied, a difference of that size between sectors is hard to pin down "
                     "from one set of returns" if row.lower <= 0 <= row.upper
                     else "the difference between sectors stands out from the variation between units"),
    )


def _numbers(cascades, units, syn_cascades, charge_fit, referral_fit, press) -> dict:
    trust, police, hsj = (c.to_frame() for c in cascades.values())
    num = {}
    t = trust.iloc[1]
    num.update(incidents=fmt_int(trust["count"].iloc[0]), referred=fmt_int(t["count"]),
               referred_pct=fmt_pct(t.estimate), referred_ci=fmt_ci(t.lower, t.upper),
               referred_lost=fmt_int(t.lost), trusts=fmt_int(v("rcpsych_trusts")))
    p = police.iloc[1]
    num.update(reports=fmt_int(police["count"].iloc[0]), charges=fmt_int(p["count"]), charge_pct=fmt_pct(p.estimate),
               charge_ci=fmt_ci(p.lower, p.upper), charge_lost=fmt_int(p.lost), units=fmt_int(v("atkins_units")))
    h = hsj.set_index("stage")
    mixed, single = v("hsj20_mixed"), v("hsj20_single_sex")
    # the qualifiers as published ("at least 1,019"): a total with a qualified part carries the qualifier
    mixed_q = ss.figure("hsj20_mixed").qualifier
    num.update(hsj_mixed=fmt_int(mixed), hsj_single=fmt_int(single), hsj_total=fmt_int(mixed + single),
               hsj_mixed_text=ss.figure("hsj20_mixed").text,
               hsj_total_text=f"{mixed_q} {fmt_int(mixed + single)}".strip(),
               hsj_safeguarding=fmt_int(h.loc["referred_to_safeguarding", "count"]),
               hsj_police=fmt_int(h.loc["reported_to_police", "count"]),
               hsj_safeguarding_pct=fmt_pct(h.loc["referred_to_safeguarding", "estimate"]),
               hsj_safeguarding_ci=fmt_ci(h.loc["referred_to_safeguarding", "lower"],
                                          h.loc["referred_to_safeguarding", "upper"]),
               hsj_police_pct=fmt_pct(h.loc["reported_to_police", "estimate"]),
               hsj_police_ci=fmt_ci(h.loc["reported_to_police", "lower"], h.loc["reported_to_police", "upper"]),
               hsj_trusts=fmt_int(v("hsj20_trusts")), hsj_trusts_total=fmt_int(v("hsj20_trusts_total")))

    # synthetic units
    cens = units.attrs["censored"]
    sc = syn_cascades["Synthetic police side"].to_frame().iloc[1]
    ci = charge_fit.ci.set_index("parameter")
    rci = referral_fit.ci.set_index("parameter")
    stat, pval = charge_fit.lrt
    rstat, rpval = referral_fit.lrt
    num.update(
        syn_units=fmt_int(len(units)), syn_reports=fmt_int(units["police_reports"].sum()),
        syn_censored_charges=fmt_int(cens.get("charges", 0)),
        syn_censored_referrals=fmt_int(cens.get("referred_to_police", 0)),
        syn_charges_lo=fmt_int(sc.count_lower), syn_charges_hi=fmt_int(sc.count_upper),
        syn_fitted=fmt_int(charge_fit.n_units), syn_excluded=fmt_int(charge_fit.n_excluded),
        syn_mu=fmt_pct(charge_fit.mu, 2), syn_mu_ci=fmt_ci(ci.loc["mu", "lower"], ci.loc["mu", "upper"], 2),
        syn_rho=f"{charge_fit.rho:.3f}", syn_rho_ci=f"{ci.loc['rho', 'lower']:.3f} to {ci.loc['rho', 'upper']:.3f}",
        syn_lrt=f"{stat:.1f}", syn_lrt_p=_fmt_p(pval),
        syn_ref_mu=fmt_pct(referral_fit.mu, 1),
        syn_ref_rho=f"{referral_fit.rho:.3f}",
        syn_ref_rho_ci=f"{rci.loc['rho', 'lower']:.3f} to {rci.loc['rho', 'upper']:.3f}",
        syn_ref_lrt=f"{rstat:.0f}", syn_ref_lrt_p=_fmt_p(rpval),
    )
    gen = inspect.signature(synthetic_units).parameters
    num.update(syn_true_rho_charge=f"{gen['rho_charge'].default:g}",
               syn_true_rho_referral=f"{gen['rho_referral'].default:g}", syn_seed=str(make_synthetic.SEED))
    est = charge_fit.unit_estimates()
    num.update(syn_shrunk_min=fmt_pct(est["estimate"].min(), 1), syn_shrunk_max=fmt_pct(est["estimate"].max(), 1))

    # press units
    lb, kf = press.iloc[0], press.iloc[1]
    rape_key, sex_key = (fid.split("_pct")[0] for fid, _ in NATIONAL_RATES)
    num.update(
        nat_rape_pct=f"{v(NATIONAL_RATES[0][0]):g}%", nat_rape_label=rate_label(*NATIONAL_RATES[0]),
        nat_sexoff_pct=f"{v(NATIONAL_RATES[1][0]):g}%", nat_sexoff_label=rate_label(*NATIONAL_RATES[1]),
        nat_period=year_to(NATIONAL_RATES[0][0]) if year_to(NATIONAL_RATES[0][0]) == year_to(NATIONAL_RATES[1][0])
        else f"{year_to(NATIONAL_RATES[0][0])} and {year_to(NATIONAL_RATES[1][0])}",
        lb_rapes=fmt_int(v("littlebrook_rapes")), lb_other=fmt_int(v("littlebrook_other_offences")),
        lb_n=fmt_int(lb.n), lb_years=fmt_int(lb.years), lb_beds=fmt_int(v("littlebrook_beds")),
        lb_p0=f"{lb[f'p_zero_{rape_key}']:.2f}", lb_p0_words=odds_words(lb[f"p_zero_{rape_key}"]),
        lb_surprise=surprise(lb[f"p_zero_{rape_key}"]),
        lb_p0_sexoff=f"{lb[f'p_zero_{sex_key}']:.2f}", lb_expected=f"{lb[f'expected_{rape_key}']:.1f}",
        lb_upper=fmt_pct(lb.upper, 1),
        kf_n=fmt_int(kf.n), kf_years=fmt_int(kf.years),
        kf_p0=f"{kf[f'p_zero_{rape_key}']:.2f}", kf_p0_words=odds_words(kf[f"p_zero_{rape_key}"]),
        kf_surprise=surprise(kf[f"p_zero_{rape_key}"]),
        kf_p0_sexoff=f"{kf[f'p_zero_{sex_key}']:.2f}", kf_expected=f"{kf[f'expected_{rape_key}']:.1f}",
        kf_upper=fmt_pct(kf.upper, 1),
        both_p0=f"{lb[f'p_zero_{rape_key}'] * kf[f'p_zero_{rape_key}']:.2f}",
        units_rate_pct=fmt_pct(v("indy_police_charges") / v("indy_police_reports"), 1),
        units_charges=fmt_int(v("indy_police_charges")), units_reports=fmt_int(v("indy_police_reports")),
        lb_p0_units=f"{lb.p_zero_units:.2f}", kf_p0_units=f"{kf.p_zero_units:.2f}",
        # the smallest number of offences for which no charge at all has probability below 5% at the rape rate
        n_surprising=fmt_int(np.floor(np.log(SURPRISING) / np.log1p(-v(NATIONAL_RATES[0][0]) / 100)) + 1),
        surprising_pct=fmt_level(SURPRISING), own_level=fmt_level(OWN_RATE_LEVEL),
    )
    # settings the prose names, read from where they live
    num.update(
        level=_level_of(cascades), syn_cascade_level=_level_of(syn_cascades),
        caterpillar_level=fmt_level(CATERPILLAR_LEVEL),
        syn_level=fmt_level(the_level(charge_fit.ci["level"])),
        hsj_year=hsj_year(),
        # the FOI notations of a suppressed small count that the synthetic returns use (and load_units reads)
        foi_notations=_or([f'"{k}"' for k in FOI_NOTATIONS]),
    )
    rule = inspect.signature(ss.suppress).parameters  # synthetic_unit_table uses suppress's defaults
    num.update(supp_threshold=fmt_int(rule["threshold"].default), supp_base=fmt_int(rule["base"].default))
    return num


def _or(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def _fmt_p(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def press_table(press: pd.DataFrame) -> pd.DataFrame:
    """The press units as the report shows them, through :func:`ssstats.suppress` with rounding off (``base=1``).

    The counts are quoted, with their sources, from the press, which named the units: rounding 42 to 40 would
    misquote them while the text (and every probability in the table) gives them exactly.  The primary rule still
    applies: a count from 1 to 7 would be shown as ``"*"`` (none is: the counts are 42, 13 and 0).
    """
    rape_key, sex_key = (fid.split("_pct")[0] for fid, _ in NATIONAL_RATES)
    table = pd.DataFrame({
        "Unit": press["unit"],
        "Offences reported to police": press["n"].astype(np.int64),
        "Charged or prosecuted": press["charged"].astype(np.int64),
        "Years": press["years"].astype(np.int64),
        "Expected charges at the rape rate": press[f"expected_{rape_key}"].round(2),
        "P(no charge) at the rape rate": press[f"p_zero_{rape_key}"].round(2),
        "P(no charge) at the sexual-offence rate": press[f"p_zero_{sex_key}"].round(2),
        f"Own rate: {fmt_level(OWN_RATE_LEVEL)} upper limit": [fmt_pct(u, 1) for u in press["upper"]],
    })
    return ss.suppress(table, columns=["Offences reported to police", "Charged or prosecuted"], base=1,
                       secondary=False)


if __name__ == "__main__":  # pragma: no cover
    sec = run()
    print(sec.cascade_table.to_string())
    print(sec.charge_fit.summary())
    print(sec.unit_table.to_string())
    print(press_table(sec.press).to_string())
    for k, val in sec.numbers.items():
        print(f"{k}: {val}")
