"""The factories' preset names: the vocabulary the models check and the registry (and the CLI) offers.

Below both: `kerasmodels.models` validates presets against these names and `kerasmodels.registry`
lists them with each kind's recipe, so neither imports the other for them (and this imports nothing,
so the CLI's choices need no Keras).
"""

#: `models.cnn(preset=...)`: article 002 §5.2's MNIST network and article 000's LeNet.
CNN_PRESETS = ("article002", "lenet")

#: Old CNN preset names that still work, with a DeprecationWarning naming the new one.
CNN_DEPRECATED_PRESETS = {"seed": "article002"}

#: `models.bert_classifier(preset=...)`: the packed MiniLM checkpoint and a tiny random BERT for tests.
BERT_PRESETS = ("minilm-l6", "tiny")
