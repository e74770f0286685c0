"""Exercises of lesson 13: LoRA's trainable parameters, a LoRA dense layer, mean pooling, an adapter's weights."""

import numpy as np

from kerasmodels.course.exercises._core import exercise, expect_close, expect_equal


@exercise("13.lora_parameters", "LoRA's trainable factors on one dense layer (the two factors only, bias not counted)",
          hint="with LoRA only the two small factors train; the pretrained matrix is frozen",
          formula="count the two factors only: A has d_in x rank numbers and B has rank x d_out; the pretrained "
               "d_in x d_out matrix is frozen. (As in the paper the bias is not counted: Keras's enable_lora "
               "leaves it trainable unless you set dense.bias.trainable = False.)")
def check_lora_parameters(fn):
    for d_in, d_out, rank in [(384, 384, 4), (768, 768, 8), (16, 12, 2), (1024, 4096, 1), (10, 3, 3)]:
        expect_equal(f"d_in={d_in}, d_out={d_out}, rank={rank}", fn(d_in, d_out, rank), rank * (d_in + d_out))


def _lora_cases():
    rng = np.random.default_rng(12)
    cases = []
    for name, batch, d_in, d_out, rank, alpha in [("rank 2, alpha 8 (scale 4)", 3, 6, 5, 2, 8.0),
                                                  ("rank 4, alpha = rank (scale 1)", 2, 8, 4, 4, 4.0),
                                                  ("rank 1, alpha 16", 1, 3, 7, 1, 16.0)]:
        cases.append((name, rng.normal(size=(batch, d_in)), rng.normal(size=(d_in, d_out)), rng.normal(size=d_out),
                      rng.normal(size=(d_in, rank)), rng.normal(size=(rank, d_out)), alpha, rank))
    return cases


@exercise("13.lora_dense", "output of a LoRA dense layer",
          hint="LoRA adds a scaled low-rank product to the frozen kernel; check the scale",
          formula="y = x (W + (alpha / rank) A B) + b: the low-rank update is scaled by alpha / rank, as in "
               "keras.layers.Dense.enable_lora.")
def check_lora_dense(fn):
    for name, x, kernel, bias, a, b, alpha, rank in _lora_cases():
        expected = x @ (kernel + (alpha / rank) * a @ b) + bias
        expect_close(name, fn(x, kernel, bias, a, b, alpha, rank), expected, rtol=1e-6, atol=1e-9)


def _pooling_cases():
    rng = np.random.default_rng(13)
    outputs = rng.normal(size=(3, 5, 4))
    return [
        ("no padding", outputs[:1], np.ones((1, 5), bool)),
        ("padding at the end must not count", outputs, np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 0, 0, 0, 0]], bool)),
        ("mask given as 0/1 integers", outputs, np.array([[1, 1, 0, 0, 0], [1, 1, 1, 1, 0], [1, 1, 1, 0, 0]])),
    ]


@exercise("13.mean_pooling", "mean pooling over the real tokens",
          hint="padding positions must not count, neither in the sum nor in how many you divide by",
          formula="multiply the token vectors by the mask (expanded to (batch, tokens, 1)), sum over the tokens, and "
               "divide by the number of real tokens of each sequence, not by the padded length.")
def check_mean_pooling(fn):
    for name, outputs, mask in _pooling_cases():
        m = np.asarray(mask, float)[..., None]
        expected = (outputs * m).sum(axis=1) / m.sum(axis=1)
        expect_close(name, fn(outputs, mask), expected, rtol=1e-6, atol=1e-9)


@exercise("13.adapter_parameters", "weights of one bottleneck adapter",
          hint="an adapter is two Dense layers, down to the bottleneck and back up; count everything they own",
          formula="down: hidden x bottleneck kernel + bottleneck biases; up: bottleneck x hidden kernel + hidden "
               "biases; in all 2 * hidden * bottleneck + bottleneck + hidden.")
def check_adapter_parameters(fn):
    for hidden, bottleneck in [(384, 16), (768, 64), (8, 4), (1024, 1), (5, 5)]:
        expect_equal(f"hidden={hidden}, bottleneck={bottleneck}", fn(hidden, bottleneck),
                     2 * hidden * bottleneck + bottleneck + hidden)
