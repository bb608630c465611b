# Reference values for Cox predictions from fits with an offset and with exact ties:
# survfit.coxph baseline (centred: at the means and the weighted mean offset) and curves
# for new rows (whose offset enters the risk score), with standard errors.
# Run from the repository root: Rscript tests/reference/cox/cox_predict_options.R
# R 4.2.2, survival 3.5-3. Writes cox_predict_options.csv.
library(survival)
out_dir <- "tests/reference/cox"
lung <- read.csv(file.path(out_dir, "options_lung.csv"))
lung <- lung[complete.cases(lung[, c("time", "status", "age", "sex", "lo")]), ]
vet <- read.csv(file.path(out_dir, "options_veteran.csv"))
rows <- list()
emit <- function(case, fit, newdata) {
  b <- survfit(fit)  # centred baseline
  rows[[length(rows) + 1]] <<- data.frame(case = case, profile = "baseline", time = b$time,
                                          cumhaz = b$cumhaz, se_cumhaz = b$std.err)
  bz <- basehaz(fit, centered = FALSE)
  rows[[length(rows) + 1]] <<- data.frame(case = case, profile = "zero", time = bz$time,
                                          cumhaz = bz$hazard, se_cumhaz = NA)
  s <- survfit(fit, newdata = newdata)
  for (j in seq_len(nrow(newdata))) {
    rows[[length(rows) + 1]] <<- data.frame(case = case, profile = rownames(newdata)[j],
                                            time = s$time, cumhaz = s$cumhaz[, j],
                                            se_cumhaz = s$std.err[, j])
  }
}
new_lung <- lung[c(1, 5, 10, 50), ]
emit("lung_offset", coxph(Surv(time, status) ~ age + sex + offset(lo), data = lung), new_lung)
emit("lung_offset_breslow_weighted",
     coxph(Surv(time, status) ~ age + offset(lo), data = lung, weights = w, ties = "breslow"),
     new_lung)
new_vet <- vet[c(1, 20, 60), ]
emit("vet_exact", coxph(Surv(month, status) ~ trt + karno + age, data = vet, ties = "exact"),
     new_vet)
emit("vet_exact_offset",
     coxph(Surv(month, status) ~ trt + karno + offset(vo), data = vet, ties = "exact"), new_vet)
out <- do.call(rbind, rows)
out$cumhaz <- sprintf("%.17g", out$cumhaz)
out$se_cumhaz <- ifelse(is.na(out$se_cumhaz), "", sprintf("%.17g", out$se_cumhaz))
write.csv(out, file.path(out_dir, "cox_predict_options.csv"), row.names = FALSE)
