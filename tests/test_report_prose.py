"""No number in the report's prose is typed (CONTRIBUTING.md): every quantity is an inline `{python}` value.

Each section's text is reduced to its prose (code chunks, inline expressions, citations, cross-references,
attribute blocks, ``#|`` options and link targets removed) and searched for digits.  Figure captions are the
last paragraph of a Quarto figure div (``::: {#fig-x}``), so they are prose and checked too (a ``#| fig-cap:``
chunk option could not hold a computed value, and is refused); table captions, which chunks print, are checked
with their ``{...}`` fields removed.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

SECTIONS = sorted((Path(__file__).resolve().parents[1] / "sections").glob("_*.qmd"))

#: digits that must stay, each with its reason: (section file, exact text around the digits)
ALLOWED = {
    ("_attrition.qmd", "(ρ = 0)"): "the null hypothesis of the likelihood-ratio test: the plain binomial is ρ = 0",
    ("_appendix_simulation.qmd", "puts ρ at 0"): "the boundary of the parameter space, not a setting",
    ("_comparing_units.qmd", "(1 would"): "φ = 1 is the definition of no overdispersion",
    ("_comparing_units.qmd", "plotted at 0"): "a unit with no referrals has proportion zero by definition",
    ("_unreported.qmd", "Mth Poisson2"): "the name of a model in Rcapture",
}


#: digits that stay in table captions: (section file, exact text)
ALLOWED_IN_TABLE_CAPTIONS = {
    ("_attrition.qmd", "(1 to "): "the disclosure rule starts at the smallest non-zero count",
    ("_attrition.qmd", "none from 1 to "): "the same rule",
    ("_comparing_units.qmd", "counts 1 to "): "the same rule",
    ("_reproducibility.qmd", "SHA-256"): "the name of the checksum",
    ("_unreported.qmd", "(1 = on the list)"): "the notation of a capture history",
}


def prose(text: str) -> str:
    """The prose of a section: what a reader sees that was typed, not computed."""
    text = re.sub(r"^```.*?^```[ \t]*$", "", text, flags=re.S | re.M)  # code chunks
    text = re.sub(r"^---\n.*?\n---\n", "", text, flags=re.S)  # YAML front matter
    text = re.sub(r"^#\|.*$", "", text, flags=re.M)  # chunk options outside chunks
    text = re.sub(r"`\{python\}[^`]*`", " ", text)  # inline values
    text = re.sub(r"\[@[^\]]*\]", " ", text)  # citations
    text = re.sub(r"@(fig|tbl|sec|eq)-[\w-]+", " ", text)  # cross-references
    text = re.sub(r"(?<![\w.])@[A-Za-z][\w:-]*", " ", text)  # narrative citations (@key)
    text = re.sub(r"\{[#.][^}]*\}", " ", text)  # attribute blocks ({#sec-x .unnumbered})
    text = re.sub(r"\]\([^)]*\)", "]", text)  # link targets
    text = re.sub(r"\{\{<[^>]*>\}\}", " ", text)  # shortcodes
    return text


def _digits(path: Path) -> list[str]:
    text = prose(path.read_text(encoding="utf-8"))
    for (name, snippet) in ALLOWED:
        if name == path.name:
            text = text.replace(snippet, " ")
    return [line.strip() for line in text.splitlines() if re.search(r"[0-9]", line)]


def test_sections_found():
    assert len(SECTIONS) >= 5


@pytest.mark.parametrize("path", SECTIONS, ids=lambda p: p.name)
def test_no_typed_number_in_prose(path):
    bad = _digits(path)
    assert not bad, f"{path.name}: typed numbers in prose (make them inline `{{python}}` values):\n" + "\n".join(bad)


def test_allow_list_is_used():
    """Every allow-list entry still matches its section's prose (so the list stays short and true)."""
    for (name, snippet), reason in ALLOWED.items():
        assert reason
        text = prose((SECTIONS[0].parent / name).read_text(encoding="utf-8"))
        assert snippet in text, f"{name}: allow-listed {snippet!r} is no longer in the prose; remove it"


def test_prose_filter_catches_a_typed_number(tmp_path):
    """The filter removes what is computed but keeps a typed number."""
    text = ("Intervals are `{python} N[\"level\"]` wide [@key2020] (@fig-a1, @tbl-b2).\n\n"
            "```{python}\n#| fig-cap: \"95%\"\nx = 1\n```\n\nAbout 42 units [link](https://x.org/3).\n")
    kept = prose(text)
    assert "42" in kept and "2020" not in kept and "95" not in kept and "3" not in kept.replace("42", "")


def table_captions(text: str) -> list[str]:
    """The literal text of every ``caption=`` string in a section's chunks, its ``{...}`` fields removed."""
    return [re.sub(r"\{[^}]*\}", " ", m.group(2)) for m in re.finditer(r'caption=(f?)"([^"]*)"', text)]


@pytest.mark.parametrize("path", SECTIONS, ids=lambda p: p.name)
def test_figure_captions_are_prose_not_chunk_options(path):
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"^#\|\s*fig-cap\s*:", text, flags=re.M), (
        f"{path.name}: a `#| fig-cap:` option cannot hold computed values; write the figure as a "
        f"`::: {{#fig-x}}` div with the caption as its last paragraph")


@pytest.mark.parametrize("path", SECTIONS, ids=lambda p: p.name)
def test_no_typed_number_in_table_captions(path):
    bad = []
    for cap in table_captions(path.read_text(encoding="utf-8")):
        for (name, snippet) in ALLOWED_IN_TABLE_CAPTIONS:
            if name == path.name:
                cap = cap.replace(snippet, " ")
        if re.search(r"[0-9]", cap):
            bad.append(cap)
    assert not bad, f"{path.name}: typed numbers in table captions:\n" + "\n".join(bad)


def test_caption_allow_list_is_used():
    for (name, snippet), reason in ALLOWED_IN_TABLE_CAPTIONS.items():
        assert reason
        caps = table_captions((SECTIONS[0].parent / name).read_text(encoding="utf-8"))
        assert any(snippet in c for c in caps), f"{name}: allow-listed {snippet!r} is no longer in a table caption"


def test_figure_div_captions_are_checked():
    """A typed level in a figure div's caption is caught; an inline value is not."""
    text = ("::: {#fig-a}\n\n```{python}\nfig\n```\n\nWith 95% intervals.\n\n:::\n")
    assert "95" in prose(text)
    assert "95" not in prose(text.replace("95%", "`{python} N[\"level\"]`"))
