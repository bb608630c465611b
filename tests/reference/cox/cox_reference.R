# Reference values for netstats' Cox, cox.zph, concordance and Fine-Gray code.
#
# R 4.2.2, survival 3.5-3, cmprsk 2.2-11, rms 6.5-0, Hmisc 4.8-0.
# Run from the repository root:  Rscript tests/reference/cox/cox_reference.R
# Writes the input data sets (public data shipped with survival) and the fitted values
# as CSV files next to this script. Fits use a tight convergence criterion
# (eps = 1e-12, iter.max = 100) so the references are the maximum-likelihood estimates
# rather than one particular iterate; all values are unrounded fitted-object components
# (summary() prints rounded Wald statistics).
suppressPackageStartupMessages({library(survival); library(cmprsk); library(rms)})
# rms 6.x / Hmisc supply rcs(), Harrell's restricted cubic spline.
out <- "tests/reference/cox"
ctl <- coxph.control(eps = 1e-12, iter.max = 100, toler.chol = 1e-14)
wcsv <- function(x, name) write.csv(x, file.path(out, name), row.names = FALSE)

lung2 <- na.omit(lung[, c("inst", "time", "status", "age", "sex", "ph.ecog", "ph.karno", "wt.loss")])
lung2$status <- as.integer(lung2$status == 2)
lung2$w <- 1 + (lung2$inst %% 3) / 2
vet <- veteran
vet$celltype <- factor(as.character(vet$celltype), levels = sort(levels(vet$celltype)))
ovar <- ovarian
hrt <- heart
hrt$id <- as.integer(hrt$id)
rat <- rats
bl2 <- bladder2
wcsv(lung2, "lung.csv"); wcsv(vet, "veteran.csv"); wcsv(ovar, "ovarian.csv")
wcsv(hrt, "heart.csv"); wcsv(rat, "rats.csv"); wcsv(bl2, "bladder2.csv")

coefs <- list(); models <- list(); zph <- list()
add <- function(case, fit, robust = FALSE) {
  s <- summary(fit)$coefficients
  se <- sqrt(diag(if (robust) fit$naive.var else fit$var))
  rse <- if (robust) sqrt(diag(fit$var)) else rep(NA_real_, length(se))
  coefs[[case]] <<- data.frame(case = case, term = names(coef(fit)), coef = unname(coef(fit)),
                               se = se, robust_se = rse)
  cc <- fit$concordance
  models[[case]] <<- data.frame(
    case = case, n = fit$n, n_events = fit$nevent, loglik_null = fit$loglik[1],
    loglik = fit$loglik[2], wald = unname(fit$wald.test), lr = 2 * diff(fit$loglik),
    score = unname(fit$score), robust_score = if (robust) unname(fit$rscore) else NA_real_,
    concordance = unname(cc["concordance"]), concordance_se = unname(cc["std"]),
    concordant = unname(cc["concordant"]), discordant = unname(cc["discordant"]),
    tied_x = unname(cc["tied.x"]), iter = fit$iter)
}
# The smooth and band of plot.cox.zph (survival 3.5 source, resid/se parts), which has
# no plot=FALSE option: natural spline df = 4 on the residuals, band +/- 2 SE.
zph_smooth <- function(case, z, df = 4, nsmo = 40) {
  xx <- z$x; pred.x <- seq(min(xx), max(xx), length = nsmo)
  lmat <- splines::ns(c(pred.x, xx), df = df, intercept = TRUE)
  pmat <- lmat[1:nsmo, ]; xmat <- lmat[-(1:nsmo), ]
  qmat <- qr(xmat)
  bk <- backsolve(qmat$qr[1:df, 1:df], diag(df)); xtx <- bk %*% t(bk)
  seval <- ((pmat %*% xtx) * pmat) %*% rep(1, df)
  do.call(rbind, lapply(seq_len(ncol(z$y)), function(i) {
    data.frame(term = colnames(z$y)[i], x = pred.x, fit = c(pmat %*% qr.coef(qmat, z$y[, i])),
               half_width_2se = c(2 * sqrt(z$var[i, i] * seval)))
  }))
}
smooths <- list()
addzph <- function(case, fit, transform) {
  z <- cox.zph(fit, transform = transform)
  tb <- z$table
  zph[[paste(case, transform)]] <<- data.frame(case = case, transform = transform,
    term = rownames(tb), chisq = tb[, "chisq"], df = tb[, "df"], p_value = tb[, "p"])
  if (transform == "km") {
    y <- as.data.frame(z$y); names(y) <- paste0("y_", seq_len(ncol(y)))
    wcsv(cbind(data.frame(time = z$time, x = z$x), y), paste0("zph_resid_", case, ".csv"))
    smooths[[case]] <<- cbind(data.frame(case = case), zph_smooth(case, z))
  }
}

f_lung <- Surv(time, status) ~ age + sex + ph.ecog
for (ties in c("efron", "breslow")) {
  fit <- coxph(f_lung, data = lung2, ties = ties, control = ctl)
  add(paste0("lung_", ties), fit)
  for (tr in c("km", "identity", "rank")) addzph(paste0("lung_", ties), fit, tr)
}
fit <- coxph(Surv(time, status) ~ age + ph.ecog + ph.karno + wt.loss + strata(sex), data = lung2,
             control = ctl)
add("lung_strata", fit); addzph("lung_strata", fit, "km")
fit <- coxph(Surv(time, status) ~ rcs(age, 4) + sex, data = lung2, control = ctl)
add("lung_rcs", fit); addzph("lung_rcs", fit, "km")
wcsv(data.frame(knot = attr(rcs(lung2$age, 4), "parms")), "rcs_knots_lung_age.csv")
fit <- coxph(f_lung, data = lung2, weights = w, robust = FALSE, control = ctl)
add("lung_weights", fit); addzph("lung_weights", fit, "km")
fit <- coxph(f_lung, data = lung2, cluster = inst, control = ctl)
add("lung_cluster_inst", fit, robust = TRUE)

f_vet <- Surv(time, status) ~ trt + karno + diagtime + age + prior + celltype
for (ties in c("efron", "breslow")) {
  fit <- coxph(f_vet, data = vet, ties = ties, control = ctl)
  add(paste0("veteran_", ties), fit)
  addzph(paste0("veteran_", ties), fit, "km"); addzph(paste0("veteran_", ties), fit, "identity")
}
for (ties in c("efron", "breslow")) {
  fit <- coxph(Surv(futime, fustat) ~ age + ecog.ps + rx, data = ovar, ties = ties, control = ctl)
  add(paste0("ovarian_", ties), fit)
}
for (ties in c("efron", "breslow")) {
  fit <- coxph(Surv(start, stop, event) ~ age + year + surgery + transplant, data = hrt,
               ties = ties, control = ctl)
  add(paste0("heart_", ties), fit)
  addzph(paste0("heart_", ties), fit, "km"); addzph(paste0("heart_", ties), fit, "identity")
  fit <- coxph(Surv(start, stop, event) ~ age + year + surgery + transplant, data = hrt,
               ties = ties, cluster = id, control = ctl)
  add(paste0("heart_cluster_", ties), fit, robust = TRUE)
}
fit <- coxph(Surv(time, status) ~ rx + sex, data = rat, cluster = litter, control = ctl)
add("rats_cluster", fit, robust = TRUE)
fit <- coxph(Surv(start, stop, event) ~ rx + number + size, data = bl2, cluster = id,
             control = ctl)
add("bladder2_cluster", fit, robust = TRUE)
fit <- coxph(Surv(start, stop, event) ~ rx + number + size + strata(enum), data = bl2,
             cluster = id, control = ctl)
add("bladder2_cluster_strata", fit, robust = TRUE)

wcsv(do.call(rbind, coefs), "coxph_coefficients.csv")
wcsv(do.call(rbind, models), "coxph_models.csv")
wcsv(do.call(rbind, zph), "cox_zph.csv")
wcsv(do.call(rbind, smooths), "zph_smooth.csv")

# Competing risks: mgus2 (survival), progression to plasma-cell malignancy (cause 1)
# versus death without progression (cause 2).
mg <- na.omit(mgus2[, c("id", "age", "sex", "mspike", "ptime", "pstat", "futime", "death")])
mg$etime <- ifelse(mg$pstat == 0, mg$futime, mg$ptime)
mg$event <- ifelse(mg$pstat == 0, 2 * mg$death, 1)
mg$male <- as.integer(mg$sex == "M")
mg <- mg[, c("id", "etime", "event", "age", "male", "mspike")]
wcsv(mg, "mgus2.csv")
cov <- as.matrix(mg[, c("age", "male", "mspike")])
fg <- list()
for (cause in c(1, 2)) {
  # crr's default gtol (1e-6, relative to the log-likelihood) stops early; tighten it.
  z <- crr(mg$etime, mg$event, cov, failcode = cause, cencode = 0, gtol = 1e-13, maxiter = 100)
  fg[[length(fg) + 1]] <- data.frame(method = "crr", cause = cause, term = colnames(cov),
    coef = unname(z$coef), se = sqrt(diag(z$var)), loglik = z$loglik,
    loglik_null = z$loglik.null, converged = z$converged)
  fgd <- finegray(Surv(etime, factor(event)) ~ ., data = mg, etype = as.character(cause))
  f2 <- coxph(Surv(fgstart, fgstop, fgstatus) ~ age + male + mspike, data = fgd,
              weight = fgwt, ties = "breslow", control = ctl)
  fg[[length(fg) + 1]] <- data.frame(method = "finegray_coxph", cause = cause,
    term = names(coef(f2)), coef = unname(coef(f2)), se = sqrt(diag(f2$var)),
    loglik = f2$loglik[2], loglik_null = f2$loglik[1], converged = TRUE)
  # Cause-specific Cox: other causes censored.
  cs <- coxph(Surv(etime, event == cause) ~ age + male + mspike, data = mg, control = ctl)
  fg[[length(fg) + 1]] <- data.frame(method = "cause_specific", cause = cause,
    term = names(coef(cs)), coef = unname(coef(cs)), se = sqrt(diag(cs$var)),
    loglik = cs$loglik[2], loglik_null = cs$loglik[1], converged = TRUE)
}
wcsv(do.call(rbind, fg), "finegray.csv")
