"""Write the REDCap-style export used by the documentation's "own export" tutorial.

Usage (from the repository root)::

    python scripts/make_redcap_export.py [OUT_DIR]

OUT_DIR defaults to ``docs/tutorials/data``. The script takes the first
:data:`N_RECORDS` patients of the bundled synthetic cohort (``data/synthetic``) and writes
them as a REDCap project with one baseline form and three repeating instruments would
export them ("All data", raw codes, CSV):

- ``redcap_export.csv``: one row per record (baseline form) and per repeated instance
  (pathology, therapy line, imaging), with ``record_id``, ``redcap_repeat_instrument`` and
  ``redcap_repeat_instance``; radio and dropdown answers as codes, the agents of a therapy
  line as checkbox columns ``agents___1`` ... ``agents___16``, yes/no as 1/0, dates as text
  (``YYYY-MM-DD``), a ``<form>_complete`` status column per form;
- ``redcap_dictionary.csv``: the project's data dictionary in REDCap's download format;
- ``redcap_corrections.csv``: what checking the source records found for each planted
  mistake (record, instrument, instance, field, value as exported, corrected value).

Five realistic mistakes are planted (see :data:`MISTAKES`): a code of an option removed from
the dictionary, a Ki-67 typed without its decimal point, a date typed day-first in a
legacy free-text field, a line number entered twice and a progression dated a year before
its line started. Everything is synthetic: no value describes a real person. The output is
deterministic; ``tests/test_redcap.py`` checks that the committed files are reproduced.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run from a checkout without installing netstats
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import netstats as ns  # noqa: E402
from netstats.vocab import normalize_regimen  # noqa: E402

N_RECORDS = 150
"""Patients of the synthetic cohort written to the export."""

# ---------------------------------------------------------------------------------------
# The data dictionary. Each form lists (field, type, label, choices, validation, min, max,
# identifier) and the netstats column it holds.

SEX = {"1": "Female", "2": "Male"}
PRIMARY_SITE = dict(
    enumerate(
        [
            "Pancreas",
            "Stomach",
            "Duodenum",
            "Small intestine",
            "Appendix",
            "Colon",
            "Rectum",
            "Lung",
            "Unknown primary",
            "Other",
        ],
        start=1,
    )
)
FUNCTIONAL = dict(
    enumerate(
        ["Non-functional", "Insulinoma", "Gastrinoma", "Glucagonoma", "VIPoma", "Other functional"],
        start=1,
    )
)
HEREDITARY = dict(enumerate(["None", "MEN1", "VHL", "NF1", "TSC", "Other"]))
STAGE = dict(enumerate(["I", "II", "III", "IV"], start=1))
SAMPLE_SITE = dict(
    enumerate(["Primary", "Liver", "Lymph node", "Bone", "Peritoneum", "Other"], start=1)
)
SPECIMEN_TYPE = dict(enumerate(["Resection", "Core biopsy", "FNA cell block"], start=1))
DIFFERENTIATION = dict(enumerate(["Well differentiated", "Poorly differentiated"], start=1))
AGENTS = dict(
    enumerate(
        [
            "Octreotide LAR",
            "Lanreotide",
            "Everolimus",
            "Sunitinib",
            "Surufatinib",
            "Capecitabine",
            "Temozolomide",
            "Streptozocin-based",
            "Platinum-etoposide",
            "FOLFOX",
            "177Lu-DOTATATE",
            "TACE",
            "Bland embolisation",
            "TARE",
            "Surgery",
            "Watch-and-wait",
        ],
        start=1,
    )
)
END_REASON = dict(
    enumerate(
        ["Progression", "Toxicity", "Completed", "Death", "Patient choice", "Ongoing", "Other"],
        start=1,
    )
)
RESPONSE = dict(enumerate(["CR", "PR", "SD", "PD", "NE"], start=1))
TRACER = dict(
    enumerate(
        [
            "68Ga-DOTATATE",
            "68Ga-DOTATOC",
            "68Ga-DOTANOC",
            "64Cu-DOTATATE",
            "111In-pentetreotide",
            "18F-FDG",
        ],
        start=1,
    )
)

DATE = ("text", "date_ymd")
NUMBER = ("text", "number")
INTEGER = ("text", "integer")

# field, (type, validation), label, choices, min, max, identifier, netstats column
FORMS: dict[str, list[tuple]] = {
    "baseline": [
        ("record_id", ("text", ""), "Record ID", None, "", "", "", "patient_id"),
        ("sex", ("radio", ""), "Sex", SEX, "", "", "", "sex"),
        ("dob", DATE, "Date of birth", None, "", "", "y", "birth_date"),
        ("age_dx", NUMBER, "Age at diagnosis (years)", None, "0", "120", "", "age_at_diagnosis"),
        ("dx_date", DATE, "Date of histological diagnosis", None, "", "", "", "diagnosis_date"),
        (
            "primary_site",
            ("dropdown", ""),
            "Primary site",
            PRIMARY_SITE,
            "",
            "",
            "",
            "primary_site",
        ),
        (
            "functional",
            ("dropdown", ""),
            "Hormonal syndrome",
            FUNCTIONAL,
            "",
            "",
            "",
            "functional_status",
        ),
        (
            "hereditary",
            ("dropdown", ""),
            "Hereditary syndrome",
            HEREDITARY,
            "",
            "",
            "",
            "hereditary_syndrome",
        ),
        (
            "stage",
            ("dropdown", ""),
            "ENETS/AJCC stage at diagnosis",
            STAGE,
            "",
            "",
            "",
            "stage_at_diagnosis",
        ),
        (
            "last_contact",
            DATE,
            "Last date known alive (or date of death)",
            None,
            "",
            "",
            "",
            "last_contact_date",
        ),
        ("death_date", DATE, "Date of death", None, "", "", "", "death_date"),
    ],
    "pathology": [
        ("path_date", DATE, "Date the specimen was taken", None, "", "", "", "sample_date"),
        ("path_site", ("dropdown", ""), "Specimen site", SAMPLE_SITE, "", "", "", "site"),
        ("path_type", ("radio", ""), "Specimen type", SPECIMEN_TYPE, "", "", "", "specimen_type"),
        (
            "path_diff",
            ("radio", ""),
            "Differentiation",
            DIFFERENTIATION,
            "",
            "",
            "",
            "differentiation",
        ),
        ("ki67", NUMBER, "Ki-67 labelling index (%)", None, "", "", "", "ki67_percent"),
        (
            "ki67_cells",
            INTEGER,
            "Tumour cells counted for Ki-67",
            None,
            "1",
            "",
            "",
            "ki67_cells_counted",
        ),
        (
            "ki67_pos",
            INTEGER,
            "Ki-67-positive tumour cells",
            None,
            "0",
            "",
            "",
            "ki67_positive_cells",
        ),
        ("mitoses", NUMBER, "Mitoses per 2 mm2", None, "0", "", "", "mitoses_per_2mm2"),
        ("sstr2a", INTEGER, "SSTR2A IHC score (Volante 0-3)", None, "0", "3", "", "sstr2a_ihc"),
        (
            "tumour_size",
            NUMBER,
            "Largest diameter of the sampled lesion (mm)",
            None,
            "0",
            "",
            "",
            "tumour_size_mm",
        ),
    ],
    "therapy_line": [
        ("line_number", INTEGER, "Line of therapy", None, "1", "", "", "line"),
        (
            "agents",
            ("checkbox", ""),
            "Agents and procedures of this line",
            AGENTS,
            "",
            "",
            "",
            "regimen",
        ),
        ("line_start", DATE, "Start of the line", None, "", "", "", "start_date"),
        ("line_end", DATE, "End of the line (empty if ongoing)", None, "", "", "", "end_date"),
        ("end_reason", ("radio", ""), "Why the line ended", END_REASON, "", "", "", "end_reason"),
        # A free-text field from the project's first version, never given date validation.
        (
            "prog_date",
            ("text", ""),
            "Date of progression on this line",
            None,
            "",
            "",
            "",
            "progression_date",
        ),
        (
            "best_response",
            ("radio", ""),
            "Best response (RECIST 1.1)",
            RESPONSE,
            "",
            "",
            "",
            "best_response",
        ),
        (
            "last_assess",
            DATE,
            "Last adequate tumour assessment",
            None,
            "",
            "",
            "",
            "last_assessment_date",
        ),
        ("cycles", INTEGER, "Cycles given", None, "0", "", "", "cycles"),
    ],
    "imaging": [
        ("scan_date", DATE, "Date of the scan", None, "", "", "", "scan_date"),
        ("tracer", ("dropdown", ""), "Tracer", TRACER, "", "", "", "tracer"),
        ("krenning", INTEGER, "Krenning score (0-4)", None, "0", "4", "", "krenning_score"),
        ("suv_lesion", NUMBER, "SUVmax, dominant lesion", None, "0", "", "", "suvmax_lesion"),
        ("suv_liver", NUMBER, "SUVmax, normal liver", None, "0", "", "", "suvmax_liver"),
        ("suv_spleen", NUMBER, "SUVmax, normal spleen", None, "0", "", "", "suvmax_spleen"),
        ("fdg_avid", ("yesno", ""), "FDG-avid disease", None, "", "", "", "fdg_avid"),
        (
            "liver_burden",
            NUMBER,
            "Liver tumour burden (%)",
            None,
            "0",
            "100",
            "",
            "liver_burden_percent",
        ),
    ],
}
TABLE_OF_FORM = {"pathology": "pathology", "therapy_line": "therapy_lines", "imaging": "imaging"}

DICTIONARY_COLUMNS = [
    "Variable / Field Name",
    "Form Name",
    "Section Header",
    "Field Type",
    "Field Label",
    "Choices, Calculations, OR Slider Labels",
    "Field Note",
    "Text Validation Type OR Show Slider Number",
    "Text Validation Min",
    "Text Validation Max",
    "Identifier?",
    "Branching Logic (Show field only if...)",
    "Required Field?",
    "Custom Alignment",
    "Question Number (surveys only)",
    "Matrix Group Name",
    "Matrix Ranking?",
    "Field Annotation",
]

MISTAKES = (
    ("baseline", "sex", "an option removed from the dictionary ('3, Unknown') still coded"),
    ("pathology", "ki67", "Ki-67 typed without its decimal point"),
    ("therapy_line", "prog_date", "date typed day-first in the free-text field"),
    ("therapy_line", "line_number", "line number entered twice"),
    ("therapy_line", "prog_date", "progression dated a year before the line started"),
)
"""The planted mistakes: (instrument, field, what happened)."""


def dictionary() -> pd.DataFrame:
    """The project's data dictionary in REDCap's download format."""
    rows = []
    for form, fields in FORMS.items():
        for name, (ftype, validation), label, choices, low, high, ident, _ in fields:
            row = dict.fromkeys(DICTIONARY_COLUMNS, "")
            row.update(
                {
                    "Variable / Field Name": name,
                    "Form Name": form,
                    "Field Type": ftype,
                    "Field Label": label,
                    "Choices, Calculations, OR Slider Labels": " | ".join(
                        f"{code}, {text}" for code, text in (choices or {}).items()
                    ),
                    "Text Validation Type OR Show Slider Number": validation,
                    "Text Validation Min": low,
                    "Text Validation Max": high,
                    "Identifier?": ident,
                    "Required Field?": "y" if name in ("record_id", "dx_date") else "",
                }
            )
            rows.append(row)
    return pd.DataFrame(rows, columns=DICTIONARY_COLUMNS)


def _text(value: object) -> str:
    """A typed cell as REDCap exports it."""
    if value is None or value is pd.NA or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, bool | np.bool_):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _code(choices: dict, value: object) -> str:
    """The code of a canonical netstats value, matched through netstats' vocabularies."""
    if _text(value) == "":
        return ""
    folded = {
        str(label).lower().replace(" ", "_").replace("-", "_"): str(code)
        for code, label in choices.items()
    }
    key = str(value).lower().replace(" ", "_").replace("-", "_")
    aliases = {"well": "well_differentiated", "poor": "poorly_differentiated"}
    return folded[aliases.get(key, key)]


def _agent_ticks(regimen: str) -> dict[str, str]:
    """Checkbox columns of the agents of a regimen (CAPTEM: capecitabine and temozolomide)."""
    parts = []
    for component in regimen.split(" + "):
        parts += ["Capecitabine", "Temozolomide"] if component == "CAPTEM" else [component]
    ticked = set()
    for part in parts:
        codes = [
            c
            for c, label in AGENTS.items()
            if normalize_regimen(label)[0] == normalize_regimen(part)[0]
        ]
        ticked.add(codes[0])
    decoded = " + ".join(AGENTS[c] for c in AGENTS if c in ticked)
    if normalize_regimen(decoded)[0] != regimen:  # the decoded export must give it back
        raise AssertionError(f"{regimen!r} would decode as {decoded!r}")
    return {f"agents___{c}": "1" if c in ticked else "0" for c in AGENTS}


def _form_cells(form: str, row: pd.Series) -> dict[str, str]:
    cells: dict[str, str] = {}
    for name, (ftype, _), _, choices, *_, column in FORMS[form]:
        if name == "record_id":
            continue
        if ftype == "checkbox":
            cells.update(_agent_ticks(row[column]))
        elif choices is not None:
            cells[name] = _code(choices, row[column])
        else:
            cells[name] = _text(row[column])
    return cells


def export(cohort: ns.Cohort) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The raw export of the first :data:`N_RECORDS` patients and the corrections list."""
    ids = sorted(cohort.patients["patient_id"])[:N_RECORDS]
    record = {pid: str(i) for i, pid in enumerate(ids, start=1)}
    columns = ["record_id", "redcap_repeat_instrument", "redcap_repeat_instance"]
    for form, fields in FORMS.items():
        for name, (ftype, _), *_ in fields:
            if name == "record_id":
                continue
            columns += [f"{name}___{c}" for c in AGENTS] if ftype == "checkbox" else [name]
        columns.append(f"{form}_complete")
    rows = []
    patients = cohort.patients.set_index("patient_id")
    for pid in ids:
        base = {
            "record_id": record[pid],
            "redcap_repeat_instrument": "",
            "redcap_repeat_instance": "",
        }
        rows.append(base | _form_cells("baseline", patients.loc[pid]) | {"baseline_complete": "2"})
        for form, table in TABLE_OF_FORM.items():
            frame = cohort.tables[table]
            order = {"pathology": "sample_date", "therapy_line": "line", "imaging": "scan_date"}[
                form
            ]
            mine = frame[frame["patient_id"] == pid].sort_values([order], kind="stable")
            for instance, (_, row) in enumerate(mine.iterrows(), start=1):
                rows.append(
                    {
                        "record_id": record[pid],
                        "redcap_repeat_instrument": form,
                        "redcap_repeat_instance": str(instance),
                    }
                    | _form_cells(form, row)
                    | {f"{form}_complete": "2"}
                )
    out = pd.DataFrame(rows, columns=columns).fillna("")
    return out, _plant_mistakes(out)


def _plant_mistakes(out: pd.DataFrame) -> pd.DataFrame:
    """Plant :data:`MISTAKES` in ``out`` (in place); return what the source records say."""
    fixes = []

    def plant(index: int, field: str, wrong: str, reason: str) -> None:
        fixes.append(
            {
                "record_id": out.at[index, "record_id"],
                "redcap_repeat_instrument": out.at[index, "redcap_repeat_instrument"],
                "redcap_repeat_instance": out.at[index, "redcap_repeat_instance"],
                "field": field,
                "exported": wrong,
                "corrected": out.at[index, field],
                "reason": reason,
            }
        )
        out.at[index, field] = wrong

    instrument = out["redcap_repeat_instrument"]
    base = out.index[instrument == ""]
    plant(base[17], "sex", "3", MISTAKES[0][2])
    ki67 = out.index[(instrument == "pathology") & out["ki67"].str.fullmatch(r"1\d\.\d")]
    plant(ki67[3], "ki67", out.at[ki67[3], "ki67"].replace(".", ""), MISTAKES[1][2])
    progressed = out.index[(instrument == "therapy_line") & (out["prog_date"] != "")]
    day_first = pd.Timestamp(out.at[progressed[5], "prog_date"]).strftime("%d/%m/%Y")
    plant(progressed[5], "prog_date", day_first, MISTAKES[2][2])
    second = out.index[(instrument == "therapy_line") & (out["line_number"] == "2")]
    plant(second[9], "line_number", "1", MISTAKES[3][2])
    early = progressed[20]
    date = pd.Timestamp(out.at[early, "line_start"]) - pd.DateOffset(years=1)
    plant(early, "prog_date", date.strftime("%Y-%m-%d"), MISTAKES[4][2])
    # The correction of the last one is the progression date of the source record.
    return pd.DataFrame(fixes)


def main(argv: list[str] | None = None) -> Path:
    args = sys.argv[1:] if argv is None else argv
    out_dir = Path(args[0]) if args else ROOT / "docs" / "tutorials" / "data"
    out_dir.mkdir(parents=True, exist_ok=True)
    cohort = ns.load_cohort(ROOT / "data" / "synthetic")
    records, fixes = export(cohort)
    records.to_csv(out_dir / "redcap_export.csv", index=False)
    dictionary().to_csv(out_dir / "redcap_dictionary.csv", index=False)
    fixes.to_csv(out_dir / "redcap_corrections.csv", index=False)
    return out_dir


if __name__ == "__main__":
    print(f"wrote {main()}")
