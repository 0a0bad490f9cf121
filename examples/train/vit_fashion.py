"""Trains the ViT example (examples/fashion-mnist/vit) with PyTorch on the CPU and writes its weights in the tfjs
layout of the committed model.json (same topology, same weight manifest order), so snnc and tfjs read it as they
read the tfjs-trained model.

Why PyTorch: tfjs on the wasm backend trains this ViT at 400-500 s per epoch on this machine (8 epochs: 87.63%);
PyTorch runs an epoch in well under a minute, so a longer schedule fits.

The architecture is the one examples/train/train-vit.ts builds (vitModel), written out in torch:
  patch_embed Conv2D(64, 7x7, stride 7) -> tokens in row-major patch order [16, 64] -> + pos_embed [16, 64]
  -> 3 pre-LN blocks [LayerNorm -> MultiHeadAttention (4 heads, key_dim 16, query scaled by 1/sqrt(16), Keras
  kernels [64, 4, 16] and output [4, 16, 64]) -> Add; LayerNorm -> Dense(128, exact GELU) -> Dense(64) -> Add]
  -> LayerNorm -> mean over tokens -> Dropout(0.1) -> Dense(10) (softmax in the tfjs model).
LayerNorm epsilon 1e-6 (the Keras layer's). Inputs are pixels / 255, NHWC.

Usage (from the repository root; the committed weights, 90.63%, come from the first command, about 20 s per
epoch on one thread of this machine, deterministic: one thread, seeded shuffles and augmentation):
  /usr/bin/python3 examples/train/vit_fashion.py --epochs 60 --shift 1 --seed 2 --out DIR > DIR.log
  /usr/bin/python3 examples/train/vit_fashion.py --check DIR     (DIR's tfjs weights through the torch model)
writes DIR/weights.bin, DIR/model.json (the committed topology, unchanged) and DIR/training.json; copy them over
examples/fashion-mnist/vit/ only if the tfjs check (bench/import-accuracy.ts) agrees, then rebuild the Keras twins
(npx tsx examples/tools/keras-export.ts examples/fashion-mnist/vit/model.json).
"""
import argparse
import hashlib
import json
import math
import os
import shutil
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fashion_idx  # noqa: E402  (examples/train/fashion_idx.py)

HERE = os.path.dirname(os.path.abspath(__file__))
VIT_DIR = os.path.join(HERE, "..", "fashion-mnist", "vit")
EPS = 1e-6


class Mha(nn.Module):
    """Keras MultiHeadAttention with the Keras weight layout (query/key/value kernels [F, H, D], biases [H, D],
    output kernel [H, D, F], bias [F]); self-attention, no mask, no dropout."""

    def __init__(self, width, heads):
        super().__init__()
        d = width // heads
        self.heads, self.d = heads, d
        lim = math.sqrt(6 / (width + heads * d))
        self.q_k = nn.Parameter(torch.empty(width, heads, d).uniform_(-lim, lim))
        self.q_b = nn.Parameter(torch.zeros(heads, d))
        self.k_k = nn.Parameter(torch.empty(width, heads, d).uniform_(-lim, lim))
        self.k_b = nn.Parameter(torch.zeros(heads, d))
        self.v_k = nn.Parameter(torch.empty(width, heads, d).uniform_(-lim, lim))
        self.v_b = nn.Parameter(torch.zeros(heads, d))
        self.o_k = nn.Parameter(torch.empty(heads, d, width).uniform_(-lim, lim))
        self.o_b = nn.Parameter(torch.zeros(width))

    def forward(self, x):  # x [N, T, F]
        q = torch.einsum("ntf,fhd->nhtd", x, self.q_k) + self.q_b[None, :, None, :]
        k = torch.einsum("ntf,fhd->nhtd", x, self.k_k) + self.k_b[None, :, None, :]
        v = torch.einsum("ntf,fhd->nhtd", x, self.v_k) + self.v_b[None, :, None, :]
        a = torch.softmax((q / math.sqrt(self.d)) @ k.transpose(-1, -2), dim=-1)
        ctx = a @ v  # [N, H, T, D]
        return torch.einsum("nhtd,hdf->ntf", ctx, self.o_k) + self.o_b


class Block(nn.Module):
    def __init__(self, width, heads, mlp):
        super().__init__()
        self.ln1 = nn.LayerNorm(width, eps=EPS)
        self.attn = Mha(width, heads)
        self.ln2 = nn.LayerNorm(width, eps=EPS)
        self.mlp1 = nn.Linear(width, mlp)
        self.mlp2 = nn.Linear(mlp, width)

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.mlp2(F.gelu(self.mlp1(self.ln2(x))))


class Vit(nn.Module):
    def __init__(self, patch=7, width=64, heads=4, blocks=3, mlp=128):
        super().__init__()
        self.tokens = (28 // patch) ** 2
        self.patch_embed = nn.Conv2d(1, width, patch, stride=patch)
        self.pos_embed = nn.Parameter(torch.randn(self.tokens, width) * 0.02)
        self.blocks = nn.ModuleList([Block(width, heads, mlp) for _ in range(blocks)])
        self.final_ln = nn.LayerNorm(width, eps=EPS)
        self.drop = nn.Dropout(0.1)
        self.head = nn.Linear(width, 10)

    def forward(self, x):  # x [N, 1, 28, 28]
        t = self.patch_embed(x)  # [N, F, 4, 4]
        t = t.permute(0, 2, 3, 1).reshape(x.shape[0], self.tokens, -1) + self.pos_embed
        for b in self.blocks:
            t = b(t)
        return self.head(self.drop(self.final_ln(t).mean(1)))  # logits


def tfjs_layout(model):
    """The one correspondence between the torch parameters and the tfjs/Keras weights of the committed manifest:
    (tfjs name, torch parameter, axes that turn the torch array into the tfjs one, or None). tfjs_weights and
    read_tfjs both walk it, in opposite directions."""
    conv, dense = (2, 3, 1, 0), (1, 0)  # [out,in,kh,kw] -> [kh,kw,in,out]; [out,in] -> [in,out]
    rows = [("patch_embed/kernel", model.patch_embed.weight, conv), ("patch_embed/bias", model.patch_embed.bias, None),
            ("pos_embed/embeddings", model.pos_embed, None)]
    for i, b in enumerate(model.blocks, start=1):
        p = f"block{i}_"
        rows += [(p + "ln1/gamma", b.ln1.weight, None), (p + "ln1/beta", b.ln1.bias, None)]
        for key, (k, bias) in {"query": (b.attn.q_k, b.attn.q_b), "key": (b.attn.k_k, b.attn.k_b), "value": (b.attn.v_k, b.attn.v_b)}.items():
            rows += [(f"{p}attn/{key}/kernel", k, None), (f"{p}attn/{key}/bias", bias, None)]
        rows += [(p + "attn/attention_output/kernel", b.attn.o_k, None), (p + "attn/attention_output/bias", b.attn.o_b, None),
                 (p + "ln2/gamma", b.ln2.weight, None), (p + "ln2/beta", b.ln2.bias, None),
                 (p + "mlp1/kernel", b.mlp1.weight, dense), (p + "mlp1/bias", b.mlp1.bias, None),
                 (p + "mlp2/kernel", b.mlp2.weight, dense), (p + "mlp2/bias", b.mlp2.bias, None)]
    rows += [("final_ln/gamma", model.final_ln.weight, None), ("final_ln/beta", model.final_ln.bias, None),
             ("head/kernel", model.head.weight, dense), ("head/bias", model.head.bias, None)]
    return rows


def tfjs_weights(model):
    """name -> float32 array in the tfjs/Keras layout of the committed manifest."""
    out = {}
    for name, param, axes in tfjs_layout(model):
        a = param.detach().cpu().numpy().astype(np.float32)
        out[name] = a if axes is None else a.transpose(axes)
    return out


def write_tfjs(model, out_dir):
    """Writes weights.bin in the order of the committed model.json's manifest (checked: names and shapes) and a
    copy of that model.json. Returns the SHA-256 of weights.bin."""
    with open(os.path.join(VIT_DIR, "model.json")) as f:
        manifest = json.load(f)["weightsManifest"]
    if len(manifest) != 1 or manifest[0]["paths"] != ["weights.bin"]:
        raise SystemExit("model.json: expected one weights group in weights.bin")
    w = tfjs_weights(model)
    chunks = []
    for spec in manifest[0]["weights"]:
        a = w.pop(spec["name"], None)
        if a is None or list(a.shape) != spec["shape"] or spec["dtype"] != "float32":
            raise SystemExit(f"weight {spec['name']}: {None if a is None else a.shape} vs manifest {spec['shape']}")
        chunks.append(np.ascontiguousarray(a, dtype="<f4").tobytes())
    if w:
        raise SystemExit(f"weights not in the manifest: {sorted(w)}")
    data = b"".join(chunks)
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "weights.bin"), "wb") as f:
        f.write(data)
    src, dst = os.path.join(VIT_DIR, "model.json"), os.path.join(out_dir, "model.json")
    if not (os.path.exists(dst) and os.path.samefile(src, dst)):
        shutil.copyfile(src, dst)
    return hashlib.sha256(data).hexdigest()


def read_tfjs(model, vit_dir):
    """Loads a tfjs weights.bin (manifest order of vit_dir/model.json) into the torch model: tfjs_layout walked
    backwards, used by --check to confirm the layout mapping on the committed weights."""
    with open(os.path.join(vit_dir, "model.json")) as f:
        specs = json.load(f)["weightsManifest"][0]["weights"]
    raw = np.fromfile(os.path.join(vit_dir, "weights.bin"), dtype="<f4")
    layout = tfjs_layout(model)
    off, arrays = 0, {}
    for spec in specs:
        size = int(np.prod(spec["shape"]))
        arrays[spec["name"]] = raw[off:off + size].reshape(spec["shape"])
        off += size
    if off != raw.size or set(arrays) != {name for name, _, _ in layout}:
        raise SystemExit("weights.bin does not match the manifest")
    with torch.no_grad():
        for name, param, axes in layout:
            a = arrays[name] if axes is None else arrays[name].transpose(np.argsort(axes))
            param.copy_(torch.from_numpy(np.ascontiguousarray(a)))


def augment(x, g, shift, flip):
    """Random shifts up to `shift` pixels (zero pad + crop) and left-right flips (p 1/2), seeded by g."""
    n = x.shape[0]
    if flip:
        m = torch.rand(n, generator=g) < 0.5
        x = torch.where(m[:, None, None, None], x.flip(-1), x)
    if shift > 0:
        p = F.pad(x, (shift, shift, shift, shift))
        dx = torch.randint(0, 2 * shift + 1, (n,), generator=g)
        dy = torch.randint(0, 2 * shift + 1, (n,), generator=g)
        out = torch.empty_like(x)
        for i in range(n):
            out[i] = p[i, :, dy[i]:dy[i] + 28, dx[i]:dx[i] + 28]
        x = out
    return x


def evaluate(model, x, y, batch=1000):
    model.eval()
    correct = 0
    with torch.no_grad():
        for s in range(0, x.shape[0], batch):
            correct += int((model(x[s:s + batch]).argmax(1) == y[s:s + batch]).sum())
    return correct


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--weight-decay", type=float, default=0.05)
    ap.add_argument("--warmup-epochs", type=int, default=2)
    ap.add_argument("--label-smoothing", type=float, default=0.0)
    ap.add_argument("--shift", type=int, default=2)
    ap.add_argument("--flip", action="store_true")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out")
    ap.add_argument("--check", metavar="DIR", help="load DIR's tfjs weights into the torch model, print its test score, exit")
    a = ap.parse_args()
    if a.check:
        xte, yte = fashion_idx.load("test")
        m = Vit()
        read_tfjs(m, a.check)
        print(f"{a.check}: torch test {evaluate(m, torch.from_numpy(xte)[:, None], torch.from_numpy(yte))}/10000")
        return
    if not a.out:
        raise SystemExit("--out DIR is required")
    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    g = torch.Generator().manual_seed(a.seed)

    xtr, ytr = fashion_idx.load("train")
    xte, yte = fashion_idx.load("test")
    xtr, ytr = torch.from_numpy(xtr)[:, None], torch.from_numpy(ytr)
    xte, yte = torch.from_numpy(xte)[:, None], torch.from_numpy(yte)
    model = Vit()
    params = sum(p.numel() for p in model.parameters())
    decay = [p for nme, p in model.named_parameters() if p.ndim >= 2 and "pos_embed" not in nme]
    no_decay = [p for nme, p in model.named_parameters() if not (p.ndim >= 2 and "pos_embed" not in nme)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": a.weight_decay}, {"params": no_decay, "weight_decay": 0.0}], lr=a.lr)
    steps_per_epoch = math.ceil(xtr.shape[0] / a.batch_size)
    total = a.epochs * steps_per_epoch
    warm = a.warmup_epochs * steps_per_epoch

    def lr_at(step):
        if step < warm:
            return a.lr * (step + 1) / warm
        t = (step - warm) / max(1, total - warm - 1)
        return 1e-5 + 0.5 * (a.lr - 1e-5) * (1 + math.cos(math.pi * min(1.0, t)))

    history, step, t0 = [], 0, time.time()
    best = (-1, None)
    for epoch in range(1, a.epochs + 1):
        model.train()
        te = time.time()
        order = torch.randperm(xtr.shape[0], generator=g)
        loss_sum, seen, right = 0.0, 0, 0
        for s in range(0, xtr.shape[0], a.batch_size):
            idx = order[s:s + a.batch_size]
            xb = augment(xtr[idx], g, a.shift, a.flip)
            yb = ytr[idx]
            for grp in opt.param_groups:
                grp["lr"] = lr_at(step)
            logits = model(xb)
            loss = F.cross_entropy(logits, yb, label_smoothing=a.label_smoothing)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
            loss_sum += float(loss) * len(idx)
            seen += len(idx)
            right += int((logits.argmax(1) == yb).sum())
        test_correct = evaluate(model, xte, yte)
        rec = {"epoch": epoch, "loss": loss_sum / seen, "trainAccuracy": right / seen, "testCorrect": test_correct, "seconds": round(time.time() - te, 1)}
        history.append(rec)
        print(json.dumps(rec), flush=True)
    final = evaluate(model, xte, yte)
    sha = write_tfjs(model, a.out)
    record = {
        "model": "vit",
        "config": {"patch": 7, "width": 64, "heads": 4, "blocks": 3, "mlp": 128, "epsilon": EPS},
        "trainer": "PyTorch " + torch.__version__ + " (CPU), examples/train/vit_fashion.py; weights written into the tfjs layout of the tfjs-trained model's model.json",
        "epochs": a.epochs, "seed": a.seed, "batchSize": a.batch_size, "threads": a.threads,
        "optimizer": f"AdamW lr {a.lr}, weight decay {a.weight_decay} (kernels), linear warm-up over {a.warmup_epochs} epochs, cosine to 1e-5",
        "augmentation": {"shift": a.shift, "flip": a.flip}, "labelSmoothing": a.label_smoothing,
        "loss": "cross-entropy",
        "parameters": params,
        "testCorrect": final, "testCount": int(xte.shape[0]), "testAccuracy": final / xte.shape[0],
        "trainSeconds": round(time.time() - t0, 1),
        "weightsSha256": sha,
        "command": "/usr/bin/python3 examples/train/vit_fashion.py " + " ".join(sys.argv[1:]),
        "history": history,
    }
    with open(os.path.join(a.out, "training.json"), "w") as f:
        json.dump(record, f, indent=2)
    print(f"test {final}/{xte.shape[0]}; wrote {a.out}")


if __name__ == "__main__":
    main()
