/// Loaders for the item catalogues of goodbooks-10k and MovieLens.
///
/// Every loader accepts a UTF-8 byte-order mark, CRLF or LF line ends, blank lines and a
/// missing final newline, and reports every fault as a ``RatingsFileError`` naming the file, the
/// 1-based line where the offending record starts (0 for whole-file faults) and the kind:
///
/// - `.cannotRead`: the file could not be read;
/// - `.emptyFile`: no records at all; `.headerOnly`: a CSV header but no items;
/// - `.unknownHeader`: a required CSV column is missing or named twice;
/// - `.wrongColumnCount`: a record has a different number of fields than the header
///   (or than the fixed layout of `u.item`);
/// - `.notAnInteger`: an item ID that is not a whole number in Int64 range;
/// - `.notANumber`: a year that is not a number;
/// - `.invalidFormat`: a duplicate item ID, a broken quoted field, a fractional year or a
///   `u.item` genre flag other than 0 or 1.
///
/// No input makes a loader trap; invalid UTF-8 is decoded with replacement characters.
extension ItemCatalog {
    /// The 19 genre names of MovieLens 100K, in the order of the genre flags of `u.item`
    /// (the order of `u.genre`).
    public static let movieLens100KGenres: [String] = [
        "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
        "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery",
        "Romance", "Sci-Fi", "Thriller", "War", "Western",
    ]

    // MARK: goodbooks-10k

    /// Loads goodbooks-10k `books.csv`.
    ///
    /// The item ID is column `id` (original release, where `book_id` is the Goodreads ID) or,
    /// when there is no `id` column, `book_id` (later release, next to `goodreads_book_id`);
    /// either way it is the `book_id` of `ratings.csv`. Also read: `title` (required; an empty
    /// title falls back to `original_title`), and, when present, `authors`,
    /// `original_publication_year` (a float such as `2008.0`, may be empty or negative) and
    /// `image_url`. Other columns are ignored. Fields follow RFC 4180 quoting.
    ///
    /// - Throws: ``RatingsFileError`` (see the kinds listed on this extension).
    /// - Complexity: O(file size).
    public static func loadGoodbooks(path: String) throws -> ItemCatalog {
        try loadGoodbooks(bytes: RatingsLoader.readFile(path), name: path)
    }

    /// Parses goodbooks-10k `books.csv` content from UTF-8 bytes in memory; `name` is used in
    /// error messages. See ``loadGoodbooks(path:)``.
    ///
    /// - Throws: ``RatingsFileError``.
    /// - Complexity: O(bytes.count).
    public static func loadGoodbooks(bytes: [UInt8], name: String = "<bytes>") throws -> ItemCatalog {
        try CatalogCSV.load(bytes: bytes, name: name, roles: [
            .init(.id, names: ["id", "book_id"], required: true),
            .init(.title, names: ["title"], required: true),
            .init(.fallbackTitle, names: ["original_title"], required: false),
            .init(.authors, names: ["authors"], required: false),
            .init(.decimalYear, names: ["original_publication_year", "publication_year", "year"], required: false),
            .init(.imageURL, names: ["image_url"], required: false),
        ])
    }

    /// Parses goodbooks-10k `books.csv` content from a string; `name` is used in error
    /// messages. See ``loadGoodbooks(path:)``.
    ///
    /// - Throws: ``RatingsFileError``.
    /// - Complexity: O(text size).
    public static func loadGoodbooks(text: String, name: String = "<text>") throws -> ItemCatalog {
        try loadGoodbooks(bytes: Array(text.utf8), name: name)
    }

    // MARK: MovieLens movies.csv

    /// Loads MovieLens `movies.csv` (`movieId,title,genres`, as in ml-latest, ml-25m, ml-20m).
    ///
    /// Genres are split on `|`; `(no genres listed)` gives no genres. The year comes from the
    /// title's `(1995)` suffix (a `(2006–2007)` range gives its first year); the title itself is
    /// kept as written. Fields follow RFC 4180 quoting (titles with commas are quoted).
    ///
    /// - Throws: ``RatingsFileError`` (see the kinds listed on this extension).
    /// - Complexity: O(file size).
    public static func loadMovieLensCSV(path: String) throws -> ItemCatalog {
        try loadMovieLensCSV(bytes: RatingsLoader.readFile(path), name: path)
    }

    /// Parses MovieLens `movies.csv` content from UTF-8 bytes in memory; `name` is used in
    /// error messages. See ``loadMovieLensCSV(path:)``.
    ///
    /// - Throws: ``RatingsFileError``.
    /// - Complexity: O(bytes.count).
    public static func loadMovieLensCSV(bytes: [UInt8], name: String = "<bytes>") throws -> ItemCatalog {
        try CatalogCSV.load(bytes: bytes, name: name, roles: [
            .init(.id, names: ["movieid", "movie_id", "itemid", "item_id", "id"], required: true),
            .init(.titleWithYear, names: ["title"], required: true),
            .init(.pipeGenres, names: ["genres"], required: false),
        ])
    }

    /// Parses MovieLens `movies.csv` content from a string; `name` is used in error messages.
    /// See ``loadMovieLensCSV(path:)``.
    ///
    /// - Throws: ``RatingsFileError``.
    /// - Complexity: O(text size).
    public static func loadMovieLensCSV(text: String, name: String = "<text>") throws -> ItemCatalog {
        try loadMovieLensCSV(bytes: Array(text.utf8), name: name)
    }

    // MARK: MovieLens 100K u.item

    /// Loads MovieLens 100K `u.item`: ISO-8859-1 (Latin-1) text, `|`-separated, no header,
    /// no quoting, fields `id|title|release date|video release date|IMDb URL|` followed by one
    /// 0/1 flag per genre of `genreNames`.
    ///
    /// The year comes from the title's `(1995)` suffix, else from the release date
    /// (`01-Jan-1995`); the title is kept as written. The IMDb URL is not an image, so
    /// ``ItemMetadata/imageURL`` is nil.
    ///
    /// - Parameter genreNames: the genre of each flag column, in order (default: the 19 of
    ///   MovieLens 100K's `u.genre`).
    /// - Throws: ``RatingsFileError`` (see the kinds listed on this extension).
    /// - Complexity: O(file size).
    public static func loadMovieLens100KItems(
        path: String, genreNames: [String] = movieLens100KGenres
    ) throws -> ItemCatalog {
        try loadMovieLens100KItems(bytes: RatingsLoader.readFile(path), name: path, genreNames: genreNames)
    }

    /// Parses `u.item` content from bytes in memory, decoding them as ISO-8859-1 (Latin-1),
    /// where every byte is the code point of the same value. Bytes that start with a UTF-8
    /// byte-order mark are decoded as UTF-8 instead. `name` is used in error messages.
    /// See ``loadMovieLens100KItems(path:genreNames:)``.
    ///
    /// - Throws: ``RatingsFileError``.
    /// - Complexity: O(bytes.count).
    public static func loadMovieLens100KItems(
        bytes: [UInt8], name: String = "<bytes>", genreNames: [String] = movieLens100KGenres
    ) throws -> ItemCatalog {
        try loadUItem(bytes: bytes, name: name, decoding: .latin1, genreNames: genreNames)
    }

    /// Parses `u.item` content that is already decoded to a string; `name` is used in error
    /// messages. See ``loadMovieLens100KItems(path:genreNames:)``.
    ///
    /// - Throws: ``RatingsFileError``.
    /// - Complexity: O(text size).
    public static func loadMovieLens100KItems(
        text: String, name: String = "<text>", genreNames: [String] = movieLens100KGenres
    ) throws -> ItemCatalog {
        try loadUItem(bytes: Array(text.utf8), name: name, decoding: .utf8, genreNames: genreNames)
    }

    static func loadUItem(
        bytes: [UInt8], name: String, decoding: DelimitedRecordReader.Decoding, genreNames: [String]
    ) throws -> ItemCatalog {
        let expected = 5 + genreNames.count
        var builder = CatalogBuilder(name: name)
        try DelimitedRecordReader.forEachRecord(
            bytes: bytes, name: name, separator: UInt8(ascii: "|"), quoting: false, decoding: decoding
        ) { fields, line in
            guard fields.count == expected else {
                throw RatingsFileError(file: name, line: line, kind: .wrongColumnCount(expected: expected, found: fields.count))
            }
            let id = try CatalogFields.integerID(fields[0], column: 0, file: name, line: line)
            let title = CatalogFields.trimmed(fields[1])
            var genres: [String] = []
            for (k, genre) in genreNames.enumerated() {
                switch CatalogFields.trimmed(fields[5 + k]) {
                case "1": genres.append(genre)
                case "0": break
                case let flag:
                    throw RatingsFileError(file: name, line: line, kind: .invalidFormat(
                        "column \(6 + k) (\(genre)): genre flag '\(CatalogFields.clipped(flag))' is not 0 or 1"))
                }
            }
            let year = CatalogFields.yearSuffix(ofTitle: title) ?? CatalogFields.yearOfReleaseDate(fields[2])
            try builder.add(ItemMetadata(rawID: id, title: title, year: year, genres: genres), line: line)
        }
        guard builder.records > 0 else { throw RatingsFileError(file: name, line: 0, kind: .emptyFile) }
        return builder.catalog()
    }
}

// MARK: - Internals

/// Collects items, rejecting duplicate IDs with the line of both occurrences.
struct CatalogBuilder {
    let name: String
    var items: [ItemMetadata] = []
    var lineOfID: [Int64: Int] = [:]
    /// Records seen, including a header.
    var records = 0

    init(name: String) { self.name = name }

    mutating func add(_ item: ItemMetadata, line: Int) throws {
        if let first = lineOfID[item.rawID] {
            throw RatingsFileError(file: name, line: line, kind: .invalidFormat(
                "duplicate item id \(item.rawID) (first on line \(first))"))
        }
        lineOfID[item.rawID] = line
        items.append(item)
        records += 1
    }

    func catalog() -> ItemCatalog {
        ItemCatalog(sortedUniqueItems: items.sorted { $0.rawID < $1.rawID })
    }
}

/// A header-driven CSV catalogue: which column plays which role.
enum CatalogCSV {
    enum Role { case id, title, fallbackTitle, titleWithYear, authors, decimalYear, imageURL, pipeGenres }

    struct RoleSpec {
        var role: Role
        /// Accepted lower-cased header names, in order of preference.
        var names: [String]
        var required: Bool
        init(_ role: Role, names: [String], required: Bool) {
            self.role = role; self.names = names; self.required = required
        }
    }

    static func load(bytes: [UInt8], name: String, roles: [RoleSpec]) throws -> ItemCatalog {
        var columns: [(role: Role, column: Int)]? = nil
        var columnCount = 0
        var builder = CatalogBuilder(name: name)
        try DelimitedRecordReader.forEachRecord(
            bytes: bytes, name: name, separator: UInt8(ascii: ","), quoting: true, decoding: .utf8
        ) { fields, line in
            guard let columns else {
                columns = try resolve(header: fields, roles: roles, name: name, line: line)
                columnCount = fields.count
                return
            }
            guard fields.count == columnCount else {
                throw RatingsFileError(file: name, line: line, kind: .wrongColumnCount(expected: columnCount, found: fields.count))
            }
            var item = ItemMetadata(rawID: 0, title: "")
            var fallbackTitle = ""
            for (role, c) in columns {
                let field = fields[c]
                switch role {
                case .id: item.rawID = try CatalogFields.integerID(field, column: c, file: name, line: line)
                case .title: item.title = CatalogFields.trimmed(field)
                case .fallbackTitle: fallbackTitle = CatalogFields.trimmed(field)
                case .titleWithYear:
                    item.title = CatalogFields.trimmed(field)
                    item.year = CatalogFields.yearSuffix(ofTitle: item.title)
                case .authors: item.authors = CatalogFields.nonEmpty(field)
                case .decimalYear: item.year = try CatalogFields.decimalYear(field, column: c, file: name, line: line)
                case .imageURL: item.imageURL = CatalogFields.nonEmpty(field)
                case .pipeGenres: item.genres = CatalogFields.pipeGenres(field)
                }
            }
            if item.title.isEmpty { item.title = fallbackTitle }
            try builder.add(item, line: line)
        }
        guard columns != nil else { throw RatingsFileError(file: name, line: 0, kind: .emptyFile) }
        guard builder.records > 0 else { throw RatingsFileError(file: name, line: 0, kind: .headerOnly) }
        return builder.catalog()
    }

    /// Finds the column of each role in a header row.
    static func resolve(
        header: [String], roles: [RoleSpec], name: String, line: Int
    ) throws -> [(role: Role, column: Int)] {
        let names = header.map { CatalogFields.trimmed($0).lowercased() }
        var out: [(role: Role, column: Int)] = []
        for spec in roles {
            var found: Int? = nil
            for accepted in spec.names {
                let hits = names.indices.filter { names[$0] == accepted }
                if hits.count > 1 {
                    throw RatingsFileError(file: name, line: line, kind: .unknownHeader(
                        "column '\(accepted)' appears \(hits.count) times"))
                }
                if let hit = hits.first { found = hit; break }
            }
            if let found {
                out.append((spec.role, found))
            } else if spec.required {
                let shown = names.count > 30 ? Array(names.prefix(30)) + ["…"] : names
                throw RatingsFileError(file: name, line: line, kind: .unknownHeader(
                    "no column named \(spec.names.map { "'\($0)'" }.joined(separator: " or ")) in \(shown)"))
            }
        }
        return out
    }
}

/// Field-level parsing shared by the catalogue loaders.
enum CatalogFields {
    /// `text` without leading and trailing spaces and tabs.
    static func trimmed(_ text: String) -> String {
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { $0 != " " && $0 != "\t" }) else { return "" }
        let last = scalars.lastIndex(where: { $0 != " " && $0 != "\t" })!
        return String(scalars[first...last])
    }

    /// The trimmed text, or nil when it is empty.
    static func nonEmpty(_ text: String) -> String? {
        let t = trimmed(text)
        return t.isEmpty ? nil : t
    }

    /// At most 40 characters of `text`, for error messages.
    static func clipped(_ text: String) -> String {
        text.count > 40 ? String(text.prefix(40)) + "…" : text
    }

    /// A whole-number ID in Int64 range (an optional sign, then digits).
    static func integerID(_ field: String, column: Int, file: String, line: Int) throws -> Int64 {
        let text = trimmed(field)
        guard let value = Int64(text) else {
            throw RatingsFileError(file: file, line: line, kind: .notAnInteger(column: column, text: clipped(text)))
        }
        return value
    }

    /// A year written as a decimal number (`2008.0`, `-720.0`, `1997`); empty gives nil.
    static func decimalYear(_ field: String, column: Int, file: String, line: Int) throws -> Int? {
        let text = trimmed(field)
        if text.isEmpty { return nil }
        // Only plain decimal notation: Double(_:) would also take "nan", "inf" and hex floats.
        let plain = text.unicodeScalars.allSatisfy { ("0"..."9").contains($0) || $0 == "." || $0 == "-" || $0 == "+" || $0 == "e" || $0 == "E" }
        guard plain, let value = Double(text), value.isFinite else {
            throw RatingsFileError(file: file, line: line, kind: .notANumber(column: column, text: clipped(text)))
        }
        guard value == value.rounded(), abs(value) <= 100_000 else {
            throw RatingsFileError(file: file, line: line, kind: .invalidFormat(
                "column \(column + 1): year '\(clipped(text))' is not a whole number of plausible size"))
        }
        return Int(value)
    }

    /// The year in a MovieLens title's `(1995)` suffix; `(2006-2007)` and `(2006–)` give the
    /// first year. Nil when the title has no such suffix.
    static func yearSuffix(ofTitle title: String) -> Int? {
        let scalars = Array(trimmed(title).unicodeScalars)
        guard scalars.last == ")", let open = scalars.lastIndex(of: "(") else { return nil }
        let inner = scalars[(open + 1)..<(scalars.count - 1)]
        let digits = inner.prefix { ("0"..."9").contains($0) }
        guard digits.count == 4 else { return nil }
        let rest = inner.dropFirst(4)
        if let dash = rest.first {
            guard dash == "-" || dash == "–", rest.dropFirst().allSatisfy({ ("0"..."9").contains($0) }) else { return nil }
        }
        return Int(String(String.UnicodeScalarView(digits)))
    }

    /// The year of a MovieLens 100K release date such as `01-Jan-1995`; nil when absent.
    static func yearOfReleaseDate(_ field: String) -> Int? {
        let text = trimmed(field)
        guard let dash = text.unicodeScalars.lastIndex(of: "-") else { return nil }
        let year = text.unicodeScalars[text.unicodeScalars.index(after: dash)...]
        guard year.count == 4, year.allSatisfy({ ("0"..."9").contains($0) }) else { return nil }
        return Int(String(String.UnicodeScalarView(year)))
    }

    /// MovieLens `Action|Comedy` genres; `(no genres listed)` and empty give none.
    static func pipeGenres(_ field: String) -> [String] {
        let text = trimmed(field)
        if text.isEmpty || text == "(no genres listed)" { return [] }
        return text.split(separator: "|").map { trimmed(String($0)) }.filter { !$0.isEmpty }
    }
}

/// A small RFC 4180 record reader over bytes, with line numbers.
///
/// Why not SwiftCSV (v0.10.0, evaluated for this job)? It does handle embedded commas,
/// doubled quotes and newlines inside quoted fields, but it falls short for loading files we
/// must report on precisely:
/// - at the end of input without a final newline it drops a trailing empty field (`a,b,`
///   parses as two fields) and drops a last record that is a lone empty quoted field;
/// - an unterminated quoted field is accepted silently (`a,"b` gives `["a", "b"]`), so a
///   stray quote can swallow the rest of a file without an error;
/// - it reports neither line numbers nor positions, which ``RatingsFileError`` needs;
/// - it works on grapheme clusters, so a separator followed by a combining mark (`,\u{301}`) is
///   not seen as a separator;
/// - it drops leading spaces of unquoted fields and blank lines become one-field records.
/// This reader works on bytes (ASCII separators and quotes cannot occur inside a multi-byte
/// UTF-8 sequence), so it is also much faster.
///
/// Rules: fields are separated by `separator`; records end at LF or CR LF (a lone CR is data);
/// with `quoting`, a field that starts with `"` runs to the next `"` not followed by another
/// `"`, `""` inside it stands for one `"`, and it may span lines; only spaces or tabs may
/// follow the closing quote before the separator or line end. A `"` inside an unquoted field
/// is kept as data (lenient, like Python's csv). Records made only of spaces, tabs and line ends
/// are skipped. A UTF-8 byte-order mark is skipped (and forces UTF-8 decoding).
enum DelimitedRecordReader {
    enum Decoding { case utf8, latin1 }

    /// Calls `body(fields, line)` for each record in order, `line` being the 1-based line where
    /// the record starts.
    ///
    /// - Throws: ``RatingsFileError`` `.invalidFormat` for an unterminated quoted field or text
    ///   after a closing quote; whatever `body` throws.
    static func forEachRecord(
        bytes: [UInt8], name: String, separator: UInt8, quoting: Bool, decoding: Decoding,
        _ body: (_ fields: [String], _ line: Int) throws -> Void
    ) throws {
        try bytes.withUnsafeBufferPointer { buffer in
            let n = buffer.count
            var p = 0
            var decoding = decoding
            if n >= 3 && buffer[0] == 0xEF && buffer[1] == 0xBB && buffer[2] == 0xBF { p = 3; decoding = .utf8 }
            func decode(_ range: Range<Int>) -> String {
                let slice = UnsafeBufferPointer(rebasing: buffer[range])
                switch decoding {
                case .utf8: return String(decoding: slice, as: UTF8.self)
                case .latin1:
                    if slice.allSatisfy({ $0 < 0x80 }) { return String(decoding: slice, as: UTF8.self) }
                    return String(String.UnicodeScalarView(slice.lazy.map { Unicode.Scalar($0) }))
                }
            }
            func decode(_ bytes: [UInt8]) -> String {
                bytes.withUnsafeBufferPointer { b in
                    switch decoding {
                    case .utf8: return String(decoding: b, as: UTF8.self)
                    case .latin1: return String(String.UnicodeScalarView(b.lazy.map { Unicode.Scalar($0) }))
                    }
                }
            }
            let quote = UInt8(ascii: "\""), lf = UInt8(10), cr = UInt8(13)
            let space = UInt8(32), tab = UInt8(9)
            var line = 1
            var fields: [String] = []
            var quoted: [UInt8] = []
            while p < n {
                // Skip a blank (or whitespace-only) line.
                var q = p
                while q < n && (buffer[q] == space || buffer[q] == tab || buffer[q] == cr) { q += 1 }
                if q == n { break }
                if buffer[q] == lf { p = q + 1; line += 1; continue }

                let recordLine = line
                fields.removeAll(keepingCapacity: true)
                while true {
                    if quoting && p < n && buffer[p] == quote {
                        let fieldLine = line
                        p += 1
                        quoted.removeAll(keepingCapacity: true)
                        while true {
                            guard p < n else {
                                throw RatingsFileError(file: name, line: fieldLine, kind: .invalidFormat(
                                    "quoted field \(fields.count + 1) is not closed before the end of the file"))
                            }
                            let c = buffer[p]
                            if c == quote {
                                if p + 1 < n && buffer[p + 1] == quote { quoted.append(quote); p += 2; continue }
                                p += 1
                                break
                            }
                            if c == lf { line += 1 }
                            quoted.append(c)
                            p += 1
                        }
                        while p < n && (buffer[p] == space || buffer[p] == tab) { p += 1 }
                        fields.append(decode(quoted))
                    } else {
                        let start = p
                        while p < n && buffer[p] != separator && buffer[p] != lf { p += 1 }
                        var end = p
                        if end > start && buffer[end - 1] == cr && (p == n || buffer[p] == lf) { end -= 1 }
                        fields.append(decode(start..<end))
                    }
                    // p is at the separator, a line end or the end of the data.
                    if p < n && buffer[p] == separator { p += 1; continue }
                    if p < n && buffer[p] == cr && (p + 1 == n || buffer[p + 1] == lf) { p += 1 }
                    if p >= n { break }
                    if buffer[p] == lf { p += 1; line += 1; break }
                    throw RatingsFileError(file: name, line: line, kind: .invalidFormat(
                        "unexpected text after the closing quote of field \(fields.count)"))
                }
                try body(fields, recordLine)
            }
        }
    }
}
