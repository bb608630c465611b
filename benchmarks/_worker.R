# One benchmark task for R survival, in its own process: prints {"seconds": x}.
#   Rscript benchmarks/_worker.R TASK DATA.csv REPEATS
# Tested with R 4.2 and survival 3.5. Data loading is not timed; one warm-up run, then the
# median of REPEATS runs.
suppressPackageStartupMessages(library(survival))
args <- commandArgs(trailingOnly = TRUE)
task <- args[1]; path <- args[2]; repeats <- as.integer(args[3])
df <- read.csv(path)
xs <- paste0("x", 0:9)
cox_formula <- as.formula(paste("Surv(time, event) ~", paste(xs, collapse = " + ")))
fn <- switch(task,
  cox_efron = function() coxph(cox_formula, data = df, ties = "efron"),
  cox_breslow = function() coxph(cox_formula, data = df, ties = "breslow"),
  cox_cluster = function() coxph(update(cox_formula, . ~ . + cluster(patient_id)), data = df),
  km = function() survfit(Surv(time, event) ~ 1, data = df, conf.type = "log-log"),
  logrank = function() survdiff(Surv(time, event) ~ g, data = df),
  boot_km = function() {
    set.seed(1)
    n <- nrow(df)
    for (b in 1:1000) {
      i <- sample.int(n, n, replace = TRUE)
      quantile(survfit(Surv(time, event) ~ 1, data = df[i, ]), 0.5, conf.int = FALSE)
    }
  },
  NULL
)
if (is.null(fn)) {
  cat('{"seconds": null}\n')
} else {
  invisible(fn())
  times <- replicate(repeats, system.time(fn())[["elapsed"]])
  cat(sprintf('{"seconds": %.6f}\n', median(times)))
}
