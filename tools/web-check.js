#!/usr/bin/env node
// Opens examples/web/ in headless Chromium (playwright-core, Debian's /usr/bin/chromium), waits
// for the model to load, draws four digits with the mouse and expects each to be read right.
// The page must be served already, with examples/web/digits.onnx and onnxruntime-web in place
// (docs/export.md); .ci/run does all of that.
//
//   node tools/web-check.js http://localhost:8000/examples/web/ [SCREENSHOT.png]
'use strict';

const { chromium } = require('playwright-core');

// Strokes in the page's 448x448 canvas, as a person would draw them.
const circle = Array.from({ length: 33 }, (_, i) => {
  const a = (i / 32) * 2 * Math.PI;
  return [224 + 90 * Math.sin(a), 224 - 140 * Math.cos(a)];
});
const digits = {
  0: [circle],
  1: [[[224, 80], [224, 380]]],
  4: [[[250, 80], [120, 280], [330, 280]], [[270, 170], [270, 390]]],
  7: [[[110, 110], [340, 110], [210, 380]]],
};

async function main(url, screenshot) {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    // No sandbox as root; nothing of the browser's own reaches for the network.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1000, height: 700 } });
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);
    await page.waitForFunction(
      () => !document.getElementById('status').textContent.startsWith('loading'), null,
      { timeout: 60000 });
    const status = await page.textContent('#status');
    if (!status.startsWith('ready')) throw new Error(`the page says: ${status}`);
    const box = await page.locator('#pad').boundingBox();
    let wrong = 0;
    for (const [want, strokes] of Object.entries(digits)) {
      await page.click('#clear');
      for (const line of strokes) {
        await page.mouse.move(box.x + line[0][0], box.y + line[0][1]);
        await page.mouse.down();
        for (const [x, y] of line.slice(1)) {
          await page.mouse.move(box.x + x, box.y + y, { steps: 12 });
        }
        await page.mouse.up();
      }
      await page.waitForFunction((d) => document.getElementById('digit').textContent !== '?',
        null, { timeout: 10000 }).catch(() => {});
      const read = await page.textContent('#digit');
      console.log(`drew ${want}: read ${read}`);
      if (read !== want) wrong++;
    }
    if (screenshot) await page.screenshot({ path: screenshot });
    if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
    if (wrong) throw new Error(`${wrong} of ${Object.keys(digits).length} drawn digits misread`);
  } finally {
    await browser.close();
  }
}

if (process.argv.length < 3) {
  console.error('usage: node tools/web-check.js URL [SCREENSHOT.png]');
  process.exit(2);
}
main(process.argv[2], process.argv[3]).catch((e) => {
  console.error(`web-check: ${e.message}`);
  process.exit(1);
});
