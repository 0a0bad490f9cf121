#!/usr/bin/python3
"""Train a CIFAR-style ResNet on Fashion-MNIST with PyTorch and export it to ONNX.

Usage (Debian's python3-torch 1.13, CPU):
  /usr/bin/python3 examples/train/resnet_fashion.py --blocks 3 --out examples/fashion-mnist/resnet20
  /usr/bin/python3 examples/train/resnet_fashion.py --blocks 9 --out examples/fashion-mnist/resnet56

Network (He et al. 2016, CIFAR variant, narrowed): 3x3 stem conv + BN + ReLU, three stages of `--blocks` basic
blocks (conv-BN-ReLU-conv-BN + shortcut, ReLU) at `--widths` channels; the first block of stages 2 and 3 has
stride 2 and a projection shortcut (1x1 conv stride 2 + BN), every other block an identity shortcut; global
average pool; linear classifier. Weight layers: 1 + 6 * blocks + 1 (20 for blocks=3, 56 for blocks=9), plus the
two projection convs. ReLU only and no max pooling, so the network converts to an IF spiking network.

Inputs are pixels in [0, 1]. The ONNX model takes NCHW [N, 1, 28, 28]; snnc's importer turns it into its NHWC
IR, so `snnc run` takes the same [N, 28, 28, 1] .npy inputs as the other examples.
Seeded (torch, numpy) and single-threaded so a rerun on the same machine gives the same weights.
"""
import argparse
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import fashion_idx  # examples/train/fashion_idx.py


def load(split):
    x, y = fashion_idx.load(split)
    return torch.from_numpy(x[:, None, :, :].copy()), torch.from_numpy(y.copy())


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.proj = None
        if stride != 1 or cin != cout:
            self.proj = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, 0, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        s = x if self.proj is None else self.proj(x)
        return F.relu(y + s)


class ResNet(nn.Module):
    def __init__(self, blocks, widths):
        super().__init__()
        self.stem = nn.Conv2d(1, widths[0], 3, 1, 1, bias=False)
        self.bn = nn.BatchNorm2d(widths[0])
        layers = []
        cin = widths[0]
        for stage, w in enumerate(widths):
            for b in range(blocks):
                layers.append(Block(cin, w, 2 if (stage > 0 and b == 0) else 1))
                cin = w
        self.blocks = nn.Sequential(*layers)
        self.fc = nn.Linear(cin, 10)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        # Zero-init the last BN of each block: each residual branch starts as identity (trains deep nets stably).
        for b in layers:
            nn.init.zeros_(b.bn2.weight)

    def forward(self, x):
        x = F.relu(self.bn(self.stem(x)))
        x = self.blocks(x)
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.fc(x)


def load_onnx_weights(model, path):
    """Copies the initializers of an ONNX file exported by this script (named like the state_dict) into `model`."""
    import hashlib
    import onnx
    from onnx import numpy_helper
    with open(path, "rb") as f:
        raw = f.read()
    graph = onnx.load_from_string(raw).graph
    inits = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    # The exporter shares equal tensors and names the copies through Identity nodes.
    for node in graph.node:
        if node.op_type == "Identity" and node.input[0] in inits:
            inits[node.output[0]] = inits[node.input[0]]
    state = model.state_dict()
    loaded = 0
    for name, value in state.items():
        if name.endswith("num_batches_tracked"):
            continue
        if name not in inits or tuple(inits[name].shape) != tuple(value.shape):
            raise SystemExit(f"{path}: no initializer {name} of shape {tuple(value.shape)}")
        state[name] = torch.from_numpy(inits[name].copy())
        loaded += 1
    model.load_state_dict(state)
    record = os.path.join(os.path.dirname(path), "training.json")
    prior = json.load(open(record)) if os.path.exists(record) else None
    return {"onnx": path, "sha256": hashlib.sha256(raw).hexdigest(), "tensors": loaded,
            "priorRecord": prior}


def evaluate(model, x, y, batch=500):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(x), batch):
            correct += (model(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum().item()
    return correct


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--blocks", type=int, default=3)
    p.add_argument("--widths", default="8,16,32")
    p.add_argument("--epochs", type=float, default=2, help="passes over the 60,000 training images (may be fractional)")
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--lr", type=float, default=0.002)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--init-onnx", default=None,
                   help="continue training from the weights and BN statistics of an ONNX file this script exported")
    p.add_argument("--out", required=True)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    np.random.seed(a.seed)
    widths = [int(w) for w in a.widths.split(",")]
    xtr, ytr = load("train")
    xte, yte = load("test")
    model = ResNet(a.blocks, widths)
    init = None
    if a.init_onnx:
        init = load_onnx_weights(model, a.init_onnx)
    per_epoch = (len(xtr) + a.batch - 1) // a.batch
    steps = max(1, round(a.epochs * per_epoch))
    warm = min(100, steps // 10)
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: (s + 1) / warm if s < warm else 0.5 * (1 + math.cos(math.pi * (s - warm) / max(1, steps - warm))))
    history = []
    t0 = time.time()
    gen = torch.Generator().manual_seed(a.seed)
    step = 0
    for epoch in range(1, math.ceil(steps / per_epoch) + 1):
        model.train()
        te = time.time()
        perm = torch.randperm(len(xtr), generator=gen)
        total, seen, right = 0.0, 0, 0
        for i in range(0, len(xtr), a.batch):
            if step >= steps:
                break
            step += 1
            idx = perm[i:i + a.batch]
            xb, yb = xtr[idx], ytr[idx]
            # Augmentation: random shifts of up to 2 pixels (pad + crop), seeded.
            if True:
                dx, dy = torch.randint(-2, 3, (2,), generator=gen).tolist()
                xb = torch.roll(F.pad(xb, (2, 2, 2, 2)), shifts=(dy, dx), dims=(2, 3))[:, :, 2:30, 2:30]
            out = model(xb)
            loss = F.cross_entropy(out, yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
            seen += len(idx)
            right += (out.argmax(1) == yb).sum().item()
            if (i // a.batch) % 50 == 0:
                print(f"epoch {epoch} step {i // a.batch} loss {total / seen:.4f} acc {right / seen:.4f} "
                      f"{time.time() - t0:.0f}s", flush=True)
        test = evaluate(model, xte, yte)
        history.append({"epoch": epoch, "loss": total / seen, "accuracy": right / seen,
                        "testAccuracy": test / len(xte), "seconds": round(time.time() - te, 1)})
        print(json.dumps(history[-1]), flush=True)
    model.eval()
    correct = evaluate(model, xte, yte)
    os.makedirs(a.out, exist_ok=True)
    torch.save(model.state_dict(), os.path.join(a.out, "model.pt")) if os.environ.get("SAVE_PT") else None
    dummy = torch.zeros(1, 1, 28, 28)
    onnx_path = os.path.join(a.out, "model.onnx")
    torch.onnx.export(model, dummy, onnx_path, opset_version=13, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
                      training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=True)
    weight_layers = sum(1 for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear)))
    record = {
        "model": os.path.basename(os.path.normpath(a.out)),
        "framework": f"pytorch {torch.__version__}",
        "script": "examples/train/resnet_fashion.py",
        "command": f"/usr/bin/python3 examples/train/resnet_fashion.py --blocks {a.blocks} --widths {a.widths} "
                   f"--epochs {a.epochs} --batch {a.batch} --lr {a.lr} --seed {a.seed}"
                   + (f" --init-onnx {a.init_onnx}" if a.init_onnx else "") + f" --out {a.out}",
        "initialisedFrom": init,
        "blocksPerStage": a.blocks,
        "widths": widths,
        "weightLayers": weight_layers,
        "weightLayersExcludingProjections": 2 + 6 * a.blocks,
        "parameters": sum(p.numel() for p in model.parameters()),
        "epochs": a.epochs, "steps": steps, "seed": a.seed, "batchSize": a.batch,
        "optimizer": f"AdamW lr {a.lr} (weight decay 1e-4), linear warm-up {warm} steps then cosine to 0 over {steps} steps",
        "augmentation": "random shift up to 2 px",
        "onnxOpset": 13,
        "inputLayout": "NCHW [N, 1, 28, 28], pixels in [0, 1]",
        "testAccuracy": correct / len(xte), "testCorrect": correct, "testCount": len(xte),
        "trainSeconds": round(time.time() - t0),
        "history": history,
    }
    with open(os.path.join(a.out, "training.json"), "w") as f:
        json.dump(record, f, indent=2)
        f.write("\n")
    print(json.dumps({k: record[k] for k in ("testAccuracy", "weightLayers", "parameters", "trainSeconds")}))


if __name__ == "__main__":
    main()
