# Reference values for ssstats.units, computed independently in R (VGAM, MASS, stats).
# Run from this directory:  Rscript units_reference.R
# Writes the (synthetic, seeded) data sets units_data_*.csv and the reference values
#   units_reference.csv   dataset, quantity, value  (estimates, standard errors, log-likelihoods, intervals)
#   units_eb.csv          empirical-Bayes unit estimates (beta-binomial and gamma-Poisson)
#   units_predictive.csv  beta-binomial and negative-binomial predictive quantiles
# Log-likelihoods are the full ones (with the binomial coefficients / log y! terms), as VGAM's and MASS's logLik.
# Observed-information standard errors are computed here by optimHess() on a log-likelihood with an analytic
# gradient written below (independently of VGAM, whose own SEs use the expected information); every gradient
# here is given to optimHess, so the Hessians are differences of exact gradients.
#   units_data_bbreg_censored.csv  data set 1 with every other 1-4 cell suppressed (censored regression)
suppressMessages({library(VGAM); library(MASS)})
options(digits = 17)
out <- list()
put <- function(dataset, quantity, value) {
  out[[length(out) + 1]] <<- data.frame(dataset = dataset, quantity = quantity, value = as.numeric(value))
}
ctl <- vglm.control(epsilon = 1e-13, maxit = 200)

# ---------------------------------------------------------------- beta-binomial log-likelihood (mu, rho)
bb_ll <- function(mu, rho, y, n) {
  a <- mu * (1 - rho) / rho; b <- (1 - mu) * (1 - rho) / rho
  sum(lchoose(n, y) + lbeta(y + a, n - y + b) - lbeta(a, b))
}
# on (logit mu, logit rho), with the analytic gradient
bb_fn <- function(th, y, n) bb_ll(plogis(th[1]), plogis(th[2]), y, n)
bb_gr <- function(th, y, n) {
  mu <- plogis(th[1]); s <- exp(-th[2]); a <- mu * s; b <- (1 - mu) * s
  ga <- digamma(y + a) - digamma(n + a + b) - digamma(a) + digamma(a + b)
  gb <- digamma(n - y + b) - digamma(n + a + b) - digamma(b) + digamma(a + b)
  c(sum(s * mu * (1 - mu) * (ga - gb)), sum(-(a * ga + b * gb)))
}
obs_se <- function(th, fn, gr, ...) {
  H <- optimHess(th, fn, gr, ..., control = list(ndeps = rep(1e-5, length(th))))
  sqrt(diag(solve(-H)))
}

# profile-likelihood limits (inner maximisation by optimize, outer by uniroot)
prof_ci <- function(y, n, mu, rho, ll, level = 0.95) {
  crit <- qchisq(level, 1)
  pm <- function(m) optimize(function(r) bb_ll(m, r, y, n), c(1e-9, 1 - 1e-9), maximum = TRUE,
                             tol = 1e-12)$objective
  pr <- function(r) optimize(function(m) bb_ll(m, r, y, n), c(1e-9, 1 - 1e-9), maximum = TRUE,
                             tol = 1e-12)$objective
  fm <- function(m) 2 * (ll - pm(m)) - crit
  fr <- function(r) 2 * (ll - pr(r)) - crit
  c(mu_lower = uniroot(fm, c(1e-6, mu), tol = 1e-13)$root, mu_upper = uniroot(fm, c(mu, 1 - 1e-6), tol = 1e-13)$root,
    rho_lower = uniroot(fr, c(1e-6, rho), tol = 1e-13)$root,
    rho_upper = uniroot(fr, c(rho, 1 - 1e-6), tol = 1e-13)$root)
}

# ================================================================ data set 1: 60 units, overdispersed (synthetic)
set.seed(20261123)
k <- 60
n <- 1 + rnbinom(k, size = 2, mu = 25)
mu0 <- 0.15; rho0 <- 0.1; s0 <- (1 - rho0) / rho0
p <- rbeta(k, mu0 * s0, (1 - mu0) * s0)
ward <- sample(c("mixed", "single_sex"), k, replace = TRUE)
period <- sample(0:2, k, replace = TRUE)
p2 <- plogis(qlogis(p) + 0.6 * (ward == "single_sex") - 0.3 * period)
y <- rbinom(k, n, p2)
bed_days <- round(runif(k, 2000, 12000))
rate <- 0.004 * exp(0.3 * (ward == "single_sex"))
ev <- rnbinom(k, size = 3, mu = rate * bed_days)
d1 <- data.frame(unit = sprintf("U%02d", 1:k), y = y, n = n, ward = ward, period = period,
                 bed_days = bed_days, events = ev, synthetic = TRUE)
write.csv(d1, "units_data_bb.csv", row.names = FALSE)

# intercept-only beta-binomial
f1 <- vglm(cbind(y, n - y) ~ 1, betabinomial, data = d1, control = ctl)
cf <- Coef(f1); th <- coef(f1)
ll1 <- bb_ll(cf[["mu"]], cf[["rho"]], y, n)
put("bb", "mu", cf[["mu"]]); put("bb", "rho", cf[["rho"]])
put("bb", "loglik_vgam", logLik(f1)); put("bb", "loglik", ll1)
se <- obs_se(th, bb_fn, bb_gr, y = y, n = n)
put("bb", "se_logit_mu", se[1]); put("bb", "se_logit_rho", se[2])
put("bb", "se_logit_mu_vgam_expected", sqrt(diag(vcov(f1)))[1])
put("bb", "loglik_binomial", sum(dbinom(y, n, sum(y) / sum(n), log = TRUE)))
pc <- prof_ci(y, n, cf[["mu"]], cf[["rho"]], ll1)
for (nm in names(pc)) put("bb", nm, pc[[nm]])

# empirical Bayes: posterior Beta(alpha + y, beta + n - y)
al <- cf[["mu"]] * (1 - cf[["rho"]]) / cf[["rho"]]; be <- (1 - cf[["mu"]]) * (1 - cf[["rho"]]) / cf[["rho"]]
put("bb", "alpha", al); put("bb", "beta", be)
eb <- data.frame(model = "beta_binomial", unit = d1$unit, estimate = (al + y) / (al + be + n),
                 lower = qbeta(0.025, al + y, be + n - y), upper = qbeta(0.975, al + y, be + n - y))

# predictive quantiles of BetaBinomial(n, alpha, beta): smallest y with CDF >= q
bbq <- function(q, size) { cdf <- cumsum(dbetabinom.ab(0:size, size, al, be)); which(cdf >= q * (1 - 1e-12))[1] - 1 }
pred <- do.call(rbind, lapply(c(1, 5, 20, 50, 200), function(m) data.frame(
  model = "beta_binomial", size = m, level = 0.95, lower = bbq(0.025, m), upper = bbq(0.975, m))))

# beta-binomial regression, constant rho (zero = 2)
f2 <- vglm(cbind(y, n - y) ~ ward + period, betabinomial, zero = 2, data = d1, control = ctl)
b2 <- coef(f2)
for (i in seq_along(b2)) put("bbreg", paste0("coef_", names(b2)[i]), b2[[i]])
put("bbreg", "loglik", logLik(f2))
X <- model.matrix(~ ward + period, d1)
reg_fn <- function(th) {
  mu <- plogis(drop(X %*% th[1:3])); s <- exp(-th[4]); a <- mu * s; b <- (1 - mu) * s
  sum(lchoose(n, y) + lbeta(y + a, n - y + b) - lbeta(a, b))
}
reg_gr <- function(th) {
  mu <- plogis(drop(X %*% th[1:3])); s <- exp(-th[4]); a <- mu * s; b <- (1 - mu) * s
  ga <- digamma(y + a) - digamma(n + a + b) - digamma(a) + digamma(a + b)
  gb <- digamma(n - y + b) - digamma(n + a + b) - digamma(b) + digamma(a + b)
  c(drop(t(X) %*% (s * mu * (1 - mu) * (ga - gb))), sum(-(a * ga + b * gb)))
}
th2 <- c(b2[c(1, 3, 4)], b2[2])  # (Intercept):1, ward, period, (Intercept):2 = logit rho
se2 <- obs_se(th2, reg_fn, reg_gr)
put("bbreg", "se_const", se2[1]); put("bbreg", "se_ward", se2[2]); put("bbreg", "se_period", se2[3])
put("bbreg", "se_logit_rho", se2[4])

# quasi-binomial GLM
f3 <- glm(cbind(y, n - y) ~ ward + period, family = quasibinomial, data = d1,
          control = glm.control(epsilon = 1e-14, maxit = 100))
s3 <- summary(f3)$coefficients
for (i in 1:3) {
  put("quasi", paste0("coef_", i), s3[i, 1]); put("quasi", paste0("se_", i), s3[i, 2])
  put("quasi", paste0("t_", i), s3[i, 3]); put("quasi", paste0("p_", i), s3[i, 4])
}
put("quasi", "dispersion", summary(f3)$dispersion)
ci3 <- confint.default(f3)  # Wald limits with the quasi SEs and normal quantiles (for the form only)
cq <- qt(0.975, f3$df.residual)
for (i in 1:3) { put("quasi", paste0("lower_", i), s3[i, 1] - cq * s3[i, 2]); put("quasi", paste0("upper_", i), s3[i, 1] + cq * s3[i, 2]) }

# ---------------------------------------------------------------- negative binomial, MASS::glm.nb
nb_fn <- function(th, X, y, e) {  # th = (beta, log alpha)
  m <- e * exp(drop(X %*% th[-length(th)])); sz <- exp(-th[length(th)])
  sum(dnbinom(y, size = sz, mu = m, log = TRUE))
}
nb_gr <- function(th, X, y, e) {
  m <- e * exp(drop(X %*% th[-length(th)])); al <- exp(th[length(th)]); sz <- 1 / al
  gb <- drop(t(X) %*% ((y - m) / (1 + al * m)))
  # d/d alpha of the NB2 log-likelihood, times alpha for the log scale
  ga <- sum(-(digamma(y + sz) - digamma(sz)) / al^2 + log(1 + al * m) / al^2 - (y + sz) * m / (1 + al * m) + y / al)
  c(gb, ga * al)
}
for (spec in list(list(name = "nb", f = events ~ offset(log(bed_days))),
                  list(name = "nbreg", f = events ~ ward + period + offset(log(bed_days))))) {
  g <- glm.nb(spec$f, data = d1, control = glm.control(epsilon = 1e-14, maxit = 200))
  b <- coef(g)
  for (i in seq_along(b)) put(spec$name, paste0("coef_", i), b[[i]])
  put(spec$name, "theta", g$theta); put(spec$name, "loglik", logLik(g))
  Xn <- model.matrix(spec$f, d1)
  th <- c(b, -log(g$theta))
  se <- obs_se(th, nb_fn, nb_gr, X = Xn, y = d1$events, e = d1$bed_days)
  for (i in seq_along(b)) put(spec$name, paste0("se_", i), se[i])
  put(spec$name, "se_alpha", se[length(se)] / g$theta)  # delta method from log alpha to alpha
  for (i in seq_along(b)) put(spec$name, paste0("se_glmnb_", i), sqrt(diag(vcov(g)))[i])
  if (spec$name == "nb") {
    th_ <- g$theta; mu_ <- exp(b[[1]]); e <- d1$bed_days; yv <- d1$events
    sh <- th_ + yv; rt <- th_ / mu_ + e
    eb <- rbind(eb, data.frame(model = "gamma_poisson", unit = d1$unit, estimate = sh / rt,
                               lower = qgamma(0.025, sh, rt), upper = qgamma(0.975, sh, rt)))
    for (ex in c(500, 2000, 8000, 20000)) {
      pred <- rbind(pred, data.frame(model = "negative_binomial", size = ex, level = 0.95,
                                     lower = qnbinom(0.025, size = th_, mu = mu_ * ex),
                                     upper = qnbinom(0.975, size = th_, mu = mu_ * ex)))
    }
  }
}

# ================================================================ VGAM's lirat data (published check, methods.md)
data(lirat, package = "VGAM")
write.csv(lirat, "units_data_lirat.csv", row.names = FALSE)
f4 <- vglm(cbind(R, N - R) ~ 1, betabinomial, data = lirat, subset = N > 1, control = ctl)
put("lirat", "mu", Coef(f4)[["mu"]]); put("lirat", "rho", Coef(f4)[["rho"]]); put("lirat", "loglik", logLik(f4))

# ================================================================ censored cells (synthetic)
set.seed(7)
k <- 80
n <- 1 + rnbinom(k, size = 3, mu = 12)
p <- rbeta(k, 0.2 * 4, 0.8 * 4)  # mu = 0.2, rho = 0.2
y <- rbinom(k, n, p)
cens <- y >= 1 & y <= 4 & (seq_len(k) %% 2 == 0)  # every other unit with 1-4 successes is suppressed
lower <- ifelse(cens, 1, y); upper <- ifelse(cens, pmin(4, n), y)
d5 <- data.frame(unit = sprintf("C%02d", 1:k), y = ifelse(cens, NA, y), y_true = y, n = n, lower = lower,
                 upper = upper, censored = cens, synthetic = TRUE)
write.csv(d5, "units_data_censored.csv", row.names = FALSE, na = "")
cens_ll <- function(th) {
  mu <- plogis(th[1]); rho <- plogis(th[2])
  a <- mu * (1 - rho) / rho; b <- (1 - mu) * (1 - rho) / rho
  lp <- function(yy, nn) lchoose(nn, yy) + lbeta(yy + a, nn - yy + b) - lbeta(a, b)
  tot <- sum(lp(y[!cens], n[!cens]))
  for (i in which(cens)) tot <- tot + log(sum(exp(lp(lower[i]:upper[i], n[i]))))
  tot
}
o <- nlminb(c(qlogis(0.2), qlogis(0.2)), function(th) -cens_ll(th),
            control = list(rel.tol = 1e-15, x.tol = 1e-12, eval.max = 2000, iter.max = 1000))
o <- optim(o$par, function(th) -cens_ll(th), method = "BFGS", control = list(reltol = 1e-16, maxit = 1000))
put("censored", "mu", plogis(o$par[1])); put("censored", "rho", plogis(o$par[2])); put("censored", "loglik", -o$value)
put("censored", "n_censored", sum(cens))
fu <- vglm(cbind(y_true, n - y_true) ~ 1, betabinomial, data = d5, control = ctl)
put("uncensored", "mu", Coef(fu)[["mu"]]); put("uncensored", "rho", Coef(fu)[["rho"]])
put("uncensored", "loglik", logLik(fu))

# ================================================================ NB2 with censored counts (synthetic)
set.seed(11)
k <- 70
e <- round(runif(k, 300, 4000))
yt <- rnbinom(k, size = 2.5, mu = 0.002 * e)
cens <- yt >= 1 & yt <= 7 & (seq_len(k) %% 3 != 0)  # NHS Digital style "*" = 1-7, two in three such cells
d6 <- data.frame(unit = sprintf("N%02d", 1:k), count = ifelse(cens, NA, yt), count_true = yt, exposure = e,
                 lower = ifelse(cens, 1, yt), upper = ifelse(cens, 7, yt), censored = cens, synthetic = TRUE)
write.csv(d6, "units_data_nb_censored.csv", row.names = FALSE, na = "")
nbc_ll <- function(th) {  # th = (log rate, log alpha)
  m <- e * exp(th[1]); sz <- exp(-th[2])
  sum(dnbinom(yt[!cens], size = sz, mu = m[!cens], log = TRUE)) +
    sum(log(pnbinom(7, size = sz, mu = m[cens]) - pnbinom(0, size = sz, mu = m[cens])))
}
# analytic gradient in (log rate, log alpha): per count y, d log f / d log m = theta (y - m)/(theta + m) and
# d log f / d log alpha = -theta [digamma(y + theta) - digamma(theta) - log(1 + m/theta) + (m - y)/(theta + m)];
# a censored unit's gradient is the average of those over y = 1..7 weighted by the probabilities of each y
nbc_gr <- function(th) {
  m <- e * exp(th[1]); sz <- exp(-th[2])
  gy <- function(yy, mm) cbind(sz * (yy - mm) / (sz + mm),
                               -sz * (digamma(yy + sz) - digamma(sz) - log1p(mm / sz) + (mm - yy) / (sz + mm)))
  g <- colSums(gy(yt[!cens], m[!cens]))
  for (i in which(cens)) {
    p <- dnbinom(1:7, size = sz, mu = m[i])
    g <- g + colSums(p / sum(p) * gy(1:7, m[i]))
  }
  g
}
o <- nlminb(c(log(0.002), log(0.4)), function(th) -nbc_ll(th), function(th) -nbc_gr(th),
            control = list(rel.tol = 1e-15, x.tol = 1e-12, eval.max = 2000, iter.max = 1000))
o <- optim(o$par, function(th) -nbc_ll(th), function(th) -nbc_gr(th), method = "BFGS",
           control = list(reltol = 1e-16, maxit = 1000))
# the gradient against central differences of the log-likelihood (a check of the formula, not a reference)
stopifnot(max(abs(nbc_gr(o$par + c(0.01, -0.02)) - sapply(1:2, function(j) {
  h <- 1e-6 * c(j == 1, j == 2); p0 <- o$par + c(0.01, -0.02); (nbc_ll(p0 + h) - nbc_ll(p0 - h)) / 2e-6 }))) < 1e-5)
# Hessian from differences of the analytic gradient (accurate to about 1e-9 relative); Newton polish with it
for (it in 1:3) o$par <- o$par - solve(optimHess(o$par, nbc_ll, nbc_gr, control = list(ndeps = c(1e-5, 1e-5))),
                                        nbc_gr(o$par))
o$value <- -nbc_ll(o$par)
H <- optimHess(o$par, nbc_ll, nbc_gr, control = list(ndeps = c(1e-5, 1e-5)))
se <- sqrt(diag(solve(-H)))
put("nb_censored", "coef_1", o$par[1]); put("nb_censored", "alpha", exp(o$par[2]))
put("nb_censored", "loglik", -o$value); put("nb_censored", "se_1", se[1])
put("nb_censored", "se_alpha", exp(o$par[2]) * se[2]); put("nb_censored", "n_censored", sum(cens))

# ================================================================ profile intervals for alpha and beta (data set 1)
# alpha profiled over beta (and beta over alpha), the inner maximum by optimize on the log scale
ab_ll <- function(al, be, y, n) bb_ll(al / (al + be), 1 / (1 + al + be), y, n)
prof_ab <- function(y, n, al, be, ll, level = 0.95) {
  crit <- qchisq(level, 1)
  pa <- function(a) optimize(function(t) ab_ll(a, exp(t), y, n), log(be) + c(-8, 8), maximum = TRUE,
                             tol = 1e-12)$objective
  pb <- function(b) optimize(function(t) ab_ll(exp(t), b, y, n), log(al) + c(-8, 8), maximum = TRUE,
                             tol = 1e-12)$objective
  fa <- function(t) 2 * (ll - pa(exp(t))) - crit
  fb <- function(t) 2 * (ll - pb(exp(t))) - crit
  exp(c(alpha_lower = uniroot(fa, log(al) + c(-5, 0), tol = 1e-13)$root,
        alpha_upper = uniroot(fa, log(al) + c(0, 5), tol = 1e-13)$root,
        beta_lower = uniroot(fb, log(be) + c(-5, 0), tol = 1e-13)$root,
        beta_upper = uniroot(fb, log(be) + c(0, 5), tol = 1e-13)$root))
}
pab <- prof_ab(d1$y, d1$n, al, be, ll1)
for (nm in names(pab)) put("bb", nm, pab[[nm]])

# ================================================================ censored beta-binomial regression (data set 1)
# every other unit of data set 1 with 1-4 successes is suppressed (range 1..min(4, n)); the censored units'
# likelihood is P(1 <= Y <= min(4, n)); maximised by BFGS with the analytic gradient below
yb <- d1$y; nb_ <- d1$n
cens <- yb >= 1 & yb <= 4 & (seq_along(yb) %% 2 == 0)
lower <- ifelse(cens, 1, yb); upper <- ifelse(cens, pmin(4, nb_), yb)
d7 <- data.frame(unit = d1$unit, y = ifelse(cens, NA, yb), y_true = yb, n = nb_, lower = lower, upper = upper,
                 censored = cens, ward = d1$ward, period = d1$period, synthetic = TRUE)
write.csv(d7, "units_data_bbreg_censored.csv", row.names = FALSE, na = "")
X <- model.matrix(~ ward + period, d7)
rows_c <- do.call(rbind, lapply(which(cens), function(i) data.frame(unit = i, yy = lower[i]:upper[i])))
bbc_parts <- function(th) {  # per-row log-pmf and its gradient in (eta, logit rho), rows = uncensored + censored
  eta <- drop(X %*% th[1:3]); s <- exp(-th[4])
  u <- c(which(!cens), rows_c$unit); yy <- c(yb[!cens], rows_c$yy); nn <- nb_[u]
  mu <- plogis(eta[u]); a <- mu * s; b <- (1 - mu) * s
  lp <- lchoose(nn, yy) + lbeta(yy + a, nn - yy + b) - lbeta(a, b)
  ga <- digamma(yy + a) - digamma(nn + a + b) - digamma(a) + digamma(a + b)
  gb <- digamma(nn - yy + b) - digamma(nn + a + b) - digamma(b) + digamma(a + b)
  list(u = u, cen = c(rep(FALSE, sum(!cens)), rep(TRUE, nrow(rows_c))), lp = lp,
       g = cbind(s * mu * (1 - mu) * (ga - gb), -(a * ga + b * gb)))
}
bbc_ll <- function(th) {
  p <- bbc_parts(th)
  sum(p$lp[!p$cen]) + sum(tapply(p$lp[p$cen], p$u[p$cen], function(v) max(v) + log(sum(exp(v - max(v))))))
}
bbc_gr <- function(th) {
  p <- bbc_parts(th)
  w <- rep(1, length(p$lp))
  for (i in unique(p$u[p$cen])) { j <- p$cen & p$u == i; w[j] <- exp(p$lp[j] - max(p$lp[j])); w[j] <- w[j] / sum(w[j]) }
  ge <- tapply(w * p$g[, 1], p$u, sum)  # per unit, in the order of sort(unique(u))
  c(drop(t(X[as.integer(names(ge)), , drop = FALSE]) %*% ge), sum(w * p$g[, 2]))
}
th0 <- c(b2[c(1, 3, 4)], b2[2])
o <- optim(th0, function(th) -bbc_ll(th), function(th) -bbc_gr(th), method = "BFGS",
           control = list(reltol = 1e-16, maxit = 2000))
o <- optim(o$par, function(th) -bbc_ll(th), function(th) -bbc_gr(th), method = "BFGS",
           control = list(reltol = 1e-16, maxit = 2000))
for (it in 1:3) o$par <- o$par - solve(optimHess(o$par, bbc_ll, bbc_gr, control = list(ndeps = rep(1e-5, 4))),
                                        bbc_gr(o$par))  # Newton polish
p0 <- o$par + c(0.05, -0.1, 0.02, 0.1)  # the gradient against central differences (a check, not a reference)
stopifnot(max(abs(bbc_gr(p0) - sapply(1:4, function(j) {
  h <- 1e-6 * (seq_len(4) == j); (bbc_ll(p0 + h) - bbc_ll(p0 - h)) / 2e-6 }))) < 1e-5)
Hc <- optimHess(o$par, bbc_ll, bbc_gr, control = list(ndeps = rep(1e-5, 4)))
sec <- sqrt(diag(solve(-Hc)))
nmc <- c("const", "ward", "period", "logit_rho")
for (i in 1:4) { put("bbreg_censored", paste0("coef_", nmc[i]), o$par[i]); put("bbreg_censored", paste0("se_", nmc[i]), sec[i]) }
put("bbreg_censored", "loglik", bbc_ll(o$par)); put("bbreg_censored", "n_censored", sum(cens))
put("bbreg_censored", "max_abs_gradient", max(abs(bbc_gr(o$par))))

# ---------------------------------------------------------------- write
ref <- do.call(rbind, out)
write.csv(ref, "units_reference.csv", row.names = FALSE)
write.csv(eb, "units_eb.csv", row.names = FALSE)
write.csv(pred, "units_predictive.csv", row.names = FALSE)
cat("R", R.version$major, R.version$minor, "VGAM", as.character(packageVersion("VGAM")), "MASS",
    as.character(packageVersion("MASS")), "\n")
