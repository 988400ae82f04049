import EmbedRec
import Foundation

/// Shared state of one benchmark run: the report, the peers, and the data every suite uses
/// (generated once, written once so peers read the very same files).
final class BenchContext {
    let report: Report
    let peers: PeerRunner?
    let workDir: String
    let sharedData: String
    let smoke: Bool
    let repeats: Int
    /// Overrides every training case's epoch count when set.
    let epochs: Int?
    let kerasRows: Int
    let caseFilter: String?
    /// The main dataset and its 80/20 split (seed 42).
    let data: RatingsDataset
    let split: TrainTestSplit
    let dataName: String
    /// The ratings file the main dataset was read from or written to (raw IDs).
    let ratingsFile: String
    private var denseFiles: [String: (train: String, test: String)] = [:]

    init(report: Report, peers: PeerRunner?, workDir: String, sharedData: String, smoke: Bool, scale: Double,
         ratingsPath: String?, repeats: Int, epochs: Int?, kerasRows: Int, caseFilter: String? = nil) throws {
        self.caseFilter = caseFilter
        self.report = report; self.peers = peers; self.workDir = workDir; self.sharedData = sharedData
        self.smoke = smoke; self.repeats = repeats; self.epochs = epochs; self.kerasRows = kerasRows
        if let ratingsPath {
            data = try RatingsLoader.load(path: ratingsPath, format: .goodbooks)
            dataName = URL(fileURLWithPath: ratingsPath).lastPathComponent
            ratingsFile = ratingsPath
        } else {
            let config: SyntheticRatings.Configuration = smoke
                ? .init(users: 2_000, items: 600, ratings: 40_000)
                : .goodbooks(scale: scale)
            data = try SyntheticRatings.generate(config)
            dataName = smoke ? "synthetic-smoke" : "goodbooks-shaped ×\(scale)"
            ratingsFile = workDir + "/goodbooks-x\(smoke ? "smoke" : String(scale)).csv"
            try RatingsWriter.writeCSV(data, to: ratingsFile, header: ["book_id", "user_id", "rating"],
                                       columns: [.item, .user, .rating])
        }
        split = try data.randomSplit(testFraction: 0.2, seed: 42)
        print("Data: \(dataName): \(data.count) ratings, \(data.userCount) users, \(data.itemCount) items; train \(split.train.count), test \(split.test.count)")
    }

    /// The main split written as dense-index CSVs (`user,item,rating`) for the peers.
    func denseSplitFiles() throws -> (train: String, test: String) {
        try denseSplitFiles(split, name: "main")
    }

    /// `split` written as dense-index CSVs for the peers, once per `name` (which names the
    /// files: `<name>-train.csv`, `<name>-test.csv` in the work folder, spaces and slashes
    /// replaced).
    func denseSplitFiles(_ split: TrainTestSplit, name: String) throws -> (train: String, test: String) {
        if let files = denseFiles[name] { return files }
        let stem = workDir + "/" + name.replacingOccurrences(of: " ", with: "_").replacingOccurrences(of: "/", with: "-")
        let files = (train: stem + "-train.csv", test: stem + "-test.csv")
        try writeDense(split.train, to: files.train)
        try writeDense(split.test, to: files.test)
        denseFiles[name] = files
        return files
    }
}

/// Writes `user,item,rating` with dense 0-based indices.
func writeDense(_ data: RatingsDataset, to path: String) throws {
    var text = "user,item,rating\n"
    text.reserveCapacity(data.count * 14)
    for k in 0..<data.count {
        text += "\(data.users[k]),\(data.items[k]),\(Int(data.ratings[k]) == Int(data.ratings[k].rounded()) && data.ratings[k] == data.ratings[k].rounded() ? String(Int(data.ratings[k])) : String(data.ratings[k]))\n"
    }
    try text.write(toFile: path, atomically: true, encoding: .utf8)
}

/// Writes a row-major Float32 matrix as raw little-endian bytes.
func writeFloat32(_ values: [Float], to path: String) throws {
    let data = values.withUnsafeBufferPointer { Data(buffer: $0) }
    try data.write(to: URL(fileURLWithPath: path))
}
