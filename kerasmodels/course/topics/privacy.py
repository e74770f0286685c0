"""Privacy in machine learning, by hand: anonymity sets, DP-SGD with its accountant, federated averaging.

Three ideas the source articles (000-004) name (匿名化 anonymisation, 差分隐私 differential privacy,
联邦学习 federated learning) and what each really guarantees:

- `k_anonymity` / `unique_share`: how many records share the same quasi-identifiers
  (ZIP code, birth date, sex...). Removing names does not anonymise a table whose
  records are unique on what remains.
- DP-SGD for softmax regression, written in NumPy so every step is visible:
  per-example gradients (`softmax_per_example_gradients`), per-example clipping to
  norm C (`clip_per_example`), Gaussian noise of standard deviation σ·C on the sum
  (`dp_sgd_softmax`), and the privacy it buys, ε at a given δ, from the Rényi-DP
  accountant of the Poisson-subsampled Gaussian mechanism (`dp_sgd_epsilon`).
- Federated averaging (FedAvg) of a Keras model over simulated clients
  (`federated_averaging`), with IID or label-skewed non-IID splits
  (`split_clients`), and why shared updates are not automatically private
  (`invert_dense_gradient` recovers a client's input from one gradient).

Example:

```python
from kerasmodels.course.topics import privacy
privacy.dp_sgd_epsilon(sampling_rate=0.01, noise_multiplier=1.1, steps=1000, delta=1e-5)  # about 2.1
```
"""

import math

import numpy as np

from kerasmodels.course.gradients import keras_gradients  # noqa: F401 (lesson 18 calls privacy.keras_gradients)

DEFAULT_ORDERS = tuple(range(2, 129))


# -- anonymity ---------------------------------------------------------------------------------

def _group_sizes(rows):
    rows = [tuple(r) for r in rows]
    if not rows:
        raise ValueError("rows is empty: pass at least one record")
    counts = {}
    for row in rows:
        counts[row] = counts.get(row, 0) + 1
    return rows, counts


def k_anonymity(rows):
    """The k of a table: the size of the smallest group of records with identical quasi-identifiers.

    Args:
        rows: records, each a sequence of quasi-identifier values (e.g. (zip, birth year, sex)).

    Returns:
        An int ≥ 1; k = 1 means at least one person is unique and can be re-identified
        by anyone who knows those attributes.
    """
    _, counts = _group_sizes(rows)
    return min(counts.values())


def unique_share(rows):
    """Share of records that are alone in their group (re-identifiable by a linkage attack)."""
    rows, counts = _group_sizes(rows)
    return sum(1 for row in rows if counts[row] == 1) / len(rows)


# -- DP-SGD for softmax regression -------------------------------------------------------------

def softmax(logits):
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def softmax_per_example_gradients(weights, bias, x, y):
    """Per-example gradients of the cross-entropy of softmax regression logits = x W + b.

    For one example, ∂L/∂W = x ⊗ (p − onehot(y)) and ∂L/∂b = p − onehot(y).

    Args:
        weights: (D, K); bias: (K,); x: (B, D); y: (B,) int labels.

    Returns:
        (grad_weights (B, D, K), grad_bias (B, K)).
    """
    error = softmax(x @ weights + bias)
    error[np.arange(len(y)), y] -= 1.0
    return x[:, :, None] * error[:, None, :], error


def clip_per_example(gradients, clip_norm):
    """Scale each example's gradient (row) to L2 norm at most `clip_norm`: g · min(1, C / ‖g‖).

    Args:
        gradients: (B, P) array, one flattened gradient per row.
        clip_norm: C > 0.
    """
    gradients = np.asarray(gradients, dtype=np.float64)
    if clip_norm <= 0:
        raise ValueError(f"clip_norm={clip_norm!r}: must be positive")
    norms = np.linalg.norm(gradients.reshape(len(gradients), -1), axis=1)
    scale = np.minimum(1.0, clip_norm / np.maximum(norms, 1e-12))
    return gradients * scale.reshape((-1,) + (1,) * (gradients.ndim - 1))


def accuracy_softmax(weights, bias, x, y):
    return float(np.mean(np.argmax(x @ weights + bias, axis=1) == y))


def dp_sgd_softmax(x, y, num_classes, noise_multiplier, clip_norm=1.0, sampling_rate=0.05, epochs=10,
                   learning_rate=0.5, seed=0, x_eval=None, y_eval=None):
    """Train softmax regression with DP-SGD (Abadi et al. 2016), Poisson sampling as the accountant assumes.

    Each step: include every example independently with probability q; clip each
    example's gradient to norm C; sum; add N(0, (σC)²) noise to every coordinate;
    divide by the expected batch size qN; take a gradient step. noise_multiplier=0
    and clip_norm=None give ordinary (non-private) SGD on the same batches.

    Args:
        x: (N, D) features; y: (N,) int labels; num_classes: K.
        noise_multiplier: σ.
        clip_norm: C, or None for no clipping.
        sampling_rate: q, the probability that an example is in a step's batch.
        epochs: passes; steps = round(epochs / q).
        learning_rate: step size.
        seed: seed of the sampling and the noise.
        x_eval, y_eval: optional evaluation set, scored after each epoch.

    Returns:
        dict with "weights", "bias", "steps", "eval_accuracy" (one per epoch) and "epsilon"-free
        settings; use `dp_sgd_epsilon` for the privacy spent.
    """
    x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    y = np.asarray(y, dtype=np.int64)
    if not 0 < sampling_rate <= 1:
        raise ValueError(f"sampling_rate={sampling_rate!r}: must be in (0, 1]")
    if noise_multiplier < 0:
        raise ValueError(f"noise_multiplier={noise_multiplier!r}: must be ≥ 0")
    if noise_multiplier > 0 and clip_norm is None:
        raise ValueError("noise without clipping gives no privacy guarantee: pass clip_norm")
    rng = np.random.default_rng(seed)
    n, d = x.shape
    weights, bias = np.zeros((d, num_classes)), np.zeros(num_classes)
    steps_per_epoch = max(1, round(1 / sampling_rate))
    expected_batch = sampling_rate * n
    history = []
    for _ in range(int(epochs)):
        for _ in range(steps_per_epoch):
            index = np.flatnonzero(rng.random(n) < sampling_rate)
            grad_w, grad_b = softmax_per_example_gradients(weights, bias, x[index], y[index])
            flat = np.concatenate([grad_w.reshape(len(index), -1), grad_b], axis=1)
            if clip_norm is not None:
                flat = clip_per_example(flat, clip_norm)
            total = flat.sum(axis=0)
            if noise_multiplier > 0:
                total = total + rng.normal(0.0, noise_multiplier * clip_norm, size=total.shape)
            update = total / expected_batch
            weights -= learning_rate * update[: d * num_classes].reshape(d, num_classes)
            bias -= learning_rate * update[d * num_classes:]
        if x_eval is not None:
            history.append(accuracy_softmax(weights, bias, np.asarray(x_eval).reshape(len(x_eval), -1), y_eval))
    return {"weights": weights, "bias": bias, "steps": steps_per_epoch * int(epochs), "eval_accuracy": history}


def _log_add(a, b):
    hi, lo = max(a, b), min(a, b)
    return hi if lo == -math.inf else hi + math.log1p(math.exp(lo - hi))


def subsampled_gaussian_rdp(sampling_rate, noise_multiplier, order):
    """Rényi DP of one step of the Poisson-subsampled Gaussian mechanism at an integer order α ≥ 2.

    ε_α = log( Σ_k C(α,k) (1−q)^(α−k) q^k exp((k² − k) / (2σ²)) ) / (α − 1)
    (Mironov, Talwar & Zhang 2019, exact for integer α).
    """
    q, sigma, alpha = float(sampling_rate), float(noise_multiplier), int(order)
    if sigma == 0:
        return math.inf
    if q == 1.0:
        return alpha / (2 * sigma**2)
    log_a = -math.inf
    for k in range(alpha + 1):
        log_term = (math.lgamma(alpha + 1) - math.lgamma(k + 1) - math.lgamma(alpha - k + 1)
                    + (alpha - k) * math.log1p(-q) + (k * math.log(q) if k else 0.0)
                    + (k * k - k) / (2 * sigma**2))
        log_a = _log_add(log_a, log_term)
    return log_a / (alpha - 1)


def dp_sgd_epsilon(sampling_rate, noise_multiplier, steps, delta=1e-5, orders=DEFAULT_ORDERS):
    """ε of (ε, δ)-differential privacy after `steps` DP-SGD steps (RDP accountant, composed over steps).

    Converted from RDP with ε = min_α [steps · ε_α + log(1/δ) / (α − 1)]. Returns inf
    without noise (σ = 0): ordinary SGD promises nothing.
    """
    if not 0 < delta < 1:
        raise ValueError(f"delta={delta!r}: must be in (0, 1), typically below 1/N")
    if noise_multiplier == 0:
        return math.inf
    best = math.inf
    for order in orders:
        rdp = steps * subsampled_gaussian_rdp(sampling_rate, noise_multiplier, order)
        best = min(best, rdp + math.log(1 / delta) / (order - 1))
    return best


def laplace_count(true_count, epsilon, rng, sensitivity=1.0, size=None):
    """The Laplace mechanism: a count released with noise of scale sensitivity/ε is ε-DP.

    `size` (an int or shape) draws that many independent releases at once, as NumPy's `size` does.
    """
    if epsilon <= 0:
        raise ValueError(f"laplace_count: epsilon={epsilon!r} must be positive (smaller = more private)")
    return true_count + rng.laplace(0.0, sensitivity / epsilon, size)


# -- federated learning -------------------------------------------------------------------------

def split_clients(y, num_clients, iid=True, classes_per_client=2, seed=0):
    """Indices of each client's examples: IID (a random equal share) or label-skewed non-IID.

    Non-IID follows McMahan et al. (2017): sort by label, cut into
    num_clients · classes_per_client shards, give each client `classes_per_client`
    random shards, so each client sees only a few classes.

    Returns:
        list of `num_clients` index arrays.
    """
    y = np.asarray(y)
    rng = np.random.default_rng(seed)
    if num_clients < 1 or num_clients > len(y):
        raise ValueError(f"num_clients={num_clients!r}: must be between 1 and the {len(y)} examples")
    if iid:
        return [np.sort(part) for part in np.array_split(rng.permutation(len(y)), num_clients)]
    order = np.argsort(y, kind="stable")
    shards = np.array_split(order, num_clients * classes_per_client)
    assignment = rng.permutation(len(shards)).reshape(num_clients, classes_per_client)
    return [np.sort(np.concatenate([shards[s] for s in row])) for row in assignment]


def average_weights(client_weights, client_sizes):
    """FedAvg's server step: the average of the clients' weight lists, weighted by their example counts."""
    sizes = np.asarray(client_sizes, dtype=np.float64)
    if len(client_weights) != len(sizes) or not len(sizes) or np.any(sizes < 0) or sizes.sum() == 0:
        raise ValueError("need one positive example count per client weight list")
    share = sizes / sizes.sum()
    return [sum(s * np.asarray(w[i]) for s, w in zip(share, client_weights)) for i in range(len(client_weights[0]))]


def federated_averaging(model, client_data, rounds, local_epochs=1, batch_size=32, eval_data=None,
                        client_fraction=1.0, seed=0):
    """Simulate FedAvg (McMahan et al. 2017) with one compiled Keras model reused for every client.

    Each round the server sends the global weights to a random subset of clients; each
    trains `local_epochs` on its own data only; the server replaces the global weights
    by the example-weighted average of what comes back. Raw data never leaves a client;
    only weights travel.

    Args:
        model: a compiled Keras model (its weights are the initial global model).
        client_data: list of (x, y) per client.
        rounds: communication rounds.
        local_epochs: epochs each client trains per round.
        batch_size: local batch size.
        eval_data: optional (x, y); the global model's accuracy on it is recorded after each round.
        client_fraction: share of clients taking part in each round.
        seed: seed of the client sampling.

    Returns:
        dict with "accuracy" (per round, if eval_data) and "weights" (final global weights).
    """
    rng = np.random.default_rng(seed)
    global_weights = model.get_weights()
    per_round = max(1, round(client_fraction * len(client_data)))
    accuracy = []
    for _ in range(int(rounds)):
        chosen = rng.choice(len(client_data), size=per_round, replace=False)
        updates, sizes = [], []
        for c in chosen:
            x, y = client_data[c]
            model.set_weights(global_weights)
            # train_on_batch in a loop: fit() costs a few hundred ms per call, which
            # dominates when hundreds of tiny client updates are simulated.
            for _ in range(int(local_epochs)):
                order = rng.permutation(len(x))
                for start in range(0, len(x), batch_size):
                    batch = order[start:start + batch_size]
                    model.train_on_batch(x[batch], y[batch])
            updates.append(model.get_weights())
            sizes.append(len(x))
        global_weights = average_weights(updates, sizes)
        model.set_weights(global_weights)
        if eval_data is not None:
            x_eval, y_eval = eval_data
            predicted = np.argmax(np.asarray(model.predict_on_batch(x_eval)), axis=-1)
            accuracy.append(float(np.mean(predicted == np.asarray(y_eval))))
    return {"accuracy": accuracy, "weights": global_weights}


def invert_dense_gradient(grad_kernel, grad_bias):
    """Recover the input of a Dense layer from the gradient of ONE example.

    For y = x W + b, ∂L/∂W = x ⊗ ∂L/∂y and ∂L/∂b = ∂L/∂y, so every column j with
    ∂L/∂b_j ≠ 0 gives x = (∂L/∂W)[:, j] / (∂L/∂b)_j exactly. The unit with the largest
    |∂L/∂b_j| is used, for numerical safety.
    """
    grad_kernel, grad_bias = np.asarray(grad_kernel), np.asarray(grad_bias)
    j = int(np.argmax(np.abs(grad_bias)))
    if grad_bias[j] == 0:
        raise ValueError("the bias gradient is zero everywhere: nothing to invert")
    return grad_kernel[:, j] / grad_bias[j]
