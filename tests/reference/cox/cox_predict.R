# Reference values for predictions from a Cox model: baseline cumulative hazard (basehaz /
# survfit.coxph), survival curves for new profiles with standard errors and each CI
# transform (survfit.coxph(se.fit=TRUE, conf.type=)), linear predictors for new data
# (predict(type="lp"/"risk", reference="sample")) and g-formula adjusted survival with
# standard errors (riskRegression::ate).
# Run from the repository root:  Rscript tests/reference/cox/cox_predict.R
# Writes cox_predict_curves.csv, cox_predict_lp.csv and cox_predict_ate.csv beside this script.
# R 4.2.2, survival 3.5-3, riskRegression 2022.11.28.
library(survival)
suppressPackageStartupMessages(library(riskRegression))
out_dir <- "tests/reference/cox"
lung2 <- read.csv(file.path(out_dir, "lung.csv"))
vet <- read.csv(file.path(out_dir, "veteran.csv"))
hrt <- read.csv(file.path(out_dir, "heart.csv"))
fmt <- function(x) sprintf("%.17g", x)
curves <- list()
# One block of rows per (case, profile): profile "base" is basehaz(centered=TRUE) with its
# SE (survfit at the means), "zero" basehaz(centered=FALSE); numbered profiles are the rows
# of the case's newdata.
add_curve <- function(case, profile, sf, conf_type = "log") {
  s <- if (is.null(sf$strata)) rep("all", length(sf$time)) else
    rep(sub("^[^=]*=", "", names(sf$strata)), sf$strata)
  curves[[length(curves) + 1]] <<- data.frame(
    case = case, profile = profile, conf_type = conf_type, stratum = s, time = sf$time,
    n_risk = fmt(sf$n.risk), n_event = fmt(sf$n.event), cumhaz = fmt(sf$cumhaz),
    se_cumhaz = fmt(sf$std.err), survival = fmt(sf$surv),
    ci_lower = fmt(sf$lower), ci_upper = fmt(sf$upper))
}
add_fit <- function(case, fit, newdata, conf_types = "log") {
  add_curve(case, "base", survfit(fit, se.fit = TRUE))
  zero <- as.data.frame(matrix(0, 1, length(coef(fit)), dimnames = list(NULL, names(coef(fit)))))
  bz <- basehaz(fit, centered = FALSE)
  sf0 <- list(time = bz$time, cumhaz = bz$hazard, strata = NULL,
              n.risk = NA, n.event = NA, std.err = NA, surv = exp(-bz$hazard), lower = NA,
              upper = NA)
  if (!is.null(bz$strata)) sf0$strata <- table(factor(bz$strata, levels = unique(bz$strata)))
  if (!is.null(sf0$strata)) names(sf0$strata) <- paste0("s=", names(sf0$strata))
  add_curve(case, "zero", sf0)
  for (ct in conf_types) {
    for (i in seq_len(nrow(newdata))) {
      sf <- survfit(fit, newdata = newdata[i, , drop = FALSE], se.fit = TRUE, conf.type = ct)
      add_curve(case, as.character(i - 1), sf, ct)
    }
  }
}

# 1. lung: numeric covariates, Efron and Breslow; every CI transform.
nd_lung <- data.frame(age = c(50, 70), sex = c(1, 2), ph.ecog = c(0, 2))
for (ties in c("efron", "breslow")) {
  fit <- coxph(Surv(time, status) ~ age + sex + ph.ecog, data = lung2, ties = ties)
  add_fit(paste0("lung_", ties), fit, nd_lung, c("log", "log-log", "plain"))
}
# 2. lung with case weights (model-based variance, as the fit's var).
fit <- coxph(Surv(time, status) ~ age + sex + ph.ecog, data = lung2, weights = w, robust = FALSE)
add_fit("lung_weights", fit, nd_lung)
# 3. lung stratified by sex; newdata names the stratum.
fit <- coxph(Surv(time, status) ~ age + ph.ecog + strata(sex), data = lung2)
add_fit("lung_strata", fit, data.frame(age = c(55, 65), ph.ecog = c(1, 0), sex = c(2, 1)))
# 4. veteran: categorical cell type (treatment coding, first sorted level as reference).
fit <- coxph(Surv(time, status) ~ factor(celltype) + karno, data = vet)
nd_vet <- data.frame(celltype = c("adeno", "squamous", "large"), karno = c(60, 80, 40))
add_fit("veteran_cat", fit, nd_vet)
# 5. Stanford heart: (start, stop] data, Efron and Breslow.
for (ties in c("efron", "breslow")) {
  fit <- coxph(Surv(start, stop, event) ~ age + surgery + transplant, data = hrt, ties = ties)
  add_fit(paste0("heart_", ties), fit,
          data.frame(age = c(-10, 5), surgery = c(0, 1), transplant = c(1, 0)))
}
curves <- do.call(rbind, curves)
write.csv(curves, file.path(out_dir, "cox_predict_curves.csv"), row.names = FALSE)

# Linear predictor and risk score for new data, centred at the fitting sample's means.
lp <- list()
add_lp <- function(case, fit, newdata) {
  lp[[length(lp) + 1]] <<- data.frame(
    case = case, row = seq_len(nrow(newdata)) - 1,
    lp = fmt(predict(fit, newdata = newdata, type = "lp", reference = "sample")),
    risk = fmt(predict(fit, newdata = newdata, type = "risk", reference = "sample")))
}
add_lp("veteran_cat", coxph(Surv(time, status) ~ factor(celltype) + karno, data = vet), nd_vet)
add_lp("lung_weights", coxph(Surv(time, status) ~ age + sex + ph.ecog, data = lung2,
                             weights = w), nd_lung)
add_lp("lung_rcs", coxph(Surv(time, status) ~ rms::rcs(age, 4) + sex, data = lung2),
       data.frame(age = c(45, 60, 75), sex = c(1, 2, 1)))
add_lp("lung_strata", coxph(Surv(time, status) ~ age + ph.ecog + strata(sex), data = lung2),
       data.frame(age = c(55, 65), ph.ecog = c(1, 0), sex = c(2, 1)))
write.csv(do.call(rbind, lp), file.path(out_dir, "cox_predict_lp.csv"), row.names = FALSE)

# G-formula adjusted survival by group. With tied event times ate()'s standard error is not
# the exact influence function (netstats' is the derivative in each row's case weight, tested
# by refitting), so its SEs are the reference only for data without ties (predict_noties.csv).
ates <- list()
add_ate <- function(case, fit, data, treatment, times) {
  a <- ate(fit, treatment = treatment, data = data, times = times, se = TRUE, verbose = FALSE)
  m <- as.data.frame(a$meanRisk)
  ates[[length(ates) + 1]] <<- data.frame(
    case = case, group = as.character(m$treatment), time = m$time,
    survival = fmt(1 - m$estimate), se = fmt(m$se))
}
lung2$sexf <- factor(ifelse(lung2$sex == 1, "m", "f"))
vet$celltype <- factor(vet$celltype)
times_lung <- c(100, 200, 365, 500, 700)
for (ties in c("breslow", "efron")) {
  fit <- coxph(Surv(time, status) ~ age + sexf + ph.ecog, data = lung2, ties = ties,
               x = TRUE, y = TRUE)
  add_ate(paste0("lung_", ties), fit, lung2, "sexf", times_lung)
}
fit <- coxph(Surv(time, status) ~ celltype + karno + age, data = vet, ties = "breslow",
             x = TRUE, y = TRUE)
add_ate("veteran_breslow", fit, vet, "celltype", c(30, 90, 180))
# Stratified by ECOG (the single ECOG-3 row left out: ate() gives NA past a stratum's last time).
lung3 <- lung2[lung2$ph.ecog < 3, ]
fit <- coxph(Surv(time, status) ~ sexf + age + strata(ph.ecog), data = lung3,
             ties = "breslow", x = TRUE, y = TRUE)
add_ate("lung_strata_breslow", fit, lung3, "sexf", c(100, 200, 365))
set.seed(20261208)
n <- 150
noties <- data.frame(x = round(rnorm(n), 4), g = sample(c("a", "b", "c"), n, TRUE),
                     s = sample(c("u", "v"), n, TRUE))
noties$time <- round(rexp(n, exp(0.5 * noties$x + 0.4 * (noties$g == "b"))), 6)
noties$status <- rbinom(n, 1, 0.8)
stopifnot(!anyDuplicated(noties$time))
write.csv(noties, file.path(out_dir, "predict_noties.csv"), row.names = FALSE)
noties$g <- factor(noties$g)
fit <- coxph(Surv(time, status) ~ x + g, data = noties, ties = "breslow", x = TRUE, y = TRUE)
add_ate("noties", fit, noties, "g", c(0.2, 0.5, 1, 2))
fit <- coxph(Surv(time, status) ~ x + g + strata(s), data = noties, ties = "breslow", x = TRUE,
             y = TRUE)
add_ate("noties_strata", fit, noties, "g", c(0.2, 0.5, 1, 2))
write.csv(do.call(rbind, ates), file.path(out_dir, "cox_predict_ate.csv"), row.names = FALSE)
