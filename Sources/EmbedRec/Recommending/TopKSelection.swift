import COpenBLAS

/// The K largest scores of each of a block of rows, fed tile by tile.
///
/// Up to ``sortedLimit`` a row's list is kept sorted, best first: a new entry usually lands
/// near the end, so an insertion moves a few entries with one mispredicted branch, where a
/// heap's sift-down mispredicts at every level. Larger K use a min-heap. Ties break by the
/// lower item index: items arrive in ascending index order, so an equal score never displaces
/// an earlier item. NaN and −∞ (the mark of an excluded item) are never selected.
///
/// A worker's scratch, never shared between threads: the lists live in raw storage, so an
/// offer checks no copy-on-write uniqueness.
final class TopKLists {
    let k: Int
    let rows: Int
    private let scores: UnsafeMutablePointer<Float>
    private let items: UnsafeMutablePointer<Int32>
    private let counts: UnsafeMutablePointer<Int>
    /// The smallest kept score per row once its list is full, else −∞.
    private let thresholds: UnsafeMutablePointer<Float>
    /// The largest K kept as a sorted list.
    static let sortedLimit = 32
    private var sorted: Bool { k <= Self.sortedLimit }

    init(k: Int, rows: Int) {
        self.k = k; self.rows = rows
        scores = .allocate(capacity: k * rows); scores.initialize(repeating: 0, count: k * rows)
        items = .allocate(capacity: k * rows); items.initialize(repeating: 0, count: k * rows)
        counts = .allocate(capacity: rows); counts.initialize(repeating: 0, count: rows)
        thresholds = .allocate(capacity: rows); thresholds.initialize(repeating: -.infinity, count: rows)
    }

    deinit {
        scores.deallocate(); items.deallocate(); counts.deallocate(); thresholds.deallocate()
    }

    /// Calls `body` with the rows' thresholds (the smallest kept score once a list is full).
    func withThresholds<R>(_ body: (UnsafePointer<Float>) throws -> R) rethrows -> R {
        try body(thresholds)
    }

    /// Empties the first `rows` lists.
    func reset(rows: Int) {
        for r in 0..<rows { counts[r] = 0; thresholds[r] = -.infinity }
    }

    /// Offers `values[0..<n]` for items `firstItem..<firstItem+n` to row `row`. `wide` picks the
    /// AVX2 scan (only where the CPU has it); tests pass false to run the portable scan anywhere.
    func offer(row: Int, values: UnsafePointer<Float>, n: Int, firstItem: Int,
               wide: Bool = VectorKernels.hasAVX2) {
        var threshold = thresholds[row]
        var count = counts[row]
        let k = self.k, sorted = self.sorted
        let sp = scores + row * k, ip = items + row * k
        var i = 0
        while i < n {
            // Skip 16-score groups that cannot enter the list (vector compares in C).
            i += wide ? embedrec_skip_not_above_avx2(values + i, n - i, threshold)
                      : embedrec_skip_not_above(values + i, n - i, threshold)
            if i &+ 16 <= n {
                Self.pushGroup(values + i, firstItem: firstItem &+ i, &threshold, sp, ip, &count, k, sorted)
                i &+= 16
            } else {
                while i < n {
                    if values[i] > threshold {
                        threshold = Self.push(sp, ip, &count, k, sorted, values[i], Int32(firstItem &+ i))
                    }
                    i &+= 1
                }
            }
        }
        thresholds[row] = threshold
        counts[row] = count
    }

    /// Offers one group of at most 16 scores that a scorer flagged as holding one above the
    /// row's threshold (no scan for it first).
    func offerGroup(row: Int, values: UnsafePointer<Float>, n: Int, firstItem: Int) {
        guard n == 16 else { return offer(row: row, values: values, n: n, firstItem: firstItem) }
        var threshold = thresholds[row]
        var count = counts[row]
        let k = self.k, sorted = self.sorted
        let sp = scores + row * k, ip = items + row * k
        Self.pushGroup(values, firstItem: firstItem, &threshold, sp, ip, &count, k, sorted)
        thresholds[row] = threshold
        counts[row] = count
    }

    /// Offers only the listed items (ascending) from a tile starting at `firstItem`.
    func offer(row: Int, values: UnsafePointer<Float>, candidates: ArraySlice<Int32>, firstItem: Int) {
        var threshold = thresholds[row]
        var count = counts[row]
        let k = self.k, sorted = self.sorted
        let sp = scores + row * k, ip = items + row * k
        for item in candidates {
            let v = values[Int(item) - firstItem]
            if v > threshold { threshold = Self.push(sp, ip, &count, k, sorted, v, item) }
        }
        thresholds[row] = threshold
        counts[row] = count
    }

    /// Row `row`'s winners, best first.
    func winners(row: Int) -> [(item: Int32, score: Float)] {
        var result = (0..<counts[row]).map { (item: items[row * k + $0], score: scores[row * k + $0]) }
        if !sorted { result.sort { $0.score != $1.score ? $0.score > $1.score : $0.item < $1.item } }
        return result
    }

    /// Pushes the scores of a 16-score group (items from `firstItem`) that beat the threshold,
    /// visiting only those lanes (usually one).
    @inline(__always)
    private static func pushGroup(
        _ values: UnsafePointer<Float>, firstItem: Int, _ threshold: inout Float,
        _ sp: UnsafeMutablePointer<Float>, _ ip: UnsafeMutablePointer<Int32>, _ count: inout Int, _ k: Int, _ sorted: Bool
    ) {
        var mask = embedrec_group_mask(values, threshold)
        while mask != 0 {
            let j = mask.trailingZeroBitCount
            mask &= mask &- 1
            if values[j] > threshold {
                threshold = push(sp, ip, &count, k, sorted, values[j], Int32(firstItem &+ j))
            }
        }
    }

    /// Adds an entry above the threshold; returns the new threshold (−∞ until the list is full).
    @inline(__always)
    static func push(
        _ sp: UnsafeMutablePointer<Float>, _ ip: UnsafeMutablePointer<Int32>, _ count: inout Int, _ k: Int,
        _ sorted: Bool, _ v: Float, _ item: Int32
    ) -> Float {
        guard sorted else { return pushHeap(sp, ip, &count, k, v, item) }
        // Best first; the new item has the largest index so far, so it goes after equal scores.
        var j = count < k ? count : k &- 1
        while j > 0 && sp[j &- 1] < v {
            sp[j] = sp[j &- 1]; ip[j] = ip[j &- 1]; j &-= 1
        }
        sp[j] = v; ip[j] = item
        if count < k { count &+= 1 }
        return count == k ? sp[k &- 1] : -.infinity
    }

    /// Inserts into a min-heap of capacity k; returns the new threshold (−∞ until full).
    @inline(__always)
    static func pushHeap(
        _ sp: UnsafeMutablePointer<Float>, _ ip: UnsafeMutablePointer<Int32>, _ count: inout Int, _ k: Int,
        _ v: Float, _ item: Int32
    ) -> Float {
        if count < k {
            var c = count
            sp[c] = v; ip[c] = item; count += 1
            while c > 0 {
                let parent = (c - 1) / 2
                guard less(sp[c], ip[c], sp[parent], ip[parent]) else { break }
                swap(sp, ip, c, parent); c = parent
            }
            return count == k ? sp[0] : -.infinity
        }
        sp[0] = v; ip[0] = item
        var c = 0
        while true {
            let l = 2 * c + 1, r = l + 1
            var m = c
            if l < k && less(sp[l], ip[l], sp[m], ip[m]) { m = l }
            if r < k && less(sp[r], ip[r], sp[m], ip[m]) { m = r }
            if m == c { break }
            swap(sp, ip, c, m); c = m
        }
        return sp[0]
    }

    @inline(__always)
    static func swap(_ sp: UnsafeMutablePointer<Float>, _ ip: UnsafeMutablePointer<Int32>, _ a: Int, _ b: Int) {
        let s = sp[a]; sp[a] = sp[b]; sp[b] = s
        let i = ip[a]; ip[a] = ip[b]; ip[b] = i
    }

    /// Heap order: smaller score first; among equal scores the larger index goes first (it is
    /// the one to displace).
    @inline(__always)
    static func less(_ a: Float, _ ai: Int32, _ b: Float, _ bi: Int32) -> Bool {
        a < b || (a == b && ai > bi)
    }
}

/// Top-K of one full row (similar items, fold-in).
func topK(of row: UnsafePointer<Float>, n: Int, k: Int) -> [(item: Int32, score: Float)] {
    let heaps = TopKLists(k: max(1, min(k, n)), rows: 1)
    heaps.offer(row: 0, values: row, n: n, firstItem: 0)
    return heaps.winners(row: 0)
}
