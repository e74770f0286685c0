"""Load any saved kerasmodels model in a new Python process."""

import importlib
import importlib.util

# Modules whose import registers classes that saved models may name.
REGISTERING_MODULES = ("kerasmodels.compression", "kerasmodels.gan")  # Distiller, GAN
BERT_MODULES = ("keras_hub", "kerasmodels.models.bert_mean_pooled")  # BertTextClassifier & co.


def register_classes():
    """Import the modules that register kerasmodels' (and keras-hub's) saveable classes.

    `keras.saving.load_model` finds a custom class only once its module is
    imported; a fresh process that saved nothing yet has not imported them.
    keras-hub is optional here: without it, the BERT classes are skipped.
    """
    modules = REGISTERING_MODULES
    if importlib.util.find_spec("keras_hub") is not None:
        modules = BERT_MODULES + modules
    for module in modules:
        importlib.import_module(module)


def load_model(path, **kwargs):
    """`keras.saving.load_model`, with every kerasmodels class registered first.

    A model built by `bert_classifier` (a `MeanPooledBertClassifier`), a
    `Distiller` or a `GAN` names a class that Keras finds only after its
    module is imported; this does the imports, then loads in safe mode.

    Args:
        path: a `.keras` file.
        **kwargs: passed to `keras.saving.load_model` (e.g. `compile=False`).

    Returns:
        The loaded model.

    Example:

    ```python
    from kerasmodels.models import load_model, mlp

    mlp((8, 8), 10).save("mlp.keras")
    load_model("mlp.keras").output_shape  # (None, 10)
    ```
    """
    import keras

    register_classes()
    return keras.saving.load_model(path, **kwargs)
