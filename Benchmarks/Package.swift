// swift-tools-version:6.1

import PackageDescription

/// Benchmarks for AsyncUringSocket, kept out of the root package so that its users do not
/// resolve SwiftNIO. The peer servers below are the yardsticks the bench runner measures
/// against: each takes the same flags and prints the same `listening on HOST:PORT` line.
let package = Package(
    name: "Benchmarks",
    platforms: [
        .macOS("14")
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    ],
    targets: [
        // Command line, announcement and termination handling shared by the peer servers.
        .target(
            name: "NIOEchoShared",
            dependencies: [
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // SwiftNIO echo server built from a ChannelInboundHandler.
        .executableTarget(
            name: "nio-echo-handler",
            dependencies: [
                "NIOEchoShared",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // SwiftNIO echo server built from NIOAsyncChannel and structured concurrency.
        .executableTarget(
            name: "nio-echo-async",
            dependencies: [
                "NIOEchoShared",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
