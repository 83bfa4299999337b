/**
 * Generated operation-level mutants of any model: one actor's k-th store, notify or exchange is
 * skipped, or its k-th load returns 0. They need no knowledge of the protocol, so they give every
 * model a population of wrong programs with which to test the exploration itself (a reduction that
 * misses an outcome class misses it on some of them).
 */
import type { ModelInstance } from './model.ts';
import { OpKind, type Op, type Program } from './ops.ts';

export const OP_MUTATIONS = ['skip-store', 'skip-notify', 'skip-exchange', 'zero-load'] as const;
export type OpMutation = (typeof OP_MUTATIONS)[number];

export interface OpMutant {
  readonly actor: number;
  readonly mutation: OpMutation;
  /** Which occurrence (1-based) of the operation kind in the actor's execution is mutated. */
  readonly nth: number;
}

export function opMutantName(instance: ModelInstance, m: OpMutant): string {
  return `${instance.actors[m.actor]?.name ?? `actor ${m.actor}`}:${m.mutation}#${m.nth}`;
}

const KIND: Record<OpMutation, number> = {
  'skip-store': OpKind.STORE,
  'skip-notify': OpKind.NOTIFY,
  'skip-exchange': OpKind.XCHG,
  'zero-load': OpKind.LOAD,
};

/** The instance with one actor's program mutated. */
export function applyOpMutant(instance: ModelInstance, m: OpMutant): ModelInstance {
  const actors = instance.actors.map((a, i) => (i === m.actor ? { ...a, program: () => mutated(a.program(), m) } : a));
  return { ...instance, variant: `${instance.variant}+${opMutantName(instance, m)}`, actors };
}

function* mutated(program: Program, m: OpMutant): Program {
  let seen = 0;
  let r = program.next(0);
  while (!r.done) {
    const op: Op = r.value;
    if (op.k === KIND[m.mutation] && ++seen === m.nth) {
      switch (m.mutation) {
        // The program believes its store happened (a store returns the value written).
        case 'skip-store': r = program.next(op.v); continue;
        case 'skip-notify': r = program.next(1); continue;
        // The exchange only reads: the old value comes back, nothing is written.
        case 'skip-exchange': { const old: number = yield { k: OpKind.LOAD, t: op.t, v: 0, w: 0 }; r = program.next(old); continue; }
        case 'zero-load': { yield op; r = program.next(0); continue; }
      }
    }
    const v: number = yield op;
    r = program.next(v);
  }
}
