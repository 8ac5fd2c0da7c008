import Foundation
import XCTest
@testable import TTLog
@testable import TTRender
import TTLogTestSupport

/// Decodes one encoded record as the reader does.
func decodeRecord(_ bytes: [UInt8]) throws -> Record {
    try bytes.withUnsafeBytes { b -> Record in
        let len = Int(b.le(4, as: UInt32.self))
        let raw = RawRecord(type: b.le(0), flags: b.le(2),
                            position: Position(landmark: b.le(8), rip: b.le(16), rcx: b.le(24),
                                               branches: b.le(2, as: UInt16.self) & 1 != 0 ? b.le(32) : nil),
                            payload: UnsafeRawBufferPointer(rebasing: b[40..<40 + len]), offsetInChunk: 0, bytes: b)
        return try Record(raw)
    }
}

/// A recording: DOMAIN_START, landmarks with now and then an interrupt, END.
func recording(_ n: Int) -> [Record] {
    var out = ringRecords(n, payloadBytes: 50)
    for i in stride(from: 5, to: out.count, by: 7) {
        let p = out[i].position
        out.insert(Record(.interrupt(Interrupt(kind: .upcall, vector: 0xf3, port: 3)), at: p), at: i + 1)
    }
    let last = out.last!.position
    out.append(Record(.end(End(reason: .shutdown, code: 0, landmarks: last.landmark)), at: last))
    return out
}

final class ReplayTests: XCTestCase {
    // MARK: signature

    func testSignatureCarriesCR3AndCPL() throws {
        let sig = Registers(values: (0..<18).map { UInt64($0) + 0x100 }, cr3: 0x7_6543_2000, cpl: 3)
        let r = Record(.interrupt(Interrupt(kind: .lapic, vector: 0xec, port: 0, signature: sig)),
                       at: Position(landmark: 5, rip: sig.values[16], rcx: sig.values[2]))
        var bytes = r.encoded()
        XCTAssertEqual(bytes.count, 40 + 16 + 160)
        XCTAssertEqual(bytes.withUnsafeBytes { $0.le(56 + 144, as: UInt64.self) }, 0x7_6543_2000)
        XCTAssertEqual(bytes.withUnsafeBytes { $0.le(56 + 152, as: UInt32.self) }, 3)
        let back = try decodeRecord(bytes)
        XCTAssertEqual(back, r)
        guard case .interrupt(let i) = back.payload, let s = i.signature else { return XCTFail("no signature") }
        XCTAssertEqual(s.cr3, 0x7_6543_2000)
        XCTAssertEqual(s.cpl, 3)
        XCTAssertTrue(r.verboseLines.contains("    cr3=0x0000000765432000"), "\(r.verboseLines)")
        XCTAssertTrue(r.verboseLines.contains("    cpl=3"))
        XCTAssertFalse(r.infoLine.contains("cr3"), r.infoLine)
        // pad (the last 4 bytes) must be zero; cpl is 0..3.
        bytes[56 + 156] = 1
        XCTAssertThrowsError(try decodeRecord(bytes)) { XCTAssertTrue("\($0)".contains("non-zero padding"), "\($0)") }
        bytes[56 + 156] = 0
        bytes[56 + 152] = 4
        XCTAssertThrowsError(try decodeRecord(bytes)) { XCTAssertTrue("\($0)".contains("cpl 4"), "\($0)") }
        // The old 144-byte signature is refused.
        var old = r.encoded()
        old.removeLast(16)
        old.withUnsafeMutableBytes { $0.storeBytes(of: UInt32(16 + 144), toByteOffset: 4, as: UInt32.self) }
        XCTAssertThrowsError(try decodeRecord(old))
    }

    // MARK: feeding

    /// Feeds `path` into a simulated Xen that consumes a little at a time.
    func replay(_ path: String, ringBytes: Int = 4096 * 32) throws -> (ReplayFeeder, SimulatedXen, kicks: Int) {
        let feeder = try ReplayFeeder(LogReader(path: path))
        let xen = SimulatedXen(size: ringBytes)
        let p = try xen.producer()
        var kicks = 0, rounds = 0
        while true {
            let r = try feeder.feed(p)
            if r.needsKick { kicks += 1 }
            xen.consume(max: 1000)
            // Xen waits whenever it has less than its headroom and no eof.
            xen.setWaiting(!xen.eof && xen.prod - xen.cons < UInt64(TTABI.exitMaxBytes))
            if xen.eof && xen.cons == xen.prod { break }
            rounds += 1
            XCTAssertLessThan(rounds, 100_000)
        }
        return (feeder, xen, kicks)
    }

    func testFeedsEveryRecordAfterDomainStartByteForByte() throws {
        let dir = temporaryDirectory()
        let recs = recording(3000)
        try writeLog(dir + "/rec.log", recs, chunkSize: 4096, zstd: true)
        let (feeder, xen, kicks) = try replay(dir + "/rec.log")
        XCTAssertEqual(xen.consumed, recs.dropFirst().map { $0.encoded() })
        XCTAssertEqual(feeder.domainStart.memoryKB, 98304)
        XCTAssertEqual(feeder.originalEnd, recs.last)
        XCTAssertEqual(feeder.stop, .closedCleanly)
        XCTAssertNil(feeder.readError)
        XCTAssertEqual(feeder.recordsFed, UInt64(recs.count - 1))
        XCTAssertTrue(feeder.finished)
        XCTAssertGreaterThan(kicks, 0)
        // Feeding after the end does nothing.
        let spare = SimulatedXen()
        XCTAssertEqual(try feeder.feed(try spare.producer()), FeedResult())
        XCTAssertEqual(spare.prod, 0)
    }

    func testALogCutShortFeedsItsWholeChunksThenEof() throws {
        let dir = temporaryDirectory()
        let recs = recording(2000)
        try writeLog(dir + "/rec.log", recs, chunkSize: 2048, close: false)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/rec.log.incomplete")))
        bytes.removeLast(700)       // inside the last chunk
        try Data(bytes).write(to: URL(fileURLWithPath: dir + "/cut.log"))
        let (whole, _) = try readAll(dir + "/cut.log")
        XCTAssertLessThan(whole.count, recs.count)
        let (feeder, xen, _) = try replay(dir + "/cut.log")
        XCTAssertEqual(xen.consumed, whole.dropFirst().map { $0.encoded() })
        XCTAssertNil(feeder.originalEnd)
        guard case .cutInsideChunk = feeder.stop else { return XCTFail("\(String(describing: feeder.stop))") }
        XCTAssertTrue(xen.eof)
    }

    func testACorruptChunkStopsFeedingThere() throws {
        let dir = temporaryDirectory()
        try writeLog(dir + "/rec.log", recording(1000), chunkSize: 2048)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/rec.log")))
        bytes[bytes.count / 2] ^= 0xff
        try Data(bytes).write(to: URL(fileURLWithPath: dir + "/bad.log"))
        let (feeder, xen, _) = try replay(dir + "/bad.log")
        XCTAssertNotNil(feeder.readError)
        XCTAssertTrue(xen.eof)
        XCTAssertGreaterThan(xen.consumed.count, 10)
    }

    func testWhatCannotBeReplayed() throws {
        let dir = temporaryDirectory()
        try writeLog(dir + "/nostart.log", Array(recording(10).dropFirst()))
        XCTAssertThrowsError(try ReplayFeeder(LogReader(path: dir + "/nostart.log"))) {
            XCTAssertTrue("\($0)".contains("not DOMAIN_START: not a recording"), "\($0)")
        }
        try writeLog(dir + "/empty.log", [])
        XCTAssertThrowsError(try ReplayFeeder(LogReader(path: dir + "/empty.log"))) {
            XCTAssertTrue("\($0)".contains("nothing to replay"), "\($0)")
        }
        var h = testHeader()
        XCTAssertNil(replayRefusal(of: h, path: "x"))
        h.interfaceVersion = TTABI.interfaceVersion + 1
        XCTAssertTrue(replayRefusal(of: h, path: "x")!.contains("newer than this tool understands"))
        h.interfaceVersion = 1
        XCTAssertTrue(replayRefusal(of: h, path: "x")!.contains("interface version 1"))
        XCTAssertTrue(replayRefusal(of: testHeader(mode: .replay), path: "x")!.contains("a replay log, not a recording"))
        XCTAssertTrue(replayRefusal(of: syntheticHeader(mode: .record, seed: 1), path: "x")!.contains("SYNTHETIC"))
    }

    // MARK: names

    func testReplayLogNames() {
        let taken: Set<String> = ["/l/a.ttlog.g.replay.0", "/l/a.ttlog.g.replay.1.incomplete", "/l/a.ttlog.g.replay.3"]
        XCTAssertEqual(ReplayLogName.firstFree(log: "/l/a.ttlog", guest: "g", exists: taken.contains), "/l/a.ttlog.g.replay.2")
        XCTAssertEqual(ReplayLogName.firstFree(log: "/l/a.ttlog.incomplete", guest: "g", exists: taken.contains), "/l/a.ttlog.g.replay.2")
        XCTAssertEqual(ReplayLogName.firstFree(log: "/l/a.ttlog", guest: "h", exists: taken.contains), "/l/a.ttlog.h.replay.0")
        let names = ["a.ttlog", "a.ttlog.g.replay.2", "a.ttlog.g.replay.10.incomplete", "a.ttlog.g.replay.9",
                     "a.ttlog.g.replay.x", "a.ttlog.h.replay.50", "b.ttlog.g.replay.77", "a.ttlog.g.replay."]
        XCTAssertEqual(ReplayLogName.newest(log: "/l/a.ttlog", guest: "g", names: names), "/l/a.ttlog.g.replay.10")
        XCTAssertEqual(ReplayLogName.newest(log: "a.ttlog", guest: "h", names: names), "a.ttlog.h.replay.50")
        XCTAssertNil(ReplayLogName.newest(log: "/l/a.ttlog", guest: "z", names: names))
        XCTAssertEqual(ReplayLogName.number(of: "a.ttlog.g.replay.007", log: "a.ttlog", guest: "g"), 7)
    }

    func testNewestReplayLogOnDisk() throws {
        let dir = temporaryDirectory()
        for n in [0, 1, 12] { _ = FileManager.default.createFile(atPath: "\(dir)/t.log.clientA.replay.\(n)", contents: Data()) }
        XCTAssertEqual(ReplayLogName.newest(log: dir + "/t.log", guest: "clientA"), dir + "/t.log.clientA.replay.12")
        XCTAssertEqual(ReplayLogName.firstFree(log: dir + "/t.log", guest: "clientA"), dir + "/t.log.clientA.replay.2")
    }

    // MARK: outcome

    func testOutcomesAndTheirMessages() {
        let end = End(reason: .shutdown, code: 0, landmarks: 1234)
        let at = Position(landmark: 1234, rip: 0xffff_ffff_8102_ec30, rcx: 0)
        let same = ReplayOutcome(end: end, at: at, divergence: nil, original: end)
        XCTAssertEqual(same, .same(end))
        XCTAssertEqual(same.exitCode, 0)
        XCTAssertTrue(same.message(domain: "7").hasPrefix("replay done: 1234 landmarks, same END as the recording"))
        let other = ReplayOutcome(end: end, at: at, divergence: nil, original: End(reason: .shutdown, code: 1, landmarks: 1234))
        XCTAssertEqual(other.exitCode, 4)
        XCTAssertEqual(other.message(domain: "7"),
                       "replay ended with shutdown (code 0) after 1234 landmarks; the recording ended with shutdown (code 1) after 1234 landmarks")
        XCTAssertTrue(ReplayOutcome(end: end, at: at, divergence: nil, original: nil).message(domain: "7").contains("has no END"))
        let d = Divergence(expectedType: RecordType.hypercall.rawValue, actualType: RecordType.rdtsc.rawValue, reason: .type,
                           expected: Position(landmark: 1234, rip: 0xffff_ffff_8100_0010, rcx: 0),
                           actual: Position(landmark: 1234, rip: 0xffff_ffff_8102_ec30, rcx: 0))
        let div = ReplayOutcome(end: End(reason: .diverged, landmarks: 1234), at: at, divergence: d, original: end)
        XCTAssertEqual(div.exitCode, 2)
        XCTAssertEqual(div.message(domain: "7"),
                       "replay diverged at landmark 1234 (rip 0xffffffff8102ec30): expected HYPERCALL at (lm 1234, ip 0xffffffff81000010), "
                       + "got RDTSC at (lm 1234, ip 0xffffffff8102ec30): type (the guest reached a landmark of another type than the log's); "
                       + "domain 7 is kept paused for inspection: xl destroy 7")
        let done = ReplayOutcome(end: End(reason: .logDone, landmarks: 99), at: at, divergence: nil, original: nil)
        XCTAssertEqual(done.exitCode, 3)
        XCTAssertTrue(done.message(domain: "7").hasPrefix("the log ran out at landmark 99: it replays up to its last whole chunk"))
        XCTAssertTrue(done.message(domain: "7").hasSuffix("xl destroy 7"))
        XCTAssertEqual(ReplayOutcome(end: End(reason: .detach, landmarks: 5), at: at, divergence: nil, original: end).exitCode, 5)
    }

    // MARK: diff

    func testDiffIgnoresOnlyTheModeOfDomainStart() throws {
        let dir = temporaryDirectory()
        let recs = recording(100)
        var replayed = recs
        replayed[0] = Record(.domainStart(DomainStart(mode: .replay, memoryKB: 98304, tscKHz: 1_000_000)),
                             at: recs[0].position)
        try writeLog(dir + "/a.log", recs)
        try writeLog(dir + "/b.log", replayed, header: testHeader(mode: .replay))
        let same = try diffLogs(LogReader(path: dir + "/a.log"), LogReader(path: dir + "/b.log"), window: 2)
        XCTAssertTrue(same.identical, "\(same.differences)")
        XCTAssertEqual(same.recordsCompared, UInt64(recs.count))
        // Any other field of DOMAIN_START still counts.
        var other = replayed
        other[0] = Record(.domainStart(DomainStart(mode: .replay, memoryKB: 98305, tscKHz: 1_000_000)), at: recs[0].position)
        try writeLog(dir + "/c.log", other, header: testHeader(mode: .replay))
        let d = try diffLogs(LogReader(path: dir + "/a.log"), LogReader(path: dir + "/c.log"), window: 2)
        XCTAssertFalse(d.identical)
        XCTAssertEqual(d.recordNumber, 0)
        XCTAssertEqual(d.differences, ["payload.memory_kb: A=98304 B=98305"])
        // ttd-read-log diff: exit 0, then 1 with the first differing record of each side.
        let ok = try runTool("ttd-read-log", ["diff", dir + "/a.log", dir + "/b.log"])
        XCTAssertEqual(ok.status, 0, ok.stdout + ok.stderr)
        var later = replayed
        later[50] = Record(.hlt, at: later[50].position)
        try writeLog(dir + "/e.log", later, header: testHeader(mode: .replay))
        let bad = try runTool("ttd-read-log", ["diff", dir + "/a.log", dir + "/e.log"])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stdout.hasPrefix("first difference at record 50 "), bad.stdout)
        XCTAssertTrue(bad.stdout.contains("\nA record 50: " + recs[50].infoLine + "\n"), bad.stdout)
        XCTAssertTrue(bad.stdout.contains("\nB record 50: " + later[50].infoLine + "\n"), bad.stdout)
    }

    func testSameContentIgnoresOnlyTheArithmeticFlagsOfACountedSignature() {
        func irq(rflags: UInt64, rax: UInt64 = 7, count: UInt64?) -> Record {
            var v = (0..<18).map { UInt64($0) * 0x1111 }
            v[0] = rax
            v[17] = rflags
            let sig = Registers(values: v, cr3: 0x1234_5000, cpl: 0)
            return Record(.interrupt(Interrupt(kind: .upcall, vector: 0xf3, port: 4, signature: sig)),
                          at: Position(landmark: 9, rip: v[16], rcx: v[2], branches: count))
        }
        // With a count: OF set in one, clear in the other (QEMU's undefined flags after BT).
        XCTAssertTrue(sameContent(irq(rflags: 0xa03, count: 3_579_399), irq(rflags: 0x203, count: 3_579_399)))
        XCTAssertTrue(sameContent(irq(rflags: 0x2d7, count: 5), irq(rflags: 0x202, count: 5)))
        // IF, a register or the count still count.
        XCTAssertFalse(sameContent(irq(rflags: 0xa03, count: 5), irq(rflags: 0x803, count: 5)))
        XCTAssertFalse(sameContent(irq(rflags: 0x203, rax: 1, count: 5), irq(rflags: 0x203, rax: 2, count: 5)))
        XCTAssertFalse(sameContent(irq(rflags: 0x203, count: 5), irq(rflags: 0x203, count: 6)))
        // Without a count the flags help name the pass: they count.
        XCTAssertFalse(sameContent(irq(rflags: 0xa03, count: nil), irq(rflags: 0x203, count: nil)))
    }
}
