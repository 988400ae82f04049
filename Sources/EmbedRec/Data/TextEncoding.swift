/// The text-encoding checks the loaders make before parsing: EmbedRec reads UTF-8 (and ASCII,
/// its subset); `u.item` alone is read as Latin-1. A UTF-16 or UTF-32 file would otherwise fail
/// with a puzzling message about its first field (every other byte is NUL), so it is named.
enum TextEncoding {
    /// Throws ``RatingsFileError`` `.invalidFormat` naming the encoding when `bytes` start with a
    /// UTF-16 or UTF-32 byte-order mark, or look like UTF-16 without one (NUL bytes in every
    /// other position of the first line).
    static func rejectWideEncodings(_ bytes: UnsafeBufferPointer<UInt8>, name: String) throws {
        let advice = "EmbedRec reads UTF-8; convert the file first, e.g. `iconv -f UTF-16 -t UTF-8 in > out`"
        func fail(_ what: String) throws -> Never {
            throw RatingsFileError(file: name, line: 0, kind: .invalidFormat("the file is \(what); \(advice)"))
        }
        let n = bytes.count
        if n >= 4 && bytes[0] == 0xFF && bytes[1] == 0xFE && bytes[2] == 0 && bytes[3] == 0 {
            try fail("UTF-32 (a little-endian byte-order mark)")
        }
        if n >= 4 && bytes[0] == 0 && bytes[1] == 0 && bytes[2] == 0xFE && bytes[3] == 0xFF {
            try fail("UTF-32 (a big-endian byte-order mark)")
        }
        if n >= 2 && bytes[0] == 0xFF && bytes[1] == 0xFE { try fail("UTF-16 (a little-endian byte-order mark)") }
        if n >= 2 && bytes[0] == 0xFE && bytes[1] == 0xFF { try fail("UTF-16 (a big-endian byte-order mark)") }
        // Without a mark: ASCII text in UTF-16 has a NUL in every other byte. Text files have
        // no NUL at all, so half the first line's bytes being NUL cannot be a UTF-8 file.
        var count = 0, evenNULs = 0, oddNULs = 0
        while count < min(n, 256) && bytes[count] != 10 {
            if bytes[count] == 0 { if count % 2 == 0 { evenNULs += 1 } else { oddNULs += 1 } }
            count += 1
        }
        if count >= 4 && oddNULs * 2 >= count - 1 && evenNULs == 0 { try fail("UTF-16 little-endian without a byte-order mark, it seems") }
        if count >= 4 && evenNULs * 2 >= count - 1 && oddNULs == 0 { try fail("UTF-16 big-endian without a byte-order mark, it seems") }
    }

    /// The UTF-8 text of `bytes`, or nil when they are not valid UTF-8.
    static func strictUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        String(validating: bytes, as: UTF8.self)
    }

    /// Where the first invalid UTF-8 sequence in `bytes` starts (for an error message).
    static func firstInvalidUTF8Offset(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var offset = 0
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): offset += UTF8.width(scalar)
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }
}
