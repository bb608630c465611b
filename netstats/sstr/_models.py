"""Scikit-learn pipelines for SSTR positivity: imputation and encoding inside the pipeline.

Everything learned from data (medians for imputation, categories, scaling, the model) sits
inside one :class:`~sklearn.pipeline.Pipeline`, so cross-validation refits it on each
training fold and nothing leaks from the held-out scans.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.inspection import permutation_importance as _sk_permutation_importance
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from netstats.exceptions import ConvergenceError, NotFittedError
from netstats.sstr._features import CATEGORICAL_FEATURES, NUMERIC_FEATURES

__all__ = ["MODELS", "PARAM_GRIDS", "make_pipeline", "odds_ratios", "permutation_importance"]

ModelName = Literal["logistic", "gradient_boosting", "random_forest"]

MODELS: tuple[str, ...] = ("logistic", "gradient_boosting", "random_forest")
"""Model names accepted by :func:`make_pipeline`."""

PARAM_GRIDS: dict[str, dict[str, list[Any]]] = {
    "logistic": {"model__C": [0.01, 0.1, 1.0, 10.0]},
    "gradient_boosting": {
        "model__learning_rate": [0.05, 0.1],
        "model__max_leaf_nodes": [4, 8],
    },
    "random_forest": {"model__min_samples_leaf": [3, 10], "model__max_features": ["sqrt", 0.5]},
}
"""Default tuning grids (searched in the inner loop of nested cross-validation)."""


def _preprocessor(
    numeric: Sequence[str], categorical: Sequence[str], *, scale: bool, drop_first: bool
) -> ColumnTransformer:
    num_steps: list[tuple[str, Any]] = [
        ("impute", SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True))
    ]
    if scale:
        num_steps.append(("scale", StandardScaler()))
    cat = Pipeline(
        [
            (
                "impute",
                SimpleImputer(strategy="constant", fill_value="missing", keep_empty_features=True),
            ),
            (
                "encode",
                OneHotEncoder(
                    handle_unknown="ignore",
                    drop="first" if drop_first else None,
                    sparse_output=False,
                ),
            ),
        ]
    )
    transformers: list[tuple[str, Any, list[str]]] = []
    if numeric:
        transformers.append(("numeric", Pipeline(num_steps), list(numeric)))
    if categorical:
        transformers.append(("categorical", cat, list(categorical)))
    return ColumnTransformer(transformers, remainder="drop", verbose_feature_names_out=True)


def make_pipeline(
    model: ModelName = "logistic",
    *,
    numeric: Sequence[str] = NUMERIC_FEATURES,
    categorical: Sequence[str] = CATEGORICAL_FEATURES,
    class_weight: Literal["balanced"] | None = None,
    penalty: Literal["l2", "none"] = "l2",
    random_state: int | None = 0,
) -> Pipeline:
    """An unfitted pipeline: imputation and encoding, then the classifier.

    Parameters
    ----------
    model : {"logistic", "gradient_boosting", "random_forest"}, default="logistic"
        ``logistic``: L2-penalised logistic regression on standardised numeric features
        (the interpretable default); ``gradient_boosting``: histogram gradient boosting;
        ``random_forest``: random forest.
    numeric, categorical : sequence of str
        Feature columns by kind (default :data:`NUMERIC_FEATURES`,
        :data:`CATEGORICAL_FEATURES`).
    class_weight : {"balanced"} or None, default=None
        ``"balanced"`` up-weights the rare SSTR-negative class.  It shifts predicted
        probabilities away from the observed prevalence (miscalibration), so it is off by
        default; use it for ranking, not for absolute risks.
    penalty : {"l2", "none"}, default="l2"
        Logistic regression only: ``"none"`` fits the unpenalised maximum-likelihood model.
    random_state : int or None, default=0
        Seed of the randomised models.

    Returns
    -------
    sklearn.pipeline.Pipeline
        Steps ``prepare`` (ColumnTransformer: median imputation with missing-indicators and
        scaling for numeric columns; constant ``"missing"`` category and one-hot encoding
        for categorical columns) and ``model``.

    Notes
    -----
    Missing categorical values become their own category; missing numeric values are
    imputed by the training-fold median and flagged by an indicator column.  Categories are
    one-hot encoded in full (all levels), except for the unpenalised logistic model, where
    the first level in sorted order (``"missing"`` when present in training) is the
    reference so that the coefficients are identified; there a category unseen in training
    is encoded as the reference and scikit-learn warns.

    References
    ----------
    van den Goorbergh R et al. J Am Med Inform Assoc 2022;29:1525-34 (class weighting
    harms calibration).

    Examples
    --------
    >>> from netstats.sstr import make_pipeline
    >>> pipe = make_pipeline("logistic", numeric=["age_at_scan", "log_ki67"], categorical=["who_grade"])
    >>> [name for name, _ in pipe.steps]
    ['prepare', 'model']
    """
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; expected one of {list(MODELS)}")
    if class_weight not in (None, "balanced"):
        raise ValueError(f"class_weight must be None or 'balanced', got {class_weight!r}")
    if penalty not in ("l2", "none"):
        raise ValueError(f"penalty must be 'l2' or 'none', got {penalty!r}")
    clf: Any
    if model == "logistic":
        clf = LogisticRegression(
            C=np.inf if penalty == "none" else 1.0,
            class_weight=class_weight,
            solver="newton-cholesky",
            tol=1e-10,
            max_iter=1000,
        )
    elif model == "gradient_boosting":
        clf = HistGradientBoostingClassifier(
            class_weight=class_weight, max_iter=100, random_state=random_state
        )
    else:
        clf = RandomForestClassifier(
            n_estimators=300, class_weight=class_weight, random_state=random_state
        )
    return Pipeline(
        [
            (
                "prepare",
                _preprocessor(
                    numeric,
                    categorical,
                    scale=model == "logistic",
                    drop_first=model == "logistic" and penalty == "none",
                ),
            ),
            ("model", clf),
        ]
    )


_SEPARATION_TOL = 1e-6
"""Fitted probabilities closer than this to 0 or 1 for every scan mean perfect separation."""


def odds_ratios(
    pipeline: Pipeline, X: pd.DataFrame, y: pd.Series | np.ndarray, *, conf_level: float = 0.95
) -> pd.DataFrame:
    """Compute odds ratios of a fitted logistic pipeline, per unit of each encoded feature.

    Parameters
    ----------
    pipeline : Pipeline
        A fitted pipeline from :func:`make_pipeline` with ``model="logistic"``.
    X, y : DataFrame, array-like
        The training data the pipeline was fitted on (needed for the Wald CIs).
    conf_level : float, default=0.95
        Confidence level of the intervals.

    Returns
    -------
    DataFrame
        One row per encoded term (``intercept`` first): ``term``, ``coef`` (log odds per
        unit), ``se``, ``estimate`` (odds ratio per unit), ``ci_lower``, ``ci_upper``,
        ``conf_level``, ``method``.  A term without variation in ``X`` (for instance a
        prior-therapy flag that no scan has) is not identifiable: its numbers are missing
        and its ``method`` says why.

    Notes
    -----
    Numeric features are standardised inside the pipeline; coefficients are mapped back to
    the original unit by dividing by the training standard deviation.  The Wald CIs use the
    observed information of the *unpenalised* likelihood at the fitted coefficients: exact
    for ``penalty="none"``, an approximation ignoring the shrinkage otherwise (the method
    column says which).

    Examples
    --------
    >>> import netstats
    >>> from netstats import sstr
    >>> cohort = netstats.simulate_cohort(n_patients=60, seed=1)
    >>> ds = sstr.sstr_dataset(cohort)
    >>> pipe = sstr.make_pipeline(numeric=["age_at_scan", "log_ki67"], categorical=["who_grade"])
    >>> ors = sstr.odds_ratios(pipe.fit(ds.X, ds.y), ds.X, ds.y)
    >>> ors["term"].tolist()[:3]
    ['intercept', 'age_at_scan', 'log_ki67']
    """
    if not (0 < conf_level < 1):
        raise ValueError(f"conf_level must lie strictly between 0 and 1, got {conf_level!r}")
    clf = pipeline.named_steps.get("model") if hasattr(pipeline, "named_steps") else None
    if not isinstance(clf, LogisticRegression):
        raise TypeError("odds_ratios needs a pipeline whose 'model' step is LogisticRegression")
    if not hasattr(clf, "coef_"):
        raise NotFittedError("the pipeline is not fitted; call fit first")
    prep = pipeline.named_steps["prepare"]
    Z = np.asarray(prep.transform(X), dtype=float)
    names = [n.split("__", 1)[1] for n in prep.get_feature_names_out()]
    coef_std = clf.coef_.ravel()
    # Undo the standardisation of numeric columns (indicators are scaled too).
    scale = np.ones(Z.shape[1])
    shift = np.zeros(Z.shape[1])
    num = prep.named_transformers_.get("numeric")
    n_num = 0
    if num is not None and "scale" in num.named_steps:
        scaler = num.named_steps["scale"]
        n_num = len(scaler.scale_)
        scale[:n_num] = scaler.scale_
        shift[:n_num] = scaler.mean_
    Zraw = Z * scale + shift
    # A term without variation in the training data (e.g. a prior-therapy flag no scan has)
    # carries no information: its odds ratio is not identifiable and is reported as missing
    # with the reason, rather than as the penalty's arbitrary zero.
    constant = np.ptp(Zraw, axis=0) == 0
    coef = coef_std / scale
    intercept = clf.intercept_[0] - float(np.sum(coef_std * shift / scale))
    design = np.column_stack([np.ones(len(Zraw)), Zraw])
    beta = np.concatenate([[intercept], coef])
    with np.errstate(over="ignore"):
        mu = 1 / (1 + np.exp(-(design @ beta)))
    unpenalised = not np.isfinite(clf.C)
    if unpenalised and np.all((mu < _SEPARATION_TOL) | (mu > 1 - _SEPARATION_TOL)):
        raise ConvergenceError(
            "perfect separation: the features predict SSTR positivity without error, so "
            "maximum-likelihood odds ratios do not exist (they diverge to 0 or infinity); "
            "use the penalised model (penalty='l2', the default)"
        )
    keep = np.concatenate([[True], ~constant])
    info = design[:, keep].T @ (design[:, keep] * (mu * (1 - mu))[:, None])
    cov = np.full((len(beta), len(beta)), np.nan)
    cov[np.ix_(keep, keep)] = np.linalg.pinv(info)
    beta = np.where(keep, beta, np.nan)
    z = stats.norm.ppf(0.5 + conf_level / 2)
    method = (
        "Wald, maximum likelihood"
        if unpenalised
        else "Wald at the penalised estimate (approximate)"
    )
    terms = ["intercept", *names]
    factors, levels, references = _factor_levels(prep, names)
    rows = []
    for j, term in enumerate(terms):
        factor = factors[j - 1] if j else None
        row = {
            "term": term,
            "factor": factor or "",
            "level": levels[j - 1] if j else "",
            "reference": references.get(factor, "") if factor else "",
        }
        b, var = beta[j], cov[j, j]
        why = method if keep[j] else "not identifiable: no variation in the training data"
        if factor and levels[j - 1] == references.get(factor):
            # the reference level: every other level of the factor is compared with it
            b, var, why = 0.0, float("nan"), "reference"
        elif factor and references.get(factor) in (
            set(levels[i - 1] for i in range(1, len(terms)) if factors[i - 1] == factor)
        ):
            # all levels encoded (penalised model): the contrast with the reference level
            r = next(
                i
                for i in range(1, len(terms))
                if factors[i - 1] == factor and levels[i - 1] == references[factor]
            )
            b = beta[j] - beta[r]
            var = cov[j, j] + cov[r, r] - 2 * cov[j, r]
        se = float(np.sqrt(var)) if np.isfinite(var) and var >= 0 else float("nan")
        rows.append(
            row
            | {
                "coef": b,
                "se": se,
                "estimate": np.exp(b),
                "ci_lower": np.exp(b - z * se),
                "ci_upper": np.exp(b + z * se),
                "conf_level": conf_level,
                "method": why,
            }
        )
    # a factor whose reference was dropped from the encoding: its row says so
    out = pd.DataFrame(rows)
    for factor, ref in references.items():
        if not ((out["factor"] == factor) & (out["level"] == ref)).any():
            first = out.index[out["factor"] == factor]
            if len(first):
                ref_row = {
                    "term": f"{factor}_{ref}",
                    "factor": factor,
                    "level": ref,
                    "reference": ref,
                    "coef": 0.0,
                    "se": float("nan"),
                    "estimate": 1.0,
                    "ci_lower": float("nan"),
                    "ci_upper": float("nan"),
                    "conf_level": conf_level,
                    "method": "reference",
                }
                at = int(first[0])
                out = pd.concat(
                    [out.iloc[:at], pd.DataFrame([ref_row]), out.iloc[at:]], ignore_index=True
                )
    return out


def _factor_levels(
    prep: Any, names: list[str]
) -> tuple[list[str | None], list[str], dict[str, str]]:
    """Factor and level of each encoded column, and each factor's reference level.

    The reference is the first category of the encoder (the one ``drop="first"`` leaves
    out); numeric columns have no factor.
    """
    factors: list[str | None] = [None] * len(names)
    levels = [""] * len(names)
    references: dict[str, str] = {}
    cat = prep.named_transformers_.get("categorical")
    if cat is None:
        return factors, levels, references
    encoder = cat.named_steps["encode"]
    columns = next(cols for name, _, cols in prep.transformers_ if name == "categorical")
    for col, cats in zip(columns, encoder.categories_, strict=True):
        references[str(col)] = str(cats[0])
        for i, name in enumerate(names):
            for value in cats:
                if name == f"{col}_{value}":
                    factors[i], levels[i] = str(col), str(value)
    return factors, levels, references


def permutation_importance(
    pipeline: Pipeline,
    X: pd.DataFrame,
    y: pd.Series | np.ndarray,
    *,
    scoring: str = "roc_auc",
    n_repeats: int = 50,
    conf_level: float = 0.95,
    random_state: int = 0,
    n_jobs: int | None = 1,
) -> pd.DataFrame:
    """Permutation importance of each raw feature (before encoding).

    Parameters
    ----------
    pipeline : Pipeline
        A fitted pipeline.
    X, y : DataFrame, array-like
        Data to permute: use held-out scans (e.g. a validation cohort); on the training
        data the importances inherit the model's optimism.
    scoring : str, default="roc_auc"
        Scikit-learn scorer name; importance is the drop in this score.
    n_repeats : int, default=50
        Permutations per feature.
    conf_level : float, default=0.95
        Confidence level of the intervals.
    random_state : int, default=0
        Seed; every random step derives from it.
    n_jobs : int or None, default=1
        Parallel jobs (joblib); results do not depend on it.

    Returns
    -------
    DataFrame
        One row per feature, most important first: ``feature``, ``estimate`` (mean drop
        in ``scoring``), ``sd`` (over permutations), ``ci_lower``, ``ci_upper``
        (percentile interval of the permutation drops: the spread due to the
        permutation, not a sampling CI), ``conf_level``, ``scoring``, ``n_repeats``.

    References
    ----------
    Breiman L. Mach Learn 2001;45:5-32.

    Examples
    --------
    >>> import netstats
    >>> from netstats import sstr
    >>> cohort = netstats.simulate_cohort(n_patients=60, seed=1)
    >>> ds = sstr.sstr_dataset(cohort)
    >>> pipe = sstr.make_pipeline(numeric=["age_at_scan", "log_ki67"], categorical=["who_grade"])
    >>> imp = sstr.permutation_importance(pipe.fit(ds.X, ds.y), ds.X, ds.y, n_repeats=2)
    >>> len(imp), imp.columns.tolist()[:3]  # one row per raw feature, most important first
    (16, ['feature', 'estimate', 'sd'])
    """
    if not (0 < conf_level < 1):
        raise ValueError(f"conf_level must lie strictly between 0 and 1, got {conf_level!r}")
    res = _sk_permutation_importance(
        pipeline,
        X,
        np.asarray(y),
        scoring=scoring,
        n_repeats=n_repeats,
        random_state=random_state,
        n_jobs=n_jobs,
    )
    q = [(1 - conf_level) / 2 * 100, (1 + conf_level) / 2 * 100]
    lo, hi = np.percentile(res.importances, q, axis=1)
    out = pd.DataFrame(
        {
            "feature": list(X.columns),
            "estimate": res.importances_mean,
            "sd": res.importances_std,
            "ci_lower": lo,
            "ci_upper": hi,
            "conf_level": conf_level,
            "scoring": scoring,
            "n_repeats": n_repeats,
        }
    )
    return out.sort_values("estimate", ascending=False, kind="mergesort", ignore_index=True)
