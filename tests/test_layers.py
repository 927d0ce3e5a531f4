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


def module_imports(package: str) -> dict[str, set[str]]:
    """Every module of ``package`` and the modules of that package it imports, function-level imports included."""
    graph: dict[str, set[str]] = {}
    for path in sorted((ROOT / package).glob("*.py")):
        name = package if path.stem == "__init__" else f"{package}.{path.stem}"
        deps = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(f"{package}."):
                deps.add(node.module)
        graph[name] = deps - {name}
    return graph


@pytest.mark.parametrize("package", ["rag", "index", "ui", "evals"])
def test_no_package_has_an_import_cycle(package):
    """Function-level imports count too: a cycle hidden inside a function is still a knot for a reader."""
    graph = module_imports(package)
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        assert module not in path, "import cycle: " + " -> ".join([*path[path.index(module) :], module])
        if module in done:
            return
        for dep in sorted(graph.get(module, ())):
            visit(dep, [*path, module])
        done.add(module)

    for module in graph:
        visit(module, [])


def test_ui_and_evals_use_no_private_name_of_the_core():
    offenders = []
    for package in ("ui", "evals", "index"):
        for path in (ROOT / package).glob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "rag":
                    offenders += [f"{path.name}: {a.name}" for a in node.names
                                  if a.name.startswith("_") and not a.name.startswith("__")]  # fmt: skip
    assert offenders == []


def test_the_public_face_names_what_callers_need():
    import rag

    for name in ("Pipeline", "Settings", "load_settings", "Filters", "Answer", "Citation", "Store", "errors"):
        assert getattr(rag, name) is not None, name
    assert rag.errors.BadQuestion.__module__ == "rag.errors"
