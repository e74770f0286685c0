"""Careless and hostile use of `serve`, round two (issue 29): bombs refused, mistakes named as what they are.

Each test failed before its fix: a padded config.json was read whole (3 GB RSS), a damaged model
was blamed on the port, protocol edge cases answered 500 or 404, and `--help`'s per-request log
line was never printed.
"""

import http.client
import json
import shutil
import subprocess
import sys
import time
import zipfile

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from kerasmodels import cli, serving  # noqa: E402
from kerasmodels.errors import DamagedFileError  # noqa: E402
from kerasmodels.models import load_model  # noqa: E402
from kerasmodels.models.loading import MAX_JSON_MEMBER_BYTES  # noqa: E402


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,), name="features"), keras.layers.Dense(3)], name="tiny")
    path = tmp_path_factory.mktemp("model") / "tiny.keras"
    model.save(path)
    return path


def _rewrite(source, target, replace):
    """A copy of the .keras zip with members replaced (name -> bytes, or None to drop it)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            if info.filename in replace:
                if replace[info.filename] is not None:
                    new.writestr(info.filename, replace[info.filename])
            else:
                new.writestr(info, old.read(info.filename))
        for name, data in replace.items():
            if name not in old.namelist() and data is not None:
                new.writestr(name, data)
    return target


def test_a_padded_config_is_refused_before_it_is_unpacked(model_file, tmp_path):
    config = zipfile.ZipFile(model_file).read("config.json")
    bomb = _rewrite(model_file, tmp_path / "bomb.keras",
                    {"config.json": config + b" " * (MAX_JSON_MEMBER_BYTES + 1)})
    assert bomb.stat().st_size < 2**20  # a small file ...
    started = time.perf_counter()
    with pytest.raises(DamagedFileError, match="config.json unpacks to 64 MiB"):
        load_model(bomb)
    assert time.perf_counter() - started < 2  # ... refused from the zip directory, not by reading it


def test_a_member_that_unpacks_far_beyond_the_file_is_refused(model_file, tmp_path):
    bomb = _rewrite(model_file, tmp_path / "zeros.keras", {"assets/zeros.bin": bytes(80 * 2**20)})
    with pytest.raises(DamagedFileError, match="zip bomb"):
        load_model(bomb)


def test_the_real_model_still_loads(model_file):
    assert load_model(model_file).name == "tiny"


def _serve_error(path, capsys):
    code = cli.main(["serve", str(path), "--port", "0"])
    err = capsys.readouterr().err.strip()
    return code, err


@pytest.mark.parametrize("case", ["garbage weights", "no config.json"])
def test_a_damaged_keras_file_is_named_not_the_port(model_file, tmp_path, capsys, case):
    replace = {"model.weights.h5": b"not hdf5 at all"} if case == "garbage weights" else {"config.json": None}
    damaged = _rewrite(model_file, tmp_path / "damaged.keras", replace)
    code, err = _serve_error(damaged, capsys)
    assert code == 2, err
    assert err.count("\n") == 0 and "damaged.keras" in err and "damaged" in err, err
    assert "--port" not in err and "internal error" not in err, err


@pytest.mark.slow  # exports a SavedModel with TensorFlow
def test_a_damaged_saved_model_is_named_not_the_port(model_file, tmp_path, capsys):
    pytest.importorskip("tensorflow")
    folder = tmp_path / "exported"
    load_model(model_file).export(folder, verbose=False)
    no_variables = tmp_path / "no_variables"
    shutil.copytree(folder, no_variables)
    shutil.rmtree(no_variables / "variables")
    garbage = tmp_path / "garbage"
    garbage.mkdir()
    (garbage / "saved_model.pb").write_bytes(b"\x00garbage\xff" * 10)
    for path in (no_variables, garbage):
        code, err = _serve_error(path, capsys)
        assert code == 2, err
        assert err.count("\n") == 0 and "SavedModel folder" in err and "export the model again" in err, err
        assert "--port" not in err, err


@pytest.fixture(scope="module")
def server(model_file):
    with serving.make_server(model_file) as server:
        yield server


def _request(server, method, path, body=None, headers=None):
    connection = http.client.HTTPConnection(*server.server_address, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), json.loads(response.read())
    finally:
        connection.close()


@pytest.mark.parametrize("length", ["9" * 5000, "\u00b2", "1" * 13])
def test_an_absurd_binary_header_length_is_a_400_not_a_server_fault(server, length):
    status, _, answer = _request(server, "POST", "/v2/models/tiny/infer", body=b"{}",
                                 headers={"Inference-Header-Content-Length": length})
    assert status == 400 and answer["code"] == "bad_header_length", answer
    connection = http.client.HTTPConnection(*server.server_address, timeout=30)
    connection.request("GET", "/metrics")
    metrics = connection.getresponse().read().decode()
    connection.close()
    assert 'status="500"' not in metrics


def test_get_on_the_predict_route_is_405_with_allow(server):
    status, headers, answer = _request(server, "GET", "/v1/models/tiny:predict")
    assert status == 405 and {k.lower(): v for k, v in headers.items()}.get("allow") == "POST", (status, headers)


def test_tf_servings_documented_curl_call_is_answered(server):
    # curl -d '{"instances": ...}' sends application/x-www-form-urlencoded, and TF Serving accepts it.
    body = json.dumps({"instances": [[0.1, 0.2, 0.3, 0.4]]}).encode()
    status, _, answer = _request(server, "POST", "/v1/models/tiny:predict", body=body,
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200 and np.asarray(answer["predictions"]).shape == (1, 3), answer
    status, _, answer = _request(server, "POST", "/v1/models/tiny:predict", body=b"a=1&b=2",
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 400, answer


@pytest.mark.slow  # starts `kerasmodels serve` in a new process
def test_serve_logs_a_line_per_request_unless_told_not_to(model_file):
    for flags, expect_line in (([], True), (["--no-log-requests"], False)):
        process = subprocess.Popen([sys.executable, "-m", "kerasmodels", "serve", str(model_file), "--port", "0",
                                    *flags], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            banner = process.stdout.readline()
            url = banner.split(" at ", 1)[1].split()[0]
            host, port = url.removeprefix("http://").rsplit(":", 1)
            connection = http.client.HTTPConnection(host, int(port), timeout=30)
            connection.request("GET", "/health")
            assert connection.getresponse().status == 200
            connection.close()
            time.sleep(0.5)
        finally:
            process.terminate()
            _, err = process.communicate(timeout=30)
        assert ('"GET /health HTTP/1.1" 200' in err) is expect_line, (flags, err)


def test_info_creates_no_folders(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KERASMODELS_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("KERASMODELS_RUNS", raising=False)
    assert cli.main(["info"]) == 0
    assert "runs:" in capsys.readouterr().out
    assert list(tmp_path.iterdir()) == []
