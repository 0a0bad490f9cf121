/**
 * @fileoverview The Python text of `network_pynn.py` (--emit-pynn): a PyNN 0.10 script that rebuilds one
 * compiled network from its JSON description (folded into the script) and its synapse arrays
 * (`network_pynn/*.npy`), runs it on inputs read from an .npy, and writes the scores, classes and spike
 * counts as JSON. The timing and neuron mapping it implements is documented in docs/pynn.md; the constants
 * the script reads are listed in emit.ts.
 *
 * Input: the network JSON. Output: the script text. Invariant: the script never imports snnc; it needs
 * numpy and PyNN with the chosen backend only.
 */

/** The script, with the network's JSON in place of the marker. */
export function pynnScript(networkJson: string, header: string): string {
  if (networkJson.includes('"""')) throw new Error("internal: network JSON contains a Python string delimiter");
  return SCRIPT.replace("@@HEADER@@", header).replace("@@NETWORK@@", networkJson);
}

const SCRIPT = String.raw`#!/usr/bin/env python3
"""@@HEADER@@

Usage:
  python3 network_pynn.py --input images.npy [--backend brian2|spiNNaker] [--samples N] [--output out.json]
                          [--record output|all]

--backend brian2 (default) runs PyNN's Brian 2 backend (Debian: python3-pynn, python3-brian); --backend
spiNNaker imports pyNN.spiNNaker (sPyNNaker) and runs a SpiNNaker machine. --input holds one input of the
model's input shape or a batch of them (float pixels, or uint8 divided by 255, as snnc run reads them).
The output JSON has, per input, "prediction" and "scores"; with --record all, "spikes" gives each
population's spike count per input (populations in snnc's order; the input layer is computed in numpy).

Mapping (docs/pynn.md in snnc): one timestep = one PyNN millisecond. Each snnc neuron is an IF_curr_delta cell
without leak in practice (tau_m = 1e15 ms on Brian 2), v in mV = state units / 2^fractionBits (SpiNNaker's
s16.15), threshold half a state unit below snnc's (v >= theta on integers = v > theta - 1/2), reset to 0,
no refractory period. A snnc synapse of delay D is a PyNN projection with delay D ms (sPyNNaker: the spike
lands in the ring buffer slot of tick t + D, read before the threshold test, as snnc does); on Brian 2 the
synaptic pathways are moved between the state update and the threshold test, where they read the previous
step's spikes, so their delay is D - 1.
Biases come from one "bias" spike source firing every step (delta synapses, weight = the bias): exact,
unlike i_offset through Brian 2's exact integrator at tau_m = 1e15 ms. The input layer (integrate-and-fire
neurons driven by the pixels' currents) is computed in numpy with snnc's integer rule and fed as
SpikeSourceArray spike times.
"""
import argparse
import json
import os
import sys

import numpy as np
from pyNN.parameters import Sequence

NETWORK = json.loads(r"""@@NETWORK@@""")
HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, NETWORK["dataDir"])


def round_half_away(x):
    """snnc's roundHalfAway (runtime/input.ts): |x| rounded half up, sign restored."""
    a = np.abs(x)
    r = np.floor(a)
    r = r + (a - r >= 0.5)
    return np.where(x < 0, -r, r)


def input_bias(pixels):
    """Pixel -> bias in state units: snnc's inputBias (mantissa * 2^exponent, smallest exponent that fits)."""
    inp = NETWORK["input"]
    x = round_half_away(pixels.astype(np.float64) * inp["gainScaled"])
    top = 2.0 ** (inp["biasMantissaBits"] - 1) - 1
    out = np.zeros_like(x)
    todo = np.ones(x.shape, dtype=bool)
    for e in range(inp["biasExponentMax"] + 1):
        m = round_half_away(x / 2.0 ** e)
        fits = todo & ((np.abs(m) <= top) | (e == inp["biasExponentMax"]))
        out[fits] = np.clip(m[fits], -top, top) * 2.0 ** e
        todo &= ~fits
    return out


def input_spike_steps(bias, pop, steps):
    """The input layer's spikes (snnc's fixed-if rule on integers): a list of step arrays per neuron."""
    theta = pop["threshold"]
    top = 2.0 ** (NETWORK["stateBits"] - 1) - 1
    v = np.array([pop["vInit"][i % pop["channels"]] for i in range(pop["size"])], dtype=np.float64)
    fired = []
    for t in range(steps):
        v = np.clip(v + bias, -top, top)
        s = v >= theta
        fired.append(s.copy())
        if pop["reset"] == "zero":
            v[s] = 0
        else:
            v[s] -= theta
    fired = np.array(fired)
    return [np.nonzero(fired[:, i])[0] for i in range(pop["size"])]


def load_inputs(path, limit):
    x = np.load(path)
    shape = tuple(NETWORK["inputShape"])
    if x.shape == shape:
        x = x[None]
    if x.shape[1:] != shape:
        sys.exit("error: input %s has shape %s; the network takes %s or [N, %s]" % (path, x.shape, shape, ", ".join(map(str, shape))))
    if x.dtype == np.uint8:
        x = x.astype(np.float32) / np.float32(255)
    x = x.astype(np.float32)
    if limit is not None:
        x = x[:limit]
    return x.reshape(len(x), -1)


def cell_parameters(pop, backend, mv):
    """IF_curr_delta parameters of one population (see the module docstring)."""
    if backend == "brian2":
        tau_m, cm = 1e15, 1.0
        v_thresh = (pop["threshold"] - 0.5) * mv
    else:
        # sPyNNaker's closed form V = a - exp(-dt/tau)(a - V), a = I R: tau_m long, cm = tau_m (1 - exp(-dt/tau_m))
        # so that one tick's input I moves V by I mV. Its leak (1e-3 per tick) is a known difference.
        tau_m = 1000.0
        cm = tau_m * (1.0 - np.exp(-1.0 / tau_m))
        v_thresh = pop["threshold"] * mv
    if pop["kind"] == "readout":
        v_thresh = 1e9 if backend == "brian2" else 32767.0
    return dict(tau_m=tau_m, cm=cm, v_rest=0.0, v_reset=0.0, v_thresh=v_thresh, tau_refrac=0.0, i_offset=0.0)


def main():
    ap = argparse.ArgumentParser(description="PyNN run of an snnc network")
    ap.add_argument("--input", "-i", required=True)
    ap.add_argument("--backend", choices=["brian2", "spiNNaker"], default="brian2")
    ap.add_argument("--samples", type=int, default=None)
    ap.add_argument("--output", "-o", default=None, help="JSON file (default: stdout)")
    ap.add_argument("--record", choices=["output", "all"], default="output")
    ap.add_argument("--codegen", choices=["auto", "numpy", "cython"], default="auto", help="Brian 2 code generation target")
    args = ap.parse_args()

    if args.backend == "brian2":
        import brian2
        import pyNN.brian2 as sim
        # pyNN.brian2 creates spike sources on Brian's default clock: give it the simulation's step.
        brian2.defaultclock.dt = 1.0 * brian2.ms
        brian2.prefs.codegen.target = args.codegen
        delay_offset = 1
    else:
        import pyNN.spiNNaker as sim
        delay_offset = 0

    net = NETWORK
    mv = 2.0 ** -net["fractionBits"]
    steps = net["timesteps"] + net["readoutDepth"]
    images = load_inputs(args.input, args.samples)
    pops = net["populations"]
    in_id = net["input"]["population"]
    out_id = net["output"]

    sim.setup(timestep=1.0, min_delay=1.0)
    cells = []
    for p in pops:
        if p["id"] == in_id:
            cells.append(sim.Population(p["size"], sim.SpikeSourceArray(spike_times=[[] for _ in range(p["size"])]), label=p["name"]))
        else:
            cells.append(sim.Population(p["size"], sim.IF_curr_delta(**cell_parameters(p, args.backend, mv)), label=p["name"]))
    # The bias source fires at steps 0 .. steps-2; with delay 1 its spikes add the bias at steps 1 .. steps-1
    # (step 0's bias is in the initial v).
    bias_src = sim.Population(1, sim.SpikeSourceArray(spike_times=[[float(t) for t in range(steps - 1)]]), label="bias")
    projections = []

    def connect(pre, post, rows, receptor):
        if len(rows) == 0:
            return
        if args.backend != "brian2":
            prj = sim.Projection(pre, post, sim.FromListConnector(rows, column_names=["weight", "delay"]),
                                 sim.StaticSynapse(), receptor_type=receptor)
        else:
            # pyNN.brian2's FromListConnector sets every synapse's weight one by one (hours for a CNN's
            # million synapses): create the projection empty and fill its Brian 2 Synapses in one call.
            prj = sim.Projection(pre, post, sim.FromListConnector(np.zeros((0, 4)), column_names=["weight", "delay"]),
                                 sim.StaticSynapse(), receptor_type=receptor)
            syn_obj = prj._brian2_synapses[0][0]
            syn_obj.connect(i=rows[:, 0].astype(np.int64), j=rows[:, 1].astype(np.int64))
            syn_obj.weight[:] = rows[:, 2] * brian2.mV
            syn_obj.delay[:] = rows[:, 3] * brian2.ms
            prj._n_connections += len(rows)
        projections.append(prj)

    syn = np.load(os.path.join(DATA, "synapses.npy"))
    wts = np.load(os.path.join(DATA, "weights.npy")) * mv
    starts = net["projectionStarts"]
    for k, pr in enumerate(net["projections"]):
        a, b = starts[k], starts[k + 1]
        delay = float(pr["delay"] - delay_offset)
        rows = np.column_stack([syn[a:b, 0], syn[a:b, 1], wts[a:b], np.full(b - a, delay)])
        pre, post = cells[pr["source"]], cells[pr["target"]]
        connect(pre, post, rows[rows[:, 2] > 0], "excitatory")
        connect(pre, post, rows[rows[:, 2] < 0], "inhibitory")
    for p in pops:
        if p["id"] == in_id or not any(b != 0 for b in p["bias"]):
            continue
        bias = np.array([p["bias"][i % p["channels"]] for i in range(p["size"])], dtype=np.float64) * mv
        rows = np.column_stack([np.zeros(p["size"]), np.arange(p["size"]), bias, np.full(p["size"], 1.0 - delay_offset)])
        connect(bias_src, cells[p["id"]], rows[rows[:, 2] > 0], "excitatory")
        connect(bias_src, cells[p["id"]], rows[rows[:, 2] < 0], "inhibitory")
    if args.backend == "brian2":
        # Deliver last step's spikes after the state update and before the threshold test, as SpiNNaker adds
        # this tick's ring-buffer input before its threshold test. (In Brian 2's default order, synapses run
        # after the threshold test, and a neuron that has just spiked is refractory until the next state
        # update even with tau_refrac = 0, which drops the input it receives in between.)
        for prj in projections:
            for row in prj._brian2_synapses.values():
                for s in row.values():
                    s.pre.when = "after_groups"

    out_pop = pops[out_id]
    readout_v = out_pop["kind"] == "readout"
    cells[out_id].record("v" if readout_v else "spikes")
    if args.record == "all":
        for p in pops:
            if p["id"] != in_id and p["id"] != out_id:
                cells[p["id"]].record("spikes")

    v0 = []
    for p in pops:
        per = np.array([p["vInit"][i % p["channels"]] + p["bias"][i % p["channels"]] for i in range(p["size"])], dtype=np.float64)
        v0.append(per * mv)

    result = {"backend": args.backend, "network": net["name"], "target": net["target"], "timesteps": net["timesteps"],
              "prediction": [], "scores": [], "spikes": [] if args.record == "all" else None}
    inp = pops[in_id]
    for n in range(len(images)):
        if n > 0:
            sim.reset()
        fired = input_spike_steps(input_bias(images[n]), inp, steps)
        cells[in_id].set(spike_times=[Sequence([float(t) for t in f]) for f in fired])
        for p in pops:
            if p["id"] != in_id:
                cells[p["id"]].initialize(v=v0[p["id"]])
        sim.run(float(steps + 1))
        if readout_v:
            sig = cells[out_id].get_data("v", clear=True).segments[-1].analogsignals[0]
            vs = np.asarray(sig.magnitude)
            # Brian 2 records v at the start of each step: row "steps" is v after the last step.
            row = steps if args.backend == "brian2" else steps - 1
            scores = np.rint(vs[row] / mv)
        else:
            trains = [np.asarray(st.magnitude) for st in cells[out_id].get_data("spikes", clear=True).segments[-1].spiketrains]
            depth = out_pop["depth"]
            scores = np.array([np.count_nonzero((st >= depth) & (st < steps)) for st in trains], dtype=np.float64)
            out_total = int(sum(np.count_nonzero(st < steps) for st in trains))
        result["scores"].append([float(s) for s in scores])
        result["prediction"].append(int(np.argmax(scores)))
        if args.record == "all":
            counts = []
            for p in pops:
                if p["id"] == in_id:
                    counts.append(int(sum(len(f) for f in fired)))
                elif p["id"] == out_id and readout_v:
                    counts.append(0)
                elif p["id"] == out_id:
                    counts.append(out_total)
                else:
                    trains = cells[p["id"]].get_data("spikes", clear=True).segments[-1].spiketrains
                    counts.append(int(sum(np.count_nonzero(np.asarray(st.magnitude) < steps) for st in trains)))
            result["spikes"].append(counts)
    sim.end()
    text = json.dumps(result)
    if args.output:
        with open(args.output, "w") as f:
            f.write(text + "\n")
    else:
        print(text)


if __name__ == "__main__":
    main()
`;
