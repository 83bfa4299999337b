/** Replays a saved schedule: one execution that takes the recorded decision at every step. */
import type { Choice, Coverage, ExecutionSummary, Strategy } from './strategy.ts';

export interface ScheduledStep {
  readonly actor: number;
  /** The operation label recorded with the decision; a mismatch means the model changed. */
  readonly label?: string;
}

export class ReplayDivergence extends Error {}

export class ReplayStrategy implements Strategy {
  readonly name = 'replay';
  /** Every flush is on offer, so a schedule found by any strategy replays. */
  readonly eagerFlushes = true;
  private started = false;

  constructor(private readonly schedule: readonly ScheduledStep[], private readonly actorNames: readonly string[]) {}

  next(): boolean {
    if (this.started) return false;
    this.started = true;
    return true;
  }

  choose(c: Choice): number {
    const want = this.schedule[c.step];
    if (!want) {
      throw new ReplayDivergence(`the schedule ends after ${this.schedule.length} steps but the model can still run (${c.enabled.map((a) => c.label(a)).join('; ')}): it no longer applies to this model`);
    }
    const name = this.actorNames[want.actor] ?? `actor ${want.actor}`;
    // Memory model weak names a younger store's flush and a stale load by their labels.
    if (want.label !== undefined && !(c.enabled.includes(want.actor) && c.label(want.actor) === want.label)) {
      const byLabel = c.enabled.find((x) => c.label(x) === want.label);
      if (byLabel !== undefined) return byLabel;
    }
    if (!c.enabled.includes(want.actor)) {
      throw new ReplayDivergence(`step ${c.step}: the schedule runs ${name}${want.label ? ` (${want.label})` : ''}, but ${name} cannot run now; enabled: ${c.enabled.map((a) => c.label(a)).join('; ')}. The schedule no longer applies to this model`);
    }
    if (want.label !== undefined && c.label(want.actor) !== want.label) {
      throw new ReplayDivergence(`step ${c.step}: the schedule expects "${want.label}" but ${name} is at "${c.label(want.actor)}". The schedule no longer applies to this model`);
    }
    return want.actor;
  }

  done(_: ExecutionSummary): void {}

  coverage(): Coverage {
    return { complete: true, space: 'one recorded schedule' };
  }
}
