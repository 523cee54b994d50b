"""The rules engine is pure: no web framework, no database, nothing of app/ but
app.rules.* and app.core.money."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
RULES_DIR = REPO_ROOT / "app" / "rules"
MODULES = sorted(RULES_DIR.glob("*.py"))

FORBIDDEN_TOP_LEVEL = {
    "flask",
    "flask_smorest",
    "werkzeug",
    "sqlalchemy",
    "alembic",
    "psycopg",
    "marshmallow",
    "yaml",
    "requests",
    "authlib",
}
ALLOWED_APP = ("app.rules", "app.core.money")


def imported_modules(path: Path) -> list[str]:
    """Absolute dotted names of everything the module imports (at any depth of the file)."""
    package = "app.rules"
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(base_parts)
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            # `from app.core import money` imports the module app.core.money
            names.extend(f"{module}.{alias.name}" for alias in node.names)
    return names


def is_allowed(name: str) -> bool:
    if name == "__future__" or name.startswith("__future__."):
        return True
    top = name.split(".")[0]
    if top in FORBIDDEN_TOP_LEVEL:
        return False
    if top != "app":
        return True
    return any(name == allowed or name.startswith(allowed + ".") for allowed in ALLOWED_APP)


def test_rules_modules_found():
    names = {path.name for path in MODULES}
    assert {
        "__init__.py",
        "terms.py",
        "pricing.py",
        "tier.py",
        "payout.py",
        "calendar.py",
        "explain.py",
        "errors.py",
    } <= names


@pytest.mark.parametrize("path", MODULES, ids=[path.name for path in MODULES])
def test_no_impure_imports(path):
    bad = [name for name in imported_modules(path) if not is_allowed(name)]
    assert bad == [], f"{path.name} imports {bad}"


@pytest.mark.parametrize(
    ("name", "allowed"),
    [
        ("app.rules.terms.Terms", True),
        ("app.core.money.apply_ratio", True),
        ("app.core.clock.now", False),
        ("app.core.errors.X", False),
        ("app.plans.terms_schema.load_terms_file", False),
        ("app.db.session", False),
        ("flask.Flask", False),
        ("sqlalchemy", False),
        ("sqlalchemy.orm.Session", False),
        ("datetime.date", True),
        ("__future__.annotations", True),
    ],
)
def test_import_checker(name, allowed):
    assert is_allowed(name) is allowed


def test_relative_imports_are_resolved(tmp_path):
    module = tmp_path / "sample.py"
    module.write_text("from . import explain\nfrom ..core import clock\nfrom .terms import Tier\n")
    assert imported_modules(module) == [
        "app.rules.explain",
        "app.core.clock",
        "app.rules.terms.Tier",
    ]


def test_importing_the_engine_loads_no_framework():
    """Load every app.rules module with `app` as a bare package (its __init__, the Flask
    application factory, is not run) and check what else got imported."""
    code = f"""
import sys, types
package = types.ModuleType("app")
package.__path__ = [{str(REPO_ROOT / "app")!r}]
sys.modules["app"] = package
before = set(sys.modules)
import app.rules.calendar, app.rules.errors, app.rules.explain, app.rules.payout
import app.rules.pricing, app.rules.terms, app.rules.tier
loaded = sorted(set(sys.modules) - before)
print("\\n".join(loaded))
"""
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    loaded = result.stdout.split()
    assert "app.rules.payout" in loaded
    assert [name for name in loaded if name.split(".")[0] in FORBIDDEN_TOP_LEVEL] == []
    app_modules = {name for name in loaded if name.split(".")[0] == "app"}
    assert app_modules <= {
        "app.core",
        "app.core.money",
        "app.rules",
        "app.rules.calendar",
        "app.rules.errors",
        "app.rules.explain",
        "app.rules.payout",
        "app.rules.pricing",
        "app.rules.terms",
        "app.rules.tier",
    }
