import Testing
@testable import EmbedRec

/// `randomSplit` puts round(count · testFraction) rows in the test set, rounding halves away
/// from zero (Swift's `rounded()`), and the rest in training: exact counts, worked by hand.
@Suite("Random split row counts")
struct SplitCountTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let count: Int
        let fraction: Double
        let test: Int
        var testDescription: String { "\(count) rows × \(fraction) → \(test) test rows" }
    }

    static let cases: [Case] = [
        Case(count: 10, fraction: 0.25, test: 3),    // 2.5 → 3 (a half rounds up, not to even)
        Case(count: 9, fraction: 0.5, test: 5),      // 4.5 → 5
        Case(count: 5, fraction: 0.1, test: 1),      // 0.5 → 1
        Case(count: 4, fraction: 0.1, test: 0),      // 0.4 → 0: an empty test set
        Case(count: 7, fraction: 0.3, test: 2),      // 2.1 → 2
        Case(count: 7, fraction: 0.9, test: 6),      // 6.3 → 6
        Case(count: 3, fraction: 0.5, test: 2),      // 1.5 → 2
        Case(count: 1_000, fraction: 0.2, test: 200),
        Case(count: 1_001, fraction: 0.2, test: 200), // 200.2 → 200
        Case(count: 1_003, fraction: 0.2, test: 201), // 200.6 → 201
    ]

    static func dataset(rows: Int) throws -> RatingsDataset {
        // Distinct (user, item) pairs: 13 items per user.
        let users = (0..<rows).map { Int64($0 / 13) }, items = (0..<rows).map { Int64($0 % 13) }
        return try RatingsDataset(rawUsers: (users).map(RawID.integer), rawItems: (items).map(RawID.integer), ratings: (0..<rows).map { Float($0 % 5 + 1) })
    }

    @Test("test and train row counts", arguments: cases)
    func exactCounts(_ c: Case) throws {
        let data = try Self.dataset(rows: c.count)
        for seed in [1, 2, 3] as [UInt64] {
            let split = try data.randomSplit(testFraction: c.fraction, seed: seed)
            #expect(split.test.count == c.test, "seed \(seed)")
            #expect(split.train.count == c.count - c.test, "seed \(seed)")
            // Together they are the data set, each row once.
            let rows = (split.train.rawRows + split.test.rawRows).sorted()
            #expect(rows == data.sortedRawRows, "seed \(seed)")
        }
    }
}
