// swift-tools-version:6.0
//
// The dom0 tools of time-traveling Xen.
//
//   TTLog          the log library: format, streaming writer and reader, index
//   TTTools        shared code of the executables (output, options)
//   TTXen          every libxen call, with typed errors (ttd-xl, ttd-deviced, ttd-ctl)
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
    ],
    targets: [
        .systemLibrary(name: "CXen", pkgConfig: "xenlight",
                       providers: [.apt(["libxen-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd",
                       providers: [.apt(["libzstd-dev"])]),
        .target(name: "CTTSupport",
                cSettings: [.unsafeFlags(["-O3"])]),
        .target(name: "CTTABI"),
        .target(name: "TTLog", dependencies: ["CTTSupport", "CZstd"]),
        .target(name: "TTTools", dependencies: ["TTLog"]),
        .target(name: "TTXen", dependencies: ["CXen", "TTLog"]),
        .executableTarget(name: "ttd-read-log", dependencies: [
            "TTLog", "TTTools",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "ttd-deviced", dependencies: [
            "CTTSupport", "TTLog", "TTTools", "TTXen",
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
            "TTLog", "TTTools",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "ttlog-fuzz", dependencies: ["TTLog"]),
        .testTarget(name: "TTLogTests", dependencies: [
            "TTLog", "CTTABI", "CTTSupport", "TTTools", "TTXen", "ttd-read-log", "ttd-log-gen", "ttd-deviced", "ttd-xl", "ttd-ctl",
        ]),
    ]
)
