import EmbedRec
import OpenBLASRelaunch
import Foundation

/// Runs the Python peers in `Benchmarks/peers/peers.py` (see its README) and decodes their
/// one-line JSON answers.
struct PeerRunner {
    let python: String
    let script: String

    /// Finds the peers' virtual environment, or says why peers cannot run.
    static func locate(repoRoot: String) -> Result<PeerRunner, PeerUnavailable> {
        let python = repoRoot + "/.venv-peers/bin/python"
        let script = repoRoot + "/Benchmarks/peers/peers.py"
        guard FileManager.default.isExecutableFile(atPath: python) else {
            return .failure(PeerUnavailable(reason: "no Python environment at \(python); run Benchmarks/peers/setup.sh"))
        }
        guard FileManager.default.fileExists(atPath: script) else {
            return .failure(PeerUnavailable(reason: "missing \(script)"))
        }
        return .success(PeerRunner(python: python, script: script))
    }

    /// Runs a subcommand and returns its JSON object, or nil (with the reason printed) on
    /// failure.
    func run(_ arguments: [String], timeout: Double = 900) -> [String: Any]? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["TF_CPP_MIN_LOG_LEVEL"] = "3"
        environment["PYTHONUNBUFFERED"] = "1"
        // A kernel choice for the system OpenBLAS (the bench's own restart, or one the machine
        // sets for old OpenBLAS builds) is not the peers': NumPy brings its own, newer OpenBLAS,
        // which recognises the CPU and runs slower when pinned. Let it choose; numpy-topk
        // reports the kernels it ran (threadpoolctl).
        for key in [OpenBLASRelaunch.marker, "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"] {
            environment.removeValue(forKey: key)
        }
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        do { try process.run() } catch {
            print("    peer failed to start: \(error)")
            return nil
        }
        // Drain stderr concurrently so a chatty peer cannot block on a full pipe.
        let errorBox = ErrorBox()
        let reader = Thread { errorBox.data = err.fileHandleForReading.readDataToEndOfFile() }
        reader.start()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !errorBox.done { usleep(1000) }
        guard process.terminationStatus == 0,
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else {
            let tail = String(decoding: errorBox.data.suffix(600), as: UTF8.self)
            print("    peer \(arguments.first ?? "") failed (status \(process.terminationStatus)): \(tail)")
            return nil
        }
        return object
    }
}

private final class ErrorBox: @unchecked Sendable {
    var data = Data() { didSet { done = true } }
    var done = false
}

struct PeerUnavailable: Error { let reason: String }

extension Dictionary where Key == String, Value == Any {
    func double(_ key: String) -> Double? {
        if let v = self[key] as? Double { return v }
        if let v = self[key] as? Int { return Double(v) }
        return nil
    }
}
