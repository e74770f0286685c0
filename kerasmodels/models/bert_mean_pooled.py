"""A BERT text classifier whose head reads the mean of the token vectors.

keras-hub's `BertTextClassifier` classifies the `[CLS]` vector after the
pooler (a dense layer with tanh that BERT trained for next-sentence
prediction). Sentence-transformers models such as all-MiniLM-L6-v2 were
trained differently: their sentence vector is the average of the token
vectors (padding excluded), and their pooler was never trained. Reading
that average is the natural head for them (measured on rt_polarity with a
frozen MiniLM and logistic regression: mean 76.5%, [CLS] 73.0%, pooler
71.1% test accuracy; see docs/benchmarks.md).

Importing this module registers the class with Keras, which is what
`keras.saving.load_model` needs to read a saved model: `bert_classifier`
does it, and in a new process `kerasmodels.models.load_model` does it
before loading.
"""

import keras
import keras_hub
import numpy as np

POOLER_LAYER = "pooled_dense"


@keras.saving.register_keras_serializable(package="kerasmodels")
class MeanPooledBertClassifier(keras_hub.models.TextClassifier):
    """A BERT encoder, masked mean pooling, dropout and a dense logits layer.

    Works like `keras_hub.models.BertTextClassifier` (raw strings in through
    its `preprocessor`, logits out, `fit`/`predict`/`save`), with one
    difference: the sentence vector is the average of the encoder's token
    vectors over the real tokens (`padding_mask`), not the pooled `[CLS]`
    token. The unused pooler is frozen, so it gets no (missing) gradient.
    And unlike keras-hub's tasks, `fit` on arrays of strings honours
    `shuffle=True` (the Keras default): the examples are reshuffled every
    epoch, as `keras.Model.fit` does for arrays.

    Args:
        backbone: a `keras_hub.models.BertBackbone`.
        num_classes: number of output logits.
        preprocessor: a `keras_hub.models.BertTextClassifierPreprocessor`
            or `None` (then the model takes token ids, segment ids and a
            padding mask).
        activation: activation of the output layer; `None` gives logits.
        dropout: dropout rate on the pooled vector in training.

    Example:

    ```python
    import keras_hub
    from kerasmodels.models.bert_mean_pooled import MeanPooledBertClassifier

    vocab = ["[PAD]", "[CLS]", "[SEP]", "[UNK]", "[MASK]", "a", "good", "film"]
    tokenizer = keras_hub.models.BertTokenizer(vocabulary=vocab)
    preprocessor = keras_hub.models.BertTextClassifierPreprocessor(tokenizer, sequence_length=8)
    backbone = keras_hub.models.BertBackbone(
        vocabulary_size=len(vocab), num_layers=1, num_heads=1, hidden_dim=8,
        intermediate_dim=16, max_sequence_length=8)
    model = MeanPooledBertClassifier(backbone, 2, preprocessor=preprocessor)
    model.predict(["a good film"], verbose=0).shape  # (1, 2)
    ```
    """

    backbone_cls = keras_hub.models.BertBackbone
    preprocessor_cls = keras_hub.models.BertTextClassifierPreprocessor

    def __init__(self, backbone, num_classes, preprocessor=None, activation=None, dropout=0.1, **kwargs):
        # === Layers ===
        self.backbone = backbone
        self.preprocessor = preprocessor
        try:
            backbone.get_layer(POOLER_LAYER).trainable = False
        except ValueError:  # a BERT-like backbone without a pooler: nothing to freeze
            pass
        self.mean_pooling = keras.layers.GlobalAveragePooling1D(dtype=backbone.dtype_policy, name="mean_pooling")
        self.output_dropout = keras.layers.Dropout(dropout, dtype=backbone.dtype_policy, name="classifier_dropout")
        self.output_dense = keras.layers.Dense(
            num_classes,
            kernel_initializer=keras.initializers.TruncatedNormal(stddev=0.02),
            activation=activation,
            dtype=backbone.dtype_policy,
            name="logits",
        )

        # === Functional model ===
        inputs = backbone.input
        tokens = backbone(inputs)["sequence_output"]
        pooled = self.mean_pooling(tokens, mask=inputs["padding_mask"])
        outputs = self.output_dense(self.output_dropout(pooled))
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)

        # === Config ===
        self.num_classes = num_classes
        self.activation = keras.activations.get(activation)
        self.dropout = dropout

    def fit(self, x=None, y=None, batch_size=None, shuffle=True, **kwargs):
        """`keras.Model.fit`, reshuffling arrays of strings every epoch when `shuffle=True`.

        keras-hub turns arrays into a dataset batched in a fixed order and
        then ignores `shuffle`; here arrays with labels (and no
        `validation_split`, which must split before shuffling) become a
        dataset that is reshuffled every epoch, seeded by
        `keras.utils.set_random_seed`. Datasets are used as given.
        """
        arrays = isinstance(x, (list, tuple, np.ndarray))
        if shuffle and arrays and y is not None and not kwargs.get("validation_split"):
            from kerasmodels.data import to_tf_dataset

            x = to_tf_dataset(x, y, batch_size=batch_size or 32, shuffle=True, seed=None,
                              sample_weight=kwargs.pop("sample_weight", None))
            y = batch_size = None
        return super().fit(x, y, batch_size=batch_size, shuffle=False, **kwargs)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "num_classes": self.num_classes,
                "activation": keras.activations.serialize(self.activation),
                "dropout": self.dropout,
            }
        )
        return config

