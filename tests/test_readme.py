"""The README stays true: every `ss.<name>` it shows exists, and the commands it names exist in the Makefile."""

from __future__ import annotations

import re
from pathlib import Path

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
