// swift-tools-version:6.0
//
// The dom0 tools of time-traveling Xen.
//
//   TTLog          the log library (the one product): format, streaming writer and
//                  reader, index, analysis (stats, verify, diff), the rings, replay
//   TTRender       the text and JSON renderings of records (ttd-read-log, TTTools'
//                  output buffer, the tests), not in the TTLog product
//   TTTools        shared code of the executables (output, options, the entry point)
//   TTLogTestSupport  the SYNTHETIC record generator (ttd-log-gen, tests)
//   TTXen          every libxen call, with typed errors (ttd-xl, ttd-deviced, ttd-ctl)
//   TTSession      the daemon's sessions, as rr's: RecordSession and ReplaySession,
//                  step() returning a SessionStatus, run() the loop; their console,
//                  message log and signals (ttd-deviced is their command line)
//   CXen           Debian's libxen-dev (xenctrl, xencall, xenevtchn,
//                  xenforeignmemory, xenlight, xlutil)
//   CZstd          Debian's libzstd
//   CTTSupport     CRC32C (SSE4.2 when the CPU has it)
//   CTTABI         xen/src/include/public/tt.h, for the ABI tests
import PackageDescription

let package = Package(
    name: "swift-tools",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "ttd-read-log", targets: ["ttd-read-log"]),
        .executable(name: "ttd-deviced", targets: ["ttd-deviced"]),
        .executable(name: "ttd-xl", targets: ["ttd-xl"]),
        .executable(name: "ttd-ctl", targets: ["ttd-ctl"]),
        .executable(name: "ttd-log-gen", targets: ["ttd-log-gen"]),
        .library(name: "TTLog", targets: ["TTLog"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-system", exact: "1.8.1"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
    ],
    targets: [
        .systemLibrary(name: "CXen", pkgConfig: "xenlight",
                       providers: [.apt(["libxen-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd",
                       providers: [.apt(["libzstd-dev"])]),
        .target(name: "CTTSupport"),
        .target(name: "CTTABI"),
        .target(name: "TTLog", dependencies: [
            "CTTSupport", "CZstd", .product(name: "SystemPackage", package: "swift-system"),
        ]),
        // Rendering: ttd-read-log's, not the TTLog product's.
        .target(name: "TTRender", dependencies: ["TTLog"]),
        .target(name: "TTTools", dependencies: [
            "TTLog", "TTRender",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .target(name: "TTXen", dependencies: ["CXen", "TTLog"]),
        // The daemon's recording and replay sessions (ttd-deviced, the tests).
        .target(name: "TTSession", dependencies: [
            "CTTSupport", "TTLog", "TTTools", "TTXen",
            .product(name: "Logging", package: "swift-log"),
        ]),
        // The SYNTHETIC record generator: ttd-log-gen and the tests, not the TTLog product.
        .target(name: "TTLogTestSupport", dependencies: ["TTLog"]),
        .executableTarget(name: "ttd-read-log", dependencies: [
            "TTLog", "TTRender", "TTTools",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "ttd-deviced", dependencies: [
            "TTLog", "TTSession", "TTTools",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "ttd-xl", dependencies: [
            "TTTools", "TTXen",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "ttd-ctl", dependencies: [
            "TTLog", "TTTools", "TTXen",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "ttd-log-gen", dependencies: [
            "TTLog", "TTLogTestSupport", "TTTools",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "ttlog-fuzz", dependencies: ["TTLog", "TTRender"]),
        .testTarget(name: "TTLogTests", dependencies: [
            .product(name: "Logging", package: "swift-log"),
            "TTLog", "TTRender", "TTLogTestSupport", "CTTABI", "CTTSupport", "TTTools", "TTXen", "TTSession", "ttd-read-log", "ttd-log-gen", "ttd-deviced", "ttd-xl", "ttd-ctl",
        ]),
    ]
)
