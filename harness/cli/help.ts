/** `virtio-verify --help` and `virtio-verify <command> --help`, rendered from the option table (options.ts). */
import { toolVersion } from '../report/sarif.ts';
import { wrap } from '../report/text.ts';
import { COMMANDS, type CommandSpec, type OptionSpec } from './options.ts';

export function version(): string {
  return `virtio-verify ${toolVersion()}`;
}

export function globalHelp(): string {
  const w = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return [
    'usage: virtio-verify <command> [options]',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(w)}${firstSentence(c.summary)}`),
    '',
    'virtio-verify <command> --help   the options of a command, their defaults, examples and exit codes',
    'virtio-verify --version          the version',
    '',
    'exit codes: 0 ok, 1 a violation (or a verdict not as expected), 2 bad usage or bad input, 3 interrupted or incomplete',
  ].join('\n');
}

export function commandHelp(c: CommandSpec): string {
  const lines = [`usage: virtio-verify ${c.synopsis}`, '', wrap(c.summary, ''), '', 'options:'];
  const label = (o: OptionSpec) => `--${o.name}${o.value ? ` ${o.value}` : ''}`;
  const w = Math.min(24, Math.max(...c.options.map((o) => label(o).length)) + 2);
  for (const o of c.options) {
    const extra = [o.accepts && o.value ? `${o.value}: ${o.accepts}` : '', o.default ? `default: ${o.default}` : ''].filter(Boolean).join('; ');
    const text = `${o.help}${o.kind === 'list' ? ' (repeatable)' : ''}${extra ? ` (${extra})` : ''}`;
    const head = `  ${label(o).padEnd(w)}`;
    const body = wrap(text, ' '.repeat(head.length), 100).trimStart();
    lines.push(head.length > w + 2 ? `  ${label(o)}\n${' '.repeat(w + 2)}${body}` : `${head}${body}`);
  }
  lines.push('  --help'.padEnd(w + 2) + 'this help');
  lines.push('', 'examples:', ...c.examples.map((e) => `  ${e}`));
  lines.push('', `exit codes: ${c.exits.join('; ')}`);
  if (c.docs) lines.push(`more: ${c.docs}`);
  return lines.join('\n');
}

function firstSentence(s: string): string {
  const i = s.indexOf('. ');
  return i < 0 ? s.replace(/\.$/, '') : s.slice(0, i);
}
