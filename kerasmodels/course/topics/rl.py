"""Reinforcement learning (强化学习): tabular Q-learning and a deep Q-network (DQN) in Keras.

An agent acts in an environment, receives rewards and learns the action values
Q(s, a): the return it can expect after taking action a in state s and acting
well afterwards. Both learners here move Q(s, a) towards the Bellman target

    y = r + gamma * max_a' Q(s', a')      (y = r when s' is terminal)

- `QLearning` keeps Q in a table, one row per state (small, discrete worlds such
  as gymnasium's FrozenLake); `value_iteration` computes the exact Q* from a
  known model for comparison.
- `DQNAgent` replaces the table by a Keras network (`q_network`) and adds the
  three pieces that make that stable: a replay buffer (`ReplayBuffer`), a
  target network that is copied from the online one now and then, and
  epsilon-greedy exploration (`epsilon_greedy`).

Backends: everything uses NumPy, `keras.ops` and `Model.fit`/`predict_on_batch`,
so it runs on TensorFlow, JAX and PyTorch. Per-step Python overhead dominates on
a CPU, so the agent acts through `predict_on_batch` (a compiled function, about
ten times faster than an eager `model(x)` call for one observation) and trains
in rounds: one `fit` call over many minibatches whose targets come from the
frozen target network in a single batched prediction.

Environments come from `gymnasium` (imported only where needed), whose
classic-control and toy-text worlds need no downloads.

Example:

```python
import numpy as np
from kerasmodels.course.topics import rl

targets = rl.bellman_targets(rewards=[1.0, 1.0], next_q_values=[[0.5, 2.0], [3.0, 1.0]],
                             terminated=[False, True], gamma=0.9)
# [1 + 0.9 * 2.0, 1.0] = [2.8, 1.0]
buffer = rl.ReplayBuffer(capacity=100, observation_shape=(4,), seed=0)
for step in range(10):
    buffer.add(np.full(4, step), step % 2, 1.0, np.full(4, step + 1), terminated=step == 9)
batch = buffer.sample(5)  # a dict of arrays: observations, actions, rewards, next_observations, terminated
```
"""

import time

import keras
import numpy as np
from keras import ops

# --------------------------------------------------------------------------- shared pieces


def epsilon_greedy(q_values, epsilon, rng):
    """With probability epsilon a uniformly random action (any of them), otherwise the greedy one.

    Args:
        q_values: 1-D array of the action values of one state.
        epsilon: the exploration probability in [0, 1].
        rng: a `np.random.Generator`.

    Returns:
        The index of the chosen action (an int). The greedy action is chosen with
        probability 1 - epsilon + epsilon / num_actions.
    """
    q_values = np.asarray(q_values)
    if rng.random() < epsilon:
        return int(rng.integers(len(q_values)))
    return int(np.argmax(q_values))


def linear_epsilon(step, start=1.0, end=0.05, decay_steps=10_000):
    """Epsilon decayed linearly from `start` to `end` over `decay_steps` steps, then held at `end`."""
    fraction = min(max(step / max(decay_steps, 1), 0.0), 1.0)
    return start + fraction * (end - start)


def bellman_targets(rewards, next_q_values, terminated, gamma):
    """Bellman targets y = r + gamma * (1 - terminated) * max_a' Q(s', a') for a batch, with `keras.ops`.

    Terminated means the episode ended in a terminal state (the pole fell, the
    agent reached the goal): nothing follows, so nothing is bootstrapped. An
    episode cut off by a time limit is *truncated*, not terminated: its next
    state still has a value, so pass terminated=False for it.

    Args:
        rewards: (batch,) rewards.
        next_q_values: (batch, num_actions) Q-values of the next states (from the target network).
        terminated: (batch,) booleans or 0/1.
        gamma: the discount factor.

    Returns:
        A float32 NumPy array of shape (batch,).
    """
    rewards = ops.convert_to_tensor(np.asarray(rewards, dtype="float32"))
    next_q_values = ops.convert_to_tensor(np.asarray(next_q_values, dtype="float32"))
    not_terminal = 1.0 - ops.convert_to_tensor(np.asarray(terminated, dtype="float32"))
    targets = rewards + gamma * not_terminal * ops.max(next_q_values, axis=-1)
    return ops.convert_to_numpy(targets).astype("float32")


def moving_average(values, window):
    """The mean of the last `window` values at every position (shorter windows at the start)."""
    values = np.asarray(values, dtype=float)
    sums = np.cumsum(np.insert(values, 0, 0.0))
    starts = np.maximum(np.arange(1, len(values) + 1) - window, 0)
    return (sums[1:] - sums[starts]) / (np.arange(1, len(values) + 1) - starts)


# --------------------------------------------------------------------------- tabular Q-learning


class QLearning:
    """Tabular Q-learning: Q(s, a) += learning_rate * (target - Q(s, a)).

    Args:
        num_states: number of discrete states.
        num_actions: number of discrete actions.
        learning_rate: the step size alpha of the update.
        gamma: the discount factor.
        seed: seed of the exploration.

    Example:

    ```python
    agent = QLearning(num_states=3, num_actions=2, learning_rate=0.5, gamma=0.9)
    agent.update(state=0, action=1, reward=1.0, next_state=2, terminated=True)
    agent.q[0, 1]  # 0 + 0.5 * (1.0 - 0) = 0.5
    ```
    """

    def __init__(self, num_states, num_actions, learning_rate=0.1, gamma=0.99, seed=0):
        self.q = np.zeros((num_states, num_actions))
        self.learning_rate = learning_rate
        self.gamma = gamma
        self.rng = np.random.default_rng(seed)

    def act(self, state, epsilon):
        """An epsilon-greedy action; ties between equal values are broken at random."""
        row = self.q[state]
        if self.rng.random() < epsilon:
            return int(self.rng.integers(len(row)))
        best = np.flatnonzero(row == row.max())
        return int(self.rng.choice(best))

    def update(self, state, action, reward, next_state, terminated):
        """One Q-learning step; returns the temporal-difference error target - Q(s, a)."""
        target = reward + (0.0 if terminated else self.gamma * self.q[next_state].max())
        error = target - self.q[state, action]
        self.q[state, action] += self.learning_rate * error
        return error

    def greedy_policy(self):
        """The greedy action of every state, argmax_a Q(s, a)."""
        return np.argmax(self.q, axis=1)


def train_q_learning(agent, env, episodes, epsilon_start=1.0, epsilon_end=0.05, decay_episodes=None, seed=0):
    """Run `episodes` episodes of epsilon-greedy Q-learning in a discrete gymnasium environment.

    Args:
        agent: a `QLearning`.
        env: a gymnasium environment with discrete states and actions.
        episodes: how many episodes to play.
        epsilon_start, epsilon_end: exploration at the start and at the end of the decay.
        decay_episodes: episodes over which epsilon decays linearly (default: 80% of `episodes`).
        seed: seed of the first reset.

    Returns:
        The return of every episode, an array of length `episodes`.
    """
    decay_episodes = int(0.8 * episodes) if decay_episodes is None else decay_episodes
    returns = np.zeros(episodes)
    state, _ = env.reset(seed=seed)
    for episode in range(episodes):
        if episode:
            state, _ = env.reset()
        epsilon = linear_epsilon(episode, epsilon_start, epsilon_end, decay_episodes)
        done = False
        while not done:
            action = agent.act(state, epsilon)
            next_state, reward, terminated, truncated, _ = env.step(action)
            agent.update(state, action, reward, next_state, terminated)
            returns[episode] += reward
            state, done = next_state, terminated or truncated
    return returns


def value_iteration(transitions, num_states, num_actions, gamma=0.99, tolerance=1e-10):
    """The optimal action values Q* of a known model, by repeating the Bellman optimality update.

    Args:
        transitions: `transitions[s][a]` is a list of (probability, next_state, reward, terminated),
            the format of gymnasium's toy-text environments (`env.unwrapped.P`).
        num_states, num_actions: sizes of the model.
        gamma: the discount factor.
        tolerance: stop when no value changes by more than this.

    Returns:
        Q*, an array of shape (num_states, num_actions).
    """
    q = np.zeros((num_states, num_actions))
    while True:
        values = q.max(axis=1)
        new_q = np.zeros_like(q)
        for s in range(num_states):
            for a in range(num_actions):
                new_q[s, a] = sum(p * (r + (0.0 if done else gamma * values[s2])) for p, s2, r, done in transitions[s][a])
        if np.abs(new_q - q).max() < tolerance:
            return new_q
        q = new_q


def run_policy(env, policy, episodes, seed=0):
    """Returns of `episodes` episodes of a fixed policy in a discrete environment.

    Args:
        env: a gymnasium environment with discrete states.
        policy: a function state -> action.
        episodes: how many episodes.
        seed: seed of the first reset (later resets continue its random stream).
    """
    returns = np.zeros(episodes)
    state, _ = env.reset(seed=seed)
    for episode in range(episodes):
        if episode:
            state, _ = env.reset()
        done = False
        while not done:
            state, reward, terminated, truncated, _ = env.step(policy(state))
            returns[episode] += reward
            done = terminated or truncated
    return returns


# --------------------------------------------------------------------------- deep Q-network


def q_network(observation_dim, num_actions, hidden_units=(256, 256), name="q_network"):
    """An MLP from an observation to one Q-value per action (no activation on the output).

    Example:

    ```python
    model = q_network(observation_dim=4, num_actions=2, hidden_units=(32, 32))
    model.predict_on_batch(np.zeros((1, 4), "float32")).shape  # (1, 2)
    ```
    """
    observations = keras.Input((observation_dim,), name="observation")
    h = observations
    for units in hidden_units:
        h = keras.layers.Dense(units, activation="relu")(h)
    q_values = keras.layers.Dense(num_actions, name="q_values")(h)
    return keras.Model(observations, q_values, name=name)


class ReplayBuffer:
    """A fixed-size memory of transitions (s, a, r, s', terminated); sampling breaks their correlation.

    Consecutive steps of one episode are nearly identical; training on them in
    order would fit the network to the last few seconds of play. Uniform
    samples from a large memory are closer to the independent examples that
    gradient descent assumes, and every transition is reused many times.
    The oldest transitions are overwritten when the buffer is full.

    Args:
        capacity: the most transitions kept.
        observation_shape: shape of one observation.
        seed: seed of the sampling.
    """

    def __init__(self, capacity, observation_shape, seed=0):
        self.capacity = int(capacity)
        self.observations = np.zeros((self.capacity, *observation_shape), dtype="float32")
        self.next_observations = np.zeros_like(self.observations)
        self.actions = np.zeros(self.capacity, dtype="int32")
        self.rewards = np.zeros(self.capacity, dtype="float32")
        self.terminated = np.zeros(self.capacity, dtype="float32")
        self.size = 0
        self._next = 0
        self.rng = np.random.default_rng(seed)

    def __len__(self):
        return self.size

    def add(self, observation, action, reward, next_observation, terminated):
        i = self._next
        self.observations[i], self.actions[i], self.rewards[i] = observation, action, reward
        self.next_observations[i], self.terminated[i] = next_observation, float(terminated)
        self._next = (i + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def sample(self, batch_size):
        """A dict of arrays of `batch_size` transitions drawn uniformly with replacement."""
        if self.size == 0:
            raise ValueError("ReplayBuffer.sample: the buffer is empty; add transitions first")
        i = self.rng.integers(self.size, size=batch_size)
        return {"observations": self.observations[i], "actions": self.actions[i], "rewards": self.rewards[i],
                "next_observations": self.next_observations[i], "terminated": self.terminated[i]}


class DQNAgent:
    """Deep Q-learning (Mnih et al., 2015): a Keras Q-network, a target network, a replay buffer.

    Training alternates two phases. Collect: act epsilon-greedily for
    `train_every` steps, storing transitions. Learn: copy the online network
    into the target network, then take `gradient_steps` minibatch steps of
    the Huber loss between Q(s, a) and the Bellman target computed with the
    frozen target network. Because the target network does not change during a
    learning phase, all targets of the phase come from one batched prediction and
    the steps run in one `fit` call.

    Args:
        network: a Keras model observation -> Q-values (see `q_network`); it is trained in place.
        gamma: the discount factor.
        learning_rate: Adam's learning rate.
        batch_size: transitions per gradient step.
        buffer_size: capacity of the replay buffer.
        seed: seed of exploration and sampling.

    Example:

    ```python
    agent = DQNAgent(q_network(4, 2, hidden_units=(16,)), batch_size=8, buffer_size=100)
    for _ in range(16):
        agent.buffer.add(np.ones(4), 1, 1.0, np.ones(4), terminated=False)
    agent.learn_round(gradient_steps=2)  # the mean Huber loss of the round
    ```
    """

    def __init__(self, network, gamma=0.99, learning_rate=1e-3, batch_size=64, buffer_size=100_000, seed=0):
        self.q_network = network
        self.num_actions = int(network.output_shape[-1])
        self.gamma = gamma
        self.batch_size = batch_size
        self.rng = np.random.default_rng(seed)
        self.buffer = ReplayBuffer(buffer_size, network.input_shape[1:], seed=seed + 1)
        self.target_network = keras.models.clone_model(network)
        self.target_network.set_weights(network.get_weights())
        # Trains Q(s, a) of the taken action only: the network's row, masked by a one-hot of a.
        observation = keras.Input(network.input_shape[1:], name="observation")
        action = keras.Input((), dtype="int32", name="action")
        q_taken = ops.sum(network(observation) * ops.one_hot(action, self.num_actions), axis=-1)
        self.trainer = keras.Model([observation, action], q_taken, name="q_of_taken_action")
        self.trainer.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=keras.losses.Huber())

    def q_values(self, observations):
        """Q-values of a batch of observations, as a NumPy array (batch, num_actions)."""
        return np.asarray(self.q_network.predict_on_batch(np.asarray(observations, dtype="float32")))

    def act(self, observation, epsilon):
        """An epsilon-greedy action; the network is only asked when the agent exploits."""
        if self.rng.random() < epsilon:
            return int(self.rng.integers(self.num_actions))
        return int(np.argmax(self.q_values(observation[None])[0]))

    def sync_target(self):
        """Copy the online network's weights into the target network."""
        self.target_network.set_weights(self.q_network.get_weights())

    def learn_round(self, gradient_steps):
        """Sync the target network, then take `gradient_steps` minibatch steps; returns the mean loss."""
        self.sync_target()
        batch = self.buffer.sample(gradient_steps * self.batch_size)
        next_q = self.target_network.predict_on_batch(batch["next_observations"])
        targets = bellman_targets(batch["rewards"], next_q, batch["terminated"], self.gamma)
        history = self.trainer.fit([batch["observations"], batch["actions"]], targets, batch_size=self.batch_size,
                                   epochs=1, shuffle=False, verbose=0)
        return float(history.history["loss"][-1])

    def train(self, env, total_steps, learning_starts=1000, train_every=256, gradient_steps=128,
              epsilon_start=1.0, epsilon_end=0.04, exploration_steps=10_000, evaluate_every=None,
              evaluate=None, stop_at=None, seed=0, log_every=None):
        """Play `total_steps` environment steps, learning as it goes.

        Args:
            env: a gymnasium environment with a vector observation and discrete actions.
            total_steps: environment steps to play (fewer if `stop_at` is reached).
            learning_starts: steps of play before the first learning round.
            train_every: steps between learning rounds.
            gradient_steps: minibatch steps per learning round.
            epsilon_start, epsilon_end, exploration_steps: the linear exploration schedule.
            evaluate_every: learning rounds between evaluations (None: no evaluation).
            evaluate: a function agent -> mean greedy return, called every `evaluate_every` rounds;
                the weights with the best evaluation are kept and restored at the end.
            stop_at: stop early once an evaluation reaches this mean return.
            seed: seed of the first reset.
            log_every: print progress every this many seconds (None: silent).

        Returns:
            A dict with "episode_returns", "episode_end_steps", "losses", "evaluations"
            (list of (step, mean return)), "steps" (played) and "seconds".
        """
        started = time.perf_counter()
        history = {"episode_returns": [], "episode_end_steps": [], "losses": [], "evaluations": []}
        best, best_weights, rounds, last_log = -np.inf, None, 0, started
        observation, _ = env.reset(seed=seed)
        episode_return = 0.0
        for step in range(1, total_steps + 1):
            epsilon = linear_epsilon(step, epsilon_start, epsilon_end, exploration_steps)
            action = self.act(observation, epsilon)
            next_observation, reward, terminated, truncated, _ = env.step(action)
            # A time limit (truncated) is not a terminal state: the target still bootstraps there.
            self.buffer.add(observation, action, reward, next_observation, terminated)
            episode_return += reward
            observation = next_observation
            if terminated or truncated:
                history["episode_returns"].append(episode_return)
                history["episode_end_steps"].append(step)
                observation, _ = env.reset()
                episode_return = 0.0
            if step >= learning_starts and step % train_every == 0:
                history["losses"].append(self.learn_round(gradient_steps))
                rounds += 1
                if evaluate is not None and evaluate_every and rounds % evaluate_every == 0:
                    score = float(evaluate(self))
                    history["evaluations"].append((step, score))
                    if score >= best:
                        best, best_weights = score, self.q_network.get_weights()
                    if stop_at is not None and score >= stop_at:
                        break
            if log_every and time.perf_counter() - last_log > log_every:
                last_log = time.perf_counter()
                recent = np.mean(history["episode_returns"][-20:]) if history["episode_returns"] else float("nan")
                print(f"step {step}: epsilon {epsilon:.2f}, mean return of the last 20 episodes {recent:.1f}, "
                      f"best evaluation {best:.1f}")
        if best_weights is not None:
            self.q_network.set_weights(best_weights)
        history["steps"] = step
        history["seconds"] = time.perf_counter() - started
        return history


def evaluate_episodes(q_values_fn, env_id, episodes, seed=0, **env_kwargs):
    """Returns of `episodes` greedy episodes played side by side (one batched Q-value call per step).

    Args:
        q_values_fn: a function (n, observation_dim) -> (n, num_actions), e.g. `agent.q_values`;
            None plays uniformly random actions instead.
        env_id: a gymnasium id, e.g. "CartPole-v1".
        episodes: how many episodes (one environment each).
        seed: episode i is reset with seed + i.
        env_kwargs: passed to `gymnasium.make`.

    Returns:
        An array of `episodes` returns.
    """
    import gymnasium

    envs = [gymnasium.make(env_id, **env_kwargs) for _ in range(episodes)]
    observations = np.stack([env.reset(seed=seed + i)[0] for i, env in enumerate(envs)]).astype("float32")
    rng = np.random.default_rng(seed)
    returns = np.zeros(episodes)
    running = np.ones(episodes, dtype=bool)
    while running.any():
        # All observations every step, finished episodes included: one input shape, so JAX compiles once.
        if q_values_fn is None:
            actions = rng.integers(envs[0].action_space.n, size=episodes)
        else:
            actions = np.argmax(q_values_fn(observations), axis=1)
        for i in np.flatnonzero(running):
            action = actions[i]
            observation, reward, terminated, truncated, _ = envs[i].step(int(action))
            observations[i] = observation
            returns[i] += reward
            running[i] = not (terminated or truncated)
    for env in envs:
        env.close()
    return returns


# --------------------------------------------------------------------------- AlphaGo's tree search


def puct_scores(priors, visits, mean_values, c_puct=1.0):
    """AlphaGo's selection score Q(s, a) + U(s, a) for the moves of one node of the search tree.

    U(s, a) = c_puct * P(s, a) * sqrt(sum_b N(s, b)) / (1 + N(s, a)): the policy
    network's prior P sends the search to promising moves first, and the bonus
    shrinks as a move's visit count N grows, so that its mean value Q (from the
    value network and rollouts below it) takes over.

    Args:
        priors: P(s, a), the policy network's probabilities of the moves.
        visits: N(s, a), how often the search went through each move.
        mean_values: Q(s, a), the mean evaluation below each move (0 if never visited).
        c_puct: the weight of exploration.

    Returns:
        An array of scores; the search descends into the move with the highest.

    Example:

    ```python
    puct_scores(priors=[0.7, 0.3], visits=[1, 1], mean_values=[0.5, 0.5])  # equal values: the prior decides
    ```
    """
    priors, visits, mean_values = (np.asarray(v, dtype=float) for v in (priors, visits, mean_values))
    exploration = c_puct * priors * np.sqrt(visits.sum()) / (1.0 + visits)
    return mean_values + exploration
