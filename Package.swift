// swift-tools-version: 6.1
import PackageDescription

/// Async functions run on their caller's executor unless marked `@concurrent` (SE-0461): on a
/// ring thread, calling into the runtime then costs no executor switch.
var runtimeSwiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("NonisolatedNonsendingByDefault")
]

/// `ASYNC_URING_UNSAFE_CONTINUATION=1 swift build ...` resumes operations through
/// `UnsafeContinuation` instead of `CheckedContinuation` (no misuse checks, one allocation
/// less per wait).
if Context.environment["ASYNC_URING_UNSAFE_CONTINUATION"] == "1" {
    runtimeSwiftSettings.append(.define("ASYNC_URING_UNSAFE_CONTINUATION"))
}

let package = Package(
    name: "AsyncUringSocket",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "AsyncUringSocket", targets: ["AsyncUringSocket"]),
        .library(name: "AsyncUring", targets: ["AsyncUring"]),
        .library(name: "AsyncUringNIO", targets: ["AsyncUringNIO"]),
        .library(name: "AsyncUringHTTP", targets: ["AsyncUringHTTP"]),
        .executable(name: "uring-bench", targets: ["uring-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-system.git", from: "1.8.1"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swiftlang/swift-docc-plugin.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
    ],
    targets: [
        .target(
            name: "CLiburing",
            linkerSettings: [.linkedLibrary("uring")]
        ),
        .target(
            name: "AsyncUring",
            dependencies: [
                "CLiburing",
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HeapModule", package: "swift-collections"),
            ],
            swiftSettings: runtimeSwiftSettings
        ),
        .target(
            name: "AsyncUringSocket",
            dependencies: [
                "AsyncUring",
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: runtimeSwiftSettings
        ),
        /// HTTP/1.1 server on TCPServer, with swift-http-types requests and responses.
        .target(
            name: "AsyncUringHTTP",
            dependencies: [
                "AsyncUringSocket",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: runtimeSwiftSettings
        ),
        /// ByteBuffer interop: its own target, so the core modules do not depend on SwiftNIO.
        .target(
            name: "AsyncUringNIO",
            dependencies: [
                "AsyncUringSocket",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: runtimeSwiftSettings
        ),
        .executableTarget(
            name: "uring-bench",
            dependencies: [
                "AsyncUringSocket",
                "AsyncUring",
                "AsyncUringHTTP",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "lifecycle-example",
            dependencies: [
                "AsyncUringSocket",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "example-chat",
            dependencies: [
                "AsyncUringSocket",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: runtimeSwiftSettings
        ),
        .executableTarget(
            name: "example-proxy",
            dependencies: [
                "AsyncUringSocket",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: runtimeSwiftSettings
        ),
        .executableTarget(
            name: "example-resp",
            dependencies: [
                "AsyncUringSocket",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: runtimeSwiftSettings
        ),
        /// What the test targets share: the descriptor count of their leak checks, a raw
        /// HTTP/1.1 client.
        .target(
            name: "AsyncUringTestSupport",
            dependencies: ["AsyncUring", "AsyncUringSocket"],
            path: "Tests/AsyncUringTestSupport"
        ),
        .testTarget(
            name: "AsyncUringTests",
            dependencies: ["AsyncUring", "AsyncUringTestSupport", "CLiburing"]
        ),
        /// Fixtures/: recorded BenchResults files that `compare` is tested on.
        .testTarget(
            name: "UringBenchTests",
            dependencies: ["uring-bench", "AsyncUringSocket", "AsyncUring", "AsyncUringTestSupport"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "AsyncUringSocketTests",
            dependencies: [
                "AsyncUringSocket",
                "AsyncUring",
                "AsyncUringTestSupport",
                .product(name: "PropertyBased", package: "swift-property-based"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "AsyncUringHTTPTests",
            dependencies: [
                "AsyncUringHTTP",
                "AsyncUringSocket",
                "AsyncUringTestSupport",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        /// The request parser against SwiftNIO's (llhttp) on generated requests, valid and not.
        .testTarget(
            name: "AsyncUringHTTPDifferentialTests",
            dependencies: [
                "AsyncUringHTTP",
                "AsyncUringSocket",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "AsyncUringNIOTests",
            dependencies: [
                "AsyncUringNIO",
                "AsyncUringSocket",
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "LifecycleTests",
            dependencies: [
                "AsyncUringSocket",
                "AsyncUring",
                "lifecycle-example",
                "AsyncUringTestSupport",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        /// The example executables, run as child processes end to end.
        .testTarget(
            name: "ExampleTests",
            dependencies: [
                "AsyncUringSocket",
                "AsyncUring",
                "AsyncUringTestSupport",
                "example-chat",
                "example-proxy",
                "example-resp",
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)

/// `ASYNC_URING_FUZZ=1 swift build ...` adds the libFuzzer target of the HTTP request parser
/// (scripts/fuzz.sh builds and runs it). It is a target of this package because the parser's
/// types have `package` access; it is left out otherwise, as it links only with
/// `-sanitize=fuzzer` (its entry point runs libFuzzer's driver).
if Context.environment["ASYNC_URING_FUZZ"] == "1" {
    package.targets.append(
        .executableTarget(
            name: "http-parser-fuzz",
            dependencies: [
                "AsyncUringHTTP",
                "AsyncUringSocket",
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            path: "Fuzz/http-parser-fuzz"
        )
    )
}
