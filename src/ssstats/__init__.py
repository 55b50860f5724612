"""ssstats: statistics of sexual safety in mental-health inpatient care.

Rates and proportions with honest intervals, the incident -> police report -> charge cascade, overdispersed
models across units, funnel plots, disclosure control, and under-reporting estimation.

The public names below are imported on first use (PEP 562), so ``import ssstats`` stays fast and a module's
dependencies load only when one of its functions is called.

>>> import ssstats as ss
>>> ss.proportion_ci(26, 1374, method="wilson")  # doctest: +SKIP
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from . import _exports
from ._validate import SSStatsError

try:
    __version__ = version("ssstats")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without installing
    __version__ = "0+unknown"

#: public name -> module that defines it
_EXPORTS: dict[str, str] = {
    # data layer
    "published_figures": "data",
    "figure": "data",
    "load_units": "data",
    # rates
    "proportion_ci": "rates",
    "rate_ci": "rates",
    "compare_proportions": "rates",
    "compare_rates": "rates",
    "proportion_test": "rates",
    # attrition and units
    "Cascade": "attrition",
    "fit_beta_binomial": "units",
    "fit_negative_binomial": "units",
    "fit_quasibinomial": "units",
    "fit_beta_binomial_regression": "units",
    # funnel plots and disclosure control
    "funnel": "funnel",
    "suppress": "disclosure",
    # under-reporting
    "fit_mse": "underreporting",
    "closed_population": "underreporting",
    "lincoln_petersen": "underreporting",
    "chapman": "underreporting",
    "multiplier_estimate": "underreporting",
    "reporting_from_survey": "underreporting",
    "relative_completeness": "underreporting",
    "bias_analysis": "underreporting",
}

__all__ = ["SSStatsError", "__version__", *sorted(_EXPORTS)]


#: submodules reachable as attributes without an explicit import (``ssstats.simulate.synthetic_units``)
_SUBMODULES = ("data", "rates", "attrition", "units", "disclosure", "underreporting", "simulate", "plots",
               "tables")

__getattr__, __dir__ = _exports.lazy(__name__, _EXPORTS, globals(), _SUBMODULES)
