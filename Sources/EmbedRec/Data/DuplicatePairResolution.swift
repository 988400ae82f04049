/// Applies a ``RatingsFileFormat/DuplicatePairs`` policy to a loaded dataset.
///
/// Rows are grouped by user with a stable counting sort (file order kept within a user), and a
/// per-item stamp of the last user seen finds a repeated pair in O(1): O(rows + users + items)
/// time, and no copy at all when the file has no repeated pair (the common case).
extension RatingsDataset {
    /// The dataset with `policy` applied; the ID maps are unchanged (a merged pair keeps one
    /// row, so no user or item disappears).
    ///
    /// - Parameter lineOfRow: the file line of a row, for the error of `.reject`.
    /// - Throws: ``RatingsFileError`` `.duplicatePair` with `.reject`.
    func resolvingDuplicatePairs(
        _ policy: RatingsFileFormat.DuplicatePairs, file: String, lineOfRow: (Int) -> Int
    ) throws -> RatingsDataset {
        let n = count
        guard policy != .keepAll, n > 1 else { return self }
        if hasNoRepeatedPairInRuns() { return self }
        var offsets = [Int](repeating: 0, count: userCount + 1)
        for u in users { offsets[Int(u) + 1] += 1 }
        for u in 0..<userCount { offsets[u + 1] += offsets[u] }
        var order = [Int32](repeating: 0, count: n)
        var cursor = offsets
        for r in 0..<n {
            let u = Int(users[r])
            order[cursor[u]] = Int32(r); cursor[u] += 1
        }
        var lastUser = [Int32](repeating: -1, count: itemCount)
        var keptRow = [Int32](repeating: 0, count: itemCount)
        var dropped: [Bool] = []
        var newRatings = ratings, newTimes = timestamps
        // For .average: the running sum and count of each kept row that absorbed others.
        var sums: [Int32: (sum: Double, count: Int)] = [:]
        for u in 0..<userCount {
            for k in offsets[u]..<offsets[u + 1] {
                let r = order[k], i = Int(items[Int(r)])
                guard lastUser[i] == Int32(u) else {
                    lastUser[i] = Int32(u); keptRow[i] = r
                    continue
                }
                let first = keptRow[i]
                if dropped.isEmpty { dropped = [Bool](repeating: false, count: n) }
                switch policy {
                case .reject:
                    throw RatingsFileError(file: file, line: lineOfRow(Int(r)), kind: .duplicatePair(
                        user: userIDs.rawID(atChecked: Int32(u)), item: itemIDs.rawID(atChecked: Int32(i)), firstLine: lineOfRow(Int(first))))
                case .keepLast:
                    dropped[Int(first)] = true
                    keptRow[i] = r
                case .average:
                    dropped[Int(r)] = true
                    let running = sums[first] ?? (Double(ratings[Int(first)]), 1)
                    let merged = (running.sum + Double(ratings[Int(r)]), running.count + 1)
                    sums[first] = merged
                    newRatings[Int(first)] = Float(merged.0 / Double(merged.1))
                    if let t = timestamps { newTimes![Int(first)] = max(newTimes![Int(first)], t[Int(r)]) }
                case .keepAll:
                    break
                }
            }
        }
        guard !dropped.isEmpty else { return self }
        let kept = (0..<n).filter { !dropped[$0] }
        return RatingsDataset(
            unchecked: kept.map { users[$0] }, kept.map { items[$0] }, kept.map { newRatings[$0] },
            newTimes.map { t in kept.map { t[$0] } }, userIDs, itemIDs)
    }

    /// True when each user's rows are contiguous (files are usually written user by user),
    /// or each item's (MovieLens 1M as distributed here is sorted by item), and no run holds a
    /// pair twice: then there is nothing to resolve, found in one pass in file order with no
    /// sort. False sends the caller to the general grouping.
    private func hasNoRepeatedPairInRuns() -> Bool {
        Self.noRepeatInRuns(of: users, keyCount: userCount, other: items, otherCount: itemCount)
            || Self.noRepeatInRuns(of: items, keyCount: itemCount, other: users, otherCount: userCount)
    }

    /// Whether `keys` comes in runs, one per key, within which no `other` value repeats.
    private static func noRepeatInRuns(of keys: [Int32], keyCount: Int, other: [Int32], otherCount: Int) -> Bool {
        var runOfOther = [Int32](repeating: -1, count: otherCount)
        var keySeen = [Bool](repeating: false, count: keyCount)
        return keys.withUnsafeBufferPointer { keys in
            other.withUnsafeBufferPointer { other in
                runOfOther.withUnsafeMutableBufferPointer { runOfOther in
                    keySeen.withUnsafeMutableBufferPointer { keySeen in
                        var run: Int32 = -1, current: Int32 = -1
                        for r in 0..<keys.count {
                            let key = keys[r]
                            if key != current {
                                // A key met again after other keys' rows: not in runs.
                                if keySeen[Int(key)] { return false }
                                keySeen[Int(key)] = true
                                current = key; run &+= 1
                            }
                            let o = Int(other[r])
                            if runOfOther[o] == run { return false }
                            runOfOther[o] = run
                        }
                        return true
                    }
                }
            }
        }
    }
}
