"""Model factories: MLP, CNN and BERT classifiers that all output logits.

Every factory returns a plain Keras model built from built-in layers (or
keras-hub's registered classes), so it trains on TensorFlow and JAX, saves to
`.keras` and loads with `keras.saving.load_model` without `custom_objects`.

The output convention is **logits** (no final activation), like keras-hub's
classifiers. `compile_model` picks the matching loss and metrics (one unit →
binary cross-entropy from logits; N units → sparse categorical cross-entropy
from logits) and `probabilities` turns predictions into probabilities.

Example:

```python
import numpy as np
from kerasmodels.models import mlp, compile_model, probabilities

x = np.random.rand(32, 8, 8).astype("float32")
y = np.random.randint(0, 10, size=32)
model = compile_model(mlp(input_shape=(8, 8), num_classes=10))
model.fit(x, y, epochs=1, verbose=0)
probabilities(model, x[:3]).shape  # (3, 10)
```
"""

from kerasmodels.models.bert import bert_classifier
from kerasmodels.models.cnn import augmentation_layers, cnn
from kerasmodels.models.compiling import compile_model, loss_and_metrics, probabilities
from kerasmodels.models.mlp import mlp

__all__ = [
    "augmentation_layers",
    "bert_classifier",
    "cnn",
    "compile_model",
    "loss_and_metrics",
    "mlp",
    "probabilities",
]
