# Exact coverage of binomial and Poisson intervals, computed independently in R for tests/test_simulation_study.py.
# coverage = sum over x of P(X = x) * [lower(x) <= truth <= upper(x)]; width = sum of P(X = x) * (upper - lower).
# Intervals from R itself: prop.test(correct = FALSE) (Wilson), binom.test (Clopper-Pearson), qbeta (Jeffreys,
# with the binom package's one-sided limits at x = 0 and x = n), the textbook Wald interval truncated to [0, 1];
# poisson.test (Garwood exact), qgamma (Jeffreys), Wald truncated at 0.
# Run from the repository root: Rscript tests/results/simulation_coverage.R
z <- qnorm(0.975)
prop_ci <- list(
  wilson = function(x, n) as.numeric(prop.test(x, n, correct = FALSE)$conf.int),
  exact = function(x, n) as.numeric(binom.test(x, n)$conf.int),
  jeffreys = function(x, n) c(if (x == 0) 0 else qbeta(0.025, x + 0.5, n - x + 0.5),
                              if (x == n) 1 else qbeta(0.975, x + 0.5, n - x + 0.5)),
  wald = function(x, n) { p <- x / n; h <- z * sqrt(p * (1 - p) / n); c(max(0, p - h), min(1, p + h)) }
)
rate_ci <- list(
  exact = function(x) as.numeric(poisson.test(x)$conf.int),
  jeffreys = function(x) c(if (x == 0) 0 else qgamma(0.025, x + 0.5), qgamma(0.975, x + 0.5)),
  wald = function(x) c(max(0, x - z * sqrt(x)), x + z * sqrt(x))
)
rows <- list()
for (n in c(20, 100, 1374)) for (m in names(prop_ci)) {
  lims <- t(sapply(0:n, function(x) prop_ci[[m]](x, n)))
  for (p in c(0.01, 0.019, 0.05)) {
    pmf <- dbinom(0:n, n, p)
    cover <- lims[, 1] <= p & p <= lims[, 2]
    rows[[length(rows) + 1]] <- data.frame(study = "proportion", method = m, trials = n, true_value = p,
      coverage = sum(pmf[cover]), mean_width = sum(pmf * (lims[, 2] - lims[, 1])))
  }
}
xs <- 0:200
for (m in names(rate_ci)) {
  lims <- t(sapply(xs, rate_ci[[m]]))
  for (mu in c(0.5, 2, 10, 30)) {
    pmf <- dpois(xs, mu)
    cover <- lims[, 1] <= mu & mu <= lims[, 2]
    rows[[length(rows) + 1]] <- data.frame(study = "rate", method = m, trials = NA, true_value = mu,
      coverage = sum(pmf[cover]), mean_width = sum(pmf * (lims[, 2] - lims[, 1])))
  }
}
out <- do.call(rbind, rows)
out$source <- paste("R", getRversion(), "stats::prop.test/binom.test/poisson.test/qbeta/qgamma")
write.csv(out, "tests/results/simulation_coverage.csv", row.names = FALSE)
