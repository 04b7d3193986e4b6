/*
 * error-reporter.js: report a page's uncaught errors and unhandled promise rejections to
 * POST /api/report-error, where pytest-autoheal's receiver turns them into failure records.
 *
 * Plain script:  <script src="/static/error-reporter.js" data-endpoint="/api/report-error"></script>
 *                (with data-endpoint it starts itself as window.autohealErrorReporter), or
 *                new JavaScriptErrorReporter({enabled: true, endpoint: '/api/report-error'}).
 * ES module:     import { JavaScriptErrorReporter } from '/static/error-reporter.mjs'.
 * CommonJS:      const { JavaScriptErrorReporter } = require('.../error-reporter.js').
 *
 * It never throws into the page and never reports its own failures.
 */
(function (root, factory) {
  var api = factory(root);
  if (typeof module === 'object' && module && module.exports) {
    module.exports = api;
  }
  if (root) {
    root.JavaScriptErrorReporter = api.JavaScriptErrorReporter;
    api.autoStart(root);
  }
})(typeof globalThis !== 'undefined' ? globalThis : typeof window !== 'undefined' ? window : this, function (root) {
  'use strict';

  var VERSION = '1';
  var STORAGE_KEY = 'autoheal.errorReporter.v1';
  var LIMITS = { message: 2000, stack: 8000, url: 2000, userAgent: 500 };
  var MAX_BACKOFF_MS = 5 * 60 * 1000;
  var TEMPLATE_RULES = [
    [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<uuid>'],
    [/[a-z][a-z0-9+.-]*:\/\/[^\s'"<>)]+/gi, '<url>'],
    [/\b0x[0-9a-f]+\b/gi, '<hex>'],
    [/\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b/gi, '<hex>'],
    [/-?\d+(\.\d+)?/g, '<n>'],
  ];

  function messageTemplate(message) {
    var text = String(message || '').replace(/\s+/g, ' ').trim();
    for (var i = 0; i < TEMPLATE_RULES.length; i++) {
      text = text.replace(TEMPLATE_RULES[i][0], TEMPLATE_RULES[i][1]);
    }
    return text.slice(0, 500);
  }

  // At most `limit` characters in all, marker included: the receiver refuses longer fields.
  function clip(value, limit) {
    var text = value == null ? '' : String(value);
    var marker = '... [truncated]';
    return text.length > limit ? text.slice(0, limit - marker.length) + marker : text;
  }

  function topFrame(stack) {
    var lines = String(stack || '').split('\n');
    for (var i = 0; i < lines.length; i++) {
      var line = lines[i].trim();
      if (/^at |@/.test(line) && !/error-reporter\.m?js/.test(line)) {
        return line.replace(/:\d+(:\d+)?\)?$/, '');
      }
    }
    return '';
  }

  // True when the first frame of a stack is in this file: our own failure, never reported.
  function fromReporter(stack) {
    var lines = String(stack || '').split('\n');
    for (var i = 0; i < lines.length; i++) {
      var line = lines[i].trim();
      if (/^at |@/.test(line)) return /error-reporter\.m?js/.test(line);
    }
    return false;
  }

  function describe(value) {
    if (value === undefined) return 'undefined';
    if (typeof value === 'string') return value;
    try {
      var json = JSON.stringify(value);
      if (json !== undefined) return json;
    } catch (e) {
      // Circular or hostile objects: fall through to String().
    }
    try {
      return String(value);
    } catch (e) {
      return Object.prototype.toString.call(value);
    }
  }

  function isErrorLike(value) {
    return !!value && typeof value === 'object' && typeof value.message === 'string' && ('stack' in value || 'name' in value);
  }

  function retryAfterMs(header, now) {
    if (!header) return null;
    var seconds = Number(header);
    if (isFinite(seconds) && seconds >= 0) return seconds * 1000;
    var date = Date.parse(header);
    return isNaN(date) ? null : Math.max(0, date - now);
  }

  function JavaScriptErrorReporter(options) {
    options = options || {};
    var flag = root && root.ERROR_REPORTING_ENABLED;
    this.enabled = options.enabled !== undefined ? !!options.enabled : flag !== undefined ? !!flag : true;
    this.endpoint = options.endpoint || '/api/report-error';
    this.minReportInterval = options.minReportInterval != null ? Number(options.minReportInterval) : 60 * 60 * 1000;
    this.maxReportsPerSession = options.maxReportsPerSession != null ? Number(options.maxReportsPerSession) : 10;
    this.target = options.target || root;
    this.now = options.now || function () {
      return Date.now();
    };
    this.stats = { captured: 0, sent: 0, deduplicated: 0, rateLimited: 0, backedOff: 0, failed: 0 };
    this.backoffUntil = 0;
    this.backoffMs = 0;
    this.pending = [];
    this.installed = false;
    this.session = this._loadSession();
    var self = this;
    this._onError = function (event) {
      self._guard(function () {
        self._handleError(event);
      });
    };
    this._onRejection = function (event) {
      self._guard(function () {
        self._handleRejection(event);
      });
    };
    if (this.enabled) this.install();
  }

  JavaScriptErrorReporter.VERSION = VERSION;
  JavaScriptErrorReporter.messageTemplate = messageTemplate;

  JavaScriptErrorReporter.prototype.install = function () {
    if (this.installed || !this.target || typeof this.target.addEventListener !== 'function') return this;
    this.target.addEventListener('error', this._onError);
    this.target.addEventListener('unhandledrejection', this._onRejection);
    this.installed = true;
    return this;
  };

  JavaScriptErrorReporter.prototype.uninstall = function () {
    if (!this.installed) return this;
    this.target.removeEventListener('error', this._onError);
    this.target.removeEventListener('unhandledrejection', this._onRejection);
    this.installed = false;
    return this;
  };

  // Report an error the page caught itself; returns false when it was not sent.
  JavaScriptErrorReporter.prototype.report = function (error, kind) {
    var self = this;
    var sent = false;
    this._guard(function () {
      var payload = isErrorLike(error)
        ? self._fromError(error, kind || 'error')
        : self._payload(kind || 'error', 'Error', describe(error), '', null);
      sent = self._submit(payload);
    });
    return sent;
  };

  // Resolves when every report sent so far has been answered (or failed).
  JavaScriptErrorReporter.prototype.flush = function () {
    var pending = this.pending.slice();
    return Promise.all(pending).then(function () {
      return undefined;
    });
  };

  JavaScriptErrorReporter.prototype._guard = function (fn) {
    if (this._busy) return;
    this._busy = true;
    try {
      fn();
    } catch (e) {
      this.stats.failed += 1;
    } finally {
      this._busy = false;
    }
  };

  JavaScriptErrorReporter.prototype._handleError = function (event) {
    if (!event) return;
    var error = event.error;
    var filename = event.filename || '';
    // A resource that failed to load fires a plain Event without message; and never report ourselves.
    if (!error && !event.message) return;
    if (/error-reporter\.m?js/.test(filename) || (error && fromReporter(error.stack))) return;
    if (!error && /^Script error\.?$/.test(event.message)) return;
    var payload = isErrorLike(error)
      ? this._fromError(error, 'error')
      : this._payload('error', 'Error', error !== undefined && error !== null ? describe(error) : event.message, '', null);
    if (filename || event.lineno) {
      payload.location = { file: clip(filename, LIMITS.url), line: event.lineno || 0, column: event.colno || 0 };
    }
    this._submit(payload);
  };

  JavaScriptErrorReporter.prototype._handleRejection = function (event) {
    if (!event) return;
    var reason = event.reason;
    if (isErrorLike(reason)) {
      if (fromReporter(reason.stack)) return;
      this._submit(this._fromError(reason, 'unhandledrejection'));
    } else {
      this._submit(this._payload('unhandledrejection', 'UnhandledRejection', describe(reason), '', null));
    }
  };

  JavaScriptErrorReporter.prototype._fromError = function (error, kind) {
    var name = error.name || (error.constructor && error.constructor.name) || 'Error';
    if (!/^[A-Za-z_$][\w$.]{0,199}$/.test(name)) name = 'Error';
    return this._payload(kind, name, error.message, error.stack || '', null);
  };

  JavaScriptErrorReporter.prototype._payload = function (kind, type, message, stack, location) {
    var loc = root && root.location ? root.location.href : '';
    var nav = root && root.navigator ? root.navigator.userAgent : '';
    var payload = {
      kind: kind,
      type: type,
      message: clip(message, LIMITS.message),
      stack: clip(stack, LIMITS.stack),
      url: clip(loc, LIMITS.url),
      userAgent: clip(nav, LIMITS.userAgent),
      timestamp: new Date(this.now()).toISOString(),
    };
    if (location) payload.location = location;
    return payload;
  };

  JavaScriptErrorReporter.prototype._submit = function (payload) {
    this.stats.captured += 1;
    var now = this.now();
    var key = payload.type + '|' + messageTemplate(payload.message) + '|' + topFrame(payload.stack);
    var last = this.session.seen[key];
    if (last !== undefined && now - last < this.minReportInterval) {
      this.stats.deduplicated += 1;
      return false;
    }
    if (this.session.count >= this.maxReportsPerSession) {
      this.stats.rateLimited += 1;
      return false;
    }
    if (now < this.backoffUntil) {
      this.stats.backedOff += 1;
      return false;
    }
    this.session.seen[key] = now;
    this.session.count += 1;
    this._saveSession();
    this._send(JSON.stringify(payload));
    return true;
  };

  JavaScriptErrorReporter.prototype._send = function (body) {
    var self = this;
    var fetchFn = root && typeof root.fetch === 'function' ? root.fetch : null;
    if (fetchFn) {
      var request;
      try {
        request = fetchFn.call(root, this.endpoint, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: body,
          keepalive: true,
          credentials: 'same-origin',
        });
      } catch (e) {
        request = null;
      }
      if (request && typeof request.then === 'function') {
        var done = request.then(
          function (response) {
            self._answered(response);
          },
          function () {
            // The request never reached the server (offline, page unloading): the beacon may still go.
            if (!self._beacon(body)) self.stats.failed += 1;
          }
        );
        this._track(done);
        return;
      }
    }
    if (!this._beacon(body)) this.stats.failed += 1;
  };

  JavaScriptErrorReporter.prototype._beacon = function (body) {
    var nav = root && root.navigator;
    if (!nav || typeof nav.sendBeacon !== 'function') return false;
    try {
      // text/plain keeps the beacon a simple request; the receiver accepts it as JSON.
      var ok = !!nav.sendBeacon(this.endpoint, body);
      if (ok) this.stats.sent += 1;
      return ok;
    } catch (e) {
      return false;
    }
  };

  JavaScriptErrorReporter.prototype._answered = function (response) {
    var status = response ? response.status : 0;
    if (status === 429 || status === 503) {
      var header = response.headers && typeof response.headers.get === 'function' ? response.headers.get('Retry-After') : null;
      var wait = retryAfterMs(header, this.now());
      this.backoffMs = wait !== null ? wait : Math.min(MAX_BACKOFF_MS, this.backoffMs ? this.backoffMs * 2 : 1000);
      this.backoffUntil = this.now() + this.backoffMs;
      this.stats.failed += 1;
      return;
    }
    if (status >= 200 && status < 300) {
      // Only the next back-off step starts over; a wait the server asked for still holds.
      this.backoffMs = 0;
      this.stats.sent += 1;
    } else {
      this.stats.failed += 1;
    }
  };

  JavaScriptErrorReporter.prototype._track = function (promise) {
    var self = this;
    this.pending.push(promise);
    promise.then(function () {
      var i = self.pending.indexOf(promise);
      if (i >= 0) self.pending.splice(i, 1);
    });
  };

  JavaScriptErrorReporter.prototype._loadSession = function () {
    var fresh = { count: 0, seen: {} };
    try {
      var storage = root && root.sessionStorage;
      var saved = storage ? JSON.parse(storage.getItem(STORAGE_KEY) || 'null') : null;
      if (saved && typeof saved.count === 'number' && saved.seen && typeof saved.seen === 'object') return saved;
    } catch (e) {
      // Storage blocked (privacy mode, sandboxed frame): count in memory for this page only.
    }
    return fresh;
  };

  JavaScriptErrorReporter.prototype._saveSession = function () {
    try {
      if (root && root.sessionStorage) root.sessionStorage.setItem(STORAGE_KEY, JSON.stringify(this.session));
    } catch (e) {
      // Same as above: memory only.
    }
  };

  function autoStart(scope) {
    try {
      var doc = scope && scope.document;
      var script = doc && doc.currentScript;
      if (!script || !script.hasAttribute || !script.hasAttribute('data-endpoint') || scope.autohealErrorReporter) return;
      var options = { endpoint: script.getAttribute('data-endpoint') || undefined };
      var interval = script.getAttribute('data-min-report-interval');
      var max = script.getAttribute('data-max-reports-per-session');
      if (interval) options.minReportInterval = Number(interval);
      if (max) options.maxReportsPerSession = Number(max);
      scope.autohealErrorReporter = new JavaScriptErrorReporter(options);
    } catch (e) {
      // Never break the page that included us.
    }
  }

  return { JavaScriptErrorReporter: JavaScriptErrorReporter, messageTemplate: messageTemplate, autoStart: autoStart, VERSION: VERSION };
});
