"""Existence and identifiability of the maximum-likelihood estimate of a Poisson log-linear model.

A Poisson log-linear model for a capture-history table has a finite maximum-likelihood estimate if and only if the
vector of sufficient statistics ``t = X' y`` lies in the relative interior of the cone spanned by the rows of the
design matrix ``X`` (Haberman 1974; Fienberg and Rinaldo 2012).  That holds exactly when some strictly positive
table ``x`` has the same sufficient statistics, which a linear programme decides::

    maximise s  subject to  X' x = X' y,  x_i >= s,  s >= 0

The estimate exists when the optimum ``s`` is positive (Fienberg and Rinaldo 2012, p. 3, as corrected and used by
SparseMSE's ``checkident``).  It depends only on which cells are zero, so :func:`mle_exists` may be called with
the 0/1 support of ``y``.  The estimate is identifiable when ``X`` has full column rank.

References
----------
.. [1] Fienberg, S. E. and Rinaldo, A. (2012). Maximum likelihood estimation in log-linear models. *Annals of
   Statistics* 40, 996-1023.
.. [2] Chan, L., Silverman, B. W. and Vincent, K. (2021). Multiple systems estimation for sparse capture data:
   inferential challenges when there are nonoverlapping lists. *JASA* 116, 1297-1306.
.. [3] Haberman, S. J. (1974). *The Analysis of Frequency Data*. University of Chicago Press.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linprog

__all__ = ["mle_exists", "full_rank", "check_model"]

#: the optimum of the linear programme must exceed this (relative to the total count) for the MLE to exist
_LP_TOL = 1e-9


def mle_exists(X: np.ndarray, y: np.ndarray, fast: bool = True) -> bool:
    """Whether the Poisson log-linear MLE for design ``X`` (cells x parameters) and counts ``y`` is finite.

    Solves the Fienberg-Rinaldo linear programme with SciPy's HiGHS solver; with ``fast=True`` two exact
    shortcuts (below) answer most cases without it.
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    if np.all(y > 0):
        return True
    quick = _fast_answer(X, y) if fast else None
    return _lp(X, y) if quick is None else quick


def _fast_answer(X: np.ndarray, y: np.ndarray) -> bool | None:
    """Exact answer without the linear programme where one is cheap, else ``None``.

    The MLE fails to exist iff some direction d = X c is
    >= 0 on the zero cells, 0 on the positive cells and not identically 0 (Haberman 1974).  If the positive
    cells alone determine c (full column rank) there is no such direction; if one direction v spans the null
    space of the positive cells' rows, the MLE fails exactly when X v has one sign on the zero cells.
    """
    pos = y > 0
    _, sv, vh = np.linalg.svd(X[pos], full_matrices=True)
    tol = max(X.shape) * np.finfo(float).eps * (sv[0] if sv.size else 1.0)
    rank = int(np.sum(sv > tol))
    if rank == X.shape[1]:
        return True
    if X.shape[1] - rank == 1:
        d = X[~pos] @ vh[-1]
        big = np.abs(d).max()
        if big > 1e-9:
            return not (np.all(d >= -1e-9 * big) or np.all(d <= 1e-9 * big))
    return None


def _lp(X: np.ndarray, y: np.ndarray) -> bool:
    """The Fienberg-Rinaldo linear programme."""
    c_cells = X.shape[0]
    # variables: x_1..x_C, s ; minimise -s
    cost = np.zeros(c_cells + 1)
    cost[-1] = -1.0
    a_eq = np.hstack([X.T, np.zeros((X.shape[1], 1))])
    b_eq = X.T @ y
    a_ub = np.hstack([-np.eye(c_cells), np.ones((c_cells, 1))])  # s - x_i <= 0
    b_ub = np.zeros(c_cells)
    res = linprog(cost, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
    if res.status != 0:  # pragma: no cover - the programme is feasible (x = y, s = 0) and bounded by sum(y)
        return False
    return bool(-res.fun > _LP_TOL * max(1.0, float(y.sum())))


def full_rank(X: np.ndarray) -> bool:
    """Whether ``X`` has full column rank (the parameters are identifiable)."""
    X = np.asarray(X, dtype=float)
    return bool(np.linalg.matrix_rank(X) == X.shape[1])


def check_model(X: np.ndarray, y: np.ndarray) -> tuple[bool, bool]:
    """``(exists, identifiable)`` for design ``X`` and counts ``y``."""
    return mle_exists(X, y), full_rank(X)
