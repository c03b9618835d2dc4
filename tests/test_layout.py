"""The house rules a reader relies on: one way imports, pure cores, subpackages not prefixes."""

from __future__ import annotations

import ast
from pathlib import Path

import laotie

PACKAGE = Path(laotie.__file__).parent
# Pure computation: tested and benchmarked alone, so no database, HTTP or web import.
PURE = ("trust/score/core", "trust/fraud/core", "traffic/ranking", "alliance/core")
IMPURE_ROOTS = ("sqlalchemy", "fastapi", "starlette", "httpx", "jinja2", "redis", "asyncpg", "aiosqlite")
# laotie modules a pure core may use: the other cores and the money arithmetic.
PURE_MODULES = (*("laotie." + p.replace("/", ".") for p in PURE), "laotie.kit.money")


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        if "migrations" in rel.parts:
            continue
        parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
        found[".".join(parts)] = path
    return found


def _imports(path: Path, name: str, *, top_level_only: bool) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    out: set[str] = set()
    is_package = path.name == "__init__.py"
    for node in nodes:
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".")
                anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, base] if base else anchor)
            out.add(base)
            out.update(f"{base}.{a.name}" for a in node.names)
    return out


def _graph(*, top_level_only: bool) -> dict[str, set[str]]:
    mods = _modules()
    return {m: {i for i in _imports(p, m, top_level_only=top_level_only) if i in mods and i != m}
            for m, p in mods.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycle_between_modules() -> None:
    # Packages' own __init__ re-exports are edges to their children, not cycles of meaning.
    graph = _graph(top_level_only=False)
    for m, deps in graph.items():
        graph[m] = {d for d in deps if not (d.startswith(m + ".") or m.startswith(d + "."))}
    assert _cycles(graph) == []


def test_pure_cores_import_no_database_or_http() -> None:
    offenders = []
    for m, path in _modules().items():
        rel = str(path.relative_to(PACKAGE))
        if not rel.startswith(PURE):
            continue
        for i in _imports(path, m, top_level_only=False):
            if i.split(".")[0] in IMPURE_ROOTS or (i.startswith("laotie.") and not i.startswith(PURE_MODULES)):
                offenders.append(f"{rel}: {i}")
    assert offenders == []


def test_a_subdomain_is_a_subpackage_not_a_file_name_prefix() -> None:
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        # models/ holds one file per table, named after it.
        if "migrations" in path.parts or path.parent in (PACKAGE, PACKAGE / "models"):
            continue
        prefix = path.parent.name.rstrip("s") + "_"
        if path.stem.startswith(prefix):
            offenders.append(str(path.relative_to(PACKAGE)))
        siblings = [p.stem for p in path.parent.glob("*.py") if p.stem != "__init__"]
        head = path.stem.split("_")[0]
        if "_" in path.stem and sum(1 for s in siblings if "_" in s and s.split("_")[0] == head) > 1:
            offenders.append(str(path.relative_to(PACKAGE)))
    assert sorted(set(offenders)) == []


def test_every_package_says_what_it_owns() -> None:
    missing = []
    for init in PACKAGE.rglob("__init__.py"):
        if "migrations" in init.parts:
            continue
        if ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) is None:
            missing.append(str(init.relative_to(PACKAGE)))
    assert missing == []
