"""The import direction stays honest: rag ← index ← evals, and ui on top of everything."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {"rag": {"index", "ui", "evals"}, "index": {"ui", "evals"}, "evals": {"ui"}}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_does_not_import_layers_above_it(package):
    offenders = {
        str(path.relative_to(ROOT)): bad
        for path in (ROOT / package).rglob("*.py")
        if (bad := imported_packages(path) & FORBIDDEN[package])
    }
    assert offenders == {}


def test_answerers_depend_on_the_evidence_not_on_the_pipeline():
    """Data flows question → evidence → answer: neither answerer imports the pipeline that builds the evidence."""
    for module in ("answer.py", "generate.py", "evidence.py"):
        tree = ast.parse((ROOT / "rag" / module).read_text(encoding="utf-8"))
        modules = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        assert "rag.pipeline" not in modules, module
