"""Solutions to lesson 20's exercises, and plausible wrong answers the checks must reject."""

import numpy as np


def q_update(q, state, action, reward, next_state, terminated, alpha, gamma):
    q = np.array(q, dtype=float)
    target = reward if terminated else reward + gamma * q[next_state].max()
    q[state, action] += alpha * (target - q[state, action])
    return q


def bellman_targets(rewards, next_q_values, terminated, gamma):
    not_terminal = 1.0 - np.asarray(terminated, dtype=float)
    return np.asarray(rewards) + gamma * not_terminal * np.max(next_q_values, axis=1)


def epsilon_greedy(q_values, epsilon, rng):
    if rng.random() < epsilon:
        return int(rng.integers(len(q_values)))
    return int(np.argmax(q_values))


def q_update_bootstrapping_the_goal(q, state, action, reward, next_state, terminated, alpha, gamma):
    q = np.array(q, dtype=float)
    q[state, action] += alpha * (reward + gamma * q[next_state].max() - q[state, action])
    return q


def targets_without_the_terminal_mask(rewards, next_q_values, terminated, gamma):
    return np.asarray(rewards) + gamma * np.max(next_q_values, axis=1)


def explores_only_the_other_actions(q_values, epsilon, rng):
    greedy = int(np.argmax(q_values))
    if rng.random() < epsilon:
        others = [a for a in range(len(q_values)) if a != greedy]
        return int(rng.choice(others))
    return greedy


SOLUTIONS = {
    "20.q_update": q_update,
    "20.bellman_targets": bellman_targets,
    "20.epsilon_greedy": epsilon_greedy,
}

WRONG_ANSWERS = {
    "20.q_update": q_update_bootstrapping_the_goal,
    "20.bellman_targets": targets_without_the_terminal_mask,
    "20.epsilon_greedy": explores_only_the_other_actions,
}
