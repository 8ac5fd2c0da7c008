// Making bad logs from good ones, for tests and the lab (`ttd-log-gen alter`
// and `ttd-log-gen cut`): one record's value changed in an otherwise
// identical, valid log; a copy cut short inside a chunk.

#if canImport(Glibc)
import Glibc
#endif

/// Which record `alterLog` changes.
public enum AlterTarget: Sendable, Equatable {
    /// Record number N, 0-based over all records of the log.
    case record(UInt64)
    /// The first record of a type whose landmark is at or after L.
    case first(RecordType, atOrAfterLandmark: UInt64)
}

/// Which field of the record `alterLog` changes.
public enum AlterField: String, Sendable, CaseIterable {
    /// The record's first value, by type: RDTSC/RDTSCP tsc, CPUID eax of
    /// the result, HYPERCALL ret, IO value (masked to the access size),
    /// MSR_READ/MSR_WRITE value.  Other types are refused.
    case value
    /// The RIP of the record's position (any landmark record): replay
    /// checks it at every landmark.
    case rip
    /// The counter's count of the record's position (a landmark of a log
    /// recorded with a counter): replay checks it at every landmark.
    case count
}

/// What `alterLog` changed.
public struct AlterChange: Sendable, Equatable {
    /// The record's number, 0-based over all records.
    public var index: UInt64
    public var type: RecordType
    public var position: Position
    /// The field's name as printed ("tsc", "eax", "ret", "value", "rip").
    public var field: String
    public var old: UInt64
    public var new: UInt64
    /// The record is flagged TT_RECF_OUTSIDE: replay takes its result from
    /// the log instead of comparing it.
    public var outside: Bool
    /// The field is a result that replay takes from the log (outside) rather
    /// than compares: the replay will not diverge at this record.
    public var notCompared: Bool

    public var description: String {
        "record \(index): \(type.name) at landmark \(position.landmark): \(field) \(hex(old)) -> \(hex(new))"
    }
}

/// Why a record cannot be altered.
public struct AlterError: Error, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}

/// The types `AlterField.value` knows, and the field it changes.
public func alterValueField(of type: RecordType) -> String? {
    switch type {
    case .rdtsc, .rdtscp: return "tsc"
    case .cpuid: return "eax"
    case .hypercall: return "ret"
    case .io, .msrRead, .msrWrite: return "value"
    default: return nil
    }
}

/// `record` with `field` changed by adding `add` (wrapping): the new record
/// and the change, or an error for a type or field that cannot be altered.
public func alterRecord(_ record: Record, index: UInt64, field: AlterField,
                        add: UInt64) throws(AlterError) -> (Record, AlterChange) {
    var r = record
    let type = record.type
    var change = AlterChange(index: index, type: type, position: record.position, field: "", old: 0, new: 0,
                             outside: record.outside, notCompared: false)
    switch field {
    case .rip:
        guard type.recordClass == .landmark else {
            throw AlterError("record \(index) is \(type.name), not a landmark: --field rip changes landmark records only")
        }
        change.field = "rip"
        change.old = record.position.rip
        r.position.rip = record.position.rip &+ add
        change.new = r.position.rip
    case .count:
        guard type.recordClass == .landmark, let n = record.position.branches else {
            throw AlterError("record \(index) is \(type.name)\(record.position.branches == nil ? " without a count" : ""): "
                             + "--field count changes landmark records of a log recorded with a counter only")
        }
        change.field = "count"
        change.old = n
        r.position.branches = n &+ add
        change.new = n &+ add
    case .value:
        guard let name = alterValueField(of: type) else {
            throw AlterError("record \(index) is \(type.name): alter knows RDTSC, RDTSCP (tsc), CPUID (eax), "
                             + "HYPERCALL (ret), IO and MSR_READ/MSR_WRITE (value); --field rip changes any landmark")
        }
        change.field = name
        switch record.payload {
        case .rdtsc(let tsc):
            r.payload = .rdtsc(tsc: tsc &+ add)
            (change.old, change.new) = (tsc, tsc &+ add)
        case .rdtscp(let tsc, let aux):
            r.payload = .rdtscp(tsc: tsc &+ add, aux: aux)
            (change.old, change.new) = (tsc, tsc &+ add)
        case .cpuid(var c):
            change.old = UInt64(c.eax)
            c.eax = c.eax &+ UInt32(truncatingIfNeeded: add)
            change.new = UInt64(c.eax)
            r.payload = .cpuid(c)
        case .hypercall(var h):
            change.old = UInt64(bitPattern: h.ret)
            h.ret = h.ret &+ Int64(bitPattern: add)
            change.new = UInt64(bitPattern: h.ret)
            r.payload = .hypercall(h)
        case .io(var io):
            let mask: UInt64 = io.size >= 8 ? ~0 : (UInt64(1) << (UInt64(io.size) * 8)) - 1
            change.old = io.value
            io.value = (io.value &+ add) & mask
            change.new = io.value
            r.payload = .io(io)
        case .msrRead(let index, let value):
            r.payload = .msrRead(index: index, value: value &+ add)
            (change.old, change.new) = (value, value &+ add)
        case .msrWrite(let index, let value):
            r.payload = .msrWrite(index: index, value: value &+ add)
            (change.old, change.new) = (value, value &+ add)
        default:
            throw AlterError("record \(index) is \(type.name): no value to change")
        }
        // Results replay takes from the log: an outside record's result
        // (RDTSC/RDTSCP always are).  Inputs (an MSR or port write) are compared.
        switch record.payload {
        case .rdtsc, .rdtscp: change.notCompared = true
        case .io(let io): change.notCompared = record.outside && io.direction == 1
        case .msrWrite: change.notCompared = false
        default: change.notCompared = record.outside
        }
    }
    guard change.old != change.new else {
        throw AlterError("record \(index): adding \(add) leaves \(type.name)'s \(change.field) at \(hex(change.old)); choose another --add")
    }
    return (r, change)
}

/// Copies the log `input` to `output` (LogWriter: same header, one chunk
/// for each chunk of the input, compressed when the input's are, valid
/// CRCs, a trailer), every record byte for byte except the one `target`
/// names, whose `field` gets `add` added.  The input is read up to its last
/// whole chunk.  Nothing is left at `output` when it fails.
public func alterLog(input: String, output: String, target: AlterTarget, field: AlterField,
                     add: UInt64) throws -> (change: AlterChange, stop: StopReason, records: UInt64) {
    guard input != output else { throw AlterError("the output must be another file than the input") }
    let reader = try LogReader(path: input)
    // Chunk sizes and compression of the input, from the chunk headers.
    var maxRaw = 64
    var zstd = false
    try reader.scanChunks(verifyChecksums: false, headersOnly: true) { info in
        maxRaw = max(maxRaw, info.rawLength)
        if info.compressed { zstd = true }
        return true
    }
    let chunkSize = min(maxRaw + 1, LogFormat.maxChunkBytes / 2)
    let writer = try LogWriter(path: output, header: reader.header, options: .init(chunkSize: chunkSize, zstd: zstd))
    var change: AlterChange? = nil
    var n: UInt64 = 0
    var stop: StopReason? = nil
    do {
        var offset = reader.dataStart
        var seq: UInt64 = 0
        var seen: [IndexEntry] = []
        while let c = try reader.chunkBytes(at: offset, seq: seq, seen: seen, stop: &stop) {
            seen.append(IndexEntry(offset: c.info.offset, firstLandmark: c.info.firstLandmark,
                                   lastLandmark: c.info.lastLandmark, recordCount: c.info.recordCount))
            var bytes = c.bytes
            for (o, size, rec) in c.records {
                defer { n += 1 }
                guard change == nil else { continue }
                let hit: Bool
                switch target {
                case .record(let i): hit = n == i
                case .first(let t, let l): hit = rec.type == t && rec.position.landmark >= l
                }
                guard hit else { continue }
                let (altered, ch) = try alterRecord(rec, index: n, field: field, add: add)
                let enc = altered.encoded()
                precondition(enc.count == size, "an altered record keeps its size")
                bytes.replaceSubrange(o..<o + size, with: enc)
                change = ch
            }
            try bytes.withUnsafeBytes { try writer.appendRaw($0) }
            try writer.flush()
            offset = c.next
            seq += 1
        }
        guard let change else {
            switch target {
            case .record(let i):
                throw AlterError("\(input) holds \(n) records: there is no record \(i)")
            case .first(let t, let l):
                throw AlterError("\(input): no \(t.name) record at or after landmark \(l) (in \(n) records)")
            }
        }
        try writer.close()
        return (change, stop ?? .closedCleanly, n)
    } catch {
        try? writer.abandon()
        FileHandle.unlink(writer.incompletePath)
        throw error
    }
}

/// Where `cutLog` cuts.
public enum CutPoint: Sendable, Equatable {
    /// After the first N bytes of the file.
    case bytes(UInt64)
    /// In the middle of the chunk holding landmark L (the first chunk whose
    /// last landmark is L or more).
    case landmark(UInt64)
}

/// What `cutLog` wrote.
public struct CutResult: Sendable, Equatable {
    /// Bytes written (the cut's offset in the input).
    public var bytes: UInt64
    /// Why a reader of the copy stops: inside chunk N, after N chunks, inside the trailer.
    public var stop: StopReason
    /// Whole chunks and records left in the copy, and its last landmark (nil: none).
    public var wholeChunks: UInt64
    public var records: UInt64
    public var lastLandmark: UInt64?
}

/// Copies the first bytes of `input` to `output`, as a recording that
/// crashed leaves it: no trailer, cut inside a chunk (or where `point`
/// says).  Reading the copy gives the chunks before the cut.
public func cutLog(input: String, output: String, at point: CutPoint) throws -> CutResult {
    guard input != output else { throw AlterError("the output must be another file than the input") }
    let reader = try LogReader(path: input)
    let cut: UInt64
    switch point {
    case .bytes(let b):
        guard b < reader.fileSize else {
            throw AlterError("\(input) has \(reader.fileSize) bytes: --bytes must be fewer")
        }
        guard b >= reader.dataStart else {
            throw AlterError("--bytes \(b) cuts inside the log header (\(reader.dataStart) bytes), which no reader "
                             + "accepts; cut at \(reader.dataStart) or more")
        }
        cut = b
    case .landmark(let l):
        var chunk: ChunkInfo? = nil
        var last: UInt64? = nil
        try reader.scanChunks(verifyChecksums: false, headersOnly: true) { info in
            last = info.lastLandmark
            if info.lastLandmark >= l { chunk = info; return false }
            return true
        }
        guard let chunk else {
            throw AlterError("\(input): no chunk holds landmark \(l) (last landmark \(last.map(String.init) ?? "none"))")
        }
        cut = chunk.offset + UInt64(chunk.fileBytes / 2)
    }
    let src = try FileHandle.openForReading(input)
    let dst = try FileHandle.create(output)
    do {
        var buf = [UInt8](repeating: 0, count: 1 << 20)
        var done: UInt64 = 0
        while done < cut {
            let want = Int(min(UInt64(buf.count), cut - done))
            let got = try buf.withUnsafeMutableBytes { b in
                try src.read(into: UnsafeMutableRawBufferPointer(rebasing: b[0..<want]), at: done)
            }
            guard got == want else { throw AlterError("\(input): shorter than \(cut) bytes while copying") }
            try buf.withUnsafeBytes { try dst.write(UnsafeRawBufferPointer(rebasing: $0[0..<got])) }
            done += UInt64(got)
        }
        try dst.sync()
        try dst.close()
    } catch {
        FileHandle.unlink(output)
        throw error
    }
    // What a reader of the copy sees.
    let copy = try LogReader(path: output)
    var chunks: UInt64 = 0, records: UInt64 = 0
    var lastLandmark: UInt64? = nil
    let stop = try copy.scanChunks(verifyChecksums: false, headersOnly: true) { info in
        chunks += 1
        records += UInt64(info.recordCount)
        lastLandmark = info.lastLandmark
        return true
    }
    return CutResult(bytes: cut, stop: stop, wholeChunks: chunks, records: records, lastLandmark: lastLandmark)
}
