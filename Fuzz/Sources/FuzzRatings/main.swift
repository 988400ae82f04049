// libFuzzer target for the ratings parser: goodbooks ratings.csv, MovieLens u.data, ratings.dat and ratings.csv.
// Built by Scripts/fuzz.sh with -sanitize=fuzzer,address; this main hands libFuzzer the callback.
import CFuzzerDriver
import Foundation
import EmbedRec
import _EmbedRecFuzzing

let fuzzOneInput: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32 = { data, size in
    let input = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    FuzzEntryPoints.ratings(input)
    return 0
}

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzOneInput))
