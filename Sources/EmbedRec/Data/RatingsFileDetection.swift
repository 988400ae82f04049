extension RatingsFileFormat {
    /// A format read off a file's first line, and what was decided, in words.
    public struct Detection: Sendable, Hashable {
        /// The format to load the file with.
        public let format: RatingsFileFormat
        /// What was decided, for a person: e.g. `tab-separated, header userID, artistID, weight;
        /// counts in 'weight' (implicit feedback)`.
        public let summary: String
    }

    /// The format of the ratings file at `path`, read off its first line (see
    /// ``detect(firstBytes:name:)``).
    ///
    /// - Throws: ``FileError/cannotRead(path:reason:)``; ``RatingsFileError`` when the first line
    ///   does not say (no separator, an unknown header).
    public static func detect(path: String) throws -> Detection {
        let prefix: [UInt8]
        do { prefix = try FileChecks.readPrefix(path, count: 4_096) } catch {
            throw FileError.cannotRead(path: path, reason: error.reason)
        }
        return try detect(firstBytes: prefix, name: path)
    }

    /// The format of a ratings file whose first bytes are `bytes` (`name` names it in errors).
    ///
    /// - The separator is the first of `::`, tab, `;` and `,` the first line contains.
    /// - A first line with a field that is not a number is a header: the columns are found by
    ///   name (``normalizedColumnName(_:)``, so `userId`, `User-ID` and `user_id` all name the
    ///   user). A rating column (``ratingColumnNames``) makes the values ratings; otherwise a
    ///   count column (``countColumnNames``: `weight`, `plays`, …) makes them counts,
    ///   ``Values/counts``.
    /// - Without a header the columns are user, item, rating and, when there is a fourth,
    ///   timestamp.
    /// - The rating scale is MovieLens's 0.5–5 for a header naming `movieId`, and for `::`
    ///   files (ratings.dat); 1–5 for goodbooks (`book_id`) and tab-separated 4-column files
    ///   (u.data); otherwise the data's own range (any finite rating is accepted).
    public static func detect(firstBytes bytes: [UInt8], name: String) throws -> Detection {
        try bytes.withUnsafeBufferPointer { try TextEncoding.rejectWideEncodings($0, name: name) }
        var text = bytes[...]
        if text.starts(with: [0xEF, 0xBB, 0xBF]) { text = text.dropFirst(3) }
        while let first = text.first, first == 10 || first == 13 { text = text.dropFirst() }
        let line = String(decoding: text.prefix { $0 != 10 && $0 != 13 }, as: UTF8.self)
        guard !line.isEmpty else { throw RatingsFileError(file: name, line: 0, kind: .emptyFile) }
        let separators: [(String, String)] = [("::", "'::'-separated"), ("\t", "tab-separated"), (";", "semicolon-separated"),
                                              (",", "comma-separated")]
        guard let (separator, separatorName) = separators.first(where: { line.contains($0.0) }) else {
            throw RatingsFileError(file: name, line: 1, kind: .invalidFormat(
                "not a ratings file: the first line has none of the separators '::', tab, ';', ',' (give the format if it is one)"))
        }
        let fields = line.components(separatedBy: separator).map { $0.trimmingCharacters(in: [" ", "\""]) }
        // A header names a known column, or has no number where a headerless file has its
        // rating; a text ID (an ISBN) in a data row is not a header.
        let known = userColumnNames.union(itemColumnNames).union(ratingColumnNames).union(countColumnNames).union(timestampColumnNames)
        if fields.contains(where: { known.contains(normalizedColumnName($0)) }) || (fields.count >= 3 && Double(fields[2]) == nil)
            || (fields.count < 3 && fields.contains(where: { Double($0) == nil })) {
            return try detectByHeader(fields, separator: separator, separatorName: separatorName, name: name)
        }
        guard fields.count >= 3 else {
            throw RatingsFileError(file: name, line: 1, kind: .invalidFormat(
                "\(fields.count) columns and no header: a ratings file without a header has user, item and rating columns"))
        }
        let timestamp: Int? = fields.count >= 4 ? 3 : nil
        var format = RatingsFileFormat.delimited(separator: separator, hasHeader: false, userColumn: 0, itemColumn: 1,
                                                 ratingColumn: 2, timestampColumn: timestamp)
        if separator == "::" { format.ratingScale = 0.5...5 }
        if separator == "\t" && fields.count == 4 { format.ratingScale = 1...5 }
        let columns = "user, item, rating" + (timestamp == nil ? "" : ", timestamp")
        return Detection(format: format, summary: "\(separatorName), no header, columns \(columns) by position; \(scaleWords(format.ratingScale))")
    }

    private static func detectByHeader(_ fields: [String], separator: String, separatorName: String, name: String) throws -> Detection {
        let names = fields.map(normalizedColumnName)
        func column(_ accepted: Set<String>) -> Int? { names.firstIndex(where: accepted.contains) }
        let values: Values
        let valueColumn: Int
        if let rating = column(ratingColumnNames) {
            (values, valueColumn) = (.ratings, rating)
        } else if let count = column(countColumnNames) {
            (values, valueColumn) = (.counts, count)
        } else {
            throw RatingsFileError(file: name, line: 1, kind: .unknownHeader(
                "no rating column (\(ratingColumnNames.sorted().joined(separator: ", "))) or count column (\(countColumnNames.sorted().joined(separator: ", "))) in \(fields)"))
        }
        var scale: ClosedRange<Float>?
        if values == .ratings {
            if names.contains("movieid") { scale = 0.5...5 } else if names.contains("bookid") { scale = 1...5 }
        }
        let format = RatingsFileFormat(separator: separator, columns: .byHeaderNames, ratingScale: scale, values: values)
        let described = values == .ratings
            ? "ratings in '\(fields[valueColumn])'; \(scaleWords(scale))"
            : "counts in '\(fields[valueColumn])' (implicit feedback: for top-N models, not ratings)"
        return Detection(format: format, summary: "\(separatorName), header \(fields.joined(separator: ", ")); \(described)")
    }

    private static func scaleWords(_ scale: ClosedRange<Float>?) -> String {
        scale.map { "rating scale \($0.lowerBound.compactDescription)...\($0.upperBound.compactDescription)" } ?? "rating scale from the data"
    }
}

extension Float {
    /// `0.5`, `5`, `10` in a message: no trailing `.0` on a whole number.
    var compactDescription: String { self == rounded() && abs(self) < 1e9 ? String(Int(self)) : String(self) }
}
