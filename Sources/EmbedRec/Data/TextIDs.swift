import COpenBLAS

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
    /// One pass hashes each row's bytes in place into a table of first occurrences, whose bytes
    /// are copied into a small arena: a probe then compares against the arena, which stays in
    /// cache, not against the first occurrence somewhere in a file of many megabytes. Only the
    /// distinct IDs are decoded and sorted.
    static func interning(
        slices: [Int64], in buffer: UnsafeBufferPointer<UInt8>, encoding: RatingsFileFormat.Encoding
    ) throws -> (TextIDs, [Int32]) {
        let base = UnsafeRawPointer(buffer.baseAddress!)
        let bufferEnd = base + buffer.count
        var firsts = DistinctIDs()
        defer { firsts.deallocate() }
        var provisional = [Int32](repeating: 0, count: slices.count)
        slices.withUnsafeBufferPointer { rows in
            provisional.withUnsafeMutableBufferPointer { out in
                guard let rows = rows.baseAddress, let out = out.baseAddress else { return }
                internRows(rows, count: slices.count, base: base, end: bufferEnd, into: out, firsts: &firsts)
            }
        }
        // Decode the distinct IDs (most are already their own UTF-8: no copy), then order them
        // by bytes; equal decodings share a position.
        let count = firsts.count
        // Copies of the arena and its tables share storage until an ID is decoded.
        var decodedBytes = firsts.arena, decodedStarts = firsts.starts, decodedLengths = firsts.lengths
        for id in 0..<count where firsts.escaped[id] || firsts.hasHighBytes(id) {
            let raw = firsts.bytes(of: id)
            var bytes = firsts.escaped[id] ? raw.withUnsafeBytes { RatingsParser.unescaped($0) } : Array(raw)
            switch encoding {
            case .latin1:
                if bytes.contains(where: { $0 >= 0x80 }) { bytes = Array(String(bytes.map { Character(Unicode.Scalar($0)) }).utf8) }
            case .utf8:
                if bytes.contains(where: { $0 >= 0x80 }), String(validating: bytes, as: UTF8.self) == nil {
                    throw InvalidText(offset: firsts.fileOffsets[id])
                }
            }
            decodedStarts[id] = decodedBytes.count; decodedLengths[id] = bytes.count
            decodedBytes += bytes
        }
        return decodedBytes.withUnsafeBytes { arena in
            // Sorted by a big-endian key of the first eight bytes, then by the whole bytes: most
            // comparisons are one integer compare.
            let a = arena.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!
            func bytes(_ id: Int) -> UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: a + decodedStarts[id], count: decodedLengths[id]) }
            let prefixes = (0..<count).map { prefixKey(bytes($0)) }
            func precedes(_ x: Int, _ y: Int) -> Bool {
                if prefixes[x] != prefixes[y] { return prefixes[x] < prefixes[y] }
                let bx = bytes(x), by = bytes(y), shared = min(bx.count, by.count)
                let order = shared == 0 ? 0 : memcmp(bx.baseAddress!, by.baseAddress!, shared)
                return order != 0 ? order < 0 : bx.count < by.count
            }
            let order = (0..<count).sorted(by: precedes)
            var rank = [Int32](repeating: 0, count: count)
            var sortedBytes: [UInt8] = [], offsets = [0]
            sortedBytes.reserveCapacity(decodedBytes.count)
            offsets.reserveCapacity(count + 1)
            for (k, id) in order.enumerated() {
                if k > 0 && !precedes(order[k - 1], id) { rank[id] = Int32(offsets.count - 2); continue }
                sortedBytes.append(contentsOf: bytes(id))
                offsets.append(sortedBytes.count)
                rank[id] = Int32(offsets.count - 2)
            }
            let positions = rank.withUnsafeBufferPointer { r in provisional.map { r[Int($0)] } }
            return (TextIDs(bytes: sortedBytes, offsets: offsets), positions)
        }
    }

    /// Numbers each row's ID in `firsts` (in order of first appearance) into `out`.
    private static func internRows(_ rows: UnsafePointer<Int64>, count: Int, base: UnsafeRawPointer, end: UnsafeRawPointer,
                                   into out: UnsafeMutablePointer<Int32>, firsts: inout DistinctIDs) {
        // The slot a row probes is asked for `ahead` rows early: the table is larger than the
        // core's cache, and its lines then arrive while earlier rows are probed. Files are
        // mostly grouped by user (or item): a row whose ID is the previous row's takes its
        // number without a hash or a probe (hash 0 in the ring marks it).
        let ahead = 16
        let hashes = UnsafeMutablePointer<UInt64>.allocate(capacity: ahead)
        defer { hashes.deallocate() }
        @inline(__always) func look(at row: Int) -> UInt64 {
            let slice = RatingsParser.TextSlice(packed: rows[row])
            if row > 0 {
                let previous = RatingsParser.TextSlice(packed: rows[row - 1])
                if previous.length == slice.length && previous.escaped == slice.escaped {
                    let a = base + previous.offset, b = base + slice.offset
                    // Up to eight bytes as one word each.
                    if slice.length <= 8 {
                        if word(a, count: slice.length, readable: end - a) == word(b, count: slice.length, readable: end - b) { return 0 }
                    } else if equalBytes(a, b, slice.length) {
                        return 0
                    }
                }
            }
            // A real hash of 0 is taken as 1: the ring's 0 means "as the previous row".
            let h = max(1, hash(base + slice.offset, length: slice.length, readable: end - (base + slice.offset)))
            firsts.prefetch(hash: h)
            return h
        }
        for row in 0..<min(ahead, count) { hashes[row] = look(at: row) }
        for row in 0..<count {
            let h = hashes[row & (ahead - 1)]
            if row + ahead < count { hashes[row & (ahead - 1)] = look(at: row + ahead) }
            if h == 0 {
                out[row] = out[row - 1]
            } else {
                let slice = RatingsParser.TextSlice(packed: rows[row])
                out[row] = firsts.intern(base + slice.offset, length: slice.length, escaped: slice.escaped, hash: h,
                                         offset: slice.offset, readable: end - (base + slice.offset))
            }
        }
    }

    /// The first eight bytes as a big-endian integer (zero-padded): ordered as the bytes are.
    @inline(__always)
    static func prefixKey(_ key: UnsafeRawBufferPointer) -> UInt64 {
        var v: UInt64 = 0
        for k in 0..<8 { v = v << 8 | UInt64(k < key.count ? key[k] : 0) }
        return v
    }

    /// The distinct IDs of a column as first seen: their raw bytes copied into one arena, and
    /// an open-addressing table over them, doubled when half full. A slot is two words: the
    /// ID's first eight bytes (zero-padded), and its number, length, escaping and 16 bits of
    /// its hash. An ID of up to eight bytes (most: user names, `u17`, short codes) is then
    /// matched in the slot alone; a longer one compares its remaining bytes in the arena.
    struct DistinctIDs {
        private(set) var arena: [UInt8] = []
        private(set) var starts: [Int] = []
        private(set) var lengths: [Int] = []
        private(set) var escaped: [Bool] = []
        /// Where each ID was first seen in the file, for an error's line.
        private(set) var fileOffsets: [Int] = []
        /// `2 × capacity` words: (first bytes, meta) per slot; meta 0 is empty. A raw
        /// allocation (``deallocate()`` frees it): the probe loop reads it once a row, with no
        /// reference counting.
        private var slots: UnsafeMutablePointer<UInt64>
        private var mask = 1023

        init() {
            slots = .allocate(capacity: 2 * (mask + 1))
            slots.initialize(repeating: 0, count: 2 * (mask + 1))
        }

        func deallocate() { slots.deallocate() }

        var count: Int { starts.count }

        /// ID `id`'s raw bytes, as in the file.
        func bytes(of id: Int) -> ArraySlice<UInt8> { arena[starts[id]..<(starts[id] + lengths[id])] }

        func hasHighBytes(_ id: Int) -> Bool { bytes(of: id).contains { $0 >= 0x80 } }

        /// Meta word: ID number + 1 (bits 0–31), length (32–46), escaped (47), hash tag (48–63).
        @inline(__always)
        static func meta(id: Int, length: Int, escaped: Bool, hash: UInt64) -> UInt64 {
            UInt64(id + 1) | UInt64(length) << 32 | (escaped ? 1 << 47 : 0) | (hash & 0xFFFF_0000_0000_0000)
        }

        @inline(__always)
        func prefetch(hash: UInt64) { embedrec_prefetch(slots + 2 * (Int(truncatingIfNeeded: hash) & mask)) }

        /// The number of the ID spelled `length` bytes at `key` (with the same escaping; `hash`
        /// its ``TextIDs/hash(_:)``), added when new.
        @inline(__always)
        mutating func intern(_ key: UnsafeRawPointer, length: Int, escaped isEscaped: Bool, hash h: UInt64,
                             offset: Int, readable: Int) -> Int32 {
            let word = TextIDs.word(key, count: min(length, 8), readable: readable)
            let expected = Self.meta(id: -1, length: length, escaped: isEscaped, hash: h)
            let table = slots, mask = self.mask
            var s = Int(truncatingIfNeeded: h) & mask
            while true {
                let meta = table[2 * s + 1]
                if meta == 0 { break }
                // Same tag, length and escaping (an escaped and a plain spelling of one ID are
                // merged after decoding), then the same bytes.
                if meta & ~0xFFFF_FFFF == expected && table[2 * s] == word {
                    let id = Int(truncatingIfNeeded: meta & 0xFFFF_FFFF) - 1
                    if length <= 8 || arena.withUnsafeBytes({ TextIDs.equalBytes($0.baseAddress! + starts[id] + 8, key + 8, length - 8) }) {
                        return Int32(id)
                    }
                }
                s = (s + 1) & mask
            }
            let id = count
            starts.append(arena.count); lengths.append(length); escaped.append(isEscaped); fileOffsets.append(offset)
            arena.append(contentsOf: UnsafeRawBufferPointer(start: key, count: length))
            slots[2 * s] = word
            slots[2 * s + 1] = Self.meta(id: id, length: length, escaped: isEscaped, hash: h)
            if (count + 1) * 2 > mask + 1 { grow() }
            return Int32(id)
        }

        private mutating func grow() {
            let newMask = 2 * (mask + 1) - 1
            let table = UnsafeMutablePointer<UInt64>.allocate(capacity: 2 * (newMask + 1))
            table.initialize(repeating: 0, count: 2 * (newMask + 1))
            for s in 0...mask where slots[2 * s + 1] != 0 {
                let meta = slots[2 * s + 1], id = Int(truncatingIfNeeded: meta & 0xFFFF_FFFF) - 1
                let h = max(1, bytes(of: id).withUnsafeBytes { TextIDs.hash($0) })  // as internRows probes
                var t = Int(truncatingIfNeeded: h) & newMask
                while table[2 * t + 1] != 0 { t = (t + 1) & newMask }
                table[2 * t] = slots[2 * s]; table[2 * t + 1] = meta
            }
            slots.deallocate()
            slots = table
            mask = newMask
        }
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
        guard let start = key.baseAddress else { return hash(UnsafeRawPointer(bitPattern: 1)!, length: 0, readable: 0) }
        return hash(start, length: key.count, readable: key.count)
    }

    /// ``hash(_:)`` of the `length` bytes at `key`, where `readable` bytes may be read: the last
    /// partial word is then one load, masked, instead of a byte at a time (the same value).
    @inline(__always)
    static func hash(_ key: UnsafeRawPointer, length n: Int, readable: Int) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(n)
        var p = 0
        while p + 8 <= n {
            h = (h ^ key.loadUnaligned(fromByteOffset: p, as: UInt64.self)) &* 0xBF58_476D_1CE4_E5B9
            h ^= h >> 31
            p += 8
        }
        h = (h ^ word(key + p, count: n - p, readable: readable - p)) &* 0x94D0_49BB_1331_11EB
        return h ^ (h >> 29)
    }

    /// The `count` ≤ 8 bytes at `p` as a little-endian word, zero-padded: one load, masked,
    /// where `readable` bytes may be read at `p`, else a byte at a time (the same value).
    @inline(__always)
    static func word(_ p: UnsafeRawPointer, count: Int, readable: Int) -> UInt64 {
        if readable >= 8 {
            let word = p.loadUnaligned(as: UInt64.self)
            return count >= 8 ? word : word & ((1 << (8 * UInt64(count))) &- 1)
        }
        var word: UInt64 = 0
        for k in 0..<count { word |= UInt64(p.load(fromByteOffset: k, as: UInt8.self)) << (8 * UInt64(k)) }
        return word
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
