"""Ki-67 and WHO grade: grading, counting uncertainty and paired concordance statistics.

- :func:`who_grade`, :func:`who_grade_detail`: WHO 2019 grade from Ki-67 and mitoses;
  :func:`grade_specimens` grades a whole pathology table with its counting uncertainty.
- :func:`ki67_interval`, :func:`grade_probabilities`, :func:`expected_misgraded`,
  :func:`cells_needed`, :func:`grade_probability_curve`: counting uncertainty.
- :func:`build_pairs`: primary/metastasis, biopsy/resection and successive specimen pairs.
- :func:`concordance`: cross-table, kappas, Bowker, Stuart-Maxwell, Bland-Altman, CCC, ICC.
- :func:`cohen_kappa`, :func:`bowker_test`, :func:`stuart_maxwell_test`,
  :func:`bland_altman`, :func:`lin_ccc`, :func:`icc`: the building blocks;
  :func:`icc_raters`: the six ICCs of k >= 2 raters.
- :func:`discordance_model` (logistic GEE), :func:`ki67_trajectory_model` (mixed model).
- :func:`ki67_cutpoint`: maximally selected log-rank statistic (with an optimism warning);
  :func:`ki67_hazard`: Cox HR per doubling and restricted-cubic-spline HR curve.
"""

from __future__ import annotations

from netstats.cohort._who import (
    GRADE_DTYPE,
    GRADES,
    NEC_LABEL,
    WHO2019,
    WHO2019_KI67_G2_LOWER,
    WHO2019_KI67_G3_ABOVE,
    WHO2019_MITOSES_G2_LOWER,
    WHO2019_MITOSES_G3_ABOVE,
    GradingScheme,
    get_scheme,
    who_grade,
    who_grade_detail,
)
from netstats.grading._agreement import (
    KappaResult,
    SquareTableTest,
    bowker_test,
    cohen_kappa,
    stuart_maxwell_test,
)
from netstats.grading._concordance import ConcordanceResult, concordance
from netstats.grading._continuous import BlandAltmanResult, bland_altman, icc, lin_ccc
from netstats.grading._counting import (
    cells_needed,
    expected_misgraded,
    grade_probabilities,
    grade_probability_curve,
    ki67_interval,
)
from netstats.grading._cutpoint import CutpointResult, ki67_cutpoint
from netstats.grading._icc import ICCResult, icc_raters
from netstats.grading._models import (
    DiscordanceModelResult,
    Ki67TrajectoryResult,
    discordance_model,
    ki67_trajectory_model,
)
from netstats.grading._pairs import PAIR_KINDS, PairSet, build_pairs, check_pathology
from netstats.grading._prognostic import Ki67HazardResult, ki67_hazard, rcs_basis
from netstats.grading._specimens import grade_specimens

__all__ = [
    "GRADES",
    "GRADE_DTYPE",
    "NEC_LABEL",
    "PAIR_KINDS",
    "WHO2019",
    "WHO2019_KI67_G2_LOWER",
    "WHO2019_KI67_G3_ABOVE",
    "WHO2019_MITOSES_G2_LOWER",
    "WHO2019_MITOSES_G3_ABOVE",
    "BlandAltmanResult",
    "ConcordanceResult",
    "CutpointResult",
    "DiscordanceModelResult",
    "Ki67TrajectoryResult",
    "GradingScheme",
    "ICCResult",
    "KappaResult",
    "Ki67HazardResult",
    "PairSet",
    "SquareTableTest",
    "bland_altman",
    "bowker_test",
    "build_pairs",
    "cells_needed",
    "check_pathology",
    "cohen_kappa",
    "concordance",
    "discordance_model",
    "expected_misgraded",
    "get_scheme",
    "grade_probabilities",
    "grade_specimens",
    "grade_probability_curve",
    "icc",
    "icc_raters",
    "ki67_cutpoint",
    "ki67_hazard",
    "ki67_trajectory_model",
    "ki67_interval",
    "lin_ccc",
    "rcs_basis",
    "stuart_maxwell_test",
    "who_grade",
    "who_grade_detail",
]
