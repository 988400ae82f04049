import Foundation
import OpenBLASRelaunch
import Synchronization
@testable import EmbedRec

/// Runs the package's executables (built next to the tests) as a person would.
enum ProgramRunner {
    /// The executable `name` in the build folder, or nil when it is not built.
    static func path(of name: String) -> String? {
        guard let embedrec = OpenBLASRelaunchTests.executable else { return nil }
        let candidate = URL(fileURLWithPath: embedrec).deletingLastPathComponent().appendingPathComponent(name).path
        return FileManager.default.isExecutableFile(atPath: candidate) ? candidate : nil
    }

    /// `script` from util-linux, to run a command in a pseudo-terminal.
    static let script: String? = ["/usr/bin/script", "/bin/script"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Runs `program` with `arguments`, standard output and error into pipes.
    static func run(_ program: String, _ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "OPENBLAS_CORETYPE")
        environment.removeValue(forKey: OpenBLASRelaunch.marker)
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out; process.standardError = err
        try process.run()
        // Standard error on another thread, so that neither pipe fills while the other is read.
        let errData = Mutex(Data())
        let errDone = DispatchSemaphore(value: 0)
        let errHandle = err.fileHandleForReading
        DispatchQueue.global().async {
            let data = errHandle.readDataToEndOfFile()
            errData.withLock { $0 = data }
            errDone.signal()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        errDone.wait()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: outData, as: UTF8.self), errData.withLock { String(decoding: $0, as: UTF8.self) })
    }

    /// Runs `program` in a pseudo-terminal (`script -qec`), returning everything it drew.
    static func runInTerminal(_ program: String, _ arguments: [String]) throws -> (status: Int32, screen: String) {
        let quoted = ([program] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        let result = try run(script!, ["-qec", quoted, "/dev/null"])
        return (result.status, result.out)
    }
}
