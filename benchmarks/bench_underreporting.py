"""Benchmark: the 1,000-replicate stepwise MSE bootstrap on the UK 2013 data, and a million-draw bias analysis.

Prints the best of several wall-clock times of

- ``fit_mse(uk, model="stepwise", interval="bootstrap", n_boot=1000)`` (multinomial resampling, SparseMSE's
  stepwise model re-selected in every replicate with the Fienberg-Rinaldo existence check, BCa interval with a
  jackknife); SparseMSE in R takes about 140 s for this.  Goal: at most 5 s.
- ``bias_analysis`` with a million draws: a single count with a beta prior, and the two-count, four-prior
  (one correlated pair) setting of the report.  Goal: within a second.

Usage: ``python benchmarks/bench_underreporting.py [--boot 1000] [--draws 1000000]``
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")  # one core

import pandas as pd  # noqa: E402

import ssstats as ss  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def best_of(fn, repeat=3):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--boot", type=int, default=1000)
    ap.add_argument("--draws", type=int, default=1_000_000)
    args = ap.parse_args(argv)
    uk = pd.read_csv(ROOT / "data" / "uk2013_modern_slavery_5lists.csv", comment="#")

    t, res = best_of(lambda: ss.fit_mse(uk, "count", model="stepwise", interval="bootstrap", n_boot=args.boot,
                                        seed=1, progress=False))
    print(f"fit_mse stepwise bootstrap, {args.boot} replicates (UK 2013, 5 lists): {t:.2f} s "
          f"[goal <= 5 s]  estimate {res.estimate:,.0f} ({res.lower:,.0f} to {res.upper:,.0f})")

    t, res = best_of(lambda: ss.bias_analysis(1120, ("beta", 16, 84), n_draws=args.draws, seed=1))
    print(f"bias_analysis, one count, beta prior, {args.draws:,} draws: {t:.2f} s [goal <= 1 s]")

    kw = dict(observed={"incidents": 19899, "offences": 1374},
              reporting={"incidents": ("beta", 12, 8), "offences": ("logit-normal", -1.66, 0.4)},
              misclassification={"incidents": ("triangular", 0.8, 0.95, 1.0), "offences": ("uniform", 0.9, 1.0)},
              correlation=[[1, 0.5, 0, 0], [0.5, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]], nested=False)
    t, res = best_of(lambda: ss.bias_analysis(n_draws=args.draws, seed=1, **kw))
    print(f"bias_analysis, two counts, four priors via a Gaussian copula, {args.draws:,} draws: {t:.2f} s "
          f"[goal <= 1 s]")


if __name__ == "__main__":
    main()
