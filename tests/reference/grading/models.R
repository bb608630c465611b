# Reference values for netstats.grading models.
# R 4.2.2 (2022-11-10 r83330); geepack 1.3.9; nlme 3.1.162; stats (base).
# Run from this folder: Rscript models.R
suppressPackageStartupMessages({library(geepack); library(nlme)})
cat("geepack", as.character(packageVersion("geepack")), "nlme", as.character(packageVersion("nlme")), "\n")
d <- read.csv("discordance_pairs.csv")
d <- d[order(d$patient_id), ]
d$timing <- factor(d$timing, levels = c("metachronous", "synchronous"))
d$metastasis_specimen_type <- factor(d$metastasis_specimen_type)
d$intervening_therapy <- factor(ifelse(d$intervening_therapy == "True" | d$intervening_therapy == TRUE, "True", "False"))
f <- discordant ~ months_between + timing + metastasis_specimen_type + primary_tumour_size_mm + intervening_therapy
out <- function(fit, se, model) data.frame(model = model, term = names(coef(fit)), estimate = unname(coef(fit)), se = unname(se))
g_ind <- geeglm(f, family = binomial, id = factor(patient_id), data = d, corstr = "independence")
g_exc <- geeglm(f, family = binomial, id = factor(patient_id), data = d, corstr = "exchangeable")
gl <- glm(f, family = binomial, data = d)
res <- rbind(out(g_ind, summary(g_ind)$coefficients[, "Std.err"], "gee_independence"),
             out(g_exc, summary(g_exc)$coefficients[, "Std.err"], "gee_exchangeable"),
             out(gl, summary(gl)$coefficients[, "Std. Error"], "glm"))
write.csv(res, "discordance_model_ref.csv", row.names = FALSE)
write.csv(data.frame(alpha = unname(summary(g_exc)$corr[1, "Estimate"])), "discordance_model_alpha_ref.csv", row.names = FALSE)

tr <- read.csv("ki67_trajectories.csv")
tr$log_ki67 <- log(tr$ki67_percent)
tr$sample_date <- as.Date(tr$sample_date)
tr$years <- as.numeric(tr$sample_date - ave(as.numeric(tr$sample_date), tr$patient_id, FUN = min)) / 365.25
ctl <- lmeControl(opt = "optim", maxIter = 200, msMaxIter = 200, tolerance = 1e-10)
m1 <- lme(log_ki67 ~ years, random = ~ years | patient_id, data = tr, method = "REML", control = ctl)
m0 <- lme(log_ki67 ~ years, random = ~ 1 | patient_id, data = tr, method = "REML", control = ctl)
vc1 <- getVarCov(m1)
fx <- function(m, model) data.frame(model = model, term = names(fixef(m)), estimate = unname(fixef(m)),
                                      se = unname(sqrt(diag(vcov(m)))))
write.csv(rbind(fx(m1, "random_slope"), fx(m0, "random_intercept")), "trajectory_fixed_ref.csv", row.names = FALSE)
write.csv(data.frame(
  model = c(rep("random_slope", 4), rep("random_intercept", 2)),
  component = c("intercept_var", "slope_var", "intercept_slope_cov", "residual_var", "intercept_var", "residual_var"),
  estimate = c(vc1[1, 1], vc1[2, 2], vc1[1, 2], m1$sigma^2, getVarCov(m0)[1, 1], m0$sigma^2)),
  "trajectory_varcomp_ref.csv", row.names = FALSE)
