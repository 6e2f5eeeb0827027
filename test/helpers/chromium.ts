// Debian's Chromium through playwright-core. Flags from the shared browser notes: no sandbox as root,
// and no background calls to Google on this closed network.
import { chromium, type Browser } from 'playwright-core';

const launchFlags = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const launchChromium = (): Promise<Browser> =>
  chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: launchFlags });
