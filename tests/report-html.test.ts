/**
 * The HTML report in a real headless browser (Debian's chromium driven by playwright-core; .ci/run
 * installs it): the page loads with nothing from outside, the verdict matrix and the sequence
 * diagrams render with the actors' names, and screenshots land in reports/screenshots/ for a person
 * to look at. The JUnit XML of the same run goes through the browser's XML parser.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { nightlyCommand } from '../harness/nightly/command.ts';

const root = join(import.meta.dirname, '..');
const CHROMIUM = '/usr/bin/chromium';
const screenshots = join(root, 'reports', 'screenshots');
// In CI the browser must be there (.ci/run installs it); elsewhere the test is skipped without it.
const runIt = existsSync(CHROMIUM) || Boolean(process.env.CI);

async function makeReport(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'vv-html-'));
  const config = join(dir, 'nightly.json');
  writeFileSync(config, JSON.stringify({
    budget: '60s',
    corpus: false,
    checks: [
      // Declared to pass, it is violated: a failure with a counterexample, shown open.
      { model: 'config-gencount', variants: ['no-recheck'], memory: ['sc'], expect: { verdict: 'passed' } },
      { model: 'config-gencount', variants: ['reference', 'single-bump'], memory: ['sc'] },
      { model: 'litmus-sb', variants: ['no-fence'], memory: ['tso'] },
    ],
  }));
  const code = await nightlyCommand([], { config }, () => {}, { signals: false, cwd: dir, stderr: { write: () => true } });
  expect(code).toBe(1);
  return join(dir, 'reports');
}

describe.runIf(runIt)('the HTML report in headless chromium', () => {
  it('renders the matrix and the sequence diagrams; screenshots are saved', async () => {
    const reports = await makeReport();
    const html = join(reports, 'nightly.html');
    const userDataDir = mkdtempSync(join(tmpdir(), 'vv-chromium-'));
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1400, height: 1000 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await context.newPage();
      const requests: string[] = [];
      const errors: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(pathToFileURL(html).href);

      // Self-contained: the only request is the file itself.
      expect(requests.filter((u) => !u.startsWith('file:'))).toEqual([]);
      expect(errors).toEqual([]);
      expect(await page.title()).toMatch(/virtio-verify nightly: 1 of 4 jobs NOT as expected/);
      await expect.poll(() => page.locator('#headline').isVisible()).toBe(true);
      expect(await page.locator('#headline').evaluate((e) => getComputedStyle(e).backgroundColor)).toBe('rgb(255, 235, 233)');

      // The verdict matrix: a row per variant, the failure marked.
      const matrix = page.locator('table.matrix');
      expect(await matrix.isVisible()).toBe(true);
      expect(await matrix.locator('tbody tr').count()).toBe(4);
      expect(await matrix.locator('td.st-failed').innerText()).toBe('violated no-torn-read');
      mkdirSync(screenshots, { recursive: true });
      await page.screenshot({ path: join(screenshots, 'nightly-report.png') });

      // The failure's counterexample is open: its diagram is drawn, with the actors and memory.
      const failure = page.locator('article.cx.bad');
      expect(await failure.count()).toBe(1);
      const diagram = failure.locator('.seq');
      await diagram.scrollIntoViewIfNeeded();
      expect(await diagram.isVisible()).toBe(true);
      const svg = diagram.locator('svg.seq-svg').last();
      const box = (await svg.boundingBox())!;
      expect(box.width).toBeGreaterThan(800);
      expect(box.height).toBeGreaterThan(300);
      const lanes = await svg.locator('.lane-head text').allTextContents();
      expect(lanes).toEqual(['driver', 'shared memory', 'device']);
      for (const name of ['driver', 'device']) expect(await svg.locator(`.lane-head[data-actor="${name}"] rect`).isVisible()).toBe(true);
      const arrows = svg.locator('g.op line');
      expect(await arrows.count()).toBeGreaterThan(20);
      // A horizontal line has no height, so visibility is asked of the arrow with its label.
      expect(await svg.locator('g.op').first().isVisible()).toBe(true);
      expect((await arrows.first().boundingBox())!.width).toBeGreaterThan(50);
      const labels = await svg.locator('g.op text').allTextContents();
      expect(labels.some((t) => /^load config\.gen = \d+$/.test(t))).toBe(true);
      expect(labels.some((t) => /^store config\.data\[\d\]/.test(t))).toBe(true);
      expect(await svg.locator('g.note text').count()).toBeGreaterThan(2);
      expect(await svg.locator('g.violation text').textContent()).toContain('no-torn-read violated here');
      // The explanation and the replay command stand above the diagram.
      expect(await failure.locator('.explanation').innerText()).toMatch(/torn read/);
      expect(await failure.locator('code.cmd').first().innerText()).toMatch(/^npx virtio-verify replay reports\/counterexamples\/config-gencount\.no-recheck\.no-torn-read\.json$/);
      await failure.screenshot({ path: join(screenshots, 'nightly-sequence-diagram.png') });

      // A caught mutant's diagram is folded; opening it draws it too (here under tso, with flushes).
      const caught = page.locator('article.cx[data-variant="no-fence"]');
      expect(await caught.locator('.seq').isVisible()).toBe(false);
      await caught.locator('details.diagram > summary').click();
      expect(await caught.locator('.seq svg').isVisible()).toBe(true);
      expect(await caught.locator('.lane-head text').allTextContents()).toEqual(['p0', 'shared memory', 'p1']);
      expect(await caught.locator('g.op.flush').count()).toBeGreaterThan(0);
      await caught.screenshot({ path: join(screenshots, 'nightly-sequence-diagram-tso.png') });

      // The JUnit XML of the run is well-formed for a real XML parser.
      const junit = readFileSync(join(reports, 'nightly.junit.xml'), 'utf8');
      const parsed = await page.evaluate((xml) => {
        const doc = new DOMParser().parseFromString(xml, 'application/xml');
        return { error: doc.querySelector('parsererror')?.textContent ?? null, cases: doc.querySelectorAll('testcase').length, failures: doc.querySelectorAll('testcase > failure').length };
      }, junit);
      expect(parsed.error).toBeNull();
      expect(parsed.cases).toBeGreaterThan(10);
      expect(parsed.failures).toBe(1);
    } finally {
      await context.close();
    }
    for (const f of ['nightly-report.png', 'nightly-sequence-diagram.png', 'nightly-sequence-diagram-tso.png']) {
      expect(statSync(join(screenshots, f)).size).toBeGreaterThan(10_000);
    }
  });
});
