"""Section "The published figures, recomputed": every headline statement checked against its own figures.

Run as a script to regenerate this section's tables and figures without rendering the report::

    python -m analysis.published
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

import ssstats as ss
from ssstats import plots
from ssstats.reproduce import check_claims
from ssstats.tables import Markdown
from . import figures_dir

FIG_DIR = figures_dir()

#: the confidence levels of the charge rate's intervals (the headline interval and the stricter one beside it)
LEVELS = (0.95, 0.998)
#: the significance level behind the words "distinguishable from" a national rate
ALPHA = 0.05
#: the level of the intervals drawn in the section's figures (the comparators and the CQC incident types)
FIGURE_LEVEL = LEVELS[0]
#: the level check_claims computes its intervals at (proportion_ci's default)
CLAIMS_LEVEL = inspect.signature(ss.proportion_ci).parameters["level"].default

#: national and hospital comparators for the charge rate: (figure id of the percentage, label, group,
#: figure ids of charges and reports where the source gives the counts)
COMPARATORS = [
    ("rape_charge_pct_2015_16", "Rape", "Rape (national)", None),
    ("rape_charge_pct_ye_mar2021", "Rape", "Rape (national)", None),
    ("rape_charge_pct_ye_jun2021", "Rape", "Rape (national)", None),
    ("rape_charge_pct_ye_mar2022", "Rape", "Rape (national)", None),
    ("rape_charge_pct_ye_sep2022", "Rape", "Rape (national)", ("rape_charges_ye_sep2022", "rape_recorded_ye_sep2022")),
    ("rape_charge_pct_ye_mar2023", "Rape", "Rape (national)", None),
    ("sexoff_charge_pct_2015_16", "All sexual offences", "Sexual offences (national)", None),
    ("sexoff_charge_pct_ye_mar2022", "All sexual offences", "Sexual offences (national)", None),
    ("sexoff_charge_pct_ye_mar2023", "All sexual offences", "Sexual offences (national)", None),
    ("wrn_hospital_charge_pct", "Hospitals", "Hospitals", ("wrn_hospital_charges", "wrn_hospital_reports")),
]
"""Comparators: (figure id of the percentage, what, group, ids of charges and reports where published).  Row
labels add the period read from the figure."""

CQC_TYPES = [
    ("cqc18_exposure", "Nudity or exposure"),
    ("cqc18_assault", "Alleged sexual assault"),
    ("cqc18_verbal", "Verbal abuse using sexual words"),
    ("cqc18_harassment", "Sexual harassment"),
    ("cqc18_rape", "Alleged rape (about)"),
]


def v(fid: str) -> float:
    """A published figure's value."""
    return float(ss.figure(fid).value)


def citation(fid: str) -> Markdown:
    """The ``[@key]`` citation of a published figure's source."""
    return Markdown(ss.figure(fid).citation)


def words(fid: str, pattern: str) -> str:
    """The published words matching ``pattern`` in a figure's quote (so prose quotes, never retypes, them)."""
    m = re.search(pattern, ss.figure(fid).quote, flags=re.IGNORECASE)
    if m is None:
        raise ValueError(f"the quote of {fid!r} has no words matching {pattern!r}")
    return m.group(0)


def period_text(fid: str) -> str:
    f = ss.figure(fid)
    if f.period_start and f.period_end:
        start = f"{f.period_start:%Y}" if (f.period_start.month, f.period_start.day) == (1, 1) else \
            f"{f.period_start:%B %Y}"
        end = f"{f.period_end:%Y}" if (f.period_end.month, f.period_end.day) == (12, 31) else f"{f.period_end:%B %Y}"
        return f"{start} to {end}"
    note = f.note.split(".")[0]
    return note.removeprefix("Period: ") if note.startswith("Period: ") else "an unstated period"


def short_period(fid: str) -> str:
    """"year to Mar 2023" for a twelve-month period, else "Jan 2019 to Oct 2022"."""
    f = ss.figure(fid)
    if not (f.period_start and f.period_end):
        return "period not stated"
    if 364 <= (f.period_end - f.period_start).days <= 366:
        return f"year to {f.period_end:%b %Y}"
    return f"{f.period_start:%b %Y} to {f.period_end:%b %Y}"


def fmt_int(x: float) -> str:
    return f"{x:,.0f}"


def fmt_level(level: float) -> str:
    """A confidence level or probability as the prose writes it: ``0.95`` -> ``"95%"``, ``0.998`` -> ``"99.8%"``."""
    return f"{100 * float(level):.10g}%"


def the_level(levels) -> float:
    """The one level of a result's ``level`` column (or attribute); an error if they differ."""
    vals = np.unique(np.round(np.atleast_1d(np.asarray(levels, dtype=float)), 12))
    if vals.size != 1:
        raise ValueError(f"expected one confidence level; got {vals.tolist()}")
    return float(vals[0])


_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def number_words(k: float) -> str:
    """A small whole number in words (``2`` -> ``"two"``), as prose writes it; larger ones as digits."""
    if float(k).is_integer() and 0 <= k < len(_WORDS):
        return _WORDS[int(k)]
    return f"{k:,g}"


def fraction_words(x: float) -> str:
    """A simple fraction in words: ``0.5`` -> ``"half"``, ``0.25`` -> ``"a quarter"``, ``0.75`` -> ``"three
    quarters"``; anything else as a percentage."""
    from fractions import Fraction

    f = Fraction(float(x)).limit_denominator(4)
    if abs(float(f) - float(x)) > 1e-12 or not 0 < f < 1:
        return fmt_pct(x, 0)
    if f.denominator == 2:
        return "half"
    name = {3: "third", 4: "quarter"}[f.denominator]
    return f"a {name}" if f.numerator == 1 else f"{number_words(f.numerator)} {name}s"


def _below_verdict(estimate: float, upper: float, threshold: float) -> str:
    """Words for a published 'less than <threshold>' judged by the estimate and its 95% upper limit."""
    if upper < threshold:
        return "holds, and so does the whole 95% interval"
    if estimate < threshold:
        return "is right as a point estimate, but the 95% interval reaches above it"
    return "does not hold: the estimate itself is above it"


def _fmt_p2(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def fmt_pct(p: float, digits: int = 1) -> str:
    return f"{100 * p:.{digits}f}%"


def fmt_ci(lo: float, hi: float, digits: int = 1) -> str:
    return f"{100 * lo:.{digits}f}% to {100 * hi:.{digits}f}%"


@dataclass
class PublishedSection:
    claims: pd.DataFrame
    claims_table: pd.DataFrame
    charge: pd.DataFrame  # the mental-health units' charge rate at 95% and 99.8%
    comparators: pd.DataFrame
    tests: pd.DataFrame
    hospitals: pd.DataFrame
    cqc_types: pd.DataFrame
    figures: dict = field(default_factory=dict)
    numbers: dict = field(default_factory=dict)


def claims_for_report(claims: pd.DataFrame) -> pd.DataFrame:
    """The claims table as the report shows it."""

    def recomputed(r):
        def f(x):
            return f"{x:,.0f}" if abs(x) >= 1000 or float(x).is_integer() else f"{x:,.3g}"

        pct = "%" if r.published_text.endswith("%") and r.kind != "implied_total" else ""
        if np.isfinite(r.lower):
            return f"{f(r.recomputed)}{pct} ({f(r.lower)}{pct} to {f(r.upper)}{pct})"
        return f"{f(r.recomputed)}{pct}"

    holds = np.where(claims.holds, "yes", np.where(claims.known_discrepancy != "", "no (see note)", "no"))
    return pd.DataFrame({
        "Published statement": claims.statement,
        "Exact words and source": "“" + claims.quote + "” " + claims.citation,
        "Published": claims.published_text,
        "Computation": claims.computation,
        f"Recomputed ({fmt_level(CLAIMS_LEVEL)} CI)": [recomputed(r) for r in claims.itertuples()],
        "Holds": holds,
    })


def comparator_table() -> pd.DataFrame:
    """Charge rates: the mental-health units beside national and hospital figures."""
    rows = []
    x, n = v("indy_police_charges"), v("indy_police_reports")
    ci = ss.proportion_ci(x, n, method="wilson", level=FIGURE_LEVEL).iloc[0]
    rows.append(dict(label="Mental-health units (police returns)", group="Mental-health units", estimate=x / n,
                     lower=ci.lower, upper=ci.upper, charges=x, reports=n, figure_id="indy_police_charges"))
    for pct_id, what, group, counts in COMPARATORS:
        f = ss.figure(pct_id)
        row = dict(label=f"{what}, {short_period(pct_id)}", group=group, estimate=f.value / 100, lower=np.nan, upper=np.nan,
                   charges=np.nan, reports=np.nan, figure_id=pct_id)
        if counts:
            cx, cn = v(counts[0]), v(counts[1])
            ci = ss.proportion_ci(cx, cn, method="wilson", level=FIGURE_LEVEL).iloc[0]
            row.update(estimate=cx / cn, lower=ci.lower, upper=ci.upper, charges=cx, reports=cn)
        rows.append(row)
    return pd.DataFrame(rows)


def run(fig_dir: str | Path = FIG_DIR) -> PublishedSection:
    """Compute the section's tables and figures and write the figures (PNG and SVG) to ``fig_dir``."""
    claims = check_claims()
    x, n = v("indy_police_charges"), v("indy_police_reports")
    charge = ss.proportion_ci(x, n, method="wilson", level=LEVELS)
    exact = ss.proportion_ci(x, n, method="exact").iloc[0]
    comp = comparator_table()

    national = comp[comp.group == "Rape (national)"]
    # tested against every national figure: rape by year and all sexual offences
    nat_all = comp[comp.group.isin(["Rape (national)", "Sexual offences (national)"])]
    tests = ss.proportion_test(np.full(len(nat_all), x), np.full(len(nat_all), n), nat_all.estimate.to_numpy())
    tests.insert(0, "comparator", nat_all.label.to_numpy())
    is_rape = (nat_all.group == "Rape (national)").to_numpy()
    hospitals = ss.compare_proportions(x, n, v("wrn_hospital_charges"), v("wrn_hospital_reports"))

    types = pd.DataFrame([dict(figure_id=fid, label=lab, count=v(fid)) for fid, lab in CQC_TYPES])
    total = v("cqc18_incidents")
    tci = ss.proportion_ci(types["count"], np.full(len(types), total), method="wilson", level=FIGURE_LEVEL)
    fig_level = fmt_level(the_level(tci.level))
    types = pd.concat([types, tci[["estimate", "lower", "upper"]]], axis=1)

    figs = {
        "forest": plots.forest_plot(
            comp, group="group", reference=x / n, xlabel=f"Charge or summons rate ({fig_level} Wilson interval)",
            title="Charge rates: mental-health units beside national and hospital figures",
            highlight="Mental-health units (police returns)"),
        "cqc_types": plots.interval_bars(
            types, xlabel=f"Share of the {fmt_int(total)} sexual incidents ({fig_level} Wilson interval)",
            title="CQC 2018: sexual incidents on mental-health wards by type, April to June 2017",
            note="Categories overlap and do not cover every incident; 'about 29' rapes as published."),
    }
    for name, fig in figs.items():
        plots.save_figure(fig, f"published_{name}", fig_dir)

    nat_latest = national.iloc[-1]
    numbers = dict(
        charges=fmt_int(x), reports=fmt_int(n), units=fmt_int(v("atkins_units")),
        charge_pct=fmt_pct(x / n), charge_ci=fmt_ci(charge.lower[0], charge.upper[0]),
        charge_ci998=fmt_ci(charge.lower[1], charge.upper[1]),
        charge_exact_ci=fmt_ci(exact.lower, exact.upper),
        incidents=fmt_int(v("indy_sky_total_incidents")), referred=fmt_int(v("indy_sky_police_referrals")),
        referred_pct=fmt_pct(v("indy_sky_police_referrals") / v("indy_sky_total_incidents")),
        nat_latest_label=nat_latest.label, nat_latest_period=period_text(nat_latest.figure_id),
        nat_latest_pct=fmt_pct(nat_latest.estimate),
        nat_latest_p=f"{tests.p_value[is_rape].iloc[-1]:.2f}",
        sexoff_latest_label=short_period(comp[comp.group == "Sexual offences (national)"].iloc[-1].figure_id),
        sexoff_latest_pct=fmt_pct(comp[comp.group == "Sexual offences (national)"].iloc[-1].estimate),
        sexoff_latest_p=_fmt_p2(tests.p_value[~is_rape].iloc[-1]),
        nat_min_pct=fmt_pct(national.estimate.min()), nat_max_pct=fmt_pct(national.estimate.max()),
        hosp_pct=fmt_pct(hospitals.p2[0]), hosp_ratio=f"{hospitals.estimate[1]:.2f}",
        hosp_ratio_ci=f"{hospitals.lower[1]:.2f} to {hospitals.upper[1]:.2f}",
        hosp_p=f"{hospitals.p_value[0]:.4f}", hosp_fisher_p=f"{hospitals.fisher_p_value[0]:.4f}",
        n_claims=str(len(claims)), n_hold=str(int(claims.holds.sum())),
        cqc_reports=fmt_int(v("cqc18_reports_sexual")), cqc_incidents=fmt_int(total),
        cqc_ah=fmt_int(v("cqc18_assault_harassment")),
        cqc_ah_pct=fmt_pct(v("cqc18_assault_harassment") / total, 0),
    )
    numbers.update(
        charge_published=words("indy_police_charge_pct", r"less than \S+ per cent"),
        charge_ci_lo_round=fmt_pct(charge.lower[0]), charge_ci_hi_round=fmt_pct(charge.upper[0]),
        charge_verdict=_below_verdict(charge.estimate[0], charge.upper[0], v("indy_police_charge_pct") / 100),
        nat_latest_verdict=("not distinguishable from" if tests.p_value[is_rape].iloc[-1] >= ALPHA
                            else f"distinguishable (p < {ALPHA:g}) from"),
        trusts_period=period_text("indy_sky_total_incidents"), trusts_text=ss.figure("indy_sky_trusts").text,
        police_period=period_text("indy_police_reports"),
        cqc_share_text=ss.figure("cqc18_share_pct").text, cqc_total_text=ss.figure("cqc18_reports_reviewed").text,
        cqc_third_text=words("cqc18_more_than_third", r"more than a third"),
    )
    # the levels as the results carry them (so the prose says what was computed)
    numbers.update(level=fmt_level(charge.level[0]), level_high=fmt_level(charge.level[1]),
                   exact_level=fmt_level(exact.level), hosp_level=fmt_level(the_level(hospitals.level)),
                   claims_level=fmt_level(CLAIMS_LEVEL), fig_level=fig_level)
    share = claims.set_index("claim_id").loc["cqc_share_of_reports"]
    numbers.update(cqc_implied_total=fmt_int(share.recomputed), cqc_implied_lo=fmt_int(share.lower),
                   cqc_implied_hi=fmt_int(share.upper))
    return PublishedSection(claims=claims, claims_table=claims_for_report(claims), charge=charge,
                            comparators=comp, tests=tests, hospitals=hospitals, cqc_types=types, figures=figs,
                            numbers=numbers)


if __name__ == "__main__":  # pragma: no cover
    sec = run()
    print(sec.claims_table.to_string())
    print(sec.comparators.to_string())
