import EmbedRecKernels
import Testing
@testable import EmbedRec
import COpenBLAS

/// The dot-product family's catalogue kernel (`catalogue_scoring.h`): every score is a chain of
/// fused multiply-adds in k order, so the portable, AVX2 and AVX-512 variants, every block size and every
/// micro-tile shape give the bits of a scalar `fma` loop; the filter stores exactly the groups
/// with a score above the row's threshold.
@Suite("Catalogue scoring kernel")
struct CatalogueScoringKernelTests {
    typealias Kernel = @Sendable (UnsafeMutablePointer<Float>, Int, UnsafePointer<Float>, Int, Int, UnsafePointer<Float>, Int,
                                  UnsafePointer<Float>?, UnsafeMutablePointer<UInt64>?) -> Void

    /// The variants this CPU can run.
    static let kernels: [(String, Kernel)] = {
        var result: [(String, Kernel)] = [("portable", { embedrec_score_panels_portable($0, $1, $2, $3, $4, $5, $6, $7, $8) })]
        if CPUFeatures.hasAVX2AndFMA { result.append(("avx2", { embedrec_score_panels_avx2($0, $1, $2, $3, $4, $5, $6, $7, $8) })) }
        if CPUFeatures.hasAVX512 { result.append(("avx512", { embedrec_score_panels_avx512($0, $1, $2, $3, $4, $5, $6, $7, $8) })) }
        return result
    }()

    static func table(_ rows: Int, _ width: Int, seed: UInt64) -> [Float] {
        var rng = SeededGenerator(seed: seed)
        return (0..<(rows * width)).map { _ in rng.nextUnitFloat() - 0.5 }
    }

    static func panels(of items: [Float], count: Int, width: Int) -> [Float] {
        let panelled = (count + 15) / 16 * 16 * width
        return [Float](unsafeUninitializedCapacity: panelled) { out, n in
            items.withUnsafeBufferPointer { embedrec_pack_panels(out.baseAddress!, $0.baseAddress!, count, width, width) }
            n = panelled
        }
    }

    @Test("unfiltered scores equal a scalar fused multiply-add loop, bit for bit, for every block and tile shape")
    func scoresAreTheScalarChain() {
        let width = 13, itemCount = 75, userCount = 14
        let users = Self.table(userCount, width, seed: 1), items = Self.table(itemCount, width, seed: 2)
        let panels = Self.panels(of: items, count: itemCount, width: width)
        for (name, kernel) in Self.kernels {
            for count in 1...userCount {
                for start in stride(from: 0, to: itemCount, by: 16) {
                    for m in [1, 15, 16, 17, 33, itemCount - start] where start + m <= itemCount {
                        var out = [Float](repeating: .nan, count: count * m)
                        users.withUnsafeBufferPointer { u in
                            panels.withUnsafeBufferPointer { p in
                                kernel(&out, m, u.baseAddress!, count, width, p.baseAddress! + start * width, m, nil, nil)
                            }
                        }
                        var wrong = 0
                        for r in 0..<count {
                            for j in 0..<m {
                                var expected: Float = 0 // addProduct is one fused multiply-add
                                for f in 0..<width { expected.addProduct(users[r * width + f], items[(start + j) * width + f]) }
                                if out[r * m + j].bitPattern != expected.bitPattern { wrong += 1 }
                            }
                        }
                        #expect(wrong == 0, "\(name): \(count) users, items \(start)..<\(start + m): \(wrong) scores differ")
                    }
                }
            }
        }
    }

    @Test("the filter keeps exactly the groups with a score above the row's threshold, and nothing else is written")
    func filterKeepsTheGroupsAboveTheThreshold() {
        let width = 9, itemCount = 1100, userCount = 8
        let users = Self.table(userCount, width, seed: 3), items = Self.table(itemCount, width, seed: 4)
        let panels = Self.panels(of: items, count: itemCount, width: width)
        // −∞ keeps every group; +∞ none; the others some.
        let thresholds: [Float] = [-.infinity, 0.2, 0.4, .infinity, 0, 0.3, 0.5, 0.1]
        let m = itemCount, groups = (m + 15) / 16, words = (groups + 63) / 64
        for (name, kernel) in Self.kernels {
            var all = [Float](repeating: 0, count: userCount * m)
            var kept = [Float](repeating: .nan, count: userCount * m)
            var hits = [UInt64](repeating: .max, count: userCount * words)
            users.withUnsafeBufferPointer { u in
                panels.withUnsafeBufferPointer { p in
                    kernel(&all, m, u.baseAddress!, userCount, width, p.baseAddress!, m, nil, nil)
                    kernel(&kept, m, u.baseAddress!, userCount, width, p.baseAddress!, m, thresholds, &hits)
                }
            }
            var mistakes: [String] = []
            for r in 0..<userCount {
                for g in 0..<groups {
                    let range = (g * 16)..<min(m, g * 16 + 16)
                    let above = range.contains { all[r * m + $0] > thresholds[r] }
                    let flagged = hits[r * words + g / 64] >> UInt64(g % 64) & 1 == 1
                    if above != flagged { mistakes.append("row \(r) group \(g): above \(above), flagged \(flagged)") }
                    let stored = range.allSatisfy { kept[r * m + $0].bitPattern == all[r * m + $0].bitPattern }
                    let untouched = range.allSatisfy { kept[r * m + $0].isNaN }
                    if flagged ? !stored : !untouched { mistakes.append("row \(r) group \(g): written \(!untouched)") }
                }
                for g in groups..<(words * 64) where hits[r * words + g / 64] >> UInt64(g % 64) & 1 == 1 {
                    mistakes.append("row \(r): bit \(g) beyond the tile")
                }
            }
            #expect(mistakes.isEmpty, "\(name): \(mistakes.prefix(5))")
            #expect(hits[0] == .max && hits[3 * words] == 0, "\(name): a −∞ row keeps all, a +∞ row none")
        }
    }

    @Test("top-K through the filtered kernel equals top-K of the unfiltered scores (MF, BiasedMF, every tile seam)")
    func filteredTopKEqualsUnfiltered() throws {
        let data = try SyntheticRatings.generate(.init(users: 90, items: 333, ratings: 1_100, seed: 9))
        for model in [try MatrixFactorization(for: data, configuration: .init(dimension: 7)) as any Model,
                      try BiasedMF(for: data, configuration: .init(dimension: 6))] {
            let reference = try TopKScorer(model: model, training: data, tileSize: 13) // not filtered: odd tiles
            let expected = try reference.recommendAll(options: .init(k: 10))
            for tileSize in [16, 48, 1024] {
                let scorer = try TopKScorer(model: model, training: data, blockSize: 7, tileSize: tileSize)
                let got = try scorer.recommendAll(options: .init(k: 10))
                #expect(got.items == expected.items && got.rankingScores == expected.rankingScores,
                        "\(model.summary), tile \(tileSize)")
            }
        }
    }
}
