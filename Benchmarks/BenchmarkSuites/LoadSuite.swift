import EmbedRec
import Foundation

/// Parsing ratings files into ready-to-train datasets (with ID maps), next to pandas.read_csv.
enum LoadSuite {
    static func run(_ c: BenchContext) throws {
        var files: [(name: String, path: String, format: RatingsFileFormat)] = [
            ("generated \(c.dataName)", c.ratingsFile, .goodbooks)
        ]
        if !c.smoke && c.ratingsFile.hasSuffix("x1.0.csv") {
            // The later goodbooks release's size (5.98M ratings, user_id,book_id,rating order).
            let path = c.workDir + "/goodbooks-x6.csv"
            if !FileManager.default.fileExists(atPath: path) {
                let large = try SyntheticRatings.generate(.goodbooks(scale: 6))
                try RatingsWriter.writeCSV(large, to: path, header: ["user_id", "book_id", "rating"],
                                           columns: [.user, .item, .rating])
            }
            files.append(("generated goodbooks-shaped ×6", path, .goodbooks))
        }
        // The same ratings with text IDs (ISBN-like items, named users): the text-ID path's
        // cost beside the integer one, same rows, same file shape.
        let textPath = try textIDFile(c, suffix: "text-ids", userFirst: true, user: { "reader-\($0)" },
                                      item: { "0" + String(100_000_000 + $0 * 7919 % 900_000_000) + "X" })
        files.insert(("generated \(c.dataName), text IDs", textPath, .goodbooks), at: 1)
        // Like for like: the integer IDs with a one-letter prefix (`u17`, `b8919`) in the integer
        // file's column order, so the file is one byte per ID longer and only the text path's
        // own work differs.
        let prefixedPath = try textIDFile(c, suffix: "prefixed-ids", userFirst: false, user: { "u\($0)" }, item: { "b\($0)" })
        files.insert(("generated \(c.dataName), the same IDs as text (u17, b8919)", prefixedPath, .goodbooks), at: 2)
        let ml1m = c.sharedData + "/ml-1m/ratings.csv"
        if !c.smoke && FileManager.default.fileExists(atPath: ml1m) {
            files.insert(("ml-1m ratings.csv", ml1m, .movieLensCSV), at: 0)
        } else if !c.smoke {
            c.report.skipped.append("load ml-1m: \(ml1m) not found")
        }
        for file in files {
            _ = try RatingsLoader.load(path: file.path, format: file.format)  // warm the page cache
            // pandas' default C parser is single-threaded: the 1-thread row is the like-for-like
            // one; pyarrow's engine is its multithreaded parser, beside the 2-thread row.
            for (threads, engine) in [(1, "c"), (2, "pyarrow")] {
                var rows = 0
                let seconds = try (0..<c.repeats).map { _ in
                    try time { rows = try RatingsLoader.load(path: file.path, format: file.format, parallelism: Parallelism(threads: threads)).count }
                }
                var result = BenchResult(
                    suite: "load", name: "\(file.name), \(threads) thread\(threads == 1 ? "" : "s")", unit: "s", values: seconds,
                    extras: ["rows": Double(rows), "rows/s": Double(rows) / (seconds.sorted()[seconds.count / 2]), "threads": Double(threads)])
                if let peers = c.peers {
                    let answer = peers.run(["load", "--file", file.path, "--repeats", String(c.repeats), "--engine", engine])
                    result.setPeer(engine == "c" ? "pandas.read_csv (C parser, 1 thread)" : "pandas.read_csv(engine=\"pyarrow\") (multithreaded)",
                                   answer?.double("median_seconds"),
                                   comparison: threads == 1
                                       ? "both 1 thread, file in the page cache; EmbedRec also builds the ID maps and dense indices, pandas only parses"
                                       : "EmbedRec 2 threads, pyarrow its thread pool on the 2 cores; EmbedRec also builds the ID maps")
                }
                c.report.add(result)
            }
        }
    }

    /// The generated ratings file written again with each integer ID spelled by `user` and
    /// `item` (every ID column text), in the work folder; written once and kept.
    static func textIDFile(
        _ c: BenchContext, suffix: String, userFirst: Bool, user: (Int64) -> String, item: (Int64) -> String
    ) throws -> String {
        let path = c.workDir + "/\(URL(fileURLWithPath: c.ratingsFile).deletingPathExtension().lastPathComponent)-\(suffix).csv"
        guard !FileManager.default.fileExists(atPath: path) else { return path }
        let data = try RatingsLoader.load(path: c.ratingsFile, format: .goodbooks)
        let users = data.userIDs.integerRawIDs!, items = data.itemIDs.integerRawIDs!
        let text = try RatingsDataset(
            rawUsers: data.users.map { .text(user(users[Int($0)])) }, rawItems: data.items.map { .text(item(items[Int($0)])) },
            ratings: data.ratings)
        let ids: [(String, RatingsWriter.Column)] = userFirst ? [("user_id", .user), ("book_id", .item)] : [("book_id", .item), ("user_id", .user)]
        try RatingsWriter.writeCSV(text, to: path, header: ids.map(\.0) + ["rating"], columns: ids.map(\.1) + [.rating])
        return path
    }
}
