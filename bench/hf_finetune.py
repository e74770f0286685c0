"""The Hugging Face side of bench/bench_bert_vs_hf.py: fine-tune BertForSequenceClassification.

Runs inside the separate torch venv (see bench/requirements-hf.txt), never in kerasmodels' own
environment. It reads the exact texts and labels the Keras side exported, tokenizes them to a
fixed length with padding (as keras-hub's preprocessor does) and trains with the same settings:
AdamW (weight decay 0.01, eps 1e-8), learning rate decaying linearly to 0 over all steps,
dropout 0.1, the given batch size and number of threads.

Modes:

- `throughput`: `--warmup-steps` untimed steps, then `--steps` timed steps; prints the median
  step time.
- `accuracy`: `--epochs` epochs over the whole training split (shuffled), then accuracy on the
  test split.

Usage (normally started by bench_bert_vs_hf.py):
    /work/bench-venv/bin/python bench/hf_finetune.py --data DATA.json --model-dir DIR --mode accuracy
"""

import argparse
import json
import statistics
import time


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True, help="JSON written by bench_bert_vs_hf.py")
    parser.add_argument("--model-dir", required=True, help="Hugging Face BERT folder")
    parser.add_argument("--mode", choices=("throughput", "accuracy"), required=True)
    parser.add_argument("--sequence-length", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=5e-5)
    parser.add_argument("--weight-decay", type=float, default=0.01)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--warmup-steps", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import torch
    import transformers

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    data = json.loads(open(args.data, encoding="utf-8").read())
    tokenizer = transformers.AutoTokenizer.from_pretrained(args.model_dir)
    model = transformers.BertForSequenceClassification.from_pretrained(args.model_dir, num_labels=2)

    def encode(texts):
        batch = tokenizer(list(texts), padding="max_length", truncation=True,
                          max_length=args.sequence_length, return_tensors="pt")
        return batch["input_ids"], batch["attention_mask"], batch["token_type_ids"]

    train_ids, train_mask, train_types = encode(data["train_x"])
    train_y = torch.tensor(data["train_y"], dtype=torch.long)
    n, bs = len(train_y), args.batch_size
    steps_per_epoch = -(-n // bs)
    total_steps = (args.warmup_steps + args.steps) if args.mode == "throughput" else steps_per_epoch * args.epochs
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.learning_rate, betas=(0.9, 0.999), eps=1e-8,
                                  weight_decay=args.weight_decay)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: max(0.0, 1 - step / total_steps))
    generator = torch.Generator().manual_seed(args.seed)

    def batches():
        for _ in range(args.epochs if args.mode == "accuracy" else 10**6):
            order = torch.randperm(n, generator=generator) if args.mode == "accuracy" else torch.arange(n)
            for start in range(0, n, bs):
                idx = order[start:start + bs]
                yield train_ids[idx], train_mask[idx], train_types[idx], train_y[idx]

    model.train()
    step_times, losses = [], []
    start_all = time.perf_counter()
    for step, (ids, mask, types, labels) in enumerate(batches()):
        if step >= total_steps:
            break
        start = time.perf_counter()
        out = model(input_ids=ids, attention_mask=mask, token_type_ids=types, labels=labels)
        out.loss.backward()
        optimizer.step()
        schedule.step()
        optimizer.zero_grad(set_to_none=True)
        losses.append(float(out.loss))  # also waits for the step to finish
        step_times.append(time.perf_counter() - start)
    train_seconds = time.perf_counter() - start_all

    timed = step_times[args.warmup_steps:] if args.mode == "throughput" else step_times[1:]
    step_seconds = statistics.median(timed)
    result = {
        "framework": "hf", "mode": args.mode, "torch": torch.__version__,
        "transformers": transformers.__version__, "threads": torch.get_num_threads(),
        "batch_size": bs, "sequence_length": args.sequence_length, "steps": len(timed),
        "step_seconds": step_seconds, "samples_per_sec": bs / step_seconds,
        "train_seconds": train_seconds, "final_loss": statistics.mean(losses[-20:]),
    }
    if args.mode == "accuracy":
        model.eval()
        test_ids, test_mask, test_types = encode(data["test_x"])
        test_y = torch.tensor(data["test_y"], dtype=torch.long)
        correct = 0
        with torch.no_grad():
            for s in range(0, len(test_y), 128):
                logits = model(input_ids=test_ids[s:s + 128], attention_mask=test_mask[s:s + 128],
                               token_type_ids=test_types[s:s + 128]).logits
                correct += int((logits.argmax(-1) == test_y[s:s + 128]).sum())
        result["test_accuracy"] = correct / len(test_y)
        result["epochs"] = args.epochs
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
