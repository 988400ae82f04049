import COpenBLAS
import EmbedRec
import EmbedRecKernels
import Foundation

/// Plain OpenBLAS sgemm rates for the shapes EmbedRec uses: the ceiling for scoring; and the
/// machine's memory bandwidth, the ceiling for the rows that stream or scatter bytes (loading,
/// SGD, EASE scoring; Docs/Benchmarks.md, "Physical limits").
enum BLASSuite {
    static func run(_ c: BenchContext) {
        memoryBandwidth(c)
        let shapes: [(String, Int, Int, Int, Bool)] = c.smoke
            ? [("64×256×50", 64, 256, 50, true)]
            : [("2048×2048×2048", 2048, 2048, 2048, false),
               ("1024×10000×50 (Bᵀ)", 1024, 10_000, 50, true),
               ("256×10000×52 (Bᵀ, scorer block)", 256, 10_000, 52, true)]
        let original = BLASThreading.openBLASThreads
        for threads in [original, 1] where threads >= 1 {
            BLASThreading.setOpenBLASThreads(threads)
            for (name, m, n, k, transB) in shapes {
                c.report.add(BenchResult(suite: "blas", name: "sgemm \(name), \(threads) OpenBLAS thread\(threads == 1 ? "" : "s")",
                                         unit: "GFLOP/s", values: sgemmRates(m: m, n: n, k: k, transposeB: transB, repeats: c.repeats)))
            }
            if original == 1 { break }
        }
        BLASThreading.setOpenBLASThreads(original)
        scoringKernel(c)
    }

    /// The dot-product family's scoring kernel (`catalogue_scoring.h`) on the scorer block's
    /// shape, one thread, beside the sgemm rows above: the same products (256 user rows × 10,000
    /// items × 52), the items already in panels as a scorer keeps them. Unfiltered, every score
    /// is stored, as sgemm stores C; filtered at a threshold no score reaches, none is.
    static func scoringKernel(_ c: BenchContext) {
        let (m, n, k) = c.smoke ? (64, 256, 50) : (256, 10_000, 52)
        var rng = SeededGenerator(seed: 1)
        let a = (0..<(m * k)).map { _ in rng.nextUnitFloat() }
        let items = (0..<(n * k)).map { _ in rng.nextUnitFloat() }
        var panels = [Float](repeating: 0, count: (n + 15) / 16 * 16 * k)
        panels.withUnsafeMutableBufferPointer { embedrec_pack_panels($0.baseAddress!, items, n, k, k) }
        var out = [Float](repeating: 0, count: m * n)
        var hits = [UInt64](repeating: 0, count: m * (((n + 15) / 16 + 63) / 64))
        let unreachable = [Float](repeating: .greatestFiniteMagnitude, count: m)
        typealias Kernel = (UnsafeMutablePointer<Float>, Int, UnsafePointer<Float>, Int, Int, UnsafePointer<Float>, Int,
                            UnsafePointer<Float>?, UnsafeMutablePointer<UInt64>?) -> Void
        // Each variant this CPU runs (the scorer takes AVX2 where it can: AVX-512 measured no faster).
        var variants: [(String, Kernel)] = []
        if CPUFeatures.hasAVX2AndFMA { variants.append(("AVX2", { embedrec_score_panels_avx2($0, $1, $2, $3, $4, $5, $6, $7, $8) })) }
        if CPUFeatures.hasAVX512 { variants.append(("AVX-512", { embedrec_score_panels_avx512($0, $1, $2, $3, $4, $5, $6, $7, $8) })) }
        if variants.isEmpty { variants.append(("portable", { embedrec_score_panels_portable($0, $1, $2, $3, $4, $5, $6, $7, $8) })) }
        for (variant, kernel) in variants {
            for filtered in [false, true] {
                func once() {
                    hits.withUnsafeMutableBufferPointer { h in
                        unreachable.withUnsafeBufferPointer { t in
                            out.withUnsafeMutableBufferPointer { o in
                                kernel(o.baseAddress!, n, a, m, k, panels, n, filtered ? t.baseAddress : nil, filtered ? h.baseAddress : nil)
                            }
                        }
                    }
                }
                once()
                let seconds = (0..<c.repeats).map { _ in time { once() } }
                let gflops = seconds.map { 2.0 * Double(m) * Double(n) * Double(k) / $0 / 1e9 }
                c.report.add(BenchResult(
                    suite: "blas", name: "scoring kernel \(variant) \(m)×\(n)×\(k) (panels\(filtered ? ", filtered, nothing kept" : "")), 1 thread",
                    unit: "GFLOP/s", values: gflops))
            }
        }
    }
}

extension BLASSuite {
    /// The median GFLOP/s of a square 2048³ sgemm on `threads` OpenBLAS threads (the
    /// reference a scoring row is held against in the same run); OpenBLAS's thread count is
    /// restored after.
    static func squareSgemmRate(threads: Int, repeats: Int) -> Double {
        let original = BLASThreading.openBLASThreads
        defer { BLASThreading.setOpenBLASThreads(original) }
        BLASThreading.setOpenBLASThreads(threads)
        let rates = sgemmRates(m: 2048, n: 2048, k: 2048, transposeB: false, repeats: max(3, repeats)).sorted()
        return rates[rates.count / 2]
    }

    /// GFLOP/s of `repeats` timed sgemms of random m × k by k × n (Bᵀ stored when
    /// `transposeB`), on OpenBLAS's current thread count, after one untimed call.
    static func sgemmRates(m: Int, n: Int, k: Int, transposeB: Bool, repeats: Int) -> [Double] {
        var rng = SeededGenerator(seed: 1)
        let a = (0..<(m * k)).map { _ in rng.nextUnitFloat() }
        let b = (0..<(k * n)).map { _ in rng.nextUnitFloat() }
        var out = [Float](repeating: 0, count: m * n)
        func once() {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                        Int32(m), Int32(n), Int32(k), 1, a, Int32(k), b, Int32(transposeB ? k : n), 0, &out, Int32(n))
        }
        once()
        return (0..<repeats).map { _ in 2.0 * Double(m) * Double(n) * Double(k) / time { once() } / 1e9 }
    }

    /// Streaming read (a sum over 512 MiB of floats) and copy (`memcpy` of 256 MiB, read plus
    /// written bytes counted) on 1 and 2 threads, each thread on its own half.
    static func memoryBandwidth(_ c: BenchContext) {
        let bytes = c.smoke ? 8 << 20 : 512 << 20
        let count = bytes / 4
        let source = UnsafeMutablePointer<Float>.allocate(capacity: count)
        let target = UnsafeMutablePointer<Float>.allocate(capacity: count / 2)
        defer { source.deallocate(); target.deallocate() }
        source.initialize(repeating: 1, count: count)
        target.initialize(repeating: 0, count: count / 2)
        for threads in [1, 2] {
            var sink: Float = 0
            let reads = (0..<c.repeats).map { _ in
                time {
                    var sums = [Float](repeating: 0, count: threads)
                    sums.withUnsafeMutableBufferPointer { out in
                        let o = out.baseAddress!
                        parallelFor(threads) { t in
                            let part = count / threads, start = source + t * part
                            var s0 = SIMD8<Float>(), s1 = SIMD8<Float>()
                            var k = 0
                            while k + 16 <= part {
                                s0 += UnsafeRawPointer(start + k).loadUnaligned(as: SIMD8<Float>.self)
                                s1 += UnsafeRawPointer(start + k + 8).loadUnaligned(as: SIMD8<Float>.self)
                                k += 16
                            }
                            o[t] = (s0 + s1).sum()
                        }
                    }
                    sink += sums.reduce(0, +)
                }
            }
            let copies = (0..<c.repeats).map { _ in
                time {
                    parallelFor(threads) { t in
                        let part = count / 2 / threads
                        memcpy(target + t * part, source + t * part, part * 4)
                    }
                }
            }
            c.report.add(BenchResult(suite: "blas", name: "memory read, \(bytes >> 20) MiB, \(threads) thread\(threads == 1 ? "" : "s")",
                                     unit: "GB/s", values: reads.map { Double(bytes) / $0 / 1e9 },
                                     extras: ["checksum": Double(sink) / Double(c.repeats)]))
            c.report.add(BenchResult(suite: "blas", name: "memory copy, \(bytes >> 21) MiB read + written, \(threads) thread\(threads == 1 ? "" : "s")",
                                     unit: "GB/s", values: copies.map { Double(bytes) / $0 / 1e9 }))
        }
    }
}
