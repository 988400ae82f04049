import EmbedRec

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The executables' decision to restart with vector OpenBLAS kernels.
///
/// The library only reports what OpenBLAS chose (``OpenBLASKernels/coreName``) and what to set
/// (``OpenBLASKernels/recommendedCoreType``); changing the process's environment and image is
/// an application's call, so it lives here, in a target that only the package's executables
/// link.
public enum OpenBLASRelaunch {
    /// The environment variable a restart sets besides `OPENBLAS_CORETYPE`, so that the process
    /// can tell its own choice from the user's (and, say, not pass it on to child processes
    /// that bring their own OpenBLAS).
    public static let marker = "EMBEDREC_RELAUNCHED_WITH_OPENBLAS_CORETYPE"

    /// When OpenBLAS fell back to generic kernels on a CPU with AVX2 or AVX-512 and
    /// `OPENBLAS_CORETYPE` is unset, sets it to ``OpenBLASKernels/recommendedCoreType`` and
    /// restarts the process image with the same arguments (`execv` of `/proc/self/exe`),
    /// printing one line to standard error; the restarted process also has ``marker`` set.
    /// When the restart fails, or the restarted process still runs generic kernels, it says so
    /// on standard error and carries on. Does nothing otherwise. Call it first thing in `main`,
    /// before any thread starts; setting `OPENBLAS_CORETYPE` yourself (to any value) turns it
    /// off. Linux only.
    public static func restartWithRecommendedKernelsIfNeeded() {
        #if os(Linux)
        if let chosen = getenv(marker), OpenBLASKernels.recommendedCoreType != nil {
            printError("OPENBLAS_CORETYPE=\(String(cString: chosen)) had no effect: OpenBLAS still runs its generic \(OpenBLASKernels.coreName) kernels")
            return
        }
        guard getenv("OPENBLAS_CORETYPE") == nil, let core = OpenBLASKernels.recommendedCoreType else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        setenv(marker, core, 1)
        printError("OpenBLAS chose its generic \(OpenBLASKernels.coreName) kernels for this CPU; restarting with OPENBLAS_CORETYPE=\(core)")
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        let reason = String(cString: strerror(errno))
        unsetenv("OPENBLAS_CORETYPE")
        unsetenv(marker)
        printError("restart failed (\(reason)); carrying on with the \(OpenBLASKernels.coreName) kernels")
        #endif
    }

    private static func printError(_ line: String) {
        _ = (line + "\n").withCString { write(2, $0, strlen($0)) }
    }
}
