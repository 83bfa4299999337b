/** Process boundary: turns every error into a one-line message and an exit code, never a stack trace. */
import { main } from './cli.ts';
import { UsageError } from './core/model.ts';

export async function run(argv: readonly string[]): Promise<number> {
  try {
    return await main(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`virtio-verify: ${e.message}\n`);
      return 2;
    }
    const err = e instanceof Error ? e : new Error(String(e));
    process.stderr.write(`virtio-verify: internal error: ${err.message}${process.env.VIRTIO_VERIFY_DEBUG ? `\n${err.stack}` : ' (set VIRTIO_VERIFY_DEBUG=1 for the stack)'}\n`);
    return 2;
  }
}
