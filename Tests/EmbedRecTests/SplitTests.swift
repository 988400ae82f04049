import Foundation
import Testing
@testable import EmbedRec

@Suite("Dataset splits")
struct SplitTests {
    /// A dataset with varied activity per user, distinct timestamps in shuffled file order.
    static func timedDataset(seed: UInt64 = 5) throws -> RatingsDataset {
        var rng = SeededGenerator(seed: seed)
        var users: [Int64] = [], items: [Int64] = [], ratings: [Float] = []
        for u in 1...120 {
            let n = u % 10 == 0 ? 1 : 2 + rng.nextInt(below: 40)  // some users with one rating
            var chosen = Set<Int64>()
            while chosen.count < n { chosen.insert(Int64(1 + rng.nextInt(below: 300))) }
            for i in chosen.sorted() {
                users.append(Int64(u * 3)); items.append(i); ratings.append(Float(1 + rng.nextInt(below: 5)))
            }
        }
        var timestamps = (0..<users.count).map { Int64(1_000_000 + $0 * 17) }
        rng.shuffle(&timestamps)
        var order = Array(users.indices)
        rng.shuffle(&order)
        return try RatingsDataset(
            rawUsers: order.map { .integer(users[$0]) }, rawItems: order.map { .integer(items[$0]) },
            ratings: order.map { ratings[$0] }, timestamps: order.map { timestamps[$0] })
    }

    func checkPartition(_ split: TrainTestSplit, of data: RatingsDataset, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(split.train.count + split.test.count == data.count, sourceLocation: sourceLocation)
        #expect((split.train.rawRows + split.test.rawRows).sorted() == data.sortedRawRows, sourceLocation: sourceLocation)
        // Rows are distinct (one rating per user–item pair), so disjoint pairs mean disjoint rows.
        let trainPairs = Set(split.train.rawRows.map { [$0.user, $0.item] })
        let testPairs = Set(split.test.rawRows.map { [$0.user, $0.item] })
        #expect(trainPairs.isDisjoint(with: testPairs), sourceLocation: sourceLocation)
        #expect(split.train.userIDs == data.userIDs && split.test.userIDs == data.userIDs, sourceLocation: sourceLocation)
        #expect(split.train.itemIDs == data.itemIDs && split.test.itemIDs == data.itemIDs, sourceLocation: sourceLocation)
    }

    @Test("randomSplit: sizes, partition, determinism")
    func randomSplit() throws {
        let data = try Self.timedDataset()
        let split = try data.randomSplit(testFraction: 0.2, seed: 1)
        #expect(split.test.count == Int((Double(data.count) * 0.2).rounded()))
        checkPartition(split, of: data)
        #expect(split.test.timestamps != nil)

        let again = try data.randomSplit(testFraction: 0.2, seed: 1)
        #expect(again.test.rawRows == split.test.rawRows)
        #expect(again.train.rawRows == split.train.rawRows)
        let other = try data.randomSplit(testFraction: 0.2, seed: 2)
        #expect(other.test.count == split.test.count)
        #expect(Set(other.test.rawRows) != Set(split.test.rawRows))
        // Rows keep their file order within each side.
        let position = Dictionary(uniqueKeysWithValues: data.rawRows.enumerated().map { ($1, $0) })
        let testPositions = split.test.rawRows.map { position[$0]! }
        #expect(testPositions == testPositions.sorted())
    }

    @Test("randomSplit rejects fractions outside (0, 1)", arguments: [0, 1, -0.1, 1.5, Double.nan])
    func randomSplitInvalid(_ fraction: Double) throws {
        let data = try Self.timedDataset()
        #expect(throws: DatasetError.self) { try data.randomSplit(testFraction: fraction, seed: 1) }
        #expect(throws: DatasetError.self) { try data.perUserHoldout(fraction: fraction, selection: .latest) }
    }

    @Test("perUserHoldout(.random): per-user counts, ≥1 training rating, determinism")
    func holdoutRandom() throws {
        let data = try Self.timedDataset()
        let fraction = 0.25
        let split = try data.perUserHoldout(fraction: fraction, selection: .random(seed: 3), minimumRatings: 5)
        checkPartition(split, of: data)
        let all = data.ratingsPerUser(), train = split.train.ratingsPerUser(), test = split.test.ratingsPerUser()
        for u in 0..<data.userCount {
            let n = all[u]
            let expected = n < 5 ? 0 : min(n - 1, max(1, Int((Double(n) * fraction).rounded())))
            #expect(test[u] == expected, "user \(u) with \(n) ratings")
            #expect(train[u] >= 1)
        }
        #expect(all.contains(1) && all.contains { $0 >= 2 && $0 < 5 })  // the edge cases occur

        let again = try data.perUserHoldout(fraction: fraction, selection: .random(seed: 3), minimumRatings: 5)
        #expect(again.test.rawRows == split.test.rawRows)
        let other = try data.perUserHoldout(fraction: fraction, selection: .random(seed: 4), minimumRatings: 5)
        #expect(Set(other.test.rawRows) != Set(split.test.rawRows))
        #expect(other.test.count == split.test.count)
    }

    @Test("perUserHoldout(.latest) holds back each user's newest ratings")
    func holdoutLatest() throws {
        let data = try Self.timedDataset()
        let split = try data.perUserHoldout(fraction: 0.2, selection: .latest)
        checkPartition(split, of: data)
        var newestTrain = [RawID: Int64](), oldestTest = [RawID: Int64]()
        for row in split.train.rawRows { newestTrain[row.user] = max(newestTrain[row.user] ?? .min, row.timestamp!) }
        for row in split.test.rawRows { oldestTest[row.user] = min(oldestTest[row.user] ?? .max, row.timestamp!) }
        #expect(!oldestTest.isEmpty)
        for (user, oldest) in oldestTest { #expect(oldest > newestTrain[user]!, "user \(user)") }
        let all = data.ratingsPerUser(), test = split.test.ratingsPerUser(), train = split.train.ratingsPerUser()
        for u in 0..<data.userCount {
            #expect(train[u] >= 1)
            #expect(test[u] == (all[u] < 2 ? 0 : min(all[u] - 1, max(1, Int((Double(all[u]) * 0.2).rounded())))))
        }
    }

    @Test("perUserHoldout(.latest) without timestamps takes the last rows in file order")
    func holdoutLatestFileOrder() throws {
        let data = try RatingsDataset(
            rawUsers: ([1, 1, 2, 1, 2, 2, 1]).map(RawID.integer), rawItems: ([10, 11, 10, 12, 13, 14, 15]).map(RawID.integer), ratings: [1, 2, 3, 4, 5, 1, 2])
        let split = try data.perUserHoldout(fraction: 0.5, selection: .latest)
        // User 1 has 4 ratings → 2 held out (items 12, 15); user 2 has 3 → 2 (items 13, 14).
        #expect(Set(split.test.rawRows.map { [$0.user, $0.item] }) == [[1, 12], [1, 15], [2, 13], [2, 14]])
        #expect(split.train.rawRows.map(\.item) == [10, 11, 10])
    }

    @Test("kFold: test folds partition the data, each train is the complement")
    func kFold() throws {
        let data = try Self.timedDataset()
        let folds = try data.kFold(5, seed: 9)
        #expect(folds.count == 5)
        var allTest: [RawRow] = []
        for fold in folds {
            checkPartition(fold, of: data)
            #expect(abs(fold.test.count - data.count / 5) <= 1)
            allTest += fold.test.rawRows
        }
        #expect(allTest.sorted() == data.sortedRawRows)  // every row tested exactly once
        let again = try data.kFold(5, seed: 9)
        #expect(zip(folds, again).allSatisfy { $0.test.rawRows == $1.test.rawRows })
        let other = try data.kFold(5, seed: 10)
        #expect(Set(other[0].test.rawRows) != Set(folds[0].test.rawRows))
    }

    @Test("kFold rejects k outside 2...count")
    func kFoldInvalid() throws {
        let data = try RatingsDataset(rawUsers: ([1, 2, 3]).map(RawID.integer), rawItems: ([1, 1, 2]).map(RawID.integer), ratings: [1, 2, 3])
        for k in [-1, 0, 1, 4] {
            #expect(throws: DatasetError.self) { try data.kFold(k, seed: 1) }
        }
        #expect(try data.kFold(3, seed: 1).map(\.test.count) == [1, 1, 1])
    }

    @Test("loadPair shares ID maps built from both files")
    func loadPair() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let trainPath = dir.appendingPathComponent("u1.base").path
        let testPath = dir.appendingPathComponent("u1.test").path
        try Data("1\t10\t5\t100\n2\t20\t3\t101\n1\t30\t4\t102\n".utf8).write(to: URL(fileURLWithPath: trainPath))
        try Data("2\t10\t2\t103\n3\t99\t1\t104\n".utf8).write(to: URL(fileURLWithPath: testPath))
        let (train, test) = try RatingsLoader.loadPair(trainPath: trainPath, testPath: testPath, format: .movieLens100K)
        #expect(train.count == 3 && test.count == 2)
        #expect(train.userIDs == test.userIDs && train.itemIDs == test.itemIDs)
        #expect(train.userIDs.integerRawIDs! == [1, 2, 3])  // user 3 only in the test file
        #expect(train.itemIDs.integerRawIDs! == [10, 20, 30, 99])  // item 99 only in the test file
        #expect(train.rawRows == [RawRow(user: 1, item: 10, rating: 5, timestamp: 100),
                                  RawRow(user: 2, item: 20, rating: 3, timestamp: 101),
                                  RawRow(user: 1, item: 30, rating: 4, timestamp: 102)])
        #expect(test.rawRows == [RawRow(user: 2, item: 10, rating: 2, timestamp: 103),
                                 RawRow(user: 3, item: 99, rating: 1, timestamp: 104)])
        #expect(train.ratingsPerUser() == [2, 1, 0])

        // Errors name the file they come from.
        try Data("2\t10\tbad\t103\n".utf8).write(to: URL(fileURLWithPath: testPath))
        expectFileError(file: testPath, line: 1, kind: .notANumber(column: 2, text: "bad")) {
            _ = try RatingsLoader.loadPair(trainPath: trainPath, testPath: testPath, format: .movieLens100K)
        }
    }
}
