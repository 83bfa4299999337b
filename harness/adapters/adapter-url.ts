/**
 * How an adapter's model module (js/model.ts, wasm/worker-model.ts) learns what it wraps: the
 * scheme, the role and the implementation travel in the module's own URL, so that the main thread
 * and every threads-engine worker build the same instance.
 *
 * The implementation travels base64url-encoded: a module URL whose query ended in ".mjs" or
 * ".wasm" would make some loaders (vitest's) guess the wrong format for the TypeScript module. The
 * same loaders keep the query apart in the module's id but drop it from import.meta.url, so on the
 * main thread validate also leaves what it wraps in a global slot (announce).
 */
import { isMainThread } from 'node:worker_threads';

export interface Wrapped {
  readonly scheme: string;
  readonly role: string;
  /** A module's file URL (JavaScript) or the gate cache's entry (WebAssembly). */
  readonly impl: string;
}

/** `moduleUrl` with what it wraps in its query. */
export function adapterUrl(moduleUrl: string, w: Wrapped): string {
  const u = new URL(moduleUrl);
  u.search = new URLSearchParams({ scheme: w.scheme, role: w.role, impl: Buffer.from(w.impl, 'utf8').toString('base64url') }).toString();
  return u.href;
}

/** On the main thread: leaves `w` where the adapter module named `slot` finds it without its query. */
export function announce(slot: string, w: Wrapped): void {
  (globalThis as Record<symbol, Wrapped | undefined>)[Symbol.for(slot)] = w;
}

/** What the module at `moduleUrl` wraps: from its query, or on the main thread from its slot. */
export function wrapped(moduleUrl: string, slot: string): Wrapped | undefined {
  const q = new URL(moduleUrl).searchParams;
  const scheme = q.get('scheme');
  const role = q.get('role');
  const impl = q.get('impl');
  if (scheme !== null && role !== null && impl !== null) return { scheme, role, impl: Buffer.from(impl, 'base64url').toString('utf8') };
  return isMainThread ? (globalThis as Record<symbol, Wrapped | undefined>)[Symbol.for(slot)] : undefined;
}
