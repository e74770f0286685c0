"""Exercises of lesson 20: the tabular Q update, Bellman targets for a batch, epsilon-greedy."""

import numpy as np

from kerasmodels.course.exercises._core import CheckFailed, exercise, expect_close, expect_true


def _q_update(q, state, action, reward, next_state, terminated, alpha, gamma):
    q = np.array(q, dtype=float)
    target = reward + (0.0 if terminated else gamma * q[next_state].max())
    q[state, action] += alpha * (target - q[state, action])
    return q


@exercise("20.q_update", "one tabular Q-learning update",
          hint="move Q(s, a) a fraction alpha of the way towards the Bellman target, which uses the best action "
               "of the next state, and nothing after a terminal state",
          formula="target = r if terminated else r + gamma * max(Q[s']); Q[s, a] += alpha * (target - Q[s, a]); "
                  "every other entry stays as it was")
def check_q_update(fn):
    q = np.array([[0.0, 0.5, 0.2], [1.0, -1.0, 0.3], [0.4, 0.9, 0.1], [2.0, 2.0, 2.0]])
    cases = {
        "non-terminal step (s=0, a=1, r=0, s'=2)": (0, 1, 0.0, 2, False, 0.1, 0.9),
        "terminal step: nothing follows the goal (s=2, a=0, r=1, s'=3)": (2, 0, 1.0, 3, True, 0.5, 0.9),
        "the next state's best action is not a (s=1, a=2, r=-1, s'=0)": (1, 2, -1.0, 0, False, 0.2, 0.99),
        "alpha = 1 replaces Q(s, a) by the target (s=3, a=1, r=0.5, s'=1)": (3, 1, 0.5, 1, False, 1.0, 0.5),
        "a self-loop (s=0, a=0, r=0, s'=0)": (0, 0, 0.0, 0, False, 0.5, 0.9),
    }
    for case, (s, a, r, s2, done, alpha, gamma) in cases.items():
        given = q.copy()
        try:
            got = fn(given, s, a, r, s2, done, alpha, gamma)
        except Exception as error:
            raise CheckFailed(case, message=f"case {case}: raised {type(error).__name__}: {error}")
        got = given if got is None else got  # an in-place update that returns nothing is fine too
        expected = _q_update(q, s, a, r, s2, done, alpha, gamma)
        expect_close(case, got, expected, rtol=1e-9, atol=1e-12)


def _bellman(rewards, next_q, terminated, gamma):
    return np.asarray(rewards) + gamma * (1.0 - np.asarray(terminated, float)) * np.max(next_q, axis=1)


@exercise("20.bellman_targets", "Bellman targets for a batch of transitions",
          hint="each target is the reward plus the discounted value of the best next action, and a terminal "
               "transition has no next value",
          formula="y = rewards + gamma * (1 - terminated) * max over actions of next_q_values (axis=1), "
                  "vectorised over the batch (terminated holds booleans: 1 - True is 0), or "
                  "np.where(terminated, rewards, rewards + gamma * next_q_values.max(axis=1))")
def check_bellman_targets(fn):
    rng = np.random.default_rng(19)
    cases = {
        "two transitions, the second terminal": ([1.0, 1.0], [[0.5, 2.0], [3.0, 1.0]], [False, True], 0.9),
        "no terminal transition": ([0.0, 1.0, -1.0], [[1.0, 2.0], [0.0, -3.0], [5.0, 4.0]], [False] * 3, 0.99),
        "every transition terminal": ([1.0, 2.0], [[10.0, 20.0], [30.0, 40.0]], [True, True], 0.99),
        "gamma = 0 (only the reward counts)": ([1.0, 0.5], [[7.0, 8.0], [9.0, 1.0]], [False, False], 0.0),
        "negative next values (max, not max of |q|)": ([0.0], [[-5.0, -1.0, -3.0]], [False], 0.5),
        "a random batch of 64 with 3 actions": (rng.normal(size=64), rng.normal(size=(64, 3)),
                                                 rng.random(64) < 0.2, 0.97),
    }
    for case, (rewards, next_q, terminated, gamma) in cases.items():
        rewards, next_q = np.asarray(rewards, float), np.asarray(next_q, float)
        terminated = np.asarray(terminated, bool)  # booleans, as the lesson says
        got = fn(rewards.copy(), next_q.copy(), terminated.copy(), gamma)
        if np.ndim(got) == 2 and np.shape(got)[1] == 1:  # a column (batch, 1) is the same answer
            got = np.ravel(got)
        expect_close(case, got, _bellman(rewards, next_q, terminated, gamma), rtol=1e-5, atol=1e-6)


@exercise("20.epsilon_greedy", "epsilon-greedy action choice",
          hint="with probability epsilon explore: every action of the environment equally likely; otherwise "
               "exploit the best action; use the rng you are given",
          formula="if rng.random() < epsilon: return int(rng.integers(len(q_values))) else: return "
                  "int(np.argmax(q_values)); the greedy action then has probability 1 - epsilon + epsilon / n")
def check_epsilon_greedy(fn):
    draws = 4000
    for q_values in ([0.1, 0.7, 0.3], [-2.0, -1.0], [5.0, 1.0, 2.0, 0.0]):
        rng = np.random.default_rng(0)
        picks = {fn(np.array(q_values), 0.0, rng) for _ in range(50)}
        expect_true(f"epsilon = 0, q = {q_values}", picks == {int(np.argmax(q_values))},
                    f"with epsilon = 0 the answer must always be argmax = {int(np.argmax(q_values))}, got {sorted(picks)}")
    for epsilon, q_values in ((1.0, [0.0, 3.0, 1.0, 2.0]), (0.5, [0.0, 3.0, 1.0, 2.0]), (0.2, [1.0, 0.0])):
        rng = np.random.default_rng(1)
        choices = [fn(np.array(q_values), epsilon, rng) for _ in range(draws)]
        n = len(q_values)
        case = f"epsilon = {epsilon}, q = {q_values}, {draws} draws"
        expect_true(case, all(isinstance(c, (int, np.integer)) and 0 <= c < n for c in choices),
                    f"every answer must be an action index in 0..{n - 1}")
        shares = np.bincount(np.asarray(choices, int), minlength=n) / draws
        greedy = int(np.argmax(q_values))
        expected = np.full(n, epsilon / n)
        expected[greedy] += 1 - epsilon
        worst = int(np.argmax(np.abs(shares - expected)))
        expect_true(case, np.abs(shares - expected).max() < 0.03,
                    f"action {worst} was chosen {shares[worst]:.1%} of the time, expected {expected[worst]:.1%} "
                    f"(the greedy action is {greedy})")
    expect_true("the answer uses the rng it is given",
                len({fn(np.array([0.0, 0.0, 1.0]), 1.0, np.random.default_rng(7)) for _ in range(5)}) == 1,
                "the same seed must give the same choice: draw from `rng`, not from np.random or random")
