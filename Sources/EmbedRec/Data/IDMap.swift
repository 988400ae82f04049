/// A two-way map between raw IDs as they appear in data files and dense indices `0..<count`.
///
/// Raw IDs are sparse (MovieLens movieIds reach 193,609 for 9,742 movies) or text (ISBNs), so
/// every table in EmbedRec is sized by ``count``, never by the largest raw ID. Dense indices are
/// assigned in ascending raw-ID order (``RawID``'s order: integers by value, text by bytes), so
/// a map depends only on the set of IDs, not on row order.
///
/// A map holds integers or text, never both: integer IDs keep a compact `Int64` column and a
/// direct-address lookup; text IDs keep one UTF-8 buffer and a hash index.
///
/// The map is typed by what it indexes (``UserIDMap``, ``ItemIDMap``), so a user map cannot be
/// given where an item map is expected. All raw-ID ⇄ index conversions go through it.
public struct IDMap<Index: DenseIndex>: Sendable, Equatable {
    let storage: RawIDStorage

    /// Creates a map over the distinct values of `rawIDs` (duplicates are allowed). When any ID
    /// is text, every ID is kept as text (integers by their decimal spelling).
    ///
    /// - Complexity: O(n log n).
    public init<S: Sequence>(rawIDs: S) where S.Element == RawID {
        let ids = Array(rawIDs)
        if ids.allSatisfy({ $0.integerValue != nil }) {
            self.init(integerIDs: ids.map { $0.integerValue! })
        } else {
            self.init(texts: TextIDs(strings: ids.map(\.description)))
        }
    }

    /// Creates a map over the distinct values of integer `rawIDs` (duplicates are allowed).
    ///
    /// - Complexity: O(n log n).
    public init<S: Sequence>(integerIDs rawIDs: S) where S.Element == Int64 {
        self.init(sortedUniqueRawIDs: Array(Set(rawIDs)).sorted())
    }

    /// Creates a map from integer raw IDs that are already sorted ascending and distinct.
    init(sortedUniqueRawIDs: [Int64]) {
        if let first = sortedUniqueRawIDs.first, let last = sortedUniqueRawIDs.last, first >= 0,
           last < Int64(max(4 * sortedUniqueRawIDs.count, 1 << 16)) {
            var table = [Int32](repeating: -1, count: Int(last) + 1)
            for (index, raw) in sortedUniqueRawIDs.enumerated() { table[Int(raw)] = Int32(index) }
            storage = .integers(sortedUniqueRawIDs, direct: table)
        } else {
            storage = .integers(sortedUniqueRawIDs, direct: [])
        }
    }

    /// Creates a map of text IDs (already sorted by bytes and distinct).
    init(texts: TextIDs) { storage = .texts(texts) }

    init(storage: RawIDStorage) { self.storage = storage }

    /// The number of distinct IDs.
    public var count: Int { rawIDs.count }

    /// True when the IDs are text (ISBNs, names), false when they are integers.
    public var holdsText: Bool {
        if case .texts = storage { return true }
        return false
    }

    /// Every raw ID, in index order: a view, so `rawIDs[k]` costs one lookup.
    public var rawIDs: RawIDs { RawIDs(storage: storage) }

    /// The integer IDs in index order, or nil for a map of text IDs.
    public var integerRawIDs: [Int64]? {
        if case .integers(let ids, _) = storage { return ids }
        return nil
    }

    /// The dense index of `rawID`, or nil when the ID is unknown. O(1) for dense non-negative
    /// integers and for text, O(log n) for other integers. An integer finds its decimal spelling
    /// in a map of text IDs.
    public func index(of rawID: RawID) -> Index? { position(of: rawID).map(Index.init) }

    /// The dense position of `rawID` in a kernel column, or nil.
    func position(of rawID: RawID) -> Int32? {
        switch (storage, rawID) {
        case (_, .integer(let value)): return position(of: value)
        case (.integers, .text): return nil
        case (.texts(let texts), .text(let text)): return texts.position(of: text)
        }
    }

    /// The dense position of an integer ID, or nil.
    func position(of rawID: Int64) -> Int32? {
        switch storage {
        case .texts(let texts): return texts.position(of: String(rawID))
        case .integers(let rawIDs, let direct):
            if !direct.isEmpty {
                guard rawID >= 0, rawID < Int64(direct.count) else { return nil }
                let p = direct[Int(rawID)]
                return p >= 0 ? p : nil
            }
            var lo = 0, hi = rawIDs.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if rawIDs[mid] < rawID { lo = mid + 1 } else { hi = mid }
            }
            return lo < rawIDs.count && rawIDs[lo] == rawID ? Int32(lo) : nil
        }
    }

    /// True when `index` is one of this map's positions.
    public func contains(_ index: Index) -> Bool { index.position >= 0 && index.offset < count }

    /// The raw ID at a dense index, or nil when the index is outside the map.
    public func rawID(at index: Index) -> RawID? { contains(index) ? rawID(atChecked: index.position) : nil }

    /// The raw ID at a position the caller has already checked against ``count``.
    func rawID(atChecked position: Int32) -> RawID { rawIDs[Int(position)] }

    /// All indices in order.
    public var indices: [Index] { (0..<Int32(count)).map(Index.init) }

    /// Equal when both map the same raw IDs to the same indices.
    public static func == (lhs: IDMap, rhs: IDMap) -> Bool {
        switch (lhs.storage, rhs.storage) {
        case let (.integers(a, _), .integers(b, _)): return a == b
        case let (.texts(a), .texts(b)): return a == b
        default: return lhs.count == 0 && rhs.count == 0
        }
    }
}

/// The IDs of an ``IDMap``, in index order.
enum RawIDStorage: Sendable, Equatable {
    /// Ascending integers, and raw ID → position when the IDs are non-negative and not much
    /// sparser than the count (the usual case, and cheap to build: no hashing); otherwise
    /// `direct` is empty and lookups binary-search.
    case integers([Int64], direct: [Int32])
    /// Text IDs sorted by their bytes.
    case texts(TextIDs)
}

/// The raw IDs of an ``IDMap`` in index order, read in place.
public struct RawIDs: RandomAccessCollection, Sendable, Equatable {
    let storage: RawIDStorage
    /// 0.
    public var startIndex: Int { 0 }
    /// The number of IDs.
    public var endIndex: Int {
        switch storage {
        case .integers(let ids, _): return ids.count
        case .texts(let texts): return texts.count
        }
    }
    /// The raw ID at position `k` (`0..<count`).
    public subscript(k: Int) -> RawID {
        switch storage {
        case .integers(let ids, _): return .integer(ids[k])
        case .texts(let texts): return .text(texts.string(at: k))
        }
    }
}

/// Raw user IDs ⇄ ``UserIndex``.
public typealias UserIDMap = IDMap<UserIndex>
/// Raw item IDs ⇄ ``ItemIndex``.
public typealias ItemIDMap = IDMap<ItemIndex>
