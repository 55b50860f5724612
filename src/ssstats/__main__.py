"""``python -m ssstats``: the same command line as ``ssstats`` (see :mod:`ssstats.cli`)."""

import sys

from .cli import main

sys.exit(main())
