"""Honest performance estimates: repeated nested cross-validation and bootstrap optimism.

Both refit the *whole* modelling procedure (imputation, encoding, hyper-parameter tuning,
model) on every resample, so the estimates include the optimism of tuning.  Resampling runs
in parallel with joblib; each task takes its seed from a :class:`numpy.random.SeedSequence`
child of ``random_state``, so results are identical whatever ``n_jobs`` is.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.metrics import average_precision_score
from sklearn.model_selection import GridSearchCV, RepeatedStratifiedKFold, StratifiedKFold
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from netstats._display import ResultDisplay, plural
from netstats._progress import progress_bar
from netstats.exceptions import StatisticalWarning
from netstats.sstr._metrics import (
    _check_both_classes,
    _check_conf_level,
    _logistic_fit,
    _placements,
    classification_metrics,
    delong_test,
)
from netstats.sstr._models import PARAM_GRIDS, make_pipeline

__all__ = [
    "NestedCVResult",
    "OptimismResult",
    "bootstrap_optimism",
    "compare_models",
    "fit_tuned",
    "nested_cv",
]

_PROB_CLIP = 1e-6
POINT_METRICS = (
    "auroc",
    "auprc",
    "auprc_negative",
    "brier",
    "calibration_intercept",
    "calibration_slope",
)


def _point_metrics(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """Point estimates of :data:`POINT_METRICS` (NaN where not estimable)."""
    out = dict.fromkeys(POINT_METRICS, np.nan)
    out["brier"] = float(np.mean((p - y) ** 2))
    if y.min() == y.max():
        return out
    out["auroc"] = float(_placements(y, p)[0].mean())
    out["auprc"] = float(average_precision_score(y, p))
    out["auprc_negative"] = float(average_precision_score(1 - y, 1 - p))
    lp = np.log(
        np.clip(p, _PROB_CLIP, 1 - _PROB_CLIP) / (1 - np.clip(p, _PROB_CLIP, 1 - _PROB_CLIP))
    )
    ones = np.ones_like(lp)
    try:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            beta, _ = _logistic_fit(y, np.column_stack([ones, lp]))
            a0, _ = _logistic_fit(y, ones[:, None], offset=lp)
        if np.all(np.isfinite(beta)) and np.isfinite(a0[0]):
            out["calibration_slope"] = float(beta[1])
            out["calibration_intercept"] = float(a0[0])
    except (ValueError, np.linalg.LinAlgError):
        pass
    return out


def _check_xy(X: pd.DataFrame, y: Any) -> np.ndarray:
    if not isinstance(X, pd.DataFrame):
        raise TypeError(f"X must be a pandas DataFrame, got {type(X).__name__}")
    yy = np.asarray(y)
    if yy.shape != (len(X),):
        raise ValueError(f"y has shape {yy.shape}; expected ({len(X)},) to match X")
    yf = yy.astype(float)
    if not np.isin(yf, (0.0, 1.0)).all():
        raise ValueError("y must be coded 0/1 (1 = SSTR-positive)")
    _check_both_classes(yf)
    return yf.astype(int)


def _resolve(model: str | Pipeline, random_state: int) -> Pipeline:
    if isinstance(model, Pipeline):
        est = clone(model)
        if "model__random_state" in est.get_params():
            est.set_params(model__random_state=random_state)
        return est
    return make_pipeline(model, random_state=random_state)  # type: ignore[arg-type]


def _grid_for(model: str | Pipeline, param_grid: Mapping[str, Any] | None) -> dict[str, Any]:
    if param_grid is not None:
        return dict(param_grid)
    if isinstance(model, str):
        return PARAM_GRIDS[model]
    return {}


def fit_tuned(
    X: pd.DataFrame,
    y: np.ndarray,
    *,
    model: str | Pipeline = "logistic",
    param_grid: Mapping[str, Any] | None = None,
    n_inner: int = 5,
    scoring: str = "neg_log_loss",
    random_state: int = 0,
) -> tuple[Pipeline, dict[str, Any]]:
    """Tune by stratified ``n_inner``-fold CV over ``param_grid`` and refit on all rows.

    Parameters
    ----------
    X : DataFrame
        Features.
    y : numpy.ndarray
        Outcome coded 0/1.
    model : str or Pipeline, default="logistic"
        A model name or an unfitted pipeline.
    param_grid : mapping or None, default=None
        Grid; ``None`` uses :data:`PARAM_GRIDS` for a named model, no tuning for a pipeline.
    n_inner : int, default=5
        Tuning folds.
    scoring : str, default="neg_log_loss"
        Tuning criterion (scikit-learn scorer name).
    random_state : int, default=0
        Seed of the fold split and of randomised models.

    Returns
    -------
    pipeline : Pipeline
        The fitted pipeline.
    best_params : dict
        Chosen hyper-parameters (empty when there was nothing to tune).

    Examples
    --------
    >>> import netstats
    >>> from netstats import sstr
    >>> cohort = netstats.simulate_cohort(n_patients=60, seed=1)
    >>> ds = sstr.sstr_dataset(cohort)
    >>> grid = {"model__C": [0.1, 1.0]}
    >>> pipe, best = sstr.fit_tuned(ds.X, ds.y.to_numpy(), param_grid=grid, n_inner=2)
    >>> sorted(best)
    ['model__C']
    """
    est = _resolve(model, random_state)
    grid = _grid_for(model, param_grid)
    # One BLAS thread: the same floating-point summation order whatever n_jobs is.
    with threadpool_limits(limits=1):
        if not grid:
            return est.fit(X, y), {}
        cv = StratifiedKFold(n_splits=n_inner, shuffle=True, random_state=random_state)
        search = GridSearchCV(est, grid, scoring=scoring, cv=cv, n_jobs=1, refit=True)
        search.fit(X, y)
    return search.best_estimator_, dict(search.best_params_)


def _seeds(random_state: int, n: int) -> list[int]:
    children = np.random.SeedSequence(random_state).spawn(n)
    return [int(c.generate_state(1)[0]) for c in children]


def _run(tasks: list[Any], n_jobs: int | None, progress: bool | None, desc: str) -> list[Any]:
    parallel = Parallel(n_jobs=n_jobs, return_as="generator")
    out = []
    with progress_bar(total=len(tasks), progress=progress, desc=desc) as bar:
        for res in parallel(tasks):
            out.append(res)
            bar.update(1)
    return out


def _outer_fold(
    X: pd.DataFrame,
    y: np.ndarray,
    train: np.ndarray,
    test: np.ndarray,
    *,
    model: str | Pipeline,
    param_grid: Mapping[str, Any] | None,
    n_inner: int,
    scoring: str,
    seed: int,
) -> tuple[np.ndarray, dict[str, Any]]:
    fitted, best = fit_tuned(
        X.iloc[train],
        y[train],
        model=model,
        param_grid=param_grid,
        n_inner=n_inner,
        scoring=scoring,
        random_state=seed,
    )
    return _predict(fitted, X.iloc[test]), best


def _predict(fitted: Pipeline, X: pd.DataFrame) -> np.ndarray:
    """Predicted probability of the positive class, on one thread as the fits are.

    A gradient-boosting model predicts tree by tree, each tree an OpenMP parallel region;
    with the default threads on a busy machine every region can wait for a descheduled
    thread, which made the out-of-fold predictions cost more than the fits.  The values do
    not depend on the thread count.
    """
    with threadpool_limits(limits=1):
        return fitted.predict_proba(X)[:, 1]


@dataclass(frozen=True, repr=False)
class NestedCVResult(ResultDisplay):
    """Repeated nested cross-validation of one modelling procedure.

    Attributes
    ----------
    model : str
        Model name.
    rule : str or None
        Positivity rule of the outcome, when known.
    folds : DataFrame
        Long format, one row per repeat x fold x metric: ``repeat``, ``fold``, ``metric``,
        ``estimate``, ``n_test``, ``n_test_negative``, ``best_params`` (text).
    predictions : DataFrame
        Out-of-fold predictions: ``repeat``, ``row`` (position in ``X``), ``y``, ``prob``.
    conf_level : float
        Confidence level of the intervals.
    summary : DataFrame
        One row per metric: ``metric``, ``estimate``, ``ci_lower``, ``ci_upper`` (metric on
        the pooled out-of-fold predictions of each repeat, with its CI from
        :func:`classification_metrics`, averaged over repeats), ``fold_mean``, ``fold_sd``
        (over all outer folds), ``n_repeats``, ``n_folds``, ``conf_level``, ``rule``,
        ``method``.

    Examples
    --------
    >>> import netstats
    >>> from netstats import sstr
    >>> cohort = netstats.simulate_cohort(n_patients=60, seed=1)
    >>> ds = sstr.sstr_dataset(cohort)
    >>> import warnings
    >>> warnings.simplefilter("ignore")  # 55 scans, 10 negative: far too few, only the API shows
    >>> cv = sstr.nested_cv(ds.X, ds.y, n_outer=3, n_inner=2, n_repeats=1, rule=ds.rule,
    ...                     param_grid={"model__C": [0.1, 1.0]})
    >>> print(cv.method)
    Repeated nested CV of logistic: 1 x 3-fold outer, 2-fold inner tuning; outcome krenning>=3; 55 scans; 95% CIs averaged over repeats
    >>> cv.summary["metric"].tolist()[:2]
    ['auroc', 'auprc']
    """

    model: str
    rule: str | None
    folds: pd.DataFrame
    predictions: pd.DataFrame
    summary: pd.DataFrame
    conf_level: float
    n_outer: int
    n_inner: int
    n_repeats: int

    @property
    def method(self) -> str:
        """One-line description (model, CV layout, outcome, size)."""
        n_scans = len(self.predictions) // max(self.n_repeats, 1)
        return (
            f"Repeated nested CV of {self.model}: {self.n_repeats} x {self.n_outer}-fold outer, "
            f"{self.n_inner}-fold inner tuning; outcome {self.rule or 'given'}; "
            f"{plural(n_scans, 'scan')}; {self.conf_level:.0%} CIs averaged over repeats"
        )

    def to_frame(self) -> pd.DataFrame:
        """Return the summary table.

        Returns
        -------
        DataFrame
            :attr:`summary`.
        """
        return self.summary

    def _display_frame(self) -> pd.DataFrame:
        cols = ["metric", "estimate", "ci_lower", "ci_upper", "fold_mean", "fold_sd"]
        return self.summary[cols]


def nested_cv(
    X: pd.DataFrame,
    y: pd.Series | np.ndarray,
    *,
    model: str | Pipeline = "logistic",
    param_grid: Mapping[str, Any] | None = None,
    n_outer: int = 5,
    n_inner: int = 5,
    n_repeats: int = 10,
    scoring: str = "neg_log_loss",
    conf_level: float = 0.95,
    rule: str | None = None,
    random_state: int = 0,
    n_jobs: int | None = 1,
    progress: bool | None = None,
) -> NestedCVResult:
    """Repeated stratified nested cross-validation (tuning inside, estimate outside).

    Parameters
    ----------
    X : DataFrame
        Features (e.g. :attr:`SSTRDataset.X`).
    y : array-like of {0, 1}
        Outcome, 1 = SSTR-positive.
    model : str or Pipeline, default="logistic"
        A name from :data:`MODELS` or an unfitted pipeline.
    param_grid : mapping or None, default=None
        Hyper-parameter grid for the inner loop.  ``None`` uses :data:`PARAM_GRIDS` for a
        named model and no tuning for a given pipeline; ``{}`` means no tuning.
    n_outer, n_inner : int, default=5
        Folds of the outer (estimation) and inner (tuning) loops, both stratified.
    n_repeats : int, default=10
        Repetitions of the outer split with different shuffles.
    scoring : str, default="neg_log_loss"
        Inner-loop tuning criterion (scikit-learn scorer name).
    conf_level : float, default=0.95
        Confidence level of the intervals.
    rule : str or None
        Positivity rule name, carried into the output.
    random_state : int, default=0
        Seed; every random step derives from it.
    n_jobs : int or None, default=1
        Outer folds run in parallel; results do not depend on it.
    progress : bool or None, default=None
        Show a progress bar; ``None`` shows it in interactive use only (Jupyter or a
        terminal), and ``TQDM_DISABLE`` turns it off.

    Returns
    -------
    NestedCVResult
        Fold metrics, out-of-fold predictions and the summary table.

    Notes
    -----
    The CIs in ``summary`` treat the out-of-fold predictions as fixed and so ignore the
    variability from refitting; ``fold_sd`` shows that spread.  With rare SSTR-negative
    scans, a warning is issued when an outer test fold holds fewer than 5 negatives.

    References
    ----------
    Varma S, Simon R. BMC Bioinformatics 2006;7:91.
    Bates S, Hastie T, Tibshirani R. J Am Stat Assoc 2024;119:1434-45.

    Examples
    --------
    >>> import netstats
    >>> from netstats import sstr
    >>> cohort = netstats.simulate_cohort(n_patients=60, seed=1)
    >>> ds = sstr.sstr_dataset(cohort)
    >>> import warnings
    >>> warnings.simplefilter("ignore")  # 55 scans, 10 negative: far too few, only the API shows
    >>> cv = sstr.nested_cv(ds.X, ds.y, n_outer=3, n_repeats=1, param_grid={})
    >>> cv.folds["fold"].nunique(), len(cv.predictions)
    (3, 55)
    """
    cl = _check_conf_level(conf_level)
    yy = _check_xy(X, y)
    n_neg = int((yy == 0).sum())
    if min(n_neg, int(yy.sum())) < n_outer:
        raise ValueError(
            f"only {min(n_neg, int(yy.sum()))} scans in the smaller class: fewer than "
            f"n_outer={n_outer} folds"
        )
    if n_neg / n_outer < 5:
        warnings.warn(
            f"about {n_neg / n_outer:.1f} SSTR-negative scans per outer test fold: fold "
            "metrics are unstable",
            StatisticalWarning,
            stacklevel=2,
        )
    splitter = RepeatedStratifiedKFold(
        n_splits=n_outer, n_repeats=n_repeats, random_state=random_state
    )
    splits = list(splitter.split(np.zeros(len(yy)), yy))
    seeds = _seeds(random_state, len(splits))
    tasks = [
        delayed(_outer_fold)(
            X,
            yy,
            train,
            test,
            model=model,
            param_grid=param_grid,
            n_inner=n_inner,
            scoring=scoring,
            seed=seed,
        )
        for (train, test), seed in zip(splits, seeds, strict=True)
    ]
    results = _run(tasks, n_jobs, progress, "nested CV")
    fold_rows, pred_rows = [], []
    for k, ((_, test), (prob, best)) in enumerate(zip(splits, results, strict=True)):
        rep, fold = divmod(k, n_outer)
        yt = yy[test]
        for metric, value in _point_metrics(yt.astype(float), prob).items():
            fold_rows.append(
                {
                    "repeat": rep + 1,
                    "fold": fold + 1,
                    "metric": metric,
                    "estimate": value,
                    "n_test": len(test),
                    "n_test_negative": int((yt == 0).sum()),
                    "best_params": str(best),
                }
            )
        pred_rows.append(pd.DataFrame({"repeat": rep + 1, "row": test, "y": yt, "prob": prob}))
    folds = pd.DataFrame(fold_rows)
    predictions = pd.concat(pred_rows, ignore_index=True).sort_values(
        ["repeat", "row"], ignore_index=True
    )
    pooled = []
    for _rep, grp in predictions.groupby("repeat"):
        p = np.clip(grp["prob"].to_numpy(), _PROB_CLIP, 1 - _PROB_CLIP)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", StatisticalWarning)
            pooled.append(classification_metrics(grp["y"].to_numpy(), p, conf_level=cl))
    pooled_df = (
        pd.concat(pooled).groupby("metric", sort=False)[["estimate", "ci_lower", "ci_upper"]].mean()
    )
    fold_stats = folds.groupby("metric")["estimate"].agg(["mean", "std"])
    summary = pooled_df.reset_index()
    summary["fold_mean"] = summary["metric"].map(fold_stats["mean"])
    summary["fold_sd"] = summary["metric"].map(fold_stats["std"])
    summary["n_repeats"] = n_repeats
    summary["n_folds"] = n_outer
    summary["conf_level"] = cl
    summary["rule"] = rule
    summary["method"] = f"repeated nested CV ({n_repeats} x {n_outer} outer, {n_inner} inner)"
    name = model if isinstance(model, str) else type(model.steps[-1][1]).__name__
    return NestedCVResult(
        model=name,
        rule=rule,
        folds=folds,
        predictions=predictions,
        summary=summary,
        conf_level=cl,
        n_outer=n_outer,
        n_inner=n_inner,
        n_repeats=n_repeats,
    )


@dataclass(frozen=True, repr=False)
class OptimismResult(ResultDisplay):
    """Harrell's bootstrap optimism correction.

    Attributes
    ----------
    summary : DataFrame
        One row per metric: ``metric``, ``apparent`` (model fitted and evaluated on all
        scans), ``optimism`` (mean of bootstrap-sample minus original-sample performance of
        the models refitted on each bootstrap sample), ``corrected`` (apparent minus
        optimism), ``n_boot`` (bootstrap fits used), ``rule``, ``method``.
    replicates : DataFrame
        One row per bootstrap sample x metric: ``boot``, ``metric``, ``apparent``
        (on its own sample), ``test`` (on the original scans).
    n_failed : int
        Bootstrap samples skipped because they held one class only.

    Examples
    --------
    >>> import netstats
    >>> from netstats import sstr
    >>> cohort = netstats.simulate_cohort(n_patients=60, seed=1)
    >>> ds = sstr.sstr_dataset(cohort)
    >>> import warnings
    >>> warnings.simplefilter("ignore")  # 55 scans, 10 negative: far too few, only the API shows
    >>> pipe = sstr.make_pipeline(numeric=["age_at_scan", "log_ki67"], categorical=["who_grade"])
    >>> opt = sstr.bootstrap_optimism(ds.X, ds.y, model=pipe, n_boot=10, rule=ds.rule,
    ...                           param_grid={})
    >>> print(opt.method)
    Harrell bootstrap optimism correction of LogisticRegression: 10 resamples (0 skipped with one class only); outcome krenning>=3
    """

    model: str
    rule: str | None
    summary: pd.DataFrame
    replicates: pd.DataFrame
    n_boot: int
    n_failed: int

    @property
    def method(self) -> str:
        """One-line description (model, resamples, outcome)."""
        return (
            f"Harrell bootstrap optimism correction of {self.model}: "
            f"{plural(self.n_boot, 'resample')} ({self.n_failed} skipped with one class only); "
            f"outcome {self.rule or 'given'}"
        )

    def to_frame(self) -> pd.DataFrame:
        """Return the summary table.

        Returns
        -------
        DataFrame
            :attr:`summary`.
        """
        return self.summary

    def _display_frame(self) -> pd.DataFrame:
        return self.summary[["metric", "apparent", "optimism", "corrected"]]


def _boot_task(
    X: pd.DataFrame,
    y: np.ndarray,
    seed: int,
    *,
    model: str | Pipeline,
    param_grid: Mapping[str, Any] | None,
    n_inner: int,
    scoring: str,
) -> tuple[dict[str, float], dict[str, float]] | None:
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(y), size=len(y))
    yb = y[idx]
    if yb.min() == yb.max() or min(int(yb.sum()), int((yb == 0).sum())) < n_inner:
        return None
    fitted, _ = fit_tuned(
        X.iloc[idx],
        yb,
        model=model,
        param_grid=param_grid,
        n_inner=n_inner,
        scoring=scoring,
        random_state=seed % (2**31),
    )
    app = _point_metrics(yb.astype(float), _predict(fitted, X.iloc[idx]))
    test = _point_metrics(y.astype(float), _predict(fitted, X))
    return app, test


def bootstrap_optimism(
    X: pd.DataFrame,
    y: pd.Series | np.ndarray,
    *,
    model: str | Pipeline = "logistic",
    param_grid: Mapping[str, Any] | None = None,
    n_boot: int = 200,
    n_inner: int = 5,
    scoring: str = "neg_log_loss",
    rule: str | None = None,
    random_state: int = 0,
    n_jobs: int | None = 1,
    progress: bool | None = None,
) -> OptimismResult:
    """Estimate performance corrected for optimism by Harrell's bootstrap.

    Parameters
    ----------
    X : DataFrame
        Features (e.g. :attr:`SSTRDataset.X`).
    y : array-like of {0, 1}
        Outcome, 1 = SSTR-positive.
    model : str or Pipeline, default="logistic"
        A name from :data:`MODELS` or an unfitted pipeline.
    param_grid : mapping or None, default=None
        Tuning grid, searched again inside every bootstrap sample.  ``None`` uses
        :data:`PARAM_GRIDS` for a named model and no tuning for a given pipeline; ``{}``
        means no tuning.
    n_boot : int, default=200
        Number of bootstrap samples.
    n_inner : int, default=5
        Folds of the tuning CV.
    scoring : str, default="neg_log_loss"
        Inner-loop tuning criterion (scikit-learn scorer name).
    rule : str or None
        Positivity rule name, carried into the output.
    random_state : int, default=0
        Seed; every random step derives from it.
    n_jobs : int or None, default=1
        Parallel jobs (joblib); results do not depend on it.
    progress : bool or None, default=None
        Show a progress bar; ``None`` shows it in interactive use only (Jupyter or a
        terminal), and ``TQDM_DISABLE`` turns it off.

    Returns
    -------
    OptimismResult
        Apparent, optimism and corrected value per metric, and the replicates.

    Notes
    -----
    For each bootstrap sample the full procedure (including tuning) is refitted;
    ``optimism = mean(perf on bootstrap sample - perf on original data)``, and the corrected
    estimate is the apparent performance minus the optimism.  Probabilities are clipped to
    [1e-6, 1 - 1e-6] before the calibration logit.

    References
    ----------
    Harrell FE, Lee KL, Mark DB. Stat Med 1996;15:361-87.
    Efron B, Tibshirani R. An Introduction to the Bootstrap. 1993, ch. 17.

    Examples
    --------
    >>> import netstats
    >>> from netstats import sstr
    >>> cohort = netstats.simulate_cohort(n_patients=60, seed=1)
    >>> ds = sstr.sstr_dataset(cohort)
    >>> import warnings
    >>> warnings.simplefilter("ignore")  # 55 scans, 10 negative: far too few, only the API shows
    >>> pipe = sstr.make_pipeline(numeric=["age_at_scan", "log_ki67"], categorical=["who_grade"])
    >>> opt = sstr.bootstrap_optimism(ds.X, ds.y, model=pipe, n_boot=10, param_grid={})
    >>> opt.summary.columns.tolist()[:4]
    ['metric', 'apparent', 'optimism', 'corrected']
    """
    yy = _check_xy(X, y)
    if not isinstance(n_boot, (int, np.integer)) or n_boot < 1:
        raise ValueError(f"n_boot must be a positive integer, got {n_boot!r}")
    full, _ = fit_tuned(
        X,
        yy,
        model=model,
        param_grid=param_grid,
        n_inner=n_inner,
        scoring=scoring,
        random_state=random_state,
    )
    apparent = _point_metrics(yy.astype(float), _predict(full, X))
    seeds = _seeds(random_state, n_boot)
    tasks = [
        delayed(_boot_task)(
            X, yy, s, model=model, param_grid=param_grid, n_inner=n_inner, scoring=scoring
        )
        for s in seeds
    ]
    results = _run(tasks, n_jobs, progress, "bootstrap")
    rows = []
    for b, res in enumerate(results):
        if res is None:
            continue
        app, test = res
        for metric in POINT_METRICS:
            rows.append(
                {"boot": b + 1, "metric": metric, "apparent": app[metric], "test": test[metric]}
            )
    reps = pd.DataFrame(rows, columns=["boot", "metric", "apparent", "test"])
    n_failed = sum(r is None for r in results)
    if n_failed:
        warnings.warn(
            f"{n_failed} of {n_boot} bootstrap samples had too few scans of one class and were skipped",
            StatisticalWarning,
            stacklevel=2,
        )
    opt = (reps["apparent"] - reps["test"]).groupby(reps["metric"]).mean()
    used = reps.dropna().groupby("metric")["boot"].nunique()
    summary = pd.DataFrame({"metric": list(POINT_METRICS)})
    summary["apparent"] = summary["metric"].map(apparent)
    summary["optimism"] = summary["metric"].map(opt)
    summary["corrected"] = summary["apparent"] - summary["optimism"]
    summary["n_boot"] = summary["metric"].map(used).fillna(0).astype(int)
    summary["rule"] = rule
    summary["method"] = f"Harrell bootstrap optimism correction (B={n_boot})"
    name = model if isinstance(model, str) else type(model.steps[-1][1]).__name__
    return OptimismResult(
        model=name, rule=rule, summary=summary, replicates=reps, n_boot=n_boot, n_failed=n_failed
    )


def compare_models(
    first: NestedCVResult, second: NestedCVResult, *, conf_level: float = 0.95
) -> pd.DataFrame:
    """Compare two models' out-of-fold AUROCs with the paired DeLong test.

    Parameters
    ----------
    first, second : NestedCVResult
        Results of :func:`nested_cv` on the same scans with the same ``random_state``,
        ``n_outer`` and ``n_repeats`` (hence the same outer folds).
    conf_level : float, default=0.95
        Confidence level of the intervals.

    Returns
    -------
    DataFrame
        One row per repeat: ``repeat``, ``model_1``, ``model_2``, ``auc_1``, ``auc_2``,
        ``estimate`` (difference), ``se``, ``ci_lower``, ``ci_upper``, ``statistic`` (z),
        ``p_value``, ``conf_level``, ``rule``, ``method``.

    Notes
    -----
    Each repeat's pooled out-of-fold predictions are compared as in
    :func:`delong_test`.  The repeats reuse the same scans, so their p-values are not
    independent: report one repeat (the first) or their spread, never combine them as
    independent tests.

    Examples
    --------
    >>> import netstats
    >>> from netstats import sstr
    >>> cohort = netstats.simulate_cohort(n_patients=60, seed=1)
    >>> ds = sstr.sstr_dataset(cohort)
    >>> import warnings
    >>> warnings.simplefilter("ignore")  # 55 scans, 10 negative: far too few, only the API shows
    >>> small = sstr.make_pipeline(numeric=["age_at_scan", "log_ki67"], categorical=["who_grade"])
    >>> a = sstr.nested_cv(ds.X, ds.y, n_outer=3, n_repeats=1, param_grid={})
    >>> b = sstr.nested_cv(ds.X, ds.y, model=small, n_outer=3, n_repeats=1, param_grid={})
    >>> sstr.compare_models(a, b)[["model_1", "model_2"]]
        model_1             model_2
    0  logistic  LogisticRegression
    """
    cl = _check_conf_level(conf_level)
    a, b = first.predictions, second.predictions
    same = (
        len(a) == len(b)
        and np.array_equal(a["repeat"].to_numpy(), b["repeat"].to_numpy())
        and np.array_equal(a["row"].to_numpy(), b["row"].to_numpy())
        and np.array_equal(a["y"].to_numpy(), b["y"].to_numpy())
    )
    if not same:
        raise ValueError(
            "the two results do not cover the same scans and repeats: run nested_cv on the "
            "same data with the same n_repeats"
        )
    if first.rule != second.rule:
        raise ValueError(f"the outcomes differ: rule {first.rule!r} vs {second.rule!r}")
    rows = []
    for rep in sorted(a["repeat"].unique()):
        mask = (a["repeat"] == rep).to_numpy()
        res = delong_test(
            a.loc[mask, "y"].to_numpy(),
            a.loc[mask, "prob"].to_numpy(),
            b.loc[mask, "prob"].to_numpy(),
            conf_level=cl,
        )
        row = res.to_frame().iloc[0].to_dict()
        row.update({"repeat": int(rep), "model_1": first.model, "model_2": second.model})
        rows.append(row)
    out = pd.DataFrame(rows)
    out["rule"] = first.rule
    cols = [
        "repeat",
        "model_1",
        "model_2",
        "auc_1",
        "auc_2",
        "estimate",
        "se",
        "ci_lower",
        "ci_upper",
        "statistic",
        "p_value",
        "conf_level",
        "rule",
        "method",
    ]
    return out[cols]
