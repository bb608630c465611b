# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # SSTR-PET positivity
#
# Which patients have SSTR-negative disease on their baseline PET? `netstats.sstr` builds
# leakage-free features (only what was known on the scan date), validates classifiers by
# repeated nested cross-validation, reports discrimination and calibration with
# confidence intervals, writes safe model files, and follows SSTR re-expression on serial
# scans.

# %%
import tempfile
from pathlib import Path

import netstats as ns
from netstats import plots, sstr

here = [Path.cwd(), *Path.cwd().parents, *Path(ns.__file__).resolve().parents]
ROOT = next(p for p in here if (p / "data" / "synthetic").is_dir())
cohort = ns.load_cohort(ROOT / "data" / "synthetic")

# %% [markdown]
# ## Outcome and features
#
# The outcome of a scan is its positivity by a named rule (default `krenning>=3`, the
# usual threshold for PRRT); the rule name travels with every result.

# %%
list(sstr.POSITIVITY_RULES)

# %%
dataset = sstr.sstr_dataset(cohort, rule="krenning>=3")
dataset.summary

# %%
dataset.y.value_counts().rename(index={1: "positive", 0: "negative"}).to_frame("scans")

# %%
dataset.X.describe(include="all").T[["count", "mean", "unique", "top"]]

# %% [markdown]
# ## Nested cross-validation
#
# Tuning happens inside each outer training fold and the estimate comes from the outer
# folds only. One repeat of 5 x 5 folds keeps this page fast; the default is 10 repeats.
# AUROC has a DeLong CI; calibration intercept and slope are computed as in
# `rms::val.prob`.

# %%
cv = {
    name: sstr.nested_cv(
        dataset.X,
        dataset.y,
        model=name,
        n_repeats=1,
        rule="krenning>=3",
        random_state=1,
        progress=False,
    )
    for name in ("logistic", "gradient_boosting")
}
cv["logistic"].summary.round(3)

# %%
sstr.compare_models(cv["logistic"], cv["gradient_boosting"]).round(4)

# %%
ax = None
for name, res in cv.items():
    pred = res.predictions
    ax = plots.roc(sstr.roc_curve(pred["y"], pred["prob"]), ax=ax, label=name)

# %%
pred = cv["logistic"].predictions
ax = plots.calibration(sstr.calibration_curve(pred["y"], pred["prob"]), label="logistic")

# %%
ax = plots.decision_curve(sstr.decision_curve(pred["y"], pred["prob"]))

# %% [markdown]
# ## A model to use
#
# `fit_classifier` fits the final model on every scan (here without validating it again;
# by default it runs the nested cross-validation above and stores the result with the
# model) and returns an `SSTRModel`: the fitted pipeline, the rule, the features and a
# model card. Model files are skops files; loading refuses any type not on a trusted list.

# %%
model = sstr.fit_classifier(dataset, validation="none", random_state=1, progress=False)

# %%
with tempfile.TemporaryDirectory() as tmp:
    path = sstr.save_model(model, Path(tmp) / "sstr.skops")
    loaded = sstr.load_model(path)
    prob = loaded.pipeline.predict_proba(dataset.X)[:, 1]
print(f"mean predicted probability of a positive scan: {prob.mean():.3f}")

# %% [markdown]
# The same from the command line: `netstats sstr train COHORT --out model.skops` and
# `netstats sstr predict model.skops COHORT`.
#
# ## Re-expression on serial scans
#
# SSTR-negative scans followed by a later SSTR scan: how often the later scan is positive,
# by the therapy given in between (exact Clopper-Pearson CIs).

# %%
pairs = sstr.reexpression_pairs(cohort, rule="krenning>=3")
sstr.conversion_rates(pairs).round(3)

# %%
sstr.paired_change(pairs).round(3)
