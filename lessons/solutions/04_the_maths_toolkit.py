"""Solutions to lesson 04's exercises, and plausible wrong answers the checks must reject."""

import math


def transpose(rows):
    return [list(column) for column in zip(*rows)]


def binomial_pmf(n, k, p):
    return math.comb(n, k) * p**k * (1 - p) ** (n - k)


def bayes_posterior(prior, sensitivity, false_positive_rate):
    evidence = sensitivity * prior + false_positive_rate * (1 - prior)
    return sensitivity * prior / evidence


SOLUTIONS = {
    "04.transpose": transpose,
    "04.binomial_pmf": binomial_pmf,
    "04.bayes_posterior": bayes_posterior,
}

WRONG_ANSWERS = {
    # Article 002 §4.1.2's matrix: a clockwise rotation.
    "04.transpose": lambda rows: [list(reversed(column)) for column in zip(*rows)],
    # The Bernoulli formula used for n trials: forgets C(n, k) and the n.
    "04.binomial_pmf": lambda n, k, p: p**k * (1 - p) ** (1 - k),
    # Confuses P(positive | condition) with P(condition | positive).
    "04.bayes_posterior": lambda prior, sensitivity, false_positive_rate: sensitivity,
}
