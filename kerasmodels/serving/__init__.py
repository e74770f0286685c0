"""Serving a saved model: request validation and prediction apart from HTTP.

- `kerasmodels.serving.predictor`: `Predictor` (checks requests, predicts) and
  `RequestError`, with no HTTP in them.
- `kerasmodels.serving.server`: the HTTP service (`make_server`, `serve`).
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
