#!/usr/bin/python3
"""Train a recurrent spiking network (CubaLIF) on Fashion-MNIST with surrogate gradients, export it to NIR.

Usage (Debian's python3-torch 1.13 and python3-h5py, CPU, single thread):
  nice -n 10 /usr/bin/python3 examples/train/srnn_fashion.py --out examples/fashion-mnist/srnn
  /usr/bin/python3 examples/train/srnn_fashion.py --out examples/fashion-mnist/srnn --export-only
  /usr/bin/python3 examples/train/srnn_fashion.py --out DIR --export-only --events N FILE.npy

Plain PyTorch (no snnTorch). Seeded (torch, numpy), one thread, so a rerun on the same machine gives the same
weights.

Input: the image is read row by row, one row per timestep (T = 28 steps). Each row is thermometer-coded into
binary spikes: channel c * 28 + x of step t is 1 when pixel (t, x) > LEVELS[c] (LEVELS = 0.25, 0.5, 0.75), so
every step carries 84 binary input events. Binary events need no graded spikes or per-step bias on any target.
The event tensor of one image is [28, 84] (uint8); `--events N FILE` writes the first N test images as [N, 28, 84].

Network (NIR graph, edges):
  input [84] -> fc_in (Linear 128x84) -> lif (CubaLIF, 128) -> fc_rec (Linear 128x128) -> lif   (the cycle)
  lif -> fc_out (Linear 10x128) -> readout (I, 10) -> output [10]
No biases (a constant input current has no exact counterpart on Loihi, whose bias enters v, not u).

Discrete dynamics trained here, per step t = 1..28 (z is the hidden spike vector, z_0 = 0, I_0 = v_0 = 0):
  I_t = ALPHA * I_{t-1} + W_in x_t + W_rec z_{t-1}
  v_t = BETA * v_{t-1} + I_t                  (the current of the same step, as Loihi's CUBA neuron does)
  z_t = [v_t > THETA];  v_t <- 0 where z_t    (NIR: spike when v > v_threshold, then v <- v_reset = 0)
  o_t = o_{t-1} + W_out z_t;  class = argmax o_28
These are the forward-Euler discretisation, with step DT, of NIR's equations
  CubaLIF: tau_syn dI/dt = -I + w_in S,  tau_mem dv/dt = (v_leak - v) + r I,   I: dv/dt = r I
with tau_syn = DT / (1 - ALPHA), tau_mem = DT / (1 - BETA), w_in = tau_syn / DT, r = tau_mem / DT, v_leak = 0,
v_threshold = THETA, v_reset = 0, and for the readout I: r = 1 / DT; the graph metadata holds dt = DT. (Euler
gives I_t = (1 - DT/tau_syn) I_{t-1} + (DT/tau_syn) w_in S_t; the choice w_in = tau_syn / DT makes the input
gain 1, and r = tau_mem / DT does the same for v.)

Why these constants: ALPHA = 0.75 = 1 - 1024/4096 and BETA = 0.875 = 1 - 512/4096 are exact Loihi decays (12-bit
du, dv: decays are d/4096), and exact in SpiNNaker's s16.15 (24576/32768, 28672/32768), so discretisation adds
no error on either chip; only the truncation of the decayed state remains, at the state's resolution.
THETA = 1. Weights: the last epochs train with 8-bit fake quantisation (straight-through), one grid per
receiving population (fc_in and fc_rec share the grid of lif's input, fc_out its own): w = k * max|w| / 127,
k in -127..127, which Loihi's 8-bit weight mantissa (and SpiNNaker's 16-bit weights) represent exactly up to
the common scale; the exported weights are those grid values, so the float model and the NIR file agree.

Writes into --out: graph.nir (NIR's HDF5 layout: /version, /node = the NIRGraph: type, nodes/<name>/..., edges,
input_type, output_type, metadata), record.json (training settings and the 10,000-image test accuracy),
torch-test-predictions.npy (int8 [10000], the float model's class per test image, -1 never), and
events-test-0-7.npy (the first 8 test images as events, [8, 28, 84] uint8).
"""
import argparse
import json
import os
import time

import h5py
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from fashion_idx import load  # examples/train/fashion_idx.py

LEVELS = (0.25, 0.5, 0.75)
T = 28
N_IN = 28 * len(LEVELS)
HIDDEN = 128
ALPHA = 0.75
BETA = 0.875
THETA = 1.0
DT = 1e-3
NIR_VERSION = "1.0.6"


def encode(images):
    """[N, 28, 28] pixels in [0, 1] -> [N, 28 steps, 84] binary events (thermometer code per row)."""
    chans = [(images > lv) for lv in LEVELS]
    return np.concatenate(chans, axis=2).astype(np.uint8)


class SpikeFn(torch.autograd.Function):
    """Heaviside step v > 0 with the fast-sigmoid surrogate gradient 1 / (1 + 10|v|)^2."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return (x > 0).to(x.dtype)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g / (1.0 + 10.0 * x.abs()) ** 2


def fake_quant(ws):
    """8-bit symmetric grid shared by the tensors in ws (straight-through estimator)."""
    scale = max(float(w.detach().abs().max()) for w in ws) / 127.0
    return [w + (torch.round(w / scale) * scale - w).detach() for w in ws]


class Srnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.w_in = nn.Parameter(torch.randn(HIDDEN, N_IN) * (0.5 / N_IN) ** 0.5)
        self.w_rec = nn.Parameter(torch.randn(HIDDEN, HIDDEN) * (0.5 / HIDDEN) ** 0.5)
        self.w_out = nn.Parameter(torch.randn(10, HIDDEN) * 0.1 * (1.0 / HIDDEN) ** 0.5)
        self.quant = False

    def weights(self):
        if self.quant:
            w_in, w_rec = fake_quant([self.w_in, self.w_rec])
            (w_out,) = fake_quant([self.w_out])
            return w_in, w_rec, w_out
        return self.w_in, self.w_rec, self.w_out

    def forward(self, x):
        """x: [N, T, 84] float events -> (readout o_T [N, 10], hidden spike count [N])."""
        w_in, w_rec, w_out = self.weights()
        n = x.shape[0]
        i = torch.zeros(n, HIDDEN)
        v = torch.zeros(n, HIDDEN)
        z = torch.zeros(n, HIDDEN)
        o = torch.zeros(n, 10)
        drive = x @ w_in.t()
        spikes = 0.0
        for t in range(x.shape[1]):
            i = ALPHA * i + drive[:, t] + z @ w_rec.t()
            v = BETA * v + i
            z = SpikeFn.apply(v - THETA)
            v = v * (1.0 - z.detach())
            o = o + z @ w_out.t()
            spikes = spikes + z.sum(1)
        return o, spikes


def evaluate(model, x, y, batch=1000):
    model.eval()
    preds = []
    rate = 0.0
    with torch.no_grad():
        for k in range(0, len(x), batch):
            o, s = model(torch.from_numpy(x[k:k + batch]).float())
            preds.append(o.argmax(1).numpy())
            rate += float(s.sum())
    p = np.concatenate(preds)
    return float((p == y).mean()), p, rate / len(x)


def write_nir(path, model):
    """NIR's HDF5 layout (neuromorphs/NIR serialization): a string dataset /version and a group /node holding
    the NIRGraph's fields (its to_dict): type, nodes (one group per node with its fields and type), edges
    (an [E, 2] string array), input_type, output_type, metadata. Arrays are float32 like NIR's exporters'."""
    w_in, w_rec, w_out = (w.detach().numpy().astype(np.float32) for w in model.weights())
    f32 = lambda a: np.asarray(a, dtype=np.float32)
    i64 = lambda a: np.asarray(a, dtype=np.int64)
    tau_syn = DT / (1.0 - ALPHA)
    tau_mem = DT / (1.0 - BETA)
    ones = np.ones(HIDDEN, dtype=np.float32)
    nodes = {
        "input": {"type": "Input", "shape": i64([N_IN]), "input_type": {"input": i64([N_IN])},
                  "output_type": {"output": i64([N_IN])}},
        "fc_in": {"type": "Linear", "weight": w_in, "input_type": {"input": i64([N_IN])},
                  "output_type": {"output": i64([HIDDEN])}},
        "lif": {"type": "CubaLIF", "tau_syn": f32(ones * tau_syn), "tau_mem": f32(ones * tau_mem),
                "r": f32(ones * tau_mem / DT), "v_leak": f32(ones * 0), "v_threshold": f32(ones * THETA),
                "v_reset": f32(ones * 0), "w_in": f32(ones * tau_syn / DT),
                "input_type": {"input": i64([HIDDEN])}, "output_type": {"output": i64([HIDDEN])}},
        "fc_rec": {"type": "Linear", "weight": w_rec, "input_type": {"input": i64([HIDDEN])},
                   "output_type": {"output": i64([HIDDEN])}},
        "fc_out": {"type": "Linear", "weight": w_out, "input_type": {"input": i64([HIDDEN])},
                   "output_type": {"output": i64([10])}},
        "readout": {"type": "I", "r": f32(np.ones(10) / DT), "input_type": {"input": i64([10])},
                    "output_type": {"output": i64([10])}},
        "output": {"type": "Output", "shape": i64([10]), "input_type": {"input": i64([10])},
                   "output_type": {"output": i64([10])}},
    }
    edges = [("input", "fc_in"), ("fc_in", "lif"), ("lif", "fc_rec"), ("fc_rec", "lif"),
             ("lif", "fc_out"), ("fc_out", "readout"), ("readout", "output")]
    graph = {"type": "NIRGraph", "nodes": nodes, "edges": edges,
             "input_type": {"input": i64([N_IN])}, "output_type": {"output": i64([10])},
             "metadata": {"dt": DT, "timesteps": T,
                          "description": "snnc example: recurrent CubaLIF on Fashion-MNIST rows, thermometer-coded "
                                         "(see examples/train/srnn_fashion.py)"}}
    sdt = h5py.string_dtype()

    def put(group, d):
        for k, v in d.items():
            if k == "metadata" and not v:
                continue
            if k == "edges":
                group.create_dataset(k, data=np.array(v, dtype=object), dtype=sdt)
            elif isinstance(v, str):
                group.create_dataset(k, data=v, dtype=sdt)
            elif isinstance(v, dict):
                put(group.create_group(k), v)
            elif isinstance(v, np.ndarray):
                group.create_dataset(k, data=v, dtype=v.dtype, compression="gzip")
            else:
                group.create_dataset(k, data=v)

    tmp = path + ".tmp"
    with h5py.File(tmp, "w") as f:
        f.create_dataset("version", data=NIR_VERSION, dtype=sdt)
        put(f.create_group("node"), graph)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="examples/fashion-mnist/srnn")
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--quant-epochs", type=int, default=1, help="last epochs trained with 8-bit fake quantisation")
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--export-only", action="store_true")
    ap.add_argument("--events", nargs=2, metavar=("N", "FILE"))
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    xte_img, yte = load("test")
    xte = encode(xte_img)
    if args.events:
        n = int(args.events[0])
        np.save(args.events[1], xte[:n])
        print(f"wrote {args.events[1]}: {xte[:n].shape} uint8 events of test images 0..{n - 1}")
        return
    model = Srnn()
    weights_path = os.path.join(args.out, "weights.pt")
    history = []
    t0 = time.time()
    if args.export_only:
        model.load_state_dict(torch.load(weights_path))
        model.quant = True
    else:
        xtr_img, ytr = load("train")
        xtr = torch.from_numpy(encode(xtr_img)).float()
        ytr_t = torch.from_numpy(ytr)
        opt = torch.optim.Adam(model.parameters(), lr=args.lr)
        steps = args.epochs * ((len(xtr) + args.batch - 1) // args.batch)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=steps, pct_start=0.15)
        for epoch in range(args.epochs):
            model.quant = epoch >= args.epochs - args.quant_epochs
            model.train()
            perm = torch.randperm(len(xtr))
            total, correct, loss_sum = 0, 0, 0.0
            for k in range(0, len(xtr), args.batch):
                idx = perm[k:k + args.batch]
                o, s = model(xtr[idx])
                loss = F.cross_entropy(o, ytr_t[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
                sched.step()
                total += len(idx)
                correct += int((o.argmax(1) == ytr_t[idx]).sum())
                loss_sum += float(loss) * len(idx)
            acc, _, rate = evaluate(model, xte[:2000], yte[:2000])
            h = {"epoch": epoch + 1, "quantised": model.quant, "trainLoss": loss_sum / total,
                 "trainAccuracy": correct / total, "testAccuracyFirst2000": acc, "hiddenSpikesPerImage": rate,
                 "seconds": round(time.time() - t0, 1)}
            history.append(h)
            print(json.dumps(h), flush=True)
            # checkpoint every epoch (--export-only exports the last one)
            torch.save(model.state_dict(), weights_path)
            with open(os.path.join(args.out, "history.json"), "w") as f:
                json.dump(history, f, indent=1)
    acc, preds, rate = evaluate(model, xte, yte)
    np.save(os.path.join(args.out, "torch-test-predictions.npy"), preds.astype(np.int8))
    np.save(os.path.join(args.out, "events-test-0-7.npy"), xte[:8])
    write_nir(os.path.join(args.out, "graph.nir"), model)
    record = {
        "model": "recurrent CubaLIF SNN (84 -> 128 recurrent -> 10 integrator readout)",
        "script": "examples/train/srnn_fashion.py",
        "framework": f"torch {torch.__version__} (CPU, 1 thread), surrogate gradients",
        "seed": args.seed, "epochs": args.epochs, "quantEpochs": args.quant_epochs, "batch": args.batch,
        "lr": args.lr, "timesteps": T, "inputLevels": list(LEVELS), "hidden": HIDDEN, "alpha": ALPHA,
        "beta": BETA, "threshold": THETA, "dt": DT,
        "testAccuracy": acc, "testSamples": int(len(yte)), "hiddenSpikesPerImage": rate,
        "trainSeconds": round(time.time() - t0, 1) if not args.export_only else None,
        "history": history,
    }
    rec_path = os.path.join(args.out, "record.json")
    if args.export_only and os.path.exists(rec_path):
        with open(rec_path) as f:
            old = json.load(f)
        record["trainSeconds"] = old.get("trainSeconds")
        record["history"] = old.get("history", [])
    elif args.export_only and os.path.exists(os.path.join(args.out, "history.json")):
        with open(os.path.join(args.out, "history.json")) as f:
            record["history"] = json.load(f)
        record["epochs"] = len(record["history"])
    with open(rec_path, "w") as f:
        json.dump(record, f, indent=2)
        f.write("\n")
    print(f"test accuracy {acc:.4f} on {len(yte)} images; {rate:.1f} hidden spikes per image; wrote {args.out}")


if __name__ == "__main__":
    main()
