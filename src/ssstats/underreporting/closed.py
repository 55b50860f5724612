"""Closed-population capture-recapture models as in Rcapture's ``closedp`` (Baillargeon and Rivest 2007).

Every model is a Poisson log-linear model for the ``2^t - 1`` observable capture histories of ``t`` occasions,
fitted with statsmodels' GLM; ``nbcap`` is the number of times a history was captured:

====================  ==========================================================================================
model                 design columns (besides the intercept)
====================  ==========================================================================================
M0                    nbcap
Mt                    one indicator per occasion
Mh Chao (LB)          nbcap, (nbcap - 2)+, ..., (nbcap - t + 1)+   (negative eta set to 0 and refitted)
Mh Poisson2           nbcap, 2^nbcap - 1
Mh Darroch            nbcap, nbcap^2 / 2
Mh Gamma3.5           nbcap, -log(3.5 + nbcap) + log(3.5)
Mth *                 the Mt indicators plus the Mh heterogeneity column(s)
Mb                    occasions before the first capture, captures after the first
Mbh                   Mb plus an indicator of not being caught on occasion 1
====================  ==========================================================================================

The abundance is ``n + exp(intercept)`` with ``SE = sqrt(exp(b0) + exp(2 b0) Var b0)``, except Mb and Mbh
whose closed forms (and delta-method standard errors) are Rcapture's.  ``deviance``, ``df`` and ``AIC`` are the
GLM's (R's ``glm``); ``BIC`` is ``-2 loglik + log(n) p`` with ``n`` the number of captured units and ``p`` the
number of parameters.

References
----------
.. [1] Baillargeon, S. and Rivest, L.-P. (2007). Rcapture: loglinear models for capture-recapture in R.
   *Journal of Statistical Software* 19(5).
.. [2] Rivest, L.-P. and Baillargeon, S. (2007). Applications and extensions of Chao's moment estimator for the
   size of a closed population. *Biometrics* 63, 999-1006.
.. [3] Cormack, R. M. (1989). Log-linear models for capture-recapture. *Biometrics* 45, 395-413.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._result import Result
from .._validate import SSStatsError, check_flag, check_levels
from ._loglinear import glm_poisson, profile_interval
from .identifiability import full_rank, mle_exists
from ._tables import capture_table

__all__ = ["closed_population", "ClosedPopulationResult", "HETEROGENEITY", "CLOSED_MODELS"]


def _chao(nb, t):
    return np.column_stack([np.maximum(nb - j + 1, 0) for j in range(3, t + 1)])


#: heterogeneity columns as functions of nbcap and t
HETEROGENEITY: dict[str, Callable] = {
    "Chao (LB)": _chao,
    "Poisson2": lambda nb, t: (2.0**nb - 1)[:, None],
    "Darroch": lambda nb, t: (nb**2 / 2)[:, None],
    "Gamma3.5": lambda nb, t: (-np.log(3.5 + nb) + np.log(3.5))[:, None],
}


def _design_m0(H):
    return H.sum(axis=1)[:, None]


def _design_mt(H):
    return H


def _before_after(H):
    first = np.argmax(H > 0, axis=1).astype(float)  # occasions before the first capture
    return first, H.sum(axis=1) - 1


def _design_mb(H):
    before, after = _before_after(H)
    return np.column_stack([before, after])


def _design_mbh(H):
    before, after = _before_after(H)
    return np.column_stack([1 - H[:, 0], before, after])


def _abundance_default(n, b, V, t):
    d = np.exp(b[0])
    return n + d, np.sqrt(d + d**2 * V[0, 0])


def _abundance_mb(n, b, V, t):
    e1, e2 = np.exp(b[1]), np.exp(b[2])
    den = 1 + e2 - e1
    N = np.exp(b[0]) * (1 + e2) ** t / den
    v = N * np.array([1.0, e1 / den, t * e2 / (1 + e2) - e2 / den])
    return N, np.sqrt(v @ V @ v - N)


def _abundance_mbh(n, b, V, t):
    e3, e4 = np.exp(b[2]), np.exp(b[3])
    den = 1 + e4 - e3
    g = np.exp(b[1] + b[2]) / den
    base = np.exp(b[0]) * (1 + e4) ** (t - 1)
    N = base * (1 + g)
    v = base * np.array([1 + g, g, g + np.exp(b[1] + 2 * b[2]) / den**2,
                         (t - 1) * e4 / (1 + e4) - np.exp(b[1] + b[2] + b[3]) / den**2])
    return N, np.sqrt(v @ V @ v - N)


def _models(t: int) -> dict[str, tuple[Callable, Callable, int | None]]:
    """name -> (design(H), abundance(n, beta, V, t), index of the first Chao eta column or None)."""
    out = {"M0": (_design_m0, _abundance_default, None), "Mt": (_design_mt, _abundance_default, None)}
    if t >= 3:
        for h, f in HETEROGENEITY.items():
            out[f"Mh {h}"] = ((lambda H, f=f: np.column_stack([H.sum(1), f(H.sum(1), H.shape[1])])),
                              _abundance_default, 2 if h.startswith("Chao") else None)
        for h, f in HETEROGENEITY.items():
            out[f"Mth {h}"] = ((lambda H, f=f: np.column_stack([H, f(H.sum(1), H.shape[1])])),
                               _abundance_default, t + 1 if h.startswith("Chao") else None)
    out["Mb"] = (_design_mb, _abundance_mb, None)
    if t >= 3:
        out["Mbh"] = (_design_mbh, _abundance_mbh, None)
    return out


CLOSED_MODELS = tuple(_models(6))
"""Model names fitted for three or more occasions (two occasions: M0, Mt and Mb)."""


def _glm(y, Z):
    return glm_poisson(y, np.column_stack([np.ones(len(y)), Z]))


_NAN_ROW = {"abundance": np.nan, "stderr": np.nan, "deviance": np.nan, "df": np.nan, "AIC": np.nan, "BIC": np.nan,
            "profile_mle": np.nan, "lower": np.nan, "upper": np.nan, "converged": False, "eta_set_to_zero": 0}


def _fit_model(y, H, n, design, abundance, chao_start, neg, alpha):
    Z = design(H)
    X = np.column_stack([np.ones(len(y)), Z])
    if not full_rank(X):
        return {**_NAN_ROW, "note": "not identifiable (rank-deficient design)"}
    if not mle_exists(X, y):
        return {**_NAN_ROW, "note": "estimate does not exist (Fienberg-Rinaldo): the zero cells force a "
                                    "parameter to infinity"}
    res = _glm(y, Z)
    dropped = []
    cols = list(range(Z.shape[1]))
    if chao_start is not None and neg:
        while True:
            eta = np.asarray(res.params)[chao_start:]
            neg_idx = np.flatnonzero(eta < 0)
            if neg_idx.size == 0:
                break
            pos = chao_start - 1 + neg_idx[0]  # column of Z (no intercept)
            dropped.append(cols.pop(pos))
            res = _glm(y, Z[:, cols])
    b = np.asarray(res.params)
    V = np.asarray(res.cov_params())
    N, se = abundance(n, b, V, H.shape[1])
    p = len(b)
    ll = float(res.llf)
    dev = float(res.deviance)
    dev = 0.0 if abs(dev) < 1e-9 else dev  # a saturated fit's deviance is 0 up to rounding
    lo = hi = n_hat = np.nan
    if abundance is _abundance_default:
        lo, hi, n_hat = profile_interval(np.column_stack([np.ones(len(y)), Z[:, cols]]), y, alpha, float(se))
    return {"abundance": float(N), "stderr": float(se), "deviance": dev,
            "df": int(round(res.df_resid)), "AIC": -2 * ll + 2 * p, "BIC": -2 * ll + np.log(n) * p,
            "profile_mle": n_hat, "lower": lo, "upper": hi,
            "converged": bool(res.converged), "eta_set_to_zero": len(dropped), "note": ""}


@dataclass(repr=False)
class ClosedPopulationResult(Result):
    """Abundance estimates from Rcapture's closed-population models.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per model: ``model, abundance, stderr, deviance, df, AIC, BIC, profile_mle, lower, upper,
        level, converged, eta_set_to_zero, note``; a model whose estimate does not exist (e.g. an occasion that
        records every unit seen) or is not identifiable gets NaN and a note.
    n : float
        Captured units.
    t : int
        Capture occasions.
    """

    table: pd.DataFrame
    n: float
    t: int
    notes: list = field(default_factory=list)

    _plot_function = "plot_closed"

    @property
    def best(self) -> pd.Series:
        """The row with the smallest AIC."""
        return self.table.loc[self.table["AIC"].idxmin()]

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def summary(self) -> str:
        tab = self.table[["model", "abundance", "stderr", "deviance", "df", "AIC", "BIC"]].round(
            {"abundance": 1, "stderr": 1, "deviance": 3, "AIC": 3, "BIC": 3})
        b = self.best
        lines = [f"Closed-population models: {self.n:.0f} units captured on {self.t} occasions",
                 tab.to_string(index=False),
                 f"Smallest AIC: {b['model']} (N = {b['abundance']:.1f}, s.e. {b['stderr']:.1f})"]
        return "\n".join(lines + [f"note: {x}" for x in self.notes])


def closed_population(histories, count: str | None = None, neg: bool = True, level: float = 0.95
                      ) -> ClosedPopulationResult:
    """Fit Rcapture's closed-population log-linear models (M0, Mt, Mh, Mth, Mb, Mbh) to capture histories.

    Parameters
    ----------
    histories : pandas.DataFrame or array_like
        0/1 capture histories, one column per occasion, one row per unit (or with a count column).
    count : str, optional
        Name of the count column.
    neg : bool
        As Rcapture: set negative eta parameters of Chao's lower-bound models to 0 (drop the column and refit).
    level : float
        Confidence level of the multinomial profile-likelihood interval (``lower``, ``upper``, with the
        multinomial estimate ``profile_mle``, as Rcapture's ``closedpCI``); not defined for Mb and Mbh (NaN).

    Returns
    -------
    ClosedPopulationResult

    Raises
    ------
    SSStatsError
        Bad histories (see :func:`ssstats.underreporting.mse.fit_mse`), fewer than two occasions.

    References
    ----------
    Baillargeon and Rivest (2007); Rivest and Baillargeon (2007).

    Examples
    --------
    >>> import pandas as pd
    >>> hare = pd.read_csv("data/hare_capture_histories.csv", comment="#")  # doctest: +SKIP
    >>> closed_population(hare).table.set_index("model").loc["Mth Poisson2", "abundance"]  # doctest: +SKIP
    81.1...
    """
    table = capture_table(histories, count, what="occasion")
    neg = check_flag(neg, "neg")
    (level,) = check_levels(level)
    rows = []
    notes = []
    for name, (design, abundance, chao_start) in _models(table.k).items():
        r = _fit_model(table.y, table.H, table.n, design, abundance, chao_start, neg, 1 - level)
        rows.append({"model": name, **r})
        if r["note"]:
            notes.append(f"{name}: {r['note']}")
        elif not r["converged"]:
            notes.append(f"{name} did not converge")
    if table.k == 2:
        notes.append("with 2 occasions only M0, Mt and Mb can be fitted (as in Rcapture)")
    if all(not np.isfinite(r["abundance"]) for r in rows):
        seen = table.y[np.asarray(table.H).sum(axis=1) == table.k].sum()  # units caught on every occasion
        why = rows[0]["note"] or "no model converged"
        raise SSStatsError(
            f"no closed-population model can be fitted to these histories: {why}"
            + (f" (all {table.n:,.0f} units were caught on every occasion, so nothing is known of the uncaught)"
               if seen == table.n else ""))
    out = pd.DataFrame(rows)
    out.insert(out.columns.get_loc("upper") + 1, "level", level)
    return ClosedPopulationResult(out, table.n, table.k, notes)
