#!/usr/bin/env node
// Runs the TypeScript sources through tsx, so there is no build step between an edit and a run.
import { register } from 'tsx/esm/api';

register();
const { run } = await import('../harness/main.ts');
process.exitCode = await run(process.argv.slice(2));
