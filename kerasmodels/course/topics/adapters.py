"""Bottleneck adapters (Houlsby et al., 2019) inside a frozen keras-hub BERT encoder (lesson 13).

An adapter is a small residual block, `x + W_up f(W_down x)`: a projection
down to a few dimensions (the bottleneck), a nonlinearity and a projection
back up. With `W_up` initialised at zero it is the identity, so a model with
adapters starts exactly where the pretrained one was (as LoRA does with
B = 0). Fine-tuning with adapters trains the adapters, the layer norms and the
task head; every other pretrained weight stays frozen.

- `BottleneckAdapter`: the adapter layer (`get_config` included).
- `add_adapters(backbone, bottleneck_dim)`: put one adapter after the
  feed-forward output projection of every `keras_hub.layers.TransformerEncoder`
  of a BERT backbone (before its residual addition and layer norm, where
  Houlsby et al. put theirs; they add a second one after the attention
  projection) and freeze everything else but the layer norms.

keras-hub's `TransformerEncoder` has no hook for an extra layer; its `call`
reads the feed-forward output projection from the attribute
`_feedforward_output_dense` each time it runs, so `add_adapters` replaces that
attribute by `Sequential([projection, adapter])`. The encoder is already
built, and Keras locks a built layer's list of sub-layers; `add_adapters`
unlocks it for the assignment, as Keras's own `Dense.enable_lora` does for its
new weights. Add the adapters before the first `fit` or `predict` (those trace
the model once and reuse the trace). The adapted model trains and predicts in
the session; a saved `.keras` file would not know the adapters, since the
encoder's config does not list them: save the adapters' weights instead.

Example:

```python
import keras_hub
from kerasmodels.course.topics import adapters

backbone = keras_hub.models.BertBackbone(vocabulary_size=10, num_layers=2, num_heads=2,
                                         hidden_dim=8, intermediate_dim=16)
inserted = adapters.add_adapters(backbone, bottleneck_dim=4)
len(inserted)                       # 2, one per encoder layer
[w.path for w in backbone.trainable_weights]  # layer norms and adapters only
```
"""

import keras
import keras_hub


@keras.saving.register_keras_serializable(package="kerasmodels")
class BottleneckAdapter(keras.layers.Layer):
    """A residual bottleneck: `x + up(activation(down(x)))`, the identity at initialisation.

    Args:
        bottleneck_dim: the width of the bottleneck (Houlsby et al. tried 8
            to 256); the layer has `2 * hidden * bottleneck_dim + bottleneck_dim
            + hidden` weights for inputs of width `hidden`.
        activation: the nonlinearity between the two projections.
        **kwargs: `keras.layers.Layer` arguments (`name`, `dtype`, ...).

    Example:

    ```python
    import numpy as np
    adapter = BottleneckAdapter(4)
    x = np.random.rand(2, 3, 8).astype("float32")
    np.allclose(adapter(x), x)  # True: the up-projection starts at zero
    ```
    """

    def __init__(self, bottleneck_dim=16, activation="gelu", **kwargs):
        super().__init__(**kwargs)
        if not isinstance(bottleneck_dim, int) or isinstance(bottleneck_dim, bool) or bottleneck_dim < 1:
            raise ValueError(f"bottleneck_dim must be a positive integer; received {bottleneck_dim!r}.")
        self.bottleneck_dim = bottleneck_dim
        self.activation = keras.activations.get(activation)
        self.down = keras.layers.Dense(bottleneck_dim, activation=self.activation, dtype=self.dtype_policy,
                                       name="down")
        self.up = None  # its width is the input's, known in build()
        self.supports_masking = True

    def build(self, input_shape):
        hidden = input_shape[-1]
        self.down.build(input_shape)
        # Zero up-projection: the block adds nothing until training moves it.
        self.up = keras.layers.Dense(hidden, kernel_initializer="zeros", dtype=self.dtype_policy, name="up")
        self.up.build((*input_shape[:-1], self.bottleneck_dim))

    def call(self, inputs):
        return inputs + self.up(self.down(inputs))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"bottleneck_dim": self.bottleneck_dim,
                       "activation": keras.activations.serialize(self.activation)})
        return config


def encoder_layers(backbone):
    """The `keras_hub.layers.TransformerEncoder` layers of a backbone, in order."""
    layers = [layer for layer in backbone.layers if isinstance(layer, keras_hub.layers.TransformerEncoder)]
    if not layers:
        raise ValueError(
            f"add_adapters needs a backbone built from keras_hub.layers.TransformerEncoder layers "
            f"(e.g. keras_hub.models.BertBackbone, the .backbone of kerasmodels.models.bert_classifier); "
            f"{backbone.name!r} has none."
        )
    return layers


def add_adapters(backbone, bottleneck_dim=16, activation="gelu"):
    """Freeze a BERT encoder but its layer norms and add a trainable adapter to every encoder layer.

    Each adapter follows the feed-forward output projection of its layer,
    before the dropout, the residual addition and the layer norm. Call it
    before the model's first `fit` or `predict`.

    Args:
        backbone: a keras-hub backbone of `TransformerEncoder` layers, e.g.
            `keras_hub.models.BertBackbone` or `bert_classifier(...).backbone`.
        bottleneck_dim: the adapters' bottleneck width.
        activation: the adapters' nonlinearity.

    Returns:
        The list of `BottleneckAdapter` layers, one per encoder layer.
    """
    encoders = encoder_layers(backbone)
    layer_norm_weights = {id(w) for layer in backbone._flatten_layers()
                          if isinstance(layer, keras.layers.LayerNormalization) for w in layer.weights}
    for weight in backbone.weights:
        weight.trainable = id(weight) in layer_norm_weights
    inserted = []
    for encoder in encoders:
        projection = encoder._feedforward_output_dense
        adapter = BottleneckAdapter(bottleneck_dim, activation, dtype=projection.dtype_policy,
                                    name=f"{encoder.name}_adapter")
        adapted = keras.Sequential([projection, adapter], name=f"{encoder.name}_feedforward_output_with_adapter")
        adapted.build((None, None, projection.kernel.shape[0]))
        encoder._tracker.unlock()
        try:
            encoder._feedforward_output_dense = adapted
        finally:
            encoder._tracker.lock()
        inserted.append(adapter)
    return inserted
