/// The words a catalogue's people and things go by — readers and books, viewers and films,
/// listeners and artists; users and items when nothing says more — so that what a person reads
/// on a page or a terminal fits their data.
public struct CatalogNouns: Sendable, Hashable, Codable {
    /// One item (`book`) and several (`books`).
    public var item: String, items: String
    /// One user (`reader`) and several (`readers`).
    public var user: String, users: String

    /// The item noun capitalised, to stand for an untitled item's title (`Book 17`, `Artist 89`).
    public var untitledItem: String { Self.capitalized(item) }

    /// `noun` with its first letter capitalised, to start a sentence (`Readers who rated …`).
    public static func capitalized(_ noun: String) -> String { noun.prefix(1).uppercased() + noun.dropFirst() }

    /// Words for any catalogue.
    public init(item: String, items: String, user: String, users: String) {
        self.item = item; self.items = items; self.user = user; self.users = users
    }

    /// Users and items: what nothing in the data names otherwise.
    public static let generic = CatalogNouns(item: "item", items: "items", user: "user", users: "users")
    /// Readers and books (goodbooks, Book-Crossing).
    public static let books = CatalogNouns(item: "book", items: "books", user: "reader", users: "readers")
    /// Viewers and films (MovieLens).
    public static let films = CatalogNouns(item: "film", items: "films", user: "viewer", users: "viewers")
    /// Listeners and artists (Last.fm).
    public static let artists = CatalogNouns(item: "artist", items: "artists", user: "listener", users: "listeners")
    /// Listeners and tracks.
    public static let tracks = CatalogNouns(item: "track", items: "tracks", user: "listener", users: "listeners")
    /// Customers and products.
    public static let products = CatalogNouns(item: "product", items: "products", user: "customer", users: "customers")

    /// The nouns an item column's header name implies (`book_id`, `ISBN` → books; `movieId` →
    /// films; `artistID` → artists), or nil for a name that says nothing (`item`, `id`).
    public static func forItemColumn(_ name: String) -> CatalogNouns? {
        switch RatingsFileFormat.normalizedColumnName(name) {
        case "bookid", "book", "isbn": return .books
        case "movieid", "movie", "filmid", "film": return .films
        case "artistid", "artist": return .artists
        case "trackid", "track", "songid", "song": return .tracks
        case "productid", "product", "asin": return .products
        default: return nil
        }
    }
}
