# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
#   kerasmodels:
#     title: Sequences and attention
#     articles: ["004 §2.3", "001 §7.3", "003 §7.3"]
#     quick_seconds: 65
#     full_seconds: 160
#     description: Word embeddings from a small skip-gram, RNN/LSTM/GRU on a memory task, and scaled dot-product attention by hand matched against keras.layers.MultiHeadAttention.
# ---

# %% [markdown]
# # 10 · Sequences and attention
#
# **Mirrors** ([the five source articles](https://github.com/kerasmodels/kerasmodels/blob/main/docs/sources.md)): article 004 §2.3 (word embeddings: Word2Vec, GloVe; RNN, LSTM, GRU; attention),
# article 001 §7.3 and article 003 §7.3 (which recommend *Attention Is All You Need*, the
# Transformer's paper; article 003 credits it with self-attention, 自注意力, a claim lesson 11 corrects).
#
# **After this lesson you can** explain what an embedding is and train one (skip-gram), write the
# step of a recurrent network by hand and count an LSTM's parameters, and compute
# $\mathrm{softmax}(QK^\top/\sqrt{d_k})\,V$ in NumPy so that it matches Keras's
# `MultiHeadAttention` to float precision.
#
# **Prerequisites:** lessons 03 (backpropagation) and 06 (a first Keras model).
#
# **Run time:** quick mode measured 64 s of CPU time on a 2-core CPU (one run, TensorFlow; its wall
# time, 6 minutes on a machine shared with other jobs, depends on the load). Full mode (8000
# sequences, 15 epochs) was not re-measured; expect about 2.5 times as long.

# %%
import re
import time
from collections import Counter

import keras
import matplotlib.pyplot as plt
import numpy as np

import kerasmodels as km
from kerasmodels import course
from kerasmodels.course.scratch import attention

lesson = course.setup_lesson(10)
rng = np.random.default_rng(lesson.seed)

# %% [markdown]
# ## 1. Words as vectors: embeddings (词嵌入)
# A network cannot multiply words. We number the words of a vocabulary $0 \dots V-1$ and give
# each word a learned row of a $V \times d$ matrix $E$: its **embedding**. Looking a word up is the
# same as multiplying its one-hot vector by $E$, which is what `keras.layers.Embedding` does
# (without building the one-hot vector).

# %%
texts, _ = km.data.load("reviews", split="train")
sentences = [re.findall(r"[a-z']+", text.lower()) for text in texts]
counts = Counter(word for sentence in sentences for word in sentence)
vocabulary = [word for word, count in counts.most_common() if count >= 3]
index = {word: i for i, word in enumerate(vocabulary)}
print(f"{len(texts)} reviews, {sum(counts.values())} words, vocabulary of {len(vocabulary)} words seen 3 times or more")
lesson.metric("reviews_corpus_words", sum(counts.values()), "reviews corpus: words", fmt=".0f")

embedding = keras.layers.Embedding(len(vocabulary), 4)
ids = np.array([index[w] for w in ["the", "food", "was", "great"]])
looked_up = keras.ops.convert_to_numpy(embedding(ids))
one_hot = np.eye(len(vocabulary))[ids]
lesson.metric("embedding_vs_one_hot_max_diff", np.abs(looked_up - one_hot @ embedding.embeddings.numpy()).max(),
              "embedding lookup vs one-hot @ E: max difference", fmt=".1e");

# %% [markdown]
# ### Skip-gram (Word2Vec)
# Word2Vec's **skip-gram** learns $E$ from raw text with no labels: words that appear in the same
# contexts should get similar vectors. For every word (the *centre*) and every word within a
# window around it (a *context*), the model should answer "yes, these co-occur"; for $k$ random
# *negative* words it should answer "no". With a second table $C$ of context vectors,
#
# $$P(\text{co-occur} \mid w, c) = \sigma(E_w \cdot C_c), \qquad
#   L = -\log\sigma(E_w\cdot C_c) - \sum_{j=1}^{k} \log\sigma(-E_w\cdot C_{n_j}).$$
#
# (GloVe reaches similar vectors differently: it fits $E_w\cdot C_c$ to the logarithm of the
# co-occurrence *counts* of the whole corpus.) Our corpus is tiny (about 19 000 words, printed
# above; Word2Vec was trained on billions), so expect topic neighbours rather than synonyms.

# %%
WINDOW, NEGATIVES = 4, 4
total = sum(counts.values())
# Word2Vec's subsampling: drop very frequent words ("the", "and") at random, keep rare ones.
keep = {w: min(1.0, (np.sqrt(counts[w] / total / 1e-3) + 1) * 1e-3 * total / counts[w]) for w in vocabulary}
centres, contexts = [], []
for sentence in sentences:
    word_ids = [index[w] for w in sentence if w in index and rng.random() < keep[w]]
    for i, centre in enumerate(word_ids):
        for j in range(max(0, i - WINDOW), min(len(word_ids), i + WINDOW + 1)):
            if j != i:
                centres.append(centre)
                contexts.append(word_ids[j])
centres, contexts = np.array(centres), np.array(contexts)
# Negatives drawn from the unigram distribution to the power 3/4, as in the Word2Vec paper.
noise = np.array([counts[w] for w in vocabulary], dtype=float) ** 0.75
negatives = rng.choice(len(vocabulary), size=(len(centres), NEGATIVES), p=noise / noise.sum())
pair_centres = np.repeat(centres, NEGATIVES + 1)
pair_words = np.concatenate([contexts[:, None], negatives], axis=1).ravel()
pair_labels = np.tile([1.0] + [0.0] * NEGATIVES, len(centres)).astype("float32")
print(f"{len(centres)} (centre, context) pairs, {len(pair_labels)} training pairs with negatives")

centre_in, word_in = keras.Input((), dtype="int32"), keras.Input((), dtype="int32")
word_vectors = keras.layers.Embedding(len(vocabulary), 16, name="word_vectors")
context_vectors = keras.layers.Embedding(len(vocabulary), 16, name="context_vectors")
logit = keras.ops.sum(word_vectors(centre_in) * context_vectors(word_in), axis=-1)
skipgram = keras.Model([centre_in, word_in], logit)
skipgram.compile(optimizer=keras.optimizers.Adam(0.02), loss=keras.losses.BinaryCrossentropy(from_logits=True))
history = skipgram.fit([pair_centres, pair_words], pair_labels, batch_size=2048,
                       epochs=lesson.pick(6, 20), verbose=0)
print("skip-gram loss per epoch:", np.round(history.history["loss"], 3))
lesson.metric("skip_gram_last_loss_change", np.diff(history.history["loss"])[-1],
              "skip-gram: loss, last epoch minus the one before", fmt=".4f")

# %% [markdown]
# Nearest neighbours by **cosine similarity** $\cos(a, b) = a\cdot b / (\lVert a\rVert\,\lVert b\rVert)$:

# %%
vectors = word_vectors.embeddings.numpy()
unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def neighbours(word, k=5):
    similarity = unit @ unit[index[word]]
    return [(vocabulary[i], float(similarity[i])) for i in np.argsort(-similarity)[1 : k + 1]]


for word in ["film", "battery", "staff", "room", "great"]:
    print(f"{word:8s} ->", ", ".join(f"{w} ({s:.2f})" for w, s in neighbours(word)))

# Does the space separate praise from blame? Compare "great" with a few words of each.
praise = [w for w in ["good", "excellent", "amazing", "perfect", "love", "best", "wonderful"] if w in index]
blame = [w for w in ["bad", "terrible", "awful", "poor", "worst", "horrible", "disappointing"] if w in index]
to_praise = float(np.mean([unit[index["great"]] @ unit[index[w]] for w in praise]))
to_blame = float(np.mean([unit[index["great"]] @ unit[index[w]] for w in blame]))
praise_neighbours = sum(w in praise for w, _ in neighbours("great"))
# The yardstick: ordinary frequent words that carry no sentiment at all.
ordinary = [w for w in ["the", "and", "was", "it", "we", "food", "place", "time"] if w in index]
to_ordinary = float(np.mean([unit[index["great"]] @ unit[index[w]] for w in ordinary]))
common_direction = float(np.linalg.norm(unit.mean(axis=0)))
print(f"'great': mean cosine to {len(praise)} praise words {to_praise:.2f}, to {len(blame)} blame words {to_blame:.2f}, "
      f"to {len(ordinary)} ordinary words ({', '.join(ordinary)}) {to_ordinary:.2f}; "
      f"praise words among its 5 neighbours: {praise_neighbours}")
print(f"length of the mean unit vector: {common_direction:.2f} (near 0 if the directions were spread evenly); "
      f"'great' occurs {counts['great']} times, the blame words "
      f"{min(counts[w] for w in blame)} to {max(counts[w] for w in blame)} times each")
lesson.metric("cos_great_praise_mean", to_praise, "cosine of 'great' to praise words, mean", fmt=".2f")
lesson.metric("cos_great_blame_mean", to_blame, "cosine of 'great' to blame words, mean", fmt=".2f")
lesson.metric("cos_great_frequent_mean", to_ordinary, "cosine of 'great' to ordinary frequent words, mean", fmt=".2f")
lesson.metric("mean_unit_word_vector_length", common_direction, "length of the mean unit word vector", fmt=".2f")
lesson.metric("blame_words_max_occurrences", max(counts[w] for w in blame), "blame words: most occurrences of any", fmt=".0f")
lesson.metric("praise_among_5_neighbours", praise_neighbours, "praise words among the 5 neighbours of 'great'");

# %% [markdown]
# Look at "great": none of the listed praise words is among its five nearest neighbours, and its
# vector shows no sign of sentiment. Its mean cosine to words of praise ("good", "excellent", ...)
# is lower in this run than to words of blame ("bad", "terrible", ...) or to ordinary words such as
# "the" and "was" (0.34 against 0.43 for blame and 0.43 for ordinary words in quick mode on
# TensorFlow; the three means are printed above), and the blame words are no nearer to it, by more
# than 0.01, than the ordinary ones. The vectors share one common direction (the mean unit vector is far
# from length 0), so
# every cosine is high and a high cosine says little. The cause is most likely the data: about
# 19 000 words, and each blame word occurs only a handful of times (the counts are printed), too few
# examples to place it. This run does not rule out two other causes: the training is short (6 epochs
# in quick mode, and the loss printed above is still falling at the last one) and the model is small
# (16 dimensions per word). (On large corpora skip-gram vectors are reported to put antonyms such as
# "good" and "bad" close together, because they fill the same slots, "the film was ___"; this corpus
# is too small to show even that.) This probe measured one word, "great"; it does not show whether
# other words, such as the blame words among themselves, group by sentiment. Even so, a space in
# which a plainly positive word such as "great" sits no nearer to praise than to blame is a poor
# base for a sentiment classifier, one reason lesson 12 fine-tunes a pretrained model on labelled
# reviews.
#
# A picture of the space: the 40 most frequent words left after removing a list of function words
# ("the", "it's", "one", ...), projected on the two main directions of the embedding matrix
# (principal components, via the SVD).

# %%
stop = {"the", "and", "a", "was", "is", "i", "to", "it", "in", "of", "but", "that", "for", "we", "at",
        "my", "on", "so", "with", "us", "this", "are", "were", "they", "had", "our", "all", "about",
        "could", "even", "which", "from", "up", "have", "as", "out", "than", "be", "did", "you", "an",
        "has", "when", "after", "such", "its", "their", "there", "me", "what", "by", "no", "not",
        "i've", "it's", "i'm", "don't", "didn't", "wasn't", "isn't", "won't", "can't", "there's", "one",
        "every", "very", "just", "would", "will", "also", "again", "only", "more", "or", "if", "do", "been",
        "really", "much", "some", "them", "he", "she", "his", "her", "your", "too", "can", "because",
        "then", "into", "over", "how", "who", "any", "other", "these", "those", "both", "each", "most",
        "still", "got", "get", "go", "went", "made", "make", "way", "back", "two", "first", "here", "well"}
shown = [w for w in vocabulary if w not in stop][:40]
centred = vectors[[index[w] for w in shown]] - vectors[[index[w] for w in shown]].mean(axis=0)
_, _, components = np.linalg.svd(centred, full_matrices=False)
xy = centred @ components[:2].T
fig, ax = plt.subplots(figsize=(10, 7))
ax.scatter(xy[:, 0], xy[:, 1], s=12, color="tab:blue")
# Nudge labels that would overlap: a label moves up, one line at a time, until no placed label
# is within one line height and about a word's width of it.
line, width = 0.045 * np.ptp(xy[:, 1]), 0.12 * np.ptp(xy[:, 0])
placed = []
for (x, y), word in sorted(zip(xy, shown), key=lambda item: item[0][1]):
    label_y = y
    while any(abs(x - px) < width and abs(label_y - py) < line for px, py in placed):
        label_y += line
    placed.append((x, label_y))
    ax.annotate(word, (x, y), xytext=(x, label_y), textcoords="data", fontsize=10,
                arrowprops={"arrowstyle": "-", "color": "gray", "lw": 0.5} if label_y != y else None)
ax.set(title="Skip-gram word vectors trained on the reviews (first two principal components)",
       xlabel="principal component 1", ylabel="principal component 2")
ax.grid(alpha=0.3)
fig.tight_layout()
lesson.savefig(fig, "embedding_map")

# %% [markdown]
# ## 2. Recurrent networks: RNN (循环神经网络), LSTM, GRU
# > **A note on terms (article 004 §2.3.2)** Article 004 writes "RNN（递归神经网络）". In Chinese
# > usage 递归神经网络 is ambiguous: it is also used for recurrent networks, as here, but it is the
# > usual name of the *recursive* neural network, a different model that applies the same weights
# > over a tree (a parse tree, say). For the network that loops over time steps, prefer
# > **循环神经网络**, the term article 002 §9.1 uses, which has only that meaning.
#
# A recurrent layer reads a sequence one step at a time and carries a **state** $h_t$:
#
# $$h_t = \tanh(x_t W + h_{t-1} U + b).$$
#
# We run that loop by hand with the weights of a `keras.layers.SimpleRNN` and compare.

# %%
sequence = rng.normal(size=(2, 7, 3)).astype("float32")  # 2 sequences, 7 steps, 3 features
rnn = keras.layers.SimpleRNN(5, return_sequences=True)
keras_states = keras.ops.convert_to_numpy(rnn(sequence))
W, U, b = (w.numpy() for w in rnn.weights)
h = np.zeros((2, 5))
hand_states = []
for t in range(sequence.shape[1]):
    h = np.tanh(sequence[:, t] @ W + h @ U + b)
    hand_states.append(h)
rnn_error = np.abs(np.stack(hand_states, axis=1) - keras_states).max()
lesson.metric("simple_rnn_hand_vs_keras_max_diff", rnn_error, "SimpleRNN by hand vs keras: max difference", fmt=".1e")

# %% [markdown]
# The gradient of a late loss with respect to an early input passes through the factor
# $\partial h_t/\partial h_{t-1} = \mathrm{diag}(1-h_t^2)\,U^\top$ once per step; over many steps
# such products tend to shrink (or blow up). The **LSTM** (长短期记忆网络) adds a cell state
# $c_t$ that is updated *additively*, guarded by gates $\in (0, 1)$:
#
# $$f_t, i_t, o_t = \sigma(\cdot),\quad \tilde c_t = \tanh(\cdot),\quad
#   c_t = f_t \odot c_{t-1} + i_t \odot \tilde c_t,\quad h_t = o_t \odot \tanh(c_t),$$
#
# where each $(\cdot)$ is its own $x_t W_\ast + h_{t-1} U_\ast + b_\ast$. The **GRU** (门控循环单元)
# merges this into two gates (update $z_t$, reset $r_t$) and no separate cell. Four blocks of
# weights for the LSTM (three gates and the candidate $\tilde c_t$), three for the GRU (two gates
# and the candidate state). Each block has an input kernel ($n \times u$ for $n$ input features
# and $u$ units), a recurrent kernel ($u \times u$) and a bias ($u$). One detail of Keras: its GRU
# defaults to `reset_after=True` (the variant cuDNN implements), which applies the reset gate
# *after* multiplying the previous state by $U$, $\tilde h_t = \tanh(x_tW + b + r_t \odot (h_{t-1}U
# + b'))$, and so needs a second bias vector $b'$ per block:
#
# $$\text{RNN: } nu + u^2 + u,\qquad \text{LSTM: } 4(nu + u^2 + u),\qquad
#   \text{GRU (Keras default): } 3(nu + u^2 + 2u).$$
#
# The formulas against Keras's own count, for $n = 8$, $u = 16$:

# %%
n_in, units = 8, 16
formulas = {"SimpleRNN": n_in * units + units**2 + units, "LSTM": 4 * (n_in * units + units**2 + units),
            "GRU": 3 * (n_in * units + units**2 + 2 * units)}
for layer in [keras.layers.SimpleRNN(units), keras.layers.LSTM(units), keras.layers.GRU(units),
              keras.layers.GRU(units, reset_after=False)]:
    layer.build((None, None, n_in))
    name = type(layer).__name__ + ("" if getattr(layer, "reset_after", True) else " (reset_after=False)")
    by_formula = formulas.get(name, 3 * (n_in * units + units**2 + units))
    print(f"{name:28s} keras {layer.count_params():5d}, formula {by_formula:5d}, "
          f"weights {[tuple(w.shape) for w in layer.weights]}")
    lesson.metric(f"{lesson.key_part(name)}_params", layer.count_params(),
                  f"{name} parameters, 8 input features, 16 units")
    lesson.metric(f"{lesson.key_part(name)}_params_err", layer.count_params() - by_formula,
                  f"{name} parameters: keras minus formula")

# %% [markdown]
# The GRU's bias has shape (2, 48): two rows of $3u$, where `reset_after=False` (the original GRU
# of Cho et al., 2014) has one, and 48 fewer parameters.

# %% [markdown]
# ### A memory task where gating matters
# A variant of the **adding problem** of Hochreiter and Schmidhuber (1997), in the form used by later
# papers (Le et al., 2015; Arjovsky et al., 2016): each step carries a random number in
# $[0, 1]$ and a marker; exactly two steps are marked, one in each half of the sequence, and the
# target is the sum of the two marked numbers. With $T = 50$ steps the first marked number must be
# carried for up to 49 steps past 48 unmarked ones. Predicting the mean sum (1.0) gives a mean
# squared error equal to the variance of the target, about 0.167: a layer below that has learned
# something. We train the three layers on the same data in one `fit` (one branch each, three
# losses), so their curves are directly comparable.

# %%
T, N = 50, lesson.pick(3000, 8000)
values = rng.uniform(0, 1, size=(N + 500, T))
markers = np.zeros((N + 500, T))
rows = np.arange(N + 500)
markers[rows, rng.integers(0, T // 2, N + 500)] = 1
markers[rows, rng.integers(T // 2, T, N + 500)] = 1
sequences = np.stack([values, markers], axis=-1).astype("float32")
sums = (values * markers).sum(axis=1).astype("float32")
x_seq, y_seq, x_seq_val, y_seq_val = sequences[:N], sums[:N], sequences[N:], sums[N:]

inputs = keras.Input((T, 2))
kinds = {"SimpleRNN": keras.layers.SimpleRNN, "LSTM": keras.layers.LSTM, "GRU": keras.layers.GRU}
outputs = {name: keras.layers.Dense(1, name=name)(layer(16)(inputs)) for name, layer in kinds.items()}
memory_model = keras.Model(inputs, outputs)
memory_model.compile(optimizer=keras.optimizers.Adam(0.01), loss={name: "mse" for name in kinds})
start, start_cpu = time.perf_counter(), time.process_time()
memory_history = memory_model.fit(x_seq, {n: y_seq for n in kinds}, batch_size=32, epochs=lesson.pick(10, 15),
                                  validation_data=(x_seq_val, {n: y_seq_val for n in kinds}), verbose=0)
print(f"trained three recurrent layers in {time.process_time() - start_cpu:.1f} s of CPU time "
      f"({time.perf_counter() - start:.1f} s of wall time, which depends on the machine's load)")
guess_the_mean = float(np.mean((y_seq_val - y_seq.mean()) ** 2))

fig, ax = plt.subplots(figsize=(7.5, 4.5))
for name, marker in zip(kinds, ["o", "s", "^"]):
    values_per_epoch = memory_history.history[f"val_{name}_loss"]
    ax.plot(np.arange(1, len(values_per_epoch) + 1), values_per_epoch, marker=marker, lw=2, label=name)
ax.axhline(guess_the_mean, color="gray", ls=":", label="always predict the mean sum")
ax.set(xlabel="epoch", ylabel="validation mean squared error (log scale)", yscale="log",
       title=f"The adding problem, T = {T}: RNN, LSTM, GRU")
ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
# Outside the axes, so that it covers none of the curves.
ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0))
ax.grid(alpha=0.3)
fig.tight_layout()
lesson.savefig(fig, "rnn_lstm_gru_memory")
lesson.metric("adding_mean_predictor_mse", guess_the_mean, "adding problem: predict-the-mean MSE", fmt=".3f")
for name in kinds:
    final = memory_history.history[f"val_{name}_loss"][-1]
    print(f"{name:10s} final validation MSE {final:.4f}")
    lesson.metric(f"adding_{lesson.key_part(name)}_val_mse", final, f"adding problem: {name} validation MSE", fmt=".4f")
# How long the LSTM itself sat on the plateau: its first epochs with an error above 0.9 x the mean's.
lstm_losses = memory_history.history["val_LSTM_loss"]
lstm_plateau = next((i for i, loss in enumerate(lstm_losses) if loss <= 0.9 * guess_the_mean), len(lstm_losses))
lesson.metric("adding_lstm_plateau_epochs", lstm_plateau,
              "adding problem: LSTM's first epochs on the predict-the-mean plateau", fmt=".0f")

# %% [markdown]
# The gated layers solve it (an error far below the mean's); the plain RNN stays at the
# predict-the-mean line. Is that the distance, or can a plain RNN of 16 units not add at all? The
# same SimpleRNN, optimiser, number of sequences and epochs, on sequences of $T = 10$:

# %%
def adding_problem(length, count, generator):
    """Sequences of (number, marker) pairs with two marked steps, one per half, and their sums."""
    numbers = generator.uniform(0, 1, size=(count, length))
    marks = np.zeros((count, length))
    marks[np.arange(count), generator.integers(0, length // 2, count)] = 1
    marks[np.arange(count), generator.integers(length // 2, length, count)] = 1
    return np.stack([numbers, marks], axis=-1).astype("float32"), (numbers * marks).sum(axis=1).astype("float32")


SHORT = 10
x_short, y_short = adding_problem(SHORT, N + 500, np.random.default_rng(lesson.seed + 1))
keras.utils.set_random_seed(lesson.seed)
short_rnn = keras.Sequential([keras.Input((SHORT, 2)), keras.layers.SimpleRNN(16), keras.layers.Dense(1)])
short_rnn.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
start_cpu = time.process_time()
short_history = short_rnn.fit(x_short[:N], y_short[:N], batch_size=32, epochs=lesson.pick(10, 15),
                              validation_data=(x_short[N:], y_short[N:]), verbose=0).history
short_mean = float(np.mean((y_short[N:] - y_short[:N].mean()) ** 2))
print(f"T = {SHORT}: SimpleRNN validation MSE {short_history['val_loss'][-1]:.4f}, predict-the-mean {short_mean:.3f} "
      f"({time.process_time() - start_cpu:.1f} s of CPU time)")
lesson.metric("adding_short_simple_rnn_val_mse", short_history["val_loss"][-1],
              f"adding problem, T = {SHORT}: SimpleRNN validation MSE", fmt=".4f")
lesson.metric("adding_short_mean_predictor_mse", short_mean, f"adding problem, T = {SHORT}: predict-the-mean MSE", fmt=".3f")

# %% [markdown]
# Over 10 steps the plain RNN learns the sum (an error far below the mean's), so the network can
# add. Within this budget (10 epochs in quick mode; the LSTM itself sat on the predict-the-mean
# plateau for its first 5 epochs in this run, printed above as its "first epochs on the plateau",
# and dropped in the 6th), what defeats the plain RNN at $T = 50$ is the distance; this run does not
# show whether more epochs would free it. That is what the gradient predicts: from the
# target back to the first marked step it passes through up to 49 factors
# $\mathrm{diag}(1-h_t^2)U^\top$, which tend to shrink it, while the LSTM's cell and the GRU's
# update gate pass it on nearly unchanged (this run measures the errors, not the gradients). What
# all three share is the *sequential* loop: step $t$ must wait for step $t-1$, and information from
# step 1 reaches step $T$ only through $T-1$ multiplications.
#
# ## 3. Attention (注意力机制)
# Attention lets every position look at every other position **directly**. A query vector $q$
# scores each key $k_j$ by a dot product; the softmax turns the scores into weights; the output is
# the weighted average of the values $v_j$. Stacked for all positions (*Attention Is All You Need*,
# the paper article 001 §7.3 recommends):
#
# $$\mathrm{Attention}(Q, K, V) = \mathrm{softmax}\!\left(\frac{QK^\top}{\sqrt{d_k}}\right)V.$$
#
# Why divide by $\sqrt{d_k}$? If the entries of $q$ and $k$ have variance 1, $q\cdot k$ has
# variance $d_k$; without the division, large $d_k$ pushes the softmax into saturation, where one
# weight is ~1 and the gradients vanish. A quick measurement:

# %%
for d_k in (4, 64, 512):
    q, k = rng.normal(size=(1000, d_k)), rng.normal(size=(1000, d_k))
    dots = np.sum(q * k, axis=1)
    print(f"d_k = {d_k:4d}: std of q.k = {dots.std():6.2f}, after dividing by sqrt(d_k) = {dots.std() / np.sqrt(d_k):.2f}")

# %% [markdown]
# **Self-attention** uses the same sequence for queries, keys and values, after three learned
# projections $Q = XW_Q$, $K = XW_K$, $V = XW_V$; **multi-head** attention runs $h$ such heads on
# smaller projections and mixes their outputs with $W_O$. We take a real review, turn its words
# into our skip-gram vectors, run `keras.layers.MultiHeadAttention`, and recompute the same thing
# in NumPy with `kerasmodels.course.scratch.attention` (read it: its functions are about 70
# lines, `scaled_dot_product_attention` alone about 30).

# %%
review = next(s for s in sentences if 7 <= len(s) <= 11 and all(w in index for w in s))
x_words = vectors[[index[w] for w in review]][None].astype("float32")  # (1, T, 16)
mha = keras.layers.MultiHeadAttention(num_heads=2, key_dim=8, seed=lesson.seed)
keras_out, keras_weights = mha(x_words, x_words, return_attention_scores=True)
hand_out, hand_weights = attention.multi_head_attention(x_words, x_words, mha)
attention_error = max(np.abs(hand_out - keras.ops.convert_to_numpy(keras_out)).max(),
                      np.abs(hand_weights - keras.ops.convert_to_numpy(keras_weights)).max())
print("review:", " ".join(review))
lesson.metric("attention_max_row_sum_err", np.abs(hand_weights.sum(axis=-1) - 1.0).max(),
              "attention weights: max |row sum - 1|", fmt=".1e")
lesson.metric("attention_hand_vs_keras_max_diff", attention_error,
              "attention by hand vs keras.layers.MultiHeadAttention: max difference",
              headline=True, fmt=".1e")

# %% [markdown]
# Two heat maps of the same sentence. Left: attention with $Q = K = V$ = the skip-gram vectors
# themselves (no learned projection), so a word attends to words whose vectors resemble its own, and
# most words above all to themselves: the bright diagonal (7 of the 10 words here, printed below the
# figure). A word's score with itself is its vector's squared length; another word scores higher only
# if its vector, projected onto this word's, is longer than this word's own. Rows on which no word
# stands out stay near-uniform.
# Right: the same with a **causal mask** (a Transformer decoder, GPT-style): position $i$ may only
# look at positions $\le i$, so the upper triangle is zero. (The projections of a freshly built
# `MultiHeadAttention` are random, so its weights are not worth a picture until it is trained.)

# %%
_, plain_weights = attention.scaled_dot_product_attention(x_words[0], x_words[0], x_words[0])
_, causal_weights = attention.scaled_dot_product_attention(x_words[0], x_words[0], x_words[0],
                                                           mask=attention.causal_mask(len(review)))
fig, axes = plt.subplots(1, 2, figsize=(13, 5.5))
for ax, weights, title in [(axes[0], plain_weights, "self-attention weights"),
                           (axes[1], causal_weights, "with a causal mask")]:
    image = ax.imshow(weights, cmap="viridis", vmin=0, vmax=1)
    ax.set_xticks(range(len(review)), review, rotation=60, ha="right")
    ax.set_yticks(range(len(review)), review)
    ax.set(xlabel="key (attended to)", ylabel="query (attending)", title=title)
fig.colorbar(image, ax=axes, fraction=0.025, label="attention weight")
lesson.savefig(fig, "attention_heatmap")
self_first = int(np.sum(np.argmax(plain_weights, axis=1) == np.arange(len(review))))
print(f"self-attention (left): {self_first} of {len(review)} words give their largest weight to themselves")
lesson.metric("self_attention_share_words_self_max", self_first / len(review),
              "self-attention without projections: share of words whose largest weight is on themselves", fmt=".0%")

# %% [markdown]
# ## 4. Exercises
# **4.1 One RNN step.** This attempt forgets something; the check tells you which case fails.

# %%
def rnn_step(x, h, W, U, b):
    return np.tanh(x @ W + b)


course.exercises.check("10.rnn_step", rnn_step);

# %% [markdown]
# **4.2 Count an LSTM's parameters** for `input_dim` features and `units` units (check your formula
# against the table printed in section 2).

# %%
def lstm_parameters(input_dim, units):
    return 4 * (input_dim * units + units * units)


course.exercises.check("10.lstm_parameters", lstm_parameters);

# %% [markdown]
# **4.3 Scaled dot-product attention.** Return the output $\mathrm{softmax}(QK^\top/\sqrt{d_k})V$
# for arrays with optional leading batch axes. The attempt below leaves out one factor.

# %%
def scaled_attention(q, k, v):
    scores = q @ np.swapaxes(k, -1, -2)
    weights = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return (weights / weights.sum(axis=-1, keepdims=True)) @ v


course.exercises.check("10.attention", scaled_attention);

# %% [markdown]
# ## Summary
# - An embedding is a learned lookup table (= one-hot times a matrix); skip-gram trains it by
#   telling real (word, context) pairs from random ones; GloVe fits co-occurrence counts.
# - An RNN carries a state $h_t = \tanh(x_tW + h_{t-1}U + b)$; LSTM (4 weight blocks) and GRU
#   (3 blocks; Keras's default GRU has two bias vectors per block) add gates, and on the adding
#   problem only the gated layers carried a number across 50 steps (the plain RNN managed 10).
# - Attention is $\mathrm{softmax}(QK^\top/\sqrt{d_k})V$: every position reaches every other in one
#   step; multi-head attention runs several projected heads; a causal mask hides the future.
#
# Next: lesson 11 builds the Transformer block around this attention (positional encoding, residual
# connections, layer normalisation, the feed-forward layer, a causal decoder); lesson 12 stacks such
# blocks into BERT, pre-trains it with masked language modelling and fine-tunes it for sentiment.
