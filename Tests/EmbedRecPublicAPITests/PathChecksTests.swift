import EmbedRec
import Foundation
import Testing

/// `PathChecks`, as a program outside the library (BookServer's `demo-model`) calls it before
/// long work: the writer's and the reader's own rules, one line each.
@Suite("Path checks before long work")
struct PathChecksTests {
    @Test("writable: a new or regular file in an existing folder; not a folder, a FIFO or a missing folder")
    func writable() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pathchecks-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("model.safetensors").path
        try PathChecks.checkWritable(file)
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        try PathChecks.checkWritable(file)
        let fifo = dir.appendingPathComponent("pipe").path
        #expect(mkfifo(fifo, 0o600) == 0)
        for refused in [dir.path, fifo, dir.appendingPathComponent("missing/model.safetensors").path] {
            let error = #expect(throws: FileError.self, "\(refused)") { try PathChecks.checkWritable(refused) }
            #expect(error.map { if case .cannotWrite(refused, _) = $0 { true } else { false } } ?? false, "\(String(describing: error))")
        }
        // Nothing was left behind by the probes.
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: dir.path)) == ["model.safetensors", "pipe"])

        try PathChecks.checkReadable(file)
        for refused in [dir.path, fifo, dir.appendingPathComponent("absent.csv").path] {
            let error = #expect(throws: FileError.self, "\(refused)") { try PathChecks.checkReadable(refused) }
            #expect(error.map { if case .cannotRead(refused, _) = $0 { true } else { false } } ?? false, "\(String(describing: error))")
        }
        do { try PathChecks.checkReadable(fifo) } catch { #expect(error.reason.contains("FIFO"), "\(error.reason)") }
    }
}
