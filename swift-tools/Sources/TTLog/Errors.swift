// Errors of the log library.  Each says what is wrong and where, in one line.

/// Why a log cannot be read (or could be read only in part).
public enum LogError: Error, Equatable, CustomStringConvertible {
    /// A system call failed.
    case system(call: String, path: String, errno: Int32, message: String)
    /// The file does not start with a log header.
    case notALog(path: String, detail: String)
    /// The log was written by a newer format version than this reader knows.
    case newerFormat(path: String, version: UInt16, compat: UInt16, supported: UInt16)
    /// The header is damaged.
    case badHeader(path: String, detail: String)
    /// A chunk is damaged: checksum, structure, or a record inside it.
    case corruptChunk(path: String, chunk: UInt64, offset: UInt64, detail: String)
    /// The stored index does not match the chunks it points to.
    case badIndex(path: String, detail: String)
    /// A landmark beyond the last record of the log was asked for.
    case landmarkBeyondEnd(path: String, landmark: UInt64, last: UInt64?)
    /// A point LM+COUNT past the last record of the log, which ends at landmark LM.
    case pointBeyondEnd(path: String, point: String, lastCount: UInt64?)
    /// Compression or decompression failed.
    case zstd(path: String, detail: String)
    /// A record could not be written (writer side).
    case invalidRecord(detail: String)
    /// A log may not be written there: it exists, or another process writes it.
    case logInUse(path: String, detail: String)

    public var description: String {
        switch self {
        case let .system(call, path, errno, message):
            return "\(path): \(call) failed: \(message) (errno \(errno))"
        case let .notALog(path, detail):
            return "\(path): not a time-traveling Xen log (\(detail))"
        case let .newerFormat(path, version, compat, supported):
            return "\(path): log format version \(version) needs a reader of version \(compat) or newer; "
                + "this reader knows version \(supported): update ttd-read-log"
        case let .badHeader(path, detail):
            return "\(path): damaged log header: \(detail)"
        case let .corruptChunk(path, chunk, offset, detail):
            return "\(path): chunk \(chunk) at offset \(offset) is corrupt: \(detail)"
        case let .badIndex(path, detail):
            return "\(path): the log's index disagrees with its records: \(detail)"
        case let .landmarkBeyondEnd(path, landmark, last):
            if let last {
                return "\(path): landmark \(landmark) is beyond the end of the log (last landmark \(last))"
            }
            return "\(path): landmark \(landmark) is beyond the end of the log (it holds no records)"
        case let .pointBeyondEnd(path, point, lastCount):
            return "\(path): \(point) is beyond the end of the log (it ends at that landmark, "
                + (lastCount.map { "the last count there \($0))" } ?? "with no record after the landmark's own)")
        case let .zstd(path, detail):
            return "\(path): zstd: \(detail)"
        case let .invalidRecord(detail):
            return "invalid record: \(detail)"
        case let .logInUse(path, detail):
            return "\(path): \(detail)"
        }
    }
}

/// Where and why sequential reading stopped before a clean trailer.
public enum StopReason: Equatable, Sendable, CustomStringConvertible {
    /// The trailer was read and matches: the log was closed cleanly.
    case closedCleanly
    /// The file ends right after a whole chunk: recording was cut short
    /// (crash, or still running).
    case endedWithoutTrailer(offset: UInt64, chunks: UInt64)
    /// The file ends inside a chunk; the chunks before it are whole.
    case cutInsideChunk(chunk: UInt64, offset: UInt64, needed: UInt64, present: UInt64)
    /// The file ends inside the trailer; every chunk is whole.
    case cutInsideTrailer(offset: UInt64)

    public var isClean: Bool { self == .closedCleanly }

    public var description: String {
        switch self {
        case .closedCleanly:
            return "closed cleanly"
        case let .endedWithoutTrailer(offset, chunks):
            return "log ends at offset \(offset) after \(chunks) whole chunks, without a trailer "
                + "(not closed cleanly: recording crashed or is still running)"
        case let .cutInsideChunk(chunk, offset, needed, present):
            return "log cut short inside chunk \(chunk) at offset \(offset) (\(present) of \(needed) bytes present); "
                + "read up to the end of chunk \(chunk == 0 ? "none" : String(chunk - 1))"
        case let .cutInsideTrailer(offset):
            return "log cut short inside its trailer at offset \(offset); every chunk is whole"
        }
    }
}
