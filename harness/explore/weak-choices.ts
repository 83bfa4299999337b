/**
 * The choices memory model weak adds to a scheduling point, numbered from 2n on (n actors; below n
 * an actor steps, n + a flushes actor a's oldest pending store, as under tso). With x = c - 2n,
 * the actor is x % n and y = floor(x / n): an even y makes the actor's pending store to field y / 2
 * visible (a store that overtakes an older pending one); an odd y runs the actor's load so that it
 * reads the ((y + 1) / 2)-th older message it may read instead of the newest (a stale read).
 * Naming a flush by its field keeps the choice meaningful across runs: of an actor's stores that
 * may become visible, no two are to the same field.
 */
export type WeakChoice =
  | { readonly kind: 'flush'; readonly actor: number; readonly field: number }
  | { readonly kind: 'stale'; readonly actor: number; readonly older: number };

export function flushChoice(n: number, actor: number, field: number): number {
  return 2 * n + actor + n * (2 * field);
}

export function staleChoice(n: number, actor: number, older: number): number {
  return 2 * n + actor + n * (2 * older - 1);
}

/** The weak choice c stands for, or undefined for an actor step or an oldest-store flush (c < 2n). */
export function weakChoice(n: number, c: number): WeakChoice | undefined {
  if (c < 2 * n) return undefined;
  const x = c - 2 * n;
  const actor = x % n;
  const y = Math.floor(x / n);
  return y % 2 === 0 ? { kind: 'flush', actor, field: y / 2 } : { kind: 'stale', actor, older: (y + 1) / 2 };
}

/** The actor that moves when choice c is taken (-1 for a flush: no actor moves). */
export function moverOf(n: number, c: number): number {
  if (c < n) return c;
  const w = weakChoice(n, c);
  return w?.kind === 'stale' ? w.actor : -1;
}

/** Whether choice c makes a store visible (a flush of the oldest pending store or, under weak, of another). */
export function isFlush(n: number, c: number): boolean {
  return c >= n && moverOf(n, c) < 0;
}
