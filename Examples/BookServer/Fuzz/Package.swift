// swift-tools-version:6.0
// The libFuzzer target for BookServer's request handling (Scripts/fuzz.sh server builds and
// runs it). A package of its own, beside the server's, so the sanitizer flags never reach the
// server's normal build, and the library's fuzz package (Fuzz/) never builds Hummingbird.
import PackageDescription

let package = Package(
    name: "BookServerFuzz",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "BookServer", path: "..")],
    targets: [
        // libFuzzer's driver, for a main() of our own (as in Fuzz/).
        .target(name: "CFuzzerDriver"),
        // Calls RequestFuzzing in _BookServerFuzzing (through `@testable import`, so the build
        // passes -enable-testing), which RequestFuzzingTests replays on the corpus.
        .executableTarget(name: "FuzzServer", dependencies: ["CFuzzerDriver", .product(name: "_BookServerFuzzing", package: "BookServer")]),
        // The reload path's file checks (ReloadFuzzing), replayed by ReloadFuzzingTests.
        .executableTarget(name: "FuzzReload", dependencies: ["CFuzzerDriver", .product(name: "_BookServerFuzzing", package: "BookServer")]),
    ],
    swiftLanguageModes: [.v6]
)
