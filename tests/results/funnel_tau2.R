# Reference overdispersion estimates for tests/test_funnel.py, computed independently of ssstats.
# Run from the repository root:  Rscript tests/results/funnel_tau2.R
# Makes two synthetic data sets (seeded; stored as CSV so tests need no R):
#   funnel_data_proportions.csv  (x events of n trials, 30 units, one with no events)
#   funnel_data_ratios.csv       (O observed, E expected, 25 units, one with no events)
# and writes funnel_tau2.csv (phi, tau^2) and funnel_tau2_limits.csv (additive limits, back-transformed).
#
# Transformed scales (FunnelPlotR, Spiegelhalter et al. 2012), target theta = pooled sum(x)/sum(n):
#   arcsine  y = asin(sqrt(x/n)),          s = 1/(2 sqrt(n)),         centre asin(sqrt(theta))
#   log      y = log(O/(theta E)),         s = 1/sqrt(theta E),       centre 0   (O = 0 counted as 0.5)
#   sqrt     y = sqrt(O/(theta E)),        s = 1/(2 sqrt(theta E)),   centre 1
# z = (y - centre)/s; winsorised at the 10th/90th percentiles (quantile type 7); SHMI truncation drops ranks in
# the end tenths; phi = mean(z_w^2); DL (FunnelPlotR) tau^2 = max(0, (k phi - (k - 1))/(sum w - sum w^2/sum w)).
# metafor::rma(yi, vi, method = "DL" / "REML" / "PM") on the raw transformed values, and on the winsorised
# pseudo-values centre + s z_w (what ssstats' REML/PM use by default).
suppressMessages(library(metafor))
set.seed(20261123)
k <- 30
n <- sample(20:800, k)
p <- rbeta(k, 6, 30)
x <- rbinom(k, n, p)
x[1] <- 0
props <- data.frame(unit = sprintf("P%02d", 1:k), x = x, n = n, synthetic = TRUE)
write.csv(props, "tests/results/funnel_data_proportions.csv", row.names = FALSE)

k2 <- 25
E <- round(runif(k2, 3, 250), 3)
O <- rnbinom(k2, size = 8, mu = 1.1 * E)
O[1] <- 0
ratios <- data.frame(unit = sprintf("R%02d", 1:k2), O = O, E = E, synthetic = TRUE)
write.csv(ratios, "tests/results/funnel_data_ratios.csv", row.names = FALSE)

ctl_reml <- list(threshold = 1e-14, maxiter = 10000, stepadj = 0.5)
ctl_pm <- list(tol = 1e-14, maxiter = 10000)
out <- list()
lims <- list()
put <- function(dataset, scale, quantity, value) {
  out[[length(out) + 1]] <<- data.frame(dataset = dataset, scale = scale, quantity = quantity, value = value)
}
analyse <- function(dataset, scale, y, s, centre, back, dgrid, sgrid) {
  z <- (y - centre) / s
  w <- 1 / s^2
  q <- quantile(z, c(0.1, 0.9), type = 7)
  zw <- pmin(pmax(z, q[1]), q[2])
  phi <- mean(zw^2)
  put(dataset, scale, "phi_w10", phi)
  tau2_dl <- max(0, (length(z) * phi - (length(z) - 1)) / (sum(w) - sum(w^2) / sum(w)))
  put(dataset, scale, "tau2_DL_w10", tau2_dl)
  # SHMI truncation
  rk <- rank(z, ties.method = "average")
  sp <- floor(rk * 10 / (length(z) + 1))
  keep <- sp > 0 & sp < 9
  phis <- mean(z[keep]^2)
  put(dataset, scale, "phi_shmi", phis)
  ws <- w[keep]
  put(dataset, scale, "tau2_DL_shmi", max(0, (sum(keep) * phis - (sum(keep) - 1)) / (sum(ws) - sum(ws^2) / sum(ws))))
  # no winsorising: phi and DL around the target
  put(dataset, scale, "phi_w0", mean(z^2))
  for (m in c("DL", "REML", "PM")) {
    ctl <- if (m == "PM") ctl_pm else ctl_reml
    put(dataset, scale, paste0("tau2_", m, "_metafor"), rma(y, s^2, method = m, control = ctl)$tau2)
    if (m != "DL") {
      yw <- centre + s * zw
      put(dataset, scale, paste0("tau2_", m, "_w10"), rma(yw, s^2, method = m, control = ctl)$tau2)
    }
  }
  # additive limits with the DL (winsorised) tau^2, back-transformed
  for (L in c(0.95, 0.998)) {
    zq <- qnorm((1 + L) / 2)
    half <- zq * sqrt(sgrid^2 + tau2_dl)
    lims[[length(lims) + 1]] <<- data.frame(dataset = dataset, scale = scale, d = dgrid, level = L,
                                            lower = back(centre - half), upper = back(centre + half))
  }
}
theta <- sum(x) / sum(n)
dg <- c(10, 50, 200, 1000)
analyse("proportions", "arcsine", asin(sqrt(x / n)), 1 / (2 * sqrt(n)), asin(sqrt(theta)),
        function(u) sin(pmin(pmax(u, 0), pi / 2))^2, dg, 1 / (2 * sqrt(dg)))
th <- sum(O) / sum(E)
O5 <- ifelse(O == 0, 0.5, O)
eg <- c(2, 20, 100, 400)
analyse("ratios", "log", log(O5 / (th * E)), 1 / sqrt(th * E), 0, function(u) th * exp(u), eg, 1 / sqrt(th * eg))
analyse("ratios", "sqrt", sqrt(O / (th * E)), 1 / (2 * sqrt(th * E)), 1, function(u) th * pmax(u, 0)^2, eg,
        1 / (2 * sqrt(th * eg)))
write.csv(do.call(rbind, out), "tests/results/funnel_tau2.csv", row.names = FALSE)
write.csv(do.call(rbind, lims), "tests/results/funnel_tau2_limits.csv", row.names = FALSE)
cat("done\n")
