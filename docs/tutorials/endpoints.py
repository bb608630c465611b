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
# # Endpoints by line of therapy
#
# `netstats.endpoints.line_endpoints` turns the dated therapy lines of a cohort into one
# row per patient and line, with overall survival (from diagnosis and from the line
# start), progression-free survival, time to treatment failure, time to next treatment,
# duration of therapy and PFS2. The censoring rules are an object whose text every report
# prints; the [endpoint definitions](../../endpoints/) page states them in full, with
# worked examples.

# %%
from pathlib import Path

import pandas as pd

import netstats as ns
from netstats.endpoints import ENDPOINTS, CensoringRules, line_endpoints

here = [Path.cwd(), *Path.cwd().parents, *Path(ns.__file__).resolve().parents]
ROOT = next(p for p in here if (p / "data" / "synthetic").is_dir())
cohort = ns.load_cohort(ROOT / "data" / "synthetic")

# %% [markdown]
# ## The rules

# %%
rules = CensoringRules()
print(rules.describe())

# %% [markdown]
# ## One row per line
#
# Each endpoint has four columns: `<ep>_days`, `<ep>_months` (days / 30.4375), `<ep>_event`
# and `<ep>_reason`, a code saying why the time ends there. The row also carries what was
# known at the start of the line: prior lines, the latest Ki-67 and WHO grade, the latest
# SSTR scan.

# %%
lines = line_endpoints(cohort, rules=rules)
pd.Series(ENDPOINTS, name="endpoint").to_frame()

# %%
features = ["line", "regimen", "drug_class", "n_prior_lines", "who_grade", "sstr_positive"]
lines[features].describe(include="all").loc[["count", "unique", "top", "mean"]]

# %% [markdown]
# Why each PFS time ends where it does, by line (counts of rows):

# %%
pd.crosstab(lines["pfs_reason"], lines["line"].clip(upper=4).map({1: "1", 2: "2", 3: "3", 4: "4+"}))

# %% [markdown]
# Nothing is dropped silently: patients without any line, and rows whose endpoint cannot
# be computed, are counted in the cohort's attrition log.

# %%
cohort.attrition.to_frame()[["analysis", "table", "n_before", "n_excluded", "reason"]]

# %% [markdown]
# ## Changing a rule
#
# The rules are explicit options. By default a new line started before progression
# censors PFS at the last assessment before it; `censor_at_next_line=False` follows the
# patient on to the first progression on any later line. Death counts as a PFS event only
# within 120 days of the last assessment (`death_window_days`). The effect on the number
# of PFS events and on the median:

# %%
variants = {
    "default": CensoringRules(),
    "follow on through later lines": CensoringRules(censor_at_next_line=False),
    "every death is an event": CensoringRules(death_window_days=None),
}
rows = []
for name, variant in variants.items():
    ep = line_endpoints(cohort, rules=variant)
    first = ep[ep["line"] == 1]
    km = ns.survival.kaplan_meier(first, time="pfs_months", event="pfs_event")
    med = km.median().iloc[0]
    rows.append(
        {
            "rules": name,
            "pfs_events_line_1": int(first["pfs_event"].sum()),
            "median_pfs_months": med["estimate"],
            "ci_lower": med["ci_lower"],
            "ci_upper": med["ci_upper"],
        }
    )
pd.DataFrame(rows).round(1)

# %% [markdown]
# Following patients on through later lines adds events but leaves the median of first
# lines where it was; the death window changes nothing here, because in this cohort every
# death without progression on a first line came within 120 days of an assessment.

# %% [markdown]
# A data cut-off (`data_cutoff="2024-12-31"`) ignores events after it and censors patients
# known event-free at it, as a trial's analysis would.

# %%
cut = line_endpoints(cohort, data_cutoff="2022-12-31")
pd.DataFrame(
    {
        "pfs_events": [int(lines["pfs_event"].sum()), int(cut["pfs_event"].sum())],
        "os_events": [int(lines["os_event"].sum()), int(cut["os_event"].sum())],
    },
    index=["all follow-up", "cut-off 2022-12-31"],
)
