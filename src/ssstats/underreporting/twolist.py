"""Two-list capture-recapture: Lincoln-Petersen and Chapman estimators with Chao's log-normal interval.

With ``n1`` and ``n2`` records on two lists and ``m`` on both:

- Lincoln-Petersen: ``N = n1 n2 / m``, ``Var = n1 n2 (n1 - m)(n2 - m) / m^3``; infinite when ``m = 0``.
- Chapman: ``N = (n1 + 1)(n2 + 1) / (m + 1) - 1``,
  ``Var = (n1 + 1)(n2 + 1)(n1 - m)(n2 - m) / ((m + 1)^2 (m + 2))``; finite for every ``m``.
- Interval (Chao 1987): with ``n = n1 + n2 - m`` observed and ``f = N - n`` unseen,
  ``C = exp(z sqrt(log(1 + Var / f^2)))`` and the interval ``(n + f / C, n + f C)``, which never falls below
  ``n``.

References
----------
.. [1] Chapman, D. G. (1951). Some properties of the hypergeometric distribution with applications to zoological
   sample censuses. *Univ. California Publ. Statist.* 1, 131-160.
.. [2] Seber, G. A. F. (1982). *The Estimation of Animal Abundance*, 2nd ed. Griffin (sections 3.1.1-3.1.2).
.. [3] Chao, A. (1987). Estimating the population size for capture-recapture data with unequal catchability.
   *Biometrics* 43, 783-791.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

from .._validate import SSStatsError, as_counts, broadcast, check_le, check_levels, unit_labels

__all__ = ["lincoln_petersen", "chapman"]


def _inputs(n1, n2, m):
    labels = unit_labels(n1=n1, n2=n2, m=m)
    a = as_counts(n1, "n1", labels)
    b = as_counts(n2, "n2", labels)
    c = as_counts(m, "m", labels)
    a, b, c = broadcast({"n1": a, "n2": b, "m": c})
    check_le(c, a, "m", "n1", labels)
    check_le(c, b, "m", "n2", labels)
    return a, b, c, labels


def _chao_interval(n_obs, est, var, alpha):
    z = special.ndtri(1 - alpha / 2)
    f = est - n_obs
    with np.errstate(divide="ignore", invalid="ignore"):
        C = np.exp(z * np.sqrt(np.log1p(var / f**2)))
        lo = np.where(f > 0, n_obs + f / C, n_obs)
        hi = np.where(f > 0, n_obs + f * C, n_obs)
    return lo, hi


def _frame(labels, n1, n2, m, est, var, method, levels):
    n_obs = n1 + n2 - m
    blocks = []
    for lv in levels:
        lo, hi = _chao_interval(n_obs, est, var, 1 - lv)
        d = {} if labels is None else {"unit": labels}
        d.update(n1=n1, n2=n2, m=m, n_observed=n_obs, estimate=est, stderr=np.sqrt(var), lower=lo, upper=hi,
                 method=method, level=lv)
        blocks.append(pd.DataFrame(d))
    return pd.concat(blocks, ignore_index=True)


def lincoln_petersen(n1, n2, m, level=0.95) -> pd.DataFrame:
    """Lincoln-Petersen estimate of a population total from two lists.

    Parameters
    ----------
    n1, n2 : int or array_like
        Records on list 1 and list 2.
    m : int or array_like
        Records on both lists.
    level : float or sequence of float
        Confidence level(s) for Chao's log-normal interval.

    Returns
    -------
    pandas.DataFrame
        ``n1, n2, m, n_observed, estimate, stderr, lower, upper, method, level`` (and ``unit`` if the inputs carry
        labels).

    Raises
    ------
    SSStatsError
        If a count is bad, ``m`` exceeds ``n1`` or ``n2``, or ``m = 0`` (the estimate is infinite when the lists
        do not overlap; use :func:`chapman`).

    References
    ----------
    Seber (1982), section 3.1.1; Chao (1987).

    Examples
    --------
    >>> lincoln_petersen(100, 80, 20)[["estimate", "stderr"]].round(2)
       estimate  stderr
    0     400.0   69.28
    """
    n1, n2, m, labels = _inputs(n1, n2, m)
    levels = check_levels(level)
    if (m == 0).any():
        i = int(np.flatnonzero(m == 0)[0])
        where = f" for unit {labels[i]!r} (position {i})" if labels is not None else (
            f" at position {i}" if m.size > 1 else "")
        raise SSStatsError(
            f"`m` = 0{where}: the lists do not overlap, so the Lincoln-Petersen estimate n1 n2 / m is infinite; "
            f"Chapman's estimator (ssstats.chapman) stays finite"
        )
    est = n1 * n2 / m
    var = n1 * n2 * (n1 - m) * (n2 - m) / m**3
    return _frame(labels, n1, n2, m, est, var, "lincoln_petersen", levels)


def chapman(n1, n2, m, level=0.95) -> pd.DataFrame:
    """Chapman's nearly unbiased two-list estimate of a population total, with its variance.

    Finite even when the lists do not overlap (``m = 0``), though then it is only a lower-information guess
    and its interval is very wide.

    Parameters
    ----------
    n1, n2 : int or array_like
        Records on list 1 and list 2.
    m : int or array_like
        Records on both lists.
    level : float or sequence of float
        Confidence level(s) for Chao's log-normal interval.

    Returns
    -------
    pandas.DataFrame
        As :func:`lincoln_petersen`, with ``method = "chapman"``.

    Raises
    ------
    SSStatsError
        If a count is bad or ``m`` exceeds ``n1`` or ``n2``.

    References
    ----------
    Chapman (1951); Seber (1982), section 3.1.2; Chao (1987).

    Examples
    --------
    >>> chapman(100, 80, 20)[["estimate", "stderr"]].round(2)
       estimate  stderr
    0    388.57   63.62
    """
    n1, n2, m, labels = _inputs(n1, n2, m)
    levels = check_levels(level)
    est = (n1 + 1) * (n2 + 1) / (m + 1) - 1
    var = (n1 + 1) * (n2 + 1) * (n1 - m) * (n2 - m) / ((m + 1) ** 2 * (m + 2))
    return _frame(labels, n1, n2, m, est, var, "chapman", levels)
