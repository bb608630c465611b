"""The ``netstats sstr train`` and ``netstats sstr predict`` commands, as plain functions."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path
from typing import Literal

import pandas as pd

from netstats.cohort import Cohort
from netstats.io import load_cohort
from netstats.io._files import check_not_input
from netstats.sstr._features import assemble_features, select_scans
from netstats.sstr._fit import fit_classifier
from netstats.sstr._modelfile import SSTRModel, load_model, save_model

__all__ = ["PREDICTION_COLUMNS", "predict_command", "train_command"]

PREDICTION_COLUMNS = ["patient_id", "scan_id", "scan_date", "rule", "predicted_probability"]


def _cohort(source: Cohort | str | os.PathLike[str]) -> Cohort:
    return source if isinstance(source, Cohort) else load_cohort(source)


def train_command(
    cohort: Cohort | str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    model: Literal["logistic", "gradient_boosting", "random_forest"] = "logistic",
    rule: str = "krenning>=3",
    scan: Literal["baseline", "last"] = "baseline",
    validation: Literal["nested_cv", "bootstrap", "none"] = "nested_cv",
    n_repeats: int = 10,
    n_outer: int = 5,
    n_inner: int = 5,
    n_boot: int = 200,
    random_state: int = 0,
    n_jobs: int | None = 1,
    progress: bool | None = None,
) -> SSTRModel:
    """Fit, validate and save a model (``netstats sstr train COHORT --out model.skops``).

    Parameters
    ----------
    cohort : Cohort or path
        A cohort or anything :func:`netstats.io.load_cohort` reads.
    out : path
        Model file to write (skops format).
    model : {"logistic", "gradient_boosting", "random_forest"}, default="logistic"
        Classifier (see :func:`netstats.sstr.make_pipeline`).
    rule : str, default="krenning>=3"
        Positivity rule.
    scan : {"baseline", "last"}, default="baseline"
        Which SSTR scan of each patient.
    validation : {"nested_cv", "bootstrap", "none"}, default="nested_cv"
        How the metrics in the model card are estimated.
    n_repeats : int, default=10
        Repeats of the outer cross-validation.
    n_outer : int, default=5
        Outer folds.
    n_inner : int, default=5
        Inner (tuning) folds.
    n_boot : int, default=200
        Bootstrap samples when ``validation="bootstrap"``.
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
        The saved model (its card holds the validation metrics).

    Examples
    --------
    >>> import netstats
    >>> from netstats import sstr
    >>> cohort = netstats.simulate_cohort(n_patients=60, seed=1)
    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> source = netstats.save_cohort(cohort, folder + "/cohort")
    >>> model = sstr.train_command(source, folder + "/model.skops", validation="none",
    ...                            n_inner=2)
    >>> model.card["n_train"]
    55
    """
    if not isinstance(cohort, Cohort):
        check_not_input(out, [cohort])
    fitted = fit_classifier(
        _cohort(cohort),
        model=model,
        rule=rule,
        scan=scan,
        validation=validation,
        n_repeats=n_repeats,
        n_outer=n_outer,
        n_inner=n_inner,
        n_boot=n_boot,
        random_state=random_state,
        n_jobs=n_jobs,
        progress=progress,
    )
    save_model(fitted, out)
    return fitted


def predict_command(
    model_file: str | os.PathLike[str],
    cohort: Cohort | str | os.PathLike[str],
    *,
    out: str | os.PathLike[str] | None = None,
    as_of: str | pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Predict SSTR positivity (``netstats sstr predict model.skops COHORT``).

    Features are assembled for each patient's scan chosen as in training (the model
    card's ``scan_selection``; ``"baseline"`` when training used named scans), from what
    was known on that date; the scan's own uptake is not needed.  With ``as_of``, every
    patient is scored for a scan not yet done, from what was known on that date.

    Parameters
    ----------
    model_file : path
        A file written by :func:`train_command` / :func:`netstats.sstr.save_model`.
    cohort : Cohort or path
        A cohort or anything :func:`netstats.io.load_cohort` reads.
    out : path or None, default=None
        Where to write the CSV; ``None`` writes nothing.  It must not be the model file,
        a cohort file or inside the cohort folder (``ValueError``); the file is written
        whole or not at all.
    as_of : str, Timestamp or None, default=None
        Score every patient as of this date (``scan_id`` is then empty) instead of at
        their existing SSTR scans.

    Returns
    -------
    DataFrame
        One row per scan: ``patient_id``, ``scan_id``, ``scan_date``, ``rule`` (positivity
        rule the model predicts), ``predicted_probability`` (0-1).

    Examples
    --------
    >>> import netstats
    >>> from netstats import sstr
    >>> cohort = netstats.simulate_cohort(n_patients=60, seed=1)
    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> path = sstr.save_model(sstr.fit_classifier(cohort, validation="none", param_grid={}), folder + "/m.skops")
    >>> pred = sstr.predict_command(path, cohort)
    >>> pred.columns.tolist()
    ['patient_id', 'scan_id', 'scan_date', 'rule', 'predicted_probability']
    """
    if out is not None:
        check_not_input(out, [model_file, *([] if isinstance(cohort, Cohort) else [cohort])])
    model = load_model(model_file)
    data = _cohort(cohort)
    if as_of is not None:
        when = pd.Timestamp(as_of)
        n = data.n_patients
        scans = pd.DataFrame(
            {
                "patient_id": data.patients["patient_id"].to_numpy(),
                "scan_id": pd.array([pd.NA] * n, dtype="string"),
                "scan_date": pd.Series([when] * n, dtype="datetime64[ns]").to_numpy(),
                "tracer": pd.array([pd.NA] * n, dtype="string"),
            }
        )
    else:
        selection = model.card.get("scan_selection", "baseline")
        scans = select_scans(
            data, scan=selection if selection in ("baseline", "last") else "baseline"
        )
    X, provenance = assemble_features(
        data,
        scans,
        fdg_window_days=int(model.card.get("fdg_window_days", 90)),
        # Model files written before the work-up window existed used none.
        workup_window_days=int(model.card.get("workup_window_days", 0)),
    )
    result = provenance[["patient_id", "scan_id", "scan_date"]].copy()
    result["rule"] = model.rule
    result["predicted_probability"] = model.predict_proba(X) if len(X) else []
    result = result[PREDICTION_COLUMNS]
    if out is not None:
        _write_csv(result, Path(out))
    return result


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write a CSV through a temporary file next to ``path``, so it is whole or absent."""
    # a fresh name next to ``path``, created with the usual permissions
    tmp = path.parent / f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp"
    try:
        with open(tmp, "x", encoding="utf-8", newline="") as handle:
            frame.to_csv(handle, index=False, date_format="%Y-%m-%d")
        os.replace(tmp, path)
    except OSError as exc:  # name the file asked for, not the temporary one
        _remove(tmp)
        raise OSError(exc.errno, exc.strerror, str(path)) from exc
    except BaseException:
        _remove(tmp)
        raise


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):  # never created, or a read-only file system
        path.unlink()
