import Foundation
import Testing
@testable import EmbedRec
import _EmbedRecFuzzing

/// Paths that are not plain files, for every reader and the one writer: a device, a FIFO, a
/// socket or a directory is refused and left as it was, a symbolic link is followed, and a
/// temporary file left by a killed write is cleaned up. Devices and FIFOs are made with
/// `mknod`/`mkfifo` inside the test's own temporary directory, never under the system's /dev.
@Suite("Reliability: paths that are not plain files")
struct PathSafetyTests {
    /// The non-regular files of one temporary directory, by name.
    struct Specials {
        let dir: URL
        var paths: [String: String] = [:]

        init() throws {
            let dir = try TestSupport.temporaryDirectory()
            self.dir = dir
            func at(_ name: String) -> String { dir.appendingPathComponent(name).path }
            #expect(mkfifo(at("fifo"), 0o644) == 0)
            paths["a FIFO (named pipe)"] = at("fifo")
            #expect(mkdir(at("folder"), 0o755) == 0)
            paths["a directory"] = at("folder")
            // A character device like /dev/null (1, 3): only root may make one.
            if geteuid() == 0 && mknod(at("null"), S_IFCHR | 0o666, dev_t((1 << 8) | 3)) == 0 {
                paths["a character device"] = at("null")
            }
            let socketPath = at("socket")
            // A socket path longer than sun_path (108 bytes) would be cut: skip the socket then.
            guard socketPath.utf8.count < MemoryLayout.size(ofValue: sockaddr_un().sun_path) else { return }
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                for (k, byte) in socketPath.utf8.prefix(raw.count - 1).enumerated() { raw[k] = byte }
            }
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            close(fd)
            if bound == 0 { paths["a socket"] = socketPath }
        }

        func modeType(_ path: String) -> mode_t {
            var info = stat()
            return lstat(path, &info) == 0 ? info.st_mode & S_IFMT : 0
        }
    }

    /// Runs `body` on another thread and fails (instead of hanging the suite) when it has not
    /// returned within 10 s; a reader blocked on the FIFO is then released by opening its write end.
    static func withinTenSeconds(_ what: String, fifo: String? = nil, _ body: @escaping @Sendable () -> Void) {
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread { body(); done.signal() }
        if done.wait(timeout: .now() + 10) == .timedOut {
            Issue.record("\(what) blocked for 10 s")
            if let fifo { let w = open(fifo, O_WRONLY | O_NONBLOCK); if w >= 0 { close(w) } }
            _ = done.wait(timeout: .now() + 5)
        }
    }

    @Test("the writer refuses a device, FIFO, socket or directory (and a link to one), leaving it as it was")
    func writerRefusesSpecialFiles() throws {
        let specials = try Specials()
        defer { try? FileManager.default.removeItem(at: specials.dir) }
        #expect(specials.paths.count >= 3, "made \(specials.paths.keys.sorted())")
        for (kind, path) in specials.paths {
            let type = specials.modeType(path)
            let link = path + "-link"
            #expect(symlink(path, link) == 0)
            for target in [path, link] {
                let error = ModelTestKit.thrownError { try AtomicFileWriter.write(target, bytes: Array("new".utf8)) }
                guard case .cannotWrite(let shown, let reason)? = error as? FileError else {
                    Issue.record("\(kind) at \(target): expected cannotWrite, got \(String(describing: error))")
                    continue
                }
                #expect(shown == target && reason.contains(kind), "\(reason)")
                #expect(throws: FileRefusal.self) { try AtomicFileWriter.checkWritable(target) }
                #expect(specials.modeType(path) == type, "\(kind) was replaced")
            }
            #expect(specials.modeType(link) == S_IFLNK)
        }
        // Nothing else was created beside them: no temporary file is left.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: specials.dir.path).filter { $0.contains("embedrec-tmp") }
        #expect(leftovers.isEmpty, "\(leftovers)")
    }

    @Test("the writer follows symbolic links (relative, absolute, chains, dangling) and replaces the target")
    func writerFollowsLinks() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let models = dir.appendingPathComponent("models")
        try FileManager.default.createDirectory(at: models, withIntermediateDirectories: true)
        let v1 = models.appendingPathComponent("v1.csv").path
        try AtomicFileWriter.write(v1, bytes: Array("old".utf8))
        #expect(chmod(v1, 0o640) == 0)
        let current = dir.appendingPathComponent("current.csv").path
        #expect(symlink("models/v1.csv", current) == 0)                 // relative to the link's folder
        let chain = dir.appendingPathComponent("chain.csv").path
        #expect(symlink(current, chain) == 0)                           // absolute, to another link
        try AtomicFileWriter.write(chain, bytes: Array("new".utf8))
        #expect(try String(contentsOfFile: v1, encoding: .utf8) == "new")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: current) == "models/v1.csv")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: chain) == current)
        var info = stat()
        #expect(stat(v1, &info) == 0 && info.st_mode & 0o777 == 0o640, "the replaced file keeps its permissions")
        // A dangling link: the file it names is created, the link stays.
        let dangling = dir.appendingPathComponent("next.csv").path
        #expect(symlink("models/v2.csv", dangling) == 0)
        try AtomicFileWriter.write(dangling, bytes: Array("v2".utf8))
        #expect(try String(contentsOfFile: models.appendingPathComponent("v2.csv").path, encoding: .utf8) == "v2")
        // A loop of links is refused.
        let a = dir.appendingPathComponent("a").path, b = dir.appendingPathComponent("b").path
        #expect(symlink(b, a) == 0 && symlink(a, b) == 0)
        #expect(throws: FileError.cannotWrite(path: a, reason: String(cString: strerror(ELOOP)))) { try AtomicFileWriter.write(a, bytes: [1]) }
    }

    @Test("a temporary file left by a killed write is removed by the next write; one a live writer holds is not")
    func staleTemporariesRemoved() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out.csv").path
        // Abandoned: nobody holds its lock, as after a SIGKILL (the kernel drops a dead
        // process's locks). Live: this test holds an exclusive flock on it, as a writer does.
        let dead = dir.appendingPathComponent(".out.csv.embedrec-tmp-999999-7").path
        let live = dir.appendingPathComponent(".out.csv.embedrec-tmp-\(getpid())-8").path
        let other = dir.appendingPathComponent(".other.csv.embedrec-tmp-999999-9").path
        // A probe file a kill left between checkWritable's create and unlink (found by the kill test).
        let probe = dir.appendingPathComponent(".out.csv.embedrec-tmp-probe-999999-5").path
        for path in [dead, live, other, probe] { #expect(FileManager.default.createFile(atPath: path, contents: Data("partial".utf8))) }
        let held = open(live, O_RDONLY)
        #expect(held >= 0 && flock(held, LOCK_EX) == 0)
        defer { close(held) }
        try AtomicFileWriter.write(out, bytes: Array("whole".utf8))
        #expect(!FileManager.default.fileExists(atPath: dead) && !FileManager.default.fileExists(atPath: probe))
        #expect(FileManager.default.fileExists(atPath: live), "a temporary file a writer holds was removed")
        #expect(FileManager.default.fileExists(atPath: other), "another destination's temporary file was removed")
        #expect(try String(contentsOfFile: out, encoding: .utf8) == "whole")
    }

    @Test("a link another user planted in a shared sticky folder is not followed", .enabled(if: geteuid() == 0, "needs root to own a link as another user"))
    func foreignLinkInSharedFolder() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let shared = dir.appendingPathComponent("shared").path, victim = dir.appendingPathComponent("victim.txt").path
        #expect(mkdir(shared, 0o777) == 0 && chmod(shared, 0o1777) == 0)
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: victim))
        let link = shared + "/out.csv"
        #expect(symlink(victim, link) == 0 && lchown(link, 65534, 65534) == 0)   // nobody's link, in root's sticky folder
        let error = ModelTestKit.thrownError { try AtomicFileWriter.write(link, bytes: Array("new".utf8)) }
        #expect("\(String(describing: error))".contains("owned by another user"), "\(String(describing: error))")
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "keep me")
        // The caller's own link there is followed as usual.
        #expect(lchown(link, 0, 0) == 0)
        try AtomicFileWriter.write(link, bytes: Array("new".utf8))
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "new")
    }

    @Test("a write that fails part way leaves the previous file and no temporary file")
    func failedWriteLeavesPrevious() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out.csv").path
        try AtomicFileWriter.write(out, bytes: Array("previous".utf8))
        let error = ModelTestKit.thrownError {
            try AtomicFileWriter.write(out, failingAfterBytes: 3) { append in
                try Array("a longer new file".utf8).withUnsafeBytes { try append($0) }
            }
        }
        #expect((error as? FileError) == .cannotWrite(path: out, reason: String(cString: strerror(ENOSPC))))
        #expect(try String(contentsOfFile: out, encoding: .utf8) == "previous")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["out.csv"])
    }

    @Test("every reader refuses a FIFO, directory or device at once, naming what it is")
    func readersRefuseSpecialFiles() throws {
        let specials = try Specials()
        defer { try? FileManager.default.removeItem(at: specials.dir) }
        for (kind, path) in specials.paths {
            let fifo = kind.contains("FIFO") ? path : nil
            Self.withinTenSeconds("RatingsLoader on \(kind)", fifo: fifo) {
                let error = ModelTestKit.thrownError { _ = try RatingsLoader.load(path: path, format: .goodbooks) }
                #expect((error as? FileError) == .cannotRead(path: path, reason: "is \(kind), not a regular file"), "\(String(describing: error))")
            }
            Self.withinTenSeconds("Recommender(contentsOf:) on \(kind)", fifo: fifo) {
                let error = ModelTestKit.thrownError { _ = try Recommender(contentsOf: path) }
                #expect((error as? FileError) == .cannotRead(path: path, reason: "is \(kind), not a regular file"), "\(String(describing: error))")
            }
            Self.withinTenSeconds("ItemCatalog on \(kind)", fifo: fifo) {
                #expect(throws: FileError.cannotRead(path: path, reason: "is \(kind), not a regular file")) { _ = try ItemCatalog.loadGoodbooks(path: path) }
            }
            Self.withinTenSeconds("readPrefix on \(kind)", fifo: fifo) {
                #expect(throws: FileRefusal.self) { _ = try FileChecks.readPrefix(path, count: 16) }
            }
        }
    }

    @Test("error messages quote input cut to a fixed length: a 1 MB header line without a line end")
    func longInputQuotedShort() throws {
        let line = String(repeating: "a", count: 1 << 20)
        let started = Date()
        let error = ModelTestKit.thrownError { _ = try RatingsLoader.load(text: line, name: "x.csv", format: .goodbooks) }
        #expect(Date().timeIntervalSince(started) < 30)  // a hang guard only; the point is the message
        let message = String(describing: error ?? RatingsFileError(file: "", line: 0, kind: .emptyFile))
        #expect(message.contains("header line is longer than 65536 bytes"), "\(message.prefix(200))")
        #expect(message.utf8.count < 300, "a \(message.utf8.count)-byte message")
        // A header just under the limit that names nothing: its list of names is cut.
        let wide = (0..<10_000).map { "c\($0)" }.joined(separator: ",")
        let unknown = ModelTestKit.thrownError { _ = try RatingsLoader.load(text: wide + "\n1,2,3\n", name: "w.csv", format: .goodbooks) }
        #expect(String(describing: unknown!).utf8.count < 500)
        #expect(FileChecks.quoted("short") == "short")
        #expect(FileChecks.quoted(String(repeating: "é", count: 100), limit: 10) == String(repeating: "é", count: 10) + "… (200 bytes)")
    }

    @Test("IDs over the whole signed 64-bit range load as integers; one past either end, or leading zeros, make the column text")
    func fullInt64IDs() throws {
        let text = "user_id,book_id,rating\n9223372036854775807,-9223372036854775808,5\n1000000000000000000,42,4\n-1,1,3\n"
        let data = try RatingsLoader.load(text: text, format: .goodbooks)
        #expect(data.sortedRawRows == [
            RawRow(user: -1, item: 1, rating: 3),
            RawRow(user: 1_000_000_000_000_000_000, item: 42, rating: 4),
            RawRow(user: .integer(.max), item: .integer(.min), rating: 5),
        ])
        #expect(!data.userIDs.holdsText && !data.itemIDs.holdsText)
        // Not an Int64 as written: the whole column is text, echoed as given; the other stays integer.
        for odd in ["9223372036854775808", "-9223372036854775809", "10000000000000000000", "99999999999999999999", "0042", "-0"] {
            let loaded = try RatingsLoader.load(text: "user_id,book_id,rating\n\(odd),1,5\n7,2,4\n", format: .goodbooks)
            #expect(loaded.userIDs.holdsText && !loaded.itemIDs.holdsText, "\(odd)")
            #expect(loaded.sortedRawRows.map(\.user) == [RawID.text("7"), .text(odd)].sorted(), "\(odd)")
        }
        // The fuzzers' reference reading agrees on each.
        for line in ["9223372036854775807,1,5", "-9223372036854775808,1,5", "9223372036854775808,1,5"] {
            let bytes = Array("user_id,book_id,rating\n\(line)\n".utf8)
            let reference = ReferenceRatingsParser.rows(bytes, format: .goodbooks)
            let fast = try? RatingsLoader.load(bytes: bytes, name: "r", format: .goodbooks)
            #expect((reference == nil) == (fast == nil), "\(line)")
        }
    }

    @Test("shards near Int.max: no overflow, and the shards of one count still partition the users")
    func extremeShards() throws {
        let n = Int.max
        for (index, users) in [(n - 1, 53_424), (n - 2, 53_424), (0, 53_424), (n / 2, 1_000_000), (n - 1, 0)] {
            let shard = try UserShard(index: index, count: n)
            let range = shard.userRange(among: users, alignment: 512)
            #expect(range.lowerBound <= range.upperBound && range.upperBound <= users)
        }
        // The last shard of Int.max ends at the last user; the first starts at 0.
        #expect(try UserShard(index: n - 1, count: n).userRange(among: 53_424, alignment: 512).upperBound == 53_424)
        #expect(try UserShard(index: 0, count: n).userRange(among: 53_424, alignment: 512).lowerBound == 0)
        #expect(try UserShard(parsing: "9223372036854775806/9223372036854775807").index == n - 1)
        #expect(throws: ConfigurationError.self) { try UserShard(parsing: "9223372036854775807/9223372036854775807") }
        #expect(throws: ConfigurationError.self) { try UserShard(parsing: "0/9223372036854775808") }
        // Against a reference in exact arithmetic for counts where the product fits in Double's integers.
        for count in [1, 3, 7, 1 << 20, 1 << 40] {
            for index in [0, count / 3, count - 1] {
                let range = try UserShard(index: index, count: count).userRange(among: 10_000, alignment: 64)
                let blocks = (10_000 + 63) / 64
                let reference = { (i: Int) -> Int in Int((Decimal(i) * Decimal(blocks) / Decimal(count)).floorInt) * 64 }
                #expect(range == min(10_000, reference(index))..<min(10_000, reference(index + 1)), "\(index)/\(count)")
            }
        }
    }
}

private extension Decimal {
    var floorInt: Int {
        var value = self, result = Decimal()
        NSDecimalRound(&result, &value, 0, .down)
        return NSDecimalNumber(decimal: result).intValue
    }
}
