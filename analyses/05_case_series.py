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
# A descriptive report for a handful of patients: each patient's characteristics, course of
# disease and treatment on a timeline, lines of therapy, SSTR imaging and Ki-67, with every
# time given in months from the diagnosis. With so few patients nothing is estimated or
# tested: there are no survival curves, hazard ratios or p-values. The cases are published,
# so this report is rendered with suppression off; on any other cohort keep the default
# threshold.

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
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown, display

import netstats as ns
from netstats import labels, plots, report
from netstats.endpoints import CensoringRules, course_events, course_lines, line_endpoints
from netstats.tables import patient_characteristics
from netstats.vocab import SSTR_TRACERS

out = report.ReportOutputs(output_dir, notebook="Published case series")
rules = CensoringRules()
prov = report.provenance(
    data,
    endpoint_rules=endpoint_rules or rules.describe(),
    seeds={"seed": seed},
    parameters={"max_patients": max_patients, "suppression_threshold": suppression_threshold},
    rendered_at=rendered_at or None,
)

# Sources of the bundled cases (data/case_series/README.md).
SOURCES = {
    "CS01": "case report of a 55-year-old man with a G2 pancreatic NET and SSTR2 "
    "re-expression on [68Ga]Ga-DOTATATE PET/CT after everolimus (published 2025)",
    "CS02": "Soeiro P, et al. Complete remission of inoperable hepatic and bone metastases "
    "due to neuroendocrine pancreatic tumour 3 years after peptide receptor radionucleotide "
    "therapy. BMJ Case Rep 2020;13:e233263 (doi:10.1136/bcr-2019-233263)",
    "CS03": "case report of a 58-year-old woman with a metastatic G2 gastric NET whose SSTR "
    "uptake rose after CAPTEM, in the nuclear-medicine literature",
}
#: Diagnosis date standing in for an undated case (README, date rule 5).
PLACEHOLDER_ANCHOR = pd.Timestamp("2000-01-01")
# Words of this report's sentences where they differ from the label registry's.
WORDS = {
    "non_functional": "non-functioning",
    "functional": "functioning",
    "completed": "completed as planned",
    "ongoing": "ongoing at last contact",
    "other": "other (switch of treatment)",
    "patient_choice": "patient's choice",
    "primary": "primary tumour",
    "liver": "liver metastasis",
    "censored_at_start": "censored at the line start",
}
NOT_STATED = "not stated"
ADJECTIVES = {"pancreas": "pancreatic", "stomach": "gastric", "small_intestine": "small-bowel"}


def word(value: object) -> str:
    """A data value as a reader's word; missing values read "not stated"."""
    if value is None or pd.isna(value):
        return NOT_STATED
    text = str(value)
    if text in WORDS:
        return WORDS[text]
    shown = labels.level_label(None, text)  # the registry's label, lower case in a sentence
    return shown[0].lower() + shown[1:] if shown[1:2].islower() else shown


def show_figure(name: str, figure: object, caption: str) -> None:
    """Write a figure and show it with its caption under it."""
    display(out.figure(name, figure, caption=caption))
    display(Markdown(f"*{caption}.*"))


def months(value: object) -> str:
    return "" if value is None or pd.isna(value) else f"{float(value):.1f}"


# %%
cohort = ns.load_cohort(data)
ids = cohort.patients["patient_id"].astype(str).head(max_patients).tolist()
events = course_events(cohort, patients=ids)
# One colour per patient in every figure.
patient_colors = {p: plots.GROUP_COLORS[i % len(plots.GROUP_COLORS)] for i, p in enumerate(ids)}
lines = course_lines(cohort, line_endpoints(cohort, rules=rules), patients=ids)
pts = cohort.patients.assign(patient_id=cohort.patients["patient_id"].astype(str))
pts = pts.set_index("patient_id").loc[ids]
placeholder = [p for p in ids if pts.loc[p, "diagnosis_date"] == PLACEHOLDER_ANCHOR]
shown = "" if len(ids) == cohort.n_patients else f" (the first {len(ids)} are shown)"
text = [f"The series has {cohort.n_patients} patients{shown}. Sources:", ""]
text += [f"- **{p}**: {SOURCES.get(p, 'source not recorded with the data')}." for p in ids]
text += [
    "",
    "Dates the papers give only in part were completed by the rules in the data's README "
    "(the 15th of a month given without a day; the midpoint of an interval).",
]
if placeholder:
    text.append(
        f"The papers of {', '.join(placeholder)} give no dates at all: months from diagnosis "
        "keep only the order of events and the stated treatment length."
    )
display(Markdown("\n".join(text)))

# %% [markdown]
# ## Patients

# %%
chars = patient_characteristics(cohort).assign(patient_id=lambda d: d["patient_id"].astype(str))
chars = chars.set_index("patient_id").loc[ids]
follow = events[events["event"].isin(["death", "last_contact"])].set_index("patient_id")
rows = {
    "Sex": [word(chars.loc[p, "sex"]) for p in ids],
    "Age at diagnosis (years)": [
        NOT_STATED if pd.isna(a) else f"{a:.0f}" for a in chars["age_at_diagnosis"]
    ],
    "Primary site": [word(chars.loc[p, "primary_site"]) for p in ids],
    "Stage at diagnosis": [word(chars.loc[p, "stage_at_diagnosis"]) for p in ids],
    "Functional status": [word(chars.loc[p, "functional_status"]) for p in ids],
    "WHO grade at diagnosis": [word(chars.loc[p, "who_grade"]) for p in ids],
    "Ki-67 at diagnosis (%)": [
        NOT_STATED if pd.isna(k) else f"{k:g}" for k in chars["ki67_percent"]
    ],
    "Lines of therapy": [str(int((lines["patient_id"] == p).sum())) for p in ids],
    "Follow-up from diagnosis (months)": [
        months(follow.loc[p, "months"]) if p in follow.index else NOT_STATED for p in ids
    ],
    "Status at last follow-up": [
        (
            ("died" if follow.loc[p, "event"] == "death" else "alive")
            if p in follow.index
            else NOT_STATED
        )
        for p in ids
    ],
}
characteristics = pd.DataFrame(rows, index=ids).T.rename_axis("Characteristic").reset_index()
display(
    out.table(
        "patients",
        characteristics,
        caption="Characteristics of each patient at diagnosis and follow-up",
    )
)

# %% [markdown]
# ## Course of each patient
#
# One panel per patient, in months from diagnosis (month 0, dashed line). Top lane: lines of
# therapy as bars coloured by drug class and labelled with the regimen and its best response;
# red triangles mark progression. Middle lane: PET scans, the marker naming the tracer and the
# label the uptake. Bottom lane: pathology specimens with Ki-67 and WHO 2019 grade. A bar at
# the right end marks the last contact, an arrow a line still ongoing then.

# %%
titles = {}
for p in ids:
    age = chars.loc[p, "age_at_diagnosis"]
    bits = [word(chars.loc[p, "sex"])]
    if not pd.isna(age):
        bits.append(f"{age:.0f} years at diagnosis")
    site = chars.loc[p, "primary_site"]
    bits.append(f"{ADJECTIVES.get(str(site), word(site))} NET")
    if not pd.isna(chars.loc[p, "who_grade"]):
        bits.append(str(chars.loc[p, "who_grade"]))
    note = " (undated case: order and durations only)" if p in placeholder else ""
    titles[p] = f"{p}: {', '.join(bits)}{note}"
axes = plots.patient_timeline(events, titles=titles)
show_figure(
    "timelines",
    axes[0].figure,
    "Course of disease and treatment of each patient, in months from diagnosis",
)

# %% [markdown]
# ## Lines of therapy
#
# Start and end of each line in months from diagnosis. PFS runs from the start of the line to
# progression or death; a line without either is censored, with the reason given.

# %%
if lines.empty:
    display(Markdown("No therapy lines are recorded for these patients."))
else:
    pfs_status = lines["pfs_reason"].map(word)
    table = pd.DataFrame(
        {
            "Patient": lines["patient_id"],
            "Line": lines["line"].astype(int),
            "Regimen": lines["regimen"],
            "Drug class": lines["drug_class"],
            "Cycles": [NOT_STATED if pd.isna(c) else str(int(c)) for c in lines["cycles"]],
            "Start (months)": lines["start_months"].map(months),
            "End (months)": ["ongoing" if pd.isna(e) else months(e) for e in lines["end_months"]],
            "Reason for ending": lines["end_reason"].map(word),
            "Best response": lines["best_response"].map(word),
            "PFS (months)": lines["pfs_months"].map(months),
            "PFS ended by": pfs_status,
        }
    )
    display(
        out.table(
            "lines",
            table,
            caption="Lines of therapy, months from diagnosis (PFS from the line start)",
        )
    )

# %% [markdown]
# ## SSTR imaging
#
# Somatostatin-receptor PET scans with their uptake (Krenning score and lesion SUVmax, as
# reported); FDG PET scans are listed in the table but not drawn with the SSTR uptake.

# %%
scans = events[events["event"] == "scan"]
if scans.empty:
    display(Markdown("No PET scans are recorded for these patients."))
else:
    display(
        out.table(
            "scans",
            pd.DataFrame(
                {
                    "Patient": scans["patient_id"],
                    "Months from diagnosis": scans["months"].map(months),
                    "Tracer": scans["tracer"],
                    "Krenning score": [
                        NOT_STATED if pd.isna(k) else str(int(k)) for k in scans["krenning_score"]
                    ],
                    "Lesion SUVmax": [
                        NOT_STATED if pd.isna(v) else f"{v:g}" for v in scans["suvmax_lesion"]
                    ],
                    "FDG-avid": [
                        "" if pd.isna(f) else ("yes" if f else "no") for f in scans["fdg_avid"]
                    ],
                }
            ),
            caption="PET scans, months from diagnosis",
        )
    )
    sstr_scans = scans[scans["tracer"].astype(str).isin(SSTR_TRACERS)]
    for column, name, label in (
        ("suvmax_lesion", "sstr_suvmax", "Lesion SUVmax"),
        ("krenning_score", "sstr_krenning", "Krenning score"),
    ):
        measured = sstr_scans.dropna(subset=[column])
        if measured.empty:
            display(Markdown(f"No SSTR scan reports a {label[0].lower() + label[1:]}."))
            continue
        size = (8.0, 3.6 if column == "suvmax_lesion" else 3.0)
        _, ax = plt.subplots(figsize=size, layout="constrained")
        ax = plots.trajectory(
            measured.assign(**{column: measured[column].astype("float64")}),
            ax=ax,
            x="months",
            y=column,
            marker_by="tracer",
            xlabel="Months from diagnosis",
            ylabel=label,
            colors=patient_colors,
        )
        if column == "krenning_score":
            ax.set_ylim(0, 4.3)
            ax.set_yticks([0, 1, 2, 3, 4])
        without = sorted(set(sstr_scans["patient_id"]) - set(measured["patient_id"]))
        missing = f"; not reported for {', '.join(without)}" if without else ""
        show_figure(
            name, ax.figure, f"{label} of SSTR PET scans over time, one line per patient{missing}"
        )

# %% [markdown]
# ## Ki-67 over time
#
# Ki-67 of every specimen with the WHO 2019 grade bands of well-differentiated NETs (G1 below
# 3 %, G2 3 to 20 %, G3 above 20 %).

# %%
specimens = events[(events["event"] == "specimen")].dropna(subset=["ki67_percent"])
if specimens.empty:
    display(Markdown("No specimen of these patients has a Ki-67 index."))
else:
    display(
        out.table(
            "specimens",
            pd.DataFrame(
                {
                    "Patient": specimens["patient_id"],
                    "Months from diagnosis": specimens["months"].map(months),
                    "Site": specimens["site"].map(word),
                    "Specimen": specimens["specimen_type"].map(word),
                    "Ki-67 (%)": specimens["ki67_percent"].map(lambda k: f"{k:g}"),
                    "Mitoses per 2 mm²": [
                        NOT_STATED if pd.isna(m) else f"{m:g}"
                        for m in specimens["mitoses_per_2mm2"]
                    ],
                    "WHO grade": specimens["who_grade"].map(word),
                }
            ),
            caption="Pathology specimens, months from diagnosis",
        )
    )
    ax = plots.trajectory(
        specimens,
        x="months",
        y="ki67_percent",
        bands={"G1 <3%": (0.0, 3.0), "G2 3-20%": (3.0, 20.0), "G3 >20%": (20.0, 100.0)},
        xlabel="Months from diagnosis",
        ylabel="Ki-67 (%)",
        colors=patient_colors,
    )
    show_figure(
        "ki67", ax.figure, "Ki-67 of each specimen over time, with the WHO 2019 grade bands"
    )

# %% [markdown]
# ## Appendix: provenance

# %%
out.provenance(prov)
