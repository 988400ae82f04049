import COpenBLAS
import EmbedRec
import Foundation

/// Plain OpenBLAS sgemm rates for the shapes EmbedRec uses: the ceiling for scoring.
enum BLASSuite {
    static func run(_ c: BenchContext) {
        let shapes: [(String, Int, Int, Int, Bool)] = c.smoke
            ? [("64×256×50", 64, 256, 50, true)]
            : [("2048×2048×2048", 2048, 2048, 2048, false),
               ("1024×10000×50 (Bᵀ)", 1024, 10_000, 50, true),
               ("256×10000×52 (Bᵀ, scorer block)", 256, 10_000, 52, true)]
        let original = BLASThreading.openBLASThreads
        for threads in [original, 1] where threads >= 1 {
            BLASThreading.setOpenBLASThreads(threads)
            for (name, m, n, k, transB) in shapes {
                var rng = SeededGenerator(seed: 1)
                let a = (0..<(m * k)).map { _ in rng.nextUnitFloat() }
                let b = (0..<(k * n)).map { _ in rng.nextUnitFloat() }
                var out = [Float](repeating: 0, count: m * n)
                func once() {
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                                Int32(m), Int32(n), Int32(k), 1, a, Int32(k), b, Int32(transB ? k : n), 0, &out, Int32(n))
                }
                once()
                let seconds = (0..<c.repeats).map { _ in time { once() } }
                let gflops = seconds.map { 2.0 * Double(m) * Double(n) * Double(k) / $0 / 1e9 }
                c.report.add(BenchResult(suite: "blas", name: "sgemm \(name), \(threads) OpenBLAS thread\(threads == 1 ? "" : "s")",
                                         unit: "GFLOP/s", values: gflops))
            }
            if original == 1 { break }
        }
        BLASThreading.setOpenBLASThreads(original)
    }
}
