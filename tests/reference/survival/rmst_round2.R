# Reference values for netstats.survival.rmst with delayed entry and case weights, and for
# netstats.survival.rmst_adjusted (covariate-adjusted RMST difference and ratio).
#
# Produced with R 4.2.2 (Patched 2022-11-10 r83330), survival 3.5-3.
# Run from the repository root:
#     Rscript tests/reference/survival/rmst_round2.R
# Reads data_lung.csv (written by survival_reference.R) and writes the extra input data sets
# and the expected values into tests/reference/survival/, 17 significant digits.
#
# 1. Delayed entry / case weights: R survfit(Surv(entry, time, status) ~ group, weights = case_w)
#    and summary(fit, rmean = tau)$table (rmean, se(rmean)).
# 2. Covariate adjustment: the estimator of survRM2::rmst2(time, status, arm, tau,
#    covariates = x) (Tian, Zhao & Wei 2014), which calls the package's hidden rmst2reg():
#    an IPCW-weighted linear (difference) or quasi-Poisson (ratio) regression of min(T, tau)
#    on (1, arm, covariates), weights delta0 / G_arm(Y0) with G the Kaplan-Meier curve of the
#    censoring distribution within the arm (subjects reaching tau count as events), and a
#    sandwich variance A^-1 Gamma A^-1 whose "meat" adds the influence of estimating G.
#    survRM2 is not installed here; rmst2reg_hand() below is a line-by-line transcription of
#    survRM2 1.0-3's rmst2reg() and func_surv(), with the two arms written as a loop over
#    arms so that more than two groups (one indicator per non-reference group) use the same
#    code. For two groups it is exactly survRM2's computation; a stopifnot() below checks it
#    against the adjusted output printed in the survRM2 vignette (its pbc example).
suppressPackageStartupMessages(library(survival))
stopifnot(as.character(packageVersion("survival")) == "3.5.3")
out <- "tests/reference/survival"
wcsv <- function(df, name) {
  df <- as.data.frame(df)
  for (j in seq_along(df)) {
    if (is.numeric(df[[j]])) df[[j]] <- ifelse(is.na(df[[j]]), NA, sprintf("%.17g", df[[j]]))
  }
  write.csv(df, file.path(out, name), row.names = FALSE, na = "")
}

# ---------------------------------------------------------------- data sets -----------------
lung_d <- read.csv(file.path(out, "data_lung.csv"), stringsAsFactors = FALSE)
# Deterministic case weights with some zeros and non-integers.
lung_d$w <- c(0, 0.5, 1, 1.5, 2.25, 3)[(seq_len(nrow(lung_d)) * 7) %% 6 + 1]
wcsv(lung_d, "data_lung_weighted.csv")
vet_c <- data.frame(time = veteran$time, status = veteran$status,
                    group = as.character(veteran$trt), celltype = as.character(veteran$celltype),
                    karno = veteran$karno, age = veteran$age, diagtime = veteran$diagtime,
                    prior = veteran$prior)
wcsv(vet_c, "data_veteran_covariates.csv")
lc <- lung[!is.na(lung$ph.ecog) & !is.na(lung$wt.loss), ]
lung_c <- data.frame(time = lc$time, status = as.integer(lc$status == 2),
                     group = ifelse(lc$sex == 1, "male", "female"), age = lc$age,
                     ecog = lc$ph.ecog, wt_loss = lc$wt.loss)
wcsv(lung_c, "data_lung_covariates.csv")
# survRM2's own example (rmst2.sample.data(): the 312 randomised pbc patients, years,
# arm 1 = D-penicillamine); its vignette prints the adjusted output checked below.
pb <- pbc[1:312, ]
pbc_d <- data.frame(time = pb$time / 365.25, status = as.numeric(pb$status == 2),
                    group = as.numeric(pb$trt == 1), age = pb$age, bili = pb$bili,
                    albumin = pb$albumin)
wcsv(pbc_d, "data_pbc_rmst2.csv")

# ---------------------------------------------------------------- delayed entry, weights ----
rmean_rows <- function(case, d, tau, entry, weighted) {
  # (a column, not a local variable: survfit looks up weights in `data` first)
  d$case_w <- if (weighted) d$w else rep(1, nrow(d))
  fits <- list(
    by_group = if (entry) survfit(Surv(entry, time, status) ~ group, data = d, weights = case_w)
               else survfit(Surv(time, status) ~ group, data = d, weights = case_w),
    all = if (entry) survfit(Surv(entry, time, status) ~ 1, data = d, weights = case_w)
          else survfit(Surv(time, status) ~ 1, data = d, weights = case_w))
  tab <- summary(fits$by_group, rmean = tau)$table
  tab1 <- summary(fits$all, rmean = tau)$table
  data.frame(case = case, tau = tau, group = c(sub("^group=", "", rownames(tab)), "all"),
             rmst = c(tab[, "rmean"], tab1[["rmean"]]),
             se = c(tab[, "se(rmean)"], tab1[["se(rmean)"]]))
}
rm2 <- rbind(
  rmean_rows("lung_entry", lung_d, 500, entry = TRUE, weighted = FALSE),
  rmean_rows("lung_weights", lung_d, 500, entry = FALSE, weighted = TRUE),
  rmean_rows("lung_entry_weights", lung_d, 500, entry = TRUE, weighted = TRUE),
  rmean_rows("lung_entry_weights_tau300", lung_d, 300, entry = TRUE, weighted = TRUE))
wcsv(rm2, "rmst_entry_weights.csv")

# ---------------------------------------------------------------- covariate adjustment -----
# func_surv (survRM2): Kaplan-Meier of (y, d) at the distinct values of y (sorted), no time 0.
func_surv <- function(y, d) {
  id <- order(y); y <- y[id]; d <- d[id]
  t_idx <- unique(c(0, y)); ny <- length(y)
  Y <- N <- C <- S <- rep(0, length(t_idx))
  Y[1] <- ny; N[1] <- 0; C[1] <- 0; S[1] <- 1
  for (i in 2:length(t_idx)) {
    Y[i] <- Y[i - 1] - N[i - 1] - C[i - 1]
    N[i] <- ifelse(sum(y == t_idx[i] & d == 1) > 0, sum(y == t_idx[i] & d == 1), 0)
    C[i] <- ifelse(sum(y == t_idx[i] & d == 0) > 0, sum(y == t_idx[i] & d == 0), 0)
    if (Y[i] < 0) Y[i] <- 0
    S[i] <- ifelse(Y[i] == 0, S[i - 1], S[i - 1] * (1 - (N[i] / Y[i])))
    if (S[i] < 0) S[i] <- 0
    if (is.na(S[i])) S[i] <- 0
  }
  list(t_idx = t_idx[t_idx != 0], surv = S[t_idx != 0])
}

# The kappa (influence) terms of one arm: score plus the censoring-KM correction.
arm_kappa <- function(y, d, score) {
  n <- length(y); p <- ncol(score)
  ytable <- table(y)
  yrevcumsum <- (n + 1) - as.vector(rev(cumsum(rev(ytable))))
  ypos <- rep(yrevcumsum, ytable)
  yloc <- n + 1 - ypos
  yforward <- rep(as.vector(cumsum(ytable)), ytable)
  tab <- matrix(NA, n, p)
  for (i in 1:p) tab[, i] <- rev(cumsum(rev(score[, i])))[ypos]
  kappa2 <- tab * (1 - d) / yloc
  kappa3a <- kappa2 / yloc
  kappa3b <- matrix(NA, n, p)
  for (i in 1:p) kappa3b[, i] <- cumsum(kappa3a[, i])
  score + kappa2 - kappa3b[yforward, , drop = FALSE]
}

# rmst2reg (survRM2) for arm codes 0..K-1: x holds the arm indicators and covariates.
rmst2reg_hand <- function(y, delta, x, arm, tau, type = "difference", alpha = 0.05) {
  x <- cbind(1, x); p <- ncol(x)
  y0 <- pmin(y, tau); d0 <- delta; d0[y0 == tau] <- 1
  parts <- lapply(sort(unique(arm)), function(a) {
    yy <- y0[arm == a]; dd <- d0[arm == a]; xx <- x[arm == a, , drop = FALSE]
    id <- order(yy); yy <- yy[id]; dd <- dd[id]; xx <- xx[id, , drop = FALSE]
    fitc <- func_surv(yy, 1 - dd)
    list(y = yy, d = dd, x = xx, w = dd / rep(fitc$surv, table(yy)))
  })
  ys <- unlist(lapply(parts, `[[`, "y")); ws <- unlist(lapply(parts, `[[`, "w"))
  xs <- do.call(rbind, lapply(parts, `[[`, "x"))
  if (type == "difference") {
    beta0 <- lm(ys ~ xs - 1, weights = ws)$coef
    mu <- function(xx) as.vector(xx %*% beta0)
  } else {
    beta0 <- glm(ys ~ xs - 1, family = "quasipoisson", weights = ws)$coef
    mu <- function(xx) exp(as.vector(xx %*% beta0))
  }
  gamma <- matrix(0, p, p)
  for (pt in parts) {
    score <- pt$x * pt$w * (pt$y - mu(pt$x))
    k <- arm_kappa(pt$y, pt$d, score)
    gamma <- gamma + t(k) %*% k
  }
  A <- if (type == "difference") t(x) %*% x else t(x * exp(as.vector(x %*% beta0))) %*% x
  varbeta <- solve(A) %*% gamma %*% solve(A)
  se0 <- sqrt(diag(varbeta)); z0 <- beta0 / se0
  data.frame(term = colnames(x), coef = as.vector(beta0), se = se0, z = as.vector(z0),
             p = 1 - pchisq(as.vector(z0)^2, 1),
             lower = as.vector(beta0 - se0 * qnorm(1 - alpha / 2)),
             upper = as.vector(beta0 + se0 * qnorm(1 - alpha / 2)))
}

# Design: indicators of the non-reference groups (sorted labels, the first is the reference),
# numeric covariates as they are, character covariates as indicators of their non-first
# (sorted) levels, named "<column>=<level>" as netstats names them.
design <- function(d, covariates) {
  lev <- sort(unique(d$group))
  arm <- match(d$group, lev) - 1
  x <- sapply(lev[-1], function(l) as.numeric(d$group == l))
  x <- matrix(x, nrow = nrow(d)); colnames(x) <- paste0("group=", lev[-1])
  for (v in covariates) {
    if (is.character(d[[v]])) {
      cl <- sort(unique(d[[v]]))
      m <- matrix(sapply(cl[-1], function(l) as.numeric(d[[v]] == l)), nrow = nrow(d))
      colnames(m) <- paste0(v, "=", cl[-1])
      x <- cbind(x, m)
    } else {
      x <- cbind(x, matrix(d[[v]], ncol = 1, dimnames = list(NULL, v)))
    }
  }
  colnames(x) <- c(colnames(x))
  list(x = x, arm = arm)
}

adj_cases <- list(
  list(case = "pbc_survrm2_vignette", data = pbc_d, tau = 10,
       covariates = c("age", "bili", "albumin")),
  list(case = "veteran_all", data = vet_c, tau = 200,
       covariates = c("karno", "age", "diagtime", "prior", "celltype")),
  list(case = "veteran_karno_tau365", data = vet_c, tau = 365, covariates = c("karno")),
  list(case = "lung", data = lung_c, tau = 500, covariates = c("age", "ecog", "wt_loss")),
  list(case = "veteran_celltype_groups", tau = 150, covariates = c("karno", "age", "trt"),
       data = transform(vet_c, group = celltype, trt = as.numeric(group == "2"))))
adj <- list()
for (cs in adj_cases) {
  ds <- design(cs$data, cs$covariates)
  for (type in c("difference", "ratio")) {
    r <- rmst2reg_hand(cs$data$time, cs$data$status, ds$x, ds$arm, cs$tau, type = type)
    r$term[1] <- "intercept"
    adj[[length(adj) + 1]] <- cbind(case = cs$case, tau = cs$tau, model = type, r)
  }
}
adj <- do.call(rbind, adj)
# The transcription reproduces the output printed in the survRM2 vignette (survRM2 1.0-3,
# "rmst2(time, status, arm, tau = 10, covariates = x)", 3 decimals): coef and se(coef) of
# both models.
vig <- adj[adj$case == "pbc_survrm2_vignette", ]
stopifnot(all.equal(round(vig$coef, 3), c(2.743, -0.210, -0.069, -0.325, 2.550,
                                          1.369, -0.033, -0.009, -0.087, 0.360)),
          all.equal(round(vig$se, 3), c(2.134, 0.343, 0.018, 0.039, 0.472,
                                        0.356, 0.050, 0.003, 0.013, 0.080)))
wcsv(adj, "rmst_adjusted.csv")
