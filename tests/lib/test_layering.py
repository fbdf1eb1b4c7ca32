"""The package's layers, read from the source: the engine (pipelines/lib) imports no Dagster, no Dagster layer, no
CLI and no tooling, and no two modules of the package import each other, at module level or inside a function."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "pipelines"
# What the engine must never import: users run it without Dagster in the loop, and tooling (synthetic corpora,
# evaluation, benchmarks) is not shipped to the hot path.
ENGINE_FORBIDDEN = ("dagster", "dagster_duckdb", "pipelines.defs", "pipelines.tooling", "pipelines.bench",
                    "pipelines.cli", "pipelines.cli_entities", "pipelines.cli_output")


def module_names() -> dict[str, Path]:
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def _runtime_nodes(tree: ast.AST):
    """Every node but those under `if TYPE_CHECKING:` (annotations only, never imported at run time)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            stack.extend(node.orelse)
            continue
        yield node
        stack.extend(ast.iter_child_nodes(node))


def imported_modules(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Absolute names this module imports at run time, with `from package import module` read as the module."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names if f"{module}.{alias.name}" in modules)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = module_names()
    graph = {}
    for name, path in modules.items():
        targets = {target for target in imported_modules(name, path, modules) if target in modules and target != name}
        # A package importing its own modules (its __init__ re-exporting them) is not a cycle with them.
        graph[name] = {target for target in targets if not target.startswith(name + ".")}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(component)

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_the_engine_imports_no_dagster_cli_or_tooling():
    modules = module_names()
    offending = sorted(
        (name, target) for name, path in modules.items() if name.startswith("pipelines.lib")
        for target in imported_modules(name, path, modules)
        if any(target == forbidden or target.startswith(forbidden + ".") for forbidden in ENGINE_FORBIDDEN))
    assert offending == []


def test_no_two_modules_import_each_other():
    assert cycles(import_graph()) == []


def test_the_cycle_finder_sees_a_cycle_through_a_function_level_import(tmp_path):
    # The checks above must be able to fail: a cycle hidden in a function body, and an engine module importing
    # the Dagster layer, are both found.
    first = tmp_path / "first.py"
    first.write_text("def late():\n    from pipelines.defs import assets\n", encoding="utf-8")
    modules = {"pipelines.lib.first": first, "pipelines.defs.assets": tmp_path / "assets.py"}
    assert imported_modules("pipelines.lib.first", first, modules) >= {"pipelines.defs"}
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]
    guarded = tmp_path / "guarded.py"
    guarded.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pipelines.lib import x\n",
                       encoding="utf-8")
    assert "pipelines.lib" not in imported_modules("pipelines.lib.guarded", guarded, {})
