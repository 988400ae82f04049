import Foundation
import EmbedRecKernels
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a path could not be used as a file, e.g. "is a FIFO, not a regular file": the checks
/// below know the reason, their callers know whether it was a read or a write and turn it into
/// a ``FileError``.
package struct FileRefusal: Error, Sendable, Equatable {
    package let reason: String
    package init(_ reason: String) { self.reason = reason }
    package init(errno code: Int32) { self.reason = String(cString: strerror(code)) }
}

/// The checks every path the library reads or writes goes through, so that a directory, a
/// FIFO, a device or a socket is refused with one line instead of being read, blocked on or
/// replaced.
package enum FileChecks {
    /// What a `stat` mode is, in words ("a directory", "a FIFO (named pipe)", …); `nil` for a
    /// regular file.
    package static func nonRegularKind(_ mode: mode_t) -> String? {
        switch mode & S_IFMT {
        case S_IFREG: return nil
        case S_IFDIR: return "a directory"
        case S_IFIFO: return "a FIFO (named pipe)"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFSOCK: return "a socket"
        case S_IFLNK: return "a symbolic link"
        default: return "not a regular file"
        }
    }

    /// Opens `path` read-only after making sure it is a regular file, and returns the open
    /// descriptor and the file's size. The type is checked before opening (a FIFO would block
    /// `open`, a device may act on it) and again on the open descriptor (the path may have
    /// changed in between); the descriptor is opened non-blocking for that window and switched
    /// back to blocking reads once it is known to be a regular file.
    package static func openRegularFile(_ path: String) throws(FileRefusal) -> (descriptor: Int32, size: Int) {
        guard !path.isEmpty else { throw FileRefusal("the path is empty") }
        var info = stat()
        guard stat(path, &info) == 0 else { throw FileRefusal(errno: errno) }
        if let kind = nonRegularKind(info.st_mode) { throw FileRefusal("is \(kind), not a regular file") }
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
        guard fd >= 0 else { throw FileRefusal(errno: errno) }
        guard fstat(fd, &info) == 0 else { let code = errno; close(fd); throw FileRefusal(errno: code) }
        if let kind = nonRegularKind(info.st_mode) {
            close(fd)
            throw FileRefusal("is \(kind), not a regular file")
        }
        let flags = fcntl(fd, F_GETFL)
        if flags >= 0 { _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) }
        return (fd, Int(info.st_size))
    }

    /// The whole regular file at `path`, refused before allocating when it is larger than
    /// `limit` bytes (the machine's memory by default).
    package static func readRegularFile(_ path: String, limit: Int = physicalMemoryBytes) throws(FileRefusal) -> [UInt8] {
        let (fd, size) = try openRegularFile(path)
        defer { close(fd) }
        guard size <= limit else {
            throw FileRefusal("the file is \(size >> 20) MiB, more than this machine's \(limit >> 20) MiB of memory")
        }
        let (bytes, failure) = readUpTo(fd, count: size)
        if failure != 0 { throw FileRefusal(errno: failure) }
        if bytes.count < size { throw FileRefusal("the file shrank while being read") }
        return bytes
    }

    /// The first `count` bytes of the regular file at `path` (fewer when it is shorter): for
    /// format detection, which must not read a whole file or block on a FIFO.
    package static func readPrefix(_ path: String, count: Int) throws(FileRefusal) -> [UInt8] {
        let (fd, size) = try openRegularFile(path)
        defer { close(fd) }
        let (bytes, failure) = readUpTo(fd, count: max(0, min(count, size)))
        if failure != 0 { throw FileRefusal(errno: failure) }
        return bytes
    }

    /// Up to `count` bytes from `fd` (fewer at the end of the file), and the `errno` of a
    /// failed read (0 when none failed).
    private static func readUpTo(_ fd: Int32, count: Int) -> (bytes: [UInt8], failure: Int32) {
        var failure: Int32 = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, filled in
            HugePages.advise(buffer.baseAddress, bytes: count)
            var done = 0
            while done < count {
                let n = read(fd, buffer.baseAddress! + done, count - done)
                if n < 0 && errno == EINTR { continue }
                if n < 0 { failure = errno; break }
                if n == 0 { break }
                done += n
            }
            filled = done
        }
        return (bytes, failure)
    }

    /// The machine's memory in bytes: the bound on what a loader reads into memory.
    package static var physicalMemoryBytes: Int { Int(clamping: ProcessInfo.processInfo.physicalMemory) }

    /// `text` cut to at most `limit` characters, with the length said when cut: error
    /// messages quote input, and input can be a 2 GiB line.
    package static func quoted(_ text: some StringProtocol, limit: Int = 60) -> String {
        // utf8.count is O(1) for native strings; counting characters of a huge line is not.
        guard text.utf8.count > limit else { return String(text) }
        let head = text.prefix(limit)
        return head.utf8.count == text.utf8.count ? String(text) : String(head) + "… (\(text.utf8.count) bytes)"
    }
}
