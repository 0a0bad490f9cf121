export async function runSweepJob(..._a: unknown[]): Promise<never> { throw new Error("todo"); }
