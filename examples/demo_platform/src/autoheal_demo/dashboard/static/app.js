// Page behaviour of the demo dashboard; uses window.DemoSdk when the SDK is served, fetch otherwise.
(function () {
  'use strict';

  function api(path, options) {
    return fetch(path, options).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) throw new Error(data && data.error ? data.error : 'HTTP ' + response.status);
        return data;
      });
    });
  }

  function client() {
    if (window.DemoSdk && typeof window.DemoSdk.createClient === 'function') {
      try { return window.DemoSdk.createClient({ baseUrl: window.location.origin }); } catch (e) { /* fall back to fetch */ }
    }
    return {
      status: function () { return api('/api/status'); },
      listTools: function () { return api('/api/tools'); },
      callTool: function (name, args) {
        return api('/api/tools/' + encodeURIComponent(name), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ arguments: args || {} }),
        }).then(function (data) { return data.result; });
      },
    };
  }

  function text(id, value) {
    var el = document.getElementById(id);
    if (el) el.textContent = value;
  }

  function showStatus(c) {
    if (!document.getElementById('status')) return;
    c.status().then(function (data) {
      text('status', data.status + ' (version ' + data.version + ')');
      document.getElementById('status').className = 'status-ok';
    }, function (err) { text('status', 'unavailable: ' + err.message); });
  }

  function showTools(c) {
    var body = document.getElementById('tools-body');
    if (!body) return;
    c.listTools().then(function (tools) {
      body.textContent = '';
      tools.forEach(function (tool) {
        var row = document.createElement('tr');
        [tool.name, tool.category, tool.description].forEach(function (value) {
          var cell = document.createElement('td');
          cell.textContent = value;
          row.appendChild(cell);
        });
        body.appendChild(row);
      });
      text('tool-count', String(tools.length));
    }, function (err) { text('tool-count', 'unavailable: ' + err.message); });
    var form = document.getElementById('word-count-form');
    if (form) {
      form.addEventListener('submit', function (event) {
        event.preventDefault();
        c.callTool('word_count', { text: document.getElementById('word-count-text').value }).then(function (result) {
          text('word-count-result', JSON.stringify(result));
        }, function (err) { text('word-count-result', 'error: ' + err.message); });
      });
    }
  }

  var c = client();
  showStatus(c);
  showTools(c);
})();
