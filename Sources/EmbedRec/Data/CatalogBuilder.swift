/// Collects items, rejecting duplicate IDs with the line of both occurrences.
struct CatalogBuilder {
    let name: String
    var items: [ItemMetadata] = []
    var lineOfID: [String: Int] = [:]
    /// Records seen, including a header.
    var records = 0

    init(name: String) { self.name = name }

    mutating func add(_ item: ItemMetadata, line: Int) throws {
        if let first = lineOfID[item.rawID.description] {
            throw RatingsFileError(file: name, line: line, kind: .invalidFormat(
                "duplicate item id \(item.rawID) (first on line \(first))"))
        }
        lineOfID[item.rawID.description] = line
        items.append(item)
        records += 1
    }

    func catalog(nouns: CatalogNouns) -> ItemCatalog {
        var catalog = ItemCatalog(sortedUniqueItems: items.sorted { $0.rawID < $1.rawID })
        catalog.nouns = nouns
        return catalog
    }
}
