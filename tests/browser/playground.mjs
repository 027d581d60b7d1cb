// Starts Quire on a scratch data directory, opens /graphql in headless Chromium (Debian's
// `chromium`) with every request off loopback refused, runs a query through the page with a
// token in its Headers tab, and checks that the answer shows. Writes a screenshot.
//   QUIRE_BIN=target/debug/quire node tests/browser/playground.mjs [screenshot.png]
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

const root = resolve(import.meta.dirname, '../..');
const bin = resolve(process.env.QUIRE_BIN ?? join(root, 'target/debug/quire'));
const screenshot = resolve(process.argv[2] ?? join(root, 'target/playground.png'));
const company = crypto.randomUUID();

const port = await new Promise((ok) => {
  const probe = createServer().listen(0, '127.0.0.1', () => {
    const { port } = probe.address();
    probe.close(() => ok(port));
  });
});
const data = mkdtempSync(join(tmpdir(), 'quire-playground-'));
const env = { ...process.env, QUIRE_DATA_DIR: data, QUIRE_BIND: `127.0.0.1:${port}`, QUIRE_LOG: 'warn' };
const server = spawn(bin, ['serve'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
const base = `http://127.0.0.1:${port}`;
let browser;

try {
  await waitFor(async () => (await fetch(`${base}/readyz`)).ok);
  const token = execFileSync(bin, ['token', '--user', 'alice', '--company', `${company}:admin`], { env })
    .toString().trim();
  // Something for the page to show: a folder made through the API.
  const created = await graphql(token, 'mutation($c: ID!) { createItem(input: { companyId: $c, parentId: "root", name: "Seen from the playground", isDirectory: true }) { item { id } } }', { c: company });
  if (!created.data?.createItem?.item?.id) throw new Error(`creating a folder: ${JSON.stringify(created)}`);

  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu'],
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const offline = [];
  await page.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === '127.0.0.1') return route.continue();
    offline.push(url.href);
    return route.abort();
  });
  // What a user pastes into the editors, put where GraphiQL keeps them.
  const query = `query { item(companyId: "${company}", id: "root") { children { edges { node { name isDirectory } } } } }`;
  await page.addInitScript(([query, headers]) => {
    localStorage.setItem('graphiql:query', query);
    localStorage.setItem('graphiql:headers', headers);
  }, [query, JSON.stringify({ Authorization: `Bearer ${token}` })]);
  await page.goto(`${base}/graphql`);
  await page.locator('.graphiql-execute-button').click();
  const result = page.locator('.result-window');
  await result.getByText('Seen from the playground').waitFor({ timeout: 15000 });
  const text = await result.innerText();
  if (text.includes('"errors"')) throw new Error(`the query failed in the page: ${text}`);
  if (offline.length) throw new Error(`the page asked for the internet: ${offline.join(', ')}`);
  await page.screenshot({ path: screenshot });
  console.log(`playground: the query ran in Chromium and its answer shows (screenshot: ${screenshot})`);

  // A subscription runs in the page over /graphql/ws, and shows a change made meanwhile.
  const live = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const subscription = `subscription { driveChanged(companyId: "${company}") { kind item { name } } }`;
  await live.addInitScript(([query, headers]) => {
    localStorage.setItem('graphiql:query', query);
    localStorage.setItem('graphiql:headers', headers);
  }, [subscription, JSON.stringify({ Authorization: `Bearer ${token}` })]);
  await live.goto(`${base}/graphql`);
  await live.locator('.graphiql-execute-button').click();
  const liveResult = live.locator('.result-window');
  // Changes keep coming until one shows: the first may commit before the socket subscribed.
  for (let n = 0; ; n++) {
    await graphql(token, 'mutation($c: ID!, $n: String!) { createItem(input: { companyId: $c, parentId: "root", name: $n, isDirectory: true }) { item { id } } }', { c: company, n: `Seen live ${n}` });
    try {
      await liveResult.getByText('Seen live').first().waitFor({ timeout: 1000 });
      break;
    } catch (err) {
      if (n >= 10) throw new Error(`no change showed in the subscription: ${await liveResult.innerText()}`);
    }
  }
  console.log('playground: a subscription ran in Chromium over /graphql/ws and showed a change');
} finally {
  await browser?.close();
  server.kill('SIGTERM');
  rmSync(data, { recursive: true, force: true });
}

async function graphql(token, query, variables) {
  const response = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return response.json();
}

async function waitFor(ready) {
  for (let i = 0; i < 100; i++) {
    try { if (await ready()) return; } catch { /* not up yet */ }
    await new Promise((ok) => setTimeout(ok, 100));
  }
  throw new Error('Quire did not start');
}
