import Foundation
import Testing
@testable import EmbedRec
import OpenBLASRelaunch

/// The `embedrec` executable restarts itself with vector OpenBLAS kernels where OpenBLAS fell
/// back to generic ones, keeps its arguments, and leaves a user's `OPENBLAS_CORETYPE` alone.
/// Runs the executable `swift test` builds next to the test bundle.
@Suite("OpenBLAS kernel relaunch")
struct OpenBLASRelaunchTests {
    static let executable: String? = {
        #if os(Linux)
        guard let me = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return nil }
        // The test runner lives in .build/<config>/ (possibly inside an .xctest bundle).
        var folder = URL(fileURLWithPath: me).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = folder.appendingPathComponent("embedrec").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            folder = folder.deletingLastPathComponent()
        }
        #endif
        return nil
    }()

    /// Runs `embedrec` with `arguments`, the environment minus OpenBLAS's variables plus `extra`.
    static func run(_ arguments: [String], extra: [String: String] = [:]) throws -> (status: Int32, out: String, err: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable!)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "OPENBLAS_CORETYPE")
        environment.removeValue(forKey: OpenBLASRelaunch.marker)
        environment.merge(extra) { $1 }
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out; process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }

    @Test("restarts once when OpenBLAS fell back, keeps the arguments, and never otherwise",
          .enabled(if: executable != nil, "the embedrec executable is not built next to the tests"))
    func relaunch() throws {
        let result = try Self.run(["train", "--help"])
        #expect(result.status == 0)
        // The arguments survive the restart: this is the train subcommand's help, printed once.
        #expect(result.out.contains("USAGE: embedrec train"))
        #expect(result.out.components(separatedBy: "USAGE:").count == 2)
        // This process sees the kernels OpenBLAS picks by itself only when it was started
        // without OPENBLAS_CORETYPE; then it knows what the child must do.
        if getenv("OPENBLAS_CORETYPE") == nil {
            if let core = OpenBLASKernels.recommendedCoreType {
                #expect(result.err.contains("restarting with OPENBLAS_CORETYPE=\(core)"))
                #expect(result.err.components(separatedBy: "restarting").count == 2)
                #expect(!result.err.contains("had no effect") && !result.err.contains("restart failed"))
                // OpenBLAS names the kernels it loads: generic ones first, then the chosen ones.
                let verbose = try Self.run(["--help"], extra: ["OPENBLAS_VERBOSE": "2"])
                #expect(verbose.err.contains("Core: \(OpenBLASKernels.coreName)"))
                #expect(verbose.err.contains("Core: \(core)"))
                // A restart that leaves the generic kernels in place says so.
                let stuck = try Self.run(["--help"], extra: ["OPENBLAS_CORETYPE": "Prescott", OpenBLASRelaunch.marker: core])
                #expect(stuck.status == 0)
                #expect(stuck.err.contains("had no effect"))
            } else {
                #expect(!result.err.contains("restarting"))
            }
        }
        // A user's choice, even the generic kernels, is respected.
        let pinned = try Self.run(["--help"], extra: ["OPENBLAS_CORETYPE": "Prescott"])
        #expect(pinned.status == 0)
        #expect(!pinned.err.contains("restarting"))
    }
}
