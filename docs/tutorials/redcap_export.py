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
# # From your own export to a report
#
# Most NET registries live in an electronic data capture system such as REDCap, not in
# four tidy tables. This tutorial starts from a raw REDCap export, the way a data manager
# downloads it, and ends with a validated cohort and a rendered report:
#
# 1. read the export and the project's data dictionary;
# 2. decode the coded answers with the dictionary (`netstats.io.decode_redcap`);
# 3. split the export into the four netstats tables;
# 4. validate, and read the list of mistakes;
# 5. fix them at the source and validate again;
# 6. run the analyses and render the report.
#
# The files are in `docs/tutorials/data/`: [the export](../data/redcap_export.csv),
# [its data dictionary](../data/redcap_dictionary.csv) and
# [the corrections](../data/redcap_corrections.csv) found by checking the source records.
# They were made by `scripts/make_redcap_export.py` from 150 patients of the synthetic
# cohort, with five mistakes planted; no value describes a real person. As in every
# report, nothing below prints a patient identifier or a date.

# %%
import tempfile
from pathlib import Path

import pandas as pd

import netstats as ns
from netstats import report, survival, tables
from netstats.endpoints import line_endpoints
from netstats.io import decode_redcap

here = [Path.cwd(), *Path.cwd().parents, *Path(ns.__file__).resolve().parents]
ROOT = next(p for p in here if (p / "data" / "synthetic").is_dir())
DATA = ROOT / "docs" / "tutorials" / "data"

# %% [markdown]
# ## 1. Read the export and its dictionary
#
# Read both as text, with empty cells as empty strings: codes, record ids and dates stay
# exactly as REDCap wrote them.

# %%
export = pd.read_csv(DATA / "redcap_export.csv", dtype=str, keep_default_na=False)
dictionary = pd.read_csv(DATA / "redcap_dictionary.csv", dtype=str, keep_default_na=False)
print(f"{len(export)} rows, {export.shape[1]} columns, {export['record_id'].nunique()} records")

# %% [markdown]
# The dictionary (REDCap's "Data Dictionary" download) names each field, its form, its
# type and, for multiple-choice fields, the codes and their labels:

# %%
dictionary[
    [
        "Variable / Field Name",
        "Form Name",
        "Field Type",
        "Choices, Calculations, OR Slider Labels",
        "Text Validation Type OR Show Slider Number",
    ]
]

# %% [markdown]
# The export has one row per record for the baseline form and one row per instance of
# each repeating instrument (`redcap_repeat_instrument`, `redcap_repeat_instance`):

# %%
export["redcap_repeat_instrument"].replace("", "(baseline)").value_counts().to_frame("rows")

# %% [markdown]
# ## 2. Decode
#
# Radio and dropdown answers are codes (`sex` = 1 or 2), yes/no fields 1 or 0, and the
# agents of a therapy line are checkbox columns `agents___1` ... `agents___16`.
# `decode_redcap` replaces the codes by the dictionary's labels and turns each checkbox
# field into one column of the ticked labels joined by `" + "`, netstats' notation for a
# combination (capecitabine and temozolomide ticked read as CAPTEM).
#
# A code that the dictionary does not list stops it, with every such cell listed:

# %%
try:
    decode_redcap(export, dictionary)
except ns.CohortValidationError as err:
    decode_problems = err.problems
decode_problems[["table", "row", "column", "rule", "message"]]

# %% [markdown]
# Code 3 was "Unknown" in an earlier version of the project; the option was removed from
# the dictionary, but one record still holds it. `unknown="keep"` leaves such codes as
# written, so that the cohort validation below reports them with every other problem:

# %%
decoded = decode_redcap(export, dictionary, unknown="keep")
decoded[["sex", "primary_site", "agents", "end_reason", "tracer", "fdg_avid"]].apply(
    lambda c: c.value_counts().index[0]
).to_frame("most common value")

# %% [markdown]
# ## 3. Split into the four tables
#
# This step is specific to the project, so it is written out here: which form holds
# which table, and which field is which netstats column (see the
# [data dictionary](../../data-dictionary/)). Specimen and scan identifiers are made from
# the record and the instance.
#
# REDCap record ids are small integers. netstats' privacy scan looks for every patient
# identifier in a report, and a bare `12` is also a count in a table, so the record id
# gets a prefix: `R0012`.

# %%
FIELDS = {
    "baseline": {
        "sex": "sex",
        "dob": "birth_date",
        "age_dx": "age_at_diagnosis",
        "dx_date": "diagnosis_date",
        "primary_site": "primary_site",
        "functional": "functional_status",
        "hereditary": "hereditary_syndrome",
        "stage": "stage_at_diagnosis",
        "last_contact": "last_contact_date",
        "death_date": "death_date",
    },
    "pathology": {
        "path_date": "sample_date",
        "path_site": "site",
        "path_type": "specimen_type",
        "path_diff": "differentiation",
        "ki67": "ki67_percent",
        "ki67_cells": "ki67_cells_counted",
        "ki67_pos": "ki67_positive_cells",
        "mitoses": "mitoses_per_2mm2",
        "sstr2a": "sstr2a_ihc",
        "tumour_size": "tumour_size_mm",
    },
    "therapy_line": {
        "line_number": "line",
        "agents": "regimen",
        "line_start": "start_date",
        "line_end": "end_date",
        "end_reason": "end_reason",
        "prog_date": "progression_date",
        "best_response": "best_response",
        "last_assess": "last_assessment_date",
        "cycles": "cycles",
    },
    "imaging": {
        "scan_date": "scan_date",
        "tracer": "tracer",
        "krenning": "krenning_score",
        "suv_lesion": "suvmax_lesion",
        "suv_liver": "suvmax_liver",
        "suv_spleen": "suvmax_spleen",
        "fdg_avid": "fdg_avid",
        "liver_burden": "liver_burden_percent",
    },
}
INSTANCE_ID = {"pathology": ("sample_id", "S"), "imaging": ("scan_id", "I")}


def form_table(decoded: pd.DataFrame, form: str) -> pd.DataFrame:
    """The rows and fields of one form, with netstats' column names."""
    instrument = decoded["redcap_repeat_instrument"].fillna("")
    rows = decoded[instrument == ("" if form == "baseline" else form)]
    table = rows[list(FIELDS[form])].rename(columns=FIELDS[form])
    table.insert(0, "patient_id", "R" + rows["record_id"].str.zfill(4))
    if form in INSTANCE_ID:
        column, letter = INSTANCE_ID[form]
        table[column] = table["patient_id"] + f"-{letter}" + rows["redcap_repeat_instance"]
    return table


def cohort_tables(decoded: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return {
        "patients": form_table(decoded, "baseline"),
        "pathology": form_table(decoded, "pathology"),
        "therapy_lines": form_table(decoded, "therapy_line"),
        "imaging": form_table(decoded, "imaging"),
    }


raw_tables = cohort_tables(decoded)
pd.Series({name: len(t) for name, t in raw_tables.items()}, name="rows").to_frame()

# %% [markdown]
# ## 4. Validate
#
# `Cohort.from_tables` parses every column, normalises the vocabularies (`Female`,
# `Core biopsy`, `Well differentiated` and the agent combinations all map onto netstats'
# canonical values) and checks keys, ranges and the order of dates. It collects every
# problem before it reports:

# %%
try:
    ns.Cohort.from_tables(**raw_tables, source="redcap_export.csv")
except ns.CohortValidationError as err:
    problems = err.problems
errors = problems[problems["severity"] == "error"]
errors[["table", "row", "column", "rule"]]

# %% [markdown]
# The `value` and `message` columns (and the error's text) show the offending values
# and say what was expected, for example *"cannot be read as a date in format ISO 8601
# (YYYY-MM-DD); if the column is written day first, pass date_format='%d/%m/%Y'"*. They
# are for the data manager's eyes, not for a shared document, so this page leaves them
# out. The rules in words:

# %%
errors[["rule", "column"]].drop_duplicates().assign(
    meaning=lambda d: d["rule"].map(
        {
            "vocabulary": "a value outside the allowed categories",
            "range": "a number outside the allowed range",
            "date_format": "a text that is not a date in the expected format",
            "date_order": "two dates of one row in an impossible order",
            "unique_key": "a key that appears twice",
            "line_numbering": "lines of a patient not numbered 1..k",
        }
    )
)

# %% [markdown]
# Warnings do not stop loading. Here they flag Ki-67 indices counted on fewer than the
# 500 cells WHO recommends, and one index that does not match its cell counts:

# %%
warnings = problems[problems["severity"] == "warning"]
warnings.groupby(["column", "rule"]).size().rename("n").to_frame()

# %% [markdown]
# Each problem's `row` is the row of the table passed in (header = row 1), so the REDCap
# record and instance to open are one lookup away. This worklist goes to the data
# manager:


# %%
def worklist(problems: pd.DataFrame, decoded: pd.DataFrame) -> pd.DataFrame:
    """REDCap record, instrument and instance of each problem with a row."""
    form_of = {
        "patients": "baseline",
        "pathology": "pathology",
        "therapy_lines": "therapy_line",
        "imaging": "imaging",
    }
    out = []
    for p in problems.dropna(subset=["row"]).itertuples():
        form = form_of[p.table]
        instrument = decoded["redcap_repeat_instrument"]
        rows = decoded[instrument == ("" if form == "baseline" else form)]
        source = rows.iloc[int(p.row) - 2]
        out.append(
            {
                "record_id": source["record_id"],
                "instrument": form,
                "instance": source["redcap_repeat_instance"],
                "column": p.column,
                "rule": p.rule,
            }
        )
    return pd.DataFrame(out)


todo = worklist(errors, decoded)
todo.drop(columns="record_id")  # the record ids stay with the data manager

# %% [markdown]
# ## 5. Fix at the source
#
# Corrections belong in REDCap, where they are audited; the next export then carries
# them. Here they come as a table (what checking the source records found), applied to
# the raw export, each checked against the value it replaces:

# %%
corrections = pd.read_csv(DATA / "redcap_corrections.csv", dtype=str, keep_default_na=False)
corrections[["redcap_repeat_instrument", "field", "reason"]]


# %%
def apply_corrections(export: pd.DataFrame, corrections: pd.DataFrame) -> pd.DataFrame:
    fixed = export.copy()
    for c in corrections.itertuples():
        at = (
            (fixed["record_id"] == c.record_id)
            & (fixed["redcap_repeat_instrument"] == c.redcap_repeat_instrument)
            & (fixed["redcap_repeat_instance"] == c.redcap_repeat_instance)
        )
        if at.sum() != 1 or fixed.loc[at, c.field].item() != c.exported:
            raise ValueError(f"correction of {c.field} does not match the export")
        fixed.loc[at, c.field] = c.corrected
    return fixed


fixed = apply_corrections(export, corrections)
cohort = ns.Cohort.from_tables(
    **cohort_tables(decode_redcap(fixed, dictionary)), source="redcap_export.csv"
)
cohort.summary()[["table", "n_rows", "n_patients"]]

# %% [markdown]
# Every code is now in the dictionary (the default `unknown="raise"` passed) and the
# cohort validates; the warnings stay in `cohort.problems`.
#
# ## 6. Analyse and report
#
# The cohort is like any other: the main analyses of the report run on it directly.

# %%
baseline = tables.patient_characteristics(cohort)
t1 = tables.table_one(
    baseline,
    columns=["age_at_diagnosis", "sex", "stage_at_diagnosis", "ki67_percent"],
    group="who_grade",
    nonnormal=["ki67_percent"],
)
report.format_table_one(t1, threshold=5)

# %%
lines = line_endpoints(cohort)
early = lines[lines["line"] <= 2].assign(line=lambda d: "line " + d["line"].astype(str))
km = survival.kaplan_meier(early, time="pfs_months", event="pfs_event", group="line")
medians = km.median()
medians.assign(
    median_pfs=[
        report.fmt_estimate_ci(e, lo, hi)
        for e, lo, hi in zip(
            medians["estimate"], medians["ci_lower"], medians["ci_upper"], strict=True
        )
    ]
)[["group", "median_pfs"]]

# %% [markdown]
# To render the report notebooks themselves, save the cohort and call `render` (or
# `netstats report --data DIR --out DIR`). It executes each notebook on a clean kernel,
# writes HTML, CSV and figures with an `index.html`, and scans every output for patient
# identifiers and dates before publishing. The cohort overview:

# %%
with tempfile.TemporaryDirectory() as tmp:
    folder = ns.save_cohort(cohort, Path(tmp) / "cohort")
    result = report.render(
        ROOT / "analyses",
        data=folder,
        out=Path(tmp) / "report",
        only=["01"],
        parameters={"group": "sex"},
        progress=False,
    )
    written = sorted(str(p.relative_to(result.out)) for p in result.out.rglob("*") if p.is_file())
pd.Series(written, name="files written").to_frame()
