/**
 * CPU time of a dev server's workerd processes (Linux /proc), to tell a saturated runtime from a
 * waiting actor. `wrangler dev` runs two: one listening on the public port (wrangler's proxy in
 * front) and one running the Worker and its actors (the runtime).
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

export interface WorkerdCpu {
  /** Seconds of CPU of the workerd serving the public port (wrangler's proxy). */
  proxy: number;
  /** Seconds of CPU of the other workerd processes of the group (the Worker and its actors). */
  runtime: number;
}

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** CPU used so far by the workerd processes of process group `group` (zeros off Linux). */
export function workerdCpuSeconds(group: number | undefined, publicUrl: string): WorkerdCpu {
  const used: WorkerdCpu = { proxy: 0, runtime: 0 };
  if (group === undefined) return used;
  const publicEntry = `entry=127.0.0.1:${new URL(publicUrl).port}`;
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return used;
  }
  for (const pid of pids) {
    const stat = read(`/proc/${pid}/stat`);
    if (!stat) continue;
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    // After "pid (comm) ": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (name !== 'workerd' || Number(fields[2]) !== group) continue;
    const seconds = (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
    const args = (read(`/proc/${pid}/cmdline`) ?? '').split('\0');
    if (args.some((arg) => arg.includes(publicEntry))) used.proxy += seconds;
    else used.runtime += seconds;
  }
  return used;
}
