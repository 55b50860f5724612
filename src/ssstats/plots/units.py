"""Figures for models across units: the caterpillar plot of shrunken (empirical-Bayes) unit estimates."""

from __future__ import annotations

import numpy as np

from ._style import PALETTE, apply_style

__all__ = ["plot_beta_binomial"]


def plot_beta_binomial(fit, title: str | None = None, level: float = 0.95, max_units: int | None = 400,
                       label_units: bool | None = None, ax=None):
    """Caterpillar plot of a :class:`ssstats.units.BetaBinomialFit`.

    Each unit's empirical-Bayes (shrunken) proportion with its equal-tailed posterior interval, sorted, with the
    unit's raw proportion y/n as an open circle (for a censored unit, the range its raw proportion lies in, in
    orange), the estimated mean mu as a line, and, shaded, the central ``level`` range of the fitted Beta(alpha,
    beta) distribution of the units' true proportions: the between-unit variation the model estimates (absent
    when rho = 0, where every unit has the same proportion).

    Parameters
    ----------
    fit : BetaBinomialFit
    title : str, optional
        Figure title; say "(synthetic data)" when the data are synthetic.
    level : float
        Level of the posterior intervals.
    max_units : int or None
        Draw at most this many units (evenly spaced in the sorted order), so that large fits stay legible; the
        caption says how many were drawn.  ``None`` draws all.
    label_units : bool, optional
        Write unit labels on the axis (default: when 40 units or fewer are drawn).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    apply_style()
    est = fit.unit_estimates(level=level).sort_values("estimate", kind="stable").reset_index(drop=True)
    total = len(est)
    if max_units is not None and total > max_units:
        idx = np.unique(np.linspace(0, total - 1, max_units).round().astype(int))
        est = est.iloc[idx].reset_index(drop=True)
    k = len(est)
    if ax is None:
        fig, ax = plt.subplots(figsize=(7.5, max(3.5, min(10.0, 0.18 * k + 1.5))) if k <= 40 else (7.5, 5.0))
    else:
        fig = ax.figure
    pos = np.arange(k)
    horizontal = k <= 40
    band = None
    if fit.rho > 0 and np.isfinite(fit.alpha) and np.isfinite(fit.beta):
        from scipy import stats

        band = stats.beta.ppf([(1 - level) / 2, (1 + level) / 2], fit.alpha, fit.beta)
        band_label = (f"{int(round(100 * level))}% of units' true proportions (fitted Beta, ρ = {fit.rho:.3g})")
        (ax.axvspan if horizontal else ax.axhspan)(band[0], band[1], color=PALETTE["red"], alpha=0.08, lw=0,
                                                   label=band_label)
    if horizontal:
        ax.errorbar(est.estimate, pos, xerr=[est.estimate - est.lower, est.upper - est.estimate], fmt="o",
                    color=PALETTE["blue"], ms=4, lw=1, label=f"shrunken estimate, {int(round(100 * level))}% interval")
        ax.plot(est.raw, pos, "o", mfc="none", color=PALETTE["grey"], ms=4, label="raw proportion")
        c = est.censored.to_numpy()
        if c.any():  # a censored unit's raw proportion is only known to lie in a range
            ax.hlines(pos[c] + 0.3, est.lower_successes[c] / est.trials[c], est.upper_successes[c] / est.trials[c],
                      color=PALETTE["orange"], lw=2, label="censored: range of raw proportion")
        ax.axvline(fit.mu, color=PALETTE["red"], lw=1, ls="--", label=f"mean μ = {fit.mu:.3g}")
        ax.set_xlabel("proportion")
        ax.set_ylabel("unit (sorted by shrunken estimate)" + (f"; {k} of {total} drawn" if k < total else ""))
        if label_units is None or label_units:
            ax.set_yticks(pos, [str(u) for u in est.unit])
    else:
        ax.vlines(pos, est.lower, est.upper, color=PALETTE["sky"], lw=0.8)
        ax.plot(pos, est.estimate, "o", color=PALETTE["blue"], ms=2.5,
                label=f"shrunken estimate, {int(round(100 * level))}% interval")
        ax.plot(pos, est.raw, "o", mfc="none", color=PALETTE["grey"], ms=2.5, alpha=0.6, label="raw proportion")
        c = est.censored.to_numpy()
        if c.any():
            ax.vlines(pos[c] + 0.35, est.lower_successes[c] / est.trials[c], est.upper_successes[c] / est.trials[c],
                      color=PALETTE["orange"], lw=1.5, label="censored: range of raw proportion")
        ax.axhline(fit.mu, color=PALETTE["red"], lw=1, ls="--", label=f"mean μ = {fit.mu:.3g}")
        ax.set_ylabel("proportion")
        ax.set_xlabel("unit (sorted by shrunken estimate)" + (f"; {k} of {total} units drawn" if k < total else ""))
        if label_units:
            ax.set_xticks(pos, [str(u) for u in est.unit], rotation=90)
        else:
            ax.set_xticks([])
    ax.legend(loc="best", fontsize=8, frameon=False)
    if title is None:
        title = f"Unit proportions shrunk towards the mean (beta-binomial, ρ = {fit.rho:.3g})"
    ax.set_title(title)
    fig.tight_layout()
    return fig
