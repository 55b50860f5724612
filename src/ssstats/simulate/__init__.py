"""Synthetic data and the machinery of the simulation study.

Everything here is SYNTHETIC: generated, seeded, and labelled synthetic wherever it is shown.  One module per
kind (``simulate/units.py``: unit-level returns; ``simulate/lists.py``: linked lists for capture-recapture;
``simulate/study.py``: coverage study), each with ``__all__``; this package re-exports them.
"""

from __future__ import annotations

from .. import _exports

__all__: list[str] = []

__all__ += _exports.reexport(__name__, __path__, globals())
