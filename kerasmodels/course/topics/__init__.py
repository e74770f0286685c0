"""One module per topic lesson.

- `gan`: a GAN with its training step (lesson 14).
- `compression`: pruning, quantisation, distillation (lesson 15).
- `explain`, `fairness`: attributions and group metrics (lesson 16).
- `privacy`: differential privacy, federated averaging, k-anonymity (lesson 17).
- `loadtest`: a small HTTP load generator for the serving lesson (lesson 18).
- `rl`: tabular Q-learning and DQN on gymnasium's environments (lesson 19).
"""
