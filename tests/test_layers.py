"""The import direction stays honest: rag ← index ← evals, and ui on top of everything."""

import ast
import re
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


RAG = ROOT / "rag"
BASE = {"errors", "types", "settings", "limits", "records", "question", "sentences", "timeframe"}
STAGES = sorted(p.name for p in RAG.iterdir() if (p / "__init__.py").exists() and p.name != "models")


def rag_imports(paths) -> set[str]:
    """The rag modules and packages (first level under rag/) that ``paths`` import, function-level imports too."""
    found = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("rag."):
                found.add(node.module.split(".")[1])
    return found


def declared_imports(stage: str) -> set[str]:
    """What a stage package's docstring says it imports besides the base modules."""
    doc = ast.get_docstring(ast.parse((RAG / stage / "__init__.py").read_text(encoding="utf-8"))) or ""
    if "Imports only the base modules of rag/." in doc:
        return set()
    match = re.search(r"Imports, besides the base modules of rag/: ([a-z, ]+)\.", doc)
    assert match, f"rag/{stage}/__init__.py does not say what it imports"
    return {name.strip() for name in match.group(1).split(",")}


def test_rag_keeps_at_most_a_dozen_modules_at_the_top():
    assert len(list(RAG.glob("*.py"))) <= 12


def test_the_base_modules_import_no_stage():
    assert rag_imports(RAG / f"{name}.py" for name in BASE) <= BASE


@pytest.mark.parametrize("stage", STAGES)
def test_each_stage_imports_what_its_docstring_says_and_nothing_above_it(stage):
    """``rag/<stage>/__init__.py`` is the map a newcomer reads; this keeps it true."""
    used = rag_imports((RAG / stage).glob("*.py")) - BASE - {stage}
    assert used <= declared_imports(stage), f"rag/{stage} imports {sorted(used - declared_imports(stage))}"
    assert "pipeline" not in declared_imports(stage)


def test_the_stages_form_no_cycle():
    graph = {stage: declared_imports(stage) & set(STAGES) for stage in STAGES}
    for stage in STAGES:
        reachable, todo = set(), list(graph[stage])
        while todo:
            nxt = todo.pop()
            if nxt not in reachable:
                reachable.add(nxt)
                todo += graph.get(nxt, [])
        assert stage not in reachable, f"rag/{stage} reaches itself through {sorted(reachable)}"


def module_imports(package: str) -> dict[str, set[str]]:
    """Every module of ``package`` and the modules of that package it imports, function-level imports included."""
    graph: dict[str, set[str]] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
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
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "rag":
                    offenders += [f"{path.name}: {a.name}" for a in node.names
                                  if a.name.startswith("_") and not a.name.startswith("__")]  # fmt: skip
    assert offenders == []


def test_the_public_face_hands_out_the_core_objects_themselves():
    """Each name of ``rag`` is the very object of the module that owns it (not a copy that could drift), and
    ``dir(rag)`` lists exactly them; an unknown name is an AttributeError, not None."""
    import importlib

    import rag
    from rag.pipeline import Pipeline
    from rag.types import Answer

    assert rag.Pipeline is Pipeline and rag.Answer is Answer and rag.errors is importlib.import_module("rag.errors")
    for name, where in rag._EXPORTS.items():
        module, _, attribute = where.partition(":")
        owner = importlib.import_module(module)
        assert getattr(rag, name) is (owner if name == "errors" else getattr(owner, attribute or name)), name
    assert set(dir(rag)) == {*rag._EXPORTS, "__version__"}
    with pytest.raises(AttributeError):
        rag.no_such_name  # noqa: B018


def test_the_evidence_is_built_below_the_answerers():
    assert rag_imports([RAG / "evidence.py"]) <= BASE | {"judging", "reading"}


def test_ui_comes_through_one_door():
    """Everything ui/ needs comes from ``rag`` (or ``rag.errors``): the core can reorganise behind its public face."""
    offenders = []
    for path in (ROOT / "ui").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("rag."):
                offenders += [f"{path.name}: {node.module}"] if node.module != "rag.errors" else []
            if isinstance(node, ast.Import):
                offenders += [f"{path.name}: {a.name}" for a in node.names if a.name.startswith("rag.")]
    assert offenders == []
