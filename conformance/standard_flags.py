#!/usr/bin/env python3
"""Checks the `standard` flag of every invalid vector against what the libraries did alone.

    python3 standard_flags.py ../vectors/launch-tokens.json pyjwt-alone.json jose-alone.json \
        [--readme ../vectors/README.md]

verify_vectors.py and verify_vectors.mjs write, with `--library-alone`, whether PyJWT and jose
alone (configured as PROTOCOL.md §6 says) refused each invalid vector, those of
`per_plugin_algorithm` included (with that section's key set and plugin). A vector is `standard`
exactly when both refused it. The script prints the table of vectors that one library or both
accept; with `--readme` it also fails when the table in vectors/README.md is another one.
"""

import argparse
import json
import sys

BEGIN = "<!-- standard-libraries-table: begin -->"
END = "<!-- standard-libraries-table: end -->"


def cell(reason):
    return "refused" if reason is not None else "**accepted**"


def table(vectors, alone):
    """Markdown rows for the vectors one library or both accept, grouped by §6 check and
    result, in the order of the file."""
    groups = {}
    for v in vectors["invalid"] + vectors["per_plugin_algorithm"]["invalid"]:
        results = tuple(cell(library["refused"][v["name"]]) for library in alone)
        if v["standard"]:
            continue
        groups.setdefault((v["check"], results), []).append(v["name"])
    names = [library["library"].split()[0] for library in alone]
    lines = [
        f"| §6 check | vector | {names[0]} alone | {names[1]} alone |",
        "|---|---|---|---|",
    ]
    for (check, results), group in sorted(groups.items(), key=lambda item: item[0][0]):
        vectors_cell = ", ".join(f"`{name}`" for name in group)
        lines.append(f"| {check} | {vectors_cell} | {results[0]} | {results[1]} |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("vectors")
    parser.add_argument("alone", nargs=2, help="the --library-alone files of both scripts")
    parser.add_argument("--readme", help="vectors/README.md, whose table must match")
    args = parser.parse_args()
    with open(args.vectors, encoding="utf-8") as f:
        vectors = json.load(f)
    alone = []
    for path in args.alone:
        with open(path, encoding="utf-8") as f:
            alone.append(json.load(f))

    failures = []
    every = vectors["invalid"] + vectors["per_plugin_algorithm"]["invalid"]
    for v in every:
        reasons = [library["refused"].get(v["name"], "missing") for library in alone]
        if "missing" in reasons:
            failures.append(f"{v['name']}: not measured by every library")
            continue
        refused_by_all = all(reason is not None for reason in reasons)
        if v["standard"] != refused_by_all:
            measured = ", ".join(
                f"{library['library']} {cell(reason)}" for library, reason in zip(alone, reasons)
            )
            failures.append(f"{v['name']}: standard is {v['standard']}, but {measured}")

    rows = table(vectors, alone)
    print(f"Measured with {' and '.join(library['library'] for library in alone)}:\n")
    print(rows)
    if args.readme:
        with open(args.readme, encoding="utf-8") as f:
            readme = f.read()
        if BEGIN not in readme or END not in readme:
            failures.append(f"{args.readme}: no {BEGIN} ... {END} block")
        else:
            current = readme.split(BEGIN, 1)[1].split(END, 1)[0].strip()
            if current != rows:
                failures.append(f"{args.readme}: the table is not the measured one printed above")

    for message in failures:
        print(f"FAIL {message}")
    passed = len(every) - len(failures)
    print(f"standard flags: {passed} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
