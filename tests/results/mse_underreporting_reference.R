# Reference values for ssstats' multiplier_estimate, relative_completeness and bias_analysis, from base R and MASS.
# Run from the repository root:  Rscript tests/results/mse_underreporting_reference.R
# Writes tests/results/mse_multiplier_reference.csv, mse_completeness_reference.csv, mse_bias_reference.csv.
options(digits = 15)
library(MASS)

# ---- multiplier: N = O / p; delta interval on the log scale; exact quantiles of O / p for fixed O ----
z <- qnorm(0.975)
rows <- list()
add <- function(case, O, p, var_p) {
  est <- O / p
  sd <- sqrt(1 / O + var_p / p^2)
  data.frame(case = case, observed = O, reporting = p, estimate = est, lower = est * exp(-z * sd),
             upper = est * exp(z * sd))
}
rows[[1]] <- add("fixed 0.16", 56, 0.16, 0)
a <- 16.5; b <- 84.5
rows[[2]] <- add("beta(16.5, 84.5)", 56, a / (a + b), a * b / ((a + b)^2 * (a + b + 1)))
rows[[3]] <- add("beta(16.5, 84.5)", 1374, a / (a + b), a * b / ((a + b)^2 * (a + b + 1)))
write.csv(do.call(rbind, rows), "tests/results/mse_multiplier_reference.csv", row.names = FALSE)

# ---- relative completeness on a small made-up table (not data) ----
x <- c(0, 3, 8, 12, 20, 25, 31, 9, 14, 40)
e <- c(2000, 2500, 3000, 2800, 4000, 3500, 3000, 5000, 1500, 6000)
r <- x / e
bench <- function(q) { top <- r >= quantile(r, q, type = 7); sum(x[top]) / sum(e[top]) }
nb <- glm.nb(x ~ offset(log(e)))
benchmarks <- c(top_quartile = bench(0.75), top_decile = bench(0.90), negative_binomial = exp(coef(nb)[[1]]))
out <- list()
for (bn in names(benchmarks)) {
  R <- benchmarks[[bn]]
  ci <- t(sapply(x, function(k) poisson.test(k, conf.level = 0.95)$conf.int))
  out[[bn]] <- data.frame(benchmark = bn, unit = seq_along(x) - 1, events = x, exposure = e, benchmark_rate = R,
                          estimate = x / (e * R), lower = ci[, 1] / (e * R), upper = ci[, 2] / (e * R))
}
write.csv(do.call(rbind, out), "tests/results/mse_completeness_reference.csv", row.names = FALSE)

# ---- bias analysis: N = O v / p is monotone in each parameter, so with one uncertain parameter its quantiles
# are O / qdist(1 - q) (reporting) or O * qdist(q) (misclassification), exactly ----
O <- 1120
qs <- c(0.5, 0.025, 0.975)
qtri <- function(u, lo, mode, hi) {
  fc <- (mode - lo) / (hi - lo)
  ifelse(u < fc, lo + sqrt(u * (hi - lo) * (mode - lo)), hi - sqrt((1 - u) * (hi - lo) * (hi - mode)))
}
qtrap <- function(u, a, b, c, d) {  # inverse of the trapezoidal CDF
  h <- 2 / (d + c - a - b); fb <- h * (b - a) / 2; fc <- fb + h * (c - b)
  ifelse(u <= fb, a + sqrt(2 * u * (b - a) / h), ifelse(u <= fc, b + (u - fb) / h, d - sqrt(2 * (1 - u) * (d - c) / h)))
}
# check qtrap against numerical integration of the density
dtrap <- function(x, a, b, c, d) { h <- 2 / (d + c - a - b)
  ifelse(x < a | x > d, 0, ifelse(x < b, h * (x - a) / (b - a), ifelse(x <= c, h, h * (d - x) / (d - c)))) }
for (u in c(0.025, 0.5, 0.975)) stopifnot(abs(integrate(dtrap, 0.3, qtrap(u, 0.3, 0.5, 0.7, 0.9), a = 0.3, b = 0.5,
                                                       c = 0.7, d = 0.9, rel.tol = 1e-12)$value - u) < 1e-8)
cases <- list(
  list("reporting", "beta", "30, 30", function(u) qbeta(u, 30, 30)),
  list("reporting", "uniform", "0.3, 0.9", function(u) qunif(u, 0.3, 0.9)),
  list("reporting", "triangular", "0.3, 0.5, 0.9", function(u) qtri(u, 0.3, 0.5, 0.9)),
  list("reporting", "trapezoidal", "0.3, 0.5, 0.7, 0.9", function(u) qtrap(u, 0.3, 0.5, 0.7, 0.9)),
  list("reporting", "logit-normal", "0.5, 0.4", function(u) plogis(qnorm(u, 0.5, 0.4))),
  list("misclassification", "beta", "40, 5", function(u) qbeta(u, 40, 5))
)
out <- list()
for (cs in cases) {
  vals <- if (cs[[1]] == "reporting") O / cs[[4]](1 - qs) else O * cs[[4]](qs)
  out[[length(out) + 1]] <- data.frame(kind = cs[[1]], distribution = cs[[2]], parameters = cs[[3]], observed = O,
                                       median = vals[1], lower = vals[2], upper = vals[3])
}
write.csv(do.call(rbind, out), "tests/results/mse_bias_reference.csv", row.names = FALSE)
