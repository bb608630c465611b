# Reference values for the Cox engine's second round (defects of issue "Survival core, second
# round"): linear predictors spread far apart across strata and over (start, stop] time, a
# singular cluster-robust variance, and the robust default under non-integer case weights.
# Run from the repository root:  Rscript tests/reference/cox/cox_round2.R
# Writes the data sets (round2_*.csv) and the values (cox_round2.csv) beside this script.
# survival 3.5-3 on R 4.2.2.
library(survival)
out_dir <- "tests/reference/cox"
rows <- list()
add <- function(case, quantity, term, value) {
  rows[[length(rows) + 1]] <<- data.frame(case = case, quantity = quantity, term = term,
                                          value = sprintf("%.17g", value))
}
add_fit <- function(case, fit) {
  b <- coef(fit)
  for (j in seq_along(b)) {
    add(case, "coef", names(b)[j], b[j])
    add(case, "se", names(b)[j], sqrt(diag(fit$var))[j])
  }
  add(case, "loglik", "", fit$loglik[2])
  add(case, "robust", "", as.numeric(!is.null(fit$naive.var)))
}

# 1. Strata whose covariates sit far apart: the linear predictor spans ~ 40 units.
set.seed(20261207)
n <- 300
strata_far <- data.frame(s = rep(c("a", "b", "c"), each = n / 3))
centre <- c(a = 0, b = 15, c = 40)[strata_far$s]
strata_far$x1 <- centre + rnorm(n)
strata_far$x2 <- rnorm(n)
strata_far$time <- round(rexp(n, exp(0.7 * (strata_far$x1 - centre) + 0.3 * strata_far$x2)), 3)
strata_far$status <- rbinom(n, 1, 0.8)
write.csv(strata_far, file.path(out_dir, "round2_strata_far.csv"), row.names = FALSE)
for (ties in c("efron", "breslow")) {
  fit <- coxph(Surv(time, status) ~ x1 + x2 + strata(s), data = strata_far, ties = ties)
  add_fit(paste0("strata_far_", ties), fit)
}

# 2. (start, stop] data with a covariate drifting with time: eta spans ~ 30 units.
set.seed(7)
m <- 120
pieces <- list()
for (i in seq_len(m)) {
  z <- rnorm(1)
  t0 <- 0
  repeat {
    t1 <- t0 + round(runif(1, 0.5, 3), 2)
    x <- 0.8 * t0 + rnorm(1)  # measured at the start of the interval, drifting upwards
    # PH in x with coefficient 0.3 (the drift is absorbed by the baseline hazard)
    hazard <- 0.05 * exp(0.3 * (x - 0.8 * t0) + 0.5 * z)
    ev <- as.integer(runif(1) < 1 - exp(-hazard * (t1 - t0)))
    pieces[[length(pieces) + 1]] <- data.frame(id = i, start = t0, stop = t1, x = x, z = z,
                                               status = ev)
    t0 <- t1
    if (ev == 1 || t0 > 120) break
  }
}
drift <- do.call(rbind, pieces)
write.csv(drift, file.path(out_dir, "round2_drift.csv"), row.names = FALSE)
cat("drift: rows", nrow(drift), "events", sum(drift$status), "x range", range(drift$x), "\n")
fit <- coxph(Surv(start, stop, status) ~ x + z, data = drift)
add_fit("drift_efron", fit)
fit <- coxph(Surv(start, stop, status) ~ x + z, data = drift, cluster = id)
add_fit("drift_cluster", fit)

# 3. A singular robust variance: two clusters, three coefficients.
set.seed(1)
sing <- data.frame(time = rexp(40), status = rbinom(40, 1, .8), x1 = rnorm(40),
                   x2 = rnorm(40), x3 = rnorm(40), cl = rep(1:2, 20))
write.csv(sing, file.path(out_dir, "round2_singular.csv"), row.names = FALSE)
fit <- coxph(Surv(time, status) ~ x1 + x2 + x3, data = sing, cluster = cl)
add_fit("singular", fit)
w <- coxph.wtest(fit$var, coef(fit))
add("singular", "wald", "", w$test)
add("singular", "wald_rank", "", w$df)
add("singular", "robust_score", "", fit$rscore)
for (j in 1:3) for (k in 1:3) add("singular", "var", paste0(j, ",", k), fit$var[j, k])

# 4. Non-integer case weights and no cluster: R's default variance is the robust one.
set.seed(2)
wt <- data.frame(time = rexp(60), status = rbinom(60, 1, .7), x1 = rnorm(60),
                 x2 = rbinom(60, 1, .5), w = round(runif(60, 0.3, 2.5), 3))
write.csv(wt, file.path(out_dir, "round2_weights.csv"), row.names = FALSE)
fit <- coxph(Surv(time, status) ~ x1 + x2, data = wt, weights = w)
add_fit("weights_fractional", fit)
for (j in 1:2) add("weights_fractional", "naive_se", names(coef(fit))[j], sqrt(diag(fit$naive.var))[j])
fit <- coxph(Surv(time, status) ~ x1 + x2, data = wt, weights = round(3 * w))
add_fit("weights_integer", fit)

write.csv(do.call(rbind, rows), file.path(out_dir, "cox_round2.csv"), row.names = FALSE)
