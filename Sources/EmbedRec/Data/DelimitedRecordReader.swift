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
/// are skipped. A UTF-8 byte-order mark is skipped (and forces UTF-8 decoding). UTF-8 is validated
/// (an invalid sequence is an error naming the line and field); UTF-16 and UTF-32 files are
/// refused by name.
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
            try TextEncoding.rejectWideEncodings(buffer, name: name)
            if n >= 3 && buffer[0] == 0xEF && buffer[1] == 0xBB && buffer[2] == 0xBF { p = 3; decoding = .utf8 }
            var line = 1
            var fields: [String] = []
            // UTF-8 is validated, not repaired: a Latin-1 or Windows-1252 file read as UTF-8
            // would otherwise load with U+FFFD in its titles and no word of it.
            func decode(_ slice: UnsafeBufferPointer<UInt8>, line: Int) throws -> String {
                switch decoding {
                case .utf8:
                    if let text = TextEncoding.strictUTF8(slice) { return text }
                    let at = TextEncoding.firstInvalidUTF8Offset(slice) ?? 0
                    let byte = String(slice[at], radix: 16, uppercase: true)
                    throw RatingsFileError(file: name, line: line, kind: .invalidFormat(
                        "field \(fields.count + 1) is not valid UTF-8 (byte 0x\(byte) at its offset \(at)); "
                        + "save the file as UTF-8 (a Latin-1 or Windows-1252 file must be converted first)"))
                case .latin1:
                    if slice.allSatisfy({ $0 < 0x80 }) { return String(decoding: slice, as: UTF8.self) }
                    return String(String.UnicodeScalarView(slice.lazy.map { Unicode.Scalar($0) }))
                }
            }
            func decode(_ range: Range<Int>, line: Int) throws -> String {
                try decode(UnsafeBufferPointer(rebasing: buffer[range]), line: line)
            }
            func decode(_ bytes: [UInt8], line: Int) throws -> String {
                try bytes.withUnsafeBufferPointer { try decode($0, line: line) }
            }
            let quote = UInt8(ascii: "\""), lf = UInt8(10), cr = UInt8(13)
            let space = UInt8(32), tab = UInt8(9)
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
                        fields.append(try decode(quoted, line: fieldLine))
                    } else {
                        let start = p
                        while p < n && buffer[p] != separator && buffer[p] != lf { p += 1 }
                        var end = p
                        if end > start && buffer[end - 1] == cr && (p == n || buffer[p] == lf) { end -= 1 }
                        fields.append(try decode(start..<end, line: line))
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
