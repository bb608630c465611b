# Reference values for netstats.grading.ki67_hazard (Cox, Efron ties; rms restricted cubic spline).
# R 4.2.2 (2022-11-10 r83330); survival 3.5.3; rms 6.5.0.
# Run from this folder: Rscript prognostic.R
suppressPackageStartupMessages({library(survival); library(rms)})
cat("rms", as.character(packageVersion("rms")), "\n")
d <- read.csv("cutpoint_data.csv")
d$l2 <- log2(d$ki67_percent)
ctl <- coxph.control(eps = 1e-12, toler.chol = 1e-14, iter.max = 100)
lin <- coxph(Surv(os_months, death) ~ l2, data = d, ties = "efron", control = ctl)
res <- data.frame(model = "linear", n_knots = NA, term = "log2_ki67", estimate = unname(coef(lin)),
                  se = unname(sqrt(diag(vcov(lin)))))
curves <- list(); nl <- list()
grid <- c(1, 2, 3, 5, 10, 20, 30)
for (nk in 3:4) {
  p <- list(`3` = c(.10, .50, .90), `4` = c(.05, .35, .65, .95))[[as.character(nk)]]
  kn <- unname(quantile(d$l2, p, type = 7))
  fit <- coxph(Surv(os_months, death) ~ rcs(l2, kn), data = d, ties = "efron", control = ctl)
  b <- coef(fit); V <- vcov(fit)
  res <- rbind(res, data.frame(model = "spline", n_knots = nk,
                               term = c("log2_ki67", paste0("rcs", seq_len(nk - 2))),
                               estimate = unname(b), se = unname(sqrt(diag(V)))))
  ref <- median(d$ki67_percent)
  B <- rcspline.eval(log2(grid), knots = kn, inclx = TRUE)
  B0 <- rcspline.eval(log2(ref), knots = kn, inclx = TRUE)
  D <- sweep(B, 2, B0)
  eta <- drop(D %*% b); se <- sqrt(rowSums((D %*% V) * D))
  curves[[length(curves) + 1]] <- data.frame(n_knots = nk, ki67_percent = grid, hazard_ratio = exp(eta),
    ci_lower = exp(eta - qnorm(0.975) * se), ci_upper = exp(eta + qnorm(0.975) * se))
  bn <- b[-1]; Vn <- V[-1, -1, drop = FALSE]
  st <- drop(t(bn) %*% solve(Vn) %*% bn)
  nl[[length(nl) + 1]] <- data.frame(n_knots = nk, statistic = st, df = nk - 2,
                                     p_value = pchisq(st, nk - 2, lower.tail = FALSE))
}
write.csv(res, "prognostic_coef_ref.csv", row.names = FALSE)
write.csv(do.call(rbind, curves), "prognostic_curve_ref.csv", row.names = FALSE)
write.csv(do.call(rbind, nl), "prognostic_nonlinear_ref.csv", row.names = FALSE)
