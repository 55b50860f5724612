# Reference funnel-plot limits for tests/test_funnel.py, computed independently of ssstats in base R (+ VGAM for
# the beta-binomial distribution).  Run from the repository root:  Rscript tests/results/funnel_limits.R
# Writes tests/results/funnel_limits.csv (long format: model, theta, d, level, lower, upper, plus parameters).
#
# Exact limits: Spiegelhalter (2005), appendix A.1.1: r = the p-quantile (qbinom / qpois / qnbinom),
#   alpha = (F(r) - p) / (F(r) - F(r - 1)), limit = (r - alpha) / d, never below 0.
# Wilson-inverted limits (PHEindicatormethods): the proportion q whose Wilson interval at level L has an end at
#   theta, found here by uniroot on the Wilson formula (not the closed-form quadratic ssstats uses).
suppressMessages(library(VGAM))

interp <- function(p, qf, pf) {
  r <- qf(p)
  fr <- pf(r)
  fr1 <- ifelse(r > 0, pf(r - 1), 0)
  a <- ifelse(fr > fr1, (fr - p) / (fr - fr1), 0)
  pmax(r - pmin(pmax(a, 0), 1), 0)
}

rows <- list()
add <- function(model, theta, d, level, lower, upper, par = NA) {
  rows[[length(rows) + 1]] <<- data.frame(model = model, theta = theta, d = d, level = level, lower = lower,
                                          upper = upper, par = par)
}

levels <- c(0.8, 0.95, 0.998)
# binomial
for (theta in c(0.05, 0.3, 0.80642448)) for (n in c(1, 5, 20, 57, 100, 1000, 12345)) for (L in levels) {
  a <- (1 - L) / 2
  lo <- interp(a, function(p) qbinom(p, n, theta), function(q) pbinom(q, n, theta)) / n
  hi <- interp(1 - a, function(p) qbinom(p, n, theta), function(q) pbinom(q, n, theta)) / n
  add("binomial_exact", theta, n, L, min(max(lo, 0), 1), min(max(hi, 0), 1))
  # Wilson inversion by root finding
  z <- qnorm((1 + L) / 2)
  wl <- function(q) (q + z^2 / (2 * n) - z * sqrt(q * (1 - q) / n + z^2 / (4 * n^2))) / (1 + z^2 / n)
  wu <- function(q) (q + z^2 / (2 * n) + z * sqrt(q * (1 - q) / n + z^2 / (4 * n^2))) / (1 + z^2 / n)
  # lower funnel limit: q whose upper Wilson limit is theta (0 if even q = 0 reaches theta)
  lo_w <- if (wu(0) >= theta) 0 else uniroot(function(q) wu(q) - theta, c(0, theta), tol = 1e-15)$root
  hi_w <- if (wl(1) <= theta) 1 else uniroot(function(q) wl(q) - theta, c(theta, 1), tol = 1e-15)$root
  add("binomial_wilson", theta, n, L, lo_w, hi_w)
}
# Poisson: rate theta per unit of exposure d
for (theta in c(1, 0.002)) for (m in c(0.3, 2, 7.5, 40, 1000)) for (L in levels) {
  d <- m / theta
  a <- (1 - L) / 2
  lo <- interp(a, function(p) qpois(p, m), function(q) ppois(q, m)) / d
  hi <- interp(1 - a, function(p) qpois(p, m), function(q) ppois(q, m)) / d
  add("poisson_exact", theta, d, L, lo, hi)
}
# negative binomial (NB2, Var = m + alpha m^2) with mean theta d
for (alpha in c(0.05, 0.5)) for (theta in c(1, 0.002)) for (m in c(0.3, 7.5, 40)) for (L in c(0.95, 0.998)) {
  d <- m / theta
  a <- (1 - L) / 2
  lo <- interp(a, function(p) qnbinom(p, size = 1 / alpha, mu = m), function(q) pnbinom(q, size = 1 / alpha, mu = m)) / d
  hi <- interp(1 - a, function(p) qnbinom(p, size = 1 / alpha, mu = m), function(q) pnbinom(q, size = 1 / alpha, mu = m)) / d
  add("negbin_exact", theta, d, L, lo, hi, par = alpha)
}
# beta-binomial with mean theta and intra-unit correlation rho: shape1 = theta (1 - rho) / rho
for (rho in c(0.01, 0.2)) for (theta in c(0.05, 0.3)) for (n in c(5, 57, 1000)) for (L in c(0.95, 0.998)) {
  s1 <- theta * (1 - rho) / rho
  s2 <- (1 - theta) * (1 - rho) / rho
  cdf <- cumsum(dbetabinom.ab(0:n, n, s1, s2))
  pf <- function(q) ifelse(q < 0, 0, cdf[pmin(q, n) + 1])
  qf <- function(p) min(which(cdf >= p * (1 - 64 * .Machine$double.eps))) - 1
  a <- (1 - L) / 2
  add("betabinom_exact", theta, n, L, interp(a, qf, pf) / n, interp(1 - a, qf, pf) / n, par = rho)
}
out <- do.call(rbind, rows)
write.csv(out, "tests/results/funnel_limits.csv", row.names = FALSE)
cat("wrote", nrow(out), "rows\n")
