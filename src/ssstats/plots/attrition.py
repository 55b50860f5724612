"""Attrition charts: :func:`plot_cascade` draws a :class:`ssstats.Cascade`."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ._style import PALETTE, apply_style

__all__ = ["plot_cascade"]


def plot_cascade(cascade, title: str | None = None, figsize=(9.0, 3.8)):
    """Attrition chart of a cascade, on log scales.

    Left: the count at each stage (bars; a censored total is drawn at its upper bound with its range as an error
    bar).  Right: each proportion with its confidence interval: for nested stages the conditional proportion (of
    the stage before) and the overall proportion (of the first stage); for stages that are not nested, each
    proportion on its own denominator only (no overall proportion is drawn, as none is formed).

    Parameters
    ----------
    cascade : ssstats.Cascade
    title : str, optional
        Figure title; default the cascade's label (which says "(synthetic data)" for synthetic units).
    figsize : tuple of float

    Returns
    -------
    matplotlib.figure.Figure
    """
    apply_style()
    df = cascade.to_frame()
    k = len(df)
    pos = np.arange(k)
    fig, (ax_n, ax_p) = plt.subplots(1, 2, figsize=figsize, layout="constrained")

    lo, hi = df["count_lower"].to_numpy(float), df["count_upper"].to_numpy(float)
    heights = np.maximum(hi, 0.5)  # a zero count sits at the bottom of the log axis
    ax_n.bar(pos, heights, color=PALETTE["blue"], alpha=0.85, width=0.6)
    cens = lo != hi
    if cens.any():
        ax_n.errorbar(pos[cens], hi[cens], yerr=[hi[cens] - np.maximum(lo[cens], 0.5), np.zeros(cens.sum())],
                      fmt="none", ecolor=PALETTE["black"], capsize=4, label="censored: range")
        ax_n.legend(loc="upper right", frameon=False, fontsize=8)
    for i in range(k):
        text = f"{lo[i]:,.0f}" if lo[i] == hi[i] else f"{lo[i]:,.0f}-{hi[i]:,.0f}"
        ax_n.annotate(text, (pos[i], heights[i]), xytext=(0, 3), textcoords="offset points", ha="center",
                      fontsize=8)
    ax_n.set_yscale("log")
    ax_n.set_xticks(pos, df["stage"].str.replace("_", " "), rotation=20, ha="right")
    ax_n.set_ylabel("count (log scale)")
    ax_n.set_title("Count at each stage")

    has = df["denominator_stage"].map(lambda v: isinstance(v, str)).to_numpy() & df["lower"].notna().to_numpy()
    level = f"{100 * cascade.level:g}%"

    cols = ["estimate_min", "lower"] + (["overall_min", "overall_lower"] if cascade.nested else [])
    positive = df[cols].to_numpy(float)
    positive = positive[np.isfinite(positive) & (positive > 0)]
    floor = 0.5 * positive.min() if positive.size else 1e-4  # zeros sit at the bottom of the log axis

    def _draw(ax, est, est_min, est_max, lower, upper, mask, offset, colour, marker, label):
        x = pos[mask] + offset
        point = np.where(np.isnan(est[mask]), np.sqrt(np.maximum(est_min[mask], floor) * est_max[mask]), est[mask])
        ax.errorbar(x, np.maximum(point, floor),
                    yerr=[np.maximum(point, floor) - np.maximum(lower[mask], floor),
                          np.maximum(upper[mask] - np.maximum(point, floor), 0)],
                    fmt=marker, color=colour, capsize=3, label=label)
        rng = est_min[mask] != est_max[mask]
        if rng.any():
            ax.vlines(x[rng], np.maximum(est_min[mask][rng], floor), est_max[mask][rng], colors=colour, lw=5,
                      alpha=0.4)

    if cascade.nested:
        _draw(ax_p, *(df[c].to_numpy(float) for c in ("estimate", "estimate_min", "estimate_max", "lower",
                                                         "upper")),
              has, -0.1, PALETTE["orange"], "o", f"of the stage before ({level} CI)")
        ov = df["overall_lower"].notna().to_numpy()
        _draw(ax_p, *(df[c].to_numpy(float) for c in ("overall", "overall_min", "overall_max", "overall_lower",
                                                         "overall_upper")),
              ov, 0.1, PALETTE["blue"], "s", f"of the first stage ({level} CI)")
        ax_p.set_title("Proportion reaching each stage")
    else:
        _draw(ax_p, *(df[c].to_numpy(float) for c in ("estimate", "estimate_min", "estimate_max", "lower",
                                                         "upper")),
              has, 0.0, PALETTE["orange"], "o", f"of its own denominator ({level} CI)")
        ax_p.set_title("Each stage on its own denominator (not nested)")
    ax_p.set_yscale("log")
    ax_p.set_xlim(-0.5, k - 0.5)
    ax_p.set_xticks(pos, [s.replace("_", " ") + (f"\n/ {d.replace('_', ' ')}" if isinstance(d, str) else "")
                          for s, d in zip(df["stage"], df["denominator_stage"])], rotation=20, ha="right",
                    fontsize=8)
    ax_p.set_ylabel("proportion (log scale)")
    ax_p.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{100 * v:.3g}%"))
    ax_p.yaxis.set_minor_formatter(plt.NullFormatter())
    ax_n.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:,.4g}"))
    ax_n.yaxis.set_minor_formatter(plt.NullFormatter())
    ax_p.legend(loc="lower left", frameon=False, fontsize=8)
    fig.suptitle(title if title is not None else cascade.label)
    return fig
