"""Under-reporting: capture-recapture, multiple systems estimation, multipliers, relative completeness across
units and probabilistic bias analysis.

Modules: :mod:`.mse` (``fit_mse``), :mod:`.closed` (``closed_population``, Rcapture's ``closedp`` models),
:mod:`.twolist` (``lincoln_petersen``, ``chapman``), :mod:`.multiplier` (``multiplier_estimate``),
:mod:`.completeness` (``relative_completeness``), :mod:`.bias` (``bias_analysis``), and the shared machinery
:mod:`.identifiability` (Fienberg-Rinaldo check) and ``_loglinear`` (batched IRLS).
"""

from __future__ import annotations

from .. import _exports

_NAMES = {
    "fit_mse": "mse",
    "MSEResult": "mse",
    "closed_population": "closed",
    "ClosedPopulationResult": "closed",
    "lincoln_petersen": "twolist",
    "chapman": "twolist",
    "multiplier_estimate": "multiplier",
    "MultiplierResult": "multiplier",
    "reporting_from_survey": "multiplier",
    "relative_completeness": "completeness",
    "CompletenessResult": "completeness",
    "bias_analysis": "bias",
    "BiasAnalysisResult": "bias",
    "DISTRIBUTIONS": "bias",
}

__all__ = sorted(_NAMES)


__getattr__, __dir__ = _exports.lazy(__name__, _NAMES, globals())
