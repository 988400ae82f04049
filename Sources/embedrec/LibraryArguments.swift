// The library's value types that options take, made parsable here (the library does not
// depend on ArgumentParser).
import ArgumentParser
import EmbedRec

/// `--user 42`, `--item 034545104X`: an ID as typed, an integer when it is a plain whole number.
extension RawID: ExpressibleByArgument {
    public init?(argument: String) {
        guard !argument.isEmpty else { return nil }
        self.init(argument)
    }
}

/// `--encoding utf8|latin1`.
extension RatingsFileFormat.Encoding: ExpressibleByArgument {}
