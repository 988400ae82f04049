import EmbedRec
/// A slow, plain re-statement of the ratings file rules, for the fuzzer to check the fast
/// parser's answers against: lines split on LF, fields split on the separator's bytes, IDs and
/// ratings through the standard library. A row the two read differently is a finding (the fast
/// parser's in-place number parsing and chunking are where a silently wrong value would hide).
package enum ReferenceRatingsParser {
    package struct Row: Equatable {
        package var user: Int64, item: Int64, rating: Float, timestamp: Int64?
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
        let user: Int, item: Int, rating: Int, time: Int?
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
            guard let u = column(RatingsFileFormat.userColumnNames), let i = column(RatingsFileFormat.itemColumnNames),
                  let r = column(format.values == .counts ? RatingsFileFormat.countColumnNames : RatingsFileFormat.ratingColumnNames)
            else { return nil }
            user = u; item = i; rating = r
            time = column(RatingsFileFormat.timestampColumnNames)
            columnCount = names.count
        case let .byPosition(u, i, r, t, hasHeader):
            user = u; item = i; rating = r; time = t
            if hasHeader { lines.removeFirst() }
        }
        let padded = !separator.contains(32)
        var out: [Row] = []
        for line in lines where !line.isEmpty {
            let fields = split(line, on: separator)
            guard fields.count == columnCount else { return nil }
            func integer(_ field: [UInt8]) -> Int64? {
                var s = field[...]
                if padded { while s.first == 32 { s.removeFirst() }; while s.last == 32 { s.removeLast() } }
                let digits = s.first == 45 ? s.dropFirst() : s
                guard !digits.isEmpty, digits.allSatisfy({ (48...57).contains($0) }) else { return nil }
                return Int64(String(decoding: s, as: UTF8.self))
            }
            var text = fields[rating][...]
            while text.first == 32 { text.removeFirst() }
            while text.last == 32 { text.removeLast() }
            guard let u = integer(fields[user]), let i = integer(fields[item]), !text.contains(0),
                  let value = Float(String(decoding: text, as: UTF8.self)), value.isFinite else { return nil }
            if let scale = format.ratingScale, !scale.contains(value) { return nil }
            var stamp: Int64? = nil
            if let time { guard let t = integer(fields[time]) else { return nil }; stamp = t }
            out.append(Row(user: u, item: i, rating: value, timestamp: stamp))
        }
        guard !out.isEmpty else { return nil }
        // .keepLast: each pair's last row, in the order of those last rows.
        var last: [Pair: Int] = [:]
        for (k, row) in out.enumerated() { last[Pair(user: row.user, item: row.item)] = k }
        return out.indices.filter { last[Pair(user: out[$0].user, item: out[$0].item)] == $0 }.map { out[$0] }
    }

    private struct Pair: Hashable { var user: Int64, item: Int64 }

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
