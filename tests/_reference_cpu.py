"""Whether this run computes as the one a lesson's quoted numbers came from.

Float32 training takes a different path through oneDNN's kernels on an AVX-512 CPU than on an
AVX2-only one (most laptops), so sums are rounded in another order, and training that amplifies
small differences (a GAN, DQN) ends elsewhere. The lessons quote two runs, both TensorFlow on this
course's 2-core AMD EPYC: as it is (AVX-512) and with its kernels capped at AVX2 by
`bench/avx2_only.sh` (emulated AVX2). A lesson's tests assert each quoted run's exact numbers only
where this run is that one (`QUOTED_RUN_CPU`, `EMULATED_AVX2_RUN`), and what holds on any CPU
everywhere. Another AVX-512 or AVX2 CPU, or more cores, may round differently again: the exact
numbers are known for these two only.
"""

import os

from kerasmodels import hardware

_TENSORFLOW_ON_AVX512_CHIP = hardware.backend_name() == "tensorflow" and "avx512f" in hardware._cpuinfo()[1]
_CAPPED = os.environ.get(hardware._CPU_MAX_ISA_ENV, "").lower() == "avx2"

QUOTED_RUN_CPU = _TENSORFLOW_ON_AVX512_CHIP and not _CAPPED
EMULATED_AVX2_RUN = _TENSORFLOW_ON_AVX512_CHIP and _CAPPED  # bench/avx2_only.sh on such a chip
