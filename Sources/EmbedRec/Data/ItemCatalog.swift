/// Display metadata for one item (a book or a movie), keyed by the raw item ID that the
/// ratings file uses.
///
/// Catalogues are for showing recommendations to people; no model reads them.
public struct ItemMetadata: Sendable, Hashable, Codable {
    /// The item's raw ID, the same ID as the item column of the ratings file
    /// (goodbooks `book_id`, MovieLens `movieId` / `item id`, an ISBN).
    public var rawID: RawID
    /// The display title, trimmed of surrounding spaces. MovieLens titles keep their
    /// `"(1995)"` suffix, exactly as in the source file.
    public var title: String
    /// The authors as one display string (goodbooks: comma-separated names), or nil when the
    /// source has none.
    public var authors: String?
    /// The year of first publication or release (a calendar year; negative for BCE), or nil
    /// when unknown.
    public var year: Int?
    /// Genre names in the source's order; empty when the source has none.
    public var genres: [String]
    /// The URL of a cover or poster image, or nil when the source has none.
    public var imageURL: String?

    /// Creates item metadata. No validation is done; every value is stored as given.
    public init(
        rawID: RawID, title: String, authors: String? = nil, year: Int? = nil,
        genres: [String] = [], imageURL: String? = nil
    ) {
        self.rawID = rawID; self.title = title; self.authors = authors
        self.year = year; self.genres = genres; self.imageURL = imageURL
    }
}

/// An immutable set of ``ItemMetadata`` looked up by raw item ID, for displaying
/// recommendations.
///
/// Load one with ``loadGoodbooks(path:)``, ``loadMovieLensCSV(path:)`` or
/// ``loadMovieLens100KItems(path:genreNames:)`` (or their in-memory variants), then join a model's dense
/// item indices through the dataset's ``IDMap``:
///
/// ```swift
/// let catalog = try ItemCatalog.loadGoodbooks(path: "goodbooks-10k/books.csv")
/// let title = catalog.metadata(for: 17, in: data.itemIDs)?.title
/// ```
///
/// A catalogue need not cover every rated item (nor the other way round): lookups of unknown
/// IDs return nil.
public struct ItemCatalog: Sendable {
    /// Every item, sorted by ascending ``ItemMetadata/rawID``.
    public let items: [ItemMetadata]
    /// What the catalogue's items and their users are called: books for goodbooks, films for
    /// MovieLens (set by the loaders), ``CatalogNouns/generic`` unless set.
    public var nouns: CatalogNouns = .generic
    /// Raw ID as written → position in ``items``: keyed by the spelling, so the integer 42 of a
    /// catalogue finds the text ID "42" of a ratings file whose item column is text.
    private let positions: [String: Int]

    /// Creates a catalogue from items in any order.
    ///
    /// - Throws: ``DatasetError/invalidArgument(_:)`` when two items share a raw ID.
    /// - Complexity: O(n log n).
    public init<S: Sequence>(items: S) throws where S.Element == ItemMetadata {
        let sorted = items.sorted { $0.rawID < $1.rawID }
        for k in sorted.indices.dropFirst() where sorted[k].rawID == sorted[k - 1].rawID {
            throw DatasetError.invalidArgument("duplicate item id \(sorted[k].rawID) in catalogue")
        }
        self.init(sortedUniqueItems: sorted)
    }

    /// Creates a catalogue from items already sorted by ascending, distinct raw ID.
    init(sortedUniqueItems: [ItemMetadata]) {
        items = sortedUniqueItems
        var positions = [String: Int](minimumCapacity: sortedUniqueItems.count)
        for (k, item) in sortedUniqueItems.enumerated() { positions[item.rawID.description] = k }
        self.positions = positions
    }

    /// The number of items.
    public var count: Int { items.count }

    /// True when the catalogue has no items.
    public var isEmpty: Bool { items.isEmpty }

    /// The metadata of the item with this raw ID, or nil when the catalogue lacks it.
    ///
    /// - Complexity: O(1) on average.
    public subscript(rawID rawID: RawID) -> ItemMetadata? {
        positions[rawID.description].map { items[$0] }
    }

    /// The title of the item with this raw ID, or nil when the catalogue lacks it.
    ///
    /// - Complexity: O(1) on average.
    public func title(for rawID: RawID) -> String? {
        self[rawID: rawID]?.title
    }

    /// The metadata of the item at a model's dense item index, translated to a raw ID through
    /// `ids` (normally ``RatingsDataset/itemIDs`` of the data the model was trained on).
    ///
    /// - Returns: nil when `index` is outside `0..<ids.count` or the catalogue lacks the item;
    ///   never traps.
    /// - Complexity: O(1) on average.
    public func metadata(for index: ItemIndex, in ids: ItemIDMap) -> ItemMetadata? {
        guard let rawID = ids.rawID(at: index) else { return nil }
        return self[rawID: rawID]
    }
}
