// The streaming log writer (docs/log-format.md).
//
// Writes FILE.incomplete; close() adds the index and the footer, syncs, and
// renames it to FILE.  A writer that dies leaves FILE.incomplete, readable
// up to its last whole chunk.

import CTTSupport
#if canImport(Glibc)
import Glibc
#endif

public final class LogWriter {
    public struct Options: Sendable {
        /// Uncompressed bytes of records per chunk (a record is never split).
        public var chunkSize = 128 << 10
        /// Compress chunks with zstd.
        public var zstd = false
        public var zstdLevel: Int32 = 3
        public init(chunkSize: Int = 128 << 10, zstd: Bool = false, zstdLevel: Int32 = 3) {
            self.chunkSize = chunkSize; self.zstd = zstd; self.zstdLevel = zstdLevel
        }
    }

    /// The name the log gets when closed cleanly.
    public let path: String
    /// The name it has while being written.
    public let incompletePath: String
    public let options: Options

    private let file: FileHandle
    private var offset: UInt64 = 0
    private var chunk = ByteWriter()
    private var chunkRecords: UInt32 = 0
    private var chunkFirst: UInt64 = 0
    private var chunkLast: UInt64 = 0
    private var compressed: [UInt8] = []
    private var index: [(offset: UInt64, first: UInt64, last: UInt64, count: UInt32)] = []
    private var totalRecords: UInt64 = 0
    private var lastLandmark: UInt64 = 0
    private var closed = false

    /// Statistics for the caller.
    public private(set) var rawBytes: UInt64 = 0
    public private(set) var storedBytes: UInt64 = 0

    public convenience init(path: String, header: LogHeader, options: Options = Options()) throws {
        try self.init(path: path, file: try FileHandle.create(path + ".incomplete"), header: header, options: options)
    }

    /// Starts writing the log that `claim` holds (FILE.incomplete, locked).
    public convenience init(claim: LogClaim, header: LogHeader, options: Options = Options()) throws {
        guard let f = claim.file else {
            throw LogError.logInUse(path: claim.incompletePath, detail: "the claim on this log was released")
        }
        if claim.overwrite { try f.truncate() }
        claim.started = true
        try self.init(path: claim.path, file: f, header: header, options: options)
        // --force: the log being replaced goes now that its successor has a
        // header, so that a crash leaves no older FILE beside FILE.incomplete.
        if claim.overwrite { FileHandle.unlink(claim.path) }
    }

    private init(path: String, file: FileHandle, header: LogHeader, options: Options) throws {
        self.path = path
        self.incompletePath = path + ".incomplete"
        self.options = options
        precondition(options.chunkSize > 0 && options.chunkSize <= LogFormat.maxChunkBytes / 2)
        self.file = file
        chunk = ByteWriter(capacity: options.chunkSize + 4096)
        let h = header.encoded()
        try h.withUnsafeBytes { (b) throws in try file.write(b) }
        offset = UInt64(h.count)
    }

    /// Appends one record.
    public func append(_ record: Record) throws {
        let before = chunk.bytes.count
        record.encode(into: &chunk)
        if chunk.bytes.count - before - TTABI.recordHeaderSize > TTABI.maxPayload {
            chunk.bytes.removeSubrange(before...)
            throw LogError.invalidRecord(detail: "\(record.type.name) payload above TT_REC_MAX_PAYLOAD")
        }
        noteRecord(landmark: record.position.landmark)
        if chunk.bytes.count >= options.chunkSize { try flush() }
    }

    /// Appends records exactly as Xen wrote them into the ring (one or more
    /// whole records, PAD records dropped), without re-encoding.
    public func appendRaw(_ bytes: UnsafeRawBufferPointer) throws {
        var o = 0
        while o < bytes.count {
            guard bytes.count - o >= TTABI.recordHeaderSize else {
                throw LogError.invalidRecord(detail: "\(bytes.count - o) bytes left, less than a record header")
            }
            let type: UInt16 = bytes.le(o)
            let len: UInt32 = bytes.le(o + 4)
            guard Int(len) <= TTABI.maxPayload else {
                throw LogError.invalidRecord(detail: "payload of \(len) bytes above TT_REC_MAX_PAYLOAD")
            }
            let size = TTABI.recordSize(payloadLength: Int(len))
            guard bytes.count - o >= size else {
                throw LogError.invalidRecord(detail: "record of \(size) bytes runs past the buffer")
            }
            if type != 0 {
                if chunk.bytes.count > 0, chunk.bytes.count + size > options.chunkSize { try flush() }
                chunk.put(bytes: UnsafeRawBufferPointer(rebasing: bytes[o..<o + size]))
                noteRecord(landmark: bytes.le(o + 8))
                if chunk.bytes.count >= options.chunkSize { try flush() }
            }
            o += size
        }
    }

    private func noteRecord(landmark: UInt64) {
        if chunkRecords == 0 { chunkFirst = landmark }
        chunkLast = landmark
        lastLandmark = landmark
        chunkRecords += 1
        totalRecords += 1
    }

    /// Writes the records buffered so far as one chunk.
    public func flush() throws {
        guard chunkRecords > 0 else { return }
        let raw = chunk.bytes
        var flags: UInt32 = 0
        var stored = raw
        if options.zstd {
            let ok = raw.withUnsafeBytes { Zstd.compress($0, level: options.zstdLevel, into: &compressed) }
            if ok && compressed.count < raw.count {
                flags |= LogFormat.chunkFlagZstd
                stored = compressed
            }
        }
        var h = ByteWriter(capacity: LogFormat.chunkHeaderSize)
        h.put(LogFormat.chunkMagic)
        h.put(flags)
        h.put(UInt32(stored.count))
        h.put(UInt32(raw.count))
        h.put(chunkRecords)
        h.put(stored.withUnsafeBytes { tt_crc32c(0, $0.baseAddress, $0.count) })   // data_crc32c
        h.put(UInt64(index.count))          // seq
        h.put(chunkFirst)
        h.put(chunkLast)
        h.put(h.bytes.withUnsafeBytes { tt_crc32c(0, $0.baseAddress, 48) })        // header_crc32c
        h.put(UInt32(0))                    // reserved
        try h.bytes.withUnsafeBytes { (b) throws in try file.write(b) }
        try stored.withUnsafeBytes { (b) throws in try file.write(b) }
        index.append((offset, chunkFirst, chunkLast, chunkRecords))
        offset += UInt64(LogFormat.chunkHeaderSize + stored.count)
        rawBytes += UInt64(raw.count)
        storedBytes += UInt64(stored.count)
        chunk.bytes.removeAll(keepingCapacity: true)
        chunkRecords = 0
    }

    /// Writes the last chunk, the index and the footer, syncs, renames
    /// FILE.incomplete to FILE.
    public func close() throws {
        guard !closed else { return }
        closed = true
        try flush()
        var w = ByteWriter(capacity: 16 + index.count * LogFormat.indexEntrySize + LogFormat.footerSize)
        let indexOffset = offset
        w.put(LogFormat.indexMagic)
        w.put(UInt32(0))
        w.put(UInt64(index.count))
        for e in index {
            w.put(e.offset); w.put(e.first); w.put(e.last); w.put(e.count); w.put(UInt32(0))
        }
        let footerAt = w.bytes.count
        w.put(bytes: LogFormat.footerMagic)
        w.put(indexOffset)
        w.put(totalRecords)
        w.put(UInt64(index.count))
        w.put(lastLandmark)
        w.put(UInt32(0))                    // crc32c
        w.put(UInt32(0))                    // reserved
        let crc = w.bytes.withUnsafeBytes { tt_crc32c(0, $0.baseAddress, $0.count) }
        w.set(crc, at: footerAt + 40)
        try w.bytes.withUnsafeBytes { (b) throws in try file.write(b) }
        try file.sync()
        try file.close()
        try FileHandle.rename(incompletePath, path)
    }

    /// Stops writing without a trailer, as a crash would (for tests and
    /// `ttd-log-gen --no-close`): FILE.incomplete stays.
    public func abandon() throws {
        guard !closed else { return }
        closed = true
        try flush()
        try file.close()
    }
}

/// A recording's log, claimed before the recording starts: FILE.incomplete
/// created and locked (flock), so that a log that exists, one that another
/// process writes, or a path that cannot be written fails before anything
/// else is done.  `LogWriter(claim:header:)` then writes into it.
public final class LogClaim {
    /// The name the log gets when closed cleanly.
    public let path: String
    /// The file claimed.
    public let incompletePath: String
    fileprivate(set) var file: FileHandle?
    /// An existing FILE is replaced (removed once the writer starts).
    public let overwrite: Bool
    /// A LogWriter has started writing into the file.
    fileprivate(set) var started = false
    /// FILE.incomplete was there before the claim (--force).
    private var existed = false

    /// Claims `path`.  Without `overwrite` a recording never replaces a log:
    /// an existing FILE or FILE.incomplete is refused.  With it, they are
    /// replaced when a LogWriter starts writing (FILE.incomplete truncated,
    /// FILE removed; both stay as they are if the claim is released before),
    /// unless another process holds
    /// FILE.incomplete's lock.
    public init(path: String, overwrite: Bool) throws {
        self.path = path
        self.overwrite = overwrite
        incompletePath = path + ".incomplete"
        if !overwrite && FileHandle.exists(path) {
            throw LogError.logInUse(path: path, detail: "exists already; a recording never overwrites a log "
                                    + "(remove it, or give --force to replace it)")
        }
        existed = overwrite && FileHandle.exists(incompletePath)
        do {
            file = try FileHandle.createLocked(incompletePath, exclusive: !overwrite)
        } catch LogError.system(_, _, let e, let message) where e == EEXIST {
            _ = message
            throw LogError.logInUse(path: incompletePath, detail: "exists already (a recording cut short, or one still "
                                    + "running); a recording never overwrites a log (remove it, or give --force to replace it)")
        } catch LogError.system(_, _, let e, _) where e == EWOULDBLOCK {
            throw LogError.logInUse(path: incompletePath, detail: "another process is writing this log (a ttd-deviced "
                                    + "still recording?); not even --force replaces it")
        } catch LogError.system(_, _, let e, let message) {
            throw LogError.logInUse(path: incompletePath, detail: "cannot create the log: \(message) (errno \(e))")
        }
    }

    /// Gives the claim up when the recording did not start: FILE.incomplete
    /// is removed if this claim created it or a LogWriter began writing it.
    public func release() {
        guard let f = file else { return }
        if !existed || started { FileHandle.unlink(incompletePath) }
        try? f.close()
        file = nil
    }
}
