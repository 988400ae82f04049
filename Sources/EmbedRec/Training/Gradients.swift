/// The gradient of one parameter tensor for one mini-batch.
///
/// Embedding and bias tables accumulate into *touched rows only*: the first touch of a row in
/// a batch gives it a zeroed slot, later touches add to the same slot (scatter-add), and the
/// optimizer then updates just those rows. Dense parameters accumulate into a full buffer.
public final class ParameterGradient: @unchecked Sendable {
    /// The parameter this gradient belongs to.
    public let tensor: Tensor
    let rowLength: Int
    /// Dense gradient buffer (dense parameters) or slot storage (sparse ones).
    let values: UnsafeMutablePointer<Float>
    /// For sparse parameters: the slot of each table row in this batch, or -1.
    private let slotOfRow: UnsafeMutablePointer<Int32>
    /// For sparse parameters: the touched rows, in first-touch order.
    private(set) var touchedRows: UnsafeMutablePointer<Int32>
    private(set) var touchedCount = 0
    private let slotCapacity: Int
    private let valuesCapacity: Int

    init(tensor: Tensor, maxRowsPerBatch: Int) {
        self.tensor = tensor
        rowLength = tensor.rowLength
        if tensor.isSparse {
            slotOfRow = .allocate(capacity: tensor.rows)
            slotOfRow.initialize(repeating: -1, count: tensor.rows)
            slotCapacity = max(1, min(maxRowsPerBatch, tensor.rows))
            valuesCapacity = slotCapacity * rowLength
        } else {
            slotOfRow = .allocate(capacity: 1)
            slotCapacity = 0
            valuesCapacity = tensor.count
        }
        touchedRows = .allocate(capacity: max(slotCapacity, 1))
        values = .allocate(capacity: max(valuesCapacity, 1))
        values.initialize(repeating: 0, count: max(valuesCapacity, 1))
    }

    deinit {
        slotOfRow.deallocate(); touchedRows.deallocate(); values.deallocate()
    }

    /// The gradient row for table row `row`, zeroed on first touch in this batch.
    /// Sparse parameters only. The slot capacity is the batch's row budget.
    @inline(__always)
    public func row(_ row: Int32) -> UnsafeMutablePointer<Float> {
        let slot = slotOfRow[Int(row)]
        if slot >= 0 { return values + Int(slot) * rowLength }
        let newSlot = touchedCount
        precondition(newSlot < slotCapacity, "more rows touched than the batch size allows")
        slotOfRow[Int(row)] = Int32(newSlot)
        touchedRows[newSlot] = row
        touchedCount += 1
        let p = values + newSlot * rowLength
        p.initialize(repeating: 0, count: rowLength)
        return p
    }

    /// The full gradient buffer of a dense parameter (zeroed at the start of each batch).
    @inline(__always)
    public var dense: UnsafeMutablePointer<Float> { values }

    /// Forgets this batch's gradient.
    func reset() {
        if tensor.isSparse {
            for k in 0..<touchedCount { slotOfRow[Int(touchedRows[k])] = -1 }
            touchedCount = 0
        } else {
            values.update(repeating: 0, count: valuesCapacity)
        }
    }
}

/// The gradients of all of a model's parameters for one mini-batch, index-aligned with
/// ``Model/parameters``.
public final class GradientSet: @unchecked Sendable {
    /// One gradient per parameter, in the model's parameter order.
    public let parameters: [ParameterGradient]

    init(model: any Model, maxBatch: Int) {
        parameters = model.parameters.map { ParameterGradient(tensor: $0, maxRowsPerBatch: maxBatch) }
    }

    /// The gradient of parameter `index`.
    @inline(__always)
    public subscript(index: Int) -> ParameterGradient { parameters[index] }

    func reset() { for p in parameters { p.reset() } }
}
