#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Allocation of large Float32 buffers (embedding tables, optimizer moments).
///
/// Training touches table rows at random, so on 4 KiB pages nearly every row access is a TLB
/// miss. Buffers of 1 MiB or more are aligned to 2 MiB and, on Linux, marked for transparent
/// huge pages, which cut those misses (measured in Docs/Benchmarks.md).
package enum FloatBuffer {
    package static let hugePage = 2 << 20

    /// Allocates `count` zeroed floats. Free with ``deallocate(_:)``.
    package static func allocateZeroed(_ count: Int) -> UnsafeMutablePointer<Float> {
        let bytes = max(count, 1) * MemoryLayout<Float>.stride
        if bytes >= 1 << 20 {
            var raw: UnsafeMutableRawPointer? = nil
            let rounded = (bytes + hugePage - 1) / hugePage * hugePage
            if posix_memalign(&raw, hugePage, rounded) == 0, let raw {
                #if os(Linux)
                // Memory reused from the heap is already backed by 4 KiB pages, which
                // MADV_HUGEPAGE does not convert: drop them (the range then reads as zeros)
                // so the first touch faults in huge pages.
                _ = madvise(raw, rounded, 14 /* MADV_HUGEPAGE */)
                // After MADV_DONTNEED private anonymous memory reads as zeros: no memset pass.
                if madvise(raw, rounded, 4 /* MADV_DONTNEED */) != 0 { memset(raw, 0, rounded) }
                #else
                memset(raw, 0, rounded)
                #endif
                return raw.bindMemory(to: Float.self, capacity: max(count, 1))
            }
        }
        let p = UnsafeMutablePointer<Float>.allocate(capacity: max(count, 1))
        p.initialize(repeating: 0, count: max(count, 1))
        return p
    }

    /// Frees a buffer from ``allocateZeroed(_:)``.
    package static func deallocate(_ p: UnsafeMutablePointer<Float>) {
        free(UnsafeMutableRawPointer(p))
    }
}

/// Transparent huge pages for a large buffer that is about to be written for the first time
/// (a file read into memory, parsed columns): one page fault per 2 MiB instead of one per
/// 4 KiB. Only the 2 MiB-aligned interior is advised; a no-op off Linux or for small buffers.
package enum HugePages {
    package static func advise(_ start: UnsafeMutableRawPointer?, bytes: Int) {
        #if os(Linux)
        guard let start, bytes >= 4 << 20 else { return }
        let page = FloatBuffer.hugePage
        let first = (Int(bitPattern: start) + page - 1) / page * page
        let last = (Int(bitPattern: start) + bytes) / page * page
        guard last > first else { return }
        _ = madvise(UnsafeMutableRawPointer(bitPattern: first), last - first, 14 /* MADV_HUGEPAGE */)
        #endif
    }
}
