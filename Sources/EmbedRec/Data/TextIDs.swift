/// Distinct text IDs kept as one UTF-8 buffer, sorted by their bytes, with a hash index.
///
/// Compared by bytes, not as Swift `String`s: `String` equality is canonical equivalence, so two
/// IDs a database keeps apart (a precomposed and a decomposed `é`) would merge into one row.
/// One buffer and an offset table cost a few bytes per ID, where an array of `String`s costs a
/// heap object per ID beyond 15 bytes; the hash index answers a lookup without building a
/// `String`.
struct TextIDs: Sendable, Equatable {
    /// The UTF-8 bytes of every ID, in order.
    let bytes: [UInt8]
    /// `bytes[offsets[k]..<offsets[k + 1]]` is ID `k`; `count + 1` entries.
    let offsets: [Int]
    /// Open addressing: position of an ID, or -1; a power of two at least twice the count.
    private let slots: [Int32]

    /// IDs whose UTF-8 bytes are `bytes` cut at `offsets`, which the caller has sorted by
    /// bytes and made distinct (``validateSorted()`` checks a file's).
    init(bytes: [UInt8], offsets: [Int]) {
        self.bytes = bytes; self.offsets = offsets
        let count = offsets.count - 1
        var capacity = 16
        while capacity < 2 * count { capacity <<= 1 }
        var slots = [Int32](repeating: -1, count: capacity)
        let mask = capacity - 1
        bytes.withUnsafeBytes { b in
            for k in 0..<count {
                var s = Int(truncatingIfNeeded: Self.hash(UnsafeRawBufferPointer(rebasing: b[offsets[k]..<offsets[k + 1]]))) & mask
                while slots[s] >= 0 { s = (s + 1) & mask }
                slots[s] = Int32(k)
            }
        }
        self.slots = slots
    }

    /// Sorts and deduplicates `strings` by their UTF-8 bytes.
    init<S: Sequence>(strings: S) where S.Element == String {
        let sorted = Array(Set(strings.map { Array($0.utf8) })).sorted { $0.lexicographicallyPrecedes($1) }
        var bytes: [UInt8] = [], offsets = [0]
        for id in sorted { bytes += id; offsets.append(bytes.count) }
        self.init(bytes: bytes, offsets: offsets)
    }

    var count: Int { offsets.count - 1 }

    /// ID `k` as a `String`.
    func string(at k: Int) -> String { String(decoding: bytes[offsets[k]..<offsets[k + 1]], as: UTF8.self) }

    /// The position of the ID spelled `text`, or nil.
    func position(of text: String) -> Int32? {
        var text = text
        return text.withUTF8 { position(ofBytes: UnsafeRawBufferPointer($0)) }
    }

    /// The position of the ID whose UTF-8 bytes are `key`, or nil. O(1) expected.
    func position(ofBytes key: UnsafeRawBufferPointer) -> Int32? {
        let mask = slots.count - 1
        var s = Int(truncatingIfNeeded: Self.hash(key)) & mask
        return bytes.withUnsafeBytes { b -> Int32? in
            while true {
                let k = slots[s]
                if k < 0 { return nil }
                let start = offsets[Int(k)], length = offsets[Int(k) + 1] - start
                if length == key.count && (length == 0 || memcmp(b.baseAddress! + start, key.baseAddress!, length) == 0) { return k }
                s = (s + 1) & mask
            }
        }
    }

    /// The first position whose ID is not strictly greater than the one before, or nil when the
    /// IDs are ascending by bytes and distinct (what a saved file must hold).
    func firstUnsortedPosition() -> Int? {
        for k in 1..<max(1, count) where !bytes[offsets[k - 1]..<offsets[k]].lexicographicallyPrecedes(bytes[offsets[k]..<offsets[k + 1]]) {
            return k
        }
        return nil
    }

    /// An ID at byte `offset` of a file that is not valid text in the file's encoding.
    struct InvalidText: Error { let offset: Int }

    /// Maps the text IDs of a parsed column (``RatingsParser/TextSlice``s into `buffer`) to
    /// positions in ascending byte order, decoding each distinct ID once: escapes resolved,
    /// Latin-1 turned into UTF-8, UTF-8 validated.
    ///
    /// One pass hashes each row's bytes in place into a table of first occurrences, so only
    /// the distinct IDs are copied, decoded and sorted.
    static func interning(
        slices: [Int64], in buffer: UnsafeBufferPointer<UInt8>, encoding: RatingsFileFormat.Encoding
    ) throws -> (TextIDs, [Int32]) {
        let base = UnsafeRawPointer(buffer.baseAddress!)
        // Open addressing over first occurrences: each slot holds an ID's number and the high
        // half of its hash, so a probe compares bytes only when the hashes agree. The table
        // doubles when half full; the rows pass resumes where it stopped.
        var capacity = 1024
        var slots = [UInt64](repeating: 0, count: capacity)  // (hash >> 32) << 32 | (id + 1); 0 is empty
        var firsts: [Int64] = []
        var provisional = [Int32](repeating: 0, count: slices.count)
        var row = 0
        while row < slices.count {
            let grow: Bool = slices.withUnsafeBufferPointer { rows in
                provisional.withUnsafeMutableBufferPointer { out in
                    slots.withUnsafeMutableBufferPointer { table in
                        let mask = capacity - 1
                        while row < rows.count {
                            let packed = rows[row]
                            let slice = RatingsParser.TextSlice(packed: packed)
                            let key = base + slice.offset
                            // Files are mostly grouped by user (or item): a row whose ID is the
                            // previous row's takes its number without a table probe.
                            if row > 0 {
                                let previous = RatingsParser.TextSlice(packed: rows[row - 1])
                                if previous.length == slice.length && previous.escaped == slice.escaped
                                    && equalBytes(base + previous.offset, key, slice.length) {
                                    out[row] = out[row - 1]
                                    row += 1
                                    continue
                                }
                            }
                            let h = hash(UnsafeRawBufferPointer(start: key, count: slice.length))
                            let tag = h & 0xFFFF_FFFF_0000_0000
                            var s = Int(truncatingIfNeeded: h) & mask
                            var found: Int32 = -1
                            while true {
                                let entry = table[s]
                                if entry == 0 { break }
                                if entry & 0xFFFF_FFFF_0000_0000 == tag {
                                    let id = Int32(truncatingIfNeeded: entry & 0xFFFF_FFFF) - 1
                                    let other = RatingsParser.TextSlice(packed: firsts[Int(id)])
                                    // Same bytes and the same escaping: an escaped and a plain
                                    // spelling of one ID are merged after decoding.
                                    if other.length == slice.length && other.escaped == slice.escaped
                                        && equalBytes(base + other.offset, key, slice.length) {
                                        found = id; break
                                    }
                                }
                                s = (s + 1) & mask
                            }
                            if found < 0 {
                                if (firsts.count + 1) * 2 > capacity { return true }
                                found = Int32(firsts.count)
                                firsts.append(packed)
                                table[s] = tag | UInt64(found + 1)
                            }
                            out[row] = found
                            row += 1
                        }
                        return false
                    }
                }
            }
            guard grow else { break }
            capacity *= 2
            slots = [UInt64](repeating: 0, count: capacity)
            let mask = capacity - 1
            for (id, packed) in firsts.enumerated() {
                let slice = RatingsParser.TextSlice(packed: packed)
                let h = hash(UnsafeRawBufferPointer(start: base + slice.offset, count: slice.length))
                var s = Int(truncatingIfNeeded: h) & mask
                while slots[s] != 0 { s = (s + 1) & mask }
                slots[s] = (h & 0xFFFF_FFFF_0000_0000) | UInt64(id + 1)
            }
        }
        // Decode the distinct IDs, then order them by bytes; equal decodings share a position.
        var decoded: [[UInt8]] = []
        decoded.reserveCapacity(firsts.count)
        for packed in firsts {
            let slice = RatingsParser.TextSlice(packed: packed)
            let raw = UnsafeRawBufferPointer(start: base + slice.offset, count: slice.length)
            var bytes = slice.escaped ? RatingsParser.unescaped(raw) : Array(raw)
            switch encoding {
            case .latin1:
                if bytes.contains(where: { $0 >= 0x80 }) { bytes = Array(String(bytes.map { Character(Unicode.Scalar($0)) }).utf8) }
            case .utf8:
                if bytes.contains(where: { $0 >= 0x80 }), String(validating: bytes, as: UTF8.self) == nil {
                    throw InvalidText(offset: RatingsParser.TextSlice(packed: packed).offset)
                }
            }
            decoded.append(bytes)
        }
        let order = decoded.indices.sorted { decoded[$0].lexicographicallyPrecedes(decoded[$1]) }
        var rank = [Int32](repeating: 0, count: decoded.count)
        var bytes: [UInt8] = [], offsets = [0]
        for (k, id) in order.enumerated() {
            if k > 0 && decoded[id] == decoded[order[k - 1]] { rank[id] = Int32(offsets.count - 2); continue }
            bytes += decoded[id]; offsets.append(bytes.count)
            rank[id] = Int32(offsets.count - 2)
        }
        let positions = provisional.map { rank[Int($0)] }
        return (TextIDs(bytes: bytes, offsets: offsets), positions)
    }

    static func == (lhs: TextIDs, rhs: TextIDs) -> Bool { lhs.offsets == rhs.offsets && lhs.bytes == rhs.bytes }

    /// Whether `count` bytes at `a` and `b` are equal: eight at a time, without a call for the
    /// short IDs that are most of them.
    @inline(__always)
    static func equalBytes(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ count: Int) -> Bool {
        var p = 0
        while p + 8 <= count {
            if a.loadUnaligned(fromByteOffset: p, as: UInt64.self) != b.loadUnaligned(fromByteOffset: p, as: UInt64.self) { return false }
            p += 8
        }
        while p < count {
            if a.load(fromByteOffset: p, as: UInt8.self) != b.load(fromByteOffset: p, as: UInt8.self) { return false }
            p += 1
        }
        return true
    }

    /// A 64-bit hash of `key`, eight bytes at a time (IDs are short: ISBNs, ASINs, UUIDs).
    @inline(__always)
    static func hash(_ key: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(key.count)
        var p = 0
        let n = key.count
        while p + 8 <= n {
            h = (h ^ key.loadUnaligned(fromByteOffset: p, as: UInt64.self)) &* 0xBF58_476D_1CE4_E5B9
            h ^= h >> 31
            p += 8
        }
        var tail: UInt64 = 0, shift: UInt64 = 0
        while p < n { tail |= UInt64(key[p]) << shift; shift += 8; p += 1 }
        h = (h ^ tail) &* 0x94D0_49BB_1331_11EB
        return h ^ (h >> 29)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
