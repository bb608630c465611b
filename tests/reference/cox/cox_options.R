# Reference values for the Cox model options: offsets (a column and offset() in the formula),
# the exact partial likelihood for tied times (ties = "exact"), and cox.zph's "log" and
# user-function time transforms.
# Run from the repository root:  Rscript tests/reference/cox/cox_options.R
# Writes the data sets (options_*.csv, the committed data sets plus derived columns) and the
# values (cox_options.csv, cox_options_zph.csv) beside this script.
# survival 3.5-3 on R 4.2.2.
library(survival)
out_dir <- "tests/reference/cox"
rd <- function(name) read.csv(file.path(out_dir, paste0(name, ".csv")))
rows <- list()
add <- function(case, quantity, term, value) {
  rows[[length(rows) + 1]] <<- data.frame(case = case, quantity = quantity, term = term,
                                          value = sprintf("%.17g", value))
}
add_fit <- function(case, fit, newdata = NULL) {
  b <- coef(fit)
  for (j in seq_along(b)) {
    add(case, "coef", names(b)[j], b[j])
    add(case, "se", names(b)[j], sqrt(diag(fit$var))[j])
    if (!is.null(fit$naive.var)) add(case, "naive_se", names(b)[j], sqrt(diag(fit$naive.var))[j])
  }
  add(case, "loglik_null", "", fit$loglik[1])
  add(case, "loglik", "", fit$loglik[2])
  add(case, "wald", "", fit$wald.test)
  add(case, "likelihood_ratio", "", 2 * diff(fit$loglik))
  add(case, "score", "", fit$score)
  if (!is.null(fit$rscore)) add(case, "robust_score", "", fit$rscore)
  add(case, "concordance", "", fit$concordance["concordance"])
  add(case, "concordance_se", "", fit$concordance["std"])
  add(case, "n_events", "", fit$nevent)
  if (!is.null(newdata)) {
    lp <- predict(fit, newdata = newdata, type = "lp")
    for (i in seq_along(lp)) add(case, "lp_new", as.character(i), lp[i])
  }
}

# Data: the committed data sets with derived offsets and coarsened (tied) times.
lung <- rd("lung")
lung$lo <- log(lung$ph.karno / 100)
write.csv(lung, file.path(out_dir, "options_lung.csv"), row.names = FALSE)
vet <- rd("veteran")
vet$month <- ceiling(vet$time / 30)  # 1..33: 128 deaths at 25 distinct months, up to 41 tied
vet$vo <- log(vet$age / 60)
write.csv(vet, file.path(out_dir, "options_veteran.csv"), row.names = FALSE)
heart <- rd("heart")
heart$start_d <- round(heart$start)
heart$stop_d <- round(heart$stop)
heart$stop_d[heart$stop_d <= heart$start_d] <- heart$start_d[heart$stop_d <= heart$start_d] + 1
heart$ho <- 0.5 * heart$transplant
write.csv(heart, file.path(out_dir, "options_heart.csv"), row.names = FALSE)
rats <- rd("rats")
rats$ro <- ifelse(rats$sex == "f", -0.5, 0)
write.csv(rats, file.path(out_dir, "options_rats.csv"), row.names = FALSE)

# 1. Offsets.
new_lung <- lung[c(1, 5, 10, 50, 100, 200), ]
add_fit("lung_offset", coxph(Surv(time, status) ~ age + sex + offset(lo), data = lung), new_lung)
add_fit("lung_offset_strata_breslow",
        coxph(Surv(time, status) ~ age + ph.ecog + offset(lo) + strata(sex), data = lung,
              ties = "breslow"))
# (predictions only for models without 0/1 covariates: R does not centre those, see
# coxph's nocenter, so its linear predictor differs from a fully centred one by a constant)
add_fit("heart_offset", coxph(Surv(start, stop, event) ~ age + year + offset(ho), data = heart),
        heart[c(1, 2, 3, 40, 80), ])
rats_fit <- coxph(Surv(time, status) ~ rx + offset(ro), data = rats, cluster = litter)
add_fit("rats_offset_cluster", rats_fit)
# R's robust score test evaluates the score residuals at linear predictor 0, without the
# offset (coxph sets fit2$linear.predictors to 0), unlike its score test. The robust score
# test of beta = 0 in the model with the offset: the residuals at the offset alone.
fit2 <- c(rats_fit, list(x = model.matrix(rats_fit), y = rats_fit$y, weights = rep(1, nrow(rats))))
class(fit2) <- class(rats_fit)
fit2$linear.predictors <- rats_fit$offset
r0 <- residuals(fit2, type = "score", collapse = rats$litter, weighted = TRUE)
add("rats_offset_cluster", "robust_score_offset", "",
    coxph.wtest(t(r0) %*% r0, colSums(as.matrix(r0)))$test)

# 2. Exact partial likelihood.
add_fit("vet_exact", coxph(Surv(month, status) ~ trt + karno + diagtime + age + prior + celltype,
                           data = vet, ties = "exact"))
add_fit("vet_exact_strata",
        coxph(Surv(month, status) ~ trt + karno + age + strata(celltype), data = vet,
              ties = "exact"))
add_fit("vet_exact_offset",
        coxph(Surv(month, status) ~ trt + karno + offset(vo), data = vet, ties = "exact"))
add_fit("rats_exact", coxph(Surv(time, status) ~ rx + sex, data = rats, ties = "exact"))
add_fit("heart_exact",
        coxph(Surv(start_d, stop_d, event) ~ age + surgery + transplant, data = heart,
              ties = "exact"))
write.csv(do.call(rbind, rows), file.path(out_dir, "cox_options.csv"), row.names = FALSE)

# 3. cox.zph: the log transform, a user function, and fits with offsets / exact ties.
zrows <- list()
add_zph <- function(case, fit, transform, label) {
  z <- if (is.character(transform)) cox.zph(fit, transform = transform) else
    cox.zph(fit, transform = transform)
  tab <- z$table
  zrows[[length(zrows) + 1]] <<- data.frame(case = case, transform = label,
                                            term = rownames(tab), chisq = tab[, "chisq"],
                                            df = tab[, "df"], p_value = tab[, "p"])
}
lung_fit <- coxph(Surv(time, status) ~ age + sex + ph.ecog, data = lung)
add_zph("lung_efron", lung_fit, "log", "log")
add_zph("lung_efron", lung_fit, function(t) sqrt(t), "sqrt")
heart_fit <- coxph(Surv(start, stop, event) ~ age + year + surgery + transplant, data = heart)
add_zph("heart_efron", heart_fit, "log", "log")
add_zph("heart_efron", heart_fit, function(t) t^2, "square")
add_zph("lung_offset", coxph(Surv(time, status) ~ age + sex + offset(lo), data = lung), "km", "km")
vet_fit <- coxph(Surv(month, status) ~ trt + karno + age, data = vet, ties = "exact")
add_zph("vet_exact", vet_fit, "km", "km")
add_zph("vet_exact", vet_fit, "log", "log")
write.csv(do.call(rbind, zrows), file.path(out_dir, "cox_options_zph.csv"), row.names = FALSE)
