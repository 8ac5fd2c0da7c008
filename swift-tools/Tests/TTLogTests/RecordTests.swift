import XCTest
@testable import TTLog

final class RecordTests: XCTestCase {
    func testEveryTypeIsSampled() {
        let types = Set(sampleRecords().map(\.type))
        XCTAssertEqual(types, Set(RecordType.allCases))
    }

    func testEncodeDecodeEveryRecord() throws {
        for r in sampleRecords() {
            let bytes = r.encoded()
            XCTAssertEqual(bytes.count % 8, 0, "\(r.type.name) not 8-aligned")
            let decoded = try bytes.withUnsafeBytes { b -> Record in
                let len = Int(b.le(4, as: UInt32.self))
                let raw = RawRecord(type: b.le(0), flags: b.le(2),
                                    position: Position(landmark: b.le(8), rip: b.le(16), rcx: b.le(24),
                                                       branches: b.le(2, as: UInt16.self) & 1 != 0 ? b.le(32) : nil),
                                    payload: UnsafeRawBufferPointer(rebasing: b[40..<40 + len]), offsetInChunk: 0,
                                    bytes: b)
                XCTAssertEqual(raw.size, bytes.count)
                return try Record(raw)
            }
            XCTAssertEqual(decoded, r, "\(r.type.name)")
        }
    }

    func testLogRoundTripEveryType() throws {
        let dir = temporaryDirectory()
        for zstd in [false, true] {
            let path = dir + "/rt-\(zstd).log"
            try writeLog(path, sampleRecords(), chunkSize: 300, zstd: zstd)
            let (back, stop) = try readAll(path)
            XCTAssertEqual(back, sampleRecords())
            XCTAssertEqual(stop, .closedCleanly)
            let reader = try LogReader(path: path)
            XCTAssertEqual(reader.header, testHeader())
            XCTAssertTrue(reader.verify().sound, "\(reader.verify().problems)")
        }
    }

    func testIncompleteIsRenamedOnClose() throws {
        let dir = temporaryDirectory()
        let w = try LogWriter(path: dir + "/x.log", header: testHeader())
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/x.log.incomplete"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/x.log"))
        try w.append(sampleRecords()[0])
        try w.close()
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/x.log"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/x.log.incomplete"))
    }

    func testAppendRawCopiesRingBytesAndDropsPad() throws {
        let dir = temporaryDirectory()
        var ring = ByteWriter()
        for r in sampleRecords() { r.encode(into: &ring) }
        // A PAD record as Xen puts at the end of the ring.
        ring.put(UInt16(0)); ring.put(UInt16(0)); ring.put(UInt32(8)); ring.zeros(32 + 8)
        let w = try LogWriter(path: dir + "/raw.log", header: testHeader(), options: .init(chunkSize: 512))
        try ring.bytes.withUnsafeBytes { try w.appendRaw($0) }
        try w.close()
        XCTAssertEqual(try readAll(dir + "/raw.log").0, sampleRecords())
    }

    func testRejectsBadRecords() throws {
        var bytes = Record(.rdtsc(tsc: 5), at: Position(landmark: 1, rip: 2, rcx: 3)).encoded()
        func decode(_ b: [UInt8]) throws -> Record {
            try b.withUnsafeBytes { p in
                let len = Int(p.le(4, as: UInt32.self))
                return try Record(RawRecord(type: p.le(0), flags: p.le(2),
                                            position: Position(landmark: 1, rip: 2, rcx: 3),
                                            payload: UnsafeRawBufferPointer(rebasing: p[40..<40 + len]),
                                            offsetInChunk: 0, bytes: p))
            }
        }
        bytes[40 + 9] = 1  // pad of xen_tt_rec_tsc
        XCTAssertThrowsError(try decode(bytes)) { XCTAssertTrue("\($0)".contains("padding")) }
        bytes[40 + 9] = 0
        bytes[0] = 0x3f     // unknown type
        XCTAssertThrowsError(try decode(bytes)) { XCTAssertTrue("\($0)".contains("unknown record type")) }
        bytes[0] = 3
        bytes[2] = 0x80     // unknown flag
        XCTAssertThrowsError(try decode(bytes)) { XCTAssertTrue("\($0)".contains("unknown flags")) }
    }

    func testHeaderUnknownFieldsAreKeptAndCriticalRefused() throws {
        var h = testHeader()
        h.unknownFields[900] = [1, 2, 3]
        let bytes = h.encoded()
        let back = try bytes.withUnsafeBytes { try LogHeader(decoding: $0, path: "x") }
        XCTAssertEqual(back.unknownFields[900], [1, 2, 3])
    }
}

import CTTSupport

final class CRCTests: XCTestCase {
    /// The standard CRC-32C check value.
    func testCRC32CCheckValue() {
        let s = Array("123456789".utf8)
        XCTAssertEqual(s.withUnsafeBytes { tt_crc32c(0, $0.baseAddress, $0.count) }, 0xe306_9283)
        // Incremental equals one-shot, across the 8-byte fast path.
        let long = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let one = long.withUnsafeBytes { tt_crc32c(0, $0.baseAddress, $0.count) }
        let a = long[0..<333].withUnsafeBytes { tt_crc32c(0, $0.baseAddress, $0.count) }
        let b = long[333...].withUnsafeBytes { tt_crc32c(a, $0.baseAddress, $0.count) }
        XCTAssertEqual(one, b)
        XCTAssertEqual(s.withUnsafeBytes { tt_crc32c_portable(0, $0.baseAddress, $0.count) }, 0xe306_9283)
        XCTAssertEqual(long.withUnsafeBytes { tt_crc32c_portable(0, $0.baseAddress, $0.count) }, one)
    }
}
