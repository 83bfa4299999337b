/** Names for what a trace holds: operations, fields, events and notes as a person reads them. */
import type { ModelInstance } from './model.ts';
import { FENCE_NAMES, OP_NAMES, OpKind, touchesField } from './ops.ts';

/** The object of an operation: a field, an event, a fence or a note name. */
export function targetName(instance: ModelInstance, k: number, t: number): string {
  if (touchesField(k)) return instance.layout.fields[t]?.name ?? `field#${t}`;
  switch (k) {
    case OpKind.NOTIFY: case OpKind.WAIT: case OpKind.POLL: return instance.events[t]?.name ?? `event#${t}`;
    case OpKind.FENCE: return FENCE_NAMES[t] ?? `fence#${t}`;
    case OpKind.NOTE: return instance.notes[t]?.name ?? `note#${t}`;
    default: return '';
  }
}

/** "load config.gen", "notify config-irq", "virtio_wmb", "pause". */
export function opLabel(instance: ModelInstance, k: number, t: number): string {
  if (k === OpKind.FENCE) return targetName(instance, k, t);
  const target = targetName(instance, k, t);
  return target ? `${OP_NAMES[k] ?? `op#${k}`} ${target}` : OP_NAMES[k] ?? `op#${k}`;
}

export function actorName(instance: ModelInstance, a: number): string {
  return instance.actors[a]?.name ?? `actor#${a}`;
}

export function hex(v: number): string {
  return `0x${v.toString(16)}`;
}
