// swift-tools-version:6.1

import PackageDescription

/// Benchmarks for AsyncUringSocket, kept out of the root package so that its users do not
/// resolve SwiftNIO or package-benchmark. The peer servers below are the yardsticks the bench
/// runner measures against: each takes the same flags and prints the same
/// `listening on HOST:PORT` line. `hummingbird-nio-http` is the HTTP peer of
/// `uring-bench http-run`, with the same flags and line; `nio-file-read` is the file peer of
/// `uring-bench file-run`. `RuntimeBenchmarks` holds the microbenchmarks run by
/// `swift package benchmark`, with the thresholds checked in under `Thresholds/`.
let package = Package(
    name: "Benchmarks",
    platforms: [
        .macOS("15")
    ],
    dependencies: [
        .package(name: "AsyncUringSocket", path: ".."),
        // The malloc interposer backs the malloc metrics; the default traits would also ask
        // for the ARC runtime interposer, which is not needed for these metrics.
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        // The HTTP peer. Its default traits (swift-configuration support, full Foundation) are
        // not used by the peer server.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        // For hummingbird-uring-http: the Hummingbird adapter.
        .package(path: "../AsyncUringHummingbird"),
    ],
    targets: [
        // Command line, announcement and termination handling shared by the peer servers.
        .target(
            name: "NIOEchoShared",
            dependencies: [
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
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
        // SwiftNIO UDP echo server: a DatagramBootstrap on one event loop thread, with vector
        // reads and writes.
        .executableTarget(
            name: "nio-udp-echo",
            dependencies: [
                "NIOEchoShared",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // Hummingbird 2 HTTP server on SwiftNIO with one event loop thread: the HTTP peer that
        // `uring-bench http-run` measures beside nginx.
        .executableTarget(
            name: "hummingbird-nio-http",
            dependencies: [
                "NIOEchoShared",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // A Hummingbird Router served over io_uring by AsyncUringHummingbird, with the routes of
        // `uring-bench http-server`.
        .executableTarget(
            name: "hummingbird-uring-http",
            dependencies: [
                "NIOEchoShared",
                .product(name: "AsyncUringHummingbird", package: "AsyncUringHummingbird"),
                .product(name: "AsyncUring", package: "AsyncUringSocket"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Random block reads of a file through SwiftNIO's file system (a thread pool hop per
        // read): the peer of `uring-bench file-read`, with the same flags and line.
        .executableTarget(
            name: "nio-file-read",
            dependencies: [
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "_NIOFileSystem", package: "swift-nio"),
            ]
        ),
        // Microbenchmarks of the runtime: NOP round trips, loopback ping-pong, connection set-up.
        .executableTarget(
            name: "RuntimeBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "AsyncUring", package: "AsyncUringSocket"),
                .product(name: "AsyncUringSocket", package: "AsyncUringSocket"),
                .product(name: "AsyncUringHTTP", package: "AsyncUringSocket"),
            ],
            path: "Benchmarks/RuntimeBenchmarks",
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark")
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
