import Testing
@testable import EmbedRec

/// NDCG@K with the log₂ discount, DCG = Σ_{hits at rank i} 1/log₂(i + 1), normalised by the
/// ideal DCG of min(K, |R|) hits; literal values worked out by hand (1/log₂3 = 0.63093,
/// 1/log₂5 = 0.43068, ...).
@Suite("NDCG and IDCG known answers")
struct RankingKnownAnswerTests {
    static func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-12 }

    /// 1/log₂(r + 1) for r = 1…6.
    static let discounts: [Double] = [1, 0.6309297535714575, 0.5, 0.43067655807339306, 0.38685280723454163,
                                      0.3562071871080222]

    @Test("a single relevant item at rank r scores 1/log₂(r + 1)", arguments: 1...6)
    func singleHitDiscount(rank: Int) throws {
        // Items 0…5 recommended in order; only item rank−1 is relevant (|R| = 1, IDCG = 1).
        let m = try RankingMetrics(recommended: [[0, 1, 2, 3, 4, 5]], relevant: [[Int32(rank - 1)]], k: 6, catalogueSize: 6)
        #expect(Self.close(m.ndcg, Self.discounts[rank - 1]), "rank \(rank): NDCG \(m.ndcg)")
        #expect(Self.close(m.map, 1 / Double(rank)))
    }

    @Test("more relevant items than K: IDCG counts only K of them")
    func idealDCGIsCutAtK() throws {
        // K = 3, |R| = 5, hits at ranks 1 and 3: DCG = 1 + 0.5 = 1.5, IDCG = 1 + 0.63093 + 0.5
        // = 2.13093 (3 ranks, not 5) → 0.7039180890341347. AP = (1/1 + 2/3) / 3 = 5/9.
        let a = try RankingMetrics(recommended: [[10, 99, 12]], relevant: [[10, 11, 12, 13, 14]], k: 3, catalogueSize: 100)
        #expect(Self.close(a.ndcg, 0.7039180890341347), "\(a.ndcg)")
        #expect(Self.close(a.map, 5.0 / 9))
        // K = 2, |R| = 10, hit at rank 2 only: 0.63093 / (1 + 0.63093) = 0.38685280723454163.
        let b = try RankingMetrics(recommended: [[99, 3]], relevant: [Set(0..<10)], k: 2, catalogueSize: 100)
        #expect(Self.close(b.ndcg, 0.38685280723454163), "\(b.ndcg)")
        // K = 4, |R| = 6, hits at 1, 2, 4: (1 + 0.63093 + 0.43068) / (1 + 0.63093 + 0.5 + 0.43068).
        let c = try RankingMetrics(recommended: [[0, 1, 50, 2]], relevant: [Set(0..<6)], k: 4, catalogueSize: 100)
        #expect(Self.close(c.ndcg, 0.8048099750039491), "\(c.ndcg)")
        #expect(Self.close(c.map, 2.75 / 4))
    }

    @Test("a top K made only of relevant items is perfect, however many more are relevant", arguments: [1, 2, 5])
    func fullListIsPerfect(k: Int) throws {
        let list = (0..<Int32(k)).map { $0 }
        let m = try RankingMetrics(recommended: [list], relevant: [Set(0..<20)], k: k, catalogueSize: 20)
        #expect(Self.close(m.ndcg, 1), "K \(k): NDCG \(m.ndcg)")
        #expect(Self.close(m.map, 1) && Self.close(m.precision, 1))
    }
}
