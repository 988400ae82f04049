/// How a parameter tensor is filled before training. Draws come from ``SeededGenerator``.
public enum Initializer: Sendable, Hashable, Codable {
    /// Uniform in [-limit, limit]; Keras' default for `Embedding` is `uniform(0.05)`.
    case uniform(Float)
    /// Normal with this standard deviation.
    case normal(std: Float)
    /// He-normal: truncated normal (±2σ) with σ = √(2 / fanIn), as Keras' `he_normal`.
    /// Keras takes fanIn = `shape[0]` for a 2-D tensor, which for an embedding table is its row
    /// count; EmbedRec does the same so results match the tutorials.
    case heNormal
    /// Glorot-uniform: limit √(6 / (fanIn + fanOut)), Keras' default for `Dense` kernels.
    case glorotUniform
    /// A constant.
    case constant(Float)

    /// Fills `tensor` (fanIn = `shape[0]`, fanOut = `shape[1]` or 1).
    func fill(_ tensor: Tensor, _ rng: inout SeededGenerator) {
        let fanIn = Float(tensor.shape.first ?? 1)
        let fanOut = Float(tensor.shape.count > 1 ? tensor.shape[1] : 1)
        let p = tensor.storage
        switch self {
        case .uniform(let limit):
            for k in 0..<tensor.count { p[k] = (rng.nextUnitFloat() * 2 - 1) * limit }
        case .normal(let std):
            for k in 0..<tensor.count { p[k] = Float(rng.nextNormal()) * std }
        case .heNormal:
            let std = (2 / max(fanIn, 1)).squareRoot()
            for k in 0..<tensor.count {
                var z = rng.nextNormal()
                while abs(z) > 2 { z = rng.nextNormal() }
                p[k] = Float(z) * std
            }
        case .glorotUniform:
            let limit = (6 / max(fanIn + fanOut, 1)).squareRoot()
            for k in 0..<tensor.count { p[k] = (rng.nextUnitFloat() * 2 - 1) * limit }
        case .constant(let c):
            for k in 0..<tensor.count { p[k] = c }
        }
    }

    func validate(_ name: String) throws {
        switch self {
        case .uniform(let l) where !(l >= 0 && l.isFinite),
             .normal(let l) where !(l >= 0 && l.isFinite),
             .constant(let l) where !l.isFinite:
            throw ConfigurationError.invalidSetting("\(name): initializer parameter must be finite and non-negative")
        default: return
        }
    }
}
