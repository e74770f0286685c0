"""Whether this CPU computes as the one the lessons' quoted runs came from (AVX-512).

Float32 training takes a different path through oneDNN's kernels on an AVX-512 CPU than on an
AVX2-only one (most laptops; `bench/avx2_only.sh` emulates one): sums are rounded in another order,
and training that amplifies small differences (a GAN, DQN) ends elsewhere. A lesson quotes its
recorded run's exact numbers and names that run; its tests assert those exact numbers only where
`QUOTED_RUN_CPU` is true, and what holds on every CPU everywhere.
"""

from kerasmodels import hardware

QUOTED_RUN_CPU = "avx512f" in hardware.cpu().flags  # hidden under bench/avx2_only.sh, as on a laptop
