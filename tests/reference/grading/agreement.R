# Reference values for netstats.grading agreement statistics.
# R 4.2.2 (2022-11-10 r83330); psych 2.2.9; epiR 2.0.57; stats (base).
# Run from this folder: Rscript agreement.R   (writes the *_ref.csv files next to it)
suppressPackageStartupMessages({library(psych); library(epiR)})
options(digits = 15)

tables <- list(
  # Cohen (1960) Table 1 as counts (N = 200): kappa = .492
  cohen1960 = matrix(c(88, 14, 18, 10, 40, 10, 2, 6, 12), 3, byrow = TRUE),
  # Fleiss (1981) psychiatric diagnoses, two raters, N = 100
  fleiss1981 = matrix(c(75, 1, 4, 5, 4, 1, 0, 0, 10), 3, byrow = TRUE),
  # grade cross-table, primary (rows) x metastasis (columns), G1-G3
  grades3 = matrix(c(30, 12, 1, 4, 25, 6, 1, 3, 9), 3, byrow = TRUE),
  # 4 categories
  four = matrix(c(20, 5, 2, 1, 3, 15, 4, 2, 1, 2, 12, 5, 1, 1, 3, 9), 4, byrow = TRUE)
)

# Fleiss, Cohen & Everitt (1969) large-sample non-null variance, written out from the paper
fce <- function(tab, wdis) {
  n <- sum(tab); p <- tab / n; r <- rowSums(p); cc <- colSums(p); w <- 1 - wdis
  po <- sum(w * p); pe <- sum(w * outer(r, cc)); k <- (po - pe) / (1 - pe)
  wi <- as.vector(w %*% cc); wj <- as.vector(r %*% w)
  v <- (sum(p * (w - outer(wi, wj, "+") * (1 - k))^2) - (k - pe * (1 - k))^2) / (n * (1 - pe)^2)
  c(kappa = k, se = sqrt(v))
}

rows <- list()
for (nm in names(tables)) {
  tab <- tables[[nm]]; kk <- nrow(tab); d <- abs(outer(1:kk, 1:kk, "-"))
  ck_q <- cohen.kappa(tab)                          # psych default: quadratic weights
  ck_l <- cohen.kappa(tab, w = d)                   # psych: linear (w = |i - j|)
  for (wt in c("unweighted", "linear", "quadratic")) {
    wdis <- switch(wt, unweighted = (d > 0) * 1, linear = d / (kk - 1), quadratic = d^2 / (kk - 1)^2)
    f <- fce(tab, wdis)
    psych_k <- switch(wt, unweighted = ck_q$kappa, linear = ck_l$weighted.kappa, quadratic = ck_q$weighted.kappa)
    psych_v <- switch(wt, unweighted = ck_q$var.kappa, linear = ck_l$var.weighted, quadratic = ck_q$var.weighted)
    rows[[length(rows) + 1]] <- data.frame(table = nm, weights = wt, psych_kappa = psych_k,
      psych_se = sqrt(psych_v), fce_kappa = unname(f["kappa"]), fce_se = unname(f["se"]))
  }
}
write.csv(do.call(rbind, rows), "kappa_ref.csv", row.names = FALSE)

# Bowker's symmetry test = mcnemar.test on a k x k table (no empty off-diagonal pairs here)
bw <- do.call(rbind, lapply(names(tables), function(nm) {
  m <- mcnemar.test(tables[[nm]], correct = FALSE)
  data.frame(table = nm, statistic = unname(m$statistic), df = unname(m$parameter), p_value = m$p.value)
}))
m2 <- mcnemar.test(matrix(c(10, 8, 2, 10), 2, byrow = TRUE), correct = FALSE)
bw <- rbind(bw, data.frame(table = "two_by_two", statistic = unname(m2$statistic),
                           df = unname(m2$parameter), p_value = m2$p.value))
write.csv(bw, "bowker_ref.csv", row.names = FALSE)

# Stuart-Maxwell marginal homogeneity, written out from Stuart (1955) / Maxwell (1970):
# d = row - column margins (counts), V_ii = n_i. + n_.i - 2 n_ii, V_ij = -(n_ij + n_ji),
# statistic = d' V^-1 d over the first k - 1 categories, df = k - 1
sm <- do.call(rbind, lapply(names(tables), function(nm) {
  x <- tables[[nm]]; k <- nrow(x)
  d <- (rowSums(x) - colSums(x))[-k]
  V <- -(x + t(x)); diag(V) <- rowSums(x) + colSums(x) - 2 * diag(x); V <- V[-k, -k]
  st <- drop(t(d) %*% solve(V) %*% d)
  data.frame(table = nm, statistic = st, df = k - 1, p_value = pchisq(st, k - 1, lower.tail = FALSE))
}))
write.csv(sm, "stuart_maxwell_ref.csv", row.names = FALSE)

# Clopper-Pearson (binom.test) and Jeffreys (equal-tailed beta quantiles) intervals
cnt <- read.csv("ki67_counts.csv")
bi <- do.call(rbind, lapply(seq_len(nrow(cnt)), function(i) {
  x <- cnt$positive[i]; n <- cnt$counted[i]
  cp <- binom.test(x, n, conf.level = 0.95)$conf.int
  jl <- if (x == 0) 0 else qbeta(0.025, x + 0.5, n - x + 0.5)
  ju <- if (x == n) 1 else qbeta(0.975, x + 0.5, n - x + 0.5)
  # posterior P(grade) under the Jeffreys prior
  pg1 <- pbeta(0.03, x + 0.5, n - x + 0.5); pg12 <- pbeta(0.20, x + 0.5, n - x + 0.5)
  data.frame(positive = x, counted = n, cp_lower = 100 * cp[1], cp_upper = 100 * cp[2],
             jeffreys_lower = 100 * jl, jeffreys_upper = 100 * ju,
             p_g1 = pg1, p_g2 = pg12 - pg1, p_g3 = 1 - pg12)
}))
write.csv(bi, "binom_ref.csv", row.names = FALSE)

# Continuous agreement on log Ki-67
kp <- read.csv("ki67_pairs.csv")
lx <- log(kp$first); ly <- log(kp$second)
cc <- epi.ccc(lx, ly, ci = "z-transform", conf.level = 0.95)
ic <- ICC(cbind(lx, ly), lmer = FALSE, alpha = 0.05)$results
d <- ly - lx; n <- length(d); s <- sd(d); z <- qnorm(0.975); tq <- qt(0.975, n - 1)
se_b <- s / sqrt(n); se_l <- s * sqrt(1 / n + z^2 / (2 * (n - 1)))   # Bland & Altman (1999)
ba <- data.frame(statistic = c("bias", "loa_lower", "loa_upper"),
                 estimate = c(mean(d), mean(d) - z * s, mean(d) + z * s), se = c(se_b, se_l, se_l))
ba$ci_lower <- ba$estimate - tq * ba$se; ba$ci_upper <- ba$estimate + tq * ba$se
write.csv(ba, "bland_altman_ref.csv", row.names = FALSE)
write.csv(data.frame(estimate = cc$rho.c$est, ci_lower = cc$rho.c$lower, ci_upper = cc$rho.c$upper,
                     bias_correction = cc$C.b), "ccc_ref.csv", row.names = FALSE)
write.csv(data.frame(statistic = ic$type, estimate = ic$ICC, f_statistic = ic$F, df1 = ic$df1,
                     df2 = ic$df2, p_value = ic$p, ci_lower = ic$`lower bound`,
                     ci_upper = ic$`upper bound`), "icc_ref.csv", row.names = FALSE)
