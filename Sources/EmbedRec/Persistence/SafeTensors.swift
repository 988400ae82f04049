import Foundation

/// The safetensors container (https://github.com/huggingface/safetensors): an 8-byte
/// little-endian header length N, N bytes of JSON header, then the tensors' bytes.
///
/// The header maps each tensor name to `{"dtype", "shape", "data_offsets": [begin, end]}`
/// (offsets relative to the start of the data) plus an optional `"__metadata__"` string map.
/// Writing follows the reference layout: tensors ordered by alignment (8-byte types first)
/// then name, data contiguous with no holes, the header padded with spaces so the data starts on
/// an 8-byte boundary. Reading accepts any valid file and rejects everything else with a
/// ``SafeTensorsError`` naming the problem, before any tensor is trusted.
enum SafeTensors {
    /// The reference implementation's bound on the header.
    static let maximumHeaderBytes = 100_000_000
    static let metadataKey = "__metadata__"

    /// Element types EmbedRec writes and reads.
    enum DType: String, CaseIterable {
        case f32 = "F32", i32 = "I32", i64 = "I64", u8 = "U8"

        var byteSize: Int {
            switch self {
            case .f32, .i32: return 4
            case .i64: return 8
            case .u8: return 1
            }
        }
    }

    /// One tensor to write. `bytes` must stay valid until ``write(_:metadata:to:)`` returns.
    struct Entry {
        let name: String
        let dtype: DType
        let shape: [Int]
        let bytes: UnsafeRawBufferPointer
    }

    /// Where a tensor lies in a file being read.
    struct TensorInfo: Equatable {
        let dtype: DType
        let shape: [Int]
        /// Offsets relative to the start of the data section.
        let begin: Int
        let end: Int
        var elementCount: Int { shape.reduce(1, *) }
    }

    // MARK: Writing

    /// The header JSON for `entries` (in layout order) with offsets assigned, padded with spaces
    /// so that 8 + its length is a multiple of 8.
    static func header(for entries: [Entry], metadata: [String: String]) -> [UInt8] {
        var json = "{"
        if !metadata.isEmpty {
            json += jsonString(metadataKey) + ":{"
            json += metadata.keys.sorted().map { jsonString($0) + ":" + jsonString(metadata[$0]!) }.joined(separator: ",")
            json += "},"
        }
        var offset = 0
        json += entries.map { entry in
            let begin = offset
            offset += entry.bytes.count
            return jsonString(entry.name) + ":{\"dtype\":\"\(entry.dtype.rawValue)\",\"shape\":["
                + entry.shape.map(String.init).joined(separator: ",") + "],\"data_offsets\":[\(begin),\(offset)]}"
        }.joined(separator: ",")
        if json.hasSuffix(",") { json.removeLast() }
        json += "}"
        var bytes = Array(json.utf8)
        while (8 + bytes.count) % 8 != 0 { bytes.append(0x20) }
        return bytes
    }

    /// Sorts entries into the reference layout: larger alignment first, then by name.
    static func layoutOrder(_ entries: [Entry]) -> [Entry] {
        entries.sorted { a, b in
            a.dtype.byteSize != b.dtype.byteSize ? a.dtype.byteSize > b.dtype.byteSize : a.name < b.name
        }
    }

    /// Writes `entries` and `metadata` to `path` through ``AtomicFileWriter``: a failure at any
    /// point (a full disk, a crash) leaves a previous file at `path` as it was.
    ///
    /// - Throws: ``SafeTensorsError/invalidTensor(_:_:)`` for a shape that does not match the
    ///   bytes or a duplicate name; ``FileError/cannotWrite(path:reason:)`` for I/O failures.
    /// `failingAfterBytes` simulates a full disk after that many bytes (for tests).
    static func write(_ entries: [Entry], metadata: [String: String], to path: String,
                      failingAfterBytes: Int? = nil) throws {
        var names = Set<String>()
        for e in entries {
            guard e.name != metadataKey, names.insert(e.name).inserted else {
                throw SafeTensorsError.invalidTensor(e.name, "the name is used twice or reserved")
            }
            guard e.shape.allSatisfy({ $0 >= 0 }), e.shape.reduce(1, *) * e.dtype.byteSize == e.bytes.count else {
                throw SafeTensorsError.invalidTensor(e.name, "shape \(e.shape) of \(e.dtype.rawValue) does not match \(e.bytes.count) bytes")
            }
        }
        let ordered = layoutOrder(entries)
        let header = header(for: ordered, metadata: metadata)
        guard header.count <= maximumHeaderBytes else {
            throw SafeTensorsError.headerTooLarge(declared: header.count, limit: maximumHeaderBytes)
        }
        try AtomicFileWriter.write(path, failingAfterBytes: failingAfterBytes) { append in
            var length = UInt64(header.count).littleEndian
            try withUnsafeBytes(of: &length) { try append($0) }
            try header.withUnsafeBytes { try append($0) }
            for e in ordered where e.bytes.count > 0 { try append(e.bytes) }
        }
    }

    static func jsonString(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                    + String(scalar.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

/// A safetensors file opened for reading: the header parsed and checked; tensor bytes are then
/// read straight into their destinations, one `pread` per tensor (no intermediate copy, no
/// mapping to fault in and tear down).
final class SafeTensorsFile {
    let path: String
    let tensors: [String: SafeTensors.TensorInfo]
    let metadata: [String: String]
    /// The file's size in bytes.
    let fileSize: Int
    private let fd: Int32
    /// Where the data section starts in the file.
    private let dataStart: Int

    /// Opens and validates `path`: the length prefix against the file size and the 100 MB bound,
    /// the header as UTF-8 JSON of the documented shape, each dtype and shape, and the offsets
    /// (inside the data, matching the shape, contiguous with no overlap or hole, covering the
    /// data exactly).
    init(path: String) throws {
        self.path = path
        // The type is checked before a blocking open: a FIFO at the path must not hang a server's reload.
        let fd: Int32, size: Int
        do { (fd, size) = try FileChecks.openRegularFile(path) } catch {
            throw FileError.cannotRead(path: path, reason: error.reason)
        }
        var ok = false
        defer { if !ok { close(fd) } }
        fileSize = size
        guard size >= 8 else { throw SafeTensorsError.truncated(fileSize: size) }
        var prefix: UInt64 = 0
        try withUnsafeMutableBytes(of: &prefix) { try Self.readAll(fd, into: $0, at: 0, path) }
        let declared = UInt64(littleEndian: prefix)
        guard declared <= UInt64(SafeTensors.maximumHeaderBytes) else {
            throw SafeTensorsError.headerTooLarge(declared: declared > UInt64(Int.max) ? Int.max : Int(declared),
                                                  limit: SafeTensors.maximumHeaderBytes)
        }
        let headerLength = Int(declared)
        guard headerLength <= size - 8 else {
            throw SafeTensorsError.headerBeyondFile(declared: headerLength, fileSize: size)
        }
        var header = [UInt8](repeating: 0, count: headerLength)
        try header.withUnsafeMutableBytes { try Self.readAll(fd, into: $0, at: 8, path) }
        (tensors, metadata) = try header.withUnsafeBytes { try Self.parseHeader($0) }
        dataStart = 8 + headerLength
        try Self.checkOffsets(tensors, dataLength: size - dataStart)
        self.fd = fd
        ok = true
    }

    deinit { close(fd) }

    /// The bytes of the data section (the offsets check made the tensors cover it exactly).
    var dataLength: Int { tensors.values.reduce(0) { $0 + ($1.end - $1.begin) } }

    private static func readAll(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int, _ path: String) throws {
        var done = 0
        while done < buffer.count {
            let n = pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                throw FileError.cannotRead(path: path, reason: n < 0 ? String(cString: strerror(errno)) : "the file shrank while being read")
            }
            done += n
        }
    }

    /// Reads the bytes of tensor `t` into `destination` (exactly `t.end - t.begin` bytes).
    private func read(_ t: SafeTensors.TensorInfo, into destination: UnsafeMutableRawPointer) throws {
        guard t.end > t.begin else { return }
        try Self.readAll(fd, into: UnsafeMutableRawBufferPointer(start: destination, count: t.end - t.begin),
                         at: dataStart + t.begin, path)
    }

    /// The tensor `name`, checked for dtype and (when given) shape.
    func info(_ name: String, dtype: SafeTensors.DType, shape: [Int]? = nil) throws -> SafeTensors.TensorInfo {
        guard let t = tensors[name] else { throw SafeTensorsError.missingTensor(name) }
        guard t.dtype == dtype else {
            throw SafeTensorsError.wrongDType(name, expected: dtype.rawValue, found: t.dtype.rawValue)
        }
        if let shape, t.shape != shape { throw SafeTensorsError.wrongShape(name, expected: shape, found: t.shape) }
        return t
    }

    /// Reads an `F32` tensor of the given shape into `destination`.
    func copyFloats(_ name: String, shape: [Int], into destination: UnsafeMutablePointer<Float>) throws {
        try read(try info(name, dtype: .f32, shape: shape), into: destination)
    }

    /// An array copy of a tensor whose element type matches `dtype` (little-endian, as on
    /// every platform EmbedRec runs on).
    func array<T: BitwiseCopyable>(_ name: String, dtype: SafeTensors.DType, as: T.Type, shape: [Int]? = nil) throws -> [T] {
        let t = try info(name, dtype: dtype, shape: shape)
        precondition(MemoryLayout<T>.size == dtype.byteSize)
        return try [T](unsafeUninitializedCapacity: max(1, t.elementCount)) { out, count in
            try read(t, into: out.baseAddress!)
            count = t.elementCount
        }
    }

    static func parseHeader(_ bytes: UnsafeRawBufferPointer) throws -> ([String: SafeTensors.TensorInfo], [String: String]) {
        guard let first = bytes.first(where: { $0 != 0x20 }), first == UInt8(ascii: "{") else {
            throw SafeTensorsError.invalidHeader("the header is not a JSON object")
        }
        guard String(validating: bytes, as: UTF8.self) != nil else { throw SafeTensorsError.invalidHeader("the header is not UTF-8") }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(bytes), options: [])
        } catch {
            throw SafeTensorsError.invalidHeader("the header is not valid JSON")
        }
        guard let root = object as? [String: Any] else { throw SafeTensorsError.invalidHeader("the header is not a JSON object") }
        var tensors: [String: SafeTensors.TensorInfo] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in root {
            if name == SafeTensors.metadataKey {
                guard let map = value as? [String: Any] else { throw SafeTensorsError.invalidHeader("__metadata__ is not an object") }
                for (k, v) in map {
                    guard let s = v as? String else { throw SafeTensorsError.invalidHeader("__metadata__[\(k)] is not a string") }
                    metadata[k] = s
                }
                continue
            }
            guard let entry = value as? [String: Any] else { throw SafeTensorsError.invalidTensor(name, "its entry is not an object") }
            guard let dtypeName = entry["dtype"] as? String else { throw SafeTensorsError.invalidTensor(name, "no dtype") }
            guard let dtype = SafeTensors.DType(rawValue: dtypeName) else {
                throw SafeTensorsError.unsupportedDType(name, dtypeName)
            }
            guard let shape = integers(entry["shape"]) else { throw SafeTensorsError.invalidTensor(name, "the shape is not a list of integers ≥ 0") }
            guard let offsets = integers(entry["data_offsets"]), offsets.count == 2 else {
                throw SafeTensorsError.invalidTensor(name, "data_offsets is not two integers ≥ 0")
            }
            guard Set(entry.keys).isSubset(of: ["dtype", "shape", "data_offsets"]) else {
                throw SafeTensorsError.invalidTensor(name, "unknown keys \(Set(entry.keys).subtracting(["dtype", "shape", "data_offsets"]).sorted())")
            }
            var elements = 1
            for extent in shape {
                let (p, overflow) = elements.multipliedReportingOverflow(by: extent)
                guard !overflow else { throw SafeTensorsError.invalidTensor(name, "shape \(shape) overflows") }
                elements = p
            }
            let (byteCount, overflow) = elements.multipliedReportingOverflow(by: dtype.byteSize)
            guard !overflow, offsets[1] >= offsets[0], offsets[1] - offsets[0] == byteCount else {
                throw SafeTensorsError.invalidTensor(name, "data_offsets \(offsets) do not hold shape \(shape) of \(dtypeName)")
            }
            tensors[name] = .init(dtype: dtype, shape: shape, begin: offsets[0], end: offsets[1])
        }
        return (tensors, metadata)
    }

    /// Non-negative integers (no fractions, no booleans), or nil.
    private static func integers(_ value: Any?) -> [Int]? {
        guard let list = value as? [Any] else { return nil }
        var out: [Int] = []
        for v in list {
            // JSON integers only: Foundation types booleans "c" and fractions or exponents "d".
            guard let n = v as? NSNumber, "ilqsILQS".utf8.contains(UInt8(bitPattern: n.objCType.pointee)),
                  let i = v as? Int, i >= 0 else { return nil }
            out.append(i)
        }
        return out
    }

    static func checkOffsets(_ tensors: [String: SafeTensors.TensorInfo], dataLength: Int) throws {
        let ordered = tensors.sorted { $0.value.begin != $1.value.begin ? $0.value.begin < $1.value.begin : $0.value.end < $1.value.end }
        var cursor = 0
        var previous: String?
        for (name, t) in ordered {
            guard t.end <= dataLength else {
                throw SafeTensorsError.offsetsOutOfRange(name, end: t.end, dataLength: dataLength)
            }
            if t.begin < cursor { throw SafeTensorsError.overlappingTensors(previous ?? name, name) }
            if t.begin > cursor { throw SafeTensorsError.hole(at: cursor, before: name) }
            cursor = t.end
            previous = name
        }
        guard cursor == dataLength else { throw SafeTensorsError.trailingBytes(dataLength - cursor) }
    }
}

/// Why a safetensors file could not be written or read.
public enum SafeTensorsError: Error, Equatable, CustomStringConvertible {
    /// Shorter than the 8-byte length prefix.
    case truncated(fileSize: Int)
    /// The length prefix exceeds the reference bound (100 MB).
    case headerTooLarge(declared: Int, limit: Int)
    /// The length prefix points past the end of the file.
    case headerBeyondFile(declared: Int, fileSize: Int)
    /// The header is not UTF-8 JSON of the documented shape.
    case invalidHeader(String)
    /// A tensor's entry is malformed (the message says how).
    case invalidTensor(String, String)
    /// A tensor (first value) has a dtype (second value) this reader does not handle.
    case unsupportedDType(String, String)
    /// A tensor's data offsets end past the data section.
    case offsetsOutOfRange(String, end: Int, dataLength: Int)
    /// Two tensors' byte ranges overlap.
    case overlappingTensors(String, String)
    /// Bytes between tensors that no tensor owns.
    case hole(at: Int, before: String)
    /// Bytes after the last tensor.
    case trailingBytes(Int)
    /// A tensor the reader needs is not in the file.
    case missingTensor(String)
    /// A tensor has another dtype than the reader needs.
    case wrongDType(String, expected: String, found: String)
    /// A tensor has another shape than the reader needs.
    case wrongShape(String, expected: [Int], found: [Int])

    /// A one-line message that says what went wrong.
    public var description: String {
        switch self {
        case let .truncated(size): return "the file is \(size) bytes, shorter than the 8-byte header length"
        case let .headerTooLarge(declared, limit): return "the header length \(declared) exceeds the limit of \(limit) bytes"
        case let .headerBeyondFile(declared, size): return "the header length \(declared) points past the end of the \(size)-byte file"
        case .invalidHeader(let why): return "invalid header: \(why)"
        case let .invalidTensor(name, why): return "tensor \(name): \(why)"
        case let .unsupportedDType(name, dtype): return "tensor \(name): dtype \(dtype) is not supported (F32, I32, I64, U8)"
        case let .offsetsOutOfRange(name, end, length): return "tensor \(name) ends at \(end), past the \(length) data bytes"
        case let .overlappingTensors(a, b): return "tensors \(a) and \(b) overlap"
        case let .hole(at, name): return "no tensor owns the bytes from \(at) up to tensor \(name)"
        case .trailingBytes(let n): return "\(n) bytes after the last tensor belong to no tensor"
        case .missingTensor(let name): return "tensor \(name) is missing"
        case let .wrongDType(name, expected, found): return "tensor \(name) is \(found), expected \(expected)"
        case let .wrongShape(name, expected, found): return "tensor \(name) has shape \(found), expected \(expected)"
        }
    }
}
