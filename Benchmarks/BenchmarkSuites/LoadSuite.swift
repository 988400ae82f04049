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
        let ml1m = c.sharedData + "/ml-1m/ratings.csv"
        if !c.smoke && FileManager.default.fileExists(atPath: ml1m) {
            files.insert(("ml-1m ratings.csv", ml1m, .movieLensCSV), at: 0)
        } else if !c.smoke {
            c.report.skipped.append("load ml-1m: \(ml1m) not found")
        }
        for file in files {
            var rows = 0
            _ = try RatingsLoader.load(path: file.path, format: file.format)  // warm the page cache
            let seconds = try (0..<c.repeats).map { _ in
                try time { rows = try RatingsLoader.load(path: file.path, format: file.format).count }
            }
            var result = BenchResult(suite: "load", name: file.name, unit: "s", values: seconds,
                                     extras: ["rows": Double(rows), "rows/s": Double(rows) / (seconds.sorted()[seconds.count / 2])])
            if let peers = c.peers {
                let answer = peers.run(["load", "--file", file.path, "--repeats", String(c.repeats)])
                result.setPeer("pandas.read_csv", answer?.double("median_seconds"))
            }
            c.report.add(result)
        }
    }
}
