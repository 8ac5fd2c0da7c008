import Foundation
import XCTest
@testable import TTLog

/// ttd-log-gen alter and cut: bad logs made from good ones, read back.
final class EditTests: XCTestCase {
    func testAlterChangesOneRecordOnly() throws {
        let dir = temporaryDirectory()
        for zstd in [false, true] {
            let a = dir + "/a\(zstd).log", b = dir + "/b\(zstd).log"
            let recs = sampleRecords()
            try writeLog(a, recs, chunkSize: 200, zstd: zstd)
            // Record 3 is the CPUID: eax + 5.
            let (change, stop, n) = try alterLog(input: a, output: b, target: .record(3), field: .value, add: 5)
            XCTAssertEqual(stop, .closedCleanly)
            XCTAssertEqual(n, UInt64(recs.count))
            XCTAssertEqual(change.description, "record 3: CPUID at landmark 3: eax 0x0000000000600f12 -> 0x0000000000600f17")
            XCTAssertFalse(change.notCompared)
            let (got, why) = try readAll(b)
            XCTAssertEqual(why, .closedCleanly)
            var want = recs
            want[3].payload = .cpuid(CPUID(leaf: 1, subleaf: 0, eax: 0x600f17, ebx: 0x800, ecx: 0x80202001, edx: 0x78bfbff))
            XCTAssertEqual(got, want)
            // Same header, same chunks, a sound log.
            let ra = try LogReader(path: a), rb = try LogReader(path: b)
            XCTAssertEqual(ra.header, rb.header)
            XCTAssertEqual(try ra.index().entries.map(\.recordCount), try rb.index().entries.map(\.recordCount))
            XCTAssertTrue(rb.verify().sound)
            XCTAssertFalse(FileManager.default.fileExists(atPath: b + ".incomplete"))
        }
    }

    func testAlterRulesPerType() throws {
        let recs = sampleRecords()
        func alter(_ i: Int, _ field: AlterField = .value, add: UInt64 = 1) throws -> AlterChange {
            try alterRecord(recs[i], index: UInt64(i), field: field, add: add).1
        }
        XCTAssertEqual(try alter(1).field, "ret")
        XCTAssertEqual(try alter(1).new, UInt64(bitPattern: -21))
        XCTAssertEqual(try alter(4).field, "tsc")
        XCTAssertTrue(try alter(4).notCompared)                    // RDTSC: outside, fed to the guest
        XCTAssertEqual(try alter(7).new, 78)                       // RDTSCP tsc
        XCTAssertTrue(try alter(8).notCompared)                    // MSR_READ flagged outside
        XCTAssertEqual(try alter(9).new, 124)                      // MSR_WRITE value: an input, compared
        XCTAssertFalse(try alter(9).notCompared)
        XCTAssertEqual(try alter(12, add: 0x1ff).new, 0x40)        // IO, size 1: masked
        XCTAssertEqual(try alter(10, .rip, add: 0x10).field, "rip")
        XCTAssertEqual(try alter(4, .count, add: 2).old, 99)       // RDTSC with a count
        XCTAssertEqual(try alter(4, .count, add: 2).new, 101)
        XCTAssertThrowsError(try alter(10, .count)) { XCTAssertTrue("\($0)".contains("without a count"), "\($0)") }
        XCTAssertThrowsError(try alter(5, .count)) { XCTAssertTrue("\($0)".contains("with a counter only"), "\($0)") }
        for i in [0, 5, 10, 14, 16, 22] {                          // DOMAIN_START, INTERRUPT, HLT, MMIO, MEMORY, END
            XCTAssertThrowsError(try alter(i)) { XCTAssertTrue("\($0)".contains("alter knows RDTSC"), "\($0)") }
        }
        XCTAssertThrowsError(try alter(5, .rip)) { XCTAssertTrue("\($0)".contains("not a landmark"), "\($0)") }
        XCTAssertThrowsError(try alter(12, add: 0x100)) { XCTAssertTrue("\($0)".contains("choose another --add"), "\($0)") }
    }

    func testAlterCommandFirstTypeAfterLandmark() throws {
        let dir = temporaryDirectory()
        let a = dir + "/a.log", b = dir + "/b.log"
        var r = try runTool("ttd-log-gen", ["-o", a, "--records", "3000", "--chunk-size", "2048", "--zstd"])
        XCTAssertEqual(r.status, 0, r.stderr)
        r = try runTool("ttd-log-gen", ["alter", a, b, "--first", "RDTSC", "--after-landmark", "500", "--add", "0x100"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.hasPrefix("record "), r.stdout)
        XCTAssertTrue(r.stdout.contains(": RDTSC at landmark "), r.stdout)
        XCTAssertTrue(r.stderr.contains("will not diverge at this record"), r.stderr)
        let index = UInt64(r.stdout.split(separator: " ")[1].dropLast())!
        let (orig, _) = try readAll(a)
        let (bad, stop) = try readAll(b)
        XCTAssertEqual(stop, .closedCleanly)
        XCTAssertEqual(orig.count, bad.count)
        let first = orig.indices.first { orig[$0].type == .rdtsc && orig[$0].position.landmark >= 500 }!
        XCTAssertEqual(UInt64(first), index)
        for i in orig.indices where i != first { XCTAssertEqual(orig[i], bad[i]) }
        guard case .rdtsc(let t0) = orig[first].payload, case .rdtsc(let t1) = bad[first].payload else {
            return XCTFail("not RDTSC")
        }
        XCTAssertEqual(t1, t0 &+ 0x100)
        let diff = try runTool("ttd-read-log", ["diff", a, b])
        XCTAssertEqual(diff.status, 1)
        XCTAssertTrue(diff.stdout.hasPrefix("first difference at record \(index) "), diff.stdout)
        // Errors: one line, nothing written.
        for (args, text) in [(["--record", "999999"], "there is no record 999999"),
                             (["--first", "CPUID", "--after-landmark", "99999999"], "no CPUID record at or after landmark"),
                             (["--record", "0"], "record 0 is DOMAIN_START")] {
            let e = try runTool("ttd-log-gen", ["alter", a, dir + "/c.log"] + args)
            XCTAssertEqual(e.status, 1, e.stderr)
            XCTAssertEqual(e.stderr.split(separator: "\n").count, 1, e.stderr)
            XCTAssertTrue(e.stderr.contains(text), e.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/c.log"))
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/c.log.incomplete"))
        }
    }

    func testCutReadsUpToTheLastWholeChunk() throws {
        let dir = temporaryDirectory()
        let a = dir + "/a.log"
        let recs = sampleRecords()
        try writeLog(a, recs, chunkSize: 200)
        let entries = try LogReader(path: a).index().entries
        XCTAssertGreaterThan(entries.count, 3)
        // --at-landmark: inside the chunk holding it; the chunks before it read.
        let landmark = entries[2].firstLandmark + (entries[2].lastLandmark > entries[2].firstLandmark ? 1 : 0)
        let k = entries.firstIndex { $0.lastLandmark >= landmark }!
        let cut = try cutLog(input: a, output: dir + "/cut.log.incomplete", at: .landmark(landmark))
        XCTAssertGreaterThan(cut.bytes, entries[k].offset)
        XCTAssertLessThan(cut.bytes, k + 1 < entries.count ? entries[k + 1].offset : UInt64.max)
        guard case .cutInsideChunk(let chunk, _, _, _) = cut.stop else { return XCTFail("\(cut.stop)") }
        XCTAssertEqual(chunk, UInt64(k))
        let before = entries[0..<k].reduce(0) { $0 + Int($1.recordCount) }
        XCTAssertEqual(cut.records, UInt64(before))
        let (got, stop) = try readAll(dir + "/cut.log.incomplete")
        XCTAssertEqual(got, Array(recs[0..<before]))
        XCTAssertEqual(stop, cut.stop)
        // --bytes, and the command line.
        let r = try runTool("ttd-log-gen", ["cut", a, dir + "/b.log", "--bytes", String(entries[1].offset + 60)])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("cut short inside chunk 1"), r.stdout)
        XCTAssertEqual(try readAll(dir + "/b.log").0, Array(recs[0..<Int(entries[0].recordCount)]))
        let read = try runTool("ttd-read-log", ["-f", dir + "/cut.log"])       // FILE.incomplete found
        XCTAssertEqual(read.status, 0, read.stderr)
        XCTAssertTrue(read.stderr.contains("cut short inside chunk \(k)"), read.stderr)
        let bad = try runTool("ttd-log-gen", ["cut", a, dir + "/c.log", "--bytes", "10"])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.contains("inside the log header"), bad.stderr)
    }
}
