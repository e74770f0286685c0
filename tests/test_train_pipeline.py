"""One training path (issue 28): `train` and `train --workers N` run the same function with the same
recipe and write the same summary, and every `train` flag reaches the workers (or is refused with one line)."""

import argparse
import json
import os

import pytest

from kerasmodels import cli, registry, train

# A value for every training flag, none of them its default.
NON_DEFAULT = {
    "--data": "digits", "--epochs": "2", "--batch-size": "64", "--learning-rate": "0.002", "--limit": "512",
    "--eval-limit": "100", "--preset": "article002", "--data-dir": "/tmp/some-data", "--seed": "3", "--sequence-length": "32",
    "--out": "/tmp/run", "--precision": "float32", "--no-resume": None, "--no-accelerate": None,
}
# What the launcher does itself (or cannot pass on), and why each is not forwarded.
LAUNCHER_ONLY = {"--workers", "--restarts", "--hosts", "--no-resume", "-h"}


def train_parser():
    parser = cli.build_parser()
    return next(action for action in parser._subparsers._group_actions[0].choices.values()
                if action.prog.endswith(" train"))


def test_every_train_flag_is_forwarded_to_the_workers_or_handled_by_the_launcher():
    flags = {option for action in train_parser()._actions for option in action.option_strings[:1]}
    assert set(NON_DEFAULT) | LAUNCHER_ONLY >= flags, f"a train flag nobody forwards: {flags - set(NON_DEFAULT)}"
    words = ["train", "cnn", "--workers", "2"]
    for flag, value in NON_DEFAULT.items():
        words += [flag] if value is None else [flag, value]
    args = cli.build_parser().parse_args(words)
    forwarded = cli.worker_argv(args, "/tmp/run")
    for flag, value in NON_DEFAULT.items():
        if flag in LAUNCHER_ONLY:
            assert flag not in forwarded, flag
            continue
        assert flag in forwarded, flag
        if value is not None:
            assert forwarded[forwarded.index(flag) + 1] == value, flag
    # The worker parses them back to the same train() arguments (the one definition of the flags).
    worker = train.add_arguments(argparse.ArgumentParser())
    expected = dict(train.train_kwargs(args), resume=True)  # --no-resume: the launcher moved the old run aside
    assert train.train_kwargs(worker.parse_args(forwarded)) == expected


def test_flags_that_cannot_apply_to_workers_are_refused_in_one_line(capsys, tmp_path):
    out = tmp_path / "run"
    assert cli.main(["train", "cnn", "--workers", "2", "--data", "digits", "--no-accelerate", "--out", str(out)]) == 2
    assert cli.main(["train", "bert", "--workers", "2", "--data", "reviews", "--out", str(out)]) == 2
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 2 and all("Fix:" in line for line in lines)
    assert "--no-accelerate cannot be used" in lines[0] and "bert trains in one process" in lines[1]
    assert not out.exists()


def test_the_registry_is_what_the_cli_offers():
    choices = next(a for a in train_parser()._actions if a.dest == "model").choices
    assert list(choices) == list(registry.MODEL_KINDS)
    assert registry.model_kind("cnn").canonical_preset("seed", warn=False) == "article002"
    assert registry.datasets_for("cnn") == ("digits", "mnist", "shapes", "cifar10")
    with pytest.raises(registry.InvalidArgumentError, match="choose one of: mlp, cnn, bert"):
        registry.model_kind("resnet")


def same_recipe(one, two):
    keep = ("batch_size", "peak_learning_rate", "epochs", "optimizer", "schedule", "source")
    return {k: one["recipe"][k] for k in keep} == {k: two["recipe"][k] for k in keep}


@pytest.mark.slow  # two short trainings in this process (digits, one epoch each)
def test_one_process_and_a_worker_write_the_same_summary_with_the_same_recipe(tmp_path):
    one = train.train("cnn", "digits", epochs=1, limit=512, out_dir=tmp_path / "one", verbose=0)
    # What each worker process (`python -m kerasmodels.train`) runs, here as the only worker.
    worker = train.train("cnn", "digits", epochs=1, limit=512, eval_limit=100, out_dir=tmp_path / "worker",
                         verbose=0, multi_worker=True)
    assert set(one) == set(worker) == set(train.SUMMARY_KEYS)
    # --limit cuts the training examples only; --eval-limit cuts validation and test.
    assert one["train_examples"] == worker["train_examples"] == 512
    assert one["validation_examples"] > 100 and one["test_examples"] > 100
    assert worker["validation_examples"] == worker["test_examples"] == 100
    assert json.loads((tmp_path / "worker" / "metrics.json").read_text()).keys() == one.keys()
    assert same_recipe(one, worker) and one["recipe"]["schedule"] == "warmup_cosine"  # not a constant rate
    assert one["batch_size"] == worker["global_batch_size"] == registry.model_kind("cnn").recipe().batch_size
    assert (one["workers"], worker["workers"]) == (1, 1) and len(worker["loss"]) == 1


@pytest.mark.slow  # a real 2-worker run on 127.0.0.1 (two TensorFlow/JAX processes start: ~30 s)
def test_train_and_train_workers_2_use_the_same_recipe_and_summary(tmp_path, capsys):
    env = dict(os.environ)
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    try:
        base = ["train", "cnn", "--data", "digits", "--epochs", "1", "--limit", "512", "--precision", "float32"]
        assert cli.main([*base, "--out", str(tmp_path / "one")]) == 0
        assert cli.main([*base, "--workers", "2", "--out", str(tmp_path / "two")]) == 0
    finally:
        os.environ.clear()
        os.environ.update(env)
    one = json.loads((tmp_path / "one" / "metrics.json").read_text())
    two = json.loads((tmp_path / "two" / "metrics.json").read_text())
    assert set(one) == set(two) == set(train.SUMMARY_KEYS)
    assert same_recipe(one, two)
    assert two["workers"] == 2 and two["replicas"] == 2 and two["per_replica_batch_size"] == two["batch_size"] // 2
    assert one["accelerate"]["precision"] == two["accelerate"]["precision"] == "float32"  # --precision reached them
    assert "2 workers on 127.0.0.1" in capsys.readouterr().out
