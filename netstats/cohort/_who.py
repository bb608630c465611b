"""WHO grading of gastroenteropancreatic neuroendocrine neoplasms from Ki-67 and mitoses.

The cut-offs are named constants grouped in a :class:`GradingScheme`; functions pick a scheme by
name (``scheme="who2019"``) and never contain bare thresholds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from netstats.exceptions import SchemaError

__all__ = [
    "GRADES",
    "GRADE_DTYPE",
    "NEC_LABEL",
    "WHO2019",
    "WHO2019_KI67_G2_LOWER",
    "WHO2019_KI67_G3_ABOVE",
    "WHO2019_MITOSES_G2_LOWER",
    "WHO2019_MITOSES_G3_ABOVE",
    "GradingScheme",
    "get_scheme",
    "who_grade",
    "who_grade_detail",
]

#: Ki-67 index (%) from which a well-differentiated NET is at least G2 (G1 is Ki-67 < 3 %).
#: WHO Classification of Tumours, Digestive System Tumours, 5th ed. (2019); NANETS pNET
#: guideline (Halperin et al., Pancreas 2020), Table 1.
WHO2019_KI67_G2_LOWER: float = 3.0
#: Ki-67 index (%) above which a well-differentiated NET is G3 (G2 is 3-20 % inclusive).
WHO2019_KI67_G3_ABOVE: float = 20.0
#: Mitoses per 2 mm^2 from which a NET is at least G2 (G1 is < 2 per 2 mm^2). Same sources.
WHO2019_MITOSES_G2_LOWER: float = 2.0
#: Mitoses per 2 mm^2 above which a NET is G3 (G2 is 2-20 per 2 mm^2 inclusive).
WHO2019_MITOSES_G3_ABOVE: float = 20.0

#: Ordered grades of well-differentiated NETs.
GRADES: tuple[str, str, str] = ("G1", "G2", "G3")
#: Label of poorly differentiated neuroendocrine carcinoma, kept apart from G3 NET.
NEC_LABEL: str = "NEC"
#: Categorical dtype of every grade column netstats returns (unordered: NEC is not "G4").
GRADE_DTYPE = pd.CategoricalDtype([*GRADES, NEC_LABEL], ordered=False)


@dataclass(frozen=True)
class GradingScheme:
    """Cut-offs of a grading scheme.

    A value equal to a ``*_lower`` cut-off belongs to the higher grade; a value equal to a
    ``*_above`` cut-off belongs to the lower grade (WHO 2019: Ki-67 3.0 -> G2, 20.0 -> G2).

    Parameters
    ----------
    name : str
        Short identifier (``"who2019"``).
    ki67_g2_lower, ki67_g3_above : float
        Ki-67 cut-offs in percent.
    mitoses_g2_lower, mitoses_g3_above : float
        Mitotic-count cut-offs per 2 mm^2.
    reference : str
        Source of the cut-offs.

    Examples
    --------
    >>> from netstats.grading import WHO2019, GradingScheme, who_grade
    >>> WHO2019.ki67_g2_lower, WHO2019.ki67_g3_above
    (3.0, 20.0)
    >>> strict = GradingScheme("strict", 2.0, 20.0, 2.0, 20.0, reference="illustration only")
    >>> who_grade([2.5], scheme=strict).tolist()
    ['G2']
    """

    name: str
    ki67_g2_lower: float
    ki67_g3_above: float
    mitoses_g2_lower: float
    mitoses_g3_above: float
    reference: str


#: WHO 2019 classification of GEP neuroendocrine neoplasms.
WHO2019 = GradingScheme(
    name="who2019",
    ki67_g2_lower=WHO2019_KI67_G2_LOWER,
    ki67_g3_above=WHO2019_KI67_G3_ABOVE,
    mitoses_g2_lower=WHO2019_MITOSES_G2_LOWER,
    mitoses_g3_above=WHO2019_MITOSES_G3_ABOVE,
    reference=(
        "WHO Classification of Tumours Editorial Board. Digestive System Tumours, 5th ed. "
        "Lyon: IARC; 2019. Halperin DM et al. NANETS pNET guideline, Pancreas 2020, Table 1."
    ),
)

_SCHEMES = {"who2019": WHO2019}


def get_scheme(scheme: str | GradingScheme) -> GradingScheme:
    """Return the :class:`GradingScheme` called ``scheme`` (or ``scheme`` itself).

    Parameters
    ----------
    scheme : str or GradingScheme
        A scheme name (``"who2019"``) or a scheme.

    Returns
    -------
    GradingScheme
        The cut-offs.

    Raises
    ------
    ValueError
        If the name is unknown.
    TypeError
        If ``scheme`` is neither a string nor a GradingScheme.

    Examples
    --------
    >>> from netstats.grading import get_scheme
    >>> get_scheme("who2019").name
    'who2019'
    """
    if isinstance(scheme, GradingScheme):
        return scheme
    if not isinstance(scheme, str):
        raise TypeError(f"scheme must be a str or GradingScheme, got {type(scheme).__name__}")
    try:
        return _SCHEMES[scheme]
    except KeyError:
        raise ValueError(
            f"unknown grading scheme {scheme!r}; expected one of {sorted(_SCHEMES)}"
        ) from None


def _as_float(x: npt.ArrayLike | None, name: str, n: int | None) -> np.ndarray:
    if x is None:
        if n is None:
            raise TypeError(f"{name} must be given")
        return np.full(n, np.nan)
    ser = pd.Series(x) if not isinstance(x, pd.Series) else x
    if ser.dtype == object or isinstance(ser.dtype, pd.StringDtype):
        bad = ser.dropna().map(lambda v: not isinstance(v, (int, float, np.number)))
        if bad.any():
            raise TypeError(f"{name} must be numeric; found {ser.dropna()[bad].iloc[0]!r}")
    try:
        arr = pd.to_numeric(ser, errors="raise").astype("float64").to_numpy(na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be numeric: {exc}") from None
    return arr


def _grade_codes(values: np.ndarray, g2_lower: float, g3_above: float) -> np.ndarray:
    """0/1/2 for G1/G2/G3 and -1 where the value is missing."""
    codes = np.where(values > g3_above, 2, np.where(values >= g2_lower, 1, 0))
    return np.where(np.isnan(values), -1, codes)


def who_grade_detail(
    ki67_percent: npt.ArrayLike | None,
    mitoses_per_2mm2: npt.ArrayLike | None = None,
    *,
    differentiation: npt.ArrayLike | None = None,
    scheme: str | GradingScheme = "who2019",
) -> pd.DataFrame:
    """WHO grade with the grade from each marker and the basis of the final grade.

    Parameters
    ----------
    ki67_percent : array-like of float or None
        Ki-67 proliferation index in percent (0-100); NaN where not measured.
    mitoses_per_2mm2 : array-like of float or None, default=None
        Mitotic count per 2 mm^2 (>= 0); NaN where not counted. ``None``: not available.
    differentiation : array-like of {"well", "poor"} or None, default=None
        Tumour differentiation; ``"poor"`` gives NEC whatever the counts. Missing or ``None``
        is graded as a well-differentiated NET and reported in ``differentiation_known``.
    scheme : str or GradingScheme, default="who2019"
        Grading cut-offs.

    Returns
    -------
    pandas.DataFrame
        One row per input element (index kept from a Series input), columns:

        - ``who_grade`` : categorical {G1, G2, G3, NEC}; missing when nothing was measured.
        - ``grade_ki67`` : categorical {G1, G2, G3}, grade from Ki-67 alone.
        - ``grade_mitoses`` : categorical {G1, G2, G3}, grade from the mitotic count alone.
        - ``grade_basis`` : str, one of ``ki67_and_mitoses``, ``ki67_only``,
          ``mitoses_only``, ``poor_differentiation``, ``missing``.
        - ``single_marker`` : bool, True when the NET grade rests on one marker only.
        - ``differentiation_known`` : bool.

    Raises
    ------
    SchemaError
        Ki-67 outside [0, 100], negative mitoses, unknown differentiation label, or inputs of
        different lengths.
    TypeError
        Non-numeric counts.

    Notes
    -----
    Cut-offs (WHO 2019): G1 Ki-67 < 3 % and mitoses < 2 / 2 mm^2; G2 Ki-67 3-20 % or mitoses
    2-20; G3 Ki-67 > 20 % or mitoses > 20. Boundaries are closed on the G2 side: 3.0 and 20.0
    are G2, 20.01 is G3. Values are used as given (no rounding); round first if the local
    protocol reports whole percentages. When the two markers disagree the higher grade is
    assigned. When only one marker is available the grade is taken from it and
    ``single_marker`` is True, since the second marker could only raise the grade. Poorly
    differentiated carcinoma (NEC) is a separate entity and is not graded.

    References
    ----------
    WHO Classification of Tumours, Digestive System Tumours, 5th ed., IARC 2019.
    Halperin DM et al. NANETS pNET guideline, Pancreas 2020 (Table 1 and pathology section).

    Examples
    --------
    >>> who_grade_detail([2.9, 3.0, 20.0, 20.01], [1, 1, np.nan, 0])["who_grade"].tolist()
    ['G1', 'G2', 'G2', 'G3']
    """
    sch = get_scheme(scheme)
    index = None
    for x in (ki67_percent, mitoses_per_2mm2, differentiation):
        if isinstance(x, pd.Series):
            index = x.index
            break
    lengths = {
        len(np.atleast_1d(np.asarray(x, dtype=object)))
        for x in (ki67_percent, mitoses_per_2mm2, differentiation)
        if x is not None
    }
    if not lengths:
        raise TypeError("give ki67_percent, mitoses_per_2mm2 or differentiation")
    if len(lengths) > 1:
        raise SchemaError(
            f"ki67_percent, mitoses_per_2mm2 and differentiation differ in length: {sorted(lengths)}"
        )
    n = lengths.pop()
    ki = _as_float(ki67_percent, "ki67_percent", n)
    mi = _as_float(mitoses_per_2mm2, "mitoses_per_2mm2", n)
    problems = []
    bad = np.flatnonzero((ki < 0) | (ki > 100))
    if bad.size:
        problems.append(
            f"ki67_percent: {bad.size} values outside [0, 100] (positions {bad[:5].tolist()})"
        )
    bad = np.flatnonzero(mi < 0)
    if bad.size:
        problems.append(
            f"mitoses_per_2mm2: {bad.size} negative values (positions {bad[:5].tolist()})"
        )
    if differentiation is None:
        diff = pd.Series([np.nan] * n, dtype=object)
    else:
        diff = pd.Series(np.asarray(differentiation, dtype=object))
    unknown = diff.notna() & ~diff.isin(["well", "poor"])
    if unknown.any():
        problems.append(
            f"differentiation: unknown label {diff[unknown].iloc[0]!r}; expected 'well' or 'poor' (case-sensitive)"
        )
    if problems:
        raise SchemaError(
            f"{len(problems)} problem(s) in grading input\n  - " + "\n  - ".join(problems)
        )
    poor = diff.eq("poor").to_numpy()
    gk = _grade_codes(ki, sch.ki67_g2_lower, sch.ki67_g3_above)
    gm = _grade_codes(mi, sch.mitoses_g2_lower, sch.mitoses_g3_above)
    final = np.maximum(gk, gm)
    labels = np.array([*GRADES, NEC_LABEL], dtype=object)
    grade = np.asarray(labels[np.clip(final, 0, 2)], dtype=object)
    grade[final < 0] = None
    grade[poor] = NEC_LABEL
    basis = np.select(
        [poor, (gk >= 0) & (gm >= 0), gk >= 0, gm >= 0],
        ["poor_differentiation", "ki67_and_mitoses", "ki67_only", "mitoses_only"],
        default="missing",
    )

    def _cat(codes: np.ndarray) -> pd.Categorical:
        vals = np.where(codes >= 0, labels[np.clip(codes, 0, 2)], None)
        return pd.Categorical(list(vals), dtype=GRADE_DTYPE)

    out = pd.DataFrame(
        {
            "who_grade": pd.Categorical(grade, dtype=GRADE_DTYPE),
            "grade_ki67": _cat(gk),
            "grade_mitoses": _cat(gm),
            "grade_basis": basis.astype(object),
            "single_marker": np.isin(basis, ["ki67_only", "mitoses_only"]),
            "differentiation_known": diff.notna().to_numpy(),
        }
    )
    if index is not None:
        out.index = index
    return out


def who_grade(
    ki67_percent: npt.ArrayLike | None,
    mitoses_per_2mm2: npt.ArrayLike | None = None,
    *,
    differentiation: npt.ArrayLike | None = None,
    scheme: str | GradingScheme = "who2019",
) -> pd.Series:
    """WHO grade (G1, G2, G3, or NEC) of each specimen, vectorised.

    Parameters
    ----------
    ki67_percent : array-like of float or None
        Ki-67 proliferation index in percent (0-100); NaN where not measured.
    mitoses_per_2mm2 : array-like of float or None, default=None
        Mitotic count per 2 mm^2; NaN where not counted.
    differentiation : array-like of {"well", "poor"} or None, default=None
        ``"poor"`` gives ``"NEC"``.
    scheme : str or GradingScheme, default="who2019"
        Grading cut-offs.

    Returns
    -------
    pandas.Series
        Categorical {G1, G2, G3, NEC} named ``who_grade``; missing when neither marker was
        measured. :func:`who_grade_detail` also returns the grade basis and a flag for grades
        resting on one marker.

    Notes
    -----
    See :func:`who_grade_detail` for the rules (higher grade wins; 3.0 and 20.0 are G2).

    References
    ----------
    WHO Classification of Tumours, Digestive System Tumours, 5th ed., IARC 2019.

    Examples
    --------
    >>> who_grade([1.0, 3.0, 25.0], [5, 0, 0]).tolist()
    ['G2', 'G2', 'G3']
    """
    return who_grade_detail(
        ki67_percent, mitoses_per_2mm2, differentiation=differentiation, scheme=scheme
    )["who_grade"]
