import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`); CHROMIUM_PATH overrides. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/** Headless Chromium, kept off the network except for what the page asks of the service. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Browser tests need Chromium at ${CHROMIUM_PATH}: apt-get install -y chromium (or set CHROMIUM_PATH)`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Network failures of requests to the service from every page opened in this test file. */
export const networkFailures: string[] = [];

export interface OpenedPage {
  page: Page;
  /** Requests the page made to any host but the service: must stay empty (no CDN, works offline). */
  foreignRequests: string[];
  /** Uncaught exceptions of the page's scripts and Content-Security-Policy violations. */
  pageErrors: string[];
  /** Requests to the service that failed at the network level (reset, aborted...). */
  failedRequests: string[];
  /** Every run the page asked for: a POST /run, or a start message on the interactive WebSocket. */
  runRequests: string[];
}

/**
 * Opens `url` in a fresh context (own storage) at the given width (and pixel ratio, for the
 * docs' screenshots). Requests to any other host are recorded and aborted, so a page that needs
 * the internet fails its test.
 */
export async function openPage(
  browser: Browser,
  url: string,
  options: { width?: number; height?: number; scale?: number } = {},
): Promise<OpenedPage> {
  const width = options.width ?? 1280;
  const context = await browser.newContext({
    viewport: { width, height: options.height ?? (width < 600 ? 844 : 800) },
    deviceScaleFactor: options.scale ?? 1,
    isMobile: width < 600,
    hasTouch: width < 600,
  });
  const origin = new URL(url).origin;
  const opened: OpenedPage = {
    page: await context.newPage(),
    foreignRequests: [],
    pageErrors: [],
    failedRequests: [],
    runRequests: [],
  };
  await context.route('**/*', (route) => {
    const requested = route.request().url();
    if (requested.startsWith(origin) || requested.startsWith('data:')) return route.continue();
    opened.foreignRequests.push(requested);
    return route.abort();
  });
  opened.page.on('requestfailed', (request) => {
    // Aborted foreign requests are reported above; anything else failing is a finding.
    if (request.url().startsWith(origin)) {
      const failure = `${request.method()} ${request.url()}: ${request.failure()?.errorText}`;
      opened.failedRequests.push(failure);
      networkFailures.push(failure);
    }
  });
  opened.page.on('pageerror', (error) => opened.pageErrors.push(error.message));
  opened.page.on('console', (message) => {
    if (message.text().includes('Content Security Policy')) opened.pageErrors.push(message.text());
  });
  opened.page.on('request', (request) => {
    if (request.method() === 'POST' && new URL(request.url()).pathname === '/run') {
      opened.runRequests.push(`POST ${request.url()}`);
    }
  });
  opened.page.on('websocket', (socket) => {
    socket.on('framesent', ({ payload }) => {
      if (typeof payload === 'string' && isStartMessage(payload)) {
        opened.runRequests.push(`start ${socket.url()}`);
      }
    });
    socket.on('socketerror', (error) => {
      const failure = `WebSocket ${socket.url()}: ${error}`;
      opened.failedRequests.push(failure);
      networkFailures.push(failure);
    });
  });
  await opened.page.goto(url);
  return opened;
}

function isStartMessage(payload: string): boolean {
  try {
    return (JSON.parse(payload) as { type?: unknown }).type === 'start';
  } catch {
    return false;
  }
}
