"""Probabilistic bias analysis for counts and for the report -> police -> charge cascade.

Each observed count ``O_s`` (a stage of the cascade, or a single count) is corrected for two biases:

- **under-reporting**: a true event at stage ``s`` is recorded with probability ``p_s`` (reporting completeness);
- **misclassification**: a recorded event is truly of the type counted with probability ``v_s`` (positive
  predictive value; 1 if not given),

so the corrected count is ``N_s = O_s v_s / p_s``.  The bias parameters are uncertain: each is drawn from a prior
(uniform, triangular, trapezoidal, beta, logit-normal or constant; the table :data:`DISTRIBUTIONS`), optionally
correlated through a Gaussian copula with a given correlation matrix.  Each Monte Carlo draw gives one set of
corrected counts.  Draws that are impossible are counted and discarded: a reporting probability of 0 or a
parameter outside [0, 1], or (``nested=True``) a later stage of the cascade exceeding an earlier one.  Results are
the median and the 2.5 and 97.5 percentiles (for ``level=0.95``) of the corrected counts for systematic error alone
and for systematic plus random error.  Random error is added to each draw as episensr adds conventional random error
to each bias-corrected estimate, here by the sampling model of the correction itself: the recorded events truly of
the type are a binomial draw ``T ~ Binomial(O, v)``, and the events never recorded a negative-binomial draw
``N - T ~ NegBin(T + 1/2, p)`` (the number of misses before ``T + 1/2`` hits; the 1/2 is Jeffreys' prior), so that
``N`` has mean ``(T + (1 - p)/2) / p`` and variance about ``N (1 - p) / p`` -- the binomial thinning of ``N`` true
events -- and stays uncertain even when nothing was recorded (``O = 0``).  Vectorised: a million draws take well
under a second (``benchmarks/bench_underreporting.py``).

References
----------
.. [1] Lash, T. L., Fox, M. P. and Fink, A. K. (2009). *Applying Quantitative Bias Analysis to Epidemiologic
   Data*. Springer.
.. [2] Fox, M. P., MacLehose, R. F. and Lash, T. L. (2021). *Applying Quantitative Bias Analysis to Epidemiologic
   Data*, 2nd ed. Springer (R package episensr, Haine 2023).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import special

from .._result import Result
from .._validate import SSStatsError, as_counts, as_seed, check_flag, check_levels

__all__ = ["bias_analysis", "BiasAnalysisResult", "DISTRIBUTIONS"]


# ---------------------------------------------------------------------------------------------------------------
# distributions: name -> (check(params) -> params, draw(rng, n, *params), ppf(u, *params))

def _check_uniform(lo, hi):
    if not lo < hi:
        raise ValueError(f"needs min < max; got ({lo}, {hi})")
    return lo, hi


def _check_triangular(lo, mode, hi):
    if not (lo <= mode <= hi and lo < hi):
        raise ValueError(f"needs min <= mode <= max and min < max; got ({lo}, {mode}, {hi})")
    return lo, mode, hi


def _check_trapezoidal(a, b, c, d):
    if not (a <= b <= c <= d and a < d):
        raise ValueError(f"needs min <= lower mode <= upper mode <= max and min < max; got ({a}, {b}, {c}, {d})")
    return a, b, c, d


def _check_beta(a, b):
    if not (a > 0 and b > 0):
        raise ValueError(f"needs both shapes > 0; got ({a}, {b})")
    return a, b


def _check_logitnormal(mu, sigma):
    if not (np.isfinite(mu) and np.isfinite(sigma) and sigma >= 0):
        raise ValueError(f"needs a finite mu and a finite sigma >= 0; got ({mu}, {sigma})")
    return mu, sigma


def _check_constant(value):
    if not 0 <= value <= 1:  # also refuses NaN
        raise ValueError(f"must be a probability between 0 and 1; got {value}")
    return (value,)


def _tri_ppf(u, lo, mode, hi):
    fc = (mode - lo) / (hi - lo)
    left = lo + np.sqrt(u * (hi - lo) * (mode - lo))
    right = hi - np.sqrt((1 - u) * (hi - lo) * (hi - mode))
    return np.where(u < fc, left, right)


def _trap_ppf(u, a, b, c, d):
    h = 2.0 / (d + c - a - b)
    fb = h * (b - a) / 2
    fc = fb + h * (c - b)
    x1 = a + np.sqrt(2 * u * (b - a) / h)
    x2 = b + (u - fb) / h
    x3 = d - np.sqrt(2 * (1 - u) * (d - c) / h)
    return np.where(u <= fb, x1, np.where(u <= fc, x2, x3))


_Z_GRID = np.linspace(-8.5, 8.5, 10001)


def _beta_ppf(u, a, b):
    """Beta quantiles.  SciPy's exact ``betaincinv`` costs about 2 microseconds a value, so for large inputs the
    quantile function is tabulated exactly on a fine grid of normal scores (10,001 points over |z| <= 8.5) and
    interpolated linearly in z; the error is below 1e-6 on the probability scale (tested)."""
    if u.size < 50_000:
        return special.betaincinv(a, b, u)
    xg = special.betaincinv(a, b, special.ndtr(_Z_GRID))
    h = _Z_GRID[1] - _Z_GRID[0]
    pos = (np.clip(special.ndtri(u), _Z_GRID[0], _Z_GRID[-1]) - _Z_GRID[0]) / h  # uniform grid: no search
    i = np.minimum(pos.astype(np.int64), _Z_GRID.size - 2)
    frac = pos - i
    return xg[i] + frac * (xg[i + 1] - xg[i])


DISTRIBUTIONS: dict[str, tuple[Callable, Callable, Callable]] = {
    "constant": (_check_constant, lambda rng, n, v: np.full(n, float(v)), lambda u, v: np.full(u.shape, float(v))),
    "uniform": (_check_uniform, lambda rng, n, lo, hi: rng.uniform(lo, hi, n), lambda u, lo, hi: lo + (hi - lo) * u),
    "triangular": (_check_triangular, lambda rng, n, lo, m, hi: (rng.triangular(lo, m, hi, n) if lo < hi else
                                                                  np.full(n, lo)), _tri_ppf),
    "trapezoidal": (_check_trapezoidal, lambda rng, n, *p: _trap_ppf(rng.random(n), *p), _trap_ppf),
    "beta": (_check_beta, lambda rng, n, a, b: rng.beta(a, b, n), _beta_ppf),
    "logit-normal": (_check_logitnormal, lambda rng, n, mu, s: special.expit(mu + s * rng.standard_normal(n)),
                     lambda u, mu, s: special.expit(mu + s * special.ndtri(u))),
}
"""Prior distributions for bias parameters: name -> (check, draw, quantile function).  Parameters:
``("constant", v)``, ``("uniform", min, max)``, ``("triangular", min, mode, max)``,
``("trapezoidal", min, lower_mode, upper_mode, max)``, ``("beta", a, b)``, ``("logit-normal", mu, sigma)`` (on the
logit scale)."""


def _parse_spec(spec, name: str) -> tuple[str, tuple[float, ...]]:
    if isinstance(spec, (int, float, np.integer, np.floating)) and not isinstance(spec, bool):
        try:
            return "constant", _check_constant(float(spec))
        except ValueError as err:
            raise SSStatsError(f"prior for {name!r}: a constant {err}") from None
    if not isinstance(spec, (tuple, list)) or not spec or not isinstance(spec[0], str):
        raise SSStatsError(f"prior for {name!r} must be a number or a tuple like ('beta', 16.5, 84.5); got {spec!r}")
    dist = spec[0]
    if dist not in DISTRIBUTIONS:
        valid = ", ".join(repr(k) for k in DISTRIBUTIONS)
        raise SSStatsError(f"prior for {name!r}: distribution must be one of {valid}; got {dist!r}")
    try:
        params = tuple(float(v) for v in spec[1:])
        params = DISTRIBUTIONS[dist][0](*params)
    except TypeError:
        raise SSStatsError(f"prior for {name!r}: wrong number of parameters for {dist!r}; got {spec[1:]!r}") from None
    except ValueError as err:
        raise SSStatsError(f"prior for {name!r}: {dist} {err}") from None
    return dist, params


# ---------------------------------------------------------------------------------------------------------------

@dataclass(repr=False)
class BiasAnalysisResult(Result):
    """Results of a probabilistic bias analysis.

    Attributes
    ----------
    table : pandas.DataFrame
        ``quantity, observed, analysis, median, lower, upper, level``: one row per stage and analysis
        (``"systematic"``, ``"systematic + random"``; see the module docstring for the random error).
    priors : pandas.DataFrame
        The bias parameters: ``parameter, distribution, parameters, median, lower, upper`` of the draws.
    n_draws, n_kept : int
    discarded : dict
        Reason -> number of draws discarded.
    draws : dict
        Stage -> kept corrected draws (systematic error), for plotting.
    """

    table: pd.DataFrame
    priors: pd.DataFrame
    n_draws: int
    n_kept: int
    discarded: dict
    draws: dict = field(default_factory=dict)
    draws_random: dict = field(default_factory=dict)

    _plot_function = "plot_bias"

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def summary(self) -> str:
        lines = [f"Probabilistic bias analysis: {self.n_draws:,} draws, {self.n_kept:,} kept"]
        for reason, k in self.discarded.items():
            lines.append(f"  discarded {k:,}: {reason}")
        for r in self.table.itertuples():
            lines.append(f"  {r.quantity} (observed {r.observed:,.0f}), {r.analysis}: median {r.median:,.0f} "
                         f"({r.lower:,.0f} to {r.upper:,.0f})")
        return "\n".join(lines)


def _as_stage_dict(value, stages, what):
    if isinstance(value, Mapping):
        unknown = [k for k in value if k not in stages]
        if unknown:
            raise SSStatsError(f"`{what}` names {unknown[0]!r}, which is not a stage of `observed` "
                               f"({', '.join(map(repr, stages))})")
        return dict(value)
    if len(stages) == 1:
        return {stages[0]: value}
    raise SSStatsError(f"`{what}` must be a dict keyed by the stages of `observed` "
                       f"({', '.join(map(repr, stages))}) when there are several stages")


def bias_analysis(observed, reporting, misclassification=None, correlation=None, nested: bool = True,
                  n_draws: int = 1_000_000, seed=0, level: float = 0.95) -> BiasAnalysisResult:
    """Probabilistic bias analysis of counts, or of the stages of a cascade, for under-reporting and
    misclassification.

    Parameters
    ----------
    observed : int or dict
        One observed count, or ``{stage: count}`` for a cascade in order (e.g. incidents, police reports,
        charges).
    reporting : prior or dict of priors
        Probability that a true event at each stage is recorded there, e.g. ``("beta", 16.5, 84.5)`` or
        ``{"police reports": ("beta", 16.5, 84.5)}``; stages not named are taken as completely recorded.  Priors are
        numbers (constants) or tuples naming a distribution in :data:`DISTRIBUTIONS`.
    misclassification : prior or dict of priors, optional
        Probability that a recorded event is truly of the type counted (positive predictive value).
    correlation : array_like or pandas.DataFrame, optional
        Correlation matrix of the (non-constant) bias parameters, in the order of :attr:`priors` (reporting then
        misclassification, each in stage order), or a DataFrame labelled with those names; used through a
        Gaussian copula.
    nested : bool
        Whether each stage is a subset of the one before (a later stage may not exceed an earlier one after
        correction; draws where it does are discarded).
    n_draws : int
        Monte Carlo draws.
    seed : int or numpy.random.Generator
        Seed (default 0).
    level : float
        Level of the percentile intervals (0.95: 2.5 and 97.5 percentiles).

    Returns
    -------
    BiasAnalysisResult

    Raises
    ------
    SSStatsError
        Bad counts, unknown stages or distributions, impossible prior parameters, a correlation matrix of the
        wrong size or not positive definite, or every draw impossible.

    Examples
    --------
    >>> r = bias_analysis(56, ("beta", 16.5, 84.5), n_draws=10_000, seed=1)
    >>> r.table.loc[0, "analysis"]
    'systematic'
    """
    if not isinstance(observed, Mapping):
        observed = {"count": observed}
    stages = list(observed)
    if not stages:
        raise SSStatsError("`observed` must hold at least one count; got an empty dict")
    nested = check_flag(nested, "nested")
    obs = as_counts(np.array([observed[s] for s in stages], dtype=object), "observed", labels=stages)
    rep = _as_stage_dict(reporting, stages, "reporting")
    mis = _as_stage_dict(misclassification, stages, "misclassification") if misclassification is not None else {}
    (level,) = check_levels(level)
    if not isinstance(n_draws, (int, np.integer)) or isinstance(n_draws, bool) or n_draws < 100:
        raise SSStatsError(f"`n_draws` must be an integer of at least 100; got {n_draws!r}")
    rng = as_seed(seed)

    params = []  # (name, kind, stage, dist, args)
    for s in stages:
        if s in rep:
            params.append((f"reporting: {s}", "reporting", s, *_parse_spec(rep[s], f"reporting: {s}")))
    for s in stages:
        if s in mis:
            params.append((f"misclassification: {s}", "ppv", s, *_parse_spec(mis[s], f"misclassification: {s}")))
    names = [p[0] for p in params]
    random_idx = [i for i, p in enumerate(params) if p[3] != "constant"]

    # one contiguous row per parameter and per stage: (parameters x draws), (stages x draws)
    draws = np.empty((len(params), n_draws))
    if correlation is None:
        for i, (_, _, _, dist, args) in enumerate(params):
            draws[i] = DISTRIBUTIONS[dist][1](rng, n_draws, *args)
    else:
        R = _correlation(correlation, [names[i] for i in random_idx])
        L = np.linalg.cholesky(R)
        u = special.ndtr(L @ rng.standard_normal((len(random_idx), n_draws)))
        for j, i in enumerate(random_idx):
            _, _, _, dist, args = params[i]
            draws[i] = DISTRIBUTIONS[dist][2](u[j], *args)
        for i, (_, _, _, dist, args) in enumerate(params):
            if dist == "constant":
                draws[i] = args[0]

    discarded = {}
    bad = np.zeros(n_draws, bool)
    for i, (_, kind, _, dist, _) in enumerate(params):
        lo_ok = draws[i] > 0 if kind == "reporting" else draws[i] >= 0
        bad |= ~(lo_ok & (draws[i] <= 1))
    if bad.any():
        discarded["a bias parameter outside (0, 1] (reporting) or [0, 1] (misclassification)"] = int(bad.sum())
    corrected = np.empty((len(stages), n_draws))
    with np.errstate(divide="ignore", invalid="ignore"):
        for j, s in enumerate(stages):
            factor = None
            for i, (_, kind, st, _, _) in enumerate(params):
                if st != s:
                    continue
                f = draws[i] if kind == "ppv" else 1.0 / draws[i]
                factor = f if factor is None else factor * f
            corrected[j] = obs[j] if factor is None else obs[j] * factor
    if nested and len(stages) > 1:
        inverted = np.zeros(n_draws, bool)
        for j in range(1, len(stages)):
            inverted |= corrected[j] > corrected[j - 1] * (1 + 1e-12)
        inverted &= ~bad
        if inverted.any():
            discarded["a later stage of the cascade exceeds an earlier one after correction"] = int(inverted.sum())
        bad |= inverted
    keep = ~bad
    n_kept = int(keep.sum())
    if n_kept == 0:
        raise SSStatsError("every draw was impossible (see the priors): nothing to summarise; "
                           + "; ".join(f"{k}: {v}" for k, v in discarded.items()))
    sys_draws = corrected[:, keep] if n_kept < n_draws else corrected
    rand_draws = _random_error(rng, obs, corrected, draws, params, stages, keep, n_kept < n_draws)

    a = (1 - level) / 2
    q = [0.5, a, 1 - a]
    qs = np.quantile(sys_draws, q, axis=1)
    qr = np.quantile(rand_draws, q, axis=1)
    rows = []
    for analysis, qq in (("systematic", qs), ("systematic + random", qr)):
        for j, s in enumerate(stages):
            rows.append({"quantity": s, "observed": obs[j], "analysis": analysis, "median": qq[0, j],
                         "lower": qq[1, j], "upper": qq[2, j], "level": level})
    table = pd.DataFrame(rows)
    if len(params):
        pq = np.quantile(draws[:, keep] if n_kept < n_draws else draws, q, axis=1)
        priors = pd.DataFrame({
            "parameter": names, "distribution": [p[3] for p in params],
            "parameters": [", ".join(f"{v:g}" for v in p[4]) for p in params],
            "median": pq[0], "lower": pq[1], "upper": pq[2],
        })
    else:
        priors = pd.DataFrame(columns=["parameter", "distribution", "parameters", "median", "lower", "upper"])
    sub = slice(0, min(n_kept, 200_000))
    return BiasAnalysisResult(
        table=table, priors=priors, n_draws=int(n_draws), n_kept=n_kept, discarded=discarded,
        draws={s: sys_draws[j, sub].copy() for j, s in enumerate(stages)},
        draws_random={s: rand_draws[j, sub].copy() for j, s in enumerate(stages)},
    )


def _random_error(rng, obs, corrected, draws, params, stages, keep, subset):
    """Systematic plus random error: T ~ Binomial(O, v), N = T + NegBin(T + 1/2, p), per kept draw and stage."""
    out = np.empty((len(stages), int(keep.sum())))
    for j, s in enumerate(stages):
        p = np.ones(out.shape[1])
        v = np.ones(out.shape[1])
        for i, (_, kind, st, _, _) in enumerate(params):
            if st == s:
                d = draws[i, keep] if subset else draws[i]
                if kind == "ppv":
                    v = v * d
                else:
                    p = p * d
        t = rng.binomial(int(obs[j]), np.clip(v, 0.0, 1.0)).astype(float)
        p = np.clip(p, 1e-300, 1.0)
        # NumPy draws NegBin(n, p) as a Poisson of a Gamma(n, (1 - p) / p) draw, and refuses when that gamma's
        # mean plus ten s.d., (1 - p) / p (n + 10 sqrt(n)), reaches 2**63 - 1 - 10 sqrt(2**63 - 1) (its Poisson
        # limit; the boundary checked against Generator.negative_binomial in the tests)
        n_nb = t + 0.5
        bound = (1 - p) / p * (n_nb + 10 * np.sqrt(n_nb))
        if not (bound < 2.0**63 - 1 - 10 * np.sqrt(2.0**63 - 1)).all():
            raise SSStatsError(
                f"the random-error simulation cannot draw the unrecorded events for {s!r}: with {int(obs[j]):,} "
                f"observed and reporting probabilities drawn as low as {p.min():.3g}, the implied counts exceed "
                f"what NumPy's negative binomial can draw (about 9.2e18); the prior puts weight on implausibly "
                f"small reporting probabilities: narrow it")
        out[j] = t + rng.negative_binomial(n_nb, p)
    return out


def _correlation(correlation, names):
    if isinstance(correlation, pd.DataFrame):
        missing = [n for n in names if n not in correlation.index or n not in correlation.columns]
        if missing:
            raise SSStatsError(f"`correlation` has no row/column {missing[0]!r}; it needs {names}")
        R = correlation.loc[names, names].to_numpy(dtype=float)
    else:
        R = np.asarray(correlation, dtype=float)
    k = len(names)
    if R.shape != (k, k):
        raise SSStatsError(f"`correlation` must be {k} x {k} (one row per non-constant bias parameter: "
                           f"{names}); got shape {R.shape}")
    if not np.allclose(R, R.T) or not np.allclose(np.diag(R), 1):
        raise SSStatsError("`correlation` must be symmetric with 1 on the diagonal")
    if np.linalg.eigvalsh(R).min() <= 0:
        raise SSStatsError("`correlation` must be positive definite")
    return R
