import Foundation
import Testing
@testable import EmbedRec

/// The built `embedrec` binary, run as a person would: train on a generated file, save, and
/// recommend from the saved file; bad input exits non-zero with a one-line error.
@Suite("embedrec command: train --output, recommend")
struct CommandLineTests {
    @Test("train writes a recommender that recommend reads; bad input gives one-line errors",
          .enabled(if: OpenBLASRelaunchTests.executable != nil, "the embedrec binary is built next to the tests"))
    func trainThenRecommend() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let ratings = dir.appendingPathComponent("ratings.csv").path
        let data = try SyntheticRatings.generate(.init(users: 80, items: 40, ratings: 1200, seed: 2))
        try RatingsWriter.writeCSV(data, to: ratings, header: ["user_id", "book_id", "rating"], columns: [.user, .item, .rating])
        let model = dir.appendingPathComponent("model.safetensors").path
                let train = try OpenBLASRelaunchTests.run(["train", ratings, "--epochs", "2", "--output", model])
        #expect(train.status == 0, "\(train.err)")
        #expect(train.out.contains("Saved the recommender to \(model)"))
        let saved = try Recommender(contentsOf: model)
        let top = try OpenBLASRelaunchTests.run(["recommend", model, "--user", "3", "--k", "4"])
        #expect(top.status == 0, "\(top.err)")
        let expected = try saved.recommend(user: 3, k: 4).recommendations.map { $0.rawItemID }
        let listed = top.out.split(separator: "\n").dropFirst(2).compactMap { $0.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.map { RawID($0) } }
        #expect(listed == expected, "\(top.out)")
        let reader = try OpenBLASRelaunchTests.run(["recommend", model, "--read", "1:5,2:4,3", "--k", "3", "--json"])
        #expect(reader.status == 0 && reader.out.contains("\"request\":\"new user\""), "\(reader.out) \(reader.err)")
        // Bad input: one line on standard error, non-zero exit, no stack trace.
        let similar = try OpenBLASRelaunchTests.run(["similar", model, "--item", "2", "--k", "3"])
        #expect(similar.status == 0, "\(similar.err)")
        let neighbours = try saved.coRatedItems(to: 2, k: 3).map { $0.rawItemID }
        let shown = similar.out.split(separator: "\n").dropFirst().compactMap { $0.split(separator: " ").dropFirst().first.map { RawID($0) } }
        #expect(shown == neighbours, "\(similar.out)")
        // The default model predicts ratings: its neighbours come from who rated what, and the list says so.
        #expect(similar.out.hasPrefix("Readers who rated book 2 also rated (cosine of the readers they share; a rating model's embeddings place books by predicted stars):"),
                "\(similar.out)")
        // --deterministic: the same seed gives the same saved model; --test takes a fixed test file.
        let testFile = dir.appendingPathComponent("test.csv").path
        try RatingsWriter.writeCSV(data.subset(rows: 0..<200), to: testFile, header: ["user_id", "book_id", "rating"], columns: [.user, .item, .rating])
        var saved2: [[[Float]]] = []
        for k in 0..<2 {
            let path = dir.appendingPathComponent("det\(k).safetensors").path
            let result = try OpenBLASRelaunchTests.run(["train", ratings, "--test", testFile, "--epochs", "2", "--deterministic", "--output", path])
            #expect(result.status == 0 && result.out.contains("200 test ratings"), "\(result.out) \(result.err)")
            saved2.append((try Recommender(contentsOf: path).model as! any TrainableModel).parameters.map { $0.toArray() })
        }
        // (The files differ in the recorded epoch timings, not in the weights.)
        #expect(saved2[0] == saved2[1], "deterministic training gave different weights")
        // evaluate: the model's metrics next to the baselines, computed as the library does.
        let evaluation = try OpenBLASRelaunchTests.run(["evaluate", model, testFile, "--json"])
        #expect(evaluation.status == 0, "\(evaluation.err)")
        let report = try JSONSerialization.jsonObject(with: Data(evaluation.out.utf8)) as? [String: Any]
        let modelNames = (report?["models"] as? [[String: Any]])?.compactMap { $0["model"] as? String } ?? []
        #expect(modelNames.count == 4 && modelNames.contains("baseline popularity"), "\(evaluation.out)")
        // (Its figures against values worked out by hand, unknown rows and every ranking column:
        // EvaluationKnownAnswerTests.)
        // demo checks the reader before any training.
        let demo = try OpenBLASRelaunchTests.run(["demo", "--scale", "0.3", "--user", "99999999"])
        #expect(demo.status != 0 && demo.err.contains("--user: reader 99999999 is not in the data"), "\(demo.err)")
        #expect(!demo.out.contains("epoch"), "demo trained before checking --user")
        for (arguments, message) in [
            (["recommend", model, "--user", "99999"], "unknown user 99999"),
            (["recommend", dir.appendingPathComponent("missing").path, "--user", "1"], "No such file"),
            (["recommend", model, "--read", "1:x"], "not a finite number"),
            (["recommend", model], "give --user ID or --read ITEMS"),
            (["similar", model, "--title", "x"], "has no catalogue"),
            (["similar", model, "--item", "99999"], "unknown item 99999"),
            (["recommend", ratings, "--user", "1"], "header length"),
            (["train", ratings, "--output", "/no/such/folder/m.safetensors"], "folder /no/such/folder: No such file or directory"),
        ] {
            let result = try OpenBLASRelaunchTests.run(arguments)
            #expect(result.status != 0, "\(arguments)")
            #expect(result.err.contains(message), "\(arguments): \(result.err)")
            #expect(!result.err.contains("Fatal error") && result.err.split(separator: "\n").count <= 3, "\(arguments): \(result.err)")
        }
    }

    @Test("demo runs end to end on a ratings file: baselines, the rating model, the top-N model, lists that make sense",
          .enabled(if: OpenBLASRelaunchTests.executable != nil, "the embedrec binary is built next to the tests"))
    func demoEndToEnd() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = try SyntheticRatings.generate(.init(users: 150, items: 80, ratings: 3_000, seed: 14))
        let ratings = dir.appendingPathComponent("ratings.csv").path
        try RatingsWriter.writeCSV(data, to: ratings, header: ["book_id", "user_id", "rating"], columns: [.item, .user, .rating])
        let result = try ProgramRunner.embedrec(["demo", "--ratings", ratings, "--epochs", "2", "--user", "3", "--deterministic"])
        #expect(result.status == 0, "\(result.err)")
        let out = result.out
        for line in ["baseline globalMean: test RMSE", "baseline biases: test RMSE", "Test: RMSE", "Top-N model: EASE",
                     "Top 5 for reader 3", "Top 10 for all 150 readers", "People who liked item 1 also liked:", "A new reader who liked books 1, 2, 3"] {
            #expect(out.contains(line), "missing \"\(line)\" in:\n\(out)")
        }
        // Each list: five distinct items of the catalogue, never the item or the reads it starts from.
        func list(after heading: String) -> [Int64] {
            let lines = out.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            guard let start = lines.firstIndex(where: { $0.hasPrefix(heading) }) else { return [] }
            return lines[(start + 1)...].prefix { $0.hasPrefix("  item ") }.compactMap { Int64($0.dropFirst(7).prefix { $0 != " " }) }
        }
        let known = Set(data.itemIDs.integerRawIDs!)
        let reader = list(after: "Top 5 for reader 3"), alsoRead = list(after: "People who liked item 1 also liked"),
            newcomer = list(after: "A new reader who liked books 1, 2, 3")
        for (name, items, excluded) in [("reader 3", reader, Set<Int64>()), ("readers of item 1", alsoRead, [1]), ("new reader", newcomer, [1, 2, 3])] {
            #expect(items.count == 5 && Set(items).count == 5 && items.allSatisfy(known.contains), "\(name): \(items)")
            #expect(excluded.isDisjoint(with: items), "\(name) lists what it starts from: \(items)")
        }
    }

    @Test("MovieLens's current ratings.csv (userId,movieId; half stars 0.5–5) trains and evaluates with no format flag",
          .enabled(if: OpenBLASRelaunchTests.executable != nil, "the embedrec binary is built next to the tests"))
    func movieLensHalfStars() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // ml-latest's layout: a header naming userId and movieId, ratings in half stars.
        var rng = SeededGenerator(seed: 4)
        var text = "userId,movieId,rating,timestamp\n"
        for user in 1...60 { for movie in Set((0..<12).map { _ in 1 + rng.nextInt(below: 40) }) {
            text += "\(user),\(movie),\(Double(1 + rng.nextInt(below: 10)) / 2),\(1_000_000 + user * 100 + movie)\n"
        } }
        let ratings = dir.appendingPathComponent("ratings.csv").path
        try text.write(toFile: ratings, atomically: true, encoding: .utf8)
        let model = dir.appendingPathComponent("m.safetensors").path
        let trained = try ProgramRunner.embedrec(["train", ratings, "--epochs", "1", "--output", model])
        #expect(trained.status == 0, "\(trained.err)")
        #expect(try Recommender(contentsOf: model).ratingScale == 0.5...5)
        let evaluated = try ProgramRunner.embedrec(["evaluate", model, ratings])
        #expect(evaluated.status == 0, "\(evaluated.err)")
        // A goodbooks-style header keeps the 1–5 scale: a half star there is still an error,
        // unless --rating-scale says otherwise; and --rating-scale narrows too.
        try text.replacingOccurrences(of: "userId,movieId", with: "user_id,book_id").write(toFile: ratings, atomically: true, encoding: .utf8)
        let refused = try ProgramRunner.embedrec(["train", ratings])
        #expect(refused.status != 0 && refused.err.contains("is outside the scale 1.0...5.0"), "\(refused.err)")
        let scaled = try ProgramRunner.embedrec(["train", ratings, "--rating-scale", "0.5...5", "--epochs", "1", "--output", model])
        #expect(scaled.status == 0, "\(scaled.err)")
        let narrowed = try ProgramRunner.embedrec(["evaluate", model, ratings, "--rating-scale", "1...4"])
        #expect(narrowed.status != 0 && narrowed.err.contains("is outside the scale 1.0...4.0"), "\(narrowed.err)")
        #expect(try ProgramRunner.embedrec(["evaluate", model, ratings, "--rating-scale", "0.5...5"]).status == 0)
        for bad in ["5...1", "1..5", "a...b", "1...inf"] {
            let result = try ProgramRunner.embedrec(["train", ratings, "--rating-scale", bad])
            #expect(result.status == 64 && result.err.contains("--rating-scale"), "\(bad): \(result.err)")
        }
    }
}
