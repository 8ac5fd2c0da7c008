import CTTSupport
import Foundation
import XCTest
@testable import TTLog
import TTLogTestSupport

/// A deterministic random-mutation fuzzer for the reader, bounded in time.
/// TTLOG_FUZZ_SECONDS sets the budget (default 3; `make check` gives 30).
/// Every mutant goes through open, sequential read, stat, verify, index
/// and an excerpt; the only acceptable outcomes are success or a LogError.
/// Half of the mutants get their chunk CRCs recomputed, so that the record
/// decoder (not only the checksum) sees the damage.
final class FuzzTests: XCTestCase {
    func testFuzzReader() throws {
        let seconds = Double(ProcessInfo.processInfo.environment["TTLOG_FUZZ_SECONDS"] ?? "") ?? 3
        let dir = temporaryDirectory()
        var seeds: [[UInt8]] = []
        for (i, zstd) in [false, true].enumerated() {
            let path = dir + "/seed\(i).log"
            var gen = SyntheticRecords(seed: UInt64(i + 1))
            var records = [gen.start()] + sampleRecords().dropFirst()
            for _ in 0..<40 { records.append(gen.next()) }
            try writeLog(path, records, chunkSize: 400, zstd: zstd)
            seeds.append([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
        }
        var rng = SplitMix64(seed: UInt64(ProcessInfo.processInfo.environment["TTLOG_FUZZ_SEED"] ?? "") ?? 1)
        let deadline = Date().addingTimeInterval(seconds)
        let path = dir + "/mutant.log"
        var runs = 0, accepted = 0
        while Date() < deadline {
            var m = seeds[Int(rng.next() % UInt64(seeds.count))]
            Self.mutate(&m, &rng)
            if rng.next() % 2 == 0 { Self.fixChunkCRCs(&m) }
            try Data(m).write(to: URL(fileURLWithPath: path))
            if exercise(path, &rng) { accepted += 1 }
            runs += 1
        }
        print("fuzz: \(runs) mutants in \(seconds) s, \(accepted) read without error, no crash")
        XCTAssertGreaterThan(runs, 10)
    }

    static func mutate(_ m: inout [UInt8], _ rng: inout SplitMix64) {
        let n = 1 + Int(rng.next() % 4)
        for _ in 0..<n {
            guard !m.isEmpty else { return }
            let at = Int(rng.next() % UInt64(m.count))
            switch rng.next() % 7 {
            case 0: m[at] ^= UInt8(1 << (rng.next() % 8))
            case 1: m[at] = UInt8(truncatingIfNeeded: rng.next())
            case 2: m.removeSubrange(at...)                        // truncate
            case 3: m.insert(contentsOf: (0..<(1 + rng.next() % 16)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }, at: at)
            case 4:                                                 // an interesting 32-bit value
                let v: [UInt32] = [0, 1, 0xffff_ffff, 0x7fff_ffff, 0x8000_0000, 40, 48, 1 << 20, 1 << 26]
                let x = v[Int(rng.next() % UInt64(v.count))]
                let a = at & ~3
                if a + 4 <= m.count { for i in 0..<4 { m[a + i] = UInt8(truncatingIfNeeded: x >> (8 * i)) } }
            case 5: m.removeSubrange(at..<min(m.count, at + 1 + Int(rng.next() % 64)))
            default:                                                // duplicate a span
                let len = min(m.count - at, 1 + Int(rng.next() % 128))
                m.insert(contentsOf: Array(m[at..<at + len]), at: at)
            }
        }
    }

    /// Recomputes the CRC of every chunk whose header can still be found.
    static func fixChunkCRCs(_ m: inout [UInt8]) {
        guard m.count >= 32 else { return }
        var o = Int(m.withUnsafeBytes { $0.le(12, as: UInt32.self) })
        while o >= 0, o + 48 <= m.count {
            let (magic, stored): (UInt32, Int) = m.withUnsafeBytes { ($0.le(o), Int($0.le(o + 8, as: UInt32.self))) }
            guard magic == LogFormat.chunkMagic, o + 48 + stored <= m.count else { return }
            m.withUnsafeMutableBytes { $0.storeBytes(of: 0, toByteOffset: o + 20, as: UInt32.self) }
            var crc = m[o..<o + 48].withUnsafeBytes { tt_crc32c(0, $0.baseAddress, 48) }
            crc = m[(o + 48)..<(o + 48 + stored)].withUnsafeBytes { tt_crc32c(crc, $0.baseAddress, stored) }
            m.withUnsafeMutableBytes { $0.storeBytes(of: crc.littleEndian, toByteOffset: o + 20, as: UInt32.self) }
            o += 48 + stored
        }
    }

    /// True when everything read without error.
    func exercise(_ path: String, _ rng: inout SplitMix64) -> Bool {
        do {
            let reader = try LogReader(path: path)
            _ = try readAll(path)
            _ = try reader.stats()
            _ = reader.verify()
            _ = try reader.index()
            _ = try reader.excerpt(around: rng.next() % 64, window: Int(rng.next() % 5))
            _ = try diffLogs(reader, LogReader(path: path), window: 2)
            return true
        } catch is LogError {
            return false
        } catch {
            XCTFail("not a LogError: \(error)")
            return false
        }
    }
}
