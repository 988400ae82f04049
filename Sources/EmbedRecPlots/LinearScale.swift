import Foundation

/// Maps a data interval onto a pixel interval, with "nice" tick positions (steps of 1, 2 or 5
/// times a power of ten) covering the data.
public struct LinearScale: Sendable, Hashable {
    /// The data interval shown (widened to nice ticks or padded).
    public let domain: ClosedRange<Double>
    /// The pixel interval it maps onto.
    public let range: ClosedRange<Double>
    /// Flipped scales map the domain's lower end to the range's upper end (SVG's y axis grows
    /// downwards).
    public let flipped: Bool
    /// The smallest tick step (1 for whole-number axes such as epochs or K).
    public let minimumStep: Double?

    /// A scale whose domain covers `lower...upper`: widened to nice tick boundaries, or (for
    /// scatter plots, where whole empty tick steps waste the plane) padded by 4% each side.
    public init(covering lower: Double, _ upper: Double, onto range: ClosedRange<Double>, flipped: Bool = false,
                ticks: Int = 6, nice: Bool = true, minimumStep: Double? = nil) {
        self.minimumStep = minimumStep
        var lo = lower, hi = upper
        if lo == hi { lo -= lo == 0 ? 1 : abs(lo) * 0.1; hi += hi == 0 ? 1 : abs(hi) * 0.1 }
        if nice {
            let step = max(minimumStep ?? 0, Self.niceStep((hi - lo) / Double(max(1, ticks - 1))))
            domain = (Foundation.floor(lo / step) * step)...(Foundation.ceil(hi / step) * step)
        } else {
            let pad = (hi - lo) * 0.04
            domain = (lo - pad)...(hi + pad)
        }
        self.range = range
        self.flipped = flipped
    }

    /// The pixel position of `v`.
    public func position(_ v: Double) -> Double {
        let t = (v - domain.lowerBound) / (domain.upperBound - domain.lowerBound)
        let u = flipped ? 1 - t : t
        return range.lowerBound + u * (range.upperBound - range.lowerBound)
    }

    /// Tick values inside the domain, about `count` of them.
    public func ticks(_ count: Int = 6) -> [Double] {
        let step = max(minimumStep ?? 0, Self.niceStep((domain.upperBound - domain.lowerBound) / Double(max(1, count - 1))))
        let first = Foundation.ceil(domain.lowerBound / step - 1e-9)
        var out: [Double] = []
        var k = first
        while k * step <= domain.upperBound + step * 1e-9, out.count < 100 {
            out.append(abs(k * step) < step * 1e-9 ? 0 : k * step)
            k += 1
        }
        return out
    }

    /// The tick labels for `ticks`, with as many decimals as the step needs.
    public static func labels(_ ticks: [Double]) -> [String] {
        guard ticks.count >= 2 else { return ticks.map { format($0, decimals: 2) } }
        let step = abs(ticks[1] - ticks[0])
        let decimals = step >= 1 ? 0 : min(6, Int(Foundation.ceil(-Foundation.log10(step) - 1e-9)))
        let large = ticks.map(abs).max() ?? 0
        if large >= 1e6 { return ticks.map { $0 == 0 ? "0" : withoutTrailingZeros(format($0 / 1e6, decimals: max(0, decimals - 6))) + "M" } }
        if large >= 1e4 { return ticks.map { $0 == 0 ? "0" : withoutTrailingZeros(format($0 / 1e3, decimals: max(0, decimals - 3))) + "k" } }
        return ticks.map { withoutTrailingZeros(format($0, decimals: decimals)) }
    }

    /// `1.50` → `1.5`, `2.0` → `2`: a tick says its value, not the axis's precision.
    static func withoutTrailingZeros(_ s: String) -> String {
        guard s.contains(".") else { return s }
        var t = Substring(s)
        while t.last == "0" { t = t.dropLast() }
        if t.last == "." { t = t.dropLast() }
        return String(t)
    }

    static func format(_ v: Double, decimals: Int) -> String {
        let s = String(format: "%.\(decimals)f", v)
        return s.hasPrefix("-") && Double(s) == 0 ? String(s.dropFirst()) : s
    }

    /// The smallest of 1, 2, 5 × 10ⁿ at least `raw`.
    static func niceStep(_ raw: Double) -> Double {
        guard raw > 0, raw.isFinite else { return 1 }
        let magnitude = Foundation.pow(10, Foundation.floor(Foundation.log10(raw)))
        for m in [1.0, 2, 5, 10] where m * magnitude >= raw * (1 - 1e-9) { return m * magnitude }
        return 10 * magnitude
    }
}
