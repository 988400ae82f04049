import Foundation
import Testing
@testable import EmbedRec

/// What a batch job reads from the `embedrec` binary: `info --json` and `recommend --all` files
/// with text IDs that a JSON or CSV reader takes back unchanged.
@Suite("embedrec command: info, and --all output with text IDs")
struct CommandLineBatchOutputTests {
    static let embedrec = OpenBLASRelaunchTests.executable

    /// Users and items named by text that a careless writer would break: leading zeros, the
    /// separator, quotes, a space.
    static let userNames = ["0042", "ann, b.", "say \"hi\"", "plain"]
    static let itemNames = ["0316666343", "034545104X", "a,b", "q\"uote", "x y", "7x"]

    /// A top-N model trained on every user rating most items, saved in `dir`.
    static func textIDModel(in dir: URL) throws -> String {
        var csv = "user,item,rating\n"
        func field(_ s: String) -> String { s.contains(",") || s.contains("\"") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s }
        for (u, user) in userNames.enumerated() {
            for (i, item) in itemNames.enumerated() where (u + i) % 3 != 0 { csv += "\(field(user)),\(field(item)),\(1 + (u + i) % 5)\n" }
        }
        let ratings = dir.appendingPathComponent("text-ids.csv").path
        try csv.write(toFile: ratings, atomically: true, encoding: .utf8)
        let model = dir.appendingPathComponent("text-ids.safetensors").path
        let train = try ProgramRunner.run(embedrec!, ["train", "--train", ratings, "--test", ratings, "--model", "als", "--output", model])
        #expect(train.status == 0, "\(train.err)")
        return model
    }

    @Test("info --json names the model, the counts and the IDs' kind; a missing file is one line naming it",
          .enabled(if: embedrec != nil, "needs the embedrec binary"))
    func info() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = try Self.textIDModel(in: dir)
        let result = try ProgramRunner.run(Self.embedrec!, ["info", model, "--json"])
        #expect(result.status == 0, "\(result.err)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String: Any])
        #expect(object["users"] as? Int == Self.userNames.count && object["items"] as? Int == Self.itemNames.count, "\(object)")
        #expect(object["userIDs"] as? String == "text" && object["itemIDs"] as? String == "text", "\(object)")
        #expect(object["predictsRatings"] as? Bool == false, "\(object)")
        let text = try ProgramRunner.run(Self.embedrec!, ["info", model])
        #expect(text.status == 0 && text.out.contains("users: 4 (text IDs)"), "\(text.out)")
        let missing = try ProgramRunner.run(Self.embedrec!, ["info", dir.appendingPathComponent("none.safetensors").path])
        #expect(missing.status != 0 && missing.err.contains("none.safetensors"), "\(missing.err)")
    }

    @Test("recommend --all writes text IDs as JSON strings and quoted CSV fields, read back unchanged",
          .enabled(if: embedrec != nil, "needs the embedrec binary"))
    func textIDsInAllOutput() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = try Self.textIDModel(in: dir)
        let jsonl = dir.appendingPathComponent("all.jsonl").path, csv = dir.appendingPathComponent("all.csv").path
        for path in [jsonl, csv] {
            let result = try ProgramRunner.run(Self.embedrec!, ["recommend", model, "--all", "--k", "2", "--output", path])
            #expect(result.status == 0, "\(result.err)")
        }
        var fromJSON: [[String]] = []
        for line in try String(contentsOfFile: jsonl, encoding: .utf8).split(separator: "\n") {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
            let user = try #require(object["user"] as? String, "\(line)")
            let items = try #require(object["items"] as? [String], "\(line)")
            for (rank, item) in items.enumerated() { fromJSON.append([user, String(rank + 1), item]) }
        }
        #expect(Set(fromJSON.map { $0[0] }) == Set(Self.userNames))
        #expect(fromJSON.allSatisfy { Self.itemNames.contains($0[2]) }, "\(fromJSON)")
        // The CSV, read the RFC 4180 way, holds the same rows.
        let rows = Self.csvRows(try String(contentsOfFile: csv, encoding: .utf8))
        #expect(rows.first == ["user", "rank", "item", "score"])
        #expect(rows.dropFirst().map { Array($0.prefix(3)) } == fromJSON, "\(rows)")
    }

    @Test("recommend --all --threads 1 writes the file every core writes; --threads 0 is refused",
          .enabled(if: embedrec != nil, "needs the embedrec binary"))
    func threads() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // 1,300 users: three blocks of 512, so two workers have different blocks to score.
        let ratings = try CommandLineProgressShardTests.ratingsFile(in: dir, users: 1300, items: 90, ratings: 16000)
        let model = dir.appendingPathComponent("m.safetensors").path
        let train = try ProgramRunner.run(Self.embedrec!, ["train", ratings, "--model", "bpr", "--epochs", "1", "--output", model])
        #expect(train.status == 0, "\(train.err)")
        var files: [String] = []
        for threads in [["--threads", "1"], ["--threads", "2"], []] {
            let path = dir.appendingPathComponent("all-\(files.count).csv").path
            let result = try ProgramRunner.run(Self.embedrec!, ["recommend", model, "--all", "--output", path] + threads)
            #expect(result.status == 0, "\(result.err)")
            files.append(try String(contentsOfFile: path, encoding: .utf8))
        }
        #expect(files[0].split(separator: "\n").count == 1 + 1300 * 10)
        #expect(files[1] == files[0] && files[2] == files[0], "the lists depend on the thread count")
        let zero = try ProgramRunner.run(Self.embedrec!, ["recommend", model, "--all", "--threads", "0", "--output", dir.appendingPathComponent("z.csv").path])
        #expect(zero.status == 64 && zero.err.contains("--threads must be at least 1"), "\(zero.err)")
        let stray = try ProgramRunner.run(Self.embedrec!, ["recommend", model, "--user", "1", "--threads", "2"])
        #expect(stray.status == 64 && stray.err.contains("go with --all"), "\(stray.err)")
    }

    /// Fields split at commas outside quotes; `""` inside quotes is one quote.
    static func csvRows(_ text: String) -> [[String]] {
        var rows: [[String]] = [], row: [String] = [], field = "", quoted = false
        var chars = Array(text)[...]
        while let c = chars.popFirst() {
            if quoted {
                if c == "\"" {
                    if chars.first == "\"" { field.append("\""); chars.removeFirst() } else { quoted = false }
                } else { field.append(c) }
            } else if c == "\"" { quoted = true
            } else if c == "," { row.append(field); field = ""
            } else if c == "\n" { row.append(field); rows.append(row); row = []; field = ""
            } else { field.append(c) }
        }
        return rows
    }
}
