"""Benchmark: funnel plots of 100,000 units (synthetic data, seeded).

Prints the best of several wall-clock times of ``ssstats.funnel`` for proportions and rates with exact limits and
each overdispersion adjustment that needs no model fit (the fits are timed in ``bench_units.py``), plus
``.limits()`` on its default grid.  Everything is vectorised over units and grid points, so the time should grow
about linearly with the number of units.

Goal: each call well under a second for 100,000 units on one core.

Usage: ``python benchmarks/bench_funnel.py [--units 100000]``
"""

from __future__ import annotations

import argparse
import os
import time

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")  # one core

import numpy as np  # noqa: E402

import ssstats as ss  # noqa: E402


def best_of(fn, repeat=3):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--units", type=int, default=100_000)
    args = ap.parse_args(argv)
    rng = np.random.default_rng(20261123)  # synthetic data
    n = rng.integers(5, 2000, args.units)
    x = rng.binomial(n, rng.beta(2, 30, args.units))
    e = rng.uniform(1000, 30000, args.units)
    c = rng.negative_binomial(2, 2 / (2 + 0.005 * e))
    cases = [
        ("proportion, exact", lambda: ss.funnel(x, n)),
        ("proportion, multiplicative", lambda: ss.funnel(x, n, overdispersion="multiplicative")),
        ("proportion, additive DL", lambda: ss.funnel(x, n, overdispersion="additive")),
        ("proportion, additive REML", lambda: ss.funnel(x, n, overdispersion="additive", tau2_method="REML")),
        ("rate, exact", lambda: ss.funnel(c, e, kind="rate", per=1000)),
        ("rate, additive PM", lambda: ss.funnel(c, e, kind="rate", overdispersion="additive", tau2_method="PM")),
        ("proportion, .limits() grid", lambda: ss.funnel(x, n, overdispersion="additive").limits()),
    ]
    print(f"ssstats.funnel on {args.units:,} synthetic units (best of 3, one core)")
    for name, fn in cases:
        print(f"  {name:32s} {best_of(fn):8.3f} s")


if __name__ == "__main__":
    main()
