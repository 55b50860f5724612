"""Tests of ssstats.render: .qmd parsing and chunk options, inline evaluation in a kernel, the built-in renderer end
to end (HTML and PDF), a failing chunk, and the Quarto path through a fake `quarto` on PATH.

The expected values are worked out by hand from the fixtures in tests/fixtures/render/ (e.g. the fixture sets
charges = 26 and reports = 1374, so 100 * 26 / 1374 = 1.89 per cent; an included chunk then sets charges = 27, so a
later inline `charges ** 2` must read 729, which shows inline values are evaluated in document order).
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import sys
from pathlib import Path

import pytest

from ssstats import SSStatsError
from ssstats.cli import main
from ssstats.render import RenderError, render
from ssstats.render.execute import KernelSession
from ssstats.render.qmd import Chunk, Inline, Markdown, Origin, parse_options, read_qmd, split_inline
from ssstats.render.weave import weave

FIXTURES = Path(__file__).parent / "fixtures" / "render"


@pytest.fixture
def fixture_dir(tmp_path):
    """A private copy of the fixtures (renders write beside the .qmd)."""
    dst = tmp_path / "doc"
    shutil.copytree(FIXTURES, dst)
    return dst


# ---------------------------------------------------------------------------------------------------------------
# chunk options

def test_options_parsed_as_yaml():
    opts, n = parse_options(["#| label: fig-a", "#| fig-cap: 'A: caption'", "#| echo: false", "#|output: asis",
                             "x = 1", "#| not an option any more"], "here")
    assert opts == {"label": "fig-a", "fig-cap": "A: caption", "echo": False, "output": "asis"}
    assert n == 4


def test_options_none():
    assert parse_options(["x = 1"], "here") == ({}, 0)


@pytest.mark.parametrize("line, words", [
    ("#| outptu: false", ["unknown chunk option `outptu`", "here"]),
    ("#| output: sometimes", ["`output` must be true, false or asis", "'sometimes'"]),
    ("#| echo: 2", ["`echo` must be true, false or fenced", "2"]),
    ("#| include: 'no'", ["`include` must be true or false", "'no'"]),
    ("#| label: 'a b'", ["`label`", "'a b'"]),
    ("#| fig-cap: [a, b]", ["`fig-cap` must be a string"]),
    ("#| label: [unclosed", ["not valid YAML"]),
])
def test_bad_options(line, words):
    with pytest.raises(RenderError) as e:
        parse_options([line], "here")
    for w in words:
        assert w in str(e.value)


def test_layout_options_accepted():
    opts, _ = parse_options(["#| fig-width: 6", "#| code-fold: true"], "here")
    assert opts == {"fig-width": 6, "code-fold": True}


# ---------------------------------------------------------------------------------------------------------------
# parsing a document

def test_split_inline():
    items = split_inline("a `{python} x + 1` b\nc `{python} f'{y:,}'`\n`code` ``{python} no``", Origin("f.qmd", 10))
    assert [type(i) for i in items] == [Markdown, Inline, Markdown, Inline, Markdown]
    assert items[1] == Inline("x + 1", Origin("f.qmd", 10))
    assert items[3] == Inline("f'{y:,}'", Origin("f.qmd", 11))
    assert items[4].text == "\n`code` ``{python} no``"


def test_read_fixture():
    doc = read_qmd(FIXTURES / "fixture.qmd")
    assert doc.meta["title"] == "Render fixture"
    assert doc.meta["execute"] == {"echo": False, "warning": False}
    chunks = doc.chunks
    assert [c.label for c in chunks] == ["setup", None, "fig-bars", None, "tbl-small"]
    # the included chunk knows its own file and line; the fence of fig-bars is on line 37 of fixture.qmd
    assert chunks[1].origin == Origin("_part.qmd", 3)
    assert chunks[1].options == {"output": "asis"}
    assert chunks[1].code.startswith("charges = 27")
    assert chunks[2].origin == Origin("fixture.qmd", 37)
    assert chunks[2].options["fig-cap"] == "Charges and reports (fixture)"
    assert "#|" not in chunks[2].code
    inlines = [i for i in doc.items if isinstance(i, Inline)]
    assert [i.expr for i in inlines] == ['f"{reports:,}"', "charges", 'f"{100 * charges / reports:.2f}"',
                                         "charges", "charges ** 2"]
    assert chunks[4].options["tbl-cap"] == "A small table"
    assert [str(i.origin) for i in inlines] == ["fixture.qmd:32", "fixture.qmd:32", "fixture.qmd:33",
                                                "_part.qmd:9", "fixture.qmd:46"]
    text = "".join(i.text for i in doc.items if isinstance(i, Markdown))
    assert "## Included table" in text and "{{<" not in text


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_missing_include(tmp_path):
    p = _write(tmp_path, "a.qmd", "---\ntitle: x\n---\n\ntext\n\n{{< include _nothere.qmd >}}\n")
    with pytest.raises(RenderError, match=r"a\.qmd:7: the included file _nothere\.qmd was not found"):
        read_qmd(p)


def test_include_cycle(tmp_path):
    _write(tmp_path, "_b.qmd", "{{< include a.qmd >}}\n")
    p = _write(tmp_path, "a.qmd", "{{< include _b.qmd >}}\n")
    with pytest.raises(RenderError, match="include cycle: a.qmd -> _b.qmd -> a.qmd"):
        read_qmd(p)


@pytest.mark.parametrize("text, pattern", [
    ("---\ntitle: [unclosed\n---\n", "YAML front matter is not valid"),
    ("---\n- a list\n---\n", "front matter must be a mapping"),
    ("---\ntitle: x\n", "no closing `---`"),
    ("---\nexecute:\n  echo: maybe\n---\n", r"front matter `execute`: chunk option `echo`"),
    ("```{python}\nx = 1\n", r"a\.qmd:1: the python chunk opened here is never closed"),
    ("```{python echo=FALSE}\nx = 1\n```\n", "options in the chunk fence"),
    ("```{python}\n#| label: a\n```\n\n```{python}\n#| label: a\n```\n", r"a\.qmd:5: chunk label 'a' is already"),
    ("{{< meta title >}}\n", "shortcode {{< meta >}} is not supported"),
    ("```{python}\n#| output: yes-please\n```\n", r"chunk at a\.qmd:1: chunk option `output`"),
])
def test_bad_documents(tmp_path, text, pattern):
    with pytest.raises(RenderError, match=pattern):
        read_qmd(_write(tmp_path, "a.qmd", text))


def test_code_fences_are_not_parsed(tmp_path):
    p = _write(tmp_path, "a.qmd", "````markdown\n```{python}\nx\n```\n`{python} 1`\n{{< include nothere >}}\n````\n")
    doc = read_qmd(p)
    assert doc.chunks == [] and not any(isinstance(i, Inline) for i in doc.items)


# ---------------------------------------------------------------------------------------------------------------
# weaving outputs into Markdown (hand-made nbformat outputs)

def _doc_with(tmp_path, code_options, meta=None):
    p = _write(tmp_path, "w.qmd", "")
    doc = read_qmd(p)
    doc.meta = meta or {}
    doc.items = [Chunk("x", code_options, Origin("w.qmd", 1))]
    return doc


_PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="


def test_weave_figure_stream_and_warnings(tmp_path):
    outputs = [
        {"output_type": "stream", "name": "stderr", "text": "UserWarning: careful\n"},
        {"output_type": "stream", "name": "stdout", "text": "one\n"},
        {"output_type": "stream", "name": "stdout", "text": "two\n"},
        {"output_type": "execute_result", "data": {"text/plain": "<Figure>", "image/png": _PNG}},
        {"output_type": "display_data", "data": {"text/plain": "<Figure>", "image/png": _PNG}},  # same figure again
    ]
    doc = _doc_with(tmp_path, {"label": "fig-a", "fig-cap": "Cap", "fig-alt": 'say "hi"', "echo": False,
                               "warning": False})
    md = weave(doc, {0: outputs}, {}, tmp_path)
    assert "careful" not in md  # warning: false drops stderr
    assert "```\none\ntwo\n```" in md
    assert md.count("![](") == 1  # a figure both returned and shown appears once
    assert '::: {#fig-a}\n\n![](fig-a-1.png){fig-alt="say \\"hi\\""}\n\nCap\n\n:::' in md
    assert (tmp_path / "fig-a-1.png").read_bytes().startswith(b"\x89PNG")
    doc.items[0].options["warning"] = True
    assert "UserWarning: careful" in weave(doc, {0: outputs}, {}, tmp_path)


def test_weave_asis_echo_output_include(tmp_path):
    outputs = [{"output_type": "stream", "name": "stdout", "text": "| a |\n|---|\n| 1 |\n"}]
    doc = _doc_with(tmp_path, {"output": "asis"}, meta={"execute": {"echo": False}})
    assert weave(doc, {0: outputs}, {}, tmp_path).strip() == "| a |\n|---|\n| 1 |"
    doc.items[0].options = {"output": False}
    assert weave(doc, {0: outputs}, {}, tmp_path).strip() == ""
    doc.items[0].options = {"echo": True, "include": False}
    assert weave(doc, {0: outputs}, {}, tmp_path) == ""
    doc.items[0].options = {"echo": True, "output": False}
    assert weave(doc, {0: outputs}, {}, tmp_path).strip() == "``` {.python}\nx\n```"


# ---------------------------------------------------------------------------------------------------------------
# the kernel: inline values in document order (one kernel for these tests)

@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    """One kernel for the kernel tests, started while a broken user `python3` kernel spec is on JUPYTER_PATH: the
    session must still use the running interpreter's ipykernel."""
    folder = tmp_path_factory.mktemp("kernel")
    bogus = folder / "jupyter" / "kernels" / "python3"
    bogus.mkdir(parents=True)
    (bogus / "kernel.json").write_text('{"argv": ["/nonexistent/python", "-m", "ipykernel_launcher", "-f", '
                                       '"{connection_file}"], "display_name": "bogus", "language": "python"}')
    old = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = str(folder / "jupyter")
    try:
        with KernelSession(folder, timeout=60) as k:
            k.folder = folder
            yield k
    finally:
        if old is None:
            os.environ.pop("JUPYTER_PATH", None)
        else:
            os.environ["JUPYTER_PATH"] = old


def test_kernel_environment(kernel):
    raw = "__import__('ssstats.tables').tables.Markdown({})"  # paths and names as they are, unescaped
    assert kernel.inline(raw.format("__import__('sys').executable")) == sys.executable
    assert Path(kernel.inline(raw.format("__import__('os').getcwd()"))).resolve() == kernel.folder.resolve()
    assert kernel.inline(raw.format("__import__('matplotlib').get_backend()")) == \
        "module://matplotlib_inline.backend_inline"


def test_inline_values(kernel):
    kernel.run("n = 1374\nname = 'ward'")
    assert kernel.inline("n") == "1374"
    assert kernel.inline("name") == "ward"  # strings are shown without quotes
    assert kernel.inline("f'{n:,}'") == "1,374"
    assert kernel.inline("26 / 1374 * 100 > 1.8") == "True"
    kernel.run("n = 7")
    assert kernel.inline("n * 6") == "42"  # state after the code above


def test_inline_strings_are_text_and_markdown_objects_markdown(kernel):
    """As Quarto (1.4 on): a plain string's Markdown is escaped; an object with _repr_markdown_ is Markdown."""
    assert kernel.inline("'[@key] *a* 1_2'") == r"\[\@key\] \*a\* 1\_2"
    kernel.run("from ssstats.tables import Markdown")
    assert kernel.inline("Markdown('[@key]')") == "[@key]"


def test_inline_error_names_place(kernel):
    with pytest.raises(RenderError, match=r"(?s)at x\.qmd:4 `\{python\} 1 / 0` raised.*ZeroDivisionError"):
        kernel.inline("1 / 0", "the inline expression at x.qmd:4")


# ---------------------------------------------------------------------------------------------------------------
# end to end

@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    folder = tmp_path_factory.mktemp("e2e") / "doc"
    shutil.copytree(FIXTURES, folder)
    paths = render(folder / "fixture.qmd", to="all", engine="builtin", timeout=120)
    return folder, paths


@pytest.mark.render
def test_render_outputs(rendered):
    folder, paths = rendered
    assert paths == [folder / "fixture.html", folder / "fixture.pdf"]
    assert (folder / "fixture.pdf").read_bytes().startswith(b"%PDF")
    assert not list(folder.glob(".ssstats-render-*"))  # temporary files are removed


@pytest.mark.render
def test_render_html_content(rendered):
    folder, _ = rendered
    html = (folder / "fixture.html").read_text(encoding="utf-8")
    text = re.sub(r"\s+", " ", html)
    assert "Of 1,374 police reports, 26 led to a charge, that is 1.89 per cent" in text
    assert "After the table, the count is 27." in text
    assert "the squared count is 729" in text  # inline after the included chunk that set charges = 27
    assert '<td style="text-align: right;">1,234,567</td>' in text  # the asis table
    assert re.search(r'<figure id="fig-bars">.*?<img[^>]*src="data:image/png;base64,', text)
    assert "<figcaption>Figure 1: Charges and reports (fixture)</figcaption>" in text
    assert 'alt="Two bars"' in text
    assert '<a href="#fig-bars">Figure 1</a> shows' in text
    assert '<a href="#sec-numbers">Section 1</a>' in text
    assert "(Doe 2020)" in text and "Sexual Safety Fixture Report" in text  # citeproc
    assert '<table id="tbl-small"> <caption>Table 1: A small table</caption>' in text
    # a cross-reference and a citation in one pandoc Cite: the reference is resolved, the citation left to citeproc
    assert '<a href="#tbl-small">Table 1</a> lists wards' in text
    assert ('drawn in <a href="#fig-bars">Figure 1</a> <span class="citation" data-cites="doe2020">(Doe 2020, 4)'
            '</span>.') in text
    assert "printed 42" in text and "print</span>(" in text  # echo: true overrides the front matter
    assert "import warnings" not in text and "this warning is dropped" not in text  # include: false
    assert 'id="TOC"' in text and 'class="header-section-number">1.1<' in text
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=[\"']?(https?:)?//", html, re.I)


@pytest.mark.render
def test_failing_chunk_keeps_good_output(fixture_dir, capsys):
    good = {fixture_dir / "failing.html": "GOOD HTML", fixture_dir / "failing.pdf": "GOOD PDF"}
    for p, text in good.items():
        p.write_text(text)
    code = main(["render", str(fixture_dir / "failing.qmd"), "--engine", "builtin"])
    err = capsys.readouterr().err
    assert code == 1
    assert "chunk 'boom' at _boom.qmd:3 raised an error (line 6 of _boom.qmd)" in err
    assert "ValueError: fixture failure 1" in err and "raise ValueError(" in err  # the traceback
    for p, text in good.items():
        assert p.read_text() == text
    assert not list(fixture_dir.glob(".ssstats-render-*"))


# ---------------------------------------------------------------------------------------------------------------
# the Quarto path, with a fake quarto on PATH

_FAKE_QUARTO = """#!{python}
import pathlib, sys
args = sys.argv[1:]
with open({log!r}, "a") as f:
    f.write(" ".join(args) + "\\n")
with open({log!r} + ".env", "w") as f:
    import os
    f.write(os.environ.get("QUARTO_PYTHON", ""))
code = {code}
if code == 0:
    stem = pathlib.Path(args[1]).stem
    pathlib.Path(stem + {{"html": ".html", "typst": ".pdf"}}[args[3]]).write_text("made by fake quarto")
sys.exit(code)
"""


def _fake_quarto(tmp_path, monkeypatch, code=0):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    log = tmp_path / "quarto.log"
    exe = bindir / "quarto"
    exe.write_text(_FAKE_QUARTO.format(python=sys.executable, log=str(log), code=code))
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    return log


def test_quarto_path(fixture_dir, tmp_path, monkeypatch, capsys):
    log = _fake_quarto(tmp_path, monkeypatch)
    code = main(["render", str(fixture_dir / "fixture.qmd"), "--to", "all"])
    out = capsys.readouterr().out
    assert code == 0
    assert log.read_text().splitlines() == ["render fixture.qmd --to html", "render fixture.qmd --to typst"]
    assert f"wrote {fixture_dir / 'fixture.html'}" in out and f"wrote {fixture_dir / 'fixture.pdf'}" in out
    assert "engine: quarto" in out
    assert (fixture_dir / "fixture.pdf").read_text() == "made by fake quarto"
    # Quarto is told to run the chunks with this Python (its ssstats and ipykernel)
    assert Path(str(log) + ".env").read_text() == sys.executable


def test_quarto_failure_exit_code(fixture_dir, tmp_path, monkeypatch, capsys):
    _fake_quarto(tmp_path, monkeypatch, code=3)
    assert main(["render", str(fixture_dir / "fixture.qmd"), "--to", "pdf", "--engine", "quarto"]) == 3
    assert "quarto render fixture.qmd --to typst failed with exit code 3" in capsys.readouterr().err


def test_quarto_engine_without_quarto(fixture_dir, monkeypatch):
    monkeypatch.setenv("PATH", str(fixture_dir))  # no quarto there
    with pytest.raises(RenderError, match="no `quarto` executable is on PATH"):
        render(fixture_dir / "fixture.qmd", engine="quarto")


@pytest.mark.parametrize("kwargs, pattern", [
    ({"to": "docx"}, "`to` must be one of 'html', 'pdf', 'all'; got 'docx'"),
    ({"engine": "knitr"}, "`engine` must be one of"),
    ({"timeout": 0}, "`timeout` must be a positive whole number of seconds; got 0"),
    ({"path": "nothere.qmd"}, "`path`: the document .*nothere.qmd.* was not found"),
])
def test_bad_arguments(kwargs, pattern):
    kwargs = {"path": FIXTURES / "fixture.qmd", **kwargs}
    with pytest.raises(SSStatsError, match=pattern):
        render(**kwargs)


def _figure_doc(folder: Path, fail: bool) -> Path:
    """A document whose first chunk writes a figure where a report's sections write theirs, and whose second
    chunk fails or not."""
    doc = folder / "figs.qmd"
    doc.write_text(
        '---\ntitle: "Figures"\nexecute:\n  echo: false\n---\n\n'
        "```{python}\nimport os, pathlib\n"
        "pathlib.Path(os.environ['SSSTATS_FIGURES_DIR'], 'fig_new.svg').write_text('<svg>new</svg>')\n```\n\n"
        "```{python}\n#| label: last\n" + ("raise RuntimeError('late failure')" if fail else "x = 1") + "\n```\n")
    (folder / "figures").mkdir(exist_ok=True)
    (folder / "figures" / "fig_new.svg").write_text("<svg>old</svg>")
    return doc


@pytest.mark.parametrize("fail", [True, False])
def test_figures_move_into_place_only_when_the_render_succeeds(tmp_path, fail, capsys):
    doc = _figure_doc(tmp_path, fail)
    code = main(["render", str(doc), "--to", "html", "--engine", "builtin"])
    assert code == (1 if fail else 0)
    shown = (tmp_path / "figures" / "fig_new.svg").read_text()
    assert shown == ("<svg>old</svg>" if fail else "<svg>new</svg>")
    assert not list(tmp_path.glob(".ssstats-render-*"))
    assert "SSSTATS_FIGURES_DIR" not in os.environ


def test_quarto_failure_keeps_every_good_output(fixture_dir, tmp_path, monkeypatch):
    """Quarto writes in place, one format at a time: a failed PDF step must not leave a new HTML beside the old
    PDF."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    exe = bindir / "quarto"
    exe.write_text(f"#!{sys.executable}\nimport pathlib, sys\nargs = sys.argv[1:]\n"
                   "if args[3] == 'html':\n    pathlib.Path('fixture.html').write_text('NEW')\n    sys.exit(0)\n"
                   "sys.exit(4)\n")
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    (fixture_dir / "fixture.html").write_text("GOOD HTML")
    (fixture_dir / "fixture.pdf").write_text("GOOD PDF")
    assert main(["render", str(fixture_dir / "fixture.qmd"), "--to", "all", "--engine", "quarto"]) == 4
    assert (fixture_dir / "fixture.html").read_text() == "GOOD HTML"
    assert (fixture_dir / "fixture.pdf").read_text() == "GOOD PDF"
    assert not list(fixture_dir.glob(".ssstats-render-*"))
