"""Controlled vocabularies: canonical values, their synonyms and the regimen drug classes.

Every categorical column of the data model draws its values from one :class:`Vocabulary`
defined here.  Matching is case-insensitive and ignores surrounding white space and the
difference between spaces, hyphens and underscores, so ``"Lutathera"``, ``"177Lu-DOTATATE"``
and ``"lu-177 dotatate"`` all become the canonical ``"177Lu-DOTATATE"``.  A value that
matches nothing gets the closest canonical value as a suggestion.

Combination lines (for example everolimus with octreotide LAR) are one therapy line whose
regimen lists both drugs joined by ``" + "``; :func:`normalize_regimen` canonicalises each
component and orders them as in :data:`REGIMENS`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

__all__ = [
    "DIFFERENTIATION",
    "DRUG_CLASSES",
    "END_REASONS",
    "FUNCTIONAL_STATUS",
    "HEREDITARY_SYNDROMES",
    "PRIMARY_SITES",
    "REGIMENS",
    "RESPONSES",
    "SAMPLE_SITES",
    "SEX",
    "SPECIMEN_TYPES",
    "SSTR_TRACERS",
    "STAGES",
    "TRACERS",
    "VOCABULARIES",
    "Vocabulary",
    "drug_class",
    "normalize_regimen",
    "regimen_components",
]

COMBINATION_SEPARATOR = " + "
_SPLIT_COMBINATION = re.compile(r"\s*(?:\+|/|\bplus\b|\bwith\b|&|\band\b)\s*", re.IGNORECASE)


def _fold(value: str) -> str:
    """Fold a label for matching: lower case, separators and repeated blanks collapsed."""
    return re.sub(r"[\s_\-]+", " ", value.strip().lower())


@dataclass(frozen=True)
class Vocabulary:
    """A closed set of canonical labels with synonyms.

    Parameters
    ----------
    name : str
        Name used in error messages and the data dictionary.
    values : tuple of str
        Canonical labels, in the order reports list them.
    synonyms : mapping of str to str, default={}
        Alternative spellings (matched case-insensitively) to canonical labels.
    descriptions : mapping of str to str, default={}
        One-line meaning of each canonical label, for the data dictionary.

    Examples
    --------
    >>> from netstats.vocab import SEX, Vocabulary
    >>> SEX.normalize("F"), SEX.normalize("unknown")
    ('female', None)
    >>> units = Vocabulary("unit", ("months", "days"), {"mo": "months"})
    >>> units.normalize("MO"), units.suggest("mnths")
    ('months', 'months')
    """

    name: str
    values: tuple[str, ...]
    synonyms: Mapping[str, str] = field(default_factory=dict)
    descriptions: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        lookup: dict[str, str] = {}
        for value in self.values:
            lookup[_fold(value)] = value
        for synonym, canonical in self.synonyms.items():
            if canonical not in self.values:
                raise ValueError(
                    f"vocabulary {self.name!r}: synonym {synonym!r} maps to unknown {canonical!r}"
                )
            lookup[_fold(synonym)] = canonical
        object.__setattr__(self, "_lookup", lookup)

    def normalize(self, value: str) -> str | None:
        """Return the canonical label for ``value``, or ``None`` when it is unknown."""
        return self._lookup.get(_fold(str(value)))  # type: ignore[attr-defined]

    def suggest(self, value: str) -> str | None:
        """Return the closest canonical label to an unknown ``value``, or ``None``."""
        folded = _fold(str(value))
        keys = list(self._lookup)  # type: ignore[attr-defined]
        match = difflib.get_close_matches(folded, keys, n=1, cutoff=0.6)
        if not match:
            # Prefix matches catch truncations such as "everol".
            match = [k for k in keys if k.startswith(folded) or folded.startswith(k)][:1]
        return self._lookup[match[0]] if match else None  # type: ignore[attr-defined]

    def __contains__(self, value: object) -> bool:
        return isinstance(value, str) and self.normalize(value) is not None


# --- patients ---------------------------------------------------------------------------

#: Sex as recorded: ``female``, ``male``.
SEX = Vocabulary(
    "sex",
    ("female", "male"),
    {"f": "female", "woman": "female", "m": "male", "man": "male"},
)

#: Site of the primary tumour (pancreas, small intestine, ... unknown primary).
PRIMARY_SITES = Vocabulary(
    "primary_site",
    (
        "pancreas",
        "stomach",
        "duodenum",
        "small_intestine",
        "appendix",
        "colon",
        "rectum",
        "lung",
        "unknown_primary",
        "other",
    ),
    {
        "pancreatic": "pancreas",
        "pnet": "pancreas",
        "gastric": "stomach",
        "ileum": "small_intestine",
        "jejunum": "small_intestine",
        "small bowel": "small_intestine",
        "si": "small_intestine",
        "colonic": "colon",
        "rectal": "rectum",
        "bronchial": "lung",
        # "unknown" alone is refused, as for sex, functional status and stage: it may mean
        # a primary never found (unknown_primary) or a site not recorded (leave blank).
        "cup": "unknown_primary",
    },
)

#: Hormonal syndrome of the tumour: non-functioning or the hormone it secretes.
FUNCTIONAL_STATUS = Vocabulary(
    "functional_status",
    ("non_functional", "insulinoma", "gastrinoma", "glucagonoma", "vipoma", "other_functional"),
    {
        "nonfunctional": "non_functional",
        "non functioning": "non_functional",
        "nf": "non_functional",
        "nf pnet": "non_functional",
        "functional": "other_functional",
        "somatostatinoma": "other_functional",
    },
)

#: Hereditary tumour syndrome (MEN1, VHL, NF1, TSC) or none.
HEREDITARY_SYNDROMES = Vocabulary(
    "hereditary_syndrome",
    ("none", "MEN1", "VHL", "NF1", "TSC", "other"),
    {
        "sporadic": "none",
        "no": "none",
        "men 1": "MEN1",
        "von hippel lindau": "VHL",
        "neurofibromatosis": "NF1",
        "tuberous sclerosis": "TSC",
    },
)

#: Stage at diagnosis (ENETS/AJCC I-IV).
STAGES = Vocabulary(
    "stage",
    ("I", "II", "III", "IV"),
    {"1": "I", "2": "II", "3": "III", "4": "IV", "stage iv": "IV", "metastatic": "IV"},
    {"IV": "distant metastases (ENETS/AJCC 8th edition stage IV)"},
)

# --- pathology ---------------------------------------------------------------------------

#: Where a pathology specimen was taken: the primary or a metastatic site.
SAMPLE_SITES = Vocabulary(
    "site",
    ("primary", "liver", "lymph_node", "bone", "peritoneum", "other"),
    {
        "primary tumour": "primary",
        "primary tumor": "primary",
        "pancreas": "primary",
        "hepatic": "liver",
        "liver metastasis": "liver",
        "node": "lymph_node",
        "ln": "lymph_node",
        "lymph node": "lymph_node",
        "osseous": "bone",
    },
)

#: How a specimen was obtained (resection, core biopsy, fine-needle aspiration ...).
SPECIMEN_TYPES = Vocabulary(
    "specimen_type",
    ("resection", "core_biopsy", "fna_cell_block"),
    {
        "surgical": "resection",
        "surgery": "resection",
        "biopsy": "core_biopsy",
        "core": "core_biopsy",
        "core needle biopsy": "core_biopsy",
        "fna": "fna_cell_block",
        "cell block": "fna_cell_block",
        "eus fna": "fna_cell_block",
    },
)

#: Tumour differentiation: well (NET) or poorly differentiated (NEC).
DIFFERENTIATION = Vocabulary(
    "differentiation",
    ("well", "poor"),
    {
        "well differentiated": "well",
        "wd": "well",
        "net": "well",
        "poorly differentiated": "poor",
        "pd": "poor",
        "nec": "poor",
    },
    {"well": "well-differentiated NET (G1-G3)", "poor": "poorly differentiated NEC"},
)

# --- therapy lines -----------------------------------------------------------------------

#: Drug classes of the regimens, in report order (SSA, mTOR inhibitor, PRRT ...).
DRUG_CLASSES = (
    "SSA",
    "mTOR inhibitor",
    "TKI",
    "chemotherapy",
    "PRRT",
    "liver-directed",
    "surgery",
    "observation",
)

_REGIMEN_CLASSES: dict[str, str] = {
    "octreotide LAR": "SSA",
    "lanreotide": "SSA",
    "everolimus": "mTOR inhibitor",
    "sunitinib": "TKI",
    "surufatinib": "TKI",
    "CAPTEM": "chemotherapy",
    "temozolomide": "chemotherapy",
    "streptozocin-based": "chemotherapy",
    "platinum-etoposide": "chemotherapy",
    "FOLFOX": "chemotherapy",
    "177Lu-DOTATATE": "PRRT",
    "TACE": "liver-directed",
    "bland embolisation": "liver-directed",
    "TARE": "liver-directed",
    "surgery": "surgery",
    "watch-and-wait": "observation",
}

#: Canonical single-agent regimens; combinations join them with `` + ``.
REGIMENS = Vocabulary(
    "regimen",
    tuple(_REGIMEN_CLASSES),
    {
        "octreotide": "octreotide LAR",
        "sandostatin": "octreotide LAR",
        "sandostatin lar": "octreotide LAR",
        "octreotide lar depot": "octreotide LAR",
        "lanreotide autogel": "lanreotide",
        "somatuline": "lanreotide",
        "lanreotide depot": "lanreotide",
        "afinitor": "everolimus",
        "sutent": "sunitinib",
        "sulanda": "surufatinib",
        "capecitabine temozolomide": "CAPTEM",
        "capecitabine + temozolomide": "CAPTEM",
        "capecitabine and temozolomide": "CAPTEM",
        "capox tem": "CAPTEM",
        "tmz": "temozolomide",
        "streptozocin": "streptozocin-based",
        "streptozotocin": "streptozocin-based",
        "stz 5fu": "streptozocin-based",
        "stz": "streptozocin-based",
        "cisplatin etoposide": "platinum-etoposide",
        "carboplatin etoposide": "platinum-etoposide",
        "ep": "platinum-etoposide",
        "lutathera": "177Lu-DOTATATE",
        "lu 177 dotatate": "177Lu-DOTATATE",
        "177lu dotatate prrt": "177Lu-DOTATATE",
        "prrt": "177Lu-DOTATATE",
        "lutetium": "177Lu-DOTATATE",
        "chemoembolisation": "TACE",
        "chemoembolization": "TACE",
        "transarterial chemoembolization": "TACE",
        "bland embolization": "bland embolisation",
        "tae": "bland embolisation",
        "sirt": "TARE",
        "radioembolisation": "TARE",
        "radioembolization": "TARE",
        "y90": "TARE",
        "resection": "surgery",
        "debulking": "surgery",
        "whipple": "surgery",
        "active surveillance": "watch-and-wait",
        "watch and wait": "watch-and-wait",
        "observation": "watch-and-wait",
    },
    {k: f"drug class: {v}" for k, v in _REGIMEN_CLASSES.items()},
)

#: Why a line of therapy ended (progression, toxicity, completed, death ...).
END_REASONS = Vocabulary(
    "end_reason",
    ("progression", "toxicity", "completed", "death", "patient_choice", "ongoing", "other"),
    {
        "pd": "progression",
        "progressive disease": "progression",
        "adverse event": "toxicity",
        "ae": "toxicity",
        "intolerance": "toxicity",
        "planned completion": "completed",
        "complete": "completed",
        "died": "death",
        "patient decision": "patient_choice",
        "patient preference": "patient_choice",
        "continuing": "ongoing",
        "on treatment": "ongoing",
    },
)

#: Best response by RECIST: CR, PR, SD, PD, NE.
RESPONSES = Vocabulary(
    "best_response",
    ("CR", "PR", "SD", "PD", "NE"),
    {
        "complete response": "CR",
        "partial response": "PR",
        "stable disease": "SD",
        "stable": "SD",
        "progressive disease": "PD",
        "progression": "PD",
        "not evaluable": "NE",
        "not evaluated": "NE",
    },
    {
        "CR": "complete response (RECIST 1.1)",
        "PR": "partial response",
        "SD": "stable disease",
        "PD": "progressive disease",
        "NE": "not evaluable",
    },
)

# --- imaging -----------------------------------------------------------------------------

#: Imaging tracers that show somatostatin-receptor (SSTR) expression.
SSTR_TRACERS = (
    "68Ga-DOTATATE",
    "68Ga-DOTATOC",
    "68Ga-DOTANOC",
    "64Cu-DOTATATE",
    "111In-pentetreotide",
)

#: Imaging tracers: the SSTR tracers and 18F-FDG.
TRACERS = Vocabulary(
    "tracer",
    (*SSTR_TRACERS, "18F-FDG"),
    {
        "ga 68 dotatate": "68Ga-DOTATATE",
        "ga68 dotatate": "68Ga-DOTATATE",
        "[68ga]ga dotatate": "68Ga-DOTATATE",
        "netspot": "68Ga-DOTATATE",
        "dotatate": "68Ga-DOTATATE",
        "ga 68 dotatoc": "68Ga-DOTATOC",
        "dotatoc": "68Ga-DOTATOC",
        "ga 68 dotanoc": "68Ga-DOTANOC",
        "dotanoc": "68Ga-DOTANOC",
        "cu 64 dotatate": "64Cu-DOTATATE",
        "detectnet": "64Cu-DOTATATE",
        "octreoscan": "111In-pentetreotide",
        "in 111 pentetreotide": "111In-pentetreotide",
        "fdg": "18F-FDG",
        "fdg pet": "18F-FDG",
        "18 fdg": "18F-FDG",
    },
    {"111In-pentetreotide": "SSTR scintigraphy (older, less sensitive than SSTR-PET)"},
)

#: Every vocabulary by the name the schema uses for it.
VOCABULARIES: dict[str, Vocabulary] = {
    v.name: v
    for v in (
        SEX,
        PRIMARY_SITES,
        FUNCTIONAL_STATUS,
        HEREDITARY_SYNDROMES,
        STAGES,
        SAMPLE_SITES,
        SPECIMEN_TYPES,
        DIFFERENTIATION,
        REGIMENS,
        END_REASONS,
        RESPONSES,
        TRACERS,
    )
}


def normalize_regimen(value: str) -> tuple[str | None, list[str]]:
    """Canonicalise a regimen, including combinations such as ``"everolimus + octreotide"``.

    Parameters
    ----------
    value : str
        Regimen as recorded.

    Returns
    -------
    canonical : str or None
        The canonical regimen (components joined by ``" + "`` in :data:`REGIMENS` order), or
        ``None`` when any component is unknown.
    unknown : list of str
        The components that matched no regimen (empty when ``canonical`` is not ``None``).

    Examples
    --------
    >>> normalize_regimen("Octreotide + Everolimus")
    ('octreotide LAR + everolimus', [])
    >>> normalize_regimen("Lutathera")
    ('177Lu-DOTATATE', [])
    """
    whole = REGIMENS.normalize(value)
    if whole is not None:
        return whole, []
    parts = [p for p in _SPLIT_COMBINATION.split(str(value)) if p.strip()]
    canonical: list[str] = []
    unknown: list[str] = []
    for part in parts:
        hit = REGIMENS.normalize(part)
        if hit is None:
            unknown.append(part.strip())
        elif hit not in canonical:
            canonical.append(hit)
    if unknown or not canonical:
        return None, unknown or [str(value)]
    order = {name: i for i, name in enumerate(REGIMENS.values)}
    canonical.sort(key=order.__getitem__)
    return COMBINATION_SEPARATOR.join(canonical), []


def drug_class(regimen: str) -> str:
    """Return the drug class of a canonical regimen (combinations join classes with ``" + "``).

    Examples
    --------
    >>> drug_class("octreotide LAR + everolimus")
    'SSA + mTOR inhibitor'
    """
    classes: list[str] = []
    for part in str(regimen).split(COMBINATION_SEPARATOR):
        cls = _REGIMEN_CLASSES.get(part)
        if cls is None:
            raise ValueError(f"{part!r} is not a canonical regimen; normalise it first")
        if cls not in classes:
            classes.append(cls)
    return COMBINATION_SEPARATOR.join(classes)


def regimen_components(regimen: str) -> Iterable[str]:
    """Split a canonical regimen into its components.

    Examples
    --------
    >>> from netstats.vocab import regimen_components
    >>> list(regimen_components("octreotide LAR + everolimus"))
    ['octreotide LAR', 'everolimus']
    """
    return str(regimen).split(COMBINATION_SEPARATOR)
