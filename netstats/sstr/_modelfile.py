"""Model files: a fitted SSTR classifier with its model card, saved with skops (never pickle).

The file holds the scikit-learn pipeline and a JSON model card: the training data's
SHA-256, feature names and dtypes, the positivity rule, the validation metrics and the
package versions.  Loading checks every type the file would create and refuses any that
are not in :data:`TRUSTED_TYPES`, so a crafted file cannot run code.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import secrets
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import skops.io as sio
from sklearn.pipeline import Pipeline

from netstats._display import ResultDisplay
from netstats._version import __version__
from netstats.exceptions import NetstatsError, SchemaError

__all__ = [
    "TRUSTED_TYPES",
    "SSTRModel",
    "UntrustedModelError",
    "load_model",
    "package_versions",
    "save_model",
]

TRUSTED_TYPES: frozenset[str] = frozenset(
    {
        "numpy.dtype",
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
        "sklearn.tree._tree.Tree",
    }
)
"""Types outside skops' default trusted set that netstats' own pipelines contain."""

CARD_VERSION = 1


class UntrustedModelError(NetstatsError, ValueError):
    """A model file would create types netstats does not trust; it was not loaded.

    Examples
    --------
    >>> from netstats import NetstatsError
    >>> from netstats.sstr import UntrustedModelError
    >>> issubclass(UntrustedModelError, NetstatsError) and issubclass(UntrustedModelError, ValueError)
    True
    """


def package_versions() -> dict[str, str]:
    """Return the versions of Python and of the packages a model file depends on.

    Returns
    -------
    dict of str to str
        Package name to version.
    """
    out = {"python": platform.python_version(), "netstats": __version__}
    for pkg in ("numpy", "pandas", "scipy", "scikit-learn", "skops", "joblib"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:  # pragma: no cover - all are dependencies
            out[pkg] = "not installed"
    return out


@dataclass(frozen=True, repr=False)
class SSTRModel(ResultDisplay):
    """A fitted SSTR-positivity classifier and its model card.

    Attributes
    ----------
    pipeline : sklearn.pipeline.Pipeline
        The fitted pipeline (imputation, encoding, classifier).
    card : dict
        The model card: ``card_version``, ``created``, ``model``, ``rule``,
        ``rule_description``, ``scan_selection``, ``features`` (list of ``name``, ``dtype``,
        ``kind``), ``training_data_sha256``, ``n_train``, ``n_positive``, ``n_negative``,
        ``hyperparameters``, ``metrics`` (list of records) and ``package_versions``.
    validation : NestedCVResult, OptimismResult or None
        The full validation result when the model was just fitted by
        :func:`netstats.sstr.fit_classifier`; not stored in model files (its metrics are
        in the card).

    Examples
    --------
    >>> import netstats
    >>> from netstats import sstr
    >>> cohort = netstats.simulate_cohort(n_patients=60, seed=1)
    >>> ds = sstr.sstr_dataset(cohort)
    >>> model = sstr.fit_classifier(ds, validation="none", param_grid={})
    >>> print(model.method)
    SSTR-positivity classifier logistic, outcome krenning>=3, 16 features; trained on 55 scans (45 positive / 10 negative)
    >>> model.predict_proba(ds.X).shape
    (55,)
    """

    pipeline: Pipeline
    card: dict[str, Any] = field(default_factory=dict)
    validation: Any = field(default=None, compare=False, repr=False)

    @property
    def feature_names(self) -> list[str]:
        """Feature columns the model expects, in order."""
        return [f["name"] for f in self.card["features"]]

    @property
    def rule(self) -> str:
        """Name of the positivity rule the model predicts."""
        return str(self.card["rule"])

    def check_features(self, X: pd.DataFrame) -> pd.DataFrame:
        """Check ``X`` against the card and return its feature columns in order.

        Parameters
        ----------
        X : DataFrame
            Features, one row per scan.

        Returns
        -------
        DataFrame
            ``X`` restricted to the model's features, in the card's order.

        Raises
        ------
        SchemaError
            Naming every missing and every unexpected column.
        TypeError
            When a numeric feature column holds non-numeric values.
        """
        if not isinstance(X, pd.DataFrame):
            raise TypeError(f"X must be a pandas DataFrame, got {type(X).__name__}")
        expected = self.feature_names
        missing = [c for c in expected if c not in X.columns]
        unexpected = [c for c in X.columns if c not in expected]
        if missing or unexpected:
            parts = []
            if missing:
                parts.append(f"missing column(s) {missing}")
            if unexpected:
                parts.append(f"unexpected column(s) {unexpected}")
            raise SchemaError(
                "the data do not match the model's features: "
                + "; ".join(parts)
                + f". The model (rule {self.rule}) expects exactly {expected}"
            )
        for feat in self.card["features"]:
            col = X[feat["name"]]
            if feat["kind"] == "numeric" and not (
                pd.api.types.is_numeric_dtype(col) or col.isna().all()
            ):
                raise TypeError(
                    f"feature {feat['name']!r} must be numeric ({feat['dtype']}), "
                    f"got dtype {col.dtype}"
                )
        return X[expected]

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Predict the probability that each scan is SSTR-positive by :attr:`rule`.

        Parameters
        ----------
        X : DataFrame
            Exactly the model's feature columns (see :meth:`check_features`).

        Returns
        -------
        numpy.ndarray
            Probabilities in [0, 1], one per row of ``X``.
        """
        return self.pipeline.predict_proba(self.check_features(X))[:, 1]

    @property
    def summary(self) -> pd.DataFrame:
        """The card's metrics as a tidy DataFrame (one row per metric)."""
        return pd.DataFrame(self.card.get("metrics", []))

    @property
    def method(self) -> str:
        """One-line description (model, outcome, features, training data)."""
        c = self.card
        return (
            f"SSTR-positivity classifier {c.get('model')}, outcome {c.get('rule')}, "
            f"{len(c.get('features', []))} features; trained on {c.get('n_train')} scans "
            f"({c.get('n_positive')} positive / {c.get('n_negative')} negative)"
        )

    def to_frame(self) -> pd.DataFrame:
        """Same as :attr:`summary`: the validated metrics of the model card."""
        return self.summary

    def _display_frame(self) -> pd.DataFrame:
        """The validated metrics, or the expected features of an unvalidated model."""
        metrics = self.summary
        return metrics if len(metrics.columns) else pd.DataFrame(self.card.get("features", []))


def _json_default(obj: Any) -> Any:
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating,)):
        return None if np.isnan(obj) else float(obj)
    if isinstance(obj, (pd.Timestamp,)):
        return obj.isoformat()
    return str(obj)


def save_model(model: SSTRModel, path: str | os.PathLike[str]) -> Path:
    """Write a model file with skops.

    Parameters
    ----------
    model : SSTRModel
        The model to save.
    path : str or path-like
        Destination, conventionally ending in ``.skops``.

    Returns
    -------
    pathlib.Path
        The path written.

    Examples
    --------
    >>> import netstats
    >>> from netstats import sstr
    >>> cohort = netstats.simulate_cohort(n_patients=60, seed=1)
    >>> ds = sstr.sstr_dataset(cohort)
    >>> import tempfile
    >>> model = sstr.fit_classifier(ds, validation="none", param_grid={})
    >>> path = sstr.save_model(model, tempfile.mkdtemp() + "/model.skops")
    >>> path.name
    'model.skops'
    """
    if not isinstance(model, SSTRModel):
        raise TypeError(f"model must be an SSTRModel, got {type(model).__name__}")
    card = json.dumps(model.card, default=_json_default, sort_keys=True)
    out = Path(path)
    # written next to the destination and renamed: a full disk leaves no half-written file
    # (a fresh name, created with the usual permissions)
    tmp = out.parent / f".{out.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp"
    try:
        sio.dump(
            {"netstats_sstr_model": CARD_VERSION, "pipeline": model.pipeline, "card": card}, tmp
        )
        os.replace(tmp, out)
    except BaseException as exc:
        with contextlib.suppress(OSError):  # never created, or a read-only file system
            tmp.unlink()
        if isinstance(exc, OSError):  # name the file asked for, not the temporary one
            raise OSError(exc.errno, exc.strerror, str(out)) from exc
        raise
    return out


def load_model(path: str | os.PathLike[str]) -> SSTRModel:
    """Load a model file written by :func:`save_model`, refusing untrusted types.

    Parameters
    ----------
    path : str or path-like
        Path of the model file.

    Returns
    -------
    SSTRModel
        The model and its card (``validation`` is ``None``).

    Raises
    ------
    UntrustedModelError
        When the file would create any type outside skops' defaults and
        :data:`TRUSTED_TYPES` (listed in the message); nothing is instantiated.
    SchemaError
        When the file is a skops file but not a netstats SSTR model.

    Notes
    -----
    Never load model files with :mod:`pickle` or :mod:`joblib`: unpickling runs code.

    Examples
    --------
    >>> import netstats
    >>> from netstats import sstr
    >>> cohort = netstats.simulate_cohort(n_patients=60, seed=1)
    >>> ds = sstr.sstr_dataset(cohort)
    >>> import tempfile
    >>> path = sstr.save_model(sstr.fit_classifier(ds, validation="none", param_grid={}),
    ...                        tempfile.mkdtemp() + "/model.skops")
    >>> model = sstr.load_model(path)
    >>> model.rule, model.feature_names[:2]
    ('krenning>=3', ['age_at_scan', 'log_ki67'])
    """
    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(f"model file {os.fspath(path)!r} does not exist")
    try:
        untrusted = sio.get_untrusted_types(file=file)
    except Exception as exc:  # zip/JSON errors: not a skops file
        raise SchemaError(f"{file.name}: not a skops model file ({exc})") from exc
    refused = sorted(set(untrusted) - TRUSTED_TYPES)
    if refused:
        raise UntrustedModelError(
            f"{file.name}: refusing to load untrusted type(s) {refused}; only scikit-learn "
            "pipelines written by netstats are accepted"
        )
    obj = sio.load(file, trusted=sorted(untrusted))
    if not (
        isinstance(obj, dict)
        and obj.get("netstats_sstr_model") == CARD_VERSION
        and isinstance(obj.get("pipeline"), Pipeline)
        and isinstance(obj.get("card"), str)
    ):
        raise SchemaError(f"{file.name}: a skops file, but not a netstats SSTR model file")
    try:
        card = json.loads(obj["card"])
    except ValueError as exc:
        raise SchemaError(f"{file.name}: the model card is not valid JSON ({exc})") from None
    _check_card(card, file.name)
    return SSTRModel(pipeline=obj["pipeline"], card=card)


#: Fields of a model card that prediction needs, and those of each of its features.
_CARD_FIELDS = ("rule", "features")
_FEATURE_FIELDS = ("name", "kind", "dtype")


def _check_card(card: object, name: str) -> None:
    """Refuse a model card that lacks what prediction reads, naming the field."""
    if not isinstance(card, dict):
        raise SchemaError(f"{name}: the model card is not a JSON object")
    missing = [f for f in _CARD_FIELDS if f not in card]
    if missing:
        raise SchemaError(
            f"{name}: the model card lacks the field(s) {', '.join(missing)}; the file was "
            "not written by netstats' save_model or has been edited"
        )
    for key in ("fdg_window_days", "workup_window_days"):
        value = card.get(key, 0)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise SchemaError(
                f"{name}: the model card's {key!r} must be a whole number of days, got {value!r}"
            )
    features = card["features"]
    if not isinstance(features, list) or not all(isinstance(f, dict) for f in features):
        raise SchemaError(f"{name}: the model card's 'features' is not a list of records")
    for i, feat in enumerate(features):
        lacking = [f for f in _FEATURE_FIELDS if f not in feat]
        if lacking:
            raise SchemaError(
                f"{name}: feature {i + 1} of the model card lacks the field(s) {', '.join(lacking)}"
            )
