"""The simulation study: do ssstats' intervals cover what they claim to, under the conditions of this report?

Everything here is SYNTHETIC: data are drawn from known models so that the truth is known; every output carries
``synthetic_simulation = True``.

Four questions, each a study in :data:`STUDIES` (name -> function of one task):

``proportion``
    Binomial proportions with n from 20 to 2,000 and p of 1-5% (charge rates: 26 of 1,374 is 1.9%): coverage and
    expected width of every method in :data:`ssstats.rates.PROPORTION_METHODS`, computed **exactly** by summing the
    binomial pmf over every x whose interval covers p (no simulation noise) [1]_.
``rate``
    Poisson counts with means from 0.5 to 30 events: the same, exactly, for :data:`ssstats.rates.RATE_METHODS`
    (the sum runs to the 1 - 1e-12 quantile of the largest mean; the neglected tail bounds the error).
``overdispersion``
    340 units with beta-binomial data (unit sizes shaped like the police-report and incident returns; between-unit
    correlation rho from 0 to 0.1): coverage of the plain binomial interval (Wilson, exact) for the overall mean
    against the beta-binomial interval from :func:`ssstats.fit_beta_binomial`, and the average coverage of its
    empirical-Bayes unit intervals against per-unit Wilson intervals.  Seeded Monte Carlo.
``mse``
    Multiple systems estimation with two to five lists: coverage of the intervals for the population size N from
    :func:`ssstats.fit_mse` (the log-normal and profile-likelihood intervals on every replicate; the BCa bootstrap
    of the stepwise model, with fewer resamples, on fewer replicates) under independence and under a positive
    dependence between lists 1 and 2 (which the independence model misses and stepwise selection should catch).
    Seeded Monte Carlo.

Monte Carlo coverage comes with its Monte Carlo standard error ``sqrt(var / R)``, where ``var`` is the variance of
the per-replicate coverage (for a 0/1 indicator this is ``sqrt(c (1 - c) / R)``) [2]_.  Fits that fail (the
function raises :class:`~ssstats.SSStatsError`, or its optimiser a numerical error) are counted in ``failed``,
never dropped silently.

Parallelism and seeds: :func:`run_study` splits the work into tasks, gives each task its own child of
``numpy.random.SeedSequence(seed)`` (``spawn``) in a fixed order, and runs them with joblib; results therefore do not
depend on ``n_jobs``.  Within a task, data for all replicates are drawn at once (vectorised); only the model fits
(one optimiser per synthetic data set) run once per replicate.

References
----------
.. [1] Brown, L. D., Cai, T. T. and DasGupta, A. (2001). Interval estimation for a binomial proportion.
   *Statistical Science* 16(2), 101-133.
.. [2] Morris, T. P., White, I. R. and Crowther, M. J. (2019). Using simulation studies to evaluate statistical
   methods. *Statistics in Medicine* 38, 2074-2102.
.. [3] Chan, L., Silverman, B. W. and Vincent, K. (2021). Multiple systems estimation for sparse capture data:
   inferential challenges when there are nonoverlapping lists. *JASA* 116, 1297-1306.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import special, stats

from .._validate import (
    SSStatsError,
    as_counts,
    as_positive,
    as_probability,
    as_one_number,
    as_seed,
    as_whole_number,
    check_columns,
    check_flag,
    check_level,
    check_method,
    check_names,
)
from ..rates import PROPORTION_METHODS, RATE_METHODS, proportion_ci, rate_ci

__all__ = [
    "STUDIES",
    "STUDY_DESIGNS",
    "RESULT_COLUMNS",
    "StudyTask",
    "exact_proportion_coverage",
    "exact_rate_coverage",
    "unit_sizes",
    "overdispersion_coverage",
    "capture_probabilities",
    "list_probabilities",
    "mse_coverage",
    "study_tasks",
    "run_study",
    "summarise_replicates",
]

#: columns of the study's output, in order (parameters that do not apply to a study are NaN)
RESULT_COLUMNS = [
    "study", "calculation", "method", "model", "level",
    "trials", "true_value", "units", "mean_trials", "rho", "lists", "log_odds_ratio",
    "coverage", "coverage_mcse", "mean_width", "mean_estimate", "replicates", "failed",
]

_DEFAULT_SEED = 20261123


def _method_list(methods, table: Mapping, name: str) -> list[str]:
    """Names from ``table`` (all of them by default); unknown, repeated or no names are refused."""
    return check_names(methods, table, name)


def _not_empty(arr: np.ndarray, name: str, what: str) -> np.ndarray:
    if arr.size == 0:
        raise SSStatsError(f"`{name}` is empty: give at least one {what}")
    return arr


def _frame(rows: Sequence[Mapping]) -> pd.DataFrame:
    """Rows -> DataFrame with every column of :data:`RESULT_COLUMNS` (absent ones NaN)."""
    df = pd.DataFrame(list(rows))
    return df.reindex(columns=RESULT_COLUMNS)


# ---------------------------------------------------------------------------------------------------------------
# exact coverage of the binomial and Poisson intervals

def exact_proportion_coverage(n, p, methods=None, level: float = 0.95) -> pd.DataFrame:
    """Exact coverage and expected width of binomial-proportion intervals.

    For each number of trials ``n`` and true proportion ``p``, the coverage is
    ``sum_x P(X = x) 1[lower(x) <= p <= upper(x)]`` with ``X ~ Binomial(n, p)``, summed over every ``x`` from 0
    to ``n``; the expected width is ``sum_x P(X = x) (upper(x) - lower(x))``.  No simulation, so no Monte Carlo
    error: ``coverage_mcse`` is 0.

    Parameters
    ----------
    n : int or array_like
        Numbers of trials (each > 0).
    p : float or array_like
        True proportions, strictly between 0 and 1.
    methods : str or sequence of str, optional
        Names from :data:`ssstats.rates.PROPORTION_METHODS`; all of them by default.
    level : float
        Nominal confidence level.

    Returns
    -------
    pandas.DataFrame
        One row per (n, p, method) with :data:`RESULT_COLUMNS` (``study = 'proportion'``,
        ``calculation = 'exact'``, ``trials`` = n, ``true_value`` = p).

    Raises
    ------
    SSStatsError
        ``n`` not a positive whole number, ``p`` outside (0, 1), ``n`` or ``p`` empty, an unknown, repeated or
        empty list of methods, or a bad level (one level per call).

    References
    ----------
    Brown, Cai and DasGupta (2001), section 2 (coverage as a pmf-weighted sum).

    Examples
    --------
    >>> cov = exact_proportion_coverage(100, 0.02, methods=["wald", "wilson"])
    >>> cov[["method", "coverage"]].round(3)
       method  coverage
    0    wald     0.866
    1  wilson     0.949
    """
    na = _not_empty(as_counts(n, "n"), "n", "number of trials")
    as_positive(na, "n")
    pa = _not_empty(as_probability(p, "p", open_interval=True), "p", "true proportion")
    lev = check_level(level)
    methods = _method_list(methods, PROPORTION_METHODS, "methods")
    rows = []
    for ni in np.unique(na).astype(np.int64):  # a few design sizes; vectorised over x and p
        x = np.arange(ni + 1)
        pmf = stats.binom.pmf(x[None, :], ni, pa[:, None])
        for m in methods:
            ci = proportion_ci(x, ni, method=m, level=lev)
            lo, hi = ci["lower"].to_numpy(), ci["upper"].to_numpy()
            covers = (lo[None, :] <= pa[:, None]) & (pa[:, None] <= hi[None, :])
            coverage = (pmf * covers).sum(axis=1)
            width = pmf @ (hi - lo)
            estimate = pmf @ (x / ni)
            rows.extend(dict(study="proportion", calculation="exact", method=m, level=lev, trials=ni,
                             true_value=pi, coverage=c, coverage_mcse=0.0, mean_width=w, mean_estimate=e)
                        for pi, c, w, e in zip(pa, coverage, width, estimate))
    return _frame(rows)


def exact_rate_coverage(mu, methods=None, level: float = 0.95, tail: float = 1e-12) -> pd.DataFrame:
    """Exact coverage and expected width of intervals for a Poisson mean.

    ``sum_x P(X = x) 1[lower(x) <= mu <= upper(x)]`` with ``X ~ Poisson(mu)``, summed over ``x`` from 0 to the
    ``1 - tail`` quantile of the largest ``mu`` (so the result is exact to within ``tail``).  Rates scale the
    count and its limits by the same exposure, so coverage depends only on the expected count ``mu``.

    Parameters
    ----------
    mu : float or array_like
        True expected counts (> 0).
    methods : str or sequence of str, optional
        Names from :data:`ssstats.rates.RATE_METHODS`; all of them by default.
    level : float
        Nominal confidence level.
    tail : float
        Upper-tail probability left out of the sum.

    Returns
    -------
    pandas.DataFrame
        One row per (mu, method) with :data:`RESULT_COLUMNS` (``study = 'rate'``, ``true_value`` = mu).

    Raises
    ------
    SSStatsError
        ``mu`` empty or not positive and finite, ``tail`` not one number in (0, 1), an unknown, repeated or empty
        list of methods, or a bad level (one level per call).

    Examples
    --------
    >>> exact_rate_coverage(2.0, methods="wald")[["coverage"]].round(3)
       coverage
    0     0.864
    """
    mua = _not_empty(as_positive(mu, "mu"), "mu", "expected count")
    lev = check_level(level)
    tail_v = as_one_number(tail, "tail", lambda v, nm: as_probability(v, nm, open_interval=True))
    methods = _method_list(methods, RATE_METHODS, "methods")
    xmax = int(stats.poisson.isf(tail_v, mua.max())) + 1
    x = np.arange(xmax + 1)
    pmf = stats.poisson.pmf(x[None, :], mua[:, None])
    rows = []
    for m in methods:
        ci = rate_ci(x, 1.0, method=m, level=lev)
        lo, hi = ci["lower"].to_numpy(), ci["upper"].to_numpy()
        covers = (lo[None, :] <= mua[:, None]) & (mua[:, None] <= hi[None, :])
        coverage = (pmf * covers).sum(axis=1)
        width = pmf @ (hi - lo)
        rows.extend(dict(study="rate", calculation="exact", method=m, level=lev, true_value=mi, coverage=c,
                         coverage_mcse=0.0, mean_width=w, mean_estimate=mi)
                    for mi, c, w in zip(mua, coverage, width))
    return _frame(rows)


# ---------------------------------------------------------------------------------------------------------------
# Monte Carlo: overdispersed units

def unit_sizes(units: int, mean: float, shape: float = 1.5) -> np.ndarray:
    """Deterministic, realistic unit sizes: ``1 + `` the ``units`` mid-quantiles of a negative binomial.

    The negative binomial has mean ``mean - 1`` and shape ``shape`` (smaller is more spread), so every unit has at
    least one trial and the sizes average about ``mean`` (e.g. 1,374 police reports over 340 units: mean 4.04).
    The design is fixed (no random draw) so that every replicate and every task uses the same units.

    Raises
    ------
    SSStatsError
        ``units`` not a whole number of at least 1, ``mean`` not a single number above 1, or ``shape`` not a
        single positive number.

    Examples
    --------
    >>> unit_sizes(5, 4.0)
    array([1, 2, 3, 5, 8])
    """
    k = as_whole_number(units, "units", 1)
    m = as_one_number(mean, "mean", as_positive)
    if m <= 1:
        raise SSStatsError(f"`mean` must be greater than 1 (every unit has at least one trial); got {m:g}")
    s = as_one_number(shape, "shape", as_positive)
    q = (np.arange(int(k)) + 0.5) / k
    return 1 + stats.nbinom.ppf(q, s, s / (s + m - 1)).astype(np.int64)


def _beta_binomial_draws(trials, mu, rho, reps, rng):
    """Unit proportions (reps x units) and counts: p_i ~ Beta(mu, rho) in VGAM's parametrisation, x ~ Bin(n_i, p_i)."""
    shape = (reps, trials.size)
    if rho == 0:
        p = np.full(shape, mu)
    else:
        a = mu * (1 - rho) / rho
        b = (1 - mu) * (1 - rho) / rho
        p = rng.beta(a, b, size=shape)
    return p, rng.binomial(trials.astype(np.int64)[None, :], p)


def _pooled_binomial(method):
    def f(x, trials, fits, level):
        ci = proportion_ci(x.sum(axis=1), int(trials.sum()), method=method, level=level)
        return ci["estimate"].to_numpy(), ci["lower"].to_numpy(), ci["upper"].to_numpy()
    f.__doc__ = f"pooled total, binomial {method} interval (ignores between-unit variation)"
    return f


def _bb_mean(x, trials, fits, level):
    """The beta-binomial interval for mu from :func:`ssstats.fit_beta_binomial` (NaN where the fit failed)."""
    est = np.array([np.nan if f is None else f.mu for f in fits])
    lims = np.array([(np.nan, np.nan) if f is None else _bb_mu_limits(f) for f in fits]).reshape(-1, 2)
    return est, lims[:, 0], lims[:, 1]


def _bb_mu_limits(fit):
    frame = fit.to_frame()
    row = frame.loc[frame["parameter"] == "mu"].iloc[0]
    return float(row["lower"]), float(row["upper"])


#: overall-mean interval methods compared in the overdispersion study: name -> (x, trials, fits, level) -> arrays
OVERALL_METHODS: dict[str, Callable] = {
    "binomial_wilson": _pooled_binomial("wilson"),
    "binomial_exact": _pooled_binomial("exact"),
    "beta_binomial": _bb_mean,
}


def _unit_wilson(x, trials, fits, level):
    ci = proportion_ci(x.ravel(), np.broadcast_to(trials, x.shape).ravel(), method="wilson", level=level)
    return ci["lower"].to_numpy().reshape(x.shape), ci["upper"].to_numpy().reshape(x.shape)


def _unit_eb(x, trials, fits, level):
    lo = np.full(x.shape, np.nan)
    hi = np.full(x.shape, np.nan)
    for r, f in enumerate(fits):  # one fitted model per synthetic data set
        if f is not None:
            u = f.unit_estimates()
            lo[r], hi[r] = u["lower"].to_numpy(), u["upper"].to_numpy()
    return lo, hi


#: unit-level interval methods: name -> (x, trials, fits, level) -> (lower, upper), each reps x units
UNIT_METHODS: dict[str, Callable] = {
    "empirical_bayes": _unit_eb,
    "wilson_per_unit": _unit_wilson,
}


#: what a failed fit may raise: ssstats' own refusal, or a numerical failure inside the optimiser (e.g. scipy's
#: ``brentq`` finding no sign change while locating a profile limit); either way the replicate is counted in
#: ``failed`` and the failures are reported with the results, never dropped silently
_FIT_ERRORS = (SSStatsError, ValueError, ArithmeticError, np.linalg.LinAlgError)


def _fit_all(fitter, datasets):
    """Fit every synthetic data set; a fit that raises one of :data:`_FIT_ERRORS` becomes None (counted as failed)."""
    fits = []
    with warnings.catch_warnings():
        # statsmodels' convergence and separation warnings on sparse synthetic tables would flood the log;
        # failed fits are counted, and the coverage shows what the fits are worth
        warnings.simplefilter("ignore")
        for args in datasets:
            try:
                fits.append(fitter(*args))
            except _FIT_ERRORS:
                fits.append(None)
    return fits


def overdispersion_coverage(trials, mu: float, rho: float, reps: int, seed, level: float = 0.95,
                            methods=None, replicates: bool = False) -> pd.DataFrame:
    """Monte Carlo coverage for the overall proportion and the unit proportions across overdispersed units.

    Each replicate draws unit proportions ``p_i ~ Beta`` with mean ``mu`` and intra-unit correlation ``rho``
    (VGAM's parametrisation; ``rho = 0`` gives plain binomial data) and counts ``x_i ~ Binomial(trials_i, p_i)``.
    The overall methods (:data:`OVERALL_METHODS`) are judged on covering ``mu``; the unit methods
    (:data:`UNIT_METHODS`) on covering each unit's own ``p_i`` (the average over units, as empirical-Bayes
    intervals promise coverage on average across units, not unit by unit).

    Parameters
    ----------
    trials : array_like of int
        Trials per unit (e.g. :func:`unit_sizes`), fixed across replicates; at least two units.
    mu, rho : float
        Mean proportion in (0, 1) and correlation in [0, 1).
    reps : int
        Number of replicates.
    seed : int, SeedSequence or numpy.random.Generator
        Seeds the draws.
    level : float
        Nominal level.
    methods : sequence of str, optional
        Names from :data:`OVERALL_METHODS` and :data:`UNIT_METHODS` (all by default).  The beta-binomial model is
        fitted only when a method needs it (``beta_binomial``, ``empirical_bayes``).
    replicates : bool
        Return the per-replicate rows (for pooling tasks) instead of the summary.

    Returns
    -------
    pandas.DataFrame
        Summary rows (:data:`RESULT_COLUMNS`, ``study`` = ``'overall_proportion'`` or ``'unit_proportions'``), or
        per-replicate rows with ``covered``, ``width``, ``estimate`` and ``ok``.

    Raises
    ------
    SSStatsError
        Bad trials (not whole numbers of at least 1, or fewer than two units), ``mu`` not one number in (0, 1),
        ``rho`` not one number in [0, 1), a bad number of replicates, seed or level, an unknown, repeated or
        empty list of methods, or ``replicates`` not True or False.
    """
    from ..units import fit_beta_binomial

    n = as_counts(trials, "trials")
    if n.size < 2:
        raise SSStatsError(f"`trials` must give at least two units (the study is of variation between units); "
                           f"got {n.size}")
    as_positive(n, "trials")
    mu_v = as_one_number(mu, "mu", lambda v, nm: as_probability(v, nm, open_interval=True))
    rho_v = as_one_number(rho, "rho", as_probability)
    if rho_v >= 1:
        raise SSStatsError(f"`rho` must be less than 1; got {rho_v:g}")
    r = as_whole_number(reps, "reps", 1)
    lev = check_level(level)
    methods = _method_list(methods, {**OVERALL_METHODS, **UNIT_METHODS}, "methods")
    replicates = check_flag(replicates, "replicates")
    rng = as_seed(seed)
    p, x = _beta_binomial_draws(n, mu_v, rho_v, int(r), rng)
    if {"beta_binomial", "empirical_bayes"} & set(methods):
        fits = _fit_all(lambda xi: fit_beta_binomial(xi, n), ((xi,) for xi in x))
    else:
        fits = [None] * int(r)
    ok = np.array([f is not None for f in fits])
    common = dict(level=lev, units=n.size, mean_trials=n.mean(), rho=rho_v, true_value=mu_v)
    parts = []
    for name, fn in ((k, v) for k, v in OVERALL_METHODS.items() if k in methods):
        est, lo, hi = fn(x, n, fits, lev)
        good = ok if name == "beta_binomial" else np.ones_like(ok)
        parts.append(pd.DataFrame(dict(study="overall_proportion", method=name, covered=(lo <= mu_v) & (mu_v <= hi),
                                       width=hi - lo, estimate=est, ok=good, **common)))
    for name, fn in ((k, v) for k, v in UNIT_METHODS.items() if k in methods):
        lo, hi = fn(x, n, fits, lev)
        good = ok if name == "empirical_bayes" else np.ones_like(ok)
        covered = ((lo <= p) & (p <= hi)).mean(axis=1)
        parts.append(pd.DataFrame(dict(study="unit_proportions", method=name, covered=covered,
                                       width=(hi - lo).mean(axis=1), estimate=np.nan, ok=good, **common)))
    rows = pd.concat(parts, ignore_index=True).assign(calculation="monte_carlo")
    return rows if replicates else summarise_replicates(rows)


# ---------------------------------------------------------------------------------------------------------------
# Monte Carlo: multiple systems estimation

def capture_probabilities(p, log_odds_ratio: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Probabilities of every capture history under a log-linear model with one pairwise dependence.

    ``P(h) ∝ exp(sum_j h_j logit(p_j) + gamma h_1 h_2)`` over the ``2**k`` histories ``h``; with ``gamma = 0``
    the lists are independent and list ``j`` catches each individual with probability ``p_j``.  A positive
    ``gamma`` (log odds ratio) makes people on list 1 more likely to be on list 2, so the independence model
    underestimates N.

    Returns
    -------
    histories : ndarray of int, shape (2**k, k)
        Every history, the all-zero (unobserved) one first.
    probs : ndarray, shape (2**k,)

    Raises
    ------
    SSStatsError
        ``p`` not probabilities strictly between 0 and 1, fewer than two lists or more than
        :data:`ssstats.underreporting._tables.MAX_LISTS`, or ``log_odds_ratio`` not one finite number.

    Examples
    --------
    >>> h, pr = capture_probabilities([0.5, 0.5])
    >>> pr
    array([0.25, 0.25, 0.25, 0.25])
    """
    from ..underreporting._tables import MAX_LISTS

    pa = as_probability(p, "p", open_interval=True)
    if pa.size < 2:
        raise SSStatsError(f"`p` needs at least two lists; got {pa.size}")
    if pa.size > MAX_LISTS:
        raise SSStatsError(f"`p` may give at most {MAX_LISTS} lists (2**k capture histories); got {pa.size}")
    g = as_one_number(log_odds_ratio, "log_odds_ratio")
    h = np.array(list(itertools.product((0, 1), repeat=pa.size)), dtype=np.int64)
    logw = h @ special.logit(pa) + g * h[:, 0] * h[:, 1]
    w = np.exp(logw - logw.max())
    return h, w / w.sum()


def _mse_fit(model, interval, level, n_boot):
    from ..underreporting import fit_mse

    def f(frame, boot_seed=None):
        kw = dict(n_boot=n_boot, seed=boot_seed, progress=False) if interval == "bootstrap" else {}
        return fit_mse(frame, count="count", model=model, interval=interval, level=level, **kw)
    return f


def mse_coverage(population: int, p, log_odds_ratio: float, models: Sequence[str], reps: int, seed,
                 level: float = 0.95, replicates: bool = False, intervals: Sequence[str] = ("lognormal",),
                 n_boot: int = 200) -> pd.DataFrame:
    """Monte Carlo coverage of intervals for N from :func:`ssstats.fit_mse`.

    Each replicate draws the capture-history counts of ``population`` individuals from
    ``Multinomial(population, capture_probabilities(p, log_odds_ratio))`` (all replicates at once), leaves out
    the unobserved all-zero history, and fits each model in ``models`` (``'main'``, ``'stepwise'``, ...) with
    each interval in ``intervals`` (names from :data:`ssstats.underreporting.mse.INTERVALS`) to the same data.
    For ``'bootstrap'`` every replicate gets its own bootstrap seed, drawn from ``seed`` after the counts (so
    adding the bootstrap does not change the data of the other intervals).

    Parameters
    ----------
    population : int
        True population size N.
    p : sequence of float
        Capture probabilities of the lists (2 to 5 lists).
    log_odds_ratio : float
        Dependence between lists 1 and 2 (0: independent lists).
    models : str or sequence of str
        ``model`` names for :func:`ssstats.fit_mse` (``'main'``, ``'stepwise'``, ``'best'``: the keys of
        :data:`ssstats.underreporting.mse.MODEL_CHOICES`).
    reps : int
        Replicates.
    seed : int, SeedSequence or numpy.random.Generator
        Seeds the draws.
    level : float
        Nominal level.
    replicates : bool
        Return per-replicate rows instead of the summary.
    intervals : sequence of str
        ``interval`` arguments for :func:`ssstats.fit_mse` (``'lognormal'``, ``'profile'``, ``'bootstrap'``);
        each becomes the ``method`` of its rows.
    n_boot : int
        Bootstrap resamples per replicate (``'bootstrap'`` only).

    Returns
    -------
    pandas.DataFrame
        Summary rows with ``study = 'mse'``, ``method`` (the interval), ``model``, ``true_value`` = N, ``lists``,
        ``log_odds_ratio``.

    Raises
    ------
    SSStatsError
        A bad population, capture probabilities, log odds ratio, number of replicates, seed, level or ``n_boot``;
        an unknown, repeated or empty list of models or intervals; ``replicates`` not True or False (fits that
        fail are counted in ``failed``).
    """
    from ..underreporting.mse import INTERVALS, MODEL_CHOICES

    npop = as_whole_number(population, "population", 1)
    r = as_whole_number(reps, "reps", 1)
    lev = check_level(level)
    models = _method_list(models, MODEL_CHOICES, "models")
    names = _method_list(intervals, INTERVALS, "intervals")
    nb = as_whole_number(n_boot, "n_boot", 0)
    if "bootstrap" in names and nb < 10:
        raise SSStatsError(f"`n_boot` must be at least 10; got {int(nb)}")
    replicates = check_flag(replicates, "replicates")
    h, probs = capture_probabilities(p, log_odds_ratio)
    rng = as_seed(seed)
    counts = rng.multinomial(int(npop), probs, size=int(r))[:, 1:]
    # drawn after the counts, and only when needed, so the other intervals see the same data either way
    boot_seeds = rng.integers(0, 2**62, size=int(r)) if "bootstrap" in names else np.zeros(int(r), np.int64)
    cols = [f"list{j + 1}" for j in range(h.shape[1])]
    base = pd.DataFrame(h[1:], columns=cols)
    parts = []
    for model in models:
        for interval in names:
            fits = _fit_all(_mse_fit(model, interval, lev, int(nb)),
                            ((base.assign(count=c), int(b)) for c, b in zip(counts, boot_seeds)))
            est = np.array([np.nan if f is None else f.estimate for f in fits], dtype=float)
            lo = np.array([np.nan if f is None else f.lower for f in fits], dtype=float)
            hi = np.array([np.nan if f is None else f.upper for f in fits], dtype=float)
            parts.append(pd.DataFrame(dict(
                study="mse", method=interval, model=model, level=lev, true_value=float(npop), lists=h.shape[1],
                log_odds_ratio=float(log_odds_ratio), covered=(lo <= npop) & (npop <= hi), width=hi - lo,
                estimate=est, ok=np.array([f is not None for f in fits]))))
    rows = pd.concat(parts, ignore_index=True).assign(calculation="monte_carlo")
    return rows if replicates else summarise_replicates(rows)


def _shown(value) -> str:
    """A value for a message: NumPy scalars as plain Python ones (``1.5``, not ``np.float64(1.5)``)."""
    return repr(value.item() if isinstance(value, np.generic) else value)


_GROUP_KEYS = ["study", "calculation", "method", "model", "level", "trials", "true_value", "units", "mean_trials",
               "rho", "lists", "log_odds_ratio"]


def summarise_replicates(rows: pd.DataFrame) -> pd.DataFrame:
    """Per-replicate rows (``covered``, ``width``, ``estimate``, ``ok``) -> coverage, its Monte Carlo SE, mean width.

    Replicates whose fit failed (``ok`` False) are counted in ``failed`` and left out of the means.  Parameter
    columns of :data:`RESULT_COLUMNS` that are absent are taken as NaN (not applicable).

    Raises
    ------
    SSStatsError
        ``rows`` not a DataFrame, without rows, or without ``study``, ``method``, ``covered``, ``width``,
        ``estimate`` or ``ok``; ``ok`` not True/False; ``covered`` not a number from 0 to 1 where ``ok``.
    """
    check_columns(rows, ["study", "method", "covered", "width", "estimate", "ok"], "`rows`")
    if rows.empty:
        raise SSStatsError("`rows` has no rows: there are no replicates to summarise")
    ok = rows["ok"]
    if not pd.api.types.is_bool_dtype(ok):
        bad = ~ok.isin([0, 1]) | ok.isna()
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise SSStatsError(f"`rows`: `ok` must be True or False; got {_shown(ok.iloc[i])} in row {i}")
    cov = rows["covered"]  # True/False per replicate, or a share of units; pooled tasks mix both (object dtype)
    try:
        if cov.map(lambda v: isinstance(v, (str, bytes))).any():
            raise TypeError
        c = cov.astype(float).to_numpy()
    except (TypeError, ValueError):
        odd = cov[cov.map(lambda v: not isinstance(v, (bool, np.bool_, int, float, np.number)))]
        raise SSStatsError(f"`rows`: `covered` must be True/False or a share from 0 to 1; got "
                           f"{_shown(odd.iloc[0]) if len(odd) else cov.dtype}") from None
    bad = ok.astype(bool).to_numpy() & ~((c >= 0) & (c <= 1))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise SSStatsError(f"`rows`: `covered` must be a share from 0 to 1 in every row whose fit is ok; got "
                           f"{_shown(cov.iloc[i])} in row {i}")
    rows = rows.reindex(columns=[*_GROUP_KEYS, "covered", "width", "estimate", "ok"])
    rows["covered"] = rows["covered"].astype(float)
    good = rows[rows["ok"].astype(bool)]
    keys = list(_GROUP_KEYS)
    g = good.groupby(keys, dropna=False, sort=False)
    out = g.agg(coverage=("covered", "mean"), var=("covered", lambda s: s.var(ddof=0)),
                mean_width=("width", "mean"), mean_estimate=("estimate", "mean"),
                replicates=("covered", "size")).reset_index()
    out["coverage_mcse"] = np.sqrt(out.pop("var") / out["replicates"])
    failed = rows.groupby(keys, dropna=False, sort=False)["ok"].apply(lambda s: int((~s.astype(bool)).sum()))
    out = out.merge(failed.rename("failed").reset_index(), on=keys, how="right")
    out["replicates"] = out["replicates"].fillna(0).astype(np.int64)
    return out.reindex(columns=RESULT_COLUMNS)


# ---------------------------------------------------------------------------------------------------------------
# the whole study: designs, tasks, parallel run

@dataclass(frozen=True)
class StudyTask:
    """One unit of work: a study name, its keyword arguments (without ``seed``), and whether it draws at random."""

    study: str
    kwargs: dict = field(default_factory=dict)
    random: bool = True


def _task_proportion(seed, **kw):
    return exact_proportion_coverage(**kw)


def _task_rate(seed, **kw):
    return exact_rate_coverage(**kw)


def _task_overdispersion(seed, **kw):
    return overdispersion_coverage(seed=seed, replicates=True, **kw)


def _task_mse(seed, **kw):
    return mse_coverage(seed=seed, replicates=True, **kw)


#: study name -> function(seed, **kwargs) returning summary rows (exact) or per-replicate rows (Monte Carlo)
STUDIES: dict[str, Callable] = {
    "proportion": _task_proportion,
    "rate": _task_rate,
    "overdispersion": _task_overdispersion,
    "mse": _task_mse,
}

#: the settings of the quick (seconds; used by the tests) and full (a few minutes; stored) runs
STUDY_DESIGNS: dict[str, dict] = {
    "quick": dict(
        proportion_n=[20, 1374], proportion_p=[0.01, 0.019, 0.05],
        rate_mu=[0.5, 2.0, 10.0, 30.0],
        od_designs={"police_reports": (340, 1374 / 340, 26 / 1374)}, od_rho=[0.05], od_reps=4, od_chunk=4,
        mse_population=2000, mse_lists=[2, 3], mse_dependent_lists=[3], mse_log_or=float(np.log(4)),
        mse_reps=4, mse_chunk=4, mse_intervals=["lognormal", "profile"],
        mse_boot_models=["stepwise"], mse_boot_reps=2, mse_boot_chunk=2, mse_n_boot=20,
    ),
    "full": dict(
        proportion_n=[20, 50, 100, 200, 500, 1000, 1374, 2000],
        proportion_p=list(np.round(np.arange(0.01, 0.05001, 0.001), 3)),
        rate_mu=list(np.round(np.arange(0.5, 30.001, 0.1), 2)),
        od_designs={"police_reports": (340, 1374 / 340, 26 / 1374),
                    "incidents": (340, 19899 / 340, 982 / 19899)},
        od_rho=[0.0, 0.01, 0.05, 0.1], od_reps=500, od_chunk=50,
        mse_population=2000, mse_lists=[2, 3, 4, 5], mse_dependent_lists=[3, 4, 5], mse_log_or=float(np.log(4)),
        mse_reps=500, mse_chunk=50, mse_intervals=["lognormal", "profile"],
        # the BCa bootstrap (what the report uses for the stepwise model) costs n_boot refits per replicate: fewer
        # replicates and resamples than the report's 1,000, on the settings where stepwise selection runs
        mse_boot_models=["stepwise"], mse_boot_reps=200, mse_boot_chunk=25, mse_n_boot=200,
    ),
}


def list_probabilities(k: int) -> list[float]:
    """Capture probabilities of the ``k`` synthetic lists of the ``mse`` study: evenly spaced from 0.10 to 0.25.

    Examples
    --------
    >>> list_probabilities(4)
    [0.1, 0.15, 0.2, 0.25]

    Raises
    ------
    SSStatsError
        ``k`` not a whole number from 2 (multiple systems estimation needs at least two lists) to
        :data:`ssstats.underreporting._tables.MAX_LISTS`.
    """
    from ..underreporting._tables import MAX_LISTS

    n = as_whole_number(k, "k", 2, " (multiple systems estimation needs at least two lists)")
    if n > MAX_LISTS:
        raise SSStatsError(f"`k` must be at most {MAX_LISTS} lists (2**k capture histories); got {n}")
    return [float(v) for v in np.round(np.linspace(0.10, 0.25, n), 4)]


def study_tasks(mode: str = "quick", level: float = 0.95, studies: Sequence[str] | None = None
                ) -> list[StudyTask]:
    """The tasks of a run, in a fixed order (seeds are handed out in this order).

    Parameters
    ----------
    mode : {'quick', 'full'}
        Which design from :data:`STUDY_DESIGNS`.
    level : float
        Nominal level of every interval.
    studies : sequence of str, optional
        Restrict to these names from :data:`STUDIES` (all by default).
    """
    d = check_method(mode, STUDY_DESIGNS, "mode")
    lev = check_level(level)
    wanted = _method_list(studies, STUDIES, "studies")
    tasks: list[StudyTask] = []
    if "proportion" in wanted:
        tasks += [StudyTask("proportion", dict(n=[n], p=d["proportion_p"], level=lev), random=False)
                  for n in d["proportion_n"]]
    if "rate" in wanted:
        tasks.append(StudyTask("rate", dict(mu=d["rate_mu"], level=lev), random=False))
    if "overdispersion" in wanted:
        for units, mean, mu in d["od_designs"].values():
            trials = unit_sizes(units, mean)
            for rho in d["od_rho"]:
                for _ in range(-(-d["od_reps"] // d["od_chunk"])):
                    tasks.append(StudyTask("overdispersion", dict(trials=trials, mu=mu, rho=rho,
                                                                  reps=d["od_chunk"], level=lev)))
    if "mse" in wanted:
        settings = [(k, 0.0) for k in d["mse_lists"]] + [(k, d["mse_log_or"]) for k in d["mse_dependent_lists"]]
        for k, g in settings:
            models = ["main"] if k == 2 else ["main", "stepwise"]
            for _ in range(-(-d["mse_reps"] // d["mse_chunk"])):
                tasks.append(StudyTask("mse", dict(population=d["mse_population"], p=list_probabilities(k),
                                                   log_odds_ratio=g, models=models, reps=d["mse_chunk"],
                                                   level=lev, intervals=d["mse_intervals"])))
        # the bootstrap arm comes last, so that adding it leaves the seeds (and results) of every task above as
        # they were; stepwise selection needs three lists or more
        for k, g in settings:
            models = [m for m in d["mse_boot_models"] if k > 2 or m == "main"]
            if not models:
                continue
            for _ in range(-(-d["mse_boot_reps"] // d["mse_boot_chunk"])):
                tasks.append(StudyTask("mse", dict(population=d["mse_population"], p=list_probabilities(k),
                                                   log_odds_ratio=g, models=models, reps=d["mse_boot_chunk"],
                                                   level=lev, intervals=["bootstrap"], n_boot=d["mse_n_boot"])))
    return tasks


def _run_one(task: StudyTask, seed: np.random.SeedSequence) -> pd.DataFrame:
    return STUDIES[task.study](seed, **task.kwargs)


def run_study(mode: str = "quick", seed=_DEFAULT_SEED, n_jobs: int = 2, progress: bool = True,
              level: float = 0.95, studies: Sequence[str] | None = None) -> pd.DataFrame:
    """Run the simulation study in parallel and return its tidy results.

    Parameters
    ----------
    mode : {'quick', 'full'}
        ``'quick'`` runs in seconds (used by the tests); ``'full'`` in a few minutes on two cores.
    seed : int
        Root seed; task ``i`` gets ``numpy.random.SeedSequence(seed).spawn(len(tasks))[i]``, so the results do not
        depend on ``n_jobs``.
    n_jobs : int
        joblib workers (``1`` runs in this process).
    progress : bool
        Show a tqdm progress bar over tasks.
    level : float
        Nominal level of every interval.
    studies : sequence of str, optional
        Only these studies (names from :data:`STUDIES`).

    Returns
    -------
    pandas.DataFrame
        :data:`RESULT_COLUMNS` plus ``seed``, ``ssstats_version`` and ``synthetic_simulation`` (True).

    Raises
    ------
    SSStatsError
        Unknown mode or study, an empty or repeated list of studies, a bad seed, level or ``n_jobs``, or
        ``progress`` not True or False.

    Examples
    --------
    >>> res = run_study("quick", seed=1, n_jobs=1, progress=False, studies=["rate"])  # doctest: +SKIP
    """
    from joblib import Parallel, delayed
    from tqdm.auto import tqdm

    from .. import __version__

    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise SSStatsError(f"`seed` must be a non-negative integer; got {seed!r}")
    if isinstance(n_jobs, (bool, np.bool_)) or not isinstance(n_jobs, (int, np.integer)) or n_jobs == 0:
        raise SSStatsError(f"`n_jobs` must be a non-zero integer (joblib: -1 for all cores); got {n_jobs!r}")
    progress = check_flag(progress, "progress")
    tasks = study_tasks(mode, level, studies)
    seeds = np.random.SeedSequence(int(seed)).spawn(len(tasks))
    # the slow Monte Carlo tasks first, so the workers stay busy; outputs are put back in task order
    order = sorted(range(len(tasks)), key=lambda i: (not tasks[i].random, i))
    jobs = (delayed(_run_one)(tasks[i], seeds[i]) for i in order)
    parallel = Parallel(n_jobs=int(n_jobs), return_as="generator")
    outputs: list = [None] * len(tasks)
    with tqdm(total=len(tasks), desc=f"simulation study ({mode})", disable=not progress, unit="task") as bar:
        for i, out in zip(order, parallel(jobs)):
            outputs[i] = out
            bar.update(1)
    exact = [o for t, o in zip(tasks, outputs) if not t.random]
    mc = [o for t, o in zip(tasks, outputs) if t.random]
    parts = exact + ([summarise_replicates(pd.concat(mc, ignore_index=True))] if mc else [])
    res = pd.concat(parts, ignore_index=True) if parts else _frame([])
    return res.assign(seed=int(seed), ssstats_version=__version__, synthetic_simulation=True)
