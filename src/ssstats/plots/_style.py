"""Shared look of ssstats figures, and deterministic saving (PNG and SVG)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg") if matplotlib.get_backend().lower() in {"", "agg"} else None
import matplotlib.pyplot as plt  # noqa: E402

__all__ = ["PALETTE", "apply_style", "save_figure"]

#: colour-blind-safe palette (Okabe-Ito)
PALETTE = {
    "blue": "#0072B2", "orange": "#E69F00", "green": "#009E73", "red": "#D55E00",
    "purple": "#CC79A7", "sky": "#56B4E9", "yellow": "#F0E442", "grey": "#666666", "black": "#000000",
}

_RC = {
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "svg.hashsalt": "ssstats",  # deterministic SVG ids
    "svg.fonttype": "path",
}


def apply_style() -> None:
    """Apply ssstats' matplotlib settings (called by every plotting function)."""
    plt.rcParams.update(_RC)


def save_figure(fig, name: str, directory: str | Path = "figures", formats=("png", "svg")) -> list[Path]:
    """Save ``fig`` as ``directory/name.png`` and ``.svg`` with no timestamps, so that rendering twice gives
    byte-identical files.  Returns the paths written."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    with plt.rc_context({"svg.hashsalt": "ssstats"}):
        for fmt in formats:
            path = directory / f"{name}.{fmt}"
            meta = {"Date": None} if fmt == "svg" else {"Software": None}
            fig.savefig(path, format=fmt, metadata=meta, bbox_inches="tight")
            paths.append(path)
    return paths
