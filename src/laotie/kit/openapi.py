"""The error responses of every API operation, read from the domain errors its code can raise."""

from __future__ import annotations

import ast
import gc
import inspect
import linecache
import sys
import types
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from laotie.kit.errors import DomainError

ERROR_SCHEMA = "Error"
_PACKAGE = "laotie."
# Calls deeper than this below an endpoint are not followed; the service → repository → helper
# chains of the domains are far shallower.
_MAX_DEPTH = 10

# Every route that reads a body can be refused for its size or its shape; every route with a
# parameter can be refused for its shape. These come from kit.http, not from a domain error.
BODY_TOO_LARGE = (413, "body_too_large")
INVALID_REQUEST = (422, "invalid_request")
NOT_FOUND = (404, "not_found")

_DESCRIPTIONS = {400: "Refused by a business rule", 401: "Not authenticated", 403: "Not allowed",
                 404: "Not found", 409: "Conflicts with the current state", 413: "Too large",
                 422: "Malformed request", 429: "Too many requests"}

Raised = frozenset[tuple[int, str]]


@cache
def _functions_of(module_name: str) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    """Every function and method in a module's source, by qualified name."""
    module = sys.modules.get(module_name)
    file = getattr(module, "__file__", None)
    if not file or not file.endswith(".py"):
        return {}
    try:
        tree = ast.parse(Path(file).read_text(encoding="utf-8"), filename=file)
    except (OSError, SyntaxError, ValueError):  # source gone or changed since import: nothing to read
        return {}
    index: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}

    def visit(body: Iterable[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                index.setdefault(prefix + node.name, node)
                visit(node.body, f"{prefix}{node.name}.<locals>.")
            elif isinstance(node, ast.ClassDef):
                visit(node.body, f"{prefix}{node.name}.")
            elif isinstance(node, ast.If | ast.Try):
                visit(node.body, prefix)
                visit(node.orelse, prefix)

    visit(tree.body, "")
    return index


def _function_node(fn: types.FunctionType) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The syntax tree of one function, parsed from its own lines of source only.

    Parsing whole modules would cost most of the start-up budget: only a fraction of each
    module is reached from an endpoint.
    """
    code = fn.__code__
    lines = linecache.getlines(code.co_filename)
    first = code.co_firstlineno - 1  # the first decorator, or the def
    if not lines or first >= len(lines):
        return None
    head = lines[first]
    indent = len(head) - len(head.lstrip())
    end = first + 1
    while head.lstrip().startswith("@") and end < len(lines):  # decorators, until the def
        head = lines[end]
        end += 1
    while end < len(lines):
        text = lines[end]
        stripped = text.strip()
        if stripped and not stripped.startswith("#") and len(text) - len(text.lstrip()) <= indent \
                and not stripped.startswith((")", "]", "}")):
            break
        end += 1
    source = "".join(lines[first:end])
    try:
        tree = ast.parse("if 1:\n" + source if indent else source)
    except (SyntaxError, ValueError):
        # A string literal that leaves the block's indentation: fall back to the whole module.
        return _functions_of(fn.__module__).get(fn.__qualname__)
    body = tree.body[0].body if indent and isinstance(tree.body[0], ast.If) else tree.body
    node = body[0] if body else None
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == fn.__name__:
        return node
    return _functions_of(fn.__module__).get(fn.__qualname__)


def _plain_function(obj: Any) -> types.FunctionType | None:
    """The plain function behind a callable, or None when it has no Python source."""
    if isinstance(obj, staticmethod | classmethod | types.MethodType):
        obj = obj.__func__
    if not isinstance(obj, types.FunctionType):
        # A callable instance: a dependency object, a service singleton.
        obj = inspect.getattr_static(type(obj), "__call__", None)
        if not isinstance(obj, types.FunctionType):
            return None
    obj = inspect.unwrap(obj)
    return obj if isinstance(obj, types.FunctionType) else None


def _as_function(obj: Any) -> types.FunctionType | None:
    """The plain function behind a callable of laotie's, or None for anything else."""
    fn = _plain_function(obj)
    return fn if fn is not None and (fn.__module__ or "").startswith(_PACKAGE) else None


def _error_class(obj: Any) -> type[DomainError] | None:
    return obj if isinstance(obj, type) and issubclass(obj, DomainError) else None


_MISSING = object()


class _Scope:
    """Resolves names in one function's body: its own imports, then its module's globals."""

    def __init__(self, fn: types.FunctionType, imports: Iterable[ast.Import | ast.ImportFrom]) -> None:
        self.globals = fn.__globals__
        self.locals: dict[str, Any] = {}
        owner_path = fn.__qualname__.split(".")[:-1]
        self.owner: Any = _MISSING
        if owner_path and "<locals>" not in owner_path:
            self.owner = self._dotted(owner_path)
        # Imports inside the function (kept there to break an import cycle) are loaded by now.
        for statement in imports:
            if isinstance(statement, ast.ImportFrom):
                if not statement.module or statement.level:
                    continue
                source = sys.modules.get(statement.module)
                for alias in statement.names:
                    value = sys.modules.get(f"{statement.module}.{alias.name}", _MISSING)
                    if value is _MISSING and source is not None:
                        value = source.__dict__.get(alias.name, _MISSING)
                    if value is not _MISSING:
                        self.locals[alias.asname or alias.name] = value
            else:
                for alias in statement.names:
                    if alias.asname and alias.name in sys.modules:
                        self.locals[alias.asname] = sys.modules[alias.name]

    def _dotted(self, parts: list[str]) -> Any:
        value = self.globals.get(parts[0], _MISSING)
        for part in parts[1:]:
            value = self._attribute(value, part)
        return value

    @staticmethod
    def _attribute(value: Any, name: str) -> Any:
        if value is _MISSING:
            return _MISSING
        try:
            # Static lookup: never runs a property or a module __getattr__ while analysing.
            return inspect.getattr_static(value, name)
        except AttributeError:
            return _MISSING

    def resolve(self, expr: ast.expr) -> Any:
        if isinstance(expr, ast.Name):
            if expr.id in ("self", "cls"):
                return self.owner
            if expr.id in self.locals:
                return self.locals[expr.id]
            return self.globals.get(expr.id, _MISSING)
        if isinstance(expr, ast.Attribute):
            return self._attribute(self.resolve(expr.value), expr.attr)
        return _MISSING


def _constant(call: ast.Call, keyword: str) -> Any:
    for kw in call.keywords:
        if kw.arg == keyword and isinstance(kw.value, ast.Constant):
            return kw.value.value
    return None


def _raised(cls: type[DomainError], call: ast.Call | None) -> tuple[int, str]:
    status, code = cls.status, cls.code
    if call is not None:
        given_status, given_code = _constant(call, "status"), _constant(call, "code")
        status = given_status if isinstance(given_status, int) else status
        code = given_code if isinstance(given_code, str) else code
    return status, code


def _annotated_class(scope: _Scope, annotation: ast.expr | None) -> type | None:
    """The class an annotation names (`Gateway`, `Gateway | None`, `"Gateway"`), if it is one of laotie's."""
    if annotation is None:
        return None
    if isinstance(annotation, ast.BinOp):  # X | None
        return _annotated_class(scope, annotation.left) or _annotated_class(scope, annotation.right)
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            return _annotated_class(scope, ast.parse(annotation.value, mode="eval").body)
        except SyntaxError:
            return None
    value = scope.resolve(annotation)
    if isinstance(value, type) and value.__module__.startswith(_PACKAGE):
        return value
    return None


def _returned_class(target: Any) -> type | None:
    """What calling target gives: a class of laotie's constructed, or a function's annotated return."""
    if isinstance(target, type):
        return target if target.__module__.startswith(_PACKAGE) else None
    fn = _as_function(target)
    return _return_class(fn) if fn is not None else None


@cache
def _return_class(fn: types.FunctionType) -> type | None:
    # From the annotation's text (modules use `from __future__ import annotations`), resolved in
    # the function's own namespace: no need to parse the function for it.
    annotation = fn.__annotations__.get("return")
    if isinstance(annotation, type):
        return annotation if annotation.__module__.startswith(_PACKAGE) else None
    if not isinstance(annotation, str):
        return None
    return _annotated_class(_Scope(fn, ()), ast.Constant(annotation))


def _with_subclasses(cls: type) -> list[type]:
    found: list[type] = [cls]
    pending: list[type] = [cls]
    while pending:
        subclasses: list[type] = pending.pop().__subclasses__()
        for sub in subclasses:
            if sub not in found and sub.__module__.startswith(_PACKAGE):
                found.append(sub)
                pending.append(sub)
    return found


def _local_types(scope: _Scope, node: ast.FunctionDef | ast.AsyncFunctionDef,
                 assignments: list[ast.Assign | ast.AnnAssign]) -> dict[str, type]:
    """Local names whose class is known: annotated parameters, and `x = Thing(...)` / `x = make()`."""
    known: dict[str, type] = {}
    arguments = node.args
    for argument in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]:
        cls = _annotated_class(scope, argument.annotation)
        if cls is not None:
            known[argument.arg] = cls
    for assignment in assignments:
        target: ast.expr
        if isinstance(assignment, ast.AnnAssign):
            target, cls = assignment.target, _annotated_class(scope, assignment.annotation)
        else:
            if len(assignment.targets) != 1:
                continue
            target, value = assignment.targets[0], assignment.value
            if isinstance(value, ast.Await):
                value = value.value
            cls = _returned_class(scope.resolve(value.func)) if isinstance(value, ast.Call) else None
        if isinstance(target, ast.Name) and cls is not None:
            known[target.id] = cls
    return known


@cache
def _direct(fn: types.FunctionType) -> tuple[Raised, tuple[types.FunctionType, ...]]:
    """The domain errors one function constructs itself, and the functions of laotie it calls.

    Constructing a domain error counts as raising it: helpers build errors that their callers
    raise (`raise _missing(...)`, `error = Refused(...)`). A method called on a local whose class
    is known (`gateway = gateway_for(...)`; `gateway.verify(...)`; `gateway_for(...).verify(...)`) is
    followed in that class and its subclasses.
    """
    node = _function_node(fn)
    if node is None:
        return frozenset(), ()
    calls: list[ast.Call] = []
    raises: list[ast.expr] = []
    imports: list[ast.Import | ast.ImportFrom] = []
    assignments: list[ast.Assign | ast.AnnAssign] = []
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            calls.append(sub)
        elif isinstance(sub, ast.Assign | ast.AnnAssign):
            assignments.append(sub)
        elif isinstance(sub, ast.Raise):
            if isinstance(sub.exc, ast.Name | ast.Attribute):
                raises.append(sub.exc)
        elif isinstance(sub, ast.Import | ast.ImportFrom):
            imports.append(sub)
    scope = _Scope(fn, imports)
    local_types = _local_types(scope, node, assignments)
    found: set[tuple[int, str]] = set()
    callees: dict[types.FunctionType, None] = {}
    for call in calls:
        func = call.func
        receiver: type | None = None
        if isinstance(func, ast.Attribute):
            value = func.value.value if isinstance(func.value, ast.Await) else func.value
            if isinstance(value, ast.Name):
                receiver = local_types.get(value.id)
            elif isinstance(value, ast.Call):  # make().method(...)
                receiver = _returned_class(scope.resolve(value.func))
        if receiver is not None and isinstance(func, ast.Attribute):
            targets = [scope._attribute(cls, func.attr) for cls in _with_subclasses(receiver)]
        else:
            targets = [scope.resolve(func)]
        for target in targets:
            cls = _error_class(target)
            if cls is not None:
                found.add(_raised(cls, call))
                continue
            callee = _as_function(target)
            if callee is not None and callee is not fn:
                callees[callee] = None
    for raised in raises:
        cls = _error_class(scope.resolve(raised))
        if cls is not None:
            found.add(_raised(cls, None))
    return frozenset(found), tuple(callees)


@cache
def errors_of(fn: types.FunctionType) -> Raised:
    """Every (status, code) the function, or what it calls within _MAX_DEPTH calls, can raise."""
    found: set[tuple[int, str]] = set()
    seen = {fn}
    frontier = [fn]
    for _ in range(_MAX_DEPTH + 1):
        following: list[types.FunctionType] = []
        for current in frontier:
            errors, callees = _direct(current)
            found |= errors
            for callee in callees:
                if callee not in seen:
                    seen.add(callee)
                    following.append(callee)
        if not following:
            break
        frontier = following
    return frozenset(found)


def _dependency_calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _dependency_calls(sub)


def route_errors(route: Any) -> dict[int, set[str]]:
    """The error statuses an API route can answer, each with the codes it may carry."""
    found: set[tuple[int, str]] = set()
    dependant: Dependant = route.dependant
    for call in [route.endpoint, *_dependency_calls(dependant)]:
        fn = _plain_function(call)
        if fn is not None:
            found |= errors_of(fn)
    # An upload route reads its multipart body itself (after authenticating) and documents it in openapi_extra.
    if route.body_field is not None or "requestBody" in (route.openapi_extra or {}):
        found |= {BODY_TOO_LARGE, INVALID_REQUEST}
    if dependant.path_params or dependant.query_params or dependant.header_params or dependant.cookie_params:
        found.add(INVALID_REQUEST)
    if dependant.path_params and not any(status == 404 for status, _ in found):
        found.add(NOT_FOUND)
    by_status: dict[int, set[str]] = {}
    for status, code in found:
        # A 5xx from a domain error is a broken invariant, not an answer the API promises.
        if 400 <= status < 500:
            by_status.setdefault(status, set()).add(code)
    return by_status


def _error_schema() -> dict[str, Any]:
    return {
        "title": ERROR_SCHEMA,
        "type": "object",
        "required": ["code", "message"],
        "properties": {
            "code": {"type": "string", "description": "Stable machine-readable reason"},
            "message": {"type": "string"},
            "field": {"type": ["string", "null"], "description": "The input the refusal is about, if any"},
            "details": {"type": "object"},
            "errors": {"type": "array", "description": "Every malformed field (422 only)",
                       "items": {"type": "object", "required": ["field", "message"],
                                 "properties": {"field": {"type": "string"}, "message": {"type": "string"}}}},
        },
    }


def _api_routes(app: FastAPI) -> Iterator[tuple[str, str, Any]]:
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, APIRoute) and context.include_in_schema:
            for method in context.methods or ():
                yield context.path_format or "", method.lower(), context


def error_table(app: FastAPI) -> dict[tuple[str, str], dict[int, set[str]]]:
    """(path, method) → status → codes, for every operation in the schema."""
    # Parsing makes many short-lived objects; with the whole app in memory, the collections
    # they would set off cost more than the analysis itself. Nothing here makes a cycle.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return {(path, method): route_errors(context) for path, method, context in _api_routes(app)}
    finally:
        if collecting:
            gc.enable()


def add_error_responses(spec: dict[str, Any], table: dict[tuple[str, str], dict[int, set[str]]]) -> None:
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    schemas[ERROR_SCHEMA] = _error_schema()
    ref = {"$ref": f"#/components/schemas/{ERROR_SCHEMA}"}
    for path, operations in spec.get("paths", {}).items():
        for method, operation in operations.items():
            errors = table.get((path, method))
            if errors is None:
                continue
            responses = operation.setdefault("responses", {})
            # FastAPI's own 422 shape is not what kit.http answers.
            responses.pop("422", None)
            for status in sorted(errors):
                codes = sorted(errors[status])
                responses[str(status)] = {
                    "description": f"{_DESCRIPTIONS.get(status, 'Refused')}; code: "
                                   + ", ".join(f"`{code}`" for code in codes),
                    "content": {"application/json": {"schema": dict(ref)}},
                    "x-error-codes": codes,
                }
    text = repr(spec["paths"])
    for unused in ("HTTPValidationError", "ValidationError"):
        if f"#/components/schemas/{unused}'" not in text:
            schemas.pop(unused, None)


def document_errors(app: FastAPI) -> None:
    """Make the app's OpenAPI list, for every operation, the errors its code can give.

    The call graph is read once, at start-up (cached per function, so further apps cost little),
    and the schema is amended when FastAPI first builds it.
    """
    table = error_table(app)
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = build()
            add_error_responses(spec, table)
        return app.openapi_schema or {}

    app.openapi = openapi  # type: ignore[method-assign]
