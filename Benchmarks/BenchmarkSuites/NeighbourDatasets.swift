import EmbedRec
import Foundation

/// One dataset of the neighbours suite with the attribute its neighbours are judged by.
struct NeighbourDataset {
    let name: String
    let data: RatingsDataset
    let attributes: ItemAttributes
    /// True for star ratings (rating models apply); false for counts (top-N models only).
    let hasRatings: Bool
    /// The item's display name, for the printed examples.
    let title: (Int32) -> String
}

/// The neighbours suite's data: ml-100k with u.item's genres, goodbooks-shaped ratings with
/// books.csv's first author, lastfm-2k with each artist's most-applied tag; on a smoke run,
/// tiny generated data whose planted item groups are the attribute. A set whose files are
/// missing is skipped, and said so in the report.
enum NeighbourDatasets {
    static func load(_ c: BenchContext) throws -> [NeighbourDataset] {
        if c.smoke { return [try smoke()] }
        var sets: [NeighbourDataset] = []
        for (name, make) in [("ml-100k", movieLens100K), ("goodbooks", goodbooks), ("lastfm", lastfm)] as [(String, (BenchContext) throws -> NeighbourDataset?)]
        where RankingSuite.wanted(c, name) {
            if let set = try make(c) { sets.append(set) }
        }
        return sets
    }

    /// The files of a set, or nil (and a note in the report) when one is missing.
    private static func present(_ c: BenchContext, _ set: String, _ paths: [String]) -> Bool {
        guard let missing = paths.first(where: { !FileManager.default.fileExists(atPath: $0) }) else { return true }
        c.report.skipped.append("neighbours \(set): \(missing) not found")
        return false
    }

    static func movieLens100K(_ c: BenchContext) throws -> NeighbourDataset? {
        let ratings = c.sharedData + "/ml-100k/u.data", items = c.sharedData + "/ml-100k/u.item"
        guard present(c, "ml-100k", [ratings, items]) else { return nil }
        let data = try RatingsLoader.load(path: ratings, format: .movieLens100K)
        let catalog = try ItemCatalog.loadMovieLens100KItems(path: items)
        let movies = data.itemIDs.rawIDs.map { catalog[rawID: $0] }
        return NeighbourDataset(
            name: "ml-100k", data: data,
            attributes: ItemAttributes(kind: "genre", itemValues: movies.map { $0?.genres ?? [] }),
            hasRatings: true, title: { movies[Int($0)]?.title ?? "?" })
    }

    /// The ranking suite's goodbooks-shaped data (readers pick by taste; books of one series or
    /// author share planted factors), judged by the first author in books.csv.
    static func goodbooks(_ c: BenchContext) throws -> NeighbourDataset? {
        guard present(c, "goodbooks", [c.sharedData + "/goodbooks-10k/books.csv"]) else { return nil }
        let data = try RankingSuite.tasteDrivenGoodbooks(c)
        let catalog = try ItemCatalog.loadGoodbooks(path: c.sharedData + "/goodbooks-10k/books.csv")
        let books = data.itemIDs.rawIDs.map { catalog[rawID: $0] }
        let authors = books.map { book in
            book?.authors?.split(separator: ",").first.map { [$0.trimmingCharacters(in: .whitespaces)] } ?? []
        }
        return NeighbourDataset(
            name: "goodbooks-shaped", data: data, attributes: ItemAttributes(kind: "author", itemValues: authors),
            hasRatings: true, title: { books[Int($0)]?.title ?? "?" })
    }

    /// lastfm-2k play counts; an artist's attribute is the tag users applied to it most often
    /// (ties: the lower tag ID), unknown for artists nobody tagged.
    static func lastfm(_ c: BenchContext) throws -> NeighbourDataset? {
        let folder = c.sharedData + "/lastfm-2k"
        let plays = folder + "/user_artists.dat", tagged = folder + "/user_taggedartists.dat"
        let tags = folder + "/tags.dat", artists = folder + "/artists.dat"
        guard present(c, "lastfm", [plays, tagged, tags, artists]) else { return nil }
        let data = try RatingsLoader.load(path: plays, format: try RatingsFileFormat.detect(path: plays).format)
        // (artist, tag) → how many times a user applied the tag to the artist.
        var applied: [Int64: [Int64: Int]] = [:]
        for fields in try tabSeparatedRows(tagged, encoding: .utf8) where fields.count >= 3 {
            guard let artist = Int64(fields[1]), let tag = Int64(fields[2]) else { continue }
            applied[artist, default: [:]][tag, default: 0] += 1
        }
        var tagNames: [Int64: String] = [:]
        for fields in try tabSeparatedRows(tags, encoding: .isoLatin1) where fields.count >= 2 {
            if let id = Int64(fields[0]) { tagNames[id] = fields[1] }
        }
        var artistNames: [Int64: String] = [:]
        for fields in try tabSeparatedRows(artists, encoding: .utf8) where fields.count >= 2 {
            if let id = Int64(fields[0]) { artistNames[id] = fields[1] }
        }
        let ids = data.itemIDs.rawIDs.map { raw -> Int64? in if case .integer(let id) = raw { return id } else { return nil } }
        let topTags = ids.map { id -> [String] in
            guard let id, let counts = applied[id],
                  let top = counts.max(by: { $0.value != $1.value ? $0.value < $1.value : $0.key > $1.key }) else { return [] }
            return [tagNames[top.key] ?? "tag \(top.key)"]
        }
        return NeighbourDataset(
            name: "lastfm-2k", data: data, attributes: ItemAttributes(kind: "top tag", itemValues: topTags),
            hasRatings: false, title: { ids[Int($0)].flatMap { artistNames[$0] } ?? "?" })
    }

    /// The fields of each line after the header (tab-separated, CR stripped).
    private static func tabSeparatedRows(_ path: String, encoding: String.Encoding) throws -> [[String]] {
        guard let bytes = FileManager.default.contents(atPath: path) else { throw BenchmarkError.mismatch("cannot read \(path)") }
        // Latin-1 decodes any bytes; UTF-8 with replacement characters rather than failing.
        let text = encoding == .isoLatin1 ? String(data: bytes, encoding: .isoLatin1) ?? "" : String(decoding: bytes, as: UTF8.self)
        return text.split(whereSeparator: \.isNewline).dropFirst().map { line in
            line.split(separator: "\t", omittingEmptySubsequences: false).map { String($0).trimmingCharacters(in: .whitespaces) }
        }
    }

    /// Tiny generated ratings whose items fall into 20 planted groups (the attribute) that share
    /// factors, readers going on within a group: checks the harness, not the models.
    static func smoke() throws -> NeighbourDataset {
        let items = 300
        var configuration = SyntheticRatings.Configuration(users: 1_000, items: items, ratings: 20_000)
        configuration.itemGroups = (0..<items).map { $0 % 20 }
        configuration.exposure = 4
        configuration.groupContinuation = 0.5
        let data = try SyntheticRatings.generate(configuration)
        // Generated raw IDs are 1-based: item k + 1 is planted in group k % 20.
        let groups = data.itemIDs.rawIDs.map { raw -> [String] in
            if case .integer(let id) = raw { return ["group \((id - 1) % 20)"] } else { return [] }
        }
        return NeighbourDataset(name: "smoke", data: data, attributes: ItemAttributes(kind: "planted group", itemValues: groups),
                                hasRatings: true, title: { "item \(data.itemIDs.rawIDs[Int($0)])" })
    }
}
