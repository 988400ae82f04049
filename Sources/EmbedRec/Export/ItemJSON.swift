/// One item as JSON, the one shape every EmbedRec JSON answer uses for an item: BookServer's
/// lists and `embedrec export --web`'s item list. The catalogue's title, authors, year and
/// image, plus the score of the list it is in: `score` for recommendations (with
/// `predictedRating` only from a rating model), `similarity` for neighbours. Absent values are
/// left out; keys are the property names.
public struct ItemJSON: Codable, Sendable, Hashable {
    /// The raw item ID.
    public let id: RawID
    /// The catalogue's title, or "`untitled` ID" when the catalogue lacks the item.
    public let title: String
    /// The catalogue's authors (or artists, directors), when it has them.
    public let authors: String?
    /// The year of publication or release, when the catalogue has one.
    public let year: Int?
    /// A picture of the item (a cover, a poster), when the catalogue has a real one.
    public let imageURL: String?
    /// The model's score (larger is better); for a rating model, its predicted rating.
    public var score: Float?
    /// The predicted rating: only from a rating model.
    public var predictedRating: Float?
    /// The cosine similarity to the query item, in a list of similar items.
    public var similarity: Float?

    /// The item `id` with what `metadata` says of it, without a score.
    /// - Parameters:
    ///   - id: the raw item ID.
    ///   - metadata: the catalogue's entry for it, if any.
    ///   - untitled: the word before the ID when the catalogue has no title ("Book 17").
    public init(id: RawID, metadata: ItemMetadata?, untitled: String = "Item") {
        self.id = id
        title = metadata?.title ?? "\(untitled) \(id)"
        authors = metadata?.authors
        year = metadata?.year
        // goodbooks marks a missing cover with a "nophoto" stock image: that is no picture of the
        // item, and a page's own placeholder reads better.
        imageURL = metadata?.imageURL.flatMap { $0.isEmpty || $0.contains("nophoto") ? nil : $0 }
    }
}
