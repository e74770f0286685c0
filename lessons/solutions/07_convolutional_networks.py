"""Solutions to lesson 07's exercises, and plausible wrong answers the checks must reject."""

import math

import numpy as np


def output_size(size, kernel, stride, padding):
    if padding == "same":
        return math.ceil(size / stride)
    return (size - kernel) // stride + 1


def conv2d(image, kernel):
    k = kernel.shape[0]
    rows, cols = image.shape[0] - k + 1, image.shape[1] - k + 1
    return np.array([[np.sum(image[i : i + k, j : j + k] * kernel) for j in range(cols)] for i in range(rows)])


def conv_parameters(kernel_size, in_channels, filters):
    return kernel_size * kernel_size * in_channels * filters + filters


SOLUTIONS = {
    "07.output_size": output_size,
    "07.conv2d": conv2d,
    "07.conv_parameters": conv_parameters,
}

WRONG_ANSWERS = {
    "07.output_size": lambda size, kernel, stride, padding: (size - kernel) // stride,  # forgets the +1
    "07.conv2d": lambda image, kernel: conv2d(image, kernel[::-1, ::-1]),  # textbook convolution flips
    "07.conv_parameters": lambda k, c_in, filters: k * k * filters + filters,  # "3-D" kernel, no c_in
}
