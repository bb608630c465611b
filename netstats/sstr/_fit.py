"""One call from a cohort to a validated, documented SSTR-positivity model."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any, Literal

import numpy as np
import pandas as pd

from netstats.cohort import Cohort
from netstats.sstr._features import (
    CATEGORICAL_FEATURES,
    WORKUP_WINDOW_DAYS,
    SSTRDataset,
    data_sha256,
    sstr_dataset,
)
from netstats.sstr._modelfile import CARD_VERSION, SSTRModel, package_versions
from netstats.sstr._models import PARAM_GRIDS, make_pipeline
from netstats.sstr._outcome import get_rule
from netstats.sstr._validation import bootstrap_optimism, fit_tuned, nested_cv

__all__ = ["fit_classifier"]


def fit_classifier(
    data: Cohort | SSTRDataset,
    *,
    model: Literal["logistic", "gradient_boosting", "random_forest"] = "logistic",
    rule: str = "krenning>=3",
    scan: Literal["baseline", "last"] | Sequence[str] = "baseline",
    fdg_window_days: int = 90,
    workup_window_days: int = WORKUP_WINDOW_DAYS,
    class_weight: Literal["balanced"] | None = None,
    param_grid: Mapping[str, Any] | None = None,
    validation: Literal["nested_cv", "bootstrap", "none"] = "nested_cv",
    n_outer: int = 5,
    n_inner: int = 5,
    n_repeats: int = 10,
    n_boot: int = 200,
    conf_level: float = 0.95,
    random_state: int = 0,
    n_jobs: int | None = 1,
    progress: bool | None = None,
) -> SSTRModel:
    """Build the dataset, validate the modelling procedure and fit the final model.

    Parameters
    ----------
    data : Cohort or SSTRDataset
        A cohort (the dataset is built with ``rule``, ``scan``, ``fdg_window_days``) or a
        ready :class:`SSTRDataset`.
    model : {"logistic", "gradient_boosting", "random_forest"}, default="logistic"
        Classifier (see :func:`make_pipeline`).
    rule : str, default="krenning>=3"
        Positivity rule (ignored when ``data`` is a dataset: its own rule is used).
    scan : {"baseline", "last"} or sequence of str, default="baseline"
    fdg_window_days : int, default=90
        FDG look-back window in days.
    workup_window_days : int, default=:data:`~netstats.sstr.WORKUP_WINDOW_DAYS`
        Diagnostic work-up window in days after the scan (see
        :func:`~netstats.sstr.assemble_features`).
    class_weight : {"balanced"} or None, default=None
    param_grid : mapping or None, default=None
        Tuning grid (default :data:`PARAM_GRIDS` for ``model``).
    validation : {"nested_cv", "bootstrap", "none"}, default="nested_cv"
        How the reported metrics are estimated: :func:`nested_cv` or
        :func:`bootstrap_optimism`; ``"none"`` records no metrics.
    n_outer, n_inner, n_repeats, n_boot : int
        Resampling sizes.
    conf_level : float, default=0.95
        Confidence level of the intervals.
    random_state : int, default=0
        Seed; every random step derives from it.
    n_jobs : int or None, default=1
        Parallel jobs (joblib); results do not depend on it.
    progress : bool or None, default=None
        Show a progress bar; ``None`` shows it in interactive use only (Jupyter or a
        terminal), and ``TQDM_DISABLE`` turns it off.

    Returns
    -------
    SSTRModel
        The final pipeline, tuned by ``n_inner``-fold CV and refitted on all scans, with its
        model card (metrics from the validation) and the full validation result in
        ``.validation`` (a :class:`NestedCVResult`, :class:`OptimismResult` or ``None``).

    Notes
    -----
    The metrics describe the whole procedure (tuning included) as estimated by the chosen
    validation, not the single final fit; the final model is the procedure applied to all
    scans.

    Examples
    --------
    >>> import warnings
    >>> import netstats
    >>> cohort = netstats.simulate_cohort(n_patients=60, seed=1)
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")  # 10 SSTR-negative scans: too few for stable folds
    ...     model = fit_classifier(cohort, n_outer=3, n_repeats=1, param_grid={})
    >>> model.validation.summary["metric"].tolist()[:2]
    ['auroc', 'auprc']
    >>> [m["metric"] for m in model.card["metrics"]][:2]
    ['auroc', 'auprc']
    """
    if isinstance(data, Cohort):
        dataset = sstr_dataset(
            data,
            rule=rule,
            scan=scan,
            fdg_window_days=fdg_window_days,
            workup_window_days=workup_window_days,
        )
    elif isinstance(data, SSTRDataset):
        dataset = data
    else:
        raise TypeError(f"data must be a Cohort or SSTRDataset, got {type(data).__name__}")
    if validation not in ("nested_cv", "bootstrap", "none"):
        raise ValueError(
            f"validation must be 'nested_cv', 'bootstrap' or 'none', got {validation!r}"
        )
    X, y = dataset.X, dataset.y.to_numpy()
    pipe = make_pipeline(model, class_weight=class_weight, random_state=random_state)
    grid = dict(param_grid) if param_grid is not None else PARAM_GRIDS[model]
    result: Any = None
    metrics: list[dict[str, Any]] = []
    if validation == "nested_cv":
        result = nested_cv(
            X,
            y,
            model=pipe,
            param_grid=grid,
            n_outer=n_outer,
            n_inner=n_inner,
            n_repeats=n_repeats,
            conf_level=conf_level,
            rule=dataset.rule,
            random_state=random_state,
            n_jobs=n_jobs,
            progress=progress,
        )
        cols = ["metric", "estimate", "ci_lower", "ci_upper", "conf_level", "method"]
        metrics = result.summary[cols].to_dict("records")
    elif validation == "bootstrap":
        result = bootstrap_optimism(
            X,
            y,
            model=pipe,
            param_grid=grid,
            n_boot=n_boot,
            n_inner=n_inner,
            rule=dataset.rule,
            random_state=random_state,
            n_jobs=n_jobs,
            progress=progress,
        )
        metrics = result.summary[["metric", "apparent", "optimism", "corrected", "method"]].to_dict(
            "records"
        )
    fitted, best = fit_tuned(
        X, y, model=pipe, param_grid=grid, n_inner=n_inner, random_state=random_state
    )
    positivity = get_rule(dataset.rule)
    card: dict[str, Any] = {
        "card_version": CARD_VERSION,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "model": model,
        "class_weight": class_weight,
        "rule": positivity.name,
        "rule_description": positivity.description,
        "scan_selection": dataset.scan_selection,
        "fdg_window_days": fdg_window_days,
        "workup_window_days": workup_window_days,
        "features": [
            {
                "name": c,
                "dtype": str(X[c].dtype),
                "kind": "categorical" if c in CATEGORICAL_FEATURES else "numeric",
            }
            for c in X.columns
        ],
        "training_data_sha256": data_sha256(X, y),
        "n_train": int(len(y)),
        "n_positive": int(np.sum(y)),
        "n_negative": int(len(y) - np.sum(y)),
        "hyperparameters": {k: _plain(v) for k, v in best.items()},
        "validation": validation,
        "metrics": [{k: _plain(v) for k, v in row.items()} for row in metrics],
        "random_state": random_state,
        "package_versions": package_versions(),
    }
    return SSTRModel(pipeline=fitted, card=card, validation=result)


def _plain(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if np.isnan(value) else float(value)
    if isinstance(value, float) and np.isnan(value):
        return None
    if value is pd.NA:
        return None
    return value
