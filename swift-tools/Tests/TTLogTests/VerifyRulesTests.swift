import Foundation
import XCTest
@testable import TTLog

/// The record rules of `verify()` (the checks that `tt-ctl check` and
/// `tt-irq-check` made in the lab): each broken in an otherwise sound log
/// must make verify fail with a line naming the rule and the record.
final class VerifyRulesTests: XCTestCase {
    static let p1 = Position(landmark: 1, rip: 0xffff_ffff_8100_0010, rcx: 3)
    static let p2 = Position(landmark: 2, rip: 0xffff_ffff_8100_0020, rcx: 6)

    /// A sound recording: landmarks 1 and 2, an interrupt and a pvclock
    /// write held to landmark 1, console input at landmark 2, one
    /// interrupt placed by signature after it, END with the right counts.
    static func soundRecords() -> [Record] {
        let sig = Registers(values: (0..<18).map { UInt64($0) * 0x1111 }, cr3: 0x1234_5000, cpl: 3)
        let sigAt = Position(landmark: 2, rip: sig.values[16], rcx: sig.values[2])
        return [
            Record(.domainStart(DomainStart(mode: .record, memoryKB: 98304, tscKHz: 2_000_000)),
                   at: Position(landmark: 0, rip: 0, rcx: 0)),
            Record(.cpuid(CPUID(leaf: 1, subleaf: 0, eax: 0x600f12, ebx: 0x800, ecx: 0x80202001, edx: 0x78bfbff)), at: p1),
            Record(.interrupt(Interrupt(kind: .upcall, vector: 0xf3, port: 2)), at: p1),
            Record(.memory(MemoryUpdate(gpa: 0x1000, kind: .pvclock, data: Array(0..<32))), at: p1),
            Record(.cpuid(CPUID(leaf: 7, subleaf: 0, eax: 0, ebx: 0x0200, ecx: 0, edx: 0)), at: p2),
            Record(.ttioInput(TTIOInput(device: .console, data: Array("ls\n".utf8))), at: p2),
            Record(.interrupt(Interrupt(kind: .lapic, vector: 0xec, port: 0, signature: sig)), at: sigAt),
            Record(.end(End(reason: .shutdown, landmarks: 2, bySignature: 1)), at: p2),
        ]
    }

    /// Writes `records` and returns verify's problems.
    func problems(_ records: [Record], _ name: String = #function) throws -> [String] {
        let path = temporaryDirectory(name) + "/v.log"
        try writeLog(path, records)
        let r = try LogReader(path: path).verify()
        XCTAssertEqual(r.sound, r.problems.isEmpty)
        return r.problems
    }

    /// verify fails with exactly one problem, which contains `text`.
    func assertBroken(_ records: [Record], _ text: String, _ name: String = #function,
                      file: StaticString = #filePath, line: UInt = #line) throws {
        let p = try problems(records, name)
        XCTAssertEqual(p.count, 1, "\(p)", file: file, line: line)
        XCTAssertTrue(p.first?.contains(text) ?? false, "wanted '\(text)' in \(p)", file: file, line: line)
    }

    func testSoundLogPasses() throws {
        XCTAssertEqual(try problems(Self.soundRecords()), [])
    }

    func testLandmarksStepByOne() throws {
        var r = Self.soundRecords()
        // Landmark 2 becomes 3 (its async records and END follow it).
        for i in 4..<r.count { r[i].position.landmark = 3 }
        r[7].payload = .end(End(reason: .shutdown, landmarks: 3, bySignature: 1))
        try assertBroken(r, "record 4 (lm:3): CPUID is landmark 3, expected 2 (landmark records step by one)")
    }

    func testInterruptAwayFromItsLandmark() throws {
        var r = Self.soundRecords()
        r[2].position.rip += 4
        try assertBroken(r, "record 2 (lm:1): INTERRUPT without a signature is not at its landmark's position")
    }

    func testMemoryAndInputAwayFromTheirLandmark() throws {
        var r = Self.soundRecords()
        r[3].position.rcx = 99
        try assertBroken(r, "record 3 (lm:1): MEMORY without a signature is not at its landmark's position")
        r = Self.soundRecords()
        r[5].position = Self.p1
        r[5].position.landmark = 2
        try assertBroken(r, "record 5 (lm:2): TTIO_INPUT without a signature is not at its landmark's position", "input")
    }

    func testAsyncBeforeTheFirstLandmarkHasStartsPosition() throws {
        var r = Self.soundRecords()
        r.insert(Record(.interrupt(Interrupt(kind: .upcall, vector: 0xf3, port: 1)), at: Position(landmark: 0, rip: 0, rcx: 0)), at: 1)
        XCTAssertEqual(try problems(r), [])
        r[1].position.rip = 0x1000
        try assertBroken(r, "record 1 (lm:0): INTERRUPT without a signature is not at its landmark's position", "moved")
    }

    func testSignatureInterruptAfterTheLastLandmark() throws {
        var r = Self.soundRecords()
        // The signature interrupt before landmark 2's record, at landmark 2.
        let sig = r.remove(at: 6)
        r.insert(sig, at: 4)
        try assertBroken(r, "record 4 (lm:2): signature INTERRUPT not after the last landmark (1)")
    }

    func testCPUIDHidesRDRANDRDSEEDHLERTM() throws {
        for (leaf, ebx, ecx, shown) in [(UInt32(1), UInt32(0x800), UInt32(0x80202001 | 1 << 30), "RDRAND"),
                                        (7, 1 << 18, 0, "RDSEED"), (7, 1 << 4, 0, "HLE"), (7, 1 << 11, 0, "RTM")] {
            var r = Self.soundRecords()
            r[leaf == 1 ? 1 : 4].payload = .cpuid(CPUID(leaf: leaf, subleaf: 0, eax: 0, ebx: ebx, ecx: ecx, edx: 0))
            try assertBroken(r, "CPUID leaf \(leaf) shows \(shown), which recording hides from the guest", "cpuid\(shown)")
        }
        // Leaf 7 subleaf 1 and other leaves may have those bits.
        var r = Self.soundRecords()
        r[4].payload = .cpuid(CPUID(leaf: 7, subleaf: 1, eax: 0, ebx: 1 << 11, ecx: 0, edx: 0))
        r[1].payload = .cpuid(CPUID(leaf: 0x8000_0001, subleaf: 0, eax: 0, ebx: 0, ecx: 1 << 30, edx: 0))
        XCTAssertEqual(try problems(r, "otherLeaves"), [])
    }

    func testENDCountsEqualTheLogs() throws {
        var r = Self.soundRecords()
        r[7].payload = .end(End(reason: .shutdown, landmarks: 3, bySignature: 1))
        try assertBroken(r, "record 7 (lm:2): END says 3 landmarks, the log's last landmark record is 2", "landmarks")
        r[7].payload = .end(End(reason: .detach, landmarks: 2, bySignature: 2))
        try assertBroken(r, "record 7 (lm:2): END says 2 interrupts placed by signature, the log has 1", "signatures")
    }

    /// The command: exit 1, the rule's line on standard error.
    func testVerifyCommandFailsWithTheRulesLine() throws {
        let path = temporaryDirectory() + "/bad.log"
        var r = Self.soundRecords()
        r[3].position.rip = 7
        try writeLog(path, r)
        let v = try runTool("ttd-read-log", ["verify", "-f", path])
        XCTAssertEqual(v.status, 1)
        XCTAssertEqual(v.stdout, "")
        XCTAssertEqual(v.stderr.split(separator: "\n").count, 1, v.stderr)
        XCTAssertTrue(v.stderr.hasPrefix("ttd-read-log: \(path): record 3 (lm:1): MEMORY without a signature is not at its landmark's position"),
                      v.stderr)
    }
}
