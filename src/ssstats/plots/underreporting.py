"""Figures for under-reporting: multiple systems estimates, closed-population models, multipliers, relative
completeness across units and probabilistic bias analysis.  Each takes a result first and returns a Figure."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ._style import PALETTE, apply_style

__all__ = ["plot_mse", "plot_closed", "plot_multiplier", "plot_completeness", "plot_bias", "plot_mse_compare"]


def _title(ax, title, synthetic):
    if title is None:
        return
    ax.set_title(title + (" (synthetic data)" if synthetic and "(synthetic data)" not in title else ""))


def plot_mse(result, title: str | None = None, reference: tuple[float, float] | None = None,
             reference_label: str = "published range", synthetic: bool = False, figsize=(7.0, 3.4)):
    """Observed count, estimated total and its interval for a multiple systems estimate; with a bootstrap, the
    distribution of the replicates.  ``reference`` draws a published range as a band."""
    apply_style()
    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    boot = result.boot
    if boot is not None and boot.size:
        ax.hist(boot, bins=50, color=PALETTE["sky"], alpha=0.6, label=f"bootstrap replicates ({boot.size:,})")
    if reference is not None:
        ax.axvspan(*reference, color=PALETTE["orange"], alpha=0.25, label=reference_label)
    ax.axvline(result.n_observed, color=PALETTE["grey"], ls=":", label=f"observed ({result.n_observed:,.0f})")
    ax.axvline(result.estimate, color=PALETTE["blue"], lw=2, label=f"estimate ({result.estimate:,.0f})")
    ax.axvline(result.lower, color=PALETTE["blue"], ls="--",
               label=f"{result.level:.0%} {result.interval} interval")
    ax.axvline(result.upper, color=PALETTE["blue"], ls="--")
    ax.set_xlabel("population total")
    ax.set_yticks([] if boot is None else ax.get_yticks())
    ax.legend(fontsize=8, loc="upper right")
    _title(ax, title or f"Multiple systems estimate, model {result.model!r}", synthetic)
    return fig


def plot_mse_compare(results: dict, title: str | None = None, reference=None, reference_label="published range",
                     synthetic: bool = False, truth: float | None = None, figsize=(7.0, 3.2)):
    """Several estimates (name -> MSEResult) with intervals, side by side; optional published range or truth."""
    apply_style()
    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    names = list(results)
    y = np.arange(len(names))[::-1]
    est = np.array([results[n].estimate for n in names])
    lo = np.array([results[n].lower for n in names])
    hi = np.array([results[n].upper for n in names])
    if reference is not None:
        ax.axvspan(*reference, color=PALETTE["orange"], alpha=0.25, label=reference_label)
    if truth is not None:
        ax.axvline(truth, color=PALETTE["red"], ls="--", label=f"true total ({truth:,.0f})")
    obs = results[names[0]].n_observed
    ax.axvline(obs, color=PALETTE["grey"], ls=":", label=f"observed ({obs:,.0f})")
    ax.errorbar(est, y, xerr=[est - lo, hi - est], fmt="o", color=PALETTE["blue"], capsize=3)
    ax.set_yticks(y, names)
    ax.set_xlabel("estimated total")
    ax.legend(fontsize=8, loc="lower right")
    _title(ax, title, synthetic)
    return fig


def plot_closed(result, title: str | None = None, figsize=(7.0, 3.8)):
    """Abundance +- 1.96 s.e. for each closed-population model, ordered as fitted; the smallest AIC in bold."""
    apply_style()
    t = result.table
    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    y = np.arange(len(t))[::-1]
    best = t["AIC"].idxmin()
    ax.errorbar(t["abundance"], y, xerr=1.96 * t["stderr"], fmt="o", color=PALETTE["blue"], capsize=3)
    ax.axvline(result.n, color=PALETTE["grey"], ls=":", label=f"captured ({result.n:,.0f})")
    ax.set_yticks(y, t["model"])
    for lab, i in zip(ax.get_yticklabels(), t.index):
        lab.set_fontweight("bold" if i == best else "normal")
    ax.set_xlabel("abundance (estimate +- 1.96 s.e.)")
    ax.legend(fontsize=8)
    _title(ax, title or "Closed-population models (smallest AIC in bold)", False)
    return fig


def plot_multiplier(result, title: str | None = None, figsize=(6.5, 3.2)):
    """Simulated distribution of the true count for each observed count."""
    apply_style()
    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    cols = [PALETTE["blue"], PALETTE["orange"], PALETTE["green"], PALETTE["purple"]]
    obs = result.table.loc[result.table["method"] == "simulation", "observed"].to_numpy()
    for j in range(result.draws.shape[1]):
        d = result.draws[:, j]
        ax.hist(d, bins=80, range=tuple(np.quantile(d, [0.001, 0.999])), alpha=0.5, color=cols[j % 4],
                label=f"observed {obs[j]:,.0f}")
    ax.set_xlabel("estimated true count")
    ax.set_yticks([])
    ax.legend(fontsize=8)
    _title(ax, title or f"Multiplier estimate (reporting probability {result.assumption})", False)
    return fig


def plot_completeness(result, title: str | None = None, synthetic: bool = False, figsize=(7.0, 3.6)):
    """Caterpillar plot of each unit's reporting completeness relative to the benchmark, flagged units in red."""
    apply_style()
    t = result.table.sort_values("estimate").reset_index(drop=True)
    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    x = np.arange(len(t))
    col = np.where(t["flagged"], PALETTE["red"], PALETTE["blue"])
    ax.vlines(x, t["lower"], t["upper"], colors=col, alpha=0.5, lw=1)
    ax.scatter(x, t["estimate"], c=col, s=8, zorder=3)
    ax.axhline(1, color=PALETTE["black"], lw=1, label=f"benchmark ({result.benchmark.replace('_', ' ')})")
    ax.set_ylabel("reporting completeness")
    ax.set_xlabel(f"units, least complete first ({int(t['flagged'].sum())} flagged in red)")
    ax.set_xticks([])
    ax.legend(fontsize=8, loc="upper left")
    _title(ax, title or "Reporting completeness relative to the benchmark", synthetic)
    return fig


def plot_bias(result, title: str | None = None, figsize=None):
    """Distributions of the bias-corrected counts, one panel per stage: systematic error alone, and with random
    error; the observed count and the median and interval marked."""
    apply_style()
    stages = list(result.draws)
    figsize = figsize or (3.3 * len(stages), 3.0)
    fig, axes = plt.subplots(1, len(stages), figsize=figsize, layout="constrained", squeeze=False)
    for ax, s in zip(axes[0], stages):
        d = result.draws[s]
        dr = result.draws_random[s]
        rng = tuple(np.quantile(np.concatenate([d, dr]), [0.001, 0.995]))
        if rng[0] == rng[1]:
            rng = (rng[0] - 1, rng[1] + 1)
        ax.hist(dr, bins=60, range=rng, color=PALETTE["orange"], alpha=0.45, label="systematic + random")
        ax.hist(d, bins=60, range=rng, color=PALETTE["blue"], alpha=0.55, label="systematic")
        row = result.table[(result.table["quantity"] == s) & (result.table["analysis"] == "systematic")].iloc[0]
        ax.axvline(row["observed"], color=PALETTE["grey"], ls=":", label=f"observed ({row['observed']:,.0f})")
        ax.axvline(row["median"], color=PALETTE["black"], lw=1.5)
        for v in (row["lower"], row["upper"]):
            ax.axvline(v, color=PALETTE["black"], ls="--", lw=1)
        ax.set_title(s)
        ax.set_yticks([])
        ax.set_xlabel("corrected count")
    axes[0][0].legend(fontsize=7)
    if title:
        fig.suptitle(title)
    return fig
