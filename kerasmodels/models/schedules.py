"""The learning-rate schedule the package's recipes train with.

`warmup_cosine(peak, total_steps)`: linear warm-up from 0 to `peak` over the
first `warmup_fraction` of the steps, then cosine decay to 0 at `total_steps`
(a one-cycle-like schedule, the usual one for fine-tuning BERT and the one
`cnn()`'s recipe is measured with). It is Keras's own `CosineDecay` with its
warm-up, so it saves and loads like any Keras schedule.
"""

import math


def warmup_cosine(peak, total_steps, warmup_fraction=0.1):
    """Linear warm-up to `peak`, then cosine decay to 0, over `total_steps` optimizer steps.

    Args:
        peak: the highest learning rate, reached at the end of the warm-up.
        total_steps: optimizer steps of the whole run, e.g.
            `epochs * math.ceil(len(x_train) / batch_size)`.
        warmup_fraction: share of the steps spent warming up (at least one step).

    Returns:
        A `keras.optimizers.schedules.CosineDecay`.

    Example:

    ```python
    from kerasmodels.models import warmup_cosine

    schedule = warmup_cosine(3e-3, total_steps=100)
    [round(float(schedule(step)), 5) for step in (0, 10, 55, 100)]  # [0.0, 0.003, 0.0015, 0.0]
    ```
    """
    import keras

    total_steps = int(total_steps)
    if total_steps < 2:
        raise ValueError(f"total_steps={total_steps}: a warm-up and a decay need at least 2 steps")
    if not (isinstance(peak, (int, float)) and math.isfinite(peak) and peak > 0):
        raise ValueError(f"peak={peak!r}: the peak learning rate must be a positive number, e.g. 3e-3")
    if not 0 <= warmup_fraction < 1:
        raise ValueError(f"warmup_fraction={warmup_fraction!r}: must be in [0, 1), e.g. 0.1")
    warmup = max(1, int(total_steps * warmup_fraction))
    return keras.optimizers.schedules.CosineDecay(
        0.0, decay_steps=total_steps - warmup, alpha=0.0, warmup_target=float(peak), warmup_steps=warmup)
