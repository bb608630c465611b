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
# # Data and validation
#
# A netstats cohort is four tables keyed by `patient_id`: `patients`, `pathology`,
# `therapy_lines` and `imaging` (the [data dictionary](../../data-dictionary/) lists every
# column). This tutorial loads the bundled synthetic cohort, looks at what validation
# checks, shows what happens when tables break the rules, and simulates a cohort with a
# known truth. Everything printed is an aggregate: no patient identifier, no date.

# %%
import tempfile
from pathlib import Path

import pandas as pd

import netstats as ns
from netstats import schema, vocab

# The netstats checkout holding data/synthetic, wherever this notebook is run from.
here = [Path.cwd(), *Path.cwd().parents, *Path(ns.__file__).resolve().parents]
ROOT = next(p for p in here if (p / "data" / "synthetic").is_dir())

# %% [markdown]
# ## Load a cohort
#
# `load_cohort` reads a folder of CSV, Parquet, Excel, SAS, SPSS or Stata files (one per
# table), an Excel workbook with a sheet per table, a DuckDB file or any SQLAlchemy URL.
# It either returns a validated `Cohort` or raises one error listing *every* problem.

# %%
cohort = ns.load_cohort(ROOT / "data" / "synthetic")
cohort.summary()[["table", "n_rows", "n_patients"]]

# %% [markdown]
# The tables come back in the canonical columns and dtypes of `netstats.schema`: dates as
# `datetime64`, categories normalised to one spelling, identifiers as text (leading zeros
# kept).

# %%
cohort.therapy_lines.dtypes.to_frame("dtype").T

# %% [markdown]
# Rows that load but deserve a look are kept with a warning in `cohort.problems`. Here the
# only warnings are Ki-67 indices counted on fewer than the 500 cells WHO recommends:

# %%
cohort.problems.groupby(["table", "column", "rule", "severity"]).size().rename("n").reset_index()

# %% [markdown]
# ## The data model
#
# `netstats.schema` is the single source of truth for the tables: every column's type,
# unit, allowed values and meaning. `data_dictionary()` gives it as a table.

# %%
dd = schema.data_dictionary()
dd[dd["table"] == "therapy_lines"][["column", "type", "required", "allowed"]]

# %% [markdown]
# Categorical columns take values from controlled vocabularies with synonyms, so a
# regimen typed as a brand name or a combination of agents reads as one canonical name,
# with its drug class:

# %%
pd.DataFrame(
    [
        (typed, vocab.normalize_regimen(typed)[0])
        for typed in ["Lutathera", "capecitabine + temozolomide", "Sandostatin LAR", "Afinitor"]
    ],
    columns=["as typed", "canonical"],
).assign(drug_class=lambda d: d["canonical"].map(vocab.drug_class))

# %% [markdown]
# ## When tables break the rules
#
# `Cohort.from_tables` validates raw tables (what the loaders call). Here are three
# patients typed by hand with four mistakes: an unknown sex code, a Ki-67 above 100 %, a
# therapy line for a patient who is not in the patients table, and a line numbered 2 with
# no line 1.

# %%
patients = pd.DataFrame(
    {
        "patient_id": ["001", "002", "003"],
        "sex": ["female", "M", "x"],
        "age_at_diagnosis": [61, 54, 70],
        "diagnosis_date": ["2019-05-02", "2020-01-15", "2018-11-30"],
        "last_contact_date": ["2024-01-10", "2023-06-01", "2022-02-02"],
    }
)
pathology = pd.DataFrame(
    {
        "patient_id": ["001", "002"],
        "sample_id": ["S1", "S2"],
        "sample_date": ["2019-05-02", "2020-01-15"],
        "site": ["primary", "liver"],
        "ki67_percent": ["4.5", "140"],
    }
)
lines = pd.DataFrame(
    {
        "patient_id": ["001", "004"],
        "line": [2, 1],
        "regimen": ["lanreotide", "everolimus"],
        "start_date": ["2019-06-01", "2021-03-01"],
    }
)
try:
    ns.Cohort.from_tables(patients, pathology, lines)
except ns.CohortValidationError as err:
    problems = err.problems

problems[["table", "row", "column", "value", "rule", "severity"]]

# %% [markdown]
# Each problem names its table, the row as a spreadsheet shows it (the header is row 1),
# the column, the value and the rule; `message` says what is expected. The error's text
# summarises the same table, one line per kind of mistake. Note that `"M"` was accepted
# (a synonym of `male`), and the missing imaging table is only a warning.

# %%
problems[["rule", "message"]].drop_duplicates()

# %% [markdown]
# ## Save and load
#
# `save_cohort` writes a cohort so that `load_cohort` gives it back unchanged (CSV, Parquet
# or DuckDB); the write is atomic, so an interrupted save never leaves half a cohort.

# %%
with tempfile.TemporaryDirectory() as tmp:
    path = ns.save_cohort(cohort, Path(tmp) / "cohort.duckdb")
    again = ns.load_cohort(path)
    same = all(again.tables[name].equals(cohort.tables[name]) for name in cohort.tables)
print(f"round trip through DuckDB gives identical tables: {same}")

# %% [markdown]
# ## Simulated cohorts with a known truth
#
# `simulate_cohort` draws a complete cohort from a documented model calibrated to the
# published pNET trials (the bundled cohort is `simulate_cohort(800, seed=20261122)`).
# The truth it was drawn from comes back in `cohort.truth`, so estimates can be checked
# against it: here the Kaplan-Meier median PFS of first lines (next tutorials) beside the
# true median of the simulated progression times.

# %%
sim = ns.simulate_cohort(2000, seed=1)
first = ns.endpoints.line_endpoints(sim).query("line == 1")
km = ns.survival.kaplan_meier(first, time="pfs_months", event="pfs_event", group="regimen")
truth = sim.truth["pfs"].query("line == 1 and n_started >= 50")
km.median().merge(truth, left_on="group", right_on="regimen")[
    ["regimen", "n_started", "estimate", "ci_lower", "ci_upper", "median_pfs_months"]
].round(1)
