import EmbedRecKernels

/// The gradient of one parameter tensor for one mini-batch.
///
/// Embedding and bias tables accumulate into *touched rows only*: the first touch of a row in
/// a batch gives it a zeroed slot, later touches add to the same slot (scatter-add), and the
/// optimizer then updates just those rows. Dense parameters accumulate into a full buffer.
final class ParameterGradient: @unchecked Sendable {
    /// The parameter this gradient belongs to.
    let tensor: Tensor
    let rowLength: Int
    /// `tensor.isSparse`, kept here so the per-batch paths never touch the shared tensor.
    let isSparse: Bool
    /// Dense gradient buffer (dense parameters) or slot storage (sparse ones).
    let values: UnsafeMutablePointer<Float>
    /// For sparse parameters, how a table row finds its slot. Direct: a table-sized index (−1 =
    /// no slot). Hashed: a small open-addressing map (keys −1 when free) sized to the batch,
    /// which stays in L1 where the direct index would miss on every example because the
    /// model's tables are far larger than the caches (see ``GradientSet``).
    private let hashed: Bool
    private let slotOfRow: UnsafeMutablePointer<Int32>
    private let slotKeys: UnsafeMutablePointer<Int32>
    private let slotValues: UnsafeMutablePointer<Int32>
    private let hashMask: Int
    private let hashShift: UInt32
    /// For sparse parameters: the touched rows, in first-touch order.
    private(set) var touchedRows: UnsafeMutablePointer<Int32>
    private(set) var touchedCount = 0
    private let slotCapacity: Int
    private let valuesCapacity: Int

    init(tensor: Tensor, maxRowsPerBatch: Int, hashed: Bool) {
        self.tensor = tensor
        rowLength = tensor.rowLength
        isSparse = tensor.isSparse
        self.hashed = hashed && tensor.isSparse
        if tensor.isSparse {
            slotCapacity = max(1, min(maxRowsPerBatch, tensor.rows))
            valuesCapacity = slotCapacity * rowLength
        } else {
            slotCapacity = 0
            valuesCapacity = tensor.count
        }
        let indexed = tensor.isSparse && !self.hashed ? tensor.rows : 1
        slotOfRow = .allocate(capacity: indexed)
        slotOfRow.initialize(repeating: -1, count: indexed)
        // At most half full: power of two ≥ 2 × the slots.
        var bits = 1
        while self.hashed && (1 << bits) < 2 * max(slotCapacity, 1) { bits += 1 }
        hashMask = (1 << bits) - 1
        hashShift = UInt32(32 - bits)
        slotKeys = .allocate(capacity: hashMask + 1)
        slotKeys.initialize(repeating: -1, count: hashMask + 1)
        slotValues = .allocate(capacity: hashMask + 1)
        slotValues.initialize(repeating: 0, count: hashMask + 1)
        touchedRows = .allocate(capacity: max(slotCapacity, 1))
        values = .allocate(capacity: max(valuesCapacity, 1))
        values.initialize(repeating: 0, count: max(valuesCapacity, 1))
    }

    deinit {
        slotOfRow.deallocate(); slotKeys.deallocate(); slotValues.deallocate()
        touchedRows.deallocate(); values.deallocate()
    }

    /// The gradient row for table row `row`, zeroed on first touch in this batch.
    /// Sparse parameters only. The slot capacity is the batch's row budget.
    @inline(__always)
    func row(_ row: Int32) -> UnsafeMutablePointer<Float> {
        var h = 0
        if hashed {
            // Fibonacci hashing, linear probing.
            h = Int((UInt32(bitPattern: row) &* 2_654_435_769) >> hashShift) & hashMask
            while true {
                let key = slotKeys[h]
                if key == row { return values + Int(slotValues[h]) * rowLength }
                if key < 0 { break }
                h = (h &+ 1) & hashMask
            }
        } else {
            let slot = slotOfRow[Int(row)]
            if slot >= 0 { return values + Int(slot) * rowLength }
        }
        let newSlot = touchedCount
        precondition(newSlot < slotCapacity, "more rows touched than the batch size allows")
        if hashed {
            slotKeys[h] = row; slotValues[h] = Int32(newSlot)
        } else {
            slotOfRow[Int(row)] = Int32(newSlot)
        }
        touchedRows[newSlot] = row
        touchedCount += 1
        let p = values + newSlot * rowLength
        p.initialize(repeating: 0, count: rowLength)
        return p
    }

    /// The full gradient buffer of a dense parameter (zeroed at the start of each batch).
    @inline(__always)
    var dense: UnsafeMutablePointer<Float> { values }

    /// Forgets this batch's gradient.
    func reset() {
        if isSparse {
            if hashed {
                slotKeys.update(repeating: -1, count: hashMask + 1)
            } else {
                for k in 0..<touchedCount { slotOfRow[Int(touchedRows[k])] = -1 }
            }
            touchedCount = 0
        } else {
            values.update(repeating: 0, count: valuesCapacity)
        }
    }
}

/// The gradients of all of a model's parameters for one mini-batch, index-aligned with
/// ``Model/parameters``.
final class GradientSet: @unchecked Sendable {
    /// One gradient per parameter, in the model's parameter order.
    let parameters: [ParameterGradient]

    init(model: any TrainableModel, maxBatch: Int) {
        // Hashed slot maps once the sparse tables clearly outgrow the caches (8 MiB): then a
        // table-sized slot index misses too. Measured: BiasedMF d=50/d=100 train 6–10% faster
        // hashed, MF d=5 (1.3 MB of tables) ~3% slower, so small models keep the direct index.
        let tableBytes = model.parameters.filter(\.isSparse).reduce(0) { $0 + $1.count * MemoryLayout<Float>.size }
        let hashed = tableBytes > 8 << 20
        parameters = model.parameters.map { ParameterGradient(tensor: $0, maxRowsPerBatch: maxBatch, hashed: hashed) }
    }

    /// The gradient of parameter `index`.
    @inline(__always)
    subscript(index: Int) -> ParameterGradient { parameters[index] }

    func reset() { for p in parameters { p.reset() } }
}
