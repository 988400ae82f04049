/// A columnar set of ratings: dense user and item indices with Float32 ratings.
///
/// Indices refer to ``userIDs`` and ``itemIDs``, which translate to and from the raw IDs of the
/// source file. Subsets made by splits share the parent's ID maps, so a model trained on a
/// training split can score the test split directly.
public struct RatingsDataset: Sendable {
    /// Dense user index of each rating.
    public private(set) var users: [Int32]
    /// Dense item index of each rating.
    public private(set) var items: [Int32]
    /// The rating values.
    public private(set) var ratings: [Float]
    /// Unix timestamps when the source had them (same order as ``ratings``), else nil.
    public private(set) var timestamps: [Int64]?
    /// Raw user IDs ⇄ dense user indices.
    public let userIDs: UserIDMap
    /// Raw item IDs ⇄ dense item indices.
    public let itemIDs: ItemIDMap

    /// Creates a dataset from dense columns, validating them.
    ///
    /// - Throws: ``DatasetError`` when columns differ in length, an index is outside its ID map,
    ///   or a rating is NaN or infinite.
    /// - Complexity: O(n).
    public init(
        users: [Int32], items: [Int32], ratings: [Float], timestamps: [Int64]? = nil,
        userIDs: UserIDMap, itemIDs: ItemIDMap
    ) throws {
        guard users.count == items.count, users.count == ratings.count,
              timestamps.map({ $0.count == users.count }) ?? true
        else {
            throw DatasetError.columnLengthMismatch(
                users: users.count, items: items.count, ratings: ratings.count)
        }
        let userCount = Int32(userIDs.count), itemCount = Int32(itemIDs.count)
        for i in 0..<users.count {
            if users[i] < 0 || users[i] >= userCount {
                throw DatasetError.indexOutOfRange(row: i, what: "user", index: Int(users[i]), count: Int(userCount))
            }
            if items[i] < 0 || items[i] >= itemCount {
                throw DatasetError.indexOutOfRange(row: i, what: "item", index: Int(items[i]), count: Int(itemCount))
            }
            if !ratings[i].isFinite { throw DatasetError.nonFiniteRating(row: i) }
        }
        self.init(unchecked: users, items, ratings, timestamps, userIDs, itemIDs)
    }

    /// Creates a dataset from raw IDs, building the ID maps (text maps when any ID is text).
    public init(rawUsers: [RawID], rawItems: [RawID], ratings: [Float], timestamps: [Int64]? = nil) throws {
        guard rawUsers.count == rawItems.count, rawUsers.count == ratings.count else {
            throw DatasetError.columnLengthMismatch(
                users: rawUsers.count, items: rawItems.count, ratings: ratings.count)
        }
        let userMap = UserIDMap(rawIDs: rawUsers), itemMap = ItemIDMap(rawIDs: rawItems)
        try self.init(
            users: rawUsers.map { userMap.position(of: $0)! }, items: rawItems.map { itemMap.position(of: $0)! },
            ratings: ratings, timestamps: timestamps, userIDs: userMap, itemIDs: itemMap)
    }

    init(
        unchecked users: [Int32], _ items: [Int32], _ ratings: [Float], _ timestamps: [Int64]?,
        _ userIDs: UserIDMap, _ itemIDs: ItemIDMap
    ) {
        self.users = users; self.items = items; self.ratings = ratings
        self.timestamps = timestamps; self.userIDs = userIDs; self.itemIDs = itemIDs
    }

    /// The number of ratings.
    public var count: Int { ratings.count }
    /// True when there are no ratings.
    public var isEmpty: Bool { ratings.isEmpty }
    /// The number of users in the ID map (some may have no rating in a subset).
    public var userCount: Int { userIDs.count }
    /// The number of items in the ID map (some may have no rating in a subset).
    public var itemCount: Int { itemIDs.count }

    /// The smallest and largest rating, or nil for an empty dataset. O(n).
    public var ratingRange: ClosedRange<Float>? {
        guard var lo = ratings.first else { return nil }
        var hi = lo
        for r in ratings { lo = min(lo, r); hi = max(hi, r) }
        return lo...hi
    }

    /// The mean rating (accumulated in Double), or nil for an empty dataset. O(n).
    public var meanRating: Float? {
        guard !ratings.isEmpty else { return nil }
        var sum = 0.0
        for r in ratings { sum += Double(r) }
        return Float(sum / Double(ratings.count))
    }

    /// The ratings at `rows`, in that order, sharing this dataset's ID maps. O(rows.count).
    public func subset<C: Collection>(rows: C) -> RatingsDataset where C.Element == Int {
        var u = [Int32](), it = [Int32](), r = [Float]()
        u.reserveCapacity(rows.count); it.reserveCapacity(rows.count); r.reserveCapacity(rows.count)
        var t: [Int64]? = timestamps == nil ? nil : []
        for row in rows {
            u.append(users[row]); it.append(items[row]); r.append(ratings[row])
            if let ts = timestamps { t!.append(ts[row]) }
        }
        return RatingsDataset(unchecked: u, it, r, t, userIDs, itemIDs)
    }

    /// Number of ratings per user (indexed by dense user index). O(n).
    public func ratingsPerUser() -> [Int] { Self.occurrences(of: users, among: userCount) }

    /// Number of ratings per item (indexed by dense item index). O(n).
    public func ratingsPerItem() -> [Int] { Self.occurrences(of: items, among: itemCount) }

    /// How often each index in `0..<count` occurs in `indices` (all of which are in range): the
    /// one count behind ratings per user or item, the negative sampler's popularity and the
    /// implicit positives' item counts.
    static func occurrences(of indices: [Int32], among count: Int) -> [Int] {
        var counts = [Int](repeating: 0, count: count)
        for i in indices { counts[Int(i)] += 1 }
        return counts
    }

    /// The items each user rated, as a compressed sparse row structure. O(n).
    public func itemsByUser() -> UserItemIndex { UserItemIndex(self) }
}

/// Which items each user rated, in compressed sparse row form (items sorted per user).
public struct UserItemIndex: Sendable {
    /// `offsets[u]..<offsets[u+1]` indexes ``items`` for user `u`.
    public let offsets: [Int]
    /// Item indices, sorted ascending within each user.
    public let items: [Int32]
    /// Ratings aligned with ``items``.
    public let ratings: [Float]

    init(_ data: RatingsDataset) {
        var offsets = [Int](repeating: 0, count: data.userCount + 1)
        for u in data.users { offsets[Int(u) + 1] += 1 }
        for u in 0..<data.userCount { offsets[u + 1] += offsets[u] }
        var cursor = offsets
        var items = [Int32](repeating: 0, count: data.count)
        var ratings = [Float](repeating: 0, count: data.count)
        for row in 0..<data.count {
            let u = Int(data.users[row])
            items[cursor[u]] = data.items[row]; ratings[cursor[u]] = data.ratings[row]
            cursor[u] += 1
        }
        for u in 0..<data.userCount where offsets[u + 1] - offsets[u] > 1 {
            let range = offsets[u]..<offsets[u + 1]
            let pairs = zip(items[range], ratings[range]).sorted { $0.0 < $1.0 }
            for (k, p) in pairs.enumerated() { items[range.lowerBound + k] = p.0; ratings[range.lowerBound + k] = p.1 }
        }
        self.offsets = offsets; self.items = items; self.ratings = ratings
    }

    /// Rated lists read back from a file, checked: offsets start at 0, never decrease and end at
    /// the item count; items are inside `0..<itemCount` and ascending per user (a pair rated
    /// twice appears twice, as in the dataset).
    init(checkedOffsets offsets: [Int], items: [Int32], ratings: [Float], itemCount: Int) throws {
        guard !offsets.isEmpty, offsets[0] == 0, offsets.last! == items.count, items.count == ratings.count else {
            throw DatasetError.invalidArgument("rated lists: offsets must run from 0 to \(items.count)")
        }
        for u in 0..<(offsets.count - 1) where offsets[u] > offsets[u + 1] {
            throw DatasetError.invalidArgument("rated lists: offsets decrease at user \(u)")
        }
        // Offsets are monotone from 0 to items.count now, so the spans below are in bounds.
        let bad: (user: Int, item: Int32, finite: Bool)? = offsets.withUnsafeBufferPointer { o in
            items.withUnsafeBufferPointer { it in
                ratings.withUnsafeBufferPointer { r in
                    for u in 0..<(o.count - 1) {
                        var previous: Int32 = -1
                        for k in o[u]..<o[u + 1] {
                            let item = it[k]
                            if item < previous || Int(item) >= itemCount { return (u, item, true) }
                            if !r[k].isFinite { return (u, item, false) }
                            previous = item
                        }
                    }
                    return nil
                }
            }
        }
        if let bad {
            throw DatasetError.invalidArgument(bad.finite
                ? "rated lists: user \(bad.user) has item \(bad.item) out of order or outside 0..<\(itemCount)"
                : "rated lists: user \(bad.user) has a non-finite rating")
        }
        self.offsets = offsets; self.items = items; self.ratings = ratings
    }

    /// Lists built by the library itself, already consistent.
    init(uncheckedOffsets offsets: [Int], items: [Int32], ratings: [Float]) {
        self.offsets = offsets; self.items = items; self.ratings = ratings
    }

    /// The number of users.
    public var userCount: Int { offsets.count - 1 }

    /// The items `user` rated (sorted ascending), empty for a user outside the index.
    public func items(of user: UserIndex) -> ArraySlice<Int32> {
        guard user.position >= 0, user.offset < userCount else { return [] }
        return items[offsets[user.offset]..<offsets[user.offset + 1]]
    }
}

extension RatingsDataset {
    /// Calls `body` with the user, item and rating columns of a non-empty dataset as pointers
    /// (valid only inside it).
    func withUnsafeColumns<R>(
        _ body: (UnsafePointer<Int32>, UnsafePointer<Int32>, UnsafePointer<Float>) throws -> R
    ) rethrows -> R {
        try users.withUnsafeBufferPointer { u in
            try items.withUnsafeBufferPointer { i in
                try ratings.withUnsafeBufferPointer { r in
                    try body(u.baseAddress!, i.baseAddress!, r.baseAddress!)
                }
            }
        }
    }
}

/// Data that cannot be used: columns that do not fit together, values out of range, nothing to
/// work on, or data of another user or item space than the model's.
public enum DatasetError: Error, Equatable, CustomStringConvertible {
    /// The columns passed together have different lengths.
    case columnLengthMismatch(users: Int, items: Int, ratings: Int)
    /// A dense user or item index (`what`) at `row` is outside its ID map.
    case indexOutOfRange(row: Int, what: String, index: Int, count: Int)
    /// The rating at `row` is NaN or infinite.
    case nonFiniteRating(row: Int)
    /// Something that must have elements (named) is empty.
    case empty(String)
    /// An argument is out of its documented range (the message says which).
    case invalidArgument(String)
    /// Data, ID maps or rated-item lists paired with a model of another user or item space.
    case mismatchedSpace(String)

    /// A one-line message that says what went wrong.
    public var description: String {
        switch self {
        case let .columnLengthMismatch(u, i, r):
            return "columns differ in length: \(u) users, \(i) items, \(r) ratings"
        case let .indexOutOfRange(row, what, index, count):
            return "row \(row): \(what) index \(index) is outside 0..<\(count)"
        case let .nonFiniteRating(row):
            return "row \(row): rating is NaN or infinite"
        case let .empty(what):
            return "\(what) is empty"
        case let .invalidArgument(text):
            return text
        case let .mismatchedSpace(why):
            return "data does not belong to this model: \(why)"
        }
    }
}
