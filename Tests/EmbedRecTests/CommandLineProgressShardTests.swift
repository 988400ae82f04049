import Foundation
import Synchronization
import Testing
@testable import EmbedRec

/// `embedrec train`'s progress bar and validation split, `recommend --all --shard`, and
/// `embedrec-bench` output through a pipe, run from the built binaries.
@Suite("embedrec command: progress, validation split, shards; embedrec-bench streaming")
struct CommandLineProgressShardTests {
    static let embedrec = OpenBLASRelaunchTests.executable

    /// A small goodbooks-style ratings file (user_id,book_id,rating).
    static func ratingsFile(in dir: URL, users: Int = 80, items: Int = 40, ratings: Int = 1200, name: String = "ratings.csv") throws -> String {
        let path = dir.appendingPathComponent(name).path
        let data = try SyntheticRatings.generate(.init(users: users, items: items, ratings: ratings, seed: 2))
        try RatingsWriter.writeCSV(data, to: path, header: ["user_id", "book_id", "rating"], columns: [.user, .item, .rating])
        return path
    }

    @Test("train draws a progress bar in a pseudo-terminal and plain lines into a pipe",
          .enabled(if: embedrec != nil && ProgramRunner.script != nil, "needs the embedrec binary and script(1)"))
    func progressBar() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ratings = try Self.ratingsFile(in: dir)
        // --no-refit: one run of three epochs (a refit would draw its own bars and lines).
        let terminal = try ProgramRunner.runInTerminal(Self.embedrec!, ["train", ratings, "--epochs", "3", "--no-refit"])
        #expect(terminal.status == 0, "\(terminal.screen)")
        // Redrawn in place: carriage return, erase line, then the bar with every field.
        let bars = terminal.screen.components(separatedBy: "\r\u{1B}[K").filter { $0.hasPrefix("epoch ") }
        #expect(bars.contains { $0.hasPrefix("epoch 3/3 [") && $0.contains("100%") }, "\(terminal.screen)")
        for field in ["loss ", "ratings/s", "ETA "] { #expect(bars.allSatisfy { $0.contains(field) }, "\(field): \(bars)") }
        // From the second epoch on, the previous epoch's validation RMSE.
        #expect(bars.contains { $0.hasPrefix("epoch 2/3") && $0.contains("val RMSE ") }, "\(bars)")
        #expect(bars.allSatisfy { $0.count <= 79 }, "a bar wider than 79 columns: \(bars)")
        #expect(terminal.screen.contains("epoch  3  train MSE"))
        // Not a terminal: no escape codes, one line per epoch.
        let piped = try ProgramRunner.run(Self.embedrec!, ["train", ratings, "--epochs", "3", "--no-refit"])
        #expect(piped.status == 0, "\(piped.err)")
        #expect(!piped.out.contains("\u{1B}") && !piped.err.contains("\u{1B}"), "\(piped.err)")
        #expect(piped.out.components(separatedBy: "train MSE").count == 4, "\(piped.out)")
    }

    @Test("train validates on ratings carved from the training part, never on the test file",
          .enabled(if: embedrec != nil, "needs the embedrec binary"))
    func validationSplit() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ratings = try Self.ratingsFile(in: dir)
        let test = try Self.ratingsFile(in: dir, ratings: 300, name: "test.csv")
        let pair = try ProgramRunner.run(Self.embedrec!, ["train", "--train", ratings, "--test", test, "--epochs", "4", "--patience", "1"])
        #expect(pair.status == 0, "\(pair.err)")
        // 1200 training ratings: 120 (10%) validate, 1080 train; the 300 test ratings wait for the end.
        #expect(pair.out.contains("on 1080 ratings, validating on 120 carved from them (early stopping, patience 1)"), "\(pair.out)")
        #expect(pair.out.contains("validation RMSE") && !pair.out.contains("test RMSE 0") && pair.out.contains("test RMSE"), "\(pair.out)")
        let none = try ProgramRunner.run(Self.embedrec!, ["train", ratings, "--epochs", "1", "--validation-fraction", "0"])
        #expect(none.status == 0 && none.out.contains("on 1080 ratings (no validation split)"), "\(none.out) \(none.err)")
        // The format from the first line: tab-separated u.data without --format.
        let udata = dir.appendingPathComponent("u.data").path
        try "1\t10\t4\t0\n2\t10\t3\t0\n1\t11\t5\t0\n3\t11\t2\t0\n2\t12\t4\t0\n3\t12\t4\t0\n".write(toFile: udata, atomically: true, encoding: .utf8)
        let tabs = try ProgramRunner.run(Self.embedrec!, ["train", udata, "--epochs", "1", "--validation-fraction", "0", "--test-fraction", "0.2"])
        #expect(tabs.status == 0 && tabs.out.contains("6 ratings, 3 users, 3 items"), "\(tabs.out) \(tabs.err)")
        for (arguments, message) in [
            (["train", ratings, "--validation-fraction", "0", "--patience", "2"], "--patience needs a validation split"),
            (["train", "--train", ratings], "--train needs --test FILE"),
            (["train", ratings, "--train", ratings, "--test", test], "give a ratings file, or --train FILE --test FILE"),
            (["train", ratings, "--validation-fraction", "1"], "--validation-fraction must be in [0, 1)"),
        ] {
            let result = try ProgramRunner.run(Self.embedrec!, arguments)
            #expect(result.status != 0 && result.err.contains(message), "\(arguments): \(result.err)")
        }
    }

    @Test("recommend --all: the shards' files, concatenated, are the unsharded file; bad shards are one-line errors",
          .enabled(if: embedrec != nil, "needs the embedrec binary"))
    func shards() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ratings = try Self.ratingsFile(in: dir, users: 700, items: 60, ratings: 9000)
        let model = dir.appendingPathComponent("m.safetensors").path
        let train = try ProgramRunner.run(Self.embedrec!, ["train", ratings, "--epochs", "2", "--output", model])
        #expect(train.status == 0, "\(train.err)")
        func file(_ name: String) -> String { dir.appendingPathComponent(name).path }
        for ext in ["csv", "jsonl"] {
            let whole = try ProgramRunner.run(Self.embedrec!, ["recommend", model, "--all", "--k", "5", "--output", file("all.\(ext)")])
            #expect(whole.status == 0, "\(whole.err)")
            var joined = ""
            for i in 0..<3 {
                let part = try ProgramRunner.run(Self.embedrec!, ["recommend", model, "--all", "--k", "5", "--shard", "\(i)/3", "--output", file("s\(i).\(ext)")])
                #expect(part.status == 0, "\(part.err)")
                joined += try String(contentsOfFile: file("s\(i).\(ext)"), encoding: .utf8)
            }
            let unsharded = try String(contentsOfFile: file("all.\(ext)"), encoding: .utf8)
            #expect(joined == unsharded, "\(ext): the shards differ from the unsharded output")
        }
        // The file is what the library's all-users scorer gives.
        let saved = try Recommender(contentsOf: model)
        let lines = try String(contentsOfFile: file("all.csv"), encoding: .utf8).split(separator: "\n")
        #expect(lines.first == "user,rank,item,score" && lines.count == 1 + saved.userIDs.count * 5)
        let first = try saved.recommend(user: saved.userIDs.rawIDs[0], k: 5).recommendations.map { $0.rawItemID }
        let listed = lines.dropFirst().prefix(5).map { RawID($0.split(separator: ",")[2]) }
        #expect(listed == first)
        let json = try String(contentsOfFile: file("s2.jsonl"), encoding: .utf8).split(separator: "\n")
        // 700 users are two blocks of 512 rows: shard 2/3 holds the second.
        #expect(saved.userRange(of: try UserShard(index: 2, count: 3)) == 512..<700 && json.count == 188)
        #expect((try JSONSerialization.jsonObject(with: Data(json[0].utf8)) as? [String: Any])?["items"] as? [Int] != nil)
        for (arguments, message) in [
            (["--shard", "3/3"], "the index must be in 0...2"),
            (["--shard", "0/0"], "the shard count must be at least 1"),
            (["--shard", "1-3"], "is not INDEX/COUNT"),
            (["--output", file("x.txt")], "give --format csv or jsonl"),
            (["--output", file("x.csv"), "--user", "1"], "leave out --user and --read"),
        ] {
            let output = arguments.contains("--output") ? [] : ["--output", file("x.csv")]
            let result = try ProgramRunner.run(Self.embedrec!, ["recommend", model, "--all"] + arguments + output)
            #expect(result.status != 0 && result.err.contains(message), "\(arguments): \(result.err)")
            #expect(!result.err.contains("Fatal error"))
        }
        let stray = try ProgramRunner.run(Self.embedrec!, ["recommend", model, "--user", "1", "--shard", "0/2"])
        #expect(stray.status != 0 && stray.err.contains("go with --all"), "\(stray.err)")
    }

    @Test("embedrec-bench: results come through a pipe as they are measured, suite lines only on a terminal",
          .enabled(if: ProgramRunner.path(of: "embedrec-bench") != nil, "needs the embedrec-bench binary"))
    func benchStreams() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let bench = ProgramRunner.path(of: "embedrec-bench")!
        let process = Process()
        process.executableURL = URL(fileURLWithPath: bench)
        process.arguments = ["blas", "score", "similar", "--smoke", "--work-dir", dir.path]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out; process.standardError = err
        try process.run()
        // Read as the lines come: when did the first result arrive, and when did the output end?
        // What had arrived when the first result did: with block buffering the whole output comes
        // in one piece at exit, so nothing would follow it.
        var text = "", atFirstResult: String? = nil
        let handle = out.fileHandleForReading
        while case let chunk = handle.availableData, !chunk.isEmpty {
            text += String(decoding: chunk, as: UTF8.self)
            if atFirstResult == nil && text.contains("  blas/") { atFirstResult = text }
        }
        let errText = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(errText)")
        let first = try #require(atFirstResult, "no result line in:\n\(text)")
        #expect(first.count < text.count && text.dropFirst(first.count).contains("  "),
                "the first result arrived together with the whole output:\n\(text)")
        #expect(!errText.contains("[suite "), "suite lines went into a pipe: \(errText)")
        if let script = ProgramRunner.script {
            let terminal = try ProgramRunner.run(script, ["-qec", "'\(bench)' blas --smoke --work-dir '\(dir.path)'", "/dev/null"])
            #expect(terminal.out.contains("[suite 1/1] blas running") && terminal.out.contains("[suite 1/1] blas done in"), "\(terminal.out)")
        }
    }
}

@Suite("UserShard and TrainingObserver")
struct UserShardAndObserverTests {
    @Test("shards partition the users in order for every count, also more shards than users")
    func partition() throws {
        for users in [0, 1, 2, 7, 100, 943] {
            for count in [1, 2, 3, 5, 8, 1000] {
                let ranges = try (0..<count).map { try UserShard(index: $0, count: count).userRange(among: users) }
                #expect(ranges.flatMap { Array($0) } == Array(0..<users), "\(users) users, \(count) shards")
                #expect(ranges.map(\.count).max()! - ranges.map(\.count).min()! <= 1)
            }
        }
        // In whole blocks: still a partition in order, block boundaries only, sizes a block apart.
        for (users, block) in [(0, 512), (700, 512), (6040, 512), (100, 7), (5, 10)] {
            for count in [1, 3, 4, 12, 50] {
                let ranges = try (0..<count).map { try UserShard(index: $0, count: count).userRange(among: users, alignment: block) }
                #expect(ranges.flatMap { Array($0) } == Array(0..<users), "\(users) users, blocks of \(block), \(count) shards")
                #expect(ranges.allSatisfy { $0.lowerBound % block == 0 })
                let blocks = ranges.map { ($0.count + block - 1) / block }
                #expect(blocks.max()! - blocks.min()! <= 1)
            }
        }
        #expect(try UserShard(parsing: "2/5") == UserShard(index: 2, count: 5))
        #expect(UserShard.all.userRange(among: 9) == 0..<9 && UserShard.all.description == "0/1")
        for bad in ["5/5", "0/0", "-1/3", "1", "a/b", "1/2/3", "", "/"] {
            #expect(throws: ConfigurationError.self, "\(bad)") { try UserShard(parsing: bad) }
        }
    }

    @Test("a shard's top-K rows are the same users' rows of all users' top-K, bit for bit")
    func shardMatchesAll() throws {
        let data = try SyntheticRatings.generate(.init(users: 1300, items: 50, ratings: 13000, seed: 5))
        let model = try MatrixFactorization(for: data, configuration: .init(dimension: 8))
        try Trainer(configuration: .init(epochs: 1)).fit(model, on: data)
        let recommender = try Recommender(model: model, training: data)
        let all = try recommender.recommendAll(k: 4)
        for i in 0..<4 {
            let shard = try UserShard(index: i, count: 4)
            let part = try recommender.recommendAll(k: 4, shard: shard)
            let rows = recommender.userRange(of: shard)
            #expect(rows == shard.userRange(among: 1300, alignment: 512))
            #expect(part.users == rows.map { UserIndex(Int32($0)) })
            // Bit for bit: the same blocks of the same computation.
            #expect(part.items == Array(all.items[(rows.lowerBound * 4)..<(rows.upperBound * 4)]))
            #expect(part.rankingScores == Array(all.rankingScores[(rows.lowerBound * 4)..<(rows.upperBound * 4)]))
        }
    }

    @Test("the observer sees batch progress ending at every batch, and each epoch; afterEpoch can stop")
    func observer() throws {
        let data = try SyntheticRatings.generate(.init(users: 100, items: 40, ratings: 2000, seed: 3))
        let model = try MatrixFactorization(for: data, configuration: .init(dimension: 4))
        let seen = Mutex<[TrainingProgress]>([])
        let epochs = Mutex<[Int]>([])
        let observer = TrainingObserver(
            interval: 0,
            duringEpoch: { progress in seen.withLock { $0.append(progress) } },
            afterEpoch: { history in
                epochs.withLock { $0.append(history.epochs.count) }
                return history.epochs.count == 2 ? .stop : .proceed
            })
        let history = try Trainer(configuration: .init(epochs: 5, batchSize: 100)).fit(model, on: data, observer: observer)
        #expect(history.epochs.count == 2 && history.stoppedEarly)
        #expect(epochs.withLock { $0 } == [1, 2])
        let reports = seen.withLock { $0 }
        #expect(reports.allSatisfy { $0.batches == 20 && $0.epochs == 5 && $0.batchesDone <= 20 && $0.meanLoss.isFinite })
        let ends = reports.filter { $0.batchesDone == $0.batches }
        #expect(ends.map(\.epoch) == [1, 2])
        #expect(ends[1].fractionDone == 0.4 && ends[1].estimatedSecondsRemaining! >= 0)
        #expect(abs(ends[0].meanLoss - history.epochs[0].meanLoss) < 1e-9)
        #expect(zip(reports, reports.dropFirst()).allSatisfy { $0.secondsElapsed <= $1.secondsElapsed })
    }

    @Test("early stopping by patience reaches the epoch callback for its last epoch")
    func patienceCallback() throws {
        let data = try SyntheticRatings.generate(.init(users: 100, items: 40, ratings: 2000, seed: 3))
        let split = try data.randomSplit(testFraction: 0.2, seed: 1)
        let model = try MatrixFactorization(for: data, configuration: .init(dimension: 4))
        var calls = 0
        // A learning rate this large overfits at once: validation RMSE rises after epoch 1 or 2.
        let history = try Trainer(configuration: .init(epochs: 40, batchSize: 16, optimizer: .adam(learningRate: 0.05), earlyStoppingPatience: 1))
            .fit(model, on: split.train, validation: split.test) { _ in calls += 1; return .proceed }
        #expect(calls == history.epochs.count)
        // It stopped: one epoch without a better validation RMSE (patience 1) after the best,
        // long before the 40 allowed, and the model holds the best epoch's weights again.
        #expect(history.stoppedEarly && history.epochs.count < 40, "\(history.epochs.count) epochs")
        #expect(history.epochs.count == history.bestEpoch + 1, "best \(history.bestEpoch) of \(history.epochs.count)")
        let best = try #require(history.best?.validation?.rmse)
        #expect(history.epochs.allSatisfy { ($0.validation?.rmse ?? 0) >= best })
        #expect(abs(try RatingMetrics(model: model, data: split.test).rmse - best) < 1e-5, "the best epoch was not restored")
    }
}
