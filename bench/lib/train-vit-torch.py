"""Stand-in ViT for bench/transformer.ts until examples/fashion-mnist/vit/ lands: trains a small Vision
Transformer on Fashion-MNIST with PyTorch (CPU, seeded) and writes its weights as JSON in snnc's AnnGraph
layouts (bench/lib/vit-json.ts reads it). Run with Debian's python3-torch and dataset-fashion-mnist:

    /usr/bin/python3 bench/lib/train-vit-torch.py OUT.json [--epochs 4] [--width 48] [--heads 4] [--blocks 2]

Patch 7 (16 tokens) + class token, learned position embedding, pre-LN blocks (LayerNorm eps 1e-6, multi-head
attention, exact GELU MLP), final LayerNorm, class-token head.
"""
import gzip, json, sys, time
import numpy as np
import torch
import torch.nn as nn

args = sys.argv[1:]
out = args[0]
def opt(name, d):
    return int(args[args.index(name) + 1]) if name in args else d
EPOCHS, F, H, BLOCKS = opt("--epochs", 4), opt("--width", 48), opt("--heads", 4), opt("--blocks", 2)
MLP = 2 * F
torch.manual_seed(1)
np.random.seed(1)
torch.set_num_threads(1)

def idx(path):
    with gzip.open(path) as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)

root = "/usr/share/datasets/fashion-mnist/"
xtr = torch.tensor(idx(root + "train-images-idx3-ubyte.gz"), dtype=torch.float32).unsqueeze(1) / 255.0
ytr = torch.tensor(idx(root + "train-labels-idx1-ubyte.gz"), dtype=torch.long)
xte = torch.tensor(idx(root + "t10k-images-idx3-ubyte.gz"), dtype=torch.float32).unsqueeze(1) / 255.0
yte = torch.tensor(idx(root + "t10k-labels-idx1-ubyte.gz"), dtype=torch.long)

class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1 = nn.LayerNorm(F, eps=1e-6)
        self.q, self.k, self.v, self.o = nn.Linear(F, F), nn.Linear(F, F), nn.Linear(F, F), nn.Linear(F, F)
        self.ln2 = nn.LayerNorm(F, eps=1e-6)
        self.fc1, self.fc2 = nn.Linear(F, MLP), nn.Linear(MLP, F)
    def forward(self, x):
        B, N, _ = x.shape
        h = self.ln1(x)
        dk = F // H
        q = self.q(h).view(B, N, H, dk).transpose(1, 2)
        k = self.k(h).view(B, N, H, dk).transpose(1, 2)
        v = self.v(h).view(B, N, H, dk).transpose(1, 2)
        a = torch.softmax(q @ k.transpose(-1, -2) / dk ** 0.5, dim=-1)
        c = (a @ v).transpose(1, 2).reshape(B, N, F)
        x = x + self.o(c)
        return x + self.fc2(nn.functional.gelu(self.fc1(self.ln2(x))))

class ViT(nn.Module):
    def __init__(self):
        super().__init__()
        self.patch = nn.Conv2d(1, F, 7, 7)
        self.cls = nn.Parameter(torch.randn(1, 1, F) * 0.02)
        self.pos = nn.Parameter(torch.randn(1, 17, F) * 0.02)
        self.blocks = nn.ModuleList([Block() for _ in range(BLOCKS)])
        self.ln = nn.LayerNorm(F, eps=1e-6)
        self.head = nn.Linear(F, 10)
    def forward(self, x):
        t = self.patch(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), t], 1) + self.pos
        for b in self.blocks:
            x = b(x)
        return self.head(self.ln(x)[:, 0])

model = ViT()
optim = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=0.05)
steps = EPOCHS * (60000 // 128)
sched = torch.optim.lr_scheduler.OneCycleLR(optim, max_lr=2e-3, total_steps=steps)
t0 = time.time()
for epoch in range(EPOCHS):
    perm = torch.randperm(60000)
    model.train()
    for i in range(0, 60000 - 127, 128):
        b = perm[i:i + 128]
        loss = nn.functional.cross_entropy(model(xtr[b]), ytr[b])
        optim.zero_grad()
        loss.backward()
        optim.step()
        sched.step()
    model.eval()
    with torch.no_grad():
        acc = sum((model(xte[i:i + 1000]).argmax(1) == yte[i:i + 1000]).sum().item() for i in range(0, 10000, 1000)) / 100
    print(f"epoch {epoch + 1}: loss {loss.item():.3f}, test accuracy {acc:.2f}% ({time.time() - t0:.0f} s)", flush=True)

def arr(t):
    return [round(float(v), 8) for v in t.detach().reshape(-1)]
W = lambda lin: lin.weight.detach().t()  # torch [out, in] -> ours [in, out]
doc = {
    "format": "snnc-bench-vit/1", "width": F, "heads": H, "blocks": BLOCKS, "mlp": MLP, "testAccuracy": acc,
    "patch": {"kernel": arr(model.patch.weight.detach().permute(2, 3, 1, 0)), "bias": arr(model.patch.bias)},
    "cls": arr(model.cls), "pos": arr(model.pos),
    "layers": [{
        "ln1": [arr(b.ln1.weight), arr(b.ln1.bias)], "ln2": [arr(b.ln2.weight), arr(b.ln2.bias)],
        "q": [arr(W(b.q)), arr(b.q.bias)], "k": [arr(W(b.k)), arr(b.k.bias)], "v": [arr(W(b.v)), arr(b.v.bias)],
        "o": [arr(W(b.o)), arr(b.o.bias)], "fc1": [arr(W(b.fc1)), arr(b.fc1.bias)], "fc2": [arr(W(b.fc2)), arr(b.fc2.bias)],
    } for b in model.blocks],
    "ln": [arr(model.ln.weight), arr(model.ln.bias)], "head": [arr(W(model.head)), arr(model.head.bias)],
}
with open(out, "w") as f:
    json.dump(doc, f)
print(f"wrote {out}: test accuracy {acc:.2f}%")
