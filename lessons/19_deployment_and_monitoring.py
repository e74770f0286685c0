# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
#   kerasmodels:
#     title: Deployment and monitoring
#     articles: ["000 §3.2.4", "001 §3.2"]
#     quick_seconds: 60
#     full_seconds: 213
#     description: Export to .keras, SavedModel, ONNX and TFLite; a prediction service speaking the standard protocols (TF Serving/KServe v1, Open Inference Protocol v2) on uvicorn, hardened against hostile clients; Prometheus metrics; a load test with latency percentiles; input drift monitoring.
# ---

# %% [markdown]
# # 19 · Deployment and monitoring
#
# **Mirrors** ([the five source articles](https://github.com/kerasmodels/kerasmodels/blob/main/docs/sources.md)): article 000 §3.2.4 (model deployment 模型部署 and performance monitoring 性能监控),
# article 001 §3.2 (the steps of building a model, ending with deployment).
#
# **After this lesson you can** export a Keras model to `.keras`, SavedModel, ONNX and TFLite and
# check the copies agree; serve it with `kerasmodels serve` over the protocols real clients speak
# (TF Serving / KServe v1 and the Open Inference Protocol v2 of KServe and Triton), so that bad
# requests get clear 4xx answers instead of crashes; say which server setting stops which attack;
# scrape Prometheus metrics; measure latency percentiles and throughput with a load test; and watch
# production inputs for drift when no labels arrive.
#
# **Prerequisites:** lesson 07 (the CNN), lesson 09 (accuracy), some idea of HTTP and JSON.
#
# **Run time:** quick mode needs about 30 s of CPU time; on a 2-core CPU shared with other jobs
# (load average 13 to 16) two runs took 120 and 146 s. Full mode (all of MNIST) took 3.5 min in an
# earlier run on a 2-core CPU.

# %%
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import keras
import matplotlib.pyplot as plt
import numpy as np

import kerasmodels as km
from kerasmodels import course
from kerasmodels.course.topics import loadtest

lesson = course.setup_lesson(19)
rng = np.random.default_rng(lesson.seed)
workdir = Path(tempfile.mkdtemp(prefix="lesson19-"))

# %% [markdown]
# ## 1. A model worth deploying
# The package's CNN on MNIST (a subset in quick mode). Images are $28 \times 28$ floats in $[0, 1]$.

# %%
x_train, y_train = km.data.load("mnist", split="train", limit=lesson.pick(3000, None))
x_test, y_test = km.data.load("mnist", split="test", limit=lesson.pick(1000, None))
cnn = km.models.cnn((28, 28), 10, name="mnist_cnn")
km.models.compile_model(cnn)
cnn.fit(x_train, y_train, epochs=lesson.pick(2, 5), batch_size=128, verbose=0)
accuracy = cnn.evaluate(x_test, y_test, verbose=0, return_dict=True)["accuracy"]
lesson.metric("cnn_test_acc", accuracy, "CNN test accuracy", fmt=".1%");

# %% [markdown]
# ## 2. Export: four files for four audiences
# - `model.save("m.keras")`: the whole Keras model (architecture, weights, optimizer state), for
#   Python and Keras on any backend. The format `kerasmodels serve` loads by default; it also
#   takes ONNX and SavedModel (section 3).
# - `model.export("dir")`: a TensorFlow **SavedModel**, a graph that TF Serving, TF.js converters
#   or any TensorFlow program can run without the Python class that built it.
# - `model.export("m.onnx", format="onnx")`: an **ONNX** graph, run by onnxruntime (C++, no
#   TensorFlow needed) and by most inference servers; exporting from TensorFlow needs `tf2onnx`.
# - `model.export("m.tflite", format="litert")`: a **TFLite** (LiteRT) flat buffer for phones and
#   microcontrollers.
#
# An export is only correct if the copy computes the same function. We load each one back,
# predict the same 64 test images, and compare with the original.

# %%
import tensorflow as tf

tf.get_logger().setLevel("ERROR")  # no "Assets written to" lines
keras_path = workdir / "mnist_cnn.keras"
cnn.save(keras_path)
cnn.export(workdir / "savedmodel", verbose=False)
if keras.backend.backend() == "tensorflow":
    cnn.export(workdir / "mnist_cnn.onnx", format="onnx", verbose=False)
    cnn.export(workdir / "mnist_cnn.tflite", format="litert", verbose=False)
else:
    # Keras exports ONNX from JAX through the jax2onnx package and LiteRT only from TensorFlow or
    # PyTorch: the saved .keras file is the same on every backend, so export from it with TensorFlow.
    print(f"On the {keras.backend.backend()} backend: exporting ONNX and TFLite from {keras_path.name} "
          "with the TensorFlow backend in a subprocess (needs TensorFlow installed).")
    exporter = ("import sys, numpy as np, keras\n"
                "model = keras.saving.load_model(sys.argv[1])\n"
                "model(np.zeros((1, *model.inputs[0].shape[1:]), 'float32'))  # export needs a called model\n"
                "model.export(sys.argv[2], format='onnx', verbose=False)\n"
                "model.export(sys.argv[3], format='litert', verbose=False)\n")
    subprocess.run([sys.executable, "-c", exporter, str(keras_path), str(workdir / "mnist_cnn.onnx"),
                    str(workdir / "mnist_cnn.tflite")], check=True, env={**os.environ, "KERAS_BACKEND": "tensorflow"})

batch = x_test[:64]
reference = cnn.predict_on_batch(batch)
reloaded = keras.saving.load_model(keras_path)
savedmodel = tf.saved_model.load(str(workdir / "savedmodel"))
onnx_model = km.serving.runtimes.load_runtime(workdir / "mnist_cnn.onnx")  # an onnxruntime InferenceSession inside


def tflite_predict(path, images):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tf.lite.Interpreter points to ai_edge_litert; both run the same file
        interpreter = tf.lite.Interpreter(model_path=str(path))
    interpreter.allocate_tensors()
    inp, out = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    rows = []
    for image in images:  # the converted graph has batch size 1
        interpreter.set_tensor(inp["index"], image[None].astype(np.float32))
        interpreter.invoke()
        rows.append(interpreter.get_tensor(out["index"])[0])
    return np.array(rows)


copies = {
    ".keras": (keras_path.stat().st_size, lambda: reloaded.predict_on_batch(batch)),
    "SavedModel": (sum(f.stat().st_size for f in (workdir / "savedmodel").rglob("*") if f.is_file()),
                   lambda: savedmodel.serve(batch).numpy()),
    "ONNX": ((workdir / "mnist_cnn.onnx").stat().st_size, lambda: onnx_model.predict(batch)),
    "TFLite": ((workdir / "mnist_cnn.tflite").stat().st_size, lambda: tflite_predict(workdir / "mnist_cnn.tflite", batch)),
}
worst = 0.0
for name, (size, predict) in copies.items():
    predict()  # warm-up: each runtime traces or compiles on its first call, which we do not time
    started = time.perf_counter()
    out = np.asarray(predict())
    ms = (time.perf_counter() - started) * 1000
    difference = np.abs(out - reference).max()
    worst = max(worst, difference)
    print(f"{name:11s} {size / 1024:8.1f} KiB   64 images in {ms:6.1f} ms   max |logit difference| {difference:.1e}")
lesson.metric("max_logit_diff_exports", worst, "max logit difference across exports", fmt=".1e");

# %% [markdown]
# ## 3. A prediction service that standard clients can talk to
# `kerasmodels serve mnist_cnn.keras` (or `.onnx`, or a SavedModel folder) starts an HTTP service
# on `127.0.0.1`, so only this machine can reach it until you decide otherwise. It is not a
# protocol of our own: it speaks the two REST protocols model servers share, so any client,
# gateway or load balancer written for them works unchanged, and the model can later move to
# TF Serving, KServe or Triton without touching its clients.
#
# | protocol | used by | predict | answer |
# |---|---|---|---|
# | TF Serving REST = KServe v1 | TF Serving, KServe | `POST /v1/models/NAME:predict` `{"instances": [...]}` | `{"predictions": [...]}` |
# | Open Inference Protocol v2 | KServe v2, NVIDIA Triton, Seldon | `POST /v2/models/NAME/infer` with named, typed tensors | `{"outputs": [{"name", "shape", "datatype", "data"}]}` |
#
# Also: `GET /v2/health/live` and `/ready` (for the orchestrator), `GET /v2/models/NAME`
# (input and output tensors), `GET /metrics` (Prometheus), and `GET /`, a page where you draw a
# digit and see the probabilities as bars (open `server.url` in a browser when you run this
# notebook on your machine). The HTTP layer is Starlette on **uvicorn**, a server much of the
# Python ecosystem deploys with; the request checks are plain Python in
# `kerasmodels.serving.predictor`. In a notebook we start the server in a background thread.

# %%
x_reference, _ = km.data.load("mnist", split="validation", limit=1000)
server = km.serving.make_server(keras_path, port=0, max_body_bytes=1_000_000, max_batch=32,
                                reference=x_reference, drift_window=400, class_names=[str(d) for d in range(10)],
                                body_timeout_s=1, header_timeout_s=1).start()
print("serving at", server.url)


def call(path, body=None, content_type="application/json"):
    """(status, JSON answer) of one request to the service."""
    data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
    request = urllib.request.Request(server.url + path, data=data, headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


PREDICT = "/v1/models/mnist_cnn:predict"
print(call("/v2/health/ready"))
metadata = call("/v2/models/mnist_cnn")[1]
print(json.dumps(metadata))
status, answer = call(PREDICT, {"instances": x_test[:2].tolist()})  # TF Serving / KServe v1
print(status, [(int(np.argmax(p)), round(max(p), 3)) for p in answer["predictions"]], "true:", y_test[:2])
tensor = {"name": metadata["inputs"][0]["name"], "shape": [2, 28, 28], "datatype": "FP32", "data": x_test[:2].reshape(-1).tolist()}
status, answer = call("/v2/models/mnist_cnn/infer", {"inputs": [tensor]})  # Open Inference Protocol v2
print(status, {k: answer["outputs"][0][k] for k in ("name", "shape", "datatype")})
page = urllib.request.urlopen(server.url + "/", timeout=30).read().decode()
print(f"GET / : a {len(page) / 1024:.1f} KiB page with inline script, no external resources")

# %% [markdown]
# A service meets every kind of input. The rule: a client's mistake gets a **4xx** status and a
# JSON message `{"error": ..., "code": ...}` that says what was wrong and how to fix it; the
# service never crashes and never answers 500 with a traceback. `{"error": "<message>"}` is the
# error shape both protocols define; `code`, a short name for the kind of mistake, is this
# service's extension, which clients written for TF Serving or KServe simply ignore.
# Here is a gallery of bad requests:

# %%
image = x_test[:1].tolist()
bad_requests = {
    "not JSON": b"hello",
    "empty body": b"",
    "no 'instances'": {"images": image},
    "empty list": {"instances": []},
    "wrong shape (28x28x1)": {"instances": x_test[:1, :, :, None].tolist()},
    "strings": {"instances": [[["0.5"] * 28] * 28]},
    "NaN": b'{"instances": [[' + b",".join([b"[" + b",".join([b"NaN"] * 28) + b"]"] * 28) + b"]]}",
    "pixels 0-255": {"instances": (x_test[:1] * 255).tolist()},
    "too many instances": {"instances": x_test[:33].tolist()},
    "a 5,000-digit number": b'{"instances": [' + b"7" * 5000 + b"]}",
    "too big (2 MB)": b" " * 2_000_000,
}
gallery = []
for name, body in bad_requests.items():
    status, answer = call(PREDICT, body)
    gallery.append((name, status))
    print(f"{name:22s} {status}  {answer['error'][:90]}")
fraction_4xx = np.mean([400 <= s < 500 for _, s in gallery])
lesson.metric("bad_requests_4xx", fraction_4xx, "bad requests answered with 4xx", fmt=".0%")
lesson.metric("bad_requests_5xx", np.sum([s >= 500 for _, s in gallery]), "bad requests answered with 5xx")
lesson.metric("health_after_bad_requests", call("/health")[0], "health check status after the bad requests");

# %% [markdown]
# ### Hardening: what each server setting defends against
# A hand-written server on Python's `http.server`, the first version of this service, survived
# 19,328 hostile requests without crashing, and still lost to the attacks below. Each is
# answered here by a setting of uvicorn or a small piece of ASGI middleware
# (`kerasmodels/serving/server.py`):
#
# | attack | what it did to the hand-written server | defence (`make_server` argument) |
# |---|---|---|
# | a burst of 100 clients | listen queue of 5: 474 of 9,845 connections reset | `backlog=2048`: the kernel queues them |
# | `Content-Length: +353`, `35_3`, two different lengths; a request hidden in a GET's body | accepted; the GET answered twice: request smuggling behind a proxy | uvicorn's h11 parser frames HTTP strictly: 400 for malformed lengths; a hidden request is read as body and answered once |
# | a body that stops arriving | a 500 after 15 s and a traceback in the log | `body_timeout_s`: 408 for the *whole* body, not per read |
# | headers sent a byte at a time (slowloris) | 300 connections each held a thread as long as they liked | `header_timeout_s`: closed; uvicorn is asynchronous, no thread per connection |
# | a 50 MB body | (refused from Content-Length) | `max_body_bytes`: 413 before reading; chunked bodies counted as they stream |
# | 64 texts of 5,000 characters | 6.7 s under the model lock: every client waits | `max_request_chars` (413), `queue_timeout_s` (503, retry) |
# | thousands of connections at once | one thread each | `limit_concurrency=1000`: 503 beyond it |
# | a 5,000-digit integer (above) | a 500: `json` raises ValueError | caught with the JSON errors: 400 |
#
# Five of the attacks, sent as raw bytes on a socket or from 100 threads (the server here allows
# 1 s for a body and for the headers, so that the lesson stays quick; the defaults are 10 s):

# %%
import socket
import threading


def raw_http(data, trickle=False):
    """Status line of the answer to raw bytes (or "closed"); with trickle, then send a byte every 0.2 s."""
    with socket.create_connection(server.server_address, timeout=10) as sock:
        sock.sendall(data)
        sock.settimeout(0.2)
        received, started = b"", time.perf_counter()
        while time.perf_counter() - started < 8:
            try:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                received += chunk
                if not trickle:
                    sock.settimeout(0.5)
            except TimeoutError:
                if received and not trickle:
                    break
                try:
                    sock.sendall(b" " if trickle else b"")
                except OSError:
                    break
    return received, time.perf_counter() - started


attacks = {}
answer, _ = raw_http(b"POST " + PREDICT.encode() + b" HTTP/1.1\r\nHost: x\r\nContent-Length: +20\r\n\r\n" + b"{}" * 10)
attacks["Content-Length: +20"] = int(answer.split()[1])
hidden = b"GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n"
answer, _ = raw_http(b"GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(hidden) + hidden)
lesson.metric("get_with_hidden_body_answers", answer.count(b"HTTP/1.1 "), "answers to a GET with a request hidden in its body")
attacks["request hidden in a GET body"] = int(answer.split()[1])
answer, seconds = raw_http(b"POST " + PREDICT.encode() + b" HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n",
                           trickle=True)
attacks[f"body trickled (answered after {seconds:.1f} s)"] = int(answer.split()[1])
answer, seconds = raw_http(b"GET /health HTTP/1.1\r\nX-Slow: ", trickle=True)
attacks[f"headers trickled (closed after {seconds:.1f} s)"] = "closed" if not answer else int(answer.split()[1])
lesson.metric("status_content_length_plus20", attacks["Content-Length: +20"], "status for Content-Length: +20")
lesson.metric("trickled_headers_cutoff_s", seconds, "seconds until trickled headers are cut off", fmt=".1f")
for name, result in attacks.items():
    print(f"{name:42s} {result}")

burst, barrier = [], threading.Barrier(100)


def one_client():
    barrier.wait()  # all 100 connect at the same moment
    try:
        with urllib.request.urlopen(server.url + "/v2/health/live", timeout=30) as response:
            burst.append(response.status)
    except urllib.error.HTTPError as error:
        burst.append(error.code)
    except OSError as error:  # refused or reset
        burst.append(type(error).__name__)


threads = [threading.Thread(target=one_client) for _ in range(100)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(f"100 clients at once: {burst.count(200)} answered 200, {100 - burst.count(200)} failed or reset")
lesson.metric("burst_100_answered", burst.count(200), "burst of 100 clients: answered");

# %% [markdown]
# ## 4. Latency and throughput
# Users feel **latency** (the time one request takes), and a median hides the slow ones: report
# percentiles p50, p90, p99. The service owner pays for **throughput** (requests per second).
# Little's law ties them together: requests in flight = throughput × latency. A bounded load test
# (`kerasmodels.course.topics.loadtest`, loopback only) sends a fixed number of requests from a few concurrent
# clients. Here client and server share this notebook's process and CPU, so absolute numbers
# are pessimistic; the shape of the curves is what to look at.

# %%
payloads = [{"instances": x_test[i:i + 1].tolist()} for i in range(8)]
reports = {}
for workers in (1, 2, 4):
    reports[workers] = loadtest.run_load_test(server.url + PREDICT, payloads,
                                              requests=lesson.pick(200, 1000), concurrency=workers)
    print(f"concurrency {workers}: {reports[workers]}")
batched = loadtest.run_load_test(server.url + PREDICT, [{"instances": x_test[:16].tolist()}],
                                 requests=lesson.pick(100, 500), concurrency=2)
print(f"16 images per request: {batched}")
for workers, report in reports.items():
    little = workers / (report.latencies_ms.mean() / 1000)  # Little's law: clients / mean latency
    print(f"{workers} client(s): measured {report.throughput_rps:6.1f} req/s, Little's law predicts {little:6.1f}")
    lesson.metric(f"p50_latency_ms_{workers}_clients", report.percentile(50),
                  f"p50 latency, {workers} client{'s' if workers > 1 else ''} (ms)", fmt=".1f")
    lesson.metric(f"throughput_{workers}_clients", report.throughput_rps,
                  f"throughput, {workers} client{'s' if workers > 1 else ''} (req/s)", fmt=".1f")
    lesson.metric(f"littles_law_ratio_{workers}_clients", little / report.throughput_rps,
                  f"Little's law / measured throughput, {workers} client{'s' if workers > 1 else ''}", fmt=".2f")
throughput_4_over_2 = reports[4].throughput_rps / reports[2].throughput_rps
p50_4_over_2 = reports[4].percentile(50) / reports[2].percentile(50)
print(f"from 2 to 4 clients: throughput x{throughput_4_over_2:.2f}, p50 latency x{p50_4_over_2:.2f}")
lesson.metric("throughput_4_over_2_clients", throughput_4_over_2, "throughput, 4 clients / 2 clients", fmt=".2f")
lesson.metric("p50_latency_4_over_2_clients", p50_4_over_2, "p50 latency, 4 clients / 2 clients", fmt=".2f")
lesson.metric("batch16_over_single_images_per_s", batched.instances_per_s / max(r.instances_per_s for r in reports.values()),
              "images/s, 16 per request over best 1 per request", fmt=".1f");

# %% [markdown]
# Read the numbers with Little's law: with $c$ clients each waiting for its answer, throughput
# $= c / \text{mean latency}$. The two columns printed above agree, but here that is an identity,
# not a test: in this closed-loop test exactly $c$ requests are in flight at every moment, so the
# law cannot fail. It earns its keep in capacity planning (how many requests in flight a target
# throughput at a given latency needs) and with open-loop traffic, where requests arrive whether or
# not earlier ones were answered, and the queue can grow. The service runs one
# prediction at a time (the model is behind a lock) and shares this machine's CPU with the
# clients, so requests from more clients wait in a queue: p50 latency with four clients is above
# that with one or two. What the extra clients buy in throughput this quick run cannot say: each
# measurement is 200 requests on a 2-core machine shared with other programs, and the ratios
# printed above (throughput and p50 from two clients to four) move from run to run by more than
# the effect: in our quick runs the throughput ratio ranged from under 0.4 to about 1.8, and
# throughput sometimes fell from one client to two. Measure a throughput curve with many more
# requests, repeated, on a quiet machine, before you read a saturation point from it.
# Sending 16 images per request is the cheap win: it pays the per-request cost
# (HTTP, JSON, one call of the model) once for 16 images, and serves several times more images
# per second at the price of a longer latency per request.
#
# *How a measurement can lie.* A first version of this service left Nagle's algorithm (TCP's
# batching of small writes) on for its connections. The server writes an answer's headers and its
# body separately, so the body waited for the client's acknowledgement of the headers, which Linux
# delays by 40 ms. On this course's 2-core CPU, with a small MLP, every request then took 44 to
# 48 ms (p50) whether 1, 2 or 4 clients were sending, and throughput grew in proportion to the
# clients (22, 43, 84 requests/s): latency that stays flat while throughput scales with the load
# is a fixed wait, not work. With `TCP_NODELAY` set (the server and the load tester set it now),
# the same requests took about 2.5 ms. `tests/test_serving.py` keeps that wait from coming back.

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 4.2))
levels = list(reports)
for q, style in ((50, "o-"), (90, "s--"), (99, "^:")):
    axes[0].plot(levels, [reports[c].percentile(q) for c in levels], style, label=f"p{q}")
axes[0].set_xlabel("concurrent clients")
axes[0].set_ylabel("latency (ms)")
axes[0].set_title("Latency percentiles, 1 image per request")
axes[0].set_xticks(levels)
axes[0].legend()
axes[0].grid(alpha=0.3)
axes[1].bar([f"{c} client{'s' if c > 1 else ''}" for c in levels], [reports[c].instances_per_s for c in levels],
            color="tab:blue", label="1 image per request")
axes[1].bar(["2 clients,\n16 per request"], [batched.instances_per_s], color="tab:orange", label="16 per request")
axes[1].set_ylabel("images per second")
axes[1].set_title("Throughput: batching amortises the per-request cost")
axes[1].legend()
fig.tight_layout()
lesson.savefig(fig, "latency_throughput")
plt.show()

# %% [markdown]
# ## 5. Monitoring: drift without labels
# In production the true labels come late or never, so accuracy cannot be watched directly.
# What can be watched is the input. The service summarises every image (mean brightness,
# contrast, share of dark pixels) and its own confidence, and compares recent values with a
# reference using the **population stability index**
#
# $$\mathrm{PSI} = \sum_i (c_i - r_i) \ln \frac{c_i}{r_i},$$
#
# over bins cut at the reference's deciles ($r_i$, $c_i$: reference and current shares).
# Rule of thumb: below 0.1 stable, above 0.25 drifted (for windows of several hundred values: see
# the noise floor below). The reference must look like production
# *should* look: we gave the server 1,000 validation images when we started it. (Training images
# would be a poor reference: the model is more confident on them than on anything new, so the
# confidence feature would "drift" on day one.) PSI is also inflated by small samples, by about
# (bins − 1)(1/n_ref + 1/n_now) with no drift at all, which the service reports as `psi_noise_floor`.
#
# We replay the same test images (600 in quick mode, 1,000 in full) in two phases: normal, then
# from a faulty scanner that prints fainter strokes on a noisy grey background (lower contrast; the
# mean brightness barely moves, as the feature means printed below show), and measure PSI and,
# because we do have labels here, the accuracy the monitor cannot see. Since both phases serve the
# same images in the same chunks of 100, each fault chunk's accuracy is compared with the same
# chunk served cleanly (accuracy also varies from chunk to chunk within a phase). The monitor
# judges only once it has 200 recent images.

# %%
def faulty_scanner(images):
    return np.clip(0.6 * images + rng.normal(0.0, 0.15, images.shape), 0.0, 1.0).astype(np.float32)


from prometheus_client.parser import text_string_to_metric_families


def scrape():
    """{metric name: [(labels, value), ...]} from GET /metrics, read with Prometheus's own parser."""
    text = urllib.request.urlopen(server.url + "/metrics", timeout=30).read().decode()
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append((sample.labels, sample.value))
    return samples


def predict_answers_by_status():
    """{status: count} of predict requests so far (the counters add up over the whole session)."""
    counts = {}
    for labels, value in scrape()["kerasmodels_requests_total"]:
        if labels["route"] == "/v1/models/{name}:predict":
            counts[labels["status"]] = counts.get(labels["status"], 0) + int(value)
    return counts


server.drift.reset_window()  # the load test replayed 8 images hundreds of times: that is drift too
phases = [("normal", lambda im: im), ("faulty scanner", faulty_scanner)]
answers_before_fault = None
timeline = []
stream = x_test[:lesson.pick(600, 1000)]
labels_stream = y_test[:len(stream)]
for phase, transform in phases:
    if phase == "faulty scanner":
        answers_before_fault = predict_answers_by_status()
    for start in range(0, len(stream), 100):
        chunk = transform(stream[start:start + 100])
        predictions = []
        for s in range(0, len(chunk), 32):
            predictions += list(np.argmax(call(PREDICT, {"instances": chunk[s:s + 32].tolist()})[1]["predictions"], axis=1))
        report = call("/drift")[1]
        timeline.append((phase, report.get("max_psi", np.nan), np.mean(np.array(predictions) == labels_stream[start:start + 100]),
                         report["status"], report.get("psi_noise_floor", np.nan), report["window_size"]))
for phase in ("normal", "faulty scanner"):
    rows = [t for t in timeline if t[0] == phase]
    print(f"{phase:15s} last PSI {rows[-1][1]:.3f} ({rows[-1][3]}), accuracy {np.mean([r[2] for r in rows]):.1%}")
normal = [t for t in timeline if t[0] == "normal" and not np.isnan(t[1])]
for t in normal:
    print(f"normal traffic, window of {t[5]:4d} images: max PSI over the features {t[1]:.3f} ({t[3]}), "
          f"noise floor per feature {t[4]:.3f}")
lesson.metric("psi_normal", normal[-1][1], "PSI on normal traffic", fmt=".3f")
lesson.metric("max_psi_normal", max(t[1] for t in normal), "largest PSI on normal traffic", fmt=".3f")
lesson.metric("max_psi_normal_window", max(normal, key=lambda t: t[1])[5], "window size of the largest PSI on normal traffic")
full_window = [t[1] for t in normal if t[5] == max(r[5] for r in normal)]
lesson.metric("psi_normal_range_full_window", max(full_window) - min(full_window),
              "normal traffic: PSI range once the window is full", fmt=".3f")
lesson.metric("psi_noise_floor_window_200", km.serving.drift.psi_noise_floor(1000, 200),
              "PSI noise floor per feature, window of 200", fmt=".3f")
# Is "normal" traffic really the reference's distribution? The stream is the first test images (all from NIST's
# SD-3 writers), the reference a block of the training set (SD-3 and SD-1 writers): compare their mean brightness,
# in standard errors of the difference.
stream_brightness = stream.reshape(len(stream), -1).mean(axis=1)
reference_brightness = x_reference.reshape(len(x_reference), -1).mean(axis=1)
brightness_z = (stream_brightness.mean() - reference_brightness.mean()) / np.sqrt(
    stream_brightness.var(ddof=1) / len(stream) + reference_brightness.var(ddof=1) / len(x_reference))
print(f"normal stream vs reference, mean brightness {stream_brightness.mean():.4f} vs {reference_brightness.mean():.4f}: "
      f"{brightness_z:+.1f} standard errors")
lesson.metric("normal_vs_reference_mean_std_errs", brightness_z,
              "normal stream vs reference: mean brightness difference (standard errors)", fmt="+.1f")
lesson.metric("psi_scanner_fault", timeline[-1][1], "PSI after the scanner fault", headline=True, fmt=".2f")
final = call("/drift")[1]
print(f"noise floor {final['psi_noise_floor']}")
for feature, values in final["features"].items():
    print(f"{feature:17s} PSI {values['psi']:7.3f}  KS {values['ks']:.3f}  mean {values['reference_mean']:.3f} -> "
          f"{values['current_mean']:.3f}")
for feature in ("mean brightness", "contrast", "dark pixel share"):
    values = final["features"][feature]
    lesson.metric(f"faulty_scanner_{lesson.key_part(feature)}_ratio", values["current_mean"] / values["reference_mean"],
                  f"faulty scanner: {feature}, current / reference mean", fmt=".2f")

# %% [markdown]
# Early in the normal phase, with only a few hundred images in the window, the largest PSI comes
# near the watch line of 0.1, or above it, with no drift at all (the largest value and its window
# are printed above). Two things inflate it: small samples (the noise floor, about 0.05 per feature at 200
# images against 1,000 reference images) and the max over four features, each with its own noise.
# And part of it is not noise: the normal stream (the first test images) and the reference (the
# first 1,000 validation images, official training images 50,000-51,000) come from different
# writers. MNIST's first 5,000 test images all come from NIST's Special Database 3 (SD-3), digits
# written by Census Bureau employees, which LeCun's MNIST page calls cleaner and easier than the
# last 5,000 (SD-1, written by high-school students); the training set draws on both SD-3 and
# SD-1. So "normal" traffic is a slightly different population: its mean brightness sits a few
# standard errors away from the reference's (printed above), a real if small shift, and a
# normal-phase PSI near 0.1 is not all sampling noise. Nor is its fall only the window filling
# up: once the window is full (400 images) it still moves as the window slides on to other
# images (the last lines above). Drawing both at random from one pool would remove that shift.
# A threshold means little unless it sits well above both at that window size; the scanner fault
# stays far above 0.25. To avoid early false alarms, alert only on a value that persists (as the Prometheus rule
# below does), or judge larger windows: `make_server(drift_window=...)` (with `drift_warmup` and
# `drift_bins`; `kerasmodels serve` keeps their defaults). A `DriftMonitor` used directly also
# takes `min_current`, the rows it needs before it judges (200 here, the service's default).

# %% [markdown]
# The report above came from `GET /drift`, JSON for people. A monitoring system instead
# *scrapes* `GET /metrics` every few seconds,
# in the Prometheus text format, and alerts on rules such as "`kerasmodels_drift_max_psi` above
# 0.25 for 10 minutes". Requests are counted by route *template* (`/v1/models/{name}:predict`)
# and status, with a latency histogram; every unknown path counts under one label,
# `<unmatched>`, so a scanner probing random URLs cannot grow the metrics without bound.

# %%
for probe in range(50):  # a scanner probing paths that do not exist
    call(f"/admin/{probe}.php")
metrics = scrape()
for labels, value in metrics["kerasmodels_requests_total"]:
    print(f"kerasmodels_requests_total{{route={labels['route']!r}, status={labels['status']}}} {value:g}")
print("kerasmodels_drift_max_psi", metrics["kerasmodels_drift_max_psi"][0][1])
lesson.metric("metrics_route_labels", len({labels["route"] for labels, _ in metrics["kerasmodels_requests_total"]}),
              "route labels in /metrics");

# %%
fig, ax = plt.subplots(figsize=(10, 4.2))
steps = np.arange(1, len(timeline) + 1) * 100
ax.plot(steps, [t[1] for t in timeline], "o-", color="tab:red", label="max PSI over the monitored features (inputs and confidence)")
ax.axhline(km.serving.drift.PSI_DRIFT, color="tab:red", linestyle=":", label="drift threshold 0.25")
ax.axhline(km.serving.drift.PSI_WATCH, color="tab:orange", linestyle=":", label="watch threshold 0.1")
ax.plot(steps, [t[4] for t in timeline], "--", color="gray", label="noise floor per feature (no drift)")
ax.set_yscale("log")
ax.set_ylim(0.01, np.nanmax([t[1] for t in timeline]) * 3)
ax.set_xlabel("images served")
ax.set_ylabel("PSI (log scale)")
ax2 = ax.twinx()
ax2.plot(steps, [100 * t[2] for t in timeline], "s--", color="tab:blue", label="accuracy (not visible in production)")
ax2.set_ylabel("accuracy (%)", color="tab:blue")
ax2.set_ylim(0, 100)
ax.axvspan(len(stream) + 50, steps[-1] + 50, color="gray", alpha=0.15)
ax.text(len(stream) + 80, 0.0125, "scanner fault", fontsize=11)  # below the noise-floor line
lines = ax.get_legend_handles_labels()
lines2 = ax2.get_legend_handles_labels()
ax.legend(lines[0] + lines2[0], lines[1] + lines2[1], loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3,
          fontsize=9)  # below the axes: inside, it would cover the normal phase's points
ax.set_title("Input drift is visible before anyone labels a single image")
fig.tight_layout()
lesson.savefig(fig, "drift_monitor")
plt.show()

# %% [markdown]
# > **Errata (article 001 §3.2, article 000 §3.2.4)** Article 001 draws building a model as a line,
# > "数据收集与预处理 → 模型设计 → 模型训练 → 模型评估 → 模型部署", that ends at deployment, and
# > article 000 ends its steps there too, asking to "监控模型性能，确保业务稳定运行" (monitor the model's
# > performance so the business runs stably). Deployment is not the end: it starts a
# > loop (monitor → detect drift → collect and label new data → retrain → redeploy). And a
# > model's *accuracy* usually cannot be monitored live, because labels arrive late or never
# > (性能 here also covers latency and errors, which section 4 and `/metrics` do monitor);
# > a health check only says the process is alive. The cell below shows the gap: during the
# > scanner fault every request was answered 200 and `/health` said "ok", while accuracy on the
# > same images fell (the counters add up over the whole session, so we read them before and
# > after the fault). Watch the inputs and outputs (drift), and sample some traffic for labelling. Drift is an
# > alarm, not a verdict: a model trained on more varied data may keep most of its accuracy on
# > the same shifted inputs, so an alarm calls for a labelled sample, not an automatic retrain.

# %%
fault_accuracy = np.mean([t[2] for t in timeline if t[0] == "faulty scanner"])
answers_after_fault = predict_answers_by_status()  # no predict request was made since the fault phase
during_fault = {status: n - answers_before_fault.get(status, 0) for status, n in answers_after_fault.items()
                if n > answers_before_fault.get(status, 0)}
print(f"/health: {call('/health')[1]['status']}; predict answers by status during the fault: {during_fault} "
      f"(whole session: {answers_after_fault})")
lesson.metric("scanner_fault_non_200", sum(n for status, n in during_fault.items() if status != "200"),
              "predict answers during the scanner fault that were not 200")
lesson.metric("scanner_fault_200", during_fault.get("200", 0), "predict answers with 200 during the scanner fault")
clean_accuracy = np.mean([t[2] for t in timeline if t[0] == "normal"])
print(f"accuracy during the fault: {fault_accuracy:.1%} (the same images served cleanly: {clean_accuracy:.1%})")
lesson.metric("scanner_fault_acc", fault_accuracy, "accuracy during the scanner fault", fmt=".1%")
lesson.metric("clean_same_images_acc", clean_accuracy, "accuracy on the same images served cleanly", fmt=".1%");

# %% [markdown]
# ## 6. The same service for text
# Text models that take raw strings are served the same way: the service validates that every
# instance is a non-empty string of bounded length. Here the small review classifier of lesson 17
# (`kerasmodels serve` also loads keras-hub `BertTextClassifier` files, e.g. from
# `kerasmodels.models.bert_classifier`).

# %%
if keras.backend.backend() != "tensorflow":
    # A Keras model with string ops inside (TextVectorization on a string input) runs only on TensorFlow.
    print(f"Skipped on the {keras.backend.backend()} backend: this model takes raw strings, and string ops "
          "inside a Keras model run only on TensorFlow (a keras-hub classifier tokenizes in its "
          "preprocessor, outside the model).")
else:
    texts, labels = km.data.load("reviews", split="train")
    vectorize = keras.layers.TextVectorization(max_tokens=4000, output_sequence_length=48)
    vectorize.adapt(texts)
    text_in = keras.Input(shape=(), dtype="string")
    hidden = keras.layers.GlobalAveragePooling1D()(keras.layers.Embedding(4000, 16, mask_zero=True)(vectorize(text_in)))
    review_model = keras.Model(text_in, keras.layers.Dense(1)(hidden), name="review_classifier")
    review_model.compile(optimizer=keras.optimizers.Adam(0.01), loss=keras.losses.BinaryCrossentropy(from_logits=True))
    review_model.fit(texts, labels, epochs=lesson.pick(8, 30), batch_size=32, verbose=0)
    review_model.save(workdir / "reviews.keras")
    names = ["negative", "positive"]
    with km.serving.make_server(workdir / "reviews.keras", max_text_chars=500, class_names=names) as text_server:
        for body in ({"instances": ["A warm, friendly place with great coffee.", "The battery died after an hour."]},
                     {"instances": [42]}, {"instances": [""]}, {"instances": ["x" * 600]}):
            request = urllib.request.Request(text_server.url + "/v1/models/review_classifier:predict",
                                             data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
            try:
                answer = json.load(urllib.request.urlopen(request, timeout=30))
                print(200, [(names[int(np.argmax(p))], round(max(p), 2)) for p in answer["predictions"]])
            except urllib.error.HTTPError as error:
                print(error.code, json.load(error)["error"])
server.stop()

# %% [markdown]
# ## 7. Exercises
# First, validate one image for the service contract: return `None` when `instance` is a
# $28 \times 28$ nested list of finite numbers in $[0, 1]$ (numbers, not booleans or strings),
# otherwise a string saying what is wrong; a ragged list (rows of different lengths) is an error
# message, not a crash. This attempt checks only the shape.

# %%
def validate_image(instance):
    array = np.asarray(instance)
    if array.shape != (28, 28):
        return f"expected shape (28, 28), got {array.shape}"
    return None


course.exercises.check("19.validate_image", validate_image);

# %% [markdown]
# Next, the population stability index from bin counts (reference and current), flooring every
# share at `1e-4` so empty bins do not divide by zero. The floor keeps the exercise simple; the
# service instead adds a pseudo-count of 0.5 to every bin, because with the floor each empty bin
# adds about $r \ln(r / 10^{-4})$ to the PSI, 0.69 for a reference share $r = 0.1$, so one empty
# bin, common in a small window, crosses the drift line of 0.25 by itself (with the pseudo-count,
# in a window of 30 values, it adds about 0.17). This attempt computes a one-sided divergence
# instead.

# %%
def psi(reference_counts, current_counts):
    r = np.maximum(np.asarray(reference_counts) / np.sum(reference_counts), 1e-4)
    c = np.maximum(np.asarray(current_counts) / np.sum(current_counts), 1e-4)
    return float(np.sum(c * np.log(c / r)))


course.exercises.check("19.psi", psi);

# %% [markdown]
# Finally, Little's law for capacity planning: with `workers` requests served at a time, each
# taking `latency_ms` milliseconds, how many requests per second can the service answer at most?

# %%
def max_throughput(workers, latency_ms):
    return workers / latency_ms


course.exercises.check("19.max_throughput", max_throughput);

# %% [markdown]
# ## Summary
# - Export for the audience: `.keras` (Keras, any backend), SavedModel (TensorFlow tooling),
#   ONNX (onnxruntime, inference servers), TFLite (devices); check each copy predicts what the
#   original does.
# - Speak the standard protocols (TF Serving / KServe v1, Open Inference Protocol v2) so that
#   standard clients, gateways and servers work with your model.
# - A service validates everything: shape, type, finite values, range, sizes, JSON itself; client
#   mistakes get a 4xx with a message that says how to fix them; bind to 127.0.0.1 until you mean
#   otherwise.
# - Let a maintained server do the HTTP: strict framing, a deep listen backlog, timeouts for the
#   whole body and for the headers, body limits before reading, a cap on concurrency.
# - Expose Prometheus metrics with bounded labels (route templates, not raw paths).
# - Report latency as percentiles (p50, p90, p99) and throughput; batching trades latency for
#   throughput; Little's law links them.
# - Monitor inputs and outputs for drift (PSI, KS); health checks and 200s do not mean the
#   model is right.
