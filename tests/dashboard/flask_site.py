"""A dashboard of the seed's kind, on Flask: pages that pull Bootstrap from a CDN, a JS SDK made with
``new MCPClient(baseUrl)``, an API with a route that fails. Run offline, the CDN cannot be reached.

    python flask_site.py --port PORT --cdn http://cdn.localhost:PORT2
"""

from __future__ import annotations

import argparse

from flask import Flask, jsonify, request

SDK = r"""
// The platform's SDK: made with new MCPClient(baseUrl).
class MCPClient {
  constructor(baseUrl) {
    this.baseUrl = baseUrl.replace(/\/$/, '');
  }

  static async connect(baseUrl) {
    const client = new MCPClient(baseUrl);
    await client.listTools();
    return client;
  }

  async listTools() {
    const response = await fetch(this.baseUrl + '/api/mcp/tools');
    if (!response.ok) throw new Error('HTTP ' + response.status);
    return (await response.json()).tools;
  }

  async executeTool(name, args) {
    const response = await fetch(this.baseUrl + '/api/mcp/tools/' + encodeURIComponent(name) + '/execute', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(args || {}),
    });
    const data = await response.json();
    if (!response.ok) throw new Error(data.error || 'HTTP ' + response.status);
    return data.result;
  }
}

if (typeof module !== 'undefined' && module.exports) {
  module.exports = { MCPClient };
} else {
  window.MCPClient = MCPClient;
}
"""

PAGE = """<!doctype html>
<html><head><title>{title}</title>
<link rel="stylesheet" href="{cdn}/npm/bootstrap@5.3.0/dist/css/bootstrap.min.css">
<script src="{cdn}/npm/bootstrap@5.3.0/dist/js/bootstrap.bundle.min.js"></script>
</head><body><h1>{title}</h1><div id="tip" title="tools">tools</div>
<script>new bootstrap.Tooltip(document.getElementById('tip'));</script>
</body></html>"""

TOOLS_PAGE = """<!doctype html>
<html><head><title>Tools</title><script src="/static/js/mcp-sdk.js"></script></head>
<body><h1>Tools</h1><ul id="tools"></ul>
<script>
new MCPClient(window.location.origin).listTools().then(function (tools) {
  document.getElementById('tools').textContent = tools.map(function (t) { return t.name; }).join(', ');
});
</script></body></html>"""

TOOLS = [{"name": "dataset_info", "category": "dataset_tools"}, {"name": "ipfs_pin", "category": "ipfs_tools"}]


def create_app(cdn: str) -> Flask:
    app = Flask(__name__)

    @app.get("/")
    def home() -> str:
        return PAGE.format(title="MCP Dashboard", cdn=cdn)

    @app.get("/analytics")
    def analytics() -> str:
        return PAGE.format(title="Analytics", cdn=cdn)

    @app.get("/tools")
    def tools_page() -> str:
        return TOOLS_PAGE

    @app.get("/static/js/mcp-sdk.js")
    def sdk() -> tuple[str, int, dict[str, str]]:
        return SDK, 200, {"Content-Type": "application/javascript"}

    @app.get("/api/mcp/tools")
    def list_tools():
        return jsonify({"tools": TOOLS})

    @app.post("/api/mcp/tools/<name>/execute")
    def execute(name: str):
        if name not in {t["name"] for t in TOOLS}:
            return jsonify({"error": f"unknown tool {name}"}), 404
        return jsonify({"result": {"tool": name, "arguments": request.get_json(silent=True) or {}}})

    @app.get("/api/mcp/status")
    def status():
        settings: dict[str, str] = {}
        return jsonify({"ipfs": settings["ipfs_api"]})

    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cdn", required=True)
    args = parser.parse_args()
    create_app(args.cdn).run(host="127.0.0.1", port=args.port)


if __name__ == "__main__":
    main()
