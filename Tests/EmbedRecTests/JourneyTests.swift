import Foundation
import Testing
@testable import EmbedRec

/// A new user's journey through the command line, end to end, on every dataset in ../shared/data
/// and on generated files of every other kind the loader reads: train a top-N model (and a rating
/// model where the data has ratings), evaluate, recommend for a known and a new user, similar
/// items, export, plot, and open the saved file — checking that the answers make sense: no RMSE
/// for a top-N model, IDs echoed as the file wrote them, the catalogue's words, famous items'
/// known neighbours, and a top-N model ahead of the most-popular list on real data.
@Suite("Journeys: the command line end to end on every dataset and every kind of file",
       .enabled(if: OpenBLASRelaunchTests.executable != nil, "the embedrec binary is built next to the tests"))
struct JourneyTests {
    /// One file and what a person would expect of it.
    struct Journey: Sendable, CustomTestStringConvertible {
        let name: String
        /// A file under ../shared/data it needs, or nil for a generated one.
        var needs: String? = nil
        /// Writes (or finds) the ratings file in `dir`; returns its path.
        let file: @Sendable (URL) throws -> String
        /// Options that read the file (train and evaluate).
        var reading: [String] = []
        /// Options for train only (a catalogue; a smaller model for a large file).
        var training: [String] = []
        /// Whether the data holds ratings (a rating model is trained too).
        var ratings = true
        /// A user and two items as the file writes them.
        let user: String, items: [String]
        /// Whether the IDs are text (JSON strings in the answers).
        var textIDs = false
        /// The word for a user in `recommend`'s table.
        var userNoun = "user"
        /// A famous item and neighbours of which at least one must be among its 10 nearest.
        var famous: (item: String, neighbours: Set<String>)? = nil
        /// Real data: the top-N model must beat the most-popular list.
        var beatsPopularity = false
        /// Whether `evaluate` runs: its baselines score every user × item pair, minutes for
        /// 10,000 items in a debug build.
        var evaluates = true

        var testDescription: String { name }
    }

    static let journeys: [Journey] = [
        Journey(name: "ml-100k u.data with u.item", needs: "ml-100k/u.data", file: { _ in TestSupport.dataPath("ml-100k/u.data") },
                training: ["--catalog", TestSupport.dataPath("ml-100k/u.item")], user: "1", items: ["50", "181"], userNoun: "viewer",
                famous: ("50", ["181", "172", "174"]), beatsPopularity: true),
        Journey(name: "ml-1m ratings.csv", needs: "ml-1m/ratings.csv", file: { _ in TestSupport.dataPath("ml-1m/ratings.csv") },
                training: ["--dimension", "16", "--epochs", "5"], user: "1", items: ["1", "260"], beatsPopularity: true),
        Journey(name: "lastfm-2k play counts", needs: "lastfm-2k/user_artists.dat", file: { _ in TestSupport.dataPath("lastfm-2k/user_artists.dat") },
                ratings: false, user: "2", items: ["51", "289"], userNoun: "listener",
                famous: ("289", ["292", "89"]), beatsPopularity: true),  // Britney Spears: Christina Aguilera, Lady Gaga
        Journey(name: "Book-Crossing sample (ISBNs, Latin-1, implicit zeros)", needs: "book-crossing-sample/BX-Book-Ratings.sample.csv",
                file: { _ in TestSupport.dataPath("book-crossing-sample/BX-Book-Ratings.sample.csv") }, reading: ["--encoding", "latin1"],
                user: "43842", items: ["0739432540", "0739434187"], textIDs: true),
        Journey(name: "goodbooks-shaped, generated", file: { dir in
                    // Popularity-driven (β = 0): the taste-driven draw takes minutes in a debug build.
                    var configuration = SyntheticRatings.Configuration.goodbooks(scale: 0.11)
                    configuration.exposure = 0
                    let data = try SyntheticRatings.generate(configuration)
                    let path = dir.appendingPathComponent("goodbooks.csv").path
                    try RatingsWriter.writeCSV(data, to: path, header: ["book_id", "user_id", "rating"], columns: [.item, .user, .rating])
                    return path
                }, training: ["--dimension", "16", "--epochs", "5"], user: "1", items: ["1", "2"], userNoun: "reader", evaluates: false),
        Journey(name: "JSON lines, gzip, string IDs", file: { dir in
                    let path = dir.appendingPathComponent("reviews.jsonl").path
                    try generated().map { r in
                        "{\"customer\": \"c-\(r.user)\", \"asin\": \"B00\(r.item)X\", \"stars\": \(Int(r.rating)), \"ts\": \(1_500_000_000 + r.row)}"
                    }.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
                    return try gzip(path)
                }, user: "c-1", items: ["B001X", "B002X"], textIDs: true, userNoun: "customer"),
        Journey(name: "a 0.5–4 scale", file: { dir in
                    try write(dir, "half.csv", "user,item,rating", generated().map { "\($0.user),\($0.item),\(Float($0.rating - 1) * 0.875 + 0.5)" })
                }, reading: ["--rating-scale", "0.5...4"], user: "1", items: ["1", "2"]),
        Journey(name: "continuous scores", file: { dir in
                    try write(dir, "scores.tsv", "user\titem\tscore", generated().map { "\($0.user)\t\($0.item)\t\(Double($0.rating) * 0.731 + Double($0.row % 7) * 0.0131)" })
                }, user: "1", items: ["1", "2"]),
        Journey(name: "interactions only (no value column)", file: { dir in
                    try write(dir, "purchases.csv", "customer,product", generated().map { "shopper\($0.user),sku-\($0.item)" })
                }, ratings: false, user: "shopper1", items: ["sku-1", "sku-2"], textIDs: true, userNoun: "customer"),
        Journey(name: "Latin-1, quoted, 1–10", file: { dir in
                    let path = dir.appendingPathComponent("latin1.csv").path
                    var bytes: [UInt8] = []
                    for r in try generated() {
                        // Item 3 is spelled with a Latin-1 'é' (0xE9): it must come back as UTF-8 "é".
                        bytes += Array("\"\(r.user)\";\"caf".utf8) + (r.item == 3 ? [0xE9] : Array("e".utf8))
                            + Array("-\(r.item)\";\"\(Int(r.rating) * 2)\"\r\n".utf8)
                    }
                    try Data(bytes).write(to: URL(fileURLWithPath: path))
                    return path
                }, reading: ["--encoding", "latin1"], user: "1", items: ["café-3", "cafe-1"], textIDs: true),
    ]

    /// Planted-structure ratings (1–5) for the generated files: (user, item, rating, row).
    static func generated() throws -> [(user: Int64, item: Int64, rating: Float, row: Int)] {
        let data = try SyntheticRatings.generate(.init(users: 150, items: 60, ratings: 3_000, seed: 11))
        return (0..<data.count).map { k in
            (data.userIDs.integerRawIDs![Int(data.users[k])], data.itemIDs.integerRawIDs![Int(data.items[k])], data.ratings[k], k)
        }
    }

    static func write(_ dir: URL, _ name: String, _ header: String, _ rows: [String]) throws -> String {
        let path = dir.appendingPathComponent(name).path
        try ([header] + rows).joined(separator: "\n").appending("\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// `path` compressed by the machine's gzip (`path.gz`), or `path` itself when there is none.
    static func gzip(_ path: String) throws -> String {
        guard FileManager.default.isExecutableFile(atPath: "/bin/gzip") else { return path }
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
        gzip.arguments = [path]
        try gzip.run(); gzip.waitUntilExit()
        return path + ".gz"
    }

    @Test("train, evaluate, recommend, similar, export, plot, open", arguments: journeys)
    func journey(_ journey: Journey) throws {
        if let needs = journey.needs, !TestSupport.hasData(needs) { return }  // ../shared is absent: nothing to walk
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = try journey.file(dir)
        func run(_ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
            let result = try ProgramRunner.embedrec(arguments)
            #expect(result.status == 0, "\(journey.name): embedrec \(arguments.joined(separator: " ")): \(result.err)")
            return result
        }

        // A top-N model, always: ranking metrics only, and ahead of the most popular on real data.
        let top = dir.appendingPathComponent("top.safetensors").path
        let fitted = try run(["train", file, "--model", "als", "--output", top] + journey.reading + journey.training)
        #expect(fitted.out.contains("Ranking:") && !fitted.out.contains("RMSE"), "\(journey.name): \(fitted.out)")
        if journey.beatsPopularity {
            let recall = fitted.out.firstMatch(of: /Ranking: .*R@10 ([0-9.]+)/).flatMap { Double($0.1) } ?? 0
            let popular = fitted.out.firstMatch(of: /Most popular: R@10 ([0-9.]+)/).flatMap { Double($0.1) } ?? 1
            #expect(recall > popular, "\(journey.name): ALS R@10 \(recall), most popular \(popular)")
        }
        // A rating model where there are ratings: RMSE, on the explicit ratings.
        if journey.ratings {
            let rated = try run(["train", file, "--model", "biasedmf", "--epochs", "1", "--output", dir.appendingPathComponent("rating.safetensors").path]
                                + journey.reading)
            #expect(rated.out.contains("test RMSE"), "\(journey.name): \(rated.out)")
        }
        if journey.evaluates {
            let evaluated = try run(["evaluate", top, file, "--json"] + journey.reading)
            // The top-N model's row has ranking metrics and no RMSE.
            let models = (try JSONSerialization.jsonObject(with: Data(evaluated.out.utf8)) as? [String: Any])?["models"] as? [[String: Any]]
            #expect(models?.first.map { $0["rmse"] is NSNull && $0["recall"] is NSNumber } == true, "\(journey.name): \(evaluated.out)")
        }

        // IDs come back as written: JSON strings for text IDs, numbers for integers.
        func ids(_ jsonLines: String, key: String) -> [Any] {
            jsonLines.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
                .flatMap { line -> [Any] in
                    if let list = line["recommendations"] as? [[String: Any]] { return list.compactMap { $0[key] } }
                    return line[key].map { [$0] } ?? []
                }
        }
        let known = try run(["recommend", top, "--user", journey.user, "--json"])
        let recommended = ids(known.out, key: "item")
        #expect(recommended.count == 10 && recommended.allSatisfy { journey.textIDs ? $0 is String : $0 is NSNumber },
                "\(journey.name): \(known.out)")
        let table = try run(["recommend", top, "--user", journey.user])
        #expect(table.out.hasPrefix("\(journey.userNoun) \(journey.user)"), "\(journey.name): \(table.out)")
        let newcomer = try run(["recommend", top, "--read", journey.items.joined(separator: ","), "--json"])
        #expect(!ids(newcomer.out, key: "item").contains { "\($0)" == journey.items[0] }, "a new user's own items are left out: \(newcomer.out)")
        let similar = try run(["similar", top, "--item", journey.items[0], "--json", "--k", "10"])
        let neighbours = ids(similar.out, key: "item").map { "\($0)" }
        #expect(neighbours.count == 10 && !neighbours.contains(journey.items[0]), "\(journey.name): \(similar.out)")
        if let famous = journey.famous {
            let nearest = ids(try run(["similar", top, "--item", famous.item, "--json", "--k", "10"]).out, key: "item").map { "\($0)" }
            #expect(!famous.neighbours.isDisjoint(with: nearest), "\(journey.name): \(famous.item)'s neighbours \(nearest)")
        }

        // Export, plot, and the saved file opened again: IDs and words as they were.
        let csv = dir.appendingPathComponent("items.csv").path
        _ = try run(["export", top, "--csv", csv])
        let exported = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n").dropFirst().map { String($0.split(separator: ",")[0]) }
        #expect(journey.items.allSatisfy { item in exported.contains { $0 == item || $0 == "\"\(item)\"" } }, "\(journey.name): \(exported.prefix(5))")
        let map = dir.appendingPathComponent("map.svg").path
        _ = try run(["plot", "map", top, "--projection", "pca", "--output", map])
        #expect(try String(contentsOfFile: map, encoding: .utf8).contains("<svg"))
        let opened = try Recommender(contentsOf: top)
        #expect(opened.itemIDs.holdsText == journey.textIDs && opened.nouns.user == journey.userNoun && opened.model.predictsRatings == false)
        #expect(try opened.recommend(user: RawID(journey.user), k: 3).recommendations.allSatisfy { $0.predictedRating == nil })
    }
}
