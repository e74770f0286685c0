"""The two standard inference protocols, as plain functions from decoded requests to answers.

Standard clients, load balancers and model servers speak one of two REST protocols,
and a model served with either can be moved between servers without touching its clients:

- **TensorFlow Serving REST / KServe v1** (`POST /v1/models/NAME:predict`): the body is
  `{"instances": [...]}` (row format, one item per instance) answered with
  `{"predictions": [...]}`, or `{"inputs": ...}` (columnar format, a list or
  `{input_name: list}`) answered with `{"outputs": [...]}`.
- **Open Inference Protocol v2** (KServe v2, NVIDIA Triton; `POST /v2/models/NAME/infer`):
  every tensor is named and typed, `{"name", "shape", "datatype", "data"}`, with `data`
  flat in row-major order (or nested); with the binary tensor extension the bytes follow
  the JSON header, whose length is in the `Inference-Header-Content-Length` header.

Errors are `{"error": "<message>"}` in both protocols; the service adds `"code"` (a
stable name such as `"wrong_shape"`) for programs. Nothing here knows about HTTP
frameworks: `kerasmodels.serving.server` calls these functions.

Example:

```python
from kerasmodels.models import mlp
from kerasmodels.serving import protocols
from kerasmodels.serving.predictor import Predictor

predictor = Predictor(mlp((4,), 3))
answer, batch, probs = protocols.v1_predict(predictor, {"instances": [[0.1, 0.2, 0.3, 0.4]]})
len(answer["predictions"][0])   # 3 class probabilities
request = {"inputs": [{"name": predictor.input_name, "shape": [1, 4], "datatype": "FP32",
                       "data": [0.1, 0.2, 0.3, 0.4]}]}
answer, batch, probs = protocols.v2_infer(predictor, request)
answer["outputs"][0]["shape"]   # [1, 3]
```
"""

import math
import struct

import numpy as np

from kerasmodels.serving.predictor import RequestError

MODEL_VERSION = "1"
OUTPUT_NAME = "probabilities"
V2_DATATYPES = {"BOOL": np.bool_, "UINT8": np.uint8, "UINT16": np.uint16, "UINT32": np.uint32, "UINT64": np.uint64,
                "INT8": np.int8, "INT16": np.int16, "INT32": np.int32, "INT64": np.int64, "FP16": np.float16,
                "FP32": np.float32, "FP64": np.float64, "BYTES": None}
NUMPY_TO_V2 = {"float16": "FP16", "float32": "FP32", "float64": "FP64", "int8": "INT8", "int16": "INT16",
               "int32": "INT32", "int64": "INT64", "uint8": "UINT8", "string": "BYTES", "bool": "BOOL"}


def error_body(error):
    """The JSON of a RequestError, in the shape both protocols use."""
    return {"error": error.message, "code": error.code}


def _rounded(probs):
    return [[round(float(v), 6) for v in row] for row in probs]


# -- TensorFlow Serving REST / KServe v1 ------------------------------------------------------------

def v1_model_status(predictor):
    """`GET /v1/models/NAME`: KServe v1's {"name", "ready"} and TF Serving's model_version_status in one answer."""
    return {"name": predictor.name, "ready": True,
            "model_version_status": [{"version": MODEL_VERSION, "state": "AVAILABLE",
                                      "status": {"error_code": "OK", "error_message": ""}}]}


def v1_predict(predictor, payload):
    """(answer, batch, probabilities) for a decoded `:predict` body in row or columnar format."""
    if not isinstance(payload, dict) or ("instances" in payload) == ("inputs" in payload):
        got = f"an object with keys {sorted(payload)[:5]}" if isinstance(payload, dict) else type(payload).__name__
        raise RequestError(400, "missing_instances",
                           'the body must be a JSON object with exactly one of "instances" (row format, '
                           'e.g. {"instances": [...]}) or "inputs" (columnar format); got ' + got)
    columnar = "inputs" in payload
    instances = payload["inputs"] if columnar else payload["instances"]
    if columnar and isinstance(instances, dict):  # {"inputs": {input_name: [...]}}
        if list(instances) != [predictor.input_name]:
            raise RequestError(400, "unknown_input", f'"inputs" names {sorted(instances)[:5]}; this model has one '
                                                     f"input, {predictor.input_name!r}")
        instances = instances[predictor.input_name]
    named = isinstance(instances, list) and instances and all(isinstance(item, dict) for item in instances)
    if not columnar and named:  # [{input_name: x}, ...]
        if any(list(item) != [predictor.input_name] for item in instances):
            raise RequestError(400, "unknown_input", f"instances given as objects must each have the one key "
                                                     f"{predictor.input_name!r}")
        instances = [item[predictor.input_name] for item in instances]
    batch = predictor.validate_instances(instances, '"inputs"' if columnar else '"instances"')
    probs = predictor.probabilities(batch)
    return {("outputs" if columnar else "predictions"): _rounded(probs)}, batch, probs


# -- Open Inference Protocol v2 (KServe v2, Triton) -------------------------------------------------

def v2_server_metadata():
    from kerasmodels import __version__

    return {"name": "kerasmodels", "version": __version__, "extensions": ["binary_tensor_data"]}


def v2_model_metadata(predictor):
    """`GET /v2/models/NAME`: the model's named, typed input and output tensors (-1: any size)."""
    classes = predictor.num_classes if predictor.num_classes else -1
    return {"name": predictor.name, "versions": [MODEL_VERSION], "platform": predictor.runtime.platform,
            "inputs": [{"name": predictor.input_name, "datatype": NUMPY_TO_V2.get(predictor.input_dtype, "FP32"),
                        "shape": [-1] + [-1 if d is None else int(d) for d in predictor.input_shape]}],
            "outputs": [{"name": OUTPUT_NAME, "datatype": "FP32", "shape": [-1, classes]}]}


def _v2_bytes(raw):
    """Strings of the binary BYTES encoding: each a 4-byte little-endian length, then the bytes."""
    texts, offset = [], 0
    while offset < len(raw):
        if offset + 4 > len(raw):
            raise RequestError(400, "bad_binary_data", "the BYTES tensor ends inside a 4-byte length prefix")
        (size,) = struct.unpack_from("<I", raw, offset)
        offset += 4
        if offset + size > len(raw):
            raise RequestError(400, "bad_binary_data", "a string of the BYTES tensor is longer than the data sent")
        texts.append(raw[offset:offset + size])
        offset += size
    return texts


def _v2_tensor(spec, binary, predictor):
    """The instances (a list) of one v2 input tensor, checked against its declared shape and datatype."""
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
        raise RequestError(400, "bad_input", 'each input must be an object {"name", "shape", "datatype", "data"}')
    if spec["name"] != predictor.input_name:
        raise RequestError(400, "unknown_input", f"unknown input {spec['name'][:100]!r}; this model has one input, "
                                                 f"{predictor.input_name!r} (see GET /v2/models/{predictor.name})")
    shape, datatype = spec.get("shape"), spec.get("datatype")
    if not isinstance(shape, list) or not shape or not all(type(d) is int and d >= 0 for d in shape):
        raise RequestError(400, "bad_shape", f'"shape" must be a non-empty list of sizes >= 0; got {shape!r:.100}')
    if datatype not in V2_DATATYPES:
        raise RequestError(400, "bad_datatype", f'"datatype" {datatype!r:.50} is not one of {sorted(V2_DATATYPES)}')
    if (datatype == "BYTES") != (predictor.kind == "text"):
        expected = "BYTES (strings)" if predictor.kind == "text" else "a number type such as FP32"
        raise RequestError(400, "wrong_dtype", f"datatype {datatype} does not fit this model: send {expected}")
    size = math.prod(shape)
    parameters = spec.get("parameters") if isinstance(spec.get("parameters"), dict) else {}
    if "binary_data_size" in parameters:
        if binary is None:
            raise RequestError(400, "bad_binary_data", "binary_data_size is set but the request has no binary part")
        raw, values = binary
        if datatype == "BYTES":
            values = _v2_bytes(raw)
        else:
            itemsize = np.dtype(V2_DATATYPES[datatype]).itemsize
            if len(raw) != size * itemsize:
                raise RequestError(400, "bad_binary_data", f"shape {shape} of {datatype} needs {size * itemsize} "
                                                           f"bytes; the binary part has {len(raw)}")
            values = np.frombuffer(raw, dtype=np.dtype(V2_DATATYPES[datatype]).newbyteorder("<"))
    elif "data" in spec:
        values = spec["data"]
        if not isinstance(values, list):
            raise RequestError(400, "bad_data", '"data" must be a list (flat in row-major order, or nested)')
        if datatype != "BYTES":
            try:
                values = np.asarray(values)
            except (ValueError, OverflowError):
                raise RequestError(400, "ragged_instances", '"data" is ragged (rows of different lengths)')
            if values.dtype.kind not in "iufb":
                raise RequestError(400, "wrong_dtype", f'"data" of a {datatype} tensor must hold numbers only')
            values = values.reshape(-1)
    else:
        raise RequestError(400, "bad_data", f'input {spec["name"]!r} has neither "data" nor binary data')
    if len(values) != size:
        raise RequestError(400, "shape_mismatch", f"shape {shape} holds {size} values; the data has {len(values)}")
    if datatype == "BYTES":
        texts = []
        for value in values:
            try:
                texts.append(value.decode("utf-8") if isinstance(value, bytes) else value)
            except UnicodeDecodeError:
                raise RequestError(400, "not_utf8", "a string of the BYTES tensor is not UTF-8")
        if len(shape) > 2 or (len(shape) == 2 and shape[1] != 1):
            raise RequestError(400, "wrong_shape", f"a text tensor has shape [N] or [N, 1]; got {shape}")
        return texts
    return list(values.reshape(shape)) if shape[0] else []


def v2_infer(predictor, header, binary=b""):
    """(answer, batch, probabilities) for a decoded `/infer` JSON header and the bytes that followed it."""
    if not isinstance(header, dict) or not isinstance(header.get("inputs"), list):
        raise RequestError(400, "missing_inputs", 'the body must be a JSON object {"inputs": [{"name", "shape", '
                                                  '"datatype", "data"}]}')
    if len(header["inputs"]) != 1:
        raise RequestError(400, "wrong_number_of_inputs", f"this model takes 1 input tensor; got "
                                                          f"{len(header['inputs'])}")
    for output in header.get("outputs") or []:
        if not isinstance(output, dict) or output.get("name") != OUTPUT_NAME:
            raise RequestError(400, "unknown_output", f'requested outputs may only be "{OUTPUT_NAME}"')
    spec = header["inputs"][0]
    parameters = spec.get("parameters") if isinstance(spec, dict) and isinstance(spec.get("parameters"), dict) else {}
    part = None
    if "binary_data_size" in parameters:
        size = parameters["binary_data_size"]
        if type(size) is not int or size < 0 or size != len(binary):
            raise RequestError(400, "bad_binary_data", f"binary_data_size {size!r:.30} does not match the "
                                                       f"{len(binary)} bytes after the JSON header")
        part = (binary, None)
    batch = predictor.validate_instances(_v2_tensor(spec, part, predictor), "the input tensor")
    probs = predictor.probabilities(batch)
    answer = {"model_name": predictor.name, "model_version": MODEL_VERSION,
              "outputs": [{"name": OUTPUT_NAME, "datatype": "FP32", "shape": list(probs.shape),
                           "data": [round(float(v), 6) for v in probs.reshape(-1)]}]}
    if isinstance(header.get("id"), str):
        answer["id"] = header["id"]
    return answer, batch, probs
