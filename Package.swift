// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "EmbedRec",
    products: [
        .library(name: "EmbedRec", targets: ["EmbedRec"]),
        // SVG plots and the HTML report of a training run: apart, so the engine needs no drawing.
        .library(name: "EmbedRecPlots", targets: ["EmbedRecPlots"]),
        // The conformance checks a model must pass, for tests of models written elsewhere.
        .library(name: "EmbedRecTestSupport", targets: ["EmbedRecTestSupport"]),
        // The fuzzers' entry points and the reference ratings parser they check against: for
        // Fuzz/ and the regression tests only, never linked by the library.
        .library(name: "_EmbedRecFuzzing", targets: ["_EmbedRecFuzzing"]),
        .executable(name: "embedrec", targets: ["embedrec"]),
        .executable(name: "embedrec-bench", targets: ["embedrec-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-numerics", from: "1.1.1"),
        // `swift package generate-documentation --target EmbedRec` (Scripts/build-docs.sh).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // OpenBLAS (CBLAS) and LAPACKE through a C module map.
        .systemLibrary(
            name: "COpenBLAS",
            path: "Sources/COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]
        ),
        // zlib, to read gzip-compressed ratings files directly.
        .systemLibrary(
            name: "CZlib",
            path: "Sources/CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // The kernels beneath the public surface: SIMD and C row kernels, BLAS calls, top-K
        // selection, scratch arenas, huge-page buffers, parallel loops. Not a product: its
        // `package` declarations are for this package's targets only.
        .target(
            name: "EmbedRecKernels",
            dependencies: ["COpenBLAS"],
            path: "Sources/EmbedRecKernels"
        ),
        .target(
            name: "EmbedRec",
            dependencies: ["EmbedRecKernels", "COpenBLAS", "CZlib", .product(name: "RealModule", package: "swift-numerics")],
            path: "Sources/EmbedRec"
        ),
        .target(
            name: "EmbedRecPlots",
            dependencies: ["EmbedRec"],
            path: "Sources/EmbedRecPlots"
        ),
        .target(
            name: "EmbedRecTestSupport",
            dependencies: ["EmbedRec"],
            path: "Sources/EmbedRecTestSupport"
        ),
        .target(
            name: "_EmbedRecFuzzing",
            dependencies: ["EmbedRec"],
            path: "Sources/_EmbedRecFuzzing"
        ),
        // The executables' decision to restart with vector OpenBLAS kernels (setenv + execv): an
        // application's call, so it stays out of the library.
        .target(
            name: "OpenBLASRelaunch",
            dependencies: ["EmbedRec"],
            path: "Sources/OpenBLASRelaunch"
        ),
        .executableTarget(
            name: "embedrec",
            dependencies: [
                "EmbedRec",
                "EmbedRecPlots",
                "OpenBLASRelaunch",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/embedrec"
        ),
        // The benchmark suites, as a library so the test suite can smoke-test them.
        .target(
            name: "BenchmarkSuites",
            dependencies: ["EmbedRec", "EmbedRecKernels", "COpenBLAS", "OpenBLASRelaunch"],
            path: "Benchmarks/BenchmarkSuites"
        ),
        .executableTarget(
            name: "embedrec-bench",
            dependencies: [
                "BenchmarkSuites",
                "COpenBLAS",
                "EmbedRec",
                "OpenBLASRelaunch",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Benchmarks/embedrec-bench"
        ),
        .executableTarget(
            name: "quickstart-example",
            dependencies: ["EmbedRec", "OpenBLASRelaunch"],
            path: "Examples/QuickStart"
        ),
        // The tutorials as programs (`swift run BookRecommender`, `ModelComparison`, `NewReader`).
        .executableTarget(
            name: "BookRecommender",
            dependencies: ["EmbedRec", "OpenBLASRelaunch", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Examples/BookRecommender"
        ),
        .executableTarget(
            name: "ModelComparison",
            dependencies: ["EmbedRec", "OpenBLASRelaunch", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Examples/ModelComparison"
        ),
        .executableTarget(
            name: "NewReader",
            dependencies: ["EmbedRec", "OpenBLASRelaunch", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Examples/NewReader"
        ),
        .testTarget(
            name: "EmbedRecTests",
            dependencies: [
                "EmbedRec", "EmbedRecKernels", "EmbedRecPlots", "BenchmarkSuites", "OpenBLASRelaunch", "EmbedRecTestSupport", "_EmbedRecFuzzing",
                .product(name: "RealModule", package: "swift-numerics"),
            ],
            path: "Tests/EmbedRecTests",
            // The NumPy reader the interop test runs; the fuzzers' findings FuzzRegressionTests replays.
            exclude: ["Python", "Regressions"]
        ),
        // Public API only (no @testable): a model written outside the library.
        .testTarget(
            name: "EmbedRecPublicAPITests",
            dependencies: ["EmbedRec", "EmbedRecTestSupport"],
            path: "Tests/EmbedRecPublicAPITests"
        ),
        // The DocC articles' code, verbatim (Scripts/check-doc-snippets.py), compiled and run
        // against the public API.
        .testTarget(
            name: "DocumentationSnippetTests",
            dependencies: ["EmbedRec"],
            path: "Tests/DocumentationSnippetTests"
        ),
    ],
    swiftLanguageModes: [.v6]
)
