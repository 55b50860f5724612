"""The README stays true: every `ss.<name>` it shows exists, and the commands it names exist in the Makefile."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

import ssstats as ss

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_api_names_exist():
    names = set(re.findall(r"\bss\.([A-Za-z_][A-Za-z0-9_.]*)\(", README))
    assert len(names) > 15
    for dotted in names:
        obj = ss
        for part in dotted.split("."):
            obj = getattr(obj, part)
        assert callable(obj), dotted


def test_make_targets_exist():
    makefile = (ROOT / "Makefile").read_text()
    for target in set(re.findall(r"make (\w+)", README)):
        assert re.search(rf"^{target}:", makefile, re.M), target
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_api_block_runs():
    """The README's API block runs as written, its placeholders bound to the project's data."""
    block = re.search(r"## The API at a glance\n\n```python\n(.*?)```", README, re.S).group(1)
    units = ss.load_units(ROOT / "data" / "synthetic_units.csv")
    hare = pd.read_csv(ROOT / "data" / "hare_capture_histories.csv", comment="#")
    uk = pd.read_csv(ROOT / "data" / "uk2013_modern_slavery_5lists.csv", comment="#")
    placed = units[~units.charges_censored & (units.police_reports > 0)]
    ns = {
        "counts": units.incidents.fillna(units.incidents_lower).astype(int), "bed_days": units.bed_days,
        "c1": 26, "e1": 1374.0, "c2": 256, "e2": 6539.0,
        "x": placed.charges.astype(int), "n": placed.police_reports.astype(int),
        "covariates": placed[["ward_type", "sector"]],
        "table": units[["unit_id", "police_reports", "charges"]].fillna(0).astype({"police_reports": int,
                                                                                     "charges": int}),
        "histories": uk, "capture_histories": hare.drop(columns=[c for c in hare.columns if c == "count"]),
        "n1": 120, "n2": 90, "m": 30,
    }
    code = block.replace('ss.load_units("my_foi_returns.csv")', "units")
    ns["units"] = units
    exec(compile(code, "README.md", "exec"), ns)  # noqa: S102 - the README's own example
