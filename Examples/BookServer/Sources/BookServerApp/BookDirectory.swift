import EmbedRec

/// Every book of a model as the API shows it, built once per loaded model, so that a request
/// copies finished entries instead of assembling and cleaning catalogue fields each time.
public struct BookDirectory: Sendable {
    /// Keyed by the ID's spelling, so `?item=42` finds the text ID "42".
    private let books: [String: ItemJSON]
    /// What an item without a title is called: the catalogue's noun (`Book 17`, `Artist 89`).
    private let untitled: String

    init(_ recommender: Recommender) {
        var books: [String: ItemJSON] = [:]
        books.reserveCapacity(recommender.itemIDs.count)
        untitled = recommender.nouns.untitledItem
        for id in recommender.itemIDs.rawIDs {
            books[id.description] = ItemJSON(id: id, metadata: recommender.metadata(for: id), untitled: untitled)
        }
        self.books = books
    }

    /// The book with this raw ID (a bare "Book ID" entry when the catalogue lacks it).
    func book(_ id: RawID, score: Float? = nil, predictedRating: Float? = nil, similarity: Float? = nil) -> ItemJSON {
        var book = books[id.description] ?? ItemJSON(id: id, metadata: nil, untitled: untitled)
        book.score = score
        book.predictedRating = predictedRating
        book.similarity = similarity.map { $0.isFinite ? $0 : 0 }
        return book
    }
}
