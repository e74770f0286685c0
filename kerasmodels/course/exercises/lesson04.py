"""Exercises of lesson 04: transpose, the binomial probability, Bayes' theorem."""

import math

from kerasmodels.course.exercises._core import CheckFailed, exercise, expect_close, expect_equal


@exercise("04.transpose", "transpose of a matrix given as a list of rows",
          hint="the transpose mirrors the matrix on its main diagonal: row i of the result is column i of "
               "the input (not a rotation)",
          formula="[list(column) for column in zip(*rows)]")
def check_transpose(fn):
    cases = {
        "2x2 symbols": [["a11", "a12"], ["a21", "a22"]],
        "2x3 numbers": [[1, 2, 3], [4, 5, 6]],
        "one row becomes one column": [[7, 8, 9]],
        "1x1": [[5]],
    }
    for name, rows in cases.items():
        expected = [list(column) for column in zip(*rows)]
        try:
            got = [list(row) for row in fn([list(r) for r in rows])]
        except TypeError:
            raise CheckFailed(name, message=f"case {name}: return a list of rows (lists)")
        expect_equal(name, got, expected)


@exercise("04.binomial_pmf", "probability of k successes in n Bernoulli(p) trials",
          hint="one particular sequence with k successes has probability p^k (1-p)^(n-k); how many such "
               "sequences are there?",
          formula="math.comb(n, k) * p**k * (1 - p)**(n - k)")
def check_binomial_pmf(fn):
    for n, k, p in [(10, 3, 0.3), (1, 1, 0.3), (1, 0, 0.3), (5, 0, 0.5), (5, 5, 0.9), (20, 7, 0.25)]:
        expected = math.comb(n, k) * p**k * (1 - p) ** (n - k)
        expect_close(f"n={n}, k={k}, p={p}", fn(n, k, p), expected, rtol=1e-9)


@exercise("04.bayes_posterior", "P(condition | positive test) by Bayes' theorem",
          hint="Bayes' theorem: P(A|B) = P(B|A) P(A) / P(B); a positive test comes from the sick AND from the "
               "healthy, and P(B) must count both; the healthy test positive at the false-positive rate, "
               "which is not the miss rate 1 - sensitivity",
          formula="sensitivity*prior / (sensitivity*prior + false_positive_rate*(1 - prior))")
def check_bayes_posterior(fn):
    # The last two cases have a false-positive rate other than the miss rate 1 - sensitivity, so an answer
    # that uses the miss rate for the healthy fails them.
    for prior, sens, fpr in [(0.01, 0.95, 0.05), (0.5, 0.9, 0.1), (0.001, 0.99, 0.01), (0.2, 1.0, 0.0),
                             (0.01, 0.9, 0.2), (0.3, 0.6, 0.05)]:
        expected = sens * prior / (sens * prior + fpr * (1 - prior))
        expect_close(f"prior={prior}, sensitivity={sens}, false_positive_rate={fpr}",
                     fn(prior, sens, fpr), expected, rtol=1e-9)
