"""Multiple systems estimation: Poisson log-linear models for two or more overlapping lists.

The observed counts of the ``2^k - 1`` non-empty capture histories are modelled as Poisson with
``log mu = beta_0 + sum_j beta_j h_j + sum_{(i,j) in model} lambda_ij h_i h_j``; the unobserved (all-zero) cell,
the *dark figure*, is ``exp(beta_0)``, and the total is ``N = n + exp(beta_0)`` with
``SE = sqrt(exp(beta_0) + exp(2 beta_0) Var beta_0)`` (Rcapture's formula).  Fits use statsmodels' GLM.  With
two lists and no interaction the estimate is Lincoln-Petersen's ``n1 n2 / m``.

Model choice follows SparseMSE (Chan, Silverman and Vincent): ``"main"`` (independence), ``"stepwise"`` (add the
pair whose total overlap has the smallest Poisson p-value below ``threshold``, while the estimate exists and is
identifiable by the Fienberg-Rinaldo linear programme), ``"best"`` (every subset of the pairs, those of lists with
no overlap included, ranked by AIC or BIC among the models whose estimate exists and is identifiable) or an
explicit list of pairs.  A pair of lists with no overlap in the model is handled as SparseMSE does (its cells are
fixed at zero and its parameter counted in AIC).

Intervals: ``"lognormal"`` (``n + exp(qnorm(q, beta_0, se))``, SparseMSE), ``"profile"`` (multinomial profile
likelihood, Rcapture's ``closedpCI``), ``"bootstrap"`` (multinomial resampling of the observed individuals with the
model re-selected on every replicate -- with ``"best"`` only among the ``n_boot_models`` models that score best on
the original data -- and BCa quantiles with jackknife acceleration, as SparseMSE's ``bcaconfvalues``).  The
bootstrap fits all replicates at once with a batched IRLS (``_loglinear.py``).

References
----------
.. [1] Chan, L., Silverman, B. W. and Vincent, K. (2021). Multiple systems estimation for sparse capture data:
   inferential challenges when there are nonoverlapping lists. *JASA* 116, 1297-1306 (R package SparseMSE).
.. [2] Baillargeon, S. and Rivest, L.-P. (2007). Rcapture: loglinear models for capture-recapture in R.
   *Journal of Statistical Software* 19(5).
.. [3] Silverman, B. W. (2014). *Modern slavery: an application of multiple systems estimation*. Home Office.
.. [4] Fienberg, S. E. and Rinaldo, A. (2012). Maximum likelihood estimation in log-linear models. *Annals of
   Statistics* 40, 996-1023.
.. [5] Efron, B. (1987). Better bootstrap confidence intervals. *JASA* 82, 171-185 (BCa).
.. [6] Silverman, B. W., Chan, L. and Vincent, K. (2023). Bootstrapping multiple systems estimates to account for
   model selection. arXiv:2303.17856 (re-selecting among the best models on the original data).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from .._result import Result, format_ci
from .._validate import SSStatsError, as_seed, check_levels, check_method
from ._loglinear import PairModels, glm_poisson, profile_interval
from ._tables import CaptureTable, capture_table
from .identifiability import full_rank, mle_exists

__all__ = ["fit_mse", "MSEResult", "MODEL_CHOICES", "INTERVALS"]


# ---------------------------------------------------------------------------------------------------------------
# one model fitted with statsmodels

@dataclass
class _Fit:
    included: np.ndarray  # bool over pairs
    empty: list[str]  # pairs in the model with no overlap (cells fixed at 0)
    beta0: float
    var_beta0: float
    n: float
    deviance: float
    df: int
    aic: float
    bic: float
    params: pd.Series
    fitted: np.ndarray  # over all cells (0 where removed)
    converged: bool

    @property
    def dark(self) -> float:
        return float(np.exp(self.beta0))

    @property
    def estimate(self) -> float:
        return self.n + self.dark

    @property
    def se(self) -> float:
        return float(np.sqrt(self.dark + self.dark**2 * self.var_beta0))


def _pair_names(lists: Sequence[str], pm: PairModels) -> list[str]:
    return [f"{lists[i]}:{lists[j]}" for i, j in pm.pairs]


def _fit_one(table: CaptureTable, pm: PairModels, included: np.ndarray) -> _Fit:
    names = _pair_names(table.lists, pm)
    y = table.y
    pmask, cmask, empty = pm.masks(y[None, :], included[None, :])
    keep = cmask[0] > 0
    cols = pmask[0] > 0
    X = pm.X[keep][:, cols]
    colnames = np.array(["(Intercept)", *table.lists, *names])[cols]
    if not pm.check(y > 0, included):
        raise SSStatsError(_why_not(table, pm, included))
    res = glm_poisson(y[keep], X)
    n_empty = int(empty[0].sum())
    npar = X.shape[1] + n_empty
    ll = float(res.llf)
    fitted = np.zeros_like(y)
    fitted[keep] = res.fittedvalues
    return _Fit(
        included=included.copy(), empty=[names[i] for i in np.flatnonzero(empty[0])],
        beta0=float(res.params[0]), var_beta0=float(res.cov_params()[0, 0]), n=table.n,
        deviance=float(res.deviance), df=int(round(res.df_resid)),
        aic=-2 * ll + 2 * npar, bic=-2 * ll + np.log(table.n) * npar,
        params=pd.Series(np.asarray(res.params), index=colnames), fitted=fitted,
        converged=bool(res.converged),
    )


def _why_not(table: CaptureTable, pm: PairModels, included: np.ndarray) -> str:
    names = _pair_names(table.lists, pm)
    terms = [names[i] for i in np.flatnonzero(included)] or ["main effects only"]
    y = table.y
    pmask, cmask, _ = pm.masks(y[None, :], included[None, :])
    X = pm.X[cmask[0] > 0][:, pmask[0] > 0]
    reasons = []
    if not full_rank(X):
        reasons.append("the model's parameters are not identifiable from these lists (rank-deficient design)")
    elif not mle_exists(X, y[cmask[0] > 0]):
        reasons.append("the maximum-likelihood estimate does not exist (Fienberg-Rinaldo linear programme: the "
                       "observed zero cells force some fitted values to 0 and the dark figure to infinity)")
    tot = table.H.T @ y
    if table.k == 2:
        m = float(y[2])  # history 11 is code 3
        if m == 0:
            reasons.append(f"lists {table.lists[0]!r} and {table.lists[1]!r} share no record (m = 0), so the "
                           f"Lincoln-Petersen estimate n1 n2 / m = {tot[0]:.0f} x {tot[1]:.0f} / 0 is infinite; "
                           f"Chapman's estimator stays finite: use ssstats.chapman()")
    return f"cannot fit model [{', '.join(terms)}]: " + "; ".join(reasons)


# ---------------------------------------------------------------------------------------------------------------
# model choice: (table, pm, model spec, options) -> (included, models table, dropped notes)

def _parse_terms(model, table: CaptureTable, pm: PairModels) -> np.ndarray:
    names = _pair_names(table.lists, pm)
    lookup = {}
    for idx, (i, j) in enumerate(pm.pairs):
        a, b = table.lists[i], table.lists[j]
        lookup[(a, b)] = lookup[(b, a)] = idx
    inc = np.zeros(pm.npairs, bool)
    for pos, term in enumerate(model):
        parts = tuple(term.split(":")) if isinstance(term, str) else tuple(str(t) for t in term)
        if len(parts) != 2 or parts not in lookup:
            raise SSStatsError(
                f"`model` must be 'main', 'stepwise', 'best' or a list of pairwise terms such as "
                f"{names[0]!r}; got {term!r} at position {pos}; the lists are {', '.join(map(repr, table.lists))}"
            )
        inc[lookup[parts]] = True
    return inc


def _models_row(step, fit: _Fit, names, note="") -> dict:
    terms = [names[i] for i in np.flatnonzero(fit.included)]
    return {"step": step, "terms": " + ".join(terms) if terms else "(main effects)", "n_terms": len(terms),
            "estimate": fit.estimate, "stderr": fit.se, "deviance": fit.deviance, "df": fit.df, "AIC": fit.aic,
            "BIC": fit.bic, "note": note}


def _choose_main(table, pm, opts):
    inc = np.zeros(pm.npairs, bool)
    fit = _fit_one(table, pm, inc)
    return fit, pd.DataFrame([_models_row(0, fit, _pair_names(table.lists, pm))]), []


def _choose_stepwise(table, pm, opts):
    """SparseMSE's stepwise path; ``models`` holds the start and every candidate evaluated at every step."""
    names = _pair_names(table.lists, pm)
    thr = opts["threshold"]
    inc_final, ok, steps = pm.stepwise(table.y[None, :], thr, trace=True)
    if not ok[0]:
        raise SSStatsError(_why_not(table, pm, np.zeros(pm.npairs, bool)))
    overlap = table.y @ pm.Pc
    support = table.y > 0
    inc = np.zeros(pm.npairs, bool)
    # the candidates' own fits (estimate, s.e., deviance, AIC, BIC) are made only when `models` is first read:
    # the path itself needs none of them, and they are most of a stepwise fit's time
    start = {"term": "", "overlap": np.nan, "expected_overlap": np.nan, "p_value": np.nan, "identifiable": True,
             "accepted": True, "added": ""}
    rows = [(inc.copy(), True, {**start, "step": 0, "note": "start: main effects"})]
    notes = []
    for s, step in enumerate(steps, start=1):
        assert np.array_equal(step["included"], inc)
        used = step["pvalues"]
        j_best = int(np.argmin(used)) if pm.npairs else -1
        accept = j_best if pm.npairs and used[j_best] < thr else -1
        for j in step["refused"]:
            notes.append(f"step {s}: {names[j]} not added although its p-value is below the threshold: with it "
                         f"the estimate would not exist or not be identifiable")
        for j in np.flatnonzero(~inc):
            trial = inc.copy()
            trial[j] = True
            good = pm.check(support, trial)
            p = float(step["raw_pvalues"][j])
            if j == accept:
                note = f"added {names[j]} (Poisson p = {p:.3g})"
            elif not good and p < thr:
                note = "refused: with it the estimate would not exist or not be identifiable"
            elif p < thr:
                note = "below the threshold, but another pair has a smaller p-value"
            else:
                note = "p-value not below the threshold"
            rows.append((trial, good, {"step": s, "note": note, "term": names[j], "overlap": float(overlap[j]),
                                       "expected_overlap": float(step["pstar"][j]), "p_value": p,
                                       "identifiable": bool(good), "accepted": bool(j == accept),
                                       "added": names[j] if j == accept else ""}))
        if accept >= 0:
            inc = inc.copy()
            inc[accept] = True
    assert np.array_equal(inc, inc_final[0])
    fit = _fit_one(table, pm, inc)
    if fit.empty:
        notes.append(f"pairs with no overlap in the model ({', '.join(fit.empty)}): their cells are fixed at 0 "
                     f"as in SparseMSE")
    none = [names[i] for i in np.flatnonzero(overlap == 0) if not fit.included[i]]
    if none:
        notes.append(f"pairs of lists with no overlap ({', '.join(none)}): their interaction was never significant "
                     f"enough to enter (SparseMSE would fix their shared cells at 0 if it did)")
    cols = ["step", "term", "overlap", "expected_overlap", "p_value", "identifiable", "accepted", "added", "terms",
            "n_terms", "estimate", "stderr", "deviance", "df", "AIC", "BIC", "note"]

    def models() -> pd.DataFrame:
        out = []
        for trial, good, info in rows:
            if good:
                base = _models_row(info["step"], _fit_one(table, pm, trial), names)
            else:  # not fitted: the estimate would not exist or not be identifiable
                terms = [names[i] for i in np.flatnonzero(trial)]
                base = {"terms": " + ".join(terms), "n_terms": len(terms), "estimate": np.nan, "stderr": np.nan,
                        "deviance": np.nan, "df": np.nan, "AIC": np.nan, "BIC": np.nan}
            out.append({**base, **info})
        return pd.DataFrame(out)[cols]

    return fit, models, notes


def _choose_best(table, pm, opts):
    names = _pair_names(table.lists, pm)
    if table.k > 5:
        raise SSStatsError(f"model='best' searches every subset of pairwise interactions, which is practical for up "
                           f"to 5 lists; got {table.k}: use model='stepwise' or a list of terms")
    # every pair is a candidate, including pairs of lists with no overlap: in a model, such a pair's shared cells
    # are fixed at 0 and its parameter counted (SparseMSE); models whose estimate does not exist are skipped
    overlap = table.y @ pm.Pc
    cand = np.ones(pm.npairs, bool)
    notes = []
    if (overlap == 0).any():
        notes.append("pairs with no overlap searched as SparseMSE treats them (shared cells fixed at 0, one "
                     "parameter counted): " + ", ".join(names[i] for i in np.flatnonzero(overlap == 0)))
    inc, ok, rows = pm.best_subset(table.y[None, :], cand, opts["criterion"])
    if not ok[0]:
        raise SSStatsError(_why_not(table, pm, np.zeros(pm.npairs, bool)))
    # the bootstrap re-selects among the models that score best on the original data (Silverman, Chan and
    # Vincent 2023): the top `boot_models` by the criterion, which keeps the search affordable
    usable = sorted((r for r in rows if r[3]), key=lambda r: r[1])
    opts["boot_models"] = [r[0] for r in usable[: opts["n_boot_models"]]]
    if len(usable) > opts["n_boot_models"]:
        opts["boot_models_note"] = (f"the bootstrap re-selects the model among the {opts['n_boot_models']} of "
                                    f"{len(usable)} usable models that score best on the original data")
    n_bad = sum(1 for r in rows if not r[3])
    if n_bad:
        notes.append(f"{n_bad} of {len(rows)} models skipped: their estimate does not exist or is not "
                     f"identifiable")
    crit = opts["criterion"].upper()
    tab = pd.DataFrame({
        "terms": [" + ".join(names[i] for i in r[0]) or "(main effects)" for r in rows],
        "n_terms": [len(r[0]) for r in rows], crit: [r[1] for r in rows],
        "usable": [r[3] for r in rows],
    }).sort_values(crit, na_position="last", kind="stable").reset_index(drop=True)
    fit = _fit_one(table, pm, inc[0])
    top = tab.head(10).copy()
    est = []
    for t in top["terms"]:
        m = [] if t == "(main effects)" else t.split(" + ")
        try:
            est.append(_fit_one(table, pm, _parse_terms(m, table, pm)).estimate)
        except SSStatsError:
            est.append(np.nan)
    top["estimate"] = est
    return fit, top, notes


def _choose_fixed(table, pm, opts):
    inc = opts["included"]
    fit = _fit_one(table, pm, inc)
    notes = []
    if fit.empty:
        notes.append(f"pairs with no overlap in the model ({', '.join(fit.empty)}): their cells are fixed at 0 "
                     f"as in SparseMSE")
    return fit, pd.DataFrame([_models_row(0, fit, _pair_names(table.lists, pm))]), notes


MODEL_CHOICES = {"main": _choose_main, "stepwise": _choose_stepwise, "best": _choose_best}
"""Model choices by name; a list of pairwise terms fits that model."""


# ---------------------------------------------------------------------------------------------------------------
# batched re-selection (bootstrap, jackknife)

def _reselect(Y: np.ndarray, pm: PairModels, spec: str, opts) -> tuple[np.ndarray, np.ndarray]:
    """Dark figure for each table in ``Y`` with the model re-selected; returns ``(dark, ok)``."""
    B = Y.shape[0]
    if spec == "stepwise":
        inc, ok = pm.stepwise(Y, opts["threshold"])
    elif spec == "best":
        inc, ok, _ = pm.best_subset(Y, np.ones(pm.npairs, bool), opts["criterion"], models=opts.get("boot_models"))
    else:
        inc = np.broadcast_to(opts["included"], (B, pm.npairs)).copy()
        ok = pm.check_many(Y, inc)
    dark = np.full(B, np.nan)
    if ok.any():
        beta, _, _, _, conv = pm.fit(Y[ok], inc[ok])
        d = np.exp(beta[:, 0])
        d[~conv] = np.nan
        dark[ok] = d
    ok = ok & np.isfinite(dark)
    return dark, ok


# ---------------------------------------------------------------------------------------------------------------
# intervals: (table, pm, fit, spec, opts, alpha) -> (lower, upper, extra dict)

def _lognormal(table, pm, fit, spec, opts, alpha):
    sd = np.sqrt(fit.var_beta0)
    q = stats.norm.ppf([alpha / 2, 1 - alpha / 2], fit.beta0, sd)
    lo, hi = table.n + np.exp(q)
    return float(lo), float(hi), {}


def _profile(table, pm, fit, spec, opts, alpha):
    pmask, cmask, _ = pm.masks(table.y[None, :], fit.included[None, :])
    keep = cmask[0] > 0
    X = pm.X[keep][:, pmask[0] > 0]
    lo, hi, n_hat = profile_interval(X, table.y[keep], alpha, fit.se)
    return lo, hi, {"profile_mle": n_hat}


def _bootstrap(table, pm, fit, spec, opts, alpha):
    rng = opts["rng"]
    B = opts["n_boot"]
    p = table.y / table.n
    Y = rng.multinomial(int(table.n), p, size=B).astype(float)
    from tqdm.auto import tqdm

    dark = np.empty(B)
    ok = np.empty(B, bool)
    chunk = 100
    for s in tqdm(range(0, B, chunk), desc="MSE bootstrap", unit="x100 replicates", disable=not opts["progress"]):
        dark[s:s + chunk], ok[s:s + chunk] = _reselect(Y[s:s + chunk], pm, spec, opts)
    N_b = table.n + dark[ok]
    theta = fit.estimate
    # BCa as SparseMSE's bcaconfvalues: z0 from the share of replicates strictly below the estimate, acceleration
    # from the delete-one-individual jackknife weighted by counts, R's type-8 quantiles; see fit_mse's Notes
    if N_b.size < 10:
        raise SSStatsError(f"only {N_b.size} of {B} bootstrap replicates gave an estimate (the model's estimate did "
                           f"not exist for the others): no bootstrap interval")
    below = np.mean(N_b < theta)
    z0 = stats.norm.ppf(np.clip(below, 0.5 / N_b.size, 1 - 0.5 / N_b.size))  # finite even if all lie on one side
    cells = np.flatnonzero(table.y > 0)
    Yj = np.repeat(table.y[None, :], cells.size, axis=0)
    Yj[np.arange(cells.size), cells] -= 1
    dj, okj = _reselect(Yj, pm, spec, opts)
    w = table.y[cells][okj]
    tj = (table.n - 1) + dj[okj]
    acc = 0.0  # no usable jackknife values (or no spread): no acceleration
    if w.sum() > 0:
        d = np.sum(w * tj) / w.sum() - tj
        denom = np.sum(w * d**2) ** 1.5
        acc = float(np.sum(w * d**3) / (6 * denom)) if denom > 0 else 0.0
    za = stats.norm.ppf([alpha / 2, 1 - alpha / 2])
    adj = stats.norm.cdf(z0 + (z0 + za) / (1 - acc * (z0 + za)))
    lo, hi = np.quantile(N_b, adj, method="median_unbiased")  # R's quantile(type = 8), as SparseMSE
    return float(lo), float(hi), {"boot": N_b, "n_boot_failed": int((~ok).sum()), "bca_z0": float(z0),
                                  "bca_acceleration": acc, "bca_levels": adj, "jackknife": tj,
                                  "n_jackknife_failed": int((~okj).sum())}


INTERVALS = {"lognormal": _lognormal, "profile": _profile, "bootstrap": _bootstrap}
"""Interval methods for the population total by name."""


# ---------------------------------------------------------------------------------------------------------------

@dataclass(repr=False)
class MSEResult(Result):
    """A multiple systems estimate.

    Attributes
    ----------
    estimate, lower, upper : float
        Estimated total population (observed + dark figure) and its interval.
    dark_figure : float
        Estimated number never recorded on any list, ``exp(beta_0)``.
    n_observed : float
        Distinct individuals recorded on at least one list.
    stderr : float
        Standard error of the estimate (Rcapture's formula).
    terms : list of str
        Pairwise interactions in the chosen model (``"A:B"``).
    models : pandas.DataFrame
        The models tried (for a stepwise fit, the candidates are fitted when ``models`` is first read).
        Stepwise: the start (step 0, main effects) and, for every step, every candidate pair evaluated: ``step``, ``term`` (the pair), ``overlap`` (records on both lists), ``expected_overlap``
        (under the current model), ``p_value`` (two-sided Poisson), ``identifiable`` (the estimate would exist
        and be identifiable with the pair added), ``accepted`` (the pair added at that step), ``added``, and the
        candidate model's ``terms``, ``estimate``, ``stderr``, ``deviance``, ``df``, ``AIC``, ``BIC`` (missing when
        not identifiable) and a ``note``; the path is ``models[models.accepted]``.  Best: the ten best models of
        the exhaustive search.  Main or fixed: the one model.
    dropped : list of str
        What was left out and why (pairs with no overlap, models whose estimate does not exist, failed
        bootstrap replicates).
    """

    estimate: float
    lower: float
    upper: float
    dark_figure: float
    n_observed: float
    stderr: float
    terms: list
    _models: object  # a DataFrame, or a function that builds it (stepwise: fitted on first reading)
    dropped: list
    model: str
    interval: str
    level: float
    lists: tuple
    deviance: float
    df: int
    aic: float
    bic: float
    params: pd.Series
    table: pd.DataFrame
    extra: dict = field(default_factory=dict)

    _plot_function = "plot_mse"

    @property
    def models(self) -> pd.DataFrame:
        """The models tried (see the class's attributes); built once, when first read."""
        if callable(self._models):
            self._models = self._models()
        return self._models

    @property
    def boot(self) -> np.ndarray | None:
        """Bootstrap replicates of the total (``interval="bootstrap"`` only), failed replicates left out."""
        return self.extra.get("boot")

    @property
    def boot_estimates(self) -> np.ndarray | None:
        """The same as :attr:`boot`: the replicates the BCa quantiles are taken from."""
        return self.boot

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{
            "n_observed": self.n_observed, "dark_figure": self.dark_figure, "estimate": self.estimate,
            "stderr": self.stderr, "lower": self.lower, "upper": self.upper, "model": self.model,
            "terms": " + ".join(self.terms) if self.terms else "(main effects)", "method": self.interval,
            "level": self.level, "deviance": self.deviance, "df": self.df, "AIC": self.aic, "BIC": self.bic,
        }])

    def summary(self) -> str:
        lines = [
            f"Multiple systems estimate ({len(self.lists)} lists: {', '.join(self.lists)}; model {self.model!r})",
            f"  observed {self.n_observed:,.0f}; dark figure {self.dark_figure:,.1f}",
            f"  total {format_ci(self.estimate, self.lower, self.upper, digits=5)} "
            f"({self.level:.0%} {self.interval} interval); s.e. {self.stderr:,.1f}",
            f"  terms: {', '.join(self.terms) if self.terms else '(main effects only)'}",
            f"  deviance {self.deviance:.3f} on {self.df} df; AIC {self.aic:.3f}; BIC {self.bic:.3f}",
        ]
        lines += [f"  note: {d}" for d in self.dropped]
        return "\n".join(lines)


def fit_mse(data, count: str | None = None, model="main", interval: str = "lognormal", level: float = 0.95,
            n_boot: int = 1000, seed=None, threshold: float = 0.02, criterion: str = "aic",
            progress: bool = True, lists=None, n_boot_models: int = 64) -> MSEResult:
    """Estimate a population total from two or more overlapping lists (multiple systems estimation).

    Parameters
    ----------
    data : pandas.DataFrame
        0/1 capture histories, one column per list, and either a count column (named by ``count``) or one row
        per individual.
    count : str, optional
        Name of the count column.
    model : {"main", "stepwise", "best"} or list of str
        ``"main"``: main effects (independent lists); ``"stepwise"``: SparseMSE's stepwise selection;
        ``"best"``: every subset of pairwise interactions (pairs of lists with no overlap included, handled as
        SparseMSE does), ranked by ``criterion`` among the models whose estimate exists and is identifiable; or
        an explicit list of pairwise terms, e.g. ``["LA:NG", "PFNCA:GO"]``.
    interval : {"lognormal", "profile", "bootstrap"}
        Interval for the total.
    level : float
        Confidence level.
    n_boot : int
        Bootstrap replicates (``interval="bootstrap"``).
    seed : int or numpy.random.Generator
        Required for the bootstrap.
    threshold : float
        Stepwise p-value threshold (SparseMSE's ``pthresh``, 0.02).
    criterion : {"aic", "bic"}
        Ranking for ``model="best"``.
    progress : bool
        Show a progress bar during the bootstrap.
    lists : sequence of str, optional
        The list columns (default: every column but ``count``), e.g. to leave out a ``synthetic`` flag.
    n_boot_models : int
        With ``model="best"`` and the bootstrap, each replicate does **not** search every subset again: it
        re-selects only among the ``n_boot_models`` models with the best criterion on the original data
        (Silverman, Chan and Vincent 2023), so a model outside that set can never be chosen in a replicate;
        every usable model if there are fewer.  ``dropped`` says so when the set is a strict subset.

    Returns
    -------
    MSEResult

    Raises
    ------
    SSStatsError
        Bad input (see :func:`capture_table`), an unknown model or interval, or a model whose estimate does not
        exist or is not identifiable (e.g. two lists with no overlap: use :func:`ssstats.chapman`).

    Notes
    -----
    Multiple systems estimation assumes a closed population, that every individual is correctly matched across
    lists, and that the chosen model captures the dependence between lists; a three-way or higher dependence
    cannot be detected from the data.

    The bootstrap interval is SparseMSE's (``estimatepopulation`` with ``bcaconfvalues``): ``n_boot`` multinomial
    resamples of the observed individuals, the model re-selected on each; ``z0 = qnorm(mean(boot < estimate))``
    (replicates equal to the estimate count as not below, as in SparseMSE); the acceleration
    ``a = sum(w d^3) / (6 (sum(w d^2))^(3/2))`` with ``d`` the deviations from their weighted mean of the
    jackknife totals, one per distinct observed capture history (one individual with that history left out and
    the model re-selected), weighted by the history's count ``w``; and the limits are R's ``quantile(type = 8)``
    (NumPy's ``method="median_unbiased"``) of the replicates at ``pnorm(z0 + (z0 + z) / (1 - a (z0 + z)))``.
    Differences from SparseMSE, all at the edges: replicates (or jackknife tables) whose estimate does not
    exist are left out and counted in ``dropped`` (SparseMSE's ``na.rm = TRUE`` drops missing ones the same way,
    but a missing jackknife value makes its interval missing); the share below is kept within
    ``[0.5 / B, 1 - 0.5 / B]`` so that ``z0`` stays finite when every replicate lies on one side (SparseMSE's is
    then infinite); and with no spread in the jackknife values the acceleration is 0.  The replicates are
    :attr:`MSEResult.boot` (also ``boot_estimates``); ``extra`` holds ``bca_z0``, ``bca_acceleration``,
    ``bca_levels`` (the adjusted quantile levels) and ``jackknife`` (the jackknife totals).

    References
    ----------
    See the module docstring (SparseMSE; Rcapture; Silverman 2014).

    Examples
    --------
    >>> import pandas as pd, ssstats as ss
    >>> d = pd.read_csv("data/uk2013_modern_slavery_5lists.csv", comment="#")  # doctest: +SKIP
    >>> round(ss.fit_mse(d, count="count", model="stepwise").estimate)  # doctest: +SKIP
    11313
    """
    table = capture_table(data, count, lists=lists)
    (level,) = check_levels(level)
    interval_fn = check_method(interval, INTERVALS, "interval")
    if criterion not in ("aic", "bic"):
        raise SSStatsError(f"`criterion` must be one of 'aic', 'bic'; got {criterion!r}")
    if (isinstance(threshold, (bool, np.bool_)) or not isinstance(threshold, (int, float, np.integer, np.floating))
            or not 0 <= threshold <= 1):
        raise SSStatsError(f"`threshold` must be a p-value between 0 and 1; got {threshold!r}")
    pm = PairModels(table.H)
    if not isinstance(n_boot_models, (int, np.integer)) or isinstance(n_boot_models, bool) or n_boot_models < 1:
        raise SSStatsError(f"`n_boot_models` must be a positive integer; got {n_boot_models!r}")
    opts = {"threshold": float(threshold), "criterion": criterion, "progress": progress,
            "n_boot_models": int(n_boot_models)}
    if isinstance(model, str):
        choose = check_method(model, MODEL_CHOICES, "model")
        spec = model
    elif isinstance(model, Sequence) and not isinstance(model, (bytes,)):
        opts["included"] = _parse_terms(model, table, pm)
        choose, spec = _choose_fixed, "fixed"
    else:
        raise SSStatsError(f"`model` must be 'main', 'stepwise', 'best' or a list of pairwise terms; got {model!r}")
    if spec == "main":
        opts["included"] = np.zeros(pm.npairs, bool)
    if interval == "bootstrap":
        if not isinstance(n_boot, (int, np.integer)) or isinstance(n_boot, bool) or n_boot < 10:
            raise SSStatsError(f"`n_boot` must be an integer of at least 10; got {n_boot!r}")
        opts["rng"] = as_seed(seed)
        opts["n_boot"] = int(n_boot)
    fit, models, notes = choose(table, pm, opts)
    if spec == "main" or spec == "fixed":
        opts["included"] = fit.included
    lo, hi, extra = interval_fn(table, pm, fit, spec if spec in ("stepwise", "best") else "fixed", opts,
                                1 - level)
    if interval == "bootstrap" and "boot_models_note" in opts:
        notes.append(opts["boot_models_note"])
    if extra.get("n_boot_failed"):
        notes.append(f"{extra['n_boot_failed']} of {opts['n_boot']} bootstrap replicates left out: the model's "
                     f"estimate did not exist or was not identifiable for them")
    names = _pair_names(table.lists, pm)
    return MSEResult(
        estimate=fit.estimate, lower=lo, upper=hi, dark_figure=fit.dark, n_observed=table.n, stderr=fit.se,
        terms=[names[i] for i in np.flatnonzero(fit.included)], _models=models, dropped=notes,
        model=model if isinstance(model, str) else "fixed", interval=interval, level=level, lists=table.lists,
        deviance=fit.deviance, df=fit.df, aic=fit.aic, bic=fit.bic, params=fit.params, table=table.to_frame(),
        extra=extra,
    )
