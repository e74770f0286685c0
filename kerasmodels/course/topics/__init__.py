"""One module per topic lesson.

- `gan`: a GAN with its training step (lesson 15).
- `compression`: pruning, quantisation, distillation (lesson 16).
- `explain`, `fairness`: attributions and group metrics (lesson 17).
- `privacy`: differential privacy, federated averaging, k-anonymity (lesson 18).
- `loadtest`: a small HTTP load generator for the serving lesson (lesson 19).
- `rl`: tabular Q-learning and DQN on gymnasium's environments (lesson 20).
"""
