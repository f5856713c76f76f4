/**
 * The peak resident set of this process in MB. On Linux, VmHWM of /proc/self/status: `ru_maxrss`
 * (process.resourceUsage().maxRSS) is carried over exec from the process that spawned this one, so a
 * child started by a large bench parent would report the parent's peak as its own. Elsewhere, maxRSS.
 */
import { readFileSync } from "node:fs";

export function peakRssMb(): number {
  try {
    const m = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync("/proc/self/status", "utf8"));
    if (m) return Number(m[1]) / 1024;
  } catch {
    // not Linux: fall back below
  }
  return process.resourceUsage().maxRSS / 1024;
}
