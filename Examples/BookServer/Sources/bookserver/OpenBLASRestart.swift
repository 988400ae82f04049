import EmbedRec

#if canImport(Glibc)
import Glibc
#endif

/// The restart with vector OpenBLAS kernels that EmbedRec's own executables make (its
/// `OpenBLASRelaunch` target is not a product, so this is the application's copy): when
/// OpenBLAS fell back to its generic kernels on a CPU it does not know, every score of the
/// catalogue runs several times slower.
enum OpenBLASRestart {
    static let marker = "EMBEDREC_RELAUNCHED_WITH_OPENBLAS_CORETYPE"

    /// Sets `OPENBLAS_CORETYPE` and restarts the process image once, before any thread starts;
    /// does nothing when OpenBLAS chose well or the user set `OPENBLAS_CORETYPE`. Linux only.
    static func restartIfNeeded() {
        #if os(Linux)
        guard getenv(marker) == nil, getenv("OPENBLAS_CORETYPE") == nil,
              let core = OpenBLASKernels.recommendedCoreType else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        setenv(marker, core, 1)
        printError("OpenBLAS chose its generic \(OpenBLASKernels.coreName) kernels for this CPU; restarting with OPENBLAS_CORETYPE=\(core)")
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // Only reached when the restart failed: carry on with the generic kernels.
        unsetenv("OPENBLAS_CORETYPE"); unsetenv(marker)
        printError("restart failed (\(String(cString: strerror(errno)))); carrying on with the \(OpenBLASKernels.coreName) kernels")
        #endif
    }

    private static func printError(_ line: String) {
        _ = (line + "\n").withCString { write(2, $0, strlen($0)) }
    }
}
