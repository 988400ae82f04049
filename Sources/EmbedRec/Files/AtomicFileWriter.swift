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
    /// - Throws: ``FileError/cannotWrite(path:reason:)`` with the reason.
    package static func write(
        _ path: String, failingAfterBytes: Int? = nil,
        _ body: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void
    ) throws {
        func failure(_ reason: String) -> FileError { .cannotWrite(path: path, reason: reason) }
        let target: Destination
        do { target = try destination(of: path) } catch { throw failure(error.reason) }
        removeStaleTemporaries(of: target)
        let temporary = target.folder + "/." + target.name + temporaryMarker + "\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, target.mode ?? 0o644)
        guard fd >= 0 else { throw failure(String(cString: strerror(errno))) }
        // Held until the descriptor closes: how a later writer tells a live temporary file from
        // one a killed process left (a PID says nothing across containers or hosts).
        _ = flock(fd, LOCK_EX)
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
            // The path may have changed while the bytes were written (a link planted or swapped):
            // it must still lead where it led.
            let now: Destination
            do { now = try destination(of: path) } catch { throw failure(error.reason) }
            guard now.path == target.path else { throw failure("the path changed while the file was written (it now leads to \(now.path))") }
            guard rename(temporary, target.path) == 0 else { throw failure(String(cString: strerror(errno))) }
            open = false
            guard close(fd) == 0 else { throw failure(String(cString: strerror(errno))) }
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
        // (ramfs and an unlimited tmpfs report no blocks at all: nothing to say there.)
        if statvfs(target.folder, &space) == 0 && space.f_blocks > 0 && (geteuid() == 0 ? space.f_bfree : space.f_bavail) == 0 {
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
                try refuseForeignLinkInSharedFolder(current, owner: info.st_uid)
                guard let link = String(validating: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) else {
                    throw FileRefusal("\(current) is a link whose target is not valid UTF-8")
                }
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

    /// The rule of the kernel's `protected_symlinks`, which a link followed here by `readlink`
    /// would bypass: in a sticky folder that others may write to (`/tmp`), a link is followed
    /// only if it belongs to the caller or to the folder's owner. Otherwise anyone could point
    /// `/tmp/out.csv` at a file of the caller's and have the command replace it.
    private static func refuseForeignLinkInSharedFolder(_ link: String, owner: uid_t) throws(FileRefusal) {
        var folderInfo = stat()
        guard stat(folder(of: link), &folderInfo) == 0 else { return }
        let sticky = folderInfo.st_mode & S_ISVTX != 0, writableByOthers = folderInfo.st_mode & S_IWOTH != 0
        if sticky && writableByOthers && owner != geteuid() && owner != folderInfo.st_uid {
            throw FileRefusal("\(link) is a link owned by another user in the shared folder \(folder(of: link)); it is not followed")
        }
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

    /// Removes `.NAME.embedrec-tmp-*` files next to the destination that no writer holds: what
    /// a write killed by a signal left behind. A live writer holds an exclusive `flock` on its
    /// file until it renames it, so a file whose lock can be taken is abandoned.
    static func removeStaleTemporaries(of target: Destination) {
        let prefix = "." + target.name + temporaryMarker
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: target.folder) else { return }
        // Probe files (checkWritable's) hold no lock: one seen here was left by a kill between
        // its create and unlink, or belongs to a probe that no longer needs it.
        for entry in entries where entry.hasPrefix(prefix) {
            let path = target.folder + "/" + entry
            let fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC)
            guard fd >= 0 else { continue }
            var info = stat()
            if fstat(fd, &info) == 0 && FileChecks.nonRegularKind(info.st_mode) == nil && flock(fd, LOCK_EX | LOCK_NB) == 0 {
                unlink(path)
            }
            close(fd)
        }
    }
}
