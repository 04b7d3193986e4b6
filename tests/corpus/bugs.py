"""The fingerprint corpus: bugs in two small repositories, each reached in several ways.

A bug is one defect at one place. Its instances reach it from a script, ``python -m``, a pytest test,
node or ``node --test``, under the three GitHub runner layouts (hosted ``/home/runner/work/R/R``,
self-hosted ``/home/runner/_work/R/R``, container ``/__w/R/R``) and another prefix, some with the
module's lines shifted. Look-alikes (same type and message, another function) are separate bugs.
``shop`` is the main repository; ``ledger`` (other idioms: classes, methods, ESM) is held out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .harness import PYTEST, Program

LAYOUTS = {
    "hosted": "home/runner/work/{repo}/{repo}",
    "self-hosted": "home/runner/_work/{repo}/{repo}",
    "container": "__w/{repo}/{repo}",
    "other": "srv/ci/build-7/{repo}-checkout",
}


@dataclass
class Bug:
    name: str
    module: str  # file holding the defect (relative path)
    exprs: list[str]  # calls that reach it (instance i uses exprs[i % len])
    language: str = "py"


@dataclass
class Repo:
    name: str
    split: str
    files: dict[str, str]
    package: str  # the package the entry module lives in (python -m PACKAGE.cli)
    imports: str  # what the entry script and tests import
    bugs: list[Bug] = field(default_factory=list)


SHOP_FILES = {
    "shop/__init__.py": "",
    "shop/errors.py": """
        class OrderError(Exception):
            pass
    """,
    "shop/stats.py": """
        def mean(values):
            return sum(values) / len(values)


        def ratio(part, whole):
            return part / whole


        def percent(done, total):
            share = done / total
            return round(100 * share, 1)
    """,
    "shop/orders.py": """
        ORDERS = {"A-1": {"id": "A-1", "lines": []}}


        def get_order(order_id):
            return ORDERS[order_id]


        def order_key(order):
            return order["id"]


        def item_key(item):
            return item["id"]


        def total(lines):
            return sum(line["qty"] * line["price"] for line in lines)
    """,
    "shop/pricing.py": """
        RATES = {"eu": 0.2, "uk": 0.2}


        def apply_discount(price, pct):
            if pct > 100:
                raise ValueError("invalid discount")
            return price * (100 - pct) / 100


        def apply_coupon(price, coupon):
            if coupon.get("pct", 0) > 100:
                raise ValueError("invalid discount")
            return price - coupon.get("off", 0)


        def parse_price(text):
            return float(text)


        def tax(price, region):
            return price * RATES[region]
    """,
    "shop/formats.py": """
        import json


        def label(name):
            return name.strip()


        def sku(code):
            cleaned = code.strip()
            return cleaned.upper()


        def to_json(obj):
            return json.dumps(obj)
    """,
    "shop/tree.py": """
        def lookup(tree, path):
            if not path:
                return tree["value"]
            return lookup(tree["children"][path[0]], path[1:])


        def depth(node):
            return 1 + depth(node["parent"])


        def chain(n):
            return {"children": {"x": chain(n - 1)}} if n else {}
    """,
    "shop/inventory.py": """
        STOCK = {"apple": 1}


        def reserve(sku, qty):
            STOCK[sku] = STOCK.get(sku, 0) - qty
            if STOCK[sku] < 0:
                raise RuntimeError("stock below zero")


        def release(sku, qty):
            if qty > 10:
                raise RuntimeError("stock below zero")
            STOCK[sku] += qty


        def first_batch(batches):
            return batches[0]


        def pop_batch(batches):
            return batches.pop()
    """,
    "shop/config.py": """
        import os


        def database_url():
            return os.environ["SHOP_DB_URL"]


        def port():
            return int(os.environ.get("SHOP_PORT", "eighty"))
    """,
    "shop/importer.py": """
        def quantity(row):
            return int(row[2])


        def header(rows):
            return [cell.lower() for cell in rows[0]]
    """,
    "shop/checkout.py": """
        from shop.errors import OrderError


        def checkout(cart):
            if not cart:
                raise OrderError("cart is empty")
            return sum(cart)


        def refund(cart):
            if not cart:
                raise OrderError("cart is empty")
            return -sum(cart)
    """,
    "web/cart.js": """
        function total(cart) {
          return cart.items.reduce((sum, item) => sum + item.price, 0);
        }

        function count(cart) {
          return cart.items.length;
        }
        module.exports = { total, count };
    """,
    "web/price.js": """
        function format(price) {
          return price.toFixed(2);
        }
        module.exports = { format };
    """,
    "web/ids.js": """
        function userId(user) {
          return user.account.id;
        }

        function orderId(order) {
          return order.meta.id;
        }

        function grandTotal() {
          return subtotal + shipping;
        }

        function buffer(n) {
          return new Array(n);
        }
        module.exports = { userId, orderId, grandTotal, buffer };
    """,
}


def _shop() -> Repo:
    repo = Repo(
        "shop",
        "main",
        dict(SHOP_FILES),
        "shop",
        "from shop import stats, orders, pricing, formats, tree, inventory, config, importer, checkout",
    )
    py = [
        Bug("mean-empty", "shop/stats.py", ["stats.mean([])"]),
        Bug("ratio-zero", "shop/stats.py", ["stats.ratio(3, 0)", "stats.ratio(0, 0)"]),
        Bug("percent-zero", "shop/stats.py", ["stats.percent(1, 0)"]),
        Bug("order-missing", "shop/orders.py", ["orders.get_order('Z-9')", "orders.get_order('B-2')"]),
        Bug("order-key", "shop/orders.py", ["orders.order_key({'ID': 1})"]),
        Bug("item-key", "shop/orders.py", ["orders.item_key({'sku': 'A'})"]),
        Bug("total-str", "shop/orders.py", ["orders.total([{'qty': 2, 'price': None}])"]),
        Bug("discount", "shop/pricing.py", ["pricing.apply_discount(10, 150)", "pricing.apply_discount(5, 101)"]),
        Bug("coupon", "shop/pricing.py", ["pricing.apply_coupon(10, {'pct': 150})"]),
        Bug("parse-price", "shop/pricing.py", ["pricing.parse_price('12,50')", "pricing.parse_price('n/a')"]),
        Bug("tax-region", "shop/pricing.py", ["pricing.tax(10, 'us')"]),
        Bug("label-none", "shop/formats.py", ["formats.label(None)"]),
        Bug("sku-none", "shop/formats.py", ["formats.sku(None)"]),
        Bug("to-json", "shop/formats.py", ["formats.to_json({'tags': {1, 2}})"]),
        Bug("lookup-leaf", "shop/tree.py", ["tree.lookup(tree.chain(2), ['x', 'x'])", "tree.lookup(tree.chain(4), ['x'] * 4)", "tree.lookup({}, [])"]),
        Bug("depth-cycle", "shop/tree.py", ["(lambda n: (n.__setitem__('parent', n), tree.depth(n)))({})"]),
        Bug("reserve", "shop/inventory.py", ["inventory.reserve('pear', 2)"]),
        Bug("release", "shop/inventory.py", ["inventory.release('apple', 50)"]),
        Bug("first-batch", "shop/inventory.py", ["inventory.first_batch([])"]),
        Bug("pop-batch", "shop/inventory.py", ["inventory.pop_batch([])"]),
        Bug("db-url", "shop/config.py", ["config.database_url()"]),
        Bug("port", "shop/config.py", ["config.port()"]),
        Bug("quantity", "shop/importer.py", ["importer.quantity(['a', 'b'])"]),
        Bug("header", "shop/importer.py", ["importer.header([[None, 'B']])"]),
        Bug("checkout-empty", "shop/checkout.py", ["checkout.checkout([])"]),
        Bug("refund-empty", "shop/checkout.py", ["checkout.refund([])"]),
    ]
    js = [
        Bug("js-total", "web/cart.js", ["cart.total({})"], "js"),
        Bug("js-count", "web/cart.js", ["cart.count({})"], "js"),
        Bug("js-format", "web/price.js", ["price.format(undefined)"], "js"),
        Bug("js-user-id", "web/ids.js", ["ids.userId({})"], "js"),
        Bug("js-order-id", "web/ids.js", ["ids.orderId({})"], "js"),
        Bug("js-grand-total", "web/ids.js", ["ids.grandTotal()"], "js"),
        Bug("js-buffer", "web/ids.js", ["ids.buffer(-1)"], "js"),
    ]
    repo.bugs = py + js
    return repo


LEDGER_FILES = {
    "ledger/__init__.py": "",
    "ledger/model.py": """
        from dataclasses import dataclass, field


        class LedgerError(Exception):
            pass


        @dataclass
        class Account:
            name: str
            entries: list = field(default_factory=list)

            def balance_share(self, other):
                return self.total() / other.total()

            def total(self):
                return sum(e["amount"] for e in self.entries)

            def currency(self):
                return self.entries[0]["currency"]

            def close(self):
                if self.entries:
                    raise LedgerError("account has pending entries")

            def archive(self):
                if self.entries:
                    raise LedgerError("account has pending entries")
    """,
    "ledger/journal.py": """
        class Journal:
            def __init__(self, steps):
                self.steps = steps

            def replay(self, i=0):
                if i == len(self.steps):
                    raise LookupError("journal ends before the checkpoint")
                return self.replay(i + 1)

            def amount(self, text):
                return int(text.replace("_", ""))

            def fee(self, text):
                return int(text.replace("_", ""))
    """,
    "web/ledger.mjs": """
        export function sumEntries(entries) {
          return entries.map((e) => e.amount.value).reduce((a, b) => a + b, 0);
        }

        export function lastEntry(entries) {
          return entries.at(-1).amount.value;
        }
    """,
}


def _ledger() -> Repo:
    repo = Repo(
        "ledger",
        "heldout",
        dict(LEDGER_FILES),
        "ledger",
        "from ledger.model import Account\nfrom ledger.journal import Journal",
    )
    repo.bugs = [
        Bug("share-zero", "ledger/model.py", ["Account('a', [{'amount': 1}]).balance_share(Account('b'))"]),
        Bug("currency-missing", "ledger/model.py", ["Account('a', [{'amount': 1}]).currency()"]),
        Bug("close-pending", "ledger/model.py", ["Account('a', [1]).close()"]),
        Bug("archive-pending", "ledger/model.py", ["Account('a', [1]).archive()"]),
        Bug("replay-end", "ledger/journal.py", ["Journal([1, 2, 3]).replay()", "Journal([1] * 7).replay()", "Journal([]).replay()"]),
        Bug("amount-int", "ledger/journal.py", ["Journal([]).amount('1.5')"]),
        Bug("fee-int", "ledger/journal.py", ["Journal([]).fee('1.5')"]),
        Bug("js-sum", "web/ledger.mjs", ["ledger.sumEntries([{}])"], "js"),
        Bug("js-last", "web/ledger.mjs", ["ledger.lastEntry([{}])"], "js"),
    ]
    return repo


def repos() -> list[Repo]:
    return [_shop(), _ledger()]


@dataclass
class Instance:
    id: str
    bug: str  # "<repo>/<bug>"
    repo: str
    split: str
    layout: str
    entry: str  # script, module, pytest, node, node-test
    shifted: bool
    kind: str  # traceback, pytest, node, actions
    form: str  # Actions form, or ""
    program: Program


SHIFT = "# Copyright the shop authors.\n# Licensed under the MIT license.\n\nimport os  # noqa: F401\n\n\n"
JS_SHIFT = "'use strict';\n// Licensed under the MIT license.\n\n\n"


def tree_for(repo: Repo, bug: Bug, entry: str, expr: str, shifted: bool) -> dict[str, str]:
    """The repository's files, the entry that reaches ``bug`` by ``expr``, and the shifted module if asked."""
    files = dict(repo.files)
    if shifted:
        import textwrap

        body = textwrap.dedent(files[bug.module]).lstrip("\n")
        files[bug.module] = (JS_SHIFT if bug.language == "js" else SHIFT) + body
    if bug.language == "py":
        call = f"    {expr}\n"
        files["tools/run.py"] = f"import sys\nfrom pathlib import Path\n\nsys.path.insert(0, str(Path(__file__).resolve().parents[1]))\n{repo.imports}\n\n\ndef main():\n{call}\n\nif __name__ == '__main__':\n    main()\n"
        files[f"{repo.package}/cli.py"] = f"import argparse\n\n{repo.imports}\n\n\ndef main(argv=None):\n    argparse.ArgumentParser().parse_args(argv)\n{call}\n\nmain()\n"
        name = bug.name.replace("-", "_")
        files["tests/__init__.py"] = ""
        files[f"tests/test_{name}.py"] = f"{repo.imports}\n\n\ndef test_{name}():\n{call}"
        files["pytest.ini"] = "[pytest]\n"
    else:
        mod = bug.module.rsplit("/", 1)[1]
        stem = mod.split(".")[0]
        if mod.endswith(".mjs"):
            files["web/run.mjs"] = f"import * as {stem} from './{mod}';\n\nfunction main() {{\n  {expr};\n}}\n\nmain();\n"
            files[f"web/{stem}.test.mjs"] = f"import test from 'node:test';\nimport * as {stem} from './{mod}';\n\ntest('{bug.name}', () => {{\n  {expr};\n}});\n"
        else:
            files["web/run.js"] = f"const {stem} = require('./{mod}');\n\nfunction main() {{\n  {expr};\n}}\n\nmain();\n"
            files[f"web/{stem}.test.js"] = f"const test = require('node:test');\nconst {stem} = require('./{mod}');\n\ntest('{bug.name}', () => {{\n  {expr};\n}});\n"
    return files


def argv_for(bug: Bug, entry: str) -> list[str]:
    name = bug.name.replace("-", "_")
    ext = "mjs" if bug.module.endswith(".mjs") else "js"
    stem = bug.module.rsplit("/", 1)[1].split(".")[0]
    return {
        "script": ["{python}", "tools/run.py"],
        "module": ["{python}", "-m", "{package}.cli"],
        "pytest": [*PYTEST, f"tests/test_{name}.py"],
        "pytest-q": [*PYTEST, "-q", "--tb=short", f"tests/test_{name}.py"],
        "node": ["{node}", f"web/run.{ext}"],
        "node-test": ["{node}", "--test", "--test-reporter=spec", f"web/{stem}.test.{ext}"],
    }[entry]


# (entry, layout, shifted, kind, form) for each instance of a Python bug and of a JavaScript bug.
PY_PLAN = [
    ("script", "hosted", False, "traceback", ""),
    ("module", "self-hosted", False, "actions", "gh"),
    ("pytest", "container", False, "pytest", ""),
    ("script", "other", False, "traceback", ""),
    ("pytest-q", "hosted", True, "actions", "job"),
]
JS_PLAN = [
    ("node", "hosted", False, "node", ""),
    ("node", "container", False, "actions", "gh"),
    ("node-test", "other", False, "node", ""),
    ("node", "self-hosted", True, "node", ""),
]


def instances() -> list[Instance]:
    out = []
    for repo in repos():
        for bug in repo.bugs:
            plan = PY_PLAN if bug.language == "py" else JS_PLAN
            for k, (entry, layout, shifted, kind, form) in enumerate(plan):
                expr = bug.exprs[k % len(bug.exprs)]
                files = tree_for(repo, bug, entry, expr, shifted)
                argv = [a.replace("{package}", repo.package) for a in argv_for(bug, entry)]
                stream = "stderr" if kind == "traceback" else "both"
                program = Program(files, argv, stream=stream)
                out.append(Instance(f"{repo.name}-{bug.name}-{k}", f"{repo.name}/{bug.name}", repo.name, repo.split, layout, entry, shifted, kind, form, program))
    return out


def checkout(base: str, layout: str, repo: str) -> str:
    return f"{base}/{LAYOUTS[layout].format(repo=repo)}"
