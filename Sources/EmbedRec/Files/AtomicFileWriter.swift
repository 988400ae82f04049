import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a file so that readers see either the old file or the complete new one: the bytes go
/// to a temporary file in the same folder, which is flushed to disk (`fsync`) and renamed over
/// the destination; the folder is flushed too, so the rename survives a crash. On any failure
/// the temporary file is removed and an existing destination is left as it was.
///
/// The destination is checked first: a symbolic link is followed and its target replaced (the
/// link stays a link); a directory, FIFO, device or socket is refused, never replaced. A
/// temporary file left by a process that was killed mid-write is removed by the next write to
/// the same destination. Every file the library and the command line write goes through here.
package enum AtomicFileWriter {
    /// The marker in temporary file names: `.NAME.embedrec-tmp-PID-RANDOM`.
    static let temporaryMarker = ".embedrec-tmp-"

    /// Calls `body` with a function that appends bytes to the new file.
    ///
    /// - Parameter failingAfterBytes: simulate a full disk after this many bytes (for tests).
    /// - Throws: ``SafeTensorsError/cannotWrite(path:reason:)`` with the reason.
    package static func write(
        _ path: String, failingAfterBytes: Int? = nil,
        _ body: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void
    ) throws {
        func failure(_ reason: String) -> SafeTensorsError { .cannotWrite(path: path, reason: reason) }
        let target: Destination
        do { target = try destination(of: path) } catch { throw failure(error.reason) }
        removeStaleTemporaries(of: target)
        let temporary = target.folder + "/." + target.name + temporaryMarker + "\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, target.mode ?? 0o644)
        guard fd >= 0 else { throw failure(String(cString: strerror(errno))) }
        var open = true
        defer {
            if open { close(fd) }
        }
        do {
            // An existing file keeps its permissions (open's mode is filtered by the umask).
            if let mode = target.mode { fchmod(fd, mode) }
            var budget = failingAfterBytes ?? Int.max
            try body { bytes in
                var done = 0
                while done < bytes.count {
                    guard budget > 0 else { throw failure(String(cString: strerror(ENOSPC))) }
                    let n = Foundation.write(fd, bytes.baseAddress! + done, min(bytes.count - done, 1 << 30, budget))
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw failure(String(cString: strerror(errno)))
                    }
                    done += n; budget -= n
                }
            }
            guard fsync(fd) == 0 else { throw failure(String(cString: strerror(errno))) }
            open = false
            guard close(fd) == 0 else { throw failure(String(cString: strerror(errno))) }
            guard rename(temporary, target.path) == 0 else { throw failure(String(cString: strerror(errno))) }
        } catch {
            unlink(temporary)
            throw error
        }
        let dir = Foundation.open(target.folder, O_RDONLY | O_CLOEXEC)
        if dir >= 0 { fsync(dir); close(dir) }
    }

    /// Writes `bytes` as the whole new file.
    package static func write(_ path: String, bytes: some Collection<UInt8>) throws {
        try Array(bytes).withUnsafeBytes { raw in try write(path) { append in try append(raw) } }
    }

    /// Checks, before any work, that `path` can be written: it is (or a symbolic link leads
    /// to) a regular file or nothing, in an existing folder where a file can be created now.
    /// Commands call it while validating their options, so a bad `--output` fails at once and
    /// not after an hour of training.
    package static func checkWritable(_ path: String) throws(FileRefusal) {
        let target = try destination(of: path)
        let probe = target.folder + "/." + target.name + temporaryMarker + "probe-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw FileRefusal("cannot create a file in \(target.folder): \(String(cString: strerror(errno)))") }
        close(fd)
        unlink(probe)
        var space = statvfs()
        // root may write into the blocks reserved for it.
        if statvfs(target.folder, &space) == 0 && (geteuid() == 0 ? space.f_bfree : space.f_bavail) == 0 {
            throw FileRefusal(String(cString: strerror(ENOSPC)))
        }
    }

    /// Where a write to `path` really goes.
    struct Destination {
        /// The file to replace: `path`, or the end of its chain of symbolic links.
        var path: String
        var folder: String
        var name: String
        /// The existing file's permission bits, kept by the new file.
        var mode: mode_t?
    }

    /// Follows symbolic links from `path` (up to 40, as the kernel does) and checks what is
    /// there: nothing, or a regular file.
    static func destination(of path: String) throws(FileRefusal) -> Destination {
        guard !path.isEmpty else { throw FileRefusal("the path is empty") }
        guard !path.hasSuffix("/") else { throw FileRefusal("names a directory (ends in /), not a file") }
        var current = path
        for _ in 0..<40 {
            var info = stat()
            guard lstat(current, &info) == 0 else {
                guard errno == ENOENT else { throw FileRefusal(errno: errno) }
                return try newFile(at: current, mode: nil)
            }
            if (info.st_mode & S_IFMT) == S_IFLNK {
                var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
                let n = readlink(current, &buffer, buffer.count - 1)
                guard n >= 0 else { throw FileRefusal(errno: errno) }
                let link = String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
                current = link.hasPrefix("/") ? link : folder(of: current) + "/" + link
                continue
            }
            if let kind = FileChecks.nonRegularKind(info.st_mode) {
                throw FileRefusal(current == path ? "is \(kind); only a regular file is replaced"
                                                  : "leads to \(current), which is \(kind); only a regular file is replaced")
            }
            return try newFile(at: current, mode: info.st_mode & 0o7777)
        }
        throw FileRefusal(String(cString: strerror(ELOOP)))
    }

    private static func newFile(at path: String, mode: mode_t?) throws(FileRefusal) -> Destination {
        let folder = folder(of: path)
        var info = stat()
        guard stat(folder, &info) == 0 else { throw FileRefusal("folder \(folder): \(String(cString: strerror(errno)))") }
        guard (info.st_mode & S_IFMT) == S_IFDIR else { throw FileRefusal("\(folder) is not a folder") }
        let name = path.split(separator: "/", omittingEmptySubsequences: true).last.map(String.init) ?? path
        return Destination(path: path, folder: folder, name: name, mode: mode)
    }

    /// The folder part of `path` ("." when it has none).
    static func folder(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let head = String(path[..<slash])
        return head.isEmpty ? "/" : head
    }

    /// Removes `.NAME.embedrec-tmp-PID-*` files next to the destination whose process is gone:
    /// what a write killed by a signal left behind.
    static func removeStaleTemporaries(of target: Destination) {
        let prefix = "." + target.name + temporaryMarker
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: target.folder) else { return }
        for entry in entries where entry.hasPrefix(prefix) {
            let rest = entry.dropFirst(prefix.count)
            let pidText = rest.hasPrefix("probe-") ? rest.dropFirst(6).prefix { $0 != "-" } : rest.prefix { $0 != "-" }
            guard let pid = Int32(pidText), pid > 0 else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH { unlink(target.folder + "/" + entry) }
        }
    }
}
