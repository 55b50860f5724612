"""Proportions and rates with confidence intervals, and two-group comparisons.

Every function takes scalars, arrays or DataFrame columns (a Series' index becomes the ``unit`` column) and
returns a tidy :class:`pandas.DataFrame`: the inputs, then ``estimate``, ``lower``, ``upper``, ``method`` and
``level``.  Several confidence levels at once give one row per unit and level.

Methods are looked up in a table (``PROPORTION_METHODS``, ``RATE_METHODS``).  Where statsmodels or SciPy
implements a method, ssstats calls it, always naming the method (statsmodels' own default for proportions is the
Wald interval, which under-covers badly for small counts).  What no library implements vectorised (mid-p limits,
Byar's approximation as PHEindicatormethods writes it) is written here.

References
----------
.. [1] Brown, L. D., Cai, T. T. and DasGupta, A. (2001). Interval estimation for a binomial proportion.
   *Statistical Science* 16(2), 101-133.
.. [2] Garwood, F. (1936). Fiducial limits for the Poisson distribution. *Biometrika* 28, 437-442.
.. [3] Breslow, N. E. and Day, N. E. (1987). *Statistical Methods in Cancer Research, Vol. II*. IARC (Byar's
   approximation).
.. [4] Fingertips / PHEindicatormethods: ``phe_proportion``, ``phe_rate``, ``byars_lower``, ``byars_upper``.
.. [5] Lancaster, H. O. (1961). Significance tests in discrete distributions. *JASA* 56, 223-234 (mid-p).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy import special, stats
from statsmodels.stats import proportion as sm_prop
from statsmodels.stats import rates as sm_rates

from ._validate import (
    SSStatsError,
    as_counts,
    as_positive,
    as_probability,
    broadcast,
    check_le,
    check_levels,
    check_method,
    unit_labels,
    valid_events_and_trials,
)

__all__ = [
    "proportion_ci",
    "rate_ci",
    "compare_proportions",
    "compare_rates",
    "proportion_test",
    "PROPORTION_METHODS",
    "RATE_METHODS",
]


# ---------------------------------------------------------------------------------------------------------------
# proportion interval methods: (x, n, alpha) -> (lower, upper); x and n are float arrays, 0 <= x <= n, n > 0

def _sm_proportion(method: str) -> Callable:
    def f(x, n, alpha):
        lo, hi = sm_prop.proportion_confint(x, n, alpha=alpha, method=method)
        return np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)

    f.__doc__ = f"statsmodels ``proportion_confint(method={method!r})``"
    return f


def _jeffreys_proportion(x, n, alpha):
    """Beta(x + 1/2, n - x + 1/2) quantiles, with the one-sided limits at x = 0 and x = n (Brown et al. 2001)."""
    lo = stats.beta.ppf(alpha / 2, x + 0.5, n - x + 0.5)
    hi = stats.beta.isf(alpha / 2, x + 0.5, n - x + 0.5)
    return np.where(x == 0, 0.0, lo), np.where(x == n, 1.0, hi)


def _newton_increasing(fun, p0, args, upper=None, maxiter: int = 200, rtol: float = 1e-14):
    """Vectorised safeguarded Newton for increasing ``fun(p, *args) -> (value, derivative)`` on (0, upper).

    ``upper`` defaults to 1 (a probability); the root must lie inside (0, upper).  Keeps a bracket [a, b] with
    fun(a) < 0 < fun(b) and falls back to bisection whenever a Newton step would leave it, so it always converges;
    from a good start most elements need a handful of iterations.  Works on the shrinking set of unconverged
    elements only.
    """
    p0 = np.asarray(p0, dtype=float)
    b = np.ones_like(p0) if upper is None else np.broadcast_to(np.asarray(upper, dtype=float), p0.shape).copy()
    p = np.clip(p0, 1e-300, b * (1 - 1e-16))
    out = np.empty_like(p)
    idx = np.arange(p.size)
    a = np.zeros_like(p)
    sub = args
    for _ in range(maxiter):
        f, df = fun(p, *sub)
        neg = f < 0
        a = np.where(neg, p, a)
        b = np.where(neg, b, p)
        with np.errstate(divide="ignore", invalid="ignore"):
            step = p - f / df
        # a step too small to move p (below its last bit) has converged: keep it rather than bisect
        ok = np.isfinite(step) & (((step > a) & (step < b)) | (step == p))
        exact = f == 0  # a root: keep it (the bracket has collapsed onto it from one side)
        new = np.where(exact, p, np.where(ok, step, 0.5 * (a + b)))
        done = exact | (np.abs(new - p) <= rtol * new) | (b - a <= rtol * b)
        out[idx[done]] = new[done]
        if done.all():
            return out
        keep = ~done
        idx, p, a, b = idx[keep], new[keep], a[keep], b[keep]
        sub = tuple(arg[keep] for arg in sub)
    raise SSStatsError("a mid-p limit did not converge; this is a bug in ssstats, please report it")  # pragma: no cover


def _midp_proportion(x, n, alpha):
    """Mid-p limits: solve P(X > x) + P(X = x)/2 = alpha/2 (lower) and P(X < x) + P(X = x)/2 = alpha/2 (upper).

    Closed forms at the ends (lower limit alpha^(1/n) at x = n, upper 1 - alpha^(1/n) at x = 0); in between a
    safeguarded Newton iteration from the Wilson limits, with the binomial tails as regularised incomplete beta
    functions (P(X > x) = I_p(x + 1, n - x)) and their exact derivatives.
    """
    x = np.asarray(x, dtype=float)
    n = np.asarray(n, dtype=float)
    a2 = alpha / 2

    def pmf_and_slope(p, x, n, log_c):
        pmf = np.exp(log_c + x * np.log(p) + (n - x) * np.log1p(-p))
        return pmf, pmf * (x / p - (n - x) / (1 - p))

    def upper_tail(p, x, n, log_c, b_hi, b_lo):  # P(X > x) + 0.5 P(X = x) - alpha/2, increasing in p
        pmf, dpmf = pmf_and_slope(p, x, n, log_c)
        dsf = np.exp(x * np.log(p) + (n - x - 1) * np.log1p(-p) - b_hi)
        return special.betainc(x + 1, n - x, p) + 0.5 * pmf - a2, dsf + 0.5 * dpmf

    def lower_tail(p, x, n, log_c, b_hi, b_lo):  # alpha/2 - P(X < x) - 0.5 P(X = x), increasing in p
        pmf, dpmf = pmf_and_slope(p, x, n, log_c)
        dcdf = -np.exp((x - 1) * np.log(p) + (n - x) * np.log1p(-p) - b_lo)
        return a2 - special.betainc(n - x + 1, x, 1 - p) - 0.5 * pmf, -(dcdf + 0.5 * dpmf)

    lo = np.zeros(x.shape)
    hi = np.ones(x.shape)
    top, bottom = (x == n) & (n > 0), (x == 0) & (n > 0)
    lo[top] = alpha ** (1 / n[top])
    hi[bottom] = 1 - alpha ** (1 / n[bottom])
    inner = (x > 0) & (x < n)
    if inner.any():
        xi, ni = x[inner], n[inner]
        log_c = special.gammaln(ni + 1) - special.gammaln(xi + 1) - special.gammaln(ni - xi + 1)
        args = (xi, ni, log_c, special.betaln(xi + 1, ni - xi), special.betaln(xi, ni - xi + 1))
        w_lo, w_hi = sm_prop.proportion_confint(xi, ni, alpha=alpha, method="wilson")
        with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
            lo[inner] = _newton_increasing(upper_tail, w_lo, args)
            hi[inner] = _newton_increasing(lower_tail, w_hi, args)
    return lo, hi


def _distinct(*cols):
    """``(first, inverse)`` indexes of the distinct rows of ``cols`` (counts, or counts and trials) when they repeat
    enough for computing each distinct row once to pay (real returns hold few distinct pairs), else ``None``."""
    if cols[0].size < 4096:
        return None
    if len(cols) == 1:
        key = cols[0]
    else:
        x, n = cols
        top = int(n.max()) + 1
        if top >= 2**31:  # the key x * top + n would overflow
            return None
        key = x.astype(np.int64) * top + n.astype(np.int64)
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    if first.size > cols[0].size // 2:
        return None
    return first, inverse


def _once_per_distinct(fn: Callable) -> Callable:
    """Wrap an interval function ``(*arrays, alpha) -> (lo, hi)`` that is costly per element (quantile functions,
    root finding) so that it runs once per distinct input; the results are identical."""
    def f(*args):
        *arrays, alpha = args
        d = _distinct(*arrays)
        if d is None:
            return fn(*arrays, alpha)
        first, inverse = d
        lo, hi = fn(*(np.asarray(a)[first] for a in arrays), alpha)
        return np.asarray(lo, dtype=float)[inverse], np.asarray(hi, dtype=float)[inverse]

    f.__doc__ = fn.__doc__
    return f


PROPORTION_METHODS: dict[str, Callable] = {
    "wilson": _sm_proportion("wilson"),
    "exact": _once_per_distinct(_sm_proportion("beta")),  # Clopper-Pearson, = R binom.test
    "jeffreys": _once_per_distinct(_jeffreys_proportion),
    "agresti_coull": _sm_proportion("agresti_coull"),
    "wald": _sm_proportion("normal"),
    "mid_p": _once_per_distinct(_midp_proportion),
}
"""Proportion interval methods by name.  ``agresti_coull`` and ``wald`` are truncated to [0, 1] (statsmodels)."""

#: methods whose limits are exactly 0 at x = 0 and 1 at x = n by construction (Wald: zero width there; Agresti-Coull:
#: truncated; Clopper-Pearson: set by statsmodels), so the one-sided limits need not be set again (tested)
_EXACT_ENDS_PROPORTION = frozenset({"wald", "agresti_coull", "exact"})


# ---------------------------------------------------------------------------------------------------------------
# rate interval methods: (count, exposure, alpha) -> (lower, upper) of the rate per unit of exposure

def _sm_poisson(method: str) -> Callable:
    def f(x, e, alpha):
        lo, hi = sm_rates.confint_poisson(x, e, method=method, alpha=alpha)
        return np.atleast_1d(np.asarray(lo, dtype=float)), np.atleast_1d(np.asarray(hi, dtype=float))

    f.__doc__ = f"statsmodels ``confint_poisson(method={method!r})``"
    return f


def _per_exposure(count_limits: Callable) -> Callable:
    """Turn limits for a Poisson mean, ``(x, alpha) -> (lo, hi)``, into limits for a rate."""
    def f(x, e, alpha):
        lo, hi = count_limits(x, alpha)
        return lo / e, hi / e

    f.__doc__ = count_limits.__doc__
    return f


def _byar(x, alpha):
    """Byar's approximation as PHEindicatormethods writes it; lower limit 0 at x = 0.

    The cube in the lower limit turns negative when z > 3 sqrt(x) (1 - 1/(9x)), e.g. at x = 1 above a level of
    about 99.2%: a Poisson mean cannot be negative, so the lower limit is floored at 0 there (PHEindicatormethods
    avoids the case by switching to exact limits below 10 events).
    """
    z = special.ndtri(1 - alpha / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        lo = x * np.maximum(1 - 1 / (9 * x) - z / (3 * np.sqrt(x)), 0.0) ** 3
    hi = (x + 1) * (1 - 1 / (9 * (x + 1)) + z / (3 * np.sqrt(x + 1))) ** 3
    return np.where(x == 0, 0.0, lo), hi


def _jeffreys_poisson(x, alpha):
    """Gamma(x + 1/2) quantiles, lower limit 0 at x = 0."""
    lo = stats.gamma.ppf(alpha / 2, x + 0.5)
    hi = stats.gamma.isf(alpha / 2, x + 0.5)
    return np.where(x == 0, 0.0, lo), hi


def _midp_poisson(x, alpha):
    """Mid-p limits for a Poisson mean: P(X > x) + P(X = x)/2 = alpha/2 (lower), P(X < x) + P(X = x)/2 = alpha/2
    (upper).

    The tails are regularised incomplete gamma functions (P(X > x) = P(x + 1, mu), P(X < x) = Q(x, mu)) with exact
    derivatives in mu (d/dmu P(X > x) = f(x) and d/dmu f(x) = f(x) (x/mu - 1), f the Poisson pmf), solved by
    safeguarded Newton from Byar's limits.  At x = 0 the lower limit is 0 and the upper -log(alpha).
    """
    a2 = alpha / 2
    x = np.asarray(x, dtype=float)

    def log_pmf(mu, x, log_xfact):
        return x * np.log(mu) - mu - log_xfact

    def upper_tail(mu, x, log_xfact):  # P(X > x) + 0.5 f(x) - alpha/2, increasing in mu
        f = np.exp(log_pmf(mu, x, log_xfact))
        return special.gammainc(x + 1, mu) + 0.5 * f - a2, f * (0.5 + 0.5 * x / mu)

    def lower_tail(mu, x, log_xfact):  # alpha/2 - P(X < x) - 0.5 f(x), increasing in mu; x > 0
        f = np.exp(log_pmf(mu, x, log_xfact))
        return a2 - special.gammaincc(x, mu) - 0.5 * f, 0.5 * f * (x / mu + 1)

    b_lo, b_hi = _byar(x, alpha)
    log_xfact = special.gammaln(x + 1)
    lo = np.zeros(x.shape)
    hi = np.empty(x.shape)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        top = x + 20 * np.sqrt(x + 1) + 50  # far above any limit for alpha >= 1e-12
        hi[x == 0] = -np.log(alpha)  # x = 0: exp(-mu) / 2 = alpha / 2
        m = x > 0
        if m.any():
            args = (x[m], log_xfact[m])
            lo[m] = _newton_increasing(upper_tail, b_lo[m], args, upper=top[m])
            hi[m] = _newton_increasing(lower_tail, b_hi[m], args, upper=top[m])
    return lo, hi


def _garwood(x, alpha):
    """Garwood's exact limits for a Poisson mean (statsmodels ``confint_poisson(method='exact-c')``)."""
    lo, hi = sm_rates.confint_poisson(x, 1.0, method="exact-c", alpha=alpha)
    return np.atleast_1d(np.asarray(lo, dtype=float)), np.atleast_1d(np.asarray(hi, dtype=float))


RATE_METHODS: dict[str, Callable] = {
    "exact": _per_exposure(_once_per_distinct(_garwood)),  # gamma quantiles, once per distinct count
    "byar": _per_exposure(_byar),
    "score": _sm_poisson("score"),
    "jeffreys": _per_exposure(_once_per_distinct(_jeffreys_poisson)),
    "wald": _sm_poisson("wald"),
    "mid_p": _per_exposure(_once_per_distinct(_midp_poisson)),
}
"""Poisson-rate interval methods by name.  ``wald`` is truncated at 0 (statsmodels)."""

#: rate methods whose lower limit is exactly 0 at count 0 by construction (Wald: zero width there)
_EXACT_ENDS_RATE = frozenset({"wald"})


# ---------------------------------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=128)
def _categorical(categories: tuple) -> pd.CategoricalDtype:
    """The dtype of a ``method`` column, made once per set of names (building it costs milliseconds)."""
    return pd.CategoricalDtype(list(categories))


def _tidy(labels, inputs: dict, blocks: list[dict]) -> pd.DataFrame:
    """One tidy frame: the inputs repeated once per level, then the blocks' columns stacked.

    Built column by column from NumPy arrays (``method`` as a categorical), so that a million units cost little
    more than the interval computation itself.
    """
    k = len(blocks)
    n = len(next(a for a in inputs.values() if np.ndim(a)))
    cols: dict = {}
    # the frame owns every column (it is built without copying, so an input array the caller still holds is
    # copied here: writing to the frame must never write to the caller's data, nor to a Series' index)
    if labels is not None:
        cols["unit"] = np.tile(np.asarray(labels), k) if k > 1 else np.array(labels, copy=True)
    for name, arr in inputs.items():
        if np.ndim(arr) == 0:
            cols[name] = _blocks_of([arr], n * k, np.asarray(arr).dtype)
        else:
            cols[name] = np.tile(arr, k) if k > 1 else arr.copy()
    for name in blocks[0]:
        vals = [b[name] for b in blocks]
        if np.ndim(vals[0]) == 0:  # scalars per level: method, level
            if isinstance(vals[0], str):
                cats = list(dict.fromkeys(vals))
                codes = _blocks_of([cats.index(v) for v in vals], n, np.int8)
                cols[name] = pd.Categorical.from_codes(codes, dtype=_categorical(tuple(cats)))
            else:
                cols[name] = _blocks_of(vals, n, np.float64)
        else:
            cols[name] = np.concatenate(vals) if k > 1 else vals[0]
    return pd.DataFrame(cols, copy=False)


def _blocks_of(values, n: int, dtype) -> np.ndarray:
    """``values[0]`` n times, then ``values[1]`` n times, ...: filled block by block (``np.repeat`` copies
    element by element, several times slower for a million rows)."""
    out = np.empty(n * len(values), dtype=dtype)
    for i, v in enumerate(values):
        out[i * n:(i + 1) * n] = v
    return out


def _as_float(counts: np.ndarray) -> np.ndarray:
    """Validated counts as float64 (the array itself when it already is)."""
    return counts if counts.dtype == np.float64 else counts.astype(np.float64)


def _ratio_into(num: np.ndarray, validated: np.ndarray, den: np.ndarray, results: list) -> np.ndarray:
    """``num / den``, written over ``num`` when ``num`` is ssstats' own float copy of the validated counts (not the
    caller's array) that no result shares memory with: one fresh million-element array fewer."""
    if num is not validated and not any(np.may_share_memory(num, r) for r in results):
        return np.divide(num, den, out=num)
    return num / den


def _as_int(original, validated: np.ndarray) -> np.ndarray:
    """Counts for the output frame: the caller's own integer array when it is one (the frame copies it), else
    int64."""
    raw = original.to_numpy() if isinstance(original, pd.Series) else original
    if isinstance(raw, np.ndarray) and raw.dtype.kind in "iu" and raw.shape == validated.shape:
        return raw
    return validated.astype(np.int64)


def _inputs(labels, **cols) -> pd.DataFrame:
    data = {}
    if labels is not None:
        data["unit"] = labels
    data.update(cols)
    return pd.DataFrame(data)


def proportion_ci(x, n, method: str = "wilson", level=0.95) -> pd.DataFrame:
    """Confidence interval for a binomial proportion ``x / n``.

    Parameters
    ----------
    x : int or array_like
        Numbers of events (successes).  A :class:`pandas.Series` with an index gives the output a ``unit`` column.
    n : int or array_like
        Numbers of trials; ``0 <= x <= n`` and ``n > 0``.
    method : {'wilson', 'exact', 'jeffreys', 'agresti_coull', 'wald', 'mid_p'}
        ``'wilson'`` score interval (= R ``prop.test(correct = FALSE)``); ``'exact'`` Clopper-Pearson
        (= R ``binom.test``); ``'jeffreys'`` equal-tailed Beta(x + 1/2, n - x + 1/2) with the one-sided limit at
        x = 0 and x = n; ``'agresti_coull'``; ``'wald'`` (under-covers: shown for comparison only);
        ``'mid_p'`` Clopper-Pearson mid-p.  ``'agresti_coull'`` and ``'wald'`` are truncated to [0, 1].
    level : float or sequence of float
        Confidence level(s), each strictly between 0 and 1, e.g. ``(0.95, 0.998)``.

    Returns
    -------
    pandas.DataFrame
        Columns ``[unit,] x, n, estimate, lower, upper, method, level``; one row per unit and level (levels
        stacked in the order given).

    Raises
    ------
    SSStatsError
        Negative, non-integer, missing or infinite counts, ``x > n``, ``n = 0``, a level outside (0, 1), an unknown
        method, or inputs of different lengths.  The message names the argument, position and value.

    Notes
    -----
    At ``x = 0`` every method gives lower limit 0, and at ``x = n`` upper limit 1 (the one-sided limits); no
    method returns NaN.

    Examples
    --------
    >>> proportion_ci(26, 1374)[["estimate", "lower", "upper"]].round(4)
       estimate   lower   upper
    0    0.0189  0.0129  0.0276
    """
    labels = unit_labels(x=x, n=n)
    fn = check_method(method, PROPORTION_METHODS)
    levels = check_levels(level)
    valid = valid_events_and_trials(x, n)  # integer arrays in two passes; anything else is checked in turn
    if valid is not None:
        xa, na = valid
    else:
        xa = as_counts(x, "x", labels, keep_int=True)
        na = as_counts(n, "n", labels, keep_int=True)
        xa, na = broadcast({"x": xa, "n": na})
        if labels is not None and len(labels) != xa.size:
            labels = None
        zero = na == 0
        if zero.any():
            i = int(np.flatnonzero(zero)[0])
            where = f" for unit {labels[i]!r} (position {i})" if labels is not None else f" at position {i}"
            raise SSStatsError(f"`n` must be greater than zero (a proportion needs trials); got 0{where}")
        check_le(xa, na, "x", "n", labels)
    # the methods get float64 copies of integer counts: exact for counts below 2**53, the same limits to the last
    # bit (tested), and cheaper than integer arithmetic, whose every operation converts to float again
    xf, nf = _as_float(xa), _as_float(na)
    # the one-sided limits, set by position (a boolean-mask write costs as much as the Wilson interval itself),
    # for the methods whose formulas do not give exactly 0 and 1 there
    fix = method not in _EXACT_ENDS_PROPORTION
    at_zero, at_n = (np.flatnonzero(xa == 0), np.flatnonzero(xa == na)) if fix else (None, None)
    blocks = []
    for lev in levels:
        lo, hi = fn(xf, nf, 1 - lev)
        lo = np.asarray(lo, dtype=float)  # fresh arrays from every method: the one-sided limits are set in place
        hi = np.asarray(hi, dtype=float)
        if fix:
            lo[at_zero] = 0.0
            hi[at_n] = 1.0
        blocks.append(dict(estimate=None, lower=lo, upper=hi, method=method, level=lev))
    est = _ratio_into(xf, xa, nf, [a for b in blocks for a in (b["lower"], b["upper"])])
    for b in blocks:
        b["estimate"] = est
    return _tidy(labels, dict(x=_as_int(x, xa), n=_as_int(n, na)), blocks)


def rate_ci(count, exposure, method: str = "exact", level=0.95, per: float = 1) -> pd.DataFrame:
    """Confidence interval for a Poisson rate ``count / exposure * per``.

    Parameters
    ----------
    count : int or array_like
        Event counts (non-negative integers).
    exposure : float or array_like
        Exposure, e.g. occupied bed days; must be greater than zero.
    method : {'exact', 'byar', 'score', 'jeffreys', 'wald', 'mid_p'}
        ``'exact'`` Garwood's gamma-quantile limits (= R ``poisson.test``, statsmodels ``'exact-c'``);
        ``'byar'`` Byar's approximation in the form PHEindicatormethods uses (lower limit 0 at count 0);
        ``'score'``; ``'jeffreys'`` Gamma(x + 1/2) quantiles; ``'wald'`` (truncated at 0); ``'mid_p'``.
    level : float or sequence of float
        Confidence level(s).
    per : float
        Multiplier for the rate, e.g. ``1000`` for a rate per 1,000 bed days when exposure is in bed days.

    Returns
    -------
    pandas.DataFrame
        Columns ``[unit,] count, exposure, per, estimate, lower, upper, method, level``.

    Notes
    -----
    PHEindicatormethods' ``phe_rate`` uses the exact method below 10 events and Byar's from 10 up; here the
    method is always the one named.

    Examples
    --------
    >>> rate_ci(15, 400)[["estimate", "lower", "upper"]].round(5)
       estimate    lower    upper
    0    0.0375  0.02099  0.06185
    """
    labels = unit_labels(count=count, exposure=exposure)
    fn = check_method(method, RATE_METHODS)
    levels = check_levels(level)
    c = as_counts(count, "count", labels, keep_int=True)
    e = as_positive(exposure, "exposure", labels)
    per_v = _single_per(per)
    c, e = broadcast({"count": c, "exposure": e})
    if labels is not None and len(labels) != c.size:
        labels = None
    cf = _as_float(c)  # as for proportion_ci: float64 counts, cheaper in every method and the same limits
    fix = method not in _EXACT_ENDS_RATE
    at_zero = np.flatnonzero(c == 0) if fix else None
    blocks = []
    for lev in levels:
        lo, hi = fn(cf, e, 1 - lev)
        lo = np.asarray(lo, dtype=float)
        if fix:
            lo[at_zero] = 0.0
        if per_v != 1:
            lo *= per_v
            hi = hi * per_v
        blocks.append(dict(estimate=None, lower=lo, upper=hi, method=method, level=lev))
    est = _ratio_into(cf, c, e, [a for b in blocks for a in (b["lower"], b["upper"])])
    if per_v != 1:
        est *= per_v
    for b in blocks:
        b["estimate"] = est
    return _tidy(labels, dict(count=_as_int(count, c), exposure=e, per=per_v), blocks)


# ---------------------------------------------------------------------------------------------------------------
# comparisons

def _mover_ratio(x1, n1, x2, n2, alpha):
    """MOVER-R interval for p1/p2 from the two Wilson intervals (Donner and Zou 2012; Fagerland et al. 2015).

    Unlike the log interval it always contains the estimate, gives 0 as the lower limit when x1 = 0 and an
    infinite upper limit when x2 = 0, and stays non-degenerate when both proportions are 1.
    """
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = sm_prop.proportion_confint(x1, n1, alpha=alpha, method="wilson")
    l2, u2 = sm_prop.proportion_confint(x2, n2, alpha=alpha, method="wilson")
    l1, u1, l2, u2 = (np.atleast_1d(np.asarray(v, dtype=float)) for v in (l1, u1, l2, u2))
    l1 = np.where(x1 == 0, 0.0, l1)
    u1 = np.where(x1 == n1, 1.0, u1)
    l2 = np.where(x2 == 0, 0.0, l2)
    u2 = np.where(x2 == n2, 1.0, u2)
    pp = p1 * p2
    with np.errstate(divide="ignore", invalid="ignore"):
        lo = (pp - np.sqrt(np.maximum(pp**2 - l1 * u2 * (2 * p1 - l1) * (2 * p2 - u2), 0))) / (u2 * (2 * p2 - u2))
        hi = (pp + np.sqrt(np.maximum(pp**2 - u1 * l2 * (2 * p1 - u1) * (2 * p2 - l2), 0))) / (l2 * (2 * p2 - l2))
    lo = np.where(x1 == 0, 0.0, lo)
    hi = np.where(x2 == 0, np.inf, hi)
    return lo, hi


def _sm_comparison(compare: str, method: str) -> Callable:
    def f(x1, n1, x2, n2, alpha):
        with np.errstate(all="ignore"):
            return sm_prop.confint_proportions_2indep(x1, n1, x2, n2, method=method, compare=compare, alpha=alpha)

    return f


#: measure -> (interval function (x1, n1, x2, n2, alpha) -> (lower, upper), the method's name)
_PROPORTION_COMPARISONS: dict[str, tuple[Callable, str]] = {
    "difference": (_sm_comparison("diff", "newcomb"), "newcombe"),
    "ratio": (_mover_ratio, "mover-wilson"),
    "odds_ratio": (_sm_comparison("odds-ratio", "logit-adjusted"), "logit-adjusted"),
}


def _single_per(per) -> float:
    per_a = as_positive(per, "per")
    if per_a.size != 1:
        raise SSStatsError(f"`per` must be a single number; got {per_a.size} values")
    return float(per_a[0])


def compare_proportions(x1, n1, x2, n2, level=0.95, measures=("difference", "ratio")) -> pd.DataFrame:
    """Compare two independent proportions ``x1/n1`` and ``x2/n2``.

    Differences get Newcombe's hybrid score interval and odds ratios the logit-adjusted interval (statsmodels
    ``confint_proportions_2indep``); ratios get the MOVER-R interval built from the two Wilson intervals
    (Donner and Zou 2012), which statsmodels lacks and which, unlike the log interval, behaves at 0 and 100%.
    The test is the score test of equal proportions (statsmodels ``test_proportions_2indep(method='score')``:
    Pearson's X^2 of R ``prop.test(correct = FALSE)`` with Miettinen and Nurminen's variance correction
    N/(N - 1)) and, for reference with small counts, Fisher's exact test (SciPy).

    Parameters
    ----------
    x1, n1, x2, n2 : int or array_like
        Events and trials in group 1 and group 2.
    level : float or sequence of float
        Confidence level(s).
    measures : sequence of {'difference', 'ratio', 'odds_ratio'}
        Which contrasts to report (group 1 against group 2).

    Returns
    -------
    pandas.DataFrame
        One row per comparison, measure and level: ``x1, n1, x2, n2, p1, p2, measure, estimate, lower, upper,
        method, level, statistic, p_value, test, fisher_p_value``.

    Notes
    -----
    Fisher's test is computed one comparison at a time (SciPy has no vectorised form): comparisons are meant to be
    few (a study against a national figure), not one per unit.

    Examples
    --------
    >>> compare_proportions(26, 1374, 256, 6539)[["measure", "estimate"]].round(4)
          measure  estimate
    0  difference   -0.0202
    1       ratio    0.4833
    """
    levels = check_levels(level)
    if isinstance(measures, str):
        measures = (measures,)
    comps = {m: check_method(m, _PROPORTION_COMPARISONS, "measures") for m in measures}
    a = as_counts(x1, "x1")
    b = as_counts(n1, "n1")
    c = as_counts(x2, "x2")
    d = as_counts(n2, "n2")
    a, b, c, d = broadcast({"x1": a, "n1": b, "x2": c, "n2": d})
    for arr, nm in ((b, "n1"), (d, "n2")):
        as_positive(arr, nm)
    check_le(a, b, "x1", "n1")
    check_le(c, d, "x2", "n2")
    with np.errstate(all="ignore"):
        test = sm_prop.test_proportions_2indep(a, b, c, d, method="score", compare="diff")
    # both groups all 0 or all events: the score statistic is 0/0; the data agree exactly, so 0 and p = 1
    same = (a + c == 0) | (a + c == b + d)
    t_stat = np.where(same, 0.0, np.asarray(test.statistic, float))
    t_pval = np.where(same, 1.0, np.asarray(test.pvalue, float))
    fisher = np.array([stats.fisher_exact(np.array([[ai, bi - ai], [ci, di - ci]], dtype=np.int64)).pvalue
                       for ai, bi, ci, di in zip(a, b, c, d)])
    rows = []
    p1, p2 = a / b, c / d
    with np.errstate(divide="ignore", invalid="ignore"):
        estimates = {"difference": p1 - p2, "ratio": p1 / p2, "odds_ratio": (p1 / (1 - p1)) / (p2 / (1 - p2))}
    for lev in levels:
        for measure, (ci_fn, ci_name) in comps.items():
            lo, hi = ci_fn(a, b, c, d, 1 - lev)
            rows.append(pd.DataFrame(dict(
                x1=a.astype(np.int64), n1=b.astype(np.int64), x2=c.astype(np.int64), n2=d.astype(np.int64),
                p1=p1, p2=p2, measure=measure, estimate=estimates[measure],
                lower=np.asarray(lo, float), upper=np.asarray(hi, float),
                method=ci_name, level=lev, statistic=t_stat,
                p_value=t_pval, test="score", fisher_p_value=fisher,
            )))
    return pd.concat(rows, ignore_index=True)


def _rate_ratio_exact(c1, e1, c2, e2, alpha):
    """Conditional exact interval for the rate ratio (= R ``poisson.test(c(c1, c2), c(e1, e2))``).

    Given c1 + c2 = m, c1 is binomial with p = R e1 / (R e1 + e2); the Clopper-Pearson limits for p turn into
    limits for R = p / (1 - p) * e2 / e1.  It is 0 when c1 = 0, infinite when c2 = 0, and [0, inf] when both are 0
    (nothing to condition on).
    """
    m = c1 + c2
    pos = m > 0
    lo_p, hi_p = np.zeros(c1.shape), np.ones(c1.shape)
    if pos.any():
        lp, hp = sm_prop.proportion_confint(c1[pos], m[pos], alpha=alpha, method="beta")
        lo_p[pos], hi_p[pos] = lp, hp
    lo_p[c1 == 0] = 0.0
    hi_p[c2 == 0] = 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        lo = lo_p / (1 - lo_p) * e2 / e1
        hi = np.where(hi_p >= 1, np.inf, hi_p / (1 - hi_p) * e2 / e1)
    return lo, hi


def _score_difference_statistic(c1, e1, c2, e2, d):
    """statsmodels' score statistic for H0: rate1 - rate2 = d (``test_poisson_2indep(method='score',
    compare='diff')``), elementwise; decreasing in d."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(sm_rates.test_poisson_2indep(c1, e1, c2, e2, value=d, method="score",
                                                       compare="diff").statistic, dtype=float)


def _rate_difference_score(c1, e1, c2, e2, alpha):
    """Score interval for the rate difference: the differences d at which statsmodels' score statistic equals
    +-z, found by vectorised bisection to within a few floats.

    statsmodels' own ``confint_poisson_2indep(method='score', compare='diff')`` inverts the p-value with
    Nelder-Mead at an absolute tolerance of 1e-8: its limits are off by up to 1e-4 relative at small rates, and
    with a zero count at low levels it can return a point outside the estimate.  Inverting the same statistic by
    bisection gives the limits an independent R computation gives (``tests/results/rates_difference_score.R``),
    and is defined with zero counts too (both 0: ``[-z^2/e2, z^2/e1]``, as the MOVER interval from the two
    single-rate score limits).
    """
    z = special.ndtri(1 - alpha / 2)
    est = c1 / e1 - c2 / e2
    scale = z * np.sqrt((c1 + 1) / e1**2 + (c2 + 1) / e2**2)

    def limit(target, sign):
        inner, outer = est.copy(), est + sign * scale  # the target lies between stat(inner) and stat(outer)
        for _ in range(2100):  # widen until the target is bracketed (doubling: a few steps)
            short = sign * (_score_difference_statistic(c1, e1, c2, e2, outer) - target) > 0
            if not short.any():
                break
            inner[short], outer[short] = outer[short], est[short] + 2 * (outer[short] - est[short])
        for _ in range(2100):  # bisect until the bracket is a few floats wide (or 1e-16 of the scale, near 0)
            mid = 0.5 * (inner + outer)
            live = np.abs(outer - inner) > np.maximum(4 * np.spacing(np.abs(mid)), 1e-16 * scale)
            if not live.any():
                break
            past = sign * (_score_difference_statistic(c1, e1, c2, e2, mid) - target) <= 0
            outer = np.where(live & past, mid, outer)
            inner = np.where(live & ~past, mid, inner)
        return outer

    return limit(z, -1.0), limit(-z, 1.0), np.full(est.shape, "score", dtype=object)


#: measure -> (interval function (c1, e1, c2, e2, alpha) -> (lower, upper) on the rate scale, method name)
_RATE_COMPARISONS: dict[str, tuple[Callable, str]] = {
    "ratio": (_rate_ratio_exact, "exact-cond"),
    "difference": (_rate_difference_score, "score"),
}


def compare_rates(c1, e1, c2, e2, level=0.95, measures=("ratio", "difference"), per: float = 1
                  ) -> pd.DataFrame:
    """Compare two independent Poisson rates ``c1/e1`` and ``c2/e2``.

    The rate ratio gets the conditional exact interval (= R ``poisson.test(c(c1, c2), c(e1, e2))``), which
    stays valid at zero counts (lower limit 0 when c1 = 0, upper limit infinite when c2 = 0); the rate difference
    gets the score interval: the differences at which statsmodels' score statistic (``test_poisson_2indep(
    method='score', compare='diff')``) equals +-z, found by bisection to within a few floats (statsmodels' own
    ``confint_poisson_2indep`` inverts it with Nelder-Mead at a tolerance of 1e-8, too loose for small rates,
    and can fail with a zero count); it is defined at zero counts too.  The test is the conditional exact
    (binomial) test (statsmodels ``test_poisson_2indep(method='exact-cond')``).

    Parameters
    ----------
    c1, e1, c2, e2 : array_like
        Counts and exposures of group 1 and group 2.
    level : float or sequence of float
        Confidence level(s).
    measures : sequence of {'ratio', 'difference'}
        Which contrasts to report.
    per : float
        Multiplier for the rates and their difference (e.g. 1000 for per 1,000 bed days).

    Returns
    -------
    pandas.DataFrame
        One row per comparison, measure and level: ``c1, e1, c2, e2, rate1, rate2, measure, estimate, lower,
        upper, method, level, statistic, p_value, test``.  With both counts 0 the test has nothing to condition on:
        ``p_value`` is 1 and ``statistic`` NaN.

    Notes
    -----
    The test is computed one comparison at a time (statsmodels solves it singly): comparisons are meant to be
    few, not one per unit.  The difference interval is vectorised.
    """
    levels = check_levels(level)
    if isinstance(measures, str):
        measures = (measures,)
    comps = {m: check_method(m, _RATE_COMPARISONS, "measures") for m in measures}
    a = as_counts(c1, "c1")
    b = as_positive(e1, "e1")
    c = as_counts(c2, "c2")
    d = as_positive(e2, "e2")
    per_v = _single_per(per)
    a, b, c, d = broadcast({"c1": a, "e1": b, "c2": c, "e2": d})
    # the conditional test has nothing to condition on when both counts are 0: no evidence, p = 1
    with np.errstate(divide="ignore", invalid="ignore"):  # statsmodels divides by a zero rate to report it
        tests = [sm_rates.test_poisson_2indep(int(ai), bi, int(ci), di, method="exact-cond") if ai + ci > 0
                 else None for ai, bi, ci, di in zip(a, b, c, d)]
    stat = np.array([np.nan if t is None else t.statistic for t in tests], dtype=float)
    pval = np.array([1.0 if t is None else t.pvalue for t in tests], dtype=float)
    r1, r2 = a / b, c / d
    with np.errstate(divide="ignore", invalid="ignore"):
        estimates = {"ratio": r1 / r2, "difference": (r1 - r2) * per_v}
    scale = {"ratio": 1.0, "difference": per_v}
    rows = []
    for lev in levels:
        for measure, (ci_fn, ci_name) in comps.items():
            lo, hi, *used = ci_fn(a, b, c, d, 1 - lev)  # an interval function may name its method per comparison
            rows.append(pd.DataFrame(dict(
                c1=a.astype(np.int64), e1=b, c2=c.astype(np.int64), e2=d, rate1=r1 * per_v, rate2=r2 * per_v,
                measure=measure, estimate=estimates[measure], lower=np.asarray(lo, float) * scale[measure],
                upper=np.asarray(hi, float) * scale[measure], method=used[0] if used else ci_name, level=lev,
                statistic=stat,
                p_value=pval, test="exact-cond",
            )))
    return pd.concat(rows, ignore_index=True)


def proportion_test(x, n, value, alternative: str = "two-sided") -> pd.DataFrame:
    """Exact binomial test of ``x`` events in ``n`` trials against a reference proportion ``value``.

    Used to set a unit's or a study's proportion against a national figure whose own sampling error is negligible
    (e.g. 26 charges of 1,374 reports against the national rape charge rate).  Two-sided p-values are the
    central (doubled one-sided) exact p-values, capped at 1, as R ``exactci::binom.exact(tsmethod = "central")``;
    they are vectorised.

    Parameters
    ----------
    x, n : int or array_like
        Events and trials.
    value : float or array_like
        Reference proportion(s), strictly between 0 and 1.
    alternative : {'two-sided', 'less', 'greater'}

    Returns
    -------
    pandas.DataFrame
        ``[unit,] x, n, value, estimate, expected, p_less, p_greater, p_value, alternative``.
    """
    labels = unit_labels(x=x, n=n)
    alt = check_method(alternative, {"two-sided": "two-sided", "less": "less", "greater": "greater"}, "alternative")
    xa = as_counts(x, "x", labels)
    na = as_counts(n, "n", labels)
    va = as_probability(value, "value", open_interval=True)
    xa, na, va = broadcast({"x": xa, "n": na, "value": va})
    if labels is not None and len(labels) != xa.size:
        labels = None
    as_positive(na, "n", labels)
    check_le(xa, na, "x", "n", labels)
    p_less = stats.binom.cdf(xa, na, va)
    p_greater = stats.binom.sf(xa - 1, na, va)
    p = {"less": p_less, "greater": p_greater,
         "two-sided": np.minimum(1.0, 2 * np.minimum(p_less, p_greater))}[alt]
    return _inputs(labels, x=xa.astype(np.int64), n=na.astype(np.int64), value=va, estimate=xa / na,
                   expected=na * va, p_less=p_less, p_greater=p_greater, p_value=p, alternative=alt)
