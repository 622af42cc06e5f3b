// swift-tools-version:6.1
import PackageDescription

/// How the programs we ship are linked on Linux. The toolchain's default exports every
/// symbol (`-export-dynamic`) and gives the position-independent binary one relocation
/// record a pointer, about 137,000 in `yizhand`: the loader reads them all at start, which
/// kept about 5 MB of the daemon resident for nothing (docs/benchmarks.md). lld packs the
/// relocations into a bitmap (`DT_RELR`, read by glibc from 2.36) and the binary exports
/// only what its shared libraries look up; it stays position-independent.
let linkedLean: [LinkerSetting] = [
    .unsafeFlags(
        ["-use-ld=lld", "-Xlinker", "--no-export-dynamic", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs"],
        .when(platforms: [.linux]))
]

let package = Package(
    name: "yizhan",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "yizhand", targets: ["yizhand"]),
        .executable(name: "yizhanctl", targets: ["yizhanctl"]),
        .executable(name: "yizhan-district", targets: ["yizhan-district"]),
    ],
    dependencies: [
        // Not its default trait ConfigurationSupport: the daemon reads its own config, and
        // swift-configuration would be compiled and linked for nothing.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: ["FullFoundation"]),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/LebJe/TOMLKit.git", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.8.1"),
    ],
    targets: [
        // The station's rules: plain values and state machines, no I/O.
        .target(name: "YizhanCore", dependencies: ["CVersion"]),
        // Reads and validates yizhand.toml into core values.
        .target(
            name: "YizhanConfig",
            dependencies: ["YizhanCore", "ESCPOS", .product(name: "TOMLKit", package: "TOMLKit")]
        ),
        // Badge tokens and the hashes stations and the district keep of them.
        .target(name: "YizhanCredentials", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        // SQLite: migrations, ledger, scan log, and applying the core's decisions.
        .target(
            name: "YizhanStore",
            dependencies: [
                "YizhanCore", "YizhanCredentials", "YizhanWire", "YizhanSystem",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // ESC/POS byte encoding of slips, no I/O.
        .target(name: "ESCPOS", dependencies: ["YizhanCore"]),
        // What a printer without a Chinese font or QR function needs drawn, and the virtual
        // printer that previews slips: FreeType, libqrencode, libpng.
        .target(name: "ESCPOSRaster", dependencies: ["ESCPOS", "YizhanCore", "CFreeType", "CQREncode", "CPNG"]),
        // The one ordered path every scan takes: session, rules, durable commit, outcome.
        .target(
            name: "YizhanStation",
            dependencies: ["YizhanCore", "YizhanStore", "YizhanWire", .product(name: "Logging", package: "swift-log")]
        ),
        // The kernel calls swift-system's `FileDescriptor` does not make, in one file, each
        // retried on `EINTR` and failing with an `Errno`.
        .target(name: "YizhanSystem", dependencies: ["CLinux", .product(name: "SystemPackage", package: "swift-system")]),
        // Scanners and printer transports, real and simulated.
        .target(
            name: "YizhanDevices",
            dependencies: [
                "YizhanCore", "YizhanSystem", "YizhanExecutors", "ESCPOS", "CGPIOD", "CXKBCommon", "CUSB",
            ]
        ),
        // The district's PostgreSQL: its schema, a station's push, the district office's work.
        .target(
            name: "YizhanDistrict",
            dependencies: [
                "YizhanCore", "YizhanCredentials",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The API's vocabulary, shared by the daemon, its clients and the tests: request bodies
        // and their strict decoding, replies, and how both are written as JSON.
        .target(name: "YizhanWire", dependencies: ["YizhanCore"]),
        // The HTTP/JSON API served on the Unix sockets.
        .target(
            name: "YizhanAPI",
            dependencies: [
                "YizhanCore", "YizhanStore", "YizhanStation", "YizhanWire", "YizhanSystem", "CLinux",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Wiring: config, services, lifecycle.
        .target(
            name: "YizhanDaemon",
            dependencies: [
                "YizhanCore", "YizhanConfig", "YizhanStore", "YizhanStation", "YizhanWire", "YizhanDevices", "YizhanSystem",
                "YizhanAPI", "YizhanDistrict", "YizhanExecutors", "ESCPOS", "ESCPOSRaster", "CLinux",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // libgpiod, through one header of thin calls (v1 now; v2 is its sibling branch).
        .systemLibrary(name: "CGPIOD", pkgConfig: "libgpiod", providers: [.apt(["libgpiod-dev"])]),
        // libxkbcommon, for turning a keyboard-wedge scanner's keycodes into text.
        .systemLibrary(name: "CXKBCommon", pkgConfig: "xkbcommon", providers: [.apt(["libxkbcommon-dev", "xkb-data"])]),
        // libusb, for printers on USB without the kernel's printer driver.
        .systemLibrary(name: "CUSB", pkgConfig: "libusb-1.0", providers: [.apt(["libusb-1.0-0-dev"])]),
        .systemLibrary(name: "CFreeType", pkgConfig: "freetype2", providers: [.apt(["libfreetype-dev", "fonts-wqy-microhei"])]),
        .systemLibrary(name: "CQREncode", pkgConfig: "libqrencode", providers: [.apt(["libqrencode-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        // The version make stamps into the build (.build/version.h), kept out of Swift so a
        // new version relinks instead of recompiling.
        .target(name: "CVersion"),
        // Linux calls that Glibc's Swift module does not expose.
        .target(name: "CLinux"),
        // A small HTTP/1.1 client for the Unix sockets, used by yizhanctl and the tests.
        .target(name: "YizhanClient", dependencies: ["YizhanWire", "YizhanSystem"]),
        // Swift concurrency's executors for a process that must sleep when idle.
        .target(name: "YizhanExecutors", dependencies: ["CLinux", "YizhanSystem"]),
        .executableTarget(
            name: "yizhand",
            dependencies: [
                "YizhanDaemon", "YizhanConfig", "YizhanCore", "YizhanExecutors",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            // The compiler installs a `DefaultExecutorFactory` only with availability
            // checking off on Linux (the API is marked for macOS 26.4).
            swiftSettings: [.unsafeFlags(["-Xfrontend", "-disable-availability-checking"])],
            linkerSettings: linkedLean
        ),
        .executableTarget(
            name: "yizhanctl",
            dependencies: [
                "YizhanClient", "YizhanWire", "YizhanCore", "YizhanSystem", "ESCPOS", "ESCPOSRaster",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            linkerSettings: linkedLean
        ),
        // The district office's CLI.
        .executableTarget(
            name: "yizhan-district",
            dependencies: [
                "YizhanCore", "YizhanDistrict", "YizhanSystem", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            linkerSettings: linkedLean
        ),
        // `make bench`: the figures of SPEC 8 beside their baselines.
        .executableTarget(
            name: "yizhan-bench",
            dependencies: [
                "YizhanCore", "YizhanStore", "YizhanStation", "YizhanDaemon", "YizhanDevices", "YizhanClient", "YizhanTestSupport",
                "YizhanDistrict", "YizhanWire", "ESCPOS",
                "ESCPOSRaster",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            // Linked as the shipped programs are, with the same flags (`make bench`), which
            // name lld's ordering file.
            linkerSettings: linkedLean
        ),
        // Fuzz targets for what hostile bytes reach (`make fuzz`); built plainly, a replayer
        // of the committed corpora.
        .executableTarget(
            name: "yizhan-fuzz", dependencies: ["YizhanCore", "YizhanConfig", "YizhanDevices", "ESCPOS", "YizhanWire", "YizhanClient"]),
        .target(name: "YizhanTestSupport", dependencies: ["YizhanCore", "YizhanClient", "YizhanWire", "YizhanDevices", "YizhanSystem"]),
        .testTarget(name: "YizhanCoreTests", dependencies: ["YizhanCore", "YizhanTestSupport"]),
        .testTarget(name: "YizhanConfigTests", dependencies: ["YizhanConfig", "YizhanCore"]),
        .testTarget(name: "YizhanWireTests", dependencies: ["YizhanWire", "YizhanCore"]),
        .testTarget(name: "YizhanClientTests", dependencies: ["YizhanClient", "YizhanSystem"]),
        .testTarget(
            name: "DistrictTests",
            dependencies: ["YizhanCore", "YizhanDistrict", "YizhanTestSupport", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(
            name: "YizhanStoreTests",
            dependencies: [
                "YizhanCore", "YizhanCredentials", "YizhanStore", "YizhanWire", "YizhanTestSupport", "StationTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
        // A station on real SQLite with a manual clock, for the station's tests and the store's.
        .target(
            name: "StationTestSupport",
            dependencies: [
                "YizhanCore", "YizhanStore", "YizhanStation", "YizhanWire", "YizhanTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/StationTestSupport"
        ),
        .testTarget(
            name: "YizhanStationTests",
            dependencies: ["YizhanCore", "YizhanStore", "YizhanStation", "YizhanWire", "YizhanTestSupport", "StationTestSupport"]
        ),
        .testTarget(
            name: "YizhanAPITests",
            dependencies: [
                "YizhanAPI", "YizhanStation", "YizhanStore", "YizhanWire", "YizhanTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "YizhanDevicesTests",
            dependencies: ["YizhanDevices", "YizhanTestSupport"]
        ),
        .testTarget(name: "ESCPOSTests", dependencies: ["ESCPOS", "ESCPOSRaster", "YizhanCore", "YizhanTestSupport"]),
        .testTarget(
            name: "YizhanDaemonTests",
            dependencies: [
                "YizhanDaemon", "YizhanAPI", "YizhanDevices", "YizhanConfig", "YizhanSystem", "YizhanTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "SystemPackage", package: "swift-system"),
            ]),
        .testTarget(name: "YizhanExecutorsTests", dependencies: ["YizhanExecutors", "YizhanSystem"]),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "YizhanClient", "YizhanWire", "YizhanTestSupport", "CLinux",
                // An older version's database, made by the schema's own migrations.
                "YizhanStore", .product(name: "GRDB", package: "GRDB.swift"),
            ]),
    ]
)
