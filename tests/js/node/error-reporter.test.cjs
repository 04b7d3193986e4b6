// error-reporter.js under node --test, in jsdom windows, posting to real HTTP servers on 127.0.0.1.
// Run from tests/js/test_error_reporter_node.py (NODE_PATH has jsdom; AUTOHEAL_RECEIVER_URL is the real receiver).
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const { JSDOM, VirtualConsole } = require('jsdom');

const REPORTER = process.env.AUTOHEAL_ERROR_REPORTER || path.resolve(__dirname, '../../../pytest_autoheal/reporters/static/error-reporter.js');
const CODE = fs.readFileSync(REPORTER, 'utf8');

let server;
let base;
let received = [];
let answer = () => ({ status: 202, headers: {} });

before(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      received.push({ method: req.method, url: req.url, contentType: req.headers['content-type'], body: JSON.parse(body) });
      const { status, headers } = answer(received.length);
      res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
      res.end(JSON.stringify(status === 202 ? { status: 'accepted' } : { error: 'no' }));
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${server.address().port}`;
});

after(() => new Promise((resolve) => server.close(resolve)));

function reset(respond) {
  received = [];
  answer = respond || (() => ({ status: 202, headers: {} }));
}

// A page with the reporter loaded as a plain script, its fetch being node's real fetch.
function page({ html = '', fetch = globalThis.fetch, beforeReporter } = {}) {
  const virtualConsole = new VirtualConsole();
  const dom = new JSDOM(`<!doctype html><html><body>${html}</body></html>`, {
    url: `${base}/tools?tab=1`,
    runScripts: 'dangerously',
    virtualConsole,
  });
  const win = dom.window;
  if (fetch) win.fetch = fetch;
  if (beforeReporter) beforeReporter(win);
  win.eval(CODE);
  return win;
}

function runScript(win, code) {
  const script = win.document.createElement('script');
  script.textContent = code;
  win.document.body.appendChild(script);
}

function reject(win, reason) {
  const event = new win.Event('unhandledrejection');
  event.reason = reason;
  win.dispatchEvent(event);
}

async function settle(reporter) {
  await reporter.flush();
  await new Promise((resolve) => setTimeout(resolve, 20));
}

// Waits for what a test needs (a beacon is fire-and-forget: nothing to await), bounded for a loaded machine only.
async function until(condition, ms = 60_000) {
  const deadline = Date.now() + ms;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
}

function clock(start = 1_000_000) {
  const c = { t: start, now: () => c.t };
  return c;
}

test('an uncaught error in a page script is posted with type, message, stack, location and page', async () => {
  reset();
  const win = page();
  const reporter = new win.JavaScriptErrorReporter({ endpoint: `${base}/api/report-error` });
  runScript(win, 'function renderTools() { null.length; }\nrenderTools();');
  await settle(reporter);
  assert.equal(received.length, 1);
  const { body, contentType, method } = received[0];
  assert.equal(method, 'POST');
  assert.equal(contentType, 'application/json');
  assert.equal(body.kind, 'error');
  assert.equal(body.type, 'TypeError');
  assert.match(body.message, /null/);
  assert.match(body.stack, /renderTools/);
  assert.equal(body.url, `${base}/tools?tab=1`);
  assert.match(body.userAgent, /jsdom/);
  assert.equal(body.location.line, 1);
  assert.ok(!Number.isNaN(Date.parse(body.timestamp)));
  assert.equal(reporter.stats.sent, 1);
});

test('a thrown non-Error value is reported with its description', async () => {
  reset();
  const win = page();
  const reporter = new win.JavaScriptErrorReporter({ endpoint: `${base}/r` });
  runScript(win, 'throw {code: 42, why: "bad state"};');
  await settle(reporter);
  assert.equal(received.length, 1);
  assert.equal(received[0].body.type, 'Error');
  assert.equal(received[0].body.message, '{"code":42,"why":"bad state"}');
});

test('unhandled rejections with Error and non-Error reasons are posted as unhandledrejection', async () => {
  reset();
  const win = page();
  const reporter = new win.JavaScriptErrorReporter({ endpoint: `${base}/r` });
  const circular = { name: 'loop' };
  circular.self = circular;
  reject(win, new win.RangeError('page 7 out of range'));
  reject(win, 'plain string reason');
  reject(win, undefined);
  reject(win, circular);
  reject(win, 12345);
  await settle(reporter);
  const bodies = received.map((r) => r.body);
  assert.deepEqual(
    bodies.map((b) => [b.kind, b.type]),
    [
      ['unhandledrejection', 'RangeError'],
      ['unhandledrejection', 'UnhandledRejection'],
      ['unhandledrejection', 'UnhandledRejection'],
      ['unhandledrejection', 'UnhandledRejection'],
      ['unhandledrejection', 'UnhandledRejection'],
    ]
  );
  assert.equal(bodies[0].message, 'page 7 out of range');
  assert.equal(bodies[1].message, 'plain string reason');
  assert.equal(bodies[2].message, 'undefined');
  assert.equal(bodies[3].message, '[object Object]');
  assert.equal(bodies[4].message, '12345');
});

test('duplicates (same type, message template and top frame) are sent once', async () => {
  reset();
  const win = page();
  const reporter = new win.JavaScriptErrorReporter({ endpoint: `${base}/r` });
  runScript(win, 'function load(id) { throw new Error("tool " + id + " failed"); }\nwindow.load = load;');
  runScript(win, 'load(1)');
  runScript(win, 'load(2)');
  runScript(win, 'load(3)');
  runScript(win, 'throw new Error("another bug")');
  await settle(reporter);
  assert.deepEqual(
    received.map((r) => r.body.message),
    ['tool 1 failed', 'another bug']
  );
  assert.equal(reporter.stats.deduplicated, 2);
});

test('the same error is reported again once minReportInterval has passed', async () => {
  reset();
  const c = clock();
  const win = page();
  const reporter = new win.JavaScriptErrorReporter({ endpoint: `${base}/r`, minReportInterval: 5000, now: c.now });
  reporter.report(new Error('stale cache'));
  c.t += 4999;
  reporter.report(new Error('stale cache'));
  c.t += 2;
  reporter.report(new Error('stale cache'));
  await settle(reporter);
  assert.equal(received.length, 2);
});

test('maxReportsPerSession caps reports, also across reporters of the same tab session', async () => {
  reset();
  const win = page();
  const first = new win.JavaScriptErrorReporter({ endpoint: `${base}/r`, maxReportsPerSession: 3 });
  for (let i = 0; i < 5; i++) first.report(new Error(`distinct bug ${'abcde'[i]}`));
  await settle(first);
  assert.equal(received.length, 3);
  assert.equal(first.stats.rateLimited, 2);
  first.uninstall();
  const second = new win.JavaScriptErrorReporter({ endpoint: `${base}/r`, maxReportsPerSession: 3 });
  assert.equal(second.report(new Error('yet another bug')), false);
  await settle(second);
  assert.equal(received.length, 3);
});

test('a 429 with Retry-After holds further reports back for that long', async () => {
  reset((n) => (n === 1 ? { status: 429, headers: { 'Retry-After': '2' } } : { status: 202, headers: {} }));
  const c = clock();
  const win = page();
  const reporter = new win.JavaScriptErrorReporter({ endpoint: `${base}/r`, now: c.now });
  reporter.report(new Error('first'));
  await settle(reporter);
  c.t += 1500;
  assert.equal(reporter.report(new Error('second')), false);
  c.t += 600;
  assert.equal(reporter.report(new Error('third')), true);
  await settle(reporter);
  assert.deepEqual(
    received.map((r) => r.body.message),
    ['first', 'third']
  );
  assert.equal(reporter.stats.backedOff, 1);
});

test('a 429 without Retry-After backs off exponentially', async () => {
  reset(() => ({ status: 429, headers: {} }));
  const c = clock();
  const win = page();
  const reporter = new win.JavaScriptErrorReporter({ endpoint: `${base}/r`, now: c.now });
  reporter.report(new Error('a'));
  await settle(reporter);
  assert.equal(reporter.backoffMs, 1000);
  c.t += 1001;
  reporter.report(new Error('b'));
  await settle(reporter);
  assert.equal(reporter.backoffMs, 2000);
  c.t += 1500;
  assert.equal(reporter.report(new Error('c')), false);
  assert.equal(received.length, 2);
});

function beacon(win, sent) {
  win.navigator.sendBeacon = (url, data) => {
    sent.push(url);
    globalThis.fetch(url, { method: 'POST', headers: { 'Content-Type': 'text/plain;charset=UTF-8' }, body: data });
    return true;
  };
}

test('without fetch the report goes by sendBeacon', async () => {
  reset();
  const sent = [];
  const win = page({ fetch: null, beforeReporter: (w) => beacon(w, sent) });
  const reporter = new win.JavaScriptErrorReporter({ endpoint: `${base}/beacon` });
  runScript(win, 'throw new TypeError("no fetch here")');
  await until(() => received.length > 0);
  assert.deepEqual(sent, [`${base}/beacon`]);
  assert.equal(received.length, 1);
  assert.equal(received[0].body.message, 'no fetch here');
  assert.equal(reporter.stats.sent, 1);
});

test('when fetch cannot reach the server the beacon is tried', async () => {
  reset();
  const sent = [];
  // Every connection is cut at once: fetch cannot get an answer, and the port stays ours (a closed one could be taken meanwhile).
  const dead = http.createServer();
  dead.on('connection', (socket) => socket.destroy());
  await new Promise((resolve) => dead.listen(0, '127.0.0.1', resolve));
  const deadUrl = `http://127.0.0.1:${dead.address().port}/api/report-error`;
  try {
    const win = page({ beforeReporter: (w) => (w.navigator.sendBeacon = (url) => sent.push(url) > 0) });
    const reporter = new win.JavaScriptErrorReporter({ endpoint: deadUrl });
    reporter.report(new Error('offline'));
    await settle(reporter);
    assert.deepEqual(sent, [deadUrl]);
  } finally {
    await new Promise((resolve) => dead.close(resolve));
  }
});

test('the reporter never throws into the page, even when sending fails every way', async () => {
  reset();
  const win = page({
    fetch: () => {
      throw new Error('fetch exploded');
    },
    beforeReporter: (w) => {
      w.navigator.sendBeacon = () => {
        throw new Error('beacon exploded');
      };
    },
  });
  const reporter = new win.JavaScriptErrorReporter({ endpoint: `${base}/r` });
  const seenByPage = [];
  win.addEventListener('error', (e) => seenByPage.push(e.message));
  const hostile = {
    get message() {
      throw new Error('getter trap');
    },
    stack: 'x',
  };
  assert.doesNotThrow(() => reporter.report(hostile));
  assert.doesNotThrow(() => reporter.report(new Error('cannot be sent')));
  runScript(win, 'throw new Error("page bug")');
  await settle(reporter);
  assert.equal(seenByPage.length, 1);
  assert.match(seenByPage[0], /page bug/);
  assert.equal(received.length, 0);
  assert.ok(reporter.stats.failed >= 2);
});

test('errors raised from the reporter itself are not reported', async () => {
  reset();
  const win = page();
  const reporter = new win.JavaScriptErrorReporter({ endpoint: `${base}/r` });
  const own = new win.Error('internal');
  own.stack = 'Error: internal\n    at _submit (http://127.0.0.1/static/error-reporter.js:200:3)';
  reject(win, own);
  const event = new win.ErrorEvent('error', { message: 'x', filename: `${base}/static/error-reporter.js`, lineno: 3 });
  win.dispatchEvent(event);
  await settle(reporter);
  assert.equal(received.length, 0);
});

test('disabled reporters listen to nothing; ERROR_REPORTING_ENABLED=false disables the default', async () => {
  reset();
  const win = page({ beforeReporter: (w) => (w.ERROR_REPORTING_ENABLED = false) });
  const byFlag = new win.JavaScriptErrorReporter({ endpoint: `${base}/r` });
  const byOption = new win.JavaScriptErrorReporter({ endpoint: `${base}/r`, enabled: false });
  runScript(win, 'throw new Error("ignored")');
  await settle(byFlag);
  assert.equal(byFlag.installed, false);
  assert.equal(byOption.installed, false);
  assert.equal(received.length, 0);
});

test('a script tag with data-endpoint starts the reporter by itself', async () => {
  reset();
  const win = page();
  delete win.autohealErrorReporter;
  const script = win.document.createElement('script');
  script.setAttribute('data-endpoint', `${base}/auto`);
  script.setAttribute('data-max-reports-per-session', '4');
  script.textContent = CODE;
  win.document.body.appendChild(script);
  const reporter = win.autohealErrorReporter;
  assert.ok(reporter, 'window.autohealErrorReporter was not created');
  assert.equal(reporter.maxReportsPerSession, 4);
  runScript(win, 'throw new SyntaxError("auto started")');
  await settle(reporter);
  assert.equal(received.length, 1);
  assert.equal(received[0].url, '/auto');
});

test('the ES module and CommonJS entry points give the same class', async () => {
  const esm = await import(pathToFileURL(REPORTER.replace(/\.js$/, '.mjs')).href);
  const cjs = require(REPORTER);
  assert.equal(typeof esm.JavaScriptErrorReporter, 'function');
  assert.equal(esm.default, esm.JavaScriptErrorReporter);
  assert.equal(typeof cjs.JavaScriptErrorReporter, 'function');
  assert.equal(esm.messageTemplate('tool 12 failed at 0xdeadbeef'), 'tool <n> failed at <hex>');
});

test('reports reach the real /api/report-error receiver and are accepted', { skip: !process.env.AUTOHEAL_RECEIVER_URL }, async () => {
  const endpoint = process.env.AUTOHEAL_RECEIVER_URL;
  const win = page();
  const answers = [];
  const realFetch = win.fetch;
  win.fetch = (...args) =>
    realFetch(...args).then((r) => {
      answers.push(r.status);
      return r;
    });
  const reporter = new win.JavaScriptErrorReporter({ endpoint });
  runScript(win, 'function saveSettings() { undefinedFunction(); }\nsaveSettings();');
  reject(win, 'settings not saved: token=ghp_abcdefghijklmnopqrstuvwxyz0123456789');
  const huge = new win.Error('y'.repeat(200000));
  huge.stack = 'Error: big\n' + '    at deep (http://127.0.0.1/static/app.js:1:1)\n'.repeat(5000);
  reporter.report(huge);
  await settle(reporter);
  assert.deepEqual(answers, [202, 202, 202]);
  assert.equal(reporter.stats.sent, 3);
});
