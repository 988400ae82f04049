// A reading list in, recommendations out: a new reader's books, each optionally with a rating,
// folded into a saved recommender (no retraining).
//
//   swift run NewReader books.safetensors 2:5 7:4 3          # book 3 without a rating
//   swift run NewReader books.safetensors --list my-books.csv
//
// The list file has one book per line: `book_id` or `book_id,rating` (a header line is allowed).
import ArgumentParser
import EmbedRec
import Foundation
import OpenBLASRelaunch

@main
struct NewReader: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "NewReader",
        abstract: "Recommendations for a new reader's list from a saved recommender.",
        discussion: """
        Books without a rating count as well liked (the training data's 75th-percentile rating). Books the recommender does not know are listed and ignored.

        Example:
          swift run NewReader book-recommender-out/books.safetensors 1:5 2:4 3 --k 5
        """)

    @Argument(help: "A recommender saved by BookRecommender, `embedrec train --output` or Recommender.save(to:).")
    var recommender: String

    @Argument(help: "Books read: BOOK_ID or BOOK_ID:RATING.")
    var books: [String] = []

    @Option(help: "A file with one BOOK_ID or BOOK_ID,RATING per line.")
    var list: String?

    @Option(help: "How many books to recommend.")
    var k: Int = 10

    static func main() {
        OpenBLASRelaunch.restartWithRecommendedKernelsIfNeeded()
        main(nil)
    }

    func validate() throws {
        guard !books.isEmpty || list != nil else { throw ValidationError("give the books read, or --list FILE") }
        guard k >= 1 else { throw ValidationError("--k must be at least 1") }
    }

    func run() throws {
        var read: [(id: RawID, rating: Float?)] = try books.map { try Self.entry($0, separator: ":", where: "argument") }
        if let list {
            let lines = try String(contentsOfFile: list, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
            for (number, line) in lines.enumerated() where !line.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                let first = RatingsFileFormat.normalizedColumnName(line.split(separator: ",", omittingEmptySubsequences: false)[0])
                if number == 0 && RatingsFileFormat.itemColumnNames.contains(first) { continue }  // a header
                read.append(try Self.entry(String(line), separator: ",", where: "\(list):\(number + 1)"))
            }
        }
        let served: Recommender
        do { served = try Recommender(contentsOf: recommender) } catch { throw Failure("\(recommender): \(error)") }
        let result = try served.recommend(newReaderItems: read.map(\.id), ratings: read.map(\.rating), k: k)
        func describe(_ id: RawID?) -> String {
            guard let id else { return "?" }
            guard let book = served.metadata(for: id) else { return "book \(id)" }
            return "\(book.title)\(book.authors.map { " — \($0)" } ?? "")"
        }
        print("Read: " + read.map { describe($0.id) + ($0.rating.map { " (\($0))" } ?? "") }.joined(separator: "; "))
        if !result.unknownItemIDs.isEmpty {
            print("Not in the recommender, ignored: \(result.unknownItemIDs.map(String.init).joined(separator: ", "))")
        }
        print(result.isPopularityFallback ? "No known book: the most-rated books instead." : "Recommended:")
        for r in result.recommendations {
            // A rating model's score is a predicted rating; a ranking model's only orders the list.
            print(String(format: "  %.2f  ", r.score) + describe(r.rawItemID))
        }
    }

    /// `12` or `12:4.5` (`12,4.5` in a file).
    static func entry(_ text: String, separator: Character, where place: String) throws -> (id: RawID, rating: Float?) {
        let fields = text.split(separator: separator, omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        guard (1...2).contains(fields.count), !fields[0].isEmpty else {
            throw ValidationError("\(place): \"\(text)\" is not BOOK_ID or BOOK_ID\(separator)RATING")
        }
        let id = RawID(fields[0])
        guard fields.count == 2 else { return (id, nil) }
        guard let rating = Float(fields[1]), rating.isFinite else {
            throw ValidationError("\(place): the rating in \"\(text)\" is not a finite number")
        }
        return (id, rating)
    }
}

/// A failure while running, printed as one line (without the usage text).
struct Failure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
