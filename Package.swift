// swift-tools-version:6.1
import PackageDescription

/// Settings shared by every target of ours: Swift 6 language mode (complete
/// strict concurrency) and warnings that matter for a server.
let swiftSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Lyre",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "lyre", targets: ["lyre"]),
        // Fuzzing (docs/fuzzing.md): built with libFuzzer by scripts/fuzz.
        .executable(name: "lyre-fuzz", targets: ["lyre-fuzz"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        // Observability (LyreMetrics): the metrics API and its Prometheus backend.
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // C
        .systemLibrary(
            name: "CLMDB",
            pkgConfig: "lmdb",
            providers: [.apt(["liblmdb-dev"])]
        ),
        // gzip for rotated log files (Debian: zlib1g-dev).
        .systemLibrary(
            name: "CLyreZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),

        // LZ4 block compression for large stored values (Debian: liblz4-dev), issue 18.
        .systemLibrary(
            name: "CLZ4",
            pkgConfig: "liblz4",
            providers: [.apt(["liblz4-dev"])]
        ),

        // The NATS C client (nats.c; Debian: libnats-dev), for clustering.
        .systemLibrary(
            name: "CNATS",
            pkgConfig: "libnats",
            providers: [.apt(["libnats-dev"])]
        ),

        // Libraries, bottom to top (a target imports only targets above it).
        .target(name: "LyreCore", swiftSettings: swiftSettings),
        // LZ4 blocks behind two functions (no LZ4 type leaves this target).
        .target(name: "LyreCompression", dependencies: ["CLZ4"], swiftSettings: swiftSettings),
        .target(
            name: "LyreStorage",
            dependencies: [
                "CLMDB", "LyreCore", "LyreCompression",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(name: "LyreQuery", dependencies: ["LyreCore", "LyreStorage"], swiftSettings: swiftSettings),
        .target(name: "LyreSQL", dependencies: ["LyreCore", "LyreStorage", "LyreQuery"], swiftSettings: swiftSettings),
        .target(
            name: "LyreAuth",
            dependencies: [
                "LyreCore", "LyreStorage",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "JWTKit", package: "jwt-kit"),
            ],
            swiftSettings: swiftSettings
        ),
        // Clustering's transport: a narrow Swift API over nats.c (JetStream) and the
        // supervised nats-server processes. No NATS type leaves this target.
        .target(
            name: "LyreCluster",
            dependencies: [
                "CNATS", "LyreCore",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // S3 client for import_from_s3 / export_to_s3: SigV4 signing (swift-crypto) and the
        // few REST calls, over async-http-client. Knows nothing of Lyre's operations.
        .target(
            name: "LyreS3",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Observability: GET /metrics in the Prometheus text format (swift-metrics +
        // swift-prometheus). No Prometheus type leaves this target.
        .target(
            name: "LyreMetrics",
            dependencies: [
                "LyreCore",
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "LyreOperations",
            dependencies: [
                "LyreCore", "LyreStorage", "LyreQuery", "LyreSQL", "LyreAuth", "LyreCluster", "CLyreZlib", "LyreS3", "LyreMetrics",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
                // csv_url_load's download (BulkLoad/CSVDownload.swift only).
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings
        ),
        // The web console on GET / (issue 21): static files built into the binary.
        .target(
            name: "LyreStudio",
            resources: [
                .embedInCode("Assets/index.html"), .embedInCode("Assets/studio.css"),
                .embedInCode("Assets/app.js"), .embedInCode("Assets/api.js"), .embedInCode("Assets/dom.js"),
                .embedInCode("Assets/data.js"), .embedInCode("Assets/tools.js"), .embedInCode("Assets/admin.js"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "LyreServer",
            dependencies: [
                "LyreCore", "LyreOperations", "LyreAuth", "LyreStudio",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "lyre",
            dependencies: [
                "LyreCore", "LyreStorage", "LyreOperations", "LyreServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "LyreTestSupport",
            dependencies: [
                "LyreCore", "LyreStorage", "LyreAuth", "LyreOperations", "LyreServer", "LyreCluster", "LyreS3",
                // StaticHTTPServer: a local file server for csv_url_load tests.
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),

        // Fuzz targets (docs/fuzzing.md): one entry per parser or codec, run by libFuzzer
        // through lyre-fuzz (scripts/fuzz) and replayed over the committed corpora by
        // LyreFuzzingTests.
        .target(
            name: "LyreFuzzing",
            dependencies: [
                "LyreCore", "LyreStorage", "LyreSQL", "LyreOperations", "LyreServer", "LyreAuth", "LyreS3",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(name: "lyre-fuzz", dependencies: ["LyreFuzzing"], swiftSettings: swiftSettings),
        // Benchmarks/regex-bench.sh: LinearRegex timed outside the test suite (release builds).
        .executableTarget(name: "lyre-regex-bench", dependencies: ["LyreSQL"], path: "Benchmarks/RegexBench",
                          swiftSettings: swiftSettings),

        // Tests: one target per library, plus the live-port integration suite.
        .testTarget(name: "LyreCoreTests", dependencies: ["LyreCore", "LyreFuzzing", "LyreTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "LyreStorageTests", dependencies: ["LyreCore", "LyreStorage", "LyreTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "LyreQueryTests", dependencies: ["LyreCore", "LyreStorage", "LyreQuery", "LyreTestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "LyreSQLTests",
            dependencies: ["LyreCore", "LyreQuery", "LyreSQL", "LyreTestSupport"],
            resources: [.copy("Resources")],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "LyreClusterTests", dependencies: ["LyreCore", "LyreCluster", "LyreTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "LyreS3Tests", dependencies: ["LyreS3"], swiftSettings: swiftSettings),
        .testTarget(name: "LyreMetricsTests", dependencies: ["LyreMetrics"], swiftSettings: swiftSettings),
        .testTarget(name: "LyreAuthTests", dependencies: ["LyreCore", "LyreAuth", "LyreTestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "LyreOperationsTests",
            dependencies: [
                "LyreCore", "LyreAuth", "LyreOperations", "LyreTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            resources: [.copy("Resources")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LyreServerTests",
            dependencies: [
                "LyreCore", "LyreOperations", "LyreServer", "LyreTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "LyreFuzzingTests", dependencies: ["LyreFuzzing"], swiftSettings: swiftSettings),
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["LyreCore", "LyreTestSupport", "LyreServer", "LyreOperations", "LyreS3"],
            swiftSettings: swiftSettings
        ),
    ]
)
