/**
 * @fileoverview What one compile is asked to do: the conversion options plus the files, sample counts and
 * runner options (`snnc compile`'s flags, as data). The pipeline's first state.
 */
import type { ConvertOptions } from "./convert/methods.ts";
import type { PassName } from "./pass.ts";

export interface CompileOptions extends ConvertOptions {
  readonly calibrationSamples: number;
  /** Size of the system in chips (default: the target's; "fit": as many as the cores need, for benches). */
  readonly chips?: number | "fit";
  /** --dump-ir: a directory, or a function given each file name and its canonical JSON (tests). */
  readonly dumpIr?: string | ((file: string, json: string) => void);
  /** --stop-after: end the run after this pass. */
  readonly stopAfter?: PassName;
  /** --dt: the time step (seconds, or the NIR file's time unit) that discretises a NIR graph when the file's
   * metadata has no `dt`. */
  readonly dt?: number;
  /** No --method was given: on a target with graded spikes (neuron.gradedSpikes.supported) ecc's `auto`
   * normalisation also measures `mt` and may choose it (convert/select.ts); the compiled request then says `mt`. */
  readonly autoMethod?: boolean;
  /** --emit-nir: also write the compiled float SNN as network.nir. */
  readonly emitNir?: boolean;
}

export interface CompileRequest extends CompileOptions {
  readonly model: string;
  readonly target: string;
  /** Data for calibration and evaluation; default: see data/resolve.ts. */
  readonly data?: string;
  /** Samples for accuracy and run statistics. */
  readonly samples: number;
  /** Samples compared spike for spike with the reference model. */
  readonly verifySamples: number;
  readonly tfjsCheck: boolean;
  /** Threads for the emulator run on the evaluation samples (default: all cores, for 64 samples or more). */
  readonly workers?: number;
  /** Generate the standalone emulator (emulator/emulator.ts and .js); default false. */
  readonly emulator?: boolean;
}
