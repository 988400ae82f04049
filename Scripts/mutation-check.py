#!/usr/bin/env python3
"""Mutation check: shows that the test suite notices when core behaviour breaks.

Each entry of MUTATIONS names one deliberate bug: a source file, an exact snippet of its
current code, the snippet that replaces it, and the tests that must notice. For each selected
mutation the script

  1. checks that the snippet occurs exactly once in the file (and stops with a clear message
     if not: the code moved, so the table needs updating),
  2. writes the mutated file,
  3. runs `swift build --build-tests` (debug),
  4. runs `swift test --skip-build --filter <filter>` (with the entry's extra environment),
  5. restores the original file byte for byte (always: try/finally, SIGINT/SIGTERM/SIGHUP
     handlers, and a backup under .build/mutation-check/ that the next run restores if the
     script was killed outright),

and records KILLED (the tests failed, as they should), SURVIVED (the tests passed: a gap),
BUILD-FAILED (the mutant did not compile, so it proves nothing) or TIMEOUT. Before the
mutants it builds the unmutated tree and runs every selected filter once (with each entry's
environment), so a failure that is already there cannot pass for a kill, and a filter that
matches no test is an error. A mutation of the C shim's header also touches the Swift files
that import COpenBLAS (SwiftPM does not see header changes). At the end it rebuilds the
restored tree, so a later `swift test --skip-build` runs the real code.

Exit status: 0 when every mutation was killed; 1 when any survived, failed to build or timed
out; 2 when the table cannot be applied (a snippet not found exactly once, an unknown name)
or the unmutated tree fails; 130 when interrupted (the source is restored all the same).

Usage (from the repository root):
    python3 Scripts/mutation-check.py --list          # the table
    python3 Scripts/mutation-check.py                 # every mutation
    python3 Scripts/mutation-check.py NAME [NAME ...] # some of them
Options:
    --full-suite     run the whole test suite for each mutant instead of its filter
    --no-baseline    skip the unmutated baseline run
    --timeout SECS   per test run (default 900)
    --markdown       also print the summary as a Markdown table

Python 3 standard library only. Logs of every build and test run are kept in
.build/mutation-check/. See Docs/MutationCheck.md.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import platform
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATE_DIR = ROOT / ".build" / "mutation-check"
BACKUP_FILE = STATE_DIR / "backup.json"


@dataclass(frozen=True)
class Mutation:
    name: str
    file: str
    original: str
    replacement: str
    # A `swift test --filter` regular expression (matched against EmbedRecTests.<Type>/<test>).
    filter: str
    description: str
    env: dict = field(default_factory=dict)
    # The package the file belongs to, relative to the root: "." (EmbedRec) or
    # "Examples/BookServer" (built and tested on its own).
    package: str = "."


NO_AVX2 = {"EMBEDREC_DISABLE_AVX2": "1"}

# The portable top-K scan in the C shim, and a broken one that looks at the first 8 scores of
# each 16-score group only (the AVX2 scan, embedrec_skip_not_above_avx2, is left alone).
PORTABLE_SCAN = (
    "static inline long embedrec_skip_not_above(const float *v, long n, float t) {\n"
    "    EMBEDREC_SKIP_NOT_ABOVE_BODY\n"
    "}"
)
PORTABLE_SCAN_HALF_GROUPS = (
    "static inline long embedrec_skip_not_above(const float *v, long n, float t) {\n"
    "    long i = 0;\n"
    "    for (; i + 16 <= n; i += 16) {\n"
    "        embedrec_float8 a;\n"
    "        __builtin_memcpy(&a, v + i, sizeof a);\n"
    "        if (__builtin_reduce_or((embedrec_int8)(a > t))) return i;\n"
    "    }\n"
    "    return i;\n"
    "}"
)
# The first moment in the 4-wide part of VectorKernels.adamPortable, and one without the L2 term.
ADAM_ROW_MOMENT = "let mk = vb1 * load(m + k) + vc1 * gk"
ADAM_ROW_MOMENT_NO_L2 = "let mk = vb1 * load(m + k) + vc1 * load(g + k)"

MUTATIONS: list[Mutation] = [
    Mutation(
        name="adam-bias-correction",
        file="Sources/EmbedRec/Training/Optimizer.swift",
        original="let alpha = lr * (1 - Float.pow(b2, t)).squareRoot() / (1 - Float.pow(b1, t))",
        replacement="let alpha = lr; _ = t",
        filter="AdamFirstStepsTests",
        description="Adam without bias correction (alpha = lr)",
    ),
    Mutation(
        name="holdout-clamp",
        file="Sources/EmbedRec/Splits/DatasetSplits.swift",
        original="let holdCount = min(n - 1, max(1, Int((Double(n) * fraction).rounded())))",
        replacement="let holdCount = max(1, Int((Double(n) * fraction).rounded()))",
        filter="HoldoutClampTests",
        description="per-user holdout may take a user's last training rating",
    ),
    Mutation(
        name="bias-l2-optimizer",
        file="Sources/EmbedRec/Training/Optimizer.swift",
        original="case .biasTable: l2 = biasL2",
        replacement="case .biasTable: l2 = 0",
        filter="BiasL2Tests",
        description="optimizer ignores biasL2 for bias tables",
    ),
    Mutation(
        name="bias-l2-trainer",
        file="Sources/EmbedRec/Training/Trainer.swift",
        original="biasL2: config.biasL2)",
        replacement="biasL2: 0)",
        filter="BiasL2Tests",
        description="Trainer does not pass TrainingConfiguration.biasL2 on",
    ),
    Mutation(
        name="portable-topk-scan",
        file="Sources/COpenBLAS/shim.h",
        original=PORTABLE_SCAN,
        replacement=PORTABLE_SCAN_HALF_GROUPS,
        filter="PortableKernelTests",
        description="portable (non-AVX2) top-K scan misses groups whose hits are all in lanes 8-15",
    ),
    Mutation(
        name="portable-topk-scan-noavx2",
        file="Sources/COpenBLAS/shim.h",
        original=PORTABLE_SCAN,
        replacement=PORTABLE_SCAN_HALF_GROUPS,
        filter="RecommendingTopKTests",
        env=NO_AVX2,
        description="the same, caught by the existing top-K tests with EMBEDREC_DISABLE_AVX2=1",
    ),
    Mutation(
        name="portable-adam-row",
        file="Sources/EmbedRec/Training/VectorKernels.swift",
        original=ADAM_ROW_MOMENT,
        replacement=ADAM_ROW_MOMENT_NO_L2,
        filter="PortableKernelTests",
        description="portable Adam row kernel leaves L2 out of the first moment (4-wide part)",
    ),
    Mutation(
        name="portable-adam-row-noavx2",
        file="Sources/EmbedRec/Training/VectorKernels.swift",
        original=ADAM_ROW_MOMENT,
        replacement=ADAM_ROW_MOMENT_NO_L2,
        filter="AdamFirstStepsTests|AdamCatchUpTests|OptimizerTests",
        env=NO_AVX2,
        description="the same, caught through OptimizerState with EMBEDREC_DISABLE_AVX2=1",
    ),
    Mutation(
        name="portable-adam-catch-up",
        file="Sources/EmbedRec/Training/VectorKernels.swift",
        original="let b1d = b1 * decay1, c1 = 1 - b1, b2d = b2 * decay2",
        replacement="let b1d = b1, c1 = 1 - b1, b2d = b2 * decay2",
        filter="PortableKernelTests",
        description="portable catch-up kernel forgets the skipped steps' decay of m",
    ),
    Mutation(
        name="ndcg-discount",
        file="Sources/EmbedRec/Evaluation/RankingMetrics.swift",
        original="    dcg += 1 / Double.log2(Double(rank) + 2)",
        replacement="    dcg += 1 / (Double(rank) + 1)",
        filter="RankingKnownAnswerTests",
        description="NDCG gain discounted by 1/rank instead of 1/log2(rank + 1)",
    ),
    Mutation(
        name="ndcg-discount-log",
        file="Sources/EmbedRec/Evaluation/RankingMetrics.swift",
        original="    dcg += 1 / Double.log2(Double(rank) + 2)",
        replacement="    dcg += 1 / Double.log2(Double(rank) + 3)",
        filter="RankingKnownAnswerTests",
        description="NDCG discount off by one rank: 1/log2(rank + 2)",
    ),
    Mutation(
        name="idcg-cutoff",
        file="Sources/EmbedRec/Evaluation/RankingMetrics.swift",
        original="for rank in 0..<ideal { idcg",
        replacement="for rank in 0..<rel.count { idcg",
        filter="RankingKnownAnswerTests",
        description="ideal DCG summed over all relevant items, not min(|R|, K)",
    ),
    Mutation(
        name="seen-exclusion-scorer",
        file="Sources/EmbedRec/Recommending/TopKScorer.swift",
        original="let seen = options.excludeRated ? self.seen : nil",
        replacement="let seen: UserItemIndex? = nil",
        filter="SeenItemExclusionTests",
        description="TopKScorer returns items the user rated in training",
    ),
    Mutation(
        name="seen-exclusion-metrics",
        file="Sources/EmbedRec/Evaluation/RankingMetrics.swift",
        original="let scorer = try TopKScorer(model: model, training: train, parallelism: parallelism)",
        replacement="let scorer = try TopKScorer(model: model, parallelism: parallelism)",
        filter="SeenItemExclusionTests",
        description="RankingMetrics(model:train:test:) does not exclude training items",
    ),
    Mutation(
        name="split-count",
        file="Sources/EmbedRec/Splits/DatasetSplits.swift",
        original="let testCount = Int((Double(count) * testFraction).rounded())",
        replacement="let testCount = Int((Double(count) * testFraction).rounded(.towardZero))",
        filter="SplitCountTests",
        description="random split rounds the test count down",
    ),
    Mutation(
        name="split-count-even",
        file="Sources/EmbedRec/Splits/DatasetSplits.swift",
        original="let testCount = Int((Double(count) * testFraction).rounded())",
        replacement="let testCount = Int((Double(count) * testFraction).rounded(.toNearestOrEven))",
        filter="SplitCountTests",
        description="random split rounds halves to even (2.5 → 2)",
    ),
    Mutation(
        name="gradient-sign-item-bias",
        file="Sources/EmbedRec/Models/DotProductFamily.swift",
        original="gbi.row(i).pointee += g",
        replacement="gbi.row(i).pointee -= g",
        filter="ModelConformanceTests/gradientsMatchFiniteDifferences",
        description="BiasedMF item-bias gradient sign flipped",
    ),
    Mutation(
        name="gradient-sign-item-embedding",
        file="Sources/EmbedRec/Models/DotProductFamily.swift",
        original="VectorKernels.axpy(g, p + Int(u) * d, gq.row(i), d)",
        replacement="VectorKernels.axpy(-g, p + Int(u) * d, gq.row(i), d)",
        filter="ModelConformanceTests/gradientsMatchFiniteDifferences",
        description="MF/BiasedMF item-embedding gradient sign flipped",
    ),
    Mutation(
        name="adam-catch-up-count",
        file="Sources/EmbedRec/Training/Optimizer.swift",
        original="let skipped = previous == 0 ? 0 : max(0, step - previous - 1)",
        replacement="let skipped = previous == 0 ? 0 : max(0, step - previous)",
        filter="AdamCatchUpTests",
        description="deferred Adam catches up one skipped step too many",
    ),
    Mutation(
        name="adam-catch-up-count-short",
        file="Sources/EmbedRec/Training/Optimizer.swift",
        original="let skipped = previous == 0 ? 0 : max(0, step - previous - 1)",
        replacement="let skipped = previous == 0 ? 0 : max(0, step - previous - 2)",
        filter="AdamCatchUpTests",
        description="deferred Adam catches up one skipped step too few",
    ),
    Mutation(
        name="ease-diagonal-kept",
        file="Sources/EmbedRec/Models/EASE.swift",
        original="                for j in 0..<n { row[j] *= d[j] }\n                row[i] = 0",
        replacement="                for j in 0..<n { row[j] *= d[j] }",
        filter="RankingModelTests",
        description="EASE keeps B's diagonal (an item recommends itself)",
    ),
    Mutation(
        name="ease-edlae-ignored",
        file="Sources/EmbedRec/Models/EASE.swift",
        original="g[i * n + i] += configuration.regularization + p / (1 - p) * g[i * n + i]",
        replacement="g[i * n + i] += configuration.regularization; _ = p",
        filter="RankingModelTests",
        description="EASE ignores the EDLAE dropout emphasis",
    ),
    Mutation(
        name="als-confidence-dropped",
        file="Sources/COpenBLAS/shim.h",
        original="            EMBEDREC_ALS_AXPY(c - (c - 1) * t, y, r);",
        replacement="            EMBEDREC_ALS_AXPY(1 - (c - 1) * t, y, r);",
        filter="RankingModelTests",
        description="weighted ALS: the right-hand side loses the confidence (Σ y instead of Σ c·y)",
    ),
    Mutation(
        name="bpr-gradient-sign",
        file="Sources/EmbedRec/Training/RankingLosses.swift",
        original="        gradient[positive] -= scale * s",
        replacement="        gradient[positive] += scale * s",
        filter="RankingLossTests",
        description="BPR pushes the positive's score down",
    ),
    Mutation(
        name="safetensors-hole-accepted",
        file="Sources/EmbedRec/Persistence/SafeTensors.swift",
        original="            if t.begin > cursor { throw SafeTensorsError.hole(at: cursor, before: name) }",
        replacement="            if t.begin > cursor { _ = name }",
        filter="RecommenderFileCorruptionTests",
        description="the safetensors reader accepts bytes no tensor owns",
    ),
    Mutation(
        name="idmap-direct-off-by-one",
        file="Sources/EmbedRec/Data/IDMap.swift",
        original="            guard rawID >= 0, rawID < Int64(direct.count) else { return nil }",
        replacement="            guard rawID >= 0, rawID <= Int64(direct.count) else { return nil }",
        filter="IDMapTests",
        description="an ID map looks one past its direct table for the ID just above the largest",
    ),
    Mutation(
        name="map-denominator",
        file="Sources/EmbedRec/Evaluation/RankingMetrics.swift",
        original="            map += ap / Double(ideal)",
        replacement="            map += ap / Double(k)",
        filter="EvaluationKnownAnswerTests",
        description="AP divided by K instead of min(K, |R|)",
    ),
    Mutation(
        name="precision-denominator",
        file="Sources/EmbedRec/Evaluation/RankingMetrics.swift",
        original="            precision += Double(hitCount) / Double(k)",
        replacement="            precision += Double(hitCount) / Double(max(1, top.count))",
        filter="EvaluationKnownAnswerTests",
        description="precision divided by the list's length instead of K (short lists flattered)",
    ),
    Mutation(
        name="topk-tie-break",
        file="Sources/EmbedRec/Recommending/TopKSelection.swift",
        original="result.sort { $0.score != $1.score ? $0.score > $1.score : $0.item < $1.item }",
        replacement="result.sort { $0.score != $1.score ? $0.score > $1.score : $0.item > $1.item }",
        filter="EvaluationKnownAnswerTests",
        description="equal scores ranked higher index first",
    ),
    Mutation(
        name="fold-in-keeps-read-items",
        file="Sources/EmbedRec/Recommending/FoldIn.swift",
        original="        for i in known { scores[Int(i)] = -.infinity }",
        replacement="        _ = known",
        filter="FoldInTests",
        description="fold-in recommends the books the new reader just read",
    ),
    Mutation(
        name="fold-in-ridge-floor",
        file="Sources/EmbedRec/Models/DotProductFamily.swift",
        original="        for r in 0..<unknowns { a[r * unknowns + r] += max(regularization, 1e-6) }",
        replacement="        for r in 0..<unknowns { a[r * unknowns + r] += regularization }",
        filter="FoldInTests",
        description="fold-in at λ = 0 drops the ridge floor (a singular system for one read book)",
    ),
    Mutation(
        name="als-lambda-dropped",
        file="Sources/EmbedRec/Training/ImplicitALS.swift",
        original="            for f in 0..<d { g[f * d + f] += configuration.regularization }",
        replacement="            for f in 0..<d { g[f * d + f] += 0 }",
        filter="RankingRecipeTests",
        description="ALS without λ on the diagonal of its normal equations",
    ),
    Mutation(
        name="safetensors-end-of-data",
        file="Sources/EmbedRec/Persistence/SafeTensors.swift",
        original="            guard t.end <= dataLength else {",
        replacement="            guard t.end <= dataLength || true else {",
        filter="RecommenderFileCorruptionTests|FuzzRegressionTests",
        description="a tensor may end past the data section",
    ),
    Mutation(
        name="safetensors-overlap",
        file="Sources/EmbedRec/Persistence/SafeTensors.swift",
        original="            if t.begin < cursor { throw SafeTensorsError.overlappingTensors(previous ?? name, name) }",
        replacement="            if t.begin < cursor { _ = previous }",
        filter="RecommenderFileCorruptionTests|FuzzRegressionTests",
        description="overlapping tensors accepted",
    ),
    Mutation(
        name="atomic-writer-cleanup",
        file="Sources/EmbedRec/Files/AtomicFileWriter.swift",
        original="        } catch {\n            unlink(temporary)\n            throw error\n        }",
        replacement="        } catch {\n            throw error\n        }",
        filter="PathSafetyTests",
        description="a failed write leaves its temporary file behind",
    ),
    Mutation(
        name="atomic-writer-in-place",
        file="Sources/EmbedRec/Files/AtomicFileWriter.swift",
        original="        let temporary = target.folder + \"/.\" + target.name + temporaryMarker + \"\\(getpid())-\\(UInt32.random(in: 0...UInt32.max))\"\n        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, target.mode ?? 0o644)",
        replacement="        let temporary = target.path\n        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, target.mode ?? 0o644)",
        filter="KillTests|PathSafetyTests",
        description="the new file written over the old in place (a kill leaves a partial file)",
    ),
    Mutation(
        name="early-stopping-restore",
        file="Sources/EmbedRec/Training/Trainer.swift",
        original="            for (t, saved) in zip(model.parameters, best.weights) { t.assign(from: saved) }",
        replacement="            _ = best.weights",
        filter="UserShardAndObserverTests|TrainerTests",
        description="early stopping reports the best epoch but keeps the last epoch's weights",
    ),
    Mutation(
        name="mlp-relu-mask",
        file="Sources/EmbedRec/Models/ConcatMLP.swift",
        original="                for k in 0..<(n * win) where pre[k] <= 0 { dInput[k] = 0 }",
        replacement="                for k in 0..<(n * win) where pre[k] < -1e30 { dInput[k] = 0 }",
        filter="ModelConformanceTests/gradientsMatchFiniteDifferences|ConcatMLPTests",
        description="ConcatMLP's backward pass ignores the ReLU mask",
    ),
    Mutation(
        name="similar-items-unnormalised",
        file="Sources/EmbedRec/Recommending/SimilarItems.swift",
        original="                if norm > 0 { for f in 0..<dimension { row[f] /= norm } }",
        replacement="                if norm < 0 { for f in 0..<dimension { row[f] /= norm } }",
        filter="SimilarItemsTests",
        description="similar items by dot product instead of cosine",
    ),
    Mutation(
        name="loader-multibyte-separator",
        file="Sources/EmbedRec/Data/RatingsParser.swift",
        original="        return c == sep0 && (sep.count == 1 || (q &+ sep.count <= end && matches(base + q, sep)))",
        replacement="        return c == sep0",
        filter="RatingsLoaderFormatTests|RatingsLoaderErrorTests",
        description="a multi-byte separator (::) matched by its first byte alone",
    ),
    Mutation(
        name="cli-dimension-plumbing",
        file="Sources/embedrec/EmbedRecCommand.swift",
        original="    if let dimension { architecture = architecture.withDimension(dimension) }",
        replacement="    _ = dimension",
        filter="CommandOptionsTests",
        description="embedrec train --dimension ignored for rating models",
    ),
    Mutation(
        name="bookserver-unknown-user-status",
        file="Examples/BookServer/Sources/BookServerApp/APIError.swift",
        original='        APIError(.notFound, code: "unknown_user",',
        replacement='        APIError(.badRequest, code: "unknown_user",',
        filter="EndpointTests|BadRequestTests",
        description="BookServer answers an unknown reader with 400 instead of 404",
        package="Examples/BookServer",
    ),
]


# ---------------------------------------------------------------------------------------------
# Restoring the source, whatever happens.

class Interrupted(Exception):
    pass


HANDLED_SIGNALS = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}


def _on_signal(signum, _frame):
    raise Interrupted(f"signal {signal.Signals(signum).name}")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_backup(path: Path, original: bytes, mutated: bytes) -> None:
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    BACKUP_FILE.write_text(json.dumps({
        "file": str(path.relative_to(ROOT)),
        "original": original.decode("utf-8"),
        "mutated_sha256": _sha(mutated),
    }))


def clear_backup() -> None:
    try:
        BACKUP_FILE.unlink()
    except FileNotFoundError:
        pass


def recover_from_previous_run() -> None:
    """Restores a file a killed run left mutated (only if it still holds that exact mutant)."""
    if not BACKUP_FILE.exists():
        return
    state = json.loads(BACKUP_FILE.read_text())
    path = ROOT / state["file"]
    current = path.read_bytes() if path.exists() else b""
    original = state["original"].encode("utf-8")
    if current == original:
        clear_backup()
        return
    if _sha(current) != state["mutated_sha256"]:
        sys.exit(f"mutation-check: {BACKUP_FILE} says a previous run mutated {state['file']}, but the file "
                 f"has changed since; not touching it. Compare it with the backup and delete the backup.")
    path.write_bytes(original)
    if not state["file"].endswith(".swift"):
        touch_importers_of_c_shim()
    clear_backup()
    print(f"mutation-check: restored {state['file']} left mutated by an interrupted run")


# ---------------------------------------------------------------------------------------------
# Running.

def run(cmd: list[str], log: Path, env: dict | None = None, timeout: float | None = None) -> tuple[int | None, str]:
    """Runs cmd with output to log; returns (exit code or None on timeout, output)."""
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    with open(log, "w") as out:
        out.write(f"$ {' '.join(cmd)}  (extra env: {env or {}})\n")
        out.flush()
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=full_env,
                                start_new_session=True)
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            code = None
        except BaseException:
            # Interrupted: stop our own child (its process group) before the source is restored.
            blocked = signal.pthread_sigmask(signal.SIG_BLOCK, HANDLED_SIGNALS)
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            except ProcessLookupError:
                pass
            finally:
                signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
            raise
    return code, log.read_text(errors="replace")


def build(log_name: str, package: str = ".") -> tuple[bool, str]:
    code, output = run(["swift", "build", "--build-tests", "--package-path", package], STATE_DIR / f"{log_name}.build.log")
    return code == 0, output


def test_command(filter_regex: str | None, package: str = ".") -> list[str]:
    cmd = ["swift", "test", "--skip-build", "--package-path", package]
    if filter_regex:
        cmd += ["--filter", filter_regex]
    return cmd


def tests_run(output: str) -> int | None:
    """How many tests Swift Testing ran, from its closing line."""
    m = re.search(r"Test run with (\d+) tests?", output)
    return int(m.group(1)) if m else None


def failed_tests(output: str) -> list[str]:
    """The tests Swift Testing reported as failed (display names), in order."""
    names = []
    for line in output.splitlines():
        m = re.match(r'\s*✘ Test (?!run with)("[^"]*"|\S+)(?: with \d+ test cases?)? failed', line)
        if m and m.group(1) not in names:
            names.append(m.group(1))
    return names


def touch_importers_of_c_shim() -> None:
    """SwiftPM does not track the C shim's header as an input of the Swift files that inline its
    functions: after changing it, recompile every Swift file that imports the module (clang's
    module cache notices the header change by itself)."""
    for folder in ("Sources", "Benchmarks", "Tests", "Examples"):
        for path in (ROOT / folder).rglob("*.swift"):
            if re.search(r"^import COpenBLAS\b", path.read_text(errors="replace"), re.M):
                path.touch()


def invalidate_build_for(mu: Mutation) -> None:
    if not mu.file.endswith(".swift"):
        touch_importers_of_c_shim()


def check_snippets(mutations: list[Mutation]) -> list[str]:
    problems = []
    for mu in mutations:
        path = ROOT / mu.file
        if not path.exists():
            problems.append(f"{mu.name}: {mu.file} does not exist")
            continue
        count = path.read_text().count(mu.original)
        if count != 1:
            problems.append(f"{mu.name}: the original snippet occurs {count} times in {mu.file} "
                            f"(expected exactly once); update the table in Scripts/mutation-check.py:\n"
                            f"    {mu.original!r}")
    return problems


@dataclass
class Result:
    name: str
    status: str
    seconds: float
    detail: str


def run_mutation(mu: Mutation, full_suite: bool, timeout: float) -> Result:
    start = time.monotonic()
    path = ROOT / mu.file
    original = path.read_bytes()
    text = original.decode("utf-8")
    if text.count(mu.original) != 1:
        return Result(mu.name, "NOT-APPLIED", 0, f"snippet occurs {text.count(mu.original)} times in {mu.file}")
    mutated = text.replace(mu.original, mu.replacement, 1).encode("utf-8")
    try:
        write_backup(path, original, mutated)
        path.write_bytes(mutated)
        invalidate_build_for(mu)
        ok, output = build(mu.name, mu.package)
        if not ok:
            errors = [l.strip() for l in output.splitlines() if re.search(r":\d+:\d+: error:", l)][:2]
            return Result(mu.name, "BUILD-FAILED", time.monotonic() - start, "; ".join(errors))
        code, output = run(test_command(None if full_suite else mu.filter, mu.package), STATE_DIR / f"{mu.name}.test.log",
                           env=mu.env, timeout=timeout)
        count = tests_run(output)
        if code is None:
            return Result(mu.name, "TIMEOUT", time.monotonic() - start, f"no result after {timeout:.0f} s")
        if code == 0:
            return Result(mu.name, "SURVIVED", time.monotonic() - start, f"{count} tests passed")
        failed = failed_tests(output)
        detail = f"{len(failed)} of {count} tests failed" if count is not None else f"exit {code} (test process crashed?)"
        if failed:
            detail += ": " + ", ".join(failed[:3]) + (" ..." if len(failed) > 3 else "")
        return Result(mu.name, "KILLED", time.monotonic() - start, detail)
    finally:
        # No signal may cut the restore short.
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, HANDLED_SIGNALS)
        try:
            path.write_bytes(original)
            invalidate_build_for(mu)
            clear_backup()
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help="mutations to run (default: all)")
    parser.add_argument("--list", action="store_true", help="print the mutation table and exit")
    parser.add_argument("--full-suite", action="store_true", help="run the whole suite instead of each filter")
    parser.add_argument("--no-baseline", action="store_true", help="skip the unmutated baseline run")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per test run (default 900)")
    parser.add_argument("--markdown", action="store_true", help="also print the summary as Markdown")
    args = parser.parse_args()

    if args.list:
        width = max(len(m.name) for m in MUTATIONS)
        for m in MUTATIONS:
            env = " ".join(f"{k}={v}" for k, v in m.env.items())
            print(f"{m.name:<{width}}  {m.file}\n{'':<{width}}  {m.description}\n"
                  f"{'':<{width}}  tests: --filter '{m.filter}'{'  env: ' + env if env else ''}")
        return 0

    known = {m.name: m for m in MUTATIONS}
    unknown = [n for n in args.names if n not in known]
    if unknown:
        print(f"mutation-check: unknown mutation(s): {', '.join(unknown)} (see --list)", file=sys.stderr)
        return 2
    selected = [known[n] for n in args.names] if args.names else MUTATIONS

    for sig in HANDLED_SIGNALS:
        signal.signal(sig, _on_signal)
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    recover_from_previous_run()

    problems = check_snippets(selected)
    if problems:
        print("mutation-check: cannot apply the mutation table:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 2

    started = time.monotonic()
    results: list[Result] = []
    try:
        if not args.no_baseline:
            print("baseline: building the unmutated tree ...", flush=True)
            for package in sorted({m.package for m in selected}):
                ok, output = build("baseline", package)
                if not ok:
                    print(f"mutation-check: the unmutated tree of {package} does not build; see {STATE_DIR}/baseline.build.log",
                          file=sys.stderr)
                    return 2
            runs = sorted({(None if args.full_suite else m.filter, json.dumps(m.env, sort_keys=True), m.package)
                           for m in selected}, key=lambda r: (r[2], r[0] or "", r[1]))
            for i, (flt, env_json, package) in enumerate(runs):
                env = json.loads(env_json)
                code, output = run(test_command(flt, package), STATE_DIR / f"baseline-{i}.test.log", env=env,
                                   timeout=args.timeout)
                count = tests_run(output)
                label = (f"--filter '{flt}'" if flt else "the whole suite") + (f" with {env}" if env else "")
                if code != 0:
                    print(f"mutation-check: {label} fails without any mutation; "
                          f"see {STATE_DIR}/baseline-{i}.test.log", file=sys.stderr)
                    return 2
                if not count:
                    print(f"mutation-check: {label} runs no test; fix the table", file=sys.stderr)
                    return 2
                print(f"baseline: {label}: {count} tests pass", flush=True)
        for n, mu in enumerate(selected, 1):
            print(f"[{n}/{len(selected)}] {mu.name}: {mu.description} ...", flush=True)
            result = run_mutation(mu, args.full_suite, args.timeout)
            results.append(result)
            print(f"    {result.status} ({result.seconds:.0f} s) {result.detail}", flush=True)
        # Leave .build matching the restored sources (a later `swift test --skip-build` must not
        # run the last mutant).
        print("rebuilding the restored tree ...", flush=True)
        for package in sorted({m.package for m in selected} - {"."}):
            build("restored-" + package.replace("/", "-"), package)
        if not build("restored")[0]:
            print(f"mutation-check: the restored tree does not build; see {STATE_DIR}/restored.build.log",
                  file=sys.stderr)
    except (Interrupted, KeyboardInterrupt) as e:
        print(f"\nmutation-check: interrupted ({e or 'Ctrl-C'}); the source was restored "
              f"(run `swift build --build-tests` before `swift test --skip-build`)", file=sys.stderr)
        return 130
    finally:
        for sig in HANDLED_SIGNALS:
            signal.signal(sig, signal.SIG_DFL)

    total = time.monotonic() - started
    width = max(len(r.name) for r in results)
    print(f"\nSummary ({len(results)} mutations, {total:.0f} s, {'whole suite' if args.full_suite else 'filtered'}):")
    for r in results:
        print(f"  {r.name:<{width}}  {r.status:<12} {r.seconds:5.0f} s  {r.detail}")
    if args.markdown:
        print(f"\nRun {datetime.datetime.now().strftime('%Y-%m-%d %H:%M')} on {platform.node()} "
              f"({platform.machine()}, {os.cpu_count()} cores), total {total:.0f} s\n")
        print("| mutation | file | tests | result | time |")
        print("| --- | --- | --- | --- | --- |")
        for r in results:
            mu = known[r.name]
            env = " ".join(f"{k}={v}" for k, v in mu.env.items())
            # A pipe inside a Markdown table cell must be escaped, code span or not.
            flt = "whole suite" if args.full_suite else f"`{mu.filter}`".replace("|", "\\|")
            if env:
                flt += f" with `{env}`"
            print(f"| {r.name} | `{mu.file.split('/')[-1]}` | {flt} | {r.status} | {r.seconds:.0f} s |")
    bad = [r for r in results if r.status != "KILLED"]
    if bad:
        print(f"\n{len(bad)} mutation(s) not killed: {', '.join(r.name + ' ' + r.status for r in bad)}")
        return 1
    print(f"\nAll {len(results)} mutations killed.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
