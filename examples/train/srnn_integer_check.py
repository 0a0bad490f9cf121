#!/usr/bin/python3
"""Plausibility check of the srnn example's discretisation (not snnc): re-simulates graph.nir with integers as Loihi's
CUBA neuron would (weights on their 8-bit grids, 64 state units per grid step, decays d/4096 truncated toward
zero, threshold round(64/s)) on the 10,000 test images and compares with the torch predictions.
Run from the repository root: /usr/bin/python3 examples/train/srnn_integer_check.py
"""
import sys, numpy as np, h5py
sys.path.insert(0, 'examples/train')
import srnn_fashion as S
f = h5py.File('examples/fashion-mnist/srnn/graph.nir')
w_in = f['node/nodes/fc_in/weight'][()].astype(np.float64); w_rec = f['node/nodes/fc_rec/weight'][()].astype(np.float64); w_out = f['node/nodes/fc_out/weight'][()].astype(np.float64)
s = max(abs(w_in).max(), abs(w_rec).max()) / 127
k_in = np.round(w_in / s).astype(np.int64); k_rec = np.round(w_rec / s).astype(np.int64)
so = abs(w_out).max() / 127; k_out = np.round(w_out / so).astype(np.int64)
U = 64
vth = int(round(1.0 / s * U))
x_img, y = S.load('test'); ev = S.encode(x_img).astype(np.int64)
torch_pred = np.load('examples/fashion-mnist/srnn/torch-test-predictions.npy')
def decay(x, d):  # sign(x) * (|x| * (4096 - d) >> 12)
    return np.sign(x) * ((np.abs(x) * (4096 - d)) >> 12)
n = len(y); u = np.zeros((n, 128), np.int64); v = np.zeros((n, 128), np.int64); z = np.zeros((n, 128), np.int64); o = np.zeros((n, 10), np.int64)
for t in range(28):
    u = decay(u, 1024) + (ev[:, t] @ k_in.T) * U + (z @ k_rec.T) * U
    v = decay(v, 512) + u
    z = (v > vth).astype(np.int64)
    v[z == 1] = 0
    o = o + z @ k_out.T
p = o.argmax(1)
print('threshold state units', vth, 'scale', s)
print('integer accuracy', (p == y).mean(), 'torch', (torch_pred == y).mean(), 'agreement', (p == torch_pred).mean())
