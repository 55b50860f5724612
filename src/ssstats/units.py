"""Models across units: how much do units really differ once chance is allowed for?

* :func:`fit_beta_binomial` -- proportions (e.g. charges per police report) across units: beta-binomial maximum
  likelihood in VGAM's parametrisation, profile-likelihood intervals, a boundary-corrected test against the plain
  binomial, empirical-Bayes (shrunken) unit estimates, censored cells ("*", "<5") in the likelihood.
* :func:`fit_negative_binomial` -- counts per unit of exposure (e.g. incidents per bed day): NB2 through
  statsmodels, with gamma-Poisson empirical-Bayes unit rates.
* :func:`fit_quasibinomial` and :func:`fit_beta_binomial_regression` -- proportions with covariates (ward type,
  sector, a period trend).

The beta-binomial likelihood is written as products over k = 0, 1, ..., n - 1 (Griffiths 1973; VGAM's
``dbetabinom`` takes the same route near rho = 0)::

    P(Y = y | n) = C(n, y) prod_{k<y} (mu(1-rho) + k rho) prod_{k<n-y} ((1-mu)(1-rho) + k rho)
                   / prod_{k<n} ((1-rho) + k rho)

so that the log-likelihood of all uncensored units together is sum_k [N(y > k) log a_k + N(n - y > k) log b_k -
N(n > k) log c_k], where N(y > k) counts the units with more than k successes (and so on): the counts are
tabulated once, and each evaluation is a few dot products over k = 0 .. max n, whatever the number of units or of
distinct (y, n) pairs.  Censored units (few, with a range of y each) use cumulative sums over k of the same
terms.  It is exact at rho = 0 (the binomial), so the boundary needs no special case.  Where the largest unit's
trials exceed about a hundred times the number of distinct (y, n) pairs (a few units with many trials), or
200,000 in any case, the same likelihood is computed per pair from log-gamma differences written without
cancellation (Stirling series for large arguments): the cheaper form is used, and memory does not grow with the
counts.  Gradient and Hessian are analytic in both forms.

References
----------
.. [1] Griffiths, D. A. (1973). Maximum likelihood estimation for the beta-binomial distribution and an
   application to the household distribution of the total number of cases of a disease. *Biometrics* 29, 637-648.
.. [2] Yee, T. W. (2015). *Vector Generalized Linear and Additive Models*. Springer (VGAM ``betabinomial``:
   mu = alpha/(alpha + beta), rho = 1/(1 + alpha + beta)).
.. [3] Self, S. G. and Liang, K.-Y. (1987). Asymptotic properties of maximum likelihood estimators and likelihood
   ratio tests under nonstandard conditions. *JASA* 82, 605-610 (the 1/2 chi2_0 + 1/2 chi2_1 mixture).
.. [4] Venables, W. N. and Ripley, B. D. (2002). *Modern Applied Statistics with S*, 4th ed. Springer
   (``MASS::glm.nb``, theta = 1/alpha).
.. [5] McCullagh, P. and Nelder, J. A. (1989). *Generalized Linear Models*, 2nd ed. Chapman & Hall (quasi-binomial
   dispersion from Pearson's chi-squared).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from ._result import Result, format_ci
from ._validate import SSStatsError, _to_array, as_counts, as_positive, broadcast, check_levels, unit_labels

__all__ = [
    "fit_beta_binomial",
    "fit_negative_binomial",
    "fit_quasibinomial",
    "fit_beta_binomial_regression",
    "BetaBinomialFit",
    "NegativeBinomialFit",
    "RegressionFit",
    "LikelihoodRatioTest",
]

class LikelihoodRatioTest(NamedTuple):
    """Likelihood-ratio test of rho = 0 against the binomial (boundary mixture 1/2 chi2_0 + 1/2 chi2_1)."""

    statistic: float
    p_value: float


_EPS = 1e-12  # distance kept from mu = 0, mu = 1 and rho = 1 by the optimisers
_RHO_MAX = 1 - 1e-9


# ---------------------------------------------------------------------------------------------------------------
# input handling

def _where(i, labels):
    return f" for unit {labels[i]!r} (position {i})" if labels is not None else f" at position {i}"


def _labels(labels, n, **values):
    found = unit_labels(**values)  # refuses Series whose indexes disagree
    if labels is None:
        labels = found
    if labels is None:
        return None
    labels = np.asarray(labels, dtype=object)
    if labels.size != n:
        raise SSStatsError(f"`labels` must have one label per unit ({n}); got {labels.size}")
    return labels


def _float_array(value, name):
    """1-D float array without judging NaNs (they may mean censored); booleans, text and other non-numeric input
    are refused, naming the value and its position (``ssstats._validate``'s conversion)."""
    return _to_array(value, name)[0]


def _check_length(arrays: dict):
    sizes = {k: v.size for k, v in arrays.items()}
    if len(set(sizes.values())) > 1:
        desc = ", ".join(f"`{k}` has {s}" for k, s in sizes.items())
        raise SSStatsError(f"inputs must have one value per unit; {desc}")


def _check_pair(censored):
    """``censored`` must be a (lower, upper) pair; otherwise say what it was."""
    if not isinstance(censored, (tuple, list)) or len(censored) != 2:
        got = (f"a {type(censored).__name__} of length {len(censored)}" if isinstance(censored, (tuple, list))
               else f"{type(censored).__name__} {np.asarray(censored, dtype=object).ravel()[:3].tolist()!r}...")
        raise SSStatsError(f"`censored` must be a pair (lower, upper) of integer arrays, one value per unit; got "
                           f"{got}")


def _check_counts_at(arr, mask, name, labels):
    """as_counts on the entries under ``mask``, reporting original positions."""
    idx = np.flatnonzero(mask)
    sub = arr[idx]
    bad = ~np.isfinite(sub) | (sub < 0) | (sub != np.round(sub))
    if bad.any():
        i = idx[np.flatnonzero(bad)[0]]
        v = arr[i]
        what = ("missing (NaN)" if np.isnan(v) else "not a non-negative whole number") + f": {float(v)!r}"
        raise SSStatsError(f"`{name}` must be a non-negative integer count; got a value that is {what}"
                           f"{_where(int(i), labels)}")


# ---------------------------------------------------------------------------------------------------------------
# beta-binomial likelihood on grouped data

@dataclass
class _BBData:
    """Units grouped into identical (y, n) pairs; censored units expanded into one row per possible y.

    For the uncensored groups the likelihood needs only, for every k, the number of units with y > k, with
    n - y > k and with n > k (``ny``, ``nm``, ``nn``): sum_i sum_{k<y_i} log a_k = sum_k ny[k] log a_k.
    """

    y: np.ndarray  # uncensored groups
    n: np.ndarray
    w: np.ndarray  # number of units in each group
    cy: np.ndarray  # censored rows (one per possible y of a censored group)
    cn: np.ndarray
    cstart: np.ndarray  # start row of each censored group (for reduceat)
    cw: np.ndarray  # units per censored group
    kmax: int
    closed: bool = field(init=False)  # likelihood from log-gamma functions, not k-tables
    lchoose: np.ndarray = field(init=False)
    clchoose: np.ndarray = field(init=False)
    ny: np.ndarray = field(init=False)  # units (uncensored) with y > k, k = 0, 1, ...
    nm: np.ndarray = field(init=False)  # with n - y > k
    nn: np.ndarray = field(init=False)  # with n > k
    const: float = field(init=False)  # sum of the binomial coefficients of the uncensored units
    ckmax: int = field(init=False)  # largest number of trials among the censored units

    def __post_init__(self):
        self.lchoose = _lchoose(self.n, self.y)
        self.clchoose = _lchoose(self.cn, self.cy)
        self.const = float(np.dot(self.w, self.lchoose))
        self.ckmax = int(self.cn.max()) if self.cn.size else 0
        # the cheaper form: the tables cost O(largest n) per evaluation, the closed form O(rows), each row about a
        # hundred times a table entry (and a fixed cost of some 20,000 entries); above _KMAX_TABLE always closed
        rows = self.y.size + self.cy.size
        self.closed = self.kmax > _KMAX_TABLE or self.kmax > _CLOSED_PER_ROW * rows + _CLOSED_FIXED
        if not self.closed:
            self.ny, self.nm, self.nn = (_exceed(v, self.w) for v in (self.y, self.n - self.y, self.n))
        else:
            self.ny = self.nm = self.nn = np.zeros(0)

    @property
    def has_censored(self):
        return self.cw.size > 0


def _exceed(v, w):
    """c[k] = total weight of the entries with v > k, for k = 0 .. max(v) - 1 (trailing zeros trimmed)."""
    if v.size == 0:
        return np.zeros(0)
    cnt = np.bincount(v.astype(np.int64), weights=w)
    return (w.sum() - np.cumsum(cnt))[:-1]


def _expand_ranges(lo, hi):
    """One row per integer in each [lo_i, hi_i]: (values, start row of each range, range index of each row)."""
    lens = (hi - lo + 1).astype(np.int64)
    start = np.concatenate([[0], np.cumsum(lens)[:-1]]).astype(np.int64)
    grp = np.repeat(np.arange(lens.size), lens)
    return (lo[grp] + np.arange(lens.sum()) - start[grp]).astype(float), start, grp


def _lchoose(n, y):
    return special.gammaln(n + 1) - special.gammaln(y + 1) - special.gammaln(n - y + 1)


def _make_data(y, n, clo, chi, cn) -> _BBData:
    """Group uncensored (y, n) and censored (lower, upper, n) units."""
    if y.size:
        base = int(n.max()) + 1
        if base <= 2**31:  # one integer key per (y, n) pair: a 1-D unique is far faster than unique(axis=0)
            key, w = np.unique(y.astype(np.int64) * base + n.astype(np.int64), return_counts=True)
            gy, gn = (key // base).astype(float), (key % base).astype(float)
        else:
            uk, w = np.unique(np.stack([y, n], axis=1), axis=0, return_counts=True)
            gy, gn = uk[:, 0], uk[:, 1]
    else:
        gy = gn = w = np.zeros(0)
    if clo.size:
        ck, cw = np.unique(np.stack([clo, chi, cn], axis=1).astype(np.int64), axis=0, return_counts=True)
        cy, cstart, grp = _expand_ranges(ck[:, 0], ck[:, 1])
        cnn = ck[grp, 2].astype(float)
    else:
        cy = cnn = cw = np.zeros(0)
        cstart = np.zeros(0, dtype=np.int64)
    kmax = int(max(gn.max() if gn.size else 0, cnn.max() if cnn.size else 0))
    return _BBData(gy, gn, w.astype(float), cy, cnn, cstart, cw.astype(float), kmax)


def _terms(mu, rho, kmax, order):
    """Cumulative sums over k of log a_k, log b_k, log c_k and their derivatives in (mu, rho).

    Returns arrays indexed by the number of factors j (0..kmax): L[j] = sum_{k<j} log(.), G[j] (2 derivatives),
    H[j] (3 second derivatives: mu-mu, mu-rho, rho-rho).
    """
    k = np.arange(kmax, dtype=float)
    a = mu + rho * (k - mu)
    b = (1 - mu) + rho * (k - 1 + mu)
    c = 1 + rho * (k - 1)

    def cum(x):
        out = np.empty(x.shape[:-1] + (kmax + 1,))
        out[..., 0] = 0.0
        np.cumsum(x, axis=-1, out=out[..., 1:])
        return out

    with np.errstate(divide="ignore"):
        L = cum(np.stack([np.log(a), np.log(b), np.log(c)]))
    if order == 0:
        return L, None, None
    da_m, da_r = (1 - rho) / a, (k - mu) / a
    db_m, db_r = -(1 - rho) / b, (k - 1 + mu) / b
    dc_r = (k - 1) / c
    G = cum(np.stack([da_m, da_r, db_m, db_r, dc_r]))
    if order == 1:
        return L, G, None
    H = cum(np.stack([
        -da_m ** 2, -1 / a - da_m * da_r, -da_r ** 2,
        -db_m ** 2, 1 / b - db_m * db_r, -db_r ** 2,
        -dc_r ** 2,
    ]))
    return L, G, H


def _rows(L, G, H, y, n, lchoose):
    """Per-row log-likelihood, gradient (rows x 2) and Hessian entries (rows x 3) of P(Y = y | n)."""
    iy, iny, inn = y.astype(np.int64), (n - y).astype(np.int64), n.astype(np.int64)
    ll = lchoose + L[0, iy] + L[1, iny] - L[2, inn]
    if G is None:
        return ll, None, None
    g = np.stack([G[0, iy] + G[2, iny], G[1, iy] + G[3, iny] - G[4, inn]], axis=1)
    if H is None:
        return ll, g, None
    h = np.stack([H[0, iy] + H[3, iny], H[1, iy] + H[4, iny], H[2, iy] + H[5, iny] - H[6, inn]], axis=1)
    return ll, g, h


def _censored(ll, g, h, start):
    """log P(lower <= Y <= upper) per censored group from its rows, with derivatives."""
    m = np.maximum.reduceat(ll, start)
    cnt = np.diff(np.append(start, ll.size))
    p = np.exp(ll - np.repeat(m, cnt))
    s = np.add.reduceat(p, start)
    lg = m + np.log(s)
    if g is None:
        return lg, None, None
    wgt = (p / np.repeat(s, cnt))[:, None]
    gg = np.add.reduceat(wgt * g, start, axis=0)
    if h is None:
        return lg, gg, None
    outer = np.stack([g[:, 0] ** 2, g[:, 0] * g[:, 1], g[:, 1] ** 2], axis=1)
    hh = np.add.reduceat(wgt * (h + outer), start, axis=0)
    hh = hh - np.stack([gg[:, 0] ** 2, gg[:, 0] * gg[:, 1], gg[:, 1] ** 2], axis=1)
    return lg, gg, hh


_KMAX_TABLE = 200_000  # above this many trials in a unit, the closed (log-gamma) form replaces the k-tables
_CLOSED_PER_ROW = 100  # cost of one (y, n) row of the closed form in table entries (measured, NumPy)
_CLOSED_FIXED = 20_000  # fixed cost of an evaluation of the closed form, in table entries
_STIRLING = 100.0  # arguments from which the asymptotic series are used


def _log1pmx(z):
    """log(1 + z) - z, accurate for small z."""
    z = np.asarray(z, dtype=float)
    small = np.abs(z) < 0.01
    zs = np.where(small, z, 0.0)
    series = sum((-1) ** (k + 1) * zs ** k / k for k in range(2, 12))
    with np.errstate(invalid="ignore", divide="ignore"):
        direct = np.log1p(z) - z
    return np.where(small, series, direct)


def _stirling_rest(z):
    """lgamma(z) - [(z - 1/2) log z - z + log(2 pi)/2] for z >= 100."""
    z2 = z * z
    return (1 / 12 - (1 / 360 - (1 / 1260 - 1 / (1680 * z2)) / z2) / z2) / z


def _lgamma_rest(x, m):
    """E(x, m) = lgamma(x + m) - lgamma(x) - m log(x + m), without cancellation for large x."""
    big = x >= _STIRLING
    xb = np.where(big, x, _STIRLING)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = m / xb
        e_big = xb * _log1pmx(z) - 0.5 * np.log1p(z) + _stirling_rest(xb + m) - _stirling_rest(xb)
        xs = np.where(big, 1.0, x)
        e_small = special.gammaln(xs + m) - special.gammaln(xs) - m * np.log(xs + m)
    return np.where(big, e_big, e_small)


def _dpsi(x, m):
    """digamma(x + m) - digamma(x), via log1p and the asymptotic series for large x."""
    big = x >= _STIRLING
    xb = np.where(big, x, _STIRLING)

    def rest(z):  # digamma(z) - log(z)
        z2 = z * z
        return -1 / (2 * z) - (1 / 12 - (1 / 120 - 1 / (252 * z2)) / z2) / z2

    d_big = np.log1p(m / xb) + rest(xb + m) - rest(xb)
    xs = np.where(big, 1.0, x)
    d_small = special.digamma(xs + m) - special.digamma(xs)
    return np.where(big, d_big, d_small)


def _dpsi1(x, m):
    """trigamma(x + m) - trigamma(x), via the asymptotic series (differences taken in closed form) for large x."""
    big = x >= _STIRLING
    xb = np.where(big, x, _STIRLING)
    z = xb + m
    # trigamma(t) ~ 1/t + 1/(2t^2) + 1/(6t^3) - 1/(30t^5) + 1/(42t^7) - 1/(30t^9)
    d1 = -m / (xb * z)
    d2 = -m * (2 * xb + m) / (xb * z) ** 2
    d3 = -m * (3 * xb * xb + 3 * xb * m + m * m) / (xb * z) ** 3
    rest = (-1 / (30 * z ** 5) + 1 / (42 * z ** 7) - 1 / (30 * z ** 9)) - (
        -1 / (30 * xb ** 5) + 1 / (42 * xb ** 7) - 1 / (30 * xb ** 9))
    d_big = d1 + d2 / 2 + d3 / 6 + rest
    xs = np.where(big, 1.0, x)
    d_small = special.polygamma(1, xs + m) - special.polygamma(1, xs)
    return np.where(big, d_big, d_small)


def _lbeta_ratio(a, b, y, m):
    """log B(a + y, b + m) - log B(a, b) without the cancellation of log-gammas of the trials.

    With s = a + b, n = y + m and E as in :func:`_lgamma_rest` (lgamma(b + m) - lgamma(s + n) and lgamma(s) -
    lgamma(b) combined through s + n = (b + m) + (a + y)):
    y log q + E(a, y) - a log(1 + n/s) + E(b, a) - E(b + m, a + y), q = (a + y)/(s + n); every term is of the
    size of the smaller side (a + y), not of n (with 1e9 trials and 1e3 successes the three-term form
    E(a, y) + E(b, m) - E(s, n) loses 1e-7 per unit to rounding).  The mirror form is used where b + m is the
    smaller side.
    """
    a, b, y, m = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (a, b, y, m)))
    swap = a + y > b + m
    a, b, y, m = np.where(swap, b, a), np.where(swap, a, b), np.where(swap, m, y), np.where(swap, y, m)
    s, n = a + b, y + m
    with np.errstate(divide="ignore", invalid="ignore"):
        q = (a + y) / (s + n)
        base = np.where(y > 0, y * np.log(q), 0.0) + _lgamma_rest(a, y)
        t1, t2, t3 = a * np.log1p(n / s), _lgamma_rest(b, a), _lgamma_rest(b + m, a + y)
        # the three-term form, better where s is large against n (both E terms then small)
        u1, u2 = _lgamma_rest(b, m), _lgamma_rest(s, n)
        new = base - t1 + t2 - t3
        old = base + np.where(m > 0, m * np.log1p(-q), 0.0) + u1 - u2
        # each form's rounding error is about eps times its largest term
        use_old = np.maximum(np.abs(u1), np.abs(u2)) < np.maximum(np.maximum(np.abs(t1), np.abs(t2)), np.abs(t3))
        return np.where(use_old, old, new)


def _rows_closed(mu, rho, y, n, lchoose, order):
    """Per-row log-likelihood, gradient and Hessian in (mu, rho) from log-gamma functions (for very large n).

    With s = (1 - rho)/rho, alpha = mu s, beta = (1 - mu) s and q = (alpha + y)/(s + n):
    log P = log C(n, y) + y log q + (n - y) log(1 - q) + E(alpha, y) + E(beta, n - y) - E(s, n), where
    E(x, m) = lgamma(x + m) - lgamma(x) - m log(x + m) (computed without cancellation).  At rho = 0 the binomial
    and the closed forms of the product representation's derivatives are used.
    """
    m = n - y
    if rho == 0:
        with np.errstate(divide="ignore", invalid="ignore"):
            ll = lchoose + np.where(y > 0, y * np.log(mu), 0.0) + np.where(m > 0, m * np.log1p(-mu), 0.0)
        if order == 0:
            return ll, None, None
        s1 = lambda j: j * (j - 1) / 2  # noqa: E731  sum_{k<j} k
        s2 = lambda j: (j - 1) * j * (2 * j - 1) / 6  # noqa: E731  sum_{k<j} k^2
        u = 1 - mu
        g = np.stack([y / mu - m / u,
                      (s1(y) - mu * y) / mu + (s1(m) - u * m) / u - (s1(n) - n)], axis=1)
        if order == 1:
            return ll, g, None

        def sq(j, c):  # sum_{k<j} (k - c)^2
            return s2(j) - 2 * c * s1(j) + j * c * c

        h = np.stack([
            -y / mu ** 2 - m / u ** 2,
            -y / mu - (s1(y) - mu * y) / mu ** 2 + m / u + (s1(m) - u * m) / u ** 2,
            -sq(y, mu) / mu ** 2 - sq(m, u) / u ** 2 + sq(n, 1.0),
        ], axis=1)
        return ll, g, h
    s = (1 - rho) / rho
    a, b = mu * s, (1 - mu) * s
    ll = lchoose + _lbeta_ratio(a, b, y, m)
    if order == 0:
        return ll, None, None
    dn = _dpsi(s, n)
    la = _dpsi(a, y) - dn
    lb = _dpsi(b, m) - dn
    r2 = rho * rho
    ja = np.array([s, -mu / r2])  # d alpha / d(mu, rho)
    jb = np.array([-s, -(1 - mu) / r2])
    g = np.stack([la * ja[0] + lb * jb[0], la * ja[1] + lb * jb[1]], axis=1)
    if order == 1:
        return ll, g, None
    tn = _dpsi1(s, n)
    haa = _dpsi1(a, y) - tn
    hbb = _dpsi1(b, m) - tn
    hab = -tn

    def quad(i, j):
        return haa * ja[i] * ja[j] + hab * (ja[i] * jb[j] + jb[i] * ja[j]) + hbb * jb[i] * jb[j]

    r3 = r2 * rho
    h = np.stack([
        quad(0, 0),
        quad(0, 1) + la * (-1 / r2) + lb * (1 / r2),
        quad(1, 1) + la * (2 * mu / r3) + lb * (2 * (1 - mu) / r3),
    ], axis=1)
    return ll, g, h


def _counts_loglik(d: _BBData, mu, rho, order):
    """Log-likelihood of the uncensored groups, with gradient and Hessian entries, from the exceedance counts.

    sum_k ny[k] log a_k + nm[k] log b_k - nn[k] log c_k (plus the binomial coefficients): O(largest n) per
    evaluation, whatever the number of units or distinct (y, n) pairs.
    """
    ny, nm, nn = d.ny, d.nm, d.nn
    ky, km, kn = (np.arange(v.size, dtype=float) for v in (ny, nm, nn))
    a = mu + rho * (ky - mu)
    b = (1 - mu) + rho * (km - 1 + mu)
    c = 1 + rho * (kn - 1)
    with np.errstate(divide="ignore"):  # log 0 = -inf at rho = 1 (a point a line search then rejects)
        tot = d.const + ny @ np.log(a) + nm @ np.log(b) - nn @ np.log(c)
    if order == 0:
        return tot, None, None
    ia, ib, ic = 1 / a, 1 / b, 1 / c
    da_m, da_r = (1 - rho) * ia, (ky - mu) * ia
    db_m, db_r = -(1 - rho) * ib, (km - 1 + mu) * ib
    dc_r = (kn - 1) * ic
    grad = np.array([ny @ da_m + nm @ db_m, ny @ da_r + nm @ db_r - nn @ dc_r])
    if order == 1:
        return tot, grad, None
    wa, wb = ny * da_m, nm * db_m
    hess = np.array([
        -(wa @ da_m) - wb @ db_m,
        -(ny @ ia) - wa @ da_r + nm @ ib - wb @ db_r,
        -((ny * da_r) @ da_r) - (nm * db_r) @ db_r + (nn * dc_r) @ dc_r,
    ])
    return tot, grad, hess


def _bb_loglik(d: _BBData, mu, rho, order=0):
    """Total log-likelihood (with binomial coefficients) and, for ``order`` >= 1, gradient and Hessian."""
    if d.closed:
        def rows(y, n, lch):
            return _rows_closed(mu, rho, y, n, lch, order)

        ll, g, h = rows(d.y, d.n, d.lchoose)
        tot = np.dot(d.w, ll)
        grad = d.w @ g if order else None
        hess = d.w @ h if order > 1 else None
    else:
        tot, grad, hess = _counts_loglik(d, mu, rho, order)
        if d.has_censored:
            L, G, H = _terms(mu, rho, d.ckmax, order)

            def rows(y, n, lch):
                return _rows(L, G, H, y, n, lch)
    if d.has_censored:
        cl, cg, ch = _censored(*rows(d.cy, d.cn, d.clchoose), d.cstart)
        tot = tot + np.dot(d.cw, cl)
        if order:
            grad = grad + d.cw @ cg
            if order > 1:
                hess = hess + d.cw @ ch
    if order == 0:
        return float(tot)
    if order == 1:
        return float(tot), grad
    return float(tot), grad, np.array([[hess[0], hess[1]], [hess[1], hess[2]]])


def _maximise_1d(f, x0, lo, hi, tol=1e-13, maxiter=100):
    """Safeguarded Newton maximisation on [lo, hi]; ``f(x) -> (value, first, second)``."""
    x = min(max(x0, lo), hi)
    v, d1, d2 = f(x)
    for _ in range(maxiter):
        step = -d1 / d2 if d2 < 0 else np.sign(d1) * max(abs(x) * 0.1, 1e-3)
        xn = min(max(x + step, lo), hi)
        # on the concave side, a Newton step whose predicted gain d1^2 / (2 |d2|) is below the value's rounding
        # is taken as it is and ends the search: beyond it the search would only chase rounding noise (dozens of
        # evaluations per profile point with a million units)
        if d2 < 0 and 0.5 * d1 * d1 / -d2 <= 1e-15 * max(1.0, abs(v)):
            return xn, v
        # a Newton step this small is the remaining error: the value cannot be improved beyond rounding (and a
        # line search on rounding noise would only halve the step to nothing)
        if xn == x or (d2 < 0 and abs(xn - x) < tol * max(1.0, abs(x))):
            break
        for _ in range(60):
            vn, d1n, d2n = f(xn)
            # uphill, or (where rounding hides the rise) a smaller slope on the concave side of the maximum
            if vn >= v - 1e-14 * abs(v) or (d2 < 0 and d2n < 0 and abs(d1n) < 0.5 * abs(d1)):
                break
            xn = x + (xn - x) / 2
            if abs(xn - x) < tol * max(1.0, abs(x)):
                return x, v
        else:
            break
        moved = abs(xn - x)
        x, v, d1, d2 = xn, vn, d1n, d2n
        if moved < tol * max(1.0, abs(x)):
            break
    return x, v


class _BBProfile:
    """Maximisation and profiles of the beta-binomial log-likelihood on grouped data."""

    def __init__(self, d: _BBData):
        self.d = d

    def ll(self, mu, rho, order=0):
        return _bb_loglik(self.d, mu, rho, order)

    def best_mu(self, rho, mu0):
        def f(m):
            v, g, h = self.ll(m, rho, 2)
            return v, g[0], h[0, 0]

        return _maximise_1d(f, mu0, _EPS, 1 - _EPS)

    def best_rho(self, mu, rho0):
        def f(r):
            v, g, h = self.ll(mu, r, 2)
            return v, g[1], h[1, 1]

        r, v = _maximise_1d(f, rho0, 0.0, _RHO_MAX)
        v0 = self.ll(mu, 0.0)
        return (0.0, v0) if v0 > v else (r, v)

    def ll_ab(self, alpha, beta, free):
        """Log-likelihood in (alpha, beta) with its first and second derivatives in log(free), free = the
        index (0 alpha, 1 beta) of the parameter maximised over in the profiles of the other one."""
        sab = alpha + beta
        mu, rho = alpha / sab, 1 / (1 + sab)
        # far out in the search (a shape parameter 1e15 times the other) mu or rho would round to 0 or 1
        v, g, h = self.ll(min(max(mu, _EPS), 1 - _EPS), min(rho, _RHO_MAX), 2)
        x = (alpha, beta)[free]
        # d(mu, rho)/d(free) and second derivatives (alpha/(alpha + beta), 1/(1 + alpha + beta))
        j = np.array([(beta if free == 0 else -alpha) / sab ** 2, -rho ** 2])
        j2 = np.array([(-2 * beta if free == 0 else 2 * alpha) / sab ** 3, 2 * rho ** 3])
        d1 = g @ j
        d2 = j @ h @ j + g @ j2
        return v, d1 * x, d2 * x * x + d1 * x  # chain rule to log(free)

    def best_ab(self, fixed_value, fixed, x0):
        """Maximum over the other shape parameter (on its log scale, started at ``x0``) with one held fixed."""
        free = 1 - fixed

        def f(t):
            other = np.exp(t)
            return self.ll_ab(*((fixed_value, other) if fixed == 0 else (other, fixed_value)), free)

        t0 = np.log(x0)
        t, v = _maximise_1d(f, t0, t0 - 40, t0 + 40)
        return float(np.exp(t)), v

    def fit(self, mu0, rho0):
        """Joint maximum: quasi-Newton with bounds, then Newton polish (interior) or the boundary rho = 0."""
        scale = max(1.0, float(self.d.w.sum() + self.d.cw.sum()))

        def neg(x):
            v, g = self.ll(x[0], x[1], 1)
            return -v / scale, -g / scale

        res = optimize.minimize(neg, np.array([mu0, rho0]), jac=True, method="L-BFGS-B",
                                bounds=[(_EPS, 1 - _EPS), (0.0, _RHO_MAX)],
                                options=dict(ftol=1e-15, gtol=1e-11, maxiter=1000))
        mu, rho = float(res.x[0]), float(res.x[1])
        # the boundary: best mu at rho = 0 and the score for rho there
        mu_b, v_b = self.best_mu(0.0, mu)
        _, g_b = self.ll(mu_b, 0.0, 1)
        # Newton polish in the interior
        v = self.ll(mu, rho)
        if rho > 0:
            for _ in range(50):
                v, g, h = self.ll(mu, rho, 2)
                try:
                    step = -np.linalg.solve(h, g)
                except np.linalg.LinAlgError:
                    break
                if not np.all(np.isfinite(step)) or np.linalg.eigvalsh(h).max() >= 0:
                    break
                # a step whose predicted gain is within the value's rounding (sums over 1e5 trials per unit carry
                # ~1e-11 relative) cannot be judged by the value: taken as it is, the last one
                if -0.5 * (g @ step) <= 1e-11 * max(1.0, abs(v)):
                    mn, rn = mu + step[0], rho + step[1]
                    if _EPS <= mn <= 1 - _EPS and 0 <= rn <= _RHO_MAX:
                        mu, rho = mn, rn
                    break
                t = 1.0
                while t > 1e-6:
                    mn, rn = mu + t * step[0], rho + t * step[1]
                    if _EPS <= mn <= 1 - _EPS and 0 <= rn <= _RHO_MAX and self.ll(mn, rn) >= v - 1e-13 * abs(v):
                        break
                    t /= 2
                else:
                    break
                mu, rho = mu + t * step[0], rho + t * step[1]
                if np.all(np.abs(t * step) < 1e-14 * np.maximum(1e-3, [mu, rho])):  # relative: rho may be 1e-10
                    break
            v = self.ll(mu, rho)
        if v_b >= v or rho <= 0 or (g_b[1] <= 0 and rho < 1e-7):
            return mu_b, 0.0, v_b
        return mu, rho, v


# ---------------------------------------------------------------------------------------------------------------
# beta-binomial result

def _ci_frame(rows):
    return pd.DataFrame(rows, columns=["parameter", "estimate", "lower", "upper", "method", "level"])


class BetaBinomialFit(Result):
    """Beta-binomial fit across units (see :func:`fit_beta_binomial`).

    Attributes
    ----------
    mu, rho : float
        Mean proportion and intra-unit correlation (VGAM's parametrisation); ``rho = 0`` is the plain binomial.
    alpha, beta : float
        The beta prior's shape parameters, ``alpha = mu (1 - rho) / rho`` (infinite when ``rho = 0``).
    se : dict
        Standard errors from the observed information (delta method for ``alpha``, ``beta`` and the logit
        scales): keys ``mu``, ``rho``, ``alpha``, ``beta``, ``logit_mu``, ``logit_rho``.  At ``rho = 0`` only
        ``mu``'s is defined (binomial), the others are NaN.
    loglik : float
        Maximised log-likelihood, including the binomial coefficients (as VGAM's ``logLik``).
    loglik_binomial : float
        Maximised binomial log-likelihood (rho = 0), with the same censored cells.
    lrt : LikelihoodRatioTest
        Named tuple ``(statistic, p_value)`` of the likelihood-ratio test of rho = 0, p from 1/2 chi2_0 + 1/2 chi2_1.
    ci : pandas.DataFrame
        Profile-likelihood intervals for ``mu``, ``rho``, ``alpha`` and ``beta`` (``alpha`` profiled over
        ``beta`` and ``beta`` over ``alpha``; at ``rho = 0`` their upper limits are infinite and their lower
        limits use the one-sided cut-off, as rho's upper limit).
    n_units, n_excluded, n_censored : int
        Units fitted, units left out because they had no trials, censored units among those fitted.
    """

    _plot_function = "plot_beta_binomial"

    def __init__(self, **kw):
        self.__dict__.update(kw)

    # ------------------------------------------------------------------ unit estimates
    def unit_estimates(self, level: float = 0.95) -> pd.DataFrame:
        """Empirical-Bayes (shrunken) estimate of each unit's proportion.

        The posterior of unit i's proportion given its y successes in n trials is Beta(alpha + y, beta + n - y);
        its mean and equal-tailed interval are reported.  For a censored unit the posterior is the mixture of
        those Betas over y in [lower, upper], weighted by the beta-binomial probabilities of each y; its
        quantiles are found by bisection.  At rho = 0 every unit's posterior is the point mass at mu.

        Returns
        -------
        pandas.DataFrame
            ``unit, successes, trials, censored, lower_successes, upper_successes, raw, estimate, lower, upper,
            level`` (``raw`` = y/n, NaN for censored units); units with no trials are not included.
        """
        (lev,) = check_levels(level)
        y, n, cens, lo, hi = self._y, self._n, self._cens, self._lo, self._hi
        a, b = self.alpha, self.beta
        q = ((1 - lev) / 2, (1 + lev) / 2)
        est = np.empty(n.size)
        lower = np.empty(n.size)
        upper = np.empty(n.size)
        if self.rho == 0:
            est[:] = lower[:] = upper[:] = self.mu
        else:
            u = ~cens
            est[u] = (a + y[u]) / (a + b + n[u])
            lower[u] = special.betaincinv(a + y[u], b + n[u] - y[u], q[0])
            upper[u] = special.betaincinv(a + y[u], b + n[u] - y[u], q[1])
            if cens.any():
                e, lw, up = _mixture_posterior(a, b, lo[cens], hi[cens], n[cens], q)
                est[cens], lower[cens], upper[cens] = e, lw, up
        with np.errstate(invalid="ignore", divide="ignore"):
            raw = np.where(cens, np.nan, y / n)
        unit = self._labels if self._labels is not None else np.arange(n.size)
        return pd.DataFrame(dict(
            unit=unit, successes=np.where(cens, np.nan, y), trials=n.astype(np.int64), censored=cens,
            lower_successes=lo.astype(np.int64), upper_successes=hi.astype(np.int64), raw=raw,
            estimate=est, lower=lower, upper=upper, level=lev,
        ))

    # ------------------------------------------------------------------ predictive interval
    def predictive_interval(self, trials, level=0.95) -> pd.DataFrame:
        """Beta-binomial predictive interval for the successes of a new unit with ``trials`` trials.

        The limits are the (1 - level)/2 and (1 + level)/2 quantiles of BetaBinomial(n, alpha, beta) (binomial
        when rho = 0), i.e. the smallest counts whose cumulative probability reaches those levels; used for
        overdispersed funnel-plot limits.

        Parameters
        ----------
        trials : int or array_like
            Numbers of trials (> 0).
        level : float or sequence of float

        Returns
        -------
        pandas.DataFrame
            ``trials, level, expected, lower, upper`` (counts) and ``lower_proportion``, ``upper_proportion``
            (counts divided by trials); one row per trials value and level.
        """
        levels = check_levels(level)
        n = as_counts(trials, "trials")
        as_positive(n, "trials")
        qs = [(1 - lev) / 2 for lev in levels] + [(1 + lev) / 2 for lev in levels]
        quant = _bb_ppf(qs, n, self.mu, self.rho)
        blocks = []
        for i, lev in enumerate(levels):
            lo, hi = quant[i], quant[len(levels) + i]
            blocks.append(pd.DataFrame(dict(trials=n.astype(np.int64), level=lev, expected=n * self.mu,
                                            lower=lo, upper=hi, lower_proportion=lo / n, upper_proportion=hi / n)))
        return pd.concat(blocks, ignore_index=True)

    # ------------------------------------------------------------------ output
    def to_frame(self) -> pd.DataFrame:
        """One row per parameter: ``parameter, estimate, se, lower, upper, method, level``."""
        ci = self.ci.set_index("parameter")
        rows = []
        for p in ("mu", "rho", "alpha", "beta"):
            val = getattr(self, p)
            lo, hi, meth = (ci.loc[p, "lower"], ci.loc[p, "upper"], ci.loc[p, "method"]) if p in ci.index else (
                np.nan, np.nan, "")
            rows.append(dict(parameter=p, estimate=val, se=self.se[p], lower=lo, upper=hi, method=meth,
                             level=self.level))
        return pd.DataFrame(rows)

    def summary(self) -> str:
        ci = self.ci.set_index("parameter")
        stat, p = self.lrt
        lines = [
            "Beta-binomial model across units (maximum likelihood; VGAM parametrisation)",
            f"  units fitted: {self.n_units}"
            + (f" ({self.n_censored} with censored successes, fitted through P(lower <= Y <= upper))"
               if self.n_censored else "")
            + (f"; {self.n_excluded} unit{'s' if self.n_excluded != 1 else ''} with no trials left out"
               if self.n_excluded else ""),
            f"  successes / trials (uncensored units): {int(self._y[~self._cens].sum())} / "
            f"{int(self._n[~self._cens].sum())}",
            f"  mu  (mean proportion): {format_ci(self.mu, ci.loc['mu', 'lower'], ci.loc['mu', 'upper'], 4)}"
            f"  [{int(round(100 * self.level))}% profile likelihood]",
            f"  rho (intra-unit correlation): "
            f"{format_ci(self.rho, ci.loc['rho', 'lower'], ci.loc['rho', 'upper'], 4)}",
        ]
        if self.rho == 0:
            lines.append("  rho is at its boundary 0: no evidence of variation between units beyond chance; the fit "
                         "is the plain binomial and the rho interval is one-sided.")
        elif self.rho >= _RHO_MAX:
            lines.append("  rho is at its upper boundary 1: within every unit all trials had the same outcome (all "
                         "successes or none), so the units differ completely; alpha and beta tend to 0 and standard "
                         "errors are not available.")
        else:
            lines.append(f"  alpha = {self.alpha:.4g}, beta = {self.beta:.4g}")
        lines += [
            f"  log-likelihood: {self.loglik:.4f} (binomial: {self.loglik_binomial:.4f})",
            f"  LR test of rho = 0: statistic {stat:.3f}, p = {p:.3g} (1/2 chi2_0 + 1/2 chi2_1)",
        ]
        return "\n".join(lines)


def _bb_ppf(q, n, mu, rho, block=4_000_000):
    """Vectorised beta-binomial quantiles: for each q, the smallest y with CDF(y) >= q (binomial at rho = 0).

    Returns an array of shape (len(q), len(n)).

    The CDFs of the distinct trial numbers are tabulated in blocks of similar n (rows padded to the block's largest
    n, at most ``block`` cells at a time) and searched, so a funnel grid of thousands of n values is quick.
    """
    q = np.atleast_1d(np.asarray(q, dtype=float))
    if rho == 0:
        return stats.binom.ppf(q[:, None], n[None, :], mu)
    a = mu * (1 - rho) / rho
    b = (1 - mu) * (1 - rho) / rho
    target = q[:, None, None] * (1 - 1e-12)  # CDF sums carry rounding: do not step past a quantile hit exactly
    un, inv = np.unique(n.astype(np.int64), return_inverse=True)
    out = np.empty((q.size, un.size))
    lbab = special.betaln(a, b)
    start = 0
    while start < un.size:
        width = int(un[start]) + 1
        stop = start + 1
        while stop < un.size and (stop + 1 - start) * (int(un[stop]) + 1) <= block:
            stop += 1
        nn = un[start:stop].astype(float)[:, None]
        width = int(un[stop - 1]) + 1
        k = np.arange(width, dtype=float)[None, :]
        with np.errstate(invalid="ignore"):
            lp = _lchoose(nn, k) + special.betaln(k + a, nn - k + b) - lbab
        pmf = np.where(k <= nn, np.exp(lp), 0.0)
        cdf = np.cumsum(pmf, axis=1)
        out[:, start:stop] = np.minimum((cdf[None] < target).sum(axis=2), nn[None, :, 0])
        start = stop
    return out[:, inv]


def _mixture_posterior(a, b, lo, hi, n, q):
    """Posterior mean and quantiles of p for censored units: mixture over y in [lo, hi] of Beta(a+y, b+n-y)."""
    lens = (hi - lo + 1).astype(np.int64)
    start = np.concatenate([[0], np.cumsum(lens)[:-1]])
    grp = np.repeat(np.arange(lens.size), lens)
    yy = lo[grp] + np.arange(lens.sum()) - start[grp]
    nn = n[grp]
    lw = stats.betabinom.logpmf(yy, nn, a, b)
    m = np.maximum.reduceat(lw, start)
    w = np.exp(lw - m[grp])
    w = w / np.add.reduceat(w, start)[grp]
    mean = np.add.reduceat(w * (a + yy) / (a + b + nn), start)

    def cdf(p):
        return np.add.reduceat(w * special.betainc(a + yy, b + nn - yy, p[grp]), start)

    out = []
    for t in q:  # bisection on all censored units at once: 2^-52 after 52 halvings
        lo_p, hi_p = np.zeros(lens.size), np.ones(lens.size)
        for _ in range(52):
            mid = (lo_p + hi_p) / 2
            below = cdf(mid) < t
            lo_p = np.where(below, mid, lo_p)
            hi_p = np.where(below, hi_p, mid)
        out.append((lo_p + hi_p) / 2)
    return mean, out[0], out[1]


# ---------------------------------------------------------------------------------------------------------------

def fit_beta_binomial(successes, trials, censored=None, labels=None, level: float = 0.95) -> BetaBinomialFit:
    """Fit a beta-binomial model to successes out of trials across units.

    Each unit's proportion p_i is drawn from Beta(alpha, beta) and its successes are Binomial(n_i, p_i).  The
    parameters are estimated by maximum likelihood in VGAM's parametrisation: mu = alpha/(alpha + beta) (the mean
    proportion) and rho = 1/(1 + alpha + beta) (the correlation between two trials of one unit; Var(Y) =
    n mu (1 - mu)(1 + (n - 1) rho)).

    Parameters
    ----------
    successes : array_like
        Successes per unit (e.g. charges); NaN where the count is censored (then ``censored`` gives its range).
    trials : array_like
        Trials per unit (e.g. police reports).  Units with 0 trials carry no information: they are left out and
        counted (``n_excluded``).  A missing (NaN) number of trials is refused: exclude the unit yourself.
    censored : tuple of array_like, optional
        ``(lower, upper)``: integer bounds on the successes, used for the units whose successes are NaN (as
        ``ssstats.data.load_units`` gives them in ``c_lower``, ``c_upper``); their likelihood is
        P(lower <= Y <= upper).  An upper bound above the unit's trials is read as the trials (Y cannot exceed
        them: a "*" meaning 1-7 in a unit with 3 trials holds 1-3); a lower bound above them is refused.  For
        uncensored units the bounds must contain the successes.
    labels : array_like, optional
        Unit labels (default: the index of ``successes`` if it is a Series).
    level : float
        Level of the profile-likelihood intervals.

    Returns
    -------
    BetaBinomialFit
        ``.mu``, ``.rho``, ``.alpha``, ``.beta``, ``.se``, ``.loglik``, ``.lrt``, ``.ci``,
        ``.unit_estimates()``, ``.predictive_interval()``, ``.summary()``, ``.to_frame()``, ``.plot()``.

    Raises
    ------
    SSStatsError
        Negative, non-integer or infinite counts, successes > trials, missing trials, missing successes without
        ``censored``, censoring bounds out of order or outside [0, trials], inputs of different lengths, fewer
        than two units with trials, no unit with two or more trials (rho is then not identifiable), or no
        variation in the outcome at all (every unit 0 successes, or every unit all successes).

    Notes
    -----
    The log-likelihood includes the binomial coefficients, like VGAM's.  It is maximised with L-BFGS-B on
    (mu, rho) in [0, 1] x [0, 1) from the method-of-moments start, then polished with Newton steps using the
    analytic Hessian; standard errors come from the observed information.  When rho's estimate is 0 (no
    overdispersion), the fit is the binomial one: alpha and beta are infinite, only mu has a standard error, and
    rho's interval is one-sided, [0, upper] with the upper limit where the profile deviance reaches the
    chi2_1 quantile at 1 - 2(1 - level) (2.71 for 95%), the boundary-corrected cut-off.  Otherwise intervals use
    the chi2_1 quantile at ``level``; a lower limit of rho that would fall below 0 is 0.  The intervals for
    alpha = mu (1 - rho)/rho and beta = (1 - mu)(1 - rho)/rho profile the likelihood in (alpha, beta) over the
    other shape parameter (on log scales); when rho is 0 their upper limits are infinite, and when rho is at 1
    their lower limits are 0.

    The likelihood-ratio test of rho = 0 refers 2(l_hat - l_binomial) to 1/2 chi2_0 + 1/2 chi2_1 (Self and Liang
    1987): p = 1/2 P(chi2_1 > statistic), and 1 when the statistic is 0.

    References
    ----------
    See the module docstring: Griffiths (1973); Yee (2015); Self and Liang (1987).

    Examples
    --------
    >>> fit = fit_beta_binomial([0, 1, 0, 3, 2, 0, 5], [10, 12, 8, 20, 15, 9, 21])
    >>> round(fit.mu, 3)  # doctest: +SKIP
    """
    (lev,) = check_levels(level)
    y = _float_array(successes, "successes")
    n = _float_array(trials, "trials")
    y, n = broadcast({"successes": y, "trials": n})
    labels = _labels(labels, y.size, successes=successes, trials=trials)
    if np.isnan(n).any():
        i = int(np.flatnonzero(np.isnan(n))[0])
        raise SSStatsError(
            f"`trials` is missing (NaN){_where(i, labels)}; a censored or unknown number of trials cannot be used "
            f"by the beta-binomial likelihood: exclude the unit (and say so) before fitting "
            f"({int(np.isnan(n).sum())} such unit(s))")
    as_counts(n, "trials", labels)
    cens, lo, hi = _successes_bounds(y, n, censored, labels)
    keep = n > 0
    n_excluded = int((~keep).sum())
    y, n, cens, lo, hi = y[keep], n[keep], cens[keep], lo[keep], hi[keep]
    if labels is not None:
        labels = labels[keep]
    if n.size < 2:
        raise SSStatsError(f"the beta-binomial needs at least 2 units with trials to fit; got {n.size}"
                           + (f" ({n_excluded} unit(s) with no trials left out)" if n_excluded else ""))
    if not (n >= 2).any():
        raise SSStatsError("every unit has a single trial: the between-unit correlation rho cannot be estimated "
                           "from 0/1 data; at least one unit needs 2 or more trials")
    if np.all(hi == 0):
        raise SSStatsError("no unit has any successes: the mean proportion's estimate is 0, on the boundary, and "
                           "the beta-binomial cannot be fitted (report the binomial interval for 0 successes)")
    if np.all(lo == n):
        raise SSStatsError("every unit has all its trials successes: the mean proportion's estimate is 1, on the "
                           "boundary, and the beta-binomial cannot be fitted")

    u = ~cens
    d = _make_data(y[u], n[u], lo[cens], hi[cens], n[cens])
    prof = _BBProfile(d)
    mu0, rho0 = _moments(np.where(u, y, (lo + hi) / 2), n)
    mu, rho, ll = prof.fit(mu0, rho0)
    mu_b, ll_b = prof.best_mu(0.0, mu)

    _, _, h = prof.ll(mu, rho, 2)
    se = _bb_se(mu, rho, h)
    stat = max(0.0, 2 * (ll - ll_b)) if rho > 0 else 0.0
    pval = 1.0 if stat <= 0 else 0.5 * stats.chi2.sf(stat, 1)
    ci = _bb_profile_ci(prof, mu, rho, ll, lev, se)
    alpha = mu * (1 - rho) / rho if rho > 0 else np.inf
    beta = (1 - mu) * (1 - rho) / rho if rho > 0 else np.inf
    return BetaBinomialFit(
        mu=mu, rho=rho, alpha=alpha, beta=beta, se=se, loglik=ll, loglik_binomial=ll_b,
        lrt=LikelihoodRatioTest(stat, pval), ci=ci,
        level=lev, n_units=int(n.size), n_excluded=n_excluded, n_censored=int(cens.sum()),
        _y=np.where(cens, np.nan, y), _n=n, _cens=cens, _lo=lo, _hi=hi, _labels=labels,
    )


def _successes_bounds(y, n, censored, labels):
    """Censored units (NaN successes) and every unit's (lower, upper) bounds on its successes, checked.

    Uncensored units get lower = upper = successes; a censored unit's upper bound above its trials is read as the
    trials.  Also checks the uncensored successes (whole, non-negative, at most the trials).
    """
    cens = np.isnan(y)
    if censored is None:
        if cens.any():
            i = int(np.flatnonzero(cens)[0])
            raise SSStatsError(f"`successes` is missing (NaN){_where(i, labels)}; if it is a censored count "
                               f"(e.g. '*' or '<5'), pass its range as `censored=(lower, upper)`")
        lo = hi = y.copy()
    else:
        _check_pair(censored)
        lo = as_counts(censored[0], "censored lower", labels)
        hi = as_counts(censored[1], "censored upper", labels)
        _check_length({"successes": y, "censored lower": lo, "censored upper": hi})
        bad = lo > hi
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise SSStatsError(f"`censored` lower bound must not exceed the upper bound; got lower={lo[i]:g} > "
                               f"upper={hi[i]:g}{_where(i, labels)}")
        bad = cens & (lo > n)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise SSStatsError(f"`censored` lower bound must not exceed `trials`; got lower={lo[i]:g} > "
                               f"trials={n[i]:g}{_where(i, labels)}")
        # a suppressed cell "*" = 1-7 in a unit with 3 trials holds 1-3: P(l <= Y <= u) = P(l <= Y <= min(u, n))
        hi = np.where(cens, np.minimum(hi, n), hi)
        unc = ~cens
        bad = unc & ((y < lo) | (y > hi))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise SSStatsError(f"`successes` = {y[i]:g} lies outside its `censored` bounds [{lo[i]:g}, {hi[i]:g}]"
                               f"{_where(i, labels)}")
        lo = np.where(unc, y, lo)
        hi = np.where(unc, y, hi)
    _check_counts_at(y, ~cens, "successes", labels)
    bad = ~cens & (y > n)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise SSStatsError(f"`successes` must be less than or equal to `trials`; got successes={y[i]:g} > "
                           f"trials={n[i]:g}{_where(i, labels)}")
    return cens, lo, hi


def _moments(y, n):
    """Method-of-moments start for (mu, rho), clipped into the interior."""
    mu = float(y.sum() / n.sum())
    mu = min(max(mu, 1e-4), 1 - 1e-4)
    p = y / n
    # Var(p_i) ~ mu(1-mu)/n_i (1 + (n_i - 1) rho): solve the weighted moment equation for rho
    w = n
    s = float(np.sum(w * (p - mu) ** 2))
    e0 = float(np.sum(w * mu * (1 - mu) / n))
    e1 = float(np.sum(w * mu * (1 - mu) * (n - 1) / n))
    rho = (s - e0) / e1 if e1 > 0 else 0.0
    return mu, min(max(rho, 1e-3), 0.9)


def _bb_se(mu, rho, h):
    nan = np.nan
    if rho == 0 or rho >= _RHO_MAX or not np.all(np.isfinite(h)) or np.linalg.eigvalsh(h).max() >= 0:
        # a boundary (rho = 0: binomial; rho = 1: all-or-none units) or a flat likelihood: only mu's SE, if any
        v_mu = -1 / h[0, 0] if rho == 0 and h[0, 0] < 0 else nan
        return dict(mu=float(np.sqrt(v_mu)), rho=nan, alpha=nan, beta=nan,
                    logit_mu=float(np.sqrt(v_mu) / (mu * (1 - mu))), logit_rho=nan)
    cov = np.linalg.inv(-h)

    def dse(grad):
        grad = np.asarray(grad, dtype=float)
        return float(np.sqrt(grad @ cov @ grad))

    return dict(
        mu=dse([1, 0]), rho=dse([0, 1]),
        alpha=dse([(1 - rho) / rho, -mu / rho ** 2]),
        beta=dse([-(1 - rho) / rho, -(1 - mu) / rho ** 2]),
        logit_mu=dse([1 / (mu * (1 - mu)), 0]), logit_rho=dse([0, 1 / (rho * (1 - rho))]),
    )


def _limit(dev, x0, step, bound):
    """Where the profile deviance ``dev`` (minus its cut-off) crosses 0 going from ``x0`` towards ``bound``.

    Steps out from ``x0`` by ``step`` doubling each time (clamped at ``bound``) until the deviance exceeds the
    cut-off, then refines with Brent's method.  Returns ``None`` if the cut-off is not reached before ``bound``.
    """
    prev = x0
    for i in range(80):
        x = x0 + step * 2.0 ** i
        x = min(x, bound) if step > 0 else max(x, bound)
        if dev(x) > 0:
            if dev(prev) >= 0:  # the warm-started inner maximum moved, or the cut-off is 0: no bracket to refine
                return prev
            a, b = sorted((prev, x))
            return optimize.brentq(dev, a, b, xtol=1e-13, rtol=1e-13, maxiter=200)
        if x == bound:
            return None
        prev = x
    return None  # pragma: no cover


def _bb_profile_ci(prof: _BBProfile, mu, rho, ll, lev, se):
    crit = stats.chi2.ppf(lev, 1)
    # mu: profile over rho, warm-started from the last inner maximum
    state = {"rho": rho}

    def dev_mu(m):
        r, v = prof.best_rho(m, state["rho"])
        state["rho"] = r
        return 2 * (ll - v) - crit

    s_mu = se["mu"] if np.isfinite(se["mu"]) and se["mu"] > 0 else 0.01
    lims = []
    for sign, bound in ((-1, _EPS), (1, 1 - _EPS)):
        state["rho"] = rho
        x = _limit(dev_mu, mu, sign * min(2 * s_mu, abs(bound - mu) / 4), bound)
        lims.append((0.0 if sign < 0 else 1.0) if x is None else x)
    mlo, mhi = lims
    # rho: profile over mu; at rho = 0 the boundary-corrected one-sided cut-off
    st = {"mu": mu}
    # (a level of 50% or less leaves no one-sided cut-off above 0: the limit is then rho itself)
    crit_r = stats.chi2.ppf(max(1 - 2 * (1 - lev), 0.0), 1) if rho == 0 else crit

    def dev_rho(r):
        m, v = prof.best_mu(r, st["mu"])
        st["mu"] = m
        return 2 * (ll - v) - crit_r

    rlo = 0.0
    if rho > 0 and dev_rho(0.0) > 0:
        st["mu"] = mu
        rlo = _limit(dev_rho, rho, -min(2 * se["rho"], rho / 4) if np.isfinite(se["rho"]) else -rho / 4, 0.0)
    st["mu"] = mu
    s_r = se["rho"] if rho > 0 and np.isfinite(se["rho"]) else 0.01
    rhi = _limit(dev_rho, rho, min(2 * s_r, (_RHO_MAX - rho) / 4), _RHO_MAX)
    rhi = 1.0 if rhi is None else rhi
    meth_r = "profile likelihood (one-sided: rho at 0)" if rho == 0 else "profile likelihood"
    rows = [("mu", mu, mlo, mhi, "profile likelihood", lev), ("rho", rho, rlo, rhi, meth_r, lev)]
    # alpha and beta: profile over the other shape parameter, both on the log scale
    if rho > 0:
        alpha, beta = mu * (1 - rho) / rho, (1 - mu) * (1 - rho) / rho
    else:  # the binomial: alpha = beta = infinity; search down from a point where the deviance is below its cut-off
        s0 = 1e6 * max(prof.d.kmax, 1)  # rho about 1e-6 / (largest n): close to the binomial
        for _ in range(6):
            if 2 * (ll - prof.best_ab(mu * s0, 0, (1 - mu) * s0)[1]) < crit_r:
                break
            s0 *= 1e3
        alpha, beta = mu * s0, (1 - mu) * s0
    for name, fixed, est, other in (("alpha", 0, alpha, beta), ("beta", 1, beta, alpha)):
        if rho == 0 and rhi == 0:  # the rho interval is {0} (a level of 50% or less): alpha and beta are infinite
            rows.append((name, np.inf, np.inf, np.inf, meth_r, lev))
            continue

        def dev_ab(t, fixed=fixed, ratio=other / est):
            # started where the mean proportion is the estimate's: the same start for the same t, so Brent's
            # method sees one function
            return 2 * (ll - prof.best_ab(np.exp(t), fixed, np.exp(t) * ratio)[1]) - crit_r

        t0 = np.log(est)
        sd = se[name] / est if rho > 0 and np.isfinite(se[name]) and se[name] > 0 else 0.5
        lim = []
        start_ok = dev_ab(t0) <= 0  # (not so only if the inner maximum failed: then no limits, not wrong ones)
        for sign, bound in ((-1, max(t0 - 40, np.log(1e-12))), (1, t0 + 40)):
            x = None if (sign > 0 and rho == 0) or not start_ok else _limit(
                dev_ab, t0, sign * min(2 * sd, 1.0), bound)
            lim.append(np.nan if not start_ok else (0.0 if sign < 0 else np.inf) if x is None else float(np.exp(x)))
        est_out = est if rho > 0 else np.inf
        rows.append((name, est_out, lim[0], lim[1], meth_r, lev))
    return _ci_frame(rows)


# ---------------------------------------------------------------------------------------------------------------
# covariates

def _design(covariates, n_units, labels):
    """Design matrix with an intercept; categorical columns dummy-coded with the first level as reference."""
    if covariates is None:
        return np.ones((n_units, 1)), ["const"]
    if isinstance(covariates, pd.Series):
        covariates = covariates.to_frame()
    if not isinstance(covariates, pd.DataFrame):
        raise SSStatsError(f"`covariates` must be a pandas DataFrame (one column per covariate); got "
                           f"{type(covariates).__name__}")
    if len(covariates) != n_units:
        raise SSStatsError(f"`covariates` must have one row per unit ({n_units}); got {len(covariates)}")
    cols, names = [np.ones(n_units)], ["const"]
    for c in covariates.columns:
        s = covariates[c]
        miss = s.isna().to_numpy()
        if miss.any():
            i = int(np.flatnonzero(miss)[0])
            raise SSStatsError(f"`covariates` column {c!r} is missing{_where(i, labels)} ({int(miss.sum())} "
                               f"missing value(s)); fill or exclude those units first")
        if pd.api.types.is_bool_dtype(s):
            cols.append(s.to_numpy(dtype=float))
            names.append(str(c))
        elif pd.api.types.is_numeric_dtype(s):
            cols.append(s.to_numpy(dtype=float))
            names.append(str(c))
        else:
            cat = s.astype("category")
            levels = list(cat.cat.categories)
            if len(levels) < 2:
                raise SSStatsError(f"`covariates` column {c!r} has a single level ({levels[0]!r}); it cannot be "
                                   f"estimated alongside the intercept: drop it")
            for lv in levels[1:]:
                cols.append((cat == lv).to_numpy(dtype=float))
                names.append(f"{c}[{lv}]")
    X = np.column_stack(cols)
    if np.linalg.matrix_rank(X) < X.shape[1]:
        raise SSStatsError(f"`covariates` are collinear (with each other or the intercept): the design with "
                           f"columns {names} has rank {np.linalg.matrix_rank(X)} < {X.shape[1]}")
    return X, names


def _coef_table(names, est, se, lev, dist="z", df=None):
    est = np.asarray(est, float)
    se = np.asarray(se, float)
    stat = est / se
    if dist == "t":
        p = 2 * stats.t.sf(np.abs(stat), df)
        q = stats.t.ppf((1 + lev) / 2, df)
    else:
        p = 2 * stats.norm.sf(np.abs(stat))
        q = stats.norm.ppf((1 + lev) / 2)
    return pd.DataFrame(dict(term=names, estimate=est, se=se, statistic=stat, p_value=p, lower=est - q * se,
                             upper=est + q * se, level=lev, test=dist))


# ---------------------------------------------------------------------------------------------------------------
# negative binomial

class NegativeBinomialFit(Result):
    """NB2 model for counts per unit of exposure (see :func:`fit_negative_binomial`).

    Attributes
    ----------
    rate : float
        Rate per unit of exposure at the covariate baseline (reference levels, numeric covariates 0), i.e.
        exp(intercept).
    alpha : float
        NB2 dispersion: Var(Y) = m + alpha m^2; 0 at the Poisson boundary.
    theta : float
        1 / alpha, as ``MASS::glm.nb`` reports it (infinite at the boundary).
    loglik : float
        Maximised log-likelihood.
    params, bse : pandas.Series
        Coefficients (log scale) and ``alpha``, with standard errors (statsmodels).
    coef : pandas.DataFrame
        Coefficient table.
    boundary : bool
        True when alpha's estimate is 0 (Poisson data): the Poisson fit is reported.
    """

    _plot_function = None

    def __init__(self, **kw):
        self.__dict__.update(kw)

    def unit_estimates(self, level: float = 0.95) -> pd.DataFrame:
        """Gamma-Poisson empirical-Bayes rate of each unit.

        With NB2 mean m_i = mu_i e_i (mu_i = exp(x_i b), e_i the exposure) and alpha = 1/theta, the model is
        y_i | r_i ~ Poisson(e_i r_i) with the unit rate r_i ~ Gamma(shape theta, rate theta/mu_i) (mean mu_i,
        variance mu_i^2/theta), whose marginal is NB2 with Var = m_i + m_i^2/theta.  Conjugacy gives the posterior
        r_i | y_i ~ Gamma(theta + y_i, theta/mu_i + e_i): mean (theta + y_i)/(theta/mu_i + e_i), a weighted mean of
        the raw rate y_i/e_i (weight e_i mu_i/(e_i mu_i + theta)) and the model rate mu_i.  At the Poisson
        boundary (theta infinite) every unit's posterior is the point mass at mu_i.

        A censored unit's posterior is the mixture of those Gammas over y in [lower, upper], weighted by the NB
        probabilities of each y; its quantiles are found by bisection.

        Returns
        -------
        pandas.DataFrame
            ``unit, count, exposure, censored, lower_count, upper_count, raw, fitted, estimate, lower, upper,
            level`` (rates per unit of exposure; ``count`` and ``raw`` are NaN for censored units).
        """
        (lev,) = check_levels(level)
        y, e, m, cens = self._y, self._e, self._mu, self._cens
        if self.boundary:
            est, lower, upper = m.copy(), m.copy(), m.copy()
        else:
            th = self.theta
            u = ~cens
            est, lower, upper = np.empty(y.size), np.empty(y.size), np.empty(y.size)
            shape, rate = th + y[u], th / m[u] + e[u]
            est[u] = shape / rate
            lower[u] = stats.gamma.ppf((1 - lev) / 2, shape) / rate
            upper[u] = stats.gamma.isf((1 - lev) / 2, shape) / rate
            if cens.any():
                est[cens], lower[cens], upper[cens] = _gamma_mixture_posterior(
                    th, m[cens], e[cens], self._lo[cens], self._hi[cens], ((1 - lev) / 2, (1 + lev) / 2))
        unit = self._labels if self._labels is not None else np.arange(y.size)
        return pd.DataFrame(dict(unit=unit, count=y, exposure=e, censored=cens, lower_count=self._lo.astype(np.int64),
                                 upper_count=self._hi.astype(np.int64), raw=y / e, fitted=m, estimate=est,
                                 lower=lower, upper=upper, level=lev))

    def predictive_interval(self, exposure, level=0.95) -> pd.DataFrame:
        """Negative-binomial predictive interval for the count of a new unit with ``exposure`` at baseline rate.

        Quantiles of NB(size theta, mean rate * exposure) (Poisson at the boundary).

        Returns
        -------
        pandas.DataFrame
            ``exposure, level, expected, lower, upper`` (counts) and ``lower_rate``, ``upper_rate``.
        """
        levels = check_levels(level)
        e = as_positive(exposure, "exposure")
        m = self.rate * e
        blocks = []
        for lev in levels:
            qs = ((1 - lev) / 2, (1 + lev) / 2)
            if self.boundary:
                lo, hi = (stats.poisson.ppf(q, m) for q in qs)
            else:
                p = self.theta / (self.theta + m)
                lo, hi = (stats.nbinom.ppf(q, self.theta, p) for q in qs)
            blocks.append(pd.DataFrame(dict(exposure=e, level=lev, expected=m, lower=lo, upper=hi,
                                            lower_rate=lo / e, upper_rate=hi / e)))
        return pd.concat(blocks, ignore_index=True)

    def to_frame(self) -> pd.DataFrame:
        return self.coef.copy()

    def summary(self) -> str:
        lines = [
            "Negative binomial (NB2) model for counts per unit of exposure "
            + ("(maximum likelihood with censored counts)" if self.n_censored else "(statsmodels NegativeBinomial)"),
            f"  units: {self.n_units}"
            + (f" ({self.n_censored} with censored counts, fitted through P(lower <= Y <= upper))"
               if self.n_censored else "")
            + f"; events (uncensored units): {int(np.nansum(self._y))}; exposure: {self._e.sum():.6g}",
            f"  baseline rate per unit of exposure: {self.rate:.4g}",
        ]
        if self.boundary:
            lines.append("  alpha is at its boundary 0: no overdispersion beyond Poisson; the Poisson fit is "
                         "reported (theta infinite) and empirical-Bayes rates equal the fitted rates.")
        else:
            lines.append(f"  alpha (overdispersion) = {self.alpha:.4g} (se {self.bse['alpha']:.3g}); "
                         f"theta = 1/alpha = {self.theta:.4g}")
        lines.append(f"  log-likelihood: {self.loglik:.4f}")
        lines.append(self.coef.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
        return "\n".join(lines)


def fit_negative_binomial(counts, exposure, covariates=None, labels=None, level: float = 0.95, censored=None
                          ) -> NegativeBinomialFit:
    """Negative binomial (NB2) regression of counts per unit of exposure across units.

    log E(Y_i) = log(e_i) + x_i b and Var(Y_i) = m_i + alpha m_i^2, fitted by maximum likelihood with statsmodels'
    :class:`statsmodels.discrete.discrete_model.NegativeBinomial` (``exposure=``; unlike the GLM family, it
    estimates alpha).  Equals R ``MASS::glm.nb(y ~ x + offset(log(e)))`` with theta = 1/alpha.

    Parameters
    ----------
    counts : array_like
        Event counts per unit.
    exposure : array_like
        Exposure per unit (e.g. occupied bed days), > 0.
    covariates : pandas.DataFrame, optional
        Unit covariates; categorical columns are dummy-coded with the first level as reference.
    labels : array_like, optional
        Unit labels (default: the index of ``counts`` if a Series).
    level : float
        Level of the coefficient intervals.
    censored : tuple of array_like, optional
        ``(lower, upper)`` integer bounds for the units whose ``counts`` are NaN (suppressed cells, as
        ``ssstats.data.load_units`` gives them); their likelihood is P(lower <= Y <= upper).  With censored units
        the NB2 likelihood is maximised here (L-BFGS-B and Newton steps, analytic gradient, Hessian from its
        differences) instead of by statsmodels, whose model has no censoring; without them statsmodels fits.

    Returns
    -------
    NegativeBinomialFit

    Raises
    ------
    SSStatsError
        Bad counts or exposures (named with unit and value), lengths that differ, fewer than 2 units, no events.

    Notes
    -----
    When the data show no overdispersion (alpha's maximum is at 0), the NB2 likelihood is maximised by the Poisson
    model: the fit then reports the Poisson estimates with ``alpha = 0``, ``theta = inf`` and ``boundary = True``,
    and says so in the summary, instead of failing to converge.
    """
    import statsmodels.api as sm
    from statsmodels.discrete.discrete_model import NegativeBinomial

    (lev,) = check_levels(level)
    labels = _labels(labels, max(np.size(counts), np.size(exposure)), counts=counts, exposure=exposure)
    if censored is None:
        raw = _float_array(counts, "counts")
        if np.isnan(raw).any():
            i = int(np.flatnonzero(np.isnan(raw))[0])
            raise SSStatsError(f"`counts` is missing (NaN){_where(i, labels)}; if it is a censored count (e.g. '*' "
                               f"or '<5'), pass its range as `censored=(lower, upper)`")
        y = as_counts(counts, "counts", labels)
        cens = np.zeros(y.size, dtype=bool)
        lo = hi = y
    else:
        y, cens, lo, hi = _censored_counts(counts, censored, labels)
    e = as_positive(exposure, "exposure", labels)
    y, e, cens, lo, hi = broadcast({"counts": y, "exposure": e, "censored": cens, "lower": lo, "upper": hi})
    cens = cens.astype(bool)
    if y.size < 2:
        raise SSStatsError(f"the negative binomial needs at least 2 units; got {y.size}")
    if hi.sum() == 0:
        raise SSStatsError("no unit has any events: the rate's estimate is 0 and the model cannot be fitted")
    X, names = _design(covariates, y.size, labels)
    if cens.any():
        return _fit_nb_censored(y, e, X, names, cens, lo, hi, labels, lev)
    pois = sm.GLM(y, X, family=sm.families.Poisson(), exposure=e).fit(tol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = NegativeBinomial(y, X, exposure=e, loglike_method="nb2")
        start = np.append(pois.params, 0.1)
        res = model.fit(start_params=start, method="bfgs", maxiter=2000, disp=0, gtol=1e-10)
        if res.params[-1] > 1e-6:  # Newton polish; near alpha = 0 its trigamma(1/alpha) terms are useless
            res = model.fit(start_params=res.params, method="newton", maxiter=100, disp=0, tol=1e-12)
    alpha = float(res.params[-1])
    # the score for alpha at the Poisson fit, 1/2 sum((y - mu)^2 - y) (Cameron and Trivedi): when it is not
    # positive the likelihood falls as alpha leaves 0, and a gain below 1e-6 is then the optimiser's last digits
    # (which otherwise depend on the order of the units), not an interior maximum
    score0 = 0.5 * float(np.sum((y - pois.mu) ** 2 - y))
    boundary = ((not np.isfinite(res.llf)) or alpha < 1e-8 or res.llf <= pois.llf + 1e-9
                or (score0 <= 0 and res.llf <= pois.llf + 1e-6))
    if boundary:
        params = np.append(pois.params, 0.0)
        bse = np.append(pois.bse, np.nan)
        llf = float(pois.llf)
        alpha = 0.0
        est_se = (pois.params, pois.bse)
    else:
        params = np.asarray(res.params, float)
        bse = np.asarray(res.bse, float)
        llf = float(res.llf)
        est_se = (params[:-1], bse[:-1])
    coef = _coef_table(names, *est_se, lev)
    mu = np.exp(X @ params[:-1])
    return NegativeBinomialFit(
        rate=float(np.exp(params[0])), alpha=alpha, theta=(1 / alpha if alpha > 0 else np.inf), loglik=llf,
        params=pd.Series(params, index=names + ["alpha"]), bse=pd.Series(bse, index=names + ["alpha"]),
        coef=coef, boundary=bool(boundary), level=lev, n_units=int(y.size), n_censored=0,
        _y=y, _e=e, _mu=mu, _labels=labels, _cens=cens, _lo=lo, _hi=hi,
    )


def _censored_counts(counts, censored, labels):
    """Counts with NaN where censored, and their (lower, upper) bounds, checked as for the beta-binomial."""
    y = _float_array(counts, "counts")
    _check_pair(censored)
    lo = as_counts(censored[0], "censored lower", labels)
    hi = as_counts(censored[1], "censored upper", labels)
    _check_length({"counts": y, "censored lower": lo, "censored upper": hi})
    cens = np.isnan(y)
    _check_counts_at(y, ~cens, "counts", labels)
    bad = lo > hi
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise SSStatsError(f"`censored` lower bound must not exceed the upper bound; got lower={lo[i]:g} > "
                           f"upper={hi[i]:g}{_where(i, labels)}")
    bad = ~cens & ((y < lo) | (y > hi))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise SSStatsError(f"`counts` = {y[i]:g} lies outside its `censored` bounds [{lo[i]:g}, {hi[i]:g}]"
                           f"{_where(i, labels)}")
    return y, cens.astype(float), np.where(cens, lo, y), np.where(cens, hi, y)


def _nb_rows(y, m, phi, order):
    """NB2 log-pmf per row with mean m and log alpha phi; derivatives in (log m, phi)."""
    th = np.exp(-phi)
    with np.errstate(divide="ignore", invalid="ignore"):
        lp = (special.gammaln(y + th) - special.gammaln(th) - special.gammaln(y + 1) - th * np.log1p(m / th)
              + np.where(y > 0, y * np.log(m / (th + m)), 0.0))
    if not order:
        return lp, None
    d_eta = th * (y - m) / (th + m)
    d_th = special.digamma(y + th) - special.digamma(th) - np.log1p(m / th) + (m - y) / (th + m)
    return lp, np.stack([d_eta, -th * d_th], axis=1)


def _nb_censored_negll(theta, X, e, y, rows, start, order=1):
    """Negative log-likelihood of NB2 with censored counts; theta = (b, log alpha)."""
    b, phi = theta[:-1], theta[-1]
    eta = X @ b + np.log(e)
    u = ~np.isnan(y)
    lp, g = _nb_rows(y[u], np.exp(eta[u]), phi, order)
    cy, cu = rows  # censored rows: possible counts and the unit each belongs to
    clp, cg = _nb_rows(cy, np.exp(eta[cu]), phi, order)
    mx = np.maximum.reduceat(clp, start)
    cnt = np.diff(np.append(start, clp.size))
    pr = np.exp(clp - np.repeat(mx, cnt))
    tot = np.add.reduceat(pr, start)
    f = -(lp.sum() + np.sum(mx + np.log(tot)))
    if not order:
        return f
    w = (pr / np.repeat(tot, cnt))[:, None]
    gc = np.add.reduceat(w * cg, start, axis=0)  # per censored unit
    units = cu[start]
    grad_eta = np.zeros(y.size)
    grad_eta[u] = g[:, 0]
    grad_eta[units] = gc[:, 0]
    gphi = g[:, 1].sum() + gc[:, 1].sum()
    return f, -np.append(X.T @ grad_eta, gphi)


def _fit_nb_censored(y, e, X, names, cens, lo, hi, labels, lev):
    """NB2 maximum likelihood with censored counts: P(lower <= Y <= upper) for the censored units."""
    from statsmodels.tools.numdiff import approx_fprime

    idx = np.flatnonzero(cens)
    lens = (hi[idx] - lo[idx] + 1).astype(np.int64)
    start = np.concatenate([[0], np.cumsum(lens)[:-1]])
    grp = np.repeat(np.arange(idx.size), lens)
    rows = (lo[idx][grp] + np.arange(lens.sum()) - start[grp], idx[grp])
    mid = np.where(cens, (lo + hi) / 2, y)
    b0 = np.linalg.lstsq(X, np.log((mid + 0.5) / e), rcond=None)[0]
    x0 = np.append(b0, np.log(0.2))

    def obj(t):
        with np.errstate(all="ignore"):
            f, g = _nb_censored_negll(t, X, e, y, rows, start)
        return (f, g) if np.isfinite(f) else (np.inf, np.zeros_like(t))

    res = optimize.minimize(obj, x0, jac=True, method="L-BFGS-B",
                            bounds=[(None, None)] * X.shape[1] + [(-25.0, 10.0)],
                            options=dict(ftol=1e-15, gtol=1e-10, maxiter=5000))
    x = res.x
    boundary = x[-1] <= -18  # alpha < 1.5e-8: the Poisson limit
    grad = lambda t: _nb_censored_negll(t, X, e, y, rows, start)[1]  # noqa: E731
    if not boundary:
        for _ in range(20):  # Newton polish with a Hessian from differences of the analytic gradient
            H = approx_fprime(x, grad, centered=True)
            H = (H + H.T) / 2
            g = grad(x)
            try:
                step = np.linalg.solve(H, g)
            except np.linalg.LinAlgError:
                break
            t, f0 = 1.0, obj(x)[0]
            while t > 1e-8 and not obj(x - t * step)[0] <= f0 + 1e-12 * abs(f0):
                t /= 2
            x = x - t * step
            if np.max(np.abs(t * step)) < 1e-11:
                break
    k = X.shape[1]
    H = approx_fprime(x, grad, centered=True)
    H = (H + H.T) / 2
    llf = -obj(x)[0]
    if boundary:
        cov_b = np.linalg.inv(H[:k, :k])
        alpha, bse_a = 0.0, np.nan
    else:
        cov = np.linalg.inv(H)
        cov_b = cov[:k, :k]
        alpha = float(np.exp(x[-1]))
        bse_a = float(alpha * np.sqrt(cov[k, k]))  # delta method from log alpha
    b = x[:k]
    se_b = np.sqrt(np.diag(cov_b))
    params = np.append(b, alpha)
    mu = np.exp(X @ b)
    return NegativeBinomialFit(
        rate=float(np.exp(b[0])), alpha=alpha, theta=(1 / alpha if alpha > 0 else np.inf), loglik=float(llf),
        params=pd.Series(params, index=names + ["alpha"]), bse=pd.Series(np.append(se_b, bse_a),
                                                                         index=names + ["alpha"]),
        coef=_coef_table(names, b, se_b, lev), boundary=bool(boundary), level=lev, n_units=int(y.size),
        n_censored=int(cens.sum()), _y=y, _e=e, _mu=mu, _labels=labels, _cens=cens, _lo=lo, _hi=hi,
    )


def _gamma_mixture_posterior(th, m, e, lo, hi, q):
    """Posterior mean and quantiles of a censored unit's rate: mixture over y in [lo, hi] of
    Gamma(theta + y, theta/m + e), weighted by the NB2 probabilities of y."""
    lens = (hi - lo + 1).astype(np.int64)
    start = np.concatenate([[0], np.cumsum(lens)[:-1]])
    grp = np.repeat(np.arange(lens.size), lens)
    yy = lo[grp] + np.arange(lens.sum()) - start[grp]
    mm, ee = m[grp], e[grp]
    lw = _nb_rows(yy, mm * ee, -np.log(th), 0)[0]
    w = np.exp(lw - np.maximum.reduceat(lw, start)[grp])
    w = w / np.add.reduceat(w, start)[grp]
    shape, rate = th + yy, th / mm + ee
    mean = np.add.reduceat(w * shape / rate, start)

    def cdf(r):
        return np.add.reduceat(w * special.gammainc(shape, rate * r[grp]), start)

    top = np.maximum.reduceat(stats.gamma.isf(1e-12, shape) / rate, start)
    out = []
    for t in q:  # bisection for all censored units at once
        a, b = np.zeros(lens.size), top.copy()
        for _ in range(60):
            c = (a + b) / 2
            below = cdf(c) < t
            a, b = np.where(below, c, a), np.where(below, b, c)
        out.append((a + b) / 2)
    return mean, out[0], out[1]


# ---------------------------------------------------------------------------------------------------------------
# regression for proportions

class RegressionFit(Result):
    """Regression across units for proportions (:func:`fit_quasibinomial`, :func:`fit_beta_binomial_regression`).

    Attributes
    ----------
    coef : pandas.DataFrame
        ``term, estimate, se, statistic, p_value, lower, upper, level, test`` (logit scale).
    params, bse : pandas.Series
    dispersion : float
        Quasi-binomial: Pearson chi2 / residual df.  Beta-binomial regression: NaN (see ``rho``).
    rho : float
        Beta-binomial regression: the intra-unit correlation (NaN for quasi-binomial).
    loglik : float
        Beta-binomial regression: maximised log-likelihood with binomial coefficients (NaN for quasi-binomial).
    n_units, n_excluded, n_censored : int
        Units fitted, units left out because they had no trials, censored units among those fitted (beta-binomial
        regression only; 0 for quasi-binomial).
    """

    _plot_function = None

    def __init__(self, **kw):
        self.__dict__.update(kw)

    def to_frame(self) -> pd.DataFrame:
        return self.coef.copy()

    def summary(self) -> str:
        lines = [self.title,
                 f"  units fitted: {self.n_units}"
                 + (f" ({self.n_censored} with censored successes, fitted through P(lower <= Y <= upper))"
                    if self.n_censored else "")
                 + (f"; {self.n_excluded} with no trials left out" if self.n_excluded else "")]
        lines += self.extra
        lines.append(self.coef.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
        return "\n".join(lines)


def _prop_inputs(successes, trials, covariates, labels, censored=None, nan_message=None):
    """Checked successes, trials, design and censoring bounds of the units with trials (others counted)."""
    labels = _labels(labels, max(np.size(successes), np.size(trials)), successes=successes, trials=trials)
    y = _float_array(successes, "successes")
    n = as_counts(trials, "trials", labels)
    y, n = broadcast({"successes": y, "trials": n})
    if nan_message is not None and np.isnan(y).any():
        i = int(np.flatnonzero(np.isnan(y))[0])
        raise SSStatsError(f"`successes` is missing (NaN){_where(i, labels)} ({int(np.isnan(y).sum())} such "
                           f"unit(s)); {nan_message}")
    cens, lo, hi = _successes_bounds(y, n, censored, labels)
    X, names = _design(covariates, y.size, labels)
    keep = n > 0
    X = X[keep]
    if keep.sum() <= X.shape[1]:
        raise SSStatsError(f"too few units with trials ({int(keep.sum())}) for {X.shape[1]} coefficients")
    if np.linalg.matrix_rank(X) < X.shape[1]:
        raise SSStatsError(f"after leaving out units with no trials the design with columns {names} is collinear")
    return y[keep], n[keep], X, names, int((~keep).sum()), cens[keep], lo[keep], hi[keep]


def _check_separation(X, n, lo, hi):
    """Refuse data whose logit-scale maximum likelihood does not exist, judged from the data alone.

    A unit certainly has successes if its (lower bound on the) successes is above 0, and failures if its (upper
    bound) is below its trials.  The mean model's coefficients are infinite when some direction b != 0 has
    x_i b >= 0 for every unit with successes and x_i b <= 0 for every unit with failures (complete or
    quasi-complete separation, Albert and Anderson 1984): a linear programme over the distinct (x, has
    successes, has failures) rows, with the covariates centred and scaled (which does not change whether such a
    b exists).  No threshold on fitted proportions is involved, so rates of 1e-9 in units of 1e9 trials fit.
    """
    succ, fail = lo > 0, hi < n
    if not succ.any():
        raise SSStatsError("no unit has any successes: the mean proportion's estimate is 0, on the boundary, and "
                           "the model cannot be fitted (report the binomial interval for 0 successes)")
    if not fail.any():
        raise SSStatsError("every unit has all its trials successes: the mean proportion's estimate is 1, on the "
                           "boundary, and the model cannot be fitted")
    sep_msg = ("separation: for some covariate pattern every unit has 0 successes (or all successes), so its "
               "coefficient is infinite; merge levels or drop the covariate")
    Z = X.astype(float).copy()
    for j in range(Z.shape[1]):
        c = Z[:, j]
        sd = c.std()
        if sd > 0:
            Z[:, j] = (c - c.mean()) / sd
    rows = np.unique(np.column_stack([Z, succ, fail]), axis=0)
    Zu, su, fu = rows[:, :-2], rows[:, -2].astype(bool), rows[:, -1].astype(bool)
    s = su.astype(float) - fu.astype(float)  # +1: successes only, -1: failures only, 0: both
    # units with both successes and failures need x_i b = 0: b = N c over the null space N of their rows (usually
    # none is left, and then there is no separation without a linear programme)
    both = su & fu
    N = np.eye(Z.shape[1])
    if both.any():
        ev, vec = np.linalg.eigh(Zu[both].T @ Zu[both])  # p x p: the null space of the rows, cheaply
        N = vec[:, ev <= 1e-12 * max(ev.max(), 1.0)]
    if N.shape[1] == 0:
        return
    W = np.unique(np.column_stack([Zu[~both] @ N, s[~both]]), axis=0)  # distinct projected rows
    if not W.size:
        return
    # rows in a fixed scrambled order: HiGHS takes ~50x longer on the (sorted) output of np.unique, and the
    # answer does not depend on the order
    W = W[np.random.default_rng(0).permutation(W.shape[0])]
    A, sw = W[:, :-1], W[:, -1]
    # maximise sum_i s_i x_i N c subject to s_i x_i N c >= 0 and -1 <= c <= 1: positive if and only if separated
    from scipy import sparse  # (a dense constraint matrix is converted by linprog at ~100x the cost)

    res = optimize.linprog(-(sw @ A), A_ub=sparse.csr_matrix(-(A * sw[:, None])), b_ub=np.zeros(A.shape[0]),
                           bounds=[(-1, 1)] * A.shape[1], method="highs")
    if res.status == 0 and -res.fun > 1e-7 * max(1, A.shape[0]):
        raise SSStatsError(sep_msg)


def fit_quasibinomial(successes, trials, covariates=None, labels=None, level: float = 0.95,
                      floor_dispersion: bool = True) -> RegressionFit:
    """Binomial GLM (logit link) with quasi-binomial dispersion, as R ``glm(family = quasibinomial)``.

    The coefficients are the binomial maximum-likelihood ones; their standard errors are multiplied by the square
    root of the dispersion phi = Pearson chi2 / (units - coefficients) (statsmodels ``GLM(...).fit(scale="X2")``),
    and tests and intervals use the t distribution on the residual degrees of freedom, as R's ``summary.glm``.

    Parameters
    ----------
    successes, trials : array_like
        Per unit; units with no trials are left out and counted.
    covariates : pandas.DataFrame, optional
        E.g. ``ward_type``, ``sector``, ``period`` (numeric for a trend); categorical columns are dummy-coded with
        the first level as reference.
    labels : array_like, optional
    level : float
    floor_dispersion : bool
        If True (default), a dispersion below 1 (under-dispersion, e.g. identical units, whose Pearson chi2 is 0)
        is replaced by 1, so that the standard errors are never smaller than the binomial ones; the summary says
        so and ``dispersion_estimate`` keeps the estimate.  ``False`` uses the estimate as it is, exactly as R.

    Returns
    -------
    RegressionFit
        ``.coef``, ``.params``, ``.bse``, ``.dispersion`` (the value used), ``.dispersion_estimate``,
        ``.dispersion_floored``.

    Notes
    -----
    With a dispersion of at least 1, or ``floor_dispersion=False``, the results equal R's
    ``glm(cbind(y, n - y) ~ ..., family = quasibinomial)``.
    """
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import PerfectSeparationWarning

    (lev,) = check_levels(level)
    y, n, X, names, n_ex = _prop_inputs(
        successes, trials, covariates, labels,
        nan_message="if it is a censored cell (e.g. '*' or '<5'), it cannot enter a quasi-likelihood, which has "
                    "no probability of a range of counts: fit the units with "
                    "fit_beta_binomial_regression(..., censored=(lower, upper)), whose likelihood uses "
                    "P(lower <= Y <= upper)")[:5]
    _check_separation(X, n, y, y)
    # proportions with var_weights = trials: with a two-column (successes, failures) response statsmodels'
    # Pearson-based scale is not R's (it is computed on the proportion scale without the trials as weights)
    model = sm.GLM(y / n, X, family=sm.families.Binomial(), var_weights=n)
    with warnings.catch_warnings():
        # statsmodels warns of "perfect prediction" whenever fitted = observed (e.g. identical units); real
        # separation is detected below from the fitted proportions
        warnings.simplefilter("ignore", PerfectSeparationWarning)
        res = model.fit(scale="X2", tol=1e-12)
        phi_hat = float(res.scale)
        floored = bool(floor_dispersion and phi_hat < 1)
        if floored:
            res = model.fit(scale=1.0, tol=1e-12)
    phi = float(res.scale)
    df = y.size - X.shape[1]
    coef = _coef_table(names, res.params, res.bse, lev, dist="t", df=df)
    extra = [f"  dispersion (Pearson chi2 / df): {phi_hat:.4g} on {df} df"]
    if floored:
        extra.append("  the dispersion is below 1 (less variation than binomial): it is floored at 1, so the "
                     "standard errors are the binomial ones (floor_dispersion=False to use it as is, as R)")
    return RegressionFit(
        title="Binomial GLM with quasi-binomial dispersion (logit link)", coef=coef,
        params=pd.Series(np.asarray(res.params), index=names), bse=pd.Series(np.asarray(res.bse), index=names),
        dispersion=phi, dispersion_estimate=phi_hat, dispersion_floored=floored, rho=np.nan, loglik=np.nan,
        n_units=int(y.size), n_excluded=n_ex, n_censored=0, level=lev, extra=extra,
    )


def _bbreg_rows(eta, phi, y, n, lch, order):
    """Per-row beta-binomial log-likelihood with derivatives in (eta, phi = logit rho): ll, g (rows x 2: eta,
    phi) and h (rows x 3: eta-eta, eta-phi, phi-phi), the layout :func:`_censored` combines."""
    mu = special.expit(eta)
    s = np.exp(-phi)  # (1 - rho)/rho = alpha + beta
    a = mu * s
    bb = (1 - mu) * s
    m = n - y
    ll = lch + _lbeta_ratio(a, bb, y, m)  # log B(y + a, m + b) - log B(a, b), accurate with 1e9 trials
    if order == 0:
        return ll, None, None
    dn = _dpsi(s, n)
    ga = _dpsi(a, y) - dn  # digamma(y + a) - digamma(a) - [digamma(n + s) - digamma(s)]
    gb = _dpsi(bb, m) - dn
    dm = mu * (1 - mu)
    # d alpha/d eta = s dm, d beta/d eta = -s dm; d alpha/d phi = -alpha, d beta/d phi = -beta
    g = np.stack([s * dm * (ga - gb), -(a * ga + bb * gb)], axis=1)
    if order == 1:
        return ll, g, None
    tn = _dpsi1(s, n)
    haa = _dpsi1(a, y) - tn
    hbb = _dpsi1(bb, m) - tn
    hab = -tn
    da_e, db_e = s * dm, -s * dm
    d2a_ee = s * dm * (1 - 2 * mu)
    h_ee = haa * da_e ** 2 + 2 * hab * da_e * db_e + hbb * db_e ** 2 + (ga - gb) * d2a_ee
    # mixed: d/dphi of g_eta = d/dphi [s dm (ga - gb)]
    h_ep = (haa * da_e * (-a) + hab * (da_e * (-bb) + db_e * (-a)) + hbb * db_e * (-bb)) + (-s * dm) * (ga - gb)
    h_pp = haa * a ** 2 + 2 * hab * a * bb + hbb * bb ** 2 + (a * ga + bb * gb)
    return ll, g, np.stack([h_ee, h_ep, h_pp], axis=1)


@dataclass
class _RegData:
    """Units of a beta-binomial regression: uncensored ones as they are, censored ones one row per possible y."""

    X: np.ndarray
    y: np.ndarray  # successes (uncensored units; anything for censored ones)
    n: np.ndarray
    cens: np.ndarray
    lo: np.ndarray
    hi: np.ndarray

    def __post_init__(self):
        self.iu = np.flatnonzero(~self.cens)
        self.ic = np.flatnonzero(self.cens)
        self.lch = _lchoose(self.n[self.iu], self.y[self.iu])
        self.cy, self.cstart, grp = _expand_ranges(self.lo[self.ic], self.hi[self.ic])
        self.crow_unit = self.ic[grp]
        self.clch = _lchoose(self.n[self.crow_unit], self.cy)


def _bbreg_negll(theta, d: _RegData, order):
    """Negative log-likelihood of the beta-binomial regression in (b, logit rho), with gradient and Hessian;
    censored units contribute log P(lower <= Y <= upper)."""
    X = d.X
    b, phi = theta[:-1], theta[-1]
    eta = X @ b
    m = X.shape[0]
    ll, g, h = np.empty(m), np.empty((m, 2)), np.empty((m, 3))
    parts = [(d.iu, _bbreg_rows(eta[d.iu], phi, d.y[d.iu], d.n[d.iu], d.lch, order))]
    if d.ic.size:
        rows = _bbreg_rows(eta[d.crow_unit], phi, d.cy, d.n[d.crow_unit], d.clch, order)
        parts.append((d.ic, _censored(*rows, d.cstart)))
    for idx, (lli, gi, hi) in parts:
        ll[idx] = lli
        if order:
            g[idx] = gi
        if order > 1:
            h[idx] = hi
    f = -float(ll.sum())
    if order == 0:
        return f
    grad = -np.append(X.T @ g[:, 0], g[:, 1].sum())
    if order == 1:
        return f, grad
    k = X.shape[1]
    H = np.empty((k + 1, k + 1))
    H[:k, :k] = (X * h[:, 0][:, None]).T @ X
    H[:k, k] = H[k, :k] = X.T @ h[:, 1]
    H[k, k] = h[:, 2].sum()
    return f, grad, -H


def fit_beta_binomial_regression(successes, trials, covariates=None, labels=None, level: float = 0.95,
                                 censored=None) -> RegressionFit:
    """Beta-binomial regression: logit(mu_i) = x_i b with a common rho across units.

    Equals ``VGAM::vglm(cbind(y, n - y) ~ x, betabinomial, zero = 2)``.  Maximum likelihood with the analytic
    gradient and Hessian (digamma/trigamma) by Newton's method in (b, logit rho), started from the
    quasi-binomial coefficients; standard errors from the observed information.

    Parameters
    ----------
    successes, trials : array_like
        Per unit; units with no trials are left out and counted.
    covariates : pandas.DataFrame, optional
        Categorical columns dummy-coded with the first level as reference.
    labels : array_like, optional
    level : float
    censored : tuple of array_like, optional
        ``(lower, upper)``: integer bounds on the successes, used for the units whose successes are NaN (as
        ``ssstats.data.load_units`` gives them in ``c_lower``, ``c_upper``); their likelihood is
        P(lower <= Y <= upper) under the unit's own mean.  Read and checked exactly as by
        :func:`fit_beta_binomial`: an upper bound above the trials is read as the trials, a lower bound above them
        is refused, and an uncensored unit's bounds must contain its successes.

    Returns
    -------
    RegressionFit
        ``coef`` holds the mean-model coefficients (logit scale) and a last row ``logit(rho)``; ``.rho`` and its
        interval (Wald on the logit scale) are in ``.rho`` and ``.rho_ci``; ``.n_censored`` counts the censored
        units fitted (the summary says how many).

    Raises
    ------
    SSStatsError
        Bad inputs (named with the unit and value: counts, missing successes without ``censored``, bounds out of
        order or outside [0, trials], covariates); no unit with successes, or every unit all successes;
        separation (judged from the data, see Notes); rho's estimate at 0 (no overdispersion: use the binomial
        GLM), which this regression does not fit at the boundary: decided by the likelihood ratio against the
        binomial (below 1e-6) or a variance inflation (n - 1) rho below 1e-6 in the largest unit, not by rho
        itself, so that rho = 4e-8 with 1e9 trials (40 times the binomial variance) is fitted.

    Notes
    -----
    Separation (an infinite coefficient) is found from the data, not from fitted proportions: a direction b != 0
    with x_i b >= 0 for every unit that has successes and x_i b <= 0 for every unit that has failures (censored
    units count by their bounds), sought by a linear programme (Albert and Anderson 1984).  Rates of 1e-9 in
    units of 1e9 trials are therefore fitted.

    With censored units the starting values come from the quasi-binomial fit with each censored unit at the
    middle of its range; the likelihood maximised is the exact one.
    """
    import statsmodels.api as sm

    (lev,) = check_levels(level)
    y, n, X, names, n_ex, cens, lo, hi = _prop_inputs(successes, trials, covariates, labels, censored)
    from statsmodels.tools.sm_exceptions import PerfectSeparationWarning

    _check_separation(X, n, lo, hi)
    mid = np.where(cens, (lo + hi) / 2, y)  # starting values only
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PerfectSeparationWarning)  # separation is checked from the fit below
        glm = sm.GLM(mid / n, X, family=sm.families.Binomial(), var_weights=n).fit(tol=1e-10)
    rho0 = _moments(mid, n)[1]
    data = _RegData(X, np.where(cens, 0.0, y), n, cens, lo, hi)
    x0 = np.append(np.asarray(glm.params, float), special.logit(rho0))

    def objective(theta):
        with np.errstate(all="ignore"):  # trial points of the line search may overflow: they are rejected
            f, g = _bbreg_negll(theta, data, 1)
        return (f, g) if np.isfinite(f) and np.all(np.isfinite(g)) else (np.inf, np.zeros_like(theta))

    res = optimize.minimize(objective, x0, jac=True, method="BFGS", options=dict(gtol=1e-9, maxiter=2000))
    x = res.x
    with np.errstate(all="ignore"):
        for _ in range(50):  # Newton polish with the analytic Hessian
            f, g, H = _bbreg_negll(x, data, 2)
            try:
                step = np.linalg.solve(H, g)
            except np.linalg.LinAlgError:
                break
            if not np.all(np.isfinite(step)):
                break
            t = 1.0
            while t > 1e-8 and not (_bbreg_negll(x - t * step, data, 0) <= f + 1e-12 * abs(f)):
                t /= 2
            x = x - t * step
            if np.max(np.abs(t * step)) < 1e-12:
                break
    f, g, H = _bbreg_negll(x, data, 2)
    rho = float(special.expit(x[-1]))
    # no overdispersion, judged by the likelihood ratio against the binomial at the fitted mean model (an upper
    # bound on the LRT statistic; rho itself may be 1e-8 and matter, with 1e9 trials) and by the variance
    # inflation 1 + (n - 1) rho of the largest unit, or a maximum that is not an interior one
    with np.errstate(all="ignore"):
        f_binom = _bbreg_negll(np.append(x[:-1], -60.0), data, 0)  # rho = e^-60: the binomial
    if (2 * (f_binom - f) < 1e-6 or (float(n.max()) - 1) * rho < 1e-6
            or not np.all(np.linalg.eigvalsh(H) > 0)):
        raise SSStatsError("the beta-binomial regression's rho tends to 0 (no overdispersion beyond the binomial "
                           "given the covariates): use fit_quasibinomial, whose dispersion is then about 1")
    if np.max(np.abs(g)) > 1e-6 * max(1.0, abs(f)):
        raise SSStatsError(f"the beta-binomial regression did not converge (largest score {np.max(np.abs(g)):.3g}); "
                           f"check the covariates for near-separation or rescale numeric ones")
    cov = np.linalg.inv(H)
    se = np.sqrt(np.diag(cov))
    allnames = names + ["logit(rho)"]
    coef = _coef_table(allnames, x, se, lev)
    z = stats.norm.ppf((1 + lev) / 2)
    rho_ci = (float(special.expit(x[-1] - z * se[-1])), float(special.expit(x[-1] + z * se[-1])))
    return RegressionFit(
        title="Beta-binomial regression across units (logit mean, common rho; maximum likelihood)", coef=coef,
        params=pd.Series(x, index=allnames), bse=pd.Series(se, index=allnames), dispersion=np.nan, rho=rho,
        rho_ci=rho_ci, loglik=-f, n_units=int(y.size), n_excluded=n_ex, n_censored=int(cens.sum()), level=lev,
        cov=cov,
        extra=[f"  rho = {format_ci(rho, *rho_ci, 4)} (Wald on logit scale); log-likelihood {-f:.4f}"],
    )
