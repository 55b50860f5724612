"""Synthetic data and the machinery of the simulation study.

Everything here is SYNTHETIC: generated, seeded, and labelled synthetic wherever it is shown.  One module per
kind (``simulate/units.py``: unit-level returns; ``simulate/lists.py``: linked lists for capture-recapture;
``simulate/study.py``: coverage study), each with ``__all__``; this package re-exports them.
"""

from __future__ import annotations

import importlib
import pkgutil

__all__: list[str] = []

for _info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    if _info.name.startswith("_"):
        continue
    _mod = importlib.import_module(f"{__name__}.{_info.name}")
    for _name in getattr(_mod, "__all__", ()):
        globals()[_name] = getattr(_mod, _name)
        __all__.append(_name)
del _info
