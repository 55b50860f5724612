"""Batched Poisson log-linear fitting for capture-history tables (many tables or many models at once).

A capture-history table has at most 2^k - 1 = 31 cells for k <= 5 lists and few parameters, so one IRLS step for
B tables is a batch of B small weighted least-squares problems: ``np.einsum`` builds the B normal matrices and
``np.linalg.solve`` solves them together.  Parameters left out of a table's model are masked (their column is
zeroed and a 1 put on the diagonal), and cells removed from a table's model (SparseMSE's treatment of a pair of
lists with no overlap) get weight 0.  The convergence rule is R's ``glm``: ``|dev - dev_old| / (|dev| + 0.1)``
below a tolerance.  Verified against statsmodels' GLM in ``tests/test_mse.py``.
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize, special, stats

from .identifiability import full_rank, mle_exists


__all__ = ["irls_batch", "PairModels", "profile_interval", "glm_poisson"]


def glm_poisson(y: np.ndarray, X: np.ndarray):
    """statsmodels' Poisson GLM fitted tightly; saturated fits (0 residual df) do not warn."""
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import PerfectSeparationWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", PerfectSeparationWarning)
        return sm.GLM(y, X, family=sm.families.Poisson()).fit(tol=1e-13, maxiter=200)


def irls_batch(X: np.ndarray, Y: np.ndarray, pmask: np.ndarray | None = None, cmask: np.ndarray | None = None,
               tol: float = 1e-12, maxiter: int = 100) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fit B Poisson log-linear models ``log mu = X beta`` at once.

    Parameters
    ----------
    X : (C, P) array
        Design shared by all tables.
    Y : (B, C) array
        Counts.
    pmask : (B, P) 0/1 array, optional
        Which parameters each model uses.
    cmask : (B, C) 0/1 array, optional
        Which cells each model uses.

    Returns
    -------
    beta : (B, P) array (masked parameters are 0)
    mu : (B, C) array (masked cells are 0)
    converged : (B,) bool array
    """
    Y = np.atleast_2d(np.asarray(Y, dtype=float))
    B, C = Y.shape
    P = X.shape[1]
    pmask = np.ones((B, P)) if pmask is None else np.asarray(pmask, dtype=float)
    cmask = np.ones((B, C)) if cmask is None else np.asarray(cmask, dtype=float)
    Xb = X[None, :, :] * pmask[:, None, :]
    eye = np.eye(P)[None, :, :] * (1.0 - pmask)[:, :, None]
    mu = (Y + 0.5) * cmask
    eta = np.log(Y + 0.5)
    ylogy = special.xlogy(Y, Y)
    dev_old = np.full(B, np.inf)
    converged = np.zeros(B, bool)
    beta = np.zeros((B, P))
    for _ in range(maxiter):
        safe_mu = np.where(cmask > 0, mu, 1.0)
        z = eta + (Y - mu) / safe_mu * cmask
        XtW = Xb * mu[:, :, None]
        A = np.einsum("bcp,bcq->bpq", XtW, Xb) + eye
        g = np.einsum("bcp,bc->bp", XtW, z)
        beta_old = beta
        beta = np.linalg.solve(A, g[:, :, None])[:, :, 0]
        eta = np.einsum("bcp,bp->bc", Xb, beta)
        mu = np.exp(eta) * cmask
        dev = 2 * np.sum(cmask * (ylogy - special.xlogy(Y, np.where(cmask > 0, mu, 1.0)) - (Y - mu)), axis=1)
        # R's rule, or (for near-saturated fits whose deviance is rounding noise) parameters that no longer move
        converged = (np.abs(dev - dev_old) / (np.abs(dev) + 0.1) < tol) | (
            np.max(np.abs(beta - beta_old), axis=1) < 1e-11)
        if converged.all():
            break
        dev_old = dev
    return beta, mu, converged


def poisson_loglik(Y: np.ndarray, mu: np.ndarray, cmask: np.ndarray) -> np.ndarray:
    """Poisson log-likelihood over the cells in ``cmask`` (row-wise)."""
    safe = np.where(cmask > 0, mu, 1.0)
    return np.sum(cmask * (special.xlogy(Y, safe) - mu - special.gammaln(Y + 1)), axis=1)


@dataclass
class PairModels:
    """Main effects plus chosen pairwise interactions for ``k`` lists, fitted to many tables at once.

    A model is a boolean vector over the ``k (k - 1) / 2`` pairs.  A pair in the model whose lists share no record
    in a table is handled as SparseMSE does: its parameter is dropped and every cell holding both lists is removed
    (its fitted count is 0), and it still counts as a parameter in AIC/BIC.
    """

    H: np.ndarray  # (C, k) histories
    pairs: list[tuple[int, int]] = field(init=False)
    X: np.ndarray = field(init=False)  # (C, 1 + k + npairs)
    Pc: np.ndarray = field(init=False)  # (C, npairs) cell holds both lists of the pair
    _cache: dict = field(init=False, default_factory=dict)

    def __post_init__(self):
        k = self.H.shape[1]
        self.pairs = list(itertools.combinations(range(k), 2))
        self.Pc = np.column_stack([self.H[:, i] * self.H[:, j] for i, j in self.pairs]) if self.pairs else \
            np.zeros((self.H.shape[0], 0))
        self.X = np.column_stack([np.ones(self.H.shape[0]), self.H, self.Pc])

    @property
    def k(self) -> int:
        return self.H.shape[1]

    @property
    def npairs(self) -> int:
        return len(self.pairs)

    # -- masks ---------------------------------------------------------------------------------------------------
    def masks(self, Y: np.ndarray, included: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(pmask, cmask, empty)`` for tables ``Y`` (B x C) and models ``included`` (B x npairs)."""
        nstar = Y @ self.Pc
        empty = included & (nstar == 0)
        cmask = 1.0 - ((empty.astype(float) @ self.Pc.T) > 0)
        pm = np.concatenate([np.ones((Y.shape[0], 1 + self.k)), (included & ~empty).astype(float)], axis=1)
        return pm, cmask, empty

    def fit(self, Y: np.ndarray, included: np.ndarray, tol: float = 1e-12):
        """Fit each table to its model; returns ``beta, mu, loglik, npar, converged`` (npar counts empty pairs)."""
        Y = np.atleast_2d(Y)
        included = np.broadcast_to(np.asarray(included, bool), (Y.shape[0], self.npairs))
        pm, cm, _ = self.masks(Y, included)
        beta, mu, conv = irls_batch(self.X, Y, pm, cm, tol=tol)
        ll = poisson_loglik(Y, mu, cm)
        npar = 1 + self.k + included.sum(axis=1)
        return beta, mu, ll, npar, conv

    # -- existence and identifiability ---------------------------------------------------------------------------
    def check(self, support: np.ndarray, included: np.ndarray) -> bool:
        """Whether the MLE exists and is identifiable for a table with this support (0/1 per cell) and model."""
        key = (np.packbits(support.astype(bool)).tobytes(), np.packbits(included.astype(bool)).tobytes())
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        y = support.astype(float)
        pm, cm, _ = self.masks(y[None, :], included[None, :])
        keep = cm[0] > 0
        X = self.X[keep][:, pm[0] > 0]
        ok = full_rank(X) and mle_exists(X, y[keep])
        self._cache[key] = ok
        return ok

    def check_many(self, Y: np.ndarray, included: np.ndarray) -> np.ndarray:
        """:meth:`check` for each row, computing each distinct (support, model) once."""
        sup = (Y > 0)
        keys = np.concatenate([sup, included], axis=1)
        uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
        C = Y.shape[1]
        res = np.array([self.check(u[:C], u[C:]) for u in uniq], dtype=bool)
        return res[inverse.ravel()]

    # -- stepwise selection (SparseMSE) --------------------------------------------------------------------------
    def stepwise(self, Y: np.ndarray, threshold: float, trace: bool = False):
        """SparseMSE's stepwise selection for every table at once.

        Start from main effects; at each step compute, for every pair not in the model, the two-sided Poisson
        p-value ``min(P(X <= n*), P(X >= n*))`` of the pair's total overlap ``n*`` under the current fit; set it to
        1 if adding the pair would make the MLE non-existent or non-identifiable; add the pair with the smallest
        p-value (the first on ties) if it is below ``threshold``, else stop.

        Returns ``included`` (B x npairs), ``ok`` (B,) (the main-effects model exists) and, with ``trace=True``,
        a list of per-step dicts for table 0: ``pvalues`` (as used: 1 for pairs in the model or refused),
        ``raw_pvalues`` (1 only for pairs in the model), ``pstar`` (expected overlaps), ``refused`` (pairs below
        the threshold whose estimate would not exist) and ``included`` (the model at the start of the step).
        """
        Y = np.atleast_2d(Y)
        B = Y.shape[0]
        included = np.zeros((B, self.npairs), bool)
        ok = self.check_many(Y, included)
        active = ok.copy()
        nstar = Y @ self.Pc
        steps = []
        while active.any():
            idx = np.flatnonzero(active)
            Ya, inc = Y[idx], included[idx]
            _, mu, _, _, _ = self.fit(Ya, inc)
            pstar = mu @ self.Pc
            ns = nstar[idx]
            pval = np.minimum(stats.poisson.cdf(ns, pstar), stats.poisson.sf(ns - 1, pstar))
            pval[inc] = 1.0
            raw0 = pval[0].copy() if idx.size else None
            cand_rows, cand_pairs = np.nonzero(pval < threshold)
            refused = []
            if cand_rows.size:
                trial = inc[cand_rows].copy()
                trial[np.arange(cand_rows.size), cand_pairs] = True
                good = self.check_many(Ya[cand_rows], trial)
                pval[cand_rows[~good], cand_pairs[~good]] = 1.0
                refused = [int(j) for r, j in zip(cand_rows[~good], cand_pairs[~good]) if r == 0]
            if trace and idx.size and idx[0] == 0:
                steps.append({"pvalues": pval[0].copy(), "raw_pvalues": raw0, "pstar": pstar[0].copy(),
                              "refused": refused, "included": inc[0].copy()})
            best = np.argmin(pval, axis=1) if self.npairs else np.zeros(idx.size, int)
            pmin = pval[np.arange(idx.size), best] if self.npairs else np.ones(idx.size)
            add = pmin < threshold
            included[idx[add], best[add]] = True
            active[idx[~add]] = False
        return (included, ok, steps) if trace else (included, ok)

    def best_subset(self, Y: np.ndarray, candidates: np.ndarray, criterion: str, models=None):
        """Search over subsets of ``candidates`` (pairs), best AIC or BIC per table.

        ``models`` (a list of tuples of pair indices) restricts the search to those models.  Returns ``included``
        (B x npairs), ``ok`` (B,) and the table of every model for table 0: ``(pairs, criterion, AIC, usable)``.
        """
        Y = np.atleast_2d(Y)
        B = Y.shape[0]
        cand = np.flatnonzero(candidates)
        n = Y.sum(axis=1)
        best_val = np.full(B, np.inf)
        best_inc = np.zeros((B, self.npairs), bool)
        rows = []
        if models is None:
            models = [c for r in range(len(cand) + 1) for c in itertools.combinations(cand, r)]
        for combo in models:
            inc = np.zeros(self.npairs, bool)
            inc[list(combo)] = True
            incB = np.broadcast_to(inc, (B, self.npairs))
            good = self.check_many(Y, incB)
            if not good.any():
                rows.append((combo, np.nan, np.nan, False))
                continue
            _, _, ll, npar, _ = self.fit(Y[good], incB[good])
            pen = 2.0 if criterion == "aic" else np.log(n[good])
            val = -2 * ll + pen * npar
            g = np.flatnonzero(good)
            better = val < best_val[g]
            best_val[g[better]] = val[better]
            best_inc[g[better]] = inc
            if good[0]:
                rows.append((combo, float(val[0]), float(-2 * ll[0] + 2 * npar[0]), True))
            else:
                rows.append((combo, np.nan, np.nan, False))
        return best_inc, np.isfinite(best_val), rows


def _profile_loglik(X: np.ndarray, y: np.ndarray, N: float) -> float:
    """Multinomial log-likelihood at total ``N``, profiled over the log-linear parameters.

    The unobserved cell (design row ``(1, 0, ..., 0)``) gets count ``N - n``; the Poisson fit of the completed
    table has ``sum(mu) = N`` and gives the multinomial maximum ``sum y log(mu / N)`` (Rcapture's ``closedpCI``).
    """
    n = y.sum()
    Xf = np.vstack([np.eye(1, X.shape[1]), X])
    yf = np.concatenate([[N - n], y])
    _, mu, _ = irls_batch(Xf, yf[None, :], tol=1e-13, maxiter=200)
    return float(special.gammaln(N + 1) - special.gammaln(N - n + 1) + np.sum(special.xlogy(yf, mu[0] / N)))


def profile_interval(X: np.ndarray, y: np.ndarray, alpha: float, scale: float) -> tuple[float, float, float]:
    """Multinomial profile-likelihood interval for the total ``N`` of a log-linear model with design ``X``
    (first column the intercept) and observed counts ``y``.

    Returns ``(lower, upper, N_mle)``; ``upper`` is ``inf`` if the profile never falls far enough.  ``scale`` (e.g.
    the Poisson standard error) sets the search step.
    """
    n = float(y.sum())
    f = lambda N: _profile_loglik(X, y, N)  # noqa: E731
    step = max(scale, 1.0)
    hi_b = n + step
    while f(hi_b + step) > f(hi_b) and hi_b < n + 1e8 * step:
        hi_b += step
        step *= 2
    res = optimize.minimize_scalar(lambda N: -f(N), bounds=(n, hi_b + step), method="bounded",
                                   options={"xatol": 1e-10 * max(1.0, n)})
    n_hat, lmax = float(res.x), -float(res.fun)
    crit = stats.chi2.ppf(1 - alpha, 1) / 2
    g = lambda N: lmax - f(N) - crit  # noqa: E731
    lo = n if g(n) <= 0 else optimize.brentq(g, n, n_hat, xtol=1e-10)
    hi_b = n_hat + max(scale, 1.0)
    for _ in range(60):
        if g(hi_b) > 0:
            break
        hi_b = n_hat + 2 * (hi_b - n_hat)
    else:
        return float(lo), np.inf, n_hat
    hi = optimize.brentq(g, n_hat, hi_b, xtol=1e-10)
    return float(lo), float(hi), n_hat
