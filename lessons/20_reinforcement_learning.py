# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
#   kerasmodels:
#     title: Reinforcement learning
#     articles: ["004 §1.1.2"]
#     quick_seconds: 40
#     full_seconds: 130
#     description: Tabular Q-learning on FrozenLake checked against value iteration, a DQN (replay buffer, target network, epsilon-greedy) that learns CartPole (solving it in full mode on this course's CPU), and AlphaGo's idea.
# ---

# %% [markdown]
# # 20 · Reinforcement learning
#
# **Mirrors** ([the five source articles](https://github.com/kerasmodels/kerasmodels/blob/main/docs/sources.md)): article 004 §1.1.2, which lists reinforcement-learning models (强化学习模型) "such as
# Deep Q-Networks (DQN) and AlphaGo" among the types of AI models.
#
# **After this lesson you can** write the Bellman target and the Q-learning update; learn a Q-table
# on FrozenLake and check it against the exact answer of value iteration; train a deep Q-network
# with a replay buffer, a target network and epsilon-greedy exploration on CartPole; and explain
# how AlphaGo combines a policy network, a value network and tree search.
#
# **Prerequisites:** lesson 02 (losses, gradient descent), lesson 05 (Adam), lesson 06 (a first
# Keras model). The environments come from `gymnasium` (no downloads).
#
# **Run time:** quick mode (the DQN trains for up to 10,000 steps) took about 40 s on a 2-core CPU in an
# earlier measurement; on one shared with other jobs (load average about 15), the lesson and its
# tests took 200 s, about 60 s of CPU time. Full mode allows up to 150,000 steps and stops once 20 greedy evaluation
# episodes all last 500 steps, so how long it runs depends on the seed and on the machine. The lesson's DQN cell in full mode, on TensorFlow on a 2-core CPU (AMD EPYC, with AVX-512) shared
# with other jobs (load average about 15), with `keras.utils.set_random_seed(seed)` and
# `seed=seed`:
#
# | seed | training steps | mean return, 100 evaluation episodes | CPU time | wall time |
# |---|---|---|---|---|
# | 0 (the lesson's) | 28,416 | 500.0 | 85 s | 374 s |
# | 1 | 28,416 | 500.0 | 89 s | 326 s |
# | 2 | 26,368 | 500.0 | 92 s | 285 s |
#
# "Training steps" counts the steps until a 20-episode greedy evaluation first had all its episodes
# last 500 steps (the stopping rule), not the steps until a 20-episode evaluation first averaged at
# least 475, which came no later (an evaluation whose episodes all last 500 averages 500). Evaluations
# come every 1,024 steps, so
# 28,416 and 26,368 are two evaluations apart. Every evaluation episode of the three lasted the full
# 500 steps (CartPole-v1's "solved" threshold is 475).

# %%
import time

import gymnasium
import keras
import matplotlib.pyplot as plt
import numpy as np

from kerasmodels import course
from kerasmodels.course.topics import rl

lesson = course.setup_lesson(20)
rng = np.random.default_rng(lesson.seed)
print("gymnasium", gymnasium.__version__)

# %% [markdown]
# ## 1. Agent, environment, reward
# In reinforcement learning (强化学习) nobody labels the right answer. An **agent** sees a state
# $s_t$, takes an action $a_t$, and the **environment** answers with a reward $r_{t+1}$ and the next
# state. The agent wants a large **return**, the discounted sum of the rewards to come,
#
# $$G_t = r_{t+1} + \gamma r_{t+2} + \gamma^2 r_{t+3} + \dots, \qquad 0 \le \gamma < 1 .$$
#
# The **action value** $Q^*(s, a)$ is the return expected after taking $a$ in $s$ and acting
# optimally afterwards. It satisfies the **Bellman optimality equation**
#
# $$Q^*(s, a) = \mathbb{E}\left[\, r + \gamma \max_{a'} Q^*(s', a') \;\middle|\; s, a \right],$$
#
# with no $\max$ term when $s'$ is terminal. Knowing $Q^*$ is knowing how to act: take
# $\arg\max_a Q^*(s, a)$.
#
# **FrozenLake** is a 4 × 4 frozen lake: start at S, reach the goal G (reward 1, the only reward),
# avoid the holes H. The ice is slippery: the agent moves in the intended direction only a third of
# the time, otherwise to one of the two sides. An episode ends in a hole or at the goal
# (*terminated*), or after 100 steps (*truncated*).

# %%
lake = gymnasium.make("FrozenLake-v1")  # is_slippery=True by default
desc = lake.unwrapped.desc.astype(str)
num_states, num_actions = lake.observation_space.n, lake.action_space.n
print("\n".join("".join(row) for row in desc))
terminal_states = [s for s in range(num_states) if desc.flat[s] in "HG"]
eval_episodes = 1000
random_success = rl.run_policy(lake, lambda s: int(rng.integers(num_actions)), eval_episodes, seed=1).mean()
lesson.metric("frozenlake_random_policy_success_rate", random_success, "FrozenLake: random policy success rate", fmt=".1%");

# %% [markdown]
# ### The exact answer when the model is known: value iteration
# FrozenLake publishes its model: `P[s][a]` lists (probability, next state, reward, terminated).
# With the model, apply the Bellman equation as an update to every $(s, a)$ until nothing changes
# (**value iteration**, 值迭代); the fixed point is $Q^*$.
#
# ### Q-learning: the same answer from experience
# Without the model, the agent only sees samples $(s, a, r, s')$. **Q-learning** (Watkins, 1989)
# moves $Q(s, a)$ a step $\alpha$ towards the sampled target:
#
# $$Q(s, a) \leftarrow Q(s, a) + \alpha \big[\, \underbrace{r + \gamma \max_{a'} Q(s', a')}_{\text{Bellman target}} - Q(s, a) \big].$$
#
# To see every state it must also **explore**: with probability $\varepsilon$ it takes an action
# drawn uniformly from *all* actions, the greedy one included (**epsilon-greedy**), so the greedy
# action's share is $1 - \varepsilon + \varepsilon / n$ for $n$ actions; $\varepsilon$ decays from 1
# to 0.05 as it learns.

# %%
gamma = 0.99
q_star = rl.value_iteration(lake.unwrapped.P, num_states, num_actions, gamma=gamma)
tabular = rl.QLearning(num_states, num_actions, learning_rate=0.1, gamma=gamma, seed=lesson.seed)
train_episodes = lesson.pick(5000, 20000)
started = time.perf_counter()
successes = rl.train_q_learning(tabular, lake, train_episodes, seed=lesson.seed)
print(f"{train_episodes} episodes of Q-learning in {time.perf_counter() - started:.1f} s")

learned_policy, optimal_policy = tabular.greedy_policy(), np.argmax(q_star, axis=1)
learned_success = rl.run_policy(lake, lambda s: learned_policy[s], eval_episodes, seed=1).mean()
optimal_success = rl.run_policy(lake, lambda s: optimal_policy[s], eval_episodes, seed=1).mean()
non_terminal = [s for s in range(num_states) if s not in terminal_states]
agree = int(np.sum(learned_policy[non_terminal] == optimal_policy[non_terminal]))
# What a disagreement costs, judged by the exact Q*: Q*(s, best) - Q*(s, learned choice).
regret = max(q_star[s].max() - q_star[s, learned_policy[s]] for s in non_terminal)
print(f"greedy actions equal to value iteration's in {agree} of {len(non_terminal)} non-terminal states; "
      f"largest value lost by a different choice {regret:.3f}")
lesson.metric("frozenlake_q_learning_success", learned_success, "FrozenLake: Q-learning greedy policy success rate", fmt=".1%")
lesson.metric("frozenlake_optimal_success", optimal_success,
              "FrozenLake: optimal policy (value iteration) success rate", fmt=".1%")
lesson.metric("frozenlake_states_q_optimal", agree, "FrozenLake: states where Q-learning's greedy action is optimal")
lesson.metric("frozenlake_max_q_star_lost", regret, "FrozenLake: largest Q* value lost by Q-learning's choices", fmt=".3f")
error = tabular.q.max(axis=1)[non_terminal] - q_star.max(axis=1)[non_terminal]  # learned - exact
print(f"learned max Q - exact: {int(np.sum(error > 0))} of {len(non_terminal)} states above, "
      f"{int(np.sum(error < 0))} below; mean {error.mean():+.3f}, largest |difference| {np.abs(error).max():.3f}")
lesson.metric("frozenlake_states_q_above_exact", int(np.sum(error > 0)),
              "FrozenLake: states whose learned max Q is above the exact one")
lesson.metric("frozenlake_states_q_below_exact", int(np.sum(error < 0)),
              "FrozenLake: states whose learned max Q is below the exact one")
lesson.metric("frozenlake_max_q_err", np.abs(error).max(), "FrozenLake: largest |learned max Q - exact|", fmt=".3f");

# %%
arrows = {0: (-1, 0), 1: (0, -1), 2: (1, 0), 3: (0, 1)}  # LEFT, DOWN, RIGHT, UP as (dx, dy), y upwards
fig, axes = plt.subplots(1, 2, figsize=(12, 4.6), gridspec_kw={"width_ratios": [1.5, 1]})
axes[0].plot(np.arange(1, train_episodes + 1), rl.moving_average(successes, 200), color="tab:blue",
             label="Q-learning while exploring (mean of 200 episodes)")
axes[0].axhline(optimal_success, color="tab:green", ls="--", label="optimal policy (value iteration)")
axes[0].axhline(learned_success, color="tab:blue", ls=":", label="Q-learning's greedy policy, after training")
axes[0].axhline(random_success, color="gray", ls=":", label="random policy")
axes[0].set(xlabel="episode", ylabel="share of episodes reaching G", title="Learning FrozenLake from experience")
axes[0].legend(fontsize=9, loc="center left")
axes[0].grid(alpha=0.3)
values = tabular.q.max(axis=1).reshape(4, 4)
axes[1].imshow(values, cmap="Blues", vmin=0, vmax=1)
for s in range(num_states):
    row, col = divmod(s, 4)
    if s in terminal_states:
        axes[1].text(col, row, desc[row, col], ha="center", va="center", fontsize=16, weight="bold")
        continue
    dx, dy = arrows[int(learned_policy[s])]
    differs = learned_policy[s] != optimal_policy[s]
    axes[1].arrow(col - 0.2 * dx, row + 0.2 * dy, 0.4 * dx, -0.4 * dy, head_width=0.12,
                  color="tab:red" if differs else "black", ls="--" if differs else "-")
    if differs:  # a mark as well as a colour, for readers who cannot tell red from black
        axes[1].text(col + 0.32, row - 0.3, "≠", ha="center", va="center", fontsize=14, color="tab:red")
    axes[1].text(col, row + 0.38, f"{values[row, col]:.2f} ({q_star[s].max():.2f})", ha="center", fontsize=8)
axes[1].set(xticks=[], yticks=[], title="Greedy actions; max Q learned (exact)\nred, dashed, ≠: differs from value iteration")
fig.tight_layout()
lesson.savefig(fig, "frozenlake_q_learning")
plt.show()

# %% [markdown]
# The greedy policy read off the learned table reaches the goal about as often as the optimal
# policy of value iteration (compare the two success rates above), and far more often than a
# random walk. Where an arrow differs from value iteration's (red, dashed, marked ≠), the choice costs nothing: the
# exact $Q^*$ values of the two actions are equal (the largest value lost, printed above, is 0).
# Some arrows look odd: near a hole the best move often points *away* from the goal, because on
# slippery ice the only safe intended move is one whose two sideways slips also miss the hole.
#
# The learned values are estimates, and they scatter around the exact ones: with a constant step
# $\alpha$ every sampled target keeps moving them, so some lie above $Q^*$ and some below (the
# counts and the mean difference are printed above; with another seed the split changes, and with
# a smaller $\alpha$ the values move less). Theory adds a systematic push upwards: the target takes a
# $\max$ over noisy estimates, and the max of noisy numbers is biased upwards (*maximisation bias*;
# Double Q-learning and Double DQN correct it). One run with a constant $\alpha$ cannot show that
# bias apart from the scatter: that needs many seeds, compared with Double Q-learning.
#
# ## 2. Deep Q-networks: a network instead of a table
# **CartPole**: push a cart left or right to keep a pole upright. The state is four real numbers
# (cart position and velocity, pole angle and angular velocity), so there is no table to fill.
# Reward +1 for every step the pole stays up; the episode terminates when it falls (more than
# 12°) or the cart leaves the track, and is truncated at 500 steps. CartPole-v1 counts as
# "solved" at a mean return of 475 over 100 episodes.
#
# A **deep Q-network** (DQN, Mnih et al., 2015) replaces the table by a network
# $Q(s, \cdot\,; \theta)$ with one output per action, trained by regression on Bellman targets:
#
# $$L(\theta) = \operatorname{Huber}\Big( \underbrace{r + \gamma\,(1 - \text{terminated}) \max_{a'} Q(s', a'; \theta^-)}_{y}
#   \;-\; Q(s, a; \theta) \Big).$$
#
# Three pieces make it stable:
# - a **replay buffer** (经验回放): consecutive steps are almost identical; training on random
#   samples of the last 100,000 transitions breaks that correlation and reuses each one many times;
# - a **target network** $\theta^-$ (目标网络): a copy of the network that computes $y$ and is
#   refreshed only between learning rounds, so the target does not move with every step it chases;
# - **epsilon-greedy** exploration, decayed from 1 to 0.04.
#
# Note *terminated*, not *done*: when the 500-step limit cuts an episode, the pole was still up and
# the next state has a value, so the target still bootstraps there.
#
# First the yardstick: a policy that pushes at random.

# %%
cartpole = gymnasium.make("CartPole-v1")
random_returns = rl.evaluate_episodes(None, "CartPole-v1", 100, seed=20_000)
lesson.metric("cartpole_random_mean_return", random_returns.mean(),
              "CartPole: random policy mean return (100 episodes)", fmt=".1f");

# %% [markdown]
# `rl.DQNAgent` (read it in `kerasmodels/course/topics/rl.py`, 130 lines with its docstrings) alternates: play
# 256 steps epsilon-greedily and store them, then copy the network into the target network and take
# 128 minibatch steps of Adam on the loss above. All 128 × 64 targets of a round come from the
# frozen target network in one batched call and the steps run in one `fit`: on a CPU the Python
# overhead of calling a network per step, not the arithmetic, is what costs time. Every 4 rounds
# the greedy policy is evaluated on 20 episodes, the best network so far is kept, and training
# stops once those 20 episodes all last 500 steps. At the end the agent restores the kept network
# (the one with the best evaluation, not necessarily the last one), and the final number judges
# that network on 100 *other* episodes.

# %%
keras.utils.set_random_seed(lesson.seed)
agent = rl.DQNAgent(rl.q_network(4, 2, hidden_units=(256, 256)), gamma=0.99, learning_rate=2.3e-3, batch_size=64)
print(f"Q-network: {agent.q_network.count_params():,} parameters")
validation = lambda a: rl.evaluate_episodes(a.q_values, "CartPole-v1", 20, seed=1000).mean()
history = agent.train(cartpole, total_steps=lesson.pick(10_000, 150_000), learning_starts=1000, train_every=256,
                      gradient_steps=128, exploration_steps=lesson.pick(5000, 8000),
                      evaluate_every=4, evaluate=validation,
                      stop_at=500, seed=lesson.seed, log_every=30)
returns = np.array(history["episode_returns"])
print(f"{history['steps']} steps, {len(returns)} episodes in {history['seconds']:.0f} s")
test_returns = rl.evaluate_episodes(agent.q_values, "CartPole-v1", 100, seed=10_000)
first, last = returns[:20].mean(), returns[-20:].mean()
lesson.metric("cartpole_first20_mean_return", first, "CartPole: mean return of the first 20 training episodes", fmt=".1f")
lesson.metric("cartpole_last20_mean_return", last, "CartPole: mean return of the last 20 training episodes", fmt=".1f")
lesson.metric("cartpole_train_steps", history["steps"], "CartPole: training steps")
evaluation_steps, evaluation_scores = (np.array(column) for column in zip(*history["evaluations"]))
kept = np.flatnonzero(evaluation_scores == evaluation_scores.max())[-1]  # on a tie the later network is kept
print("greedy evaluations (step: 20-episode mean):",
      ", ".join(f"{step:,.0f}: {score:.1f}" for step, score in zip(evaluation_steps, evaluation_scores)))
print(f"the network kept, which the headline judges: the one evaluated at step {evaluation_steps[kept]:,} "
      f"(20-episode mean {evaluation_scores[kept]:.1f}, the best of {len(evaluation_steps)} evaluations)"
      + ("" if evaluation_steps[kept] == history["steps"] else f", not the one after the last step ({history['steps']:,})"))
lesson.metric("cartpole_kept_step", evaluation_steps[kept], "CartPole: step of the kept (best evaluated) network")
lesson.metric("cartpole_best_eval", evaluation_scores[kept], "CartPole: best 20-episode evaluation", fmt=".1f")
lesson.metric("cartpole_last_eval", evaluation_scores[-1], "CartPole: last 20-episode evaluation", fmt=".1f")
lesson.metric("cartpole_dqn_mean_return", test_returns.mean(),
              "CartPole: DQN greedy mean return over 100 evaluation episodes", headline=True,
              fmt=".1f")
lesson.metric("cartpole_dqn_episodes_500", np.mean(test_returns == 500),
              "CartPole: DQN greedy evaluation episodes lasting 500 steps", fmt=".0%")
print(f"greedy mean return of the network kept at step {evaluation_steps[kept]:,} (of {history['steps']:,} "
      f"training steps) over 100 fresh episodes: {test_returns.mean():.1f}, "
      + ("at or above" if test_returns.mean() >= 475 else "below") + " CartPole's 'solved' threshold of 475");

# %%
fig, ax = plt.subplots(figsize=(10, 4.5))
steps_at_end = np.array(history["episode_end_steps"])
ax.plot(steps_at_end, returns, ".", color="tab:blue", alpha=0.35, label="training episodes (epsilon-greedy)")
ax.plot(steps_at_end, rl.moving_average(returns, 20), color="tab:blue", lw=2, label="mean of the last 20")
if history["evaluations"]:
    ax.plot(*zip(*history["evaluations"]), "s", color="tab:orange", ms=4, label="greedy evaluation (20 episodes)")
    ax.plot(evaluation_steps[kept], evaluation_scores[kept], "o", mfc="none", mec="black", ms=12, mew=1.5,
            label="kept network (the headline's)")
ax.axhline(random_returns.mean(), color="gray", ls=":", label="random policy")
ax.axhline(475, color="tab:green", ls="--", label="'solved': 475")
ax.set(xlabel="environment step", ylabel="return (steps the pole stayed up)", ylim=(0, 600),
       title=f"DQN on CartPole-v1 ({lesson.mode} mode)")
ax.legend(fontsize=9, loc="upper left", ncol=3)
ax.grid(alpha=0.3)
fig.tight_layout()
lesson.savefig(fig, "dqn_cartpole_learning_curve")
plt.show()

# %% [markdown]
# The curve rises: the last training episodes last longer than the first ones and than the random
# policy's (the numbers above). Whether quick mode's 10,000 steps reach 475 is another matter. Two
# runs of the same code and seed (TensorFlow, quick mode, seed 0) on this course's 2-core AMD EPYC:
# - as it is (AVX-512): the last 20 training episodes averaged 116.8; after the first greedy
#   evaluation (10.0 at step 1,792) the evaluations stayed between 68.5 and 207.3; the kept network (step 2,816,
#   20-episode evaluation 207.3) gave a greedy return of 226.3 over 100 fresh episodes, far below 475;
# - with its kernels capped at AVX2 (emulated AVX2, `bench/avx2_only.sh`): the last 20 training
#   episodes averaged 93.7; after the first greedy evaluation (10.0 at step 1,792) the evaluations
#   stayed between 55.9 and 196.8 except one, 493.2 at step 8,960, and the next and last one (step
#   9,984) fell back to 74.1. That one good network, kept, gave 496.3 over 100 fresh episodes, 84% of
#   them lasting the full 500 steps.
#
# In both runs the training returns are about 100 after 10,000 steps, and apart from the first
# evaluation (10.0) and the AVX2 run's 493.2 the evaluations span about the same range (68.5–207.3
# and 55.9–196.8): both learned about equally. What differs is that one of
# the AVX2 run's snapshots was a good network, and a short-lived one (the next evaluation was 74.1),
# which the agent kept because it keeps the best evaluated network. So 10,000 steps do
# not reliably solve CartPole, and keeping the best evaluated network decides the headline. Only
# the CPU instructions of the float32 kernels differ between the two runs: sums are rounded in
# another order, and DQN's training amplifies that into another network. Your CPU may give yet
# another number (a real laptop too); the lines "greedy evaluations ..." and "greedy mean return
# ..." printed above say yours.
#
# The headline judges the kept network, the one with the best 20-episode evaluation (circled in the
# figure), which need not be the network after the last step: the greedy evaluations (orange) jump
# up and down from one round to the next, even late. The greedy return over 100 fresh episodes is
# the number to judge it by.
#
# ### The Bellman targets, by hand and with `keras.ops`
# A minibatch from the replay buffer, with a few terminal transitions in it. By hand, one
# transition at a time, versus `rl.bellman_targets` (vectorised with `keras.ops`):

# %%
buffer = agent.buffer
terminal_rows = np.flatnonzero(buffer.terminated[: len(buffer)] == 1)[:4]
other_rows = rng.choice(np.flatnonzero(buffer.terminated[: len(buffer)] == 0), size=12, replace=False)
rows = np.concatenate([terminal_rows, other_rows])
next_q = agent.target_network.predict_on_batch(buffer.next_observations[rows])
by_hand = []
for reward, q_next, done in zip(buffer.rewards[rows], next_q, buffer.terminated[rows]):
    by_hand.append(reward if done else reward + agent.gamma * max(q_next))
vectorised = rl.bellman_targets(buffer.rewards[rows], next_q, buffer.terminated[rows], agent.gamma)
print("terminated:", buffer.terminated[rows].astype(int))
print("targets:   ", np.round(vectorised, 2))
lesson.metric("bellman_terminal_transitions", len(terminal_rows), "Bellman targets: terminal transitions in the batch")
lesson.metric("bellman_max_terminal_target_err", np.abs(vectorised[: len(terminal_rows)] - 1.0).max(),
              "Bellman targets: largest |target - 1| of a terminal transition")
lesson.metric("bellman_hand_vs_keras_max_diff", np.abs(np.array(by_hand) - vectorised).max(),
              "Bellman targets: by hand vs keras.ops, max difference",
              fmt=".1e");

# %% [markdown]
# The terminal transitions (listed first) have target exactly 1, the last reward with nothing
# after it; the others have $1 + \gamma \max_{a'} Q(s', a'; \theta^-)$, which for a pole that never
# falls would approach $1 + \gamma + \gamma^2 + \dots = 1/(1-\gamma) = 100$.
#
# ## 3. AlphaGo's idea
# Go has far too many positions for a table or an exhaustive search. AlphaGo, as described by
# Silver et al. (2016, *Nature*), is the version that beat the European champion Fan Hui 5–0 in
# October 2015; Lee Sedol lost 4–1 in March 2016 to a later, stronger version. It combines three parts:
# - a **policy network** $p(a \mid s)$ (策略网络): a convolutional network over the 19 × 19 board
#   that gives a probability to every move, first trained to predict human experts' moves, then
#   improved by reinforcement learning in games against earlier versions of itself (the search
#   took its priors from the supervised version, which made the stronger player in that role);
# - a **value network** $v(s)$ (价值网络): a convolutional network that predicts, from a position,
#   who will win, trained on positions from those self-play games;
# - **Monte Carlo tree search** (蒙特卡洛树搜索) at play time. Each simulation walks down the tree from
#   the current position choosing, at every node, the move with the largest
#   $Q(s, a) + U(s, a)$, $U(s, a) = c\, P(s, a) \sqrt{\textstyle\sum_b N(s, b)} / (1 + N(s, a))$;
#   it expands the leaf it reaches with the policy's priors $P$, evaluates the leaf, and, along the
#   path, increments each visit count $N$ by one and updates each mean value $Q$ with the leaf's value. In the 2016 paper the leaf's
#   value is half the value network's $v(s)$ and half the result of a **rollout** (快速走子) played
#   to the end of the game by a *fast rollout policy*: not random moves, but a small linear softmax
#   over local pattern features, also learned from experts' moves, that picks a move in
#   microseconds. After many simulations AlphaGo plays the most visited move.
#
# The policy narrows the search to a few moves, the value network (with the rollouts) judges a
# position without searching to the end, and the search corrects both. AlphaGo Zero (2017) then
# learned from self-play alone, with one network with a policy and a value head, and without
# rollouts. One selection step, computed:

# %%
priors, visits, q_means = np.array([0.50, 0.25, 0.15, 0.10]), np.array([12, 5, 2, 0]), np.array([0.52, 0.60, 0.40, 0.0])
scores = rl.puct_scores(priors, visits, q_means, c_puct=1.5)
chosen = int(np.argmax(scores))
fig, ax = plt.subplots(figsize=(10, 4.2))
ax.set(xlim=(-0.5, 3.5), ylim=(-0.6, 1.25), xticks=[], yticks=[])
ax.text(1.5, 1.1, f"position s   (N = {visits.sum()} simulations so far)", ha="center",
        bbox={"boxstyle": "round", "fc": "lightgray"})
for move in range(4):
    ax.plot([1.5, move], [1.02, 0.72], color="tab:green" if move == chosen else "gray", lw=3 if move == chosen else 1)
    u = scores[move] - q_means[move]
    ax.text(move, 0.5, f"move {move + 1}\nP = {priors[move]:.2f}  N = {visits[move]}\nQ = {q_means[move]:.2f}  "
            f"U = {u:.2f}\nQ + U = {scores[move]:.2f}", ha="center", va="center", fontsize=9,
            bbox={"boxstyle": "round", "fc": "honeydew" if move == chosen else "white",
                  "ec": "tab:green" if move == chosen else "gray"})
# Below the chosen move the search keeps descending (argmax Q + U at every node it has visited before)
# until it reaches a position not yet in the tree: that new leaf s_L is expanded and evaluated.
ax.plot([chosen, chosen], [0.27, -0.22], color="tab:green", lw=2, ls=":")
ax.plot([chosen, chosen], [0.12, -0.04], "o", color="tab:green", markersize=6)  # nodes visited before
ax.text(chosen + 0.08, 0.02, "descends deeper,\nargmax Q + U\nat every node", ha="left", va="center", fontsize=8)
ax.text(chosen, -0.42, "new leaf s_L: priors P from the policy network;\n"
        "value ½ v(s_L) (value network) + ½ rollout result (2016 paper)",
        ha="center", va="center", fontsize=9, bbox={"boxstyle": "round", "fc": "lightyellow"})
ax.set_title("AlphaGo's tree search: descend into argmax Q + U, evaluate, back up N and Q")
for side in ax.spines.values():
    side.set_visible(False)
lesson.savefig(fig, "alphago_tree_search")
plt.show()
lesson.metric("puct_move_chosen", chosen + 1, "PUCT example: move chosen by the search")
lesson.metric("puct_move_policy_likes", int(np.argmax(priors)) + 1, "PUCT example: move the policy network likes most");

# %% [markdown]
# The search does not follow the policy network's favourite (move 1): move 2 has held up better
# in the simulations so far (a higher $Q$) and still has an exploration bonus, so the next
# simulation goes there. Unvisited move 4 is not forgotten: its $U$ grows with every simulation
# elsewhere.
#
# > **Errata (article 004 §1.1.2)** The article defines "AI 大模型" as models "具有大规模参数" (with
# > parameters at a large scale) and then lists "强化学习模型：例如 Deep Q-Networks（DQN）、AlphaGo"
# > as one type of them. DQN and AlphaGo are landmarks of reinforcement learning, but their networks
# > are small. Build the published architectures (random weights) and count: DQN's Atari network
# > (Mnih et al., 2015: four 84 × 84 frames, three convolutions, 512 hidden units, up to 18
# > actions) and AlphaGo's policy network (Silver et al., 2016: 48 feature planes of the 19 × 19
# > board, 12 convolutional layers of 192 filters and a final 1 × 1 convolution with one bias per
# > board point).
# >
# > The same list sets "神经网络模型" (neural-network models, "such as GPT, BERT") against
# > "强化学习模型" (reinforcement-learning models, DQN and AlphaGo) as if they were two kinds of model.
# > They are not: DQN and AlphaGo are neural networks too. Reinforcement learning is a learning
# > setting (learning from rewards instead of labels), not a kind of model; the same network can be
# > trained either way, as AlphaGo's policy network was (first on experts' moves, then by self-play).

# %%
dqn_atari = keras.Sequential([
    keras.Input((84, 84, 4)),
    keras.layers.Conv2D(32, 8, strides=4, activation="relu"),
    keras.layers.Conv2D(64, 4, strides=2, activation="relu"),
    keras.layers.Conv2D(64, 3, strides=1, activation="relu"),
    keras.layers.Flatten(),
    keras.layers.Dense(512, activation="relu"),
    keras.layers.Dense(18),
])
alphago_policy = keras.Sequential(
    [keras.Input((19, 19, 48)), keras.layers.Conv2D(192, 5, padding="same", activation="relu")]
    + [keras.layers.Conv2D(192, 3, padding="same", activation="relu") for _ in range(11)]
    + [keras.layers.Conv2D(1, 1, use_bias=False), keras.layers.Flatten()]
)
alphago_parameters = alphago_policy.count_params() + 19 * 19  # + the per-point biases of the last layer
lesson.metric("dqn_atari_params", dqn_atari.count_params(), "DQN Atari network parameters", fmt=",.0f")
lesson.metric("alphago_policy_params", alphago_parameters, "AlphaGo policy network parameters", fmt=",.0f")
lesson.metric("cartpole_q_network_params", agent.q_network.count_params(),
              "this lesson's CartPole Q-network parameters", fmt=",.0f");

# %% [markdown]
# Between one and four million parameters. BERT-base, counted in lesson 12, has about 110 million,
# and GPT-3, of the GPT family article 004 lists in the same breath, 175 billion. What made DQN and
# AlphaGo hard was not their size but the learning problem: no labels, rewards that arrive late,
# data that the agent's own actions produce. They are landmark reinforcement-learning models, not
# large models.
#
# ## 4. Exercises
# **4.1 The tabular Q update.** Return the table after one Q-learning step. This attempt forgets
# something about the goal; the check says which case fails.

# %%
def q_update(q, state, action, reward, next_state, terminated, alpha, gamma):
    q = np.array(q, dtype=float)
    q[state, action] += alpha * (reward + gamma * q[next_state].max() - q[state, action])
    return q


course.exercises.check("20.q_update", q_update);

# %% [markdown]
# **4.2 Bellman targets for a batch.** `rewards` (batch,), `next_q_values` (batch, actions) from the
# target network, `terminated` (batch,) of booleans (`True` where the episode ended): return the
# targets, vectorised.

# %%
def bellman_targets(rewards, next_q_values, terminated, gamma):
    return rewards + gamma * np.max(next_q_values, axis=1)


course.exercises.check("20.bellman_targets", bellman_targets);

# %% [markdown]
# **4.3 Epsilon-greedy.** Return an action index: with probability `epsilon` one drawn uniformly
# from all actions (the greedy one included, so it is chosen with probability
# $1 - \varepsilon + \varepsilon / n$), greedy otherwise, drawing only from `rng` (a `np.random.Generator`). The check counts the choices over
# 4,000 draws. This attempt explores, but never picks the greedy action when it does:

# %%
def epsilon_greedy(q_values, epsilon, rng):
    greedy = int(np.argmax(q_values))
    if rng.random() < epsilon:
        return int(rng.choice([a for a in range(len(q_values)) if a != greedy]))
    return greedy


course.exercises.check("20.epsilon_greedy", epsilon_greedy);

# %% [markdown]
# ## Summary
# - Reinforcement learning learns from rewards, not labels. $Q^*(s, a)$ obeys the Bellman equation
#   $Q^*(s, a) = \mathbb{E}[r + \gamma \max_{a'} Q^*(s', a')]$, with no future after a terminal state
#   (but a time limit is not a terminal state).
# - With a known model, value iteration computes $Q^*$; Q-learning reaches the same policy from
#   samples, $Q \leftarrow Q + \alpha (y - Q)$, exploring epsilon-greedily.
# - DQN fits a network to the Bellman targets; a replay buffer, a target network and
#   epsilon-greedy exploration make it work. Judge it by greedy returns on fresh episodes: its
#   training curve is noisy.
# - AlphaGo = a policy network (where to look) + a value network (who is winning) + tree search
#   (which corrects both at play time). Famous, but not a "large model".
#
# **Further reading.** Article 001's reading list (§7.3, printed twice in the article) names two books:
# 《强化学习》 by Richard S. Sutton and Andrew G. Barto, which is *Reinforcement Learning: An
# Introduction* (2nd ed., MIT Press, 2018, free online at incompleteideas.net), the standard
# textbook and the one to read; and 《深度强化学习》 "by John Redmon et al.", a book we could not
# find (the name resembles Joseph Redmon, an author of the YOLO object detector, not of a
# reinforcement-learning book). Start with Sutton and Barto.
