"""``[tool.autoheal.js_sdk]``: the SDK files, its own node tests and how to drive its client."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from ..._model import Section

_IDENTIFIER = re.compile(r"^[A-Za-z_$][\w$]*$")


class ClientCall(Section):
    """One call through the SDK's client: ``client[method](...args)``, and what it must give back."""

    method: str
    args: list[Any] = []
    # The result's JSON type (array, object, string, number, boolean, null) or any.
    expect: Literal["any", "array", "object", "string", "number", "boolean", "null"] = "any"
    # When set, the result must equal this value exactly.
    equals: Any = None

    @field_validator("method")
    @classmethod
    def _identifier(cls, value: str) -> str:
        if not _IDENTIFIER.match(value):
            raise ValueError(f"method {value!r} must be a JavaScript identifier such as listTools")
        return value

    @property
    def label(self) -> str:
        return self.method if not self.args else f"{self.method}:{self.args[0] if isinstance(self.args[0], str) else len(self.args)}"


class ClientConfig(Section):
    """How to make a client of the SDK, in node and in the dashboard's page."""

    # The SDK file exporting the client factory (relative to the config file); used from node.
    module: str | None = None
    # Export (node) or property of the global (browser) that makes a client.
    factory: str = "createClient"
    # Call the factory with ``new`` (it is a class) instead of as a function.
    new: bool = False
    # The SDK's global in the browser (``window.DemoSdk``).
    global_name: str | None = None
    # Option name the factory takes the API base URL under.
    base_url_option: str = "baseUrl"
    options: dict[str, Any] = {}
    # Positional arguments instead of one options object ("{base_url}" in a string becomes the API's URL).
    args: list[Any] | None = None
    # Or a JavaScript expression that makes the client, e.g. "new MCPClient({base_url})": {base_url} becomes
    # the URL as a string literal; the SDK's exports (node) or its global's properties (browser) are in scope.
    expression: str | None = None
    calls: list[ClientCall] = []
    timeout: float = Field(default=20, gt=0)

    @field_validator("factory", "global_name", "base_url_option")
    @classmethod
    def _identifiers(cls, value: str | None) -> str | None:
        if value is not None and not _IDENTIFIER.match(value):
            raise ValueError(f"{value!r} must be a JavaScript identifier")
        return value

    @model_validator(mode="after")
    def _one_way_to_make(self) -> ClientConfig:
        if self.expression is not None and self.args is not None:
            raise ValueError("give either 'expression' or 'args' (with factory), not both")
        if self.expression is not None and "{base_url}" not in self.expression:
            raise ValueError('expression must use {base_url} where the API\'s URL goes, e.g. "new MCPClient({base_url})"')
        return self


class JsSdkConfig(Section):
    # Globs of the SDK's JavaScript files, relative to the config file.
    files: list[str] = []
    exclude: list[str] = []
    # How .js files are parsed: auto (by extension, package.json "type", then import/export syntax), module, commonjs or script.
    module_type: Literal["auto", "module", "commonjs", "script"] = "auto"
    node: str = "node"
    parse_timeout: float = Field(default=30, gt=0)
    # The SDK's own tests: globs of files run with ``node --test``.
    tests: list[str] = []
    test_timeout: float = Field(default=120, gt=0)
    # Where the live API is: this URL, else the dashboard started from [tool.autoheal.dashboard].
    base_url: str | None = None
    # The dashboard page that loads the SDK (browser level).
    page: str = "/"
    client: ClientConfig | None = None
    # Browser level: check that the page's error-reporter.js delivers errors to /api/report-error;
    # unset, it is checked where the page loads pytest-autoheal's error-reporter.js.
    check_error_reporter: bool | None = None

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError(f"base_url {value!r} must start with http:// or https://")
        return value

    @field_validator("page")
    @classmethod
    def _page(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError(f"page {value!r} must start with '/'")
        return value

    @model_validator(mode="after")
    def _has_files(self) -> JsSdkConfig:
        if not self.files:
            raise ValueError('give the SDK\'s files as globs, e.g. files = ["static/sdk/**/*.js"]')
        return self
