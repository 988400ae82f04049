// libFuzzer target for BookServer's request handling: bytes → a request (method flags, target,
// body) → the query checks, the body decoder and the real router → the answer checked.
// Built by Scripts/fuzz.sh server with -sanitize=fuzzer,address; this main hands libFuzzer the
// callback.
@testable import _BookServerFuzzing
import CFuzzerDriver
import Foundation

// Build the recommender and the router before the first input, not inside it.
_ = RequestFuzzing.server

let fuzzOneInput: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32 = { data, size in
    let input = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    if let broken = RequestFuzzing.checkBlocking(input) { fatalError("RequestFuzzing: \(broken)") }
    return 0
}

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzOneInput))
