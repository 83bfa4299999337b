/**
 * A third-party JavaScript config-msg driver: a sans-IO object whose operations are generators,
 * as the reference VirtioMsgDriver's steps are. An operation yields request bodies (a message
 * without devNum and token: the bus owns the token) and is resumed with each response:
 *
 *   createDriver(options) -> driver
 *   driver.init()                          (optional) discovery, e.g. GET_DEVICE_INFO
 *   driver.readConfig()                    read the whole config; return the bytes accepted as one version
 *   driver.writeConfig(offset, length, update)   a read-modify-write of config bytes: call
 *                                          update(current bytes) -> new bytes each time it decides
 *   driver.reset()                         reset the device and wait until the reset is complete
 *   driver.event(message)                  an event arrived (also while an operation waits); a truthy
 *                                          return asks for the config to be read again
 *   driver.config()                        its copy of the config (bytes)
 *
 * The host below runs the object where the reference driver actor runs (models/config-msg/index.ts:
 * discover, read, `writes` writes, `resets` resets each followed by a read, then follow events) and
 * writes the notes the invariants read at the points the reference writes them: read-begin and
 * read-accept around readConfig, write-intent when update() is called (the value the driver decides
 * from the value it saw), copy whenever config() changes. The object never touches shared memory,
 * so the host is a yielding actor, explored like the reference, in a worker of the threads engine
 * (an operation that never returns costs a step timeout, not the tool).
 */
import type { ModelInstance } from '../../core/model.ts';
import { port as p, type NoteRef, type Program } from '../../core/ops.ts';
import { receive } from '../../msg/channel.ts';
import { bytesToWords, wordsToBytes } from '../../msg/codec.ts';
import type { Message } from '../../msg/types.ts';
import { DEV } from '../../../models/config-msg/driver.ts';
import { driverWord, maxMessageBytes, MSG_NOTES, NOTES, shared, type Shared } from '../../../models/config-msg/layout.ts';
import type { RoleSpec } from '../schemes.ts';
import { asObject, call, describeValue } from './messages.ts';
import { OperationRunner } from './operations.ts';
import type { ConfigMsgDriverOptions } from './roles.ts';

const bytes = (v: unknown, n: number | undefined, what: string): number[] => {
  if (!Array.isArray(v) || (n !== undefined && v.length !== n) || v.some((b) => !Number.isInteger(b) || b < 0 || b > 255)) {
    throw new TypeError(`${what} must be ${n === undefined ? 'an array' : `an array of ${n}`} of bytes (0..255), not ${describeValue(v)}`);
  }
  return v as number[];
};

class ConfigDriverHost {
  private readonly notes: { note: NoteRef; data: number[] }[] = [];
  private copy: string | undefined;
  private reread = false;
  readonly ops: OperationRunner;

  constructor(private readonly drv: Record<string, unknown>, private readonly mem: Shared, maxSize: number) {
    this.ops = new OperationRunner(drv, {
      d2v: mem.d2v, v2d: mem.v2d, notes: MSG_NOTES, devNum: DEV, maxSize, afterStep: () => this.flush(), onEvent: (m) => this.event(m),
    });
  }

  private *event(m: Message): Program {
    if (call(this.drv, 'event', 'the driver', m)) this.reread = true;
    yield* this.flush();
  }

  /** The notes the driver's last step owes: write intents, then its copy if it changed. */
  private *flush(): Program {
    for (const n of this.notes.splice(0)) yield p.note(n.note, ...n.data);
    const now = bytes(call(this.drv, 'config', 'the driver'), undefined, 'driver.config()');
    const key = now.join(',');
    if (key !== this.copy && now.length > 0 && now.length % 4 === 0) {
      this.copy = key;
      yield p.note(NOTES.copy, ...bytesToWords(now));
    }
  }

  *read(): Program {
    yield p.note(NOTES['read-begin']);
    const got = bytes(yield* this.ops.run('readConfig'), undefined, 'driver.readConfig()');
    yield p.note(NOTES['read-accept'], ...bytesToWords(got));
    this.reread = false;
  }

  /** The w-th write of word 0: driverWord(w, what the driver saw there), decided anew at each update(). */
  *write(w: number): Program {
    const update = (current: unknown): number[] => {
      const seen = bytesToWords(bytes(current, 4, 'the bytes writeConfig passes to update()'))[0];
      const value = driverWord(w, seen);
      this.notes.push({ note: NOTES['write-intent'], data: [0, value, seen] });
      return wordsToBytes([value]);
    };
    yield* this.ops.run('writeConfig', 0, 4, update);
  }

  *follow(): Program {
    for (;;) {
      if (this.reread) { yield* this.read(); continue; }
      const { message } = yield* receive([this.mem.v2d, this.mem.evt], MSG_NOTES, 'idle');
      yield* this.event(message);
    }
  }
}

function* driverActor(instance: ModelInstance, impl: Record<string, unknown>): Program {
  const params = instance.params;
  const maxSize = maxMessageBytes(params);
  const options: ConfigMsgDriverOptions = { devNum: DEV, profile: 'strict', chunkBytes: params.chunkBytes, maxMessageSize: maxSize };
  const drv = asObject(call(impl, 'createDriver', 'the module', options), 'createDriver(options)');
  const h = new ConfigDriverHost(drv, shared(params), maxSize);
  if (typeof drv.init === 'function') yield* h.ops.run('init');
  yield* h.read();
  for (let w = 1; w <= params.writes; w++) yield* h.write(w);
  for (let r = 0; r < params.resets; r++) {
    yield* h.ops.run('reset');
    yield* h.read(); // the device may have restarted its generation count
  }
  yield* h.follow();
}

export const configMsgDriver: RoleSpec = {
  required: ['createDriver'],
  optional: [],
  advisories: [],
  program: driverActor,
};
