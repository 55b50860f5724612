# Reference values for fit_mse(interval = "profile"): the multinomial profile-likelihood interval for the total N
# (Rcapture's closedpCI method), computed independently with base R glm() and optimize()/uniroot().
# For each N the unobserved cell is given count N - n, the Poisson log-linear model is fitted to the completed
# table, and the multinomial log-likelihood is lgamma(N + 1) - lgamma(N - n + 1) + sum(y log(mu / N)).
# Run from the repository root:
#   Rscript tests/results/mse_profile_reference.R
# Writes tests/results/mse_profile_reference.csv.
options(digits = 15)

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
design <- function(H, terms) {
  X <- H
  for (t in terms) {
    ab <- strsplit(t, ":")[[1]]
    X <- cbind(X, H[, ab[1]] * H[, ab[2]])
  }
  X
}
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

uk <- read.csv("data/uk2013_modern_slavery_5lists.csv", comment.char = "#")
lists <- names(uk)[1:5]
H <- histories(5)
colnames(H) <- lists
y <- cell_counts(as.matrix(uk[, lists]), uk$count, 5)
models <- list(
  "main" = character(0),
  "stepwise" = c("LA:NG", "LA:PFNCA", "NG:GO", "NG:GP", "PFNCA:GP", "GO:GP")
)
rows <- list()
for (nm in names(models)) {
  r <- profile_ci(design(H, models[[nm]]), y)
  rows[[nm]] <- data.frame(dataset = "uk2013", model = nm, terms = paste(models[[nm]], collapse = " + "),
                           profile_mle = r[["profile_mle"]], lower = r[["lower"]], upper = r[["upper"]],
                           level = 0.95)
}
write.csv(do.call(rbind, rows), "tests/results/mse_profile_reference.csv", row.names = FALSE)
