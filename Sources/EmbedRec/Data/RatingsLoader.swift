import Foundation
#if canImport(Glibc)
import Glibc
import EmbedRecKernels
#elseif canImport(Darwin)
import Darwin
#endif

/// Loads ratings files into a ready-to-train ``RatingsDataset`` with ID maps.
///
/// ```swift
/// let data = try RatingsLoader.load(path: "ml-100k/u.data", format: .movieLens100K)
/// ```
///
/// CRLF line ends, a UTF-8 byte-order mark, blank lines and a missing final newline are
/// accepted. Every error is a ``RatingsFileError`` naming the file, the line and the fault.
/// Parsing runs on one chunk per worker thread.
public enum RatingsLoader {
    /// Loads the ratings file at `path`.
    ///
    /// - Throws: ``RatingsFileError`` for unreadable files and malformed content.
    /// - Complexity: O(file size); one pass over the bytes plus the ID mapping.
    public static func load(
        path: String, format: RatingsFileFormat, parallelism: Parallelism = .automatic
    ) throws -> RatingsDataset {
        let bytes = try readFile(path)
        return try parse(bytes: bytes, name: path, format: format, parallelism: parallelism)
    }

    /// Parses ratings from bytes already in memory (an inline fixture, a download).
    /// `name` is used in error messages.
    public static func load(
        bytes: [UInt8], name: String, format: RatingsFileFormat, parallelism: Parallelism = .automatic
    ) throws -> RatingsDataset {
        try parse(bytes: bytes, name: name, format: format, parallelism: parallelism)
    }

    /// Parses ratings from a string (convenient for small inline data).
    public static func load(
        text: String, name: String = "<text>", format: RatingsFileFormat
    ) throws -> RatingsDataset {
        try parse(bytes: Array(text.utf8), name: name, format: format, parallelism: .sequential)
    }

    /// Loads a predefined train/test pair (e.g. MovieLens `u1.base`/`u1.test`) with shared ID
    /// maps built from both files, so test users and items have indices in the model.
    public static func loadPair(
        trainPath: String, testPath: String, format: RatingsFileFormat,
        parallelism: Parallelism = .automatic
    ) throws -> (train: RatingsDataset, test: RatingsDataset) {
        let trainBytes = try readFile(trainPath), testBytes = try readFile(testPath)
        let train = try parseColumns(bytes: trainBytes, name: trainPath, format: format, parallelism: parallelism)
        let test = try parseColumns(bytes: testBytes, name: testPath, format: format, parallelism: parallelism)
        let all = try RawRatings.concatenate([train, test]).mapped(parallelism: parallelism, limits: .machine, name: trainPath)
        let n = train.ratings.count
        // Repeated pairs are resolved within each file: a test rating that repeats a training
        // one is the split's business, not the loader's.
        return (try all.subset(rows: 0..<n).resolvingDuplicatePairs(format.duplicatePairs, file: trainPath) {
                    lineOfRow(trainBytes, bodyStart: train.bodyStart, row: $0) },
                try all.subset(rows: n..<all.count).resolvingDuplicatePairs(format.duplicatePairs, file: testPath) {
                    lineOfRow(testBytes, bodyStart: test.bodyStart, row: $0) })
    }

    /// Bounds a load must stay inside; the defaults are the machine's. Tests pass small ones
    /// to reach the limits' errors without files of billions of rows.
    struct Limits {
        /// The most rows, and so distinct users or items: indices are `Int32`.
        var rows = Int(Int32.max)
        /// The most bytes the file and its parsed columns may take.
        var memoryBytes = Int(clamping: ProcessInfo.processInfo.physicalMemory)
        static var machine: Limits { Limits() }
    }

    // MARK: - Internals

    /// The whole file: a regular file only (a directory, FIFO or device is refused before it is
    /// opened for reading), refused before allocating when larger than memory; inflated when it
    /// is gzip-compressed.
    static func readFile(_ path: String) throws -> [UInt8] {
        let bytes: [UInt8]
        do {
            bytes = try FileChecks.readRegularFile(path)
        } catch {
            throw FileError.cannotRead(path: path, reason: error.reason)
        }
        guard Gzip.isCompressed(bytes) else { return bytes }
        do {
            return try Gzip.inflate(bytes, limit: FileChecks.physicalMemoryBytes)
        } catch {
            throw FileError.cannotRead(path: path, reason: "gzip: \(error.reason)")
        }
    }

    static func parse(
        bytes: [UInt8], name: String, format: RatingsFileFormat, parallelism: Parallelism, limits: Limits = .machine
    ) throws -> RatingsDataset {
        let columns = try parseColumns(bytes: bytes, name: name, format: format, parallelism: parallelism, limits: limits)
        return try columns.mapped(parallelism: parallelism, limits: limits, name: name)
            .resolvingDuplicatePairs(format.duplicatePairs, file: name) { lineOfRow(bytes, bodyStart: columns.bodyStart, row: $0) }
    }

    /// The 1-based line of data row `row` (0-based, blank lines not counted) of a file whose
    /// rows start at `bodyStart`. O(file size): for error messages only.
    static func lineOfRow(_ bytes: [UInt8], bodyStart: Int, row: Int) -> Int {
        var line = 1 + bytes[..<min(bodyStart, bytes.count)].lazy.filter { $0 == 10 }.count
        var p = bodyStart, rows = -1
        let n = bytes.count
        while p < n {
            let blank = bytes[p] == 10 || (bytes[p] == 13 && (p + 1 == n || bytes[p + 1] == 10))
            if !blank { rows += 1; if rows == row { return line } }
            while p < n && bytes[p] != 10 { p += 1 }
            p += 1; line += 1
        }
        return line
    }

    static func parseColumns(
        bytes: [UInt8], name: String, format: RatingsFileFormat, parallelism: Parallelism, limits: Limits = .machine
    ) throws -> RawRatings {
        if case let .jsonFields(user, item, value, timestamp) = format.columns {
            return try JSONLinesParser(fields: .init(user: user, item: item, value: format.values == .interactions ? nil : value,
                                                     timestamp: timestamp),
                                       scale: format.values == .interactions ? nil : format.ratingScale)
                .parse(bytes, name: name, parallelism: parallelism, limits: limits)
        }
        guard !format.separator.isEmpty else {
            throw RatingsFileError(file: name, line: 0, kind: .invalidFormat("separator is empty"))
        }
        return try bytes.withUnsafeBufferPointer { buffer -> RawRatings in
            try TextEncoding.rejectWideEncodings(buffer, name: name)
            var start = 0
            if buffer.count >= 3 && buffer[0] == 0xEF && buffer[1] == 0xBB && buffer[2] == 0xBF { start = 3 }
            // Skip leading blank lines.
            while start < buffer.count && (buffer[start] == 10 || buffer[start] == 13) { start += 1 }
            guard start < buffer.count else { throw RatingsFileError(file: name, line: 0, kind: .emptyFile) }
            let separator = Array(format.separator.utf8)
            let layout: RatingsParser.Layout
            switch format.columns {
            case .byHeaderNames:
                let headerEnd = lineEnd(buffer, from: start)
                try checkFirstLineLength(start..<headerEnd, name: name)
                layout = try headerLayout(buffer, start..<headerEnd, separator: separator, values: format.values, name: name,
                                          line: lineNumber(buffer, offset: start))
                start = min(headerEnd + 1, buffer.count)
            case .jsonFields:
                preconditionFailure("JSON lines are parsed by JSONLinesParser")
            case let .byPosition(user, item, valueColumn, timestamp, hasHeader):
                guard valueColumn != nil || format.values == .interactions else {
                    throw RatingsFileError(file: name, line: 0, kind: .invalidFormat(
                        "no value column: a format without one holds interactions (values = .interactions)"))
                }
                let rating = format.values == .interactions ? nil : valueColumn
                let columns = [user, item] + [rating, timestamp].compactMap { $0 }
                guard columns.allSatisfy({ $0 >= 0 }), Set(columns).count == columns.count else {
                    throw RatingsFileError(file: name, line: 0, kind: .invalidFormat(
                        "column positions must be distinct and non-negative"))
                }
                let firstEnd = lineEnd(buffer, from: start)
                let count = fieldCount(buffer, start..<firstEnd, separator: separator)
                layout = .init(separator: separator, user: user, item: item, rating: rating,
                               timestamp: timestamp, columnCount: count)
                if (columns.max() ?? 0) >= count {
                    throw RatingsFileError(file: name, line: lineNumber(buffer, offset: start), kind: .wrongColumnCount(
                        expected: columns.max()! + 1, found: count))
                }
                if hasHeader { start = min(firstEnd + 1, buffer.count) }
            }
            let body = start..<buffer.count
            if body.isEmpty || buffer[body].allSatisfy({ $0 == 10 || $0 == 13 }) {
                throw RatingsFileError(file: name, line: 0, kind: .headerOnly)
            }
            // Integers first; an ID column with an ID that is not a plain whole number is read
            // again as text (at most twice: once per ID column).
            var textLayout = layout
            while true {
                do {
                    return try parseBody(buffer, body, layout: textLayout, name: name, format: format,
                                         parallelism: parallelism, limits: limits)
                } catch let error as RatingsFileError {
                    guard case .notAnInteger(let column, _) = error.kind else { throw error }
                    if column == textLayout.user && !textLayout.userIsText { textLayout.userIsText = true }
                    else if column == textLayout.item && !textLayout.itemIsText { textLayout.itemIsText = true }
                    else { throw error }
                }
            }
        }
    }

    /// Parses the rows of `body` with `layout` into columns, mapping text ID columns.
    private static func parseBody(
        _ buffer: UnsafeBufferPointer<UInt8>, _ body: Range<Int>, layout: RatingsParser.Layout, name: String,
        format: RatingsFileFormat, parallelism: Parallelism, limits: Limits
    ) throws -> RawRatings {
        let parser = RatingsParser(layout: layout, scale: format.ratingScale)
        let chunks = chunkRanges(buffer, body, parts: body.count < 1 << 20 ? 1 : parallelism.threads)
        // Each chunk parses straight into its own slice of the final columns (sized by an upper
        // bound); the slices are then closed up in place. No intermediate buffers or copies:
        // on large files first-touching fresh memory costs as much as parsing.
        let wantsTime = layout.timestamp != nil
        var capacities = chunks.map { parser.capacity(for: $0) }
        // The columns are sized by a loose bound (a row of 3 bytes and separators); when that
        // bound would take a large part of memory, count the lines for a tight one, and
        // refuse before allocating what cannot fit in memory or be indexed by Int32.
        let bytesPerRow = 8 + 8 + 4 + (wantsTime ? 8 : 0)
        let loose = capacities.reduce(0, +)
        let (looseBytes, looseOverflow) = loose.multipliedReportingOverflow(by: bytesPerRow)
        if looseOverflow || looseBytes > limits.memoryBytes / 4 || loose > limits.rows {
            let lineCounts = chunks.map { chunk in buffer[chunk].reduce(0) { $1 == 10 ? $0 + 1 : $0 } + 1 }
            capacities = zip(capacities, lineCounts).map { min($0, $1) }
            let lines = lineCounts.reduce(0, +) - chunks.count
            guard lines <= limits.rows else {
                throw RatingsFileError(file: name, line: 0, kind: .tooManyDistinct(what: "rating rows", limit: limits.rows))
            }
            let needed = buffer.count + capacities.reduce(0, +) * bytesPerRow
            guard needed <= limits.memoryBytes else {
                throw FileError.cannotRead(path: name, reason:
                    "its \(lines) lines need \(needed >> 20) MiB with the file, more than the \(limits.memoryBytes >> 20) MiB of memory")
            }
        }
        let offsets = capacities.indices.map { capacities[..<$0].reduce(0, +) }
        let total = capacities.reduce(0, +)
        var results = [Result<Int, RatingsParser.Failure>?](repeating: nil, count: chunks.count)
        var items: [Int64] = [], ratings: [Float] = [], times: [Int64] = []
        var rowCount = 0
        let users = [Int64](unsafeUninitializedCapacity: total) { userBuffer, userCount in
            items = [Int64](unsafeUninitializedCapacity: total) { itemBuffer, itemCount in
                ratings = [Float](unsafeUninitializedCapacity: total) { ratingBuffer, ratingCount in
                    times = [Int64](unsafeUninitializedCapacity: wantsTime ? total : 0) { timeBuffer, timeCount in
                        let u = userBuffer.baseAddress!, i = itemBuffer.baseAddress!, r = ratingBuffer.baseAddress!
                        let t = wantsTime ? timeBuffer.baseAddress : nil
                        HugePages.advise(u, bytes: total * 8); HugePages.advise(i, bytes: total * 8)
                        HugePages.advise(r, bytes: total * 4); HugePages.advise(t, bytes: wantsTime ? total * 8 : 0)
                        results.withUnsafeMutableBufferPointer { out in
                            let outBase = out.baseAddress!
                            parallelFor(chunks.count) { c in
                                let o = offsets[c]
                                outBase[c] = parser.parse(buffer, chunks[c], into: .init(
                                    users: u + o, items: i + o, ratings: r + o, times: t.map { $0 + o }))
                            }
                        }
                        var rows = 0
                        for (c, result) in results.enumerated() {
                            guard case .success(let n)? = result else { continue }
                            if offsets[c] != rows {
                                (u + rows).update(from: u + offsets[c], count: n)
                                (i + rows).update(from: i + offsets[c], count: n)
                                (r + rows).update(from: r + offsets[c], count: n)
                                if let t { (t + rows).update(from: t + offsets[c], count: n) }
                            }
                            rows += n
                        }
                        rowCount = rows
                        timeCount = wantsTime ? rows : 0
                    }
                    ratingCount = rowCount
                }
                itemCount = rowCount
            }
            userCount = rowCount
        }
        for result in results {
            if case .failure(let failure)? = result {
                throw RatingsFileError(file: name, line: lineNumber(buffer, offset: failure.offset), kind: failure.kind)
            }
        }
        func column(_ ids: [Int64], isText: Bool, at position: Int) throws -> RawRatings.IDColumn {
            guard isText else { return .integers(ids) }
            do {
                let (texts, positions) = try TextIDs.interning(slices: ids, in: buffer, encoding: format.encoding)
                return .texts(texts, positions: positions)
            } catch let offset as TextIDs.InvalidText {
                throw RatingsFileError(file: name, line: lineNumber(buffer, offset: offset.offset),
                                       kind: .invalidText(column: position, encoding: format.encoding))
            }
        }
        // Two text columns are interned on two threads: each is a pass of hashing over the rows.
        var mappedColumns = [Result<RawRatings.IDColumn, any Error>](repeating: .success(.integers([])), count: 2)
        let work = [(users, layout.userIsText, layout.user), (items, layout.itemIsText, layout.item)]
        mappedColumns.withUnsafeMutableBufferPointer { out in
            let base = out.baseAddress!
            let each = { (k: Int) in base[k] = Result { try column(work[k].0, isText: work[k].1, at: work[k].2) } }
            if layout.userIsText && layout.itemIsText && parallelism.threads > 1 && rowCount >= 1 << 16 {
                parallelFor(2, each)
            } else {
                for k in 0..<2 { each(k) }
            }
        }
        return RawRatings(users: try mappedColumns[0].get(), items: try mappedColumns[1].get(),
                          ratings: ratings, timestamps: wantsTime ? times : nil, bodyStart: body.lowerBound)
    }

    /// The longest header line a ratings file may have. A file with no line end, or a binary
    /// file, is refused here rather than decoded whole into an error message.
    static let maximumFirstLineBytes = 1 << 16

    static func checkFirstLineLength(_ line: Range<Int>, name: String) throws {
        guard line.count <= maximumFirstLineBytes else {
            throw RatingsFileError(file: name, line: 1, kind: .invalidFormat(
                "the header line is longer than \(maximumFirstLineBytes) bytes (\(line.count) bytes before a line end): not a ratings file"))
        }
    }

    static func lineEnd(_ buffer: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        var p = start
        while p < buffer.count && buffer[p] != 10 { p += 1 }
        return p
    }

    static func lineNumber(_ buffer: UnsafeBufferPointer<UInt8>, offset: Int) -> Int {
        var line = 1
        for k in 0..<min(offset, buffer.count) where buffer[k] == 10 { line += 1 }
        return line
    }

    /// The fields of a header or first line, split on the separator's bytes (as the parser
    /// splits rows) and then decoded: a String split works on graphemes, and a separator
    /// followed by a combining mark (`,\u{301}`) would not split there.
    static func fields(_ buffer: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, separator: [UInt8]) -> [String] {
        var end = range.upperBound
        if end > range.lowerBound && buffer[end - 1] == 13 { end -= 1 }
        var out: [String] = []
        var start = range.lowerBound, k = start
        func field(_ from: Int, _ to: Int) -> String {
            String(decoding: UnsafeBufferPointer(rebasing: buffer[from..<to]), as: UTF8.self)[...].trimmingSpacesAndQuotes()
        }
        while k + separator.count <= end {
            if buffer[k] == separator[0] && (1..<separator.count).allSatisfy({ buffer[k + $0] == separator[$0] }) {
                out.append(field(start, k)); k += separator.count; start = k
            } else {
                k += 1
            }
        }
        out.append(field(start, end))
        return out
    }

    /// The number of fields `fields` would return, counted on the bytes: the first line of a
    /// headerless file may be a whole file without a line end, and is never decoded here.
    static func fieldCount(_ buffer: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, separator: [UInt8]) -> Int {
        var end = range.upperBound
        if end > range.lowerBound && buffer[end - 1] == 13 { end -= 1 }
        var count = 1, k = range.lowerBound
        while k + separator.count <= end {
            if buffer[k] == separator[0] && (1..<separator.count).allSatisfy({ buffer[k + $0] == separator[$0] }) {
                count += 1; k += separator.count
            } else {
                k += 1
            }
        }
        return count
    }

    static func headerLayout(
        _ buffer: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, separator: [UInt8], values: RatingsFileFormat.Values = .ratings,
        name: String, line: Int
    ) throws -> RatingsParser.Layout {
        let names = fields(buffer, range, separator: separator).map(RatingsFileFormat.normalizedColumnName)
        func find(_ accepted: Set<String>, _ role: String, required: Bool) throws -> Int? {
            let hits = names.indices.filter { accepted.contains(names[$0]) }
            if hits.count > 1 {
                throw RatingsFileError(file: name, line: line, kind: .unknownHeader(
                    "more than one \(role) column in \(names)"))
            }
            if hits.isEmpty && required {
                throw RatingsFileError(file: name, line: line, kind: .unknownHeader(
                    "no \(role) column in \(names); expected one of \(accepted.sorted())"))
            }
            return hits.first
        }
        let user = try find(RatingsFileFormat.userColumnNames, "user", required: true)!
        let item = try find(RatingsFileFormat.itemColumnNames, "item", required: true)!
        let rating: Int?
        switch values {
        case .ratings: rating = try find(RatingsFileFormat.ratingColumnNames, "rating", required: true)!
        case .counts: rating = try find(RatingsFileFormat.countColumnNames, "count", required: true)!
        case .interactions: rating = nil
        }
        let time = try find(RatingsFileFormat.timestampColumnNames, "timestamp", required: false)
        return .init(separator: separator, user: user, item: item, rating: rating, timestamp: time,
                     columnCount: names.count)
    }

    /// Splits `range` into up to `parts` pieces that each start at a line start.
    static func chunkRanges(_ buffer: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, parts: Int) -> [Range<Int>] {
        guard parts > 1 else { return [range] }
        var bounds = [range.lowerBound]
        for p in 1..<parts {
            var cut = range.lowerBound + range.count * p / parts
            cut = max(cut, bounds.last!)
            while cut < range.upperBound && buffer[cut - 1] != 10 { cut += 1 }
            bounds.append(cut)
        }
        bounds.append(range.upperBound)
        return (0..<parts).map { bounds[$0]..<bounds[$0 + 1] }.filter { !$0.isEmpty }
    }
}

/// Parsed columns with raw IDs, before ID mapping.
struct RawRatings {
    /// An ID column: raw integers (mapped later), or text IDs already mapped while the file's
    /// bytes were at hand.
    enum IDColumn {
        case integers([Int64])
        case texts(TextIDs, positions: [Int32])

        /// The column as text IDs (integers by their decimal spelling).
        var asTexts: (TextIDs, [Int32]) {
            switch self {
            case .texts(let texts, let positions): return (texts, positions)
            case .integers(let ids):
                let (unique, positions) = RawRatings.densify(ids)
                // Decimal spellings do not sort like the numbers ("10" < "9"): rank them again.
                let texts = TextIDs(strings: unique.map { String($0) })
                let rank = unique.map { texts.position(of: String($0))! }
                return (texts, positions.map { rank[Int($0)] })
            }
        }

        /// The rows of `parts` one after another, on one map (text when any part is text).
        static func concatenate(_ parts: [IDColumn]) -> IDColumn {
            if parts.allSatisfy({ if case .integers = $0 { return true } else { return false } }) {
                return .integers(parts.flatMap { if case .integers(let ids) = $0 { return ids } else { return [] } })
            }
            let texts = parts.map(\.asTexts)
            var strings: [String] = []
            for (t, _) in texts { strings += (0..<t.count).map(t.string(at:)) }
            let merged = TextIDs(strings: strings)
            var positions: [Int32] = []
            for (t, p) in texts {
                let rank = (0..<t.count).map { merged.position(of: t.string(at: $0))! }
                positions += p.map { rank[Int($0)] }
            }
            return .texts(merged, positions: positions)
        }

        /// The column's ID map and each row's position.
        func mapped() -> (RawIDStorage, [Int32]) {
            switch self {
            case .texts(let texts, let positions): return (.texts(texts), positions)
            case .integers(let ids):
                let (unique, positions) = RawRatings.densify(ids)
                return (UserIDMap(sortedUniqueRawIDs: unique).storage, positions)
            }
        }
    }

    var users: IDColumn
    var items: IDColumn
    var ratings: [Float]
    var timestamps: [Int64]?
    /// Where the data rows start in the file (after any header), for line numbers.
    var bodyStart = 0

    init(users: IDColumn, items: IDColumn, ratings: [Float], timestamps: [Int64]?, bodyStart: Int = 0) {
        self.users = users; self.items = items; self.ratings = ratings; self.timestamps = timestamps; self.bodyStart = bodyStart
    }

    init(users: [Int64], items: [Int64], ratings: [Float], timestamps: [Int64]?) {
        self.init(users: .integers(users), items: .integers(items), ratings: ratings, timestamps: timestamps)
    }

    static func concatenate(_ parts: [RawRatings]) throws -> RawRatings {
        let withTime = parts.allSatisfy { $0.timestamps != nil }
        return RawRatings(users: .concatenate(parts.map(\.users)), items: .concatenate(parts.map(\.items)),
                          ratings: parts.flatMap(\.ratings), timestamps: withTime ? parts.flatMap { $0.timestamps! } : nil)
    }

    /// Builds ID maps (dense indices in ascending raw-ID order) and maps both ID columns.
    func mapped(parallelism: Parallelism, limits: RatingsLoader.Limits, name: String) throws -> RatingsDataset {
        // Distinct users and items are at most the rows: rows within Int32 keep the indices so.
        guard ratings.count <= limits.rows else {
            throw RatingsFileError(file: name, line: 0, kind: .tooManyDistinct(what: "rating rows", limit: limits.rows))
        }
        return mapped(parallelism: parallelism)
    }

    func mapped(parallelism: Parallelism) -> RatingsDataset {
        // Users and items are independent: map them on two threads when allowed.
        var results: [(RawIDStorage, [Int32])] = [(.integers([], direct: []), []), (.integers([], direct: []), [])]
        let columns = [users, items]
        results.withUnsafeMutableBufferPointer { out in
            let base = out.baseAddress!
            if ratings.count >= 1 << 16 && parallelism.threads > 1 {
                parallelFor(2) { k in base[k] = columns[k].mapped() }
            } else {
                for k in 0..<2 { base[k] = columns[k].mapped() }
            }
        }
        return RatingsDataset(
            unchecked: results[0].1, results[1].1, ratings, timestamps,
            UserIDMap(storage: results[0].0), ItemIDMap(storage: results[1].0))
    }

    /// Maps raw IDs to dense indices. When the IDs are non-negative and not much sparser than
    /// the data, a direct-address table beats hashing by an order of magnitude; otherwise a
    /// dictionary is used. Neither sizes anything the model keeps by the largest raw ID.
    /// Returns the distinct raw IDs ascending and each row's position among them.
    static func densify(_ raw: [Int64]) -> (ids: [Int64], positions: [Int32]) {
        guard !raw.isEmpty else { return ([], []) }
        var lo = raw[0], hi = raw[0]
        raw.withUnsafeBufferPointer { r in
            for v in r { lo = Swift.min(lo, v); hi = Swift.max(hi, v) }
        }
        if lo >= 0 && hi < Int64(max(4 * raw.count, 1 << 16)) && hi < (1 << 28) {
            let size = Int(hi) + 1
            var table = [Int32](repeating: -1, count: size)
            raw.withUnsafeBufferPointer { r in
                table.withUnsafeMutableBufferPointer { t in
                    for id in r { t[Int(id)] = 0 }
                }
            }
            var unique: [Int64] = []
            var next: Int32 = 0
            for id in 0..<size where table[id] == 0 {
                table[id] = next; next += 1; unique.append(Int64(id))
            }
            let dense = [Int32](unsafeUninitializedCapacity: raw.count) { out, count in
                HugePages.advise(out.baseAddress, bytes: raw.count * 4)
                raw.withUnsafeBufferPointer { r in
                    table.withUnsafeBufferPointer { t in
                        for k in 0..<r.count { out[k] = t[Int(r[k])] }
                    }
                }
                count = raw.count
            }
            return (unique, dense)
        }
        let map = UserIDMap(integerIDs: raw)
        return (map.integerRawIDs!, raw.map { map.position(of: $0)! })
    }
}

extension Substring {
    func trimmingSpacesAndQuotes() -> String {
        var s = self
        while let f = s.first, f == " " || f == "\"" || f == "\u{FEFF}" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\"" { s.removeLast() }
        return String(s)
    }
}
