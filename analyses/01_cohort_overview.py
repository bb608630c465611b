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
# # Cohort overview
#
# Baseline characteristics (Table 1) by a grouping, the records excluded or flagged on the
# way in, and the completeness of every table. Counts below the suppression threshold are
# withheld, with complementary suppression, and shown as `*`.

# %% tags=["parameters"]
# ruff: noqa: E402
data = "../data/synthetic"
output_dir = "."
seed = 20261122
suppression_threshold = 5
endpoint_rules = ""
rendered_at = ""
group = "who_grade"

# %%
from IPython.display import Markdown, display

import netstats as ns
from netstats import labels, report, tables

guard = report.Disclosure(threshold=suppression_threshold)
out = report.ReportOutputs(output_dir, notebook="Cohort overview", disclosure=guard)
prov = report.provenance(
    data,
    endpoint_rules=endpoint_rules or None,
    seeds={"seed": seed},
    parameters={"group": group, "suppression_threshold": suppression_threshold},
    rendered_at=rendered_at or None,
)

# %%
cohort = ns.load_cohort(data)
baseline = tables.patient_characteristics(cohort)
counts = cohort.summary()[["table", "n_rows", "n_patients"]]
out.table("tables", counts, caption="Records and patients per table")

# %% [markdown]
# ## Table 1

# %%
# A grouping with a single level (e.g. every patient of a case series G2) adds nothing.
by = group if group and baseline[group].dropna().nunique() > 1 else None
t1 = tables.table_one(
    baseline,
    columns=[
        c
        for c in [
            "age_at_diagnosis",
            "sex",
            "primary_site",
            "functional_status",
            "hereditary_syndrome",
            "stage_at_diagnosis",
            "who_grade",
            "ki67_percent",
            "first_line_class",
        ]
        if c != by
    ],
    group=by,
    nonnormal=["ki67_percent"],
)
out.table(
    "table1",
    report.format_table_one(t1, threshold=suppression_threshold),
    caption=f"Baseline characteristics by {labels.label(by, unit=False)}"
    if by
    else "Baseline characteristics",
)

# %%
t1_shown = guard.table_one(t1)
if t1_shown.notes:
    display(Markdown(f"Small cells: {t1_shown.note}."))
out.table(
    "table1_long",
    t1_shown.summary,
    caption="Table 1 as numbers (one row per variable, level and group)",
    preview=False,
)

# %% [markdown]
# ## Flow of records
#
# Validation warnings (rows kept but flagged) by table and rule, and exclusions logged by
# analyses.

# %%
problems = (
    cohort.problems.groupby(["severity", "table", "column", "rule"], dropna=False)
    .size()
    .rename("n")
    .reset_index()
)
out.table(
    "validation_warnings",
    guard.counts(problems, count="n", rows=["table"]),
    caption="Validation warnings by table and rule (counts of rows)",
)

# %%
out.table(
    "attrition",
    cohort.attrition.to_frame(),
    caption="Exclusions recorded while building the analysis data",
)

# %% [markdown]
# ## Data completeness

# %%
completeness = tables.data_completeness(cohort.tables)
cells = completeness.melt(
    id_vars=["table", "column"],
    value_vars=["n_present", "n_missing"],
    var_name="status",
    value_name="n",
)
out.table(
    "completeness",
    guard.counts(cells, count="n", rows=["table", "column"]).sort_values(
        ["table", "column", "status"], kind="stable"
    ),
    caption="Values present and missing per table and column",
)

# %% [markdown]
# ## Appendix: provenance

# %%
out.provenance(prov)
