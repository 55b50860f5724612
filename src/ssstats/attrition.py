"""The attrition cascade: from incident to referral, police report, charge and conviction, :class:`Cascade`.

A cascade is a sequence of stage counts.  When the stages follow **one cohort** through (``nested=True``: every
charge is one of the police reports, every police report one of the incidents), each stage has a conditional
proportion (of the stage before), an overall proportion (of the first stage), and a number lost.  When the stages
come from **different sources or periods** (``nested=False``; e.g. trusts' referrals over five years and police
records over two), multiplying their proportions would pretend one cohort was followed through: each stage is then
reported on its own denominator and no overall proportion is formed.

Intervals come from :func:`ssstats.proportion_ci`, with any of its methods.

References
----------
.. [1] Brown, L. D., Cai, T. T. and DasGupta, A. (2001). Interval estimation for a binomial proportion.
   *Statistical Science* 16(2), 101-133.
.. [2] Berger, R. L. and Boos, D. D. (1994). P values maximized over a confidence set for the nuisance parameter.
   *JASA* 89, 1012-1016 (taking the union of intervals over the values a nuisance quantity can take, here a
   suppressed count, gives an interval that covers at the nominal level or more).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ._result import Result, format_ci
from ._validate import SSStatsError, as_counts, check_flag, check_levels, check_method
from .rates import PROPORTION_METHODS

__all__ = ["Cascade", "UNIT_STAGES"]

#: stage columns of a unit-level frame (:func:`ssstats.data.load_units`), in cascade order
UNIT_STAGES = ("incidents", "referred_to_police", "police_reports", "charges", "convictions")


def _fmt_count(lo: float, hi: float) -> str:
    return f"{lo:,.0f}" if lo == hi else f"{lo:,.0f} to {hi:,.0f}"


def _ci_bounds(fn, x_lo, x_hi, n_lo, n_hi, alpha):
    """Interval for x/n when x is only known to lie in [x_lo, x_hi] and n in [n_lo, n_hi] (x <= n).

    The union of the intervals over every admissible (x, n): every method's lower limit increases with x and
    decreases with n, its upper limit likewise, so the union runs from the lower limit at (x_lo, n_hi) to the upper
    limit at (min(x_hi, n_lo), n_lo) [2]_.  With no censoring this is the ordinary interval.
    """
    lo, _ = fn(x_lo, n_hi, alpha)
    x_top = np.minimum(x_hi, n_lo)
    _, hi = fn(x_top, n_lo, alpha)
    lo = np.where(x_lo == 0, 0.0, lo)
    hi = np.where(x_top == n_lo, 1.0, hi)
    return np.asarray(lo, float), np.asarray(hi, float)


class Cascade(Result):
    """Attrition through a sequence of stages, with intervals for every proportion.

    Parameters
    ----------
    data : mapping, pandas.Series or pandas.DataFrame
        Either aggregate counts, stage -> count in cascade order (a ``dict`` or a ``Series`` indexed by stage), or
        a unit-level frame (one row per unit, one column per stage, e.g. from :func:`ssstats.data.load_units`),
        whose columns are summed.  In a unit-level frame a censored cell (an FOI return's ``"*"``, ``"<5"``,
        ``"1-4"``) is NaN in the stage column with its range in ``<stage>_lower`` and ``<stage>_upper``; the
        stage total is then carried as bounds, and every proportion and number lost with it.
    nested : bool
        ``True`` when the stages follow one cohort through, so each stage is a subset of the one before;
        ``False`` when they come from different sources or periods.
    stages : sequence of str, optional
        The stages to use, in order.  For a frame, default: the columns among ``incidents``,
        ``referred_to_police``, ``police_reports``, ``charges``, ``convictions`` that it has.  For a mapping,
        default: all its keys, in order.
    denominators : mapping of stage -> stage or None, optional
        Only with ``nested=False``: the stage whose count is each stage's denominator (``None``: the stage is
        reported as a count only).  Default: the first stage for every later stage.
    method : str
        Interval method of :func:`ssstats.proportion_ci`: ``'wilson'`` (default), ``'exact'``, ``'jeffreys'``,
        ``'agresti_coull'``, ``'wald'``, ``'mid_p'``.
    level : float
        Confidence level, strictly between 0 and 1.
    label : str, optional
        A name for the cascade, used in the summary and the plot title (e.g. ``"Police returns, 340 units"``).
        A frame with a ``synthetic`` column that is all true gets ``"(synthetic data)"`` appended.

    Attributes
    ----------
    stages : list of str
    counts : numpy.ndarray
        Stage totals (float; NaN where a total is censored).
    count_lower, count_upper : numpy.ndarray
        Bounds of the stage totals (equal to ``counts`` without censoring).
    censored_cells : numpy.ndarray
        Number of censored unit cells behind each stage total (0 for aggregate counts).
    nested : bool
    overall : tuple of float or None
        For nested stages, (estimate, lower, upper) of the last stage as a proportion of the first; ``None``
        otherwise.
    method, level, label

    Raises
    ------
    SSStatsError
        Fewer than two stages; a negative, missing (without bounds), non-integer or infinite count; a later stage
        larger than the one before it with ``nested=True`` (or than its denominator with ``nested=False``); a first
        stage of zero; an unknown method, level, stage or column.  Messages name the stage (and unit) and value.

    Notes
    -----
    Nested stages: stage *k* has the conditional proportion x_k / x_{k-1}, the overall proportion x_k / x_0 and
    x_{k-1} - x_k lost.  The overall proportion of the last stage is the product of the conditional ones; its
    interval is the binomial interval of x_K out of x_0 (one cohort), not a product of intervals.  A conditional
    proportion whose denominator is 0 is undefined (NaN) and the summary says so.

    Stages not nested: stage *k* has the proportion x_k / x_d on its own denominator d (``denominators``) and
    nothing else; the summary says why no overall proportion is given.

    Censored totals: with nested stages a censored cell's upper bound is first cut at the same unit's previous
    stage (its upper bound), since a later stage cannot exceed it.  A proportion whose numerator or denominator is only known within bounds has ``estimate``
    NaN, ``estimate_min`` and ``estimate_max`` the range of x/n over the admissible counts, and the interval is the
    union of the intervals over those counts [2]_, which covers at the nominal level or more.

    References
    ----------
    See the module references: Brown, Cai & DasGupta (2001) for the interval methods; Berger & Boos (1994) for
    intervals with a bounded nuisance quantity.

    Examples
    --------
    >>> c = Cascade({"police_reports": 1374, "charges": 26})
    >>> round(c.overall[0], 4)
    0.0189
    >>> Cascade({"reports": 1305, "safeguarding": 491, "police": 104}, nested=False).overall is None
    True
    """

    _plot_function = "plot_cascade"

    def __init__(self, data, nested: bool = True, stages: Sequence[str] | None = None,
                 denominators: Mapping[str, str | None] | None = None, method: str = "wilson",
                 level: float = 0.95, label: str | None = None):
        self._fn = check_method(method, PROPORTION_METHODS)
        levels = check_levels(level)
        if len(levels) != 1:
            raise SSStatsError(f"`level` must be a single confidence level for a cascade; got {list(levels)}")
        nested = check_flag(nested, "nested")
        self.method = method
        self.level = levels[0]
        self.nested = bool(nested)
        self.synthetic = False
        if isinstance(data, pd.DataFrame):
            self._from_frame(data, stages)
        elif isinstance(data, (Mapping, pd.Series)):
            self._from_counts(data, stages)
        else:
            raise SSStatsError("`data` must be a mapping or Series of stage -> count, or a unit-level DataFrame; "
                               f"got {type(data).__name__}")
        if len(self.stages) < 2:
            raise SSStatsError(f"a cascade needs at least two stages; got {len(self.stages)} "
                               f"({', '.join(map(repr, self.stages)) or 'none'})")
        self.label = label if label is not None else " -> ".join(self.stages)
        if self.synthetic and "synthetic" not in self.label.lower():
            self.label += " (synthetic data)"
        self._denominators = self._resolve_denominators(denominators)
        self._check_order()
        self._compute()

    # ----------------------------------------------------------------------------------------------------------
    # input

    def _from_counts(self, data, stages):
        series = pd.Series(data) if isinstance(data, Mapping) else data
        if stages is not None:
            stages = self._stage_list(stages)
            missing = [s for s in stages if s not in series.index]
            if missing:
                raise SSStatsError(f"`stages` names stage{'s' if len(missing) > 1 else ''} "
                                   f"{', '.join(map(repr, missing))} not in `data`; it has "
                                   f"{', '.join(map(repr, series.index))}")
            series = series[list(stages)]
        if series.index.has_duplicates:
            raise SSStatsError(f"`data` names a stage twice: {list(series.index)}")
        self.stages = [str(s) for s in series.index]
        counts = as_counts(series, "data", labels=self.stages)
        self.counts = counts
        self.count_lower = counts.copy()
        self.count_upper = counts.copy()
        self.censored_cells = np.zeros(counts.size, dtype=np.int64)
        self.n_units = None

    @staticmethod
    def _stage_list(stages) -> list[str]:
        if isinstance(stages, str):
            return [stages]
        stages = list(stages)
        if len(set(stages)) != len(stages):
            raise SSStatsError(f"`stages` names a stage twice: {stages}")
        return stages

    def _from_frame(self, frame: pd.DataFrame, stages):
        if stages is None:
            stages = [s for s in UNIT_STAGES if s in frame.columns]
            if len(stages) < 2:
                raise SSStatsError(
                    "a unit-level frame needs at least two stage columns among "
                    f"{', '.join(UNIT_STAGES)}, or name them with `stages=`; it has "
                    f"{', '.join(map(repr, frame.columns))}")
        stages = self._stage_list(stages)
        missing = [s for s in stages if s not in frame.columns]
        if missing:
            raise SSStatsError(f"the unit-level frame is missing stage column{'s' if len(missing) > 1 else ''} "
                               f"{', '.join(map(repr, missing))}; it has {', '.join(map(repr, frame.columns))}")
        units = frame["unit_id"].astype(str).to_numpy() if "unit_id" in frame.columns else None
        self.stages = stages
        lows, highs, cens = [], [], []
        for s in stages:
            x = frame[s].to_numpy(dtype=float, na_value=np.nan)
            lo_col, hi_col = f"{s}_lower", f"{s}_upper"
            missing_cell = np.isnan(x)
            if missing_cell.any() and lo_col in frame.columns and hi_col in frame.columns:
                lo = frame[lo_col].to_numpy(dtype=float, na_value=np.nan)
                hi = frame[hi_col].to_numpy(dtype=float, na_value=np.nan)
                lo = np.where(missing_cell, lo, x)
                hi = np.where(missing_cell, hi, x)
                lo = as_counts(lo, lo_col, labels=units)
                hi = as_counts(hi, hi_col, labels=units)
                bad = lo > hi
                if bad.any():
                    i = int(np.flatnonzero(bad)[0])
                    where = f"unit {units[i]!r} (row {i})" if units is not None else f"row {i}"
                    raise SSStatsError(f"`{lo_col}` must not exceed `{hi_col}`; got {lo[i]:g} > {hi[i]:g} for {where}")
            else:
                lo = hi = as_counts(x, s, labels=units)  # NaN without bounds is refused here, naming the unit
            lows.append(lo)
            highs.append(hi)
            cens.append(int(missing_cell.sum()))
        lows, highs = np.vstack(lows), np.vstack(highs)
        if self.nested:
            # a censored cell cannot exceed the stage before it in the same unit ("*" is 1 to 7, but a unit with
            # 5 police reports has at most 5 charges): cut each upper bound at the previous stage's upper bound
            highs = np.minimum.accumulate(highs, axis=0)
            # unit by unit: a later stage cannot exceed the one before, even at the bounds
            bad = lows[1:] > highs[:-1]
            if bad.any():
                k, i = (int(v[0]) for v in np.nonzero(bad))
                where = f"unit {units[i]!r} (row {i})" if units is not None else f"row {i}"
                raise SSStatsError(
                    f"nested stages: `{stages[k + 1]}` ({lows[k + 1, i]:g}) is larger than `{stages[k]}` "
                    f"({highs[k, i]:g}) for {where}; if these stages come from different sources or periods, "
                    "pass nested=False")
        self.count_lower = lows.sum(axis=1)
        self.count_upper = highs.sum(axis=1)
        self.counts = np.where(self.count_lower == self.count_upper, self.count_lower, np.nan)
        self.censored_cells = np.asarray(cens, dtype=np.int64)
        self.n_units = len(frame)
        if "synthetic" in frame.columns and len(frame) and bool(frame["synthetic"].astype(bool).all()):
            self.synthetic = True

    def _resolve_denominators(self, denominators) -> list[int | None]:
        """Index of each stage's denominator stage (None for the first stage, or a count-only stage)."""
        if self.nested:
            if denominators is not None:
                raise SSStatsError("`denominators` applies only with nested=False; nested stages are each "
                                   "divided by the stage before")
            return [None] + list(range(len(self.stages) - 1))
        out: list[int | None] = [None] + [0] * (len(self.stages) - 1)
        if denominators is None:
            return out
        if not isinstance(denominators, Mapping):
            raise SSStatsError(f"`denominators` must be a mapping of stage -> stage; got {type(denominators).__name__}")
        for stage, den in denominators.items():
            if stage not in self.stages:
                raise SSStatsError(f"`denominators` names an unknown stage {stage!r}; stages are "
                                   f"{', '.join(map(repr, self.stages))}")
            if den is not None and (den not in self.stages or den == stage):
                raise SSStatsError(f"`denominators`: the denominator of {stage!r} must be another stage or None; "
                                   f"got {den!r}")
            out[self.stages.index(stage)] = None if den is None else self.stages.index(den)
        return out

    def _check_order(self):
        if self.count_upper[0] == 0:
            raise SSStatsError(f"the first stage {self.stages[0]!r} is 0: there is nobody to follow through")
        for k, d in enumerate(self._denominators):
            if d is None:
                continue
            if self.count_lower[k] > self.count_upper[d]:
                rel = "the stage before it" if self.nested else "its denominator"
                hint = ("; if these stages come from different sources or periods, pass nested=False"
                        if self.nested else "")
                raise SSStatsError(
                    f"stage {self.stages[k]!r} ({_fmt_count(self.count_lower[k], self.count_upper[k])}) is larger "
                    f"than {rel} {self.stages[d]!r} ({_fmt_count(self.count_lower[d], self.count_upper[d])})"
                    f"{hint}")

    # ----------------------------------------------------------------------------------------------------------
    # numbers

    def _proportions(self, num: int, den: int):
        xl, xh = self.count_lower[num], self.count_upper[num]
        nl, nh = self.count_lower[den], self.count_upper[den]
        if nh == 0:
            return dict(estimate=np.nan, estimate_min=np.nan, estimate_max=np.nan, lower=np.nan, upper=np.nan)
        alpha = 1 - self.level
        nl_pos = max(nl, 1.0)  # n = 0 is admissible only with x = 0, which has no proportion
        lo, hi = _ci_bounds(self._fn, np.array([xl]), np.array([xh]), np.array([nl_pos]), np.array([nh]), alpha)
        exact = xl == xh and nl == nh
        return dict(estimate=xl / nl if exact else np.nan, estimate_min=xl / nh,
                    estimate_max=min(xh / nl_pos, 1.0), lower=float(lo[0]), upper=float(hi[0]))

    def _compute(self):
        rows = []
        for k, stage in enumerate(self.stages):
            d = self._denominators[k]
            row = dict(stage=stage, count=self.counts[k], count_lower=self.count_lower[k],
                       count_upper=self.count_upper[k], censored_cells=int(self.censored_cells[k]),
                       denominator_stage=self.stages[d] if d is not None else None)
            row.update(self._proportions(k, d) if d is not None else
                       dict(estimate=np.nan, estimate_min=np.nan, estimate_max=np.nan, lower=np.nan, upper=np.nan))
            if self.nested and d is not None:
                row["lost"] = self.counts[d] - self.counts[k]
                row["lost_lower"] = max(self.count_lower[d] - self.count_upper[k], 0.0)
                row["lost_upper"] = self.count_upper[d] - self.count_lower[k]
                ov = self._proportions(k, 0)
                row.update(overall=ov["estimate"], overall_min=ov["estimate_min"], overall_max=ov["estimate_max"],
                           overall_lower=ov["lower"], overall_upper=ov["upper"])
            elif self.nested:
                row.update(lost=np.nan, lost_lower=np.nan, lost_upper=np.nan, overall=1.0, overall_min=1.0,
                           overall_max=1.0, overall_lower=np.nan, overall_upper=np.nan)
            rows.append(row)
        frame = pd.DataFrame(rows)
        frame["method"] = self.method
        frame["level"] = self.level
        frame["nested"] = self.nested
        self._frame = frame
        last = frame.iloc[-1]
        self.overall = ((float(last["overall"]), float(last["overall_lower"]), float(last["overall_upper"]))
                        if self.nested else None)

    # ----------------------------------------------------------------------------------------------------------
    # output

    def to_frame(self) -> pd.DataFrame:
        """One row per stage.

        Columns: ``stage``, ``count`` (NaN when censored), ``count_lower``, ``count_upper``, ``censored_cells``,
        ``denominator_stage``, ``estimate`` (the conditional proportion for nested stages, the proportion on its
        own denominator otherwise; NaN when censored), ``estimate_min``, ``estimate_max``, ``lower``, ``upper``;
        for nested stages also ``lost``, ``lost_lower``, ``lost_upper``, ``overall``, ``overall_min``,
        ``overall_max``, ``overall_lower``, ``overall_upper``; then ``method``, ``level``, ``nested``.
        """
        return self._frame.copy()

    def summary(self) -> str:
        """A plain-text account of the cascade, stage by stage."""
        pct = self.level * 100
        lines = [f"Cascade: {self.label}",
                 f"{'nested' if self.nested else 'not nested'}; {self.method} intervals at {pct:g}%"
                 + (f"; {self.n_units:,} units summed" if self.n_units is not None else "")]
        for row in self._frame.itertuples(index=False):
            count = _fmt_count(row.count_lower, row.count_upper)
            cens = (f" (bounds: {row.censored_cells} censored cell{'s' if row.censored_cells != 1 else ''})"
                    if row.censored_cells else "")
            line = f"  {row.stage}: {count}{cens}"
            if isinstance(row.denominator_stage, str):
                if np.isnan(row.lower):
                    line += f"; proportion of {row.denominator_stage} undefined (no cases reached it)"
                else:
                    est = (f"{100 * row.estimate:.3g}%" if not np.isnan(row.estimate) else
                           f"between {100 * row.estimate_min:.3g}% and {100 * row.estimate_max:.3g}%")
                    line += (f"; {est} of {row.denominator_stage} ({pct:g}% CI {100 * row.lower:.3g}% to "
                             f"{100 * row.upper:.3g}%)")
                if self.nested:
                    line += f"; lost {_fmt_count(row.lost_lower, row.lost_upper)}"
            lines.append(line)
        if self.nested:
            est, lo, hi = self.overall
            first, last = self.stages[0], self.stages[-1]
            if np.isnan(est):
                row = self._frame.iloc[-1]
                lines.append(f"Overall: {last} of {first} between {100 * row.overall_min:.3g}% and "
                             f"{100 * row.overall_max:.3g}% ({pct:g}% CI {100 * lo:.3g}% to {100 * hi:.3g}%)")
            else:
                lines.append(f"Overall: {last} of {first} {format_ci(est, lo, hi, pct=True)}")
        else:
            lines.append("No overall proportion: the stages come from different sources or periods, so they do "
                         "not follow one cohort through and multiplying their proportions would be meaningless; "
                         "each proportion is on its own denominator.")
        if self.censored_cells.any():
            lines.append(f"{int(self.censored_cells.sum())} censored cells are carried as bounds; proportions "
                         "over bounded counts are given as ranges, with the union of their intervals.")
        return "\n".join(lines)
