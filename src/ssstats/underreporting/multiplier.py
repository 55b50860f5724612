"""The multiplier method: a true count from an observed count and the probability of being recorded.

If each of the ``N`` events is recorded with probability ``p``, the observed count ``O`` estimates ``N p`` and
``N = O / p``.  ``p`` may be known (a number), known to lie in an interval, or uncertain with a distribution
(e.g. a beta from a survey: 16 of 100 victims told the police gives Beta(16.5, 84.5) with the Jeffreys prior).

Two intervals:

- **delta**: on the log scale, ``Var(log N) = 1/O + Var(p)/p^2`` (Poisson error in ``O``, and the uncertainty in
  ``p``), so ``N exp(+-z sd)``; with ``O = 0`` the interval is ``(0, Jeffreys upper limit / p)``.  With a
  distribution, ``p`` is its mean.
- **simulation**: draw ``p`` from its distribution and ``O*`` from Gamma(O + 1/2, 1) (the Jeffreys posterior of a
  Poisson mean, which stays sensible at ``O = 0``), and take percentiles of ``O* / p``.  Seeded.

An interval for ``p`` given as ``(lo, hi)`` is read as a logit-normal distribution whose central ``level`` range is
``(lo, hi)``; the result says so.

References
----------
.. [1] UNAIDS/WHO (2010). *Guidelines on estimating the size of populations most at risk to HIV* (the multiplier
   method).
.. [2] Office for National Statistics. Crime Survey for England and Wales: the proportion of victims of rape or
   assault by penetration who told the police.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special, stats

from .._result import Result, format_ci
from .._validate import SSStatsError, as_counts, as_probability, as_seed, broadcast, check_levels, labels_of

__all__ = ["multiplier_estimate", "MultiplierResult", "reporting_from_survey"]


def reporting_from_survey(told: float, asked: float):
    """The Jeffreys posterior Beta(told + 1/2, asked - told + 1/2) for a reporting probability from a survey.

    Parameters
    ----------
    told : int
        Survey respondents who said the event was reported (e.g. victims who told the police).
    asked : int
        Respondents asked.

    Returns
    -------
    scipy.stats frozen beta distribution
        To pass as ``reporting`` to :func:`multiplier_estimate`.

    Raises
    ------
    SSStatsError
        ``told`` or ``asked`` not a non-negative whole number, or ``told > asked``.

    Notes
    -----
    The Jeffreys prior Beta(1/2, 1/2) keeps the posterior proper and sensible when ``told`` is 0 or ``asked``.

    References
    ----------
    See the module docstring.

    Examples
    --------
    >>> import ssstats as ss
    >>> round(float(ss.reporting_from_survey(16, 100).mean()), 4)
    0.1634
    """
    x = as_counts(told, "told")
    n = as_counts(asked, "asked")
    if x[0] > n[0]:
        raise SSStatsError(f"`told` must be less than or equal to `asked`; got told={x[0]:g} > asked={n[0]:g}")
    return stats.beta(x[0] + 0.5, n[0] - x[0] + 0.5)


def _reporting_distribution(reporting, level):
    """-> (frozen distribution or None, point value, description)."""
    if hasattr(reporting, "rvs") and hasattr(reporting, "ppf"):
        lo, hi = reporting.support()
        if lo < 0 or hi > 1:
            raise SSStatsError(f"`reporting` must be a distribution on [0, 1]; its support is [{lo}, {hi}]")
        args = ", ".join(f"{float(a):.4g}" for a in reporting.args)
        return reporting, float(reporting.mean()), f"{reporting.dist.name}({args}), mean {float(reporting.mean()):.4g}"
    if isinstance(reporting, (tuple, list)) and len(reporting) == 2:
        lo, hi = (float(v) for v in as_probability(np.asarray(reporting, float), "reporting", open_interval=True))
        if not lo < hi:
            raise SSStatsError(f"`reporting` interval must have lower < upper; got ({lo}, {hi})")
        z = special.ndtri(0.5 + level / 2)
        mu = (special.logit(lo) + special.logit(hi)) / 2
        sd = (special.logit(hi) - special.logit(lo)) / (2 * z)
        dist = _LogitNormal(mu, sd)
        return dist, dist.mean(), (f"logit-normal with central {level:.0%} range ({lo:g}, {hi:g}), mean "
                                   f"{dist.mean():.4g}")
    p = as_probability(reporting, "reporting", open_interval=False)
    if p.size != 1:
        raise SSStatsError(f"`reporting` must be one probability, an interval (lo, hi) or a distribution; got "
                           f"{p.size} values")
    if p[0] == 0:
        raise SSStatsError("`reporting` must be greater than 0; got 0.0 (nothing would ever be recorded)")
    return None, float(p[0]), f"fixed at {p[0]:g}"


class _LogitNormal:
    """A logit-normal distribution with the few methods used here."""

    def __init__(self, mu, sd):
        self.mu, self.sd = mu, sd

    def rvs(self, size, random_state):
        return special.expit(self.mu + self.sd * random_state.standard_normal(size))

    def mean(self):  # by Gauss-Hermite quadrature
        x, w = np.polynomial.hermite_e.hermegauss(60)
        return float(np.sum(w * special.expit(self.mu + self.sd * x)) / np.sqrt(2 * np.pi))

    def var(self):
        x, w = np.polynomial.hermite_e.hermegauss(60)
        m2 = float(np.sum(w * special.expit(self.mu + self.sd * x) ** 2) / np.sqrt(2 * np.pi))
        return m2 - self.mean() ** 2


@dataclass(repr=False)
class MultiplierResult(Result):
    """Estimated true counts from observed counts and a reporting probability.

    Attributes
    ----------
    table : pandas.DataFrame
        ``observed, reporting, estimate, lower, upper, method, level`` (one row per count and method).
    assumption : str
        How the reporting probability was treated.
    draws : numpy.ndarray
        Simulated true counts (draws x counts).
    """

    table: pd.DataFrame
    assumption: str
    draws: np.ndarray

    _plot_function = "plot_multiplier"

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def summary(self) -> str:
        lines = [f"Multiplier estimate (reporting probability {self.assumption})"]
        for r in self.table.itertuples():
            lines.append(f"  observed {r.observed:,.0f} -> {format_ci(r.estimate, r.lower, r.upper, digits=4)} "
                         f"[{r.method}, {r.level:.0%}]")
        return "\n".join(lines)


def multiplier_estimate(observed, reporting, level: float = 0.95, n_draws: int = 100_000, seed=0
                        ) -> MultiplierResult:
    """Estimate true counts as observed / reporting probability, with delta-method and simulation intervals.

    Parameters
    ----------
    observed : int or array_like
        Observed (recorded) counts.
    reporting : float, (float, float) or scipy.stats frozen distribution
        The probability that an event is recorded: a number, an interval (read as a logit-normal with that central
        ``level`` range), or a distribution on [0, 1] such as :func:`reporting_from_survey` (16, 100).
    level : float
        Confidence level.
    n_draws : int
        Simulation draws.
    seed : int or numpy.random.Generator
        Seed for the simulation (default 0, so results reproduce).

    Returns
    -------
    MultiplierResult

    Raises
    ------
    SSStatsError
        Bad counts, a probability outside (0, 1], an interval with lower >= upper, a distribution off [0, 1].

    Examples
    --------
    >>> r = multiplier_estimate(56, 0.16)
    >>> round(r.table.loc[0, "estimate"])
    350
    """
    labels = labels_of(observed)
    (obs,) = broadcast({"observed": as_counts(observed, "observed", labels)})  # refuses empty input
    (level,) = check_levels(level)
    if not isinstance(n_draws, (int, np.integer)) or isinstance(n_draws, bool) or n_draws < 100:
        raise SSStatsError(f"`n_draws` must be an integer of at least 100; got {n_draws!r}")
    rng = as_seed(seed)
    dist, p, assumption = _reporting_distribution(reporting, level)
    var_p = float(dist.var()) if dist is not None else 0.0
    est = obs / p
    z = special.ndtri(0.5 + level / 2)
    pos = obs > 0
    sd_log = np.sqrt(1 / np.where(pos, obs, 1.0) + var_p / p**2)
    lo_d = np.where(pos, est * np.exp(-z * sd_log), 0.0)
    # with nothing observed the log scale fails: use the Jeffreys upper limit of the Poisson mean instead
    hi_d = np.where(pos, est * np.exp(z * sd_log), stats.gamma.isf((1 - level) / 2, 0.5) / p)
    pd_draws = dist.rvs(size=n_draws, random_state=rng) if dist is not None else np.full(n_draws, p)
    o_draws = rng.gamma(obs[None, :] + 0.5, 1.0, size=(n_draws, obs.size))
    draws = o_draws / pd_draws[:, None]
    a = (1 - level) / 2
    lo_s, hi_s = np.quantile(draws, [a, 1 - a], axis=0)
    lo_s = np.where(pos, lo_s, 0.0)  # nothing observed: the estimate is 0 and the interval starts there
    base = {} if labels is None else {"unit": np.concatenate([labels, labels])}
    table = pd.DataFrame({
        **base,
        "observed": np.concatenate([obs, obs]), "reporting": p,
        "estimate": np.concatenate([est, est]),
        "lower": np.concatenate([lo_d, lo_s]), "upper": np.concatenate([hi_d, hi_s]),
        "method": ["delta"] * obs.size + ["simulation"] * obs.size, "level": level,
    })
    return MultiplierResult(table, assumption, draws)
