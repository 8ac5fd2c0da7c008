// Pull-style reading, for walking two logs side by side.

/// Yields records one at a time, decoding one chunk at a time.
public final class RecordCursor {
    public let reader: LogReader
    private var offset: UInt64
    private var seq: UInt64
    private var buffer: [Record] = []
    private var position = 0
    /// Chunks read, when the cursor started at the first: checked against the index at the end.
    private var seen: [IndexEntry]?
    /// Set once the end of the records is reached.
    public private(set) var stop: StopReason?
    /// Records returned so far, counted from where the cursor started.
    public private(set) var count: UInt64 = 0

    public init(_ reader: LogReader, from entry: IndexEntry? = nil, seq: UInt64 = 0) {
        self.reader = reader
        self.offset = entry?.offset ?? reader.dataStart
        self.seq = seq
        self.seen = entry == nil ? [] : nil
    }

    public func next() throws -> Record? {
        while position == buffer.count {
            if stop != nil { return nil }
            switch try reader.decodeChunk(at: offset, seq: seq, seen: seen) {
            case .end(let why):
                stop = why
                return nil
            case .chunk(let info, let records, let next):
                seen?.append(IndexEntry(offset: info.offset, firstLandmark: info.firstLandmark,
                                        lastLandmark: info.lastLandmark, recordCount: info.recordCount))
                buffer = records
                position = 0
                offset = next
                seq += 1
            }
        }
        defer { position += 1; count += 1 }
        return buffer[position]
    }
}
