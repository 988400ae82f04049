import Foundation
import Testing
@testable import EmbedRec

/// A saved file taken apart into its header and data, to be put back together damaged.
struct SafeTensorsBytes {
    var header: [String: Any]
    var data: [UInt8]

    init(_ bytes: [UInt8]) throws {
        let n = Int(bytes[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        header = try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + n)])) as! [String: Any]
        data = Array(bytes[(8 + n)...])
    }

    /// The file with `header` serialised again (any key order) and `data` appended.
    func bytes(declaredLength: UInt64? = nil) throws -> [UInt8] {
        let json = [UInt8](try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]))
        let length = declaredLength ?? UInt64(json.count)
        return (0..<8).map { UInt8(truncatingIfNeeded: length >> (8 * UInt64($0))) } + json + data
    }

    func tensor(_ name: String) -> [String: Any] { header[name] as! [String: Any] }
    mutating func set(_ name: String, _ key: String, _ value: Any) {
        var t = tensor(name); t[key] = value; header[name] = t
    }
    var metadata: [String: String] {
        get { header["__metadata__"] as! [String: String] }
        set { header["__metadata__"] = newValue }
    }
    func offsets(_ name: String) -> [Int] { tensor(name)["data_offsets"] as! [Int] }
}

@Suite("Saved recommenders: corrupted files")
struct RecommenderFileCorruptionTests {
    /// A valid saved BiasedMF (with a global offset, no catalogue: a short header keeps the
    /// byte-by-byte cases quick) and a folder for the damaged copies.
    final class Fixture {
        let dir: URL
        let bytes: [UInt8]
        let users: Int, items: Int
        init() throws {
            dir = try TestSupport.temporaryDirectory()
            let data = try RecommenderFixture.data()
            users = data.userCount; items = data.itemCount
            let model = try BiasedMF(for: data, configuration: .init(dimension: 4, globalOffset: 3))
            let path = RecommenderFixture.path(dir, "good.safetensors")
            try Recommender(model: model, training: data).save(to: path)
            bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        }
        deinit { try? FileManager.default.removeItem(at: dir) }

        /// The error opening `bytes` throws (nil when it opens).
        func openError(_ bytes: [UInt8]) -> (any Error)? {
            switch open(bytes) {
            case .success: return nil
            case .failure(let error): return error
            }
        }

        /// The recommender `bytes` open to, or the error.
        func open(_ bytes: [UInt8]) -> Result<Recommender, any Error> {
            let path = RecommenderFixture.path(dir, "bad-\(UUID().uuidString).safetensors")
            _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
            defer { try? FileManager.default.removeItem(atPath: path) }
            return Result { try Recommender(contentsOf: path) }
        }

        func expect(_ expected: SafeTensorsError, _ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) {
            let error = openError(bytes)
            #expect(error as? SafeTensorsError == expected, "got \(String(describing: error))", sourceLocation: sourceLocation)
        }
        func expect(_ expected: RecommenderFileError, _ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) {
            let error = openError(bytes)
            #expect(error as? RecommenderFileError == expected, "got \(String(describing: error))", sourceLocation: sourceLocation)
        }
        func parts() throws -> SafeTensorsBytes { try SafeTensorsBytes(bytes) }
    }

    @Test("the fixture opens, and re-serialising its header keeps it valid")
    func fixtureIsValid() throws {
        let f = try Fixture()
        #expect(f.openError(f.bytes) == nil)
        #expect(f.openError(try f.parts().bytes()) == nil)
    }

    @Test("truncated at every offset in the header and many in the data: a specific error, never a crash")
    func truncation() throws {
        let f = try Fixture()
        let headerEnd = 8 + Int(f.bytes[0]) + Int(f.bytes[1]) << 8 + Int(f.bytes[2]) << 16
        f.expect(.truncated(fileSize: 0), [])
        f.expect(.truncated(fileSize: 7), Array(f.bytes.prefix(7)))
        for cut in 8..<headerEnd {
            f.expect(.headerBeyondFile(declared: headerEnd - 8, fileSize: cut), Array(f.bytes.prefix(cut)))
        }
        for cut in stride(from: headerEnd, to: f.bytes.count, by: 97) {
            let error = f.openError(Array(f.bytes.prefix(cut)))
            guard case .offsetsOutOfRange(_, _, let length)? = error as? SafeTensorsError else {
                Issue.record("cut at \(cut): \(String(describing: error))"); continue
            }
            #expect(length == cut - headerEnd)
        }
    }

    @Test("flipped header bytes give an error or a file that still opens, never a crash or garbage tensors")
    func flippedHeaderBytes() throws {
        let f = try Fixture()
        let headerEnd = 8 + Int(f.bytes[0]) + Int(f.bytes[1]) << 8 + Int(f.bytes[2]) << 16
        var rng = SeededGenerator(seed: 3)
        guard case .success(let original) = f.open(f.bytes) else { Issue.record("the fixture does not open"); return }
        let tensors = (original.model as! any TrainableModel).parameters.map { $0.toArray() }
        var errors = 0, opened = 0
        for position in 8..<headerEnd {
            var damaged = f.bytes
            damaged[position] ^= UInt8(1 << rng.nextInt(below: 8))
            switch f.open(damaged) {
            case .failure(let error):
                #expect(error is SafeTensorsError || error is RecommenderFileError, "\(error)")
                errors += 1
            case .success(let served):
                // A file that still opens must hold the same tensors and ID maps: a flip may
                // change a string of the metadata, never what the model computes.
                opened += 1
                #expect((served.model as! any TrainableModel).parameters.map { $0.toArray() } == tensors, "flip at \(position) opened with other tensors")
                #expect(served.userIDs == original.userIDs && served.itemIDs == original.itemIDs, "flip at \(position): other ID maps")
                #expect(try served.recommend(user: original.userIDs.rawIDs[0], k: 5).recommendations.map(\.item)
                        == original.recommend(user: original.userIDs.rawIDs[0], k: 5).recommendations.map(\.item))
            }
        }
        #expect(opened > 0, "no flip left a valid file: the inspection above never ran")
        // Flips inside strings (a title, created_by) may leave a valid file; structure flips may not.
        #expect(errors > (headerEnd - 8) / 2, "\(errors) of \(headerEnd - 8) flips rejected")
    }

    @Test("the length prefix: beyond the file, or terabytes")
    func headerLength() throws {
        let f = try Fixture()
        let p = try f.parts()
        let json = try p.bytes().count - 8 - p.data.count
        let tooLong = try p.bytes(declaredLength: UInt64(json + p.data.count + 1))
        f.expect(.headerBeyondFile(declared: json + p.data.count + 1, fileSize: tooLong.count), tooLong)
        f.expect(.headerTooLarge(declared: 4_000_000_000_000, limit: 100_000_000), try p.bytes(declaredLength: 4_000_000_000_000))
        f.expect(.headerTooLarge(declared: Int.max, limit: 100_000_000), try p.bytes(declaredLength: .max))
        // A shorter length cuts the JSON.
        f.expect(.invalidHeader("the header is not valid JSON"), try p.bytes(declaredLength: UInt64(json - 3)))
    }

    @Test("header contents: not JSON, not an object, bad dtype, shape, offsets")
    func headerContents() throws {
        let f = try Fixture()
        var p = try f.parts()
        // Not an object.
        f.expect(.invalidHeader("the header is not a JSON object"), [2, 0, 0, 0, 0, 0, 0, 0] + Array("[]".utf8))
        f.expect(.invalidHeader("the header is not valid JSON"), [2, 0, 0, 0, 0, 0, 0, 0] + Array("{x".utf8))
        f.expect(.invalidHeader("the header is not UTF-8"), [3, 0, 0, 0, 0, 0, 0, 0] + [0x7B, 0xFF, 0x7D])
        // An unknown dtype, and a known dtype other than the model's.
        p.set("item_bias", "dtype", "F16")
        f.expect(.unsupportedDType("item_bias", "F16"), try p.bytes())
        p = try f.parts()
        p.set("item_bias", "dtype", "I32")
        f.expect(.wrongDType("item_bias", expected: "F32", found: "I32"), try p.bytes())
        // A shape with the same byte count but another layout, and one that does not match the bytes.
        p = try f.parts()
        p.set("user_embedding", "shape", [f.users * 2, 2])
        f.expect(.wrongShape("user_embedding", expected: [f.users, 4], found: [f.users * 2, 2]), try p.bytes())
        p = try f.parts()
        p.set("user_embedding", "shape", [f.users, 5])
        let offsets = p.offsets("user_embedding")
        f.expect(.invalidTensor("user_embedding", "data_offsets \(offsets) do not hold shape [\(f.users), 5] of F32"), try p.bytes())
        p = try f.parts()
        p.set("user_embedding", "shape", [-1, 4])
        f.expect(.invalidTensor("user_embedding", "the shape is not a list of integers ≥ 0"), try p.bytes())
        p = try f.parts()
        p.set("user_embedding", "shape", [1.5, 4])
        f.expect(.invalidTensor("user_embedding", "the shape is not a list of integers ≥ 0"), try p.bytes())
        p = try f.parts()
        p.set("user_embedding", "shape", [Int.max, Int.max])
        f.expect(.invalidTensor("user_embedding", "shape [\(Int.max), \(Int.max)] overflows"), try p.bytes())
    }

    @Test("offsets: overlapping, out of range, a hole, trailing bytes")
    func offsets() throws {
        let f = try Fixture()
        var p = try f.parts()
        // Overlap: item_bias starts 4 bytes early (and so ends 4 early, leaving the count right).
        let bias = p.offsets("item_bias")
        p.set("item_bias", "data_offsets", [bias[0] - 4, bias[1] - 4])
        let error = f.openError(try p.bytes())
        guard case .overlappingTensors? = error as? SafeTensorsError else {
            Issue.record("overlap: \(String(describing: error))"); return
        }
        // Past the end.
        p = try f.parts()
        let last = p.header.keys.filter { $0 != "__metadata__" }.max { p.offsets($0)[1] < p.offsets($1)[1] }!
        let o = p.offsets(last)
        p.set(last, "data_offsets", [o[0] + 8, o[1] + 8])
        f.expect(.offsetsOutOfRange(last, end: o[1] + 8, dataLength: p.data.count), try p.bytes())
        // A hole: the last tensor moved 8 bytes later, with 8 more bytes of data.
        p = try f.parts()
        p.set(last, "data_offsets", [o[0] + 8, o[1] + 8])
        p.data += [UInt8](repeating: 0, count: 8)
        f.expect(.hole(at: o[0], before: last), try p.bytes())
        // Trailing bytes.
        p = try f.parts()
        p.data += [1, 2, 3]
        f.expect(.trailingBytes(3), try p.bytes())
        // Offsets reversed.
        p = try f.parts()
        p.set(last, "data_offsets", [o[1], o[0]])
        f.expect(.invalidTensor(last, "data_offsets [\(o[1]), \(o[0])] do not hold shape \(p.tensor(last)["shape"] as! [Int]) of \(p.tensor(last)["dtype"] as! String)"), try p.bytes())
    }

    @Test("content: version, format, model kind, configuration, ID maps, rated lists, missing and extra tensors")
    func contents() throws {
        let f = try Fixture()
        var p = try f.parts()
        p.metadata["format_version"] = "4"
        f.expect(.unsupportedVersion(found: 4, supported: 3), try p.bytes())
        p = try f.parts(); p.metadata["format_version"] = "one"
        f.expect(.invalidMetadata("format_version", "\"one\" is not a number"), try p.bytes())
        p = try f.parts(); p.metadata["format"] = "other"
        f.expect(.invalidMetadata("format", "\"other\" is not embedrec.recommender"), try p.bytes())
        p = try f.parts(); p.header.removeValue(forKey: "__metadata__")
        f.expect(.missingMetadata("format"), try p.bytes())
        p = try f.parts(); p.metadata["model_kind"] = "GPT"
        f.expect(.unknownModelKind("GPT", known: ["MatrixFactorization", "BiasedMF", "ConcatMLP", "EASE"]), try p.bytes())
        p = try f.parts(); p.metadata["model_configuration"] = "{\"dimension\": 4}"
        #expect(f.openError(try p.bytes()) is RecommenderFileError)
        p = try f.parts(); p.metadata["user_count"] = "0"
        f.expect(.invalidMetadata("user_count", "\"0\" is not a count in 1...2147483647"), try p.bytes())
        // The counts say more users than the ID map has: refused before the model is built.
        p = try f.parts(); p.metadata["user_count"] = String(f.users + 1)
        f.expect(.idMapMismatch("user_ids", count: f.users, expected: f.users + 1), try p.bytes())
        p = try f.parts(); p.metadata["training_history"] = "{"
        f.expect(.invalidMetadata("training_history", "not valid JSON of the expected shape"), try p.bytes())
        p = try f.parts(); p.metadata["fold_in_default_rating"] = "nan"
        f.expect(.invalidMetadata("fold_in_default_rating", "\"nan\" is not a finite number"), try p.bytes())
        // A tensor the model does not have, and one it needs.
        p = try f.parts(); p.header["extra"] = ["dtype": "U8", "shape": [0], "data_offsets": [p.data.count, p.data.count]]
        f.expect(.unexpectedTensor("extra"), try p.bytes())
        p = try f.parts(); p.metadata["rating_scale"] = "{\"min\":5,\"max\":1}"
        f.expect(.invalidMetadata("rating_scale", "min and max must be finite with min ≤ max"), try p.bytes())
    }

    /// Files written through the real writer with one tensor replaced.
    @Test("ID maps of the wrong size, unsorted IDs, bad rated lists, NaN weights")
    func inconsistentTensors() throws {
        let f = try Fixture()
        let good = try f.parts()
        func replaced(_ name: String, dtype: SafeTensors.DType, values: [UInt8], shape: [Int]) throws -> [UInt8] {
            var p = good
            var entries: [(String, SafeTensors.DType, [Int], [UInt8])] = []
            for (key, value) in p.header where key != "__metadata__" {
                let t = value as! [String: Any], o = t["data_offsets"] as! [Int]
                entries.append((key, SafeTensors.DType(rawValue: t["dtype"] as! String)!, t["shape"] as! [Int], Array(p.data[o[0]..<o[1]])))
            }
            entries.removeAll { $0.0 == name }
            entries.append((name, dtype, shape, values))
            let path = RecommenderFixture.path(f.dir, "crafted.safetensors")
            try withExtendedLifetime(entries) {
                let buffers = entries.map { e in
                    let b = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, e.3.count), alignment: 8)
                    b.copyBytes(from: e.3)
                    return (e, b)
                }
                defer { buffers.forEach { $0.1.deallocate() } }
                try SafeTensors.write(
                    buffers.map { .init(name: $0.0.0, dtype: $0.0.1, shape: $0.0.2, bytes: UnsafeRawBufferPointer(rebasing: $0.1[0..<$0.0.3.count])) },
                    metadata: p.metadata, to: path)
            }
            p = try SafeTensorsBytes([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
            return try p.bytes()
        }
        func int64s(_ v: [Int64]) -> [UInt8] { v.flatMap { x in (0..<8).map { UInt8(truncatingIfNeeded: x >> (8 * Int64($0))) } } }
        func int32s(_ v: [Int32]) -> [UInt8] { v.flatMap { x in (0..<4).map { UInt8(truncatingIfNeeded: x >> (8 * Int32($0))) } } }
        func floats(_ v: [Float]) -> [UInt8] { v.flatMap { x in (0..<4).map { UInt8(truncatingIfNeeded: x.bitPattern >> (8 * UInt32($0))) } } }

        f.expect(.idMapMismatch("user_ids", count: f.users - 1, expected: f.users),
                 try replaced("user_ids", dtype: .i64, values: int64s((1..<Int64(f.users)).map { $0 }), shape: [f.users - 1]))
        f.expect(.idMapMismatch("item_ids", count: f.items + 1, expected: f.items),
                 try replaced("item_ids", dtype: .i64, values: int64s((0...Int64(f.items)).map { $0 }), shape: [f.items + 1]))
        f.expect(.inconsistentTensor("item_ids", "raw IDs must be strictly ascending (position 1)"),
                 try replaced("item_ids", dtype: .i64, values: int64s([5, 5] + (3...Int64(f.items)).map { $0 }), shape: [f.items]))
        f.expect(.wrongDType("user_ids", expected: "I64", found: "I32"),
                 try replaced("user_ids", dtype: .i32, values: int32s((1...Int32(f.users)).map { $0 }), shape: [f.users]))
        let rated = good.offsets("rated_items")
        let ratedCount = (rated[1] - rated[0]) / 4
        f.expect(.inconsistentTensor("rated_items", "rated lists: user 0 has item \(f.items) out of order or outside 0..<\(f.items)"),
                 try replaced("rated_items", dtype: .i32, values: int32s([Int32](repeating: Int32(f.items), count: ratedCount)), shape: [ratedCount]))
        f.expect(.inconsistentTensor("rated_offsets", "offsets outside 0...\(ratedCount)"),
                 try replaced("rated_offsets", dtype: .i64, values: int64s([Int64](repeating: -1, count: f.users + 1)), shape: [f.users + 1]))
        f.expect(.wrongShape("rated_ratings", expected: [ratedCount], found: [ratedCount - 1]),
                 try replaced("rated_ratings", dtype: .f32, values: floats([Float](repeating: 3, count: ratedCount - 1)), shape: [ratedCount - 1]))
        f.expect(.missingTensor("item_bias"), try removing("item_bias", from: f.bytes))
        var nan = [Float](repeating: 0.1, count: f.items * 4); nan[17] = .nan
        f.expect(.nonFiniteValues("item_embedding"),
                 try replaced("item_embedding", dtype: .f32, values: floats(nan), shape: [f.items, 4]))
    }

    /// The file without tensor `name`: its bytes cut out and later offsets shifted.
    func removing(_ name: String, from bytes: [UInt8]) throws -> [UInt8] {
        var p = try SafeTensorsBytes(bytes)
        let o = p.offsets(name), width = o[1] - o[0]
        p.header.removeValue(forKey: name)
        p.data.removeSubrange(o[0]..<o[1])
        for key in p.header.keys where key != "__metadata__" {
            let t = p.offsets(key)
            if t[0] >= o[1] { p.set(key, "data_offsets", [t[0] - width, t[1] - width]) }
        }
        return try p.bytes()
    }
}
