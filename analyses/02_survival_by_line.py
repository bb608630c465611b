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
# restricted mean survival times. Counts below the suppression threshold are withheld; the
# curves keep their number-at-risk table (small numbers shown as "<k"), each drawn step joins
# at least k events and a curve stops where fewer than k remain at risk.
#
# Then a Cox model of PFS (robust variance clustered on the patient, since one patient
# contributes several lines) with its forest plot and proportional-hazards checks, and the
# competing reasons a line ends (progression, toxicity, death). A swimmer plot of individual
# patients is drawn only when suppression is off or on request.

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
min_events = 20  # fewest PFS events for the Cox model (10 per parameter)
min_cohort_size = 20  # fewer patients: descriptive note only, no cells tagged cohort-only
individual_plots = False  # swimmer plot of individual patients (opt-in while suppressing)

# %%
import numpy as np
import pandas as pd
from IPython.display import Markdown, display

import netstats as ns
from netstats import plots, report, survival
from netstats.endpoints import line_endpoints
from netstats.labels import endpoint_label

guard = report.Disclosure(threshold=suppression_threshold)
out = report.ReportOutputs(output_dir, notebook="Survival by line of therapy", disclosure=guard)
times = [float(t) for t in landmarks.split(",")]
at_times = (
    ", ".join(f"{t:g}" for t in times[:-1]) + f" and {times[-1]:g}"
    if len(times) > 1
    else f"{times[0]:g}"
)
prov = report.provenance(
    data,
    endpoint_rules=endpoint_rules or None,
    seeds={"seed": seed},
    parameters={
        "landmarks": landmarks,
        "rmst_tau": rmst_tau,
        "max_lines": max_lines,
        "min_group_size": min_group_size,
        "min_events": min_events,
        "min_cohort_size": min_cohort_size,
        "individual_plots": individual_plots,
        "suppression_threshold": suppression_threshold,
    },
    rendered_at=rendered_at or None,
)

# %%
cohort = ns.load_cohort(data)
all_lines = line_endpoints(cohort)
display(out.table("attrition", cohort.attrition.to_frame(), caption="Records left out, and why"))
lines = all_lines[all_lines["line"] <= max_lines].assign(
    line=lambda d: "line " + d["line"].astype(str)
)
sizes = lines.groupby("regimen").size()
common = lines[lines["regimen"].isin(sizes[sizes >= min_group_size].index)]
out.table(
    "lines_analysed",
    guard.counts(
        lines.groupby(["line", "regimen"]).size().rename("n").reset_index(),
        count="n",
        rows=["line"],
        cols=["regimen"],
    ),
    caption="Lines of therapy analysed, by line and regimen",
)

# %%
# Below min_cohort_size the renderer drops the cells tagged cohort-only (the statistics).
if cohort.n_patients < min_cohort_size:
    display(
        Markdown(
            f"This cohort has {cohort.n_patients} patients, fewer than the {min_cohort_size} "
            "this report needs for survival estimates: Kaplan-Meier curves, log-rank tests, "
            "the Cox model, RMST and competing risks are not shown. Describe the patients "
            "one by one instead (the case-series report, 05_case_series)."
        )
    )

# %% [markdown] tags=["cohort-only"]
# ## Kaplan-Meier estimates


# %% tags=["cohort-only"]
def km_section(frame, endpoint, group, label):
    """Curves, medians, landmark rates and log-rank test of one endpoint by one grouping."""
    time, event = f"{endpoint}_months", f"{endpoint}_event"
    km = survival.kaplan_meier(frame, time=time, event=event, group=group)
    lr = survival.logrank(frame, time=time, event=event, group=group)
    name = f"{endpoint}_by_{group}"
    medians = km.median()
    short = endpoint_label(endpoint, short=True)
    display(
        out.table(
            f"{name}_median",
            medians.rename(columns={"group": group}),
            caption=f"Median {short} (months) by {label}",
            estimate="Median",
        )
    )
    at = guard.km_at(km.at(times))
    display(
        out.table(
            f"{name}_landmarks",
            at.rename(columns={"group": group}),
            caption=f"{short} at {at_times} months by {label}",
        )
    )
    ax = plots.km(km, threshold=suppression_threshold, p_value=lr.p_value, endpoint=endpoint)
    display(
        out.figure(
            name,
            ax,
            caption=f"{short} by {label}, log-rank p {report.fmt_p(lr.p_value)}",
        )
    )


for endpoint in ("pfs", "os"):
    km_section(lines, endpoint, "line", "line of therapy")
    if len(common):
        km_section(common, endpoint, "regimen", f"regimen (at least {min_group_size} lines)")

# %% [markdown] tags=["cohort-only"]
# ## Restricted mean survival time

# %% tags=["cohort-only"]
if len(common):
    res = survival.rmst(common, time="pfs_months", event="pfs_event", group="regimen", tau=rmst_tau)
    display(
        out.table(
            "pfs_rmst",
            res.summary.rename(columns={"group": "regimen"}),
            caption=f"RMST of PFS up to {rmst_tau:g} months",
            estimate="RMST (months)",
        )
    )
    display(
        out.table(
            "pfs_rmst_contrasts",
            res.contrasts,
            caption="Differences (months) and ratios of RMST between regimens",
        )
    )


# %% [markdown] tags=["cohort-only"]
# ## Cox model of PFS
#
# Hazard ratio per doubling of Ki-67 at line start and per later line, stratified by drug
# class (each class its own baseline hazard); Efron ties; robust (sandwich) variance
# clustered on the patient.

# %% tags=["cohort-only"]
model_data = all_lines.dropna(subset=["pfs_months", "ki67_percent"]).assign(
    log2_ki67=lambda d: np.log2(d["ki67_percent"].clip(lower=0.1)),
    line_number=lambda d: d["line"].astype(float),
    pfs_event=lambda d: d["pfs_event"].astype(bool),
)
display(
    out.table(
        "cox_rows",
        pd.DataFrame(
            {
                "lines_with_pfs": [int(all_lines["pfs_months"].notna().sum())],
                "without_ki67_at_start": [
                    int((all_lines["pfs_months"].notna() & all_lines["ki67_percent"].isna()).sum())
                ],
                "analysed": [len(model_data)],
            }
        ),
        caption="Lines in the Cox model (lines with no Ki-67 before their start are left out)",
    )
)
n_pfs_events = int(model_data["pfs_event"].sum())
fit_cox = n_pfs_events >= min_events
if not fit_cox:
    display(
        Markdown(
            f"The Cox model is not fitted: {n_pfs_events} PFS events, fewer than the "
            f"{min_events} it needs."
        )
    )
fit = None
if fit_cox:
    try:
        fit = survival.cox(
            model_data,
            "log2_ki67 + line_number",
            time="pfs_months",
            event="pfs_event",
            strata="drug_class",
            cluster="patient_id",
        )
    except ns.ConvergenceError as exc:  # e.g. monotone likelihood in a small cohort
        display(Markdown(f"The Cox model is not shown: {exc}."))
if fit is not None:
    display(
        out.table(
            "pfs_cox",
            guard.model(fit.summary, n_obs=n_pfs_events, n_params=len(fit.summary)),
            caption="Cox model of PFS, stratified by drug class, robust variance clustered "
            "on the patient",
        )
    )
    display(out.table("pfs_cox_tests", fit.tests, caption="Global tests of the Cox model"))
    display(
        out.figure(
            "pfs_cox_forest",
            plots.forest(fit),
            caption="Hazard ratios for PFS (95 % CI, robust SE)",
        )
    )


# %% [markdown] tags=["cohort-only"]
# ### Proportional hazards
#
# Score test of R's `cox.zph` (Kaplan-Meier time transform) per term and global, and the
# scaled Schoenfeld residuals with a smooth.

# %% tags=["cohort-only"]
if fit is not None:
    zph = fit.check_ph(warn=False)
    display(out.table("pfs_cox_ph", zph.summary, caption="Proportional-hazards tests"))
    panels = plots.schoenfeld(zph)
    display(out.figure("pfs_cox_schoenfeld", panels.flat[0], caption="Scaled Schoenfeld residuals"))


# %% [markdown] tags=["cohort-only"]
# ## Why lines end: competing risks
#
# Cumulative incidence of stopping for progression, toxicity, death or another reason
# (time to treatment failure; planned completions and lines still running are censored).

# %% tags=["cohort-only"]
causes = {"progression": 1, "toxicity": 2, "death": 3, "patient_choice": 4, "other": 4}
stop = all_lines.dropna(subset=["ttf_months"]).assign(
    stop_cause=lambda d: d["ttf_reason"].map(causes).fillna(0).astype(int),
    line_group=lambda d: np.where(d["line"] == 1, "line 1", "line 2+"),
)
cif = survival.cumulative_incidence(stop, time="ttf_months", event="stop_cause", group="line_group")
labels = {1: "progression", 2: "toxicity", 3: "death", 4: "other stop"}
cif_at = guard.km_at(
    cif.at(times).assign(cause=lambda d: d["cause"].map(labels).fillna(d["cause"]))
)
display(
    out.table(
        "stop_cif_at",
        cif_at.rename(columns={"group": "line_group"}),
        caption=f"Cumulative incidence at {at_times} months",
    )
)
gray = survival.gray_test(stop, time="ttf_months", event="stop_cause", group="line_group")
display(
    out.table(
        "stop_gray",
        gray.summary.assign(cause=lambda d: d["cause"].map(labels).fillna(d["cause"])),
        caption="Gray's test, line 1 vs later lines",
    )
)
display(
    out.figure(
        "stop_cif",
        plots.cumulative_incidence(
            cif,
            threshold=suppression_threshold,
            cause_names={1: "Progression", 2: "Toxicity", 3: "Death", 4: "Other reason"},
        ),
        caption="Cumulative incidence of the reasons a line ends",
    )
)

# %% [markdown]
# ## Swimmer plot

# %%
patients = all_lines["patient_id"].drop_duplicates()
if suppression_threshold == 0 or (individual_plots and patients.size >= suppression_threshold):
    shown = patients.iloc[:60]
    display(
        out.figure(
            "swimmer",
            plots.swimmer(all_lines[all_lines["patient_id"].isin(shown)]),
            caption=f"Treatment course of {shown.size} patients: each bar one patient (ranked, "
            "never identified), segments coloured by drug class",
        )
    )
else:
    display(
        Markdown(
            "The swimmer plot shows individual patients' courses, so it is left out while "
            "small cells are suppressed; render with `-p individual_plots=true` to include it."
        )
    )

# %% [markdown]
# ## Appendix: provenance

# %%
out.provenance(prov)
