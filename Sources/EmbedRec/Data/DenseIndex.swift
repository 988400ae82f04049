/// A position `0..<count` in one of EmbedRec's tables: the row of a user or an item in a model
/// and in a dataset's ``IDMap``, as opposed to the raw ID a data file uses.
///
/// The two kinds are separate types so that the compiler keeps user and item positions apart
/// and neither can be passed where a raw ID (`Int64`) is meant. Bulk columns — the dataset's
/// ``RatingsDataset/users``, a model's `predict` spans, ``TopKResult/items`` — stay plain `Int32`
/// arrays for the kernels; everything that names one user or one item takes these types.
public protocol DenseIndex: Hashable, Comparable, Sendable, CustomStringConvertible,
    ExpressibleByIntegerLiteral where IntegerLiteralType == Int32
{
    /// The position as stored in the kernels' `Int32` columns.
    var position: Int32 { get }
    /// Wraps a position; no range check (the APIs that take an index check it against their table).
    init(_ position: Int32)
    /// "user" or "item", for error messages.
    static var kind: String { get }
}

extension DenseIndex {
    /// An index from an integer literal, e.g. `let first: UserIndex = 0`.
    public init(integerLiteral value: Int32) { self.init(value) }
    /// Orders indices by position.
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.position < rhs.position }
    /// `"user #3"` or `"item #3"`, for messages.
    public var description: String { "\(Self.kind) #\(position)" }
    /// The position as an `Int`, for subscripting.
    public var offset: Int { Int(position) }
}

/// The dense position of a user: a row of the model's user tables.
public struct UserIndex: DenseIndex {
    public let position: Int32
    public init(_ position: Int32) { self.position = position }
    public static var kind: String { "user" }
}

/// The dense position of an item: a row of the model's item tables.
public struct ItemIndex: DenseIndex {
    public let position: Int32
    public init(_ position: Int32) { self.position = position }
    public static var kind: String { "item" }
}
