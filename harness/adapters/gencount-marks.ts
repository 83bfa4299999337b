/**
 * Where a config-gencount driver's write of its fields begins and ends, as the reference driver
 * marks it (models/config-gencount/driver.ts writeWords): write-begin before the first store to a
 * driver field or the flag, write-end before the store that sets the flag. Third-party code makes
 * the stores; its adapters (schemes.ts for JavaScript, wasm/roles.ts for C) write the oracles'
 * notes where this says, so both annotate a write the same way.
 */
import { OpKind, type Op } from '../core/ops.ts';

export interface Marks {
  readonly begin: boolean;
  readonly end: boolean;
}

export interface WriteMarks {
  /** The marks due before `op`, each given once. */
  before(op: Op): Marks;
  /** The marks still due once the write is over (code that never made the store). */
  rest(): Marks;
}

export function writeMarks(driverFields: readonly number[], flag: number): WriteMarks {
  let begun = false;
  let ended = false;
  return {
    before(op) {
      const write = op.k >= OpKind.STORE && op.k <= OpKind.CAS;
      const begin = write && !begun && (op.t === flag || driverFields.includes(op.t));
      const end = write && !ended && op.t === flag && op.v !== 0;
      begun ||= begin;
      ended ||= end;
      return { begin, end };
    },
    rest() {
      const r = { begin: !begun, end: !ended };
      begun = ended = true;
      return r;
    },
  };
}
