// libFuzzer target for the model loader: bytes → safetensors → Recommender, then a few requests.
// Built by Scripts/fuzz.sh with -sanitize=fuzzer,address; this main hands libFuzzer the callback.
import CFuzzerDriver
import Foundation
import EmbedRec
import _EmbedRecFuzzing

/// One scratch file per fuzzing process (the loader reads files, not bytes); in shared memory
/// when the machine has it, so the disk is not worn by millions of writes.
let scratchPath: String = {
    let folder = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
    return "\(folder)/embedrec-fuzz-model-\(getpid()).safetensors"
}()

let fuzzOneInput: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32 = { data, size in
    let input = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    FuzzEntryPoints.model(input, scratchPath: scratchPath)
    return 0
}

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzOneInput))
