// The js_sdk suite's client check, the same in node and in the page: make a client, make each call.
(function (root) {
  'use strict';

  function jsonType(value) {
    if (value === null || value === undefined) return 'null';
    if (Array.isArray(value)) return 'array';
    return typeof value === 'object' ? 'object' : typeof value;
  }

  function describeError(err) {
    if (err && typeof err === 'object') {
      return {
        name: String(err.name || (err.constructor && err.constructor.name) || 'Error'),
        message: String(err.message || err) + (err.cause && err.cause.message ? ': ' + err.cause.message : ''),
        stack: String(err.stack || ''),
        status: typeof err.status === 'number' ? err.status : undefined,
      };
    }
    return { name: 'Error', message: String(err), stack: '' };
  }

  function plain(value) {
    try {
      var text = JSON.stringify(value);
      if (text === undefined) return null;
      return text.length > 20000 ? text.slice(0, 20000) + '... [truncated]' : JSON.parse(text);
    } catch (e) {
      return String(value);
    }
  }

  function withTimeout(promise, ms, what) {
    var timer;
    var expired = new Promise(function (_, reject) {
      timer = setTimeout(function () {
        var err = new Error(what + ' did not settle within ' + ms + ' ms');
        err.name = 'TimeoutError';
        reject(err);
      }, ms);
    });
    // The timer must not outlive the call: it would keep node (and the suite) waiting.
    return Promise.race([Promise.resolve(promise), expired]).finally(function () {
      clearTimeout(timer);
    });
  }

  var IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

  // The client from a configured expression: the SDK's exports are in scope by name (a default export
  // object's members, a default export class by its name), and the SDK itself as `sdk`.
  function fromExpression(sdk, expression) {
    var scope = {};
    if (sdk && sdk !== root) {
      var dflt = sdk.default;
      if (typeof dflt === 'function' && dflt.name) scope[dflt.name] = dflt;
      if (dflt && typeof dflt === 'object') for (var k in dflt) scope[k] = dflt[k];
      for (var key in sdk) if (key !== 'default') scope[key] = sdk[key];
    }
    var names = Object.keys(scope).filter(function (n) { return IDENTIFIER.test(n) && n !== 'sdk'; });
    var make = Function.apply(null, ['sdk'].concat(names, ['"use strict"; return (' + expression + ');']));
    return make.apply(null, [sdk].concat(names.map(function (n) { return scope[n]; })));
  }

  async function autohealClientCheck(sdk, spec) {
    var results = [];
    var client;
    if (spec.expression) {
      try {
        client = await fromExpression(sdk, spec.expression);
      } catch (err) {
        var broken = describeError(err);
        return spec.calls.map(function () { return { ok: false, error: broken }; });
      }
    } else {
      var make = sdk && (sdk[spec.factory] || (sdk.default && sdk.default[spec.factory]));
      if (typeof make !== 'function') {
        var missing = { name: 'TypeError', message: 'the SDK has no function ' + spec.factory + ' (exports: ' + Object.keys(sdk || {}).join(', ') + ')', stack: '' };
        return spec.calls.map(function () { return { ok: false, error: missing }; });
      }
      var args = spec.args || [spec.options];
      try {
        client = spec.construct ? Reflect.construct(make, args) : make.apply(sdk, args);
      } catch (err) {
        var failed = describeError(err);
        return spec.calls.map(function () { return { ok: false, error: failed }; });
      }
    }
    for (var i = 0; i < spec.calls.length; i++) {
      var call = spec.calls[i];
      var started = Date.now();
      try {
        if (typeof client[call.method] !== 'function') throw new TypeError('the client has no method ' + call.method);
        var value = await withTimeout(client[call.method].apply(client, call.args || []), spec.timeoutMs, call.method + '()');
        results.push({ ok: true, type: jsonType(value), value: plain(value), ms: Date.now() - started });
      } catch (err) {
        results.push({ ok: false, error: describeError(err), ms: Date.now() - started });
      }
    }
    return results;
  }

  root.autohealClientCheck = autohealClientCheck;
  if (typeof module === 'object' && module && module.exports) module.exports = { autohealClientCheck: autohealClientCheck };
})(typeof globalThis !== 'undefined' ? globalThis : this);
