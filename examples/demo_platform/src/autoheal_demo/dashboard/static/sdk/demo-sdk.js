/*
 * demo-sdk.js: a small client for the demo dashboard's API.
 *
 * Browser:   <script src="/static/sdk/demo-sdk.js"></script> then window.DemoSdk.createClient()
 * Node:      const { createClient } = require('./demo-sdk.js')   (or import it; node >= 18 has fetch)
 *
 *   const client = createClient({ baseUrl: 'http://127.0.0.1:8000' });
 *   await client.status();                     // {status: 'ok', version: '...'}
 *   await client.listTools();                  // [{name, category, description}, ...]
 *   await client.callTool('reverse', {text});  // the tool's result; DemoSdkError on a 4xx/5xx
 */
(function (root, factory) {
  var api = factory();
  if (typeof module === 'object' && module && module.exports) module.exports = api;
  if (root) root.DemoSdk = api;
})(typeof globalThis !== 'undefined' ? globalThis : this, function () {
  'use strict';

  var VERSION = '0.1.0';

  function DemoSdkError(message, status, body) {
    var error = new Error(message);
    Object.setPrototypeOf(error, DemoSdkError.prototype);
    error.name = 'DemoSdkError';
    error.status = status;
    error.body = body;
    return error;
  }
  DemoSdkError.prototype = Object.create(Error.prototype, { constructor: { value: DemoSdkError } });

  function DemoClient(options) {
    options = options || {};
    var location = typeof window !== 'undefined' && window.location ? window.location.origin : '';
    this.baseUrl = String(options.baseUrl || location).replace(/\/+$/, '');
    this.fetch = options.fetch || (typeof fetch === 'function' ? fetch : null);
    this.timeout = options.timeout || 10000;
    if (!this.fetch) throw new DemoSdkError('no fetch available: pass {fetch} or use Node.js 18 or later', 0, null);
  }

  DemoClient.prototype.request = function (method, path, body) {
    var init = { method: method, headers: { Accept: 'application/json' } };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    if (typeof AbortSignal !== 'undefined' && typeof AbortSignal.timeout === 'function') init.signal = AbortSignal.timeout(this.timeout);
    var url = this.baseUrl + path;
    return this.fetch.call(undefined, url, init).then(function (response) {
      return response.text().then(function (text) {
        var data;
        try {
          data = text ? JSON.parse(text) : null;
        } catch (e) {
          throw new DemoSdkError(method + ' ' + path + ' answered ' + response.status + ' with a body that is not JSON', response.status, text);
        }
        if (!response.ok) {
          var reason = data && typeof data.error === 'string' ? data.error : 'HTTP ' + response.status;
          throw new DemoSdkError(method + ' ' + path + ' failed: ' + reason, response.status, data);
        }
        return data;
      });
    });
  };

  DemoClient.prototype.status = function () {
    return this.request('GET', '/api/status');
  };

  DemoClient.prototype.listTools = function () {
    return this.request('GET', '/api/tools').then(function (tools) {
      if (!Array.isArray(tools)) throw new DemoSdkError('GET /api/tools did not answer a list', 200, tools);
      return tools;
    });
  };

  DemoClient.prototype.callTool = function (name, args) {
    if (typeof name !== 'string' || !name) return Promise.reject(new TypeError('callTool needs a tool name'));
    return this.request('POST', '/api/tools/' + encodeURIComponent(name), { arguments: args || {} }).then(function (data) {
      return data.result;
    });
  };

  function createClient(options) {
    return new DemoClient(options);
  }

  return { VERSION: VERSION, DemoClient: DemoClient, DemoSdkError: DemoSdkError, createClient: createClient };
});
