import ArgumentParser
import EmbedRec
import Foundation

/// Recommendations from a saved recommender: for known users by raw ID, or for a new reader.
struct Recommend: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Recommend from a saved recommender, by raw user ID or for a new reader.",
        discussion: """
        Examples:
          embedrec recommend books.safetensors --user 314
          embedrec recommend books.safetensors --user 314 --user 7 --k 5 --json
          embedrec recommend books.safetensors --read 1:5,2:4,3   # a new reader
          embedrec recommend books.safetensors --all --shard 0/4 --output top-0.csv

        --all writes every user's top-K to --output: CSV (user,rank,item,score) or JSON lines ({"user":…,"items":[…],"scores":[…]}), chosen by the file's extension (.csv, .jsonl) or --format. The file is replaced atomically (readers see the old file or the whole new one); --output - writes to standard output (give --format). --shard i/n keeps the i-th of n contiguous parts of the users (counting from 0; whole blocks of 512 users), so n machines can each run one part (--threads: the cores each may use); the n files, concatenated in order (CSV: one header), equal the unsharded output byte for byte. See Docs/Sharding.md.
        """)

    @Argument(help: "A recommender saved by `embedrec train --output` or Recommender.save(to:).")
    var file: String

    @Option(help: "A raw user ID (repeat for several users).")
    var user: [RawID] = []

    @Option(help: "A new reader's items: raw item IDs, each optionally with a rating (1:5,2:4,3).")
    var read: String?

    @OptionGroup var listing: ListingOptions

    @Flag(help: "Recommend the most-rated items to users the file does not know, flagged, instead of failing.")
    var popularityFallback = false

    @Flag(help: "Every user's top-K (or one shard's, with --shard), written to --output.")
    var all = false

    @Option(help: "With --all: the i-th of n contiguous parts of the users, counting from 0 (0/4 … 3/4).")
    var shard: String?

    @Option(help: "With --all: the file to write (a regular file, replaced atomically), or - for standard output.")
    var output: String?

    @Option(help: "With --all: worker threads (default: one per core); the lists do not depend on it.")
    var threads: Int?

    enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
        case csv, jsonl
    }

    @Option(help: "With --all: csv or jsonl (default: from --output's extension).")
    var format: OutputFormat?

    mutating func validate() throws {
        if popularityFallback && user.isEmpty {
            throw ValidationError("--popularity-fallback is for --user IDs the file does not know; a new reader (--read) already gets it, --all lists known users only")
        }
        if all {
            guard !listing.json else { throw ValidationError("--json is for --user and --read; --all writes --format csv or jsonl to --output") }
            guard user.isEmpty, read == nil else { throw ValidationError("--all lists every user: leave out --user and --read") }
            guard let output else { throw ValidationError("--all needs --output FILE (.csv or .jsonl)") }
            guard format != nil || Self.format(ofPath: output) != nil else {
                throw ValidationError("--output \(output): give --format csv or jsonl, or a .csv or .jsonl name")
            }
            if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
            if output != "-" { try checkOutputPath(output, option: "--output") }
            if let shard {
                do { _ = try UserShard(parsing: shard) } catch ConfigurationError.invalidSetting(let why) {
                    throw ValidationError("--shard: \(why)")
                }
            }
            return
        }
        guard shard == nil, output == nil, format == nil, threads == nil else {
            throw ValidationError("--shard, --output, --format and --threads go with --all")
        }
        guard !user.isEmpty || read != nil else { throw ValidationError("give --user ID or --read ITEMS (or --all --output FILE)") }
        if let read { _ = try Self.parseReads(read) }
    }

    /// csv for `.csv`, jsonl for `.jsonl`, `.ndjson` and `.json`.
    static func format(ofPath path: String) -> OutputFormat? {
        switch URL(fileURLWithPath: path).pathExtension.lowercased() {
        case "csv": return .csv
        case "jsonl", "ndjson", "json": return .jsonl
        default: return nil
        }
    }

    /// Every user's top-K for one shard, through the library's batched all-users scorer.
    func writeAll(_ recommender: Recommender, to path: String) throws {
        let shard = try shard.map(UserShard.init(parsing:)) ?? .all
        let format = self.format ?? Self.format(ofPath: path)!
        // The lists are held in memory before they are written (8 bytes an entry): refuse a K
        // that cannot fit rather than fail in the allocator.
        let users = recommender.userRange(of: shard).count, k = min(listing.k, recommender.itemIDs.count)
        let (bytes, overflow) = users.multipliedReportingOverflow(by: k * 8)
        guard !overflow, bytes <= FileChecks.physicalMemoryBytes / 2 else {
            throw CommandFailure("--all --k \(listing.k): \(users) users × \(k) items need more than half this machine's memory; lower --k or use --shard")
        }
        let top = try recommender.recommendAll(k: listing.k, shard: shard, parallelism: threads.map(Parallelism.init(threads:)) ?? .automatic)
        // One writer for every output: a temporary file renamed over the destination, so a
        // full disk or a kill leaves the previous file as it was, never a partial one.
        let write: (((UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws -> Void = { body in
            if path == "-" {
                try body { bytes in
                    do { try FileHandle.standardOutput.write(contentsOf: Data(bytes)) } catch {
                        throw CommandFailure("cannot write to standard output: \(error.localizedDescription)")
                    }
                }
            } else {
                try AtomicFileWriter.write(path, body)
            }
        }
        do {
            try write { append in
                // A header only in the first shard, so that the shards' files concatenate into one table.
                var text = format == .csv && shard.index == 0 ? "user,rank,item,score\n" : ""
                func flush() throws {
                    try Array(text.utf8).withUnsafeBytes { try append($0) }
                    text = ""
                }
                // Text IDs are quoted where the format needs it (a JSON string; a CSV field with a
                // comma or a quote), so an ISBN keeps its leading zero and every line parses.
                for row in top.users.indices {
                    let user = recommender.userIDs.rawID(at: top.users[row]) ?? -1
                    let items = top.items(forRow: row).map { recommender.itemIDs.rawID(at: ItemIndex($0)) ?? -1 }
                    let scores = items.indices.map { String(format: "%.4f", top.score(row: row, rank: $0)) }
                    switch format {
                    case .csv:
                        let userField = user.delimitedField()
                        for j in items.indices { text += "\(userField),\(j + 1),\(items[j].delimitedField()),\(scores[j])\n" }
                    case .jsonl:
                        text += "{\"user\":\(user.jsonLiteral),\"items\":[\(items.map(\.jsonLiteral).joined(separator: ","))],\"scores\":[\(scores.joined(separator: ","))]}\n"
                    }
                    if text.utf8.count > 1 << 20 { try flush() }
                }
                try flush()
            }
        } catch let error as FileError {
            throw CommandFailure(error.description)
        }
        guard path != "-" else { return }
        let range = recommender.userRange(of: shard)
        print("Wrote the top \(listing.k) of \(top.users.count) users (rows \(range.lowerBound)..<\(range.upperBound) of \(recommender.userIDs.count), shard \(shard)) to \(path) (\(format.rawValue))")
    }

    /// `1:5,2:4,3` → [(1, 5), (2, 4), (3, nil)].
    static func parseReads(_ text: String) throws -> [(RawID, Float?)] {
        try text.split(separator: ",").map { part in
            let fields = part.split(separator: ":", omittingEmptySubsequences: false)
            let id = RawID(fields[0].trimmingCharacters(in: .whitespaces))
            guard (1...2).contains(fields.count), !id.description.isEmpty else {
                throw ValidationError("--read: \"\(part)\" is not ITEM or ITEM:RATING")
            }
            guard fields.count == 2 else { return (id, nil) }
            guard let rating = Float(fields[1].trimmingCharacters(in: .whitespaces)), rating.isFinite else {
                throw ValidationError("--read: \"\(part)\" has a rating that is not a finite number")
            }
            return (id, rating)
        }
    }

    func run() throws {
        let recommender = try openRecommender(file)
        if all { return try writeAll(recommender, to: output!) }
        // Each request is named for a person (the catalogue's nouns) and, in JSON, for a program
        // (`user 42`, `new user`, whatever the catalogue).
        var requests: [(person: String, program: String, list: Recommender.RecommendationList)] = []
        for id in user {
            requests.append(("\(recommender.nouns.user) \(id)", "user \(id)",
                             try recommender.recommend(user: id, k: listing.k, unknownUser: popularityFallback ? .popularity : .fail)))
        }
        if let read {
            let reads = try Self.parseReads(read)
            // Items without a rating count as the training data's 75th-percentile rating.
            requests.append(("a new \(recommender.nouns.user)", "new user",
                             try recommender.recommend(newReaderItems: reads.map(\.0), ratings: reads.map(\.1), k: listing.k)))
        }
        for r in requests { print(listing.json ? Self.jsonLine(r.program, r.list, recommender) : Self.table(r.person, r.list, recommender)) }
    }

    static func title(_ id: RawID?, _ r: Recommender) -> (String, String) {
        guard let id, let item = r.metadata(for: id) else { return ("", "") }
        return (item.title, item.authors ?? "")
    }

    static func table(_ who: String, _ list: Recommender.RecommendationList, _ r: Recommender) -> String {
        var lines = ["\(who)\(list.isPopularityFallback ? " (not in the file: most-rated \(r.nouns.items))" : "")"
                     + (list.unknownItemIDs.isEmpty ? "" : " — unknown items ignored: \(list.unknownItemIDs.map(\.description).joined(separator: ", "))")]
        let cells = list.recommendations.enumerated().map { k, rec -> [String] in
            let (t, a) = title(rec.rawItemID, r)
            return [String(k + 1), rec.rawItemID.description, String(format: "%.3f", rec.score), t, a]
        }
        let hasAuthors = cells.contains { !$0[4].isEmpty }
        let columns = r.catalog == nil ? 3 : (hasAuthors ? 5 : 4)
        // A rating model's score is its predicted rating; a ranking model's only orders the list.
        let header = Array(["#", r.nouns.item, r.model.predictsRatings ? "rating" : "score", "title", "authors"].prefix(columns))
        let rows = cells.map { Array($0.prefix(columns)) }
        let widths = (0..<header.count).map { c in ([header] + rows).map { $0[c].count }.max()! }
        for row in [header] + rows {
            // Numbers right-aligned, text left-aligned.
            let padded: [String] = row.enumerated().map { c, v in
                let fill = String(repeating: " ", count: widths[c] - v.count)
                return c < 3 ? fill + v : v + fill
            }
            var line = "  " + padded.joined(separator: "  ")
            while line.last == " " { line.removeLast() }
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    static func jsonLine(_ who: String, _ list: Recommender.RecommendationList, _ r: Recommender) -> String {
        struct Item: Encodable { let item: RawID; let score: Float; let predictedRating: Float?; let title: String?; let authors: String? }
        struct Line: Encodable { let request: String; let popularityFallback: Bool; let unknownItems: [RawID]; let recommendations: [Item] }
        let line = Line(request: who, popularityFallback: list.isPopularityFallback, unknownItems: list.unknownItemIDs,
                        recommendations: list.recommendations.map { rec in
                            let meta = r.metadata(for: rec.rawItemID)
                            return Item(item: rec.rawItemID, score: rec.score, predictedRating: rec.predictedRating,
                                        title: meta?.title, authors: meta?.authors)
                        })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(line)) ?? Data(), as: UTF8.self)
    }
}
