/** Corpus and findings on disk: readable JSON streams, named by a hash of their content. */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { streamFromJson, streamToJson, type Step, type Stream } from './stream.ts';

export function hashSteps(steps: readonly Step[]): string {
  return createHash('sha256').update(streamToJson({ target: '', steps })).digest('hex').slice(0, 12);
}

/** Stream files (*.json) of a folder; files for another target and unreadable ones are skipped. */
export function loadStreams(dir: string, target: string): { file: string; stream: Stream & { extra: Record<string, unknown> } }[] {
  if (!existsSync(dir)) return [];
  const out: { file: string; stream: Stream & { extra: Record<string, unknown> } }[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (!name.endsWith('.json')) continue;
    try {
      const stream = streamFromJson(readFileSync(join(dir, name), 'utf8'));
      if (stream.target === target) out.push({ file: join(dir, name), stream });
    } catch { /* not a stream file */ }
  }
  return out;
}

export function saveStream(dir: string, name: string, stream: Stream, extra: Record<string, unknown> = {}): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, name);
  writeFileSync(file, streamToJson(stream, extra));
  return file;
}
