import Foundation
import XCTest
@testable import TTLog

/// A fresh directory per test.
func temporaryDirectory(_ name: String = #function) -> String {
    let base = FileManager.default.temporaryDirectory.appendingPathComponent("ttlog-tests-\(getpid())")
    let dir = base.appendingPathComponent(name.filter { $0.isLetter || $0.isNumber })
    try? FileManager.default.removeItem(at: dir)
    try! FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir.path
}

/// One record of every type, every flag combination the ABI allows.
func sampleRecords() -> [Record] {
    let p = { (l: UInt64) in Position(landmark: l, rip: 0xffff_ffff_8100_0000 + l * 16, rcx: l &* 3) }
    let sig = Registers(values: (0..<18).map { UInt64($0) * 0x1111 }, cr3: 0x0000_0001_2345_6000, cpl: 3)
    var sigRecord = Record(.interrupt(Interrupt(kind: .upcall, vector: 0xf3, port: 2, signature: sig)), at: p(4))
    sigRecord.position.rip = sig.values[16]
    sigRecord.position.rcx = sig.values[2]
    return [
        Record(.domainStart(DomainStart(mode: .record, memoryKB: 98304, tscKHz: 2_000_000)), at: p(0)),
        Record(.hypercall(Hypercall(nr: 29, args: [1, 2, 3, 4, 5, 6], ret: -22)), at: p(1)),
        Record(.hypercall(Hypercall(nr: 47, args: [1, 0, 0, 0, 0, 0], ret: 5, data: Array("hello".utf8))), at: p(2)),
        Record(.cpuid(CPUID(leaf: 1, subleaf: 0, eax: 0x600f12, ebx: 0x800, ecx: 0x80202001, edx: 0x78bfbff)), at: p(3)),
        Record(.rdtsc(tsc: 0x1234_5678_9abc), at: Position(landmark: 4, rip: 1, rcx: 2, branches: 99)),
        sigRecord,
        Record(.interrupt(Interrupt(kind: .lapic, vector: 0xec, port: 0)), at: Position(landmark: 4, rip: 1, rcx: 2)),
        Record(.rdtscp(tsc: 77, aux: 3), at: p(5)),
        Record(.msrRead(index: 0xc000_0080, value: 0x501), at: p(6), outside: true),
        Record(.msrWrite(index: 0x6e0, value: 123), at: p(7)),
        Record(.hlt, at: p(8)),
        Record(.pause, at: p(9)),
        Record(.io(PortIO(port: 0xe9, size: 1, direction: 0, value: 0x41)), at: p(10)),
        Record(.io(PortIO(port: 0x3f8, size: 1, direction: 0, count: 3, value: 0, data: [1, 2, 3])), at: p(11)),
        Record(.mmio(MMIO(gpa: 0xfee0_00b0, size: 4, direction: 1, value: 7)), at: p(12)),
        Record(.exception(GuestException(vector: 14, errorCode: 6, cr2: 0xdead_b000)), at: p(13)),
        Record(.memory(MemoryUpdate(gpa: 0x1000, kind: .pvclock, data: Array(0..<32))), at: p(13)),
        Record(.memory(MemoryUpdate(gpa: 0x2000, kind: .wallclock, data: [9, 9, 9])), at: p(13)),
        Record(.ttioInput(TTIOInput(device: .console, data: Array("ls\n".utf8))), at: p(13)),
        Record(.ttioInput(TTIOInput(device: .block, cookie: 2048, data: [UInt8](repeating: 0xab, count: 512))), at: p(13)),
        Record(.ttioInput(TTIOInput(device: .net, data: [])), at: p(13)),
        Record(.divergence(Divergence(expectedType: 3, actualType: 11, reason: .type,
                                      expected: p(14), actual: Position(landmark: 14, rip: 5, rcx: 6, branches: 7))), at: p(14)),
        Record(.end(End(reason: .diverged, code: 0, landmarks: 13, bySignature: 1)), at: p(14)),
    ]
}

func testHeader(mode: Mode = .record) -> LogHeader {
    var h = LogHeader()
    h.mode = mode
    h.xenVersion = "4.17.5-tt"
    h.guestName = "clientA"
    h.kernelSHA256 = Array(repeating: 0x11, count: 32)
    h.initrdSHA256 = Array(repeating: 0x22, count: 32)
    h.configSHA256 = Array(repeating: 0x33, count: 32)
    h.memoryBytes = 96 << 20
    h.cpuidPolicy = [CPUIDLeaf(leaf: 0, subleaf: 0, eax: 0xd, ebx: 1, ecx: 2, edx: 3)]
    h.startTimeNanoseconds = 1_700_000_000_000_000_000
    h.logID = Array(0..<16)
    h.toolVersion = "test"
    return h
}

/// Writes `records` to `path` and closes it.
@discardableResult
func writeLog(_ path: String, _ records: [Record], header: LogHeader = testHeader(),
              chunkSize: Int = 256, zstd: Bool = false, close: Bool = true) throws -> LogWriter {
    let w = try LogWriter(path: path, header: header, options: .init(chunkSize: chunkSize, zstd: zstd))
    for r in records { try w.append(r) }
    if close { try w.close() } else { try w.abandon() }
    return w
}

func readAll(_ path: String) throws -> ([Record], StopReason?) {
    let reader = try LogReader(path: path)
    let c = RecordCursor(reader)
    var out: [Record] = []
    while let r = try c.next() { out.append(r) }
    return (out, c.stop)
}

/// The directory of the built products (the executables sit beside the test bundle).
var productsDirectory: URL {
    for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
        return bundle.bundleURL.deletingLastPathComponent()
    }
    return Bundle.main.bundleURL
}

struct RunResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs one of the package's executables.
func runTool(_ tool: String, _ args: [String], cwd: String? = nil, environment: [String: String] = [:]) throws -> RunResult {
    let p = Process()
    p.executableURL = productsDirectory.appendingPathComponent(tool)
    p.arguments = args
    if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
    var env = ProcessInfo.processInfo.environment
    env["COLUMNS"] = "100"
    env.merge(environment) { _, new in new }
    p.environment = env
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return RunResult(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                     stderr: String(decoding: e, as: UTF8.self))
}
