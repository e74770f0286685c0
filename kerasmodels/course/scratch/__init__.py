"""Re-implemented to be understood: each module is small, explicit and checked against the library.

- `numpy_nn`: a multilayer perceptron with backprop in NumPy (lessons 01-04).
- `optimizers`: SGD, momentum, Adagrad, RMSprop, Adam, AdamW as update rules (lesson 05).
- `metrics`: confusion matrix, precision/recall/F1, ROC and AUC (lesson 09); the paired
  difference of two classifiers' accuracies with its interval (lessons 11, 13).
- `attention`: scaled dot-product and multi-head attention (lesson 10).
- `text`: WordPiece, mean pooling, sentence embeddings (lessons 12-13).
"""
