import Foundation
import Testing
@testable import EmbedRec

/// The probe's findings against the `embedrec` binary, each as a person or a script would meet
/// it: outputs that are devices, FIFOs, folders or links; inputs that are FIFOs or folders; a
/// file without a line end; a full disk; shard and ID numbers at the ends of 64 bits; ratings out
/// of range for a new reader; a file name that is not UTF-8; errors found before the work.
/// Devices and FIFOs are made in the test's own temporary folder.
@Suite("Reliability: the embedrec binary on hostile paths and numbers",
       .enabled(if: OpenBLASRelaunchTests.executable != nil, "the embedrec binary is built next to the tests"))
struct CommandLineReliabilityTests {
    /// A ratings file and a model trained on it.
    struct Fixture: RatingsFileFixtureOwner {
        let files: RatingsFileFixture
        let model: String

        init() throws {
            files = try RatingsFileFixture(users: 70, items: 40, ratings: 1200, seed: 6)
            model = files.path("m.safetensors")
            let trained = try ProgramRunner.embedrec(["train", files.path("ratings.csv"), "--epochs", "1", "--output", model])
            #expect(trained.status == 0, "\(trained.err)")
        }
    }

    static func mode(_ path: String) -> mode_t {
        var info = stat()
        return lstat(path, &info) == 0 ? info.st_mode & S_IFMT : 0
    }

    static func expectOneLineError(_ result: (status: Int32, out: String, err: String), containing text: String, _ what: String) {
        #expect(result.status != 0 && result.status != ProgramRunner.timedOutStatus && result.status < 128, "\(what): status \(result.status)")
        #expect(result.err.contains(text), "\(what): \(result.err)")
        #expect(!result.err.contains("Fatal error") && result.err.split(separator: "\n").count <= 3, "\(what): \(result.err)")
    }

    @Test("--output that is a device, FIFO or folder is refused before any work, for every command that writes")
    func outputsThatAreNotFiles() throws {
        let f = try Fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        var specials = [("a FIFO (named pipe)", f.path("fifo")), ("a directory", f.path("folder"))]
        #expect(mkfifo(f.path("fifo"), 0o644) == 0 && mkdir(f.path("folder"), 0o755) == 0)
        if geteuid() == 0 && mknod(f.path("null"), S_IFCHR | 0o666, dev_t((1 << 8) | 3)) == 0 {
            specials.append(("a character device", f.path("null")))
        }
        for (kind, path) in specials {
            let before = Self.mode(path)
            #expect(symlink(path, path + "-link") == 0)
            for target in [path, path + "-link"] {
                for arguments in [
                    ["train", f.path("ratings.csv"), "--epochs", "1", "--output", target],
                    ["recommend", f.model, "--all", "--output", target, "--format", "csv"],
                    ["export", f.model, "--csv", target],
                    ["plot", "histogram", f.model, "--output", target],
                    ["report", f.model, "--output", target, "--projection", "none"],
                    ["generate", "--output", target],
                ] {
                    let result = try ProgramRunner.embedrec(arguments, timeout: 60)
                    Self.expectOneLineError(result, containing: kind, "\(arguments[0]) --output \(kind)")
                    #expect(!result.out.contains("epoch"), "\(arguments[0]) trained before refusing \(kind)")
                }
                #expect(Self.mode(path) == before, "\(kind) was replaced")
            }
        }
    }

    @Test("--output through a symbolic link replaces the link's target and keeps the link")
    func outputThroughLink() throws {
        let f = try Fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        try FileManager.default.createDirectory(atPath: f.path("runs"), withIntermediateDirectories: true)
        try Data("old".utf8).write(to: URL(fileURLWithPath: f.path("runs/v1.csv")))
        #expect(symlink("runs/v1.csv", f.path("current.csv")) == 0)
        let result = try ProgramRunner.embedrec(["recommend", f.model, "--all", "--output", f.path("current.csv")])
        #expect(result.status == 0, "\(result.err)")
        #expect(Self.mode(f.path("current.csv")) == S_IFLNK)
        #expect(try String(contentsOfFile: f.path("runs/v1.csv"), encoding: .utf8).hasPrefix("user,rank,item,score\n"))
    }

    @Test("inputs that are FIFOs or folders give one line at once, never a hang or a crash")
    func inputsThatAreNotFiles() throws {
        let f = try Fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        #expect(mkfifo(f.path("fifo"), 0o644) == 0 && mkdir(f.path("folder"), 0o755) == 0)
        for (kind, path) in [("a FIFO (named pipe)", f.path("fifo")), ("a directory", f.path("folder"))] {
            for arguments in [["recommend", path, "--user", "1"], ["similar", path, "--item", "1"], ["train", path],
                              ["evaluate", f.model, path], ["train", f.path("ratings.csv"), "--catalog", path],
                              ["demo", "--ratings", path], ["export", path, "--csv", f.path("x.csv")]] {
                let result = try ProgramRunner.embedrec(arguments, timeout: 20)
                Self.expectOneLineError(result, containing: kind, "\(arguments) on \(kind)")
            }
        }
    }

    @Test("a file without a line end: a short error at once, whatever its size")
    func noLineEnd() throws {
        let f = try Fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        try Data(repeating: UInt8(ascii: "a"), count: 20 << 20).write(to: URL(fileURLWithPath: f.path("a.csv")))
        try Data(repeating: 0, count: 20 << 20).write(to: URL(fileURLWithPath: f.path("nul.csv")))
        for name in ["a.csv", "nul.csv"] {
            let result = try ProgramRunner.embedrec(["train", f.path(name)], timeout: 60)
            Self.expectOneLineError(result, containing: "not a ratings file", name)
            #expect(result.err.utf8.count < 400, "\(name): a \(result.err.utf8.count)-byte error message")
        }
    }

    @Test("a full disk during recommend --all leaves the previous output and no temporary file")
    func fullDisk() throws {
        let f = try Fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        let output = f.path("all.csv")
        try Data("previous\n".utf8).write(to: URL(fileURLWithPath: output))
        // A file-size limit of 16 KiB stands in for a full disk: writes past it fail (EFBIG;
        // SIGXFSZ is ignored, as the shell's trap leaves it across exec).
        let script = "trap '' XFSZ; ulimit -f 16; exec \"$0\" \"$@\""
        let result = try ProgramRunner.run("/bin/sh", ["-c", script, OpenBLASRelaunchTests.executable!,
                                                       "recommend", f.model, "--all", "--k", "30", "--output", output], timeout: 60)
        Self.expectOneLineError(result, containing: "cannot write \(output): File too large", "recommend --all on a full disk")
        #expect(try String(contentsOfFile: output, encoding: .utf8) == "previous\n")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: f.dir.path).filter { $0.contains("embedrec-tmp") }
        #expect(leftovers.isEmpty, "\(leftovers)")
    }

    @Test("numbers at the ends of 64 bits: shards, 19-digit IDs; new-reader ratings outside the scale")
    func numbers() throws {
        let f = try Fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        let shard = try ProgramRunner.embedrec(["recommend", f.model, "--all", "--shard", "9223372036854775806/9223372036854775807",
                                                "--output", f.path("s.csv")])
        #expect(shard.status == 0, "\(shard.err)")
        for bad in ["9223372036854775807/9223372036854775807", "-1/4", "0/0", "1/99999999999999999999"] {
            // (--shard=VALUE: a value starting with "-" would read as an option.)
            Self.expectOneLineError(try ProgramRunner.embedrec(["recommend", f.model, "--all", "--shard=\(bad)", "--output", f.path("s.csv")]),
                                    containing: "--shard", bad)
        }
        // 19-digit and extreme IDs train, save and answer by raw ID.
        let big: [Int64] = [.max, .min, 1_000_000_000_000_000_000, -5]
        var text = "user_id,book_id,rating\n"
        for (k, user) in big.enumerated() { for item in 0..<6 { text += "\(user),\(Int64.max - Int64(item * 7 + k % 2)),\(1 + (item + k) % 5)\n" } }
        try text.write(toFile: f.path("big.csv"), atomically: true, encoding: .utf8)
        let trained = try ProgramRunner.embedrec(["train", f.path("big.csv"), "--epochs", "1", "--test-fraction", "0.2",
                                                  "--validation-fraction", "0", "--output", f.path("big.safetensors")])
        #expect(trained.status == 0, "\(trained.err)")
        let answer = try ProgramRunner.embedrec(["recommend", f.path("big.safetensors"), "--user=-9223372036854775808", "--k", "2", "--json"])
        #expect(answer.status == 0 && answer.out.contains("\"item\":9223372036854775"), "\(answer.out) \(answer.err)")
        // Huge K and perplexity: an error naming the limit, not a trap or hours of work.
        Self.expectOneLineError(try ProgramRunner.embedrec(["evaluate", f.model, f.path("ratings.csv"), "--k", "9223372036854775807"]),
                                containing: "is more than the 40 items", "evaluate --k Int.max")
        Self.expectOneLineError(try ProgramRunner.embedrec(["plot", "map", f.model, "--output", f.path("m.svg"), "--perplexity", "1e30"]),
                                containing: "lower the perplexity", "plot map --perplexity 1e30")
        let everything = try ProgramRunner.embedrec(["recommend", f.model, "--user", String(f.data.userIDs.integerRawIDs![0]), "--k", "9223372036854775807"])
        #expect(everything.status == 0 && everything.out.split(separator: "\n").count <= 2 + f.data.itemCount, "\(everything.err)")
        // A new reader's rating outside the training scale: refused by name, like BookServer does.
        let item = f.data.itemIDs.integerRawIDs![0]
        for rating in ["100", "3e38", "-1e30", "0"] {
            Self.expectOneLineError(try ProgramRunner.embedrec(["recommend", f.model, "--read", "\(item):\(rating)"]),
                                    containing: "is outside the training ratings' scale", rating)
        }
    }

    @Test("absurd sizes are refused before anything is allocated: the same errors under a 3 GiB address-space limit")
    func refusedBeforeAllocating() throws {
        let f = try Fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        // With `ulimit -v` an allocation of the refused size would fail and trap the process; a
        // refusal made before allocating exits with its one-line error as without the limit.
        for model in ["als", "bpr", "biasedmf", "concat15"] {
            let result = try ProgramRunner.run("/bin/sh", ["-c", "ulimit -v 3000000; exec \"$0\" \"$@\"", OpenBLASRelaunchTests.executable!,
                                                           "train", f.path("ratings.csv"), "--model", model, "--dimension", "1000000000"], timeout: 60)
            Self.expectOneLineError(result, containing: "GiB", "train --model \(model) --dimension 10⁹ under ulimit -v")
        }
    }

    @Test("a file name that is not UTF-8 is refused by name, not reported missing")
    func nonUTF8Name() throws {
        let f = try Fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        // The name's bytes: "r", 0xFF, ".csv" (a Latin-1 ÿ). Made and passed through the shell.
        let script = "cp \"$1\" \"$(printf 'r\\377.csv')\" && exec \"$0\" train \"$(printf 'r\\377.csv')\""
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script, OpenBLASRelaunchTests.executable!, f.path("ratings.csv")]
        process.currentDirectoryURL = f.dir
        let err = Pipe()
        process.standardError = err; process.standardOutput = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 64, "\(text)")
        #expect(text.contains("argument 2 (r\\xFF.csv) is not valid UTF-8"), "\(text)")
        #expect(!text.contains("No such file"), "\(text)")
    }

    @Test("a missing catalogue or an unwritable output folder fails before training")
    func errorsBeforeWork() throws {
        let f = try Fixture()
        defer { try? FileManager.default.removeItem(at: f.dir) }
        for (extra, text) in [(["--catalog", f.path("missing.csv")], "--catalog"),
                              (["--output", f.path("no/such/m.safetensors")], "--output"),
                              (["--output", f.dir.path + "/"], "--output")] {
            let result = try ProgramRunner.embedrec(["train", f.path("ratings.csv"), "--epochs", "5"] + extra)
            Self.expectOneLineError(result, containing: text, "\(extra)")
            #expect(!result.out.contains("epoch"), "\(extra): trained before refusing")
        }
    }
}
