"""Build paired specimens from the pathology table (one row per specimen)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from netstats import vocab
from netstats._display import ResultDisplay, plural
from netstats.cohort._who import GradingScheme, who_grade_detail
from netstats.exceptions import SchemaError

__all__ = ["PAIR_KINDS", "PairSet", "build_pairs", "check_pathology"]

SITES = vocab.SAMPLE_SITES.values
SPECIMEN_TYPES = vocab.SPECIMEN_TYPES.values
_REQUIRED = ("patient_id", "sample_id", "sample_date", "site", "specimen_type", "ki67_percent")
_CARRIED = (
    "sample_id",
    "sample_date",
    "site",
    "specimen_type",
    "differentiation",
    "ki67_percent",
    "ki67_cells_counted",
    "ki67_positive_cells",
    "mitoses_per_2mm2",
    "tumour_size_mm",
    "who_grade",
    "grade_basis",
)
#: Pair kinds and the column prefixes (first, second) each produces.
PAIR_KINDS: dict[str, tuple[str, str]] = {
    "primary_metastasis": ("primary", "metastasis"),
    "biopsy_resection": ("biopsy", "resection"),
    "successive": ("earlier", "later"),
}
DAYS_PER_MONTH = 30.4375


def check_pathology(pathology: pd.DataFrame) -> None:
    """Validate the pathology table columns and vocabularies; raise one SchemaError listing all.

    Parameters
    ----------
    pathology : pandas.DataFrame
        One row per specimen (see the data model in the package documentation).

    Raises
    ------
    TypeError
        If ``pathology`` is not a DataFrame.
    SchemaError
        Missing columns, unknown ``site``/``specimen_type`` labels, Ki-67 outside [0, 100],
        duplicated ``sample_id``, or unparseable ``sample_date``.

    Examples
    --------
    >>> import pandas as pd
    >>> from netstats.grading import check_pathology
    >>> check_pathology(pd.DataFrame({"patient_id": ["P1"], "ki67_percent": [12.0]}))
    Traceback (most recent call last):
    ...
    netstats.exceptions.SchemaError: pathology table lacks required column(s): sample_id, sample_date, site, specimen_type
    """
    if not isinstance(pathology, pd.DataFrame):
        raise TypeError(f"pathology must be a pandas DataFrame, got {type(pathology).__name__}")
    problems = []
    missing = [c for c in _REQUIRED if c not in pathology.columns]
    if missing:
        raise SchemaError(f"pathology table lacks required column(s): {', '.join(missing)}")
    site = pathology["site"]
    bad = site.notna() & ~site.isin(SITES)
    if bad.any():
        problems.append(
            f"site: unknown label {site[bad].iloc[0]!r}; expected one of {', '.join(SITES)}"
        )
    st = pathology["specimen_type"]
    bad = st.notna() & ~st.isin(SPECIMEN_TYPES)
    if bad.any():
        problems.append(
            f"specimen_type: unknown label {st[bad].iloc[0]!r}; expected one of {', '.join(SPECIMEN_TYPES)}"
        )
    ki = pd.to_numeric(pathology["ki67_percent"], errors="coerce")
    bad = (ki < 0) | (ki > 100)
    if bad.any():
        ids = pathology.loc[bad, "patient_id"].astype(str).unique()[:5]
        problems.append(
            f"ki67_percent: {int(bad.sum())} values outside [0, 100] (patient_id {', '.join(ids)})"
        )
    dup = pathology["sample_id"].duplicated()
    if dup.any():
        problems.append(
            f"sample_id: {int(dup.sum())} duplicated (e.g. {pathology.loc[dup, 'sample_id'].iloc[0]!r})"
        )
    if not pd.api.types.is_datetime64_any_dtype(pathology["sample_date"]):
        problems.append("sample_date: expected datetime64 dtype (use pandas.to_datetime)")
    if problems:
        raise SchemaError(
            f"{len(problems)} problem(s) in pathology table\n  - " + "\n  - ".join(problems)
        )


@dataclass(frozen=True, repr=False)
class PairSet(ResultDisplay):
    """Paired specimens and the specimens left out.

    Attributes
    ----------
    pairs : pandas.DataFrame
        One row per pair; see :func:`build_pairs`.
    excluded : pandas.DataFrame
        One row per specimen not used: ``patient_id``, ``sample_id``, ``reason``.
    kind : str
        Pair kind.
    first, second : str
        Column prefixes of the two members (pass them to ``concordance``).

    Examples
    --------
    >>> import pandas as pd
    >>> from netstats.grading import build_pairs
    >>> path = pd.DataFrame({
    ...     "patient_id": ["P1", "P1", "P2", "P2", "P3"],
    ...     "sample_id": ["S1", "S2", "S3", "S4", "S5"],
    ...     "sample_date": pd.to_datetime(["2020-01-01", "2020-02-01", "2019-03-01",
    ...                                    "2021-06-01", "2020-01-01"]),
    ...     "site": ["primary", "liver", "primary", "lymph_node", "liver"],
    ...     "specimen_type": ["resection", "core_biopsy", "resection", "core_biopsy",
    ...                       "core_biopsy"],
    ...     "ki67_percent": [2.0, 8.0, 15.0, 30.0, 4.0]})
    >>> ps = build_pairs(path)
    >>> print(ps.method)
    primary_metastasis specimen pairs (primary vs metastasis): 2 pairs from 2 patients; 1 specimen excluded
    >>> ps.pairs[["patient_id", "primary_who_grade", "metastasis_who_grade", "timing"]]
      patient_id primary_who_grade metastasis_who_grade        timing
    0         P1                G1                   G2   synchronous
    1         P2                G2                   G3  metachronous
    """

    pairs: pd.DataFrame
    excluded: pd.DataFrame
    kind: str
    first: str
    second: str

    @property
    def summary(self) -> pd.DataFrame:
        """Counts: pairs, patients, patients with several pairs, and exclusions by reason."""
        rows = [
            ("pairs", len(self.pairs)),
            ("patients", self.pairs["patient_id"].nunique()),
            (
                "patients_with_several_pairs",
                int((self.pairs["patient_id"].value_counts() > 1).sum()),
            ),
        ]
        rows += [
            (f"excluded: {r}", int(n)) for r, n in self.excluded["reason"].value_counts().items()
        ]
        return pd.DataFrame(rows, columns=["item", "count"])

    @property
    def method(self) -> str:
        """One-line description (pair kind, sizes, exclusions)."""
        n_patients = self.pairs["patient_id"].nunique()
        return (
            f"{self.kind} specimen pairs ({self.first} vs {self.second}): "
            f"{plural(len(self.pairs), 'pair')} from {plural(n_patients, 'patient')}; "
            f"{plural(len(self.excluded), 'specimen')} excluded"
        )

    def to_frame(self) -> pd.DataFrame:
        """The pairs table."""
        return self.pairs

    def _display_frame(self) -> pd.DataFrame:
        return self.summary


def _intervening(pairs: pd.DataFrame, therapy_lines: pd.DataFrame, d1: str, d2: str) -> pd.Series:
    need = {"patient_id", "start_date"}
    if not need <= set(therapy_lines.columns):
        raise SchemaError(
            f"therapy_lines lacks column(s): {', '.join(sorted(need - set(therapy_lines.columns)))}"
        )
    tl = therapy_lines[["patient_id", "start_date"]].copy()
    tl["end_date"] = therapy_lines.get("end_date", pd.NaT)
    m = pairs[["patient_id", d1, d2]].reset_index().merge(tl, on="patient_id", how="left")
    early = m[[d1, d2]].min(axis=1)
    late = m[[d1, d2]].max(axis=1)
    hit = (
        m["start_date"].notna()
        & (m["start_date"] < late)
        & (m["end_date"].isna() | (m["end_date"] > early))
    )
    counts = hit.groupby(m["index"]).sum()
    return counts.reindex(pairs.index, fill_value=0).astype(int)


def build_pairs(
    pathology: pd.DataFrame,
    *,
    kind: Literal["primary_metastasis", "biopsy_resection", "successive"] = "primary_metastasis",
    synchronous_days: int = 90,
    therapy_lines: pd.DataFrame | None = None,
    same_site: bool = False,
    scheme: str | GradingScheme = "who2019",
) -> PairSet:
    """Pair specimens of the same patient for concordance analysis.

    Parameters
    ----------
    pathology : pandas.DataFrame
        One row per specimen with ``patient_id``, ``sample_id``, ``sample_date``
        (datetime64), ``site``, ``specimen_type``, ``ki67_percent`` and optionally
        ``differentiation``, ``mitoses_per_2mm2``, ``ki67_cells_counted``,
        ``ki67_positive_cells``, ``tumour_size_mm``.
    kind : {"primary_metastasis", "biopsy_resection", "successive"}
        ``primary_metastasis``: every metastasis specimen (site other than primary) with the
        patient's primary specimen closest in time. ``biopsy_resection``: every core biopsy
        or FNA cell block with the resection of the same site closest in time.
        ``successive``: consecutive specimens in time order (ties broken by ``sample_id``).
    synchronous_days : int, default=90
        Pairs at most this many days apart are ``synchronous``, others ``metachronous``.
    therapy_lines : pandas.DataFrame, optional
        Lines of therapy (``patient_id``, ``start_date``, ``end_date``). When given,
        ``n_intervening_lines`` counts lines overlapping the interval between the two samples
        (start before the later sample and end, if any, after the earlier one) and
        ``intervening_therapy`` is their presence; otherwise these columns are missing.
    same_site : bool, default=False
        For ``successive``: pair only specimens from the same site.
    scheme : str or GradingScheme, default="who2019"
        Grading scheme used to add ``who_grade`` to every specimen.

    Returns
    -------
    PairSet
        ``pairs`` has one row per pair: ``patient_id``, ``pair_id`` (int), then for each
        member prefix P (e.g. ``primary`` and ``metastasis``) the columns ``P_sample_id``,
        ``P_sample_date``, ``P_site``, ``P_specimen_type``, ``P_differentiation``,
        ``P_ki67_percent`` (%), ``P_ki67_cells_counted``, ``P_ki67_positive_cells``,
        ``P_mitoses_per_2mm2`` (per 2 mm^2), ``P_tumour_size_mm`` (mm), ``P_who_grade``,
        ``P_grade_basis``; and ``days_between`` (second - first, days, signed),
        ``months_between`` (absolute, months of 30.4375 days), ``synchronous`` (bool),
        ``timing`` ("synchronous"/"metachronous"), ``n_intervening_lines`` (Int64),
        ``intervening_therapy`` (boolean), ``n_pairs_patient`` (pairs of this patient).
        ``excluded`` lists every specimen not used, with the reason.

    Raises
    ------
    SchemaError
        If the pathology table fails :func:`check_pathology`.

    Notes
    -----
    A patient with several metastases sampled contributes several pairs sharing one primary;
    ``concordance`` then uses a patient-level bootstrap. Specimens without a date cannot be
    ordered and are excluded (and listed). A primary specimen may be reused by several pairs,
    so it appears in ``excluded`` only if no pair uses it.

    Examples
    --------
    >>> path = pd.DataFrame({
    ...     "patient_id": ["P1", "P1"], "sample_id": ["S1", "S2"],
    ...     "sample_date": pd.to_datetime(["2020-01-01", "2020-02-01"]),
    ...     "site": ["primary", "liver"], "specimen_type": ["resection", "core_biopsy"],
    ...     "ki67_percent": [2.0, 8.0]})
    >>> build_pairs(path).pairs[["primary_who_grade", "metastasis_who_grade", "timing"]]
      primary_who_grade metastasis_who_grade       timing
    0                G1                   G2  synchronous
    """
    check_pathology(pathology)
    if kind not in PAIR_KINDS:
        raise ValueError(f"kind must be one of {sorted(PAIR_KINDS)}, got {kind!r}")
    if not isinstance(synchronous_days, (int, np.integer)) or synchronous_days < 0:
        raise ValueError(
            f"synchronous_days must be a non-negative integer, got {synchronous_days!r}"
        )
    first, second = PAIR_KINDS[kind]
    df = pathology.copy()
    for col in _CARRIED:
        if col not in df.columns and col not in ("who_grade", "grade_basis"):
            df[col] = np.nan
    det = who_grade_detail(
        df["ki67_percent"].to_numpy(dtype=float, na_value=np.nan),
        df["mitoses_per_2mm2"].to_numpy(dtype=float, na_value=np.nan),
        differentiation=df["differentiation"].to_numpy(dtype=object),
        scheme=scheme,
    )
    df["who_grade"] = det["who_grade"].to_numpy()
    df["grade_basis"] = det["grade_basis"].to_numpy()
    excluded = [
        pd.DataFrame(
            {
                "patient_id": df.loc[df["sample_date"].isna(), "patient_id"],
                "sample_id": df.loc[df["sample_date"].isna(), "sample_id"],
                "reason": "missing sample_date",
            }
        )
    ]
    df = df[df["sample_date"].notna()]
    keep = ["patient_id", *_CARRIED]
    if kind == "successive":
        d = df.sort_values(["patient_id", "sample_date", "sample_id"], kind="mergesort")
        group_keys = ["patient_id", "site"] if same_site else ["patient_id"]
        nxt = d.groupby(group_keys, sort=False)[list(_CARRIED)].shift(-1)
        a = d[keep]
        b = nxt.add_prefix(f"{second}_")
        merged = pd.concat(
            [a.add_prefix(f"{first}_").rename(columns={f"{first}_patient_id": "patient_id"}), b],
            axis=1,
        )
        merged = merged[merged[f"{second}_sample_id"].notna()]
    else:
        if kind == "primary_metastasis":
            is_a = df["site"].eq("primary")
            is_b = df["site"].notna() & ~is_a
        else:
            is_a = df["specimen_type"].isin(["core_biopsy", "fna_cell_block"])
            is_b = df["specimen_type"].eq("resection")
        a = (
            df.loc[is_a, keep]
            .add_prefix(f"{first}_")
            .rename(columns={f"{first}_patient_id": "patient_id"})
        )
        b = (
            df.loc[is_b, keep]
            .add_prefix(f"{second}_")
            .rename(columns={f"{second}_patient_id": "patient_id"})
        )
        if kind == "biopsy_resection":
            a["_site"] = a[f"{first}_site"]
            b["_site"] = b[f"{second}_site"]
            on = ["patient_id", "_site"]
        else:
            on = ["patient_id"]
        # each anchor specimen (metastasis; biopsy) is matched to the closest partner in time
        anchor, partner, pfx = (b, a, first) if kind == "primary_metastasis" else (a, b, second)
        cand = anchor.reset_index(drop=True).reset_index(names="_anchor").merge(partner, on=on)
        gap = (cand[f"{second}_sample_date"] - cand[f"{first}_sample_date"]).abs()
        cand = cand.assign(_gap=gap).sort_values(
            ["_anchor", "_gap", f"{pfx}_sample_id"], kind="mergesort"
        )
        merged = cand.drop_duplicates("_anchor").drop(
            columns=["_anchor", "_gap", *(["_site"] if "_site" in cand else [])]
        )
        primary_col = [f"{first}_{c}" for c in _CARRIED]
        second_col = [f"{second}_{c}" for c in _CARRIED]
        merged = merged[["patient_id", *primary_col, *second_col]]
    used = set(merged[f"{first}_sample_id"]) | set(merged[f"{second}_sample_id"])
    unused = df[~df["sample_id"].isin(used)]
    if len(unused):
        reason = {
            "primary_metastasis": "no primary and metastasis specimen pair for this patient",
            "biopsy_resection": "no biopsy and resection of the same site for this patient",
            "successive": "only specimen of this patient" + (" and site" if same_site else ""),
        }[kind]
        excluded.append(
            pd.DataFrame(
                {
                    "patient_id": unused["patient_id"],
                    "sample_id": unused["sample_id"],
                    "reason": reason,
                }
            )
        )
    merged = merged.sort_values(
        ["patient_id", f"{first}_sample_date", f"{second}_sample_date", f"{second}_sample_id"],
        kind="mergesort",
    ).reset_index(drop=True)
    days = (merged[f"{second}_sample_date"] - merged[f"{first}_sample_date"]).dt.days
    merged.insert(1, "pair_id", np.arange(1, len(merged) + 1))
    merged["days_between"] = days.astype("int64")
    merged["months_between"] = days.abs() / DAYS_PER_MONTH
    merged["synchronous"] = days.abs() <= synchronous_days
    merged["timing"] = np.where(merged["synchronous"], "synchronous", "metachronous")
    if therapy_lines is not None:
        n_lines = _intervening(
            merged, therapy_lines, f"{first}_sample_date", f"{second}_sample_date"
        )
        merged["n_intervening_lines"] = pd.array(n_lines.to_numpy(), dtype="Int64")
        merged["intervening_therapy"] = pd.array(n_lines.to_numpy() > 0, dtype="boolean")
    else:
        merged["n_intervening_lines"] = pd.array([pd.NA] * len(merged), dtype="Int64")
        merged["intervening_therapy"] = pd.array([pd.NA] * len(merged), dtype="boolean")
    merged["n_pairs_patient"] = (
        merged.groupby("patient_id")["pair_id"].transform("size").astype("int64")
    )
    for p in (first, second):
        merged[f"{p}_who_grade"] = merged[f"{p}_who_grade"].astype(det["who_grade"].dtype)
    exc = (
        pd.concat(excluded, ignore_index=True)
        if excluded
        else pd.DataFrame(columns=["patient_id", "sample_id", "reason"])
    )
    return PairSet(
        pairs=merged, excluded=exc.reset_index(drop=True), kind=kind, first=first, second=second
    )
