"""Model files (skops + model card), untrusted-type refusal, and the train/predict commands."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from scipy.special import expit
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from netstats.cohort import Cohort
from netstats.exceptions import SchemaError
from netstats.io import save_cohort
from netstats.sstr import (
    FEATURES,
    SSTRModel,
    UntrustedModelError,
    data_sha256,
    fit_classifier,
    load_model,
    predict_command,
    save_model,
    sstr_dataset,
    train_command,
)


def make_cohort(n: int = 90, seed: int = 4) -> Cohort:
    """A small cohort whose baseline Krenning score follows a known logistic model."""
    rng = np.random.default_rng(seed)
    ids = [f"P{i:03d}" for i in range(n)]
    dx = pd.Timestamp("2018-01-01") + pd.to_timedelta(rng.integers(0, 900, n), unit="D")
    patients = pd.DataFrame(
        {
            "patient_id": ids,
            "sex": rng.choice(["female", "male"], n),
            "age_at_diagnosis": rng.normal(60, 10, n).round(1),
            "diagnosis_date": dx.strftime("%Y-%m-%d"),
            "primary_site": "pancreas",
            "stage_at_diagnosis": rng.choice(["III", "IV"], n),
            "last_contact_date": (dx + pd.Timedelta(days=1500)).strftime("%Y-%m-%d"),
        }
    )
    ki67 = np.exp(rng.normal(1.5, 0.9, n)).clip(0.5, 80).round(1)
    pathology = pd.DataFrame(
        {
            "patient_id": ids,
            "sample_id": [f"S{i:03d}" for i in range(n)],
            "sample_date": dx.strftime("%Y-%m-%d"),
            "site": "primary",
            "differentiation": "well",
            "ki67_percent": ki67,
            "mitoses_per_2mm2": rng.poisson(3, n),
            "sstr2a_ihc": rng.integers(0, 4, n),
            "tumour_size_mm": rng.integers(10, 60, n).astype(float),
        }
    )
    p = expit(3.0 - 1.3 * np.log(ki67) + 0.6 * pathology["sstr2a_ihc"])
    positive = rng.random(n) < p
    krenning = np.where(positive, rng.integers(3, 5, n), rng.integers(0, 3, n))
    imaging = pd.DataFrame(
        {
            "patient_id": ids,
            "scan_id": [f"I{i:03d}" for i in range(n)],
            "scan_date": (dx + pd.Timedelta(days=20)).strftime("%Y-%m-%d"),
            "tracer": "68Ga-DOTATATE",
            "krenning_score": krenning,
            "suvmax_lesion": np.where(positive, 25.0, 5.0),
            "suvmax_liver": 8.0,
            "suvmax_spleen": 20.0,
            "liver_burden_percent": rng.integers(0, 60, n),
        }
    )
    lines = pd.DataFrame(
        {
            "patient_id": ids,
            "line": 1,
            "regimen": "octreotide LAR",
            "start_date": (dx + pd.Timedelta(days=40)).strftime("%Y-%m-%d"),
            "end_reason": "ongoing",
        }
    )
    return Cohort.from_tables(patients, pathology, lines, imaging)


@pytest.fixture(scope="module")
def cohort() -> Cohort:
    return make_cohort()


@pytest.fixture(scope="module")
def fitted(cohort) -> SSTRModel:
    model = fit_classifier(
        cohort,
        param_grid={"model__C": [0.1, 1.0]},
        n_outer=3,
        n_inner=3,
        n_repeats=1,
        progress=False,
    )
    return model


def test_card_contents(fitted, cohort):
    card = fitted.card
    ds = sstr_dataset(cohort)
    assert card["rule"] == "krenning>=3"
    assert "Krenning" in card["rule_description"]
    assert card["training_data_sha256"] == data_sha256(ds.X, ds.y.to_numpy())
    assert [f["name"] for f in card["features"]] == list(FEATURES)
    assert {f["dtype"] for f in card["features"]} == {"float64", "object"}
    assert card["n_train"] == 90
    assert card["n_positive"] + card["n_negative"] == 90
    assert {m["metric"] for m in card["metrics"]} >= {"auroc", "brier", "calibration_slope"}
    assert {"python", "numpy", "pandas", "scikit-learn", "skops"} <= set(card["package_versions"])
    assert card["hyperparameters"]["model__C"] in (0.1, 1.0)
    auroc = fitted.validation.summary.set_index("metric").loc["auroc", "estimate"]
    assert {m["metric"]: m["estimate"] for m in card["metrics"]}["auroc"] == auroc
    assert fitted.validation.rule == "krenning>=3"


def test_roundtrip_keeps_predictions_and_card(fitted, cohort, tmp_path):
    path = save_model(fitted, tmp_path / "model.skops")
    with zipfile.ZipFile(path) as zf:  # a skops zip archive, no pickle inside
        assert "schema.json" in zf.namelist()
        assert not any(name.endswith((".pkl", ".pickle")) for name in zf.namelist())
    loaded = load_model(path)
    assert loaded.validation is None
    X = sstr_dataset(cohort).X
    np.testing.assert_array_equal(loaded.predict_proba(X), fitted.predict_proba(X))
    assert loaded.card == json.loads(json.dumps(fitted.card))


def _custom_function(x):
    return x


def test_crafted_file_with_untrusted_type_is_refused(fitted, tmp_path):
    evil = Pipeline(
        [("f", FunctionTransformer(func=_custom_function)), ("model", fitted.pipeline[-1])]
    )
    path = tmp_path / "evil.skops"
    sio.dump({"netstats_sstr_model": 1, "pipeline": evil, "card": "{}"}, path)
    with pytest.raises(UntrustedModelError, match="_custom_function"):
        load_model(path)


def test_crafted_schema_naming_a_dangerous_builtin_is_refused(fitted, tmp_path):
    """Edit the archive's schema to make loading call os.system: it must be refused."""
    good = save_model(fitted, tmp_path / "good.skops")
    with zipfile.ZipFile(good) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    schema = json.loads(members["schema.json"])
    schema["content"]["pipeline"] = {
        "__class__": "system",
        "__module__": "os",
        "__loader__": "TypeNode",
        "__id__": 999999,
        "protocol": schema["protocol"],
    }
    members["schema.json"] = json.dumps(schema).encode()
    bad = tmp_path / "bad.skops"
    with zipfile.ZipFile(bad, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    with pytest.raises(UntrustedModelError, match="os.system"):
        load_model(bad)


def test_not_a_model_file(tmp_path):
    text = tmp_path / "x.skops"
    text.write_text("not a zip")
    with pytest.raises(SchemaError, match="not a skops model file"):
        load_model(text)
    other = tmp_path / "other.skops"
    sio.dump({"a": 1}, other)
    with pytest.raises(SchemaError, match="not a netstats SSTR model"):
        load_model(other)
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "missing.skops")


def test_missing_and_unexpected_columns_are_named(fitted, cohort):
    X = sstr_dataset(cohort).X.drop(columns=["log_ki67", "sex"]).assign(krenning_score=3)
    with pytest.raises(SchemaError) as err:
        fitted.predict_proba(X)
    msg = str(err.value)
    assert "missing column(s) ['log_ki67', 'sex']" in msg
    assert "unexpected column(s) ['krenning_score']" in msg
    bad = sstr_dataset(cohort).X.assign(log_ki67="high")
    with pytest.raises(TypeError, match="'log_ki67' must be numeric"):
        fitted.predict_proba(bad)


def test_train_and_predict_commands(cohort, tmp_path):
    folder = tmp_path / "cohort"
    save_cohort(cohort, folder)
    model_file = tmp_path / "model.skops"
    trained = train_command(
        folder, model_file, n_repeats=1, n_outer=3, n_inner=3, validation="none", progress=False
    )
    assert model_file.is_file()
    assert trained.card["validation"] == "none"
    out = tmp_path / "pred.csv"
    pred = predict_command(model_file, folder, out=out)
    assert list(pred.columns) == [
        "patient_id",
        "scan_id",
        "scan_date",
        "rule",
        "predicted_probability",
    ]
    assert len(pred) == 90
    assert (pred["rule"] == "krenning>=3").all()
    assert pred["predicted_probability"].between(0, 1).all()
    back = pd.read_csv(out, dtype={"patient_id": str})
    np.testing.assert_allclose(back["predicted_probability"], pred["predicted_probability"])
    # Prediction does not need the outcome: drop every Krenning score and SUV.
    imaging = cohort.imaging.copy()
    imaging[["krenning_score"]] = pd.NA
    no_uptake = Cohort(cohort.patients, cohort.pathology, cohort.therapy_lines, imaging)
    again = predict_command(model_file, no_uptake)
    np.testing.assert_allclose(again["predicted_probability"], pred["predicted_probability"])
    # Scoring a scan not yet done: as of P000's scan date, P000 gets the same probability.
    first = pred.iloc[0]
    as_of = predict_command(model_file, cohort, as_of=first["scan_date"])
    assert len(as_of) == 90
    assert as_of["scan_id"].isna().all()
    row = as_of.set_index("patient_id").loc[first["patient_id"]]
    assert row["predicted_probability"] == pytest.approx(first["predicted_probability"], rel=1e-12)
