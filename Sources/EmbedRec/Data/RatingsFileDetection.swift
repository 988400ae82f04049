import Foundation

extension RatingsFileFormat {
    /// A format read off a file's first line, and what was decided, in words.
    public struct Detection: Sendable, Hashable {
        /// The format to load the file with.
        public let format: RatingsFileFormat
        /// What was decided, for a person: e.g. `tab-separated, header userID, artistID, weight;
        /// counts in 'weight' (implicit feedback)`.
        public let summary: String
        /// The words the item column's name implies (`ISBN`: readers and books), or nil.
        public var nouns: CatalogNouns? = nil
    }

    /// A column (or JSON field) a person names where guessing cannot know.
    public enum ColumnReference: Sendable, Hashable, CustomStringConvertible {
        /// By its header name (or JSON field name), compared as given and then normalized
        /// (``RatingsFileFormat/normalizedColumnName(_:)``).
        case name(String)
        /// By zero-based position (a delimited file only).
        case position(Int)

        /// `'stars'` or `3` (1-based, as a person counts columns and as errors name them).
        public var description: String {
            switch self {
            case .name(let name): return "'\(name)'"
            case .position(let p): return String(p + 1)
            }
        }
    }

    /// Columns a person has chosen; ``RatingsFileFormat/detect(path:columns:)`` finds the rest.
    public struct ColumnChoices: Sendable, Hashable {
        /// The user column.
        public var user: ColumnReference?
        /// The item column.
        public var item: ColumnReference?
        /// The value column: ratings, or counts when ``values`` says so (or its name is a
        /// count name such as `plays`).
        public var value: ColumnReference?
        /// The timestamp column.
        public var timestamp: ColumnReference?
        /// What the values are; ``Values/interactions`` ignores any value column.
        public var values: Values?

        /// Chooses the given columns; nil leaves a role to detection.
        public init(user: ColumnReference? = nil, item: ColumnReference? = nil, value: ColumnReference? = nil,
                    timestamp: ColumnReference? = nil, values: Values? = nil) {
            self.user = user; self.item = item; self.value = value; self.timestamp = timestamp; self.values = values
        }

        /// True when nothing is chosen.
        public var isEmpty: Bool { self == ColumnChoices() }

        /// True when a column is chosen by name, which only a header (or JSON) can have.
        var namesAny: Bool {
            [user, item, value, timestamp].contains { if case .name? = $0 { return true } else { return false } }
        }
    }

    /// The format of the ratings file at `path` (gzip-compressed or not), read off its first
    /// lines (see ``detect(firstBytes:name:columns:)``).
    ///
    /// - Throws: ``FileError/cannotRead(path:reason:)``; ``RatingsFileError`` when the first line
    ///   does not say (no separator, an unknown header).
    public static func detect(path: String, columns: ColumnChoices = .init()) throws -> Detection {
        // One read: 4 KiB of text may take more than 4 KiB compressed (a long header
        // compresses badly), so as much as gzip may need.
        var prefix: [UInt8]
        do { prefix = try FileChecks.readPrefix(path, count: 1 << 16) } catch {
            throw FileError.cannotRead(path: path, reason: error.reason)
        }
        if Gzip.isCompressed(prefix) {
            do { prefix = try Gzip.inflate(prefix, limit: 4_096, truncated: true) } catch {
                throw FileError.cannotRead(path: path, reason: "gzip: \(error.reason)")
            }
        }
        return try detect(firstBytes: Array(prefix.prefix(4_096)), name: path, columns: columns)
    }

    /// The format of a ratings file whose first bytes are `bytes` (`name` names it in errors).
    ///
    /// - A first line that starts with `{` makes the file JSON lines: the fields of its first
    ///   object are found by name as header columns are.
    /// - Otherwise the separator is the first of `::`, tab, `;` and `,` the first line contains.
    /// - A first line with a field that is not a number is a header: the columns are found by
    ///   name (``normalizedColumnName(_:)``, so `userId`, `User-ID` and `user_id` all name the
    ///   user). A rating column (``ratingColumnNames``) makes the values ratings; otherwise a
    ///   count column (``countColumnNames``: `weight`, `plays`, …) makes them counts,
    ///   ``Values/counts``; a file with neither holds ``Values/interactions``.
    /// - Without a header the columns are user, item, rating and, when there is a fourth,
    ///   timestamp; a file of two columns holds interactions.
    /// - The rating scale is MovieLens's 0.5–5 for a header naming `movieId`, and for `::`
    ///   files (ratings.dat); 1–5 for goodbooks (`book_id`) and tab-separated 4-column files
    ///   (u.data); otherwise the data's own range (any finite rating is accepted).
    /// - `columns` overrides what is found by name or place (a header's unusual names, a
    ///   value column that holds counts).
    public static func detect(firstBytes bytes: [UInt8], name: String, columns: ColumnChoices = .init()) throws -> Detection {
        try bytes.withUnsafeBufferPointer { try TextEncoding.rejectWideEncodings($0, name: name) }
        var text = bytes[...]
        if text.starts(with: [0xEF, 0xBB, 0xBF]) { text = text.dropFirst(3) }
        while let first = text.first, first == 10 || first == 13 || first == 32 { text = text.dropFirst() }
        let lines = text.split(separator: 10, maxSplits: 2, omittingEmptySubsequences: true)
            .map { String(decoding: $0.last == 13 ? $0.dropLast() : $0, as: UTF8.self) }
        guard let line = lines.first, !line.isEmpty else { throw RatingsFileError(file: name, line: 0, kind: .emptyFile) }
        if line.hasPrefix("{") { return try detectJSONLines(line, name: name, columns: columns) }
        let separators: [(String, String)] = [("::", "'::'-separated"), ("\t", "tab-separated"), (";", "semicolon-separated"),
                                              (",", "comma-separated")]
        guard let (separator, separatorName) = separators.first(where: { line.contains($0.0) }) else {
            throw RatingsFileError(file: name, line: 1, kind: .invalidFormat(
                "not a ratings file: the first line has none of the separators '::', tab, ';', ',' (give the format if it is one)"))
        }
        func split(_ line: String) -> [String] { line.components(separatedBy: separator).map { $0.trimmingCharacters(in: [" ", "\""]) } }
        let fields = split(line)
        let example = lines.count > 1 ? split(lines[1]) : []
        // A header names a known column (or one the person named), or has text where the next
        // line has a number; text in both (ISBNs, dates) is data. With no next line to compare,
        // a header has no number where a headerless file has its rating.
        let known = userColumnNames.union(itemColumnNames).union(ratingColumnNames).union(countColumnNames).union(timestampColumnNames)
        let header: Bool
        if fields.contains(where: { known.contains(normalizedColumnName($0)) }) || columns.namesAny {
            header = true
        } else if example.count == fields.count {
            header = fields.indices.contains { Double(fields[$0]) == nil && Double(example[$0]) != nil }
        } else {
            header = (fields.count >= 3 && Double(fields[2]) == nil) || (fields.count < 3 && fields.contains(where: { Double($0) == nil }))
        }
        if header {
            return try detectByHeader(fields, example: example, separator: separator, separatorName: separatorName, name: name,
                                      choices: columns)
        }
        guard fields.count >= 2 else {
            throw RatingsFileError(file: name, line: 1, kind: .invalidFormat(
                "1 column and no header: a ratings file has user and item columns, and a rating or count column when it has values"))
        }
        func position(_ reference: ColumnReference?, _ fallback: Int?) throws -> Int? {
            guard let reference else { return fallback.flatMap { $0 < fields.count ? $0 : nil } }
            guard case .position(let p) = reference, p >= 0, p < fields.count else {
                throw RatingsFileError(file: name, line: 1, kind: .invalidFormat(
                    "no column \(reference) in a file of \(fields.count) columns without a header"))
            }
            return p
        }
        let user = try position(columns.user, 0)!, item = try position(columns.item, columns.user == .position(1) ? 0 : 1)!
        // The value in the first column the IDs leave free; a fourth column is the time only in
        // the usual layout (once columns are chosen, the time is chosen too or not read).
        let free = (0..<fields.count).filter { $0 != user && $0 != item }
        var value = try position(columns.value, free.first)
        let chosen = columns.user != nil || columns.item != nil || columns.value != nil
        let timestamp = try position(columns.timestamp, !chosen && fields.count >= 4 ? 3 : nil)
        let values = columns.values ?? (value == nil ? .interactions : .ratings)
        if values == .interactions { value = nil }
        var format = RatingsFileFormat(
            separator: separator,
            columns: .byPosition(user: user, item: item, rating: value, timestamp: timestamp, hasHeader: false), values: values)
        if columns.isEmpty {
            if separator == "::" { format.ratingScale = 0.5...5 }
            if separator == "\t" && fields.count == 4 { format.ratingScale = 1...5 }
        }
        var roles = ["user \(user + 1)", "item \(item + 1)"]
        if let value { roles.append("\(values == .counts ? "count" : "rating") \(value + 1)") }
        if let timestamp { roles.append("timestamp \(timestamp + 1)") }
        return Detection(format: format, summary: "\(separatorName), no header, columns \(roles.joined(separator: ", ")) by position; "
                         + valueWords(values, column: nil, scale: format.ratingScale))
    }

    /// The columns of a file with a header, by the header's names and the person's choices.
    private static func detectByHeader(
        _ fields: [String], example: [String], separator: String, separatorName: String, name: String, choices: ColumnChoices
    ) throws -> Detection {
        let roles = try HeaderRoles(names: fields, example: example, choices: choices, name: name, container: "column")
        var format: RatingsFileFormat
        if choices.isEmpty {
            format = RatingsFileFormat(separator: separator, columns: .byHeaderNames, values: roles.values)
        } else {
            format = RatingsFileFormat(
                separator: separator,
                columns: .byPosition(user: roles.user, item: roles.item, rating: roles.value, timestamp: roles.timestamp, hasHeader: true),
                values: roles.values)
        }
        format.ratingScale = roles.scale
        return Detection(format: format, summary: "\(separatorName), header \(fields.joined(separator: ", ")); \(roles.summary)",
                         nouns: CatalogNouns.forItemColumn(fields[roles.item]))
    }

    /// The fields of a JSON-lines file, by the names in its first object and the person's choices.
    private static func detectJSONLines(_ line: String, name: String, columns choices: ColumnChoices) throws -> Detection {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
            throw RatingsFileError(file: name, line: 1, kind: .invalidFormat(
                "the first line starts with '{' but is not a JSON object on one line (JSON lines: one object per line)"))
        }
        for reference in [choices.user, choices.item, choices.value, choices.timestamp] {
            if case .position? = reference {
                throw RatingsFileError(file: name, line: 1, kind: .invalidFormat("JSON lines name their fields: give a field name, not \(reference!)"))
            }
        }
        let keys = object.keys.sorted()
        let example = keys.map { key -> String in
            let value = object[key]
            return value is NSNumber ? "0" : "text"
        }
        let roles = try HeaderRoles(names: keys, example: example, choices: choices, name: name, container: "field")
        var format = RatingsFileFormat.jsonLines(
            userField: keys[roles.user], itemField: keys[roles.item], valueField: roles.value.map { keys[$0] },
            timestampField: roles.timestamp.map { keys[$0] }, values: roles.values)
        format.ratingScale = roles.scale
        return Detection(format: format, summary: "JSON lines, fields \(keys.joined(separator: ", ")); \(roles.summary)",
                         nouns: CatalogNouns.forItemColumn(keys[roles.item]))
    }

    /// Which of a header's columns (or a JSON object's fields) hold the user, the item, the value
    /// and the time.
    private struct HeaderRoles {
        var user: Int, item: Int, value: Int?, timestamp: Int?
        var values: Values
        var scale: ClosedRange<Float>?
        var summary: String

        init(names fields: [String], example: [String], choices: ColumnChoices, name: String, container: String) throws {
            let names = fields.map(normalizedColumnName)
            func column(_ reference: ColumnReference?, _ accepted: Set<String>) throws -> Int? {
                switch reference {
                case .position(let p)?:
                    guard p >= 0 && p < fields.count else {
                        throw RatingsFileError(file: name, line: 1, kind: .unknownHeader("no \(container) \(reference!) among \(fields.count): \(fields)"))
                    }
                    return p
                case .name(let wanted)?:
                    guard let p = fields.firstIndex(of: wanted) ?? names.firstIndex(of: normalizedColumnName(wanted)) else {
                        throw RatingsFileError(file: name, line: 1, kind: .unknownHeader("no \(container) named '\(wanted)' in \(fields)"))
                    }
                    return p
                case nil:
                    return names.firstIndex(where: accepted.contains)
                }
            }
            func required(_ found: Int?, _ role: String, _ accepted: Set<String>, option: String) throws -> Int {
                guard let found else {
                    throw RatingsFileError(file: name, line: 1, kind: .unknownHeader(
                        "no \(role) \(container) in \(fields); expected one of \(accepted.sorted().joined(separator: ", ")), or name it (\(option))"))
                }
                return found
            }
            user = try required(try column(choices.user, userColumnNames), "user", userColumnNames, option: "--user-column")
            item = try required(try column(choices.item, itemColumnNames), "item", itemColumnNames, option: "--item-column")
            timestamp = try column(choices.timestamp, timestampColumnNames)
            let rating = try column(choices.values == .counts ? nil : choices.value, ratingColumnNames)
            let count = try column(choices.values == .ratings ? nil : choices.value, countColumnNames)
            switch choices.values {
            case .interactions?: (values, value) = (.interactions, nil)
            case .counts?: (values, value) = (.counts, try required(count, "count", countColumnNames, option: "--count-column"))
            case .ratings?: (values, value) = (.ratings, try required(rating, "rating", ratingColumnNames, option: "--rating-column"))
            case nil:
                if let rating { (values, value) = (.ratings, rating) }
                else if let count { (values, value) = (.counts, count) }
                else { (values, value) = (.interactions, nil) }
            }
            let roles = Set([user, item, value, timestamp].compactMap { $0 })
            guard roles.count == [user, item, value, timestamp].compactMap({ $0 }).count else {
                throw RatingsFileError(file: name, line: 1, kind: .unknownHeader("one \(container) chosen for two roles in \(fields)"))
            }
            // A number in a column nobody named may be a rating under an unknown name: reading
            // the file as interactions would drop it without a word.
            if values == .interactions && choices.values != .interactions {
                let numeric = fields.indices.filter { !roles.contains($0) && $0 < example.count && Double(example[$0]) != nil }
                if let first = numeric.first {
                    throw RatingsFileError(file: name, line: 1, kind: .unknownHeader(
                        "no rating or count \(container) known by name, and '\(fields[first])' holds numbers: say what it is "
                        + "(--rating-column \(fields[first]), --count-column \(fields[first])) or that there is no value (--interactions-only)"))
                }
            }
            if values == .ratings && choices.isEmpty {
                if names.contains("movieid") { scale = 0.5...5 } else if names.contains("bookid") { scale = 1...5 }
            }
            let ignored = fields.indices.filter { !roles.contains($0) }.map { "'\(fields[$0])'" }
            summary = valueWords(values, column: value.map { fields[$0] }, scale: scale)
                + (choices.isEmpty ? "" : "; user '\(fields[user])', item '\(fields[item])'" + (timestamp.map { ", timestamp '\(fields[$0])'" } ?? ""))
                + (ignored.isEmpty || values != .interactions ? "" : " (\(ignored.joined(separator: ", ")) ignored)")
        }
    }

    /// What the values are, in words: `ratings in 'rating'; rating scale 1...5`.
    private static func valueWords(_ values: Values, column: String?, scale: ClosedRange<Float>?) -> String {
        let place = column.map { " in '\($0)'" } ?? ""
        switch values {
        case .ratings: return "ratings\(place); \(scaleWords(scale))"
        case .counts: return "counts\(place) (implicit feedback: for top-N models, not ratings)"
        case .interactions: return "no value column: each row is one interaction (implicit feedback: for top-N models)"
        }
    }

    private static func scaleWords(_ scale: ClosedRange<Float>?) -> String {
        scale.map { "rating scale \($0.lowerBound.compactDescription)...\($0.upperBound.compactDescription)" } ?? "rating scale from the data"
    }
}

extension Float {
    /// `0.5`, `5`, `10` in a message: no trailing `.0` on a whole number.
    var compactDescription: String { self == rounded() && abs(self) < 1e9 ? String(Int(self)) : String(self) }
}
