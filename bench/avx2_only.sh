#!/usr/bin/env bash
# Run a command as if this CPU had AVX2 and nothing newer (most students' laptops): oneDNN
# (TensorFlow's CPU kernels) and XLA (JAX) stop at AVX2, and kerasmodels' hardware.cpu() hides the
# AVX-512/AMX flags, so accelerate.setup() chooses float32 and bench/ records the emulated flags.
# An emulation on a newer core, not a real laptop: label its figures "emulated AVX2".
# Limit: TensorFlow still sees the chip's bfloat16 instructions and calls oneDNN's bfloat16 kernels,
# which the cap removes, so a bfloat16 matmul on TensorFlow crashes (segmentation fault) under this
# script. It covers float32 runs (what setup() chooses there); time bfloat16 without it.
#   bash bench/avx2_only.sh .venv/bin/kerasmodels tour --quick
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: bash bench/avx2_only.sh COMMAND [ARGS...]" >&2; exit 2; }
export KERASMODELS_CPU_MAX_ISA=avx2 ONEDNN_MAX_CPU_ISA=AVX2
export XLA_FLAGS="--xla_cpu_max_isa=AVX2${XLA_FLAGS:+ $XLA_FLAGS}"
exec "$@"
