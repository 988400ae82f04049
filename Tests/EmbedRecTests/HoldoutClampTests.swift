import Testing
@testable import EmbedRec

/// `perUserHoldout` holds back `max(1, round(fraction·n))` of a user's n ratings but never all
/// of them: at least one stays in training. The clamp only acts when round(fraction·n) ≥ n,
/// i.e. for users with few ratings and a large fraction (n = 2 from 0.75, n = 3 from 5/6, ...).
@Suite("Per-user holdout keeps a training rating")
struct HoldoutClampTests {
    /// Users 1…5 with 1, 2, 3, 4 and 2 ratings, on distinct items, interleaved in file order.
    static func fewRatings(timestamps: Bool) throws -> RatingsDataset {
        let users: [Int64] = [1, 2, 3, 4, 2, 3, 4, 5, 3, 4, 4, 5]
        let items: [Int64] = [10, 20, 30, 40, 21, 31, 41, 50, 32, 42, 43, 51]
        // Timestamps run against file order for users 2–5, so `.latest` differs from file order.
        let times: [Int64] = [100, 90, 80, 70, 60, 50, 40, 30, 20, 10, 5, 1]
        return try RatingsDataset(
            rawUsers: (users).map(RawID.integer), rawItems: (items).map(RawID.integer), ratings: [Float](repeating: 3, count: users.count),
            timestamps: timestamps ? times : nil)
    }

    /// Held-out items per raw user.
    static func testItems(_ split: TrainTestSplit) -> [RawID: Set<RawID>] {
        var result: [RawID: Set<RawID>] = [:]
        for row in split.test.rawRows { result[row.user, default: []].insert(row.item) }
        return result
    }

    static func trainItems(_ split: TrainTestSplit) -> [RawID: Set<RawID>] {
        var result: [RawID: Set<RawID>] = [:]
        for row in split.train.rawRows { result[row.user, default: []].insert(row.item) }
        return result
    }

    @Test("fraction 0.9, latest in file order: every user keeps exactly their first rating", arguments: [0.9, 0.99])
    func largeFractionKeepsFirstRating(_ fraction: Double) throws {
        let data = try Self.fewRatings(timestamps: false)
        let split = try data.perUserHoldout(fraction: fraction, selection: .latest)
        // round(0.9·n) = n for n = 2, 3, 4: clamped to n − 1; user 1 (one rating) stays whole.
        #expect(Self.trainItems(split) == [1: [10], 2: [20], 3: [30], 4: [40], 5: [50]])
        #expect(Self.testItems(split) == [2: [21], 3: [31, 32], 4: [41, 42, 43], 5: [51]])
        #expect(split.train.count == 5 && split.test.count == 7)
    }

    @Test("fraction 0.9, latest by timestamp: every user keeps exactly their oldest rating")
    func largeFractionKeepsOldestRating() throws {
        let data = try Self.fewRatings(timestamps: true)
        let split = try data.perUserHoldout(fraction: 0.9, selection: .latest)
        #expect(Self.trainItems(split) == [1: [10], 2: [21], 3: [32], 4: [43], 5: [51]])
        #expect(Self.testItems(split) == [2: [20], 3: [30, 31], 4: [40, 41, 42], 5: [50]])
    }

    @Test("fraction 0.75: two-rating users give one, larger users are not clamped")
    func clampOnlyWhereNeeded() throws {
        let data = try Self.fewRatings(timestamps: false)
        let split = try data.perUserHoldout(fraction: 0.75, selection: .latest)
        // n = 2: round(1.5) = 2 → clamped to 1. n = 3: round(2.25) = 2. n = 4: round(3) = 3.
        let perUser = split.test.ratingsPerUser()
        let index = { (raw: Int64) in data.userIDs.index(of: .integer(raw))!.offset }
        #expect(perUser[index(1)] == 0 && perUser[index(2)] == 1 && perUser[index(3)] == 2
                && perUser[index(4)] == 3 && perUser[index(5)] == 1, "\(perUser)")
        #expect(split.train.ratingsPerUser().allSatisfy { $0 >= 1 })
    }

    @Test("random selection with fraction 0.9: n − 1 held out, one kept, for many seeds", arguments: [1, 2, 3, 4] as [UInt64])
    func randomSelectionClamps(_ seed: UInt64) throws {
        var rng = SeededGenerator(seed: 100 + seed)
        var users: [Int64] = [], items: [Int64] = []
        for u in 1...60 {
            let n = 1 + rng.nextInt(below: 4)   // 1…4 ratings
            for i in 0..<n { users.append(Int64(u)); items.append(Int64(u * 10 + i)) }
        }
        let data = try RatingsDataset(rawUsers: (users).map(RawID.integer), rawItems: (items).map(RawID.integer), ratings: [Float](repeating: 4, count: users.count))
        let split = try data.perUserHoldout(fraction: 0.9, selection: .random(seed: seed), minimumRatings: 1)
        let all = data.ratingsPerUser(), train = split.train.ratingsPerUser(), test = split.test.ratingsPerUser()
        #expect(all.contains(1) && all.contains(2))
        for u in 0..<data.userCount {
            // Users with one rating are never held out, even with minimumRatings 1.
            #expect(train[u] == 1, "user \(u) with \(all[u]) ratings keeps \(train[u]) in training")
            #expect(test[u] == all[u] - 1)
        }
    }
}
