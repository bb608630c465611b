"""Survival analysis: Kaplan-Meier, log-rank, Cox models, PH checks, RMST, competing risks.

Times are in months throughout (any unit works; labels say months). Every function takes a
DataFrame first and keyword-only options, validates its input once with
:func:`check_survival_data`, and returns a tidy DataFrame or a frozen result with a
``.summary`` DataFrame.
"""

from __future__ import annotations

from netstats.exceptions import ConvergenceError
from netstats.survival._checks import SurvivalData, check_survival_data
from netstats.survival._competing import (
    CumulativeIncidenceResult,
    GrayTestResult,
    cumulative_incidence,
    gray_test,
)
from netstats.survival._cox import CoxResult, cox
from netstats.survival._cox_predict import (
    AdjustedSurvivalResult,
    CoxSurvivalResult,
    adjusted_survival,
    baseline_hazard,
    predict_survival,
)
from netstats.survival._cox_residuals import cox_functional_form, cox_residuals
from netstats.survival._cox_zph import ZphResult, cox_zph
from netstats.survival._finegray import FineGrayResult, cause_specific_cox, fine_gray
from netstats.survival._km import KaplanMeierResult, kaplan_meier, km_table
from netstats.survival._landmark import LandmarkResult, landmark
from netstats.survival._logrank import LogrankResult, logrank, pairwise_logrank
from netstats.survival._rmst import RMSTResult, rmst
from netstats.survival._rmst_adjusted import AdjustedRMSTResult, rmst_adjusted

__all__ = [
    "AdjustedRMSTResult",
    "AdjustedSurvivalResult",
    "ConvergenceError",
    "CoxResult",
    "CoxSurvivalResult",
    "CumulativeIncidenceResult",
    "FineGrayResult",
    "GrayTestResult",
    "KaplanMeierResult",
    "LandmarkResult",
    "LogrankResult",
    "RMSTResult",
    "SurvivalData",
    "ZphResult",
    "adjusted_survival",
    "baseline_hazard",
    "cause_specific_cox",
    "check_survival_data",
    "cox",
    "cox_functional_form",
    "cox_residuals",
    "cox_zph",
    "cumulative_incidence",
    "fine_gray",
    "gray_test",
    "kaplan_meier",
    "km_table",
    "landmark",
    "logrank",
    "pairwise_logrank",
    "predict_survival",
    "rmst",
    "rmst_adjusted",
]
