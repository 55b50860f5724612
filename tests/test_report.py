"""The report end to end: rendered without Quarto, it shows the reproduced figures, and renders identically twice."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.render


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_html_and_pdf_are_written(rendered_report):
    names = {p.name for p in rendered_report.outputs}
    assert names == {"report.html", "report.pdf"}
    assert (rendered_report.root / "report.pdf").read_bytes()[:5] == b"%PDF-"


def test_html_holds_the_reproduced_figures(rendered_report):
    text = _text(rendered_report.html)
    # recomputed from the published counts (typed here from the sources, not from the code)
    assert "1,374" in text and "26" in text
    assert f"{100 * 26 / 1374:.1f}%" in text  # 1.9%
    assert f"{100 * 982 / 19899:.1f}%" in text  # 4.9%
    assert f"{919 / 0.016:,.0f}" in text  # the total that 1.6% implies: 57,438
    assert f"{100 * 457 / 1120:.0f}%" in text  # 41%
    assert "Table 1" in text and "Figure 1" in text
    for section in ("The published figures, recomputed", "Attrition across units", "What goes unreported",
                    "Comparing units", "Reproducibility"):
        assert section in text
    assert "synthetic" in text.lower()
    assert "??" not in text  # no unresolved cross-reference
    assert "[@" not in text and "\\[" not in text  # every citation resolved, no Markdown shown escaped


def test_html_is_self_contained(rendered_report):
    html = rendered_report.html
    assert "data:image/png;base64," in html
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=[\"']https?://", html)


def test_every_figure_is_numbered_captioned_and_described(rendered_report):
    """Each figure div becomes a numbered figure with its computed caption and its image's alt text."""
    import glob
    from pathlib import Path

    sections = "".join(Path(f).read_text(encoding="utf-8") for f in sorted(glob.glob(
        str(rendered_report.root / "sections" / "_*.qmd"))))
    ids = re.findall(r"^::: \{#(fig-[\w-]+)\}", sections, flags=re.M)
    assert len(ids) >= 10
    html = rendered_report.html
    assert all(f'<figure id="{fid}">' in html for fid in ids)
    ids.sort(key=lambda fid: html.index(f'<figure id="{fid}">'))  # numbered in the report's order
    for k, fid in enumerate(ids, start=1):
        m = re.search(rf'<figure id="{fid}">(.*?)</figure>', html, flags=re.S)
        assert m, fid
        body = m.group(1)
        alt = re.search(r'<img[^>]*alt="([^"]+)"', body)
        assert alt and len(alt.group(1)) > 40, f"{fid}: no alt text"
        cap = re.search(r"<figcaption>(.*?)</figcaption>", body, flags=re.S)
        assert cap and cap.group(1).startswith(f"Figure {k}: "), fid
        assert "{python}" not in cap.group(1) and "N[" not in cap.group(1), f"{fid}: an inline value not computed"


def test_every_figure_written_as_png_and_svg(rendered_report):
    names = set(rendered_report.figures)
    stems = {n.rsplit(".", 1)[0] for n in names}
    assert len(stems) >= 8
    for stem in stems:
        assert {f"{stem}.png", f"{stem}.svg"} <= names


def test_rendering_twice_gives_identical_numbers_and_figures(rendered_report, rendered_again):
    assert rendered_report.html == rendered_again.html
    assert rendered_report.figures == rendered_again.figures
    pdfs = [next(p for p in r.outputs if p.suffix == ".pdf").read_bytes() for r in (rendered_report, rendered_again)]
    assert pdfs[0] == pdfs[1] and pdfs[0].startswith(b"%PDF")


def test_report_ends_with_version_and_checksums(rendered_report):
    """The reproducibility section states the package version and the SHA-256 of every data file and the lock."""
    import hashlib
    from importlib.metadata import version

    text = _text(rendered_report.html)
    tail = text[text.index("Reproducibility"):]
    assert f"ssstats {version('ssstats')}" in tail
    root = rendered_report.root
    files = sorted(p for p in (root / "data").rglob("*") if p.is_file() and not p.name.startswith("."))
    files.append(root / "requirements.lock")
    assert len(files) >= 8
    for f in files:
        rel = str(f.relative_to(root))
        digest = hashlib.sha256(f.read_bytes()).hexdigest()
        assert re.search(rf"{re.escape(rel)}\s+{digest}", tail), rel
    # the code's digest, recomputed from git's list of the repository's files (not the report's glob): each
    # path and SHA-256 on a line, in path order
    import subprocess
    from pathlib import Path

    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "--", "src/ssstats", "analysis",
                             "sections", "report.qmd"], cwd=Path(__file__).resolve().parents[1], check=True,
                            capture_output=True, text=True).stdout.split()
    code = sorted(p for p in listed if not p.startswith(("analysis/", "sections/")) or
                  (p.endswith(".py") if p.startswith("analysis/") else p.count("/") == 1 and p.endswith(".qmd")))
    assert len(code) > 40
    lines = "".join(f"{p}\t{hashlib.sha256((root / p).read_bytes()).hexdigest()}\n" for p in code)
    digest = hashlib.sha256(lines.encode()).hexdigest()
    assert re.search(rf"code: .*\({len(code)} files\)\s+{digest}", tail), "the code's checksum"


def test_committed_figures_are_the_ones_the_report_draws(rendered_report):
    """figures/ in the repository is what rendering the report writes, byte for byte (regenerate with make report)."""
    from pathlib import Path

    committed = Path(__file__).resolve().parents[1] / "figures"
    stale = [name for name, data in rendered_report.figures.items()
             if not (committed / name).is_file() or (committed / name).read_bytes() != data]
    assert not stale, f"figures/ is out of date (run make report): {stale}"
