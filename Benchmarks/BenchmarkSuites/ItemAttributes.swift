/// A descriptive attribute of each item — a movie's genres, a book's author, an artist's top tag —
/// that no model sees: two items "share" it when they have a value in common, which is how the
/// neighbours suite tells a sensible "similar items" list from noise.
struct ItemAttributes {
    /// What the attribute is, for the report ("genre", "author", "top tag").
    let kind: String
    /// Each item's values (codes into ``names``), sorted; empty when the item's attribute is unknown.
    let values: [[Int32]]
    /// The name of each code.
    let names: [String]

    /// Attributes from each dense item's value names (empty: unknown); names are interned in
    /// order of first appearance, so the same input gives the same codes.
    init(kind: String, itemValues: [[String]]) {
        var codes: [String: Int32] = [:]
        var names: [String] = []
        values = itemValues.map { itemNames in
            Array(Set(itemNames.map { name in
                if let code = codes[name] { return code }
                codes[name] = Int32(names.count)
                names.append(name)
                return Int32(names.count - 1)
            })).sorted()
        }
        self.kind = kind
        self.names = names
    }

    /// True when the item's attribute is known.
    func isKnown(_ item: Int32) -> Bool { !values[Int(item)].isEmpty }

    /// True when the two items have a value in common (false when either is unknown).
    func share(_ a: Int32, _ b: Int32) -> Bool {
        // Both lists are short and sorted: a merge walk.
        let x = values[Int(a)], y = values[Int(b)]
        var i = 0, j = 0
        while i < x.count && j < y.count {
            if x[i] == y[j] { return true }
            if x[i] < y[j] { i += 1 } else { j += 1 }
        }
        return false
    }

    /// The item's values as text, for the printed examples.
    func describe(_ item: Int32) -> String {
        values[Int(item)].map { names[Int($0)] }.joined(separator: ", ")
    }
}
