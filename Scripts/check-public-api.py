#!/usr/bin/env python3
"""Fails when a public declaration of a library module mentions an Unsafe type.

    python3 Scripts/check-public-api.py [MODULE ...]      # default: EmbedRec EmbedRecTestSupport

Runs `swift package dump-symbol-graph` (public symbols only, the default), then reads each
module's symbol graph (and its extension graphs, MODULE@Other.symbols.json) and lists every
public or open symbol whose declaration names an `Unsafe…` type. The kernels beneath the public
surface (pointer batches, gradient slots, arenas, BLAS) must stay internal. Python 3 stdlib only.
"""
import glob
import json
import os
import subprocess
import sys


def main(argv):
    modules = argv or ["EmbedRec", "EmbedRecTestSupport"]
    result = subprocess.run(["swift", "package", "dump-symbol-graph"], capture_output=True, text=True)
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        print("check-public-api: swift package dump-symbol-graph failed", file=sys.stderr)
        return 2
    folders = glob.glob(".build/*/symbolgraph")
    if not folders:
        print("check-public-api: no .build/*/symbolgraph folder after the dump", file=sys.stderr)
        return 2
    folder = folders[0]
    bad, checked = [], 0
    for module in modules:
        files = [os.path.join(folder, f"{module}.symbols.json")] + glob.glob(os.path.join(folder, f"{module}@*.symbols.json"))
        if not os.path.exists(files[0]):
            print(f"check-public-api: no symbol graph for {module} in {folder}", file=sys.stderr)
            return 2
        for path in files:
            with open(path, encoding="utf-8") as f:
                graph = json.load(f)
            for symbol in graph["symbols"]:
                if symbol.get("accessLevel") not in ("public", "open"):
                    continue
                checked += 1
                declaration = "".join(fragment.get("spelling", "") for fragment in symbol.get("declarationFragments", []))
                if "Unsafe" in declaration:
                    name = ".".join(symbol.get("pathComponents", [])) or symbol["identifier"]["precise"]
                    bad.append(f"{module}: {name}: {declaration}")
    for line in bad:
        print(line)
    print(f"check-public-api: {checked} public symbols in {', '.join(modules)}; {len(bad)} mention an Unsafe type")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
