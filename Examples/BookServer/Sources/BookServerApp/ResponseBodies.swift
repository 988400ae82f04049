import EmbedRec
import Foundation

/// `GET /recommend` and `POST /reader`.
public struct RecommendationsJSON: Codable, Sendable {
    /// The reader asked about (`GET /recommend`), nil for a new reader.
    public let user: RawID?
    public let k: Int
    /// True when the list is the most-rated books (an unknown user with `fallback=popularity`,
    /// or a new reader with no known book); their `score` is then the rating count and, for a rating
    /// model, their `predictedRating` the mean rating.
    public let popularityFallback: Bool
    /// A new reader's book IDs that the model does not know (ignored).
    public let unknownItemIDs: [RawID]
    public let recommendations: [ItemJSON]
}

/// `GET /similar`.
public struct SimilarJSON: Codable, Sendable {
    public let item: ItemJSON
    public let k: Int
    public let similar: [ItemJSON]
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
