# Reference values for netstats.survival (Kaplan-Meier, log-rank, RMST, competing risks).
#
# Produced with R 4.2.2 (Patched 2022-11-10 r83330), survival 3.5-3, cmprsk 2.2-11.
# Run from the repository root:
#     Rscript tests/reference/survival/survival_reference.R
# Writes the input data sets (so Python reads exactly the same rows) and the expected values
# into tests/reference/survival/. Every number is written with 17 significant digits.
suppressPackageStartupMessages({
  library(survival)
  library(cmprsk)
})
stopifnot(as.character(packageVersion("survival")) == "3.5.3",
          as.character(packageVersion("cmprsk")) == "2.2.11")
out <- "tests/reference/survival"
wcsv <- function(df, name) {
  write.csv(format(df, digits = 17), file.path(out, name), row.names = FALSE, quote = TRUE, na = "")
}
# format() pads; write numerics through a helper that keeps full precision without padding.
wcsv <- function(df, name) {
  df <- as.data.frame(df)
  for (j in seq_along(df)) {
    if (is.numeric(df[[j]])) df[[j]] <- ifelse(is.na(df[[j]]), NA, sprintf("%.17g", df[[j]]))
  }
  write.csv(df, file.path(out, name), row.names = FALSE, na = "")
}

# ---------------------------------------------------------------- data sets -----------------
aml_d <- data.frame(time = aml$time, status = aml$status, group = as.character(aml$x))
lung_d <- data.frame(time = lung$time, status = as.integer(lung$status == 2),
                     group = ifelse(lung$sex == 1, "male", "female"),
                     ecog = ifelse(is.na(lung$ph.ecog), "missing", as.character(lung$ph.ecog)))
# A deterministic delayed-entry time for the left-truncation reference (strictly before exit).
lung_d$entry <- pmin(lung_d$time - 1, (seq_len(nrow(lung_d)) * 37) %% 150)
vet_d <- data.frame(time = veteran$time, status = veteran$status,
                    group = as.character(veteran$trt), celltype = as.character(veteran$celltype))
ova_d <- data.frame(time = ovarian$futime, status = ovarian$fustat, group = as.character(ovarian$rx))
wcsv(aml_d, "data_aml.csv"); wcsv(lung_d, "data_lung.csv")
wcsv(vet_d, "data_veteran.csv"); wcsv(ova_d, "data_ovarian.csv")

# ---------------------------------------------------------------- Kaplan-Meier -------------
km_rows <- function(fit, dataset, conf_type) {
  g <- if (is.null(fit$strata)) rep("all", length(fit$time)) else
    rep(sub("^group=", "", names(fit$strata)), fit$strata)
  data.frame(dataset = dataset, conf_type = conf_type, group = g, time = fit$time,
             n_risk = fit$n.risk, n_event = fit$n.event, n_censor = fit$n.censor,
             surv = fit$surv, std_err_cumhaz = fit$std.err, std_err = fit$std.err * fit$surv,
             lower = fit$lower, upper = fit$upper)
}
q_rows <- function(fit, dataset, conf_type) {
  q <- quantile(fit, probs = c(0.25, 0.5, 0.75))
  mk <- function(x) if (is.matrix(x)) x else matrix(x, nrow = 1)
  est <- mk(q$quantile); lo <- mk(q$lower); hi <- mk(q$upper)
  g <- if (is.null(fit$strata)) "all" else sub("^group=", "", names(fit$strata))
  do.call(rbind, lapply(seq_along(g), function(i) data.frame(
    dataset = dataset, conf_type = conf_type, group = g[i], q = c(0.25, 0.5, 0.75),
    estimate = est[i, ], lower = lo[i, ], upper = hi[i, ])))
}
at_rows <- function(fit, dataset, conf_type, times) {
  s <- summary(fit, times = c(0, times), extend = TRUE)
  g <- if (is.null(s$strata)) rep("all", length(s$time)) else sub("^group=", "", as.character(s$strata))
  d <- data.frame(dataset = dataset, conf_type = conf_type, group = g, time = s$time,
                  n_risk = s$n.risk, n_event = s$n.event, n_censor = s$n.censor,
                  surv = s$surv, std_err = s$std.err, lower = s$lower, upper = s$upper)
  # cumulative counts up to each time (summary() gives counts since the previous time)
  d$cum_event <- ave(d$n_event, d$group, FUN = cumsum)
  d$cum_censor <- ave(d$n_censor, d$group, FUN = cumsum)
  d[d$time > 0, ]
}
km <- list(); qs <- list(); ats <- list()
sets <- list(aml = aml_d, lung = lung_d, veteran = vet_d, ovarian = ova_d)
at_times <- list(aml = c(12, 24, 36, 48), lung = c(90, 180, 365, 730), veteran = c(30, 90, 180, 365),
                 ovarian = c(180, 365, 730, 1000))
for (nm in names(sets)) for (ct in c("log", "log-log", "plain")) for (grp in c(FALSE, TRUE)) {
  f <- if (grp) survfit(Surv(time, status) ~ group, data = sets[[nm]], conf.type = ct)
       else survfit(Surv(time, status) ~ 1, data = sets[[nm]], conf.type = ct)
  tag <- paste0(nm, if (grp) "_by_group" else "")
  km[[length(km) + 1]] <- km_rows(f, tag, ct)
  qs[[length(qs) + 1]] <- q_rows(f, tag, ct)
  ats[[length(ats) + 1]] <- at_rows(f, tag, ct, at_times[[nm]])
}
# conf.int = 0.90 once, to check the level is honoured
f <- survfit(Surv(time, status) ~ group, data = lung_d, conf.int = 0.90)
km[[length(km) + 1]] <- km_rows(f, "lung_by_group_90", "log")
qs[[length(qs) + 1]] <- q_rows(f, "lung_by_group_90", "log")
# left truncation (delayed entry)
for (ct in c("log", "log-log", "plain")) {
  f <- survfit(Surv(entry, time, status) ~ group, data = lung_d, conf.type = ct)
  km[[length(km) + 1]] <- km_rows(f, "lung_entry_by_group", ct)
  qs[[length(qs) + 1]] <- q_rows(f, "lung_entry_by_group", ct)
  ats[[length(ats) + 1]] <- at_rows(f, "lung_entry_by_group", ct, c(30, 90, 180, 365, 730))
}
wcsv(do.call(rbind, km), "km_survfit.csv")
wcsv(do.call(rbind, qs), "km_quantiles.csv")
wcsv(do.call(rbind, ats), "km_at_times.csv")

# ---------------------------------------------------------------- log-rank -----------------
lr <- list()
lr_row <- function(sd, dataset, weights, p, q, strata) {
  obs <- if (is.matrix(sd$obs)) rowSums(sd$obs) else sd$obs
  ex <- if (is.matrix(sd$exp)) rowSums(sd$exp) else sd$exp
  data.frame(dataset = dataset, weights = weights, p = p, q = q, strata = strata,
             group = sub("^group=", "", names(sd$n)), n = as.integer(sd$n), observed = obs,
             expected = ex, variance = diag(sd$var), statistic = sd$chisq,
             df = length(sd$n) - 1, p_value = sd$pvalue)
}
for (nm in names(sets)) for (rho in c(0, 1, 0.5)) {
  sd <- survdiff(Surv(time, status) ~ group, data = sets[[nm]], rho = rho)
  lr[[length(lr) + 1]] <- lr_row(sd, nm, if (rho == 0) "logrank" else "fleming-harrington",
                                 rho, 0, "")
}
sd <- survdiff(Surv(time, status) ~ group + strata(celltype), data = vet_d)
lr[[length(lr) + 1]] <- lr_row(sd, "veteran", "logrank", 0, 0, "celltype")
sd <- survdiff(Surv(time, status) ~ group + strata(celltype), data = vet_d, rho = 1)
lr[[length(lr) + 1]] <- lr_row(sd, "veteran", "fleming-harrington", 1, 0, "celltype")
sd <- survdiff(Surv(time, status) ~ group + strata(ecog), data = lung_d)
lr[[length(lr) + 1]] <- lr_row(sd, "lung", "logrank", 0, 0, "ecog")
sd <- survdiff(Surv(time, status) ~ ecog, data = lung_d)
names(sd$n) <- sub("^ecog=", "group=", names(sd$n))
lr[[length(lr) + 1]] <- lr_row(sd, "lung_ecog", "logrank", 0, 0, "")

# Weighted tests survdiff does not offer (Gehan-Breslow, Tarone-Ware, Fleming-Harrington with
# q > 0): an independent, straightforward implementation from survfit's pooled risk table.
weighted_test <- function(d, weights, p = 0, q = 0, strata = NULL) {
  d$grp <- factor(d$group)
  lev <- levels(d$grp); k <- length(lev)
  st <- if (is.null(strata)) rep("1", nrow(d)) else d[[strata]]
  U <- rep(0, k); V <- matrix(0, k, k); O <- rep(0, k); E <- rep(0, k)
  for (s in unique(st)) {
    ds <- d[st == s, ]
    pooled <- survfit(Surv(time, status) ~ 1, data = ds)
    ev <- pooled$n.event > 0
    tt <- pooled$time[ev]; nn <- pooled$n.risk[ev]; dd <- pooled$n.event[ev]
    s_left <- c(1, pooled$surv)[which(ev)]          # S(t-) of the pooled KM
    w <- switch(weights, "logrank" = rep(1, length(tt)), "gehan-breslow" = nn,
                "tarone-ware" = sqrt(nn), "fleming-harrington" = s_left^p * (1 - s_left)^q)
    for (j in seq_along(tt)) {
      nj <- sapply(lev, function(g) sum(ds$time >= tt[j] & ds$grp == g))
      dj <- sapply(lev, function(g) sum(ds$time == tt[j] & ds$status == 1 & ds$grp == g))
      e <- dd[j] * nj / nn[j]
      O <- O + w[j] * dj; E <- E + w[j] * e; U <- U + w[j] * (dj - e)
      fac <- if (nn[j] > 1) dd[j] * (nn[j] - dd[j]) / (nn[j] - 1) else 0
      V <- V + w[j]^2 * fac * (diag(nj / nn[j], k) - outer(nj, nj) / nn[j]^2)
    }
  }
  kk <- 1:(k - 1)
  chisq <- drop(t(U[kk]) %*% solve(V[kk, kk, drop = FALSE]) %*% U[kk])
  data.frame(dataset = "", weights = weights, p = p, q = q, strata = if (is.null(strata)) "" else strata,
             group = lev, n = as.integer(table(d$grp)[lev]), observed = O, expected = E,
             variance = diag(V), statistic = chisq, df = k - 1,
             p_value = pchisq(chisq, k - 1, lower.tail = FALSE))
}
for (nm in names(sets)) {
  for (spec in list(list("gehan-breslow", 0, 0), list("tarone-ware", 0, 0),
                    list("fleming-harrington", 0, 1), list("fleming-harrington", 1, 1),
                    list("logrank", 0, 0))) {
    r <- weighted_test(sets[[nm]], spec[[1]], spec[[2]], spec[[3]])
    r$dataset <- paste0(nm, "_independent")
    lr[[length(lr) + 1]] <- r
  }
}
r <- weighted_test(vet_d, "tarone-ware", strata = "celltype"); r$dataset <- "veteran_independent"
lr[[length(lr) + 1]] <- r
wcsv(do.call(rbind, lr), "logrank.csv")

# pairwise log-rank (three veteran cell types compared two at a time)
pw <- list()
cts <- sort(unique(vet_d$celltype))
for (i in 1:(length(cts) - 1)) for (j in (i + 1):length(cts)) {
  sub_d <- vet_d[vet_d$celltype %in% cts[c(i, j)], ]
  sd <- survdiff(Surv(time, status) ~ celltype, data = sub_d)
  pw[[length(pw) + 1]] <- data.frame(group_a = cts[i], group_b = cts[j], statistic = sd$chisq,
                                     p_value = sd$pvalue)
}
pw <- do.call(rbind, pw)
pw$p_holm <- p.adjust(pw$p_value, "holm"); pw$p_bonferroni <- p.adjust(pw$p_value, "bonferroni")
pw$p_bh <- p.adjust(pw$p_value, "BH")
wcsv(pw, "logrank_pairwise_veteran_celltype.csv")

# ---------------------------------------------------------------- RMST ---------------------
rm <- list()
taus <- list(aml = 40, lung = 500, veteran = 200, ovarian = 700)
for (nm in names(sets)) {
  tau <- taus[[nm]]
  f <- survfit(Surv(time, status) ~ group, data = sets[[nm]])
  tab <- summary(f, rmean = tau)$table
  f1 <- survfit(Surv(time, status) ~ 1, data = sets[[nm]])
  tab1 <- summary(f1, rmean = tau)$table
  est <- c(tab[, "rmean"], tab1[["rmean"]]); se <- c(tab[, "se(rmean)"], tab1[["se(rmean)"]])
  rm[[length(rm) + 1]] <- data.frame(dataset = nm, tau = tau,
    group = c(sub("^group=", "", rownames(tab)), "all"), rmst = est, se = se)
}
rmst <- do.call(rbind, rm)
wcsv(rmst, "rmst_survfit.csv")
# Difference and ratio (second group level vs first), survRM2's formulas computed here from
# survfit's rmean and se(rmean): difference +- z*sqrt(v1 + v2); ratio on the log scale with the
# delta method, se(log r) = sqrt(v1/m1^2 + v0/m0^2).
z95 <- qnorm(0.975)
cmp <- list()
for (nm in names(sets)) {
  r <- rmst[rmst$dataset == nm & rmst$group != "all", ]
  m0 <- r$rmst[1]; m1 <- r$rmst[2]; s0 <- r$se[1]; s1 <- r$se[2]
  d <- m1 - m0; sd_ <- sqrt(s0^2 + s1^2)
  lr_ <- log(m1 / m0); slr <- sqrt(s1^2 / m1^2 + s0^2 / m0^2)
  cmp[[length(cmp) + 1]] <- data.frame(
    dataset = nm, tau = r$tau[1], group_a = r$group[2], group_b = r$group[1],
    contrast = c("difference", "ratio"), estimate = c(d, m1 / m0), std_err = c(sd_, slr),
    ci_lower = c(d - z95 * sd_, exp(lr_ - z95 * slr)), ci_upper = c(d + z95 * sd_, exp(lr_ + z95 * slr)),
    p_value = c(2 * pnorm(-abs(d / sd_)), 2 * pnorm(-abs(lr_ / slr))))
}
wcsv(do.call(rbind, cmp), "rmst_contrasts.csv")

# ---------------------------------------------------------------- competing risks ----------
# cmprsk's own example data (help("cuminc")), plus a copy with times rounded up to tenths so
# that many times are tied, and survival::mgus2 (progression to plasma-cell malignancy versus
# death without progression, times in months).
set.seed(2)
ss <- rexp(100)
gg <- factor(sample(1:3, 100, replace = TRUE), 1:3, c("a", "b", "c"))
cc <- sample(0:2, 100, replace = TRUE)
strt <- sample(1:2, 100, replace = TRUE)
cr_ex <- data.frame(time = ss, event = cc, group = as.character(gg), stratum = strt)
cr_tied <- cr_ex; cr_tied$time <- ceiling(cr_tied$time * 10) / 10
m2 <- mgus2
cr_mgus <- data.frame(time = ifelse(m2$pstat == 0, m2$futime, m2$ptime),
                      event = ifelse(m2$pstat == 0, 2 * m2$death, 1), group = as.character(m2$sex))
wcsv(cr_ex, "data_cr_example.csv"); wcsv(cr_tied, "data_cr_tied.csv"); wcsv(cr_mgus, "data_cr_mgus2.csv")
crs <- list(cr_example = cr_ex, cr_tied = cr_tied, cr_mgus2 = cr_mgus)
cif <- list(); gray <- list(); aj <- list()
for (nm in names(crs)) {
  d <- crs[[nm]]
  for (grp in c(FALSE, TRUE)) {
    ci <- if (grp) cuminc(d$time, d$event, d$group) else cuminc(d$time, d$event)
    if (grp) {
      tst <- ci$Tests
      gray[[length(gray) + 1]] <- data.frame(dataset = nm, strata = "", cause = rownames(tst),
        statistic = tst[, "stat"], p_value = tst[, "pv"], df = tst[, "df"])
      ci$Tests <- NULL
    }
    for (curve in names(ci)) {
      x <- ci[[curve]]
      parts <- strsplit(curve, " ")[[1]]
      cif[[length(cif) + 1]] <- data.frame(dataset = nm, by_group = grp,
        group = if (grp) parts[1] else "all", cause = parts[length(parts)],
        time = x$time, estimate = x$est, variance = x$var)
    }
  }
  # Aalen-Johansen from survival's multi-state survfit: same point estimate
  ev <- factor(d$event, 0:2, c("censor", "c1", "c2"))
  f <- survfit(Surv(time, ev) ~ group, data = cbind(d, ev = ev))
  g <- rep(sub("^group=", "", names(f$strata)), f$strata)
  aj[[length(aj) + 1]] <- data.frame(dataset = nm, group = g, time = f$time,
    cif_1 = f$pstate[, 2], cif_2 = f$pstate[, 3], n_risk = f$n.risk[, 1])
}
ci <- cuminc(cr_ex$time, cr_ex$event, cr_ex$group, strata = cr_ex$stratum)
gray[[length(gray) + 1]] <- data.frame(dataset = "cr_example", strata = "stratum",
  cause = rownames(ci$Tests), statistic = ci$Tests[, "stat"], p_value = ci$Tests[, "pv"],
  df = ci$Tests[, "df"])
ci <- cuminc(cr_tied$time, cr_tied$event, cr_tied$group, rho = 1)
gray[[length(gray) + 1]] <- data.frame(dataset = "cr_tied_rho1", strata = "",
  cause = rownames(ci$Tests), statistic = ci$Tests[, "stat"], p_value = ci$Tests[, "pv"],
  df = ci$Tests[, "df"])
wcsv(do.call(rbind, cif), "cif_cuminc.csv")
wcsv(do.call(rbind, gray), "gray_test.csv")
wcsv(do.call(rbind, aj), "cif_survfit_aj.csv")
cat("done\n")
