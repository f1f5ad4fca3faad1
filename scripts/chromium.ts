import { type BrowserContext, chromium } from "playwright-core";

/**
 * Debian's Chromium (`apt-get install chromium`; `$CHROMIUM` for another), headless,
 * with the profile in `userDataDir`: for the web page's tests and `make screenshot`.
 */
export const launchChromium = (
  userDataDir: string,
  viewport = { width: 1400, height: 800 },
): Promise<BrowserContext> =>
  chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    viewport,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
