/// How a ratings file is laid out: its separator, whether it has a header, and which columns
/// hold the user ID, item ID, rating and (optionally) timestamp.
///
/// Use a preset (``goodbooks``, ``movieLensCSV``, ``movieLens100K``, ``movieLens1M``) or
/// ``delimited(separator:hasHeader:userColumn:itemColumn:ratingColumn:timestampColumn:)``
/// for any other delimited file. IDs are integers or any text (``RawID``); ratings are decimal
/// numbers; fields may be quoted.
public struct RatingsFileFormat: Sendable, Hashable {
    /// How the columns are found.
    public enum Columns: Sendable, Hashable {
        /// By header names: the first line names the columns and the loader picks the user,
        /// item, rating and timestamp columns by name (see ``RatingsFileFormat/userColumnNames``).
        case byHeaderNames
        /// By zero-based position. `hasHeader` says whether a first line should be skipped.
        /// `rating` is the value column (a rating or a count, as ``RatingsFileFormat/values``
        /// says); nil when the file has none (``Values/interactions``).
        case byPosition(user: Int, item: Int, rating: Int?, timestamp: Int?, hasHeader: Bool)
        /// JSON lines: one object per line, the fields named exactly (`value` nil when there is
        /// no value field). An ID is a JSON number (an integer) or a string; a value is a number.
        case jsonFields(user: String, item: String, value: String?, timestamp: String?)
    }

    /// The field separator, one or more bytes (`","`, `"\t"`, `"::"`).
    public var separator: String
    /// Where the columns are.
    public var columns: Columns
    /// The ratings the file may hold: a row outside it is an error naming the line
    /// (``RatingsFileError/Kind/ratingOutsideScale(text:scale:)``). nil accepts any finite rating.
    public var ratingScale: ClosedRange<Float>?

    /// What the loader does with a (user, item) pair rated on more than one line of a file.
    ///
    /// A pair kept twice is weighted twice in training, and a random split can put one copy in
    /// the training set and the other in the test set, where it is predicted from itself:
    /// metrics come out too good with no word of it. Hence one rating per pair by default.
    public enum DuplicatePairs: Sendable, Hashable {
        /// Keep the pair's last line (a rating given again replaces the earlier one), at that
        /// line's position in the dataset. The default.
        case keepLast
        /// Keep one row at the first line's position with the mean of the pair's ratings and
        /// the latest of its timestamps.
        case average
        /// Fail with ``RatingsFileError/Kind/duplicatePair(user:item:firstLine:)`` at the
        /// second line of the first pair rated twice.
        case reject
        /// Keep every line (the loader's behaviour before this option).
        case keepAll
    }

    /// What the loader does with a pair rated on several lines (``DuplicatePairs/keepLast``
    /// unless set).
    public var duplicatePairs: DuplicatePairs

    /// What the value column holds.
    public enum Values: Sendable, Hashable {
        /// Ratings a person gave (stars, scores): what a rating model learns to predict.
        case ratings
        /// How often something happened (plays, purchases, clicks): implicit feedback, which
        /// only a top-N model learns from; with ``Columns/byHeaderNames`` the column is found
        /// by ``countColumnNames``.
        case counts
        /// No value: each row records that the user interacted with the item (a purchase, a
        /// play, a follow), and weighs 1. Only a top-N model learns from them.
        case interactions

        /// True for ``ratings``: what a rating model can learn to predict.
        public var areRatings: Bool { self == .ratings }
    }

    /// What the value column holds (``Values/ratings`` unless set).
    public var values: Values

    /// How the text of a file is encoded: it matters for text IDs (ISBNs, names), which are
    /// decoded to UTF-8 when the file is loaded.
    public enum Encoding: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
        /// UTF-8 (and ASCII, its subset): an ID that is not valid UTF-8 is an error naming its line.
        case utf8
        /// ISO 8859-1, one byte per character (Book-Crossing's files).
        case latin1
        /// `UTF-8` or `Latin-1`.
        public var description: String { self == .utf8 ? "UTF-8" : "Latin-1" }
    }

    /// How the file's text is encoded (``Encoding/utf8`` unless set).
    public var encoding: Encoding = .utf8

    /// Creates a format. `separator` must not be empty.
    public init(
        separator: String, columns: Columns, ratingScale: ClosedRange<Float>? = nil, duplicatePairs: DuplicatePairs = .keepLast,
        values: Values = .ratings
    ) {
        self.separator = separator
        self.columns = columns
        self.ratingScale = ratingScale
        self.duplicatePairs = duplicatePairs
        self.values = values
    }

    /// A header name as the loader compares it: lower-cased, without quotes, spaces, `-` and
    /// `_`, so `User-ID`, `user_id` and `userId` are one name.
    public static func normalizedColumnName(_ name: some StringProtocol) -> String {
        String(name.lowercased().filter { !"\"' -_\r".contains($0) })
    }

    /// Header names (normalized: ``normalizedColumnName(_:)``) accepted for the user column.
    public static let userColumnNames: Set<String> = ["userid", "user", "uid", "username", "readerid", "reader", "listenerid", "listener",
                                                      "customerid", "customer", "viewerid", "memberid"]
    /// Header names (normalized) accepted for the item column.
    public static let itemColumnNames: Set<String> = ["itemid", "item", "bookid", "book", "movieid", "movie", "filmid", "film",
                                                      "artistid", "artist", "trackid", "track", "songid", "song", "productid", "product",
                                                      "isbn", "asin"]
    /// Header names (normalized) accepted for the rating column.
    public static let ratingColumnNames: Set<String> = ["rating", "score", "stars", "bookrating", "movierating"]
    /// Header names (normalized) of a column of counts (``Values/counts``).
    public static let countColumnNames: Set<String> = ["weight", "count", "counts", "plays", "playcount", "listens", "listencount",
                                                       "clicks", "views", "purchases", "quantity"]
    /// Header names (normalized) accepted for the timestamp column.
    public static let timestampColumnNames: Set<String> = ["timestamp", "time", "ts", "datetime", "date"]

    /// goodbooks-10k `ratings.csv`: either `book_id,user_id,rating` (original release) or
    /// `user_id,book_id,rating` (later release), chosen by the header.
    /// Ratings 1–5.
    public static let goodbooks = RatingsFileFormat(separator: ",", columns: .byHeaderNames, ratingScale: 1...5)
    /// MovieLens `ratings.csv`: `userId,movieId,rating,timestamp` with half stars (0.5–5).
    public static let movieLensCSV = RatingsFileFormat(separator: ",", columns: .byHeaderNames, ratingScale: 0.5...5)
    /// MovieLens 100K `u.data` and its `u1.base`… folds: tab-separated, no header, ratings 1–5.
    public static let movieLens100K = RatingsFileFormat(
        separator: "\t", columns: .byPosition(user: 0, item: 1, rating: 2, timestamp: 3, hasHeader: false),
        ratingScale: 1...5)
    /// MovieLens 1M/10M `ratings.dat`: `UserID::MovieID::Rating::Timestamp`, no header, ratings
    /// 0.5–5 (ml-1m has whole stars, ml-10m half stars).
    public static let movieLens1M = RatingsFileFormat(
        separator: "::", columns: .byPosition(user: 0, item: 1, rating: 2, timestamp: 3, hasHeader: false),
        ratingScale: 0.5...5)

    /// Any delimited file with the columns given by zero-based position; without a
    /// `ratingColumn` the rows are ``Values/interactions``.
    public static func delimited(
        separator: String, hasHeader: Bool, userColumn: Int, itemColumn: Int, ratingColumn: Int?,
        timestampColumn: Int? = nil
    ) -> RatingsFileFormat {
        RatingsFileFormat(
            separator: separator,
            columns: .byPosition(
                user: userColumn, item: itemColumn, rating: ratingColumn, timestamp: timestampColumn,
                hasHeader: hasHeader),
            values: ratingColumn == nil ? .interactions : .ratings)
    }

    /// JSON lines (`{"user": "u1", "item": "B00X", "rating": 4.5}` per line) with the fields
    /// named exactly; without a `value` field the rows are ``Values/interactions``.
    public static func jsonLines(
        userField: String, itemField: String, valueField: String?, timestampField: String? = nil, values: Values = .ratings
    ) -> RatingsFileFormat {
        RatingsFileFormat(
            separator: "", columns: .jsonFields(user: userField, item: itemField, value: valueField, timestamp: timestampField),
            values: valueField == nil ? .interactions : values)
    }

    /// True when the file is JSON lines rather than delimited text.
    public var isJSONLines: Bool {
        if case .jsonFields = columns { return true } else { return false }
    }
}

/// An error loading a ratings or catalogue file: which file, which line (1-based; 0 when the
/// error concerns the whole file) and what was wrong.
public struct RatingsFileError: Error, Equatable, CustomStringConvertible {
    /// What went wrong.
    public enum Kind: Equatable, Sendable {
        /// The file has no content (or only blank lines).
        case emptyFile
        /// The file has a header line but no data rows.
        case headerOnly
        /// The header does not name the required columns (the message lists what was expected).
        case unknownHeader(String)
        /// A row has a different number of fields than the first row or header.
        case wrongColumnCount(expected: Int, found: Int)
        /// A field (0-based `column`) that must be an integer is not: a timestamp, or an ID of a
        /// column read as integers.
        case notAnInteger(column: Int, text: String)
        /// An ID (0-based `column`) is not valid in the format's ``RatingsFileFormat/encoding``.
        case invalidText(column: Int, encoding: RatingsFileFormat.Encoding)
        /// A rating field (0-based `column`) is not a number.
        case notANumber(column: Int, text: String)
        /// A rating is NaN or infinite.
        case nonFiniteRating(text: String)
        /// A rating lies outside the format's ``RatingsFileFormat/ratingScale``.
        case ratingOutsideScale(text: String, scale: ClosedRange<Float>)
        /// The format or file violates a rule the message names.
        case invalidFormat(String)
        /// A (user, item) pair rated again on this line, first on `firstLine`, with
        /// ``RatingsFileFormat/DuplicatePairs/reject``.
        case duplicatePair(user: RawID, item: RawID, firstLine: Int)
        /// More distinct users or items (`what`), or more rows, than 32-bit indices hold.
        case tooManyDistinct(what: String, limit: Int)
    }

    /// The file's path, or the name given for in-memory data.
    public let file: String
    /// The 1-based line number, or 0 for whole-file errors.
    public let line: Int
    /// What was wrong.
    public let kind: Kind

    /// Creates an error for `file` at 1-based `line` (0 for the whole file).
    public init(file: String, line: Int, kind: Kind) {
        self.file = file; self.line = line; self.kind = kind
    }

    /// A one-line message naming the file, the line (when known) and the fault.
    public var description: String {
        let place = line > 0 ? "\(file):\(line)" : file
        switch kind {
        case .emptyFile: return "\(place): file is empty"
        case .headerOnly: return "\(place): file has a header but no data rows"
        case .unknownHeader(let why): return "\(place): unknown header: \(FileChecks.quoted(why, limit: 300))"
        case let .wrongColumnCount(expected, found):
            return "\(place): expected \(expected) columns, found \(found)"
        case let .notAnInteger(column, text): return "\(place): column \(column + 1): '\(text)' is not an integer"
        case let .invalidText(column, encoding):
            return "\(place): column \(column + 1): an ID that is not \(encoding) text; "
                + (encoding == .utf8 ? "if the file is Latin-1, say so (format.encoding = .latin1, --encoding latin1)" : "convert the file to UTF-8")
        case let .notANumber(column, text): return "\(place): column \(column + 1): '\(text)' is not a number"
        case .nonFiniteRating(let text): return "\(place): rating '\(text)' is NaN or infinite"
        case let .ratingOutsideScale(text, scale):
            return "\(place): rating '\(text)' is outside the scale \(scale.lowerBound)...\(scale.upperBound)"
        case .invalidFormat(let why): return "\(place): invalid format: \(why)"
        case let .duplicatePair(user, item, firstLine):
            return "\(place): user \(user) rated item \(item) again (first on line \(firstLine)); "
                + "set the format's duplicatePairs to .keepLast, .average or .keepAll to accept it"
        case let .tooManyDistinct(what, limit):
            return "\(place): more than \(limit) \(what): user and item indices are 32-bit"
        }
    }
}
