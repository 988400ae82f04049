#!/usr/bin/env python3
"""Fails when the public surface of a library module breaks one of its rules.

    python3 Scripts/check-public-api.py [MODULE ...]      # default: EmbedRec EmbedRecTestSupport

Runs `swift package dump-symbol-graph` (public symbols only, the default), then reads each
module's symbol graph (and its extension graphs, MODULE@Other.symbols.json) and lists every
public or open symbol that
- names an `Unsafe…` type in its declaration: the kernels beneath the public surface (pointer
  batches, gradient slots, arenas, BLAS) stay internal;
- carries a retired name: the two preset types the one `Recipe` replaced, `ModelError`, the
  rating-only `trainingMSE`;
- belongs to fuzzing (`Fuzz…`, the reference parser), which lives in `_EmbedRecFuzzing`;
- calls a ranking model's output a rating: `Recommendation.predictedRating` is optional (nil
  for a ranking model) and `TopKResult` has no `predictedRating`.
It also checks that EmbedRec's public error types are exactly one per concern (ERROR_TYPES).
Python 3 stdlib only.
"""
import glob
import json
import os
import subprocess
import sys


RETIRED_NAMES = ("ModelPreset", "RankingPreset", "ModelError", "trainingMSE", "FileRefusal")
FUZZING_NAMES = ("Fuzz", "ReferenceRatingsParser")
# One error type per concern: settings, data, a ratings file's content, a request, training,
# file access, the safetensors format, a recommender file's content, linear algebra.
ERROR_TYPES = {"ConfigurationError", "DatasetError", "RatingsFileError", "RecommenderError", "TrainingError",
               "FileError", "SafeTensorsError", "RecommenderFileError", "LinearAlgebraError"}


def rule_violations(module, symbol, name, declaration):
    """The rules above other than the Unsafe one, for one public symbol."""
    found = []
    for retired in RETIRED_NAMES:
        if retired in name.split("."):
            found.append(f"{module}: {name}: retired name {retired}")
    if module == "EmbedRec" and any(part.startswith(FUZZING_NAMES) for part in name.split(".")):
        found.append(f"{module}: {name}: fuzzing symbol in the product module")
    if name == "Recommendation.predictedRating" and "Float?" not in declaration:
        found.append(f"{module}: {name}: must be optional (ranking models predict no rating): {declaration}")
    if name.startswith("TopKResult.predictedRating"):
        found.append(f"{module}: {name}: a ranking model's output is a score, not a rating")
    return found


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
                name = ".".join(symbol.get("pathComponents", [])) or symbol["identifier"]["precise"]
                # A standard-library default a conformance brings in (Collection's
                # withContiguousStorageIfAvailable on RawIDs) is not EmbedRec's own surface.
                synthesized = "::SYNTHESIZED::" in symbol["identifier"]["precise"] and symbol["identifier"]["precise"].startswith("s:S")
                if "Unsafe" in declaration and not synthesized:
                    bad.append(f"{module}: {name}: {declaration}")
                bad += rule_violations(module, symbol, name, declaration)
            if module == "EmbedRec" and path == files[0]:
                bad += error_type_violations(graph)
    for line in bad:
        print(line)
    print(f"check-public-api: {checked} public symbols in {', '.join(modules)}; {len(bad)} break a rule")
    return 1 if bad else 0


def error_type_violations(graph):
    """Public EmbedRec types that conform to Error, against ERROR_TYPES."""
    names = {s["identifier"]["precise"]: ".".join(s.get("pathComponents", [])) for s in graph["symbols"]
             if s.get("accessLevel") in ("public", "open")}
    errors = {names[r["source"]] for r in graph.get("relationships", [])
              if r.get("kind") == "conformsTo" and r.get("target") == "s:s5ErrorP" and r["source"] in names}
    found = [f"EmbedRec: {e}: a public error type outside the one-per-concern set" for e in sorted(errors - ERROR_TYPES)]
    found += [f"EmbedRec: {e}: expected public error type is missing" for e in sorted(ERROR_TYPES - errors)]
    return found


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
