import Foundation
import XCTest
@testable import TTLog
@testable import TTRender

/// Interface version 3: the counter of DOMAIN_START, positions that carry
/// its count, and `-n LM+COUNT`.
final class CounterTests: XCTestCase {
    /// A recording with the instruction counter: every record but the
    /// control ones has a count (a landmark's since the previous landmark,
    /// any other's since its landmark).
    func countedRecords() -> [Record] {
        let p = { (l: UInt64, n: UInt64?) in Position(landmark: l, rip: 0xffff_ffff_8100_0000 + l * 16, rcx: l, branches: n) }
        return [
            Record(.domainStart(DomainStart(mode: .record, counter: .instructions, memoryKB: 98304, tscKHz: 2_000_000)),
                   at: p(0, nil)),
            Record(.rdtsc(tsc: 1000), at: p(1, 100)),
            Record(.interrupt(Interrupt(kind: .upcall, vector: 0xf3, port: 2)), at: p(1, 0)),
            Record(.memory(MemoryUpdate(gpa: 0x1000, kind: .pvclock, data: [1, 2, 3, 4])), at: p(1, 40)),
            Record(.ttioInput(TTIOInput(device: .console, data: Array("ls\n".utf8))), at: p(1, 70)),
            Record(.hlt, at: p(2, 90)),
            Record(.memory(MemoryUpdate(gpa: 0x1000, kind: .pvclock, data: [5, 6, 7, 8])), at: p(2, 5)),
            Record(.end(End(reason: .shutdown, landmarks: 2)), at: p(2, nil)),
        ]
    }

    func testLandmarkPointParsing() {
        XCTAssertEqual(LandmarkPoint(parsing: "533717582"), LandmarkPoint(landmark: 533717582))
        XCTAssertEqual(LandmarkPoint(parsing: "533717582+1200"), LandmarkPoint(landmark: 533717582, count: 1200))
        XCTAssertEqual(LandmarkPoint(parsing: "7+0"), LandmarkPoint(landmark: 7, count: 0))
        for bad in ["", "+5", "7+", "7+-1", "-7", "7+5+1", "x", "7 +5", "0x10", "18446744073709551616"] {
            XCTAssertNil(LandmarkPoint(parsing: bad), bad)
        }
        XCTAssertEqual(LandmarkPoint(landmark: 9, count: 3).description, "9+3")
        XCTAssertEqual(LandmarkPoint(landmark: 9).description, "9")
    }

    func testDomainStartCounterRoundTripsThroughALog() throws {
        let path = temporaryDirectory() + "/c.ttlog"
        try writeLog(path, countedRecords())
        let reader = try LogReader(path: path)
        XCTAssertEqual(reader.domainStart()?.counter, .instructions)
        XCTAssertTrue(reader.verify().sound, "\(reader.verify().problems)")
        let (back, _) = try readAll(path)
        XCTAssertEqual(back, countedRecords())
        // A record at its landmark has count 0, and keeps it (TT_RECF_BRANCHES, not nil).
        XCTAssertEqual(back[2].position.branches, 0)
        XCTAssertTrue(back[2].flags.contains(.branches))
        let s = try reader.stats()
        XCTAssertEqual(s.counter, .instructions)
        XCTAssertEqual(s.recordsWithCount, 6)
        XCTAssertEqual(s.recordsBySignature, 0)
        // Without a counter.
        let plain = temporaryDirectory() + "/p.ttlog"
        try writeLog(plain, sampleRecords())
        XCTAssertEqual(try LogReader(path: plain).domainStart()?.counter, Counter.none)
    }

    func testTextLabelsTheCountByCounter() {
        let r = countedRecords()[3]
        XCTAssertEqual(r.shortLine(counter: .instructions), "lm:1 ip:0xffffffff81000010 n:40 MEMORY")
        XCTAssertEqual(r.shortLine(counter: .branches), "lm:1 ip:0xffffffff81000010 br:40 MEMORY")
        XCTAssertEqual(r.shortLine, "lm:1 ip:0xffffffff81000010 br:40 MEMORY")
        XCTAssertTrue(r.infoLine(counter: .instructions).hasPrefix("lm:1 ip:0xffffffff81000010 rcx:0x0000000000000001 n:40 MEMORY"))
        XCTAssertTrue(r.verboseLines(counter: .instructions)[0].hasSuffix(" instructions=40"), r.verboseLines(counter: .instructions)[0])
        XCTAssertTrue(r.json().contains("\"branches\":40"), r.json())
        let start = countedRecords()[0]
        XCTAssertTrue(start.infoLine(counter: .instructions).contains(" counter=icount "), start.infoLine)
        XCTAssertTrue(start.json().contains("\"counter\":\"icount\""), start.json())
        let d = Record(.divergence(Divergence(expectedType: 3, actualType: 3, reason: .position,
                                              expected: Position(landmark: 4, rip: 1, rcx: 2, branches: 7),
                                              actual: Position(landmark: 4, rip: 1, rcx: 2, branches: 9))),
                       at: Position(landmark: 4, rip: 1, rcx: 2))
        XCTAssertTrue(d.infoLine(counter: .instructions).contains("expected_n=7"), d.infoLine(counter: .instructions))
        XCTAssertTrue(d.infoLine(counter: .instructions).contains("actual_n=9"))
        XCTAssertTrue(d.json().contains("\"expected_br\":7"), d.json())
        XCTAssertEqual(fieldDifferences(countedRecords()[3], countedRecords()[4], counter: .instructions)
                        .filter { $0.hasPrefix("instructions: ") }, ["instructions: A=40 B=70"])
    }

    func testExcerptAroundLandmarkPlusCount() throws {
        let path = temporaryDirectory() + "/c.ttlog"
        try writeLog(path, countedRecords(), chunkSize: 64)
        let reader = try LogReader(path: path)
        func anchor(_ p: String, window: Int = 1) throws -> (before: [Record], from: [Record]) {
            let e = try reader.excerpt(around: LandmarkPoint(parsing: p)!, window: window)
            return (e.before, e.from)
        }
        let recs = countedRecords()
        // LM alone and LM+0: the landmark's own record.
        XCTAssertEqual(try anchor("1").from.first, recs[1])
        XCTAssertEqual(try anchor("1+0").from.first, recs[1])
        // LM+COUNT: the first record of the landmark with a count >= COUNT.
        let at40 = try anchor("1+40")
        XCTAssertEqual(at40.before, [recs[2]])
        XCTAssertEqual(at40.from, [recs[3], recs[4]])
        XCTAssertEqual(try anchor("1+1").from.first, recs[3])
        XCTAssertEqual(try anchor("1+41").from.first, recs[4])
        // Past the last count of a landmark: the next landmark.
        XCTAssertEqual(try anchor("1+71").from.first, recs[5])
        XCTAssertEqual(try anchor("2+5").from.first, recs[6])
        XCTAssertThrowsError(try anchor("2+6")) {
            XCTAssertEqual("\($0)", "\(path): 2+6 is beyond the end of the log (it ends at that landmark, the last count there 5)")
        }
        XCTAssertThrowsError(try anchor("3+0")) { XCTAssertTrue("\($0)".contains("beyond the end of the log"), "\($0)") }
    }

    func testReadLogCommandLine() throws {
        let dir = temporaryDirectory()
        let path = dir + "/c.ttlog"
        try writeLog(path, countedRecords())
        let r = try runTool("ttd-read-log", ["-n", "1+40", "-w", "1", "-f", path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "lm:1 ip:0xffffffff81000010 n:0 INTERRUPT\nlm:1 ip:0xffffffff81000010 n:40 MEMORY\n"
                                 + "lm:1 ip:0xffffffff81000010 n:70 TTIO_INPUT\n")
        let bad = try runTool("ttd-read-log", ["-n", "1+", "-f", path])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("1+"), bad.stderr)
        let stat = try runTool("ttd-read-log", ["stat", "-f", path])
        XCTAssertEqual(stat.status, 0, stat.stderr)
        XCTAssertTrue(stat.stdout.contains("\ncounter: guest instructions (QEMU icount)\n"), stat.stdout)
        XCTAssertTrue(stat.stdout.contains("\npositions carry the count (n:): 6 records; "), stat.stdout)
        XCTAssertTrue(stat.stdout.contains("\nrecords placed by signature: 0\n"), stat.stdout)
        let json = try runTool("ttd-read-log", ["stat", "--json", "-f", path])
        let obj = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(obj["counter"] as? String, "icount")
        XCTAssertEqual(obj["records_with_count"] as? Int, 6)
        // Without a counter: stat says so, and +COUNT gets a note.
        let plain = dir + "/p.ttlog"
        try writeLog(plain, sampleRecords())
        let ps = try runTool("ttd-read-log", ["stat", "-f", plain])
        XCTAssertTrue(ps.stdout.contains("\ncounter: none (interrupts between landmarks placed by register signature)\n"), ps.stdout)
        XCTAssertTrue(ps.stdout.contains("\nrecords placed by signature: 1\n"), ps.stdout)
        XCTAssertFalse(ps.stdout.contains("positions carry the count"), ps.stdout)
        let pn = try runTool("ttd-read-log", ["-n", "4+1", "-w", "0", "-f", plain])
        XCTAssertEqual(pn.status, 0, pn.stderr)
        XCTAssertTrue(pn.stderr.contains("recorded without a counter"), pn.stderr)
        XCTAssertTrue(pn.stdout.hasPrefix("lm:5 "), pn.stdout)
        let help = try runTool("ttd-read-log", ["help", "print"])
        XCTAssertTrue(help.stdout.contains("LM+COUNT"), help.stdout)
    }
}
