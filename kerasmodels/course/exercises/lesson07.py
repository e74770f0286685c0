"""Exercises of lesson 07: output size of a convolution, a convolution by hand, parameters of Conv2D."""

import numpy as np

from kerasmodels.course.exercises._core import exercise, expect_close, expect_equal


def _output_size(size, kernel, stride, padding):
    if padding == "same":
        return -(-size // stride)
    return (size - kernel) // stride + 1


@exercise("07.output_size", "spatial size after a convolution or pooling",
          hint="count the positions where the window can start: with 'valid' it must fit entirely inside "
               "the input (windows may overlap when the kernel is larger than the stride), and don't forget the "
               "very first position; 'same' pads so that only the stride shrinks, whatever the kernel size",
          formula="'valid': (n - k) // s + 1; 'same': ceil(n / s), i.e. (n + s - 1) // s")
def check_output_size(fn):
    cases = [(28, 3, 1, "valid"), (26, 2, 2, "valid"), (32, 5, 1, "valid"), (13, 2, 2, "valid"),
             (28, 3, 2, "valid"),  # overlapping windows (k > s): 13, where n // s gives 14
             (28, 3, 1, "same"), (7, 3, 2, "same"), (5, 5, 1, "valid"),
             (13, 2, 2, "same"),  # even kernel: Keras pads unevenly, so n + 2 * ((k - 1) // 2) gives 6, not 7
             (28, 2, 1, "same")]  # even kernel, stride 1: 28, where PyTorch-style k // 2 per side gives 29
    for size, kernel, stride, padding in cases:
        expect_equal(f"size={size}, kernel={kernel}, stride={stride}, padding={padding!r}",
                     fn(size, kernel, stride, padding), _output_size(size, kernel, stride, padding))


def _cross_correlate(image, kernel):
    k = kernel.shape[0]
    out = np.empty((image.shape[0] - k + 1, image.shape[1] - k + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(image[i : i + k, j : j + k] * kernel)
    return out


@exercise("07.conv2d", "a single-channel 'valid' convolution as Keras computes it",
          hint="deep-learning 'convolution' is cross-correlation: the kernel slides over the image as it is, "
               "not flipped",
          formula="out[i, j] = np.sum(image[i:i+k, j:j+k] * kernel) for every i, j of the 'valid' output")
def check_conv2d(fn):
    rng = np.random.default_rng(7)
    asymmetric = np.array([[1.0, 2.0], [0.0, -1.0]])
    cases = [("4x4 image, asymmetric 2x2 kernel", np.arange(16.0).reshape(4, 4), asymmetric),
             ("5x6 image, random 3x3 kernel", rng.normal(size=(5, 6)), rng.normal(size=(3, 3))),
             ("kernel as large as the image", rng.normal(size=(3, 3)), rng.normal(size=(3, 3)))]
    for name, image, kernel in cases:
        # float32 tolerances: a right answer computed in float32 (as Keras computes it) passes; the
        # flipped kernel misses by O(1).
        expect_close(name, fn(image, kernel), _cross_correlate(image, kernel), rtol=1e-5, atol=1e-6)


@exercise("07.conv_parameters", "parameters of keras.layers.Conv2D",
          hint="every filter looks at ALL input channels: count the kernel's four axes, then the biases",
          formula="kernel_size * kernel_size * in_channels * filters + filters")
def check_conv_parameters(fn):
    for k, c_in, filters in [(3, 1, 32), (3, 32, 64), (5, 3, 6), (1, 16, 8)]:
        expect_equal(f"kernel {k}x{k}, {c_in} input channels, {filters} filters", fn(k, c_in, filters),
                     k * k * c_in * filters + filters)
