# Reference values for netstats' Cox-model residuals (residuals.coxph) and their
# collapse by cluster.
#
# R 4.2.2, survival 3.5-3.
# Run from the repository root:  Rscript tests/reference/cox/cox_residuals.R
# Reads the data sets written by cox_reference.R (lung.csv, heart.csv, bladder2.csv,
# veteran.csv in this directory) and writes cox_residuals.csv beside this script: one row
# per (case, type, key), the model columns in r1..r5 (their names and the coefficients in
# cox_residuals_terms.csv), with key the 1-based input row (per-row types), the cluster
# id (collapsed types) or the event number in R's order (Schoenfeld types, with the event
# time and stratum). Fits use a tight convergence criterion (eps = 1e-12) so that the
# residuals are those at the maximum-likelihood estimate. R's conventions: martingale,
# deviance, score, Schoenfeld and scaled Schoenfeld residuals are unweighted, dfbeta and
# dfbetas are multiplied by the case weights (the residuals.coxph default `weighted`), and
# dfbeta(s) and scaledsch use the model-based variance (naive.var when robust).
library(survival)
out <- "tests/reference/cox"
ctl <- coxph.control(eps = 1e-12, iter.max = 100, toler.chol = 1e-14)
rd <- function(name) read.csv(file.path(out, name))
lung2 <- rd("lung.csv")
hrt <- rd("heart.csv")
bl2 <- rd("bladder2.csv")
vet <- rd("veteran.csv")
vet$celltype <- factor(vet$celltype, levels = sort(unique(vet$celltype)))

f_lung <- Surv(time, status) ~ age + sex + ph.ecog
cases <- list(
  lung_efron = list(f_lung, lung2, list()),
  lung_breslow = list(f_lung, lung2, list(ties = "breslow")),
  lung_strata_efron = list(Surv(time, status) ~ age + ph.ecog + ph.karno + strata(sex),
                           lung2, list()),
  lung_strata_breslow = list(Surv(time, status) ~ age + ph.ecog + ph.karno + strata(sex),
                             lung2, list(ties = "breslow")),
  # fractional case weights: robust variance by default; residuals use naive.var
  lung_weights_efron = list(f_lung, lung2, list(weights = quote(w))),
  lung_weights_breslow = list(f_lung, lung2, list(weights = quote(w), ties = "breslow")),
  lung_weights_strata = list(Surv(time, status) ~ age + ph.ecog + strata(sex), lung2,
                             list(weights = quote(w))),
  veteran_efron = list(Surv(time, status) ~ trt + karno + celltype, vet, list()),
  heart_efron = list(Surv(start, stop, event) ~ age + year + surgery + transplant, hrt, list()),
  heart_breslow = list(Surv(start, stop, event) ~ age + year + surgery + transplant, hrt,
                       list(ties = "breslow")),
  heart_strata = list(Surv(start, stop, event) ~ age + year + transplant + strata(surgery),
                      hrt, list()),
  bladder2_efron = list(Surv(start, stop, event) ~ rx + number + size, bl2,
                        list(cluster = quote(id))),
  bladder2_breslow = list(Surv(start, stop, event) ~ rx + number + size, bl2,
                          list(cluster = quote(id), ties = "breslow")),
  bladder2_strata = list(Surv(start, stop, event) ~ rx + number + size + strata(enum), bl2,
                         list(cluster = quote(id)))
)
collapse_by <- list(bladder2_efron = "id", bladder2_breslow = "id", bladder2_strata = "id",
                    lung_weights_efron = "inst")
# Null models (no covariates; same strata, weights and risk sets) for the functional-form
# check: their martingale and deviance residuals.
null_models <- list(
  lung_efron = Surv(time, status) ~ 1,
  lung_weights_strata = Surv(time, status) ~ strata(sex),
  heart_breslow = Surv(start, stop, event) ~ 1,
  bladder2_strata = Surv(start, stop, event) ~ strata(enum)
)

blocks <- list(); term_rows <- list()
width <- 5
put <- function(case, type, key, rr, time = NA, stratum = NA) {
  rr <- as.matrix(rr)
  vals <- matrix(NA_character_, nrow(rr), width)
  vals[, seq_len(ncol(rr))] <- sprintf("%.12g", rr)
  colnames(vals) <- paste0("r", seq_len(width))
  blocks[[length(blocks) + 1]] <<- data.frame(case = case, type = type, key = key,
                                              time = time, stratum = stratum, vals)
}
for (case in names(cases)) {
  spec <- cases[[case]]
  args <- c(list(spec[[1]], data = spec[[2]], control = ctl), spec[[3]])
  fit <- do.call(coxph, args)
  term_rows[[case]] <- data.frame(case = case, column = seq_along(coef(fit)),
                                  term = names(coef(fit)), coef = sprintf("%.12g", coef(fit)))
  n <- nrow(spec[[2]])
  for (type in c("martingale", "deviance", "score", "dfbeta", "dfbetas"))
    put(case, type, seq_len(n), residuals(fit, type))
  st <- attr(residuals(fit, "schoenfeld"), "strata")
  for (type in c("schoenfeld", "scaledsch")) {
    rr <- as.matrix(residuals(fit, type))
    put(case, type, seq_len(nrow(rr)), rr, time = as.numeric(rownames(rr)),
        stratum = if (is.null(st)) NA else rep(names(st), st))
  }
  if (!is.null(null_models[[case]])) {
    null_args <- args
    null_args[[1]] <- null_models[[case]]
    null_args$cluster <- NULL
    null_fit <- do.call(coxph, null_args)
    for (type in c("martingale", "deviance"))
      put(case, paste0(type, "_null"), seq_len(n), residuals(null_fit, type))
  }
  if (!is.null(collapse_by[[case]])) {
    id <- spec[[2]][[collapse_by[[case]]]]
    # deviance: R's formula, valid for at most one event per cluster (NaN otherwise)
    for (type in c("martingale", "deviance", "score", "dfbeta", "dfbetas"))
      put(case, paste0(type, "_collapsed"), sort(unique(id)),
          suppressWarnings(residuals(fit, type, collapse = id)))
  }
}
write.csv(do.call(rbind, blocks), file.path(out, "cox_residuals.csv"), row.names = FALSE,
          quote = FALSE, na = "")
write.csv(do.call(rbind, term_rows), file.path(out, "cox_residuals_terms.csv"),
          row.names = FALSE)

# The smoother of the functional-form plot: R's lowess (f = 2/3, iter = 3, delta = 1% of
# the range) of the null-model martingale residuals against age and against ph.karno (lung).
null_lung <- coxph(Surv(time, status) ~ 1, data = lung2, control = ctl)
smooths <- do.call(rbind, lapply(c("age", "ph.karno"), function(v) {
  s <- lowess(lung2[[v]], residuals(null_lung, "martingale"))
  data.frame(covariate = v, x = s$x, y = sprintf("%.12g", s$y))
}))
write.csv(smooths, file.path(out, "cox_residuals_lowess.csv"), row.names = FALSE, quote = FALSE)
