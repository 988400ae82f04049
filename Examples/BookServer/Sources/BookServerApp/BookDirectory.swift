import EmbedRec

/// Every book of a model as the API shows it, built once per loaded model, so that a request
/// copies finished entries instead of assembling and cleaning catalogue fields each time.
public struct BookDirectory: Sendable {
    /// Keyed by the ID's spelling, so `?item=42` finds the text ID "42".
    private let books: [String: ItemJSON]

    init(_ recommender: Recommender) {
        var books: [String: ItemJSON] = [:]
        books.reserveCapacity(recommender.itemIDs.count)
        for id in recommender.itemIDs.rawIDs {
            books[id.description] = ItemJSON(id: id, metadata: recommender.metadata(for: id), untitled: "Book")
        }
        self.books = books
    }

    /// The book with this raw ID (a bare "Book ID" entry when the catalogue lacks it).
    func book(_ id: RawID, score: Float? = nil, predictedRating: Float? = nil, similarity: Float? = nil) -> ItemJSON {
        var book = books[id.description] ?? ItemJSON(id: id, metadata: nil, untitled: "Book")
        book.score = score
        book.predictedRating = predictedRating
        book.similarity = similarity.map { $0.isFinite ? $0 : 0 }
        return book
    }
}
