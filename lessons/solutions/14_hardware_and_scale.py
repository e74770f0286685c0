"""Solutions to lesson 14's exercises, and plausible wrong answers the checks must reject."""

import numpy as np


def conv2d_flops(height, width, in_channels, out_channels, kernel_size, padding="valid"):
    if padding == "same":
        out_h, out_w = height, width
    else:
        out_h, out_w = height - kernel_size + 1, width - kernel_size + 1
    return 2 * kernel_size * kernel_size * in_channels * out_channels * out_h * out_w


def training_mfu(forward_flops_per_example, examples_per_second, peak_flops_per_second):
    return 3 * forward_flops_per_example * examples_per_second / peak_flops_per_second


def all_reduce_mean(per_replica_gradients):
    return np.mean(per_replica_gradients, axis=0)


SOLUTIONS = {
    "14.conv2d_flops": conv2d_flops,
    "14.training_mfu": training_mfu,
    "14.all_reduce_mean": all_reduce_mean,
}

WRONG_ANSWERS = {
    "14.conv2d_flops": lambda h, w, c_in, c_out, k, padding="valid": 2 * k * k * c_in * c_out * h * w,
    "14.training_mfu": lambda flops, rate, peak: flops * rate / peak,
    "14.all_reduce_mean": lambda grads: np.sum(grads, axis=0),
}
