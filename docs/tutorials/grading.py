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
# # Ki-67 and WHO grade
#
# WHO 2019 grading of neuroendocrine tumours from Ki-67 and the mitotic count, the
# uncertainty that comes from counting a finite number of cells, and the agreement of
# grades between a primary tumour and its metastasis. The cut-offs are named, cited
# constants of `netstats.grading`; the [methods](../../methods/) page lists them.

# %%
from pathlib import Path

import pandas as pd

import netstats as ns
from netstats import grading, plots, report

here = [Path.cwd(), *Path.cwd().parents, *Path(ns.__file__).resolve().parents]
ROOT = next(p for p in here if (p / "data" / "synthetic").is_dir())
cohort = ns.load_cohort(ROOT / "data" / "synthetic")

# %% [markdown]
# ## Grading
#
# G1: Ki-67 < 3 % and < 2 mitoses per 2 mm²; G2: Ki-67 3-20 % or 2-20 mitoses; G3: above
# 20. The higher grade wins when the two markers disagree; a poorly differentiated
# carcinoma is NEC whatever its numbers. Boundaries are exact: 3.0 % is G2, 20.0 % is G2.

# %%
examples = pd.DataFrame(
    {
        "ki67_percent": [2.9, 3.0, 20.0, 20.01, 1.0, None, 35.0],
        "mitoses_per_2mm2": [1, None, 5, None, 4, 25, None],
        "differentiation": ["well", "well", "well", "well", "well", "well", "poor"],
    }
)
detail = grading.who_grade_detail(
    examples["ki67_percent"],
    examples["mitoses_per_2mm2"],
    differentiation=examples["differentiation"],
)
pd.concat(
    [examples, detail.drop(columns=["ki67_percent", "mitoses_per_2mm2"], errors="ignore")], axis=1
)

# %% [markdown]
# `grade_specimens` grades a whole pathology table and adds the counting uncertainty of
# each Ki-67 index. Specimens by site and grade:

# %%
graded = grading.grade_specimens(cohort.pathology)
specimens = cohort.pathology[["sample_id", "site"]].merge(graded, on="sample_id")
pd.crosstab(specimens["site"], specimens["who_grade"].astype("string").fillna("not graded"))

# %% [markdown]
# ## Counting uncertainty
#
# A Ki-67 index is a proportion of counted cells, so it has a binomial error. An index of
# 2.6 % on 500 cells has an exact (Clopper-Pearson) interval that crosses the 3 % cut-off:

# %%
grading.ki67_interval([13, 52], [500, 2000]).round(4)

# %% [markdown]
# The probability of each true grade given the count (Jeffreys prior), and how many cells
# would be needed to be 95 % sure of the grade:

# %%
grading.grade_probabilities([13, 52], [500, 2000]).round(3)

# %%
grading.cells_needed([1.5, 2.6, 18.0]).round(3)

# %%
ax = plots.grade_probability_plot(grading.grade_probability_curve([500, 2000]))

# %% [markdown]
# Over the whole cohort, the expected number of specimens graded differently from their
# true grade because of counting error alone:

# %%
counted = cohort.pathology.dropna(subset=["ki67_positive_cells", "ki67_cells_counted"])
grading.expected_misgraded(counted["ki67_positive_cells"], counted["ki67_cells_counted"]).round(3)

# %% [markdown]
# ## Primary versus metastasis
#
# `build_pairs` forms primary/metastasis pairs (synchronous when taken within 90 days)
# and says how many specimens it left out and why.

# %%
pairs = grading.build_pairs(cohort.pathology, kind="primary_metastasis")
pairs.summary

# %% [markdown]
# `concordance` gives the cross-table of grades, Cohen's kappa (unweighted, linear and
# quadratic, with the Fleiss-Cohen-Everitt variance), the shares upgraded and downgraded,
# Bowker's and Stuart-Maxwell's tests, and agreement of the Ki-67 values on the log scale.
# A patient may contribute several pairs, so CIs come from a patient-level bootstrap
# when that happens.

# %%
conc = grading.concordance(pairs, log_offset=0.5, random_state=1)
conc.cross_table

# %%
conc.agreement.round(3)

# %%
conc.tests.round(4)

# %%
ax = plots.grade_migration(conc)

# %%
conc.ki67.round(3)

# %% [markdown]
# Formatted for a report, with the estimate and its CI in one string:

# %%
conc.agreement.assign(
    estimate_ci=[
        report.fmt_estimate_ci(e, lo, hi, digits=2)
        for e, lo, hi in zip(
            conc.agreement["estimate"],
            conc.agreement["ci_lower"],
            conc.agreement["ci_upper"],
            strict=True,
        )
    ]
)[["statistic", "estimate_ci"]]
