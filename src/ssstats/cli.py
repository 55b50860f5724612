"""The ``ssstats`` command: ``ssstats render``, ``ssstats reproduce`` and friends.

Subcommands are looked up in a table (name -> module and function), each function taking the parsed arguments and
returning the exit code.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from . import __version__

#: subcommand -> (module, function that takes argparse.Namespace and returns an exit code, help, argument adder)
_COMMANDS: dict[str, tuple[str, str, str]] = {
    "render": ("ssstats.render", "cli_render", "render report.qmd to HTML and/or PDF (Quarto if present)"),
    "reproduce": ("ssstats.reproduce", "cli_reproduce",
                  "print published against recomputed figures; exit 1 if a statement does not hold"),
}


def _add_render_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", nargs="?", default="report.qmd", help="the .qmd file (default: report.qmd)")
    p.add_argument("--to", choices=["html", "pdf", "all"], default="all", help="output format(s) (default: all)")
    p.add_argument("--engine", choices=["auto", "quarto", "builtin"], default="auto",
                   help="auto: Quarto when `quarto` is on PATH, else the built-in renderer")
    p.add_argument("--timeout", type=int, default=1200, help="seconds a chunk may run (built-in renderer)")


def _add_reproduce_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", default=None, help="path to published_figures.csv (default: the packaged copy)")
    p.add_argument("--csv", action="store_true", help="print CSV instead of a table")
    p.add_argument("--allow-known", action="store_true",
                   help="exit 0 when the only statements that do not hold are the discrepancies documented in "
                        "published_claims.csv (known_discrepancy)")


_ARGS = {"render": _add_render_args, "reproduce": _add_reproduce_args}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ssstats", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"ssstats {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_, _, help_) in _COMMANDS.items():
        p = sub.add_parser(name, help=help_, description=help_)
        _ARGS.get(name, lambda _p: None)(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    module, func, _ = _COMMANDS[args.command]
    return int(getattr(importlib.import_module(module), func)(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
