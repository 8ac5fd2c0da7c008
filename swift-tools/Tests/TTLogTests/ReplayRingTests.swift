import CTTSupport
import XCTest
@testable import TTLog

/// A replay ring in plain memory, and a consumer that follows Xen's side of
/// the rules: whole records from cons to prod, PAD (type 0, or fewer bytes
/// than a header before the end) skipped to the end of the data area.
final class SimulatedXen {
    let control: UnsafeMutableRawPointer
    let data: UnsafeMutableRawPointer
    let size: Int
    var cons: UInt64 = 0
    var consumed: [[UInt8]] = []

    init(size: Int = 4096 * 32) {
        self.size = size
        control = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 4096)
        data = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 4096)
        control.initializeMemory(as: UInt8.self, repeating: 0, count: 4096)
        data.initializeMemory(as: UInt8.self, repeating: 0xee, count: size)
        control.storeBytes(of: RingLayout.magic, toByteOffset: 0, as: UInt32.self)
        control.storeBytes(of: TTABI.interfaceVersion, toByteOffset: 4, as: UInt32.self)
        control.storeBytes(of: UInt32(size), toByteOffset: 8, as: UInt32.self)
    }

    deinit { control.deallocate(); data.deallocate() }

    func producer() throws -> RingProducer {
        try RingProducer(control: control, data: data, dataBytes: size)
    }

    var prod: UInt64 { control.load(fromByteOffset: RingLayout.prodOffset, as: UInt64.self) }
    var eof: Bool { control.load(fromByteOffset: RingLayout.eofOffset, as: UInt32.self) != 0 }
    var records: UInt64 { control.load(fromByteOffset: RingLayout.recordsOffset, as: UInt64.self) }

    func setWaiting(_ on: Bool) {
        control.storeBytes(of: UInt32(on ? 1 : 0), toByteOffset: RingLayout.consumerWaitingOffset, as: UInt32.self)
    }

    func storeCons(_ c: UInt64) {
        cons = c
        control.storeBytes(of: c, toByteOffset: RingLayout.consOffset, as: UInt64.self)
    }

    /// Consumes up to `max` records (all by default).
    func consume(max: Int = .max) {
        var c = cons
        var n = 0
        let p = prod
        while c < p && n < max {
            let at = Int(c & UInt64(size - 1))
            let toEnd = size - at
            if toEnd < TTABI.recordHeaderSize { c += UInt64(toEnd); continue }
            let type = data.load(fromByteOffset: at, as: UInt16.self)
            let len = Int(data.load(fromByteOffset: at + 4, as: UInt32.self))
            if type == 0 {
                precondition(TTABI.recordSize(payloadLength: len) == toEnd, "PAD does not fill the tail")
                c += UInt64(toEnd)
                continue
            }
            let recSize = TTABI.recordSize(payloadLength: len)
            precondition(recSize <= toEnd, "record wraps")
            precondition(c + UInt64(recSize) <= p, "record runs past prod")
            consumed.append(Array(UnsafeRawBufferPointer(start: data + at, count: recSize)))
            c += UInt64(recSize)
            n += 1
        }
        storeCons(c)
    }
}

final class ReplayRingTests: XCTestCase {
    /// Writes `r` into the producer.
    func write(_ p: RingProducer, _ r: Record) throws -> Bool {
        try r.encoded().withUnsafeBytes { try p.write(record: $0) }
    }

    func testWrapAroundWithPadManyTimes() throws {
        let xen = SimulatedXen(size: 4096 * 32)
        let p = try xen.producer()
        let all = ringRecords(6000, start: false, payloadBytes: 301)
        var k = 0, wraps = 0
        while k < all.count {
            let before = p.prod
            while k < all.count, try write(p, all[k]) { k += 1 }
            XCTAssertEqual(xen.prod, before, "nothing visible before publish()")
            p.publish()
            if Int(before) / xen.size != Int(p.prod) / xen.size { wraps += 1 }
            XCTAssertLessThanOrEqual(p.prod - xen.cons, UInt64(xen.size))
            xen.consume(max: 97)        // Xen consumes part of it
        }
        p.finish()
        xen.consume()
        XCTAssertTrue(xen.eof)
        XCTAssertGreaterThan(wraps, 5)
        XCTAssertEqual(xen.consumed, all.map { $0.encoded() })
        XCTAssertEqual(xen.records, UInt64(all.count))
        XCTAssertEqual(xen.cons, xen.prod)
    }

    func testTailShorterThanAHeader() throws {
        // Leave 32 bytes before the end: the next record skips them, zeroed.
        let xen = SimulatedXen(size: 4096 * 32)
        let p = try xen.producer()
        let filler = Record(.hypercall(Hypercall(nr: 1, args: [0, 0, 0, 0, 0, 0], ret: 0,
                                                 data: [UInt8](repeating: 7, count: xen.size / 4 - 32 - 104))),
                            at: Position(landmark: 1, rip: 1, rcx: 1))
        XCTAssertEqual(filler.encoded().count, xen.size / 4 - 32)
        // Three quarters, consumed; then one more quarter minus 32 leaves a 32-byte tail...
        for _ in 0..<3 { XCTAssertTrue(try write(p, filler)) }
        p.publish(); xen.consume()
        XCTAssertTrue(try write(p, filler))
        let tail = xen.size - Int(p.prod % UInt64(xen.size))
        XCTAssertEqual(tail, 128)
        let big = Record(.rdtsc(tsc: 5), at: Position(landmark: 2, rip: 2, rcx: 2))
        // Bring the tail down to 32 bytes.
        XCTAssertTrue(try write(p, Record(.hlt, at: Position(landmark: 3, rip: 3, rcx: 3))))   // 40 bytes: 88 left
        XCTAssertTrue(try write(p, Record(.rdtsc(tsc: 1), at: Position(landmark: 4, rip: 4, rcx: 4))))   // 56: 32 left
        XCTAssertEqual(xen.size - Int(p.prod % UInt64(xen.size)), 32)
        XCTAssertTrue(try write(p, big))
        XCTAssertEqual(Int(p.prod % UInt64(xen.size)), 56, "the record went to the start")
        XCTAssertTrue(UnsafeRawBufferPointer(start: xen.data + xen.size - 32, count: 32).allSatisfy { $0 == 0 })
        p.publish(); xen.consume()
        XCTAssertEqual(xen.consumed.suffix(3).map { $0 }, [Record(.hlt, at: Position(landmark: 3, rip: 3, rcx: 3)).encoded(),
                                                          Record(.rdtsc(tsc: 1), at: Position(landmark: 4, rip: 4, rcx: 4)).encoded(),
                                                          big.encoded()])
    }

    func testFullRingAndTheKick() throws {
        let xen = SimulatedXen(size: 4096 * 32)
        let p = try xen.producer()
        let all = ringRecords(100_000, start: false, payloadBytes: 100)
        var k = 0
        while k < all.count, try write(p, all[k]) { k += 1 }
        XCTAssertLessThan(k, all.count, "the ring filled")
        XCTAssertLessThan(try p.freeBytes(), all[k].encoded().count + TTABI.recordHeaderSize + 160)
        XCTAssertFalse(p.publish(), "Xen does not wait: no kick")
        XCTAssertEqual(xen.prod, p.prod)
        // A full ring stays full: nothing is overwritten.
        XCTAssertFalse(try write(p, all[k]))
        // Xen consumes some and waits: the next publish says kick.
        xen.consume(max: 10)
        xen.setWaiting(true)
        XCTAssertTrue(try write(p, all[k]))
        XCTAssertTrue(p.publish())
        XCTAssertTrue(p.consumerWaiting)
        xen.setWaiting(false)
        XCTAssertFalse(p.finish())
        XCTAssertTrue(xen.eof)
        xen.consume()
        XCTAssertEqual(xen.consumed, all[0...k].map { $0.encoded() })
    }

    func testEofAfterTheLastRecord() throws {
        let xen = SimulatedXen()
        let p = try xen.producer()
        XCTAssertTrue(try write(p, Record(.hlt, at: Position(landmark: 1, rip: 1, rcx: 1))))
        XCTAssertFalse(xen.eof)
        xen.setWaiting(true)
        XCTAssertTrue(p.finish(), "Xen waits: kick after eof")
        XCTAssertTrue(xen.eof)
        XCTAssertEqual(xen.prod, 40, "prod is final before eof")
        XCTAssertEqual(p.unconsumedBytes, 40)
        // A ring whose eof is set cannot be taken over by another producer.
        XCTAssertThrowsError(try xen.producer())
    }

    func testConsumerBeyondProdIsCorrupt() throws {
        let xen = SimulatedXen()
        let p = try xen.producer()
        XCTAssertTrue(try write(p, Record(.hlt, at: Position(landmark: 1, rip: 1, rcx: 1))))
        p.publish()
        xen.storeCons(48)        // beyond prod (40)
        XCTAssertThrowsError(try p.freeBytes()) { e in
            XCTAssertEqual(e as? RingError, .consumerCorrupt(detail: "cons 48 is beyond prod 40"))
        }
        XCTAssertThrowsError(try write(p, Record(.hlt, at: Position(landmark: 2, rip: 1, rcx: 1))))
        xen.storeCons(4)         // not aligned
        XCTAssertThrowsError(try p.freeBytes())
        xen.storeCons(40)
        XCTAssertEqual(try p.freeBytes(), xen.size)
    }

    func testBadControlPageAndBadRecords() throws {
        let xen = SimulatedXen()
        xen.control.storeBytes(of: UInt32(1), toByteOffset: 4, as: UInt32.self)
        XCTAssertThrowsError(try xen.producer()) { XCTAssertTrue("\($0)".contains("interface version 1"), "\($0)") }
        xen.control.storeBytes(of: TTABI.interfaceVersion, toByteOffset: 4, as: UInt32.self)
        XCTAssertThrowsError(try RingProducer(control: xen.control, data: xen.data, dataBytes: 4096))
        let p = try xen.producer()
        // Not one whole record.
        let bytes = Record(.rdtsc(tsc: 1), at: Position(landmark: 1, rip: 1, rcx: 1)).encoded()
        XCTAssertThrowsError(try bytes.dropLast(8).withUnsafeBytes { try p.write(record: $0) })
        // Too big for the ring and Xen's headroom.
        let huge = Record(.hypercall(Hypercall(nr: 1, args: [0, 0, 0, 0, 0, 0], ret: 0, data: [UInt8](repeating: 1, count: 40_000))),
                          at: Position(landmark: 1, rip: 1, rcx: 1))
        XCTAssertThrowsError(try write(p, huge)) { e in
            guard case .recordTooBig = e as? RingError else { return XCTFail("\(e)") }
        }
    }
}
