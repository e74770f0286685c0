"""Lesson 19's claims: exports agree, the service answers bad requests with 4xx and resists the attacks it shows,
the metrics have bounded labels, the load test and drift monitor work."""

import pytest


def test_lesson_19_numbers(executed_lessons):
    result = executed_lessons(19)
    assert result.status == "passed", result.error
    metrics = {k: v["value"] for k, v in result.metrics.items()}
    assert metrics["max logit difference across exports"] < 1e-3  # .keras, SavedModel, ONNX and TFLite agree
    assert metrics["bad requests answered with 4xx"] == 1.0
    assert metrics["p50 latency, 1 client (ms)"] > 0 and metrics["throughput, 4 clients (req/s)"] > 0
    # Section 4: one prediction at a time, so more clients wait in a queue: p50 with 4 clients is above p50 with 1
    # and 2 (the 4/2 ratio was 1.3-3.0 in the quick runs we looked at on a loaded 2-core machine). The throughput
    # ratio is within run-to-run noise there (about 0.37-1.8), so the prose only prints it: no bound on it here.
    assert metrics["p50 latency, 4 clients (ms)"] > max(metrics["p50 latency, 1 client (ms)"],
                                                       metrics["p50 latency, 2 clients (ms)"])
    assert metrics["throughput, 4 clients / 2 clients"] == pytest.approx(
        metrics["throughput, 4 clients (req/s)"] / metrics["throughput, 2 clients (req/s)"])
    assert metrics["p50 latency, 4 clients / 2 clients"] == pytest.approx(
        metrics["p50 latency, 4 clients (ms)"] / metrics["p50 latency, 2 clients (ms)"])
    for clients in ("1 client", "2 clients", "4 clients"):  # "the two columns agree" (an identity in a closed loop)
        assert 0.8 < metrics[f"Little's law / measured throughput, {clients}"] < 1.25
    assert metrics["images/s, 16 per request over best 1 per request"] > 2  # "several times more images"
    assert metrics["PSI on normal traffic"] < 0.1  # the full window of normal traffic: no false alarm
    # Early, small windows of normal traffic can reach the watch line through noise: the floor per feature at 200
    # images is 9 x (1/1000 + 1/200), and the largest normal-phase PSI (a max over four features) stays below the
    # drift threshold but above that floor.
    assert metrics["PSI noise floor per feature, window of 200"] == pytest.approx(9 * (1 / 1000 + 1 / 200), abs=1e-3)
    assert metrics["PSI noise floor per feature, window of 200"] < metrics["largest PSI on normal traffic"] < 0.25
    assert metrics["largest PSI on normal traffic"] > 0.08  # "near the watch line of 0.1, or above it"
    assert metrics["window size of the largest PSI on normal traffic"] <= 300  # early in the phase, a small window
    # the stream (first test images, NIST SD-3 writers) and the reference (training images, SD-3 and SD-1 writers):
    # "normal" traffic is a slightly different population
    assert abs(metrics["normal stream vs reference: mean brightness difference (standard errors)"]) > 2
    assert metrics["normal traffic: PSI range once the window is full"] > 0.01  # "it still moves" at a full window
    # The faulty scanner lowers contrast, not brightness: the mean barely moves, the dark background shrinks.
    assert 0.9 < metrics["faulty scanner: mean brightness, current / reference mean"] < 1.1
    assert metrics["faulty scanner: dark pixel share, current / reference mean"] < 0.9
    # Counters read before and after the fault: every predict request of the fault phase was answered 200.
    assert metrics["predict answers during the scanner fault that were not 200"] == 0
    assert metrics["predict answers with 200 during the scanner fault"] == 24  # quick mode: 6 x 100 images, 32 a request
    assert metrics["PSI after the scanner fault"] > 0.25  # the simulated fault is flagged
    assert metrics["accuracy during the scanner fault"] < metrics["CNN test accuracy"]
    # "accuracy fell": the fault phase replays the same images, so the paired comparison is the evidence
    assert metrics["accuracy during the scanner fault"] < metrics["accuracy on the same images served cleanly"]
    assert {f.stem for f in result.figures} >= {"latency_throughput", "drift_monitor"}


def test_lesson_19_hardening_and_metrics(executed_lessons):
    result = executed_lessons(19)
    assert result.status == "passed", result.error
    m = {k: v["value"] for k, v in result.metrics.items()}
    assert m["status for Content-Length: +20"] == 400  # strict framing
    assert m["answers to a GET with a request hidden in its body"] == 1  # no smuggled second answer
    assert m["seconds until trickled headers are cut off"] < 3  # header deadline (1 s in the lesson)
    assert m["burst of 100 clients: answered"] == 100  # the backlog queues them, none reset
    # 50 probes of random paths add no labels: the routes of the requests the lesson made, plus one <unmatched>
    assert m["route labels in /metrics"] <= 10


def test_lesson_19_service_never_answered_500(executed_lessons):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from conftest import notebook_text_outputs

    result = executed_lessons(19)
    assert result.status == "passed", result.error
    m = {k: v["value"] for k, v in result.metrics.items()}
    assert m["bad requests answered with 4xx"] == 1.0
    assert m["bad requests answered with 5xx"] == 0
    assert m["health check status after the bad requests"] == 200
    text = notebook_text_outputs(result)  # nothing in the service's answers or logs is a crash
    assert "internal_error" not in text and "Traceback" not in text
