/// A two-way map between raw IDs as they appear in data files and dense indices `0..<count`.
///
/// Raw IDs are sparse (MovieLens movieIds reach 193,609 for 9,742 movies), so every table in
/// EmbedRec is sized by ``count``, never by the largest raw ID. Dense indices are assigned in
/// ascending raw-ID order, so a map depends only on the set of IDs, not on row order.
public struct IDMap: Sendable, Equatable {
    /// Raw ID of each dense index, ascending.
    public let rawIDs: [Int64]
    private let lookup: [Int64: Int32]

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
        var table = [Int64: Int32](minimumCapacity: sortedUniqueRawIDs.count)
        for (index, raw) in sortedUniqueRawIDs.enumerated() { table[raw] = Int32(index) }
        lookup = table
    }

    /// The number of distinct IDs.
    public var count: Int { rawIDs.count }

    /// The dense index of `rawID`, or nil when the ID is unknown. O(1).
    @inlinable
    public func index(of rawID: Int64) -> Int32? { indexImpl(rawID) }

    @usableFromInline
    func indexImpl(_ rawID: Int64) -> Int32? { lookup[rawID] }

    /// The raw ID at a dense index. Precondition: `0 <= index < count`.
    public func rawID(at index: Int32) -> Int64 { rawIDs[Int(index)] }

    public static func == (lhs: IDMap, rhs: IDMap) -> Bool { lhs.rawIDs == rhs.rawIDs }
}
