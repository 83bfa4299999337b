/**
 * Process boundary: turns every error into a one-line message and an exit code, never a stack
 * trace, and owns the process's signals: SIGINT/SIGTERM stop the command, which prints what it
 * found so far (exit 3); a second signal exits at once (130/143). No child process outlives it.
 */
import { appendFileSync } from 'node:fs';
import { main } from './cli.ts';
import { endChildren, Interrupt } from './core/interrupt.ts';
import { UsageError } from './core/model.ts';

/** How often a shard process of --workers looks whether the process that started it is still there. */
const PARENT_CHECK_MS = 200;

/** Where the command writes (tests capture them; the command line has the process's). */
export interface Io {
  readonly stdout?: (s: string) => void;
  readonly stderr?: (s: string) => void;
}

export async function run(argv: readonly string[], io: Io = {}): Promise<number> {
  const stderr = io.stderr ?? ((s: string) => { process.stderr.write(s); });
  const interrupt = new Interrupt();
  const uninstall = interrupt.install();
  const watch = watchParent(interrupt);
  // For supervisors (and the tests): from now on a signal stops the run cleanly.
  if (process.env.VIRTIO_VERIFY_READY_FILE) appendFileSync(process.env.VIRTIO_VERIFY_READY_FILE, `${process.pid}\n`);
  let code: number;
  try {
    code = await main(argv, io.stdout, { interrupt });
  } catch (e) {
    code = 2;
    // One line, whatever the message quotes (a parser's error may hold the line it choked on).
    if (e instanceof UsageError) stderr(`virtio-verify: ${e.message.replace(/\s*\n\s*/g, ' ')}\n`);
    else {
      const err = e instanceof Error ? e : new Error(String(e));
      stderr(`virtio-verify: internal error: ${err.message}${process.env.VIRTIO_VERIFY_DEBUG ? `\n${err.stack}` : ' (set VIRTIO_VERIFY_DEBUG=1 for the stack)'}\n`);
    }
  } finally {
    clearInterval(watch);
    uninstall();
  }
  if (interrupt.received) {
    // What was found is printed (stdout and stderr are synchronous on Linux): do not wait for work
    // still winding down (a worker starting, a process being killed).
    endChildren();
    process.exit(code);
  }
  return code;
}

/**
 * A shard process started by `check --workers` (VIRTIO_VERIFY_PARENT names its parent) stops as
 * on SIGTERM when its parent is gone, even if the parent was killed outright.
 */
function watchParent(interrupt: Interrupt): NodeJS.Timeout | undefined {
  const parent = Number(process.env.VIRTIO_VERIFY_PARENT);
  if (!Number.isInteger(parent) || parent <= 0) return undefined;
  const timer = setInterval(() => {
    if (process.ppid !== parent && !interrupt.received) interrupt.stop('SIGTERM');
  }, PARENT_CHECK_MS);
  timer.unref();
  return timer;
}
