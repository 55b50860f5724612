"""The report's analyses: one module per section of ``report.qmd``.

Each module has a ``run()`` function that turns ``data/`` into that section's tables, numbers and figures (written
to ``figures/`` as PNG and SVG), so any figure can be regenerated without rendering the report, e.g.
``python -m analysis.published``.

During ``ssstats render`` the figures go to the folder named by ``SSSTATS_FIGURES_DIR`` and are moved into
``figures/`` only when the whole report has been made, so a failed render leaves ``figures/`` as it was.
"""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def figures_dir() -> Path:
    """Where the sections write their figures: ``$SSSTATS_FIGURES_DIR`` during a render, else ``figures/``."""
    return Path(os.environ.get("SSSTATS_FIGURES_DIR") or ROOT / "figures")
