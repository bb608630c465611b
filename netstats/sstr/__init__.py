"""SSTR-PET positivity classifiers and SSTR re-expression on serial scans.

Leakage-free features, validated classifiers, safe model files and serial-scan analysis.

The outcome of a scan is its SSTR positivity by a named rule (:data:`POSITIVITY_RULES`,
default ``"krenning>=3"``); the rule name travels with every result.
"""

from __future__ import annotations

from netstats.sstr._cli import predict_command, train_command
from netstats.sstr._features import (
    CATEGORICAL_FEATURES,
    FEATURES,
    NUMERIC_FEATURES,
    WORKUP_WINDOW_DAYS,
    SSTRDataset,
    assemble_features,
    data_sha256,
    select_scans,
    sstr_dataset,
)
from netstats.sstr._fit import fit_classifier
from netstats.sstr._metrics import (
    AUCResult,
    CalibrationResult,
    DeLongTestResult,
    auroc_delong,
    calibration,
    calibration_curve,
    classification_metrics,
    decision_curve,
    delong_test,
    roc_curve,
    threshold_metrics,
)
from netstats.sstr._modelfile import (
    TRUSTED_TYPES,
    SSTRModel,
    UntrustedModelError,
    load_model,
    save_model,
)
from netstats.sstr._models import (
    MODELS,
    PARAM_GRIDS,
    make_pipeline,
    odds_ratios,
    permutation_importance,
)
from netstats.sstr._outcome import (
    POSITIVITY_RULES,
    PositivityRule,
    get_rule,
    sstr_positive,
    sstr_scans,
)
from netstats.sstr._reexpression import (
    PAIR_COLUMNS,
    ScanTrajectory,
    conversion_rates,
    paired_change,
    reexpression_pairs,
    scan_trajectory,
    time_to_conversion,
)
from netstats.sstr._validation import (
    NestedCVResult,
    OptimismResult,
    bootstrap_optimism,
    compare_models,
    fit_tuned,
    nested_cv,
)

__all__ = [
    "CATEGORICAL_FEATURES",
    "FEATURES",
    "MODELS",
    "NUMERIC_FEATURES",
    "PAIR_COLUMNS",
    "PARAM_GRIDS",
    "POSITIVITY_RULES",
    "TRUSTED_TYPES",
    "WORKUP_WINDOW_DAYS",
    "AUCResult",
    "CalibrationResult",
    "DeLongTestResult",
    "NestedCVResult",
    "OptimismResult",
    "PositivityRule",
    "SSTRDataset",
    "SSTRModel",
    "ScanTrajectory",
    "UntrustedModelError",
    "assemble_features",
    "auroc_delong",
    "bootstrap_optimism",
    "calibration",
    "calibration_curve",
    "classification_metrics",
    "compare_models",
    "conversion_rates",
    "data_sha256",
    "decision_curve",
    "delong_test",
    "fit_classifier",
    "fit_tuned",
    "load_model",
    "get_rule",
    "make_pipeline",
    "nested_cv",
    "odds_ratios",
    "paired_change",
    "permutation_importance",
    "predict_command",
    "reexpression_pairs",
    "roc_curve",
    "save_model",
    "scan_trajectory",
    "select_scans",
    "sstr_dataset",
    "sstr_positive",
    "sstr_scans",
    "threshold_metrics",
    "time_to_conversion",
    "train_command",
]
