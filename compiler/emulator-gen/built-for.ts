/**
 * @fileoverview What a generated emulator was built for: the one module whose value the bundler
 * (bundle.ts) replaces, folding the network's constants into the standalone program. In the source tree it
 * is null (no network); main.ts then skips the identity check.
 */

export interface BuiltFor {
  /** Length and header CRC-32 of the network.snnb the emulator was generated from. */
  readonly fileLength: number;
  readonly headerCrc: number;
  readonly model: string;
  readonly target: string;
  readonly snncVersion: string;
}

export const BUILT_FOR: BuiltFor | null = null;
