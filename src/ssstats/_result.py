"""The pattern every ssstats result follows.

Attributes for the numbers, ``.summary()`` for people, ``.to_frame()`` for pandas, ``.plot()`` for a figure.
A result prints as its summary, and shows as an HTML table in a notebook.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["Result", "format_ci"]


def format_ci(est: float, lo: float, hi: float, digits: int = 3, pct: bool = False) -> str:
    """``'0.019 (0.012 to 0.028)'``, or with ``pct=True`` ``'1.9% (1.2% to 2.8%)'``."""
    if pct:
        return f"{100 * est:.{digits}g}% ({100 * lo:.{digits}g}% to {100 * hi:.{digits}g}%)"
    return f"{est:.{digits}g} ({lo:.{digits}g} to {hi:.{digits}g})"


class Result:
    """Base class for result objects.

    Subclasses implement :meth:`to_frame` (a tidy DataFrame) and :meth:`summary` (a plain-text report); they may
    override :meth:`plot`.  Models never import the plotting layer at module level: ``.plot()`` looks the
    drawing function up in :mod:`ssstats.plots` only when called.
    """

    #: name of the function in :mod:`ssstats.plots` that draws this result
    _plot_function: str | None = None

    def to_frame(self) -> pd.DataFrame:  # pragma: no cover - abstract
        raise NotImplementedError

    def summary(self) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def plot(self, **kwargs):
        """Draw the result; returns a :class:`matplotlib.figure.Figure`."""
        if self._plot_function is None:
            raise NotImplementedError(f"{type(self).__name__} has no plot")
        import importlib

        plots = importlib.import_module("ssstats.plots")
        return getattr(plots, self._plot_function)(self, **kwargs)

    def __repr__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        title = self.summary().splitlines()[0] if self.summary() else type(self).__name__
        return f"<p><b>{title}</b></p>" + self.to_frame().to_html()
