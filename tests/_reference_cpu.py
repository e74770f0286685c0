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

_MODEL, _FLAGS = hardware._cpuinfo()
_THIS_COURSES_CPU = (hardware.backend_name() == "tensorflow" and _MODEL.startswith("AMD EPYC") and "avx512f" in _FLAGS
                      and hardware.cpu().cores == 2)
# oneDNN capped at AVX2, as bench/avx2_only.sh does (ONEDNN_MAX_CPU_ISA, or its older name DNNL_MAX_CPU_ISA)
_CAPPED = (os.environ.get("ONEDNN_MAX_CPU_ISA") or os.environ.get("DNNL_MAX_CPU_ISA") or "").upper() == "AVX2"

QUOTED_RUN_CPU = _THIS_COURSES_CPU and not _CAPPED
EMULATED_AVX2_RUN = _THIS_COURSES_CPU and _CAPPED  # bench/avx2_only.sh on such a chip
