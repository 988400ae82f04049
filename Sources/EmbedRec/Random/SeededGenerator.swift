import RealModule

/// A seedable, platform-independent pseudo-random generator (xoshiro256**, seeded by
/// SplitMix64).
///
/// Every random choice EmbedRec makes (splits, shuffles, initialisation, dropout, synthetic data)
/// draws from this generator, so a seed gives the same result on every platform and Swift
/// version — unlike `SystemRandomNumberGenerator` or the standard library's distributions.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var s0, s1, s2, s3: UInt64

    /// Creates a generator from a 64-bit seed.
    public init(seed: UInt64) {
        var sm = seed
        func splitMix(_ x: inout UInt64) -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix(&sm); s1 = splitMix(&sm); s2 = splitMix(&sm); s3 = splitMix(&sm)
    }

    /// Derives an independent stream, e.g. one per worker or per purpose.
    public func derived(_ stream: UInt64) -> SeededGenerator {
        var copy = self
        return SeededGenerator(seed: copy.next() ^ (stream &* 0x9E37_79B9_7F4A_7C15))
    }

    /// The next 64 random bits.
    @inline(__always)
    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }

    /// A uniform integer in `0..<bound` (Lemire's method, unbiased). `bound` must be positive.
    @inline(__always)
    public mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0, "bound must be positive")
        let b = UInt64(bound)
        var m = next().multipliedFullWidth(by: b)
        if m.low < b {
            let threshold = (0 &- b) % b
            while m.low < threshold { m = next().multipliedFullWidth(by: b) }
        }
        return Int(m.high)
    }

    /// A uniform Float in [0, 1) with 24 random bits.
    @inline(__always)
    public mutating func nextUnitFloat() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }

    /// A uniform Double in [0, 1) with 53 random bits.
    @inline(__always)
    public mutating func nextUnitDouble() -> Double {
        Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// A standard normal variate (Box–Muller; one of the pair is discarded for simplicity).
    public mutating func nextNormal() -> Double {
        var u1 = nextUnitDouble()
        while u1 <= 0 { u1 = nextUnitDouble() }
        let u2 = nextUnitDouble()
        return (-2 * Double.log(u1)).squareRoot() * Double.cos(2 * Double.pi * u2)
    }

    /// Shuffles `array` in place (Fisher–Yates), reproducibly for this generator's state.
    public mutating func shuffle<T>(_ array: inout [T]) {
        array.withUnsafeMutableBufferPointer { shuffle($0) }
    }

    /// Shuffles a buffer in place (Fisher–Yates), as ``shuffle(_:)-(inout [T])`` does an array.
    mutating func shuffle<T>(_ buffer: UnsafeMutableBufferPointer<T>) {
        guard buffer.count > 1 else { return }
        for i in stride(from: buffer.count - 1, to: 0, by: -1) {
            let j = nextInt(below: i + 1)
            buffer.swapAt(i, j)
        }
    }
}
