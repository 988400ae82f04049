/// A quadtree over 2-D points for the Barnes-Hut estimate of t-SNE's repulsive forces.
///
/// Points are sorted along a Morton (Z-order) curve, so every cell is a contiguous range of the
/// sorted points and points that are close in the plane are close in memory. Nodes are stored
/// in depth-first preorder with the index just past each subtree (`skip`), so a traversal is a
/// loop that either descends (`node + 1`) or jumps over a summarised subtree (`skip`): no stack,
/// and the node array is read front to back.
package struct BarnesHutQuadtree {
    package struct Node {
        /// Centre of mass.
        var x: Float, y: Float
        /// Points in the cell.
        var mass: Float
        /// Squared cell width (the Barnes-Hut size test compares it with θ² · distance²).
        var width2: Float
        /// Index just past this node's subtree.
        var skip: Int32
        /// Sorted-point range, for leaves (`first == end` for internal nodes).
        var first: Int32, end: Int32
        var isLeaf: Bool
    }

    /// Sorted position → original point index.
    package private(set) var order: [Int32]
    /// Point coordinates in sorted order, interleaved x, y.
    package private(set) var sorted: [Float]
    package private(set) var nodes: [Node]
    package let leafSize: Int

    /// Builds the tree over `n` points stored interleaved (x₀, y₀, x₁, y₁, …).
    package init(points: UnsafePointer<Float>, n: Int, leafSize: Int = 8) {
        self.leafSize = max(1, leafSize)
        order = []; sorted = []; nodes = []
        guard n > 0 else { return }
        var minX = points[0], maxX = points[0], minY = points[1], maxY = points[1]
        for i in 1..<n {
            let x = points[2 &* i], y = points[2 &* i &+ 1]
            minX = min(minX, x); maxX = max(maxX, x); minY = min(minY, y); maxY = max(maxY, y)
        }
        let width = max(maxX - minX, maxY - minY)
        // 16 bits per axis; a zero-width set (all points equal) maps every point to code 0.
        let scale: Float = width > 0 ? 65535 / width : 0
        var codes = [UInt32](repeating: 0, count: n)
        for i in 0..<n {
            let qx = UInt32(min(65535, max(0, (points[2 &* i] - minX) * scale)))
            let qy = UInt32(min(65535, max(0, (points[2 &* i &+ 1] - minY) * scale)))
            codes[i] = Self.spread(qx) | (Self.spread(qy) << 1)
        }
        let (sortedCodes, order) = Self.radixSort(codes)
        self.order = order
        var sorted = [Float](repeating: 0, count: 2 * n)
        for s in 0..<n {
            let i = Int(order[s])
            sorted[2 &* s] = points[2 &* i]; sorted[2 &* s &+ 1] = points[2 &* i &+ 1]
        }
        self.sorted = sorted
        nodes.reserveCapacity(max(16, 2 * n / self.leafSize))
        sortedCodes.withUnsafeBufferPointer { c in
            sorted.withUnsafeBufferPointer { p in
                _ = build(codes: c, points: p, lo: 0, hi: n, shift: 30, width: width)
            }
        }
    }

    /// Appends the subtree over sorted points `lo..<hi`, whose codes agree above bit `shift + 1`.
    /// Returns the subtree's summed coordinates.
    private mutating func build(codes: UnsafeBufferPointer<UInt32>, points: UnsafeBufferPointer<Float>,
                                lo: Int, hi: Int, shift: Int, width: Float) -> (Float, Float) {
        let index = nodes.count
        nodes.append(Node(x: 0, y: 0, mass: Float(hi - lo), width2: width * width, skip: 0,
                          first: Int32(lo), end: Int32(lo), isLeaf: false))
        var sx: Float = 0, sy: Float = 0
        if hi - lo <= leafSize || shift < 0 {
            for s in lo..<hi { sx += points[2 &* s]; sy += points[2 &* s &+ 1] }
            nodes[index].end = Int32(hi)
            nodes[index].isLeaf = true
        } else {
            var start = lo
            for quadrant in UInt32(0)..<4 {
                // First sorted position whose quadrant bits exceed `quadrant`.
                var a = start, b = hi
                while a < b {
                    let m = (a &+ b) >> 1
                    if (codes[m] >> UInt32(shift)) & 3 <= quadrant { a = m &+ 1 } else { b = m }
                }
                if a > start {
                    let (cx, cy) = build(codes: codes, points: points, lo: start, hi: a, shift: shift - 2, width: width / 2)
                    sx += cx; sy += cy
                }
                start = a
            }
        }
        let mass = Float(hi - lo)
        nodes[index].x = sx / mass; nodes[index].y = sy / mass
        nodes[index].skip = Int32(nodes.count)
        return (sx, sy)
    }

    /// The Barnes-Hut sums for sorted point `s`: `z` = Σ wᵢⱼ and (fx, fy) = Σ wᵢⱼ² (yᵢ − yⱼ), with
    /// wᵢⱼ = 1 / (1 + ‖yᵢ − yⱼ‖²), over every other point, cells whose width is below
    /// `theta · distance` taken at their centre of mass.
    @inline(__always)
    package func repulsion(sortedPoint s: Int, theta2: Float,
                           nodes: UnsafeBufferPointer<Node>, points: UnsafeBufferPointer<Float>)
        -> (fx: Float, fy: Float, z: Float) {
        let px = points[2 &* s], py = points[2 &* s &+ 1]
        var fx: Float = 0, fy: Float = 0, z: Float = 0
        var n = 0
        let count = nodes.count
        while n < count {
            let node = nodes[n]
            if node.isLeaf {
                var j = Int(node.first)
                let end = Int(node.end)
                while j < end {
                    if j != s {
                        let dx = px - points[2 &* j], dy = py - points[2 &* j &+ 1]
                        let w = 1 / (1 + dx * dx + dy * dy)
                        z += w
                        let w2 = w * w
                        fx += w2 * dx; fy += w2 * dy
                    }
                    j &+= 1
                }
                n = Int(node.skip)
            } else {
                let dx = px - node.x, dy = py - node.y
                let d2 = dx * dx + dy * dy
                if node.width2 < theta2 * d2 {
                    let w = 1 / (1 + d2)
                    let mw = node.mass * w
                    z += mw
                    let mw2 = mw * w
                    fx += mw2 * dx; fy += mw2 * dy
                    n = Int(node.skip)
                } else {
                    n &+= 1
                }
            }
        }
        return (fx, fy, z)
    }

    /// Spreads the low 16 bits of `v` to the even bit positions.
    @inline(__always)
    static func spread(_ v: UInt32) -> UInt32 {
        var x = v & 0xFFFF
        x = (x | (x << 8)) & 0x00FF_00FF
        x = (x | (x << 4)) & 0x0F0F_0F0F
        x = (x | (x << 2)) & 0x3333_3333
        x = (x | (x << 1)) & 0x5555_5555
        return x
    }

    /// Stable LSD radix sort of the codes, with the permutation (ties keep index order, so the
    /// tree is the same for the same points).
    static func radixSort(_ codes: [UInt32]) -> ([UInt32], [Int32]) {
        let n = codes.count
        var keys = codes, index = (0..<n).map { Int32($0) }
        var keys2 = [UInt32](repeating: 0, count: n), index2 = [Int32](repeating: 0, count: n)
        for pass in 0..<4 {
            let shift = UInt32(pass * 8)
            var counts = [Int](repeating: 0, count: 257)
            for k in keys { counts[Int((k >> shift) & 0xFF) &+ 1] &+= 1 }
            for b in 0..<256 { counts[b &+ 1] &+= counts[b] }
            for i in 0..<n {
                let b = Int((keys[i] >> shift) & 0xFF)
                let at = counts[b]; counts[b] = at &+ 1
                keys2[at] = keys[i]; index2[at] = index[i]
            }
            swap(&keys, &keys2); swap(&index, &index2)
        }
        return (keys, index)
    }
}
