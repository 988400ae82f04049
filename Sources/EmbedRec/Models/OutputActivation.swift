import RealModule

/// How a model maps its raw output to a rating.
public enum OutputActivation: Sendable, Hashable, Codable {
    /// The raw output.
    case linear
    /// max(0, x), as the goodbooks tutorial's last Dense layer.
    case relu
    /// `min + (max − min) · σ(x)`, as the MovieLens tutorial's best models.
    case sigmoidScaled(min: Float, max: Float)

    /// The output for raw value `x`.
    public func value(of x: Float) -> Float { apply(x) }

    @inline(__always)
    func apply(_ x: Float) -> Float {
        switch self {
        case .linear: return x
        case .relu: return max(0, x)
        case let .sigmoidScaled(lo, hi): return lo + (hi - lo) / (1 + Float.exp(-x))
        }
    }

    /// The raw output that gives rating `y` (for fold-in targets); for the sigmoid the rating is
    /// first clamped just inside the range, for ReLU negative ratings map to 0.
    func inverse(_ y: Float) -> Float {
        switch self {
        case .linear: return y
        case .relu: return max(0, y)
        case let .sigmoidScaled(lo, hi):
            let s = min(max((y - lo) / (hi - lo), 0.02), 0.98)
            return Float.log(s / (1 - s))
        }
    }

    /// d output / d x given x and the output y.
    @inline(__always)
    func derivative(_ x: Float, _ y: Float) -> Float {
        switch self {
        case .linear: return 1
        case .relu: return x > 0 ? 1 : 0
        case let .sigmoidScaled(lo, hi):
            let s = (y - lo) / (hi - lo)
            return (hi - lo) * s * (1 - s)
        }
    }

    var range: ClosedRange<Float>? {
        if case let .sigmoidScaled(lo, hi) = self { return lo...hi }
        return nil
    }

    func validate() throws {
        if case let .sigmoidScaled(lo, hi) = self {
            guard lo.isFinite, hi.isFinite, lo < hi else {
                throw ConfigurationError.invalidSetting("rating range must have min < max, got \(lo)...\(hi)")
            }
        }
    }

    var summary: String {
        switch self {
        case .linear: return "linear"
        case .relu: return "relu"
        case let .sigmoidScaled(lo, hi): return "sigmoid \(lo)...\(hi)"
        }
    }
}
