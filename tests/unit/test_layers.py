"""The layers of ``roomsim/`` (docs/design.md, "File map"), checked on the source's AST.

- no import circle among roomsim's modules (imports under ``if TYPE_CHECKING:`` are types only
  and do not count);
- the core never imports the facade's tools (clients' SDK bridge, scenario files, the testing
  tools, the CLI);
- no module outside the core and the facade reads a private attribute of ``Room`` or
  ``Client`` (``Room._check`` is the one sanctioned seam, for ``check_invariants``);
- every module has a layer (a new module must be added to one of the sets below);
- the core is sans-IO: no event loop, threads, sockets, wall-clock time or randomness;
- ``room.py`` stays a thin facade (at most 500 lines) and no module passes 700 lines.
"""

from __future__ import annotations

import ast
from pathlib import Path

import roomsim
from roomsim.client import Client
from roomsim.room import Room

ROOT = Path(roomsim.__file__).parent
REPO = ROOT.parent

#: the core: state, facts, appliers, time, values; below the facade
CORE = {
    "roomsim._apply",
    "roomsim._apply._dropped",
    "roomsim._apply.audio",
    "roomsim._apply.faults",
    "roomsim._apply.move",
    "roomsim._audio",
    "roomsim._apply.media",
    "roomsim._apply.peer",
    "roomsim._peer",
    "roomsim._apply.participants",
    "roomsim._apply.subscriptions",
    "roomsim._apply.tracks",
    "roomsim._facts",
    "roomsim._faults",
    "roomsim._faults_sdk",
    "roomsim._handlers",
    "roomsim._fork",
    "roomsim._fork_views",
    "roomsim._log",
    "roomsim._profiles",
    "roomsim._project",
    "roomsim._project_faults",
    "roomsim._project_move",
    "roomsim._quality",
    "roomsim._records",
    "roomsim._server",
    "roomsim._time",
    "roomsim._validate",
    "roomsim._views",
    "roomsim._webhook_log",
    "roomsim.clock",
    "roomsim.config",
    "roomsim.errors",
    "roomsim.events",
    "roomsim.model",
    "roomsim.mutations",
    "roomsim.raise_sites",
    "roomsim._raise_sites_faults",
    "roomsim._raise_sites_move",
    "roomsim._raise_sites_rpc",
    "roomsim.snapshot",
    "roomsim.webhooks",
}
#: packages of values the core may use; sans-IO like the core (room-independent rules)
CORE_PACKAGES = ("roomsim.rpc", "roomsim.streams")
#: glue that belongs to no layer: the package itself, its entry point, docs generation,
#: export helpers and event formatting (each imports only the core)
GLUE = {"roomsim", "roomsim.__main__", "roomsim._docgen", "roomsim._exports", "roomsim._format"}
#: the facade: the two classes users hold
FACADE = {
    "roomsim.room",
    "roomsim.client",
    "roomsim._client_events",
    "roomsim._client_rpc",
    "roomsim._room_faults",
    "roomsim._hot",
    "roomsim._join",
    "roomsim._room_move",
}
#: what the core and the facade never import
TOOLS_PREFIXES = (
    "roomsim.scenario",
    "roomsim.testing",
    "roomsim.strategies",
    "roomsim.stateful",
    "roomsim.livekit",
    "roomsim.cli",
    "roomsim._demo",
    "roomsim.pytest_plugin",
    "roomsim.timeline",
)


def _module_name(path: Path) -> str:
    rel = path.relative_to(REPO).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, ast.Module]:
    return {_module_name(p): ast.parse(p.read_text(), str(p)) for p in ROOT.rglob("*.py")}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.Module, name: str, known: set[str]) -> set[str]:
    """The roomsim modules ``name`` imports at run time (anywhere in its body)."""
    out: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for stmt in node.orelse:
                visit(stmt)
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("roomsim"):
                    out.add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                pkg = name.split(".")
                if not _is_package(name, known):
                    pkg = pkg[:-1]
                pkg = pkg[: len(pkg) - (node.level - 1)]
                base = ".".join([*pkg, base] if base else pkg)
            if base.startswith("roomsim"):
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    out.add(sub if sub in known else base)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    out.discard(name)
    return {m for m in out if m in known}


def _is_package(name: str, known: set[str]) -> bool:
    return any(k.startswith(name + ".") for k in known)


def _graph() -> dict[str, set[str]]:
    mods = _modules()
    known = set(mods)
    graph = {name: _imports(tree, name, known) for name, tree in mods.items()}
    # importing a submodule runs its package's __init__ first: not an edge of its own here
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(n: str) -> list[str] | None:
        state[n] = 1
        stack.append(n)
        for m in sorted(graph.get(n, ())):
            if state.get(m) == 1:
                return [*stack[stack.index(m) :], m]
            if m not in state:
                found = visit(m)
                if found:
                    return found
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if n not in state:
            found = visit(n)
            if found:
                return found
    return None


def test_no_import_circle() -> None:
    cycle = _cycle(_graph())
    assert cycle is None, " -> ".join(cycle or [])


def test_the_core_and_the_facade_never_import_the_tools() -> None:
    graph = _graph()
    for name in sorted(CORE | FACADE):
        tools = {m for m in graph[name] if _is_tool(m)}
        assert not tools, f"{name} imports {sorted(tools)}"
    for name in sorted(CORE):
        assert not graph[name] & FACADE, f"core module {name} imports {graph[name] & FACADE}"


def _is_tool(module: str) -> bool:
    return any(module == t or module.startswith(t + ".") for t in TOOLS_PREFIXES)


def _private_names(cls: type) -> set[str]:
    names: set[str] = set()
    for klass in cls.__mro__:
        if klass is object:
            continue
        names.update(n for n in vars(klass) if n.startswith("_") and not n.startswith("__"))
        names.update(n for n in getattr(klass, "__slots__", ()) if n.startswith("_"))
    return names


def test_tools_use_public_names_only() -> None:
    private = (_private_names(Room) | _private_names(Client)) - {"_check"}
    # names that other libraries' objects have too (livekit.rtc's Room), read on those objects
    private -= {"_info", "_connection_state"}
    offenders: list[str] = []
    sources = [*ROOT.rglob("*.py"), *(REPO / "benchmarks").rglob("*.py")]
    for path in sources:
        name = _module_name(path)
        if name in CORE or name in FACADE:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (
                isinstance(node, ast.Attribute)
                and node.attr in private
                and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))
            ):
                offenders.append(f"{path.relative_to(REPO)}:{node.lineno} .{node.attr}")
    assert not offenders, "tools read private attributes of Room/Client:\n" + "\n".join(offenders)


def _is_core(module: str) -> bool:
    return module in CORE or any(module == p or module.startswith(p + ".") for p in CORE_PACKAGES)


def test_every_module_has_a_layer() -> None:
    unplaced = sorted(
        m for m in _modules() if not (_is_core(m) or m in FACADE or m in GLUE or _is_tool(m))
    )
    assert not unplaced, (
        f"modules with no layer: {unplaced}; add each to CORE, CORE_PACKAGES, FACADE, GLUE or "
        "TOOLS_PREFIXES in tests/unit/test_layers.py (and to the file map in docs/design.md)"
    )


#: standard modules that do I/O, keep time, draw randomness or run concurrently
IO_MODULES = {"asyncio", "threading", "socket", "time", "random", "secrets", "subprocess"}
IO_MODULES |= {"datetime", "concurrent", "multiprocessing", "selectors", "urllib", "http"}


def _stdlib_imports(tree: ast.Module) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


def test_the_core_is_sans_io() -> None:
    offenders = {
        name: sorted(_stdlib_imports(tree) & IO_MODULES)
        for name, tree in _modules().items()
        if _is_core(name)
    }
    offenders = {k: v for k, v in offenders.items() if v}
    assert not offenders, f"core modules doing I/O, time, randomness or threads: {offenders}"
    # the facade may ask which thread is calling (a room belongs to one thread), nothing more
    for name in sorted(FACADE):
        extra = _stdlib_imports(_modules()[name]) & IO_MODULES - {"threading"}
        assert not extra, f"{name} imports {sorted(extra)}"


def test_room_is_thin_and_no_module_is_huge() -> None:
    sizes = {p: len(p.read_text().splitlines()) for p in ROOT.rglob("*.py")}
    assert sizes[ROOT / "room.py"] <= 500, f"room.py has {sizes[ROOT / 'room.py']} lines"
    huge = {str(p.relative_to(REPO)): n for p, n in sizes.items() if n > 700}
    assert not huge, f"modules over 700 lines (split them): {huge}"
