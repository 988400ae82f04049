/// A training set and a held-out set that share ID maps.
public struct TrainTestSplit: Sendable {
    /// The ratings to train on.
    public let train: RatingsDataset
    /// The held-out ratings.
    public let test: RatingsDataset

    /// Pairs two datasets; they should share ID maps (as the splitters' results do).
    public init(train: RatingsDataset, test: RatingsDataset) {
        self.train = train; self.test = test
    }
}

/// Which of a user's ratings a per-user holdout keeps back.
public enum HoldoutSelection: Sendable, Hashable {
    /// A random subset of each user's ratings, drawn with this seed.
    case random(seed: UInt64)
    /// Each user's most recent ratings by timestamp (file order when there are no timestamps;
    /// ties keep file order).
    case latest
}

extension RatingsDataset {
    /// A reproducible random split: `testFraction` of the ratings (rounded) go to the test set.
    ///
    /// The same seed gives the same split on every platform (``SeededGenerator``).
    /// - Throws: ``DatasetError/invalidArgument(_:)`` unless `0 < testFraction < 1`.
    /// - Complexity: O(n).
    public func randomSplit(testFraction: Double, seed: UInt64) throws -> TrainTestSplit {
        guard testFraction > 0, testFraction < 1 else {
            throw DatasetError.invalidArgument("testFraction must be in (0, 1), got \(testFraction)")
        }
        var order = Array(0..<count)
        var rng = SeededGenerator(seed: seed)
        rng.shuffle(&order)
        let testCount = Int((Double(count) * testFraction).rounded())
        let test = order[0..<testCount].sorted()
        let train = order[testCount...].sorted()
        return TrainTestSplit(train: subset(rows: train), test: subset(rows: test))
    }

    /// Holds back a fraction of *each user's* ratings, for ranking evaluation.
    ///
    /// Each user with at least `minimumRatings` ratings gives `max(1, round(fraction · n))` of
    /// their `n` ratings to the test set, always keeping at least one in training. Users with
    /// fewer ratings stay entirely in training.
    /// - Throws: ``DatasetError/invalidArgument(_:)`` unless `0 < fraction < 1`.
    /// - Complexity: O(n log n) for `.latest`, O(n) for `.random`.
    public func perUserHoldout(
        fraction: Double, selection: HoldoutSelection, minimumRatings: Int = 2
    ) throws -> TrainTestSplit {
        guard fraction > 0, fraction < 1 else {
            throw DatasetError.invalidArgument("fraction must be in (0, 1), got \(fraction)")
        }
        // Rows grouped by user, in file order.
        var offsets = [Int](repeating: 0, count: userCount + 1)
        for u in users { offsets[Int(u) + 1] += 1 }
        for u in 0..<userCount { offsets[u + 1] += offsets[u] }
        var cursor = offsets
        var rowsByUser = [Int](repeating: 0, count: count)
        for row in 0..<count {
            let u = Int(users[row]); rowsByUser[cursor[u]] = row; cursor[u] += 1
        }
        var isTest = [Bool](repeating: false, count: count)
        var rng: SeededGenerator? = nil
        if case .random(let seed) = selection { rng = SeededGenerator(seed: seed) }
        for u in 0..<userCount {
            let n = offsets[u + 1] - offsets[u]
            guard n >= max(2, minimumRatings) else { continue }
            let holdCount = min(n - 1, max(1, Int((Double(n) * fraction).rounded())))
            var rows = Array(rowsByUser[offsets[u]..<offsets[u + 1]])
            switch selection {
            case .random:
                rng!.shuffle(&rows)
            case .latest:
                if let ts = timestamps {
                    rows = rows.enumerated().sorted { a, b in
                        ts[a.element] != ts[b.element] ? ts[a.element] > ts[b.element] : a.offset > b.offset
                    }.map(\.element)
                } else {
                    rows.reverse()
                }
            }
            for row in rows[0..<holdCount] { isTest[row] = true }
        }
        let test = (0..<count).filter { isTest[$0] }
        let train = (0..<count).filter { !isTest[$0] }
        return TrainTestSplit(train: subset(rows: train), test: subset(rows: test))
    }

    /// K-fold cross-validation splits: the ratings are shuffled with `seed` and cut into `k`
    /// near-equal folds; split `f` tests on fold `f` and trains on the rest.
    /// - Throws: ``DatasetError/invalidArgument(_:)`` unless `2 <= k <= count`.
    public func kFold(_ k: Int, seed: UInt64) throws -> [TrainTestSplit] {
        guard k >= 2, k <= count else {
            throw DatasetError.invalidArgument("k must be in 2...\(count), got \(k)")
        }
        var order = Array(0..<count)
        var rng = SeededGenerator(seed: seed)
        rng.shuffle(&order)
        var fold = [Int](repeating: 0, count: count)
        for f in 0..<k {
            for position in (count * f / k)..<(count * (f + 1) / k) { fold[order[position]] = f }
        }
        return (0..<k).map { f in
            TrainTestSplit(
                train: subset(rows: (0..<count).filter { fold[$0] != f }),
                test: subset(rows: (0..<count).filter { fold[$0] == f }))
        }
    }
}
