# Reference values for ssstats.rates, computed independently in base R.
# Run from this directory:  Rscript rates_reference.R   (writes rates_proportions.csv and rates_poisson.csv)
# The R version is printed at the end (the CSVs carry no header comment, so that read.csv/pandas read them plainly).
options(digits = 17)
levels <- c(0.8, 0.95, 0.998)
grid <- expand.grid(x = c(0, 1, 2, 5, 13, 26, 99, 100), n = c(1, 10, 26, 100, 1374))
grid <- grid[grid$x <= grid$n, ]

prop_rows <- list()
for (lev in levels) {
  a <- 1 - lev; z <- qnorm(1 - a / 2)
  for (i in seq_len(nrow(grid))) {
    x <- grid$x[i]; n <- grid$n[i]; p <- x / n
    # Wilson: prop.test without continuity correction
    w <- suppressWarnings(prop.test(x, n, conf.level = lev, correct = FALSE)$conf.int)
    # Clopper-Pearson: binom.test
    e <- binom.test(x, n, conf.level = lev)$conf.int
    # Jeffreys: beta quantiles, one-sided limits at the ends
    jl <- if (x == 0) 0 else qbeta(a / 2, x + 0.5, n - x + 0.5)
    ju <- if (x == n) 1 else qbeta(1 - a / 2, x + 0.5, n - x + 0.5)
    # Agresti-Coull (truncated to [0, 1])
    nt <- n + z^2; pt <- (x + z^2 / 2) / nt
    acl <- max(0, pt - z * sqrt(pt * (1 - pt) / nt)); acu <- min(1, pt + z * sqrt(pt * (1 - pt) / nt))
    # Wald (truncated to [0, 1])
    wl <- max(0, p - z * sqrt(p * (1 - p) / n)); wu <- min(1, p + z * sqrt(p * (1 - p) / n))
    # mid-p by root finding on the binomial tails
    f_lo <- function(q) pbinom(x, n, q, lower.tail = FALSE) + 0.5 * dbinom(x, n, q) - a / 2
    f_hi <- function(q) pbinom(x - 1, n, q) + 0.5 * dbinom(x, n, q) - a / 2
    ml <- if (x == 0) 0 else uniroot(f_lo, c(0, 1), tol = 1e-15)$root
    mu <- if (x == n) 1 else uniroot(f_hi, c(0, 1), tol = 1e-15)$root
    prop_rows[[length(prop_rows) + 1]] <- data.frame(
      x = x, n = n, level = lev,
      method = c("wilson", "exact", "jeffreys", "agresti_coull", "wald", "mid_p"),
      lower = c(w[1], e[1], jl, acl, wl, ml), upper = c(w[2], e[2], ju, acu, wu, mu))
  }
}
write.csv(do.call(rbind, prop_rows), "rates_proportions.csv", row.names = FALSE)

pgrid <- expand.grid(count = c(0, 1, 2, 5, 9, 10, 26, 65, 1045), exposure = c(1, 400, 1374))
pois_rows <- list()
for (lev in levels) {
  a <- 1 - lev; z <- qnorm(1 - a / 2)
  for (i in seq_len(nrow(pgrid))) {
    x <- pgrid$count[i]; e <- pgrid$exposure[i]
    ex <- poisson.test(x, e, conf.level = lev)$conf.int                       # Garwood exact
    jl <- if (x == 0) 0 else qgamma(a / 2, x + 0.5); ju <- qgamma(1 - a / 2, x + 0.5)
    # Byar, PHEindicatormethods form; the cube floored at 0 (it turns negative at x = 1 above about 99.2%)
    bl <- if (x == 0) 0 else x * max(0, 1 - 1 / (9 * x) - z / (3 * sqrt(x)))^3
    bu <- (x + 1) * (1 - 1 / (9 * (x + 1)) + z / (3 * sqrt(x + 1)))^3
    sl <- (x + z^2 / 2 - z * sqrt(x + z^2 / 4)); su <- (x + z^2 / 2 + z * sqrt(x + z^2 / 4))  # score
    wl <- max(0, x - z * sqrt(x)); wu <- x + z * sqrt(x)                        # Wald, truncated at 0
    f_lo <- function(m) ppois(x, m, lower.tail = FALSE) + 0.5 * dpois(x, m) - a / 2
    f_hi <- function(m) ppois(x - 1, m) + 0.5 * dpois(x, m) - a / 2
    ml <- if (x == 0) 0 else uniroot(f_lo, c(0, x), tol = 1e-15)$root
    mu <- uniroot(f_hi, c(0, x + 20 * sqrt(x + 1) + 50), tol = 1e-15)$root
    pois_rows[[length(pois_rows) + 1]] <- data.frame(
      count = x, exposure = e, level = lev,
      method = c("exact", "jeffreys", "byar", "score", "wald", "mid_p"),
      lower = c(ex[1], jl / e, bl / e, sl / e, wl / e, ml / e),
      upper = c(ex[2], ju / e, bu / e, su / e, wu / e, mu / e))
  }
}
write.csv(do.call(rbind, pois_rows), "rates_poisson.csv", row.names = FALSE)

# Exact binomial p-values (central: doubled one-sided, capped at 1) against reference proportions
tgrid <- expand.grid(x = c(0, 1, 13, 26, 40), n = c(42, 1374), value = c(0.013, 0.021, 0.07))
tgrid <- tgrid[tgrid$x <= tgrid$n, ]
tgrid$p_less <- pbinom(tgrid$x, tgrid$n, tgrid$value)
tgrid$p_greater <- pbinom(tgrid$x - 1, tgrid$n, tgrid$value, lower.tail = FALSE)
tgrid$p_value <- pmin(1, 2 * pmin(tgrid$p_less, tgrid$p_greater))
write.csv(tgrid, "rates_binomial_test.csv", row.names = FALSE)

# Two-group comparisons (R: Newcombe hybrid score difference written out; Fisher's exact test)
newcombe <- function(x1, n1, x2, n2, lev) {
  w1 <- prop.test(x1, n1, conf.level = lev, correct = FALSE)$conf.int
  w2 <- prop.test(x2, n2, conf.level = lev, correct = FALSE)$conf.int
  p1 <- x1 / n1; p2 <- x2 / n2; d <- p1 - p2
  c(d - sqrt((p1 - w1[1])^2 + (w2[2] - p2)^2), d + sqrt((w1[2] - p1)^2 + (p2 - w2[1])^2))
}
# MOVER-R ratio interval (Donner & Zou 2012) from R's own Wilson limits (prop.test without correction)
mover_ratio <- function(x1, n1, x2, n2, lev) {
  w1 <- suppressWarnings(prop.test(x1, n1, conf.level = lev, correct = FALSE)$conf.int)
  w2 <- suppressWarnings(prop.test(x2, n2, conf.level = lev, correct = FALSE)$conf.int)
  p1 <- x1 / n1; p2 <- x2 / n2; l1 <- w1[1]; u1 <- w1[2]; l2 <- w2[1]; u2 <- w2[2]
  lo <- (p1 * p2 - sqrt(max(0, (p1 * p2)^2 - l1 * u2 * (2 * p1 - l1) * (2 * p2 - u2)))) / (u2 * (2 * p2 - u2))
  hi <- (p1 * p2 + sqrt(max(0, (p1 * p2)^2 - u1 * l2 * (2 * p1 - u1) * (2 * p2 - l2)))) / (l2 * (2 * p2 - l2))
  if (x1 == 0) lo <- 0
  if (x2 == 0) hi <- Inf  # p2 = 0: no upper bound on p1/p2
  c(lo, hi)
}
cmp <- data.frame(x1 = c(26, 5, 0, 5, 3), n1 = c(1374, 40, 30, 5, 17), x2 = c(256, 12, 4, 5, 0), n2 = c(6539, 50, 35, 5, 21))
out <- list()
for (i in seq_len(nrow(cmp))) {
  r <- cmp[i, ]
  nc <- newcombe(r$x1, r$n1, r$x2, r$n2, 0.95)
  fp <- fisher.test(matrix(c(r$x1, r$n1 - r$x1, r$x2, r$n2 - r$x2), 2, byrow = TRUE))$p.value
  mr <- mover_ratio(r$x1, r$n1, r$x2, r$n2, 0.95)
  # score test of equal proportions: Pearson's X^2 (prop.test without continuity correction; NaN when the pooled
  # proportion is 0 or 1) with Miettinen and Nurminen's variance correction N/(N - 1), i.e. X^2 (N - 1)/N
  x2 <- suppressWarnings(prop.test(c(r$x1, r$x2), c(r$n1, r$n2), correct = FALSE)$statistic)
  N <- r$n1 + r$n2
  sp <- pchisq(unname(x2) * (N - 1) / N, df = 1, lower.tail = FALSE)
  # odds ratio, logit interval with 0.5 added to every cell (Gart's adjustment)
  cells <- c(r$x1, r$n1 - r$x1, r$x2, r$n2 - r$x2) + 0.5
  lor <- log(cells[1] * cells[4] / (cells[2] * cells[3])); se <- sqrt(sum(1 / cells))
  out[[i]] <- data.frame(r, diff_lower = nc[1], diff_upper = nc[2], ratio_lower = mr[1], ratio_upper = mr[2],
                         fisher_p = fp, score_p = sp, or_lower = exp(lor - qnorm(0.975) * se),
                         or_upper = exp(lor + qnorm(0.975) * se))
}
write.csv(do.call(rbind, out), "rates_compare_proportions.csv", row.names = FALSE)

# Poisson rate ratio: conditional exact test (binom.test on c1 out of c1 + c2 with p = e1/(e1 + e2))
pc <- data.frame(c1 = c(26, 3, 10, 0, 5, 1), e1 = c(1374, 1000, 250, 100, 100, 40),
                 c2 = c(256, 12, 10, 5, 0, 1), e2 = c(6539, 900, 500, 120, 120, 3000))
pc$exact_cond_p <- mapply(function(c1, e1, c2, e2) binom.test(c1, c1 + c2, e1 / (e1 + e2))$p.value,
                          pc$c1, pc$e1, pc$c2, pc$e2)
# conditional exact interval for the rate ratio, at two levels
for (lev in c(0.95, 0.998)) {
  ci <- mapply(function(c1, e1, c2, e2) poisson.test(c(c1, c2), c(e1, e2), conf.level = lev)$conf.int,
               pc$c1, pc$e1, pc$c2, pc$e2)
  pc[[paste0("ratio_lower_", lev)]] <- ci[1, ]
  pc[[paste0("ratio_upper_", lev)]] <- ci[2, ]
}
write.csv(pc, "rates_compare_rates.csv", row.names = FALSE)
cat("R", R.version.string, "\n")
