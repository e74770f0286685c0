"""Whether this run computes as the one a lesson's quoted numbers came from.

Float32 training takes a different path through oneDNN's kernels on an AVX-512 CPU than on an
AVX2-only one (most laptops), so sums are rounded in another order, and training that amplifies
small differences (a GAN, DQN) ends elsewhere. The lessons quote two runs, both TensorFlow on this
course's 2-core AMD EPYC (Zen 4: cpu family 25, model 17): as it is (AVX-512) and with its kernels
capped at AVX2 by `bench/avx2_only.sh` (emulated AVX2). A lesson's tests assert each quoted run's
exact numbers only where this run is that one (`QUOTED_RUN_CPU`, `EMULATED_AVX2_RUN`), and what
holds on any CPU everywhere. Another CPU, more cores or other kernels may round differently again:
the exact numbers are known for these two only.
"""

import os

from kerasmodels import hardware


def _cpuinfo_fields(*names):
    found = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() in names and key.strip() not in found:
                    found[key.strip()] = value.strip()
    except OSError:
        pass
    return tuple(found.get(name) for name in names)


_MODEL, _FLAGS = hardware._cpuinfo()
_THIS_COURSES_CPU = (hardware.backend_name() == "tensorflow" and _MODEL.startswith("AMD EPYC") and "avx512f" in _FLAGS
                     and _cpuinfo_fields("cpu family", "model") == ("25", "17") and hardware.cpu().cores == 2)
_ONEDNN_CAP = (os.environ.get("ONEDNN_MAX_CPU_ISA") or os.environ.get("DNNL_MAX_CPU_ISA") or "").upper()
_ONEDNN_ON = os.environ.get("TF_ENABLE_ONEDNN_OPTS", "").strip().lower() not in ("0", "false")

QUOTED_RUN_CPU = _THIS_COURSES_CPU and _ONEDNN_ON and not _ONEDNN_CAP
EMULATED_AVX2_RUN = _THIS_COURSES_CPU and _ONEDNN_ON and _ONEDNN_CAP == "AVX2"  # bench/avx2_only.sh
