# Reference values for the score interval of a difference of two Poisson rates, lambda1 - lambda2
# (ssstats.compare_rates(measures="difference"), which calls statsmodels' confint_poisson_2indep(method="score")).
#
# Written out from the definition, independently of statsmodels' closed form: for a hypothesised difference d,
# the rates are re-estimated under the constraint lambda1 = lambda2 + d by solving the constrained score equation
# x1 / (l2 + d) + x2 / l2 = e1 + e2 numerically (uniroot), the score statistic is
# z(d) = (x1/e1 - x2/e2 - d) / sqrt(l1/e1 + l2/e2), and the limits are the d where z(d) = +-qnorm(1 - alpha/2)
# (uniroot again).  Where a count is 0 the constrained maximum can lie on the boundary (l1 = 0 or l2 = 0), where
# the score equation has no root: the constrained estimate is then the boundary itself.
#
# Run from tests/results:  Rscript rates_difference_score.R   (R 4.2.2)

cases <- data.frame(
  c1 = c(26, 3, 10, 1, 50, 7, 100, 12, 0, 3, 0, 0, 0),
  e1 = c(1374, 1000, 250, 100, 2000, 365.5, 1e5, 40, 100, 10, 4, 2, 1e4),
  c2 = c(256, 12, 10, 5, 40, 2, 80, 30, 5, 0, 0, 1, 2),
  e2 = c(6539, 900, 500, 120, 3000, 180.25, 1.2e5, 45, 120, 20, 1, 1, 3e4)
)
levels <- c(0.5, 0.95, 0.998)

restricted_l2 <- function(d, x1, e1, x2, e2) {
  lo <- max(0, -d)
  f <- function(l2) x1 / (l2 + d) + x2 / l2 - (e1 + e2)  # decreasing on (lo, Inf)
  start <- lo + 1e-300 + 1e-15 * abs(lo)
  if (f(start) <= 0) return(lo)  # the maximum is on the boundary (a zero count on that side)
  hi <- lo + 1
  while (f(hi) > 0) hi <- lo + 2 * (hi - lo)
  uniroot(f, c(start, hi), tol = 1e-15 * hi, maxiter = 10000)$root
}

z_of <- function(d, x1, e1, x2, e2) {
  l2 <- restricted_l2(d, x1, e1, x2, e2)
  v <- (l2 + d) / e1 + l2 / e2
  if (v == 0) return(0)  # d at the estimate with both counts 0
  (x1 / e1 - x2 / e2 - d) / sqrt(v)
}

out <- list()
for (i in seq_len(nrow(cases))) {
  r <- cases[i, ]
  est <- r$c1 / r$e1 - r$c2 / r$e2
  row <- data.frame(r, estimate = est)
  for (lev in levels) {
    zc <- qnorm(1 - (1 - lev) / 2)
    g <- function(d) z_of(d, r$c1, r$e1, r$c2, r$e2)
    span <- 50 * sqrt((r$c1 + 1) / r$e1^2 + (r$c2 + 1) / r$e2^2)
    lo <- uniroot(function(d) g(d) - zc, c(est - span, est), tol = 1e-14 * span)$root
    hi <- uniroot(function(d) g(d) + zc, c(est, est + span), tol = 1e-14 * span)$root
    row[[paste0("lower_", lev)]] <- lo
    row[[paste0("upper_", lev)]] <- hi
  }
  out[[i]] <- row
}
res <- do.call(rbind, out)
write.csv(res, "rates_difference_score.csv", row.names = FALSE)
