#!/usr/bin/env bash
# Run a command as if this CPU had AVX2 and nothing newer (most students' laptops): oneDNN
# (TensorFlow's CPU kernels) and XLA (JAX) stop at AVX2, and kerasmodels' hardware.cpu() hides the
# AVX-512/AMX flags, so accelerate.setup() chooses float32 and bench/ records the emulated flags.
# An emulation on a newer core, not a real laptop: label its figures "emulated AVX2".
# Limit: TensorFlow still sees the chip's bfloat16 instructions and calls oneDNN's bfloat16 kernels,
# which the cap removes, so a bfloat16 matmul on TensorFlow would crash (segmentation fault) under this
# script; kerasmodels refuses it first (hardware.tensorflow_bfloat16_blocked). It covers float32 runs
# (what setup() chooses there). For TensorFlow bfloat16 (lesson 14) add TF_ENABLE_ONEDNN_OPTS=0:
# TensorFlow's own kernels, bfloat16 converted as on a laptop, float32 slower than oneDNN's (an upper bound).
#   bash bench/avx2_only.sh .venv/bin/kerasmodels tour --quick
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: bash bench/avx2_only.sh COMMAND [ARGS...]" >&2; exit 2; }
export KERASMODELS_CPU_MAX_ISA=avx2 ONEDNN_MAX_CPU_ISA=AVX2
export XLA_FLAGS="--xla_cpu_max_isa=AVX2${XLA_FLAGS:+ $XLA_FLAGS}"
exec "$@"
