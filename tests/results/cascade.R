# Reference intervals for tests/test_attrition.py (Cascade): R's prop.test (Wilson, no continuity correction)
# and binom.test (Clopper-Pearson) for the proportions the tests' cascades form.
# Run from the repository root: Rscript tests/results/cascade.R  -> tests/results/cascade.csv
pairs <- data.frame(
  x = c(982, 26, 491, 104, 26, 0, 0, 2, 8, 18, 5),
  n = c(19899, 1374, 1305, 1305, 19899, 42, 13, 18, 18, 19899, 982)
)
rows <- lapply(seq_len(nrow(pairs)), function(i) {
  x <- pairs$x[i]; n <- pairs$n[i]
  w <- prop.test(x, n, correct = FALSE, conf.level = 0.95)$conf.int
  e <- binom.test(x, n, conf.level = 0.95)$conf.int
  e90 <- binom.test(x, n, conf.level = 0.90)$conf.int
  data.frame(x = x, n = n, estimate = x / n,
             wilson_lower = w[1], wilson_upper = w[2],
             exact_lower = e[1], exact_upper = e[2],
             exact90_lower = e90[1], exact90_upper = e90[2])
})
out <- do.call(rbind, rows)
write.csv(out, "tests/results/cascade.csv", row.names = FALSE)
