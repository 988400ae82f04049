import ArgumentParser
import EmbedRec
import OpenBLASRelaunch
import Foundation
import Synchronization

@main
struct EmbedRecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embedrec",
        abstract: "Embedding recommenders on CPU: train, evaluate and recommend.",
        subcommands: [Demo.self, Generate.self, Train.self, Evaluate.self, Recommend.self, Similar.self, Info.self, Export.self, Plot.self, Report.self],
        defaultSubcommand: Demo.self)

    /// Restarts with vector OpenBLAS kernels when OpenBLAS did not recognise the CPU (see
    /// `OpenBLASKernels`), then parses the arguments and runs.
    static func main() {
        OpenBLASRelaunch.restartWithRecommendedKernelsIfNeeded()
        if let message = invalidUTF8Argument() {
            FileHandle.standardError.write(Data("Error: \(message)\n".utf8))
            Foundation.exit(64)
        }
        main(nil)
    }

    /// Swift decodes arguments as UTF-8 and replaces invalid bytes, so a file name in another
    /// encoding would be looked up under a different name and reported missing. Such an argument
    /// is refused at once with its bytes shown.
    static func invalidUTF8Argument() -> String? {
        for k in 1..<Int(CommandLine.argc) {
            guard let raw = CommandLine.unsafeArgv[k] else { continue }
            let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(raw).assumingMemoryBound(to: UInt8.self), count: strlen(raw))
            if String(validating: bytes, as: UTF8.self) == nil {
                let shown = bytes.prefix(80).map { (32..<127).contains($0) && $0 != 92 ? String(UnicodeScalar($0)) : String(format: "\\x%02X", $0) }.joined()
                return "argument \(k) (\(shown)) is not valid UTF-8: embedrec takes file names in UTF-8; rename the file or link to it under a UTF-8 name"
            }
        }
        return nil
    }
}

/// Refuses, before any work, an output path that cannot be written: a directory, FIFO, device
/// or socket (or a link to one), a missing or read-only folder. `-` is not a file name here.
func checkOutputPath(_ path: String, option: String) throws {
    do { try PathChecks.checkWritable(path) } catch {
        throw ValidationError("\(option) \(path): \(error.reason)")
    }
}

/// Refuses, before any work, an input path that is not a readable regular file.
func checkInputPath(_ path: String, option: String) throws {
    do { try PathChecks.checkReadable(path) } catch {
        throw ValidationError("\(option) \(path): \(error.reason)")
    }
}

/// A recipe named on the command line (`Recipe.named`): a rating model or a top-N one.
struct RecipeChoice: ExpressibleByArgument {
    let recipe: Recipe

    init?(argument: String) {
        guard let recipe = Recipe.named(argument) else { return nil }
        self.recipe = recipe
    }

    static var allValueStrings: [String] { Recipe.all.map(\.name) }
    var defaultValueDescription: String { recipe.name }
}

/// `recipe` with the command's settings; a setting the recipe cannot take is a usage error
/// naming the option.
func adjustedRecipe(_ recipe: Recipe, _ changes: RecipeChanges) throws -> Recipe {
    do {
        return try recipe.adjusted(changes)
    } catch ConfigurationError.invalidSetting(let why) {
        // The recipe's messages start with the setting's name, which is the option's.
        throw ValidationError("--" + why)
    }
}

/// Trains with a line per epoch on standard output and, when standard error is a terminal, a
/// live progress bar there (epoch, batches, loss, validation RMSE, ratings/s, ETA). `label` names
/// what `validation` is ("validation" for a split carved from the training data, "test" when a
/// command only watches its test set, which then never chooses the epoch).
func fitWithProgress(_ recipe: Recipe, train: RatingsDataset, validation: RatingsDataset?, parallelism: Parallelism? = nil,
                     label: String = "validation") throws -> FittedModel {
    let bar: ProgressBar? = isatty(STDERR_FILENO) == 1 ? ProgressBar(label: label, validates: validation != nil) : nil
    var duringEpoch: (@Sendable (TrainingProgress) -> Void)? = nil
    if let bar { duringEpoch = { progress in bar.draw(progress) } }
    let afterEpoch: @Sendable (TrainingHistory) -> TrainingControl = { history in
        guard let e = history.epochs.last else { return .proceed }
        bar?.clear()
        let watched: String = e.validation.map { "  \(label) RMSE " + String(format: "%.4f", $0.rmse) } ?? ""
        let lossName = recipe.predictsRatings ? "MSE" : "loss"
        let line: String = String(format: "  epoch %2d  train ", e.epoch) + lossName + String(format: " %.4f", e.meanLoss) + watched
            + String(format: "  %.2fM ratings/s  %.1f s", e.ratingsPerSecond / 1e6, e.seconds)
        print(line)
        bar?.finished(e)
        return .proceed
    }
    let observer = TrainingObserver(interval: 0.1, duringEpoch: duringEpoch, afterEpoch: afterEpoch)
    defer { bar?.clear() }
    return try recipe.fit(train, options: FitOptions(parallelism: parallelism, validation: validation, observer: observer))
}

/// A one-line progress bar redrawn in place on standard error (a terminal).
final class ProgressBar: Sendable {
    let label: String
    /// The last finished epoch's validation RMSE, shown while the next one runs.
    private let lastRMSE = Mutex<Double?>(nil)

    /// Whether epochs are validated (the bar then keeps room for the RMSE from the start).
    let validates: Bool

    init(label: String, validates: Bool) { self.label = label; self.validates = validates }

    func draw(_ p: TrainingProgress) {
        let share = Double(p.batchesDone) / Double(max(1, p.batches))
        let name = " \(label == "validation" ? "val" : label) RMSE "
        let rmse = lastRMSE.withLock { $0 }.map { name + String(format: "%.4f", $0) } ?? (validates ? name + "     -" : "")
        // The first moments' pace (thread start, cold caches) says little about the rest.
        let settled = p.fractionDone >= 0.02 || p.secondsElapsed >= 2
        let eta = " ETA " + (settled ? p.estimatedSecondsRemaining.map(Self.clock) ?? "-:--" : "-:--")
        let head = "epoch \(p.epoch)/\(p.epochs) ["
        let tail = "] " + String(format: "%3.0f%% loss %.4f", share * 100, p.meanLoss)
            + rmse + String(format: " %.2fM ratings/s", p.ratingsPerSecond / 1e6) + eta
        // The bar takes what is left of 79 columns, so the line never wraps on an 80-column terminal.
        let width = max(5, 79 - head.count - tail.count)
        let filled = min(width, Int((share * Double(width)).rounded(.down)))
        let line = head + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + tail
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
    }

    func finished(_ epoch: EpochRecord) {
        lastRMSE.withLock { $0 = epoch.validation?.rmse }
    }

    func clear() {
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }

    /// 75 → "1:15", 4000 → "1:06:40".
    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}

/// A rating scale given on the command line as `LO...HI` (`0.5...5`, `0...10`): it replaces the
/// format's, and a rating outside it is refused with its file and line.
struct RatingScaleArgument: ExpressibleByArgument {
    let range: ClosedRange<Float>

    init?(argument: String) {
        let parts = argument.components(separatedBy: "...")
        guard parts.count == 2, let low = Float(parts[0]), let high = Float(parts[1]), low.isFinite, high.isFinite, low < high else {
            return nil
        }
        range = low...high
    }

    var defaultValueDescription: String { "\(range.lowerBound)...\(range.upperBound)" }
}

/// A failure found while running (not a usage mistake): printed as one "Error: …" line,
/// without the usage text a `ValidationError` brings.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The options of the commands that list items (`recommend`, `similar`).
struct ListingOptions: ParsableArguments {
    @Option(help: "How many items to list.")
    var k: Int = 10

    @Flag(help: "JSON lines instead of a table.")
    var json = false

    func validate() throws {
        guard k >= 1 else { throw ValidationError("--k must be at least 1") }
    }
}

/// Opens a saved recommender; a failure names the file when the library's message does not.
func openRecommender(_ path: String) throws -> Recommender {
    do {
        return try Recommender(contentsOf: path)
    } catch {
        let message = String(describing: error)
        throw CommandFailure(message.contains(path) ? message : "\(path): \(message)")
    }
}
