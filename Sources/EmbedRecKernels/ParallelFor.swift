import Dispatch

package enum ProcessInfoCores {
    package static var active: Int {
        #if canImport(Glibc)
        return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        #else
        return max(1, Int(sysconf(_SC_NPROCESSORS_ONLN)))
        #endif
    }
}

/// Runs `body(worker)` for `worker` in `0..<count` across threads and waits for all of them.
@inline(__always)
package func parallelFor(_ count: Int, _ body: (Int) -> Void) {
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
package struct UncheckedSendable<Value>: @unchecked Sendable {
    package let value: Value
    package init(_ value: Value) { self.value = value }
}

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
