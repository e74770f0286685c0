"""Model factories: MLP, CNN and BERT classifiers that all output logits.

Every factory returns a Keras model built from built-in layers and keras-hub's
classes, so it trains on TensorFlow and JAX, saves to `.keras` and loads with
`keras.saving.load_model` in safe mode without `custom_objects`. The BERT
head (`MeanPooledBertClassifier`) is a kerasmodels class: in a new process,
load with `kerasmodels.models.load_model`, which registers it first.

The output convention is **logits** (no final activation), like keras-hub's
classifiers. `compile_model` picks the matching loss and metrics (one unit →
binary cross-entropy from logits; N units → sparse categorical cross-entropy
from logits) and `probabilities` turns predictions into probabilities.

Example:

```python
import numpy as np
from kerasmodels.models import compile_model, mlp, probabilities

x = np.random.rand(32, 8, 8).astype("float32")
y = np.random.randint(0, 10, size=32)
model = compile_model(mlp(input_shape=(8, 8), num_classes=10))
model.fit(x, y, epochs=1, verbose=0)
probabilities(model, x[:3]).shape  # (3, 10)
```
"""

from kerasmodels.models.bert import bert_classifier
from kerasmodels.models.cnn import augmentation_layers, cnn
from kerasmodels.models.compiling import build_before_fit, compile_model, loss_and_metrics, probabilities
from kerasmodels.models.loading import load_model
from kerasmodels.models.mlp import mlp
from kerasmodels.models.schedules import warmup_cosine

__all__ = [
    "augmentation_layers",
    "bert_classifier",
    "build_before_fit",
    "cnn",
    "compile_model",
    "load_model",
    "loss_and_metrics",
    "mlp",
    "probabilities",
    "warmup_cosine",
]


def __getattr__(name):
    # Imported on first use: it needs keras-hub, which `import kerasmodels.models` avoids.
    if name == "MeanPooledBertClassifier":
        from kerasmodels.models.bert_mean_pooled import MeanPooledBertClassifier

        return MeanPooledBertClassifier
    raise AttributeError(f"module 'kerasmodels.models' has no attribute {name!r}")
