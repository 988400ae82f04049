@testable import BookServerApp
import Foundation
import Testing
@testable import _BookServerFuzzing

/// Replays the reload fuzzer's seeds (Fuzz/corpus/reload/: one per kind of thing at the model
/// path) and every input it found (Regressions/reload/, when there are any) through its own
/// check: each reload ends within 5 s, only a regular file swaps in, the store stays usable.
@Suite(.serialized) struct ReloadFuzzingTests {
    static let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let folders = [here.appendingPathComponent("../../Fuzz/corpus/reload").standardized,
                          here.appendingPathComponent("Regressions/reload")]

    @Test("every seed and saved finding reloads within the invariants")
    func replay() async throws {
        var kinds = Set<Int>()
        for folder in Self.folders where FileManager.default.fileExists(atPath: folder.path) {
            for name in try FileManager.default.contentsOfDirectory(atPath: folder.path).filter({ !$0.hasPrefix(".") }).sorted() {
                let bytes = [UInt8](try Data(contentsOf: folder.appendingPathComponent(name)))
                kinds.insert(Int(bytes.first ?? 0) % ReloadFuzzing.Kind.allCases.count)
                let broken = await ReloadFuzzing.check(bytes)
                #expect(broken == nil, "\(name): \(broken ?? "")")
            }
        }
        #expect(kinds.count == ReloadFuzzing.Kind.allCases.count, "the seeds cover \(kinds.count) of the kinds")
        // What each kind lays out at the model path is what it says.
        func mode() -> mode_t { var info = stat(); return lstat(ReloadFuzzing.path, &info) == 0 ? info.st_mode & S_IFMT : 0 }
        for (kind, expected) in [(ReloadFuzzing.Kind.fifo, S_IFIFO), (.folder, S_IFDIR), (.linkToFile, S_IFLNK), (.rawFile, S_IFREG), (.nothing, 0)] {
            ReloadFuzzing.prepare([UInt8(kind.rawValue)])
            #expect(mode() == expected, "\(kind)")
        }
        ReloadFuzzing.removeFolder()
    }

    @Test("the time limit reports a reload that does not finish, without waiting for it")
    func timeLimit() async throws {
        let started = Date()
        let late: Int? = await ReloadFuzzing.withTimeLimit(seconds: 0.2) { try? await Task.sleep(for: .seconds(3)); return 1 }
        #expect(late == nil && Date().timeIntervalSince(started) < 2)
        let prompt: Int? = await ReloadFuzzing.withTimeLimit(seconds: 5) { 7 }
        #expect(prompt == 7)
    }
}
