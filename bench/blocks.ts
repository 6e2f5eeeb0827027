/**
 * Runs two (or more) sides in alternating blocks of `block` calls, after a warm-up of the same shape,
 * so that drift and background work on a shared machine hit every side alike. Returns each call's
 * latency (ms) and each side's process CPU (µs) over the measured blocks.
 */
export async function alternatingBlocks<Side extends string>(
  sides: Record<Side, () => Promise<void>>,
  calls: number,
  block: number,
): Promise<{ latencies: Record<Side, number[]>; cpuMicros: Record<Side, number> }> {
  const names = Object.keys(sides) as Side[];
  const latencies = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<Side, number[]>;
  const cpuMicros = Object.fromEntries(names.map((name) => [name, 0])) as Record<Side, number>;
  const runBlock = async (side: Side, record: boolean) => {
    const cpuBefore = process.cpuUsage();
    for (let i = 0; i < block; i += 1) {
      const started = performance.now();
      await sides[side]();
      if (record) latencies[side].push(performance.now() - started);
    }
    const cpu = process.cpuUsage(cpuBefore);
    if (record) cpuMicros[side] += cpu.user + cpu.system;
  };
  // Warm-up: JIT, keep-alive sockets, the breaker and the first span processors.
  for (let i = 0; i < Math.max(2, Math.ceil(calls / block / 10)); i += 1) {
    for (const side of names) await runBlock(side, false);
  }
  for (let done = 0; done < calls; done += block) {
    for (const side of names) await runBlock(side, true);
  }
  return { latencies, cpuMicros };
}
