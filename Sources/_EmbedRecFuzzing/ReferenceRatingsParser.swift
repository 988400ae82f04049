import EmbedRec
/// A slow, plain re-statement of the ratings file rules, for the fuzzer to check the fast
/// parser's answers against: lines split on LF, fields split on the separator's bytes outside
/// quotes, IDs and ratings through the standard library; an ID column is integer when all its
/// IDs are plain whole numbers, otherwise text. A row the two read differently is a finding (the fast
/// parser's in-place number parsing and chunking are where a silently wrong value would hide).
package enum ReferenceRatingsParser {
    package struct Row: Equatable {
        package var user: RawID, item: RawID, rating: Float, timestamp: Int64?
    }

    /// The rows of `bytes` in `format`, one per (user, item) pair as `.keepLast` keeps them,
    /// or nil when some line breaks a rule (the fast parser must then fail too, which the
    /// caller does not check: the rules for errors differ in which error, not whether).
    package static func rows(_ bytes: [UInt8], format: RatingsFileFormat) -> [Row]? {
        // Leading CR and LF bytes go (blank lines, old Mac line ends); so do blank lines between rows.
        var text = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? bytes.dropFirst(3) : bytes[...]
        while let first = text.first, first == 10 || first == 13 { text.removeFirst() }
        var lines = split(Array(text), on: [10]).map { $0.last == 13 ? Array($0.dropLast()) : $0 }
        guard !lines.isEmpty else { return nil }
        let separator = Array(format.separator.utf8)
        let user: Int, item: Int, rating: Int?, time: Int?
        var columnCount = split(lines[0], on: separator).count
        switch format.columns {
        case .byHeaderNames:
            let names = split(lines.removeFirst(), on: separator).map {
                RatingsFileFormat.normalizedColumnName(
                    String(decoding: $0, as: UTF8.self).trimmingCharacters(in: [" ", "\"", "\u{FEFF}"], trailing: [" ", "\""]))
            }
            func column(_ accepted: Set<String>) -> Int? {
                let hits = names.indices.filter { accepted.contains(names[$0]) }
                return hits.count == 1 ? hits[0] : nil
            }
            guard let u = column(RatingsFileFormat.userColumnNames), let i = column(RatingsFileFormat.itemColumnNames) else { return nil }
            switch format.values {
            case .ratings: guard let r = column(RatingsFileFormat.ratingColumnNames) else { return nil }; rating = r
            case .counts: guard let r = column(RatingsFileFormat.countColumnNames) else { return nil }; rating = r
            case .interactions: rating = nil
            }
            user = u; item = i
            time = column(RatingsFileFormat.timestampColumnNames)
            columnCount = names.count
        case let .byPosition(u, i, r, t, hasHeader):
            guard r != nil || format.values == .interactions else { return nil }
            user = u; item = i; rating = format.values == .interactions ? nil : r; time = t
            if hasHeader { lines.removeFirst() }
        case .jsonFields:
            return nil  // JSON lines go through JSONDecoder, not the fast parser this checks
        }
        let padded = !separator.contains(32)
        var out: [Row] = []
        var userTexts: [String] = [], itemTexts: [String] = []
        for line in lines where !line.isEmpty {
            guard let fields = quotedSplit(line, on: separator, padded: padded), fields.count == columnCount else { return nil }
            func integer(_ field: Field) -> Int64? {
                guard !field.escaped else { return nil }
                let s = field.bytes[...]
                let digits = s.first == 45 ? s.dropFirst() : s
                guard !digits.isEmpty, digits.allSatisfy({ (48...57).contains($0) }) else { return nil }
                return Int64(String(decoding: s, as: UTF8.self))
            }
            func id(_ field: Field) -> String? {
                guard !field.bytes.isEmpty else { return nil }
                let bytes = field.escaped ? unescape(field.bytes) : field.bytes
                if format.encoding == .latin1 { return String(bytes.map { Character(Unicode.Scalar($0)) }) }
                return String(validating: bytes, as: UTF8.self)
            }
            guard let u = id(fields[user]), let i = id(fields[item]) else { return nil }
            var value: Float = 1
            if let rating {
                var text = fields[rating].bytes[...]
                while text.first == 32 { text.removeFirst() }
                while text.last == 32 { text.removeLast() }
                guard !fields[rating].escaped, !text.contains(0), let parsed = Float(String(decoding: text, as: UTF8.self)),
                      parsed.isFinite else { return nil }
                if let scale = format.ratingScale, !scale.contains(parsed) { return nil }
                value = parsed
            }
            var stamp: Int64? = nil
            if let time { guard let t = integer(fields[time]) else { return nil }; stamp = t }
            userTexts.append(u); itemTexts.append(i)
            out.append(Row(user: 0, item: 0, rating: value, timestamp: stamp))
        }
        guard !out.isEmpty else { return nil }
        // A column of plain whole numbers is integer; any other ID makes the column text.
        func ids(_ texts: [String]) -> [RawID] {
            let numbers = texts.map { RawID($0) }
            return numbers.allSatisfy({ $0.integerValue != nil }) ? numbers : texts.map { .text($0) }
        }
        for (k, (u, i)) in zip(ids(userTexts), ids(itemTexts)).enumerated() { out[k].user = u; out[k].item = i }
        // .keepLast: each pair's last row, in the order of those last rows.
        var last: [Pair: Int] = [:]
        for (k, row) in out.enumerated() { last[Pair(user: row.user, item: row.item)] = k }
        return out.indices.filter { last[Pair(user: out[$0].user, item: out[$0].item)] == $0 }.map { out[$0] }
    }

    private struct Pair: Hashable { var user: RawID, item: RawID }

    struct Field { var bytes: [UInt8]; var quoted = false; var escaped = false }

    /// The fields of `line`: split on `separator` outside quotes; a field whose first byte
    /// (after padding) is a quote runs to its closing quote (`""`, `\"` and `\\` escape) and
    /// only padding may follow. Padding is trimmed around unquoted fields. nil for a malformed line.
    static func quotedSplit(_ line: [UInt8], on separator: [UInt8], padded: Bool) -> [Field]? {
        var out: [Field] = []
        var k = 0
        func atSeparator(_ k: Int) -> Bool { k + separator.count <= line.count && line[k..<(k + separator.count)].elementsEqual(separator) }
        while true {
            var s = k
            while padded && s < line.count && line[s] == 32 { s += 1 }
            if s < line.count && line[s] == 34 {
                var q = s + 1, escaped = false
                var close: Int? = nil
                while q < line.count {
                    if line[q] == 92 && q + 1 < line.count && (line[q + 1] == 34 || line[q + 1] == 92) { escaped = true; q += 2; continue }
                    if line[q] == 34 {
                        if q + 1 < line.count && line[q + 1] == 34 { escaped = true; q += 2; continue }
                        close = q; break
                    }
                    q += 1
                }
                guard let close else { return nil }
                var e = close + 1
                while padded && e < line.count && line[e] == 32 { e += 1 }
                out.append(Field(bytes: Array(line[(s + 1)..<close]), quoted: true, escaped: escaped))
                if e == line.count { return out }
                guard atSeparator(e) else { return nil }
                k = e + separator.count
            } else {
                var e = k
                while e < line.count && !atSeparator(e) { e += 1 }
                var t = e
                while padded && t > s && line[t - 1] == 32 { t -= 1 }
                out.append(Field(bytes: Array(line[min(s, t)..<t])))
                if e == line.count { return out }
                k = e + separator.count
            }
        }
    }

    static func unescape(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [], k = 0
        while k < bytes.count {
            if (bytes[k] == 92 || bytes[k] == 34) && k + 1 < bytes.count && (bytes[k + 1] == 34 || (bytes[k] == 92 && bytes[k + 1] == 92)) {
                out.append(bytes[k + 1]); k += 2
            } else { out.append(bytes[k]); k += 1 }
        }
        return out
    }

    /// `bytes` split at every occurrence of `separator` (not merging empty fields).
    static func split(_ bytes: [UInt8], on separator: [UInt8]) -> [[UInt8]] {
        var out: [[UInt8]] = [], start = 0, k = 0
        while k + separator.count <= bytes.count {
            if bytes[k..<(k + separator.count)].elementsEqual(separator) {
                out.append(Array(bytes[start..<k])); k += separator.count; start = k
            } else { k += 1 }
        }
        out.append(Array(bytes[start...]))
        return out
    }
}

extension String {
    /// Drops `leading` characters from the front and `trailing` ones from the back.
    fileprivate func trimmingCharacters(in leading: Set<Character>, trailing: Set<Character>) -> String {
        var s = self[...]
        while let f = s.first, leading.contains(f) { s.removeFirst() }
        while let l = s.last, trailing.contains(l) { s.removeLast() }
        return String(s)
    }
}
