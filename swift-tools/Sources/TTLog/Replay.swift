// The dom0 side of replay that needs no Xen: which logs can be replayed,
// feeding a recording's records into the replay ring (RingProducer), the
// name of the replay log, and what the END of a replay means.

#if canImport(Glibc)
import Glibc
#endif

// MARK: - Which logs replay

/// Why a log cannot be replayed, or nil when it can: one line.
public func replayRefusal(of header: LogHeader, path: String) -> String? {
    if header.synthetic {
        return "\(path): a SYNTHETIC log made up by ttd-log-gen, not a recording: it cannot be replayed"
    }
    if header.mode != .record {
        return "\(path): a \(header.mode.name) log, not a recording: replay the recording it came from"
    }
    if header.interfaceVersion > TTABI.interfaceVersion {
        return "\(path): recorded with time-travel interface version \(header.interfaceVersion), newer than this "
            + "tool understands (\(TTABI.interfaceVersion)): use the tools built with the hypervisor that recorded it"
    }
    if header.interfaceVersion < TTABI.interfaceVersion {
        return "\(path): recorded with time-travel interface version \(header.interfaceVersion); this hypervisor and "
            + "tool replay version \(TTABI.interfaceVersion) logs only: replay it on the TT Xen that recorded it"
    }
    return nil
}

/// A log that cannot be replayed as it is.
public struct ReplayError: Error, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}

// MARK: - Feeding the replay ring

/// What one `ReplayFeeder.feed` call did.
public struct FeedResult: Equatable, Sendable {
    /// Records and bytes written into the ring.
    public var records = 0
    public var bytes = 0
    /// eof was set by this call: the log has no more records.
    public var finished = false
    /// Xen waits for records: the caller kicks the doorbell.
    public var needsKick = false
    public init() {}
}

/// Feeds the records of a recording, byte for byte as they are in the log,
/// to a replay ring: every record after DOMAIN_START, in order (Xen skips
/// the control records), chunk by chunk (one chunk in memory).  When the log
/// has no more records (its END was fed, or it was cut short: it replays up
/// to its last whole chunk, or a chunk is corrupt: up to the chunk before),
/// it sets the ring's eof.
public final class ReplayFeeder {
    public let reader: LogReader
    /// The recording's DOMAIN_START.
    public let domainStart: DomainStart
    /// The recording's END record, once fed (nil: not yet, or the log has none).
    public private(set) var originalEnd: Record?
    /// Why the log's records ended (set once they have).
    public private(set) var stop: StopReason?
    /// The chunk that could not be read, when feeding stopped at one.
    public private(set) var readError: LogError?
    /// Records and bytes fed so far, and the landmark of the last one.
    public private(set) var recordsFed: UInt64 = 0
    public private(set) var bytesFed: UInt64 = 0
    public private(set) var lastLandmarkFed: UInt64 = 0
    /// eof is set: nothing more to feed.
    public private(set) var finished = false

    private var chunk: LogReader.ChunkBytes?
    private var next = 0
    private var offset: UInt64
    private var seq: UInt64 = 0
    private var seen: [IndexEntry] = []

    /// Opens the records: the first must be DOMAIN_START.
    public init(_ reader: LogReader) throws {
        self.reader = reader
        offset = reader.dataStart
        var stop: StopReason? = nil
        guard let first = try reader.chunkBytes(at: offset, seq: 0, seen: [], stop: &stop),
              let r = first.records.first else {
            throw ReplayError("\(reader.path): the log holds no whole chunk of records: nothing to replay")
        }
        guard case .domainStart(let s) = r.record.payload else {
            throw ReplayError("\(reader.path): its first record is \(r.record.type.name), not DOMAIN_START: not a recording")
        }
        guard s.mode == .record else {
            throw ReplayError("\(reader.path): its DOMAIN_START says mode \(s.mode.name): not a recording")
        }
        domainStart = s
        take(first)
        next = 1
    }

    private func take(_ c: LogReader.ChunkBytes) {
        seen.append(IndexEntry(offset: c.info.offset, firstLandmark: c.info.firstLandmark,
                               lastLandmark: c.info.lastLandmark, recordCount: c.info.recordCount))
        offset = c.next
        seq += 1
        chunk = c
        next = 0
    }

    /// The next record to feed, reading the next chunk when needed; nil at
    /// the end of the records (`stop` or `readError` then says why).
    private func peek() -> (bytes: ArraySlice<UInt8>, record: Record)? {
        while true {
            if let c = chunk, next < c.records.count {
                let r = c.records[next]
                return (c.bytes[r.offset..<r.offset + r.size], r.record)
            }
            if stop != nil || readError != nil { return nil }
            chunk = nil
            do {
                var s: StopReason? = nil
                if let c = try reader.chunkBytes(at: offset, seq: seq, seen: seen, stop: &s) {
                    take(c)
                } else {
                    stop = s
                }
            } catch let e as LogError {
                readError = e
            } catch {
                readError = .corruptChunk(path: reader.path, chunk: seq, offset: offset, detail: "\(error)")
            }
        }
    }

    /// Writes as many records as the ring takes (at most about `maxBytes`),
    /// publishes them, and sets eof once the log has no more.
    @discardableResult
    public func feed(_ ring: RingProducer, maxBytes: Int = 4 << 20) throws -> FeedResult {
        var out = FeedResult()
        guard !finished else { return out }
        while out.bytes < maxBytes, let (bytes, record) = peek() {
            let ok = try bytes.withUnsafeBytes { try ring.write(record: $0) }
            if !ok { break }
            next += 1
            out.records += 1
            out.bytes += bytes.count
            recordsFed += 1
            bytesFed += UInt64(bytes.count)
            lastLandmarkFed = record.position.landmark
            if record.type == .end { originalEnd = record }
        }
        if out.records > 0 { out.needsKick = ring.publish() }
        if peek() == nil {
            finished = true
            out.finished = true
            out.needsKick = ring.finish()
        }
        return out
    }

    /// Once the replay is over: the recording's END, reading the rest of the
    /// log without feeding it when it was not fed yet (nil: the log has none).
    /// No feeding after this.
    public func recordingEnd() -> Record? {
        finished = true
        while originalEnd == nil, let (_, record) = peek() {
            next += 1
            if record.type == .end { originalEnd = record }
        }
        return originalEnd
    }
}

// MARK: - The replay log's name

/// Names of replay logs: `LOG.<guest>.replay.N` beside the recording `LOG`.
public enum ReplayLogName {
    /// The recording's name without `.incomplete`: what replay logs are named after.
    public static func base(of log: String) -> String {
        log.hasSuffix(".incomplete") ? String(log.dropLast(".incomplete".count)) : log
    }

    public static func path(log: String, guest: String, number: Int) -> String {
        "\(base(of: log)).\(guest).replay.\(number)"
    }

    /// The first `LOG.<guest>.replay.N` for which neither it nor its
    /// `.incomplete` exists: a replay never overwrites anything.
    public static func firstFree(log: String, guest: String,
                                 exists: (String) -> Bool = { access($0, F_OK) == 0 }) -> String {
        var n = 0
        while true {
            let p = path(log: log, guest: guest, number: n)
            if !exists(p) && !exists(p + ".incomplete") { return p }
            n += 1
        }
    }

    /// The number N of a file name `LOG.<guest>.replay.N` (or its
    /// `.incomplete`), nil for other names.  `name` and `log` are file
    /// names without their directory.
    public static func number(of name: String, log: String, guest: String) -> Int? {
        let prefix = "\(base(of: log)).\(guest).replay."
        guard name.hasPrefix(prefix) else { return nil }
        var rest = name.dropFirst(prefix.count)
        if rest.hasSuffix(".incomplete") { rest = rest.dropLast(".incomplete".count) }
        guard !rest.isEmpty, rest.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(rest)
    }

    /// The replay log with the highest N among `names` (the entries of the
    /// recording's directory), as a path: `LOG.<guest>.replay.N` (the
    /// `.incomplete` suffix left to the reader's fallback).
    public static func newest(log: String, guest: String, names: [String]) -> String? {
        let b = base(of: log)
        let file = b.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? b
        let best = names.compactMap { number(of: $0, log: file, guest: guest) }.max()
        return best.map { path(log: b, guest: guest, number: $0) }
    }

    /// The newest replay log beside `log` on disk.
    public static func newest(log: String, guest: String) -> String? {
        let b = base(of: log)
        let dir: String
        if let slash = b.lastIndex(of: "/") {
            dir = slash == b.startIndex ? "/" : String(b[..<slash])
        } else {
            dir = "."
        }
        return newest(log: log, guest: guest, names: directoryEntries(dir))
    }
}

/// The names in a directory (no `.`, `..`); empty when it cannot be read.
public func directoryEntries(_ dir: String) -> [String] {
    guard let d = opendir(dir) else { return [] }
    defer { closedir(d) }
    var out: [String] = []
    while let e = readdir(d) {
        let name = withUnsafeBytes(of: e.pointee.d_name) { b in
            String(decoding: b.prefix { $0 != 0 }, as: UTF8.self)
        }
        if name != "." && name != ".." { out.append(name) }
    }
    return out
}

// MARK: - What a replay's END means

/// How a replay ended, from the records of its own log.
public enum ReplayOutcome: Equatable, Sendable {
    /// The guest ended as it did when recorded (same END reason, code, landmarks).
    case same(End)
    /// It ended (shut down or crashed), but not as the recording did.
    case endDiffers(replay: End, original: End?)
    /// Xen found the guest doing something else than the log says.
    case diverged(Divergence?, end: End, at: Position)
    /// The log ran out (cut short, or recording was detached) before the guest ended.
    case logDone(End, at: Position)
    /// Replay was detached (TTOP_detach) before its end.
    case detached(End)

    /// From the replay log's END (`at` its position), the DIVERGENCE record
    /// before it if any, and the recording's END if it has one.
    public init(end: End, at position: Position, divergence: Divergence?, original: End?) {
        switch end.reason {
        case .diverged:
            self = .diverged(divergence, end: end, at: position)
        case .logDone:
            self = .logDone(end, at: position)
        case .detach:
            self = .detached(end)
        case .shutdown, .crash:
            if let o = original, o.reason == end.reason, o.code == end.code, o.landmarks == end.landmarks {
                self = .same(end)
            } else {
                self = .endDiffers(replay: end, original: original)
            }
        }
    }

    /// ttd-deviced's exit code: 0 same END, 2 diverged, 3 log ran out,
    /// 4 another END than the recording's, 5 detached.
    public var exitCode: Int32 {
        switch self {
        case .same: return 0
        case .diverged: return 2
        case .logDone: return 3
        case .endDiffers: return 4
        case .detached: return 5
        }
    }

    /// The result, one line (without the tool's name).  `domain` names the
    /// domain Xen keeps paused after a divergence or the end of the log.
    public func message(domain: String) -> String {
        func end(_ e: End) -> String {
            e.reason == .shutdown || e.reason == .crash
                ? "\(e.reason.name) (code \(e.code)) after \(e.landmarks) landmarks"
                : "\(e.reason.name) after \(e.landmarks) landmarks"
        }
        let kept = "domain \(domain) is kept paused for inspection: xl destroy \(domain)"
        switch self {
        case .same(let e):
            return "replay done: \(e.landmarks) landmarks, same END as the recording (\(e.reason.name), code \(e.code))"
        case .endDiffers(let r, let o):
            return "replay ended with \(end(r)); the recording "
                + (o.map { "ended with \(end($0))" } ?? "has no END (it was cut short)")
        case .diverged(let d, let e, let at):
            guard let d else {
                return "replay diverged at landmark \(at.landmark) (rip \(hex(at.rip))) after \(e.landmarks) landmarks "
                    + "(Xen wrote no DIVERGENCE record); \(kept)"
            }
            let name = { (t: UInt16) in RecordType(rawValue: t)?.name ?? "type \(hex(UInt64(t), width: 4))" }
            let at = { (p: Position) in
                "(lm \(p.landmark)" + (p.branches.map { ", n \($0)" } ?? "") + ", ip \(hex(p.rip)))"
            }
            return "replay diverged at landmark \(d.actual.landmark) (rip \(hex(d.actual.rip))): "
                + "expected \(name(d.expectedType)) at \(at(d.expected)), "
                + "got \(name(d.actualType)) at \(at(d.actual)): "
                + "\(d.reason.name) (\(d.reason.explanation)); \(kept)"
        case .logDone(let e, _):
            return "the log ran out at landmark \(e.landmarks): it replays up to its last whole chunk; \(kept)"
        case .detached(let e):
            return "replay detached at landmark \(e.landmarks), before the end of the log"
        }
    }
}
