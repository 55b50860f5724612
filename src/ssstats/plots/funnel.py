"""Funnel plots: :func:`plot_funnel` draws a :class:`ssstats.funnel.FunnelResult`, :func:`plot_funnels` several
side by side (e.g. unadjusted and overdispersion-adjusted)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from ._style import PALETTE, apply_style

__all__ = ["plot_funnel", "plot_funnels"]

_LEVEL_COLOURS = (PALETTE["orange"], PALETTE["red"], PALETTE["purple"], PALETTE["sky"])


def _disclosive(result, units):
    """Units whose counts :func:`ssstats.suppress` would hide (1 to 7 under the NHS Digital rule): a name set
    beside such a point would publish a small count about a named unit."""
    from ..disclosure import suppress

    counts = {"numerator": units["numerator"].to_numpy(dtype=np.int64)}
    if result.kind == "proportion":  # the denominator is a count too (rates and ratios: exposure, expected)
        counts["denominator"] = units["denominator"].to_numpy(dtype=np.int64)
    shown = suppress(pd.DataFrame(counts, index=units.index), secondary=False, base=1)
    return (shown == "*").any(axis=1).to_numpy()


def _unit_labels(result, labels, max_labels: int):
    """Which units to label: ``None`` -> those outside the widest limits (the ``max_labels`` most extreme by
    p-value) whose counts :func:`ssstats.suppress` would show, so that no small count is named; ``False`` -> none;
    a list -> those (the caller's choice)."""
    u = result.units
    if labels is False:
        return u.iloc[0:0]
    if labels is None:
        key = f"{100 * max(result.levels):.10g}"
        out = u[u[f"high_{key}"] | u[f"low_{key}"]]
        if len(out):
            out = out[~_disclosive(result, out)]
        return out.sort_values("p_value", kind="stable").head(max_labels)
    wanted = set(labels)
    return u[u["unit"].isin(wanted)]


def plot_funnel(result, labels=None, show_unadjusted: bool = True, title: str | None = None, ax=None,
                xlabel: str | None = None, ylabel: str | None = None, figsize=(6.0, 4.2), log_x: bool = True,
                max_labels: int = 6, legend: bool = True):
    """Funnel plot: each unit's estimate against its denominator, with the target and the limits at each level.

    Parameters
    ----------
    result : FunnelResult
    labels : None, False or sequence
        Units to name on the plot: by default those outside the widest limits (at most ``max_labels``, the most
        extreme first) except those with a count that :func:`ssstats.suppress` would hide (the numerator, and for
        proportions the denominator, from 1 to 7: a named point would publish it); ``False`` for none; a sequence
        names exactly those units (the caller then answers for disclosure).  Labels are unit identifiers only,
        never counts.
    show_unadjusted : bool
        With an overdispersion adjustment, also draw the unadjusted limits (thin dashed grey lines).
    title : str, optional
        Say "(synthetic data)" in it when the data are synthetic.
    ax : matplotlib Axes, optional
        Draw into this Axes instead of a new figure.
    xlabel, ylabel : str, optional
    figsize : tuple of float
    log_x : bool
        Logarithmic denominator axis (default), which spreads small units out.
    max_labels : int
        Most units labelled by default.
    legend : bool
        Draw the legend.

    Returns
    -------
    matplotlib.figure.Figure
    """
    apply_style()
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    else:
        fig = ax.figure
    lim = result.limits()
    adjusted = result.overdispersion is not None
    styles = [("none", "--" if adjusted else "-", adjusted and show_unadjusted, not adjusted)]
    if adjusted:
        styles.append((str(result.overdispersion), "-", True, True))
    for name, ls, draw, main in styles:
        if not (draw or main):
            continue
        part = lim[lim["adjustment"] == name]
        for i, lev in enumerate(sorted(result.levels)):
            g = part[part["level"] == lev]
            colour = _LEVEL_COLOURS[i % len(_LEVEL_COLOURS)] if main else PALETTE["grey"]
            lab = f"{100 * lev:.10g}% limits" if main else ("unadjusted limits" if i == 0 else None)
            ax.plot(g["denominator"], g["upper"], ls=ls, color=colour, lw=1.4 if main else 0.9, label=lab)
            ax.plot(g["denominator"], g["lower"], ls=ls, color=colour, lw=1.4 if main else 0.9)
    ax.axhline(result.target, color=PALETTE["black"], lw=1, label="target")
    u = result.units.copy()
    # additive limits on the log scale test a unit with no events as if it had half an event (funnel's Notes):
    # draw it where it was tested, hollow, so that the plot and the flags agree
    half = u["zero_events"].to_numpy(bool) & (result.overdispersion == "additive") & (result.scale == "log")
    u.loc[half, "estimate"] = 0.5 * result.per / u.loc[half, "denominator"]
    flagged = (u["flag"] != "within limits").to_numpy()
    plain = ~flagged & ~half
    ax.scatter(u.loc[plain, "denominator"], u.loc[plain, "estimate"], s=18, color=PALETTE["blue"],
               alpha=0.8, zorder=3, label="units")
    if half.any():
        ax.scatter(u.loc[half, "denominator"], u.loc[half, "estimate"], s=22, facecolors="none",
                   edgecolors=PALETTE["blue"], zorder=3,
                   label="no events (drawn at ½ event, as tested)")
        both = half & flagged  # a flagged unit with no events keeps its diamond, hollow
        if both.any():
            ax.scatter(u.loc[both, "denominator"], u.loc[both, "estimate"], s=30, facecolors="none",
                       edgecolors=PALETTE["red"], marker="D", zorder=4)
    if (flagged & ~half).any():
        ax.scatter(u.loc[flagged & ~half, "denominator"], u.loc[flagged & ~half, "estimate"], s=30,
                   color=PALETTE["red"], marker="D", zorder=4, label="outside limits")
    if log_x:
        ax.set_xscale("log")
        ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.10g}"))
        ax.xaxis.set_minor_formatter(NullFormatter())
    ymax = max(float(np.nanmax(u["estimate"])), float(result.target)) * 1.3
    ax.set_ylim(0, ymax)
    default_x = {"proportion": "denominator", "rate": "exposure", "ratio": "expected count"}[result.kind]
    ax.set_xlabel(xlabel or default_x)
    ax.set_ylabel(ylabel or {"proportion": "proportion", "rate": "rate", "ratio": "observed / expected"}[result.kind])
    what = {None: "no adjustment", "multiplicative": f"multiplicative, phi = {result.phi:.3g}",
            "additive": f"additive, tau^2 = {result.tau2:.3g} ({result.tau2_method})",
            "beta-binomial": "beta-binomial predictive", "negative-binomial": "negative-binomial predictive"}
    ax.set_title(title or f"Funnel plot ({what[result.overdispersion]})")
    if legend:
        ax.legend(fontsize=7, loc="upper left", frameon=True, framealpha=0.85)
    _place_labels(ax, _unit_labels(result, labels, max_labels), u)
    return fig


#: where a unit's name may go, in points from its marker (x, y, horizontal alignment), tried in turn
_LABEL_SPOTS = ((4, 3, "left"), (4, -10, "left"), (-4, 3, "right"), (-4, -10, "right"), (4, 12, "left"),
                (4, -19, "left"), (-4, 12, "right"), (-4, -19, "right"))


def _place_labels(ax, rows: pd.DataFrame, drawn: pd.DataFrame) -> None:
    """Name the units in ``rows`` beside their markers, each at the first spot of :data:`_LABEL_SPOTS` where it
    overlaps no name already placed (the first spot if none is free): deterministic, so figures stay
    reproducible.  Positions are measured after the figure's layout has been worked out."""
    if rows.empty:
        return
    fig = ax.figure
    engine = fig.get_layout_engine()
    if engine is not None:
        engine.execute(fig)
    renderer = fig.canvas.get_renderer()
    placed = []
    for idx, row in rows.iterrows():
        xy = (row["denominator"], drawn.loc[idx, "estimate"])  # where the marker is (a no-event unit may be moved)
        for dx, dy, ha in _LABEL_SPOTS:
            ann = ax.annotate(str(row["unit"]), xy, xytext=(dx, dy), textcoords="offset points", fontsize=8,
                              ha=ha)
            box = ann.get_window_extent(renderer)
            if not any(box.overlaps(b) for b in placed):
                break
            ann.remove()
        else:  # no spot is free: the first one after all
            ann = ax.annotate(str(row["unit"]), xy, xytext=_LABEL_SPOTS[0][:2], textcoords="offset points",
                              fontsize=8, ha=_LABEL_SPOTS[0][2])
            box = ann.get_window_extent(renderer)
        placed.append(box)


def plot_funnels(results, titles=None, suptitle: str | None = None, figsize=None, **kwargs):
    """Several funnel plots side by side, sharing the y axis (e.g. unadjusted and adjusted limits).

    Parameters
    ----------
    results : sequence of FunnelResult
    titles : sequence of str, optional
    suptitle : str, optional
        Overall title; say "(synthetic data)" when the data are synthetic.
    **kwargs
        Passed to :func:`plot_funnel`.

    Returns
    -------
    matplotlib.figure.Figure
    """
    apply_style()
    k = len(results)
    fig, axes = plt.subplots(1, k, figsize=figsize or (5.0 * k, 4.2), layout="constrained", sharey=True)
    axes = np.atleast_1d(axes)
    titles = titles or [None] * k
    for i, (res, ax, t) in enumerate(zip(results, axes, titles)):
        plot_funnel(res, ax=ax, title=t, legend=(i == k - 1), **kwargs)
    if suptitle:
        fig.suptitle(suptitle)
    return fig
