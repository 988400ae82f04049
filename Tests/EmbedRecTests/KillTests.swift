import Foundation
import Testing
@testable import EmbedRec

/// SIGINT and SIGKILL at random points of the three commands that write files: the output is
/// always the previous file or the complete new one, never a partial file, and a temporary file
/// a killed run left behind is gone after the next run. `EMBEDREC_KILLS` sets the kills per
/// command (default 15; `Scripts/kill-test.sh` runs 80 per command for Docs/Reliability.md).
@Suite("Reliability: kills during train --output, export and recommend --all --output",
       .enabled(if: OpenBLASRelaunchTests.executable != nil, "the embedrec binary is built next to the tests"))
struct KillTests {
    static let killsPerCommand = Int(ProcessInfo.processInfo.environment["EMBEDREC_KILLS"] ?? "") ?? 15

    struct Outcome: CustomStringConvertible {
        var kills = 0, sawPrevious = 0, sawNew = 0, finishedFirst = 0
        var description: String {
            "\(kills) kills: \(sawPrevious) left the previous file, \(sawNew) the complete new one (\(finishedFirst) runs finished before their signal)"
        }
    }

    /// Runs `arguments` `rounds` times, each killed by SIGINT or SIGKILL after a random delay up
    /// to 1.3× a whole run, with `output` reset to `previous` before each; checks the file after
    /// each kill and the folder after a last whole run.
    static func killRepeatedly(_ arguments: [String], output: String, previous: Data, rounds: Int, seed: UInt64) throws -> Outcome {
        let folder = URL(fileURLWithPath: output).deletingLastPathComponent()
        func launch() throws -> Process {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: OpenBLASRelaunchTests.executable!)
            process.arguments = arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            return process
        }
        // The new file, from a whole run, and how long a run takes.
        try previous.write(to: URL(fileURLWithPath: output))
        let started = Date()
        let reference = try launch()
        reference.waitUntilExit()
        let wholeRun = Date().timeIntervalSince(started)
        #expect(reference.terminationStatus == 0, "\(arguments) failed on its own")
        let new = try Data(contentsOf: URL(fileURLWithPath: output))
        try #require(new != previous)

        var rng = SeededGenerator(seed: seed)
        var outcome = Outcome()
        for round in 0..<rounds {
            try previous.write(to: URL(fileURLWithPath: output))
            let process = try launch()
            usleep(UInt32(Double.random(in: 0...1.3, using: &rng) * wholeRun * 1e6))
            let signal = Bool.random(using: &rng) ? SIGKILL : SIGINT
            if process.isRunning { kill(process.processIdentifier, signal) } else { outcome.finishedFirst += 1 }
            process.waitUntilExit()
            outcome.kills += 1
            let now = try Data(contentsOf: URL(fileURLWithPath: output))
            if now == previous { outcome.sawPrevious += 1 } else if now == new { outcome.sawNew += 1 } else {
                Issue.record("\(arguments[0]) round \(round) (signal \(signal)): a \(now.count)-byte file that is neither the previous (\(previous.count)) nor the new one (\(new.count))")
            }
        }
        // The next whole run removes what killed runs left.
        let last = try launch()
        last.waitUntilExit()
        #expect(last.terminationStatus == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: output)) == new)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.contains(".embedrec-tmp-") }
        #expect(leftovers.isEmpty, "\(arguments[0]): temporary files left after the next run: \(leftovers)")
        return outcome
    }

    @Test("kills at random points never leave a partial output or, after the next run, a temporary file")
    func randomKills() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
        // Large enough that writing takes a noticeable part of each run.
        let data = try SyntheticRatings.generate(.init(users: 3_000, items: 400, ratings: 60_000, seed: 8))
        try RatingsWriter.writeCSV(data, to: path("ratings.csv"), header: ["user_id", "book_id", "rating"], columns: [.user, .item, .rating])
        let model = path("model.safetensors")
        #expect(try ProgramRunner.embedrec(["train", path("ratings.csv"), "--epochs", "1", "--deterministic", "--output", model]).status == 0)
        let previous = Data("the previous file\n".utf8)
        var outcomes: [(String, Outcome)] = []
        outcomes.append(("train --output", try Self.killRepeatedly(
            ["train", path("ratings.csv"), "--epochs", "1", "--dimension", "48", "--deterministic", "--output", path("trained.safetensors")],
            output: path("trained.safetensors"), previous: previous, rounds: Self.killsPerCommand, seed: 1)))
        outcomes.append(("export --csv", try Self.killRepeatedly(
            ["export", model, "--csv", path("items.csv")], output: path("items.csv"), previous: previous, rounds: Self.killsPerCommand, seed: 2)))
        outcomes.append(("recommend --all --output", try Self.killRepeatedly(
            ["recommend", model, "--all", "--k", "40", "--output", path("all.csv")],
            output: path("all.csv"), previous: previous, rounds: Self.killsPerCommand, seed: 3)))
        for (command, outcome) in outcomes {
            print("kill test, \(command): \(outcome)")
            // Both ends were reached: some kills landed before the rename, some after it.
            #expect(outcome.sawPrevious > 0, "\(command): no kill landed before the new file was in place")
        }
    }
}
