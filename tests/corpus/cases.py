"""The classification corpus: small failing programs, each labelled with the class a person gives its failure.

``main`` programs are the ones the rules were checked against while they were written; ``heldout``
programs (written separately, with other libraries and idioms) are only ever measured.
Kinds: ``traceback`` (a Python program's stderr), ``cli`` (a command's output as a terminal shows it),
``node`` (node and npm output), ``pytest`` (pytest's output, or a report's ``longreprtext``) and
``actions`` (real output wrapped in the GitHub Actions job-log format, see ``harness.actions_log``).
"""

from __future__ import annotations

from dataclasses import dataclass

from .harness import PYTEST, Program

NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


@dataclass
class Case:
    id: str
    cls: str
    kind: str
    split: str
    program: Program
    form: str = ""  # Actions log form for kind "actions": job, step or gh
    command: str = ""  # the step's command line in an Actions log


def _py(name: str, source: str, *args: str, env: dict[str, str] | None = None, stream: str = "stderr", prefix: list[str] | None = None) -> Program:
    return Program({name: source}, [*(prefix or []), "{python}", name, *args], env=env or {}, stream=stream)


def _node(name: str, source: str, *args: str, files: dict[str, str] | None = None, node_args: tuple[str, ...] = ()) -> Program:
    return Program({name: source, **(files or {})}, ["{node}", *node_args, name, *args])


def _pytest(files: dict[str, str], *opts: str, stream: str = "both") -> Program:
    return Program(files, [*PYTEST, *opts], stream=stream)


LONGREPR_CONFTEST = """
def pytest_runtest_logreport(report):
    if report.failed:
        with open("longrepr.txt", "a") as fh:
            fh.write(report.longreprtext + "\\n")
"""


def main_cases() -> list[Case]:
    c: list[Case] = []

    def add(id_: str, cls: str, kind: str, program: Program, *, split: str = "main", form: str = "", command: str = "") -> None:
        c.append(Case(id_, cls, kind, split, program, form, command or " ".join(program.argv[1:]).replace("{python}", "python")))

    # dependency
    add("dep-py-import", "dependency", "traceback", _py("app.py", "import os\nimport yaml_loader_nope\n\nprint(os.getcwd())\n"))
    add("dep-py-from", "dependency", "traceback", _py("report.py", "def main():\n    from reportlab_nope.pdfgen import canvas\n    return canvas\n\nmain()\n"))
    add("dep-py-cli", "dependency", "cli", _py("manage.py", "import sys\nprint('loading settings')\nimport django_nope\n", "migrate", stream="both"))
    add("dep-node-require", "dependency", "node", _node("index.js", "const pad = require('left-pad-nope');\nconsole.log(pad('x', 3));\n"))
    add("dep-node-esm", "dependency", "node", _node("main.mjs", "import chalk from 'chalk-nope';\nconsole.log(chalk.red('x'));\n"))
    add("dep-shell-127", "dependency", "cli", Program({}, ["bash", "-c", "echo linting; ruff-nope check src"]))
    add("dep-pip-none", "dependency", "cli", Program({}, ["{python}", "-m", "pip", "install", "--no-index", "--disable-pip-version-check", "shop-internal-sdk==9.9"]))
    add("dep-pytest-collect", "dependency", "pytest", _pytest({"tests/test_api.py": "import responses_nope\n\n\ndef test_x():\n    pass\n"}))
    add("dep-actions-node", "dependency", "actions", _node("build.js", "const sass = require('sass-nope');\nsass.compile('a.scss');\n"), form="job", command="node build.js")
    add("dep-actions-py", "dependency", "actions", _py("sync.py", "import boto3_nope\n"), form="gh", command="python sync.py")

    # syntax
    add("syn-py-bare", "syntax", "traceback", _py("calc.py", "def total(items):\n    return sum(i.price for i in items\n\nprint(total([]))\n"))
    add("syn-py-indent", "syntax", "traceback", _py("job.py", "def run():\n    x = 1\n      y = 2\n    return x + y\n"))
    add("syn-py-import", "syntax", "traceback", Program({"main.py": "import helpers\nhelpers.go()\n", "helpers.py": "def go()\n    return 1\n"}, ["{python}", "main.py"], stream="stderr"))
    add("syn-node", "syntax", "node", _node("app.js", "function f() {\n  return {a: 1,, b: 2};\n}\nf();\n"))
    add("syn-node-check", "syntax", "node", Program({"lib.js": "const x = ;\n"}, ["{node}", "--check", "lib.js"]))
    add("syn-pytest-collect", "syntax", "pytest", _pytest({"test_parse.py": "def test_a():\n    assert (1 +\n"}))
    add("syn-cli-compileall", "syntax", "cli", Program({"src/mod.py": "class A:\npass\n"}, ["{python}", "-m", "compileall", "-q", "src"]))
    add("syn-actions", "syntax", "actions", _py("deploy.py", "print 'deploying'\n"), form="step", command="python deploy.py")

    # import
    add("imp-py-name", "import", "traceback", _py("tool.py", "from json import load_fast\n"))
    add("imp-py-circular", "import", "traceback", Program({"a.py": "from b import g\n\ndef f():\n    return 1\n", "b.py": "from a import f\n\ndef g():\n    return f()\n"}, ["{python}", "a.py"], stream="stderr"))
    add("imp-py-rel", "import", "traceback", Program({"pkg/__init__.py": "", "pkg/run.py": "from .util import helper\nhelper()\n", "pkg/util.py": "def other():\n    pass\n"}, ["{python}", "-m", "pkg.run"], stream="stderr"))
    add("imp-node-esm", "import", "node", _node("main.mjs", "import { sum } from './math.mjs';\nconsole.log(sum(1, 2));\n", files={"math.mjs": "export function add(a, b) { return a + b; }\n"}))
    add("imp-pytest", "import", "pytest", _pytest({"test_io.py": "from os.path import joinpath\n\n\ndef test_x():\n    pass\n"}, "-q"))
    add("imp-actions", "import", "actions", Program({"app/__init__.py": "", "app/main.py": "from app.models import Order\n", "app/models.py": "from app.main import settings\nclass Order: pass\n"}, ["{python}", "-m", "app.main"], stream="both"), form="job", command="python -m app.main")

    # runtime_exception
    add("rt-keyerror", "runtime_exception", "traceback", _py("inv.py", "stock = {'apple': 3}\n\ndef take(item):\n    return stock[item] - 1\n\ntake('pear')\n"))
    add("rt-attr", "runtime_exception", "traceback", _py("user.py", "class User:\n    name = None\n\ndef greet(u):\n    return u.name.title()\n\ngreet(User())\n"))
    add("rt-type", "runtime_exception", "traceback", _py("sum.py", "def add(a, b):\n    return a + b\n\nadd(1, '2')\n"))
    add("rt-value", "runtime_exception", "traceback", _py("qty.py", "def qty(text):\n    return int(text)\n\nqty('three')\n"))
    add("rt-zero", "runtime_exception", "cli", _py("stats.py", "import sys\n\ndef mean(v):\n    return sum(v) / len(v)\n\nprint('computing')\nprint(mean([]))\n", stream="both"))
    add("rt-index", "runtime_exception", "cli", _py("first.py", "import sys\nprint(sys.argv[1:][0])\n", stream="both"))
    add("rt-custom", "runtime_exception", "traceback", Program({"shop/__init__.py": "", "shop/errors.py": "class OrderError(Exception):\n    pass\n", "shop/run.py": "from shop.errors import OrderError\n\ndef place(n):\n    if n < 1:\n        raise OrderError(f'cannot place an order of {n} items')\n\nplace(0)\n"}, ["{python}", "-m", "shop.run"], stream="stderr"))
    add("rt-name", "runtime_exception", "traceback", _py("calc.py", "def area(r):\n    return PI * r * r\n\narea(2)\n"))
    add("rt-unbound", "runtime_exception", "traceback", _py("flag.py", "def f(x):\n    if x:\n        y = 1\n    return y\n\nf(0)\n"))
    add("rt-runtime", "runtime_exception", "traceback", _py("it.py", "d = {'a': 1}\nfor k in d:\n    d[k + 'x'] = 2\n"))
    add("rt-pytest", "runtime_exception", "pytest", _pytest({"test_cart.py": "def total(items):\n    return sum(i['price'] for i in items)\n\n\ndef test_total():\n    assert total([{'cost': 3}]) == 3\n"}))
    add("rt-pytest-short", "runtime_exception", "pytest", _pytest({"test_fmt.py": "def test_fmt():\n    assert '{:d}'.format('x') == 'x'\n"}, "--tb=short"))
    add("rt-notimpl", "runtime_exception", "traceback", _py("base.py", "class Store:\n    def save(self):\n        raise NotImplementedError('save')\n\nStore().save()\n"))
    add("rt-actions", "runtime_exception", "actions", _py("etl.py", "rows = [{'id': 1}, {'id': 2}]\n\ndef ids(rows):\n    return [r['id'] + r['parent'] for r in rows]\n\nprint(ids(rows))\n", stream="both"), form="job", command="python etl.py")
    add("rt-actions-gh", "runtime_exception", "actions", _py("conv.py", "def conv(s):\n    return float(s.replace(',', '.'))\n\nconv(None)\n"), form="gh", command="python conv.py")

    # assertion
    add("as-pytest", "assertion", "pytest", _pytest({"test_math.py": "def test_add():\n    assert 1 + 1 == 3\n"}))
    add("as-pytest-q", "assertion", "pytest", _pytest({"test_list.py": "def test_items():\n    assert [1, 2, 3] == [1, 2, 4]\n"}, "-q"))
    add("as-pytest-long", "assertion", "pytest", _pytest({"test_s.py": "def check(s):\n    assert s.startswith('ab'), f'bad prefix {s}'\n\n\ndef test_s():\n    check('xy')\n"}, "--tb=long"))
    add("as-pytest-fail", "assertion", "pytest", _pytest({"test_f.py": "import pytest\n\n\ndef test_f():\n    pytest.fail('the cache was not warmed')\n"}))
    add("as-unittest", "assertion", "cli", Program({"test_u.py": "import unittest\n\nclass T(unittest.TestCase):\n    def test_eq(self):\n        self.assertEqual(2 * 3, 7)\n\nunittest.main()\n"}, ["{python}", "test_u.py"]))
    add("as-script", "assertion", "traceback", _py("check.py", "def check(total):\n    assert total >= 0, 'negative total'\n\ncheck(-5)\n"))
    add("as-node-assert", "assertion", "node", _node("t.js", "const assert = require('node:assert');\nfunction price() { return 10; }\nassert.strictEqual(price(), 12);\n"))
    add("as-node-test", "assertion", "node", Program({"math.test.js": "const test = require('node:test');\nconst assert = require('node:assert');\ntest('adds', () => {\n  assert.deepStrictEqual({a: 1}, {a: 2});\n});\n"}, ["{node}", "--test", "--test-reporter=tap", "math.test.js"]))
    add("as-node-spec", "assertion", "node", Program({"str.test.js": "const test = require('node:test');\nconst assert = require('node:assert');\ntest('upper', () => {\n  assert.equal('a'.toUpperCase(), 'B');\n});\n"}, ["{node}", "--test", "--test-reporter=spec", "str.test.js"]))
    add("as-longrepr", "assertion", "pytest", _pytest({"conftest.py": LONGREPR_CONFTEST, "test_lr.py": "def test_lr():\n    value = {'a': 1}\n    assert value == {'a': 2}\n"}, stream="file:longrepr.txt"))
    add("as-actions", "assertion", "actions", _pytest({"tests/test_api.py": "def status():\n    return 500\n\n\ndef test_status():\n    assert status() == 200\n"}), form="job", command="pytest -q")
    add("as-actions-gh", "assertion", "actions", _pytest({"test_eq.py": "def test_eq():\n    assert 'abc'.upper() == 'Abc'\n"}, "-q"), form="gh", command="pytest -q")

    # timeout
    add("to-subprocess", "timeout", "traceback", _py("run.py", "import subprocess, sys\nsubprocess.run([sys.executable, '-c', 'import time; time.sleep(10)'], timeout=0.5)\n"))
    add("to-socket", "timeout", "traceback", _py("fetch.py", "import socket, os\ns = socket.create_connection(('127.0.0.1', int(os.environ['SILENT_PORT'])), timeout=0.5)\ns.recv(10)\n", env={"SILENT_PORT": "{silent_port}"}))
    add("to-urllib", "timeout", "cli", _py("probe.py", "import urllib.request, os\nprint('probing')\nurllib.request.urlopen(f\"http://127.0.0.1:{os.environ['PORT']}/slow\", timeout=0.5)\n", env={"PORT": "{port}"}, stream="both"))
    add("to-asyncio", "timeout", "traceback", _py("wait.py", "import asyncio\n\nasync def main():\n    await asyncio.wait_for(asyncio.sleep(5), 0.2)\n\nasyncio.run(main())\n"))
    add("to-pytest-signal", "timeout", "pytest", _pytest({"test_slow.py": "import time\n\n\ndef test_slow():\n    time.sleep(5)\n"}, "--timeout=0.5", "--timeout-method=signal"))
    add("to-pytest-thread", "timeout", "pytest", _pytest({"test_hang.py": "import time\n\n\ndef wait_forever():\n    time.sleep(30)\n\n\ndef test_hang():\n    wait_forever()\n"}, "--timeout=0.5", "--timeout-method=thread", "-v"))
    add("to-node-abort", "timeout", "node", _node("poll.mjs", "const res = await fetch(`http://127.0.0.1:${process.env.PORT}/slow`, { signal: AbortSignal.timeout(300) });\nconsole.log(res.status);\n"))
    add("to-node-test", "timeout", "node", Program({"slow.test.js": "const test = require('node:test');\ntest('slow', { timeout: 200 }, async () => {\n  await new Promise((r) => setTimeout(r, 3000));\n});\n"}, ["{node}", "--test", "--test-reporter=spec", "slow.test.js"]))
    add("to-actions", "timeout", "actions", _py("wait.py", "import subprocess\nsubprocess.run(['sleep', '10'], timeout=0.3)\n"), form="job", command="python wait.py")

    # crash
    add("cr-segv-shell", "crash", "cli", Program({"seg.py": "import ctypes\nprint('parsing input', flush=True)\nctypes.string_at(0)\n"}, ["{python}", "seg.py"], shell=True))
    add("cr-faulthandler", "crash", "traceback", Program({"native.py": "import ctypes\n\ndef parse():\n    return ctypes.string_at(0)\n\nparse()\n"}, ["{python}", "-X", "faulthandler", "native.py"], stream="stderr"))
    add("cr-abort", "crash", "cli", Program({"ab.py": "import os\nprint('about to abort', flush=True)\nos.abort()\n"}, ["{python}", "ab.py"], shell=True))
    add("cr-killed", "crash", "cli", Program({"big.py": "import os, signal\nprint('loading 40GB index', flush=True)\nos.kill(os.getpid(), signal.SIGKILL)\n"}, ["{python}", "big.py"], shell=True))
    add("cr-pytest-segv", "crash", "pytest", _pytest({"test_native.py": "import ctypes\n\n\ndef test_native():\n    ctypes.string_at(0)\n"}, "-v"))
    add("cr-pytest-exit", "crash", "pytest", _pytest({"test_exit.py": "import os\n\n\ndef test_a():\n    pass\n\n\ndef test_exit():\n    os._exit(3)\n"}, "-v"))
    add("cr-xdist", "crash", "pytest", _pytest({"test_x.py": "import os\n\n\ndef test_dies():\n    os.abort()\n\n\ndef test_ok():\n    pass\n"}, "-n", "2"))
    add("cr-node-abort", "crash", "node", Program({"n.js": "function boom() { process.abort(); }\nboom();\n"}, ["{node}", "n.js"], shell=True))
    add("cr-node-segv", "crash", "node", Program({"s.js": "console.log('rendering');\nprocess.kill(process.pid, 'SIGSEGV');\n"}, ["{node}", "s.js"], shell=True))
    add("cr-actions", "crash", "actions", Program({"seg.py": "import ctypes\nprint('start', flush=True)\nctypes.string_at(0)\n"}, ["{python}", "-X", "faulthandler", "seg.py"]), form="job", command="python -X faulthandler seg.py")

    # network
    add("net-refused", "network", "traceback", _py("db.py", "import socket, os\n\ndef connect():\n    return socket.create_connection(('127.0.0.1', int(os.environ['CLOSED_PORT'])))\n\nconnect()\n", env={"CLOSED_PORT": "{closed_port}"}))
    add("net-urllib", "network", "cli", _py("ping.py", "import os, urllib.request\nurllib.request.urlopen(f\"http://127.0.0.1:{os.environ['CLOSED_PORT']}/health\")\n", env={"CLOSED_PORT": "{closed_port}"}, stream="both"))
    add("net-requests", "network", "traceback", _py("api.py", "import os, requests\n\ndef get_orders():\n    return requests.get(f\"http://127.0.0.1:{os.environ['CLOSED_PORT']}/orders\", timeout=5).json()\n\nget_orders()\n", env={"CLOSED_PORT": "{closed_port}"}))
    add("net-dns", "network", "traceback", _py("resolve.py", "import socket\nsocket.getaddrinfo('api.shop.invalid', 443)\n"))
    add("net-node-fetch", "network", "node", _node("client.mjs", "const res = await fetch(`http://127.0.0.1:${process.env.CLOSED_PORT}/api`);\nconsole.log(await res.json());\n"))
    add("net-node-http", "network", "node", _node("h.js", "const http = require('http');\nhttp.get(`http://127.0.0.1:${process.env.CLOSED_PORT}/`, (r) => r.resume());\n"))
    add("net-curl", "network", "cli", Program({}, ["curl", "-sS", "http://127.0.0.1:{closed_port}/ready"]))
    add("net-pytest", "network", "pytest", _pytest({"test_svc.py": "import os, socket\n\n\ndef test_db():\n    socket.create_connection(('127.0.0.1', int(os.environ['CLOSED_PORT'])))\n"}))
    add("net-actions", "network", "actions", _node("seed.mjs", "await fetch(`http://127.0.0.1:${process.env.CLOSED_PORT}/seed`, { method: 'POST' });\n"), form="job", command="node seed.mjs")

    # permission (the programs drop to an unprivileged user: root is not refused anything)
    add("perm-write", "permission", "traceback", _py("save.py", "def save(path):\n    with open(path, 'w') as fh:\n        fh.write('x')\n\nsave('/etc/shop.conf')\n", prefix=NOBODY))
    add("perm-mkdir", "permission", "cli", _py("init.py", "import os\nprint('creating cache')\nos.makedirs('/var/cache/shop/x', exist_ok=True)\n", prefix=NOBODY, stream="both"))
    add("perm-exec", "permission", "cli", Program({"deploy.sh": "echo deploying\n"}, ["bash", "-c", "chmod 644 deploy.sh; ./deploy.sh"]))
    add("perm-node", "permission", "node", Program({"w.js": "const fs = require('fs');\nfs.writeFileSync('/etc/shop.json', '{}');\n"}, [*NOBODY, "{node}", "w.js"]))
    add("perm-kill", "permission", "traceback", _py("stop.py", "import os, signal\nos.kill(1, signal.SIGTERM)\n", prefix=NOBODY))
    add("perm-pytest", "permission", "pytest", Program({"test_w.py": "def test_write():\n    open('/etc/shop-test', 'w').write('x')\n"}, [*NOBODY, *PYTEST, "-q"]))
    add("perm-actions", "permission", "actions", _py("up.py", "import shutil\nshutil.copy('up.py', '/usr/local/bin/up')\n", prefix=NOBODY, stream="both"), form="job", command="python up.py")

    # resource
    add("res-memory", "resource", "traceback", _py("mem.py", "import resource\nresource.setrlimit(resource.RLIMIT_AS, (300 * 2**20, 300 * 2**20))\n\ndef load():\n    return bytearray(2 * 2**30)\n\nload()\n"))
    add("res-recursion", "resource", "traceback", _py("tree.py", "def depth(n):\n    return depth(n + 1)\n\ndepth(0)\n"))
    add("res-emfile", "resource", "traceback", _py("open.py", "import resource\nresource.setrlimit(resource.RLIMIT_NOFILE, (20, 20))\nfiles = [open('open.py') for _ in range(50)]\n"))
    add("res-enospc", "resource", "cli", _py("dump.py", "print('writing export')\nwith open('/dev/full', 'w') as fh:\n    fh.write('x' * 10000)\n", stream="both"))
    add("res-node-heap", "resource", "node", Program({"heap.js": "const a = [];\nwhile (true) a.push(new Array(100000).fill('x'));\n"}, ["{node}", "--max-old-space-size=32", "heap.js"]))
    add("res-node-range", "resource", "node", _node("deep.js", "function walk(n) { return walk(n + 1) + 1; }\nwalk(0);\n"))
    add("res-pytest", "resource", "pytest", _pytest({"test_deep.py": "def fact(n):\n    return n * fact(n - 1)\n\n\ndef test_fact():\n    assert fact(5) == 120\n"}))
    add("res-actions", "resource", "actions", _py("img.py", "import resource\nresource.setrlimit(resource.RLIMIT_AS, (300 * 2**20, 300 * 2**20))\nbuf = bytes(3 * 2**30)\n"), form="gh", command="python img.py")

    # config
    add("cfg-env", "config", "traceback", _py("settings.py", "import os\n\nDATABASE_URL = os.environ['DATABASE_URL']\n"))
    add("cfg-env-fn", "config", "cli", _py("worker.py", "import os\n\ndef api_key():\n    return os.environ['SHOP_API_KEY']\n\nprint('starting worker')\napi_key()\n", stream="both"))
    add("cfg-configparser", "config", "traceback", Program({"app.ini": "[server]\nport = 8080\n", "run.py": "import configparser\ncfg = configparser.ConfigParser()\ncfg.read('app.ini')\nprint(cfg.get('database', 'url'))\n"}, ["{python}", "run.py"], stream="stderr"))
    add("cfg-nooption", "config", "traceback", Program({"app.ini": "[server]\nport = 8080\n", "run.py": "import configparser\ncfg = configparser.ConfigParser()\ncfg.read('app.ini')\nprint(cfg.get('server', 'host'))\n"}, ["{python}", "run.py"], stream="stderr"))
    add("cfg-json", "config", "traceback", Program({"config.json": '{"port": 8080,}\n', "serve.py": "import json\n\ndef load_config(path):\n    with open(path) as fh:\n        return json.load(fh)\n\nload_config('config.json')\n"}, ["{python}", "serve.py"], stream="stderr"))
    add("cfg-toml", "config", "traceback", Program({"shop.toml": "[db]\nurl = postgres://x\n", "boot.py": "import tomllib\n\nwith open('shop.toml', 'rb') as fh:\n    settings = tomllib.load(fh)\n"}, ["{python}", "boot.py"], stream="stderr"))
    add("cfg-pydantic", "config", "traceback", _py("conf.py", "import os\nfrom pydantic import BaseModel\n\nclass Settings(BaseModel):\n    port: int\n    debug: bool = False\n\nsettings = Settings(port=os.environ.get('SHOP_PORT', 'eighty'))\n"))
    add("cfg-node-env", "config", "node", _node("server.js", "function required(name) {\n  const v = process.env[name];\n  if (!v) throw new Error(`environment variable ${name} is not set`);\n  return v;\n}\nrequired('STRIPE_SECRET');\n"))
    add("cfg-node-json", "config", "node", _node("boot.js", "const fs = require('fs');\nfunction loadConfig() {\n  return JSON.parse(fs.readFileSync('config.json', 'utf8'));\n}\nloadConfig();\n", files={"config.json": "{ port: 8080 }\n"}))
    add("cfg-pytest", "config", "pytest", _pytest({"test_cfg.py": "import os\n\n\ndef test_token():\n    token = os.environ['SHOP_TOKEN']\n    assert token\n"}))
    add("cfg-actions", "config", "actions", Program({"setup.cfg": "[metadata]\nname = shop\n", "ver.py": "import configparser\nc = configparser.ConfigParser()\nc.read('setup.cfg')\nprint(c['options']['python_requires'])\n"}, ["{python}", "ver.py"], stream="both"), form="job", command="python ver.py")

    # contract
    add("con-json-body", "contract", "traceback", _py("client.py", "import json, os, urllib.request\n\ndef fetch(path):\n    body = urllib.request.urlopen(f\"http://127.0.0.1:{os.environ['PORT']}{path}\").read()\n    return json.loads(body)\n\nfetch('/html')\n", env={"PORT": "{port}"}))
    add("con-jsonschema", "contract", "traceback", _py("validate.py", "import jsonschema\nschema = {'type': 'object', 'required': ['id', 'total'], 'properties': {'total': {'type': 'number'}}}\njsonschema.validate({'id': 1, 'total': 'ten'}, schema)\n"))
    add("con-pydantic", "contract", "traceback", _py("parse.py", "import json, os, urllib.request\nfrom pydantic import BaseModel\n\nclass Item(BaseModel):\n    sku: str\n    qty: int\n\nclass Order(BaseModel):\n    items: list[Item]\n    total: float\n\ndata = json.load(urllib.request.urlopen(f\"http://127.0.0.1:{os.environ['PORT']}/orders\"))\nOrder.model_validate(data)\n", env={"PORT": "{port}"}))
    add("con-requests-json", "contract", "cli", _py("sync.py", "import os, requests\nprint('syncing catalogue')\nrequests.get(f\"http://127.0.0.1:{os.environ['PORT']}/html\", timeout=5).json()\n", env={"PORT": "{port}"}, stream="both"))
    add("con-node-json", "contract", "node", _node("api.mjs", "const res = await fetch(`http://127.0.0.1:${process.env.PORT}/html`);\nconst data = await res.json();\nconsole.log(data);\n"))
    add("con-pytest", "contract", "pytest", _pytest({"test_schema.py": "import jsonschema\n\n\ndef test_payload():\n    jsonschema.validate({'name': 3}, {'type': 'object', 'properties': {'name': {'type': 'string'}}})\n"}))
    add("con-actions", "contract", "actions", _py("check.py", "import json, os, urllib.request\njson.loads(urllib.request.urlopen(f\"http://127.0.0.1:{os.environ['PORT']}/html\").read())\n", env={"PORT": "{port}"}), form="job", command="python check.py")

    # http_error
    add("http-requests", "http_error", "traceback", _py("pay.py", "import os, requests\n\ndef charge():\n    r = requests.post(f\"http://127.0.0.1:{os.environ['PORT']}/status/503\", timeout=5)\n    r.raise_for_status()\n\ncharge()\n", env={"PORT": "{port}"}))
    add("http-urllib", "http_error", "traceback", _py("get.py", "import os, urllib.request\nurllib.request.urlopen(f\"http://127.0.0.1:{os.environ['PORT']}/status/404\")\n", env={"PORT": "{port}"}))
    add("http-httpx", "http_error", "cli", _py("hx.py", "import os, httpx\nprint('calling inventory')\nhttpx.get(f\"http://127.0.0.1:{os.environ['PORT']}/status/500\").raise_for_status()\n", env={"PORT": "{port}"}, stream="both"))
    add("http-curl", "http_error", "cli", Program({}, ["curl", "-sS", "--fail", "http://127.0.0.1:{port}/status/502"]))
    add("http-node", "http_error", "node", _node("get.mjs", "const res = await fetch(`http://127.0.0.1:${process.env.PORT}/status/500`);\nif (!res.ok) throw new Error(`GET /api/items failed: HTTP ${res.status} ${res.statusText}`);\n"))
    add("http-pytest", "http_error", "pytest", _pytest({"test_api.py": "import os, requests\n\n\ndef test_items():\n    requests.get(f\"http://127.0.0.1:{os.environ['PORT']}/status/500\", timeout=5).raise_for_status()\n"}, "-q"))
    add("http-actions", "http_error", "actions", Program({}, ["curl", "-sS", "--fail-with-body", "http://127.0.0.1:{port}/status/403"]), form="job", command="curl -sS --fail-with-body https://api.shop.example/deploy")

    # js_error
    add("js-type", "js_error", "node", _node("render.js", "function render(user) {\n  return user.profile.name;\n}\nrender({});\n"))
    add("js-reference", "js_error", "node", _node("calc.js", "function total() {\n  return subtotal + tax;\n}\ntotal();\n"))
    add("js-range", "js_error", "node", _node("arr.js", "function make(n) {\n  return new Array(n);\n}\nmake(-1);\n"))
    add("js-ref1", "js_error", "node", _node("loop.js", "const err = new Error('cart state is inconsistent');\nerr.cart = { err };\nerr.self = err;\nthrow err;\n"))
    add("js-notfn", "js_error", "node", _node("cb.js", "const handlers = {};\nfunction fire(name) {\n  return handlers[name]();\n}\nfire('click');\n"))
    add("js-esm", "js_error", "node", _node("page.mjs", "const items = null;\nexport function count() {\n  return items.length;\n}\ncount();\n"))
    add("js-actions", "js_error", "actions", _node("gen.js", "const pages = undefined;\nfor (const p of pages) console.log(p);\n"), form="job", command="node gen.js")
    add("js-actions-gh", "js_error", "actions", _node("fmt.js", "function fmt(p) { return p.toFixed(2); }\nfmt(undefined);\n"), form="gh", command="node fmt.js")

    # unhandled_rejection
    add("ur-string", "unhandled_rejection", "node", _node("r.js", "Promise.reject('payment provider said no');\n"))
    add("ur-object", "unhandled_rejection", "node", _node("o.js", "async function load() {\n  throw { code: 42, reason: 'quota' };\n}\nload();\n"))
    add("ur-error", "unhandled_rejection", "node", _node("e.js", "async function save() {\n  await null;\n  throw new Error('disk quota exceeded for uploads');\n}\nsave();\n", node_args=("--unhandled-rejections=warn-with-error-code",)))
    add("ur-undefined", "unhandled_rejection", "node", _node("u.js", "new Promise((_, reject) => reject());\n"))
    add("ur-actions", "unhandled_rejection", "actions", _node("job.js", "Promise.reject(404);\n"), form="job", command="node job.js")

    # console_error (pages checked in jsdom; the checker prints what the page logged)
    add("ce-jsdom", "console_error", "node", _jsdom("<script>console.error('Failed to load resource: the server responded with a status of 404');</script>"))
    add("ce-jsdom-warn", "console_error", "node", _jsdom("<script>console.warn('deprecated');console.error('Hydration mismatch in <Cart>');</script>"))
    add("ce-node-console", "console_error", "node", _node("log.js", "console.error('console.error: could not render widget #cart');\nprocess.exitCode = 1;\n"))
    add("ce-actions", "console_error", "actions", _jsdom("<script>console.error('Uncaught (in service worker) registration failed');</script>"), form="job", command="node check-page.js")

    # unknown: nothing in the text says why
    add("unk-exit", "unknown", "actions", Program({}, ["bash", "-c", "echo building; exit 3"]), form="job", command="./build.sh")
    add("unk-false", "unknown", "actions", Program({}, ["bash", "-c", "echo 'checking release notes'; test -f CHANGELOG.md"]), form="job", command="test -f CHANGELOG.md")
    add("unk-os-exit", "unknown", "actions", _py("quit.py", "import os\nprint('syncing', flush=True)\nos._exit(4)\n", stream="both"), form="gh", command="python quit.py")
    add("unk-sysexit", "unknown", "actions", _py("x.py", "import sys\nsys.exit('refusing to continue: state file is stale')\n"), form="step", command="python x.py")
    add("unk-make", "unknown", "cli", Program({"Makefile": "all:\n\t@echo compiling\n\t@false\n"}, ["make"]))
    add("unk-actions-gh", "unknown", "actions", Program({}, ["bash", "-c", "echo 'diff found'; exit 1"]), form="gh", command="git diff --exit-code")
    return c


def _jsdom(html: str) -> Program:
    checker = """
const { JSDOM, VirtualConsole } = require(process.env.JSDOM_MODULE);
const html = require('fs').readFileSync('page.html', 'utf8');
const vc = new VirtualConsole();
let errors = 0;
vc.on('error', (...args) => { errors += 1; console.log('console.error:', ...args); });
vc.on('warn', (...args) => console.log('console.warn:', ...args));
new JSDOM(html, { runScripts: 'dangerously', virtualConsole: vc });
if (errors) { console.log(`page logged ${errors} console error(s)`); process.exitCode = 1; }
"""
    return Program({"check-page.js": checker, "page.html": f"<!doctype html><html><body>{html}</body></html>"}, ["{node}", "check-page.js"], env={"JSDOM_MODULE": "{jsdom}"})


def heldout_cases() -> list[Case]:
    """Programs written apart from the rules, with other libraries and idioms; measured only."""
    c: list[Case] = []

    def add(id_: str, cls: str, kind: str, program: Program, *, form: str = "", command: str = "") -> None:
        c.append(Case(id_, cls, kind, "heldout", program, form, command or " ".join(program.argv[1:]).replace("{python}", "python")))

    add("h-dep-pkg", "dependency", "traceback", _py("cli.py", "import click\nimport rich_nope.console\n"))
    add("h-dep-node", "dependency", "actions", _node("srv.js", "const express = require('express-nope');\nexpress().listen(3000);\n"), form="gh", command="node srv.js")
    add("h-dep-pytest", "dependency", "pytest", _pytest({"test_db.py": "import psycopg_nope\n"}, "-q"))
    add("h-syn-py", "syntax", "cli", _py("conf.py", "SETTINGS = {\n    'a': 1\n    'b': 2,\n}\n", stream="both"))
    add("h-syn-node", "syntax", "node", _node("x.mjs", "export default function () {\n  return await 1;\n}\n"))
    add("h-syn-pytest", "syntax", "pytest", _pytest({"tests/test_m.py": "def test_m():\n    x = [1, 2\n    assert x\n"}, "--tb=short"))
    add("h-imp-py", "import", "cli", _py("boot.py", "from collections import OrderedSet\n", stream="both"))
    add("h-imp-pytest", "import", "pytest", _pytest({"lib.py": "VALUE = 1\n", "test_lib.py": "from lib import VALUE, OTHER\n\n\ndef test_v():\n    assert VALUE\n"}))
    add("h-rt-dict", "runtime_exception", "traceback", _py("ship.py", "RATES = {'eu': 5}\n\ndef shipping(region, weight):\n    return RATES[region] * weight\n\nshipping('us', 2)\n"))
    add("h-rt-none", "runtime_exception", "cli", _py("fmt.py", "import re\n\ndef version(text):\n    return re.match(r'v(\\d+)', text).group(1)\n\nprint(version('release'))\n", stream="both"))
    add("h-rt-pytest", "runtime_exception", "pytest", _pytest({"test_split.py": "def parse(line):\n    name, qty = line.split(',')\n    return name, int(qty)\n\n\ndef test_parse():\n    assert parse('apple,2,extra')\n"}, "--tb=native"))
    add("h-rt-actions", "runtime_exception", "actions", _py("job.py", "import datetime\ndatetime.date.fromisoformat('2026-13-40')\n"), form="step", command="python job.py")
    add("h-as-pytest", "assertion", "pytest", _pytest({"test_sorted.py": "def test_sorted():\n    data = [3, 1, 2]\n    assert sorted(data) == data\n"}, "-v"))
    add("h-as-node", "assertion", "node", Program({"cart.test.mjs": "import test from 'node:test';\nimport assert from 'node:assert/strict';\ntest('cart total', () => {\n  assert.equal(1 + 2, 4);\n});\n"}, ["{node}", "--test", "cart.test.mjs"]))
    add("h-as-actions", "assertion", "actions", _pytest({"test_v.py": "import unittest\n\n\nclass T(unittest.TestCase):\n    def test_in(self):\n        self.assertIn('x', ['a', 'b'])\n"}), form="gh", command="pytest")
    add("h-to-py", "timeout", "cli", _py("conn.py", "import http.client, os\nc = http.client.HTTPConnection('127.0.0.1', int(os.environ['PORT']), timeout=0.4)\nc.request('GET', '/slow')\nc.getresponse()\n", env={"PORT": "{port}"}, stream="both"))
    add("h-to-pytest", "timeout", "actions", _pytest({"test_w.py": "import time\n\n\ndef test_w():\n    time.sleep(3)\n"}, "--timeout=0.3"), form="job", command="pytest --timeout=0.3")
    add("h-cr-py", "crash", "traceback", Program({"deep.py": "import faulthandler, ctypes\nfaulthandler.enable()\n\ndef decode(buf):\n    return ctypes.cast(buf, ctypes.POINTER(ctypes.c_char))[0]\n\ndecode(8)\n"}, ["{python}", "deep.py"], stream="stderr"))
    add("h-cr-actions", "crash", "actions", Program({"k.py": "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n"}, ["{python}", "k.py"]), form="job", command="python k.py")
    add("h-net-py", "network", "cli", _py("probe_http.py", "import os, http.client\nc = http.client.HTTPConnection('127.0.0.1', int(os.environ['CLOSED_PORT']))\nc.request('GET', '/')\n", env={"CLOSED_PORT": "{closed_port}"}, stream="both"))
    add("h-net-httpx", "network", "traceback", _py("hx.py", "import os, httpx\nhttpx.get(f\"http://127.0.0.1:{os.environ['CLOSED_PORT']}/\")\n", env={"CLOSED_PORT": "{closed_port}"}))
    add("h-net-node", "network", "actions", _node("net.js", "const net = require('net');\nnet.connect(Number(process.env.CLOSED_PORT), '127.0.0.1');\n"), form="job", command="node net.js")
    add("h-perm-py", "permission", "traceback", _py("logw.py", "import logging\nlogging.basicConfig(filename='/var/log/shop.log')\n", prefix=NOBODY))
    add("h-perm-node", "permission", "node", Program({"mk.js": "require('fs').mkdirSync('/opt/shop-cache');\n"}, [*NOBODY, "{node}", "mk.js"]))
    add("h-res-py", "resource", "cli", _py("grow.py", "import resource\nresource.setrlimit(resource.RLIMIT_AS, (256 * 2**20, 256 * 2**20))\nprint('building index')\nindex = [bytearray(4096) for _ in range(10**6)]\n", stream="both"))
    add("h-res-node", "resource", "actions", Program({"m.js": "const s = [];\nfor (;;) s.push(Buffer.alloc(1e6).toString());\n"}, ["{node}", "--max-old-space-size=24", "m.js"]), form="job", command="node m.js")
    add("h-cfg-env", "config", "traceback", _py("mail.py", "import os\n\nclass Mailer:\n    def __init__(self):\n        self.host = os.environ['SMTP_HOST']\n\nMailer()\n"))
    add("h-cfg-ini", "config", "cli", Program({"tox.ini": "[tox]\nenvlist = py311\n", "cfg.py": "import configparser\np = configparser.ConfigParser()\np.read('tox.ini')\nprint(p.getint('testenv', 'timeout'))\n"}, ["{python}", "cfg.py"]))
    add("h-cfg-toml", "config", "actions", Program({"pyproject.toml": "[project]\nname = 'shop'\nversion = 1.0.0\n", "v.py": "import tomllib\nprint(tomllib.loads(open('pyproject.toml').read())['project']['version'])\n"}, ["{python}", "v.py"]), form="gh", command="python v.py")
    add("h-cfg-node", "config", "node", _node("cfg.js", "const cfg = JSON.parse(require('fs').readFileSync('settings.json', 'utf8'));\nconsole.log(cfg.port);\n", files={"settings.json": "{\"port\": 80,\n}\n"}))
    add("h-con-py", "contract", "cli", _py("feed.py", "import os, urllib.request, json\nfeed = json.loads(urllib.request.urlopen(f\"http://127.0.0.1:{os.environ['PORT']}/html\").read().decode())\n", env={"PORT": "{port}"}, stream="both"))
    add("h-con-node", "contract", "actions", _node("feed.mjs", "const r = await fetch(`http://127.0.0.1:${process.env.PORT}/html`);\nawait r.json();\n"), form="job", command="node feed.mjs")
    add("h-http-py", "http_error", "cli", _py("up.py", "import os, urllib.request\nreq = urllib.request.Request(f\"http://127.0.0.1:{os.environ['PORT']}/status/401\", method='POST')\nurllib.request.urlopen(req)\n", env={"PORT": "{port}"}, stream="both"))
    add("h-http-requests", "http_error", "pytest", _pytest({"test_up.py": "import os, requests\n\n\ndef test_upload():\n    r = requests.put(f\"http://127.0.0.1:{os.environ['PORT']}/status/409\", timeout=5)\n    r.raise_for_status()\n"}))
    add("h-js-type", "js_error", "node", _node("menu.js", "const menu = { items: null };\nmenu.items.forEach((i) => console.log(i));\n"))
    add("h-js-class", "js_error", "node", _node("cls.js", "class Cart {\n  #items = [];\n  add(x) { this.#items.push(x); }\n}\nconst add = new Cart().add;\nadd(1);\n"))
    add("h-ur-node", "unhandled_rejection", "node", _node("q.js", "function later() {\n  return new Promise((_, reject) => setTimeout(() => reject({ status: 'expired' }), 10));\n}\nlater();\n"))
    add("h-ur-actions", "unhandled_rejection", "actions", _node("z.js", "Promise.reject(null);\n"), form="gh", command="node z.js")
    add("h-ce-jsdom", "console_error", "node", _jsdom("<script>console.error(new Error('widget failed to mount'));</script>"))
    add("h-ce-actions", "console_error", "actions", _jsdom("<script>console.error('Refused to apply style: MIME type text/plain');</script>"), form="gh", command="node check-page.js")
    add("h-unk-exit", "unknown", "actions", Program({}, ["bash", "-c", "echo 'running migrations'; exit 2"]), form="step", command="./migrate.sh")
    add("h-unk-actions", "unknown", "actions", Program({}, ["bash", "-c", "grep -q TODO-RELEASE /dev/null"]), form="job", command="grep -q TODO-RELEASE notes.md")
    return c


def all_cases() -> list[Case]:
    return main_cases() + heldout_cases()
