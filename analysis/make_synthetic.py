"""Write the SYNTHETIC unit-level returns ``data/synthetic_units.csv``.

The file is synthetic: made by :func:`ssstats.simulate.synthetic_units` from a fixed seed, not observed.  Its
totals equal the published ones (1,374 police reports and 26 charges across 340 units; 19,899 incidents of which
982 were referred to the police), and its small cells are suppressed as FOI returns suppress them (``"*"``,
``"<5"``, ``"1-4"``), so that it loads with :func:`ssstats.data.load_units` like a real return.  Regenerate with::

    python -m analysis.make_synthetic
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ssstats.simulate import foi_return, synthetic_units

#: the seed of the committed file; changing it changes data/synthetic_units.csv and the report
SEED = 20240217

PATH = Path(__file__).resolve().parents[1] / "data" / "synthetic_units.csv"


def build(seed: int = SEED) -> pd.DataFrame:
    """The synthetic returns as they are written: FOI-style text cells for the suppressed counts."""
    return foi_return(synthetic_units(seed))


def write(path: str | Path = PATH, seed: int = SEED) -> Path:
    """Write the synthetic returns to ``path`` (CSV, no index) and return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    build(seed).to_csv(path, index=False, lineterminator="\n")
    return path


if __name__ == "__main__":  # pragma: no cover
    print(f"wrote {write()} (SYNTHETIC data, seed {SEED})")
