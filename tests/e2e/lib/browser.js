'use strict';
// Debian's Chromium driven by playwright-core over its CDP pipe. No Playwright default flag is used
// (`ignoreDefaultArgs: true`): Playwright disables ThirdPartyStoragePartitioning and other features
// a buyer's browser has, so the flags are exactly the ones listed here. Every browser is a regular
// (not incognito) profile in a fresh user-data-dir whose Preferences are written before launch:
// incognito always blocks third-party cookies, which would make the allowed control impossible.
const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');

const CANDIDATES = [process.env.E2E_CHROMIUM, '/usr/lib/chromium/chromium', '/usr/bin/chromium'].filter(Boolean);

function chromiumPath() {
  const found = CANDIDATES.find((p) => fs.existsSync(p));
  if (!found) throw new Error(`e2e: no Chromium at ${CANDIDATES.join(', ')} (apt-get install chromium; .ci/e2e.sh does it)`);
  return found;
}

let profiles = 0;

// thirdPartyCookies: 'blocked' (cookie_controls_mode 1, the default of this build, written out so
// that a future default cannot change the run) or 'allowed' (the control).
async function launch({ tmp, hosts, spki, thirdPartyCookies = 'blocked', vendorIp = '127.0.0.1' }) {
  const userDataDir = path.join(tmp, `profile-${++profiles}`);
  fs.mkdirSync(path.join(userDataDir, 'Default'), { recursive: true });
  const blocked = thirdPartyCookies === 'blocked';
  fs.writeFileSync(path.join(userDataDir, 'Default', 'Preferences'), JSON.stringify({
    profile: { cookie_controls_mode: blocked ? 1 : 0, block_third_party_cookies: blocked },
  }));
  const rules = hosts.map((h) => `MAP ${h} ${h === 'vendor.test' ? vendorIp : '127.0.0.1'}`).join(', ');
  const args = [
    `--user-data-dir=${userDataDir}`,
    '--remote-debugging-pipe',
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--no-default-browser-check',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-dev-shm-usage',
    // Reloading a form-POST result resends it without the "Confirm Form Resubmission" prompt, as a
    // person who clicks "Continue" would.
    '--disable-prompt-on-repost',
    '--disable-breakpad',
    '--disable-extensions',
    '--disable-default-apps',
    '--password-store=basic',
    '--use-mock-keychain',
    '--hide-scrollbars',
    '--mute-audio',
    `--host-resolver-rules=${rules}`,
    `--ignore-certificate-errors-spki-list=${spki.join(',')}`,
    'about:blank',
  ];
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: chromiumPath(),
    ignoreDefaultArgs: true,
    args,
    headless: true,
    timeout: 30000,
    viewport: { width: 1200, height: 900 },
    env: { ...process.env, TMPDIR: tmp },
  });
  context.setDefaultTimeout(10000);
  context.setDefaultNavigationTimeout(15000);
  context.userDataDir = userDataDir;
  return context;
}

// Reads a preference the browser actually holds (chrome://prefs-internals), not the file we wrote.
async function readPref(context, dotted) {
  const page = await context.newPage();
  try {
    await page.goto('chrome://prefs-internals', { timeout: 10000 });
    const text = await page.locator('body').innerText();
    const prefs = JSON.parse(text.slice(text.indexOf('{')));
    const found = dotted.split('.').reduce((o, k) => (o == null ? undefined : o[k]), prefs);
    // prefs-internals shows {metadata, value} for a pref set in the profile.
    return found && typeof found === 'object' && 'value' in found ? found.value : found;
  } finally {
    await page.close();
  }
}

module.exports = { launch, readPref, chromiumPath };
