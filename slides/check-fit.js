// check-fit.js - does every slide of a rendered deck fit its 1280x720 page?
// Loads each build/slides/NAME.html given in headless Chromium (through
// puppeteer-core, which Marp CLI brings along) and prints one line per deck:
//     NAME: N slides fit
// or, for a slide whose content runs off the bottom or a code block that is
// wider than the slide,
//     NAME: slide K overflows by P px (first words of the slide)
// Exit status 1 if any slide overflows. Used by tests/integration/slides.sh.
//
// Usage: node slides/check-fit.js CHROMIUM_PATH build/slides/NAME.html...

'use strict';
const path = require('path');
const puppeteer = require(path.join(__dirname, 'node_modules', 'puppeteer-core'));

async function main() {
  const [browserPath, ...decks] = process.argv.slice(2);
  const browser = await puppeteer.launch({
    executablePath: browserPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  let bad = 0;
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 720 });
    for (const deck of decks) {
      const name = path.basename(deck, '.html');
      await page.goto('file://' + path.resolve(deck), { waitUntil: 'load' });
      const slides = await page.evaluate(() =>
        [...document.querySelectorAll('section')].map((s) => {
          let over = s.scrollHeight - s.clientHeight;
          for (const pre of s.querySelectorAll('pre'))
            over = Math.max(over, pre.scrollWidth - pre.clientWidth);
          return { over, words: s.textContent.replace(/\s+/g, ' ').trim().slice(0, 50) };
        }));
      const over = slides.map((s, i) => ({ ...s, n: i + 1 })).filter((s) => s.over > 2);
      for (const s of over)
        console.log(`${name}: slide ${s.n} overflows by ${s.over} px (${s.words})`);
      if (over.length === 0)
        console.log(`${name}: ${slides.length} slides fit`);
      bad += over.length;
    }
  } finally {
    await browser.close();
  }
  process.exit(bad > 0 ? 1 : 0);
}

main().catch((e) => {
  console.error(`check-fit: ${e.message}`);
  process.exit(2);
});
