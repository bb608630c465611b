"""Reports: run the analysis notebooks, format results, record provenance, protect privacy.

- :func:`render` executes the notebooks of ``analyses/`` and writes HTML, CSV and figures
  with an ``index.html`` (the ``netstats report`` command).
- :class:`ReportOutputs`: what a notebook uses to export its tables and figures;
  :func:`output_name` makes safe output names from data values.
- :func:`verify_report`: check a report folder against its ``report.json``.
- :func:`provenance`: code version, input hashes, rules, seeds and package versions.
- :class:`Disclosure`: the disclosure model of a notebook (every table protected on one
  model, recorded in ``disclosure.json``).
- :func:`suppress_counts`, :func:`suppress_table_one`, :func:`suppress_proportions`,
  :func:`suppress_small`: small-cell suppression; :func:`check_outputs`: the scan of
  outputs for identifiers and dates.
- ``fmt_*`` and :func:`format_table_one`: the only place numbers become strings;
  :func:`present` lays result frames out for publication (shown by :class:`TableOutput`).
"""

from __future__ import annotations

from netstats.report._disclosure import DISCLOSURE_FILE, Disclosure
from netstats.report._format import (
    MISSING,
    SUPPRESSED,
    display_frame,
    fmt_count_percent,
    fmt_count_percent_value,
    fmt_estimate_ci,
    fmt_mean_sd,
    fmt_median_iqr,
    fmt_number,
    fmt_p,
    format_table_one,
    round_half_up,
)
from netstats.report._notes import NoteCollector, note_text
from netstats.report._outputs import (
    TABLE_MIME,
    FigureOutput,
    ReportOutputs,
    TableOutput,
    output_name,
)
from netstats.report._present import Presented, present
from netstats.report._privacy import (
    DEFAULT_THRESHOLD,
    PrivacyError,
    suppress_counts,
    suppress_proportions,
    suppress_small,
    suppress_table_one,
)
from netstats.report._provenance import Provenance, file_sha256, provenance
from netstats.report._publish import REPORT_MANIFEST, DestinationError, is_report, verify_report
from netstats.report._render import (
    DEFAULT_NOTEBOOKS,
    NOTEBOOK_REQUIRES,
    RenderError,
    RenderResult,
    coerce_parameter,
    default_notebooks,
    list_notebooks,
    missing_requirements,
    notebook_parameters,
    parse_parameters,
    render,
)
from netstats.report._scan import (
    DATE_LAYOUTS,
    IdentifierSearch,
    PrivacyFinding,
    ScanResult,
    check_outputs,
    check_text,
    cohort_identifiers,
    find_dates,
    identifier_search,
)

__all__ = [
    "DATE_LAYOUTS",
    "DEFAULT_NOTEBOOKS",
    "DISCLOSURE_FILE",
    "Disclosure",
    "DEFAULT_THRESHOLD",
    "NOTEBOOK_REQUIRES",
    "REPORT_MANIFEST",
    "MISSING",
    "SUPPRESSED",
    "TABLE_MIME",
    "NoteCollector",
    "Presented",
    "note_text",
    "present",
    "fmt_count_percent_value",
    "display_frame",
    "DestinationError",
    "FigureOutput",
    "IdentifierSearch",
    "PrivacyError",
    "PrivacyFinding",
    "Provenance",
    "RenderError",
    "RenderResult",
    "ReportOutputs",
    "ScanResult",
    "TableOutput",
    "check_outputs",
    "check_text",
    "coerce_parameter",
    "default_notebooks",
    "cohort_identifiers",
    "file_sha256",
    "find_dates",
    "fmt_count_percent",
    "fmt_estimate_ci",
    "fmt_mean_sd",
    "fmt_median_iqr",
    "fmt_number",
    "fmt_p",
    "format_table_one",
    "identifier_search",
    "is_report",
    "list_notebooks",
    "missing_requirements",
    "notebook_parameters",
    "output_name",
    "parse_parameters",
    "provenance",
    "render",
    "round_half_up",
    "suppress_counts",
    "suppress_proportions",
    "suppress_small",
    "suppress_table_one",
    "verify_report",
]
