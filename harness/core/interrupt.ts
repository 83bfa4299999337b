/**
 * SIGINT and SIGTERM for a whole command. The first signal aborts `signal`: every long piece of
 * work watches it (the exploration between executions, a fuzz run between batches, a process
 * session while it waits), stops, and the command prints what it found so far, marked interrupted,
 * and exits 3. The second signal does not wait: it runs the `lastWords` callbacks (the nightly
 * writes its reports), ends every child process still running and exits 130 (SIGINT) or 143
 * (SIGTERM), as a shell expects of a process killed by that signal.
 *
 * Child processes the tool starts (shard processes of --workers, implementation processes of
 * validate, jsfuzz) are tracked here, so that no path out of the tool leaves one running.
 */
import type { ChildProcess } from 'node:child_process';

export const SIGNAL_EXIT: Readonly<Record<'SIGINT' | 'SIGTERM', number>> = { SIGINT: 130, SIGTERM: 143 };

/** Exit code of a command that was interrupted (and found no violation before it stopped). */
export const INTERRUPTED_EXIT = 3;

export class Interrupt {
  private readonly controller = new AbortController();
  private readonly words = new Set<() => void>();
  private count = 0;
  /** The first signal received, if any. */
  received: 'SIGINT' | 'SIGTERM' | undefined;

  constructor(private readonly exit: (code: number) => never = (code) => process.exit(code)) {}

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Stops the work as the first signal would (tests, and a shard process whose parent is gone). */
  stop(sig: 'SIGINT' | 'SIGTERM' = 'SIGTERM'): void {
    this.handle(sig);
  }

  /** Called on the second signal, before the process exits; returns a function that removes it. */
  lastWords(fn: () => void): () => void {
    this.words.add(fn);
    return () => { this.words.delete(fn); };
  }

  /** Installs the process's SIGINT and SIGTERM handlers; returns a function that removes them. */
  install(): () => void {
    const onInt = () => this.handle('SIGINT');
    const onTerm = () => this.handle('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    return () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    };
  }

  private handle(sig: 'SIGINT' | 'SIGTERM'): void {
    this.count++;
    if (this.count === 1) {
      this.received = sig;
      this.controller.abort(new Interrupted(sig));
      return;
    }
    for (const fn of this.words) {
      try { fn(); } catch { /* the exit must happen */ }
    }
    endChildren();
    this.exit(SIGNAL_EXIT[sig]);
  }
}

/** The reason an interrupted piece of work gives (AbortSignal.reason). */
export class Interrupted extends Error {
  constructor(readonly sig: string = 'signal') { super(`interrupted by ${sig}`); }
}

/** Resolves on the next turn of the event loop: a signal that arrived is handled by then. */
export function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Rejects with the abort reason, or resolves with `work`, whichever comes first. */
export function unlessAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T | Interrupted> {
  if (!signal) return work;
  if (signal.aborted) return Promise.resolve(reasonOf(signal));
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve(reasonOf(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => { signal.removeEventListener('abort', onAbort); resolve(v); },
      (e) => { signal.removeEventListener('abort', onAbort); reject(e); },
    );
  });
}

function reasonOf(signal: AbortSignal): Interrupted {
  return signal.reason instanceof Interrupted ? signal.reason : new Interrupted();
}

// Child processes ---------------------------------------------------------------------------------

interface Tracked {
  readonly child: ChildProcess;
  /** Spawned detached (its own process group): the whole group is ended. */
  readonly group: boolean;
}

const children = new Set<Tracked>();

/** Keeps `child` on the list of processes to end, until it exits. */
export function track<C extends ChildProcess>(child: C, o: { group?: boolean } = {}): C {
  const t = { child, group: o.group === true };
  children.add(t);
  child.once('exit', () => children.delete(t));
  child.once('error', () => children.delete(t));
  return child;
}

/** Sends `sig` to every tracked child still running (synchronously: a signal handler may call this). */
export function endChildren(sig: NodeJS.Signals = 'SIGKILL'): void {
  for (const { child, group } of children) {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) continue;
    try {
      if (group) process.kill(-child.pid, sig);
      else child.kill(sig);
    } catch { /* already gone */ }
  }
}

/** Process ids of the tracked children still running (tests). */
export function runningChildren(): number[] {
  return [...children].filter(({ child }) => child.exitCode === null && child.signalCode === null && child.pid !== undefined).map(({ child }) => child.pid!);
}

// Ends them on any way out of the process, process.exit included.
process.once('exit', () => endChildren());
