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
# # Resampling and trial design
#
# `netstats.resample` bootstraps survival statistics fast and reproducibly; `netstats.design`
# sizes a trial with a time-to-event endpoint in closed form and checks the design by
# simulation. Both take `n_jobs` or a Dask `client` and give the same numbers for a seed
# whatever the backend (see [performance](../../performance/) for timings and scaling out).

# %%
from pathlib import Path

import numpy as np
import pandas as pd

import netstats as ns
from netstats import design, resample
from netstats.endpoints import line_endpoints

here = [Path.cwd(), *Path.cwd().parents, *Path(ns.__file__).resolve().parents]
ROOT = next(p for p in here if (p / "data" / "synthetic").is_dir())
lines = line_endpoints(ns.load_cohort(ROOT / "data" / "synthetic"))

# %% [markdown]
# ## Bootstrap of a median
#
# The Kaplan-Meier median PFS over all lines, with a percentile bootstrap CI. A patient
# contributes several lines, so whole patients are resampled (`cluster="patient_id"`);
# resampling rows would pretend the lines are independent.

# %%
by_patient = resample.bootstrap_km_median(
    lines,
    time="pfs_months",
    event="pfs_event",
    cluster="patient_id",
    n_resamples=1000,
    random_state=1,
)
by_row = resample.bootstrap_km_median(
    lines, time="pfs_months", event="pfs_event", n_resamples=1000, random_state=1
)
pd.concat(
    [by_patient.summary.assign(resampled="patients"), by_row.summary.assign(resampled="rows")]
).round(2)

# %% [markdown]
# Same seed, same answer, whatever `n_jobs` or backend: resamples are drawn in blocks,
# each seeded from `random_state`.

# %%
again = resample.bootstrap_km_median(
    lines,
    time="pfs_months",
    event="pfs_event",
    cluster="patient_id",
    n_resamples=1000,
    random_state=1,
    n_jobs=2,
    backend="threading",
)
print("identical:", again.summary.equals(by_patient.summary))

# %% [markdown]
# ## Bootstrap of a Cox model

# %%
data = lines.dropna(subset=["pfs_months", "ki67_percent"]).assign(
    log2_ki67=lambda d: np.log2(d["ki67_percent"].clip(lower=0.1)),
    pfs_event=lambda d: d["pfs_event"].astype(bool),
)
boot = resample.bootstrap_cox(
    data,
    time="pfs_months",
    event="pfs_event",
    covariates=["log2_ki67"],
    cluster="patient_id",
    n_resamples=200,
    random_state=1,
)
boot.summary.round(3)

# %% [markdown]
# ## Sample size and power
#
# Events needed for a two-sided log-rank test (Schoenfeld's formula, or Freedman's), and
# patients under exponential survival with uniform accrual. A trial of a new second-line
# therapy against everolimus (median PFS 11 months, RADIANT-3) hoping for a hazard ratio
# of 0.7, 24 months of accrual and 12 of further follow-up:

# %%
plan = design.sample_size_survival(0.7, power=0.8, control_median=11, accrual=24, follow_up=12)
plan.summary

# %%
design.sample_size_survival(0.7, power=0.8, method="freedman").summary

# %% [markdown]
# Power for a given number of events, e.g. if only 200 events can be expected:

# %%
round(design.power_survival(0.7, n_events=200), 3)

# %% [markdown]
# ## Checking the design by simulation
#
# `simulate_power` runs the trial many times (exponential times, uniform accrual,
# administrative censoring, a log-rank test each time) and reports the share of
# significant results with its Monte-Carlo CI.

# %%
n_patients = int(np.ceil(plan.summary["n_patients"].iloc[0]))
trial = design.ExponentialTrial(
    n_patients=n_patients, hazard_ratio=0.7, control_median=11, accrual=24, follow_up=12
)
design.simulate_power(trial, n_sims=1000, random_state=1).summary.round(3)
