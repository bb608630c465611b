# Reference values for netstats.grading.ki67_cutpoint (maximally selected log-rank statistic).
# R 4.2.2 (2022-11-10 r83330); maxstat 0.7.25; survival 3.5.3.
# Run from this folder: Rscript cutpoint.R
suppressPackageStartupMessages({library(maxstat); library(survival)})
d <- read.csv("cutpoint_data.csv")
out <- list(); per <- list()
for (mp in list(c(0.1, 0.9), c(0.2, 0.8))) {
  mt <- maxstat.test(Surv(os_months, death) ~ ki67_percent, data = d, smethod = "LogRank",
                     pmethod = "Lau92", minprop = mp[1], maxprop = mp[2])
  out[[length(out) + 1]] <- data.frame(minprop = mp[1], maxprop = mp[2], statistic = unname(mt$statistic),
                                       cutpoint = unname(mt$estimate), p_value = mt$p.value)
  per[[length(per) + 1]] <- data.frame(minprop = mp[1], cut = mt$cuts, statistic = mt$stats)
}
write.csv(do.call(rbind, out), "cutpoint_ref.csv", row.names = FALSE)
write.csv(do.call(rbind, per), "cutpoint_stats_ref.csv", row.names = FALSE)
