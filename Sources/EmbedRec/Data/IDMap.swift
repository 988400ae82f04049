/// A two-way map between raw IDs as they appear in data files and dense indices `0..<count`.
///
/// Raw IDs are sparse (MovieLens movieIds reach 193,609 for 9,742 movies), so every table in
/// EmbedRec is sized by ``count``, never by the largest raw ID. Dense indices are assigned in
/// ascending raw-ID order, so a map depends only on the set of IDs, not on row order.
///
/// The map is typed by what it indexes (``UserIDMap``, ``ItemIDMap``), so a user map cannot be
/// given where an item map is expected. All raw-ID ⇄ index conversions go through it.
public struct IDMap<Index: DenseIndex>: Sendable, Equatable {
    /// Raw ID of each dense index, ascending.
    public let rawIDs: [Int64]
    /// Raw ID → position when the IDs are non-negative and not much sparser than the count (the
    /// usual case, and cheap to build: no hashing); otherwise empty, and lookups binary-search
    /// ``rawIDs``.
    private let direct: [Int32]

    /// Creates a map over the distinct values of `rawIDs` (duplicates are allowed).
    ///
    /// - Complexity: O(n log n).
    public init<S: Sequence>(rawIDs: S) where S.Element == Int64 {
        let sorted = Array(Set(rawIDs)).sorted()
        self.init(sortedUniqueRawIDs: sorted)
    }

    /// Creates a map from raw IDs that are already sorted ascending and distinct.
    init(sortedUniqueRawIDs: [Int64]) {
        rawIDs = sortedUniqueRawIDs
        if let first = sortedUniqueRawIDs.first, let last = sortedUniqueRawIDs.last, first >= 0,
           last < Int64(max(4 * sortedUniqueRawIDs.count, 1 << 16)) {
            var table = [Int32](repeating: -1, count: Int(last) + 1)
            for (index, raw) in sortedUniqueRawIDs.enumerated() { table[Int(raw)] = Int32(index) }
            direct = table
        } else {
            direct = []
        }
    }

    /// The number of distinct IDs.
    public var count: Int { rawIDs.count }

    /// The dense index of `rawID`, or nil when the ID is unknown. O(1) for dense non-negative IDs,
    /// O(log n) otherwise.
    public func index(of rawID: Int64) -> Index? { position(of: rawID).map(Index.init) }

    /// The dense position of `rawID` in a kernel column, or nil. O(1).
    func position(of rawID: Int64) -> Int32? {
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

    /// True when `index` is one of this map's positions.
    public func contains(_ index: Index) -> Bool { index.position >= 0 && index.offset < count }

    /// The raw ID at a dense index, or nil when the index is outside the map.
    public func rawID(at index: Index) -> Int64? { contains(index) ? rawIDs[index.offset] : nil }

    /// The raw ID at a position the caller has already checked against ``count``.
    func rawID(atChecked position: Int32) -> Int64 { rawIDs[Int(position)] }

    /// All indices in order.
    public var indices: [Index] { (0..<Int32(count)).map(Index.init) }

    /// Equal when both map the same raw IDs to the same indices.
    public static func == (lhs: IDMap, rhs: IDMap) -> Bool { lhs.rawIDs == rhs.rawIDs }
}

/// Raw user IDs ⇄ ``UserIndex``.
public typealias UserIDMap = IDMap<UserIndex>
/// Raw item IDs ⇄ ``ItemIndex``.
public typealias ItemIDMap = IDMap<ItemIndex>
