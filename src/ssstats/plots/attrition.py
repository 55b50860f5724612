"""Attrition charts: :func:`plot_cascade` draws a :class:`ssstats.Cascade`, :func:`plot_cascades` several."""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from ._style import PALETTE, apply_style

__all__ = ["plot_cascade", "plot_cascades", "plot_no_event_probability"]

_SUBS = (1.0, 2.0, 5.0)


def _log_axis(ax, values, fmt):
    """Log y axis padded to a factor of 2 either side of the data, ticks at 1, 2, 5 x 10^k."""
    v = np.asarray(values, float)
    v = v[np.isfinite(v) & (v > 0)]
    ax.set_yscale("log")
    if v.size:
        ax.set_ylim(v.min() / 2, v.max() * 2)
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=_SUBS))
    ax.yaxis.set_major_formatter(FuncFormatter(fmt))
    ax.yaxis.set_minor_formatter(NullFormatter())


def _stage_labels(stages):
    return [s.replace("_", " ") for s in stages]


def plot_cascade(cascade, title: str | None = None, figsize=(9.0, 3.8), axes=None):
    """Attrition chart of a cascade, on log scales.

    Left: the count at each stage (bars; a censored total is drawn at its upper bound with its range as an error
    bar).  Right: each proportion with its confidence interval.  For nested stages, the share of the first stage
    still present at each stage (squares, starting from 100%) and each stage's share of the stage before
    (circles); for stages that are not nested, each proportion on its own denominator only, since no overall
    proportion is formed.  A proportion known only within bounds (censored cells) is drawn as a shaded bar over
    its range, with the union of its intervals as whiskers.

    Parameters
    ----------
    cascade : ssstats.Cascade
    title : str, optional
        Title; default the cascade's label (which says "(synthetic data)" for synthetic units).
    figsize : tuple of float
    axes : pair of matplotlib Axes, optional
        Draw into these (counts, proportions) instead of a new figure.

    Returns
    -------
    matplotlib.figure.Figure
    """
    apply_style()
    df = cascade.to_frame()
    k = len(df)
    pos = np.arange(k)
    if axes is None:
        fig, (ax_n, ax_p) = plt.subplots(1, 2, figsize=figsize, layout="constrained")
    else:
        ax_n, ax_p = axes
        fig = ax_n.figure
    name = title if title is not None else cascade.label

    # counts
    lo, hi = df["count_lower"].to_numpy(float), df["count_upper"].to_numpy(float)
    heights = np.maximum(hi, 0.5)  # a zero count sits at the bottom of the log axis
    ax_n.bar(pos, heights, color=PALETTE["blue"], alpha=0.85, width=0.6)
    cens = lo != hi
    if cens.any():
        ax_n.errorbar(pos[cens], hi[cens], yerr=[hi[cens] - np.maximum(lo[cens], 0.5), np.zeros(cens.sum())],
                      fmt="none", ecolor=PALETTE["black"], capsize=4, label="censored cells: range")
        ax_n.legend(loc="upper right", frameon=False, fontsize=8)
    for i in range(k):
        text = f"{lo[i]:,.0f}" if lo[i] == hi[i] else f"{lo[i]:,.0f} to {hi[i]:,.0f}"
        ax_n.annotate(text, (pos[i], heights[i]), xytext=(0, 2), textcoords="offset points", ha="center",
                      va="bottom", fontsize=8)
    _log_axis(ax_n, np.r_[heights, np.maximum(lo, 0.5)], lambda v, _: f"{v:,.0f}" if v >= 1 else f"{v:g}")
    ax_n.set_xticks(pos, _stage_labels(df["stage"]), rotation=20, ha="right")
    ax_n.set_ylabel("count (log scale)")

    # proportions
    level = f"{100 * cascade.level:g}%"
    columns = [("estimate", "estimate_min", "estimate_max", "lower", "upper")]
    if cascade.nested:
        columns.append(("overall", "overall_min", "overall_max", "overall_lower", "overall_upper"))
    values = np.concatenate([df[list(c)].to_numpy(float).ravel() for c in columns])
    positive = values[np.isfinite(values) & (values > 0)]
    floor = 0.5 * positive.min() if positive.size else 1e-4  # zeros are drawn at the bottom of the log axis

    def draw(cols, mask, offset, colour, marker, label):
        est, est_min, est_max, lower, upper = (df[c].to_numpy(float)[mask] for c in cols)
        x = pos[mask] + offset
        point = np.where(np.isnan(est), np.sqrt(np.maximum(est_min, floor) * np.maximum(est_max, floor)), est)
        point = np.maximum(point, floor)
        lower = np.where(np.isnan(lower), point, np.maximum(lower, floor))
        upper = np.where(np.isnan(upper), point, upper)
        ax_p.errorbar(x, point, yerr=[point - lower, np.maximum(upper - point, 0)], fmt=marker, color=colour,
                      capsize=3, label=label)
        ranged = est_min != est_max
        if ranged.any():
            ax_p.vlines(x[ranged], np.maximum(est_min[ranged], floor), est_max[ranged], colors=colour, lw=6,
                        alpha=0.35)

    has = df["denominator_stage"].map(lambda v: isinstance(v, str)).to_numpy() & df["lower"].notna().to_numpy()
    if cascade.nested:
        draw(columns[1], df["overall_max"].notna().to_numpy(), 0.1, PALETTE["blue"], "s",
             f"of the first stage ({level} CI)")
        draw(columns[0], has, -0.1, PALETTE["orange"], "o", f"of the stage before ({level} CI)")
        ax_p.set_title("Proportion reaching each stage" if axes is None else _wrap(f"{name}: proportions"),
                       loc="center" if axes is None else "left")
        ticks = _stage_labels(df["stage"])
    else:
        draw(columns[0], has, 0.0, PALETTE["orange"], "o", f"of its own denominator ({level} CI)")
        ax_p.set_title("Each stage on its own denominator (not nested)" if axes is None else
                       _wrap(f"{name}: not nested"), loc="center" if axes is None else "left")
        ticks = [s + (f"\nof {d}" if isinstance(d, str) else "\n(denominator)")
                 for s, d in zip(_stage_labels(df["stage"]), df["denominator_stage"].map(
                     lambda v: v.replace("_", " ") if isinstance(v, str) else None))]
    ax_p.set_xlim(-0.5, k - 0.5)
    ax_p.set_xticks(pos, ticks, rotation=20, ha="right", fontsize=8)
    _log_axis(ax_p, np.r_[positive, floor, 1.0 if cascade.nested else positive.max(initial=floor)],
              lambda v, _: f"{100 * v:.3g}%")
    ax_p.set_ylim(top=min(ax_p.get_ylim()[1], 1.5))
    ax_p.set_ylabel("proportion (log scale)")
    ax_p.legend(loc="lower left", frameon=False, fontsize=8)

    if axes is None:
        ax_n.set_title("Count at each stage")
        fig.suptitle(name)
    else:
        ax_n.set_title(_wrap(f"{name}: counts"), loc="left")
    return fig


def _wrap(title: str, width: int = 46) -> str:
    """A panel title broken into lines, so that side-by-side panels' titles do not run into each other."""
    return textwrap.fill(title, width)


def plot_cascades(cascades, title: str | None = None, width: float = 9.0, row_height: float = 3.2):
    """Several cascades, one row each (counts left, proportions right), as :func:`plot_cascade` draws them.

    Parameters
    ----------
    cascades : mapping of str -> ssstats.Cascade, or sequence of Cascade
        Row titles (the keys, or each cascade's label) and cascades, top to bottom.
    title : str, optional
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    apply_style()
    items = list(cascades.items()) if hasattr(cascades, "items") else [(c.label, c) for c in cascades]
    fig, axes = plt.subplots(len(items), 2, figsize=(width, row_height * len(items)), layout="constrained",
                             squeeze=False)
    for (name, cascade), pair in zip(items, axes):
        plot_cascade(cascade, title=name, axes=pair)
    if title is not None:
        fig.suptitle(title)
    return fig


def plot_no_event_probability(units, rates, alpha: float = 0.05, n_max: int | None = None,
                              title: str | None = None, xlabel: str = "number of cases",
                              ylabel: str = "probability of no event at all", figsize=(7.5, 4.0)):
    """How surprising is no event at all?  P(0 of n) = (1 - p)^n against n, for one or more reference rates.

    Parameters
    ----------
    units : pandas.DataFrame
        Columns ``unit`` (label) and ``n`` (number of cases, e.g. offences reported to the police); each is marked
        on every curve.  Only published, named units belong here (labelled points of unit-level returns must go
        through :func:`ssstats.suppress` first).
    rates : mapping of str -> float
        Reference probabilities of the event per case (e.g. the national charge rate), by label.
    alpha : float
        A horizontal line marks this probability (no event at all is "surprising" below it).
    n_max : int, optional
        Right end of the n axis; default 4 times the largest n, at least the n where the lowest rate's curve
        crosses ``alpha``.
    title, xlabel, ylabel : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    apply_style()
    n_units = np.asarray(units["n"], dtype=float)
    ps = np.asarray(list(rates.values()), dtype=float)
    cross = np.log(alpha) / np.log1p(-ps.min())
    top = n_max if n_max is not None else int(max(4 * n_units.max(), 1.2 * cross))
    n = np.arange(0, top + 1)
    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    colours = [PALETTE["blue"], PALETTE["orange"], PALETTE["green"], PALETTE["purple"]]
    for (label, p), colour in zip(rates.items(), colours):
        ax.plot(n, (1 - p) ** n, color=colour, label=f"{label} ({100 * p:.3g}% per case)")
        y = (1 - p) ** n_units
        ax.plot(n_units, y, "o", color=colour)
    p0 = ps[0]
    for name, x in zip(units["unit"], n_units):
        ax.annotate(f"{name}\n{x:.0f} cases, P = {(1 - p0) ** x:.2f}", (x, (1 - p0) ** x), xytext=(8, 8),
                    textcoords="offset points", fontsize=8)
    ax.axhline(alpha, color=PALETTE["red"], ls="--", lw=1)
    ax.annotate(f"P = {alpha:g}", (top, alpha), xytext=(-4, 3), textcoords="offset points", ha="right",
                fontsize=8, color=PALETTE["red"])
    ax.set_xlim(0, top)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(loc="upper right", frameon=False, fontsize=8)
    ax.set_title(title if title is not None else "Probability of no event from n cases at a reference rate")
    return fig
