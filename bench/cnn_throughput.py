"""Images per second of the Q7 training step at full size, against a plain model.fit baseline.

    .venv/bin/python bench/cnn_throughput.py --path /usr/share/datasets/fashion-mnist --epochs 2

Both runs train the same architecture from the same seed on the same 60,000 images:
'workflow' goes through hw4.steps.train_cnn.run (what the train_cnn rule runs: shuffle,
scale, one-hot, validation hold-out, per-epoch logging), 'baseline' is a bare
model.fit(numpy arrays, batch_size=64). Prints both and their ratio.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--path", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--epochs", type=int, default=2)
    args = parser.parse_args()

    from hw4.data.mnist import load_path
    from hw4.device import configure_framework
    from hw4.io.logs import setup_logging

    setup_logging(None)
    device = configure_framework(0, 2)
    from hw4.methods.mnist_cnn import build_q7_model, one_hot, scale_images
    from hw4.steps.train_cnn import run

    data, _, _ = load_path(args.path)
    settings = {
        "epochs": args.epochs,
        "batch_size": 64,
        "validation_fraction": 0.1,
        "show_digits": 10,
    }
    metrics = run(data, settings, 0, device)["metrics"]
    workflow_ips = metrics["images_per_second"]

    x = scale_images(data["x_train"][: metrics["train_images"]])
    y = one_hot(data["y_train"][: metrics["train_images"]])
    model = build_q7_model()
    times = []
    for _ in range(
        args.epochs + 1
    ):  # the first epoch includes tracing; it is dropped as in the step
        start = time.perf_counter()
        model.fit(x, y, batch_size=64, epochs=1, verbose=0)
        times.append(time.perf_counter() - start)
    steady = times[1:] or times
    baseline_ips = len(y) / (sum(steady) / len(steady))
    result = {
        "images": len(y),
        "workflow_images_per_second": workflow_ips,
        "baseline_images_per_second": baseline_ips,
        "ratio": workflow_ips / baseline_ips,
        "device": device["device"],
    }
    print(json.dumps(result, indent=2))
    out = REPO / "bench" / "out" / "cnn_throughput.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
