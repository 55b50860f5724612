"""Check published statements against the figures they rest on.

Each published statement ("26 charges ... less than 2 per cent") is a row of ``data/published_claims.csv``: which
published figures it combines (``numerator``, ``denominator``, by figure id), what kind of arithmetic it is, and
which published figure states the result (``published``).  :func:`check_claims` recomputes each one from
``data/published_figures.csv`` and says whether the published words hold, reading the relation from the published
figure's qualifier ("less than", "more than", "nearly", ...) or, without a qualifier, requiring that the recomputed
value rounds to the published one at its published precision.

``ssstats reproduce`` prints the table and exits 1 if a published statement does not hold.  A discrepancy that the
claims file documents (``known_discrepancy``) is printed with its explanation; it still fails the run unless
``--allow-known`` is given, so that a statement which does not hold is never passed over silently.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

from . import data as _data
from ._validate import SSStatsError, check_columns, check_method
from .rates import proportion_ci

__all__ = ["check_claims", "load_claims", "consistent_range", "cli_reproduce"]

CLAIM_COLUMNS = ["claim_id", "statement", "quoted_figure", "kind", "numerator", "denominator", "published",
                 "period_days", "known_discrepancy"]

#: relative tolerance for "about", "around", "nearly", "almost"
APPROX_RTOL = 0.05


def load_claims(path: str | Path | None = None) -> pd.DataFrame:
    """Read ``published_claims.csv`` (default: the project's ``data/`` copy) and check its columns and kinds."""
    path = Path(path) if path is not None else _data.data_dir() / "published_claims.csv"
    claims = pd.read_csv(path, dtype=str, keep_default_na=False)
    check_columns(claims, CLAIM_COLUMNS, f"{path.name}")
    for i, kind in enumerate(claims["kind"]):
        check_method(kind, _KINDS, f"kind (row {i + 2} of {path.name})")
    return claims


# ------------------------------------------------------------------------------------------------------------------

def _decimals(value: float) -> int:
    """Number of decimals a published number was given with (1.6 -> 1, 41 -> 0)."""
    exp = Decimal(repr(float(value))).normalize().as_tuple().exponent
    return max(0, -int(exp))


def _sum_of(expr: str, figs: Callable[[str], float]) -> float:
    return float(sum(figs(term.strip()) for term in expr.split("+")))


@dataclass
class _Computed:
    value: float
    lower: float = np.nan
    upper: float = np.nan
    shown: str = ""


def _scale(published_unit: str) -> float:
    return {"percent": 100.0, "proportion": 1.0}.get(published_unit, 1.0)


def _k_proportion(row, figs, pub) -> _Computed:
    x, n = _sum_of(row.numerator, figs), _sum_of(row.denominator, figs)
    ci = proportion_ci(x, n, method="wilson").iloc[0]
    s = _scale(pub.unit)
    return _Computed(x / n * s, ci.lower * s, ci.upper * s, f"{x:,.0f} / {n:,.0f}")


def _k_count(row, figs, pub) -> _Computed:
    x = _sum_of(row.numerator, figs)
    return _Computed(x, shown=" + ".join(f"{figs(t.strip()):,.0f}" for t in row.numerator.split("+")))


def _k_change(row, figs, pub) -> _Computed:
    new, old = _sum_of(row.numerator, figs), _sum_of(row.denominator, figs)
    return _Computed((new - old) / old * _scale(pub.unit), shown=f"({new:,.0f} - {old:,.0f}) / {old:,.0f}")


def _k_per_week(row, figs, pub) -> _Computed:
    x = _sum_of(row.numerator, figs)
    weeks = float(row.period_days) / 7
    return _Computed(x / weeks, shown=f"{x:,.0f} / {weeks:.0f} weeks")


def _k_implied_total(row, figs, pub) -> _Computed:
    """x is p% of a total: the totals consistent with p at its published precision, and whether the stated
    total lies among them (checked separately by the relation of the denominator's own qualifier)."""
    x = _sum_of(row.numerator, figs)
    half = 0.5 * 10.0 ** (-_decimals(pub.value))
    p_lo, p_hi = (pub.value - half) / 100, (pub.value + half) / 100
    total = x / (pub.value / 100)
    return _Computed(total, x / p_hi, x / p_lo, f"{x:,.0f} / {pub.value}%")


_KINDS: dict[str, Callable] = {
    "proportion": _k_proportion,
    "count": _k_count,
    "change": _k_change,
    "per_week": _k_per_week,
    "implied_total": _k_implied_total,
}


def consistent_range(published: float, qualifier: str, decimals: int) -> tuple[float, float, bool, bool]:
    """The values a published number is consistent with: ``(low, high, low_closed, high_closed)``.

    "less than 2" is [-inf, 2); "nearly 20,000" is [19,000, 20,000]; "about 29" is [27.55, 30.45]; a bare "1.6"
    is every value that rounds to 1.6, [1.55, 1.65).
    """
    q = (qualifier or "").strip().lower()
    p, r = published, APPROX_RTOL
    half = float(Decimal(5).scaleb(-decimals - 1))  # 0.05 for one decimal
    lo_r, hi_r = float(Decimal(repr(p)) - Decimal(repr(half))), float(Decimal(repr(p)) + Decimal(repr(half)))
    table: dict[str, tuple[float, float, bool, bool]] = {
        "less than": (-np.inf, p, True, False),
        "fewer than": (-np.inf, p, True, False),
        "more than": (p, np.inf, False, True),
        "at least": (p, np.inf, True, True),
        "almost": (p * (1 - r), p, True, True),
        "nearly": (p * (1 - r), p, True, True),
        "about": (p * (1 - r), p * (1 + r), True, True),
        "around": (p * (1 - r), p * (1 + r), True, True),
        "": (lo_r, hi_r, True, False),
    }
    return check_method(q, table, "qualifier")


def _within(lo: float, hi: float, rng) -> bool:
    """Does the interval [lo, hi] meet the range ``rng``?"""
    a, b, a_closed, b_closed = rng
    return bool((hi > a or (a_closed and hi == a)) and (lo < b or (b_closed and lo == b)))


def check_claims(claims: pd.DataFrame | None = None, figures: pd.DataFrame | None = None) -> pd.DataFrame:
    """Recompute every published statement and say whether it holds.

    Parameters
    ----------
    claims : pandas.DataFrame, optional
        The claims table (default: :func:`load_claims`).
    figures : pandas.DataFrame, optional
        The published figures (default: :func:`ssstats.data.published_figures`).

    Returns
    -------
    pandas.DataFrame
        One row per claim: ``claim_id, kind, statement, published_text, recomputed, lower, upper, computation, holds,
        known_discrepancy, source, citation``; ``lower``/``upper`` are the 95% Wilson interval for proportions
        and, for an implied total, the range of totals consistent with the published rounded percentage.
    """
    claims = load_claims() if claims is None else claims
    figures = _data.published_figures() if figures is None else figures
    by_id = figures.set_index("figure_id")

    def fig(fid: str) -> float:
        if fid not in by_id.index:
            raise SSStatsError(f"published_claims refers to figure {fid!r}, which is not in published_figures.csv")
        return float(by_id.at[fid, "value"])

    rows = []
    for row in claims.itertuples(index=False):
        pub = _row_figure(by_id, row.published)
        comp = _KINDS[row.kind](row, fig, pub)
        if row.kind == "implied_total":
            # the totals consistent with the rounded percentage must meet the stated total's own range
            stated = _row_figure(by_id, row.denominator)
            holds = _within(comp.lower, comp.upper, consistent_range(stated.value, stated.qualifier, 0))
        else:
            rng = consistent_range(pub.value, pub.qualifier, _decimals(pub.value))
            holds = _within(comp.value, comp.value, rng)
        quoted = _row_figure(by_id, row.quoted_figure)
        rows.append(dict(
            claim_id=row.claim_id, kind=row.kind, statement=row.statement, published_text=_published_text(pub),
            recomputed=comp.value, lower=comp.lower, upper=comp.upper, computation=comp.shown,
            holds=holds, known_discrepancy=row.known_discrepancy or "",
            source=f"{quoted.publisher}, {quoted.title}", citation=f"[@{quoted.bibkey}]" if quoted.bibkey else "",
            quote=quoted.quote,
        ))
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class _Fig:
    value: float
    qualifier: str
    unit: str
    publisher: str
    title: str
    bibkey: str
    quote: str


def _row_figure(by_id: pd.DataFrame, fid: str) -> _Fig:
    if fid not in by_id.index:
        raise SSStatsError(f"published_claims refers to figure {fid!r}, which is not in published_figures.csv")
    r = by_id.loc[fid]

    def s(col):
        v = r.get(col, "")
        return "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)

    return _Fig(float(r["value"]), s("qualifier"), s("unit"), s("publisher"), s("title"), s("bibkey"), s("quote"))


def _published_text(pub) -> str:
    """The published number as words: "less than 2%", "nearly 20,000", "more than a third"."""
    v = pub.value
    fractions = {0.3333: "a third", 0.6667: "two-thirds", 0.5: "a half", 0.25: "a quarter"}
    if pub.unit == "proportion" and round(v, 4) in fractions:
        num = fractions[round(v, 4)]
    else:
        num = f"{v:,.0f}" if float(v).is_integer() else f"{v:g}"
        num += "%" if pub.unit == "percent" else ""
    return f"{pub.qualifier} {num}".strip()


def cli_reproduce(args) -> int:
    """``ssstats reproduce``: print the check table; exit 1 if a published statement does not hold (documented
    discrepancies too, unless ``--allow-known``)."""
    claims = load_claims(Path(args.data).with_name("published_claims.csv")) if getattr(args, "data", None) else None
    figures = _data.published_figures(args.data) if getattr(args, "data", None) else None
    table = check_claims(claims, figures)
    if getattr(args, "csv", False):
        table.to_csv(sys.stdout, index=False)
    else:
        show = table[["claim_id", "published_text", "recomputed", "lower", "upper", "holds"]].copy()
        show["holds"] = np.where(table.holds, "yes", np.where(table.known_discrepancy != "", "NO (known)", "NO"))
        with pd.option_context("display.width", 160, "display.max_columns", 20, "display.float_format",
                               "{:,.4g}".format):
            print(show.to_string(index=False))
    known = table[~table.holds & (table.known_discrepancy != "")]
    failing = table[~table.holds & (table.known_discrepancy == "")]
    for r in known.itertuples():
        print(f"\nknown discrepancy, {r.claim_id}: {r.known_discrepancy}", file=sys.stderr)
    allow = bool(getattr(args, "allow_known", False))
    not_holding = failing if allow else table[~table.holds]
    if len(not_holding):
        print(f"\n{len(not_holding)} published statement(s) do not hold: {', '.join(not_holding.claim_id)}"
              + ("" if allow or not len(known) else " (--allow-known accepts the documented discrepancies)"),
              file=sys.stderr)
        return 1
    print(f"\nAll {len(table) - len(known)} checked statements hold"
          + (f"; {len(known)} documented discrepancy allowed (--allow-known)." if len(known) else "."),
          file=sys.stderr)
    return 0
