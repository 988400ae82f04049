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

    static func load(bytes: [UInt8], name: String, nouns: CatalogNouns, roles: [RoleSpec]) throws -> ItemCatalog {
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
                case .id: item.rawID = try CatalogFields.rawID(field, column: c, file: name, line: line)
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
        return builder.catalog(nouns: nouns)
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

    /// An item ID: a whole number or any other non-empty text (``RawID/init(_:)``).
    static func rawID(_ field: String, column: Int, file: String, line: Int) throws -> RawID {
        let text = trimmed(field)
        guard !text.isEmpty else {
            throw RatingsFileError(file: file, line: line, kind: .invalidFormat("column \(column + 1): an empty item ID"))
        }
        return RawID(text)
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
