"""Serving a saved model over the standard inference protocols.

- `kerasmodels.serving.predictor`: `Predictor` (checks requests, predicts) and
  `RequestError`, with no HTTP in them.
- `kerasmodels.serving.protocols`: TF Serving / KServe v1 and Open Inference Protocol v2
  requests and answers, as plain functions.
- `kerasmodels.serving.runtimes`: `.keras`, SavedModel and ONNX (onnxruntime) models.
- `kerasmodels.serving.server`: the HTTP service on Starlette and uvicorn (`make_server`, `serve`).
- `kerasmodels.serving.page`: the page at `/` (draw a digit, see the probabilities).
- `kerasmodels.serving.drift`: input-drift statistics for `/metrics`.

Example:

```python
from kerasmodels.models import mlp
from kerasmodels.serving import make_server

mlp((4,), 3).save("tiny.keras")
with make_server("tiny.keras") as server:   # a free port, served from a background thread
    server.url.startswith("http://127.0.0.1:")  # True
```
"""

from kerasmodels.serving.predictor import Predictor, RequestError
from kerasmodels.serving.server import PredictionServer, make_server, serve

__all__ = ["PredictionServer", "Predictor", "RequestError", "make_server", "serve"]
