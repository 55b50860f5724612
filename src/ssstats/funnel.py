"""Funnel plots for comparing units (wards, providers), with limits that allow for overdispersion.

A funnel plot sets each unit's proportion, rate or standardised ratio against its size (denominator), with control
limits around a target that narrow as the denominator grows (Spiegelhalter 2005 [1]_).  A unit outside the limits
differs from the target by more than chance *alone* would explain.  With many units, real between-unit variation
(case mix, reporting culture) puts far more units outside the limits than chance would: the data are
*overdispersed*, and naming every such unit an "outlier" is wrong.  :func:`funnel` therefore offers:

- limits at any levels (default 95% and 99.8%), for proportions exact binomial with Spiegelhalter's interpolation,
  the Wilson-inverted limits PHEindicatormethods uses, or normal; for rates and ratios exact Poisson (interpolated)
  or normal;
- overdispersion by a multiplicative factor phi (from winsorised or SHMI-truncated z-scores), by an additive
  between-unit variance tau^2 on a transformed scale (DerSimonian-Laird, REML or Paule-Mandel) with limits
  back-transformed, or by beta-binomial / negative-binomial predictive limits from fitted models;
- per-unit z-scores, p-values and flags named plainly ("high at 99.8%").

Methods are looked up in tables (``LIMIT_METHODS``, ``SCALES``, ``TAU2_METHODS``, ``OVERDISPERSION``).

References
----------
.. [1] Spiegelhalter, D. J. (2005). Funnel plots for comparing institutional performance. *Statistics in Medicine*
   24, 1185-1202 (appendix A.1.1: interpolated exact limits; section 3: multiplicative overdispersion).
.. [2] Spiegelhalter, D. J., Sherlaw-Johnson, C., Bardsley, M. et al. (2012). Statistical methods for healthcare
   regulation: rating, screening and surveillance. *JRSS A* 175, 1-47 (winsorised z-scores, additive tau^2).
.. [3] DerSimonian, R. and Laird, N. (1986). Meta-analysis in clinical trials. *Controlled Clinical Trials* 7,
   177-188.
.. [4] Paule, R. C. and Mandel, J. (1982). Consensus values and weighting factors. *J. Res. NBS* 87, 377-385.
.. [5] Viechtbauer, W. (2005). Bias and efficiency of meta-analytic variance estimators in the random-effects
   model. *J. Educ. Behav. Stat.* 30, 261-293 (REML; metafor's ``rma``).
.. [6] PHEindicatormethods (UKHSA): ``calculate_funnel_limits`` (Wilson-inverted proportion limits).
.. [7] FunnelPlotR (NHS-R community): transformed z-scores, winsorisation, SHMI truncation, DerSimonian-Laird tau^2.
.. [8] NHS Digital (2023). Summary Hospital-level Mortality Indicator: methodology (truncation of z-scores).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from ._result import Result
from ._validate import (
    SSStatsError,
    as_counts,
    as_positive,
    as_probability,
    broadcast,
    check_flag,
    check_le,
    check_levels,
    check_method,
    unit_labels,
)

__all__ = [
    "funnel",
    "FunnelResult",
    "estimate_tau2",
    "spiegelhalter_quantile",
    "LIMIT_METHODS",
    "SCALES",
    "TAU2_METHODS",
    "OVERDISPERSION",
]


# ---------------------------------------------------------------------------------------------------------------
# the interpolated quantile of a discrete distribution (Spiegelhalter 2005, appendix A.1.1)

def spiegelhalter_quantile(dist, p: float) -> np.ndarray:
    """Smoothly interpolated ``p``-quantile of a discrete distribution on 0, 1, 2, ...

    With r the ``p``-quantile (smallest r with F(r) >= p) and F the distribution function,
    ``alpha = (F(r) - p) / (F(r) - F(r - 1))`` and the interpolated quantile is ``r - alpha``: it moves smoothly
    from r - 1 to r as p goes from F(r - 1) to F(r).  The result is never below 0.

    Parameters
    ----------
    dist : frozen scipy.stats discrete distribution
        Possibly with array parameters (one distribution per denominator): evaluated vectorised.
    p : float
        Probability strictly between 0 and 1.
    """
    r = dist.ppf(p)
    f_r = dist.cdf(r)
    f_r1 = dist.cdf(r - 1)
    step = f_r - f_r1
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = np.where(step > 0, (f_r - p) / step, 0.0)
    return np.maximum(r - np.clip(alpha, 0.0, 1.0), 0.0)


def _interpolated_tails(dist, c) -> tuple[np.ndarray, np.ndarray]:
    """The distribution function G that :func:`spiegelhalter_quantile` inverts, and 1 - G, at real ``c``.

    Linear between the integers: G(c) = F(k) + (c - k) f(k + 1) with k = floor(c), so that
    ``spiegelhalter_quantile(dist, G(c)) = c``; the upper tail 1 - G(c) = S(k) - (c - k) f(k + 1) is computed
    from the survival function S, so that small upper tails keep their precision.  A count c lies above the
    interpolated upper limit at level L exactly when 1 - G(c) < (1 - L) / 2, and below the lower one when
    G(c) < (1 - L) / 2.
    """
    c = np.asarray(c, dtype=float)
    k = np.floor(c)
    step = (c - k) * dist.pmf(k + 1)
    below = c < 0
    lower = np.where(below, 0.0, np.clip(dist.cdf(k) + step, 0.0, 1.0))
    upper = np.where(below, 1.0, np.clip(dist.sf(k) - step, 0.0, 1.0))
    return lower, upper


def _two_sided(tails) -> np.ndarray:
    lower, upper = tails
    return np.minimum(1.0, 2 * np.minimum(lower, upper))


def _central_p(dist, x) -> np.ndarray:
    """The conventional exact two-sided p-value of a count x: the smaller of P(X <= x), P(X >= x), doubled."""
    return np.minimum(1.0, 2 * np.minimum(dist.cdf(x), dist.sf(x - 1)))


def _p_exact(family):
    def f(theta, d, v):
        return _two_sided(_interpolated_tails(family(theta, d), v * d))

    return f


def _p_normal(var):
    def f(theta, d, v):
        return 2 * special.ndtr(-np.abs(v - theta) / np.sqrt(var(theta) / d))

    return f


# ---------------------------------------------------------------------------------------------------------------
# count models: what a unit's numerator is under "no difference from the target"

def _binomial(theta, d):
    return stats.binom(d, theta)


def _poisson(theta, d):
    return stats.poisson(theta * d)


def _limits_exact(family):
    def f(theta, d, level):
        dist = family(theta, d)
        a = (1 - level) / 2
        return spiegelhalter_quantile(dist, a) / d, spiegelhalter_quantile(dist, 1 - a) / d

    f.__doc__ = "exact limits with Spiegelhalter's interpolation"
    return f


def _limits_wilson(theta, n, level):
    """The proportions q whose Wilson interval just reaches theta (PHEindicatormethods' funnel limits).

    Squaring Wilson's equation (q + z^2/2n +- z sqrt(q(1-q)/n + z^2/4n^2)) / (1 + z^2/n) = theta gives the
    quadratic (1 + z^2/n) q^2 - (2A + z^2/n) q + A^2 - z^4/4n^2 = 0 with A = theta (1 + z^2/n) - z^2/2n; its
    smaller root is the lower limit and its larger the upper.
    """
    z2 = special.ndtri((1 + level) / 2) ** 2
    c = z2 / n
    a_ = theta * (1 + c) - c / 2
    qa = 1 + c
    qb = 2 * a_ + c
    qc = a_ ** 2 - c ** 2 / 4
    root = np.sqrt(np.maximum(qb ** 2 - 4 * qa * qc, 0.0))
    return (qb - root) / (2 * qa), (qb + root) / (2 * qa)


def _limits_normal(var):
    def f(theta, d, level):
        half = special.ndtri((1 + level) / 2) * np.sqrt(var(theta) / d)
        return theta - half, theta + half

    f.__doc__ = "normal approximation"
    return f


@dataclass(frozen=True)
class _Family:
    name: str
    model: Callable  # (theta, d) -> frozen scipy distribution of the numerator
    limits: dict
    p_values: dict  # limit method -> (theta, d, value) -> the two-sided p-value that matches those limits
    scales: tuple
    upper_bound: float  # largest possible value (1 for a proportion)


_BINOMIAL = _Family("binomial", _binomial, {
    "exact": _limits_exact(_binomial),
    "wilson": _limits_wilson,
    "normal": _limits_normal(lambda t: t * (1 - t)),
}, {
    "exact": _p_exact(_binomial),
    "wilson": _p_normal(lambda t: t * (1 - t)),  # the Wilson-inverted limits are the normal ones (score duality)
    "normal": _p_normal(lambda t: t * (1 - t)),
}, ("arcsine",), 1.0)

_POISSON = _Family("Poisson", _poisson, {
    "exact": _limits_exact(_poisson),
    "normal": _limits_normal(lambda t: t),
}, {
    "exact": _p_exact(_poisson),
    "normal": _p_normal(lambda t: t),
}, ("log", "sqrt"), np.inf)

#: kind -> count model and the limit methods it offers
KINDS: dict[str, _Family] = {"proportion": _BINOMIAL, "rate": _POISSON, "ratio": _POISSON}

#: limit method names by kind
LIMIT_METHODS: dict[str, tuple] = {k: tuple(f.limits) for k, f in KINDS.items()}


# ---------------------------------------------------------------------------------------------------------------
# transformed scales for z-scores and additive overdispersion: (x, d, theta) -> (y, s, centre), and back

@dataclass(frozen=True)
class _Scale:
    name: str
    forward: Callable  # (x, d, theta) -> y
    se: Callable  # (d, theta) -> s
    centre: Callable  # theta -> transformed target
    back: Callable  # (u, theta) -> value on the raw scale
    zero_correction: bool  # whether x = 0 needs x = 0.5


def _log_forward(x, d, theta):
    return np.log(np.where(x == 0, 0.5, x) / (theta * d))


SCALES: dict[str, _Scale] = {
    "arcsine": _Scale("arcsine", lambda x, d, t: np.arcsin(np.sqrt(x / d)), lambda d, t: 0.5 / np.sqrt(d),
                      lambda t: np.arcsin(np.sqrt(t)), lambda u, t: np.sin(np.clip(u, 0.0, np.pi / 2)) ** 2,
                      False),
    "log": _Scale("log", _log_forward, lambda d, t: 1 / np.sqrt(t * d), lambda t: 0.0,
                  lambda u, t: t * np.exp(u), True),
    "sqrt": _Scale("sqrt", lambda x, d, t: np.sqrt(x / (t * d)), lambda d, t: 0.5 / np.sqrt(t * d),
                   lambda t: 1.0, lambda u, t: t * np.maximum(u, 0.0) ** 2, False),
}
"""Transformed scales: arcsine (asin sqrt p, s = 1/(2 sqrt n)) for proportions; log (log(O/E), s = 1/sqrt(E), the
SHMI form) and square root (sqrt(O/E), s = 1/(2 sqrt(E)), the CQC form, squared back) for rates and ratios, with
E = target x denominator.  On the log scale a unit with no events is given 0.5 events (and counted)."""


# ---------------------------------------------------------------------------------------------------------------
# winsorising and truncating z-scores

def _winsorise(z, fraction):
    """Clip z at its ``fraction`` and 1 - ``fraction`` quantiles (R's default type 7 = numpy's linear)."""
    lo, hi = np.quantile(z, [fraction, 1 - fraction])
    return np.clip(z, lo, hi), (z < lo) | (z > hi)


def _truncate_shmi(z, fraction=0.1):
    """SHMI: rank the z-scores, split into 1/fraction groups by floor(rank k / (n + 1)) and drop the two end groups."""
    k = 1 / fraction
    rank = stats.rankdata(z, method="average")
    group = np.floor(rank * k / (z.size + 1))
    dropped = (group <= 0) | (group >= k - 1)
    return z[~dropped], dropped


# ---------------------------------------------------------------------------------------------------------------
# between-unit variance tau^2 on the transformed scale

def _fe_mean(y, w):
    return np.sum(w * y) / np.sum(w)


def _dl_from_q(q, w):
    k = w.size
    denom = np.sum(w) - np.sum(w ** 2) / np.sum(w)
    if k < 2 or denom <= 0:
        return np.nan
    return max(0.0, (q - (k - 1)) / denom)


def _tau2_dl(y, v):
    w = 1 / v
    return _dl_from_q(np.sum(w * (y - _fe_mean(y, w)) ** 2), w)


def _upper_bracket(y, v):
    return 10 * (np.var(y) + np.max(v)) + 1.0


def _reml_score(t2, y, v):
    w = 1 / (v + t2)
    mu = _fe_mean(y, w)
    return np.sum(w ** 2 * (y - mu) ** 2) - np.sum(w) + np.sum(w ** 2) / np.sum(w)


def _root_tau2(excess, y, v):
    """tau^2 solving ``excess(tau^2) = 0`` (decreasing in tau^2), truncated at 0."""
    if y.size < 2:
        return np.nan
    if excess(0.0, y, v) <= 0:
        return 0.0
    hi = _upper_bracket(y, v)
    while excess(hi, y, v) > 0:  # pragma: no cover - the bracket is generous
        hi *= 10
    return optimize.brentq(excess, 0.0, hi, args=(y, v), xtol=1e-15, rtol=4 * np.finfo(float).eps)


def _pm_excess(t2, y, v):
    w = 1 / (v + t2)
    return np.sum(w * (y - _fe_mean(y, w)) ** 2) - (y.size - 1)


def _tau2_reml(y, v):
    """Root of the REML score equation (Viechtbauer 2005)."""
    return _root_tau2(_reml_score, y, v)


def _tau2_pm(y, v):
    """Generalised Q statistic equal to its expectation k - 1 (Paule and Mandel 1982)."""
    return _root_tau2(_pm_excess, y, v)


#: tau^2 estimator name -> function (y, v) -> tau^2, as metafor::rma(yi, vi, method = name)
TAU2_METHODS: dict[str, Callable] = {"DL": _tau2_dl, "REML": _tau2_reml, "PM": _tau2_pm}


def estimate_tau2(y, v, method: str = "REML") -> float:
    """Between-unit variance tau^2 of a random-effects model y_i ~ N(mu, v_i + tau^2).

    Parameters
    ----------
    y : array_like
        Estimates on a transformed scale.
    v : array_like
        Their within-unit (sampling) variances, > 0.
    method : {'DL', 'REML', 'PM'}
        DerSimonian-Laird (moment estimator with fixed-effect weights), restricted maximum likelihood (root of
        the REML score equation, by ``scipy.optimize.brentq``), or Paule-Mandel (tau^2 at which the generalised Q
        equals k - 1, by ``brentq``); all truncated at 0, as ``metafor::rma(yi, vi, method = ...)``.

    Returns
    -------
    float
        tau^2 (NaN with fewer than 2 units).

    Examples
    --------
    >>> round(estimate_tau2([0.1, 0.5, 0.9], [0.01, 0.02, 0.03], "DL"), 6)  # metafor: 0.141666666666667
    0.141667
    """
    fn = check_method(method, TAU2_METHODS, "tau2_method")
    ya = np.atleast_1d(np.asarray(y, dtype=float))
    va = as_positive(v, "v")
    ya, va = broadcast({"y": ya, "v": va})
    if not np.all(np.isfinite(ya)):
        raise SSStatsError("`y` must be finite")
    return float(fn(ya, va))


# ---------------------------------------------------------------------------------------------------------------
# overdispersion models: each builds (limits(d, level) -> (lo, hi), p-values, z_adjusted) from the fitted context

@dataclass
class _Context:
    kind: str
    family: _Family
    base_limits: Callable
    base_p: Callable  # (theta, d, value) -> p-value matching base_limits
    scale: _Scale
    theta: float
    x: np.ndarray
    d: np.ndarray
    y: np.ndarray
    s: np.ndarray
    z: np.ndarray
    used: np.ndarray  # units whose (winsorised) z enter phi / tau^2
    wz: np.ndarray  # winsorised z of the used units
    phi_floor: bool
    tau2_method: str
    notes: list
    fitted: object = None  # a model fitted beforehand for the predictive limits (``model=``), else None


@dataclass
class _Adjustment:
    limits: Callable | None  # (d, level) -> (lo, hi); None = unadjusted
    z: np.ndarray
    p: np.ndarray
    phi: float = np.nan
    phi_applied: float = np.nan
    tau2: float = np.nan
    model: object = None


def _unadjusted_p(ctx: _Context):
    return ctx.base_p(ctx.theta, ctx.d, ctx.x / ctx.d)


def _phi(ctx: _Context) -> float:
    if ctx.wz.size < 2:
        ctx.notes.append("fewer than 2 units: overdispersion cannot be estimated; limits are unadjusted")
        return np.nan
    return float(np.mean(ctx.wz ** 2))


def _adj_none(ctx: _Context) -> _Adjustment:
    phi = float(np.mean(ctx.wz ** 2)) if ctx.wz.size >= 2 else np.nan  # reported, not applied
    return _Adjustment(None, ctx.z, _unadjusted_p(ctx), phi=phi)


def _adj_multiplicative(ctx: _Context) -> _Adjustment:
    phi = _phi(ctx)
    applied = phi
    if not np.isfinite(phi):
        applied = 1.0
    elif phi <= 1 and ctx.phi_floor:
        applied = 1.0
        ctx.notes.append(f"phi = {phi:.3g} <= 1: no overdispersion beyond chance, so the limits are NOT widened "
                         "(they equal the unadjusted limits; pass phi_floor=False to narrow them by sqrt(phi))")
    elif phi <= 1:
        ctx.notes.append(f"phi = {phi:.3g} <= 1 (underdispersion): limits narrowed by sqrt(phi) as requested")
    root = np.sqrt(applied)

    def limits(d, level):
        lo, hi = ctx.base_limits(ctx.theta, d, level)
        return ctx.theta + root * (lo - ctx.theta), ctx.theta + root * (hi - ctx.theta)

    # the p-value of the unit against the widened limits: its distance from the target shrunk by sqrt(phi)
    p = ctx.base_p(ctx.theta, ctx.d, ctx.theta + (ctx.x / ctx.d - ctx.theta) / root)
    return _Adjustment(limits, ctx.z / root, p, phi=phi, phi_applied=applied)


def _adj_additive(ctx: _Context) -> _Adjustment:
    phi = _phi(ctx)
    w = 1 / ctx.s[ctx.used] ** 2
    if ctx.tau2_method == "DL":
        # Spiegelhalter et al. (2012), FunnelPlotR: Q from the winsorised z-scores around the target
        tau2 = _dl_from_q(ctx.wz.size * phi, w) if np.isfinite(phi) else np.nan
    else:
        c = ctx.scale.centre(ctx.theta)
        tau2 = TAU2_METHODS[ctx.tau2_method](c + ctx.s[ctx.used] * ctx.wz, ctx.s[ctx.used] ** 2)
    if not np.isfinite(tau2):
        ctx.notes.append("tau^2 cannot be estimated from fewer than 2 units; limits are unadjusted")
        applied = 0.0
    else:
        applied = tau2
        if tau2 == 0:
            ctx.notes.append(f"tau^2 ({ctx.tau2_method}) = 0: no between-unit variation beyond chance; the "
                             "additive limits equal the unadjusted limits on the transformed scale")
    c = ctx.scale.centre(ctx.theta)

    def limits(d, level):
        zq = special.ndtri((1 + level) / 2)
        half = zq * np.sqrt(ctx.scale.se(d, ctx.theta) ** 2 + applied)
        return ctx.scale.back(c - half, ctx.theta), ctx.scale.back(c + half, ctx.theta)

    z = (ctx.y - c) / np.sqrt(ctx.s ** 2 + applied)
    return _Adjustment(limits, z, 2 * special.ndtr(-np.abs(z)), phi=phi, tau2=tau2)


def _predictive(ctx: _Context, dist_of, model, boundary: bool, what: str) -> _Adjustment:
    if boundary:
        ctx.notes.append(f"the fitted {what} shows no overdispersion (at its boundary): its predictive limits "
                         f"equal the {ctx.family.name} ones")

    def limits(d, level):
        dist = dist_of(d)
        a = (1 - level) / 2
        return spiegelhalter_quantile(dist, a) / d, spiegelhalter_quantile(dist, 1 - a) / d

    dist = dist_of(ctx.d)
    p = _two_sided(_interpolated_tails(dist, ctx.x))
    z = special.ndtri(np.clip(dist.cdf(ctx.x) - 0.5 * dist.pmf(ctx.x), 1e-300, 1 - 1e-16))  # mid-p z
    return _Adjustment(limits, z, p, phi=_phi(ctx), model=model)


def _need_units(ctx: _Context, what: str) -> None:
    """A model-based adjustment is fitted across units: refuse a single unit, naming the way out."""
    if ctx.x.size < 2:
        raise SSStatsError(f"`overdispersion={what!r}` fits a model across units and needs at least 2 units; got "
                           f"{ctx.x.size} (use overdispersion=None for a single unit)")


def _model_for(ctx: _Context, what: str, fit_class, fitter):
    """The model given with ``model=`` (checked to be the right kind), else one fitted to the plotted units."""
    if ctx.fitted is None:
        _need_units(ctx, what)
        return fitter(ctx.x, ctx.d)
    if not isinstance(ctx.fitted, fit_class):
        raise SSStatsError(f"`model` for overdispersion={what!r} must be a {fit_class.__name__} "
                           f"(from ssstats.{fitter.__name__}); got {type(ctx.fitted).__name__}")
    ctx.notes.append(f"predictive limits from the {what} model given (model=), fitted to "
                     f"{ctx.fitted.n_units} units, not refitted to the {ctx.x.size} plotted")
    return ctx.fitted


def _adj_beta_binomial(ctx: _Context) -> _Adjustment:
    from .units import BetaBinomialFit, fit_beta_binomial

    fit = _model_for(ctx, "beta-binomial", BetaBinomialFit, fit_beta_binomial)
    rho, t = float(fit.rho), ctx.theta
    if rho <= 0:
        return _predictive(ctx, lambda d: stats.binom(d, t), fit, True, "beta-binomial")
    a, b = t * (1 - rho) / rho, (1 - t) * (1 - rho) / rho
    return _predictive(ctx, lambda d: stats.betabinom(d, a, b), fit, False, "beta-binomial")


def _adj_negative_binomial(ctx: _Context) -> _Adjustment:
    from .units import NegativeBinomialFit, fit_negative_binomial

    fit = _model_for(ctx, "negative-binomial", NegativeBinomialFit, fit_negative_binomial)
    alpha, t = float(fit.alpha), ctx.theta
    if alpha <= 0 or getattr(fit, "boundary", False):
        return _predictive(ctx, lambda d: stats.poisson(t * d), fit, True, "negative binomial")
    size = 1 / alpha
    return _predictive(ctx, lambda d: stats.nbinom(size, size / (size + t * d)), fit, False, "negative binomial")


#: overdispersion name -> (builder, kinds it applies to)
OVERDISPERSION: dict = {
    None: (_adj_none, ("proportion", "rate", "ratio")),
    "multiplicative": (_adj_multiplicative, ("proportion", "rate", "ratio")),
    "additive": (_adj_additive, ("proportion", "rate", "ratio")),
    "beta-binomial": (_adj_beta_binomial, ("proportion",)),
    "negative-binomial": (_adj_negative_binomial, ("rate", "ratio")),
}


# ---------------------------------------------------------------------------------------------------------------
# the result

def _pct(level: float) -> str:
    return f"{100 * level:.10g}%"


class FunnelResult(Result):
    """A funnel plot's numbers (see :func:`funnel`).

    Attributes
    ----------
    kind, limits_method, overdispersion, scale, tau2_method : str
        What was asked for.
    target : float
        The centre line, on the scale of the estimates (times ``per``).
    levels : tuple of float
    per : float
    phi : float
        Overdispersion ratio: mean of the squared winsorised (or truncated) z-scores; NaN with fewer than 2
        units.  Reported even without an adjustment (then not applied).  Values <= 1 are kept and reported (see
        ``notes``).
    phi_applied : float
        The factor the multiplicative limits were widened by (squared); 1 when phi <= 1 with ``phi_floor=True``.
    tau2 : float
        Between-unit variance on the transformed scale (additive model), else NaN.
    model : object
        The fitted beta-binomial or negative-binomial model (``ssstats.units``), else None.
    units : pandas.DataFrame
        One row per unit: ``unit, numerator, denominator, estimate, expected, z, z_adjusted, p_value, p_exact,
        flag``, and for each level ``high_<level>`` / ``low_<level>`` (booleans), ``zero_events``,
        ``winsorised``.  ``p_value`` matches the limits drawn (a unit is outside the limits at level L exactly when
        ``p_value < 1 - L``); ``p_exact`` is the conventional exact p-value under the unadjusted model.
    n_units, n_zero : int
        Units, and units with no events.
    notes : list of str
        Everything the reader must know (phi <= 1, tau^2 = 0, zero-event corrections).
    """

    _plot_function = "plot_funnel"

    def __init__(self, **kw):
        self.__dict__.update(kw)

    def _raw_limits(self, d, adjusted: bool):
        fn = self._adjustment.limits if (adjusted and self._adjustment.limits is not None) else None
        out = []
        for lev in self.levels:
            if fn is None:
                lo, hi = self._family.limits[self.limits_method](self._theta, d, lev)
            else:
                lo, hi = fn(d, lev)
            out.append((np.clip(lo, 0.0, self._family.upper_bound), np.clip(hi, 0.0, self._family.upper_bound)))
        return out

    def _grid(self) -> np.ndarray:
        d = self._d
        lo, hi = max(d.min() / 2, 1e-9), d.max() * 1.1
        grid = np.geomspace(lo, hi, 300)
        if self._family is _BINOMIAL:
            grid = np.unique(np.maximum(np.round(grid), 1.0))
        return grid

    def limits(self, denominators=None) -> pd.DataFrame:
        """Control limits at each level for the given denominators (default: a grid spanning the units).

        Returns
        -------
        pandas.DataFrame
            ``denominator, level, lower, upper, target, adjustment`` on the scale of the estimates (times
            ``per``); ``adjustment`` is ``'none'`` for the unadjusted limits and the overdispersion model's name for
            the adjusted ones (both are given when an adjustment was asked for).
        """
        if denominators is None:
            d = self._grid()
        elif self._family is _BINOMIAL:
            d = as_counts(denominators, "denominators")
            as_positive(d, "denominators")
        else:
            d = as_positive(denominators, "denominators")
        kinds = [("none", False)] + ([(str(self.overdispersion), True)] if self.overdispersion else [])
        frames = []
        for name, adjusted in kinds:
            for lev, (lo, hi) in zip(self.levels, self._raw_limits(d, adjusted)):
                frames.append(pd.DataFrame(dict(denominator=d, level=lev, lower=lo * self.per, upper=hi * self.per,
                                                target=self.target, adjustment=name)))
        return pd.concat(frames, ignore_index=True)

    def to_frame(self) -> pd.DataFrame:
        """The per-unit table (``.units``)."""
        return self.units.copy()

    def flagged(self) -> pd.DataFrame:
        """The units outside the limits at any level, most extreme first."""
        u = self.units[self.units["flag"] != "within limits"]
        return u.sort_values("p_value", kind="stable")

    def summary(self) -> str:
        what = {"proportion": "proportions", "rate": "rates", "ratio": "ratios"}[self.kind]
        lines = [f"Funnel plot of {what}: {self.n_units} units, target {self.target:.4g}"
                 f"{' (given)' if self.target_given else ' (pooled)'}",
                 f"  limits: {self.limits_method} at {', '.join(_pct(v) for v in self.levels)}; "
                 f"overdispersion: {self.overdispersion or 'none'}"]
        if self.overdispersion in (None, "multiplicative", "additive") and np.isfinite(self.phi):
            lines.append(f"  phi = {self.phi:.4g} from z-scores on the {self.scale} scale "
                         f"({self.winsorize_label}, {self.n_used} units used)")
            if self.overdispersion is None and self.phi > 1:
                lines.append("  (not applied: phi > 1 means the units vary more than chance allows; see "
                             "overdispersion=)")
        if self.overdispersion == "additive":
            lines.append(f"  tau^2 ({self.tau2_method}) = {self.tau2:.4g} on the {self.scale} scale")
        if self.overdispersion in ("beta-binomial", "negative-binomial"):
            par = (f"rho = {self.model.rho:.4g}" if self.overdispersion == "beta-binomial"
                   else f"alpha = {self.model.alpha:.4g}")
            lines.append(f"  predictive limits from the fitted {self.overdispersion} model ({par})")
        if self.n_zero:
            lines.append(f"  units with no events: {self.n_zero}")
        for lev in sorted(self.levels, reverse=True):
            key = _pct(lev)[:-1]
            hi, lo = int(self.units[f"high_{key}"].sum()), int(self.units[f"low_{key}"].sum())
            lines.append(f"  outside the {_pct(lev)} limits: {hi} above, {lo} below")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------------------

def _check_winsorize(winsorize):
    if isinstance(winsorize, str):
        check_method(winsorize, {"shmi": None}, "winsorize")
        return "shmi"
    if isinstance(winsorize, (bool, np.bool_)) or not isinstance(winsorize, (int, float, np.number)) \
            or not (0 <= float(winsorize) < 0.5):
        raise SSStatsError(f"`winsorize` must be a fraction in [0, 0.5) (e.g. 0.1) or 'shmi'; got {winsorize!r}")
    return float(winsorize)


def funnel(numerator, denominator, kind: str = "proportion", target=None, levels=(0.95, 0.998),
           limits: str = "exact", overdispersion: str | None = None, tau2_method: str = "DL", winsorize=0.1,
           labels=None, per: float = 1, scale: str | None = None, phi_floor: bool = True,
           model=None) -> FunnelResult:
    """Funnel plot of units' proportions, rates or standardised ratios, with overdispersion-aware limits.

    Parameters
    ----------
    numerator : array_like
        Events per unit (non-negative whole numbers).  A :class:`pandas.Series` index gives the unit labels.
    denominator : array_like
        ``kind='proportion'``: trials (whole numbers > 0, at least the numerator); ``'rate'``: exposure (> 0,
        e.g. bed days); ``'ratio'``: expected counts (> 0), for observed / expected ratios.
    kind : {'proportion', 'rate', 'ratio'}
    target : float, optional
        The centre line, on the scale of the estimates (after ``per``).  Default: the pooled value, sum of
        numerators over sum of denominators (times ``per``).
    levels : sequence of float
        Limit levels, any number, each strictly between 0 and 1 (default 95% and 99.8%).
    limits : {'exact', 'wilson', 'normal'}
        Unadjusted limits.  ``'exact'``: binomial (proportions) or Poisson (rates, ratios) quantiles with
        Spiegelhalter's interpolation; ``'wilson'`` (proportions only): the proportions whose Wilson interval just
        reaches the target, as PHEindicatormethods; ``'normal'``: target +- z sqrt(V(target)/denominator).
    overdispersion : {None, 'multiplicative', 'additive', 'beta-binomial', 'negative-binomial'}
        ``'multiplicative'``: the unadjusted limits' distance from the target times sqrt(phi).  ``'additive'``:
        target +- z sqrt(s^2 + tau^2) on the transformed ``scale``, back-transformed.  ``'beta-binomial'``
        (proportions) / ``'negative-binomial'`` (rates, ratios): interpolated quantiles of the predictive
        distribution with the dispersion from ``ssstats.fit_beta_binomial`` / ``ssstats.fit_negative_binomial``
        and mean at the target.
    tau2_method : {'DL', 'REML', 'PM'}
        tau^2 estimator for ``'additive'``.  ``'DL'`` as Spiegelhalter et al. (2012) and FunnelPlotR: Q is the sum
        of the squared winsorised z-scores around the target (metafor's ``rma(method="DL")`` takes Q around the
        fixed-effect mean instead, so the two differ a little; :func:`estimate_tau2` with ``"DL"`` is metafor's).
        ``'REML'`` and ``'PM'``: metafor's estimators applied to the winsorised values (mean estimated).  With ``winsorize=0`` they equal
        ``metafor::rma(yi, vi, method=...)`` on the transformed values.
    winsorize : float or 'shmi'
        Fraction of z-scores winsorised at each end before phi and tau^2 are estimated (default 0.1; 0 for none),
        or ``'shmi'``: SHMI's truncation, which drops the units in the top and bottom tenth (by rank) instead.
    labels : sequence, optional
        Unit labels (default: the numerator's Series index, else 0, 1, ...).
    per : float
        Multiplier for the estimates: 100 for percentages, 1000 for a rate per 1,000 bed days.
    scale : {'arcsine', 'log', 'sqrt'}, optional
        Transformed scale for z-scores, phi and tau^2.  Default ``'arcsine'`` for proportions and ``'log'`` for
        rates and ratios (``'sqrt'`` is the CQC form; its limits are squared back to the ratio scale).
    phi_floor : bool
        With ``True`` (default) a phi of 1 or less leaves the multiplicative limits unadjusted (and says so in
        ``notes``); with ``False`` it narrows them.
    model : BetaBinomialFit or NegativeBinomialFit, optional
        For ``overdispersion='beta-binomial'`` / ``'negative-binomial'``: a model already fitted across units, whose
        dispersion (rho or alpha) sets the predictive limits instead of a fit to the plotted units.  Use it when
        some units cannot be plotted but can inform the model, e.g. units whose count was returned only as a
        suppressed range (``fit_beta_binomial(..., censored=(lower, upper))``).  The centre stays the target.

    Returns
    -------
    FunnelResult
        ``.units`` (per-unit table with ``flag`` = ``'high at 99.8%'``, ``'low at 95%'``, ... or
        ``'within limits'``: the widest level whose limits the unit is outside, judged against the adjusted limits
        when an adjustment is asked for), ``.phi``, ``.tau2``, ``.limits(denominators)``, ``.plot()``,
        ``.summary()``, ``.to_frame()``.

    Raises
    ------
    SSStatsError
        Negative, non-integer or missing numerators; non-positive or missing denominators; numerator above
        denominator for proportions; a target outside its range; no events at all (the pooled target would be
        0); unknown methods or combinations (``'wilson'`` limits for rates, ``'beta-binomial'`` for rates); a
        single unit with ``'beta-binomial'`` or ``'negative-binomial'`` overdispersion (no model can be fitted
        across one unit; the multiplicative and additive adjustments instead leave its limits unadjusted and say
        so in ``notes``).

    Notes
    -----
    z-scores are on the transformed scale, ``z = (y - centre) / s``.  ``p_value`` is two-sided and is the p-value
    of the limits drawn, so that a unit is flagged at level L exactly when ``p_value < 1 - L``: for exact limits,
    the doubled smaller tail of the interpolated distribution function that Spiegelhalter's limits invert
    (G(c) = F(k) + (c - k) f(k + 1), k = floor(c)), which at a whole count x is 2 P(X <= x) below the target and
    2 P(X > x) above it, where the conventional exact p-value (given as ``p_exact``) has 2 P(X >= x); for normal
    (and Wilson-inverted, which are the same) limits, the normal p-value at the target's variance.  The multiplicative model takes the same p-value at the
    unit's distance from the target shrunk by sqrt(phi) (``z_adjusted`` = z / sqrt(phi)); the additive model the
    normal p-value of ``z_adjusted`` = (y - centre) / sqrt(s^2 + tau^2); the beta-binomial and negative-binomial
    models the interpolated tails of the predictive distribution (``z_adjusted`` is then the normal quantile of
    the predictive mid-p distribution function at the unit's count).  Flags compare each unit with the limits at
    its own denominator, so they agree with the plot; with the additive model they compare the adjusted z-score
    with the normal quantile, which is the same except for units with no events on the log scale: these are given
    0.5 events for their z-scores (counted in ``n_zero`` and noted), so that a unit expecting well under one event
    is not called "low" for having none.  Limits are clipped to the possible range (0 to 1 for proportions, 0 up
    for rates).

    Examples
    --------
    >>> r = funnel([3, 10, 4, 30], [100, 200, 150, 400], overdispersion="multiplicative")
    >>> r.units["flag"].tolist()
    ['within limits', 'within limits', 'within limits', 'within limits']
    """
    fam = check_method(kind, KINDS, "kind")
    base_limits = check_method(limits, fam.limits, "limits")
    if overdispersion not in OVERDISPERSION:
        valid = ", ".join(repr(k) for k in OVERDISPERSION)
        raise SSStatsError(f"`overdispersion` must be one of {valid}; got {overdispersion!r}")
    builder, od_kinds = OVERDISPERSION[overdispersion]
    if kind not in od_kinds:
        raise SSStatsError(f"`overdispersion={overdispersion!r}` applies to kind {', '.join(od_kinds)}, "
                           f"not {kind!r}")
    check_method(tau2_method, TAU2_METHODS, "tau2_method")
    scale_name = scale if scale is not None else fam.scales[0]
    sc = check_method(scale_name, {k: SCALES[k] for k in fam.scales}, "scale")
    lev = check_levels(levels, "levels")
    wins = _check_winsorize(winsorize)
    phi_floor = check_flag(phi_floor, "phi_floor")
    per_a = as_positive(per, "per")
    if per_a.size != 1:
        raise SSStatsError(f"`per` must be a single number; got {per_a.size} values")
    per_v = float(per_a[0])

    lab = unit_labels(numerator=numerator, denominator=denominator)
    if labels is not None:
        lab = np.asarray(labels, dtype=object)
    x = as_counts(numerator, "numerator", lab)
    if fam is _BINOMIAL:
        d = as_counts(denominator, "denominator", lab)
        as_positive(d, "denominator", lab)
    else:
        d = as_positive(denominator, "denominator", lab)
    if x.size != d.size:
        raise SSStatsError(f"`numerator` has {x.size} values but `denominator` has {d.size}")
    if x.size == 0:
        raise SSStatsError("`numerator` and `denominator` are empty: a funnel plot needs at least one unit")
    if lab is not None and len(lab) != x.size:
        raise SSStatsError(f"`labels` has {len(lab)} values but there are {x.size} units")
    if fam is _BINOMIAL:
        check_le(x, d, "numerator", "denominator", lab)
    unit = np.asarray(lab, dtype=object) if lab is not None else np.arange(x.size)

    if target is None:
        theta = x.sum() / d.sum()
        if theta <= 0 or (fam is _BINOMIAL and theta >= 1):
            what = "no events in any unit" if theta <= 0 else "every trial is an event"
            raise SSStatsError(f"`numerator` has {what}: the pooled target is {theta:g} and no limits can be "
                               "drawn around it; give `target`")
    else:
        t = np.atleast_1d(np.asarray(target, dtype=float)) / per_v if np.ndim(target) == 0 else None
        if t is None or not np.isfinite(t[0]):
            raise SSStatsError(f"`target` must be a single finite number; got {target!r}")
        theta = float(as_probability(t, "target (divided by per)", open_interval=True)[0]) if fam is _BINOMIAL \
            else float(as_positive(t, "target")[0])

    # transformed scale, z-scores, winsorising
    zero = x == 0
    notes: list[str] = []
    if sc.zero_correction and zero.any():
        notes.append(f"{int(zero.sum())} unit(s) with no events: given 0.5 events on the log scale for their "
                     "z-scores (their estimates and limits are not changed)")
    y = sc.forward(x, d, theta)
    s = sc.se(d, theta)
    z = (y - sc.centre(theta)) / s
    if wins == "shmi":
        wz, dropped = _truncate_shmi(z)
        used = ~dropped
        wlabel = "SHMI truncation of the top and bottom tenth"
        flagged_w = dropped
    elif wins > 0 and z.size > 1:
        wz, flagged_w = _winsorise(z, wins)
        used = np.ones(z.size, dtype=bool)
        wlabel = f"winsorised at {wins:.3g} each end"
    else:
        wz, flagged_w, used = z.copy(), np.zeros(z.size, dtype=bool), np.ones(z.size, dtype=bool)
        wlabel = "not winsorised"

    if model is not None and overdispersion not in ("beta-binomial", "negative-binomial"):
        raise SSStatsError("`model` sets the predictive limits of overdispersion='beta-binomial' or "
                           f"'negative-binomial'; got overdispersion={overdispersion!r}")
    ctx = _Context(kind, fam, base_limits, fam.p_values[limits], sc, theta, x, d, y, s, z, used, wz,
                   bool(phi_floor), tau2_method, notes, model)
    adj = builder(ctx)

    res = FunnelResult(
        kind=kind, limits_method=limits, overdispersion=overdispersion, scale=sc.name, tau2_method=tau2_method,
        target=theta * per_v, target_given=target is not None, levels=lev, per=per_v, phi=adj.phi,
        phi_applied=adj.phi_applied, tau2=adj.tau2, model=adj.model, n_units=int(x.size),
        n_zero=int(zero.sum()), n_used=int(used.sum()), winsorize_label=wlabel, notes=notes,
        _family=fam, _theta=theta, _d=d, _adjustment=adj,
    )
    # flags against the limits the plot shows (adjusted when asked for)
    value = x / d
    flag = np.full(x.size, "within limits", dtype=object)
    cols = {}
    d_unique, back = np.unique(d, return_inverse=True)  # limits once per distinct denominator
    at_units = [(lo[back], hi[back]) for lo, hi in res._raw_limits(d_unique, True)]
    for lv, (lo, hi) in sorted(zip(lev, at_units), key=lambda t: t[0]):
        if overdispersion == "additive":  # = the limits on the transformed scale (zero-event units corrected)
            zq = special.ndtri((1 + lv) / 2)
            high, low = adj.z > zq, adj.z < -zq
        else:
            high, low = value > hi, value < lo
        cols[f"high_{_pct(lv)[:-1]}"] = high
        cols[f"low_{_pct(lv)[:-1]}"] = low
        flag = np.where(high, f"high at {_pct(lv)}", np.where(low, f"low at {_pct(lv)}", flag))
    res.units = pd.DataFrame(dict(
        unit=unit, numerator=x.astype(np.int64), denominator=d.astype(np.int64) if fam is _BINOMIAL else d,
        estimate=value * per_v, expected=theta * d,
        z=z, z_adjusted=adj.z, p_value=adj.p, p_exact=_central_p(fam.model(theta, d), x), flag=flag, **cols,
        zero_events=zero, winsorised=flagged_w,
    ))
    return res
