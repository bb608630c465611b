"""Display labels and units: the one place a column, level or model term gets its reader's name.

Every table and figure a report shows takes its headers, axis titles, legend entries and row
labels from here, so a reader never sees a Python identifier, a formula term or a code:

- :func:`label` for a column (schema, derived or statistic): ``"age_at_diagnosis"`` ->
  ``"Age at diagnosis (years)"``;
- :func:`level_label` for a value of a categorical column: ``("functional_status",
  "non_functional")`` -> ``"Non-functional"``;
- :func:`term_label` for a model term: ``"C(drug_class)[T.SSA]"`` with reference ``"PRRT"`` ->
  ``"Drug class: SSA vs PRRT (reference)"``;
- :func:`endpoint_label` for an endpoint: ``"pfs"`` -> ``"Progression-free survival"``.

Columns a user cohort adds fall back to a readable form of their name (``"liver_mets_n"`` ->
``"Liver mets n"``); :func:`register` adds or overrides labels for a session.

Examples
--------
>>> from netstats import labels
>>> labels.label("ki67_percent")
'Ki-67 (%)'
>>> labels.label("ki67_percent", unit=False)
'Ki-67'
>>> labels.level_label("primary_site", "small_intestine")
'Small intestine'
>>> labels.term_label("timing[T.synchronous]", reference="metachronous")
'Timing of the metastasis specimen: Synchronous vs Metachronous (reference)'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = [
    "CAUSES",
    "ENDPOINTS",
    "endpoint_label",
    "known",
    "label",
    "level_label",
    "readable",
    "register",
    "term_label",
    "unit",
]

# name -> (label, unit or None).  Every schema column is here (tests/test_labels.py checks it).
_COLUMNS: dict[str, tuple[str, str | None]] = {
    # patients
    "patient_id": ("Patient", None),
    "sex": ("Sex", None),
    "birth_date": ("Date of birth", None),
    "age_at_diagnosis": ("Age at diagnosis", "years"),
    "diagnosis_date": ("Date of diagnosis", None),
    "primary_site": ("Primary site", None),
    "functional_status": ("Functional status", None),
    "hereditary_syndrome": ("Hereditary syndrome", None),
    "stage_at_diagnosis": ("Stage at diagnosis", None),
    "last_contact_date": ("Date of last contact", None),
    "death_date": ("Date of death", None),
    # pathology
    "sample_id": ("Specimen", None),
    "sample_date": ("Date of specimen", None),
    "site": ("Specimen site", None),
    "sample_site": ("Specimen site", None),
    "specimen_type": ("Specimen type", None),
    "differentiation": ("Differentiation", None),
    "ki67_percent": ("Ki-67", "%"),
    "ki67_cells_counted": ("Cells counted for Ki-67", "cells"),
    "ki67_positive_cells": ("Ki-67-positive cells", "cells"),
    "mitoses_per_2mm2": ("Mitoses", "per 2 mm\u00b2"),
    "sstr2a_ihc": ("SSTR2A immunohistochemistry score", "0-3"),
    "tumour_size_mm": ("Tumour size", "mm"),
    # therapy lines
    "line": ("Line", None),
    "regimen": ("Regimen", None),
    "drug_class": ("Drug class", None),
    "start_date": ("Start date", None),
    "end_date": ("End date", None),
    "end_reason": ("Reason the line ended", None),
    "progression_date": ("Date of progression", None),
    "best_response": ("Best response (RECIST 1.1)", None),
    "last_assessment_date": ("Date of last tumour assessment", None),
    "cycles": ("Cycles", None),
    # imaging
    "scan_id": ("Scan", None),
    "scan_date": ("Date of scan", None),
    "tracer": ("Tracer", None),
    "krenning_score": ("Krenning score", "0-4"),
    "suvmax_lesion": ("SUVmax of the dominant lesion", None),
    "suvmax_liver": ("SUVmax of normal liver", None),
    "suvmax_spleen": ("SUVmax of normal spleen", None),
    "fdg_avid": ("FDG-avid disease", None),
    "liver_burden_percent": ("Liver tumour burden", "%"),
    # derived: grading, line features, SSTR features
    "who_grade": ("WHO 2019 grade", None),
    "grade": ("WHO 2019 grade", None),
    "first_line_class": ("Drug class of the first line", None),
    "first_line_regimen": ("First-line regimen", None),
    "n_lines": ("Lines of therapy", None),
    "n_prior_lines": ("Prior lines of therapy", None),
    "prior_regimens": ("Prior regimens", None),
    "prior_drug_classes": ("Prior drug classes", None),
    "months_since_diagnosis": ("Time since diagnosis", "months"),
    "age_at_line_start": ("Age at line start", "years"),
    "age_at_scan": ("Age at scan", "years"),
    "sstr_positive": ("SSTR-positive", None),
    "sstr_tracer": ("SSTR tracer", None),
    "log_ki67": ("Ki-67, log %", None),
    "log2_ki67": ("Ki-67, per doubling", None),
    "log1p_mitoses": ("Mitoses, log(1 + per 2 mm\u00b2)", None),
    "prior_everolimus": ("Prior everolimus", None),
    "prior_captem": ("Prior CAPTEM", None),
    "prior_prrt": ("Prior PRRT", None),
    "fdg_status": ("FDG status", None),
    "line_number": ("Line number, per line", None),
    "line_group": ("Line", None),
    "stop_cause": ("Reason the line ended", None),
    "timing": ("Timing of the metastasis specimen", None),
    "interval_months": ("Interval between specimens", "months"),
    "months_between": ("Time between specimens", "months"),
    "primary_tumour_size_mm": ("Size of the primary", "mm"),
    "metastasis_specimen_type": ("Specimen type of the metastasis", None),
    "primary_specimen_type": ("Specimen type of the primary", None),
    "intervening_therapy": ("Therapy between the specimens", None),
    # statistics columns of result tables
    "group": ("Group", None),
    "n": ("n", None),
    "n_at_risk": ("At risk", None),
    "n_events": ("Events", None),
    "n_censored": ("Censored", None),
    "weighted_at_risk": ("At risk, weighted", None),
    "weighted_events": ("Events, weighted", None),
    "weighted_censored": ("Censored, weighted", None),
    "weighted_n": ("n, weighted", None),
    "n_pairs": ("Pairs", None),
    "n_converted": ("Converted", None),
    "n_patients": ("Patients", None),
    "n_group": ("Size of the group", None),
    "n_missing": ("Missing", None),
    "n_present": ("Present", None),
    "n_specimens": ("Specimens", None),
    "fold_mean": ("Mean over folds", None),
    "chisq": ("Chi-squared", None),
    "fold_sd": ("SD over folds", None),
    "auc_1": ("AUC, model 1", None),
    "auc_2": ("AUC, model 2", None),
    "model_1": ("Model 1", None),
    "model_2": ("Model 2", None),
    "n_repeats": ("Repeats", None),
    "n_folds": ("Folds", None),
    "n_excluded_missing": ("Left out (no cell counts)", None),
    "expected_misgraded": ("Expected misgraded", "specimens"),
    "expected_share": ("Expected share misgraded", "%"),
    "sd_misgraded": ("SD of misgraded", "specimens"),
    "ci_method": ("CI method", None),
    "n_before": ("Before", None),
    "n_excluded": ("Excluded", None),
    "n_after": ("After", None),
    "group_a": ("Group", None),
    "group_b": ("Compared with", None),
    "contrast": ("Contrast", None),
    "n_rows": ("Rows", None),
    "time": ("Time", "months"),
    "estimate": ("Estimate", None),
    "median": ("Median", "months"),
    "se": ("SE", None),
    "ci_lower": ("Lower 95% CI", None),
    "ci_upper": ("Upper 95% CI", None),
    "p_value": ("p", None),
    "statistic": ("Statistic", None),
    "df": ("df", None),
    "hr": ("Hazard ratio", None),
    "odds_ratio": ("Odds ratio", None),
    "rmst": ("RMST", "months"),
    "cause": ("Cause", None),
    "term": ("Term", None),
    "smd": ("SMD", None),
    # Cox-model residuals
    "martingale": ("Martingale residual", None),
    "deviance": ("Deviance residual", None),
    "linear_predictor": ("Linear predictor", None),
    "dfbetas": ("Scaled change in coefficient (dfbetas)", None),
}

ENDPOINTS: dict[str, tuple[str, str]] = {
    "os": ("OS", "Overall survival"),
    "os_dx": ("OS from diagnosis", "Overall survival from diagnosis"),
    "pfs": ("PFS", "Progression-free survival"),
    "ttf": ("TTF", "Time to treatment failure"),
    "ttnt": ("TTNT", "Time to next treatment"),
    "dot": ("DoT", "Duration of therapy"),
    "pfs2": ("PFS2", "Progression-free survival on the next line"),
}
"""Endpoint prefix -> (abbreviation, full name)."""

CAUSES: dict[str, str] = {
    "progression": "Progression",
    "toxicity": "Toxicity",
    "death": "Death",
    "patient_choice": "Patient choice",
    "other": "Other reason",
    "completed": "Completed",
    "ongoing": "Ongoing",
}
"""Reasons a line ends, as causes of a competing-risks analysis."""

# Level labels by column; _LEVELS_ANY applies to every column.
_LEVELS: dict[str, dict[str, str]] = {
    "differentiation": {"well": "Well differentiated", "poor": "Poorly differentiated"},
    "sex": {"female": "Female", "male": "Male"},
    "hereditary_syndrome": {"none": "No syndrome"},
    "first_line_class": {"none": "No therapy recorded"},
    "first_line_regimen": {"none": "No therapy recorded"},
    "stage_at_diagnosis": {s: f"Stage {s}" for s in ("I", "II", "III", "IV")},
    "best_response": {
        "CR": "Complete response",
        "PR": "Partial response",
        "SD": "Stable disease",
        "PD": "Progressive disease",
        "NE": "Not evaluable",
    },
    "end_reason": CAUSES,
    "cause": CAUSES,
    "fdg_status": {
        "positive": "FDG-positive",
        "negative": "FDG-negative",
        "avid": "FDG-avid",
        "not_avid": "Not FDG-avid",
    },
}
_LEVELS_ANY: dict[str, str] = {
    "non_functional": "Non-functional",
    "other_functional": "Other functional",
    "unknown_primary": "Unknown primary",
    "small_intestine": "Small intestine",
    "lymph_node": "Lymph node",
    "core_biopsy": "Core biopsy",
    "fna_cell_block": "FNA cell block",
    "resection": "Resection",
    "patient_choice": "Patient choice",
    "watch-and-wait": "Watch and wait",
    "octreotide LAR": "Octreotide LAR",
    "lanreotide": "Lanreotide",
    "everolimus": "Everolimus",
    "sunitinib": "Sunitinib",
    "surufatinib": "Surufatinib",
    "temozolomide": "Temozolomide",
    "streptozocin-based": "Streptozocin-based",
    "platinum-etoposide": "Platinum-etoposide",
    "bland embolisation": "Bland embolisation",
    "surgery": "Surgery",
    "observation": "Observation",
    "chemotherapy": "Chemotherapy",
    "liver-directed": "Liver-directed",
    "synchronous": "Synchronous",
    "metachronous": "Metachronous",
    "primary": "Primary",
    "liver": "Liver",
    "bone": "Bone",
    "peritoneum": "Peritoneum",
    "pancreas": "Pancreas",
    "stomach": "Stomach",
    "duodenum": "Duodenum",
    "appendix": "Appendix",
    "colon": "Colon",
    "rectum": "Rectum",
    "lung": "Lung",
    "other": "Other",
    "insulinoma": "Insulinoma",
    "gastrinoma": "Gastrinoma",
    "glucagonoma": "Glucagonoma",
    "vipoma": "VIPoma",
    "missing": "Missing",
    "overall": "Overall",
    # how an endpoint ended (the <endpoint>_reason columns; meanings in endpoints.REASON_CODES)
    "progression_later_line": "Progression on a later line",
    "progression_imputed": "Progression (date from the line's end)",
    "next_line": "Next line started",
    "ended": "Ended, reason not recorded",
    "censored_last_assessment": "Censored at the last assessment",
    "censored_next_line": "Censored at the next line",
    "death_outside_window": "Censored (death outside the window)",
    "censored_completed": "Censored at planned completion",
    "censored_last_contact": "Censored at the last contact",
    "censored_no_next_line": "Censored: no next line",
    "censored_cutoff": "Censored at the data cut-off",
    "no_assessment": "No adequate assessment",
    "missing_start_date": "Not computable: no start date",
    "missing_next_start": "Not computable: next line has no start date",
    "missing_last_contact": "Not computable: no last contact",
    "missing_diagnosis_date": "Not computable: no diagnosis date",
    "missing_progression_date": "Not computable: no progression date",
    "missing_end_reason": "Not computable: no end reason",
    "starts_after_cutoff": "Not computable: starts after the cut-off",
    "diagnosis_after_cutoff": "Not computable: diagnosis after the cut-off",
    "none": "None",
    "GLOBAL": "Global (all terms)",
    "auroc": "AUROC",
    "auprc": "AUPRC",
    "auprc_negative": "AUPRC of the negative class",
    "brier": "Brier score",
    "calibration_intercept": "Calibration intercept",
    "calibration_slope": "Calibration slope",
    "gradient_boosting": "Gradient boosting",
    "logistic": "Penalised logistic regression",
    "clopper_pearson": "Clopper-Pearson",
    "wilson": "Wilson",
    "wald_fce": "Wald (Fleiss, Cohen & Everitt)",
    "bland_altman_1999": "Bland & Altman (1999)",
    "shrout_fleiss_f": "Shrout & Fleiss (F distribution)",
    "fisher_z": "Fisher z",
    "kappa": "Cohen's kappa",
    "kappa_linear": "Kappa, linear weights",
    "kappa_quadratic": "Kappa, quadratic weights",
    "observed_agreement": "Observed agreement",
    "share_discordant": "Share discordant",
    "share_upgraded": "Share upgraded",
    "share_downgraded": "Share downgraded",
    "bias": "Bias (mean difference)",
    "loa_lower": "Lower limit of agreement",
    "loa_upper": "Upper limit of agreement",
    "ccc": "Concordance correlation (CCC)",
    "bowker": "Bowker (symmetry)",
    "stuart_maxwell": "Stuart-Maxwell (marginal homogeneity)",
    "patients": "Patients",
    "pathology": "Pathology",
    "therapy_lines": "Therapy lines",
    "imaging": "Imaging",
}

_user_columns: dict[str, tuple[str, str | None]] = {}
_user_levels: dict[str, dict[str, str]] = {}

# Word pieces that read better in their clinical spelling when a name falls back.
_WORDS = {
    "ki67": "Ki-67",
    "sstr": "SSTR",
    "sstr2a": "SSTR2A",
    "suvmax": "SUVmax",
    "fdg": "FDG",
    "prrt": "PRRT",
    "captem": "CAPTEM",
    "ihc": "IHC",
    "who": "WHO",
    "os": "OS",
    "pfs": "PFS",
    "pfs2": "PFS2",
    "ttf": "TTF",
    "ttnt": "TTNT",
    "rmst": "RMST",
    "ci": "CI",
    "se": "SE",
    "hr": "HR",
    "mm": "mm",
    "id": "identifier",
    "pct": "%",
}


def register(
    name: str,
    label: str | None = None,
    *,
    unit: str | None = None,
    levels: Mapping[str, str] | None = None,
) -> None:
    """Add or override the label (and unit, and level labels) of a column for this session.

    Parameters
    ----------
    name : str
        Column name as it appears in the data.
    label : str or None, default=None
        Reader's name of the column; ``None`` keeps the current one.
    unit : str or None, default=None
        Unit shown in parentheses after the label.
    levels : mapping of str to str or None, default=None
        Labels of the column's values.

    Examples
    --------
    >>> register("example_liver_mets", "Liver metastases", unit="count")
    >>> label("example_liver_mets")
    'Liver metastases (count)'
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be a non-empty string, got {name!r}")
    if label is not None or unit is not None:
        old_label, old_unit = _lookup(name) or (readable(name), None)
        _user_columns[name] = (label or old_label, unit if unit is not None else old_unit)
    if levels is not None:
        _user_levels.setdefault(name, {}).update({str(k): str(v) for k, v in levels.items()})


def readable(name: str) -> str:
    """A readable fallback for a name no registry knows: words, clinical spellings, capital.

    Examples
    --------
    >>> readable("n_liver_mets")
    'Number of liver mets'
    >>> readable("ki67_at_baseline")
    'Ki-67 at baseline'
    """
    words = [w for w in re.split(r"[_\s]+", str(name).strip()) if w]
    if not words:
        return str(name)
    out = [_WORDS.get(w.lower(), w) for w in words]
    if words[0].lower() == "n" and len(words) > 1:
        out[0] = "number of"
    text = " ".join(out)
    return text[0].upper() + text[1:]


def _lookup(name: str) -> tuple[str, str | None] | None:
    if name in _user_columns:
        return _user_columns[name]
    if name in _COLUMNS:
        return _COLUMNS[name]
    m = re.fullmatch(r"(os_dx|pfs2|pfs|os|ttf|ttnt|dot)_(months|days|event|reason)", name)
    if m:
        short = ENDPOINTS[m.group(1)][0]
        kind = m.group(2)
        if kind in ("months", "days"):
            return short, kind
        return (f"{short} event" if kind == "event" else f"{short}: how it ended"), None
    return None


def known(name: str) -> bool:
    """Whether ``name`` has a label of its own; :func:`label` falls back to :func:`readable`.

    Examples
    --------
    >>> known("ki67_percent"), known("my_own_column")
    (True, False)
    """
    return _lookup(str(name)) is not None


def label(name: str, *, unit: bool = True) -> str:
    """The reader's name of a column, with its unit in parentheses.

    Parameters
    ----------
    name : str
        Column name (schema, derived or statistics column; unknown names fall back to
        :func:`readable`).
    unit : bool, default=True
        Append the unit, e.g. ``"Ki-67 (%)"``.

    Returns
    -------
    str

    Examples
    --------
    >>> label("tumour_size_mm"), label("pfs_months"), label("my_new_column")
    ('Tumour size (mm)', 'PFS (months)', 'My new column')
    """
    found = _lookup(str(name))
    text, u = found if found is not None else (readable(str(name)), None)
    return f"{text} ({u})" if unit and u else text


def unit(name: str) -> str | None:
    """The unit of a column, or None.

    Examples
    --------
    >>> unit("tumour_size_mm")
    'mm'
    """
    found = _lookup(str(name))
    return found[1] if found is not None else None


def level_label(column: str | None, value: Any) -> str:
    """The reader's name of one value of a categorical column.

    Parameters
    ----------
    column : str or None
        The column the value belongs to (levels differ by column: ``"poor"`` is
        "Poorly differentiated" under ``differentiation``); None uses the shared labels only.
    value : object
        The value; booleans read "Yes"/"No", missing values "Missing".

    Returns
    -------
    str

    Examples
    --------
    >>> level_label("differentiation", "poor"), level_label("site", "lymph_node")
    ('Poorly differentiated', 'Lymph node')
    """
    if value is None or (isinstance(value, float) and value != value):
        return "Missing"
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return "Yes" if value else "No"
    text = str(value)
    if column is not None:
        own = _LEVELS.get(column, CAUSES if column.endswith("_reason") else {})
        for table in (_user_levels.get(column, {}), own):
            if text in table:
                return table[text]
    if text in _LEVELS_ANY:
        return _LEVELS_ANY[text]
    if column in ("line", "line_number") and text.isdigit():
        return f"Line {text}"
    if re.fullmatch(r"[A-Za-z0-9]+(?:_[A-Za-z0-9]+)+", text):
        return readable(text)
    return text


def endpoint_label(endpoint: str, *, short: bool = False) -> str:
    """The name of an endpoint from its column prefix (``"pfs"``, ``"os"``, ``"ttnt"``, ...).

    Examples
    --------
    >>> endpoint_label("ttnt")
    'Time to next treatment'
    >>> endpoint_label("pfs", short=True)
    'PFS'
    """
    key = str(endpoint).lower()
    if key not in ENDPOINTS:
        return readable(endpoint)
    return ENDPOINTS[key][0 if short else 1]


# C(x)[T.level], C(x, Treatment('ref'))[T.level], x[T.level], x[level]
_FORMULA_TERM = re.compile(
    r"^(?:C\((?P<c>[^,)]+)(?:,[^\[]*)?\)|(?P<v>[^\[\]]+))\[(?:T\.)?(?P<lvl>[^\]]+)\]$"
)
_PIPELINE_PREFIX = re.compile(r"^(?:num|cat|numeric|categorical|remainder)__")


def term_label(
    term: str,
    *,
    reference: str | Mapping[str, str] | None = None,
    categorical: Mapping[str, Any] | None = None,
) -> str:
    """The reader's name of a model term (formula, one-hot or missing-indicator column).

    Parameters
    ----------
    term : str
        ``"C(drug_class)[T.SSA]"``, ``"timing[T.synchronous]"``, ``"log2_ki67"``,
        ``"missingindicator_log1p_mitoses"``, ``"cat__primary_site_pancreas"`` ...
    reference : str, mapping or None, default=None
        The reference level of the term's factor, or a mapping factor -> reference level;
        named as ``"<level> vs <reference> (reference)"``.
    categorical : mapping or None, default=None
        Factor name -> its levels, to split one-hot names such as ``primary_site_pancreas``
        whose factor and level are joined by ``_``.

    Returns
    -------
    str

    Examples
    --------
    >>> term_label("C(drug_class)[T.SSA]", reference={"drug_class": "PRRT"})
    'Drug class: SSA vs PRRT (reference)'
    >>> term_label("missingindicator_log1p_mitoses")
    'Mitoses, log(1 + per 2 mm²) missing'
    >>> term_label("primary_site_pancreas", categorical={"primary_site": ["pancreas", "other"]})
    'Primary site: Pancreas'
    """
    text = _PIPELINE_PREFIX.sub("", str(term).strip())
    if text.startswith("missingindicator_"):
        return f"{label(text[len('missingindicator_') :], unit=False)} missing"
    m = _FORMULA_TERM.match(text)
    factor = level = None
    if m:
        factor = (m.group("c") or m.group("v")).strip()
        level = m.group("lvl").strip()
    elif categorical:
        for name in sorted(categorical, key=len, reverse=True):
            if text.startswith(name + "_") and text[len(name) + 1 :] in {
                str(v) for v in categorical[name]
            }:
                factor, level = name, text[len(name) + 1 :]
                break
    if factor is None:
        return label(text, unit=False) if _lookup(text) else readable(text)
    ref = reference.get(factor) if isinstance(reference, Mapping) else reference
    shown = f"{label(factor, unit=False)}: {level_label(factor, level)}"
    if ref is not None:
        shown += f" vs {level_label(factor, ref)} (reference)"
    return shown
