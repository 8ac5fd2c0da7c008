import CTTSupport
import XCTest
@testable import TTLog

/// An in-memory ring with a producer that follows Xen's rules (tt.h): whole
/// records, a PAD record when the next one does not fit before the end,
/// prod advanced after the records are written.
final class TestRing {
    let control: UnsafeMutableRawPointer
    let data: UnsafeMutableRawPointer
    let size: Int
    var prod: UInt64 = 0

    init(size: Int = 4096, version: UInt32 = TTABI.interfaceVersion) {
        self.size = size
        control = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 4096)
        data = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 4096)
        control.initializeMemory(as: UInt8.self, repeating: 0, count: 4096)
        data.initializeMemory(as: UInt8.self, repeating: 0xee, count: size)
        control.storeBytes(of: RingLayout.magic, toByteOffset: 0, as: UInt32.self)
        control.storeBytes(of: version, toByteOffset: 4, as: UInt32.self)
        control.storeBytes(of: UInt32(size), toByteOffset: 8, as: UInt32.self)
    }

    deinit { control.deallocate(); data.deallocate() }

    var cons: UInt64 { control.load(fromByteOffset: RingLayout.consOffset, as: UInt64.self) }
    var free: Int { size - Int(prod - cons) }

    func setWaiting(_ on: Bool) {
        control.storeBytes(of: UInt32(on ? 1 : 0), toByteOffset: RingLayout.producerWaitingOffset, as: UInt32.self)
    }

    func raw(_ bytes: [UInt8], at counter: UInt64) {
        let at = Int(counter & UInt64(size - 1))
        precondition(at + bytes.count <= size)
        bytes.withUnsafeBytes { data.advanced(by: at).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
    }

    /// Writes records as Xen does; returns false (writing nothing more) when one does not fit.
    @discardableResult
    func produce(_ records: [Record], publish: Bool = true) -> Bool {
        for r in records {
            let bytes = r.encoded()
            let toEnd = size - Int(prod & UInt64(size - 1))
            if bytes.count > toEnd {
                guard free >= toEnd + bytes.count else { return false }
                if toEnd >= TTABI.recordHeaderSize {
                    var pad = ByteWriter()
                    pad.put(UInt16(0)); pad.put(UInt16(0)); pad.put(UInt32(toEnd - TTABI.recordHeaderSize))
                    pad.zeros(32)
                    raw(pad.bytes, at: prod)        // the rest of the PAD payload is left as it was
                }
                prod += UInt64(toEnd)
            }
            guard free >= bytes.count else { return false }
            raw(bytes, at: prod)
            prod += UInt64(bytes.count)
            let n = control.load(fromByteOffset: RingLayout.recordsOffset, as: UInt64.self)
            control.storeBytes(of: n + 1, toByteOffset: RingLayout.recordsOffset, as: UInt64.self)
        }
        if publish { self.publish() }
        return true
    }

    func publish() { tt_ring_store_prod(control + RingLayout.prodOffset, prod) }

    func consumer() throws -> RingConsumer {
        try RingConsumer(control: control, data: data, dataBytes: size)
    }
}

/// Records of a recording: DOMAIN_START then `n` landmarks from `first`.
func ringRecords(_ n: Int, first: UInt64 = 1, start: Bool = true, payloadBytes: Int = 5) -> [Record] {
    var out: [Record] = []
    if start { out.append(Record(.domainStart(DomainStart(mode: .record, memoryKB: 98304, tscKHz: 1_000_000)),
                                 at: Position(landmark: 0, rip: 0, rcx: 0))) }
    for i in 0..<n {
        let l = first + UInt64(i)
        let pos = Position(landmark: l, rip: 0xffff_ffff_8100_0000 + l, rcx: l)
        if i % 3 == 0 {
            out.append(Record(.hypercall(Hypercall(nr: 47, args: [1, 0x1000, 0, 0, 0, 0], ret: 0,
                                                   data: Array(repeating: UInt8(i & 0xff), count: payloadBytes))), at: pos))
        } else {
            out.append(Record(.rdtsc(tsc: 1000 * l), at: pos))
        }
    }
    return out
}

final class RingTests: XCTestCase {
    /// Consumes everything, returns the records and the bytes handed over.
    func drain(_ c: RingConsumer, maxBytes: Int = .max) throws -> ([Record], [UInt8], RingBatch) {
        var recs: [Record] = []
        var bytes: [UInt8] = []
        let b = try c.consume(maxBytes: maxBytes) { span, r in
            bytes.append(contentsOf: span)
            recs.append(contentsOf: r)
        }
        return (recs, bytes, b)
    }

    func testEmptyAndSimple() throws {
        let ring = TestRing()
        let c = try ring.consumer()
        var (r, _, b) = try drain(c)
        XCTAssertEqual(r.count, 0)
        XCTAssertEqual(b, RingBatch())
        let recs = ringRecords(10)
        XCTAssertTrue(ring.produce(recs))
        var bytes: [UInt8]
        (r, bytes, b) = try drain(c)
        XCTAssertEqual(r, recs)
        XCTAssertEqual(bytes, recs.flatMap { $0.encoded() })
        XCTAssertEqual(b.records, 11)
        XCTAssertEqual(b.landmarks, 10)
        XCTAssertEqual(ring.cons, ring.prod)
        XCTAssertFalse(b.needsKick)
    }

    func testWrapWithPadAndStreamIntoALog() throws {
        let ring = TestRing()
        let c = try ring.consumer()
        let dir = temporaryDirectory()
        let w = try LogWriter(path: dir + "/r.log", header: testHeader(), options: .init(chunkSize: 1024))
        let all = ringRecords(400, payloadBytes: 37)
        var produced = 0, got: [Record] = [], pads = 0
        while produced < all.count {
            // Produce as many as fit, then consume them: the ring wraps many times.
            var k = produced
            while k < all.count, ring.produce([all[k]]) { k += 1 }
            XCTAssertGreaterThan(k, produced, "ring made no progress")
            produced = k
            if Int(ring.prod) / ring.size != Int(ring.cons) / ring.size { pads += 1 }
            let b = try c.consume { span, r in
                try w.appendRaw(span)
                got.append(contentsOf: r)
            }
            XCTAssertGreaterThan(b.records, 0)
            XCTAssertEqual(ring.cons, ring.prod)
        }
        XCTAssertEqual(got, all)
        XCTAssertGreaterThan(pads, 3, "the test should wrap the ring several times")
        try w.close()
        let reader = try LogReader(path: dir + "/r.log")
        var back: [Record] = []
        try reader.forEachRecord { raw, _ in back.append(try Record(raw)); return true }
        XCTAssertEqual(back, all, "PAD never reaches the log; records keep their bytes")
    }

    func testShortTailIsSkipped() throws {
        // DOMAIN_START (80 bytes) and 100 HLTs (40 each) leave 16 bytes at the
        // end: no room for a PAD header, so the producer skips them.
        let ring = TestRing()
        let c = try ring.consumer()
        let hlt = { (l: Int) in Record(.hlt, at: Position(landmark: UInt64(l), rip: 1, rcx: 0)) }
        let first = ringRecords(0) + (1...100).map(hlt)
        XCTAssertTrue(ring.produce(first))
        XCTAssertEqual(try drain(c).0, first)
        let more = (101...103).map(hlt)
        XCTAssertTrue(ring.produce(more))
        XCTAssertEqual(ring.prod, 4096 + 120)
        let (r, bytes, b) = try drain(c)
        XCTAssertEqual(r, more)
        XCTAssertEqual(bytes.count, 120)
        XCTAssertEqual(b.ringBytes, 16 + 120)
    }

    func testMaxBytesGivesWholeRecords() throws {
        let ring = TestRing(size: 8192)
        let c = try ring.consumer()
        let recs = ringRecords(50)
        XCTAssertTrue(ring.produce(recs))
        var got: [Record] = []
        var rounds = 0
        while ring.cons < ring.prod {
            let (r, bytes, b) = try drain(c, maxBytes: 100)
            XCTAssertEqual(bytes.count, b.recordBytes)
            XCTAssertGreaterThan(r.count, 0)
            XCTAssertLessThanOrEqual(r.count, 3)
            got += r
            rounds += 1
        }
        XCTAssertEqual(got, recs)
        XCTAssertGreaterThan(rounds, 10)
    }

    func testFullRingAndKick() throws {
        let ring = TestRing()
        let c = try ring.consumer()
        var recs = ringRecords(0)
        var l: UInt64 = 1
        // Fill the ring exactly: 80 (DOMAIN_START) + 71 RDTSC of 56 + 1 HLT of 40 = 4096.
        XCTAssertTrue(ring.produce(recs))
        for i in 0..<72 {
            let r = i < 71 ? Record(.rdtsc(tsc: l), at: Position(landmark: l, rip: 2, rcx: 3))
                           : Record(.hlt, at: Position(landmark: l, rip: 2, rcx: 3))
            XCTAssertTrue(ring.produce([r])); recs.append(r); l += 1
        }
        XCTAssertEqual(ring.free, 0)
        XCTAssertFalse(ring.produce([Record(.hlt, at: Position(landmark: l + 1, rip: 0, rcx: 0))]))
        ring.setWaiting(true)
        let (r, _, b) = try drain(c)
        XCTAssertEqual(r, recs)
        XCTAssertEqual(b.ringBytes, 4096)
        XCTAssertTrue(b.needsKick, "the producer waits: the consumer must kick")
        ring.setWaiting(false)
        XCTAssertTrue(ring.produce([Record(.hlt, at: Position(landmark: l + 1, rip: 0, rcx: 0))]))
        XCTAssertFalse(try drain(c).2.needsKick)
    }

    func testCorruptRingsFailLoudlyAfterDeliveringTheGoodRecords() throws {
        struct Case { let name: String; let damage: (TestRing, UInt64) -> Void; let text: String }
        let cases: [Case] = [
            Case(name: "unknown type", damage: { r, at in r.raw([0x3f, 0], at: at) }, text: "unknown record type"),
            Case(name: "unknown flag", damage: { r, at in r.raw([0x80, 0], at: at + 2) }, text: "unknown flags"),
            Case(name: "huge payload", damage: { r, at in r.raw([0, 0, 0, 0x10], at: at + 4) }, text: "above TT_REC_MAX_PAYLOAD"),
            Case(name: "past prod", damage: { r, at in r.raw([0, 0x04, 0, 0], at: at + 4) }, text: "runs past prod"),
            Case(name: "padding", damage: { r, at in r.raw([0x55], at: at + 40 + 69) }, text: "non-zero padding"),
            Case(name: "payload size", damage: { r, at in r.raw([8], at: at + 4) }, text: "HYPERCALL payload is 8 bytes"),
            Case(name: "landmark back", damage: { r, at in r.raw([0, 0, 0, 0, 0, 0, 0, 0], at: at + 8) }, text: "at landmark 0 after landmark 3"),
        ]
        for k in cases {
            let ring = TestRing()
            let c = try ring.consumer()
            let recs = ringRecords(6)      // record 4 (landmark 4) is a HYPERCALL with 5 bytes
            XCTAssertTrue(ring.produce(Array(recs[0..<4])))
            let badAt = ring.prod
            XCTAssertTrue(ring.produce(Array(recs[4...])))
            k.damage(ring, badAt)
            var got: [Record] = []
            XCTAssertThrowsError(try c.consume { _, r in got += r }, k.name) { e in
                guard case let RingError.corrupt(at, detail) = e else { return XCTFail("\(k.name): \(e)") }
                XCTAssertEqual(at, badAt, k.name)
                XCTAssertTrue(detail.contains(k.text), "\(k.name): \(detail)")
                XCTAssertTrue("\(e)".contains("the records before it were kept"))
            }
            XCTAssertEqual(got, Array(recs[0..<4]), k.name)
            XCTAssertEqual(ring.cons, badAt, "\(k.name): cons stops at the bad record")
        }
    }

    func testPartialRecordAndBadCounters() throws {
        let ring = TestRing()
        let c = try ring.consumer()
        let recs = ringRecords(3)
        XCTAssertTrue(ring.produce(recs, publish: false))
        tt_ring_store_prod(ring.control + RingLayout.prodOffset, ring.prod - 8)
        XCTAssertThrowsError(try c.consume { _, _ in }) { e in
            XCTAssertTrue("\(e)".contains("prod inside a record"), "\(e)")
        }
        tt_ring_store_prod(ring.control + RingLayout.prodOffset, ring.cons + 5000)
        XCTAssertThrowsError(try c.consume { _, _ in }) { e in
            XCTAssertTrue("\(e)".contains("is not within 4096 bytes"), "\(e)")
        }
    }

    func testFirstRecordMustBeDomainStart() throws {
        let ring = TestRing()
        let c = try ring.consumer()
        XCTAssertTrue(ring.produce(ringRecords(3, start: false)))
        XCTAssertThrowsError(try c.consume { _, _ in }) { e in
            XCTAssertTrue("\(e)".contains("first record is HYPERCALL, not DOMAIN_START"), "\(e)")
        }
    }

    func testBadControlPages() {
        XCTAssertThrowsError(try TestRing(version: TTABI.interfaceVersion + 1).consumer()) { e in
            XCTAssertTrue("\(e)".contains("interface version \(TTABI.interfaceVersion + 1)"), "\(e)")
        }
        let ring = TestRing()
        XCTAssertThrowsError(try RingConsumer(control: ring.control, data: ring.data, dataBytes: 8192)) { e in
            XCTAssertTrue("\(e)".contains("but 8192 bytes are mapped"), "\(e)")
        }
        ring.control.storeBytes(of: UInt32(0), toByteOffset: 0, as: UInt32.self)
        XCTAssertThrowsError(try ring.consumer()) { e in
            XCTAssertTrue("\(e)".contains("magic 0x00000000"), "\(e)")
        }
    }
}
