/// The hand-written fast path that turns the bytes of a delimited ratings file into columns.
///
/// Measured faster than a general CSV package (see Docs/Benchmarks.md): it scans bytes once,
/// parses integers and simple decimals in place, and splits the file into one chunk per core.
/// A field may be quoted (`"276725";"034545104X";"0"`), with `""` or `\"` for a quote inside
/// it and `\\` for a backslash; a quoted field cannot span lines (the chunks are cut at line
/// ends).
///
/// ID columns are read as integers or as text (``Layout/userIsText``): in text mode the parser
/// writes each ID's place in the file (``TextSlice``) instead of a value, and the loader maps
/// the distinct texts afterwards. The loader starts with integers and switches a column to text
/// when one of its IDs is not a whole number written plainly (`034545104X`, `0012`, `u17`).
struct RatingsParser {
    struct Layout {
        var separator: [UInt8]
        var user: Int, item: Int
        /// The value column; nil when there is none and every row weighs 1.
        var rating: Int?
        var timestamp: Int?
        var columnCount: Int
        /// Read the user (item) column as text IDs rather than integers.
        var userIsText = false, itemIsText = false

        /// The role of each column: 0 skip, 1 user, 2 item, 3 rating, 4 timestamp.
        var columnRoles: [UInt8] {
            var roles = [UInt8](repeating: 0, count: columnCount)
            roles[user] = 1; roles[item] = 2
            if let r = rating { roles[r] = 3 }
            if let t = timestamp { roles[t] = 4 }
            return roles
        }
    }

    /// The values a row may hold: `scale` when the layout has a value column, else any.
    var valueBounds: (lowest: Float, highest: Float) {
        (layout.rating == nil ? nil : scale).map { ($0.lowerBound, $0.upperBound) } ?? (-Float.infinity, Float.infinity)
    }

    /// Where a text ID lies in the file, packed into the Int64 an integer ID would take:
    /// the byte offset, the length (at most ``maximumLength``) and whether it holds escapes.
    struct TextSlice {
        static let maximumLength = (1 << 15) - 1
        var offset: Int, length: Int, escaped: Bool
        init(offset: Int, length: Int, escaped: Bool) { self.offset = offset; self.length = length; self.escaped = escaped }
        init(packed: Int64) {
            offset = Int(packed >> 16); length = Int((packed >> 1) & 0x7FFF); escaped = packed & 1 == 1
        }
        var packed: Int64 { Int64(offset) << 16 | Int64(length) << 1 | (escaped ? 1 : 0) }
    }

    /// A parse failure at a byte offset; the caller turns it into a line number.
    struct Failure: Error {
        var offset: Int
        var kind: RatingsFileError.Kind
    }

    let layout: Layout
    /// Ratings outside this range fail the parse (nil: any finite rating).
    var scale: ClosedRange<Float>? = nil
    /// Whether plain rows go through ``PlainRowScanner`` first (tests turn it off to compare).
    var scansPlainRows = true

    /// Parses the lines in `bytes[range]`; `range` starts at a line start and ends after a
    /// newline or at the end of the data. Blank lines are skipped; CR before LF is ignored.
    ///
    /// One pass over the bytes: each field is parsed while it is scanned (digits accumulate as
    /// they are read), and the output columns are sized up front from a bound on the row count.
    /// An upper bound on the rows in `range`: every row has at least one byte per parsed field
    /// (an ID, rating or timestamp cannot be empty) plus its separators. Ignored columns may be
    /// empty, so they count zero bytes.
    func capacity(for range: Range<Int>) -> Int {
        let parsedFields = 2 + (layout.rating == nil ? 0 : 1) + (layout.timestamp == nil ? 0 : 1)
        return range.count / (parsedFields + (layout.columnCount - 1) * layout.separator.count) + 1
    }

    /// Where ``parse(_:_:into:)`` writes rows: each pointer has room for ``capacity(for:)`` rows
    /// (`times` only when the layout has a timestamp).
    struct Output {
        let users: UnsafeMutablePointer<Int64>
        let items: UnsafeMutablePointer<Int64>
        let ratings: UnsafeMutablePointer<Float>
        let times: UnsafeMutablePointer<Int64>?
    }

    /// Parses the lines of `bytes[range]` straight into `out` and returns the row count.
    func parse(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, into out: Output) -> Result<Int, Failure> {
        let base = bytes.baseAddress!
        let end = range.upperBound
        let sep = layout.separator
        let sep0 = sep[0], sepCount = sep.count
        // Spaces around numbers are padding, unless the separator itself contains a space.
        let padded = !sep.contains(32)
        let columnCount = layout.columnCount
        let wantsTime = layout.timestamp != nil
        let userIsText = layout.userIsText, itemIsText = layout.itemIsText
        let users = out.users, items = out.items, ratings = out.ratings
        let times = out.times ?? out.users
        let roles = layout.columnRoles
        var rows = 0
        var p = range.lowerBound
        // Plain rows are read by the scanner up to the range's last line end; a row it stops
        // at is read below, and after 8 such rows in a row the scanner is not tried again.
        let scanner = scansPlainRows ? PlainRowScanner(self) : nil
        var plainLimit = end
        while plainLimit > p && base[plainLimit &- 1] != 10 { plainLimit &-= 1 }
        var scannerMisses = 0
        let (lowest, highest) = valueBounds
        let failure: Failure? = roles.withUnsafeBufferPointer { roles -> Failure? in
            // Without a value column every row keeps the 1 set here.
            var values: (Int64, Int64, Float, Int64) = (0, 0, 1, 0)
            var ratingField = 0..<0
            while p < end {
                if let scanner, scannerMisses < 8, p < plainLimit {
                    let before = rows
                    p = scanner.scan(bytes, from: p, limit: plainLimit, into: out, rows: &rows)
                    if rows != before { scannerMisses = 0; continue }
                    scannerMisses &+= 1
                }
                let lineStart = p
                if base[p] == 10 { p &+= 1; continue }  // blank line
                if base[p] == 13 && (p &+ 1 == end || base[p &+ 1] == 10) { p &+= 2; continue }
                var column = 0
                while true {
                    let fieldStart = p
                    let role: UInt8 = column < columnCount ? roles[column] : 0
                    var first = p
                    while padded && first < end && base[first] == 32 { first &+= 1 }
                    if first < end && base[first] == 34 {
                        // A quoted field: its content, then padding up to the field's end.
                        guard let (content, escaped, after) = Self.quotedField(base, first, end) else {
                            return Failure(offset: lineStart, kind: .invalidFormat(
                                "column \(column + 1): a quoted field is not closed on its line"))
                        }
                        var q = after
                        while padded && q < end && base[q] == 32 { q &+= 1 }
                        guard Self.isFieldEnd(base, q, end, sep0, sep) else {
                            return Failure(offset: lineStart, kind: .invalidFormat(
                                "column \(column + 1): text after the closing quote of a field"))
                        }
                        p = q
                        if role != 0, let failure = Self.quotedValue(role, base, content, escaped, column: column,
                                                                    asText: role == 1 ? userIsText : itemIsText, into: &values) {
                            return Failure(offset: lineStart, kind: failure)
                        }
                        if role == 3 { ratingField = content }
                    } else if (role == 1 && userIsText) || (role == 2 && itemIsText) {
                        p = Self.fieldEnd(base, p, end, sep0, sep)
                        var e = p
                        while padded && e > first && base[e &- 1] == 32 { e &-= 1 }
                        guard e > first else {
                            return Failure(offset: lineStart, kind: .invalidFormat("column \(column + 1): an empty ID"))
                        }
                        guard e - first <= TextSlice.maximumLength else {
                            return Failure(offset: lineStart, kind: .invalidFormat(
                                "column \(column + 1): an ID longer than \(TextSlice.maximumLength) bytes"))
                        }
                        let slice = TextSlice(offset: first, length: e - first, escaped: false).packed
                        if role == 1 { values.0 = slice } else { values.1 = slice }
                    } else if role == 1 || role == 2 || role == 4 {
                        // Integer: digits accumulate as they are scanned.
                        // `first` is past the leading padding already.
                        var q = first
                        var negative = false
                        if q < end && base[q] == 45 { negative = true; q &+= 1 }
                        let digitsStart = q
                        while q < end && base[q] == 48 { q &+= 1 }  // leading zeros
                        let significantStart = q
                        // 19 digits never wrap a UInt64 (< 10¹⁹ < 2⁶⁴); the sign's range is checked after.
                        var magnitude: UInt64 = 0
                        while q < end {
                            let d = base[q] &- 48
                            if d >= 10 { break }
                            magnitude = magnitude &* 10 &+ UInt64(d)
                            q &+= 1
                        }
                        // Counted before the padding after them: "- " has no digits (it read as
                        // 0), and 19 digits then spaces are not 21 digits.
                        let digitCount = q - digitsStart, significant = q - significantStart
                        while padded && q < end && base[q] == 32 { q &+= 1 }
                        p = q
                        let limit: UInt64 = negative ? UInt64(Int64.max) + 1 : UInt64(Int64.max)
                        // An ID written with leading zeros (or as -0) is text: `0012` is echoed as given.
                        let unplainID = role != 4 && digitCount > 0 && base[digitsStart] == 48 && (digitCount > 1 || negative)
                        if digitCount == 0 || significant > 19 || magnitude > limit || unplainID
                            || !Self.isFieldEnd(base, q, end, sep0, sep) {
                            p = Self.fieldEnd(base, fieldStart, end, sep0, sep)
                            return Failure(offset: lineStart, kind: .notAnInteger(
                                column: column, text: Self.text(base, fieldStart, p)))
                        }
                        let value = negative ? Int64(truncatingIfNeeded: 0 &- magnitude) : Int64(magnitude)
                        if role == 1 { values.0 = value } else if role == 2 { values.1 = value } else { values.3 = value }
                    } else if role == 3 {
                        // Decimal: `[-]digits[.digits]` in place, anything else via the stdlib.
                        defer { ratingField = fieldStart..<p }
                        var q = first
                        var negative = false
                        if q < end && base[q] == 45 { negative = true; q &+= 1 }
                        var mantissa: Int64 = 0, digits = 0, fraction = 0
                        var seenPoint = false
                        while q < end {
                            let c = base[q]
                            let d = c &- 48
                            if d < 10 {
                                mantissa = mantissa &* 10 &+ Int64(d); digits &+= 1
                                if seenPoint { fraction &+= 1 }
                            } else if c == 46 && !seenPoint {
                                seenPoint = true
                            } else { break }
                            q &+= 1
                        }
                        while padded && q < end && base[q] == 32 { q &+= 1 }
                        if digits > 0 && digits <= 17 && Self.isFieldEnd(base, q, end, sep0, sep) {
                            var value = Double(mantissa)
                            for _ in 0..<fraction { value /= 10 }
                            values.2 = Float(negative ? -value : value)
                            p = q
                        } else {
                            p = Self.fieldEnd(base, fieldStart, end, sep0, sep)
                            // A field ends before a line-end CR already (isFieldEnd): a CR still in it is data.
                            let fieldEnd = p
                            guard let value = Self.parseFloat(base, fieldStart, fieldEnd) else {
                                return Failure(offset: lineStart, kind: .notANumber(
                                    column: column, text: Self.text(base, fieldStart, fieldEnd)))
                            }
                            guard value.isFinite else {
                                return Failure(offset: lineStart, kind: .nonFiniteRating(
                                    text: Self.text(base, fieldStart, fieldEnd)))
                            }
                            values.2 = value
                        }
                    } else {
                        p = Self.fieldEnd(base, p, end, sep0, sep)
                    }
                    column &+= 1
                    // p is at a separator, CR LF, LF or the end.
                    if p < end && base[p] == 13 && (p &+ 1 == end || base[p &+ 1] == 10) { p &+= 1 }
                    if p >= end || base[p] == 10 { p &+= 1; break }
                    p &+= sepCount
                }
                if column != columnCount {
                    return Failure(offset: lineStart, kind: .wrongColumnCount(expected: columnCount, found: column))
                }
                if !(values.2 >= lowest && values.2 <= highest) {
                    var s = ratingField.lowerBound, e = ratingField.upperBound
                    while s < e && base[s] == 32 { s &+= 1 }
                    while e > s && base[e &- 1] == 32 { e &-= 1 }
                    return Failure(offset: lineStart, kind: .ratingOutsideScale(
                        text: Self.text(base, s, e), scale: lowest...highest))
                }
                users[rows] = values.0; items[rows] = values.1; ratings[rows] = values.2
                if wantsTime { times[rows] = values.3 }
                rows &+= 1
            }
            return nil
        }
        if let failure { return .failure(failure) }
        return .success(rows)
    }

    /// The content of the quoted field whose opening quote is at `q`, whether it holds escapes,
    /// and the position after its closing quote; nil when no closing quote comes before the
    /// line's end.
    @inline(__always)
    static func quotedField(_ base: UnsafePointer<UInt8>, _ q: Int, _ end: Int) -> (Range<Int>, Bool, Int)? {
        var k = q &+ 1
        var escaped = false
        while k < end {
            let c = base[k]
            if c == 10 { return nil }
            if c == 92 && k &+ 1 < end && (base[k &+ 1] == 34 || base[k &+ 1] == 92) { escaped = true; k &+= 2; continue }
            if c == 34 {
                if k &+ 1 < end && base[k &+ 1] == 34 { escaped = true; k &+= 2; continue }
                return ((q &+ 1)..<k, escaped, k &+ 1)
            }
            k &+= 1
        }
        return nil
    }

    /// The bytes of a quoted field's content with its escapes resolved (`""`, `\"`, `\\`).
    static func unescaped(_ content: UnsafeRawBufferPointer) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(content.count)
        var k = 0
        while k < content.count {
            let c = content[k]
            if (c == 92 || c == 34) && k + 1 < content.count && (content[k + 1] == 34 || (c == 92 && content[k + 1] == 92)) {
                out.append(content[k + 1]); k += 2
            } else {
                out.append(c); k += 1
            }
        }
        return out
    }

    /// Stores the value of a quoted field in the slot of its role (1 user, 2 item, 3 rating,
    /// 4 timestamp), or returns why it is not one.
    static func quotedValue(
        _ role: UInt8, _ base: UnsafePointer<UInt8>, _ content: Range<Int>, _ escaped: Bool, column: Int, asText: Bool,
        into values: inout (Int64, Int64, Float, Int64)
    ) -> RatingsFileError.Kind? {
        let bytes = UnsafeRawBufferPointer(start: base + content.lowerBound, count: content.count)
        switch role {
        case 1, 2:
            if asText {
                guard !content.isEmpty else { return .invalidFormat("column \(column + 1): an empty ID") }
                guard content.count <= TextSlice.maximumLength else {
                    return .invalidFormat("column \(column + 1): an ID longer than \(TextSlice.maximumLength) bytes")
                }
                let slice = TextSlice(offset: content.lowerBound, length: content.count, escaped: escaped).packed
                if role == 1 { values.0 = slice } else { values.1 = slice }
            } else {
                guard !escaped, let value = RawID.canonicalInteger(bytes) else {
                    return .notAnInteger(column: column, text: text(base, content.lowerBound, content.upperBound))
                }
                if role == 1 { values.0 = value } else { values.1 = value }
            }
        case 3:
            guard !escaped, let value = parseFloat(base, content.lowerBound, content.upperBound) else {
                return .notANumber(column: column, text: text(base, content.lowerBound, content.upperBound))
            }
            guard value.isFinite else { return .nonFiniteRating(text: text(base, content.lowerBound, content.upperBound)) }
            values.2 = value
        default:
            // Leading zeros are fine in a timestamp; a sign other than `-` is not (as unquoted).
            guard !escaped, bytes.first != 43, let value = Int64(String(decoding: bytes, as: UTF8.self)) else {
                return .notAnInteger(column: column, text: text(base, content.lowerBound, content.upperBound))
            }
            values.3 = value
        }
        return nil
    }

    /// True when `q` is at a separator, a line end (LF or CR LF) or the end of data.
    @inline(__always)
    static func isFieldEnd(_ base: UnsafePointer<UInt8>, _ q: Int, _ end: Int, _ sep0: UInt8, _ sep: [UInt8]) -> Bool {
        if q >= end { return true }
        let c = base[q]
        if c == 10 { return true }
        if c == 13 { return q &+ 1 == end || base[q &+ 1] == 10 }
        return c == sep0 && (sep.count == 1 || (q &+ sep.count <= end && matches(base + q, sep)))
    }

    /// The position of the next separator or line end at or after `p`.
    @inline(__always)
    static func fieldEnd(_ base: UnsafePointer<UInt8>, _ p: Int, _ end: Int, _ sep0: UInt8, _ sep: [UInt8]) -> Int {
        var q = p
        // Most bytes are none of the three that can end a field: test those first, cheaply.
        while q < end {
            let c = base[q]
            if (c == sep0 || c == 10 || c == 13) && isFieldEnd(base, q, end, sep0, sep) { break }
            q &+= 1
        }
        return q
    }

    @inline(__always)
    static func matches(_ p: UnsafePointer<UInt8>, _ sep: [UInt8]) -> Bool {
        for k in 1..<sep.count where p[k] != sep[k] { return false }
        return true
    }

    static func text(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> String {
        let count = min(end - start, 40)
        return String(decoding: UnsafeBufferPointer(start: base + start, count: max(0, count)), as: UTF8.self)
    }

    /// Parses a decimal number. Plain `[-]digits[.digits]` is parsed in place; anything else
    /// (exponents, `nan`, `inf`) goes through the standard library's parser.
    @inline(__always)
    static func parseFloat(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Float? {
        var s = start, e = end
        while s < e && base[s] == 32 { s &+= 1 }
        while e > s && base[e &- 1] == 32 { e &-= 1 }
        guard s < e else { return nil }
        var negative = false
        var k = s
        if base[k] == 45 { negative = true; k &+= 1 } else if base[k] == 43 { k &+= 1 }
        var mantissa: Int64 = 0, digits = 0, fraction = 0
        var seenPoint = false, simple = true
        while k < e {
            let c = base[k]
            if c &- 48 < 10 {
                if digits < 17 { mantissa = mantissa &* 10 &+ Int64(c &- 48); digits &+= 1; if seenPoint { fraction &+= 1 } }
                else if !seenPoint { simple = false; break }
            } else if c == 46 && !seenPoint {
                seenPoint = true
            } else { simple = false; break }
            k &+= 1
        }
        if simple && digits > 0 {
            var value = Double(mantissa)
            // Exact for up to 17 digits: at most a few divisions by ten for ratings.
            for _ in 0..<fraction { value /= 10 }
            return Float(negative ? -value : value)
        }
        // The standard library's parser stops at a NUL byte ("5\0garbage" would read as 5).
        for k in s..<e where base[k] == 0 { return nil }
        return Float(String(decoding: UnsafeBufferPointer(start: base + s, count: e - s), as: UTF8.self))
    }
}
