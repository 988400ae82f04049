// libFuzzer target for BookServer's reload path: bytes → what lies at the model path (a file,
// a mutated model, a FIFO, a folder, a socket, links) → ModelStore.reload() → the outcome
// checked (ends within 5 s, only a regular file swaps in, the store stays usable).
// Built by Scripts/fuzz.sh reload with -sanitize=fuzzer,address.
@testable import _BookServerFuzzing
import CFuzzerDriver
import Foundation

// Train the small model and save its file before the first input.
_ = ReloadFuzzing.validBytes

let fuzzOneInput: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32 = { data, size in
    let input = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    if let broken = ReloadFuzzing.checkBlocking(input) { fatalError("ReloadFuzzing: \(broken)") }
    return 0
}

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzOneInput))
