#!/usr/bin/env python3
"""The crate's module graph: no cycle between top-level modules, and the layers hold.

Layers, bottom to top (a module may use its own layer and those below, never those above):
  base:   b64, quoted, clock, wire
  shared: keys (without keys/signing.rs, keys/pkcs8.rs), provider
  vendor: verify, replay, keys/cache.rs, keys/source.rs, data_client, http (the vendor's HTTP
          transport), session, registry (many portals), axum (the extractors)
  portal: config, menu, render, viewer, issue, html, keys/signing.rs, keys/pkcs8.rs
  service: data_endpoint (the portal's client-data endpoint, built on both sides)
and vendor and portal never use each other. Unit tests (`#[cfg(test)] mod tests`, the
files `tests.rs` and `tests/` that such a declaration names, and test-only modules of lib.rs such
as `error_codes.rs`) may use anything. Reads `crate::<module>` paths in src/ (not src/bin).
"""
import pathlib
import re
import sys

SRC = pathlib.Path(__file__).resolve().parent.parent / "src"
LAYER = {
    "b64": "base", "quoted": "base", "clock": "base", "wire": "base",
    "keys": "shared", "provider": "shared",
    "verify": "vendor", "replay": "vendor", "keys/cache": "vendor", "keys/source": "vendor",
    "data_client": "vendor", "http": "vendor", "session": "vendor", "registry": "vendor",
    "axum": "vendor",
    "config": "portal", "menu": "portal", "render": "portal", "viewer": "portal",
    "issue": "portal", "html": "portal", "keys/signing": "portal", "keys/pkcs8": "portal",
    "data_endpoint": "service",
}
ALLOWED = {
    "base": {"base"},
    "shared": {"base", "shared"},
    "vendor": {"base", "shared", "vendor"},
    "portal": {"base", "shared", "portal"},
    "service": {"base", "shared", "vendor", "portal", "service"},
}


def is_unit_test_file(rel: str) -> bool:
    """`x/tests.rs` or a file under `x/tests/`, declared by `#[cfg(test)] mod tests;` in x."""
    parts = rel.split("/")
    if len(parts) == 1 and parts[0].endswith(".rs"):
        # A test-only module of the crate root, e.g. `#[cfg(test)] mod error_codes;` in lib.rs.
        name = re.escape(parts[0][:-3])
        return re.search(r"#\[cfg\(test\)\]\s*mod " + name + ";", (SRC / "lib.rs").read_text()) is not None
    if parts[-1] == "tests.rs":
        parent = parts[:-1]
    elif "tests" in parts[:-1]:
        parent = parts[: parts.index("tests")]
    else:
        return False
    owner = SRC.joinpath(*parent, "mod.rs") if parent else SRC / "lib.rs"
    return owner.exists() and re.search(r"#\[cfg\(test\)\]\s*mod tests;", owner.read_text()) is not None


def unit_of(path: pathlib.Path) -> str:
    rel = path.relative_to(SRC).with_suffix("").as_posix()
    for key in sorted(LAYER, key=len, reverse=True):
        if rel == key or rel.startswith(key + "/"):
            return key
    return rel


def top(unit: str) -> str:
    return unit.split("/")[0]


def without_tests(text: str) -> str:
    # Drop `#[cfg(test)] mod NAME { ... }` blocks, up to their matching brace (unit tests may use
    # anything); code after them is still read.
    while match := re.search(r"#\[cfg\(test\)\]\s*mod [a-z_]+\s*\{", text):
        depth, end = 0, len(text)
        for i in range(match.end() - 1, len(text)):
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            if depth == 0:
                end = i + 1
                break
        text = text[: match.start()] + text[end:]
    return text


def strip_comments(text: str) -> str:
    # Comments (doc links included) name modules without using them.
    return re.sub(r"//.*", "", text)


def root_reexports() -> dict[str, str]:
    """Names lib.rs re-exports at the crate root, mapped to the module (unit) they come from."""
    text = strip_comments((SRC / "lib.rs").read_text())
    names: dict[str, str] = {}
    for path, group in re.findall(r"pub use ([a-z_:]+)::\{([^}]*)\}", text):
        for name in re.findall(r"[A-Za-z_][A-Za-z_0-9]*", group):
            names[name] = module_unit(path)
    for path, name in re.findall(r"pub use ([a-z_:]+)::([A-Za-z_][A-Za-z_0-9]*);", text):
        names[name] = module_unit(path)
    return names


def module_unit(path: str) -> str:
    """`keys::cache` -> `keys/cache` when that is a unit of its own, else the top module."""
    parts = path.split("::")
    joined = "/".join(parts[:2])
    return joined if joined in LAYER else parts[0]


def used_paths(text: str, top_level_file: bool) -> set[str]:
    """Every `crate::…` path the text uses, with `use crate::{a::b, c}` trees expanded and, in a
    top-level file, `super::` read as `crate::`."""
    if top_level_file:
        text = re.sub(r"\bsuper::", "crate::", text)
    paths = set(re.findall(r"\bcrate::([A-Za-z_][A-Za-z_0-9]*(?:::[A-Za-z_][A-Za-z_0-9]*)?)", text))
    for tree in re.findall(r"\bcrate::\{([^;]*)\}", text):
        for item in re.split(r"[,{}]", tree):
            item = item.strip()
            if item:
                paths.add(item.split(" as ")[0].strip())
    return paths


def targets_of(path: str, reexports: dict[str, str]) -> set[str]:
    head = path.split("::")[0]
    if head in reexports:
        return {reexports[head]}
    unit = module_unit(path)
    return {unit} if top(unit) in {top(k) for k in LAYER} else set()


def main() -> int:
    problems = []
    graph: dict[str, set[str]] = {}
    reexports = root_reexports()
    for path in sorted(SRC.rglob("*.rs")):
        rel = path.relative_to(SRC).as_posix()
        if rel.startswith("bin/") or rel == "lib.rs" or is_unit_test_file(rel):
            continue
        unit = unit_of(path)
        text = strip_comments(without_tests(path.read_text()))
        used: set[str] = set()
        for used_path in used_paths(text, top_level_file="/" not in rel):
            used |= targets_of(used_path, reexports)
        # `super::x` from a submodule of keys names keys' own children.
        if top(unit) == "keys":
            used |= {"keys/" + m for m in re.findall(r"\bsuper::(cache|source|signing|pkcs8)\b", text)}
        for target in used:
            if target not in LAYER and top(target) not in LAYER:
                continue
            if top(target) != top(unit):
                graph.setdefault(top(unit), set()).add(top(target))
            mine = LAYER.get(unit, "?")
            theirs = LAYER.get(target, LAYER.get(top(target), "?"))
            if theirs not in ALLOWED.get(mine, set()):
                problems.append(f"{rel} ({mine}) uses {target} ({theirs})")

    # Cycles between top-level modules (depth-first search).
    state: dict[str, int] = {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                problems.append("cycle: " + " -> ".join(stack[stack.index(nxt):] + [nxt]))
            elif nxt not in state:
                visit(nxt, stack + [nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])

    for line in problems:
        print("layers:", line, file=sys.stderr)
    if not problems:
        edges = ", ".join(f"{a} -> {'/'.join(sorted(b))}" for a, b in sorted(graph.items()))
        print(f"layers: no cycle, every use goes down or sideways ({edges})")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
