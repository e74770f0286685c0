#!/usr/bin/env bash
# The MiniLM recipe search of bench_bert_recipes.py, three seeds a recipe, on a GPU machine with
# JAX and no TensorFlow. Runs PARALLEL recipes at once on the one GPU (each run is small: one
# process alone leaves most of the GPU idle) and appends every run to RESULTS.jsonl.
#
# Prepare here, with TensorFlow:  python bench/bench_bert_recipes.py --pack .gpu/pack
# Then there:                     bash bench/bert_recipes_gpu.sh .gpu/pack RESULTS [PARALLEL]
# (EXTRA="--limit 64 --eval-limit 64 --epochs 1" makes every run tiny: a check of the script itself.)
# The recipes are fixed before any result is seen; the one to report is chosen afterwards by the
# median validation accuracy of its three seeds, and its test accuracies are what is reported.
set -euo pipefail
pack=$1 results=$2 parallel=${3:-6}
export KERAS_BACKEND=jax XLA_PYTHON_CLIENT_PREALLOCATE=false PYTHONUNBUFFERED=1 TF_CPP_MIN_LOG_LEVEL=2
runs=()
for seed in 0 1 2; do
  runs+=("lpft --seed $seed" "base --seed $seed" "llrd --seed $seed --learning-rate 1e-4 --llrd-factor 0.8"
         "freeze-embeddings --seed $seed" "lpft --seed $seed --epochs 4" "base --seed $seed --precision float32")
done
printf '%s\n' "${runs[@]}" | xargs -P "$parallel" -I{} sh -c \
  "python3 bench/bench_bert_recipes.py {} ${EXTRA:-} --packed '$pack' --name '$results' 2>&1 | sed 's/^/[{}] /'"
