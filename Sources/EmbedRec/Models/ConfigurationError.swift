/// Settings or arguments a model, trainer, projection or index cannot work with: thrown before
/// any work starts, so nothing is half done.
public enum ConfigurationError: Error, Equatable, CustomStringConvertible {
    /// A setting is outside its range or contradicts another (the message names it and why).
    case invalidSetting(String)
    /// Arrays passed together do not have the shapes they must (the message gives both).
    case shapeMismatch(String)

    /// A one-line message that says what went wrong.
    public var description: String {
        switch self {
        case .invalidSetting(let why): return "invalid setting: \(why)"
        case .shapeMismatch(let why): return "shape mismatch: \(why)"
        }
    }
}
