import Foundation

/// Writes a file so that readers see either the old file or the complete new one: the bytes go
/// to a temporary file in the same folder, which is flushed to disk (`fsync`) and renamed over
/// the destination; the folder is flushed too, so the rename survives a crash. On any failure
/// the temporary file is removed and an existing destination is left as it was.
package enum AtomicFileWriter {
    /// Calls `body` with a function that appends bytes to the new file.
    ///
    /// - Parameter failingAfterBytes: simulate a full disk after this many bytes (for tests).
    /// - Throws: ``SafeTensorsError/cannotWrite(path:reason:)`` with the system's reason.
    package static func write(
        _ path: String, failingAfterBytes: Int? = nil,
        _ body: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void
    ) throws {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        let temporary = folder + "/." + url.lastPathComponent + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        func failure(_ code: Int32 = errno) -> SafeTensorsError {
            .cannotWrite(path: path, reason: String(cString: strerror(code)))
        }
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure() }
        var open = true
        defer {
            if open { close(fd) }
        }
        do {
            var budget = failingAfterBytes ?? Int.max
            try body { bytes in
                var done = 0
                while done < bytes.count {
                    guard budget > 0 else { throw failure(ENOSPC) }
                    let n = Foundation.write(fd, bytes.baseAddress! + done, min(bytes.count - done, 1 << 30, budget))
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw failure()
                    }
                    done += n; budget -= n
                }
            }
            guard fsync(fd) == 0 else { throw failure() }
            open = false
            guard close(fd) == 0 else { throw failure() }
            guard rename(temporary, path) == 0 else { throw failure() }
        } catch {
            unlink(temporary)
            throw error
        }
        let dir = Foundation.open(folder.isEmpty ? "." : folder, O_RDONLY | O_CLOEXEC)
        if dir >= 0 { fsync(dir); close(dir) }
    }
}
