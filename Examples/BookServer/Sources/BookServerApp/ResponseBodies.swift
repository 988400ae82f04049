import EmbedRec
import Foundation

/// A book as the API shows it: the catalogue's title, authors, year and cover, plus the score
/// of the list it is in: `score` for recommendations (with `predictedRating` only when the
/// model predicts ratings: a ranking model's scores are not stars), `similarity` for neighbours.
public struct BookJSON: Codable, Sendable, Hashable {
    public let id: Int64
    /// The catalogue's title, or "Book ID" when the catalogue lacks the item.
    public let title: String
    public let authors: String?
    public let year: Int?
    public let imageURL: String?
    /// The model's score (larger is better); for a rating model, its predicted rating.
    public var score: Float?
    /// The predicted rating: only from a rating model.
    public var predictedRating: Float?
    public var similarity: Float?

    /// The entry without a score (``BookDirectory`` adds one per list).
    init(id: Int64, metadata: ItemMetadata?) {
        self.id = id
        title = metadata?.title ?? "Book \(id)"
        authors = metadata?.authors
        year = metadata?.year
        // goodbooks marks a missing cover with a "nophoto" stock image: the page's placeholder
        // looks better, so the API says there is none.
        imageURL = metadata?.imageURL.flatMap { $0.isEmpty || $0.contains("nophoto") ? nil : $0 }
    }
}

/// `GET /recommend` and `POST /reader`.
public struct RecommendationsJSON: Codable, Sendable {
    /// The reader asked about (`GET /recommend`), nil for a new reader.
    public let user: Int64?
    public let k: Int
    /// True when the list is the most-rated books (an unknown user with `fallback=popularity`,
    /// or a new reader with no known book); their `score` is then the rating count and, for a rating
    /// model, their `predictedRating` the mean rating.
    public let popularityFallback: Bool
    /// A new reader's book IDs that the model does not know (ignored).
    public let unknownItemIDs: [Int64]
    public let recommendations: [BookJSON]
}

/// `GET /similar`.
public struct SimilarJSON: Codable, Sendable {
    public let item: BookJSON
    public let k: Int
    public let similar: [BookJSON]
}

/// `GET /health`.
public struct HealthJSON: Codable, Sendable {
    public let status: String
    public let model: String
    public let users: Int
    public let items: Int
    public let hasCatalog: Bool
    /// 1 for the first model, +1 per reload.
    public let generation: Int
    public let loadedAt: Date
    public let modelFile: String?
}

/// `POST /admin/reload`.
public struct ReloadJSON: Codable, Sendable {
    public let reloaded: Bool
    public let generation: Int
    public let model: String
    public let modelFile: String?
}
