// swift-tools-version:6.0
import PackageDescription

// Its own package, so that users of the EmbedRec library never download a web framework.

/// What the app and its fuzzing entry points both build on.
let serving: [Target.Dependency] = [
    .product(name: "EmbedRec", package: "EmbedRec"),
    .product(name: "Hummingbird", package: "hummingbird"),
    .product(name: "HummingbirdCore", package: "hummingbird"),
    .product(name: "Logging", package: "swift-log"),
    .product(name: "NIOCore", package: "swift-nio"),
]

let package = Package(
    name: "BookServer",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "bookserver", targets: ["bookserver"]),
        .library(name: "BookServerApp", targets: ["BookServerApp"]),
        // For Fuzz/ and the tests only: the server never links it.
        .library(name: "_BookServerFuzzing", targets: ["_BookServerFuzzing"]),
    ],
    dependencies: [
        // Named, so the product resolves whatever the checkout folder is called.
        .package(name: "EmbedRec", path: "../.."),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // Hummingbird's own: the event-loop group and the byte-limit error are NIO types.
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // Routes, handlers, the JSON shapes, the page and the swappable recommender holder.
        .target(
            name: "BookServerApp",
            dependencies: serving + [.product(name: "NIOPosix", package: "swift-nio")],
            path: "Sources/BookServerApp"
        ),
        // The fuzzers' entry points (RequestFuzzing, ReloadFuzzing), replayed by the tests;
        // through BookServerApp's `package` declarations, never linked by the server.
        .target(
            name: "_BookServerFuzzing",
            dependencies: ["BookServerApp"] + serving,
            path: "Sources/_BookServerFuzzing"
        ),
        // The command line: parse options, open the model, run the app.
        .executableTarget(
            name: "bookserver",
            dependencies: [
                "BookServerApp",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Sources/bookserver"
        ),
        .testTarget(
            name: "BookServerTests",
            dependencies: [
                "BookServerApp",
                "_BookServerFuzzing",
                .product(name: "EmbedRec", package: "EmbedRec"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Tests/BookServerTests",
            // The request fuzzer's findings, replayed by RequestFuzzingTests.
            exclude: ["Regressions"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
