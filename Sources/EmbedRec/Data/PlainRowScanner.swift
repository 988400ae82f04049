/// The fast path of ``RatingsParser``: rows in the plain shape almost every ratings file has
/// (`17,8919,4` or `17\t8919\t3.5\t978300760`), read eight bytes at a time.
///
/// A field's digits are found with one 64-bit word test and converted with three
/// multiplications instead of a multiply-add per digit; a text ID's end is found with a word
/// test for the separator and the line end. Whatever is not plain (quotes, padding, CR, signs,
/// leading zeros, exponents, a value outside the scale, a wrong column count, a row near the
/// end of the data) stops the scan at the start of that row, and the general parser reads it
/// with its exact rules and errors. So a row this scanner accepts gets exactly the values the
/// general parser would give it, which the randomized tests check.
struct PlainRowScanner {
    private let roles: [UInt8]
    private let separator: UInt8
    private let userIsText: Bool, itemIsText: Bool
    private let lowest: Float, highest: Float

    /// nil when the layout cannot have plain rows: a separator of more than one byte, or one
    /// that could be part of a plain field (a digit, `.`, `-`, space, quote, CR, LF), or a
    /// big-endian machine (the word tricks read bytes in little-endian order).
    init?(_ parser: RatingsParser) {
        #if _endian(little)
        let layout = parser.layout
        guard layout.separator.count == 1 else { return nil }
        let s = layout.separator[0]
        guard !(48...57).contains(s), ![46, 45, 43, 32, 34, 13, 10, 0].contains(s) else { return nil }
        separator = s
        roles = layout.columnRoles
        userIsText = layout.userIsText; itemIsText = layout.itemIsText
        (lowest, highest) = parser.valueBounds
        #else
        return nil
        #endif
    }

    /// Reads plain rows from `start` on, writing row `rows`, `rows + 1`, … of `out`, and
    /// returns the start of the first row it did not read (`start` when that is the first).
    /// Only rows whose line end lies before `limit` are read; every word load stays inside
    /// `bytes`.
    func scan(
        _ bytes: UnsafeBufferPointer<UInt8>, from start: Int, limit: Int,
        into out: RatingsParser.Output, rows: inout Int
    ) -> Int {
        let base = bytes.baseAddress!
        let raw = UnsafeRawPointer(base)
        // A word may be loaded at any position up to here.
        let lastWord = bytes.count - 8
        let sepWord = 0x0101_0101_0101_0101 &* UInt64(separator)
        let userIsText = self.userIsText, itemIsText = self.itemIsText
        let lowest = self.lowest, highest = self.highest
        let times = out.times
        return roles.withUnsafeBufferPointer { roles -> Int in
            let columnCount = roles.count
            var p = start
            rowLoop: while p < limit {
                var q = p
                var user: Int64 = 0, item: Int64 = 0, rating: Float = 1, time: Int64 = 0
                for column in 0..<columnCount {
                    guard q <= lastWord else { break rowLoop }
                    let role = roles[column]
                    let word = raw.loadUnaligned(fromByteOffset: q, as: UInt64.self)
                    if role == 0 || (role == 1 && userIsText) || (role == 2 && itemIsText) {
                        // Up to the separator or line end; a CR, or a quote or space where
                        // the general parser trims or unquotes, is not plain.
                        let first = UInt8(truncatingIfNeeded: word)
                        if first == 34 || first == 32 { break rowLoop }
                        var k = q
                        var hit = Self.fieldEndFlags(word, separatorWord: sepWord)
                        while hit == 0 {
                            k &+= 8
                            guard k <= lastWord, k &- q <= RatingsParser.TextSlice.maximumLength else { break rowLoop }
                            hit = Self.fieldEndFlags(raw.loadUnaligned(fromByteOffset: k, as: UInt64.self), separatorWord: sepWord)
                        }
                        let fieldEnd = k &+ hit.trailingZeroBitCount >> 3
                        let length = fieldEnd &- q
                        if role != 0 {
                            guard length > 0, length <= RatingsParser.TextSlice.maximumLength,
                                  base[fieldEnd &- 1] != 32 else { break rowLoop }
                            let slice = Int64(q) << 16 | Int64(length) << 1
                            if role == 1 { user = slice } else { item = slice }
                        }
                        q = fieldEnd
                    } else {
                        let nonDigits = Self.nonDigitBytes(word)
                        let digits = nonDigits.trailingZeroBitCount >> 3
                        guard digits > 0 else { break rowLoop }
                        if role == 3 {
                            // `digits[.digits]`, as the general parser computes it: the digits
                            // as one integer, then divided by ten once per fraction digit.
                            guard digits < 8 else { break rowLoop }
                            var mantissa = Self.digitValue(word, count: digits)
                            q &+= digits
                            var value: Double
                            if base[q] == 46 {
                                q &+= 1
                                guard q <= lastWord else { break rowLoop }
                                let fractionWord = raw.loadUnaligned(fromByteOffset: q, as: UInt64.self)
                                let fraction = Self.nonDigitBytes(fractionWord).trailingZeroBitCount >> 3
                                guard fraction > 0, fraction < 8 else { break rowLoop }
                                mantissa = mantissa &* Self.powersOfTen[fraction] &+ Self.digitValue(fractionWord, count: fraction)
                                q &+= fraction
                                value = Double(mantissa)
                                for _ in 0..<fraction { value /= 10 }
                            } else {
                                value = Double(mantissa)
                            }
                            rating = Float(value)
                            guard rating >= lowest && rating <= highest else { break rowLoop }
                        } else {
                            // An ID with a leading zero is text to the general parser (`0012`).
                            if role != 4 && digits > 1 && UInt8(truncatingIfNeeded: word) == 48 { break rowLoop }
                            var value = Self.digitValue(word, count: digits)
                            q &+= digits
                            if digits == 8 {
                                // Longer numbers (timestamps): the rest digit by digit, 18 at most
                                // so that no sum can wrap.
                                var count = 8
                                while true {
                                    let d = base[q] &- 48
                                    if d >= 10 { break }
                                    count &+= 1
                                    guard count <= 18 else { break rowLoop }
                                    value = value &* 10 &+ UInt64(d)
                                    q &+= 1
                                }
                            }
                            if role == 1 { user = Int64(value) } else if role == 2 { item = Int64(value) } else { time = Int64(value) }
                        }
                    }
                    // The field must end at the separator, or at the line end after the last column.
                    let next = base[q]
                    if column == columnCount &- 1 {
                        guard next == 10 else { break rowLoop }
                    } else {
                        guard next == separator else { break rowLoop }
                    }
                    q &+= 1
                }
                guard q <= limit else { break }
                out.users[rows] = user; out.items[rows] = item; out.ratings[rows] = rating
                if let times { times[rows] = time }
                rows &+= 1
                p = q
            }
            return p
        }
    }

    static let powersOfTen: [UInt64] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000]

    /// A word whose byte k is non-zero exactly where byte k of `word` is not an ASCII digit;
    /// no byte's test carries into another.
    @inline(__always)
    static func nonDigitBytes(_ word: UInt64) -> UInt64 {
        let highNibbleNot3 = (word & 0xF0F0_F0F0_F0F0_F0F0) ^ 0x3030_3030_3030_3030
        let lowNibbleAbove9 = ((word & 0x0F0F_0F0F_0F0F_0F0F) &+ 0x0606_0606_0606_0606) & 0xF0F0_F0F0_F0F0_F0F0
        return highNibbleNot3 | lowNibbleAbove9
    }

    /// Where `word` holds the separator (repeated in `separatorWord`), an LF or a CR; only
    /// the lowest flag is meaningful (see ``zeroBytes(_:)``).
    @inline(__always)
    static func fieldEndFlags(_ word: UInt64, separatorWord: UInt64) -> UInt64 {
        zeroBytes(word ^ separatorWord) | zeroBytes(word ^ 0x0A0A_0A0A_0A0A_0A0A) | zeroBytes(word ^ 0x0D0D_0D0D_0D0D_0D0D)
    }

    /// The high bit of each zero byte of `word`. Bytes above the lowest zero byte may be
    /// flagged falsely (a borrow), so only the lowest flag is meaningful.
    @inline(__always)
    static func zeroBytes(_ word: UInt64) -> UInt64 {
        (word &- 0x0101_0101_0101_0101) & ~word & 0x8080_8080_8080_8080
    }

    /// The value of the first `count` (1…8) bytes of `word`, all ASCII digits, most
    /// significant first: the digits are moved to the top of the word (zeros before them)
    /// and combined pairwise in three multiplications.
    @inline(__always)
    static func digitValue(_ word: UInt64, count: Int) -> UInt64 {
        var w = word &<< UInt64(8 &* (8 &- count))
        w = ((w & 0x0F0F_0F0F_0F0F_0F0F) &* 2561) &>> 8
        w = ((w & 0x00FF_00FF_00FF_00FF) &* 6_553_601) &>> 16
        return ((w & 0x0000_FFFF_0000_FFFF) &* 42_949_672_960_001) &>> 32
    }
}
