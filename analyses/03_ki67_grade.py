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
# # Ki-67 and WHO grade
#
# WHO 2019 grade of every specimen with its Ki-67 counting uncertainty, and the concordance
# of grade and Ki-67 between synchronous primary and metastasis specimens: cross-table,
# kappas, symmetry tests, Bland-Altman agreement and a model of what drives discordance.
# Counts below the suppression threshold are withheld (`*` or empty).

# %% tags=["parameters"]
# ruff: noqa: E402
data = "../data/synthetic"
output_dir = "."
seed = 20261122
suppression_threshold = 5
endpoint_rules = ""
rendered_at = ""
synchronous_days = 90
min_pairs = 10
individual_plots = False  # Bland-Altman scatter of individual pairs (opt-in while suppressing)
ki67_log_offset = 0.5  # percentage points added before the log (Ki-67 of 0 % is common)

# %%
from IPython.display import Markdown, display

import netstats as ns
from netstats import grading, plots, report

guard = report.Disclosure(threshold=suppression_threshold)
out = report.ReportOutputs(output_dir, notebook="Ki-67 and WHO grade", disclosure=guard)
prov = report.provenance(
    data,
    endpoint_rules=endpoint_rules or None,
    seeds={"seed": seed},
    parameters={
        "synchronous_days": synchronous_days,
        "min_pairs": min_pairs,
        "ki67_log_offset": ki67_log_offset,
        "individual_plots": individual_plots,
        "suppression_threshold": suppression_threshold,
    },
    rendered_at=rendered_at or None,
)

# %%
cohort = ns.load_cohort(data)
graded = grading.grade_specimens(cohort.pathology)
specimens = cohort.pathology[["sample_id", "site"]].merge(
    graded[["sample_id", "who_grade", "borderline"]], on="sample_id"
)

# %% [markdown]
# ## Grade by specimen site

# %%
by_site = (
    specimens.assign(who_grade=specimens["who_grade"].astype("string").fillna("not graded"))
    .groupby(["site", "who_grade"], observed=True)
    .size()
    .rename("n")
    .reset_index()
)
out.table(
    "grade_by_site",
    guard.counts(by_site, count="n", rows=["site"], cols=["who_grade"]),
    caption="Specimens by site and WHO 2019 grade",
)

# %% [markdown]
# ## Counting uncertainty
#
# Expected number of specimens whose Ki-67 grade differs from their true grade because of
# the binomial error of counting a finite number of cells.

# %%
counted = cohort.pathology.dropna(subset=["ki67_positive_cells", "ki67_cells_counted"])
misgraded = grading.expected_misgraded(
    counted["ki67_positive_cells"], counted["ki67_cells_counted"]
)
out.table(
    "expected_misgraded",
    misgraded.assign(
        expected_misgraded=misgraded["expected_misgraded"].map(report.fmt_number),
        expected_share=misgraded["expected_share"].map(lambda x: report.fmt_number(100 * x)),
        sd_misgraded=misgraded["sd_misgraded"].map(report.fmt_number),
    ),
    caption="Expected misgraded specimens (share in %) from Ki-67 counting error",
)

# %%
curve = grading.grade_probability_curve([500, 2000])
display(
    out.figure(
        "grade_probability",
        plots.grade_probability_plot(curve),
        caption="Probability of each true grade given the observed Ki-67, 500 and 2000 cells",
    )
)

# %% [markdown]
# ## Primary versus metastasis

# %%
pairs = grading.build_pairs(
    cohort.pathology, kind="primary_metastasis", synchronous_days=synchronous_days
)
pair_counts = pairs.summary.rename(columns={"count": "n"})
out.table(
    "pairs",
    guard.counts(pair_counts, count="n"),
    caption="Specimen pairs formed and records left out",
)
enough_pairs = len(pairs.pairs) >= min_pairs
if not enough_pairs:
    display(
        Markdown(
            f"Concordance is not analysed: {len(pairs.pairs)} pairs, fewer than the "
            f"{min_pairs} needed."
        )
    )

# %%
if enough_pairs:
    conc = grading.concordance(pairs, log_offset=ki67_log_offset, random_state=seed)
    cross = conc.cross_table.stack().rename("n").reset_index()
    cross.columns = ["primary", "metastasis", "n"]
    cross_sup = guard.counts(cross, count="n", rows=["primary"], cols=["metastasis"])
    display(out.table("grade_cross_table", cross_sup, caption="Grade of primary x metastasis"))
    agreement = report.suppress_proportions(
        conc.agreement,
        rows=conc.agreement["statistic"].str.startswith(("share", "observed")),
        threshold=suppression_threshold,
    )
    display(
        out.table(
            "agreement",
            agreement,
            caption="Agreement of grades between primary and metastasis",
            digits={"estimate": 3},
        )
    )
    display(
        out.table(
            "symmetry_tests",
            conc.tests,
            caption="Tests of marginal homogeneity and symmetry",
        )
    )
    display(
        out.table(
            "ki67_agreement",
            conc.ki67,
            caption="Ki-67 agreement: Bland-Altman on the log scale, CCC and ICCs",
            digits={"estimate": 2},
        )
    )
    if suppression_threshold == 0 or (individual_plots and conc.n_pairs >= suppression_threshold):
        display(
            out.figure(
                "bland_altman",
                plots.bland_altman_plot(conc),
                caption="Bland-Altman plot of log Ki-67, metastasis against primary",
            )
        )
    else:
        display(
            Markdown(
                "The Bland-Altman plot draws one point per patient, so it is left out while small "
                "cells are suppressed (bias and limits of agreement are in the table above); "
                "render with `-p individual_plots=true` to include it."
            )
        )
    # Drawn from the published cross-table: withheld cells are grey with "*".
    display(
        out.figure(
            "grade_heatmap",
            plots.grade_heatmap(conc, table=cross_sup),
            caption="Grade of primary and metastasis (pairs; * withheld)",
        )
    )
    display(
        out.figure(
            "grade_migration",
            plots.grade_migration(conc, table=cross_sup),
            caption="Grade migration from primary to metastasis (* withheld)",
        )
    )

# %% [markdown]
# ## What drives discordance
#
# Logistic regression by GEE (exchangeable correlation within patient) of a discordant
# grade on the time between specimens, their timing, the specimen type of the metastasis,
# the size of the primary and any therapy in between (those recorded).

# %%
if enough_pairs:
    try:
        model = grading.discordance_model(pairs, covariates=None)
    except ValueError as exc:  # too few discordant pairs to fit: say so in the report
        display(Markdown(f"The discordance model is not fitted: {exc}."))
    else:
        display(
            out.table(
                "discordance_model",
                model.summary,
                caption="Odds of a discordant grade (GEE logistic)",
                references=model.references,
            )
        )

# %% [markdown]
# ## Appendix: provenance

# %%
out.provenance(prov)
