"""Train the restorer and export it to ONNX for the product (package data).

One command per shipped model (seeded; the same command gives the same weights with the
same library versions and thread count). The shipped models were made with::

    pip install -e ".[train]"
    python training/restore/train.py --scale 2 --steps 8000 --threads 1 \
        --out src/reelgraph/models/restore_x2.onnx        # ~30 min on one core
    python training/restore/train.py --scale 1 --steps 8000 --threads 1 \
        --out src/reelgraph/models/restore_x1.onnx        # ~30 min on one core

(the two run side by side on a 2-core machine).

Patches are degraded on the fly (:mod:`degrade`) from the corpus (:mod:`corpus`); the
validation set is drawn once, with its own seed, from the validation photographs only.
Loss: Charbonnier (a smooth L1) on R'G'B', 4-pixel border excluded. Adam with a cosine
learning-rate decay. The weights with the best validation PSNR are exported, with the
training figures beside them in ``<out>.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).parent))

from corpus import Corpus
from degrade import degrade
from model import Restorer

BORDER = 4  # pixels of the target left out of loss and PSNR (codec wrap at patch edges)


def batch(corpus: Corpus, size: int, scale: int, count: int, rng: np.random.Generator):
    clean = [corpus.patch(size * scale) for _ in range(count)]
    noisy = [degrade(c, scale, rng) for c in clean]
    to_tensor = lambda xs: torch.from_numpy(np.stack(xs).transpose(0, 3, 1, 2).copy())  # noqa: E731
    return to_tensor(noisy), to_tensor(clean)


def psnr(output: torch.Tensor, target: torch.Tensor) -> float:
    b = BORDER
    err = (output.clamp(0, 1) - target)[..., b:-b, b:-b]
    return float(10 * torch.log10(1.0 / err.pow(2).mean()))


def charbonnier(output: torch.Tensor, target: torch.Tensor, eps: float = 1e-3) -> torch.Tensor:
    b = BORDER
    diff = (output - target)[..., b:-b, b:-b]
    return torch.sqrt(diff * diff + eps * eps).mean()


def export(model: Restorer, out: Path) -> None:
    model.eval()
    example = torch.rand(1, 3, 64, 64)
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.onnx.export(
        model,
        (example,),
        str(out),
        input_names=["image"],
        output_names=["restored"],
        dynamic_axes={"image": {0: "n", 2: "h", 3: "w"}, "restored": {0: "n", 2: "sh", 3: "sw"}},
        opset_version=17,
        dynamo=False,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=int, choices=(1, 2), default=2)
    parser.add_argument("--steps", type=int, default=8000)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--patch", type=int, default=64, help="input patch size (pixels)")
    parser.add_argument("--lr", type=float, default=5e-4)
    parser.add_argument("--seed", type=int, default=20261204)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--validate-every", type=int, default=250)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)
    train = Corpus.split("train", args.seed)
    rng = np.random.default_rng(args.seed + 1)
    val_corpus = Corpus.split("validation", args.seed + 2)
    val_rng = np.random.default_rng(args.seed + 3)
    val_in, val_target = batch(val_corpus, args.patch * 2, args.scale, 64, val_rng)

    model = Restorer(scale=args.scale)
    params = sum(p.numel() for p in model.parameters())
    optimiser = torch.optim.Adam(model.parameters(), lr=args.lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, args.steps)
    with torch.no_grad():
        baseline = psnr(model(val_in), val_target)  # untrained = bilinear upscale
    best = (baseline, 0)
    best_state = {k: v.clone() for k, v in model.state_dict().items()}
    history = []
    start = time.monotonic()
    print(f"{params} parameters; validation PSNR of the plain upscale {baseline:.2f} dB")
    for step in range(1, args.steps + 1):
        model.train()
        noisy, clean = batch(train, args.patch, args.scale, args.batch, rng)
        loss = charbonnier(model(noisy), clean)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        schedule.step()
        if step % args.validate_every == 0 or step == args.steps:
            model.eval()
            with torch.no_grad():
                score = psnr(model(val_in), val_target)
            history.append({"step": step, "loss": loss.item(), "val_psnr": score})
            minutes = (time.monotonic() - start) / 60
            print(f"step {step}: loss {loss.item():.4f}, val {score:.2f} dB ({minutes:.1f} min)")
            if score > best[0]:
                best = (score, step)
                best_state = {k: v.clone() for k, v in model.state_dict().items()}
    model.load_state_dict(best_state)
    export(model, args.out)
    report = {
        "scale": args.scale,
        "parameters": params,
        "arguments": {k: str(v) for k, v in vars(args).items()},
        "validation_psnr_db": best[0],
        "validation_psnr_plain_upscale_db": baseline,
        "best_step": best[1],
        "minutes": (time.monotonic() - start) / 60,
        "torch": torch.__version__,
        "history": history,
    }
    args.out.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"exported {args.out} (best step {best[1]}, {best[0]:.2f} dB)")


if __name__ == "__main__":
    main()
