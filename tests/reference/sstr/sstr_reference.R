# Reference values for netstats.sstr metrics.
#
# R 4.2.2 (2022-11-10), pROC 1.18.0, rms 6.5.0 (Debian packages).
# Run from this folder:  Rscript sstr_reference.R
#
# Inputs (committed; simulated, no patient data):
#   classifier_data.csv  y (1 = SSTR-positive) and two predicted probabilities; prob_2 is
#                        rounded to 2 decimals so that the DeLong tie handling is exercised.
#   paired_scans.csv     Krenning score and lesion SUVmax before/after, one row per pair.
# Outputs:
#   delong_auc.csv, delong_test.csv, val_prob.csv, calibration_offset.csv,
#   threshold_metrics.csv, paired_tests.csv
suppressPackageStartupMessages({
  library(pROC)
  library(rms)
})
options(digits = 15)
d <- read.csv("classifier_data.csv")

# --- DeLong AUROC and CI (direction fixed: higher score = positive) ---------------------
auc_rows <- lapply(c("prob_1", "prob_2"), function(s) {
  r <- roc(d$y, d[[s]], levels = c(0, 1), direction = "<", quiet = TRUE)
  ci <- ci.auc(r, conf.level = 0.95, method = "delong")
  data.frame(score = s, auc = as.numeric(auc(r)), var = var(r, method = "delong"),
             ci_lower = ci[1], ci_upper = ci[3])
})
write.csv(do.call(rbind, auc_rows), "delong_auc.csv", row.names = FALSE)

# --- paired DeLong test -------------------------------------------------------------------
r1 <- roc(d$y, d$prob_1, levels = c(0, 1), direction = "<", quiet = TRUE)
r2 <- roc(d$y, d$prob_2, levels = c(0, 1), direction = "<", quiet = TRUE)
tt <- roc.test(r1, r2, method = "delong", paired = TRUE)
write.csv(data.frame(statistic = unname(tt$statistic), p_value = tt$p.value,
                     auc_1 = unname(tt$estimate[1]), auc_2 = unname(tt$estimate[2]),
                     ci_lower = tt$conf.int[1], ci_upper = tt$conf.int[2]),
          "delong_test.csv", row.names = FALSE)

# --- rms::val.prob: joint intercept/slope, Brier, C ---------------------------------------
vp_rows <- lapply(c("prob_1", "prob_2"), function(s) {
  v <- val.prob(d[[s]], d$y, pl = FALSE)
  data.frame(score = s, intercept = v[["Intercept"]], slope = v[["Slope"]],
             brier = v[["Brier"]], c_index = v[["C (ROC)"]])
})
write.csv(do.call(rbind, vp_rows), "val_prob.csv", row.names = FALSE)

# --- calibration-in-the-large (offset) and Wald CIs of slope and intercept -----------------
# glm default stops at a relative deviance change of 1e-8; converge fully for the SEs.
tight <- glm.control(epsilon = 1e-14, maxit = 100)
off_rows <- lapply(c("prob_1", "prob_2"), function(s) {
  lp <- qlogis(d[[s]])
  f0 <- glm(d$y ~ 1 + offset(lp), family = binomial, control = tight)
  f1 <- glm(d$y ~ lp, family = binomial, control = tight)
  z <- qnorm(0.975)
  b0 <- coef(summary(f0))[1, ]
  b1 <- coef(summary(f1))[2, ]
  data.frame(score = s, intercept = b0[1], intercept_se = b0[2],
             intercept_ci_lower = b0[1] - z * b0[2], intercept_ci_upper = b0[1] + z * b0[2],
             slope = b1[1], slope_se = b1[2],
             slope_ci_lower = b1[1] - z * b1[2], slope_ci_upper = b1[1] + z * b1[2])
})
write.csv(do.call(rbind, off_rows), "calibration_offset.csv", row.names = FALSE)

# --- threshold metrics with exact (Clopper-Pearson) intervals ----------------------------
pred <- d$prob_1 >= 0.7
cells <- list(sensitivity = c(sum(pred & d$y == 1), sum(d$y == 1)),
              specificity = c(sum(!pred & d$y == 0), sum(d$y == 0)),
              ppv = c(sum(pred & d$y == 1), sum(pred)),
              npv = c(sum(!pred & d$y == 0), sum(!pred)))
thr <- do.call(rbind, lapply(names(cells), function(m) {
  b <- binom.test(cells[[m]][1], cells[[m]][2], conf.level = 0.95)
  data.frame(measure = m, threshold = 0.7, numerator = cells[[m]][1],
             denominator = cells[[m]][2], estimate = unname(b$estimate),
             ci_lower = b$conf.int[1], ci_upper = b$conf.int[2])
}))
write.csv(thr, "threshold_metrics.csv", row.names = FALSE)

# --- paired tests on serial scans --------------------------------------------------------
p <- read.csv("paired_scans.csv")
w <- suppressWarnings(wilcox.test(p$krenning_after, p$krenning_before, paired = TRUE,
                                  exact = FALSE, correct = TRUE))
t <- t.test(log(p$suvmax_after), log(p$suvmax_before), paired = TRUE, conf.level = 0.95)
write.csv(data.frame(test = c("wilcoxon_krenning", "paired_t_log_suvmax"),
                     statistic = c(unname(w$statistic), unname(t$statistic)),
                     p_value = c(w$p.value, t$p.value),
                     estimate = c(NA, unname(t$estimate)),
                     ci_lower = c(NA, t$conf.int[1]), ci_upper = c(NA, t$conf.int[2])),
          "paired_tests.csv", row.names = FALSE)
