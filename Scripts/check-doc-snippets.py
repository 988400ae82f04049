#!/usr/bin/env python3
"""Fails when a ```swift block of the DocC articles is not, verbatim, code of the snippet tests.

    python3 Scripts/check-doc-snippets.py

Every ```swift block in Sources/EmbedRec/EmbedRec.docc/*.md, Docs/Datasets.md and README.md must appear as consecutive lines of
a file in Tests/DocumentationSnippetTests (at any one indentation), where `swift test` compiles
it against the public API and, unless it reads the reader's own files, runs it. So an article's
code cannot drift from the library: a renamed method breaks the snippet test's build, and an
edit to the article alone fails this check. A block whose first line is `// Package.swift`
is a package-manifest excerpt, not library code, and is skipped; a block's leading `import`
lines are matched by the test file's own imports. Python 3 stdlib only.
"""
import glob
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CATALOG = os.path.join(ROOT, "Sources", "EmbedRec", "EmbedRec.docc")
SNIPPETS = os.path.join(ROOT, "Tests", "DocumentationSnippetTests")
# Documents outside the catalog whose code is checked the same way.
EXTRA = [os.path.join(ROOT, "Docs", "Datasets.md"), os.path.join(ROOT, "README.md")]
FENCE = re.compile(r"^(\s*)```+\s*swift\b")


def swift_blocks(path):
    """(first line number, lines) of each ```swift block of a Markdown file."""
    blocks, lines = [], open(path, encoding="utf-8").read().split("\n")
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if m:
            indent, start, body = len(m.group(1)), i + 2, []
            i += 1
            while i < len(lines) and not lines[i].strip().startswith("```"):
                body.append(lines[i][indent:] if lines[i][:indent].strip() == "" else lines[i])
                i += 1
            blocks.append((start, body))
        i += 1
    return blocks


def contains(file_lines, block):
    """True when `block` occurs in `file_lines` as consecutive lines under one common indent."""
    while block and block[-1].strip() == "":
        block = block[:-1]
    if not block:
        return True
    first = block[0]
    for i, line in enumerate(file_lines):
        if not line.endswith(first) or line[: len(line) - len(first)].strip() != "":
            continue
        indent = line[: len(line) - len(first)]
        if i + len(block) > len(file_lines):
            continue
        if all((b.strip() == "" and f.strip() == "") or f == indent + b
               for b, f in zip(block, file_lines[i:i + len(block)])):
            return True
    return False


def main():
    articles = sorted(glob.glob(os.path.join(CATALOG, "*.md"))) + [p for p in EXTRA if os.path.exists(p)]
    sources = {p: open(p, encoding="utf-8").read().split("\n")
               for p in sorted(glob.glob(os.path.join(SNIPPETS, "*.swift")))}
    if not articles or not sources:
        print(f"check-doc-snippets: no articles in {CATALOG} or no snippet tests in {SNIPPETS}", file=sys.stderr)
        return 2
    checked, skipped, missing = 0, 0, []
    for article in articles:
        for line, block in swift_blocks(article):
            if block and block[0].startswith("// Package.swift"):
                skipped += 1
                continue
            checked += 1
            # A block's leading imports stand at the top of the snippet test file instead.
            while block and (block[0].startswith("import ") or (block[0].strip() == "" and len(block) > 1)):
                block = block[1:]
            if not any(contains(lines, block) for lines in sources.values()):
                missing.append((os.path.relpath(article, ROOT), line, block))
    for article, line, block in missing:
        print(f"{article}:{line}: this ```swift block is not verbatim in Tests/DocumentationSnippetTests:",
              file=sys.stderr)
        for text in block[:6]:
            print(f"    {text}", file=sys.stderr)
        if len(block) > 6:
            print("    …", file=sys.stderr)
    print(f"check-doc-snippets: {checked} swift blocks in {len(articles)} articles, "
          f"{checked - len(missing)} found in the snippet tests, {len(missing)} missing"
          f" ({skipped} manifest excerpts skipped)")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
