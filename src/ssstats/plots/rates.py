"""Forest plots and bar charts of proportions and rates with their intervals."""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter

from ._style import PALETTE, apply_style

__all__ = ["forest_plot", "interval_bars"]


def _percent_axis(ax, axis="x", digits=0):
    fmt = FuncFormatter(lambda v, _: f"{100 * v:.{digits}f}%")
    (ax.xaxis if axis == "x" else ax.yaxis).set_major_formatter(fmt)


def forest_plot(frame: pd.DataFrame, label: str = "label", group: str | None = None, reference: float | None = None,
                reference_label: str | None = None, xlabel: str = "", title: str = "", percent: bool = True,
                log: bool = False, highlight: str | None = None):
    """Horizontal forest plot: one row per line of ``frame`` with ``estimate`` and, where given, ``lower`` and
    ``upper`` (rows without an interval are drawn as points only, e.g. national figures without a denominator).

    Parameters
    ----------
    frame : pandas.DataFrame
        Columns ``label`` (row names), ``estimate``, optional ``lower``/``upper`` and ``group``.
    group : str, optional
        Column whose values colour the rows (a legend is drawn).
    reference : float, optional
        A vertical reference line (e.g. a national rate).
    highlight : str, optional
        A label to draw in bold.
    """
    apply_style()
    n = len(frame)
    fig, ax = plt.subplots(figsize=(7.5, 0.42 * n + 1.4))
    y = np.arange(n)[::-1]
    colours = list(PALETTE.values())
    groups = list(dict.fromkeys(frame[group])) if group else [None]
    cmap = {g: colours[i % len(colours)] for i, g in enumerate(groups)}
    lower = frame["lower"] if "lower" in frame else pd.Series(np.nan, index=frame.index)
    upper = frame["upper"] if "upper" in frame else pd.Series(np.nan, index=frame.index)
    shapes = set()
    for yi, (_, row), lo, hi in zip(y, frame.iterrows(), lower, upper):
        c = cmap[row[group] if group else None]
        has_ci = np.isfinite(lo) and np.isfinite(hi)
        if has_ci:
            ax.plot([lo, hi], [yi, yi], color=c, lw=2, solid_capstyle="butt")
        ax.plot(row["estimate"], yi, "o" if has_ci else "D", color=c, ms=6 if has_ci else 5)
        shapes.add(has_ci)
    ax.set_yticks(y)
    ax.set_yticklabels(frame[label])
    if highlight is not None:
        for t in ax.get_yticklabels():
            if t.get_text() == highlight:
                t.set_fontweight("bold")
    if reference is not None:
        ax.axvline(reference, color=PALETTE["grey"], ls="--", lw=1, label=reference_label)
    if log:
        ax.set_xscale("log")
    if percent:
        _percent_axis(ax, "x", 0 if frame["estimate"].max() > 0.05 else 1)
    ax.set_xlabel(xlabel)
    ax.set_title(title, loc="left")
    ax.grid(axis="y", visible=False)
    # colours name the groups; the marker says whether the row has an interval (counts published) or not
    handles = [Patch(color=cmap[g], label=str(g)) for g in groups if g is not None]
    if len(shapes) == 2:
        handles += [Line2D([], [], color=PALETTE["black"], marker="o", lw=2, label="with interval (counts published)"),
                    Line2D([], [], color=PALETTE["black"], marker="D", ls="none", ms=5,
                           label="percentage only (no counts published)")]
    if reference_label:
        handles.append(Line2D([], [], color=PALETTE["grey"], ls="--", lw=1, label=reference_label))
    if handles:
        ax.legend(handles=handles, loc="best", frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


def interval_bars(frame: pd.DataFrame, label: str = "label", xlabel: str = "", title: str = "",
                  percent: bool = True, note: str | None = None):
    """Horizontal bars of ``estimate`` with ``lower``/``upper`` error bars, largest at the top."""
    apply_style()
    frame = frame.sort_values("estimate")
    fig, ax = plt.subplots(figsize=(7.5, 0.45 * len(frame) + 1.4))
    y = np.arange(len(frame))
    err = np.vstack([frame["estimate"] - frame["lower"], frame["upper"] - frame["estimate"]])
    ax.barh(y, frame["estimate"], color=PALETTE["sky"], edgecolor=PALETTE["blue"])
    ax.errorbar(frame["estimate"], y, xerr=err, fmt="none", ecolor=PALETTE["black"], capsize=3, lw=1)
    ax.set_yticks(y)
    ax.set_yticklabels(frame[label])
    if percent:
        _percent_axis(ax, "x")
    ax.set_xlabel(xlabel)
    ax.set_title(title, loc="left")
    ax.grid(axis="y", visible=False)
    if note:
        fig.text(0.01, 0.01, note, fontsize=7, color=PALETTE["grey"], ha="left", va="bottom")
    fig.tight_layout()
    return fig
