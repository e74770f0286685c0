"""Lesson 07 §5's separate run: does LeNet on the shapes images gain from more epochs, or more images?

Quick mode's LeNet setup (`cnn(preset="lenet")`, `compile_model(learning_rate=3e-3)`, batch 32,
a tenth held out for validation, TensorFlow): 4 epochs, then the same model continued to 12, for
seeds 0-3 on quick mode's 3,000 loaded images (2,700 trained on), and once on 10,000 (9,000).
Test accuracy on 1,000 test images after 4 and after 12 epochs.

Raw results: bench/results/lesson07_lenet_epochs.json (`--name`).

Usage: python bench/lesson07_lenet_epochs.py [--name NAME]
"""

import argparse
import time

from common import command_line, save, table

RUNS = ((0, 3000), (1, 3000), (2, 3000), (3, 3000), (0, 10000))


def run(seed, loaded):
    import keras

    import kerasmodels as km

    keras.utils.set_random_seed(seed)
    x, y = km.data.load("shapes", split="train", limit=loaded)
    x_test, y_test = km.data.load("shapes", split="test", limit=1000)
    model = km.models.compile_model(km.models.cnn(input_shape=(32, 32, 3), num_classes=10, preset="lenet"),
                                    learning_rate=3e-3)
    first = model.fit(x, y, epochs=4, batch_size=32, validation_split=0.1, verbose=0)
    test4 = model.evaluate(x_test, y_test, verbose=0, return_dict=True)["accuracy"]
    more = model.fit(x, y, epochs=12, initial_epoch=4, batch_size=32, validation_split=0.1, verbose=0)
    test12 = model.evaluate(x_test, y_test, verbose=0, return_dict=True)["accuracy"]
    return {"seed": seed, "images_loaded": loaded, "test_accuracy_4": test4, "test_accuracy_12": test12,
            "val_accuracy_4": first.history["val_accuracy"][-1], "val_accuracy_12": more.history["val_accuracy"][-1],
            "train_accuracy_12": more.history["accuracy"][-1]}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", default="lesson07_lenet_epochs")
    args = parser.parse_args(argv)
    started = time.process_time()
    runs = [run(seed, loaded) for seed, loaded in RUNS]
    print(table([(r["seed"], r["images_loaded"], f"{r['test_accuracy_4']:.3f}", f"{r['test_accuracy_12']:.3f}",
                  f"{r['test_accuracy_12'] - r['test_accuracy_4']:+.3f}") for r in runs],
                ["seed", "images loaded", "test acc. 4 epochs", "12 epochs", "gain"]))
    path = save(args.name, {"command": command_line("lesson07_lenet_epochs.py", argv), "runs": runs,
                            "cpu_seconds": round(time.process_time() - started, 1)})
    print(f"saved {path}")


if __name__ == "__main__":
    main()
