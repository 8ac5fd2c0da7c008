// stat, verify, diff and the records around a landmark.

// MARK: - stat

public struct TypeStats: Sendable {
    public var count: UInt64 = 0
    public var bytes: UInt64 = 0
}

public struct LogStats: Sendable {
    public var records: UInt64 = 0
    public var chunks: UInt64 = 0
    public var compressedChunks: UInt64 = 0
    /// Bytes of records (uncompressed) and as stored in the file.
    public var recordBytes: UInt64 = 0
    public var storedBytes: UInt64 = 0
    public var fileBytes: UInt64 = 0
    /// Per record type (raw type number).
    public var perType: [UInt16: TypeStats] = [:]
    public var firstLandmark: UInt64?
    public var lastLandmark: UInt64?
    public var interruptsBySignature: UInt64 = 0
    /// Records with `TT_RECF_SIGNATURE` (placed between landmarks by
    /// register signature) and with `TT_RECF_BRANCHES` (a counter's count).
    public var recordsBySignature: UInt64 = 0
    public var recordsWithCount: UInt64 = 0
    /// DOMAIN_START's counter (nil: the log has no DOMAIN_START).
    public var counter: Counter?
    /// Guest time from the first to the last RDTSC value, with the TSC
    /// frequency of DOMAIN_START.
    public var guestSeconds: Double?
    public var stop: StopReason = .closedCleanly

    public var compressionRatio: Double { storedBytes == 0 ? 1 : Double(recordBytes) / Double(storedBytes) }
    public var bytesPerRecord: Double { records == 0 ? 0 : Double(recordBytes) / Double(records) }
    public var recordsPerGuestSecond: Double? {
        guard let s = guestSeconds, s > 0 else { return nil }
        return Double(records) / s
    }
}

extension LogReader {
    /// Counts and sizes per record type in one streaming pass (checksums
    /// checked); with `landmarks`, of the records at those landmarks only
    /// (chunks, stored and file bytes stay the whole log's).
    public func stats(landmarks: ClosedRange<UInt64>? = nil) throws -> LogStats {
        var s = LogStats()
        var counts = [UInt64](repeating: 0, count: 256)
        var bytes = [UInt64](repeating: 0, count: 256)
        var firstTSC: UInt64?, lastTSC: UInt64 = 0, tscKHz: UInt64 = 0
        var first: UInt64?, last: UInt64 = 0
        var sig: UInt64 = 0, bySignature: UInt64 = 0, withCount: UInt64 = 0
        s.stop = try scanChunks { info in
            s.chunks += 1
            if info.compressed { s.compressedChunks += 1 }
            s.recordBytes += UInt64(info.rawLength)
            s.storedBytes += UInt64(info.storedLength)
            return true
        } onRecords: { raw in
            if raw.type == RecordType.domainStart.rawValue {
                // The log's TSC frequency and counter, in a window too.
                if raw.payload.count >= 40 { tscKHz = raw.payload.le(32) }
                if raw.payload.count >= 20 { s.counter = Counter(rawValue: raw.payload.le(16)) }
            }
            if let l = landmarks, !l.contains(raw.position.landmark) { return }
            let t = Int(raw.type & 0xff)
            if raw.type > 0xff { s.perType[raw.type, default: TypeStats()].count += 1; return }
            counts[t] &+= 1
            bytes[t] &+= UInt64(raw.size)
            if raw.flags & RecordFlags.signature.rawValue != 0 { bySignature += 1 }
            if raw.flags & RecordFlags.branches.rawValue != 0 { withCount += 1 }
            if first == nil { first = raw.position.landmark }
            last = raw.position.landmark
            switch raw.type {
            case RecordType.rdtsc.rawValue, RecordType.rdtscp.rawValue:
                if raw.payload.count >= 8 {
                    let v: UInt64 = raw.payload.le(0)
                    if firstTSC == nil { firstTSC = v }
                    lastTSC = v
                }
            case RecordType.interrupt.rawValue:
                if raw.flags & RecordFlags.signature.rawValue != 0 { sig += 1 }
            default: break
            }
        }
        for t in 0..<256 where counts[t] > 0 {
            s.perType[UInt16(t)] = TypeStats(count: counts[t], bytes: bytes[t])
        }
        s.records = s.perType.values.reduce(0) { $0 + $1.count }
        if landmarks != nil { s.recordBytes = bytes.reduce(0, &+) }
        s.firstLandmark = first
        s.lastLandmark = first == nil ? nil : last
        s.interruptsBySignature = sig
        s.recordsBySignature = bySignature
        s.recordsWithCount = withCount
        s.fileBytes = fileSize
        if let f = firstTSC, tscKHz > 0, lastTSC > f {
            s.guestSeconds = Double(lastTSC - f) / (Double(tscKHz) * 1000)
        }
        return s
    }

    /// Chunks and their raw records, in one pass.
    func scanChunks(_ onChunk: (ChunkInfo) throws -> Bool, onRecords: (RawRecord) throws -> Void) throws -> StopReason {
        try forEachRecordWithChunks(onChunk: onChunk, onRecord: onRecords)
    }
}

// MARK: - verify

public struct VerifyReport: Sendable {
    public var problems: [String] = []
    public var records: UInt64 = 0
    public var chunks: UInt64 = 0
    public var stop: StopReason = .closedCleanly
    public var indexStored = false
    public var sound: Bool { problems.isEmpty && stop.isClean }
}

extension LogReader {
    /// Every check the format allows: checksums, framing, each record
    /// checked as the decoder checks it and its padding zero (it decodes and
    /// re-encodes to the same bytes), positions monotonic, DOMAIN_START
    /// first, END last, index equal to the chunks; and the record rules of
    /// TT Xen (docs/log-format.md, "Record rules"): landmark records step
    /// by one; an asynchronous record without a signature has the position
    /// (landmark, RIP, RCX) of the landmark record before it (DOMAIN_START's
    /// before the first); a signature interrupt lies after the last
    /// landmark; no CPUID result shows RDRAND, RDSEED, HLE or RTM; END's
    /// `landmarks` and `by_signature` equal the log's own counts.
    public func verify(maxProblems: Int = 20) -> VerifyReport {
        // On the records' bytes, nothing decoded or allocated per record:
        // RawRecord.check() (quickType() first) is every rule of Record(raw),
        // and once it passes, zero padding is all that re-encoding the
        // decoded record could find different.  The per-record state is in
        // plain locals that `problem` does not capture (a capture by a local
        // function costs a dynamic exclusivity check per access).
        var r = VerifyReport()
        var problems: [String] = []
        var records: UInt64 = 0, chunks: UInt64 = 0
        var lastLandmark: UInt64 = 0
        var lastSyncLandmark: UInt64?
        // The last landmark record's position (DOMAIN_START's before any).
        var anchorLandmark: UInt64 = 0, anchorRIP: UInt64 = 0, anchorRCX: UInt64 = 0
        var signatures: UInt64 = 0
        var sawEnd = false
        let problem = { (s: String) in if problems.count < maxProblems { problems.append(s) } }
        do {
            r.stop = try forEachRecordWithChunks(onChunk: { _ in chunks += 1; return true }) { raw in
                let n = records
                records += 1
                func where_() -> String { "record \(n) (lm:\(raw.position.landmark))" }
                let type: RecordType
                do {
                    type = try RawRecord.quickType(raw.bytes.baseAddress!, payloadLength: raw.payload.count) ?? raw.check()
                } catch {
                    problem("\(path): \(where_()): \(error)")
                    return
                }
                if !raw.paddingIsZero {
                    problem("\(path): \(where_()): non-zero padding or reserved bytes")
                }
                let p = raw.payload
                if n == 0 {
                    if type == .domainStart {
                        anchorLandmark = raw.position.landmark
                        anchorRIP = raw.position.rip
                        anchorRCX = raw.position.rcx
                        let mode = Mode(rawValue: UInt32(p.le(4, as: UInt16.self)))!
                        let version: UInt32 = p.le(0)
                        if mode != header.mode { problem("\(path): DOMAIN_START says mode \(mode.name), the header \(header.mode.name)") }
                        if version != header.interfaceVersion {
                            problem("\(path): DOMAIN_START says interface version \(version), the header \(header.interfaceVersion)")
                        }
                    } else {
                        problem("\(path): first record is \(type.name), not DOMAIN_START")
                    }
                } else if type == .domainStart {
                    problem("\(path): \(where_()): a second DOMAIN_START")
                }
                if sawEnd { problem("\(path): \(where_()): \(type.name) after END") }
                if type == .end { sawEnd = true }
                if raw.position.landmark < lastLandmark {
                    problem("\(path): \(where_()): landmark goes back from \(lastLandmark)")
                }
                lastLandmark = raw.position.landmark
                switch type.recordClass {
                case .landmark:
                    let want = (lastSyncLandmark ?? 0) &+ 1
                    if raw.position.landmark != want {
                        problem("\(path): \(where_()): \(type.name) is landmark \(raw.position.landmark), expected \(want) "
                                + "(landmark records step by one)")
                    }
                    lastSyncLandmark = raw.position.landmark
                    anchorLandmark = raw.position.landmark
                    anchorRIP = raw.position.rip
                    anchorRCX = raw.position.rcx
                    if type == .cpuid, let bits = LogReader.hiddenCPUIDBits(leaf: p.le(0), subleaf: p.le(4),
                                                                          ebx: p.le(12), ecx: p.le(16)) {
                        problem("\(path): \(where_()): CPUID leaf \(p.le(0, as: UInt32.self)) shows \(bits), "
                                + "which recording hides from the guest")
                    }
                case .asynchronous:
                    if raw.flags & RecordFlags.signature.rawValue != 0 {
                        signatures += 1
                        // The signature's rip (register 16) and rcx (register 2).
                        if p.le(16 + 8 * 16, as: UInt64.self) != raw.position.rip
                            || p.le(16 + 8 * 2, as: UInt64.self) != raw.position.rcx {
                            problem("\(path): \(where_()): signature RIP/RCX differ from the record's position")
                        }
                        if raw.position.landmark != anchorLandmark {
                            problem("\(path): \(where_()): signature \(type.name) not after the last landmark (\(anchorLandmark))")
                        }
                    } else if raw.position.landmark != anchorLandmark || raw.position.rip != anchorRIP
                                || raw.position.rcx != anchorRCX {
                        problem("\(path): \(where_()): \(type.name) without a signature is not at its landmark's position "
                                + "(lm:\(anchorLandmark) rip:\(hex(anchorRIP)) rcx:\(hex(anchorRCX))), "
                                + "it has rip:\(hex(raw.position.rip)) rcx:\(hex(raw.position.rcx))")
                    }
                case .control:
                    if type == .end {
                        let landmarks: UInt64 = p.le(8), bySignature: UInt64 = p.le(16)
                        let have = lastSyncLandmark ?? 0
                        if landmarks != have {
                            problem("\(path): \(where_()): END says \(landmarks) landmarks, the log's last landmark record is \(have)")
                        }
                        if bySignature != signatures {
                            problem("\(path): \(where_()): END says \(bySignature) interrupts placed by signature, "
                                    + "the log has \(signatures)")
                        }
                    }
                }
            }
            let idx = try index()
            r.indexStored = idx.stored
        } catch let e as LogError {
            problem(e.description)
        } catch {
            problem("\(path): \(error)")
        }
        if r.stop.isClean && !sawEnd && problems.isEmpty {
            problem("\(path): log closed cleanly but has no END record")
        }
        r.problems = problems
        r.records = records
        r.chunks = chunks
        return r
    }
}

extension LogReader {
    /// What a CPUID result must not show (attach hides them: their results
    /// cannot be replayed): RDRAND (leaf 1 ECX bit 30), RDSEED, HLE, RTM
    /// (leaf 7.0 EBX bits 18, 4, 11).  nil when it shows none.
    public static func hiddenCPUIDBits(leaf: UInt32, subleaf: UInt32, ebx: UInt32, ecx: UInt32) -> String? {
        var shown: [String] = []
        if leaf == 1, ecx & (1 << 30) != 0 { shown.append("RDRAND") }
        if leaf == 7, subleaf == 0 {
            if ebx & (1 << 18) != 0 { shown.append("RDSEED") }
            if ebx & (1 << 4) != 0 { shown.append("HLE") }
            if ebx & (1 << 11) != 0 { shown.append("RTM") }
        }
        return shown.isEmpty ? nil : shown.joined(separator: ", ")
    }
}

// MARK: - records around a landmark

/// A point of the guest's execution as the tools take it: landmark `LM`,
/// or `LM+COUNT`, COUNT what the counter (DOMAIN_START's) counted since
/// that landmark (the seed's bug-report recipe, with our positions).
public struct LandmarkPoint: Hashable, Sendable, CustomStringConvertible {
    public var landmark: UInt64
    /// nil: the landmark itself (`LM`).
    public var count: UInt64?

    public init(landmark: UInt64, count: UInt64? = nil) {
        self.landmark = landmark
        self.count = count
    }

    /// "533717582" or "533717582+1200"; nil when it is neither.
    public init?(parsing text: String) {
        let parts = text.split(separator: "+", maxSplits: 1, omittingEmptySubsequences: false)
        guard let lm = parts.first.flatMap({ UInt64($0) }) else { return nil }
        landmark = lm
        if parts.count == 2 {
            guard let c = UInt64(parts[1]) else { return nil }
            count = c
        } else {
            count = nil
        }
    }

    public var description: String { count.map { "\(landmark)+\($0)" } ?? String(landmark) }

    /// Whether `r` lies at or after this point: past the landmark, or at it
    /// with a count at least `count`.  A landmark record is at count 0 of its
    /// own landmark (its `pos.branches` counts what came before it); records
    /// without a count are at 0 too.
    public func isReached(by r: Record) -> Bool {
        isReached(at: r.position, r.type)
    }

    /// The same for a record of type `type` at `position`.
    public func isReached(at position: Position, _ type: RecordType) -> Bool {
        if position.landmark != landmark { return position.landmark > landmark }
        guard let count else { return true }
        let at = type.recordClass == .landmark ? 0 : (position.branches ?? 0)
        return at >= count
    }
}

public struct Excerpt: Sendable {
    /// Records before the anchor (at most the window).
    public var before: [Record] = []
    /// The first record at or after the landmark, then up to the window after it.
    public var from: [Record] = []
    public var stop: StopReason?
    public var indexStored = false
}

extension LogReader {
    /// The `window` records before the first record at or after `landmark`,
    /// that record, and the `window` records after it.  Uses the stored index
    /// (or builds one from the chunk headers) to start near the landmark.
    public func excerpt(around landmark: UInt64, window: Int) throws -> Excerpt {
        try excerpt(around: LandmarkPoint(landmark: landmark), window: window)
    }

    /// The same around a point: the anchor is the first record that reaches
    /// it (`LandmarkPoint.isReached`).  Collects what `streamExcerpt` streams.
    public func excerpt(around point: LandmarkPoint, window: Int) throws -> Excerpt {
        var out = Excerpt()
        let r = try streamExcerpt(around: point, window: window) { raw, _, before in
            let rec = try Record(raw)
            if before { out.before.append(rec) } else { out.from.append(rec) }
        }
        out.stop = r.stop
        out.indexStored = r.indexStored
        return out
    }

    /// Streams the records around `point`: the `window` records before the
    /// anchor (the first record that reaches it, `LandmarkPoint.isReached`),
    /// the anchor, and the `window` records after it, in log order.  `body`
    /// gets each record, checked (chunk by chunk, as `forEachCheckedRecord`),
    /// with its type and whether it comes before the anchor.  Nothing is kept:
    /// memory stays at a chunk or two whatever the window.
    ///
    /// Uses the stored index (or builds one from the chunk headers) to start
    /// near the landmark: finds the anchor from the first chunk that reaches
    /// the landmark, then reads from the chunk that holds the first record
    /// of the window.  Returns how many records were delivered from the
    /// anchor on, why reading stopped when the log ended before the window
    /// was full (nil when it did not), and whether the index was stored.
    @discardableResult
    public func streamExcerpt(around point: LandmarkPoint, window: Int,
                              _ body: (RawRecord, RecordType, Bool) throws -> Void) throws
        -> (from: Int, stop: StopReason?, indexStored: Bool) {
        let landmark = point.landmark
        let window = max(0, window)
        let (entries, stored, _) = try index()
        guard let k = entries.firstIndex(where: { $0.lastLandmark >= landmark }) else {
            throw LogError.landmarkBeyondEnd(path: path, landmark: landmark, last: entries.last?.lastLandmark)
        }
        // The chunk at the index entry must hold what the index says.
        _ = try records(ofChunkAt: entries[k], seq: UInt64(k)) { _ in false }

        // 1. The anchor: how many records from chunk k come before it.
        var ahead = 0
        var found = false
        var lastCount: UInt64?          // of the records after landmark's own, for the error
        var lastSeen: UInt64?           // the landmark of the last record read
        try forEachCheckedRecord(from: entries[k], seq: UInt64(k), checkIndex: false) { raw, type, _ in
            if raw.position.landmark == landmark, type.recordClass != .landmark, let c = raw.position.branches {
                lastCount = max(lastCount ?? 0, c)
            }
            if point.isReached(at: raw.position, type) {
                found = true
                return false
            }
            lastSeen = raw.position.landmark
            ahead += 1
            return true
        }
        if !found {
            if point.count != nil, lastSeen == landmark {
                // The log ends at that landmark, before the count.
                throw LogError.pointBeyondEnd(path: path, point: point.description, lastCount: lastCount)
            }
            throw LogError.badIndex(path: path, detail: "index says chunk \(k) reaches landmark \(entries[k].lastLandmark), its records end before \(landmark)")
        }

        // 2. The first record of the window: `window` records back, through
        // the chunks before k when chunk k has too few before the anchor.
        var s = k
        var have = ahead                // records from chunk s to the anchor
        while s > 0 && have < window {
            s -= 1
            have += Int(entries[s].recordCount)
        }
        let skip = max(0, have - window)
        let beforeCount = have - skip

        // 3. Stream them: the records before, the anchor, the window after.
        var i = 0
        var from = 0
        var checked = s                 // chunks before k checked against the index
        let why = try forEachCheckedRecord(from: entries[s], seq: UInt64(s), checkIndex: false) { raw, type, info in
            if info.seq < UInt64(k), info.seq >= UInt64(checked) {
                let e = entries[Int(info.seq)]
                guard info.firstLandmark == e.firstLandmark, info.lastLandmark == e.lastLandmark,
                      info.recordCount == e.recordCount else {
                    throw LogError.badIndex(path: path, detail: "entry \(info.seq) says chunk at offset \(e.offset) holds landmarks "
                        + "\(e.firstLandmark)-\(e.lastLandmark) in \(e.recordCount) records; the chunk holds "
                        + "\(info.firstLandmark)-\(info.lastLandmark) in \(info.recordCount)")
                }
                checked = Int(info.seq) + 1
            }
            defer { i += 1 }
            if i < skip { return true }
            if i < skip + beforeCount {
                try body(raw, type, true)
                return true
            }
            if from == 0 && !point.isReached(at: raw.position, type) {
                throw LogError.badIndex(path: path, detail: "the records from chunk \(s) differ from those the index counts before landmark \(landmark)")
            }
            try body(raw, type, false)
            from += 1
            return from <= window
        }
        return (from, from <= window ? why : nil, stored)
    }

    /// The log's DOMAIN_START (its first record), or nil when the log has
    /// none or no whole chunk.  Reads the first chunk only.
    public func domainStart() -> DomainStart? {
        var found: DomainStart?
        _ = try? forEachRecord { raw, _ in
            if let r = try? Record(raw), case .domainStart(let s) = r.payload { found = s }
            return false
        }
        return found
    }
}

// MARK: - diff

public struct LogDiff: Sendable {
    /// No record differs and both logs hold the same number of records.
    public var identical = true
    /// Number (from 0) of the first record that differs.
    public var recordNumber: UInt64 = 0
    public var a: Record?
    public var b: Record?
    /// "field: A=... B=..." for each field that differs.
    public var differences: [String] = []
    /// Records before the difference (equal in both logs).
    public var context: [Record] = []
    /// Records from the difference on, in each log.
    public var afterA: [Record] = []
    public var afterB: [Record] = []
    public var stopA: StopReason?
    public var stopB: StopReason?
    public var recordsCompared: UInt64 = 0
    /// The counter of log A's DOMAIN_START (what the positions' counts are).
    public var counter: Counter = .none
}

/// RFLAGS' arithmetic flags (CF PF AF ZF SF OF): x86 leaves some of them
/// undefined after many instructions, and QEMU (the lab's CPU) computes
/// those from its translation state, so a recording and its replay can
/// differ there at the very same instruction (docs/design-replay.md).
public let arithmeticFlags: UInt64 = 0x8d5

/// Whether two records say the same: every field equal, except the mode of
/// DOMAIN_START (record in a recording, replay in its replay) and, for an
/// interrupt placed with a count, the arithmetic flags of its signature
/// (the count names the instruction; Xen's replay compares the same way).
public func sameContent(_ a: Record, _ b: Record) -> Bool {
    if a == b { return true }
    switch (a.payload, b.payload) {
    case (.domainStart(var sa), .domainStart(let sb)):
        sa.mode = sb.mode
        var a2 = a
        a2.payload = .domainStart(sa)
        return a2 == b
    case (.interrupt(var ia), .interrupt(let ib)):
        guard a.position.branches != nil, b.position.branches != nil,
              var sa = ia.signature, let sb = ib.signature else { return false }
        let f = Registers.names.firstIndex(of: "rflags")!
        sa.values[f] = (sa.values[f] & ~arithmeticFlags) | (sb.values[f] & arithmeticFlags)
        ia.signature = sa
        var a2 = a
        a2.payload = .interrupt(ia)
        return a2 == b
    default:
        return false
    }
}

/// Field-by-field differences between two records (DOMAIN_START's mode
/// excepted: it differs between a recording and its replay by nature).
/// `counter` names the count of the positions (`instructions` or `branches`).
public func fieldDifferences(_ a: Record, _ b: Record, counter: Counter = .none) -> [String] {
    var d: [String] = []
    if a.type != b.type { d.append("type: A=\(a.type.name) B=\(b.type.name)") }
    let count = counter.longLabel
    let pa = [("landmark", String(a.position.landmark)), ("rip", hex(a.position.rip)), ("rcx", hex(a.position.rcx)),
              (count, a.position.branches.map(String.init) ?? "invalid"), ("outside", String(a.outside))]
    let pb = [("landmark", String(b.position.landmark)), ("rip", hex(b.position.rip)), ("rcx", hex(b.position.rcx)),
              (count, b.position.branches.map(String.init) ?? "invalid"), ("outside", String(b.outside))]
    for (x, y) in zip(pa, pb) where x.1 != y.1 { d.append("\(x.0): A=\(x.1) B=\(y.1)") }
    if a.type == b.type {
        let fa = a.fields, fb = b.fields
        for (x, y) in zip(fa, fb) where x != y && !(a.type == .domainStart && x.name == "mode") {
            d.append("payload.\(x.name): A=\(x.value.text) B=\(y.value.text)")
        }
        if fa.count != fb.count { d.append("payload: A has \(fa.count) fields, B has \(fb.count)") }
    }
    if d.isEmpty && !sameContent(a, b) { d.append("payload bytes differ") }
    return d
}

/// Walks two logs side by side to the first record that differs.
public func diffLogs(_ a: LogReader, _ b: LogReader, window: Int) throws -> LogDiff {
    let ca = RecordCursor(a), cb = RecordCursor(b)
    var out = LogDiff()
    var ring: [Record] = []
    var n: UInt64 = 0
    while true {
        let ra = try ca.next(), rb = try cb.next()
        if ra == nil && rb == nil { break }
        if n == 0, let ra, case .domainStart(let s) = ra.payload { out.counter = s.counter }
        if let ra, let rb, sameContent(ra, rb) {
            ring.append(ra)
            if ring.count > window { ring.removeFirst() }
            n += 1
            continue
        }
        out.identical = false
        out.recordNumber = n
        out.a = ra
        out.b = rb
        if let ra, let rb {
            out.differences = fieldDifferences(ra, rb, counter: out.counter)
        } else {
            out.differences = [ra == nil ? "A ends here (\(n) records); B goes on" : "B ends here (\(n) records); A goes on"]
        }
        if let ra { out.afterA.append(ra) }
        if let rb { out.afterB.append(rb) }
        while out.afterA.count <= window, let r = try ca.next() { out.afterA.append(r) }
        while out.afterB.count <= window, let r = try cb.next() { out.afterB.append(r) }
        break
    }
    out.context = ring
    out.recordsCompared = n
    out.stopA = ca.stop
    out.stopB = cb.stop
    return out
}
