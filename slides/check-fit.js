// check-fit.js - does every slide of a rendered deck fit its 1280x720 page?
// Loads each build/slides/NAME.html given in headless Chromium (through
// puppeteer-core, which Marp CLI brings along) and prints one line per deck
// (content must stay above the bottom padding, where the footer is):
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
    // The page must be 1280x720 from the start: Marp sizes its scaled code
    // blocks once, and a viewport changed after the page was created left
    // some at the size they had in puppeteer's default 800x600.
    defaultViewport: { width: 1280, height: 720 },
    args: ['--window-size=1280,720', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  let bad = 0;
  try {
    for (const deck of decks) {
      const name = path.basename(deck, '.html');
      // A fresh browser context per deck: nothing carries over.
      const context = await browser.createBrowserContext();
      const page = await context.newPage();
      await page.goto('file://' + path.resolve(deck), { waitUntil: 'load' });
      // Marp scales code blocks and fitted headings in script after the
      // load: measure until the layout is settled (two measurements alike),
      // for at most about 3 s.
      await page.evaluate(() => document.fonts.ready);
      const measure = () => page.evaluate(() =>
        [...document.querySelectorAll('section')].map((s) => {
          // Content may not reach into the bottom padding, where the footer
          // and the page number are; the slide may be drawn scaled.
          const box = s.getBoundingClientRect();
          const scale = box.height / s.clientHeight || 1;
          const limit = s.clientHeight - parseFloat(getComputedStyle(s).paddingBottom);
          let over = s.scrollHeight - s.clientHeight;
          for (const c of s.children) {
            if (c.tagName === 'HEADER' || c.tagName === 'FOOTER') continue;
            over = Math.max(over, (c.getBoundingClientRect().bottom - box.top) / scale - limit);
          }
          for (const pre of s.querySelectorAll('pre'))
            over = Math.max(over, pre.scrollWidth - pre.clientWidth);
          over = Math.round(over);
          return { over, words: s.textContent.replace(/\s+/g, ' ').trim().slice(0, 50) };
        }));
      let slides = await measure();
      for (let i = 0; i < 30; i++) {
        await new Promise((r) => setTimeout(r, 100));
        const again = await measure();
        const settled = JSON.stringify(again) === JSON.stringify(slides);
        slides = again;
        if (settled && i >= 2) break;
      }
      await context.close();
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
