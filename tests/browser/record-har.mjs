// Records a HAR file of a real Chromium session against shop_app.py on 127.0.0.1.
// Usage: node record-har.mjs http://127.0.0.1:PORT OUTPUT.har
import { chromium } from 'playwright-core';

const [base, output] = process.argv.slice(2);
if (!base || !output) {
  console.error('usage: node record-har.mjs BASE_URL OUTPUT.har');
  process.exit(2);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const context = await browser.newContext({ recordHar: { path: output, content: 'embed' } });
const page = await context.newPage();

await page.goto(`${base}/`);
await page.fill('input[name=username]', 'ada');
await page.fill('input[name=password]', 'correct horse');
await page.click('#login-button');
await page.waitForSelector('#out:has-text("ada@example.com")');
for (const category of ['books', 'hardware']) {
  await page.click(`#${category}`);
  await page.waitForSelector('#products li');
  const buttons = await page.locator('#products button').all();
  for (const button of buttons) {
    await button.click();
    await page.waitForSelector('#out:has-text("last")');
  }
}
await page.click('#order');
await page.waitForSelector('#out:has-text("shipped")');
await page.click('#search');
await page.waitForSelector('#out:has-text("hits")');

await context.close();
await browser.close();
console.log(`recorded ${output}`);
