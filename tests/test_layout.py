"""The house layout: `sim/` is the model alone; it never imports the machinery that runs it
(`sim/experiments/`) or shows it (`sim/views/`)."""

from __future__ import annotations

import ast
from pathlib import Path

SIM = Path(__file__).resolve().parent.parent / "sim"


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, resolved to its absolute dotted name (relative imports included)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = "sim"
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            out.add(base)
            out.update(f"{base}.{a.name}" for a in node.names)
    return out


def test_the_model_never_imports_experiments_or_views():
    model_files = sorted(SIM.glob("*.py"))
    assert {p.name for p in model_files} >= {"model.py", "agents.py", "structures.py", "leaders.py", "knowledge.py"}
    offenders = {}
    for path in model_files:
        bad = sorted(m for m in imported_modules(path)
                     if m.startswith(("sim.experiments", "sim.views")) or m in ("experiments", "views"))
        if bad:
            offenders[path.name] = bad
    assert not offenders, f"model modules importing the machinery: {offenders}"


def test_the_import_check_would_see_an_offender(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from .experiments.scenario import load\nimport sim.views.map\n", encoding="utf-8")
    found = imported_modules(bad)
    assert "sim.experiments.scenario" in found and "sim.views.map" in found


def test_no_module_is_much_over_400_lines():
    long = {str(p.relative_to(SIM.parent)): n for p in SIM.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 450}
    assert not long, long
