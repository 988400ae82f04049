import Foundation
import EmbedRecKernels

/// A named, row-major Float32 parameter tensor owned by a model.
///
/// Tensors are reference types because models, optimizers and worker threads share them; the
/// storage is a raw allocation so training threads can update rows in place. Reading a tensor
/// while a training run is updating it gives unspecified values; everything else is safe.
public final class Tensor: @unchecked Sendable {
    /// What a parameter is; the trainer uses it to choose sparse or dense updates and
    /// regularisation.
    public enum Role: String, Sendable, Hashable, Codable {
        /// An embedding table: one row per user or item, updated only in the rows a batch uses.
        case embedding
        /// A bias table (one value per user or item), updated sparsely, not regularised.
        case biasTable
        /// A dense weight matrix (regularised by the weight L2 penalty).
        case weight
        /// A dense bias vector or scalar (not regularised).
        case bias
    }

    /// Which index space selects a row of a table: the trainer uses it to prefetch the rows the
    /// next batch will touch.
    public enum RowIndex: String, Sendable, Hashable, Codable {
        /// Rows are dense user indices, or dense item indices.
        case users, items
    }

    /// The parameter's name, e.g. `"user_embedding"`, stable across versions (used for saving).
    public let name: String
    /// The shape, outermost first. Embedding tables are `[rows, dimension]`.
    public let shape: [Int]
    /// What the parameter is.
    public let role: Role
    /// For tables: whether rows are users or items; nil for dense parameters.
    public let rowIndex: RowIndex?
    /// The number of elements.
    public let count: Int
    let storage: UnsafeMutablePointer<Float>

    /// Creates a zero-filled tensor.
    public init(name: String, shape: [Int], role: Role, rowIndex: RowIndex? = nil) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension")
        self.name = name; self.shape = shape; self.role = role; self.rowIndex = rowIndex
        count = shape.reduce(1, *)
        storage = FloatBuffer.allocateZeroed(count)
    }

    deinit { FloatBuffer.deallocate(storage) }

    /// Rows: `shape[0]` (1 for a scalar).
    public var rows: Int { shape.first ?? 1 }
    /// Elements per row: the product of all but the first dimension.
    public var rowLength: Int { shape.count <= 1 ? 1 : shape.dropFirst().reduce(1, *) }

    /// True for parameters updated row by row (embedding and bias tables).
    public var isSparse: Bool { role == .embedding || role == .biasTable }

    /// A copy of the values, row-major.
    public func toArray() -> [Float] { Array(UnsafeBufferPointer(start: storage, count: count)) }

    /// A copy of one row.
    /// - Precondition: `0 <= row < rows`.
    public func row(_ row: Int) -> [Float] {
        precondition(row >= 0 && row < rows, "row \(row) outside 0..<\(rows)")
        return Array(UnsafeBufferPointer(start: storage + row * rowLength, count: rowLength))
    }

    /// Element access by flat row-major index (for tests and tools, not hot paths).
    public subscript(index: Int) -> Float {
        get { precondition(index >= 0 && index < count); return storage[index] }
        set { precondition(index >= 0 && index < count); storage[index] = newValue }
    }

    /// Overwrites all values.
    /// - Throws: ``ConfigurationError/shapeMismatch(_:)`` when `values.count != count`.
    public func assign(_ values: [Float]) throws {
        guard values.count == count else {
            throw ConfigurationError.shapeMismatch("\(name): expected \(count) values, got \(values.count)")
        }
        values.withUnsafeBufferPointer { storage.update(from: $0.baseAddress!, count: count) }
    }

    /// Copies values from a tensor of the same shape.
    func assign(from other: Tensor) {
        precondition(other.count == count)
        storage.update(from: other.storage, count: count)
    }

    /// Checks that tensors of these shapes can be allocated together: no overflow in their
    /// element counts, and at most the machine's physical memory in total. Models call it before
    /// allocating, so an absurd configuration fails fast with a clear error instead of trapping.
    /// - Throws: ``ConfigurationError/invalidSetting(_:)`` naming the largest tensor.
    /// While a saved model is being opened: the bytes of tensor data its file holds. A
    /// configuration whose tensors need more cannot match the file, and is refused before
    /// anything is allocated (a few bytes of header must not buy gigabytes of memory).
    @TaskLocal static var savedBytesAvailable: Int? = nil

    static func requireAllocatable(_ tensors: [(name: String, shape: [Int])]) throws {
        var total = 0
        for (name, shape) in tensors {
            guard shape.allSatisfy({ $0 >= 0 }) else {
                throw ConfigurationError.invalidSetting("\(name) has a negative dimension in \(shape)")
            }
            var count = 1
            for extent in shape {
                let (product, overflow) = count.multipliedReportingOverflow(by: extent)
                guard !overflow else { throw ConfigurationError.invalidSetting("\(name) of shape \(shape) has more elements than Int can count") }
                count = product
            }
            let (sum, overflow) = total.addingReportingOverflow(count)
            guard !overflow else { throw ConfigurationError.invalidSetting("the model's tensors have more elements than Int can count") }
            total = sum
        }
        let memory = Double(ProcessInfo.processInfo.physicalMemory)
        let bytes = Double(total) * Double(MemoryLayout<Float>.size)
        if let available = savedBytesAvailable, bytes > Double(available) {
            throw ConfigurationError.invalidSetting(
                "the configuration's tensors need \(Int(bytes)) bytes, but the file holds only \(available) bytes of tensor data")
        }
        guard bytes <= memory else {
            let largest = tensors.max { a, b in
                a.shape.reduce(1.0) { $0 * Double($1) } < b.shape.reduce(1.0) { $0 * Double($1) }
            }!
            throw ConfigurationError.invalidSetting(String(
                format: "the model's tensors need %.1f GiB (largest: %@ %@), more than this machine's %.1f GiB of memory",
                bytes / 1_073_741_824, largest.name, "\(largest.shape)", memory / 1_073_741_824))
        }
    }

    /// True when no value is NaN or infinite: `x − x` is 0 for finite x and NaN otherwise, so
    /// one vector accumulation checks 16 values per step.
    var allFinite: Bool {
        var acc = SIMD16<Float>(repeating: 0)
        let p = UnsafeRawPointer(storage)
        let vectors = count / 16
        for v in 0..<vectors {
            let x = p.loadUnaligned(fromByteOffset: v * 64, as: SIMD16<Float>.self)
            acc += x - x
        }
        var tail: Float = 0
        for k in (vectors * 16)..<count { tail += storage[k] - storage[k] }
        return acc.sum() == 0 && tail == 0
    }

    /// A deep copy.
    public func copy() -> Tensor {
        let t = Tensor(name: name, shape: shape, role: role, rowIndex: rowIndex)
        t.assign(from: self)
        return t
    }
}
