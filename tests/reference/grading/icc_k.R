# Reference values for netstats.grading.icc_raters: the six Shrout-Fleiss ICCs for k >= 2
# raters, with F tests and confidence intervals, from psych::ICC(x, lmer = FALSE).
# R 4.2.2 (2022-11-10 r83330); psych 2.2.9.
# Run from this folder: Rscript icc_k.R   (writes icc_k_data.csv and icc_k_ref.csv)
#
# psych::ICC(lmer = FALSE) stops when a subject has a missing rating ("missing data were
# found for N cases; Try again with na.omit ..."); the reference for incomplete data is
# therefore psych::ICC(na.omit(x), lmer = FALSE), i.e. incomplete subjects dropped, and
# n_dropped records how many were.
suppressPackageStartupMessages(library(psych))
stopifnot(as.character(packageVersion("psych")) == "2.2.9")
options(digits = 15)

sets <- list()
# Shrout & Fleiss (1979), Table 2: 6 targets, 4 judges (ICC1 .17, ICC2 .29, ICC3 .71).
sets$shrout_fleiss <- matrix(c(9, 2, 5, 8, 6, 1, 3, 2, 8, 4, 6, 8, 7, 1, 2, 6, 10, 5, 6, 9,
                               6, 2, 4, 7), ncol = 4, byrow = TRUE)
# Log Ki-67 of 40 tumours read by 5 pathologists, one reading higher on average; four
# tumours miss one reading (one misses two).
set.seed(20261208)
true <- rnorm(40, log(8), 0.9)
ki <- sapply(1:5, function(j) true + rnorm(40, c(0, 0, 0.25, 0, -0.1)[j], 0.35))
ki[cbind(c(3, 11, 11, 27, 38), c(2, 5, 1, 3, 4))] <- NA
sets$ki67_5raters <- ki
# Three raters and little agreement (an ICC near or below 0).
set.seed(7)
sets$noise_3raters <- matrix(rnorm(36, 0, 1), ncol = 3) + rnorm(12, 0, 0.3)
# Two raters: the same numbers as the two-rater function (k = 2 special case).
sets$two_raters <- matrix(c(1.2, 1.0, 2.3, 2.9, 3.1, 2.8, 4.4, 4.0, 5.0, 5.6, 6.1, 5.7, 3.3,
                            3.9), ncol = 2, byrow = TRUE)

long <- list(); ref <- list()
for (nm in names(sets)) {
  x <- sets[[nm]]
  colnames(x) <- paste0("r", seq_len(ncol(x)))
  long[[nm]] <- data.frame(dataset = nm, subject = rep(seq_len(nrow(x)), ncol(x)),
                           rater = rep(colnames(x), each = nrow(x)), value = as.vector(x))
  cx <- na.omit(as.data.frame(x))
  ic <- ICC(cx, lmer = FALSE, alpha = 0.05)
  r <- ic$results
  ref[[nm]] <- data.frame(dataset = nm, statistic = r$type, estimate = r$ICC, f_statistic = r$F,
                          df1 = r$df1, df2 = r$df2, p_value = r$p,
                          ci_lower = r$`lower bound`, ci_upper = r$`upper bound`,
                          n_subjects = ic$n.obs, n_raters = ic$n.judge,
                          n_dropped = nrow(x) - nrow(cx))
}
write.csv(do.call(rbind, long), "icc_k_data.csv", row.names = FALSE)
write.csv(do.call(rbind, ref), "icc_k_ref.csv", row.names = FALSE)
