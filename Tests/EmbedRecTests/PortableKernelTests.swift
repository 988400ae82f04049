import Foundation
import EmbedRecKernels
import Testing
@testable import EmbedRec
import COpenBLAS

/// The portable (non-AVX2) kernels run on every machine without AVX2, but on an AVX2 machine
/// only under `EMBEDREC_DISABLE_AVX2`. These tests call them directly, so breaking the portable
/// top-K scan or the portable Adam row kernels fails here on any machine; the AVX2 variants are
/// checked against the same references where the CPU has them.
@Suite("Portable kernels")
struct PortableKernelTests {
    // MARK: Top-K selection scan

    /// Both scans where this CPU can run them: (name, scan).
    static let scans: [(String, @Sendable (UnsafePointer<Float>, Int, Float) -> Int)] = {
        var result: [(String, @Sendable (UnsafePointer<Float>, Int, Float) -> Int)] = [("portable", { embedrec_skip_not_above($0, $1, $2) })]
        if VectorKernels.hasAVX2 { result.append(("avx2", { embedrec_skip_not_above_avx2($0, $1, $2) })) }
        return result
    }()

    /// What the scan must return: the offset of the first whole 16-value group holding a value
    /// above t, else the offset where the last partial group starts (16·⌊n/16⌋).
    static func expectedSkip(_ v: [Float], _ t: Float) -> Int {
        var i = 0
        while i + 16 <= v.count {
            if v[i..<(i + 16)].contains(where: { $0 > t }) { return i }
            i += 16
        }
        return i
    }

    @Test("the scan stops at the group of a single hit in any lane, for every length")
    func scanFindsEveryLane() {
        for (name, scan) in Self.scans {
            for n in [0, 1, 15, 16, 17, 31, 32, 33, 48, 64, 70] {
                // No hit at all, and NaN / −∞ lanes (never hits).
                var below = (0..<n).map { Float($0 % 5) / 10 }
                if n > 3 { below[1] = .nan; below[2] = -.infinity }
                let noHit = below.withUnsafeBufferPointer { scan($0.baseAddress!, n, 0.5) }
                #expect(noHit == Self.expectedSkip(below, 0.5), "\(name) n \(n): no hit → \(noHit)")
                for j in 0..<n {
                    var v = below
                    v[j] = 0.75
                    let got = v.withUnsafeBufferPointer { scan($0.baseAddress!, n, 0.5) }
                    #expect(got == Self.expectedSkip(v, 0.5), "\(name) n \(n), hit at \(j) (lane \(j % 16)): \(got)")
                }
            }
        }
    }

    @Test("a value equal to the threshold is not a hit; +∞ is")
    func scanComparesStrictly() {
        for (name, scan) in Self.scans {
            var v = [Float](repeating: 1, count: 48)
            #expect(v.withUnsafeBufferPointer { scan($0.baseAddress!, 48, 1) } == 48, "\(name)")
            v[40] = .infinity
            #expect(v.withUnsafeBufferPointer { scan($0.baseAddress!, 48, 1) } == 32, "\(name)")
        }
    }

    @Test("the group mask has bit j set exactly where v[j] > t")
    func groupMask() {
        var rng = SeededGenerator(seed: 3)
        for _ in 0..<50 {
            let v = (0..<16).map { _ in Float(rng.nextInt(below: 5)) }
            let t = Float(rng.nextInt(below: 5))
            let mask = v.withUnsafeBufferPointer { embedrec_group_mask($0.baseAddress!, t) }
            let expected = (0..<16).reduce(UInt32(0)) { $0 | (v[$1] > t ? 1 << UInt32($1) : 0) }
            #expect(mask == expected, "\(v) > \(t)")
        }
    }

    /// Brute-force top K: scores descending, ties by the lower index, NaN and −∞ never chosen.
    static func bruteForce(_ v: [Float], k: Int) -> [(item: Int32, score: Float)] {
        let candidates = v.indices.filter { !v[$0].isNaN && v[$0] != -.infinity }
        let sorted = candidates.sorted { v[$0] != v[$1] ? v[$0] > v[$1] : $0 < $1 }
        return sorted.prefix(k).map { (item: Int32($0), score: v[$0]) }
    }

    @Test("TopKLists with the portable scan equals brute force (ties, NaN, −∞, several tiles; sorted lists and heaps)",
          arguments: [1, 3, 10, 17, TopKLists.sortedLimit, TopKLists.sortedLimit + 1, 100])
    func heapsWithPortableScanMatchBruteForce(k: Int) {
        var rng = SeededGenerator(seed: UInt64(k))
        var widths = [false]
        if VectorKernels.hasAVX2 { widths.append(true) }
        for wide in widths {
            for trial in 0..<40 {
                let n = 1 + rng.nextInt(below: 400)
                // Few distinct values early on (ties), wider ones later; a few NaN and −∞.
                var v = (0..<n).map { i -> Float in
                    trial % 2 == 0 ? Float(rng.nextInt(below: 8)) : rng.nextUnitFloat() * Float(1 + i / 50)
                }
                for _ in 0..<(n / 40) {
                    v[rng.nextInt(below: n)] = rng.nextInt(below: 2) == 0 ? .nan : -.infinity
                }
                // Offered in tiles, as TopKScorer does.
                let tile = [7, 16, 33, 1024][trial % 4]
                let heaps = TopKLists(k: k, rows: 2)
                v.withUnsafeBufferPointer { p in
                    for start in stride(from: 0, to: n, by: tile) {
                        heaps.offer(row: 1, values: p.baseAddress! + start, n: min(tile, n - start),
                                    firstItem: start, wide: wide)
                    }
                }
                let got = heaps.winners(row: 1), expected = Self.bruteForce(v, k: k)
                #expect(got.map(\.item) == expected.map(\.item) && got.map(\.score) == expected.map(\.score),
                        "\(wide ? "avx2" : "portable") scan, n \(n), tile \(tile): \(got.map(\.item)) vs \(expected.map(\.item))")
            }
        }
    }

    // MARK: Adam row kernels

    /// The Adam row kernels this CPU can run: the portable Swift ones, and the AVX2 C ones.
    enum Path: String, CaseIterable, CustomTestStringConvertible {
        case portable, avx2
        var testDescription: String { rawValue }
        /// The paths this CPU can run (AVX2 only where it has it).
        static let available: [Path] = VectorKernels.hasAVX2 ? [.portable, .avx2] : [.portable]
    }

    static func row(_ n: Int, seed: UInt64) -> (w: [Float], g: [Float], m: [Float], s: [Float]) {
        var rng = SeededGenerator(seed: seed)
        func draw(_ low: Float, _ high: Float) -> [Float] { (0..<n).map { _ in low + (high - low) * rng.nextUnitFloat() } }
        let sign = (0..<n).map { $0 % 3 == 0 ? Float(-1) : 1 }
        return (draw(-0.5, 0.5), zip(draw(0.05, 0.3), sign).map(*), draw(-0.05, 0.05), draw(0.01, 0.1))
    }

    /// Within Float rounding of the terms (|m|, |s| and |w| terms are ≳ 0.01; m may cancel to near 0).
    static func close(_ a: Float, _ b: Double) -> Bool { abs(Double(a) - b) <= 1e-6 * max(abs(b), 1e-2) }

    static let lengths = [1, 3, 4, 5, 7, 8, 13, 50, 64]

    @Test("one Adam step equals the literal formula with L2", arguments: Path.available)
    func adamRowMatchesLiteral(_ path: Path) throws {
        let (alpha, b1, b2, eps, l2): (Float, Float, Float, Float, Float) = (1e-2, 0.9, 0.999, 1e-7, 0.05)
        for n in Self.lengths {
            var r = Self.row(n, seed: UInt64(n))
            let before = r
            if path == .portable {
                VectorKernels.adamPortable(&r.w, r.g, &r.m, &r.s, n, alpha: alpha, b1: b1, b2: b2, eps: eps, l2: l2)
            } else {
                embedrec_adam_avx2(&r.w, r.g, &r.m, &r.s, n, alpha, b1, b2, eps, l2)
            }
            for k in 0..<n {
                // g' = g + 2λw; m = β1·m + (1−β1)·g'; s = √(β2·s² + (1−β2)·g'²); w −= α·m/(s + ε).
                let (w, g, m, s) = (Double(before.w[k]), Double(before.g[k]), Double(before.m[k]), Double(before.s[k]))
                let (db1, db2) = (Double(b1), Double(b2))
                let grad = g + 2 * Double(l2) * w
                let m1 = db1 * m + (1 - db1) * grad
                let s1 = (db2 * s * s + (1 - db2) * grad * grad).squareRoot()
                let w1 = w - Double(alpha) * m1 / (s1 + Double(eps))
                #expect(Self.close(r.m[k], m1) && Self.close(r.s[k], s1) && Self.close(r.w[k], w1),
                        "\(path) n \(n) [\(k)]: w \(r.w[k]) vs \(w1), m \(r.m[k]) vs \(m1), s \(r.s[k]) vs \(s1)")
            }
        }
    }

    @Test("the catch-up step equals the literal formula with L2", arguments: Path.available)
    func catchUpRowMatchesLiteral(_ path: Path) throws {
        let (alpha, b1, b2, eps, l2): (Float, Float, Float, Float, Float) = (1e-2, 0.9, 0.999, 1e-7, 0.05)
        let (drift, d1, d2): (Float, Float, Float) = (0.03, 0.59, 0.995)
        for n in Self.lengths {
            var r = Self.row(n, seed: UInt64(200 + n))
            let before = r
            if path == .portable {
                VectorKernels.adamWithCatchUpPortable(&r.w, r.g, &r.m, &r.s, n, alpha: alpha, b1: b1, b2: b2, eps: eps,
                                                      l2: l2, drift: drift, decay1: d1, decay2: d2)
            } else {
                embedrec_adam_catch_up_avx2(&r.w, r.g, &r.m, &r.s, n, alpha, b1 * d1, b2 * d2, 1 - b1, 1 - b2, eps, l2, drift)
            }
            for k in 0..<n {
                // w₀ = w − drift·m/(s + ε); g' = g + 2λw₀; m = β1·β1ᵏ·m + (1−β1)·g';
                // s = √(β2·β2ᵏ·s² + (1−β2)·g'²); w = w₀ − α·m/(s + ε).
                let (w, g, m, s) = (Double(before.w[k]), Double(before.g[k]), Double(before.m[k]), Double(before.s[k]))
                let (db1, db2) = (Double(b1), Double(b2))
                let w0 = w - Double(drift) * m / (s + Double(eps))
                let grad = g + 2 * Double(l2) * w0
                let m1 = db1 * Double(d1) * m + (1 - db1) * grad
                let s1 = (db2 * Double(d2) * s * s + (1 - db2) * grad * grad).squareRoot()
                let w1 = w0 - Double(alpha) * m1 / (s1 + Double(eps))
                #expect(Self.close(r.m[k], m1) && Self.close(r.s[k], s1) && Self.close(r.w[k], w1),
                        "\(path) n \(n) [\(k)]: w \(r.w[k]) vs \(w1), m \(r.m[k]) vs \(m1), s \(r.s[k]) vs \(s1)")
            }
        }
    }

    @Test("the catch-up step equals k literal zero-gradient Adam steps and then one step", arguments: Path.available)
    func catchUpEqualsSkippedSteps(_ path: Path) throws {
        let (alpha, b1, b2, eps, l2): (Float, Float, Float, Float, Float) = (1e-2, 0.9, 0.999, 1e-7, 0.05)
        for skipped in [1, 2, 5, 12] {
            let n = 13
            var r = Self.row(n, seed: UInt64(300 + skipped))
            let before = r
            // The closed form's parameters for `skipped` zero-gradient steps at constant α.
            let ratio = Double(b1) / Double(b2).squareRoot()
            let sum = (1...skipped).reduce(0.0) { $0 + pow(ratio, Double($1)) }
            let d1 = Float(pow(Double(b1), Double(skipped))), d2 = Float(pow(Double(b2), Double(skipped)))
            if path == .portable {
                VectorKernels.adamWithCatchUpPortable(&r.w, r.g, &r.m, &r.s, n, alpha: alpha, b1: b1, b2: b2, eps: eps,
                                                      l2: l2, drift: alpha * Float(sum), decay1: d1, decay2: d2)
            } else {
                embedrec_adam_catch_up_avx2(&r.w, r.g, &r.m, &r.s, n, alpha, b1 * d1, b2 * d2, 1 - b1, 1 - b2, eps, l2,
                                            alpha * Float(sum))
            }
            for k in 0..<n {
                var w = Double(before.w[k]), m = Double(before.m[k]), v = Double(before.s[k] * before.s[k])
                // Skipped steps: zero gradient, no L2 (only rows a batch uses are penalised).
                for _ in 0..<skipped {
                    m *= Double(b1); v *= Double(b2)
                    w -= Double(alpha) * m / (v.squareRoot() + Double(eps))
                }
                let grad = Double(before.g[k]) + 2 * Double(l2) * w
                m = Double(b1) * m + (1 - Double(b1)) * grad
                v = Double(b2) * v + (1 - Double(b2)) * grad * grad
                w -= Double(alpha) * m / (v.squareRoot() + Double(eps))
                // ε is held outside the decay in the closed form: agreement to ~ε/s ≤ 1e-5.
                #expect(abs(Double(r.w[k]) - w) <= 2e-5 * abs(w - Double(before.w[k])) + 1e-7,
                        "\(path) \(skipped) skipped [\(k)]: w \(r.w[k]) vs literal \(w) (from \(before.w[k]))")
                #expect(Self.close(r.m[k], m) && abs(Double(r.s[k]) - v.squareRoot()) <= 1e-6 * v.squareRoot())
            }
        }
    }
}

extension PortableKernelTests {
    @Test("EASE's row sum equals the literal left-to-right sum, bit for bit, on both paths and every tile width")
    func easeRowSums() {
        var rng = SeededGenerator(seed: 19)
        let n = 300
        let b = (0..<(n * n)).map { _ in Float.random(in: -1...1, using: &rng) }
        let items = (0..<37).map { _ in Float(Int.random(in: 0..<n, using: &rng)) }
        let weights = items.map { _ in Float.random(in: 0.2...1.5, using: &rng) }
        var kernels: [(String, (UnsafeMutablePointer<Float>, Int, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, Int) -> Void)] = [
            ("portable", { embedrec_sum_rows($0, $1, $2, n, $3, $4, $5) })]
        if VectorKernels.hasAVX2 { kernels.append(("avx2", { embedrec_sum_rows_avx2($0, $1, $2, n, $3, $4, $5) })) }
        if CPUFeatures.hasAVX512 { kernels.append(("avx512", { embedrec_sum_rows_avx512($0, $1, $2, n, $3, $4, $5) })) }
        for (name, kernel) in kernels {
            for (start, m) in [(0, 256), (5, 64), (17, 71), (299, 1), (40, 200), (3, 128), (9, 143)] {
                for count in [0, 1, items.count] {
                    var out = [Float](repeating: .nan, count: m)
                    b.withUnsafeBufferPointer { bp in
                        kernel(&out, m, bp.baseAddress! + start, items, weights, count)
                    }
                    let expected = (0..<m).map { j -> Float in
                        var a: Float = 0
                        for k in 0..<count { a = a + weights[k] * b[Int(items[k]) * n + start + j] }
                        return a
                    }
                    #expect(out.map(\.bitPattern) == expected.map(\.bitPattern), "\(name), tile at \(start) of width \(m), \(count) items")
                }
            }
        }
    }
}
