"""Lesson 19's claims: exports agree, the service answers bad requests with 4xx and resists the attacks it shows,
the metrics have bounded labels, the load test and drift monitor work."""

import pytest


def test_lesson_19_numbers(executed_lessons):
    result = executed_lessons(19)
    assert result.status == "passed", result.error
    metrics = {k: v["value"] for k, v in result.metrics.items()}
    assert metrics["max_logit_diff_exports"] < 1e-3  # .keras, SavedModel, ONNX and TFLite agree
    assert metrics["bad_requests_4xx"] == 1.0
    assert metrics["p50_latency_ms_1_clients"] > 0 and metrics["throughput_4_clients"] > 0
    # Section 4: one prediction at a time, so more clients wait in a queue: p50 with 4 clients is above p50 with 1
    # and 2 (the 4/2 ratio was 1.3-3.0 in the quick runs we looked at on a loaded 2-core machine). The throughput
    # ratio is within run-to-run noise there (about 0.37-1.8), so the prose only prints it: no bound on it here.
    assert metrics["p50_latency_ms_4_clients"] > max(metrics["p50_latency_ms_1_clients"],
                                                       metrics["p50_latency_ms_2_clients"])
    assert metrics["throughput_4_over_2_clients"] == pytest.approx(
        metrics["throughput_4_clients"] / metrics["throughput_2_clients"])
    assert metrics["p50_latency_4_over_2_clients"] == pytest.approx(
        metrics["p50_latency_ms_4_clients"] / metrics["p50_latency_ms_2_clients"])
    for clients in (1, 2, 4):  # "the two columns agree" (an identity in a closed loop)
        assert 0.8 < metrics[f"littles_law_ratio_{clients}_clients"] < 1.25
    assert metrics["batch16_over_single_images_per_s"] > 2  # "several times more images"
    assert metrics["psi_normal"] < 0.1  # the full window of normal traffic: no false alarm
    # Early, small windows of normal traffic can reach the watch line through noise: the floor per feature at 200
    # images is 9 x (1/1000 + 1/200), and the largest normal-phase PSI (a max over four features) stays below the
    # drift threshold but above that floor.
    assert metrics["psi_noise_floor_window_200"] == pytest.approx(9 * (1 / 1000 + 1 / 200), abs=1e-3)
    assert metrics["psi_noise_floor_window_200"] < metrics["max_psi_normal"] < 0.25
    assert metrics["max_psi_normal"] > 0.08  # "near the watch line of 0.1, or above it"
    assert metrics["max_psi_normal_window"] <= 300  # early in the phase, a small window
    # the stream (first test images, NIST SD-3 writers) and the reference (training images, SD-3 and SD-1 writers):
    # "normal" traffic is a slightly different population
    assert abs(metrics["normal_vs_reference_mean_std_errs"]) > 2
    assert metrics["psi_normal_range_full_window"] > 0.01  # "it still moves" at a full window
    # The faulty scanner lowers contrast, not brightness: the mean barely moves, the dark background shrinks.
    assert 0.9 < metrics["faulty_scanner_mean_brightness_ratio"] < 1.1
    assert metrics["faulty_scanner_dark_pixel_share_ratio"] < 0.9
    # Counters read before and after the fault: every predict request of the fault phase was answered 200.
    assert metrics["scanner_fault_non_200"] == 0
    assert metrics["scanner_fault_200"] == 24  # quick mode: 6 x 100 images, 32 a request
    assert metrics["psi_scanner_fault"] > 0.25  # the simulated fault is flagged
    assert metrics["scanner_fault_acc"] < metrics["cnn_test_acc"]
    # "accuracy fell": the fault phase replays the same images, so the paired comparison is the evidence
    assert metrics["scanner_fault_acc"] < metrics["clean_same_images_acc"]
    assert {f.stem for f in result.figures} >= {"latency_throughput", "drift_monitor"}


def test_lesson_19_hardening_and_metrics(executed_lessons):
    result = executed_lessons(19)
    assert result.status == "passed", result.error
    m = {k: v["value"] for k, v in result.metrics.items()}
    assert m["status_content_length_plus20"] == 400  # strict framing
    assert m["get_with_hidden_body_answers"] == 1  # no smuggled second answer
    assert m["trickled_headers_cutoff_s"] < 3  # header deadline (1 s in the lesson)
    assert m["burst_100_answered"] == 100  # the backlog queues them, none reset
    # 50 probes of random paths add no labels: the routes of the requests the lesson made, plus one <unmatched>
    assert m["metrics_route_labels"] <= 10


def test_lesson_19_service_never_answered_500(executed_lessons):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from conftest import notebook_text_outputs

    result = executed_lessons(19)
    assert result.status == "passed", result.error
    m = {k: v["value"] for k, v in result.metrics.items()}
    assert m["bad_requests_4xx"] == 1.0
    assert m["bad_requests_5xx"] == 0
    assert m["health_after_bad_requests"] == 200
    text = notebook_text_outputs(result)  # nothing in the service's answers or logs is a crash
    assert "internal_error" not in text and "Traceback" not in text
