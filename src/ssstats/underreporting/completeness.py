"""Relative under-reporting across units: each unit's reporting completeness against a stated benchmark.

Without linked lists, under-reporting can only be judged relative to a benchmark: if the true incident rate is
the same everywhere, a unit recording ``x_i`` incidents in ``e_i`` bed days at benchmark rate ``R`` has reporting
completeness ``c_i = x_i / (e_i R)``.  The benchmark is an assumption, named in the output:

- ``"top_quartile"`` / ``"top_decile"``: the pooled rate of the units whose rate is at or above the 75th / 90th
  percentile of unit rates (the best reporters record everything);
- ``"negative_binomial"``: the mean rate of a negative-binomial (NB2) model across units
  (:func:`ssstats.fit_negative_binomial`), i.e. the typical unit records everything.

The interval for ``c_i`` is the exact (Garwood) Poisson interval of ``x_i`` divided by ``e_i R``; it treats ``R``
as known, so it understates the uncertainty of benchmarks estimated from few units.  Completeness above 1 is
reported as it is (the unit reports more than the benchmark).  Units whose upper limit is below ``flag_below``
report significantly less than the benchmark and are flagged, least complete first.

References
----------
.. [1] Care Quality Commission (2018). *Sexual safety on mental health wards*.
.. [2] Spiegelhalter, D. J. (2005). Funnel plots for comparing institutional performance. *Statistics in
   Medicine* 24, 1185-1202.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._result import Result
from .._validate import SSStatsError, as_counts, as_positive, broadcast, check_levels, check_method, unit_labels
from ..rates import RATE_METHODS

__all__ = ["relative_completeness", "CompletenessResult", "BENCHMARKS"]


def _top(q: float, label: str) -> Callable:
    def f(x, e):
        r = x / e
        cut = np.quantile(r, q)
        top = r >= cut
        rate = x[top].sum() / e[top].sum()
        return rate, (f"the {label} of units by reporting rate ({int(top.sum())} units at or above the "
                      f"{q:.0%} percentile) record every incident, and every unit's true rate equals their pooled "
                      f"rate")
    return f


def _negative_binomial(x, e):
    from ..units import fit_negative_binomial

    fit = fit_negative_binomial(x, e)
    return float(fit.rate), (f"every unit's true rate equals the negative-binomial mean rate across units "
                             f"(alpha = {fit.alpha:.3g}): units below it under-report")


BENCHMARKS: dict[str, Callable] = {
    "top_quartile": _top(0.75, "top quartile"),
    "top_decile": _top(0.90, "top decile"),
    "negative_binomial": _negative_binomial,
}
"""Benchmark rates by name: (counts, exposures) -> (rate, assumption)."""


@dataclass(repr=False)
class CompletenessResult(Result):
    """Reporting completeness of each unit relative to a benchmark.

    Attributes
    ----------
    table : pandas.DataFrame
        ``unit, events, exposure, rate, expected, estimate, lower, upper, flagged, rank, benchmark, method, level``
        (``estimate`` = completeness; ``expected`` = events if the unit reported at the benchmark rate).
    benchmark : str
    benchmark_rate : float
    assumption : str
        The assumption the benchmark makes, in words.
    """

    table: pd.DataFrame
    benchmark: str
    benchmark_rate: float
    assumption: str
    flag_below: float

    _plot_function = "plot_completeness"

    @property
    def flagged(self) -> pd.DataFrame:
        """Units reporting significantly less than the benchmark, least complete first."""
        return self.table[self.table["flagged"]].sort_values("estimate")

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def summary(self) -> str:
        lines = [f"Reporting completeness relative to the {self.benchmark} benchmark "
                 f"(rate {self.benchmark_rate:.4g} per unit of exposure)",
                 f"  assumption: {self.assumption}",
                 f"  {len(self.flagged)} of {len(self.table)} units flagged (upper limit below "
                 f"{self.flag_below:g}):"]
        for r in self.flagged.head(20).itertuples():
            lines.append(f"    {r.unit}: completeness {r.estimate:.2f} ({r.lower:.2f} to {r.upper:.2f})")
        return "\n".join(lines)


def relative_completeness(counts, exposure, benchmark: str = "top_quartile", level: float = 0.95,
                          flag_below: float = 1.0, labels=None) -> CompletenessResult:
    """Each unit's reporting completeness relative to a benchmark rate, with intervals and flags.

    Parameters
    ----------
    counts : array_like
        Recorded incidents per unit.
    exposure : array_like
        Exposure per unit (e.g. occupied bed days), > 0.
    benchmark : {"top_quartile", "top_decile", "negative_binomial"}
        The rate taken as complete reporting (see the module docstring).
    level : float
        Confidence level.
    flag_below : float
        Flag units whose upper limit of completeness is below this (default 1: significantly below the
        benchmark).
    labels : array_like, optional
        Unit labels (default: the index of ``counts`` if a Series, else 0, 1, ...).

    Returns
    -------
    CompletenessResult

    Raises
    ------
    SSStatsError
        Bad counts or exposures (naming the unit), unequal lengths, fewer than 4 units, no incidents at all, or an
        unknown benchmark.

    Examples
    --------
    >>> r = relative_completeness([10, 20, 40, 5], [1000, 1000, 1000, 1000])
    >>> r.benchmark_rate
    0.04
    """
    fn = check_method(benchmark, BENCHMARKS, "benchmark")
    found = unit_labels(counts=counts, exposure=exposure)
    labels = np.asarray(labels) if labels is not None else found
    x = as_counts(counts, "counts", labels)
    e = as_positive(exposure, "exposure", labels)
    x, e = broadcast({"counts": x, "exposure": e})
    if labels is None:
        labels = np.arange(x.size)
    if len(labels) != x.size:
        raise SSStatsError(f"`labels` has {len(labels)} entries but there are {x.size} units")
    if x.size < 4:
        raise SSStatsError(f"at least 4 units are needed to set a benchmark; got {x.size}")
    if x.sum() == 0:
        raise SSStatsError("`counts` are all 0: no unit records anything, so no benchmark rate can be set")
    (level,) = check_levels(level)
    if (isinstance(flag_below, (bool, np.bool_)) or not isinstance(flag_below, (int, float, np.integer, np.floating))
            or not flag_below > 0):
        raise SSStatsError(f"`flag_below` must be a number greater than 0; got {flag_below!r}")
    R, assumption = fn(x, e)
    lo, hi = RATE_METHODS["exact"](x, np.ones_like(x), 1 - level)  # limits for the Poisson mean (exposure 1)
    expected = e * R
    est = x / expected
    lower, upper = lo / expected, hi / expected
    table = pd.DataFrame({
        "unit": labels, "events": x, "exposure": e, "rate": x / e, "expected": expected,
        "estimate": est, "lower": lower, "upper": upper, "flagged": upper < flag_below,
    })
    table["rank"] = table["estimate"].rank(method="min").astype(int)
    table["benchmark"] = benchmark
    table["method"] = "exact"
    table["level"] = level
    return CompletenessResult(table, benchmark, float(R), assumption, float(flag_below))
