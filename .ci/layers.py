#!/usr/bin/env python3
"""The crate's module graph: no cycle between top-level modules, and the layers hold.

Layers, bottom to top (a module may use its own layer and those below, never those above):
  base:   b64, quoted, clock, wire
  shared: keys (without keys/signing.rs, keys/pkcs8.rs), provider
  vendor: verify, replay, keys/cache.rs
  portal: config, menu, render, viewer, issue, html, keys/signing.rs, keys/pkcs8.rs
and vendor and portal never use each other. Unit tests (`#[cfg(test)] mod tests` and
src/keys/tests.rs) may use anything. Reads `crate::<module>` paths in src/ (not src/bin).
"""
import pathlib
import re
import sys

SRC = pathlib.Path(__file__).resolve().parent.parent / "src"
LAYER = {
    "b64": "base", "quoted": "base", "clock": "base", "wire": "base",
    "keys": "shared", "provider": "shared",
    "verify": "vendor", "replay": "vendor", "keys/cache": "vendor",
    "config": "portal", "menu": "portal", "render": "portal", "viewer": "portal",
    "issue": "portal", "html": "portal", "keys/signing": "portal", "keys/pkcs8": "portal",
}
ALLOWED = {
    "base": {"base"},
    "shared": {"base", "shared"},
    "vendor": {"base", "shared", "vendor"},
    "portal": {"base", "shared", "portal"},
}


def unit_of(path: pathlib.Path) -> str:
    rel = path.relative_to(SRC).with_suffix("").as_posix()
    for key in sorted(LAYER, key=len, reverse=True):
        if rel == key or rel.startswith(key + "/"):
            return key
    return rel


def top(unit: str) -> str:
    return unit.split("/")[0]


def without_tests(text: str) -> str:
    # Drop `#[cfg(test)] mod tests { ... }` blocks (they sit at the end of a file).
    match = re.search(r"#\[cfg\(test\)\]\s*mod tests\s*\{", text)
    return text[: match.start()] if match else text


def main() -> int:
    problems = []
    graph: dict[str, set[str]] = {}
    for path in sorted(SRC.rglob("*.rs")):
        rel = path.relative_to(SRC).as_posix()
        if rel.startswith("bin/") or rel in ("lib.rs", "keys/tests.rs"):
            continue
        unit = unit_of(path)
        # Comments (doc links included) name modules without using them.
        text = re.sub(r"//.*", "", without_tests(path.read_text()))
        used = set(re.findall(r"\bcrate::([a-z_0-9]+)", text))
        # `super::x` from a submodule of keys names keys' own children.
        if top(unit) == "keys":
            used |= {"keys/" + m for m in re.findall(r"\bsuper::(cache|signing|pkcs8)\b", text)}
        for target in used:
            if target not in LAYER:
                continue
            if top(target) != top(unit):
                graph.setdefault(top(unit), set()).add(top(target))
            mine, theirs = LAYER.get(unit, "?"), LAYER[target]
            if theirs not in ALLOWED.get(mine, set()):
                problems.append(f"{rel} ({mine}) uses crate::{target} ({theirs})")

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
