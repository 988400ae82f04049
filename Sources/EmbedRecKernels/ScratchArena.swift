/// A bump allocator of Float32 scratch space for one worker's training or scoring step.
///
/// Models take temporary matrices from it during a step and the worker resets it afterwards,
/// so steady-state steps allocate nothing. Earlier allocations never move.
package final class ScratchArena: @unchecked Sendable {
    private var blocks: [(pointer: UnsafeMutablePointer<Float>, capacity: Int)] = []
    private var used = 0
    private var current = 0

    /// Creates an arena with an initial capacity in floats.
    package init(capacity: Int = 1 << 14) {
        blocks.append((.allocate(capacity: max(capacity, 64)), max(capacity, 64)))
    }

    deinit { for b in blocks { b.pointer.deallocate() } }

    /// Uninitialised space for `count` floats, 16-float aligned, valid until ``reset()``.
    package func take(_ count: Int) -> UnsafeMutablePointer<Float> {
        let rounded = (max(count, 1) + 15) & ~15
        if used + rounded > blocks[current].capacity {
            current += 1
            if current == blocks.count {
                let capacity = max(rounded, blocks[current - 1].capacity * 2)
                blocks.append((.allocate(capacity: capacity), capacity))
            }
            used = 0
            if rounded > blocks[current].capacity {
                blocks[current].pointer.deallocate()
                blocks[current] = (.allocate(capacity: rounded), rounded)
            }
        }
        let p = blocks[current].pointer + used
        used += rounded
        return p
    }

    /// Zero-filled space for `count` floats.
    package func takeZeroed(_ count: Int) -> UnsafeMutablePointer<Float> {
        let p = take(count)
        p.initialize(repeating: 0, count: count)
        return p
    }

    /// Floats allocated in all its blocks (what it holds, used or not).
    package var capacity: Int { blocks.reduce(0) { $0 + $1.capacity } }

    /// Releases everything taken since the last reset.
    package func reset() { used = 0; current = 0 }
}
