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
# # Survival analysis
#
# Kaplan-Meier curves, log-rank tests, Cox models with robust variance, the
# proportional-hazards check, restricted mean survival time, landmark analysis and
# competing risks, on the lines of therapy of the bundled cohort. Every function takes a
# DataFrame first and keyword options, and returns a result whose `.summary` is a tidy
# DataFrame; the choices behind each number are on the [methods](../../methods/) page.

# %%
from pathlib import Path

import numpy as np

import netstats as ns
from netstats import plots, report, survival
from netstats.endpoints import line_endpoints

here = [Path.cwd(), *Path.cwd().parents, *Path(ns.__file__).resolve().parents]
ROOT = next(p for p in here if (p / "data" / "synthetic").is_dir())
cohort = ns.load_cohort(ROOT / "data" / "synthetic")
lines = line_endpoints(cohort)
early = lines[lines["line"] <= 3].assign(line=lambda d: "line " + d["line"].astype(str))

# %% [markdown]
# ## Kaplan-Meier
#
# The confidence interval uses the **log** transform by default, as R's `survfit` does
# (lifelines uses log-log); the transform is a column of every output.

# %%
km = survival.kaplan_meier(early, time="pfs_months", event="pfs_event", group="line")
km.median().round({"estimate": 1, "ci_lower": 1, "ci_upper": 1})

# %% [markdown]
# Survival at fixed times, with the numbers at risk. Reports withhold counts below a
# threshold (`report.suppress_small`); here none is that small.

# %%
report.suppress_small(
    km.at([12, 24]), columns=["n_at_risk", "n_events", "n_censored"], threshold=5
).round(3)

# %%
lr = survival.logrank(early, time="pfs_months", event="pfs_event", group="line")
lr.summary

# %% [markdown]
# The curves with their log-rank p-value. The number-at-risk table under the curves
# (`risk_table=True`) shows the small counts of the tail; reports draw it only when
# suppression is off.

# %%
ax = plots.km(km, p_value=lr.p_value)

# %% [markdown]
# Comparing the regimens of first lines pairwise, with Holm-adjusted p-values:

# %%
first = lines[lines["line"] == 1]
common = first[first["regimen"].isin(["CAPTEM", "lanreotide", "octreotide LAR"])]
survival.pairwise_logrank(common, time="pfs_months", event="pfs_event", group="regimen").round(4)

# %% [markdown]
# ## Cox model
#
# A patient contributes several lines, so rows are not independent: with a `cluster`
# column the variance is the cluster-robust sandwich (as `coxph(..., cluster=id)`).
# Ties are handled by Efron's method. Here PFS by Ki-67 at line start (per doubling) and
# line number, stratified by drug class.

# %%
model_data = lines.dropna(subset=["pfs_months", "ki67_percent"]).assign(
    log2_ki67=lambda d: np.log2(d["ki67_percent"].clip(lower=0.1)),
    line_number=lambda d: d["line"].astype(float),
    pfs_event=lambda d: d["pfs_event"].astype(bool),
)
fit = survival.cox(
    model_data,
    "log2_ki67 + line_number",
    time="pfs_months",
    event="pfs_event",
    strata="drug_class",
    cluster="patient_id",
)
fit.summary.round(3)

# %%
ax = plots.forest(fit, labels={"log2_ki67": "Ki-67, per doubling", "line_number": "per later line"})

# %% [markdown]
# The proportional-hazards check reproduces R's `cox.zph` (survival >= 3.0): a score test
# per term and a global one, with the Kaplan-Meier time transform.

# %%
zph = fit.check_ph(warn=False)
zph.summary.round(3)

# %% [markdown]
# ## Restricted mean survival time
#
# The mean PFS up to 24 months, with the variance of the estimator, and the differences
# between groups.

# %%
res = survival.rmst(early, time="pfs_months", event="pfs_event", group="line", tau=24)
res.summary.round(2)

# %%
res.contrasts.round(3)

# %% [markdown]
# ## Landmark analysis
#
# Grouping by something that happens after time zero (here: an objective response) needs
# a landmark, or the analysis has immortal-time bias. `landmark` keeps the rows still at
# risk at the landmark, resets the clock and says how many rows it left out.

# %%
responders = first.assign(responder=first["best_response"].isin(["CR", "PR"]))
lm = survival.landmark(responders, landmark_time=6, time="os_months", event="os_event")
lm.summary

# %%
survival.kaplan_meier(
    lm.data, time="os_months", event="os_event", group="responder"
).median().round({"estimate": 1, "ci_lower": 1, "ci_upper": 1})

# %% [markdown]
# ## Competing risks
#
# Why lines end: progression, toxicity or death, each a competing event for the others.
# The Aalen-Johansen cumulative incidence handles tied times deterministically; Gray's
# test compares first lines with later ones.

# %%
causes = {"progression": 1, "toxicity": 2, "death": 3}
stop = lines.dropna(subset=["ttf_months"]).assign(
    cause=lambda d: d["ttf_reason"].map(causes).fillna(0).astype(int),
    line_group=lambda d: np.where(d["line"] == 1, "line 1", "line 2+"),
)
cif = survival.cumulative_incidence(stop, time="ttf_months", event="cause", group="line_group")
cif.at([12]).round(3)

# %%
survival.gray_test(stop, time="ttf_months", event="cause", group="line_group").summary.round(4)

# %%
ax = plots.cumulative_incidence(cif)
