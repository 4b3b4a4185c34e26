/**
 * The editor in a real browser, for the browser e2e suites: Debian's Chromium (headless) driven by playwright-core,
 * signed in to a started n8n as the e2e owner. Every wait is for something the page shows, never a fixed delay.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { chromium, selectors, type BrowserContext, type Page } from 'playwright-core';

import { E2E_OWNER, REPO_ROOT } from './n8n';

export const CHROMIUM = '/usr/bin/chromium';
/** Screenshots of the browser suites (git-ignored); the README shows copies from docs/images/. */
export const SCREENSHOTS = path.join(REPO_ROOT, 'tmp', 'browser-screenshots');
/** Generous: every wait is for something the page shows, never a fixed delay; a slow machine only waits longer. */
export const UI_TIMEOUT = 90_000;

export interface EditorBrowser {
	context: BrowserContext;
	page: Page;
	screenshot(name: string): Promise<void>;
	close(): Promise<void>;
}

/** Fails loudly, with how to install it, when Debian's Chromium is missing. */
export function assertChromium(): void {
	if (!fs.existsSync(CHROMIUM)) {
		throw new Error(
			`The browser test needs Debian's Chromium at ${CHROMIUM}, which is missing. Install it with ` +
				'`apt-get update && apt-get install -y chromium` (CI does this before .ci/run).',
		);
	}
}

/** Starts headless Chromium with a fresh profile and signs in to the n8n at `n8nUrl` as the e2e owner. */
export async function openEditor(n8nUrl: string): Promise<EditorBrowser> {
	assertChromium();
	fs.mkdirSync(SCREENSHOTS, { recursive: true });
	const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-e2e-chromium-'));
	selectors.setTestIdAttribute('data-test-id'); // n8n's attribute
	let context: BrowserContext;
	try {
		context = await chromium.launchPersistentContext(userDataDir, {
			executablePath: CHROMIUM,
			headless: true,
			viewport: { width: 1440, height: 900 },
			args: [
				'--headless',
				'--no-sandbox',
				'--disable-gpu',
				'--disable-quic',
				'--no-first-run',
				'--disable-background-networking',
				'--disable-component-update',
				'--disable-sync',
			],
		});
	} catch (error) {
		fs.rmSync(userDataDir, { recursive: true, force: true });
		throw error;
	}
	context.setDefaultTimeout(UI_TIMEOUT); // pages opened later too (an OAuth popup)
	const page = context.pages()[0] ?? (await context.newPage());
	page.setDefaultTimeout(UI_TIMEOUT);
	const browser: EditorBrowser = {
		context,
		page,
		screenshot: async (name) => {
			await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
		},
		close: async () => {
			await context.close();
			fs.rmSync(userDataDir, { recursive: true, force: true });
		},
	};
	try {
		// Sign in as a user does.
		await page.goto(`${n8nUrl}/signin`, { waitUntil: 'domcontentloaded' });
		await page.locator('[data-test-id=emailOrLdapLoginId] input').fill(E2E_OWNER.email);
		await page.locator('[data-test-id=password] input').fill(E2E_OWNER.password);
		await page.getByTestId('form-submit-button').click();
		await page.waitForURL((url) => !url.pathname.startsWith('/signin'));
	} catch (error) {
		await browser.close();
		throw error;
	}
	return browser;
}

/** A file-name-safe slug of a test name, for end-of-test screenshots. */
export function slug(text: string): string {
	return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').slice(0, 60);
}
