import Foundation
import Testing
@testable import EmbedRec

/// All-users scoring holds a block of users × a tile of items per worker, never the
/// users × items score matrix. Measured from outside: the peak resident memory of a whole
/// `embedrec recommend --all` process (everything it touched, not what the scorer says it
/// took), for a catalogue whose full score matrix would be hundreds of megabytes.
@Suite("Scoring memory", .enabled(if: OpenBLASRelaunchTests.executable != nil, "the embedrec binary is built next to the tests"))
struct ScoringMemoryTests {
    static let items = 20_000

    /// The peak resident set (bytes) of `embedrec arguments`, read by a Python parent that
    /// runs nothing else (`RUSAGE_CHILDREN` of that parent is this one child).
    static func peakResidentBytes(_ arguments: [String]) throws -> Int {
        let probe = "import resource, subprocess, sys\n"
            + "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode\n"
            + "print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
        let result = try ProgramRunner.run("/usr/bin/env", ["python3", "-c", probe, OpenBLASRelaunchTests.executable!] + arguments, timeout: 300)
        let fields = result.out.split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        #expect(result.status == 0 && fields.count == 2 && fields[0] == 0, "\(arguments): \(result.out) \(result.err)")
        return (fields.last ?? 0) * 1024
    }

    @Test("recommend --all for 10× the users takes no more memory beyond its output, far below users × items")
    func boundedByTheBlock() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var peaks: [Int: Int] = [:]
        for users in [600, 6_000] {
            // Every user rates 3 items; the items cover the whole catalogue.
            var text = "user_id,book_id,rating\n"
            for u in 0..<users { for j in 0..<3 { text += "\(u),\((u * 7 + j * 6_661) % Self.items),\(1 + (u + j) % 5)\n" } }
            for i in 0..<Self.items { text += "\(users + i % 50),\(i),3\n" }
            let ratings = dir.appendingPathComponent("r\(users).csv").path
            try text.write(toFile: ratings, atomically: true, encoding: .utf8)
            let model = dir.appendingPathComponent("m\(users).safetensors").path
            let trained = try ProgramRunner.embedrec(["train", ratings, "--model", "dot5", "--epochs", "1", "--dimension", "16",
                                                      "--validation-fraction", "0", "--output", model], timeout: 300)
            #expect(trained.status == 0, "\(trained.err)")
            peaks[users] = try Self.peakResidentBytes(["recommend", model, "--all", "--k", "10", "--output",
                                                       dir.appendingPathComponent("all\(users).csv").path])
        }
        let growth = peaks[6_000]! - peaks[600]!
        // The 5,400 more users' full score rows would be 5,400 × 20,000 floats, 432 MB; their
        // lists and CSV are about 1 MB. Allow 64 MB for the larger model file and allocator slack.
        #expect(growth < 64 << 20, "peak resident memory grew by \(growth >> 20) MiB for 10× the users (\(peaks))")
        #expect(peaks[600]! > 0)
    }
}
