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

    /// Runs `program` with `arguments`, standard output and error into pipes. With `timeout`,
    /// a program still running after that many seconds is killed (SIGKILL) and its status is
    /// then `timedOutStatus`, so that a hang fails the test instead of stalling the suite.
    static func run(_ program: String, _ arguments: [String], timeout: Double? = nil,
                    environment extra: [String: String] = [:]) throws -> (status: Int32, out: String, err: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "OPENBLAS_CORETYPE")
        environment.removeValue(forKey: OpenBLASRelaunch.marker)
        environment.merge(extra) { $1 }
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out; process.standardError = err
        try process.run()
        let timedOut = Mutex(false)
        if let timeout {
            let pid = process.processIdentifier
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout) {
                if process.isRunning { timedOut.withLock { $0 = true }; kill(pid, SIGKILL) }
            }
        }
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
        let status = timedOut.withLock { $0 } ? timedOutStatus : process.terminationStatus
        return (status, String(decoding: outData, as: UTF8.self), errData.withLock { String(decoding: $0, as: UTF8.self) })
    }

    /// The status `run` reports for a program it killed at its timeout.
    static let timedOutStatus: Int32 = -999

    /// Runs the built `embedrec` (see ``run(_:_:timeout:environment:)``).
    static func embedrec(_ arguments: [String], timeout: Double? = 120) throws -> (status: Int32, out: String, err: String) {
        try run(OpenBLASRelaunchTests.executable!, arguments, timeout: timeout)
    }

    /// Runs `program` in a pseudo-terminal (`script -qec`), returning everything it drew.
    static func runInTerminal(_ program: String, _ arguments: [String]) throws -> (status: Int32, screen: String) {
        let quoted = ([program] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        let result = try run(script!, ["-qec", quoted, "/dev/null"])
        return (result.status, result.out)
    }
}
