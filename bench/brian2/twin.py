"""Brian2 twin of a network snnc emulated (bench/emulator.ts writes its arrays, read back from the loaded
placement binary): the same integrate-and-fire neurons and the same synapses, on Brian2's cython code target.

Neurons (Loihi integrate-and-fire with du = 4095, dv = 0): every step v += bias + this step's synaptic
input; a spike when v > theta (strict, as Loihi), then v -= theta where `subtract` is 1 (no reset where it
is 0: Loihi 1's two-compartment soft reset, whose self-synapse of weight -theta is an ordinary synapse
here); readout neurons (`spiking` 0) never spike.

Timing: snnc adds a spike's weight into the input of step t + delay (delay >= 1) and a neuron reads its
input before its threshold test. Brian2's schedule runs thresholds before synapses in a step, so a spike
delivered with Brian2 delay d is seen by the threshold test d + 1 steps later: Brian2 delay = delay - 1.
Biases are added in a `start`-slot operation, before the threshold test, as snnc does.

Each sample runs `steps` steps from v = v0 with its own biases (the input neurons' pixel currents).
Prints one JSON line: synaptic events (spikes x out-degree), wall and CPU (process) seconds of the timed
runs (code generation and compilation excluded by a warm-up run), total spikes and spikes per sample.

    /usr/bin/python3 bench/brian2/twin.py DIR STEPS SAMPLES
"""
import json
import sys
import time

import numpy as np
from brian2 import NeuronGroup, Network, SpikeMonitor, Synapses, defaultclock, ms, prefs

directory, steps, samples = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
prefs.codegen.target = "cython"
defaultclock.dt = 1 * ms


def load(name):
    return np.load(f"{directory}/{name}.npy")


theta, v0, spiking, subtract, bias = load("theta"), load("v0"), load("spiking"), load("subtract"), load("bias")
pre, post, weight, delay = load("pre"), load("post"), load("weight"), load("delay")
n = len(theta)
G = NeuronGroup(
    n,
    "v : 1\ntheta : 1 (constant)\nb : 1\ns : 1 (constant)\nsub : 1 (constant)",
    threshold="s > 0 and v > theta",
    reset="v -= sub * theta",
    method="exact",
)
G.run_regularly("v += b", dt=1 * ms, when="start")
G.theta, G.s, G.sub = theta, spiking, subtract
S = Synapses(G, G, "w : 1 (constant)", on_pre="v_post += w")
S.connect(i=pre, j=post)
S.w = weight
S.delay = (delay - 1) * ms
M = SpikeMonitor(G, record=False)
net = Network(G, S, M)

G.v, G.b = v0, bias[0]
net.run(2 * ms)  # warm-up: code generation and compilation

outdeg = np.bincount(pre, minlength=n)
events = 0
seconds = 0.0
cpu_seconds = 0.0
per_sample = []
for k in range(samples):
    G.v = v0
    G.b = bias[k]
    before = np.array(M.count[:])
    t0 = time.time()
    c0 = time.process_time()
    net.run(steps * ms)
    cpu_seconds += time.process_time() - c0
    seconds += time.time() - t0
    counts = np.array(M.count[:]) - before
    events += int((counts * outdeg).sum())
    per_sample.append(int(counts.sum()))
print(json.dumps({"events": events, "seconds": seconds, "cpuSeconds": cpu_seconds, "spikes": sum(per_sample), "perSample": per_sample, "neurons": n, "synapses": int(len(pre))}))
