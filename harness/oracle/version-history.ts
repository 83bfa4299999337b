/**
 * Linearizability of a value with one writer, the shape shared by every config oracle: the writer
 * replaces the value in updates that take time, a reader takes time to read it, and what the reader
 * accepts must equal the value at one instant of its read.
 *
 * Version i becomes current at some instant of its own update and stays current until update i+1
 * completes, so it is a possible value anywhere in [begin of update i, end of update i+1]. A read
 * spanning [from, to] may accept version i iff that window meets [from, to].
 */
import { hex } from '../core/describe.ts';

export interface Version {
  readonly index: number;
  readonly values: readonly number[];
  /** Trace index at which the update started (-1 for the initial value). */
  readonly begin: number;
  /** Trace index at which the update completed; undefined while in progress. */
  end: number | undefined;
}

export class VersionHistory {
  readonly versions: Version[];

  constructor(initial: readonly number[]) {
    this.versions = [{ index: 0, values: initial, begin: -1, end: -1 }];
  }

  get latest(): Version {
    return this.versions[this.versions.length - 1];
  }

  beginUpdate(values: readonly number[], at: number): void {
    this.versions.push({ index: this.versions.length, values, begin: at, end: undefined });
  }

  endUpdate(at: number): void {
    const v = this.latest;
    if (v.end === undefined) v.end = at;
  }

  /** Versions that were current at some instant of [from, to]. */
  admissible(from: number, to: number): Version[] {
    return this.versions.filter((v, i) => {
      const next = this.versions[i + 1];
      const until = next === undefined || next.end === undefined ? Number.POSITIVE_INFINITY : next.end;
      return v.begin <= to && until >= from;
    });
  }

  /** The version a value read in [from, to] equals, or undefined if it equals none of the admissible ones. */
  match(values: readonly number[], from: number, to: number): Version | undefined {
    return this.admissible(from, to).find((v) => sameValues(v.values, values));
  }

  /** Says, word by word, which versions a rejected value came from: the anatomy of a torn read. */
  explain(values: readonly number[], wordName: (i: number) => string): string {
    return values
      .map((w, i) => {
        const from = this.versions.filter((v) => v.values[i] === w).map((v) => `v${v.index}`);
        return `${wordName(i)}=${hex(w)} (${from.length ? `from ${from.join('/')}` : 'from no version'})`;
      })
      .join(', ');
  }

  describe(v: Version): string {
    return `v${v.index} [${v.values.map(hex).join(' ')}]`;
  }
}

export function sameValues(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
