"""Every figure of ssstats: functions that take results (or frames) and return matplotlib Figures.

One module per area (``plots/rates.py``, ``plots/attrition.py``, ...), each with ``__all__``; this package
re-exports all of them, so ``ssstats.plots.<name>`` works for any of them.  No model code lives here.
"""

from __future__ import annotations

from .. import _exports
from ._style import PALETTE, apply_style, save_figure

__all__ = ["PALETTE", "apply_style", "save_figure"]

__all__ += _exports.reexport(__name__, __path__, globals())
