/// Training that started and could not go on. The model keeps the weights of the last good
/// epoch, so it is still usable; the remedy is a smaller learning rate.
public enum TrainingError: Error, Equatable, CustomStringConvertible {
    /// The loss became NaN or infinite in `epoch`; weights are those after `lastGoodEpoch` (0 = initial).
    case nonFiniteLoss(epoch: Int, lastGoodEpoch: Int)
    /// The mean training loss grew beyond any sensible size (still finite) in `epoch`.
    case diverged(epoch: Int, meanLoss: Double, lastGoodEpoch: Int)

    /// A one-line message that says what went wrong and what to do.
    public var description: String {
        switch self {
        case let .nonFiniteLoss(epoch, lastGood):
            return "loss became NaN or infinite in epoch \(epoch); weights restored to the end of epoch \(lastGood) (0 = initial); lower the learning rate"
        case let .diverged(epoch, loss, lastGood):
            return "training diverged in epoch \(epoch) (mean training loss \(loss)); weights restored to the end of epoch \(lastGood) (0 = initial); lower the learning rate"
        }
    }
}
