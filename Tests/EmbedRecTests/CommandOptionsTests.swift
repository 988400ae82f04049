import Foundation
import Testing
@testable import EmbedRec

/// Every option of every `embedrec` subcommand, for every model kind: it is applied (and the
/// test sees its effect) or refused with a one-line error naming it; never ignored, never a
/// crash. The options come from the command's own `--experimental-dump-help`, so an option
/// added without a case here fails the first test.
@Suite("embedrec: every option of every subcommand, for every model kind",
       .enabled(if: OpenBLASRelaunchTests.executable != nil, "the embedrec binary is built next to the tests"))
struct CommandOptionsTests {
    /// Subcommand → its options, as the command describes itself.
    static func declaredOptions() throws -> [String: Set<String>] {
        let dump = try ProgramRunner.embedrec(["--experimental-dump-help"])
        let root = try JSONSerialization.jsonObject(with: Data(dump.out.utf8)) as? [String: Any]
        let subcommands = (root?["command"] as? [String: Any])?["subcommands"] as? [[String: Any]] ?? []
        var out: [String: Set<String>] = [:]
        for sub in subcommands {
            guard let name = sub["commandName"] as? String, name != "help" else { continue }
            let names = (sub["arguments"] as? [[String: Any]] ?? []).compactMap { argument -> String? in
                guard let kind = argument["kind"] as? String, kind != "positional" else { return nil }
                return ((argument["names"] as? [[String: Any]])?.first { ($0["kind"] as? String) == "long" }?["name"] as? String)
            }
            out[name] = Set(names.map { "--" + $0 }).subtracting(["--help"])
        }
        return out
    }

    /// The options this suite checks, by subcommand; each is run below (train: for every model
    /// kind; the others: on saved files of four kinds).
    static let checked: [String: Set<String>] = [
        "train": ["--train", "--test", "--format", "--rating-scale", "--model", "--dimension", "--epochs", "--test-fraction", "--validation-fraction",
                  "--patience", "--seed", "--threads", "--deterministic", "--catalog", "--output", "--split", "--holdout",
                  "--regularization", "--alpha", "--negatives", "--encoding", "--implicit-rating", "--user-column", "--item-column",
                  "--rating-column", "--count-column", "--timestamp-column", "--interactions-only", "--no-refit", "--members",
                  "--weights-per-item", "--regularization-per-interaction"],
        "demo": ["--ratings", "--catalog", "--deterministic", "--model", "--dimension", "--epochs", "--scale", "--user"],
        "generate": ["--output", "--scale", "--exposure", "--catalog", "--continuation", "--rank", "--seed", "--readers-scale"],
        "evaluate": Set(["--format", "--rating-scale", "--k", "--relevant", "--json"]).union(fileOptionNames),
        // recommend --threads and info: CommandLineBatchOutputTests.
        "recommend": ["--user", "--read", "--k", "--json", "--popularity-fallback", "--all", "--shard", "--output", "--format", "--threads"],
        "info": ["--json"],
        "similar": ["--item", "--title", "--k", "--json"],
        "export": ["--projector", "--csv", "--npy", "--web"],
        "plot": Set(["--output", "--size", "--label", "--projection", "--perplexity", "--iterations", "--labels", "--color-by", "--test", "--format", "--relevant",
                 "--rating-scale"]).union(fileOptionNames),
        "report": Set(["--output", "--title", "--projection", "--perplexity", "--iterations", "--labels", "--color-by", "--test", "--format", "--relevant",
                   "--rating-scale"]).union(fileOptionNames),
    ]

    /// The options of `RatingsFileOptions` beyond --format and --rating-scale, which every
    /// command reading a ratings file takes (checked by `ratingsFileOptions()`).
    static let fileOptionNames: Set<String> = [
        "--encoding", "--user-column", "--item-column", "--rating-column", "--count-column", "--timestamp-column", "--interactions-only"]

    @Test("train without --epochs: a tutorial recipe trains the tutorial's epochs, a tuned one at most 10")
    func defaultEpochs() throws {
        let f = try Fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        for (model, epochs) in [("v2", 5), ("dot5", 5), ("deep10", 1), ("biasedmf", 10)] {
            let result = try ProgramRunner.embedrec(["train", f.path("ratings.csv"), "--model", model])
            Self.expectClean(result, [model])
            // The validated run, before the refit: one line per epoch.
            let validated = result.out.components(separatedBy: "Chose")[0]
            #expect(validated.components(separatedBy: " train MSE ").count - 1 == epochs, "\(model): \(result.out)")
            #expect(!result.out.contains("changed: \(epochs) epochs") || model == "biasedmf", "\(model): \(result.out)")
        }
    }

    @Test("the suite checks every option the command declares")
    func everyOptionHasACheck() throws {
        let declared = try Self.declaredOptions()
        #expect(Set(declared.keys) == Set(Self.checked.keys), "subcommands: \(declared.keys.sorted())")
        for (sub, options) in declared {
            let missing = options.subtracting(Self.checked[sub] ?? [])
            #expect(missing.isEmpty, "embedrec \(sub): \(missing.sorted()) have no check in CommandOptionsTests")
        }
    }

    /// Ratings, a test file and a catalogue in a fresh folder.
    struct Fixture: RatingsFileFixtureOwner {
        let files: RatingsFileFixture

        init() throws {
            files = try RatingsFileFixture(users: 90, items: 45, ratings: 1600, seed: 5)
            let data = files.data
            try RatingsWriter.writeCSV(data.subset(rows: 0..<200), to: files.path("test.csv"), header: ["user_id", "book_id", "rating"],
                                       columns: [.user, .item, .rating])
            let books = "book_id,title,authors,original_publication_year\n"
                + data.itemIDs.integerRawIDs!.map { "\($0),Book \($0),Author \($0 % 7),\(1960 + $0 % 50)" }.joined(separator: "\n") + "\n"
            try books.write(toFile: files.path("books.csv"), atomically: true, encoding: .utf8)
        }
    }

    static func expectRefused(_ result: (status: Int32, out: String, err: String), naming option: String, _ arguments: [String]) {
        #expect(result.status == 64, "\(arguments): status \(result.status), \(result.err)")
        #expect(result.err.hasPrefix("Error: ") && result.err.contains(option), "\(arguments): \(result.err)")
        #expect(!result.out.contains("epoch") && !result.out.contains("Fitting"), "\(arguments) trained before refusing")
    }

    static func expectClean(_ result: (status: Int32, out: String, err: String), _ arguments: [String]) {
        #expect(result.status == 0, "\(arguments): status \(result.status), \(result.err)")
    }

    static let modelNames = Recipe.all.map(\.name)

    @Test("train: each model kind applies --dimension, --epochs, --deterministic (and the rest) or refuses them", arguments: modelNames)
    func trainOptions(model: String) throws {
        let f = try Fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        let base = ["train", f.path("ratings.csv"), "--model", model]
        let ranking = Recipe.named(model)?.predictsRatings == false
        let isEASE = model == "ease"
        func run(_ extra: [String]) throws -> (status: Int32, out: String, err: String) { try ProgramRunner.embedrec(base + extra) }

        // The models' own settings: applied by the models that have them (the run's summary
        // says so), refused by the others before any work.
        for (option, value, said, takers) in [("--regularization", "5", "λ=5.0", ["ease", "als"]), ("--alpha", "2", "α=2.0", ["als"]),
                                             ("--negatives", "3", "3 negatives", ["bpr", "softmax", "softmax-wide"]),
                                             ("--members", "2", "2 members", ["biasedmf-avg"]),
                                             ("--weights-per-item", "4", "4 weights per item", ["ease"])] {
            if takers.contains(model) {
                let applied = try run([option, value] + (isEASE ? [] : ["--epochs", "1"]))
                Self.expectClean(applied, base + [option, value])
                #expect(applied.out.contains("changed: ") && applied.out.contains(said), "\(model) \(option): \(applied.out)")
            } else {
                Self.expectRefused(try run([option, value]), naming: option, base + [option, value])
            }
        }
        for bad in ["0", "-1", "nan"] where model == "als" {
            Self.expectRefused(try run(["--alpha", bad]), naming: "--alpha", base + ["--alpha", bad])
        }
        // ALS-WR: λ × each row's interactions, said in the run's summary; refused by the others.
        let perInteraction = ["--regularization-per-interaction"]
        if model == "als" {
            let applied = try run(perInteraction + ["--regularization", "0.2", "--epochs", "1"])
            Self.expectClean(applied, base + perInteraction)
            #expect(applied.out.contains("λ × interactions") && applied.out.contains("λ=0.2"), "\(applied.out)")
            // Without --regularization, ALS-WR's own λ (0.1), not the constant rule's 10.
            let alone = try run(perInteraction + ["--epochs", "1"])
            Self.expectClean(alone, base + perInteraction)
            #expect(alone.out.contains("λ=0.1") && alone.out.contains("λ × interactions"), "\(alone.out)")
        } else {
            Self.expectRefused(try run(perInteraction), naming: "--regularization-per-interaction", base + perInteraction)
        }
        for bad in ["0", "-3"] where isEASE {
            Self.expectRefused(try run(["--weights-per-item", bad]), naming: "--weights-per-item", base + ["--weights-per-item", bad])
        }

        // Options that do not apply are refused before any work.
        var refused: [[String]] = []
        if ranking { refused += [["--patience", "1"], ["--validation-fraction", "0.2"], ["--no-refit"]] }
        if !ranking { refused += [["--no-refit", "--validation-fraction", "0"]] }
        let averaged = model == "biasedmf-avg"
        if averaged { refused += [["--patience", "1"]] }
        if isEASE { refused += [["--dimension", "3"], ["--epochs", "2"]] }
        for extra in refused { Self.expectRefused(try run(extra), naming: extra[0], base + extra) }

        // Combinations where one option would be ignored are refused.
        for (extra, option) in [(["--test", f.path("test.csv"), "--test-fraction", "0.3"], "--test-fraction"),
                                (["--threads", "2", "--deterministic"], "--deterministic"), (["--threads", "5000"], "--threads")] {
            Self.expectRefused(try run(extra), naming: option, base + extra)
        }

        // Options every model takes: the split, the seed, threads, a fixed test file, a catalogue.
        let common = ["--test-fraction", "0.2", "--seed", "9", "--threads", "1", "--catalog", f.path("books.csv"), "--output", f.path("c.safetensors")]
        let commonRun = try run(common + (isEASE ? [] : ["--epochs", "1"]))
        Self.expectClean(commonRun, base + common)
        let opened = try Recommender(contentsOf: f.path("c.safetensors"))
        #expect(opened.catalog?.items.count == f.data.itemCount, "--catalog was not stored")
        #expect(commonRun.out.contains("ratings"))
        let pair = ["--train", f.path("ratings.csv"), "--test", f.path("test.csv"), "--format", "csv"]
        let pairRun = try ProgramRunner.embedrec(["train", "--model", model] + pair + (isEASE ? [] : ["--epochs", "1"]))
        Self.expectClean(pairRun, pair)
        #expect(pairRun.out.contains("200 test ratings"), "\(pairRun.out)")
        guard !isEASE else {
            // EASE takes --deterministic (one thread): two runs write the same bytes.
            for name in ["a", "b"] { Self.expectClean(try run(["--deterministic", "--output", f.path("\(name).safetensors")]), base) }
            #expect(try Data(contentsOf: f.dir.appendingPathComponent("a.safetensors")) == Data(contentsOf: f.dir.appendingPathComponent("b.safetensors")))
            return
        }

        // --dimension, --epochs and --deterministic are applied: two runs give identical bytes,
        // the saved embedding has the dimension, and fewer epochs give another model.
        let settings = ["--dimension", "3", "--epochs", "2", "--deterministic"] + (ranking ? [] : ["--no-refit"])
        for name in ["a", "b"] { Self.expectClean(try run(settings + ["--output", f.path("\(name).safetensors")]), base + settings) }
        let a = try Data(contentsOf: f.dir.appendingPathComponent("a.safetensors"))
        #expect(a == (try Data(contentsOf: f.dir.appendingPathComponent("b.safetensors"))), "\(model): --deterministic runs differ")
        let saved = try Recommender(contentsOf: f.path("a.safetensors"))
        let itemTables = ((saved.model as? any TrainableModel)?.parameters ?? []).filter { $0.role == .embedding && $0.rows == saved.itemIDs.count }
        // An average of 16 members of dimension 3 has 48 columns.
        #expect(!itemTables.isEmpty && itemTables.allSatisfy { $0.rowLength == (averaged ? 48 : 3) }, "\(model): --dimension 3 gave \(itemTables.map(\.shape))")
        if !ranking { #expect(saved.history?.epochs.count == 2, "\(model): --epochs 2 ran \(saved.history?.epochs.count ?? -1)") }
        Self.expectClean(try run(["--dimension", "3", "--epochs", "1", "--deterministic", "--output", f.path("one.safetensors")]), base)
        #expect(try Data(contentsOf: f.dir.appendingPathComponent("one.safetensors")) != a, "\(model): --epochs made no difference")

        // Rating models: the validation split and early stopping.
        if !ranking {
            let validated = try run(["--validation-fraction", "0.3", "--epochs", "3"] + (averaged ? ["--members", "2"] : ["--patience", "1"]))
            Self.expectClean(validated, base)
            #expect(averaged || validated.out.contains("(early stopping, patience 1)"), "\(validated.out)")
            let line = String(validated.out.split(separator: "\n").first { $0.contains("validating on") } ?? "")
            let match = line.firstMatch(of: /on (\d+) ratings, validating on (\d+)/)
            let (fitted, held) = (Double(match?.1 ?? "0") ?? 0, Double(match?.2 ?? "0") ?? 0)
            #expect(fitted > 0 && abs(held / (fitted + held) - 0.3) < 0.02, "\(line)")
            // By default the chosen epoch count is fitted again on all the training ratings; the
            // saved history is the run that chose it, with its validation curve.
            let refitted = try run(["--epochs", "3", "--deterministic", "--output", f.path("refit.safetensors")] + (averaged ? ["--members", "2"] : []))
            Self.expectClean(refitted, base)
            let chosen = refitted.out.firstMatch(of: /Chose (?:best epoch|epoch) (\d+).* refitting on all (\d+) training ratings for (\d+) epochs/)
            #expect(chosen != nil && chosen?.1 == chosen?.3 && refitted.out.contains("Model refitted for"), "\(refitted.out)")
            let history = try Recommender(contentsOf: f.path("refit.safetensors")).history
            #expect(history?.bestEpoch == Int(chosen?.3 ?? "0") && (averaged || history?.epochs.allSatisfy { $0.validation != nil } == true))
            let kept = try run(["--epochs", "3", "--deterministic", "--no-refit"])
            #expect(kept.status == 0 && !kept.out.contains("refitting") && kept.out.contains("Model from"), "\(kept.out)")
            let unvalidated = try run(["--epochs", "1", "--validation-fraction", "0"])
            #expect(unvalidated.status == 0 && !unvalidated.out.contains("refitting"), "\(unvalidated.out)")
        }
    }

    @Test("train --encoding and --implicit-rating: Latin-1 text IDs read only when said; implicit zeros go to top-N models, or are ratings with 'none'")
    func trainEncodingAndImplicitRatings() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("encoding-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        // 60 users × 8 items, quoted, ';', a Latin-1 byte in one ISBN, 0 on half the rows.
        var bytes: [UInt8] = []
        for u in 0..<60 {
            for k in 0..<8 {
                let item = (u * 3 + k * 7) % 40
                bytes += Array("\"\(u)\";\"0\(item)X".utf8) + (item == 5 ? [0xDF] : []) + Array("\";\"\((u + k) % 2 == 0 ? 0 : 1 + (u + k) % 10)\"\r\n".utf8)
            }
        }
        let file = dir.appendingPathComponent("bx.csv").path
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        let utf8 = try ProgramRunner.embedrec(["train", file])
        #expect(utf8.status != 0 && utf8.err.contains("--encoding latin1"), "\(utf8.err)")
        let implicit = try ProgramRunner.embedrec(["train", file, "--encoding", "latin1"])
        Self.expectClean(implicit, ["train", file, "--encoding", "latin1"])
        #expect(implicit.out.contains("Rating 0 records an interaction without a rating") && implicit.out.contains("weighted ALS")
                && !implicit.out.contains("RMSE"), "\(implicit.out)")
        // ALS's settings reach the default model of such a file without naming it.
        let tuned = try ProgramRunner.embedrec(["train", file, "--encoding", "latin1", "--alpha", "10", "--regularization", "50"])
        #expect(tuned.status == 0 && tuned.out.contains("α=10.0") && tuned.out.contains("λ=50.0"), "\(tuned.out) \(tuned.err)")
        let rating = try ProgramRunner.embedrec(["train", file, "--encoding", "latin1", "--model", "biasedmf", "--epochs", "1"])
        #expect(rating.status == 0 && rating.out.contains("learns from the") && rating.out.contains("RMSE"), "\(rating.out) \(rating.err)")
        let none = try ProgramRunner.embedrec(["train", file, "--encoding", "latin1", "--implicit-rating", "none", "--epochs", "1"])
        #expect(none.status == 0 && !none.out.contains("without a rating") && none.out.contains("RMSE"), "\(none.out) \(none.err)")
        for bad in [["--encoding", "utf16"], ["--implicit-rating", "zero"]] {
            Self.expectRefused(try ProgramRunner.embedrec(["train", file] + bad), naming: bad[0], ["train", file] + bad)
        }
    }

    @Test("the ratings-file options (train, evaluate, plot, report): columns by name or position, counts, bare interactions, JSON lines, gzip; conflicts refused")
    func ratingsFileOptions() throws {
        let f = try Fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        // The fixture's ratings under names no detector knows, with plays and times beside them.
        let rows = (0..<f.data.count).map { k in
            "r\(f.data.userIDs.integerRawIDs![Int(f.data.users[k])]),\(f.data.itemIDs.integerRawIDs![Int(f.data.items[k])]),"
                + "\(Int(f.data.ratings[k])),\(3 * Int(f.data.ratings[k])),\(1_600_000_000 + k)"
        }
        let odd = f.path("odd.csv")
        try ("who,what,stars,plays,when\n" + rows.joined(separator: "\n") + "\n").write(toFile: odd, atomically: true, encoding: .utf8)
        let unnamed = try ProgramRunner.embedrec(["train", odd])
        #expect(unnamed.status != 0 && unnamed.err.contains("--user-column"), "\(unnamed.err)")
        let columns = ["--user-column", "who", "--item-column", "2", "--timestamp-column", "when"]
        let model = f.path("odd.safetensors")
        let rated = ["train", odd, "--rating-column", "stars", "--model", "ease", "--split", "per-user", "--holdout", "latest", "--output", model] + columns
        let ratedRun = try ProgramRunner.embedrec(rated)
        Self.expectClean(ratedRun, rated)
        #expect(ratedRun.out.contains("ratings in 'stars'") && ratedRun.out.contains("user 'who', item 'what', timestamp 'when'")
                && ratedRun.out.contains("each user's latest"), "\(ratedRun.out)")
        let counted = try ProgramRunner.embedrec(["train", odd, "--count-column", "plays"] + columns)
        #expect(counted.status == 0 && counted.out.contains("counts in 'plays'") && counted.out.contains("weighted ALS")
                && counted.out.contains("log(1 + value)"), "\(counted.out) \(counted.err)")
        let bare = try ProgramRunner.embedrec(["train", odd, "--interactions-only"] + columns)
        #expect(bare.status == 0 && bare.out.contains("each row is one interaction") && bare.out.contains("weighted ALS")
                && !bare.out.contains("log(1 + value)"), "\(bare.out) \(bare.err)")
        // evaluate reads its test file with the same options.
        let evaluated = try ProgramRunner.embedrec(["evaluate", model, odd, "--rating-column", "3", "--json"] + columns)
        #expect(evaluated.status == 0 && evaluated.out.contains("\"recall"), "\(evaluated.out) \(evaluated.err)")
        // JSON lines, gzip-compressed, with string IDs: detected, and read through train.
        let json = f.path("ratings.jsonl")
        try (rows.map { row -> String in
            let v = row.split(separator: ",")
            return "{\"user\": \"\(v[0])\", \"item\": \(v[1]), \"rating\": \(v[2]), \"time\": \(v[4])}"
        }.joined(separator: "\n") + "\n").write(toFile: json, atomically: true, encoding: .utf8)
        if FileManager.default.isExecutableFile(atPath: "/bin/gzip") {
            let gzip = Process()
            gzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
            gzip.arguments = [json]
            try gzip.run(); gzip.waitUntilExit()
            let jsonRun = try ProgramRunner.embedrec(["train", json + ".gz", "--model", "ease"])
            #expect(jsonRun.status == 0 && jsonRun.out.contains("JSON lines, fields item, rating, time, user") && jsonRun.out.contains("\(rows.count) ratings"),
                    "\(jsonRun.out) \(jsonRun.err)")
        }
        // What cannot go together, refused before any work.
        for (extra, option) in [(["--rating-column", "stars", "--count-column", "plays"], "--count-column"),
                                (["--interactions-only", "--rating-column", "stars"], "--interactions-only"),
                                (["--format", "csv", "--user-column", "who"], "--format"),
                                (["--count-column", "plays", "--rating-scale", "1...5"], "--rating-scale"),
                                (["--user-column", "0"], "--user-column"), (["--user-column", "whom"], "no column named 'whom'")] {
            let result = try ProgramRunner.embedrec(["train", odd] + extra)
            #expect(result.status != 0 && result.err.contains(option) && !result.out.contains("Fitting"), "\(extra): \(result.err)")
        }
        for command in ["plot", "report"] {
            for option in Self.fileOptionNames.sorted() {
                let extra = option == "--interactions-only" ? [option] : option == "--encoding" ? [option, "latin1"] : [option, "who"]
                let result = try ProgramRunner.embedrec([command] + (command == "plot" ? ["metrics"] : []) + [model, "--output", f.path("x.svg")] + extra)
                #expect(result.status != 0 && result.err.contains("\(option) describes the --test file"), "\(command) \(extra): \(result.err)")
            }
        }
    }

    @Test("train --split per-user and --holdout: each user's ratings split, the latest or at random; refused where they mean nothing")
    func trainSplits() throws {
        let f = try Fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        let base = ["train", f.path("ratings.csv"), "--model", "ease"]
        for (extra, option) in [(["--holdout", "latest"], "--holdout"), (["--split", "per-user", "--test", f.path("test.csv")], "--split")] {
            Self.expectRefused(try ProgramRunner.embedrec(base + extra), naming: option, base + extra)
        }
        // Every user with two or more ratings gives a quarter of them (rounded, at least one),
        // so the test part is far from a random quarter's size per user; the run says which it held out.
        let perUser = f.data.ratingsPerUser().filter { $0 >= 2 }.map { min($0 - 1, max(1, Int((Double($0) * 0.25).rounded()))) }.reduce(0, +)
        for (holdout, words) in [("random", "drawn from each user's"), ("latest", "each user's latest")] {
            let run = try ProgramRunner.embedrec(base + ["--split", "per-user", "--holdout", holdout, "--test-fraction", "0.25"])
            Self.expectClean(run, base)
            #expect(run.out.contains("Per-user holdout: \(perUser) test ratings (\(words))"), "\(run.out)")
        }
        let random = try ProgramRunner.embedrec(base + ["--split", "random", "--test-fraction", "0.25"])
        Self.expectClean(random, base)
        #expect(!random.out.contains("Per-user"))
    }

    @Test("demo, generate: every option is checked before any work")
    func demoAndGenerateValidate() throws {
        let f = try Fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        for (arguments, option) in [
            (["demo", "--ratings", f.path("missing.csv")], "missing.csv"),
            (["demo", "--catalog", f.dir.path], "is a directory"),
            (["demo", "--model", "ease"], "--model"),
            (["demo", "--dimension", "0"], "--dimension"),
            (["demo", "--epochs", "0"], "--epochs"),
            (["demo", "--scale", "0"], "--scale"),
            (["demo", "--ratings", f.path("ratings.csv"), "--scale", "0.5"], "--scale sizes the generated ratings"),
            (["demo", "--deterministic", "--user", "999999999", "--scale", "0.11"], "--user: reader 999999999 is not in the data"),
            (["generate", "--output", f.dir.path], "--output"),
            (["generate", "--output", f.path("g.csv"), "--scale", "0.05"], "--scale"),
            (["generate", "--output", f.path("g.csv"), "--exposure", "-1"], "--exposure"),
            (["generate", "--output", f.path("g.csv"), "--rank", "0"], "--rank"),
            (["generate", "--output", f.path("g.csv"), "--continuation", "0.3"], "--continuation needs --catalog"),
            (["generate", "--output", f.path("g.csv"), "--catalog", f.path("missing.csv")], "--catalog"),
            (["generate", "--output", f.path("g.csv"), "--readers-scale", "0"], "--readers-scale must be in 1...100"),
            (["generate", "--output", f.path("g.csv"), "--readers-scale", "101"], "--readers-scale must be in 1...100"),
        ] {
            let result = try ProgramRunner.embedrec(arguments)
            #expect(result.status != 0 && result.err.contains(option), "\(arguments): \(result.status) \(result.err)")
            #expect(!result.out.contains("epoch"), "\(arguments): trained before refusing")
        }
        // generate applies its settings: the seed and rank change the file, the catalogue too. All at
        // --exposure 0, which is itself applied: the taste-driven draw (exposure > 0) takes minutes
        // in a debug build, and is the default generation the demo and ranking tests run.
        var outputs: [String: Data] = [:]
        for (name, extra) in [("base", [String]()), ("seed", ["--seed", "5"]), ("rank", ["--rank", "2"]),
                              ("catalog", ["--catalog", f.path("books.csv"), "--continuation", "0.9"])] {
            let arguments = ["generate", "--output", f.path("\(name).csv"), "--scale", "0.11", "--exposure", "0"] + extra
            Self.expectClean(try ProgramRunner.embedrec(arguments), arguments)
            outputs[name] = try Data(contentsOf: f.dir.appendingPathComponent("\(name).csv"))
        }
        for name in ["seed", "rank", "catalog"] { #expect(outputs[name] != outputs["base"], "generate \(name) made no difference") }
        // --readers-scale 2: twice the readers and the ratings.
        let twice = try ProgramRunner.embedrec(["generate", "--output", f.path("twice.csv"), "--scale", "0.11", "--exposure", "0", "--readers-scale", "2"])
        Self.expectClean(twice, ["--readers-scale"])
        let base = try ProgramRunner.embedrec(["generate", "--output", f.path("once.csv"), "--scale", "0.11", "--exposure", "0"])
        #expect(base.out.contains("53424 readers") && twice.out.contains("106848 readers"), "\(base.out) \(twice.out)")
        let ratings = { (out: String) in Int(out.split(separator: ":")[1].split(separator: " ")[0]) ?? 0 }
        #expect(ratings(twice.out) == 2 * ratings(base.out), "\(base.out) \(twice.out)")
    }

    @Test("evaluate, recommend, similar, export, plot, report: every option on a rating model, a ranking model, EASE and ConcatMLP",
          arguments: ["biasedmf", "als", "ease", "concat15"])
    func savedFileOptions(model: String) throws {
        let f = try Fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        let file = f.path("m.safetensors")
        Self.expectClean(try ProgramRunner.embedrec(["train", f.path("ratings.csv"), "--model", model, "--catalog", f.path("books.csv"),
                                                     "--output", file] + (model == "ease" || model == "als" ? [] : ["--epochs", "2"])), [model])
        let user = String(f.data.userIDs.integerRawIDs![3]), item = String(f.data.itemIDs.integerRawIDs![2])
        let hasEmbedding = model != "ease"
        // (arguments, expected: nil = success, else a text the one-line error contains)
        var cases: [([String], String?)] = [
            (["evaluate", file, f.path("test.csv"), "--format", "csv", "--k", "5", "--relevant", "3", "--json"], nil),
            (["recommend", file, "--user", user, "--k", "3", "--json"], nil),
            (["recommend", file, "--user", "123456789", "--popularity-fallback"], nil),
            (["recommend", file, "--read", "\(item):4", "--k", "3"], nil),
            (["recommend", file, "--read", "\(item):400"], "outside the training ratings' scale"),
            (["recommend", file, "--read", item, "--popularity-fallback"], "--popularity-fallback"),
            (["recommend", file, "--all", "--shard", "1/2", "--output", f.path("all.jsonl"), "--k", "2"], nil),
            (["recommend", file, "--all", "--output", f.path("all.txt"), "--format", "csv"], nil),
            (["recommend", file, "--all", "--json", "--output", f.path("x.csv")], "--json"),
            (["recommend", file, "--all", "--output", f.dir.path], "--output"),
            (["similar", file, "--item", item, "--k", "3", "--json"], nil),
            (["similar", file, "--title", "Book \(item)", "--k", "2"], nil),
            (["export", file, "--web", f.path("books.json")], nil),
            (["export", file, "--csv", f.path("v.csv"), "--npy", f.path("v.npy"), "--projector", f.path("projector")],
             hasEmbedding ? nil : "item embedding"),
            (["export", file, "--csv", f.dir.path], "--csv"),
            (["plot", "loss", file, "--output", f.path("loss.svg"), "--size", "400x300"], model == "ease" || model == "als" ? "history" : nil),
            (["plot", "histogram", file, "--output", f.path("h.svg")], nil),
            (["plot", "loss", file, "--output", f.path("labelled.svg"), "--label", "Mine"], model == "ease" || model == "als" ? "history" : nil),
            (["plot", "histogram", file, "--output", f.path("x.svg"), "--label", "x"], "--label"),
            (["plot", "loss", file, file, "--output", f.path("x.svg"), "--label", "one"], "--label"),
            (["plot", "map", file, "--output", f.path("map.svg"), "--projection", "pca", "--labels", "3"], hasEmbedding ? nil : "item embedding"),
            (["plot", "map", file, "--output", f.path("decades.svg"), "--projection", "pca", "--color-by", "decade"], hasEmbedding ? nil : "item embedding"),
            (["plot", "map", file, "--output", f.path("plain.svg"), "--projection", "pca", "--color-by", "none"], hasEmbedding ? nil : "item embedding"),
            (["plot", "histogram", file, "--output", f.path("x.svg"), "--color-by", "genre"], "--color-by"),
            (["report", file, "--output", f.path("x.html"), "--projection", "none", "--color-by", "genre"], "--color-by"),
            (["plot", "map", file, "--output", f.path("t.svg"), "--perplexity", "5", "--iterations", "20"],
             hasEmbedding ? nil : "item embedding"),
            (["plot", "metrics", file, "--output", f.path("m.svg"), "--test", f.path("test.csv"), "--format", "csv", "--relevant", "3"], nil),
            (["plot", "histogram", file, "--output", f.path("x.svg"), "--perplexity", "5"], "--perplexity"),
            (["plot", "loss", file, "--output", f.path("x.svg"), "--test", f.path("test.csv")], "--test"),
            (["plot", "map", file, "--output", f.path("x.svg"), "--projection", "pca", "--perplexity", "5"], "--perplexity"),
            (["report", file, "--output", f.path("r.html"), "--title", "T", "--projection", "none", "--test", f.path("test.csv"),
              "--format", "csv", "--relevant", "3"], nil),
            (["report", file, "--output", f.path("r2.html"), "--projection", "pca", "--labels", "2"], nil),
            (["report", file, "--output", f.path("r3.html"), "--projection", "tsne", "--perplexity", "5", "--iterations", "10"], nil),
            (["report", file, "--output", f.path("r4.html"), "--relevant", "3"], "--relevant"),
        ]
        if model == "ease" { cases = cases.map { $0.0.contains("report") && $0.0.contains("pca") ? ($0.0, nil) : $0 } }
        for (arguments, expected) in cases {
            let result = try ProgramRunner.embedrec(arguments)
            #expect(result.status != ProgramRunner.timedOutStatus && result.status < 128 && !result.err.contains("Fatal error"),
                    "\(model) \(arguments): crashed or hung (\(result.status)) \(result.err)")
            #expect(result.err.split(separator: "\n").count <= 3, "\(model) \(arguments): \(result.err)")
            if let expected {
                #expect(result.status != 0 && result.err.contains(expected), "\(model) \(arguments): \(result.status) \(result.err)")
            } else {
                #expect(result.status == 0, "\(model) \(arguments): \(result.err)")
            }
        }
        // The applied ones show their effect: K, the size, the title, the labels.
        let three = try ProgramRunner.embedrec(["recommend", file, "--user", user, "--k", "3", "--json"])
        #expect(three.out.components(separatedBy: "\"item\":").count - 1 == 3, "\(three.out)")
        if model != "ease" && model != "als" {   // (no per-epoch history to draw for those)
            #expect(try String(contentsOfFile: f.path("loss.svg"), encoding: .utf8).contains("width=\"400\""))
            #expect(try String(contentsOfFile: f.path("labelled.svg"), encoding: .utf8).contains("Mine"))
        }
        #expect(try String(contentsOfFile: f.path("r.html"), encoding: .utf8).contains("<title>T</title>"))
        if hasEmbedding {
            // The catalogue has years and no genres: decades colour the map, none leaves it one colour.
            #expect(try String(contentsOfFile: f.path("decades.svg"), encoding: .utf8).contains("0s</text>"))
            #expect(try !String(contentsOfFile: f.path("plain.svg"), encoding: .utf8).contains("0s</text>"))
        }
        let similar = try ProgramRunner.embedrec(["similar", file, "--item", item, "--k", "2", "--json"])
        #expect(similar.out.split(separator: "\n").count == 2, "\(similar.out)")
        let evaluation = try ProgramRunner.embedrec(["evaluate", file, f.path("test.csv"), "--k", "5", "--json"])
        #expect(evaluation.out.contains("\"k\":5") || evaluation.out.contains("\"k\" : 5"), "\(evaluation.out.prefix(200))")
        let shard = try String(contentsOfFile: f.path("all.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(!shard.isEmpty && shard.allSatisfy { $0.contains("\"items\":[") && $0.split(separator: ",").count >= 4 })
        #expect(try String(contentsOfFile: f.path("all.txt"), encoding: .utf8).hasPrefix("user,rank,item,score\n"))
    }
}
