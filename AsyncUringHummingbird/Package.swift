// swift-tools-version: 6.1
import PackageDescription

/// Serves a Hummingbird 2 responder (a `Router` with its middleware) over AsyncUringHTTP on
/// io_uring. A package of its own, so that users of the root package never resolve Hummingbird
/// and its SwiftNIO stack.
/// As in the root package: async functions run on their caller's executor (SE-0461), so the
/// adapter's code runs on the connection's ring thread without an executor switch.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("NonisolatedNonsendingByDefault")
]

let package = Package(
    name: "AsyncUringHummingbird",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "AsyncUringHummingbird", targets: ["AsyncUringHummingbird"])
    ],
    dependencies: [
        .package(name: "AsyncUringSocket", path: ".."),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        .target(
            name: "AsyncUringHummingbird",
            dependencies: [
                .product(name: "AsyncUringHTTP", package: "AsyncUringSocket"),
                .product(name: "AsyncUringSocket", package: "AsyncUringSocket"),
                .product(name: "AsyncUring", package: "AsyncUringSocket"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AsyncUringHummingbirdTests",
            dependencies: [
                "AsyncUringHummingbird",
                .product(name: "AsyncUringSocket", package: "AsyncUringSocket"),
                .product(name: "AsyncUring", package: "AsyncUringSocket"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
