# Reference values for case weights, the logit/arcsin CIs, survfit's Aalen-Johansen variance
# and delayed entry in netstats.survival (Kaplan-Meier, log-rank family, cumulative incidence).
#
# Produced with R 4.2.2 (Patched 2022-11-10 r83330), survival 3.5-3, cmprsk 2.2-11.
# Run from the repository root, after survival_reference.R (it reads that script's data sets):
#     Rscript tests/reference/survival/survival_round2.R
# Writes data_weights_*.csv (the data sets with deterministic case weights, so Python reads
# exactly the same rows and weights) and the expected values (17 significant digits).
#
# Which R computation each netstats option matches:
# - weighted Kaplan-Meier, variance="greenwood": survfit(..., weights = w, robust = FALSE)
#   (R's own default for integer weights); variance="robust": survfit(..., robust = TRUE),
#   R's default when a weight is not an integer. R stores a robust std.err on the survival
#   scale but a Greenwood std.err on the log scale; the CSV gives both scales explicitly.
# - weighted log-rank (hypergeometric variance): survdiff has no weights, so the reference is
#   survdiff on the rows repeated w times (integer weights); variance="breslow": the score
#   test of coxph(..., weights = w, ties = "breslow") (any weights).
# - weighted cumulative incidence, variance="aalen-johansen": survfit(Surv(t, factor(status))
#   ~ g, weights = w)$std.err; variance="cmprsk": cuminc on the rows repeated w times.
# - delayed entry: survfit(Surv(entry, exit, factor(status)) ~ g, id = id).
suppressPackageStartupMessages({
  library(survival)
  library(cmprsk)
})
stopifnot(as.character(packageVersion("survival")) == "3.5.3",
          as.character(packageVersion("cmprsk")) == "2.2.11")
out <- "tests/reference/survival"
wcsv <- function(df, name) {
  df <- as.data.frame(df)
  for (j in seq_along(df)) {
    if (is.numeric(df[[j]])) df[[j]] <- ifelse(is.na(df[[j]]), NA, sprintf("%.17g", df[[j]]))
  }
  write.csv(df, file.path(out, name), row.names = FALSE, na = "")
}
rd <- function(name) read.csv(file.path(out, name), stringsAsFactors = FALSE)

# ------------------------------------------------------------ weighted data sets -------------
# Integer weights 0..3 (zeros included: those rows drop) and fractional weights in [0.25, 2.25].
add_weights <- function(d, a, b) {
  i <- seq_len(nrow(d))
  d$wi <- (i * a) %% 4
  d$wf <- 0.25 + ((i * b) %% 17) / 8
  d
}
lung <- add_weights(rd("data_lung.csv"), 7, 13)
vet <- add_weights(rd("data_veteran.csv"), 5, 11)
mgus <- add_weights(rd("data_cr_mgus2.csv"), 3, 7)
# a deterministic delayed entry strictly before the exit time
mgus$entry <- pmin(mgus$time - 0.5, (seq_len(nrow(mgus)) * 7) %% 60)
mgus$id <- seq_len(nrow(mgus))
lung$id <- seq_len(nrow(lung))
wcsv(lung, "data_weights_lung.csv"); wcsv(vet, "data_weights_veteran.csv")
wcsv(mgus, "data_weights_mgus2.csv")
rep_rows <- function(d, w) d[rep(seq_len(nrow(d)), d[[w]]), ]

# ------------------------------------------------------------ Kaplan-Meier -------------------
km_rows <- function(fit, dataset, weights, variance, conf_type, robust) {
  g <- if (is.null(fit$strata)) rep("all", length(fit$time)) else
    rep(sub("^[a-z]+=", "", names(fit$strata)), fit$strata)
  se_surv <- if (robust) fit$std.err else fit$std.err * fit$surv
  # R's own conversion for the CI (survfit_confint with logse = FALSE): 0 stays 0
  se_log <- if (robust) ifelse(fit$std.err == 0, 0, fit$std.err / fit$surv) else fit$std.err
  data.frame(dataset = dataset, weights = weights, variance = variance, conf_type = conf_type,
             group = g, time = fit$time, n_risk = fit$n.risk, n_event = fit$n.event,
             n_censor = fit$n.censor, surv = fit$surv, std_err = se_surv,
             std_err_cumhaz = se_log, lower = fit$lower, upper = fit$upper)
}
q_rows <- function(fit, dataset, weights, variance, conf_type) {
  q <- quantile(fit, probs = c(0.25, 0.5, 0.75))
  mk <- function(x) if (is.matrix(x)) x else matrix(x, nrow = 1)
  est <- mk(q$quantile); lo <- mk(q$lower); hi <- mk(q$upper)
  g <- if (is.null(fit$strata)) "all" else sub("^[a-z]+=", "", names(fit$strata))
  do.call(rbind, lapply(seq_along(g), function(i) data.frame(
    dataset = dataset, weights = weights, variance = variance, conf_type = conf_type,
    group = g[i], q = c(0.25, 0.5, 0.75), estimate = est[i, ], lower = lo[i, ],
    upper = hi[i, ])))
}
km <- list(); kq <- list()
cts <- c("log", "log-log", "plain", "logit", "arcsin")
for (ct in cts) {
  # unweighted: the two new transforms next to the old ones, with and without groups
  for (nm in c("lung", "veteran")) {
    d <- if (nm == "lung") lung else vet
    f <- survfit(Surv(time, status) ~ group, data = d, conf.type = ct)
    km[[length(km) + 1]] <- km_rows(f, paste0(nm, "_by_group"), "", "greenwood", ct, FALSE)
    kq[[length(kq) + 1]] <- q_rows(f, paste0(nm, "_by_group"), "", "greenwood", ct)
  }
  for (w in c("wi", "wf")) for (rob in c(FALSE, TRUE)) {
    # every transform for R's defaults (wi: Greenwood, wf: robust), "log" for the others
    if (rob != (w == "wf") && ct != "log") next
    var <- if (rob) "robust" else "greenwood"
    f <- survfit(Surv(time, status) ~ group, data = lung, weights = lung[[w]], conf.type = ct,
                 robust = rob)
    km[[length(km) + 1]] <- km_rows(f, "lung_by_group", w, var, ct, rob)
    kq[[length(kq) + 1]] <- q_rows(f, "lung_by_group", w, var, ct)
  }
}
f <- survfit(Surv(time, status) ~ celltype, data = vet, weights = wf, conf.type = "log-log")
km[[length(km) + 1]] <- km_rows(f, "veteran_by_celltype", "wf", "robust", "log-log", TRUE)
# 90 % level, weighted
f <- survfit(Surv(time, status) ~ group, data = lung, weights = wf, conf.int = 0.9)
km[[length(km) + 1]] <- km_rows(f, "lung_by_group_90", "wf", "robust", "log", TRUE)
# delayed entry with weights (Greenwood; the robust variance of counting-process data needs id)
for (rob in c(FALSE, TRUE)) {
  f <- if (rob) survfit(Surv(entry, time, status) ~ group, data = lung, weights = wf, id = id,
                        robust = TRUE)
       else survfit(Surv(entry, time, status) ~ group, data = lung, weights = wf, robust = FALSE)
  km[[length(km) + 1]] <- km_rows(f, "lung_entry_by_group", "wf",
                                  if (rob) "robust" else "greenwood", "log", rob)
}
# replication: survfit on the rows repeated wi times equals the wi-weighted fit
f <- survfit(Surv(time, status) ~ group, data = rep_rows(lung, "wi"))
km[[length(km) + 1]] <- km_rows(f, "lung_by_group_repeated", "wi", "greenwood", "log", FALSE)
wcsv(do.call(rbind, km), "km_weighted.csv")
wcsv(do.call(rbind, kq), "km_weighted_quantiles.csv")

# ------------------------------------------------------------ log-rank -----------------------
lr <- list()
lr_add <- function(dataset, group, weights, variance, fh_p, strata, stat, df, obs = NA,
                   expd = NA, lev = NA) {
  lr[[length(lr) + 1]] <<- data.frame(dataset = dataset, group_col = group, weights = weights,
    variance = variance, p = fh_p, strata = strata, group = lev, observed = obs,
    expected = expd, statistic = stat, df = df)
}
for (nm in c("lung", "veteran")) {
  d <- if (nm == "lung") lung else vet
  gcols <- if (nm == "lung") c("group", "ecog") else c("group", "celltype")
  for (gc in gcols) {
    r <- rep_rows(d, "wi")
    for (rho in c(0, 1)) {
      fm <- as.formula(paste("Surv(time, status) ~", gc))
      sd <- survdiff(fm, data = r, rho = rho)
      lr_add(nm, gc, "wi", "hypergeometric", rho, "", sd$chisq, length(sd$n) - 1,
             sd$obs, sd$exp, sub("^[a-z]+=", "", names(sd$n)))
    }
    for (w in c("wi", "wf")) {
      fm <- as.formula(paste("Surv(time, status) ~", gc))
      # coxph refuses zero weights: fit on the positive-weight rows (the same thing)
      dd <- d[d[[w]] > 0, ]
      cf <- coxph(fm, data = dd, weights = dd[[w]], ties = "breslow")
      lr_add(nm, gc, w, "breslow", 0, "", unname(cf$score), length(cf$coefficients))
    }
  }
}
# stratified
r <- rep_rows(vet, "wi")
sd <- survdiff(Surv(time, status) ~ group + strata(celltype), data = r)
lr_add("veteran", "group", "wi", "hypergeometric", 0, "celltype", sd$chisq, 1,
       rowSums(sd$obs), rowSums(sd$exp), sub("^group=", "", names(sd$n)))
cf <- coxph(Surv(time, status) ~ celltype + strata(group), data = vet, weights = wf,
            ties = "breslow")
lr_add("veteran", "celltype", "wf", "breslow", 0, "group", unname(cf$score), 3)
wcsv(do.call(rbind, lr), "logrank_weighted.csv")

# pairwise: veteran cell types, each pair on its own rows
pw <- list()
lv <- sort(unique(vet$celltype))
for (i in 1:(length(lv) - 1)) for (j in (i + 1):length(lv)) {
  d <- vet[vet$celltype %in% lv[c(i, j)], ]
  sd <- survdiff(Surv(time, status) ~ celltype, data = rep_rows(d, "wi"))
  cf <- coxph(Surv(time, status) ~ celltype, data = d, weights = wf, ties = "breslow")
  pw[[length(pw) + 1]] <- data.frame(group_a = lv[i], group_b = lv[j],
    statistic_wi_hypergeometric = sd$chisq, statistic_wf_breslow = unname(cf$score))
}
wcsv(do.call(rbind, pw), "logrank_pairwise_weighted.csv")

# ------------------------------------------------------------ cumulative incidence -----------
aj <- list()
aj_rows <- function(f, dataset, weights, entry) {
  g <- if (is.null(f$strata)) rep("all", length(f$time)) else
    rep(sub("^group=", "", names(f$strata)), f$strata)
  data.frame(dataset = dataset, weights = weights, entry = entry, group = g, time = f$time,
             n_risk = f$n.risk[, 1], cif_1 = f$pstate[, 2], cif_2 = f$pstate[, 3],
             se_1 = f$std.err[, 2], se_2 = f$std.err[, 3])
}
for (nm in c("cr_example", "cr_tied")) {
  d <- rd(paste0("data_", nm, ".csv"))
  f <- survfit(Surv(time, factor(event, 0:2)) ~ group, data = d)
  aj[[length(aj) + 1]] <- aj_rows(f, nm, "", FALSE)
}
f <- survfit(Surv(time, factor(event, 0:2)) ~ group, data = mgus)
aj[[length(aj) + 1]] <- aj_rows(f, "mgus2", "", FALSE)
for (w in c("wi", "wf")) {
  f <- survfit(Surv(time, factor(event, 0:2)) ~ group, data = mgus, weights = mgus[[w]])
  aj[[length(aj) + 1]] <- aj_rows(f, "mgus2", w, FALSE)
}
f <- survfit(Surv(entry, time, factor(event, 0:2)) ~ group, data = mgus, id = id)
aj[[length(aj) + 1]] <- aj_rows(f, "mgus2", "", TRUE)
f <- survfit(Surv(entry, time, factor(event, 0:2)) ~ 1, data = mgus, id = id)
aj[[length(aj) + 1]] <- aj_rows(f, "mgus2", "", TRUE)
f <- survfit(Surv(entry, time, factor(event, 0:2)) ~ group, data = mgus, id = id, weights = wf)
aj[[length(aj) + 1]] <- aj_rows(f, "mgus2", "wf", TRUE)
wcsv(do.call(rbind, aj), "cif_weighted_aj.csv")

# cmprsk's variance with integer weights: cuminc on the repeated rows
r <- rep_rows(mgus, "wi")
ci <- cuminc(r$time, r$event, r$group)
cif <- list()
for (curve in names(ci)[names(ci) != "Tests"]) {
  x <- ci[[curve]]
  parts <- strsplit(curve, " ")[[1]]
  cif[[length(cif) + 1]] <- data.frame(dataset = "mgus2", weights = "wi", group = parts[1],
    cause = parts[2], time = x$time, estimate = x$est, variance = x$var)
}
wcsv(do.call(rbind, cif), "cif_weighted_cuminc.csv")
cat("done\n")
