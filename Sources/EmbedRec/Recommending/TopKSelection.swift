/// Selects the K largest scores of a row, skipping excluded entries.
///
/// Ties break by the lower item index, so results are deterministic. Scores that are NaN or
/// `-infinity` are never selected (`-infinity` marks excluded items).
struct TopKSelector {
    let k: Int
    private var scores: [Float]
    private var items: [Int32]
    private(set) var count = 0

    init(k: Int) {
        self.k = k
        scores = [Float](repeating: 0, count: k)
        items = [Int32](repeating: 0, count: k)
    }

    /// Scans `row[0..<n]` (or only `candidates` when given) and returns the winners, best first.
    mutating func select(
        _ row: UnsafePointer<Float>, n: Int, candidates: UnsafeBufferPointer<Int32>? = nil
    ) -> [(item: Int32, score: Float)] {
        count = 0
        scores.withUnsafeMutableBufferPointer { s in
            items.withUnsafeMutableBufferPointer { it in
                let sp = s, ip = it
                var threshold = -Float.infinity
                @inline(__always) func offer(_ i: Int, _ v: Float) {
                    // Items arrive in ascending index order, so an equal score never displaces.
                    if count < k {
                        // Insert into the min-heap.
                        var c = count
                        sp[c] = v; ip[c] = Int32(i); count += 1
                        while c > 0 {
                            let parent = (c - 1) / 2
                            if Self.less(sp[c], ip[c], sp[parent], ip[parent]) {
                                sp.swapAt(c, parent); ip.swapAt(c, parent); c = parent
                            } else { break }
                        }
                        if count == k { threshold = sp[0] }
                    } else {
                        sp[0] = v; ip[0] = Int32(i)
                        var c = 0
                        while true {
                            let l = 2 * c + 1, r = l + 1
                            var m = c
                            if l < k && Self.less(sp[l], ip[l], sp[m], ip[m]) { m = l }
                            if r < k && Self.less(sp[r], ip[r], sp[m], ip[m]) { m = r }
                            if m == c { break }
                            sp.swapAt(c, m); ip.swapAt(c, m); c = m
                        }
                        threshold = sp[0]
                    }
                }
                if let candidates {
                    for i in candidates {
                        let v = row[Int(i)]
                        if v > threshold || (count < k && v > -Float.infinity) { offer(Int(i), v) }
                    }
                } else {
                    var i = 0
                    while i < n {
                        let v = row[i]
                        if v > threshold || (count < k && v > -Float.infinity) { offer(i, v) }
                        i += 1
                    }
                }
            }
        }
        var result = (0..<count).map { (item: items[$0], score: scores[$0]) }
        result.sort { $0.score != $1.score ? $0.score > $1.score : $0.item < $1.item }
        return result
    }

    /// Heap order: smaller score first; among equal scores the larger index is "smaller"
    /// (it is the first to be displaced).
    @inline(__always)
    static func less(_ a: Float, _ ai: Int32, _ b: Float, _ bi: Int32) -> Bool {
        a < b || (a == b && ai > bi)
    }
}
