"""Every figure of ssstats: functions that take results (or frames) and return matplotlib Figures.

One module per area (``plots/rates.py``, ``plots/attrition.py``, ...), each with ``__all__``; this package
re-exports all of them, so ``ssstats.plots.<name>`` works for any of them.  No model code lives here.
"""

from __future__ import annotations

import importlib
import pkgutil

from ._style import PALETTE, apply_style, save_figure

__all__ = ["PALETTE", "apply_style", "save_figure"]

for _info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    if _info.name.startswith("_"):
        continue
    _mod = importlib.import_module(f"{__name__}.{_info.name}")
    for _name in getattr(_mod, "__all__", ()):
        globals()[_name] = getattr(_mod, _name)
        __all__.append(_name)
del _info, _mod
