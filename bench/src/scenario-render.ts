import { type CDPSession, chromium } from 'playwright-core';
import { Latency, round } from './histogram';
import { type ProbedProcess, startApi } from './processes';
import type { Upstream } from './targets';

/** A long answer, paced as a fast model writes: 4,000 tokens at 100 tokens per second. */
export const RENDER_TOKENS = 4000;
const TOKEN_PACE_MS = 10;
/** The main thread's budget for one task (the RAIL model's, and Chromium's long-task threshold). */
export const LONG_TASK_MS = 50;
const CHROMIUM_PATH = process.env['BENCH_CHROMIUM_PATH'] ?? '/usr/bin/chromium';

export interface RenderRun {
  /** Which web build rendered the answer (BENCH_WEB_ROOT_BEFORE names an older one to compare). */
  build: string;
  tokens: number;
  answerChars: number;
  /** From Send to the answer shown complete, against the upstream's own pacing of its tokens. */
  answerMs: number;
  pacedMs: number;
  /** `each`: when each one began, from Send, so one at the stream's end (the final render) shows as such. */
  longTasks: { count: number; overBudget: number; maxMs: number; totalBlockingMs: number; each: Array<{ atMs: number; durationMs: number }> };
  /** Animation frames while the answer streamed: how often the page could paint. */
  frames: { perSecond: number; gapP99Ms: number; gapMaxMs: number };
  /** Visible updates of the answer while it streamed, and the longest wait between two. */
  updates: { count: number; gapP99Ms: number; gapMaxMs: number };
  /** From `chat:done` reaching the page to the answer's last change on screen. */
  finalRenderLagMs: number;
  /**
   * The renderer's main thread from Send to the end (Chromium's own counters over DevTools): time
   * busy with tasks, and the part of it spent in script, each also as a share of the answer's time.
   */
  mainThread: { busyMs: number; scriptMs: number; busyPercent: number };
}

export interface RenderResult {
  tokensPerSecond: number;
  longTaskMs: number;
  runs: RenderRun[];
}

interface PageFigures {
  startedAt: number;
  longTasks: Array<{ start: number; duration: number }>;
  frames: number[];
  updates: number[];
  doneAt: number | null;
}

/**
 * Streams one long markdown answer into the real web app in Chromium and reads the main thread's
 * long tasks, its animation frames and the answer's visible updates, for each web build asked for.
 */
export async function measureRender(
  upstream: Upstream,
  apiEnv: Record<string, string>,
  benchKey: string,
  builds: Array<{ name: string; webRoot: string }>,
): Promise<RenderResult> {
  const text = longMarkdownAnswer();
  await upstream.configure({ chunkCount: RENDER_TOKENS, chunkDelayMs: TOKEN_PACE_MS, text });
  const runs: RenderRun[] = [];
  for (const build of builds) {
    const api = await startApi({ ...apiEnv, OPENAI_API_KEY: benchKey, WEB_ROOT: build.webRoot });
    try {
      runs.push(await renderOnce(api, build.name, text));
    } finally {
      await api.stop();
    }
  }
  return { tokensPerSecond: 1000 / TOKEN_PACE_MS, longTaskMs: LONG_TASK_MS, runs };
}

async function renderOnce(api: ProbedProcess, build: string, text: string): Promise<RenderRun> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.addInitScript(observeRendering);
    await page.goto(api.url);
    await page.locator('[data-testid="model-input"]').waitFor();
    await page.waitForFunction(() => (document.querySelector<HTMLInputElement>('[data-testid="model-input"]')?.value ?? '') !== '');
    await page.locator('[data-testid="chat-input"]').fill('Write the long guide.');
    if (!(await page.evaluate(() => (window as unknown as { __render: { calibrate(): Promise<boolean> } }).__render.calibrate()))) {
      throw new Error('this Chromium reports no long tasks (PerformanceObserver "longtask"); (f) cannot measure');
    }
    const devtools = await page.context().newCDPSession(page);
    await devtools.send('Performance.enable');
    const before = await mainThreadSeconds(devtools);
    const sentAt = Date.now();
    await page.evaluate(() => (window as unknown as { __render: { start(): void } }).__render.start());
    await page.locator('[data-testid="send-button"]').click();
    // Shown once `chat:done` has arrived, in this build and in older ones.
    await page.locator('[data-testid="credential-source"]').waitFor({ timeout: 2 * 60_000 });
    const answerMs = Date.now() - sentAt;
    // The last frames of the final render, then the figures.
    await page.waitForTimeout(500);
    const figures = await page.evaluate(() => (window as unknown as { __render: { stop(): PageFigures } }).__render.stop());
    const after = await mainThreadSeconds(devtools);
    const busyMs = round((after.task - before.task) * 1000);
    const mainThread = { busyMs, scriptMs: round((after.script - before.script) * 1000), busyPercent: round((100 * busyMs) / answerMs, 1) };
    const answerChars = (await page.locator('[data-testid="assistant-message"]').textContent())?.length ?? 0;
    return { ...summarise(build, figures, answerMs, answerChars, text), mainThread };
  } finally {
    await browser.close();
  }
}

/** Runs in the page before the app: long tasks, frames, and mutations of the answer, from start() to stop(). */
function observeRendering(): void {
  const state = { on: false, calibrated: false, startedAt: 0, longTasks: [] as Array<{ start: number; duration: number }>, frames: [] as number[], updates: [] as number[], doneAt: null as number | null };
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (state.on) state.longTasks.push({ start: entry.startTime, duration: entry.duration });
      else state.calibrated = true;
    }
  }).observe({ type: 'longtask', buffered: false });
  const frame = (time: number): void => {
    if (!state.on) return;
    state.frames.push(time);
    requestAnimationFrame(frame);
  };
  new MutationObserver((records) => {
    if (!state.on) return;
    const inAnswer = (node: Node): boolean => (node instanceof Element ? node : node.parentElement)?.closest('[data-testid="assistant-message"]') != null;
    if (records.some((record) => inAnswer(record.target))) state.updates.push(performance.now());
    if (state.doneAt === null && document.querySelector('[data-testid="credential-source"]')) state.doneAt = performance.now();
  }).observe(document, { subtree: true, childList: true, characterData: true });
  (window as unknown as { __render: unknown }).__render = {
    /** A deliberate 80 ms task before the run: a count of 0 later means none happened, not that none could be seen. */
    calibrate: () =>
      new Promise<boolean>((resolve) => {
        setTimeout(() => {
          const until = performance.now() + 80;
          while (performance.now() < until) {
            // Busy on purpose: this is the long task.
          }
          setTimeout(() => resolve(state.calibrated), 200);
        });
      }),
    start: () => {
      state.on = true;
      state.startedAt = performance.now();
      requestAnimationFrame(frame);
    },
    stop: () => {
      state.on = false;
      return { startedAt: state.startedAt, longTasks: state.longTasks, frames: state.frames, updates: state.updates, doneAt: state.doneAt };
    },
  };
}

/** Chromium's cumulative seconds of main-thread tasks and of script in them, for the page's renderer. */
async function mainThreadSeconds(devtools: CDPSession): Promise<{ task: number; script: number }> {
  const { metrics } = await devtools.send('Performance.getMetrics');
  const metric = (name: string): number => metrics.find((entry) => entry.name === name)?.value ?? 0;
  return { task: metric('TaskDuration'), script: metric('ScriptDuration') };
}

function summarise(build: string, figures: PageFigures, answerMs: number, answerChars: number, text: string): Omit<RenderRun, 'mainThread'> {
  const doneAt = figures.doneAt ?? Number.POSITIVE_INFINITY;
  const streamingFrames = figures.frames.filter((time) => time <= doneAt);
  const streamingUpdates = figures.updates.filter((time) => time <= doneAt);
  const lastUpdate = figures.updates.at(-1) ?? doneAt;
  const frameGaps = gaps(streamingFrames);
  const updateGaps = gaps(streamingUpdates);
  const spanSeconds = streamingFrames.length > 1 ? (streamingFrames[streamingFrames.length - 1] - streamingFrames[0]) / 1000 : 0;
  const durations = figures.longTasks.map((task) => task.duration);
  return {
    build,
    tokens: RENDER_TOKENS,
    answerChars: Math.min(answerChars, text.length),
    answerMs,
    pacedMs: RENDER_TOKENS * TOKEN_PACE_MS,
    longTasks: {
      count: durations.length,
      overBudget: durations.filter((duration) => duration > LONG_TASK_MS).length,
      maxMs: round(Math.max(0, ...durations)),
      totalBlockingMs: round(durations.reduce((sum, duration) => sum + Math.max(0, duration - LONG_TASK_MS), 0)),
      each: figures.longTasks.map((task) => ({ atMs: round(task.start - figures.startedAt), durationMs: round(task.duration) })),
    },
    frames: { perSecond: spanSeconds > 0 ? round(streamingFrames.length / spanSeconds) : 0, gapP99Ms: p99(frameGaps), gapMaxMs: round(Math.max(0, ...frameGaps)) },
    updates: { count: streamingUpdates.length, gapP99Ms: p99(updateGaps), gapMaxMs: round(Math.max(0, ...updateGaps)) },
    finalRenderLagMs: figures.doneAt === null ? -1 : round(Math.max(0, lastUpdate - figures.doneAt)),
  };
}

function gaps(times: number[]): number[] {
  return times.slice(1).map((time, index) => time - times[index]);
}

function p99(values: number[]): number {
  const latency = new Latency();
  for (const value of values) latency.recordMs(value);
  return latency.percentiles().p99;
}

/**
 * About 16,000 characters (4,000 tokens at four characters each) of the markdown models write:
 * sections of headings, paragraphs with inline code and links, short lists, tables, quotes and
 * fenced code; then one long list and one long table, each a single block the page must keep
 * redrawing as it grows.
 */
export function longMarkdownAnswer(): string {
  const total = RENDER_TOKENS * 4;
  const longList = Array.from({ length: 100 }, (_, index) => `- Item ${index + 1}: check the setting, then restart\n`).join('');
  const longTable =
    '| Instance | Region | Streams | Status |\n| --- | --- | --- | --- |\n' +
    Array.from({ length: 100 }, (_, index) => `| api-${index + 1} | eu-west-${(index % 3) + 1} | ${index * 7} | ok |\n`).join('');
  const tail = `\n## Checklist\n\n${longList}\n## Instances\n\n${longTable}`;
  const sections: string[] = [];
  for (let index = 1; sections.join('').length < total - tail.length; index += 1) {
    sections.push(
      `## Step ${index}: configure the service\n\n` +
        `This step sets up part ${index} of the deployment. Run \`npm ci\` first, then read the [guide](https://example.com/guide/${index}) ` +
        `for **details** and _caveats_ about the settings below.\n\n` +
        `- Keep the key on the server, never in the browser\n- Rotate it every ${index} days\n  - nested: check the audit log\n\n` +
        `| Setting | Default | Meaning |\n| --- | --- | --- |\n| \`TIMEOUT_${index}\` | ${index * 10} s | How long to wait |\n| \`RETRIES\` | 3 | How often to retry |\n\n` +
        `> Note: a change here needs a restart of instance ${index}.\n\n` +
        '```typescript\n' +
        `export function configure${index}(options: { timeoutMs: number }): void {\n  const limit = options.timeoutMs * ${index};\n  if (limit > 60_000) {\n    throw new Error('too long');\n  }\n}\n` +
        '```\n\n',
    );
  }
  // Cut at a blank line, so the long list starts a block of its own.
  const head = sections.join('').slice(0, total - tail.length);
  return `${head.slice(0, head.lastIndexOf('\n\n') + 2)}${tail}`;
}
