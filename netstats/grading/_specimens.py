"""Grade every specimen of a pathology table, with its counting uncertainty."""

from __future__ import annotations

import numpy as np
import pandas as pd

from netstats.cohort._who import GradingScheme, who_grade_detail
from netstats.exceptions import SchemaError
from netstats.grading._counting import grade_probabilities

__all__ = ["grade_specimens"]


def grade_specimens(
    pathology: pd.DataFrame,
    *,
    certainty: float = 0.95,
    scheme: str | GradingScheme = "who2019",
) -> pd.DataFrame:
    """WHO grade and Ki-67 counting uncertainty for each specimen of a pathology table.

    Parameters
    ----------
    pathology : pandas.DataFrame
        One row per specimen with ``patient_id``, ``sample_id`` and at least one of
        ``ki67_percent`` and ``mitoses_per_2mm2``; optionally ``differentiation``,
        ``ki67_positive_cells`` and ``ki67_cells_counted``.
    certainty : float, default=0.95
        Threshold of the ``borderline`` flag (see :func:`grade_probabilities`).
    scheme : str or GradingScheme, default="who2019"
        Grading cut-offs.

    Returns
    -------
    pandas.DataFrame
        One row per specimen, index of ``pathology`` kept: ``patient_id``, ``sample_id``,
        ``who_grade``, ``grade_ki67``, ``grade_mitoses``, ``grade_basis``,
        ``single_marker``, ``differentiation_known`` (see :func:`who_grade_detail`), and from
        the cell counts ``p_g1``, ``p_g2``, ``p_g3`` (posterior probabilities of the true
        Ki-67 grade), ``p_observed_grade``, ``borderline`` (bool) and ``ki67_counts_match``
        (bool or missing: whether ``ki67_percent`` agrees with positive / counted cells within
        0.5 percentage points).

    Raises
    ------
    SchemaError
        Missing identifier columns or neither marker column.

    Notes
    -----
    The grade uses ``ki67_percent`` as reported; the probabilities use the counts. Specimens
    without counts get missing probabilities and ``borderline`` False. The counts-match flag
    catches transcription errors (a reported index that is not positive / counted).

    Examples
    --------
    >>> path = pd.DataFrame({"patient_id": ["P1", "P2"], "sample_id": ["S1", "S2"],
    ...                      "ki67_percent": [2.8, 12.0], "ki67_positive_cells": [14, 60],
    ...                      "ki67_cells_counted": [500, 500]})
    >>> grade_specimens(path)[["who_grade", "borderline"]]
      who_grade  borderline
    0        G1        True
    1        G2       False
    """
    if not isinstance(pathology, pd.DataFrame):
        raise TypeError(f"pathology must be a pandas DataFrame, got {type(pathology).__name__}")
    missing = [c for c in ("patient_id", "sample_id") if c not in pathology.columns]
    if missing:
        raise SchemaError(f"pathology table lacks column(s): {', '.join(missing)}")
    if "ki67_percent" not in pathology.columns and "mitoses_per_2mm2" not in pathology.columns:
        raise SchemaError("pathology table needs ki67_percent or mitoses_per_2mm2")
    n = len(pathology)

    def col(name: str, dtype: type = float) -> np.ndarray:
        if name not in pathology.columns:
            return np.full(n, np.nan if dtype is float else None, dtype=dtype)
        if dtype is float:
            return pd.to_numeric(pathology[name], errors="coerce").to_numpy(
                dtype=float, na_value=np.nan
            )
        return pathology[name].to_numpy(dtype=object)

    det = who_grade_detail(
        col("ki67_percent"),
        col("mitoses_per_2mm2"),
        differentiation=col("differentiation", object),
        scheme=scheme,
    )
    det.index = pathology.index
    pos, cnt = col("ki67_positive_cells"), col("ki67_cells_counted")
    gp = grade_probabilities(pos, cnt, certainty=certainty, scheme=scheme)
    gp.index = pathology.index
    with np.errstate(invalid="ignore", divide="ignore"):
        diff = np.abs(100 * pos / cnt - col("ki67_percent"))
    match = pd.Series(diff <= 0.5, index=pathology.index, dtype="boolean")
    match[np.isnan(diff)] = pd.NA
    out = pd.concat(
        [
            pathology[["patient_id", "sample_id"]],
            det,
            gp[["p_g1", "p_g2", "p_g3", "p_observed_grade", "borderline"]],
        ],
        axis=1,
    )
    out["ki67_counts_match"] = match
    return out
