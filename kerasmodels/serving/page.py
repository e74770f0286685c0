"""The page at `/`: draw a digit (image models) or type a text (text models) and see the probabilities.

One self-contained HTML document, inline CSS and JavaScript, no external resources, so
it works offline and behind a strict Content-Security-Policy. It speaks the same
protocol as any client: `POST /v1/models/NAME:predict` with `{"instances": [x]}`.

For an image model, the 280x280 drawing canvas is downsampled to the model's input
size (e.g. 28x28) by averaging blocks of pixels, like MNIST's anti-aliased digits:
white strokes on black, values in [0, 1], repeated over the channels.
"""

import html
import json

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>__TITLE__</title>
<style>
body { font: 15px/1.4 system-ui, sans-serif; margin: 2em auto; max-width: 46em; color: #222; }
#pad { background: #000; cursor: crosshair; touch-action: none; border-radius: 4px; }
#preview { image-rendering: pixelated; width: 84px; height: 84px; border: 1px solid #ccc; vertical-align: top; }
textarea { width: 100%; height: 6em; font: inherit; }
button { font: inherit; padding: .3em 1em; margin: .5em .5em 0 0; }
.bar { display: flex; align-items: center; margin: 2px 0; }
.bar .name { width: 8em; text-align: right; padding-right: .5em; overflow: hidden; white-space: nowrap; }
.bar .fill { background: #3a7bd5; height: 1.1em; }
.bar.top .fill { background: #e8590c; }
.bar .value { padding-left: .4em; font-variant-numeric: tabular-nums; }
#status { color: #a00; min-height: 1.4em; }
small { color: #666; }
</style></head>
<body>
<h1>__TITLE__</h1>
<p><small>__SUMMARY__</small></p>
<div id="image-input" hidden>
  <canvas id="pad" width="280" height="280"></canvas>
  <canvas id="preview"></canvas>
  <br><button id="clear">Clear</button><button id="predict-image">Predict</button>
</div>
<div id="text-input" hidden>
  <label for="text">Type a sentence:</label><br><textarea id="text"></textarea>
  <br><button id="predict-text">Predict</button>
</div>
<p id="status"></p>
<div id="bars"></div>
<script id="config" type="application/json">__CONFIG__</script>
<script>
"use strict";
const config = JSON.parse(document.getElementById("config").textContent);
const statusLine = document.getElementById("status");
const bars = document.getElementById("bars");

function showBars(probabilities) {
  bars.textContent = "";
  const best = probabilities.indexOf(Math.max(...probabilities));
  probabilities.forEach((p, k) => {
    const row = document.createElement("div");
    row.className = "bar" + (k === best ? " top" : "");
    row.dataset.cls = String(k);
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = config.class_names ? config.class_names[k] : String(k);
    const fill = document.createElement("span");
    fill.className = "fill";
    fill.style.width = (p * 20).toFixed(2) + "em";
    const value = document.createElement("span");
    value.className = "value";
    value.textContent = (100 * p).toFixed(1) + "%";
    row.append(name, fill, value);
    bars.append(row);
  });
}

async function predict(instance) {
  statusLine.textContent = "";
  const response = await fetch(config.predict_url, {
    method: "POST", headers: {"Content-Type": "application/json"},
    body: JSON.stringify({instances: [instance]})});
  const answer = await response.json();
  if (!response.ok) { statusLine.textContent = response.status + ": " + answer.error; return; }
  showBars(answer.predictions[0]);
}

if (config.kind === "image") {
  document.getElementById("image-input").hidden = false;
  const pad = document.getElementById("pad"), ctx = pad.getContext("2d");
  const [height, width, channels] = config.shape;
  const preview = document.getElementById("preview");
  preview.width = width; preview.height = height;
  function clear() { ctx.fillStyle = "#000"; ctx.fillRect(0, 0, pad.width, pad.height); bars.textContent = ""; }
  clear();
  ctx.strokeStyle = "#fff"; ctx.lineWidth = 22; ctx.lineCap = "round"; ctx.lineJoin = "round";
  let drawing = false;
  const at = (e) => { const r = pad.getBoundingClientRect(); return [e.clientX - r.left, e.clientY - r.top]; };
  pad.addEventListener("pointerdown", (e) => { drawing = true; ctx.beginPath(); ctx.moveTo(...at(e)); });
  pad.addEventListener("pointermove", (e) => { if (drawing) { ctx.lineTo(...at(e)); ctx.stroke(); } });
  pad.addEventListener("pointerup", () => { drawing = false; });
  pad.addEventListener("pointerleave", () => { drawing = false; });
  // Average blocks of the canvas down to the model's input size: values in [0, 1].
  function downsample() {
    const small = document.createElement("canvas");
    small.width = width; small.height = height;
    const sctx = small.getContext("2d");
    sctx.imageSmoothingEnabled = true; sctx.imageSmoothingQuality = "high";
    sctx.drawImage(pad, 0, 0, width, height);
    preview.getContext("2d").drawImage(small, 0, 0);
    const pixels = sctx.getImageData(0, 0, width, height).data;
    const image = [];
    for (let y = 0; y < height; y++) {
      const row = [];
      for (let x = 0; x < width; x++) {
        const v = pixels[4 * (y * width + x)] / 255;
        row.push(channels ? Array(channels).fill(v) : v);
      }
      image.push(row);
    }
    return image;
  }
  document.getElementById("clear").addEventListener("click", clear);
  document.getElementById("predict-image").addEventListener("click", () => predict(downsample()));
} else if (config.kind === "text") {
  document.getElementById("text-input").hidden = false;
  document.getElementById("predict-text").addEventListener("click",
    () => predict(document.getElementById("text").value));
} else {
  statusLine.textContent = "This page draws inputs for image and text models only; use the API with this model.";
}
</script>
</body></html>
"""


def render(predictor):
    """The page for one predictor: its name, input kind and shape, class names."""
    shape = list(predictor.input_shape)
    image = predictor.kind == "tensor" and len(shape) in (2, 3) and all(d for d in shape)
    kind = "text" if predictor.kind == "text" else "image" if image else "other"
    config = {"kind": kind, "shape": shape[:2] + [shape[2] if len(shape) == 3 else 0],
              "class_names": predictor.class_names, "predict_url": f"/v1/models/{predictor.name}:predict"}
    # "</" cannot end the script element early once escaped; class names are data, not markup.
    config_json = json.dumps(config).replace("</", "<\\/")
    if kind == "image":
        what = f"Draw in the black square; it is shrunk to {shape[0]}x{shape[1]} like the training images."
    elif kind == "text":
        what = "Type a text; the model returns the probability of each class."
    else:
        what = "This model's input is not an image or a text."
    summary = html.escape(f"{predictor.name} ({predictor.runtime.platform}). {what} "
                          f"API: POST /v1/models/{predictor.name}:predict, /v2/models/{predictor.name}/infer; "
                          "GET /metrics.")
    return (PAGE.replace("__TITLE__", html.escape(f"{predictor.name}: try the model"))
            .replace("__SUMMARY__", summary).replace("__CONFIG__", config_json))
