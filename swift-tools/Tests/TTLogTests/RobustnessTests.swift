import Foundation
import XCTest
@testable import TTLog
import TTLogTestSupport

final class RobustnessTests: XCTestCase {
    /// A small log of several chunks.
    func smallLog(_ dir: String, zstd: Bool) throws -> (String, [UInt8], [Record], [ChunkInfo]) {
        let path = dir + "/small-\(zstd).log"
        var gen = SyntheticRecords(seed: 7)
        var records = [gen.start()]
        for _ in 0..<60 { records.append(gen.next()) }
        records.append(gen.end())
        try writeLog(path, records, chunkSize: 512, zstd: zstd)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        var chunks: [ChunkInfo] = []
        try LogReader(path: path).scanChunks { chunks.append($0); return true }
        XCTAssertGreaterThan(chunks.count, 3)
        return (path, bytes, records, chunks)
    }

    func testTruncationAtEveryByte() throws {
        let dir = temporaryDirectory()
        for zstd in [false, true] {
            let (_, bytes, records, chunks) = try smallLog(dir, zstd: zstd)
            let headerLength = Int(try LogReader(path: dir + "/small-\(zstd).log").dataStart)
            let cut = dir + "/cut.log"
            for length in 0..<bytes.count {
                try Data(bytes[0..<length]).write(to: URL(fileURLWithPath: cut))
                let reader: LogReader
                do {
                    reader = try LogReader(path: cut)
                } catch let e as LogError {
                    XCTAssertLessThan(length, headerLength, "header error at \(length): \(e)")
                    continue
                }
                let whole = chunks.filter { Int($0.offset) + $0.fileBytes <= length }
                let expected = whole.reduce(0) { $0 + Int($1.recordCount) }
                let (got, stop) = try readAll(cut)
                XCTAssertEqual(got.count, expected, "cut at \(length)")
                XCTAssertEqual(got, Array(records.prefix(expected)), "cut at \(length)")
                XCTAssertNotEqual(stop, .closedCleanly, "cut at \(length)")
                XCTAssertFalse(reader.verify().sound, "cut at \(length)")
                // The index is built from the whole chunks.
                let idx = try reader.index()
                XCTAssertFalse(idx.stored)
                XCTAssertEqual(idx.entries.count, whole.count, "cut at \(length)")
            }
        }
    }

    func testCorruptionNamesChunkAndOffset() throws {
        let dir = temporaryDirectory()
        var rng = SplitMix64(seed: 42)
        for zstd in [false, true] {
            let (path, bytes, _, chunks) = try smallLog(dir, zstd: zstd)
            _ = path
            let bad = dir + "/bad.log"
            for _ in 0..<300 {
                let c = chunks[Int(rng.next() % UInt64(chunks.count))]
                let at = Int(c.offset) + Int(rng.next() % UInt64(c.fileBytes))
                var m = bytes
                m[at] ^= UInt8(1 + rng.next() % 255)
                try Data(m).write(to: URL(fileURLWithPath: bad))
                do {
                    _ = try readAll(bad)
                    XCTFail("corruption at byte \(at) not detected")
                } catch let e as LogError {
                    let text = "\(e)"
                    if case .corruptChunk(_, let chunk, let offset, _) = e {
                        XCTAssertEqual(chunk, c.seq, text)
                        XCTAssertEqual(offset, c.offset, text)
                        XCTAssertTrue(text.contains("chunk \(c.seq) at offset \(c.offset)"), text)
                    } else if case .badIndex = e {
                        // A flipped length can make the chunk stream end where the trailer is not.
                    } else {
                        XCTFail("unexpected error \(text)")
                    }
                }
            }
        }
    }

    func testNotALogAndNewerVersion() throws {
        let dir = temporaryDirectory()
        let junk = dir + "/junk"
        try Data("hello, world, this is not a log file at all".utf8).write(to: URL(fileURLWithPath: junk))
        XCTAssertThrowsError(try LogReader(path: junk)) { XCTAssertTrue("\($0)".contains("not a time-traveling Xen log")) }
        let (path, bytes, _, _) = try smallLog(dir, zstd: false)
        _ = path
        var newer = bytes
        newer[10] = 9   // compat version 9
        let p = dir + "/newer.log"
        try Data(newer).write(to: URL(fileURLWithPath: p))
        XCTAssertThrowsError(try LogReader(path: p)) { XCTAssertTrue("\($0)".contains("format version"), "\($0)") }
        XCTAssertThrowsError(try LogReader(path: dir + "/missing")) { XCTAssertTrue("\($0)".contains("No such file")) }
    }

    func testExcerptAroundLandmarkAndBeyondEnd() throws {
        let dir = temporaryDirectory()
        let (path, _, records, _) = try smallLog(dir, zstd: false)
        let reader = try LogReader(path: path)
        let target = records[30].position.landmark
        let ex = try reader.excerpt(around: target, window: 3)
        let anchor = records.firstIndex { $0.position.landmark >= target }!
        XCTAssertEqual(ex.from.first, records[anchor])
        XCTAssertEqual(ex.before, Array(records[max(0, anchor - 3)..<anchor]))
        XCTAssertEqual(ex.from, Array(records[anchor...min(records.count - 1, anchor + 3)]))
        XCTAssertTrue(ex.indexStored)
        XCTAssertThrowsError(try reader.excerpt(around: 1_000_000, window: 3)) {
            XCTAssertTrue("\($0)".contains("beyond the end"), "\($0)")
        }
    }

    func testIndexDisagreeingWithRecordsIsReported() throws {
        let dir = temporaryDirectory()
        let (path, bytes, _, _) = try smallLog(dir, zstd: false)
        let reader = try LogReader(path: path)
        let footerAt = bytes.count - LogFormat.footerSize
        let indexOffset = Int(bytes.withUnsafeBytes { $0.le(footerAt + 8, as: UInt64.self) })
        // Entry 1's first landmark += 1000, and the trailer CRC fixed up: only the index lies.
        var m = bytes
        let e1 = indexOffset + 16 + 32 + 8
        m.withUnsafeMutableBytes { b in
            b.storeBytes(of: (UnsafeRawBufferPointer(b).le(e1, as: UInt64.self) + 1000).littleEndian, toByteOffset: e1, as: UInt64.self)
            b.storeBytes(of: 0, toByteOffset: footerAt + 40, as: UInt32.self)
        }
        let crc = m[indexOffset...].withUnsafeBytes { tt_crc32c_swift($0) }
        m.withUnsafeMutableBytes { $0.storeBytes(of: crc.littleEndian, toByteOffset: footerAt + 40, as: UInt32.self) }
        let p = dir + "/liar.log"
        try Data(m).write(to: URL(fileURLWithPath: p))
        XCTAssertThrowsError(try readAll(p)) { XCTAssertTrue("\($0)".contains("index disagrees"), "\($0)") }
        let v = try LogReader(path: p).verify()
        XCTAssertFalse(v.sound)
        _ = reader
    }

    func testDiffIdenticalAndOneField() throws {
        let dir = temporaryDirectory()
        let records = sampleRecords()
        try writeLog(dir + "/a.log", records)
        try writeLog(dir + "/b.log", records, header: testHeader(mode: .replay), zstd: true)
        let same = try diffLogs(LogReader(path: dir + "/a.log"), LogReader(path: dir + "/b.log"), window: 2)
        XCTAssertTrue(same.identical)
        XCTAssertEqual(same.recordsCompared, UInt64(records.count))
        var changed = records
        changed[7] = Record(.rdtscp(tsc: 78, aux: 3), at: records[7].position)
        try writeLog(dir + "/c.log", changed)
        let d = try diffLogs(LogReader(path: dir + "/a.log"), LogReader(path: dir + "/c.log"), window: 2)
        XCTAssertFalse(d.identical)
        XCTAssertEqual(d.recordNumber, 7)
        XCTAssertEqual(d.differences, ["payload.tsc: A=0x000000000000004d B=0x000000000000004e"])
        XCTAssertEqual(d.context, Array(records[5..<7]))
        // One log shorter than the other.
        try writeLog(dir + "/short.log", Array(records.prefix(10)))
        let s = try diffLogs(LogReader(path: dir + "/a.log"), LogReader(path: dir + "/short.log"), window: 2)
        XCTAssertFalse(s.identical)
        XCTAssertEqual(s.recordNumber, 10)
    }

    func testVerifyFindsStructuralProblems() throws {
        let dir = temporaryDirectory()
        var records = sampleRecords()
        records.swapAt(2, 3)     // landmark 3 before 2
        try writeLog(dir + "/v.log", records)
        let v = try LogReader(path: dir + "/v.log").verify()
        XCTAssertFalse(v.sound)
        XCTAssertTrue(v.problems.contains { $0.contains("landmark goes back") }, "\(v.problems)")
        try writeLog(dir + "/nostart.log", Array(sampleRecords().dropFirst()))
        XCTAssertTrue(try LogReader(path: dir + "/nostart.log").verify().problems.contains { $0.contains("not DOMAIN_START") })
    }

    func testStats() throws {
        let dir = temporaryDirectory()
        try writeLog(dir + "/s.log", sampleRecords(), zstd: true)
        let s = try LogReader(path: dir + "/s.log").stats()
        XCTAssertEqual(s.records, UInt64(sampleRecords().count))
        XCTAssertEqual(s.perType[RecordType.ttioInput.rawValue]?.count, 3)
        XCTAssertEqual(s.interruptsBySignature, 1)
        XCTAssertEqual(s.firstLandmark, 0)
        XCTAssertEqual(s.lastLandmark, 14)
        XCTAssertEqual(s.recordBytes, UInt64(sampleRecords().reduce(0) { $0 + $1.encoded().count }))
    }
}

import CTTSupport
func tt_crc32c_swift(_ b: UnsafeRawBufferPointer) -> UInt32 { tt_crc32c(0, b.baseAddress, b.count) }
