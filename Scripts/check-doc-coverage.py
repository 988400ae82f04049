#!/usr/bin/env python3
"""Fails when a public symbol declared in a module's sources has no documentation summary.

    python3 Scripts/check-doc-coverage.py [SYMBOL-GRAPH.json ...]

Reads the symbol graph that `swift package generate-documentation` extracted (default: every
.build/*/extracted-symbols/*/EmbedRec/EmbedRec*.symbols.json) and lists each public or open
symbol with a source location in this package that has no `///` comment of its own, or whose
comment starts with a `- Parameter`/`- Throws` field instead of a one-line summary (DocC then
shows no abstract). Symbols the compiler synthesises or inherits from the standard library
(`!=`, `hashValue`, `init(from:)`, …) carry no location here and are not counted. Python 3
stdlib only.
"""
import glob
import json
import sys


def main(argv):
    paths = argv or sorted(glob.glob(".build/*/extracted-symbols/*/EmbedRec/EmbedRec*.symbols.json"))
    if not paths:
        print("check-doc-coverage: no symbol graph; run `swift package generate-documentation --target EmbedRec` first",
              file=sys.stderr)
        return 2
    total, missing = 0, []
    for path in paths:
        graph = json.load(open(path, encoding="utf-8"))
        for symbol in graph["symbols"]:
            location = symbol.get("location")
            if not location or symbol.get("accessLevel") not in ("public", "open"):
                continue
            total += 1
            comment = symbol.get("docComment")
            own = comment and comment.get("module") in (None, graph["module"]["name"])
            lines = [line["text"].strip() for line in (comment or {}).get("lines", []) if line["text"].strip()]
            if not own or not lines or lines[0].startswith("- "):
                where = location["uri"].split("/Sources/")[-1]
                missing.append(f"Sources/{where}:{location['position']['line'] + 1}: "
                               f"{'.'.join(symbol['pathComponents'])} has no summary line")
    for line in missing:
        print(line, file=sys.stderr)
    print(f"check-doc-coverage: {total - len(missing)} of {total} public symbols declared in the sources documented")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
