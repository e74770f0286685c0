"""One skip for the tests that run TensorFlow bfloat16 in their own process.

Under `bench/avx2_only.sh` on an AVX-512 chip (oneDNN capped at AVX2) TensorFlow's bfloat16 crashes
the process, so those tests skip there (`kerasmodels.hardware.tensorflow_bfloat16_blocked`); on a
laptop without AVX-512, on JAX and without the cap they run.
"""

import pytest

from kerasmodels import hardware

BLOCKED = hardware.backend_name() == "tensorflow" and hardware.tensorflow_bfloat16_blocked() is not None

needs_tensorflow_bfloat16 = pytest.mark.skipif(
    BLOCKED, reason="TensorFlow's bfloat16 would crash this process here: oneDNN is capped below AVX-512 "
    "(bench/avx2_only.sh)")
