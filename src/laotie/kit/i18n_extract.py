"""Extraction for pybabel: Python's gettext calls, and the English messages of business refusals.

Services raise `DomainError` subclasses with an English message (`raise NotFound("no such order")`);
pages show it in the reader's language (`laotie.web.i18n.translate`). So every literal first argument
of a call to a class deriving from `DomainError` is a message id, as if it were wrapped in `N_()`.
The classes are found once, by scanning the package's class definitions (any depth of subclassing).
A message built with an f-string cannot be extracted: write "%(name)s" placeholders and pass the
values as the error's details instead.

babel.cfg names it in its `[extractors]` section; it also runs Babel's own Python extraction, since
pybabel gives each file to one method only.
"""

from __future__ import annotations

import ast
import io
from collections.abc import Collection, Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import IO, Any

from babel.messages.extract import extract_python

PACKAGE = Path(__file__).resolve().parent.parent
ROOT = "DomainError"


def _name(node: ast.expr) -> str | None:
    """The name a class or callee is known by: `NotFound` or `errors.NotFound` → "NotFound"."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


@cache
def refusal_classes(package: Path = PACKAGE) -> frozenset[str]:
    """Names of the package's classes that derive from DomainError, directly or not."""
    bases: dict[str, set[str]] = {}
    for path in sorted(package.rglob("*.py")):
        try:
            tree = ast.parse(path.read_bytes(), str(path))
        except (SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases.setdefault(node.name, set()).update(n for n in map(_name, node.bases) if n)
    found = {ROOT}
    while grown := {name for name, parents in bases.items() if name not in found and parents & found}:
        found |= grown
    return frozenset(found)


def _literals(node: ast.expr) -> Iterator[str]:
    """The messages a first argument can be: a string, either branch of `"a" if c else "b"`, or the text of
    `Message("...", values)`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.IfExp):
        yield from _literals(node.body)
        yield from _literals(node.orelse)
    elif isinstance(node, ast.Call) and _name(node.func) == "Message" and node.args:
        yield from _literals(node.args[0])


def refusal_messages(source: bytes | str, classes: Collection[str]) -> Iterator[tuple[int, str]]:
    """(line, message) for each refusal in a module whose message is written out."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return
    names = set(classes)
    for node in ast.walk(tree):  # `from x import NotFound as Missing` raises Missing(...)
        if isinstance(node, ast.ImportFrom):
            names.update(a.asname for a in node.names if a.asname and a.name in classes)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or _name(node.func) not in names:
            continue
        first = node.args[0] if node.args else next(
            (k.value for k in node.keywords if k.arg == "message"), None)
        if first is not None:
            for message in _literals(first):
                if message.strip():
                    yield node.lineno, message


def extract_refusals(fileobj: IO[bytes], keywords: Mapping[str, Any], comment_tags: Collection[str],
                     options: Mapping[str, Any]) -> Iterator[tuple[Any, ...]]:
    """A pybabel extraction method: Babel's Python extraction, then the refusals' messages.

    It yields what Babel's methods yield: (line, function name, message, comments)."""
    source = fileobj.read()
    yield from extract_python(io.BytesIO(source), keywords, comment_tags, options)  # type: ignore[arg-type]
    for line, message in refusal_messages(source, refusal_classes()):
        yield line, None, message, []
