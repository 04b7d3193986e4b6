// The demo SDK's own tests: node --test examples/demo_platform/js/tests/ (no dependencies).
'use strict';

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const path = require('node:path');

const { createClient, DemoSdkError } = require(path.resolve(__dirname, '../../src/autoheal_demo/dashboard/static/sdk/demo-sdk.js'));

let server;
let baseUrl;
const seen = [];

before(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, body, type: req.headers['content-type'] });
      const send = (status, data, raw) => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(raw !== undefined ? raw : JSON.stringify(data));
      };
      if (req.url === '/api/status') return send(200, { status: 'ok', version: '1.2.3' });
      if (req.url === '/api/tools') return send(200, [{ name: 'reverse', category: 'text_tools', description: 'Reverse a text.' }]);
      if (req.url === '/api/tools/reverse') return send(200, { ok: true, result: JSON.parse(body).arguments.text.split('').reverse().join('') });
      if (req.url === '/api/tools/broken') return send(500, null, '<html>oops</html>');
      return send(404, { error: 'unknown tool' });
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${server.address().port}/`;
});

after(() => new Promise((resolve) => server.close(resolve)));

test('status() returns the API status', async () => {
  assert.deepEqual(await createClient({ baseUrl }).status(), { status: 'ok', version: '1.2.3' });
});

test('listTools() returns the list of tools', async () => {
  const tools = await createClient({ baseUrl }).listTools();
  assert.deepEqual(tools.map((t) => t.name), ['reverse']);
});

test('callTool() posts the arguments as JSON and returns the result', async () => {
  assert.equal(await createClient({ baseUrl }).callTool('reverse', { text: 'abc' }), 'cba');
  const last = seen[seen.length - 1];
  assert.equal(last.method, 'POST');
  assert.equal(last.type, 'application/json');
  assert.deepEqual(JSON.parse(last.body), { arguments: { text: 'abc' } });
});

test('an API error becomes a DemoSdkError with the status and the server message', async () => {
  await assert.rejects(createClient({ baseUrl }).callTool('nope', {}), (err) => {
    assert.ok(err instanceof DemoSdkError);
    assert.equal(err.status, 404);
    assert.match(err.message, /unknown tool/);
    return true;
  });
});

test('a body that is not JSON is a clear DemoSdkError', async () => {
  await assert.rejects(createClient({ baseUrl }).callTool('broken'), /answered 500 with a body that is not JSON/);
});

test('callTool() without a name rejects without a request', async () => {
  const before = seen.length;
  await assert.rejects(createClient({ baseUrl }).callTool(''), TypeError);
  assert.equal(seen.length, before);
});
