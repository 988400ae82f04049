// swift-tools-version:6.0
// libFuzzer targets for EmbedRec's parsers and model loader (Scripts/fuzz.sh builds and runs
// them). A package of its own so the sanitizer flags never reach the main build.
import PackageDescription

let package = Package(
    name: "EmbedRecFuzz",
    dependencies: [.package(name: "EmbedRec", path: "..")],
    targets: [
        // Each calls one of the `FuzzEntryPoints` of the `_EmbedRecFuzzing` product, which the
        // regression test in Tests/EmbedRecTests replays on every saved finding.
        .target(name: "CFuzzerDriver"),
        .executableTarget(name: "FuzzRatings", dependencies: ["CFuzzerDriver", .product(name: "EmbedRec", package: "EmbedRec"), .product(name: "_EmbedRecFuzzing", package: "EmbedRec")]),
        .executableTarget(name: "FuzzCatalog", dependencies: ["CFuzzerDriver", .product(name: "EmbedRec", package: "EmbedRec"), .product(name: "_EmbedRecFuzzing", package: "EmbedRec")]),
        .executableTarget(name: "FuzzModel", dependencies: ["CFuzzerDriver", .product(name: "EmbedRec", package: "EmbedRec"), .product(name: "_EmbedRecFuzzing", package: "EmbedRec")]),
        // Writes corpus/model (not a fuzzer: built without the sanitizer flags).
        .executableTarget(name: "MakeModelSeeds", dependencies: [.product(name: "EmbedRec", package: "EmbedRec")]),
    ],
    swiftLanguageModes: [.v6]
)
