# Reference values for ssstats' multiple systems estimation and closed-population models, from base R glm().
# Rcapture and SparseMSE are not installable here, so the same log-linear models are written out as explicit
# design matrices and fitted with glm(family = poisson).  Run from the repository root:
#   Rscript tests/results/mse_reference.R
# Writes tests/results/mse_reference.csv (UK 2013 five-list data), tests/results/closed_reference.csv (hare),
# tests/results/mse_stepwise_reference.csv and tests/results/mse_profile_reference.csv (profile-likelihood intervals).
options(digits = 15)

fit_row <- function(dataset, model, y, X, n) {
  X <- as.matrix(X)
  f <- glm(y ~ X, family = poisson, control = glm.control(epsilon = 1e-14, maxit = 200))
  b0 <- unname(coef(f)[1])
  v00 <- vcov(f)[1, 1]
  d <- exp(b0)
  p <- length(coef(f))
  ll <- as.numeric(logLik(f))
  data.frame(dataset = dataset, model = model, abundance = n + d, stderr = sqrt(d + d^2 * v00),
             dark_figure = d, beta0 = b0, se_beta0 = sqrt(v00), deviance = deviance(f),
             df = df.residual(f), AIC = AIC(f), BIC = -2 * ll + log(n) * p)
}

# all 2^k - 1 non-empty histories, cell c = binary code c (list j is bit j - 1)
histories <- function(k) {
  codes <- 1:(2^k - 1)
  sapply(1:k, function(j) (codes %/% 2^(j - 1)) %% 2)
}
cell_counts <- function(H_obs, counts, k) {
  codes <- as.vector(H_obs %*% 2^(0:(k - 1)))
  y <- numeric(2^k - 1)
  for (i in seq_along(codes)) y[codes[i]] <- y[codes[i]] + counts[i]
  y
}

# ---- UK 2013 modern slavery, five lists ----
uk <- read.csv("data/uk2013_modern_slavery_5lists.csv", comment.char = "#")
lists <- names(uk)[1:5]
H <- histories(5)
colnames(H) <- lists
y <- cell_counts(as.matrix(uk[, lists]), uk$count, 5)
n <- sum(y)
pair <- function(a, b) H[, a] * H[, b]
uk_models <- list(
  "main" = character(0),
  "LA:NG" = c("LA:NG"),
  "LA:NG + NG:GP" = c("LA:NG", "NG:GP"),
  "stepwise" = c("LA:NG", "LA:PFNCA", "NG:GO", "NG:GP", "PFNCA:GP", "GO:GP"),
  "LA:NG + NG:PFNCA + PFNCA:GO" = c("LA:NG", "NG:PFNCA", "PFNCA:GO")
)
rows <- list()
for (nm in names(uk_models)) {
  terms <- uk_models[[nm]]
  X <- H
  for (t in terms) {
    ab <- strsplit(t, ":")[[1]]
    X <- cbind(X, pair(ab[1], ab[2]))
  }
  r <- fit_row("uk2013", nm, y, X, n)
  r$terms <- paste(terms, collapse = " + ")
  rows[[nm]] <- r
}
# two lists (NG and PFNCA collapsed from the five): main effects = Lincoln-Petersen
two <- aggregate(uk$count, by = list(NG = uk$NG, PFNCA = uk$PFNCA), FUN = sum)
two <- two[two$NG + two$PFNCA > 0, ]
H2 <- histories(2)
y2 <- cell_counts(as.matrix(two[, c("NG", "PFNCA")]), two$x, 2)
r <- fit_row("uk2013_NG_PFNCA", "main", y2, H2, sum(y2))
r$terms <- ""
rows[["two"]] <- r
out <- do.call(rbind, rows)
write.csv(out, "tests/results/mse_reference.csv", row.names = FALSE)

# ---- hare, six occasions: Rcapture's closedp designs written out ----
hare <- read.csv("data/hare_capture_histories.csv", comment.char = "#")
t <- 6
Hh <- histories(t)
yh <- cell_counts(as.matrix(hare), rep(1, nrow(hare)), t)
nh <- sum(yh)
nb <- rowSums(Hh)
first <- apply(Hh, 1, function(h) which(h == 1)[1] - 1)
designs <- list(
  "M0" = cbind(nb),
  "Mt" = Hh,
  "Mh Poisson2" = cbind(nb, 2^nb - 1),
  "Mh Darroch" = cbind(nb, nb^2 / 2),
  "Mh Gamma3.5" = cbind(nb, -log(3.5 + nb) + log(3.5)),
  "Mth Poisson2" = cbind(Hh, 2^nb - 1),
  "Mth Darroch" = cbind(Hh, nb^2 / 2),
  "Mth Gamma3.5" = cbind(Hh, -log(3.5 + nb) + log(3.5)),
  "Mt without 111111" = cbind(Hh, as.numeric(nb == 6))
)
rows <- lapply(names(designs), function(nm) fit_row("hare", nm, yh, designs[[nm]], nh))
# Mb: occasions before first capture, captures after the first; N and SE by Rcapture's closed form
Xb <- cbind(first, nb - 1)
fb <- glm(yh ~ Xb, family = poisson, control = glm.control(epsilon = 1e-14, maxit = 200))
b <- coef(fb); V <- vcov(fb)
den <- 1 + exp(b[3]) - exp(b[2])
N <- exp(b[1]) * (1 + exp(b[3]))^t / den
v <- N * c(1, exp(b[2]) / den, t * exp(b[3]) / (1 + exp(b[3])) - exp(b[3]) / den)
ll <- as.numeric(logLik(fb))
rows[["Mb"]] <- data.frame(dataset = "hare", model = "Mb", abundance = unname(N),
                           stderr = sqrt(drop(t(v) %*% V %*% v) - unname(N)), dark_figure = NA, beta0 = unname(b[1]),
                           se_beta0 = sqrt(V[1, 1]), deviance = deviance(fb), df = df.residual(fb), AIC = AIC(fb),
                           BIC = -2 * ll + log(nh) * 3)
write.csv(do.call(rbind, rows), "tests/results/closed_reference.csv", row.names = FALSE)

# ---- SparseMSE's stepwise selection, written out in base R (the existence check is not needed on these data:
# no candidate is refused by it, which tests/test_mse.py checks on the Python side) ----
stepwise <- function(y, H, pthresh = 0.02) {
  k <- ncol(H)
  pairs <- t(combn(k, 2))
  nstar <- apply(pairs, 1, function(p) sum(y * H[, p[1]] * H[, p[2]]))
  inc <- rep(FALSE, nrow(pairs))
  path <- character(0)
  pvals <- numeric(0)
  repeat {
    X <- H
    for (j in which(inc)) X <- cbind(X, H[, pairs[j, 1]] * H[, pairs[j, 2]])
    f <- glm(y ~ X, family = poisson, control = glm.control(epsilon = 1e-14, maxit = 200))
    mu <- fitted(f)
    p <- rep(1, nrow(pairs))
    for (j in which(!inc)) {
      ps <- sum(mu * H[, pairs[j, 1]] * H[, pairs[j, 2]])
      p[j] <- min(ppois(nstar[j], ps), ppois(nstar[j] - 1, ps, lower.tail = FALSE))
    }
    j <- which.min(p)
    if (p[j] >= pthresh) break
    inc[j] <- TRUE
    path <- c(path, paste(colnames(H)[pairs[j, ]], collapse = ":"))
    pvals <- c(pvals, p[j])
  }
  list(path = path, pvals = pvals, N = sum(y) + exp(coef(f)[[1]]))
}
sw <- stepwise(y, H)
write.csv(data.frame(step = seq_along(sw$path), added = sw$path, p_value = sw$pvals, final_abundance = sw$N),
          "tests/results/mse_stepwise_reference.csv", row.names = FALSE)

# ---- profile-likelihood intervals for fit_mse(interval = "profile") (Rcapture's closedpCI method) ----
# For each N the unobserved cell gets count N - n, the Poisson log-linear model is fitted to the completed table,
# and the multinomial log-likelihood is lgamma(N + 1) - lgamma(N - n + 1) + sum(y log(mu / N)); the MLE by
# optimize() and the limits by uniroot() where it falls qchisq(0.95, 1) / 2 below its maximum.
profile_loglik <- function(X, y, N) {
  n <- sum(y)
  Xf <- rbind(rep(0, ncol(X)), X)  # the unobserved cell: every list 0 (intercept only)
  yf <- c(N - n, y)
  f <- suppressWarnings(glm(yf ~ Xf, family = poisson, control = glm.control(epsilon = 1e-14, maxit = 200)))
  mu <- fitted(f)
  lgamma(N + 1) - lgamma(N - n + 1) + sum(ifelse(yf > 0, yf * log(mu / N), 0))
}
profile_ci <- function(X, y, level = 0.95) {
  n <- sum(y)
  f <- function(N) profile_loglik(X, y, N)
  opt <- optimize(function(N) -f(N), c(n, 10 * n), tol = 1e-10 * n)
  nhat <- opt$minimum
  lmax <- -opt$objective
  crit <- qchisq(level, 1) / 2
  g <- function(N) lmax - f(N) - crit
  lo <- if (g(n) <= 0) n else uniroot(g, c(n, nhat), tol = 1e-10)$root
  hi <- uniroot(g, c(nhat, 10 * n), tol = 1e-10)$root
  c(profile_mle = nhat, lower = lo, upper = hi)
}

prof_rows <- list()
for (nm in c("main", "stepwise")) {
  X <- H
  for (t in uk_models[[nm]]) X <- cbind(X, pair(strsplit(t, ":")[[1]][1], strsplit(t, ":")[[1]][2]))
  r <- profile_ci(X, y)
  prof_rows[[nm]] <- data.frame(dataset = "uk2013", model = nm, terms = paste(uk_models[[nm]], collapse = " + "),
                                profile_mle = r[["profile_mle"]], lower = r[["lower"]], upper = r[["upper"]],
                                level = 0.95)
}
write.csv(do.call(rbind, prof_rows), "tests/results/mse_profile_reference.csv", row.names = FALSE)
