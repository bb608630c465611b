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
# # Survival by line of therapy
#
# Progression-free and overall survival from the start of each line of therapy: Kaplan-Meier
# curves by line and by regimen with medians, landmark rates and log-rank tests, and
# restricted mean survival times. Numbers at risk below the suppression threshold are
# withheld; curves are drawn with their at-risk table only when suppression is off.
#
# Needs `netstats.endpoints.line_endpoints` (one row per patient and line). Cox models
# with a forest plot, proportional-hazards checks, competing risks and the swimmer plot
# are added when those functions exist.

# %% tags=["parameters"]
# ruff: noqa: E402
data = "../data/synthetic"
output_dir = "."
seed = 20261122
suppression_threshold = 5
endpoint_rules = ""
rendered_at = ""
landmarks = "6,12,24"
rmst_tau = 24.0
max_lines = 3
min_group_size = 10

# %%
from IPython.display import display
from netstats.endpoints import line_endpoints

import netstats as ns
from netstats import plots, report, survival

out = report.ReportOutputs(output_dir, notebook="Survival by line of therapy")
times = [float(t) for t in landmarks.split(",")]
prov = report.provenance(
    data,
    endpoint_rules=endpoint_rules or None,
    seeds={"seed": seed},
    parameters={
        "landmarks": landmarks,
        "rmst_tau": rmst_tau,
        "max_lines": max_lines,
        "min_group_size": min_group_size,
        "suppression_threshold": suppression_threshold,
    },
    rendered_at=rendered_at or None,
)
out.table("provenance", prov.to_frame(), caption="Code, data and environment of this report")

# %%
cohort = ns.load_cohort(data)
lines = line_endpoints(cohort)
lines = lines[lines["line"] <= max_lines].assign(line=lambda d: "line " + d["line"].astype(str))
sizes = lines.groupby("regimen").size()
common = lines[lines["regimen"].isin(sizes[sizes >= min_group_size].index)]
out.table(
    "lines_analysed",
    report.suppress_counts(
        lines.groupby(["line", "regimen"]).size().rename("n").reset_index(),
        count="n",
        rows=["line"],
        cols=["regimen"],
        threshold=suppression_threshold,
    ).drop(columns="total_disclosive"),
    caption="Lines of therapy analysed, by line and regimen",
)

# %% [markdown]
# ## Kaplan-Meier estimates


# %%
def km_section(frame, endpoint, group, label):
    """Curves, medians, landmark rates and log-rank test of one endpoint by one grouping."""
    time, event = f"{endpoint}_months", f"{endpoint}_event"
    km = survival.kaplan_meier(frame, time=time, event=event, group=group)
    lr = survival.logrank(frame, time=time, event=event, group=group)
    name = f"{endpoint}_by_{group}"
    medians = km.median()
    display(
        out.table(
            f"{name}_median",
            medians.assign(
                median_ci=[
                    report.fmt_estimate_ci(e, lo, hi)
                    for e, lo, hi in zip(
                        medians["estimate"], medians["ci_lower"], medians["ci_upper"], strict=True
                    )
                ]
            ),
            caption=f"Median {endpoint.upper()} (months) by {label}",
        )
    )
    at = report.suppress_small(
        km.at(times),
        columns=["n_at_risk", "n_events", "n_censored"],
        threshold=suppression_threshold,
    )
    display(out.table(f"{name}_landmarks", at, caption=f"{endpoint.upper()} at {landmarks} months"))
    ax = plots.km(km, risk_table=suppression_threshold == 0, p_value=lr.p_value)
    display(
        out.figure(
            name,
            ax,
            caption=f"{endpoint.upper()} by {label}, log-rank p {report.fmt_p(lr.p_value)}",
        )
    )


for endpoint in ("pfs", "os"):
    km_section(lines, endpoint, "line", "line of therapy")
    if len(common):
        km_section(common, endpoint, "regimen", f"regimen (at least {min_group_size} lines)")

# %% [markdown]
# ## Restricted mean survival time

# %%
if len(common):
    res = survival.rmst(common, time="pfs_months", event="pfs_event", group="regimen", tau=rmst_tau)
    display(out.table("pfs_rmst", res.summary, caption=f"RMST of PFS up to {rmst_tau} months"))
    display(
        out.table(
            "pfs_rmst_contrasts",
            res.contrasts.assign(p=res.contrasts["p_value"].map(report.fmt_p)),
            caption="Differences in RMST between regimens",
        )
    )
