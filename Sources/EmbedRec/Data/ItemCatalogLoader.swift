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
        try CatalogCSV.load(bytes: bytes, name: name, nouns: .books, roles: [
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
        try CatalogCSV.load(bytes: bytes, name: name, nouns: .films, roles: [
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
    /// - Parameters:
    ///   - path: the `u.item` file.
    ///   - genreNames: the genre of each flag column, in order (default: the 19 of
    ///     MovieLens 100K's `u.genre`).
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
            let id = try CatalogFields.rawID(fields[0], column: 0, file: name, line: line)
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
        return builder.catalog(nouns: .films)
    }
}
