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
# # Published case series
#
# The published NET cases bundled in `data/case_series` (sources and date conventions in its
# README): each patient's lines of therapy with the endpoints netstats derives from the
# recorded dates, a swimmer plot, and the SSTR scans on the therapy timeline, including the
# SSTR re-expression after everolimus and after CAPTEM that the reports describe. The cases
# are published, so this report is rendered with suppression off; on any other cohort,
# keep the default threshold.

# %% tags=["parameters"]
# ruff: noqa: E402
data = "../data/case_series"
output_dir = "."
seed = 20261122
suppression_threshold = 0
endpoint_rules = ""
rendered_at = ""
max_patients = 10

# %%
from IPython.display import display

import netstats as ns
from netstats import plots, report, sstr
from netstats.endpoints import CensoringRules, line_endpoints

out = report.ReportOutputs(output_dir, notebook="Published case series")
rules = CensoringRules()
prov = report.provenance(
    data,
    endpoint_rules=endpoint_rules or rules.describe(),
    seeds={"seed": seed},
    parameters={"max_patients": max_patients, "suppression_threshold": suppression_threshold},
    rendered_at=rendered_at or None,
)
out.table("provenance", prov.to_frame(), caption="Code, data and environment of this report")

# %%
cohort = ns.load_cohort(data)
patients = cohort.patients["patient_id"].head(max_patients).tolist()
print(f"{len(patients)} of {cohort.n_patients} patients shown")
print(rules.describe())

# %% [markdown]
# ## Lines of therapy and their endpoints

# %%
lines = line_endpoints(cohort, rules=rules)
lines = lines[lines["patient_id"].isin(patients)]
shown = [
    "patient_id",
    "line",
    "regimen",
    "drug_class",
    "best_response",
    "pfs_months",
    "pfs_event",
    "pfs_reason",
    "ttf_months",
    "ttf_reason",
    "os_months",
    "os_event",
]
display(
    out.table(
        "lines",
        lines.reindex(columns=shown),
        caption="Endpoints per line (months from the line start)",
    )
)
display(
    out.figure(
        "swimmer",
        plots.swimmer(lines, show_ids=True),
        caption="Treatment course of each published case",
    )
)

# %% [markdown]
# ## SSTR imaging on the therapy timeline

# %%
for pid in patients:
    trajectory = sstr.scan_trajectory(cohort, pid)
    if len(trajectory.scans):
        display(
            out.figure(
                report.output_name("scans", pid),
                plots.scan_trajectory(trajectory),
                caption=f"SSTR scans and therapy lines of case {pid}",
            )
        )

# %%
pairs = sstr.reexpression_pairs(cohort)
display(
    out.table(
        "reexpression",
        pairs.drop(columns=["scan_id_before", "scan_id_after"]),
        caption="SSTR-negative scans followed by a later SSTR scan (Krenning >= 3 = positive)",
    )
)
