import Dispatch

/// How many worker threads EmbedRec's parallel loops use.
///
/// A value type passed through configurations; no global mutable state. The default uses
/// every active core.
public struct Parallelism: Sendable, Hashable {
    /// Worker threads (at least 1).
    public var threads: Int

    /// - Parameter threads: worker threads; values below 1 are raised to 1.
    public init(threads: Int) { self.threads = max(1, threads) }

    /// One worker per active core.
    public static var automatic: Parallelism {
        Parallelism(threads: ProcessInfoCores.active)
    }

    /// A single worker: the deterministic, sequential path.
    public static let sequential = Parallelism(threads: 1)
}

enum ProcessInfoCores {
    static var active: Int {
        #if canImport(Glibc)
        return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        #else
        return max(1, Int(sysconf(_SC_NPROCESSORS_ONLN)))
        #endif
    }
}

/// Runs `body(worker)` for `worker` in `0..<count` across threads and waits for all of them.
@inline(__always)
func parallelFor(_ count: Int, _ body: (Int) -> Void) {
    if count <= 1 {
        if count == 1 { body(0) }
        return
    }
    // Workers write to disjoint parts of caller-owned buffers; the caller guarantees that, so
    // the closure is passed across threads unchecked.
    withoutActuallyEscaping(body) { escapable in
        let box = UncheckedSendable(escapable)
        DispatchQueue.concurrentPerform(iterations: count) { box.value($0) }
    }
}

/// Carries a value across threads where the caller guarantees exclusive or read-only access.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
