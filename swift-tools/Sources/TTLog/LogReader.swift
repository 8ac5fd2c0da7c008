// The streaming log reader (docs/log-format.md).
//
// Reads one chunk at a time into a reused buffer: memory stays at about two
// chunks whatever the size of the log.  A log cut short is read up to its
// last whole chunk and `StopReason` says where and why reading stopped.

import CTTSupport

/// A chunk's header, as read from the file.
public struct ChunkInfo: Hashable, Sendable {
    public var seq: UInt64
    public var offset: UInt64
    public var storedLength: Int
    public var rawLength: Int
    public var recordCount: UInt32
    public var firstLandmark: UInt64
    public var lastLandmark: UInt64
    public var compressed: Bool
    /// Header and stored bytes.
    public var fileBytes: Int { LogFormat.chunkHeaderSize + storedLength }
}

/// The records of a chunk, every one checked (`RawRecord.check()`), in
/// place: valid only during the call that hands it out.
public struct CheckedChunk {
    public let info: ChunkInfo
    /// The chunk's records, uncompressed.
    public let bytes: UnsafeRawBufferPointer
    /// Records in the chunk.
    public let count: Int
    /// Where each record starts in `bytes`, and its type.
    public let offsets: UnsafePointer<Int>
    public let types: UnsafePointer<RecordType>

    package init(info: ChunkInfo, bytes: UnsafeRawBufferPointer, count: Int,
         offsets: UnsafeMutablePointer<Int>, types: UnsafeMutablePointer<RecordType>) {
        self.info = info
        self.bytes = bytes
        self.count = count
        self.offsets = UnsafePointer(offsets)
        self.types = UnsafePointer(types)
    }

    /// Record `i`.
    public func record(_ i: Int) -> RawRecord {
        let o = offsets[i]
        return LogReader.rawRecord(bytes, at: o, payloadLength: Int(bytes.le(o + 4, as: UInt32.self)))
    }
}

/// One entry of the index: a chunk and the landmarks it covers.
public struct IndexEntry: Hashable, Sendable {
    public var offset: UInt64
    public var firstLandmark: UInt64
    public var lastLandmark: UInt64
    public var recordCount: UInt32
}

public final class LogReader {
    public let path: String
    public let header: LogHeader
    public let fileSize: UInt64
    /// Offset of the first chunk.
    public let dataStart: UInt64

    private let file: FileHandle
    private var stored: [UInt8] = []
    private var raw: [UInt8] = []
    private var dctx: OpaquePointer?

    public init(path: String) throws {
        self.path = path
        let file = try FileHandle.openForReading(path)
        self.file = file
        let fileSize = try file.size
        self.fileSize = fileSize
        var fixed = [UInt8](repeating: 0, count: LogFormat.headerFixedSize)
        let n = try fixed.withUnsafeMutableBytes { (b) throws in try file.read(into: b, at: 0) }
        let length = try fixed[0..<n].withUnsafeBytes { (b) throws in
            try LogHeader.headerLength(fixed: UnsafeRawBufferPointer(b), path: path)
        }
        guard UInt64(length) <= fileSize else {
            throw LogError.badHeader(path: path, detail: "header of \(length) bytes, file has \(fileSize): log cut short in its header")
        }
        var whole = [UInt8](repeating: 0, count: length)
        _ = try whole.withUnsafeMutableBytes { (b) throws in try file.read(into: b, at: 0) }
        header = try whole.withUnsafeBytes { (b) throws in try LogHeader(decoding: b, path: path) }
        dataStart = UInt64(length)
    }

    deinit { if let dctx { Zstd.freeContext(dctx) } }

    // MARK: Chunks

    private enum ChunkRead {
        case chunk(ChunkInfo)
        case trailer
        case end(StopReason)
    }

    private func corrupt(_ seq: UInt64, _ offset: UInt64, _ detail: String) -> LogError {
        .corruptChunk(path: path, chunk: seq, offset: offset, detail: detail)
    }

    /// Reads the chunk at `offset` into `raw`, checking its checksum and framing.
    private func readChunk(at offset: UInt64, seq: UInt64, verifyChecksum: Bool,
                           headersOnly: Bool = false) throws -> ChunkRead {
        let left = fileSize - offset
        if left == 0 { return .end(.endedWithoutTrailer(offset: offset, chunks: seq)) }
        var h = [UInt8](repeating: 0, count: LogFormat.chunkHeaderSize)
        let got = try h.withUnsafeMutableBytes { (b) throws in try file.read(into: b, at: offset) }
        if got >= 4 {
            let magic: UInt32 = h.withUnsafeBytes { $0.le(0) }
            if magic == LogFormat.indexMagic { return .trailer }
            if magic != LogFormat.chunkMagic {
                throw corrupt(seq, offset, "no chunk magic (found \(hex(UInt64(magic), width: 8)))")
            }
        }
        if got < LogFormat.chunkHeaderSize {
            return .end(.cutInsideChunk(chunk: seq, offset: offset, needed: UInt64(LogFormat.chunkHeaderSize),
                                        present: UInt64(got)))
        }
        let (headerCRC, reserved): (UInt32, UInt32) = h.withUnsafeBytes { ($0.le(48), $0.le(52)) }
        let gotHeaderCRC = h.withUnsafeBytes { tt_crc32c(0, $0.baseAddress, 48) }
        guard gotHeaderCRC == headerCRC else {
            throw corrupt(seq, offset, "header CRC32C \(hex(UInt64(gotHeaderCRC), width: 8)) does not match the stored \(hex(UInt64(headerCRC), width: 8))")
        }
        guard reserved == 0 else { throw corrupt(seq, offset, "reserved header field is not zero") }
        let info: ChunkInfo = h.withUnsafeBytes { p in
            ChunkInfo(seq: p.le(24), offset: offset, storedLength: Int(p.le(8, as: UInt32.self)),
                      rawLength: Int(p.le(12, as: UInt32.self)), recordCount: p.le(16),
                      firstLandmark: p.le(32), lastLandmark: p.le(40),
                      compressed: p.le(4, as: UInt32.self) & LogFormat.chunkFlagZstd != 0)
        }
        let flags: UInt32 = h.withUnsafeBytes { $0.le(4) }
        guard flags & ~LogFormat.chunkFlagZstd == 0 else { throw corrupt(seq, offset, "unknown flags \(hex(UInt64(flags), width: 8))") }
        guard info.storedLength <= LogFormat.maxChunkBytes, info.rawLength <= LogFormat.maxChunkBytes else {
            throw corrupt(seq, offset, "length \(info.storedLength)/\(info.rawLength) above the \(LogFormat.maxChunkBytes)-byte limit")
        }
        guard info.compressed || info.storedLength == info.rawLength else {
            throw corrupt(seq, offset, "uncompressed chunk with stored length \(info.storedLength) != raw length \(info.rawLength)")
        }
        guard info.seq == seq else { throw corrupt(seq, offset, "sequence number \(info.seq), expected \(seq)") }
        if UInt64(info.fileBytes) > left {
            return .end(.cutInsideChunk(chunk: seq, offset: offset, needed: UInt64(info.fileBytes), present: left))
        }
        if headersOnly { return .chunk(info) }
        if stored.count < info.storedLength { stored = [UInt8](repeating: 0, count: info.storedLength) }
        _ = try stored.withUnsafeMutableBytes { (b) throws in
            try file.read(into: UnsafeMutableRawBufferPointer(rebasing: b[0..<info.storedLength]),
                          at: offset + UInt64(LogFormat.chunkHeaderSize))
        }
        if verifyChecksum {
            let want: UInt32 = h.withUnsafeBytes { $0.le(20) }
            let crc = stored.withUnsafeBytes { tt_crc32c(0, $0.baseAddress, info.storedLength) }
            guard crc == want else {
                throw corrupt(seq, offset, "data CRC32C \(hex(UInt64(crc), width: 8)) does not match the stored \(hex(UInt64(want), width: 8))")
            }
        }
        if info.compressed {
            if raw.count < info.rawLength { raw = [UInt8](repeating: 0, count: info.rawLength) }
            if dctx == nil { dctx = Zstd.makeContext() }
            let err = stored.withUnsafeBytes { s in
                raw.withUnsafeMutableBytes { r in
                    Zstd.decompress(UnsafeRawBufferPointer(rebasing: s[0..<info.storedLength]),
                                    rawLength: info.rawLength, into: r, context: dctx!)
                }
            }
            if let err { throw corrupt(seq, offset, "zstd: \(err)") }
        }
        return .chunk(info)
    }

    /// The record at offset `o` of a chunk's records `p`, its payload length
    /// `len` (the framing checked: it fits).
    @inline(__always)
    static func rawRecord(_ p: UnsafeRawBufferPointer, at o: Int, payloadLength len: Int) -> RawRecord {
        let flags: UInt16 = p.le(o + 2)
        let br: UInt64 = p.le(o + 32)
        return RawRecord(type: p.le(o), flags: flags,
                         position: Position(landmark: p.le(o + 8), rip: p.le(o + 16), rcx: p.le(o + 24),
                                            branches: flags & RecordFlags.branches.rawValue != 0 || br != 0 ? br : nil),
                         payload: UnsafeRawBufferPointer(rebasing: p[(o + 40)..<(o + 40 + len)]),
                         offsetInChunk: o,
                         bytes: UnsafeRawBufferPointer(rebasing: p[o..<(o + TTABI.recordSize(payloadLength: len))]))
    }

    /// Calls `body` with each record of the chunk last read, checking framing
    /// against the chunk header.
    private func walkRecords(_ info: ChunkInfo, _ body: (RawRecord) throws -> Bool) throws -> Bool {
        let useStored = !info.compressed
        let buffer = useStored ? stored : raw
        return try buffer.withUnsafeBytes { (all: UnsafeRawBufferPointer) throws -> Bool in
            let p = UnsafeRawBufferPointer(rebasing: all[0..<info.rawLength])
            var o = 0
            var count: UInt32 = 0
            var first: UInt64 = 0, last: UInt64 = 0
            while o < p.count {
                guard p.count - o >= TTABI.recordHeaderSize else {
                    throw corrupt(info.seq, info.offset, "record at byte \(o) of the chunk: \(p.count - o) bytes left, less than a record header")
                }
                let len = Int(p.le(o + 4, as: UInt32.self))
                guard len <= TTABI.maxPayload, TTABI.recordSize(payloadLength: len) <= p.count - o else {
                    throw corrupt(info.seq, info.offset, "record at byte \(o) of the chunk: payload length \(len) runs past the chunk")
                }
                let rec = LogReader.rawRecord(p, at: o, payloadLength: len)
                let landmark = rec.position.landmark
                if count == 0 { first = landmark }
                last = landmark
                count += 1
                o += TTABI.recordSize(payloadLength: len)
                if try !body(rec) { return false }
            }
            guard count == info.recordCount else {
                throw corrupt(info.seq, info.offset, "holds \(count) records, its header says \(info.recordCount)")
            }
            guard count == 0 || (first == info.firstLandmark && last == info.lastLandmark) else {
                throw corrupt(info.seq, info.offset, "records span landmarks \(first)-\(last), its header says \(info.firstLandmark)-\(info.lastLandmark)")
            }
            return true
        }
    }

    /// Checks every record of the chunk last read, as `walkRecords` frames
    /// them and `check` checks them (the same errors, in the same order),
    /// and notes where each starts and its type.  Returns the records.
    private func checkRecords(_ info: ChunkInfo, offsets: UnsafeMutablePointer<Int>,
                              types: UnsafeMutablePointer<RecordType>) throws -> Int {
        let buffer = info.compressed ? raw : stored
        return try buffer.withUnsafeBytes { (all: UnsafeRawBufferPointer) throws -> Int in
            let p = UnsafeRawBufferPointer(rebasing: all[0..<info.rawLength])
            guard let base = p.baseAddress else { return 0 }
            let size = p.count
            var o = 0
            var count = 0
            var first: UInt64 = 0, last: UInt64 = 0
            while o < size {
                guard size - o >= TTABI.recordHeaderSize else {
                    throw corrupt(info.seq, info.offset, "record at byte \(o) of the chunk: \(size - o) bytes left, less than a record header")
                }
                let len = Int(UInt32(littleEndian: base.loadUnaligned(fromByteOffset: o + 4, as: UInt32.self)))
                guard len <= TTABI.maxPayload, TTABI.recordSize(payloadLength: len) <= size - o else {
                    throw corrupt(info.seq, info.offset, "record at byte \(o) of the chunk: payload length \(len) runs past the chunk")
                }
                // Most records pass the quick test; the others (and every bad
                // one) go through check(), which names what is wrong.
                let type = try RawRecord.quickType(base + o, payloadLength: len)
                    ?? check(LogReader.rawRecord(p, at: o, payloadLength: len), info)
                let landmark = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: o + 8, as: UInt64.self))
                if count == 0 { first = landmark }
                last = landmark
                (offsets + count).initialize(to: o)
                (types + count).initialize(to: type)
                count += 1
                o += TTABI.recordSize(payloadLength: len)
            }
            guard count == info.recordCount else {
                throw corrupt(info.seq, info.offset, "holds \(count) records, its header says \(info.recordCount)")
            }
            guard count == 0 || (first == info.firstLandmark && last == info.lastLandmark) else {
                throw corrupt(info.seq, info.offset, "records span landmarks \(first)-\(last), its header says \(info.firstLandmark)-\(info.lastLandmark)")
            }
            return count
        }
    }

    /// Reads the chunks from `start` in order.  `body` gets each chunk's header
    /// and may return false to stop.  Returns why reading stopped.
    /// `checkIndex`: from the first chunk, compare the stored index with the
    /// chunks met when the trailer comes.
    @discardableResult
    public func scanChunks(from start: UInt64? = nil, seq firstSeq: UInt64 = 0, verifyChecksums: Bool = true,
                           headersOnly: Bool = false, checkIndex: Bool = true,
                           _ body: (ChunkInfo) throws -> Bool) throws -> StopReason {
        file.adviseSequential()
        var offset = start ?? dataStart
        var seq = firstSeq
        var seen: [IndexEntry] = []
        let keep = firstSeq == 0 && checkIndex
        while true {
            switch try readChunk(at: offset, seq: seq, verifyChecksum: verifyChecksums, headersOnly: headersOnly) {
            case .end(let why):
                return why
            case .trailer:
                return try checkTrailer(at: offset, chunks: seq, seen: keep ? seen : nil)
            case .chunk(let info):
                if keep {
                    seen.append(IndexEntry(offset: info.offset, firstLandmark: info.firstLandmark,
                                           lastLandmark: info.lastLandmark, recordCount: info.recordCount))
                }
                if try !body(info) { return .closedCleanly }
                offset += UInt64(info.fileBytes)
                seq += 1
            }
        }
    }

    /// Calls `body` for every record from chunk `start` on, in log order.
    /// `body` returns false to stop.  Returns why reading stopped.
    @discardableResult
    public func forEachRecord(from start: IndexEntry? = nil, seq: UInt64 = 0, verifyChecksums: Bool = true,
                              _ body: (RawRecord, ChunkInfo) throws -> Bool) throws -> StopReason {
        var stop = false
        let why = try scanChunks(from: start?.offset, seq: seq, verifyChecksums: verifyChecksums) { info in
            let more = try walkRecords(info) { rec in try body(rec, info) }
            if !more { stop = true }
            return more
        }
        return stop ? .closedCleanly : why
    }

    /// Calls `body` for every record from chunk `start` on, in log order, as
    /// `RecordCursor` delivers them, without decoding them: every record of a
    /// chunk is checked (`RawRecord.check()`) before the first of them is
    /// delivered, so that a chunk with a bad record delivers none and reading
    /// stops there with the error `RecordCursor` throws.  `body` gets each
    /// record with its type, and the chunk it is in; it returns false to
    /// stop.  Returns why reading stopped (`.closedCleanly` when `body` stopped
    /// it).  `checkIndex`: as `scanChunks`.
    @discardableResult
    public func forEachCheckedRecord(from start: IndexEntry? = nil, seq: UInt64 = 0, checkIndex: Bool = true,
                                     _ body: (RawRecord, RecordType, ChunkInfo) throws -> Bool) throws -> StopReason {
        try forEachCheckedChunk(from: start, seq: seq, checkIndex: checkIndex) { chunk in
            for i in 0..<chunk.count {
                if try !body(chunk.record(i), chunk.types[i], chunk.info) { return false }
            }
            return true
        }
    }

    /// The same a chunk at a time: `body` gets the chunk's records, all
    /// checked, where they start and their types (valid during the call).
    @discardableResult
    public func forEachCheckedChunk(from start: IndexEntry? = nil, seq: UInt64 = 0, checkIndex: Bool = true,
                                    _ body: (CheckedChunk) throws -> Bool) throws -> StopReason {
        var stop = false
        // Where each record of the chunk starts and its type, found by the
        // walk that checks them, for the delivery.
        var capacity = 0
        var offsets = UnsafeMutablePointer<Int>.allocate(capacity: 1)
        var types = UnsafeMutablePointer<RecordType>.allocate(capacity: 1)
        defer { offsets.deallocate(); types.deallocate() }
        let why = try scanChunks(from: start?.offset, seq: seq, checkIndex: checkIndex) { info in
            // A record takes at least a header: room for all of the chunk's.
            let most = info.rawLength / TTABI.recordHeaderSize + 1
            if most > capacity {
                offsets.deallocate(); types.deallocate()
                capacity = max(most, 2 * capacity)
                offsets = .allocate(capacity: capacity)
                types = .allocate(capacity: capacity)
            }
            let n = try checkRecords(info, offsets: offsets, types: types)
            let buffer = info.compressed ? raw : stored
            let more = try buffer.withUnsafeBytes { (all: UnsafeRawBufferPointer) throws -> Bool in
                try body(CheckedChunk(info: info, bytes: UnsafeRawBufferPointer(rebasing: all[0..<info.rawLength]),
                                      count: n, offsets: offsets, types: types))
            }
            if !more { stop = true }
            return more
        }
        return stop ? .closedCleanly : why
    }

    /// Chunk headers and raw records in one pass; stops only at the end.
    @discardableResult
    public func forEachRecordWithChunks(onChunk: (ChunkInfo) throws -> Bool,
                                        onRecord: (RawRecord) throws -> Void) throws -> StopReason {
        try scanChunks { info in
            guard try onChunk(info) else { return false }
            _ = try walkRecords(info) { rec in try onRecord(rec); return true }
            return true
        }
    }

    /// Visits the records of one chunk.
    public func records(ofChunkAt entry: IndexEntry, seq: UInt64, _ body: (RawRecord) throws -> Bool) throws -> Bool {
        switch try readChunk(at: entry.offset, seq: seq, verifyChecksum: true) {
        case .chunk(let info):
            guard info.firstLandmark == entry.firstLandmark, info.lastLandmark == entry.lastLandmark,
                  info.recordCount == entry.recordCount else {
                throw LogError.badIndex(path: path, detail: "entry \(seq) says chunk at offset \(entry.offset) holds landmarks "
                    + "\(entry.firstLandmark)-\(entry.lastLandmark) in \(entry.recordCount) records; the chunk holds "
                    + "\(info.firstLandmark)-\(info.lastLandmark) in \(info.recordCount)")
            }
            return try walkRecords(info, body)
        default:
            throw LogError.badIndex(path: path, detail: "entry \(seq) points at offset \(entry.offset), where there is no whole chunk")
        }
    }

    /// One step of a pull-style reader.
    public enum ChunkStep {
        case chunk(ChunkInfo, [Record], next: UInt64)
        case end(StopReason)
    }

    /// Reads and decodes the chunk at `offset` (chunk number `seq`).
    /// `seen`: the chunks read before, from the first, to check the index
    /// against when the trailer comes (nil: not checked).
    public func decodeChunk(at offset: UInt64, seq: UInt64, seen: [IndexEntry]? = nil) throws -> ChunkStep {
        switch try readChunk(at: offset, seq: seq, verifyChecksum: true) {
        case .end(let why): return .end(why)
        case .trailer: return .end(try checkTrailer(at: offset, chunks: seq, seen: seen))
        case .chunk(let info):
            var out: [Record] = []
            out.reserveCapacity(min(Int(info.recordCount), info.rawLength / TTABI.recordHeaderSize))
            _ = try walkRecords(info) { raw in
                out.append(try decode(raw, info))
                return true
            }
            return .chunk(info, out, next: offset + UInt64(info.fileBytes))
        }
    }

    /// A chunk's records as bytes and decoded: the bytes exactly as in the
    /// file (after decompression), and where each record starts in them.
    public struct ChunkBytes: Sendable {
        public var info: ChunkInfo
        public var bytes: [UInt8]
        public var records: [(offset: Int, size: Int, record: Record)]
        public var next: UInt64
    }

    /// Reads the chunk at `offset` (chunk number `seq`), decodes every record
    /// (so that each is checked), and keeps its bytes: nil at the end of the
    /// records, with `stop` saying why.
    public func chunkBytes(at offset: UInt64, seq: UInt64, seen: [IndexEntry]? = nil,
                           stop: inout StopReason?) throws -> ChunkBytes? {
        switch try readChunk(at: offset, seq: seq, verifyChecksum: true) {
        case .end(let why):
            stop = why
            return nil
        case .trailer:
            stop = try checkTrailer(at: offset, chunks: seq, seen: seen)
            return nil
        case .chunk(let info):
            var out = ChunkBytes(info: info, bytes: [], records: [], next: offset + UInt64(info.fileBytes))
            out.records.reserveCapacity(Int(info.recordCount))
            _ = try walkRecords(info) { raw in
                out.records.append((raw.offsetInChunk, raw.size, try decode(raw, info)))
                return true
            }
            out.bytes = Array((info.compressed ? raw : stored)[0..<info.rawLength])
            return out
        }
    }

    /// Checks a raw record (`RawRecord.check()`), naming the chunk and offset
    /// when it is bad, as `decode` does.
    public func check(_ raw: RawRecord, _ info: ChunkInfo) throws -> RecordType {
        do {
            return try raw.check()
        } catch {
            throw LogError.corruptChunk(path: path, chunk: info.seq, offset: info.offset,
                                        detail: "record at byte \(raw.offsetInChunk) of the chunk: \(error.description)")
        }
    }

    /// Decodes a raw record, naming the chunk and offset when it is bad.
    public func decode(_ raw: RawRecord, _ info: ChunkInfo) throws -> Record {
        do {
            return try Record(raw)
        } catch {
            throw LogError.corruptChunk(path: path, chunk: info.seq, offset: info.offset,
                                        detail: "record at byte \(raw.offsetInChunk) of the chunk: \(error.description)")
        }
    }

    // MARK: Trailer and index

    /// The trailer of a cleanly closed log: index entries and totals.
    public struct Trailer: Sendable {
        public var indexOffset: UInt64
        public var entries: [IndexEntry]
        public var totalRecords: UInt64
        public var lastLandmark: UInt64
    }

    private func readTrailer() throws -> Trailer? {
        guard fileSize >= dataStart + UInt64(LogFormat.footerSize + 16) else { return nil }
        var f = [UInt8](repeating: 0, count: LogFormat.footerSize)
        let footerAt = fileSize - UInt64(LogFormat.footerSize)
        _ = try f.withUnsafeMutableBytes { (b) throws in try file.read(into: b, at: footerAt) }
        guard Array(f[0..<8]) == LogFormat.footerMagic else { return nil }
        let (indexOffset, total, chunks, last, crc): (UInt64, UInt64, UInt64, UInt64, UInt32) = f.withUnsafeBytes {
            ($0.le(8), $0.le(16), $0.le(24), $0.le(32), $0.le(40))
        }
        guard indexOffset >= dataStart, indexOffset < footerAt, chunks <= fileSize / UInt64(LogFormat.indexEntrySize),
              (footerAt - indexOffset) == 16 + chunks * UInt64(LogFormat.indexEntrySize) else {
            throw LogError.badIndex(path: path, detail: "footer says \(chunks) index entries at offset \(indexOffset), which does not fit the file")
        }
        var block = [UInt8](repeating: 0, count: Int(fileSize - indexOffset))
        _ = try block.withUnsafeMutableBytes { (b) throws in try file.read(into: b, at: indexOffset) }
        let footerInBlock = block.count - LogFormat.footerSize
        block.withUnsafeMutableBytes { $0.storeBytes(of: 0, toByteOffset: footerInBlock + 40, as: UInt32.self) }
        let got = block.withUnsafeBytes { tt_crc32c(0, $0.baseAddress, $0.count) }
        guard got == crc else {
            throw LogError.badIndex(path: path, detail: "trailer CRC32C \(hex(UInt64(got), width: 8)) does not match the stored \(hex(UInt64(crc), width: 8))")
        }
        let (magic, count): (UInt32, UInt64) = block.withUnsafeBytes { ($0.le(0), $0.le(8)) }
        guard magic == LogFormat.indexMagic, count == chunks else {
            throw LogError.badIndex(path: path, detail: "index block at offset \(indexOffset) is damaged")
        }
        let entries = block.withUnsafeBytes { p in
            (0..<Int(count)).map { i -> IndexEntry in
                let o = 16 + i * LogFormat.indexEntrySize
                return IndexEntry(offset: p.le(o), firstLandmark: p.le(o + 8), lastLandmark: p.le(o + 16),
                                  recordCount: p.le(o + 24))
            }
        }
        return Trailer(indexOffset: indexOffset, entries: entries, totalRecords: total, lastLandmark: last)
    }

    /// Checks the trailer met at `offset` during a scan against the chunks seen.
    private func checkTrailer(at offset: UInt64, chunks: UInt64, seen: [IndexEntry]?) throws -> StopReason {
        let t: Trailer
        do {
            guard let tr = try readTrailer() else { return .cutInsideTrailer(offset: offset) }
            t = tr
        }
        guard t.indexOffset == offset else {
            throw LogError.badIndex(path: path, detail: "footer puts the index at offset \(t.indexOffset), the chunks end at \(offset)")
        }
        if let seen {
            guard t.entries.count == seen.count else {
                throw LogError.badIndex(path: path, detail: "index lists \(t.entries.count) chunks, the log holds \(seen.count)")
            }
            for (i, (a, b)) in zip(t.entries, seen).enumerated() where a != b {
                throw LogError.badIndex(path: path, detail: "entry \(i) says offset \(a.offset) landmarks \(a.firstLandmark)-\(a.lastLandmark) "
                    + "(\(a.recordCount) records); the chunk is at \(b.offset) with \(b.firstLandmark)-\(b.lastLandmark) (\(b.recordCount) records)")
            }
            let total = seen.reduce(UInt64(0)) { $0 + UInt64($1.recordCount) }
            guard total == t.totalRecords else {
                throw LogError.badIndex(path: path, detail: "footer counts \(t.totalRecords) records, the chunks hold \(total)")
            }
        }
        return .closedCleanly
    }

    /// The index: the stored one of a cleanly closed log, or one built by
    /// reading the chunk headers of a log without a trailer.  `stored` tells which.
    public func index() throws -> (entries: [IndexEntry], stored: Bool, stop: StopReason) {
        if let t = try readTrailer() {
            return (t.entries, true, .closedCleanly)
        }
        var entries: [IndexEntry] = []
        let why = try scanChunks(verifyChecksums: false, headersOnly: true) { info in
            entries.append(IndexEntry(offset: info.offset, firstLandmark: info.firstLandmark,
                                      lastLandmark: info.lastLandmark, recordCount: info.recordCount))
            return true
        }
        return (entries, false, why)
    }
}
