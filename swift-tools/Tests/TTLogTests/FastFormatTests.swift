import Foundation
import XCTest
@testable import TTLog
@testable import TTRender
import TTLogTestSupport

/// The fast output path of ttd-read-log (records checked and printed from
/// their bytes: RawRecord.check/quickType, TextWriter, RecordFormatter,
/// forEachCheckedChunk, formatRecords, streamExcerpt, verify) against the
/// reference it replaced (Record decoded, Format.swift's Strings,
/// RecordCursor, the excerpt that collected, verify by re-encoding): byte
/// for byte, error for error.
final class FastFormatTests: XCTestCase {
    static let styles: [RecordFormatter.Style] = [.short, .info, .verbose, .json, .jsonVerbose]
    static let counters: [Counter] = [.none, .instructions, .branches, .unknown(9)]

    /// What ttd-read-log printed for a record before the fast path.
    static func reference(_ r: Record, _ style: RecordFormatter.Style, _ c: Counter) -> String {
        switch style {
        case .short: return r.shortLine(counter: c) + "\n"
        case .info: return r.infoLine(counter: c) + "\n"
        case .verbose: return ([r.infoLine(counter: c)] + r.verboseLines(counter: c)).map { $0 + "\n" }.joined()
        case .json: return r.json() + "\n"
        case .jsonVerbose: return r.json(verbose: true) + "\n"
        }
    }

    // MARK: - Logs of every record type

    /// Records at the edges of every field: values, flags, names, lengths.
    static func edgeRecords() -> [Record] {
        let big: [UInt64] = [0, 9, 10, 99_999_999, 100_000_000, 9_999_999_999_999_999, 10_000_000_000_000_000, .max]
        var out: [Record] = []
        let allBytes = (0..<256).map { UInt8($0) }
        for (i, v) in big.enumerated() {
            let p = Position(landmark: v, rip: v, rcx: ~v, branches: i % 2 == 0 ? v : nil)
            out.append(Record(.rdtsc(tsc: v), at: p, outside: i % 3 == 0))
            out.append(Record(.hypercall(Hypercall(nr: v, args: [v, 0, 1, 0xf, 0x10, ~v], ret: Int64(bitPattern: v),
                                                   data: Array(allBytes.prefix(i * 40)))), at: p))
            out.append(Record(.msrWrite(index: UInt32(truncatingIfNeeded: v), value: v), at: p, outside: true))
        }
        for kind in [MemoryKind.pvclock, .wallclock, .runstate, .other, .hypercall, .lost] {
            out.append(Record(.memory(MemoryUpdate(gpa: UInt64(kind.rawValue) << 40, kind: kind, data: allBytes)),
                              at: Position(landmark: 3, rip: 4, rcx: 5)))
        }
        for dev in [TTIODevice.console, .net, .block] {
            out.append(Record(.ttioInput(TTIOInput(device: dev, cookie: 1 << 33, data: Array(allBytes.reversed()))),
                              at: Position(landmark: 6, rip: 7, rcx: 8, branches: 0)))
            out.append(Record(.ttioInput(TTIOInput(device: dev, cookie: 3, data: [])), at: Position(landmark: 6, rip: 7, rcx: 8)))
        }
        for (k, kind) in [InterruptKind.upcall, .lapic, .nmi].enumerated() {
            let sig = Registers(values: (0..<18).map { UInt64($0) << (3 * $0) }, cr3: UInt64(k) << 60, cpl: UInt32(k))
            out.append(Record(.interrupt(Interrupt(kind: kind, vector: UInt8(k * 100), port: UInt32.max, signature: sig)),
                              at: Position(landmark: 9, rip: sig.values[16], rcx: sig.values[2], branches: UInt64(k))))
            out.append(Record(.interrupt(Interrupt(kind: kind, vector: 0, port: 0)), at: Position(landmark: 9, rip: 1, rcx: 2)))
        }
        for size: UInt8 in [1, 2, 4] {
            out.append(Record(.io(PortIO(port: UInt16(size) * 0x1111, size: size, direction: size & 1, count: UInt32(size),
                                         value: UInt64(size) << 30, data: Array(allBytes.prefix(Int(size) * 7)))),
                              at: Position(landmark: 10, rip: 0, rcx: 0)))
        }
        for size: UInt8 in [1, 2, 4, 8] {
            out.append(Record(.mmio(MMIO(gpa: ~UInt64(size), size: size, direction: size & 1, value: UInt64(size))),
                              at: Position(landmark: 11, rip: 0, rcx: 0), outside: size == 8))
        }
        // A log of before December 2026 (count 0), and a landmark of three
        // accesses with their bytes.
        out.append(Record(.mmio(MMIO(gpa: 0xfee0_0300, size: 4, direction: 0, count: 0, value: 9)),
                          at: Position(landmark: 11, rip: 0, rcx: 0)))
        out.append(Record(.mmio(MMIO(gpa: 0xfee0_0300, size: 2, direction: 1, count: 3, value: 0xffff,
                                     data: Array(allBytes.prefix(6)))),
                          at: Position(landmark: 11, rip: 0, rcx: 0)))
        out.append(Record(.exception(GuestException(vector: 31, errorCode: .max, cr2: .max)), at: Position(landmark: 12, rip: 0, rcx: 0)))
        out.append(Record(.cpuid(CPUID(leaf: .max, subleaf: 0, eax: 0, ebx: 1, ecx: .max, edx: 0x8000_0000)), at: Position(landmark: 13, rip: 0, rcx: 0)))
        out.append(Record(.rdtscp(tsc: 0, aux: .max), at: Position(landmark: 14, rip: 0, rcx: 0, branches: 1)))
        out.append(Record(.msrRead(index: 0, value: 0), at: Position(landmark: 15, rip: 0, rcx: 0)))
        out.append(Record(.hlt, at: Position(landmark: 16, rip: 0, rcx: 0), outside: true))
        out.append(Record(.pause, at: Position(landmark: 17, rip: 0, rcx: 0, branches: 5)))
        for (i, reason) in [DivergenceReason.type, .position, .arguments, .missed, .result].enumerated() {
            out.append(Record(.divergence(Divergence(expectedType: [0x03, 0x99, 0x41, 0xffff, 0x82][i], actualType: UInt16(i),
                                                     reason: reason,
                                                     expected: Position(landmark: 18, rip: 1, rcx: 2, branches: i % 2 == 0 ? 77 : nil),
                                                     actual: Position(landmark: .max, rip: 3, rcx: 4, branches: 88))),
                              at: Position(landmark: 18, rip: 0, rcx: 0)))
        }
        for (i, counter) in [Counter.none, .instructions, .branches, .unknown(12345)].enumerated() {
            out.append(Record(.domainStart(DomainStart(mode: [Mode.none, .record, .replay][i % 3], vcpus: UInt16(i),
                                                       attachFlags: UInt32(i) << 20, boundMicroseconds: .max, counter: counter,
                                                       memoryKB: .max, tscKHz: 0)),
                              at: Position(landmark: 19, rip: 0, rcx: 0)))
        }
        for reason in [EndReason.shutdown, .detach, .diverged, .crash, .logDone] {
            out.append(Record(.end(End(reason: reason, code: .max, landmarks: .max, bySignature: 7)), at: Position(landmark: 20, rip: 0, rcx: 0)))
        }
        return out
    }

    /// A synthetic log's records, with the instruction counter's counts.
    static func countedSynthetic(_ n: Int, seed: UInt64) -> [Record] {
        var gen = SyntheticRecords(seed: seed)
        var records: [Record] = []
        var start = gen.start()
        if case .domainStart(var s) = start.payload {
            s.counter = .instructions
            start.payload = .domainStart(s)
        }
        records.append(start)
        var rng = SplitMix64(seed: seed ^ 77)
        for _ in 0..<n {
            var r = gen.next()
            r.position.branches = rng.next() % 3 == 0 ? 0 : rng.next() % 100_000
            records.append(r)
        }
        records.append(gen.end())
        return records
    }

    /// The logs every comparison runs on: (path, records).
    func logs() throws -> [(String, [Record])] {
        let dir = temporaryDirectory("FastFormatTests")
        var gen = SyntheticRecords(seed: 5)
        var synthetic = [gen.start()]
        for _ in 0..<3000 { synthetic.append(gen.next()) }
        synthetic.append(gen.end())
        let sets: [(String, [Record], Int, Bool)] = [
            ("sample", sampleRecords(), 256, false),
            ("edge", Self.edgeRecords(), 1024, false),
            ("edge-zstd", Self.edgeRecords(), 4096, true),
            ("synthetic", synthetic, 8192, false),
            ("counted-zstd", Self.countedSynthetic(2000, seed: 9), 4096, true),
        ]
        var out: [(String, [Record])] = []
        for (name, records, chunk, zstd) in sets {
            let path = dir + "/" + name + ".log"
            if !FileManager.default.fileExists(atPath: path) {
                try writeLog(path, records, chunkSize: chunk, zstd: zstd)
            }
            out.append((path, records))
        }
        return out
    }

    // MARK: - Record lines

    func testFastLinesEqualTheReferenceForEveryTypeStyleAndCounter() throws {
        for (path, records) in try logs() {
            let reader = try LogReader(path: path)
            XCTAssertEqual(try readAll(path).0, records, path)
            for counter in Self.counters {
                for style in Self.styles {
                    let want = records.map { Self.reference($0, style, counter) }.joined()
                    let format = RecordFormatter(style: style, counter: counter)
                    let what = "\(path) \(style) \(counter)"
                    // A record at a time (the -n window's path).
                    let one = TextBuffer()
                    try reader.forEachCheckedRecord { raw, type, _ in format.append(raw, type, to: one); return true }
                    XCTAssertEqual(one.text, want, what)
                    // A chunk at a time, flushing along the way.
                    let chunked = TextBuffer(), flushed = TextBuffer()
                    try reader.forEachCheckedChunk { chunk in
                        format.append(chunk, to: chunked, flushAbove: 100) { flushed.append(chunked); chunked.removeAll() }
                        return true
                    }
                    flushed.append(chunked)
                    XCTAssertEqual(flushed.text, want, what)
                    // On worker threads, small pieces written in order, and on this thread.
                    for threads in [0, 1, 2, 3] {
                        let written = TextBuffer()
                        try reader.formatRecords(threads: threads, pieceBytes: 300,
                                                 format: { format.append($0, to: $1) },
                                                 write: { written.append($0); $0.removeAll() })
                        XCTAssertEqual(written.text, want, "\(what) threads \(threads)")
                    }
                }
            }
        }
    }

    /// ttd-read-log itself (the default print, -i, -v, --json, --json -v,
    /// with and without worker threads) prints what the reference does.
    func testToolPrintsTheReference() throws {
        for (path, records) in try logs() {
            let counter = records.first.flatMap { r -> Counter? in
                if case .domainStart(let s) = r.payload { return s.counter }
                return nil
            } ?? .none
            let cases: [([String], RecordFormatter.Style)] = [
                ([], .short), (["-i"], .info), (["-v"], .verbose), (["-i", "-v"], .verbose),
                (["--json"], .json), (["--json", "-v"], .jsonVerbose),
            ]
            for (args, style) in cases {
                let want = records.map { Self.reference($0, style, counter) }.joined()
                let r = try runTool("ttd-read-log", args + ["-f", path])
                XCTAssertEqual(r.status, 0, r.stderr)
                XCTAssertEqual(r.stdout, want, "\(path) \(args)")
                let single = try runTool("ttd-read-log", args + ["-f", path], environment: ["TTD_READ_LOG_THREADS": "0"])
                XCTAssertEqual(single.stdout, want, "\(path) \(args), no worker threads")
            }
        }
    }

    // MARK: - The writer's pieces

    func testTextWriterEqualsTheStringFunctions() {
        var values: [UInt64] = [0, 1, .max, .max - 1, UInt64(Int64.max), 1 << 63]
        var p: UInt64 = 1
        for _ in 0..<20 {
            values += [p &- 1, p, p &+ 1, p &* 5]
            p = p &* 10
        }
        var rng = SplitMix64(seed: 3)
        for _ in 0..<2000 { values.append(rng.next() >> (rng.next() % 64)) }
        func written(_ body: (inout TextWriter) -> Void) -> String {
            let b = TextBuffer(capacity: 64)
            var w = b.writer(reserving: 4096)
            body(&w)
            b.commit(w)
            return b.text
        }
        for v in values {
            XCTAssertEqual(written { $0.decimal(v) }, String(v))
            XCTAssertEqual(written { $0.signed(Int64(bitPattern: v)) }, String(Int64(bitPattern: v)))
            for width in [1, 2, 4, 8, 16] {
                XCTAssertEqual(written { $0.hex(v, width: width) }, hex(v, width: width))
            }
            XCTAssertEqual(written { $0.hex16(v) }, hex(v))
        }
        for n in [0, 1, 2, 3, 4, 5, 7, 8, 9, 47, 48, 49, 255, 256, 257, 600] {
            let bytes = (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) } + (0..<n).map { UInt8($0 % 256) }
            bytes.withUnsafeBytes { b in
                XCTAssertEqual(written { $0.hexBytes(b) }, hexBytes(bytes))
                for limit in [0, 1, 48, 256] {
                    XCTAssertEqual(written { $0.quoted(b, limit: limit) }, quoted(bytes, limit: limit))
                }
            }
        }
        for s in ["", "plain", "quote \" backslash \\ nl \n cr \r tab \t", "\u{0}\u{1}\u{1f}\u{7f}", "é ü 日本 🚀"] {
            XCTAssertEqual(written { $0.jsonString(s) }, jsonString(s))
        }
        // The table of type names has an entry for every type.
        XCTAssertEqual(RecordType.paddedNames.utf8CodeUnitCount, 16 * RecordType.allCases.count)
        for t in RecordType.allCases {
            XCTAssertEqual(written { $0.put(name: t) }, t.name)
            XCTAssertEqual(written { $0.put(t.staticName) }, t.name)
        }
    }

    // MARK: - Checks

    /// RawRecord.quickType accepts only what check() accepts, with the same
    /// type, over every sample record with random bytes changed.
    func testQuickTypeNeverAcceptsWhatCheckRefuses() throws {
        var rng = SplitMix64(seed: 11)
        var accepted = 0, refused = 0
        let base = sampleRecords() + Self.edgeRecords() + Self.countedSynthetic(300, seed: 2)
        for _ in 0..<60 {
            for r in base {
                var bytes = r.encoded()
                let mutations = Int(rng.next() % 3)
                for _ in 0..<mutations {
                    let at = Int(rng.next() % UInt64(bytes.count))
                    guard at < 4 || at >= 8 else { continue }          // keep payload_len: the framing is the reader's
                    bytes[at] = rng.next() % 2 == 0 ? UInt8(truncatingIfNeeded: rng.next()) : bytes[at] ^ UInt8(1 << (rng.next() % 8))
                }
                bytes.withUnsafeBytes { p in
                    let len = Int(p.le(4, as: UInt32.self))
                    let flags: UInt16 = p.le(2)
                    let br: UInt64 = p.le(32)
                    let raw = RawRecord(type: p.le(0), flags: flags,
                                        position: Position(landmark: p.le(8), rip: p.le(16), rcx: p.le(24),
                                                           branches: flags & 1 != 0 || br != 0 ? br : nil),
                                        payload: UnsafeRawBufferPointer(rebasing: p[40..<(40 + len)]),
                                        offsetInChunk: 0, bytes: p)
                    let quick = RawRecord.quickType(p.baseAddress!, payloadLength: len)
                    let checked = try? raw.check()
                    if let quick {
                        XCTAssertEqual(quick, checked, "\(bytes)")
                        accepted += 1
                    } else {
                        refused += 1
                    }
                    // Record(raw) decodes exactly what check() passes.
                    XCTAssertEqual((try? Record(raw)) != nil, checked != nil)
                }
            }
        }
        XCTAssertGreaterThan(accepted, 1000)
        XCTAssertGreaterThan(refused, 1000)
    }

    // MARK: - Damaged logs: the same records, then the same error

    /// Prints a log as ttd-read-log did (RecordCursor, Record's Strings) and
    /// as it does: the output up to the error, and the error.
    static func referencePrint(_ path: String, _ style: RecordFormatter.Style) -> (String, String?) {
        var out = ""
        do {
            let reader = try LogReader(path: path)
            let counter = reader.domainStart()?.counter ?? .none
            // RecordCursor decodes a whole chunk before it delivers any of
            // its records: a bad chunk delivers none.
            let c = RecordCursor(reader)
            while let r = try c.next() { out += reference(r, style, counter) }
            return (out, c.stop.map { "\($0)" })
        } catch {
            return (out, "\(error)")
        }
    }

    static func fastPrint(_ path: String, _ style: RecordFormatter.Style, threads: Int) -> (String, String?) {
        let out = TextBuffer()
        do {
            let reader = try LogReader(path: path)
            let format = RecordFormatter(style: style, counter: reader.domainStart()?.counter ?? .none)
            let stop = try reader.formatRecords(threads: threads, pieceBytes: 200, format: { format.append($0, to: $1) },
                                                write: { out.append($0); $0.removeAll() })
            return (out.text, "\(stop)")
        } catch {
            return (out.text, "\(error)")
        }
    }

    /// verify() as it was: every record decoded and re-encoded.
    static func referenceVerify(_ reader: LogReader, maxProblems: Int = 20) -> VerifyReport {
        var r = VerifyReport()
        var lastLandmark: UInt64 = 0
        var lastSyncLandmark: UInt64?
        var anchor = Position(landmark: 0, rip: 0, rcx: 0)
        var signatures: UInt64 = 0
        var sawEnd = false
        let path = reader.path
        func problem(_ s: String) { if r.problems.count < maxProblems { r.problems.append(s) } }
        do {
            r.stop = try reader.forEachRecordWithChunks(onChunk: { _ in r.chunks += 1; return true }) { raw in
                let n = r.records
                r.records += 1
                let where_ = "record \(n) (lm:\(raw.position.landmark))"
                let rec: Record
                do { rec = try Record(raw) } catch { problem("\(path): \(where_): \(error)"); return }
                if rec.encoded().elementsEqual(raw.bytes) == false {
                    problem("\(path): \(where_): non-zero padding or reserved bytes")
                }
                if n == 0 {
                    if case .domainStart(let s) = rec.payload {
                        if s.mode != reader.header.mode { problem("\(path): DOMAIN_START says mode \(s.mode.name), the header \(reader.header.mode.name)") }
                        if s.interfaceVersion != reader.header.interfaceVersion {
                            problem("\(path): DOMAIN_START says interface version \(s.interfaceVersion), the header \(reader.header.interfaceVersion)")
                        }
                    } else {
                        problem("\(path): first record is \(rec.type.name), not DOMAIN_START")
                    }
                } else if rec.type == .domainStart {
                    problem("\(path): \(where_): a second DOMAIN_START")
                }
                if sawEnd { problem("\(path): \(where_): \(rec.type.name) after END") }
                if rec.type == .end { sawEnd = true }
                if raw.position.landmark < lastLandmark { problem("\(path): \(where_): landmark goes back from \(lastLandmark)") }
                lastLandmark = raw.position.landmark
                if n == 0, rec.type == .domainStart { anchor = rec.position }
                switch rec.payload {
                case _ where rec.type.recordClass == .landmark:
                    let want = (lastSyncLandmark ?? 0) &+ 1
                    if rec.position.landmark != want {
                        problem("\(path): \(where_): \(rec.type.name) is landmark \(rec.position.landmark), expected \(want) "
                                + "(landmark records step by one)")
                    }
                    lastSyncLandmark = rec.position.landmark
                    anchor = rec.position
                    if case .cpuid(let c) = rec.payload,
                       let bits = LogReader.hiddenCPUIDBits(leaf: c.leaf, subleaf: c.subleaf, ebx: c.ebx, ecx: c.ecx) {
                        problem("\(path): \(where_): CPUID leaf \(c.leaf) shows \(bits), which recording hides from the guest")
                    }
                case .interrupt(let i) where i.signature != nil:
                    signatures += 1
                    if i.signature!.values[16] != rec.position.rip || i.signature!.values[2] != rec.position.rcx {
                        problem("\(path): \(where_): signature RIP/RCX differ from the record's position")
                    }
                    if rec.position.landmark != anchor.landmark {
                        problem("\(path): \(where_): signature INTERRUPT not after the last landmark (\(anchor.landmark))")
                    }
                case _ where rec.type.recordClass == .asynchronous:
                    if rec.position.landmark != anchor.landmark || rec.position.rip != anchor.rip || rec.position.rcx != anchor.rcx {
                        problem("\(path): \(where_): \(rec.type.name) without a signature is not at its landmark's position "
                                + "(lm:\(anchor.landmark) rip:\(hex(anchor.rip)) rcx:\(hex(anchor.rcx))), "
                                + "it has rip:\(hex(rec.position.rip)) rcx:\(hex(rec.position.rcx))")
                    }
                case .end(let e):
                    if e.landmarks != (lastSyncLandmark ?? 0) {
                        problem("\(path): \(where_): END says \(e.landmarks) landmarks, the log's last landmark record is \(lastSyncLandmark ?? 0)")
                    }
                    if e.bySignature != signatures {
                        problem("\(path): \(where_): END says \(e.bySignature) interrupts placed by signature, the log has \(signatures)")
                    }
                default:
                    break
                }
            }
            r.indexStored = try reader.index().stored
        } catch let e as LogError {
            problem(e.description)
        } catch {
            problem("\(path): \(error)")
        }
        if r.stop.isClean && !sawEnd && r.problems.isEmpty { problem("\(path): log closed cleanly but has no END record") }
        return r
    }

    /// Damaged logs (bytes changed, chunk CRCs made right again so that the
    /// records are what is wrong): print and verify say what they said.
    func testDamagedLogsPrintAndVerifyAsTheReference() throws {
        let dir = temporaryDirectory()
        var rng = SplitMix64(seed: 21)
        var seeds: [[UInt8]] = []
        for (path, _) in try logs().prefix(3) { seeds.append([UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))) }
        let path = dir + "/mutant.log"
        var differentErrors = 0
        for i in 0..<150 {
            var m = seeds[i % seeds.count]
            FuzzTests.mutate(&m, &rng)
            if rng.next() % 4 != 0 { FuzzTests.fixChunkCRCs(&m) }
            try Data(m).write(to: URL(fileURLWithPath: path))
            let style = Self.styles[Int(rng.next() % UInt64(Self.styles.count))]
            let want = Self.referencePrint(path, style)
            for threads in [0, 2] {
                let got = Self.fastPrint(path, style, threads: threads)
                XCTAssertEqual(got.0, want.0, "mutant \(i) \(style) threads \(threads)")
                XCTAssertEqual(got.1, want.1, "mutant \(i) \(style) threads \(threads)")
            }
            if let reader = try? LogReader(path: path) {
                let a = reader.verify(), b = Self.referenceVerify(reader)
                XCTAssertEqual(a.problems, b.problems, "mutant \(i)")
                XCTAssertEqual(a.records, b.records)
                XCTAssertEqual(a.chunks, b.chunks)
                XCTAssertEqual(a.stop, b.stop)
                XCTAssertEqual(a.indexStored, b.indexStored)
                if !a.problems.isEmpty { differentErrors += 1 }
            }
        }
        XCTAssertGreaterThan(differentErrors, 20)
    }

    // MARK: - Windows

    /// The records around a point, from the whole list.
    static func referenceExcerpt(_ records: [Record], _ point: LandmarkPoint, _ window: Int) -> ([Record], [Record])? {
        guard let a = records.firstIndex(where: { point.isReached(by: $0) }) else { return nil }
        return (Array(records[max(0, a - window)..<a]), Array(records[a...min(records.count - 1, a + window)]))
    }

    func testStreamedWindowsEqualTheReference() throws {
        for (path, records) in try logs() where !path.contains("edge") {
            let reader = try LogReader(path: path)
            let last = records.last!.position.landmark
            var points = [0, 1, 2, last / 3, last / 2, last - 1, last].map { LandmarkPoint(landmark: $0) }
            points += [LandmarkPoint(landmark: last / 2, count: 0), LandmarkPoint(landmark: last / 2, count: 50_000),
                       LandmarkPoint(landmark: 3, count: 1)]
            for point in points {
                for window in [0, 1, 7, 100, 2500, 10_000] {
                    guard let (before, from) = Self.referenceExcerpt(records, point, window) else {
                        XCTAssertThrowsError(try reader.excerpt(around: point, window: window))
                        continue
                    }
                    let e = try reader.excerpt(around: point, window: window)
                    XCTAssertEqual(e.before, before, "\(path) \(point) \(window)")
                    XCTAssertEqual(e.from, from, "\(path) \(point) \(window)")
                    XCTAssertEqual(e.stop != nil, from.count <= window, "\(path) \(point) \(window)")
                }
            }
        }
    }

    func testToolWindowsEqualTheReference() throws {
        let (path, records) = try logs()[3]         // synthetic, several chunks
        let last = records.last!.position.landmark
        for (lm, window) in [(last / 2, 3), (last / 2, 700), (1, 50), (last, 5)] {
            let (before, from) = Self.referenceExcerpt(records, LandmarkPoint(landmark: lm), window)!
            let want = (before + from).map { Self.reference($0, .info, .none) }.joined()
            let r = try runTool("ttd-read-log", ["-i", "-n", String(lm), "-w", String(window), "-f", path])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertEqual(r.stdout, want, "-n \(lm) -w \(window)")
            let json = try runTool("ttd-read-log", ["--json", "-n", String(lm), "-w", String(window), "-f", path])
            XCTAssertEqual(json.stdout, (before + from).map { Self.reference($0, .json, .none) }.joined())
        }
    }
}
