import Foundation
import Testing
@testable import EmbedRec

/// Files larger than this machine's memory, made sparse (`ftruncate`: no disk is written), must
/// be refused with an error naming both sizes before anything is allocated for them.
@Suite("Bad input: files larger than memory")
struct LargerThanMemoryTests {
    static let memory = Int(clamping: ProcessInfo.processInfo.physicalMemory)
    /// Memory + 1 GiB.
    static let hugeSize = memory + (1 << 30)

    /// Writes `prefix` to a new file at `path` and extends it with zeros (a hole) to `size` bytes.
    static func sparseFile(_ path: String, prefix: [UInt8], size: Int) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        try #require(fd >= 0, "cannot create \(path)")
        defer { close(fd) }
        try #require(prefix.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == prefix.count)
        try #require(ftruncate(fd, off_t(size)) == 0, "ftruncate: \(String(cString: strerror(errno)))")
    }

    @Test("a saved recommender larger than memory, its tensors declaring that size consistently, is refused before allocating")
    func recommenderFile() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // A real saved BiasedMF, taken apart.
        let data = try RecommenderFixture.data()
        let small = dir.appendingPathComponent("small.safetensors").path
        try Recommender(model: try BiasedMF(for: data, configuration: .init(dimension: 4, globalOffset: 3)), training: data).save(to: small)
        var parts = try SafeTensorsBytes([UInt8](try Data(contentsOf: URL(fileURLWithPath: small))))

        // Its rated lists grown to n ratings, enough to make the file memory + 1 GiB: every tensor
        // keeps its bytes but the two lists, which go last (all zeros, the file's hole), and the
        // offsets give the last user all n ratings, so every count, shape and offset agrees.
        let lists = ["rated_items", "rated_ratings"]
        let kept = parts.header.keys.filter { $0 != "__metadata__" && !lists.contains($0) }.sorted { parts.offsets($0)[0] < parts.offsets($1)[0] }
        var keptBytes = kept.reduce(0) { $0 + parts.offsets($1)[1] - parts.offsets($1)[0] }
        let headerAllowance = 4_096   // the header grows by a few digits; n is sized with room to spare
        let n = (Self.hugeSize - 8 - parts.data.count - headerAllowance - keptBytes) / 8
        var newData: [UInt8] = []
        for name in kept {
            let range = parts.offsets(name)
            var bytes = Array(parts.data[range[0]..<range[1]])
            if name == "rated_offsets" {
                let offsets = [Int64](repeating: 0, count: data.userCount) + [Int64(n)]
                bytes = offsets.withUnsafeBytes { Array($0) }
            }
            parts.set(name, "data_offsets", [newData.count, newData.count + bytes.count])
            newData += bytes
        }
        keptBytes = newData.count
        parts.set("rated_items", "shape", [n])
        parts.set("rated_items", "data_offsets", [keptBytes, keptBytes + 4 * n])
        parts.set("rated_ratings", "shape", [n])
        parts.set("rated_ratings", "data_offsets", [keptBytes + 4 * n, keptBytes + 8 * n])
        parts.data = newData
        let prefix = try parts.bytes()
        let size = prefix.count + 8 * n
        #expect(size > Self.memory)

        let huge = dir.appendingPathComponent("huge.safetensors").path
        try Self.sparseFile(huge, prefix: prefix, size: size)
        defer { unlink(huge) }
        // The structure is consistent: the file's own checks pass (only the header is read).
        let file = try SafeTensorsFile(path: huge)
        #expect(file.fileSize == size && file.tensors["rated_items"]?.elementCount == n)

        do {
            _ = try Recommender(contentsOf: huge)
            Issue.record("a \(size >> 20) MiB file opened on a machine of \(Self.memory >> 20) MiB")
        } catch let error as FileError {
            guard case .cannotRead(let path, let reason) = error else { Issue.record("unexpected \(error)"); return }
            #expect(path == huge)
            #expect(reason == "the file is \(size >> 20) MiB, more than this machine's \(Self.memory >> 20) MiB of memory; a recommender is read into memory whole")
        }
    }

    @Test("a ratings file larger than memory is refused before it is read")
    func ratingsFile() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("ratings.csv").path
        try Self.sparseFile(path, prefix: Array("book_id,user_id,rating\n1,1,5\n".utf8), size: Self.hugeSize)
        defer { unlink(path) }
        for format in [RatingsFileFormat.goodbooks, .movieLens100K] {
            #expect(throws: FileError.cannotRead(path: path, reason: "the file is \(Self.hugeSize >> 20) MiB, more than this machine's \(Self.memory >> 20) MiB of memory")) {
                _ = try RatingsLoader.load(path: path, format: format)
            }
        }
        // The train/test pair loader reads its files the same way.
        let small = dir.appendingPathComponent("u1.test").path
        try Array("1\t1\t5\t0\n".utf8).withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: small)) }
        #expect(throws: FileError.self) { _ = try RatingsLoader.loadPair(trainPath: path, testPath: small, format: .movieLens100K) }
    }
}
