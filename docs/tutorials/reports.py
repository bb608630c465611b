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
# # Reports
#
# The report notebooks in `analyses/` (jupytext percent files) are thin: a parameters
# cell, calls into netstats, and `netstats.report` for everything that turns numbers into
# a publishable page: Table 1, small-cell suppression, formatting, provenance and the
# privacy scan. This tutorial shows those pieces; the
# [own-export tutorial](../redcap_export/) renders a whole report.

# %%
import tempfile
from pathlib import Path

import pandas as pd

import netstats as ns
from netstats import report, tables

here = [Path.cwd(), *Path.cwd().parents, *Path(ns.__file__).resolve().parents]
ROOT = next(p for p in here if (p / "data" / "synthetic").is_dir())
cohort = ns.load_cohort(ROOT / "data" / "synthetic")

# %% [markdown]
# ## Table 1
#
# `tables.table_one` computes numbers only (a long table); `report.format_table_one`
# makes the printed strings and withholds counts below the threshold, with complementary
# suppression so that a withheld cell cannot be recovered from a total.

# %%
baseline = tables.patient_characteristics(cohort)
t1 = tables.table_one(
    baseline,
    columns=["age_at_diagnosis", "sex", "stage_at_diagnosis", "functional_status", "ki67_percent"],
    group="who_grade",
    nonnormal=["ki67_percent"],
)
report.format_table_one(t1, threshold=5)

# %%
t1.summary.head(8)

# %% [markdown]
# ## Small cells
#
# `suppress_counts` withholds counts below the threshold in a table of counts, and as
# many further cells as needed so that the row and column totals do not give them away.

# %%
by_stage = (
    baseline.groupby(["stage_at_diagnosis", "functional_status"]).size().rename("n").reset_index()
)
report.suppress_counts(
    by_stage, count="n", rows=["stage_at_diagnosis"], cols=["functional_status"], threshold=5
).pivot(index="stage_at_diagnosis", columns="functional_status", values="n")

# %% [markdown]
# ## Formatting
#
# The only place numbers become strings: rounding half up, estimates with their CI,
# p-values with a floor.

# %%
pd.DataFrame(
    {
        "call": [
            "fmt_estimate_ci(16.43, 15.69, 17.18)",
            "fmt_p(0.0000123)",
            "fmt_p(0.04999)",
            "fmt_count_percent(37, 490)",
            "fmt_median_iqr(12.0, 6.5, 20.25)",
        ],
        "result": [
            report.fmt_estimate_ci(16.43, 15.69, 17.18),
            report.fmt_p(0.0000123),
            report.fmt_p(0.04999),
            report.fmt_count_percent(37, 490),
            report.fmt_median_iqr(12.0, 6.5, 20.25),
        ],
    }
)

# %% [markdown]
# ## Provenance
#
# Every report starts with what produced it: the netstats version and commit, a hash of
# each input file, the endpoint rules, seeds, parameters and package versions.

# %%
prov = report.provenance(ROOT / "data" / "synthetic", seeds={"seed": 1})
prov.to_frame().query("item not in ['data source', 'platform']")

# %% [markdown]
# ## Writing outputs and scanning them
#
# A notebook exports each table as CSV and each figure as PNG and SVG through
# `ReportOutputs`. Before a report is published, `check_outputs` scans every file for
# patient identifiers and for dates; `render` refuses to publish a report that fails.
# Here a table that lists patients on purpose is caught:

# %%
with tempfile.TemporaryDirectory() as tmp:
    out = report.ReportOutputs(tmp, notebook="demo")
    out.table("stage", by_stage, caption="Patients by stage and syndrome")
    out.table("leaky", cohort.patients[["patient_id", "sex"]].head(3), caption="Do not do this")
    findings = report.check_outputs(
        tmp, identifiers=report.cohort_identifiers(cohort), raise_on_finding=False
    )
    files = sorted(p.name for p in Path(tmp).rglob("*") if p.is_file())
print("files written:", files)
found = pd.DataFrame([(f.file, f.kind) for f in findings], columns=["file", "kind"])
found.value_counts().rename("findings").to_frame()

# %% [markdown]
# ## The report notebooks
#
# Their parameters, as `netstats report` can set them with `-p NAME=VALUE`:

# %%
pd.DataFrame(
    [
        {"notebook": name, "parameters": ", ".join(report.notebook_parameters(path))}
        for name in report.list_notebooks(ROOT / "analyses")
        for path in [ROOT / "analyses" / f"{name}.py"]
    ]
)

# %% [markdown]
# From a shell, `netstats report --data data/synthetic --out reports/synthetic` renders the
# default notebooks (HTML with and without code, a Word document, every table as CSV, every
# figure as PNG and SVG, an `index.html`); from Python, `report.render("analyses", data=..., out=...)`.
