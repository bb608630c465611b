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
# Which clinicopathologic features predict a positive SSTR-PET at baseline, validated by
# repeated nested cross-validation (tuning inside, estimate outside): discrimination,
# calibration and decision curves for a penalised logistic model and gradient boosting,
# the logistic model's odds ratios, and how often SSTR-negative tumours turn positive on a
# later scan after systemic therapy (re-expression). Counts below the suppression threshold
# are withheld.

# %% tags=["parameters"]
# ruff: noqa: E402
data = "../data/synthetic"
output_dir = "."
seed = 20261122
suppression_threshold = 5
endpoint_rules = ""
rendered_at = ""
krenning_min = 3  # positive when the Krenning score is at least this (2 or 3)
n_repeats = 3
min_per_class = 10

# %%
from IPython.display import Markdown, display

import netstats as ns
from netstats import plots, report, sstr

guard = report.Disclosure(threshold=suppression_threshold)
out = report.ReportOutputs(output_dir, notebook="SSTR-PET positivity", disclosure=guard)
rule = f"krenning>={krenning_min}"
prov = report.provenance(
    data,
    endpoint_rules=endpoint_rules or None,
    seeds={"seed": seed},
    parameters={
        "krenning_min": krenning_min,
        "n_repeats": n_repeats,
        "min_per_class": min_per_class,
        "suppression_threshold": suppression_threshold,
    },
    rendered_at=rendered_at or None,
)

# %%
cohort = ns.load_cohort(data)
dataset = sstr.sstr_dataset(cohort, rule=rule)
counts = dataset.y.value_counts().reindex([1, 0], fill_value=0)
outcome = (
    counts.rename(index={1: "positive", 0: "negative"}).rename("n").rename_axis("outcome")
).reset_index()
out.table(
    "outcome",
    guard.counts(outcome, count="n"),
    caption=f"Baseline SSTR scans by outcome ({rule})",
)
out.table("excluded", dataset.summary, caption="Scans and patients in the analysis")
enough = int(counts.min()) >= min_per_class
if not enough:
    display(
        Markdown(f"The models are not fitted: fewer than {min_per_class} scans of each outcome.")
    )

# %% [markdown]
# ## Discrimination and calibration (nested cross-validation)

# %%
if enough:
    results = {
        name: sstr.nested_cv(
            dataset.X,
            dataset.y,
            model=name,
            n_repeats=n_repeats,
            rule=rule,
            random_state=seed,
            progress=False,
        )
        for name in ("logistic", "gradient_boosting")
    }
    model_names = {
        "logistic": "penalised logistic regression",
        "gradient_boosting": "gradient boosting",
    }
    for name, res in results.items():
        display(
            out.table(
                f"cv_{name}",
                res.summary,
                caption=f"Nested cross-validation, {model_names[name]}",
            )
        )
    try:
        comparison = sstr.compare_models(results["logistic"], results["gradient_boosting"])
    except ValueError as exc:  # e.g. both models rank every scan identically
        display(Markdown(f"The two models are not compared: {exc}."))
    else:
        display(
            out.table(
                "cv_comparison",
                comparison,
                caption="Logistic vs gradient boosting (paired DeLong test on pooled predictions)",
            )
        )

# %%
if enough:
    first = {n: r.predictions[r.predictions["repeat"] == 1] for n, r in results.items()}
    ax = None
    for name, pred in first.items():
        auc = sstr.auroc_delong(pred["y"], pred["prob"])
        ax = plots.roc(sstr.roc_curve(pred["y"], pred["prob"]), auc=auc, ax=ax, label=name)
    display(out.figure("roc", ax, caption="ROC curves (out-of-fold predictions, repeat 1)"))
    ax = None
    for name, pred in first.items():
        ax = plots.calibration(sstr.calibration_curve(pred["y"], pred["prob"]), ax=ax, label=name)
    display(out.figure("calibration", ax, caption="Calibration (out-of-fold predictions)"))
    dc = sstr.decision_curve(first["logistic"]["y"], first["logistic"]["prob"])
    display(
        out.figure(
            "decision_curve", plots.decision_curve(dc, label="logistic"), caption="Decision curve"
        )
    )

# %% [markdown]
# ## Odds ratios of the logistic model (fitted on all scans)

# %%
if enough:
    fitted = sstr.fit_classifier(dataset, validation="none", random_state=seed, progress=False)
    display(
        out.table(
            "odds_ratios",
            sstr.odds_ratios(fitted.pipeline, dataset.X, dataset.y),
            caption="Odds ratios of SSTR positivity (penalised logistic regression, per unit "
            "of each feature; each factor level against its reference)",
            estimate="OR",
        )
    )

# %% [markdown]
# ## Re-expression on serial scans
#
# SSTR-negative scans followed by a later SSTR scan; conversion to positive by the therapy
# given in between (exact Clopper-Pearson CIs), and the paired change in uptake.

# %%
pairs = sstr.reexpression_pairs(cohort, rule=rule)
rates = guard.proportions(
    sstr.conversion_rates(pairs), count="n_converted", denominator="n_pairs", also=["n_patients"]
)
display(out.table("conversion_rates", rates, caption="Conversion to SSTR-positive"))
if len(pairs) >= 2:
    display(
        out.table(
            "uptake_change",
            sstr.paired_change(pairs),
            caption="Change in Krenning score and SUVmax between the paired scans",
        )
    )
    q1, med, q3 = (
        report.fmt_number(v) for v in pairs["months_between"].quantile([0.25, 0.5, 0.75])
    )
    display(Markdown(f"Months between the paired scans: median {med} (quartiles {q1} to {q3})."))

# %% [markdown]
# ## Appendix: provenance

# %%
out.provenance(prov)
