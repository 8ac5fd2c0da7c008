// The consumer side of a ring shared with Xen (struct xen_tt_ring of tt.h,
// docs/hypercall-abi.md "The shared ring").
//
// The ring is any memory: the frames of TT_RING_LOG mapped by ttd-deviced in
// production, plain buffers in the tests.  The consumer reads the whole
// records between cons and prod, checks each one (type, flags, payload size
// and contents as Record(_:) decodes them, zero padding, positions that never
// go back), hands them to the caller in contiguous spans of ring bytes (PAD
// records left out, so a span can go straight to LogWriter.appendRaw), then
// hands the space back by advancing cons.  A ring that breaks a rule is
// corrupt: the records before the bad one are delivered, cons stops at it,
// and consume() throws; nothing after it is trusted.

import CTTSupport

/// Offsets of `struct xen_tt_ring` (64 bytes, page 0 of a ring).
public enum RingLayout {
    /// `TT_RING_MAGIC` ("XTTR").
    public static let magic: UInt32 = 0x5254_5458
    /// `sizeof(struct xen_tt_ring)`.
    public static let controlSize = 64
    public static let magicOffset = 0
    public static let versionOffset = 4
    public static let dataSizeOffset = 8
    public static let producerWaitingOffset = 12
    public static let prodOffset = 16
    public static let consOffset = 24
    public static let recordsOffset = 32
    /// TT_RING_REPLAY only: Xen waits for records (dom0 kicks after advancing prod).
    public static let consumerWaitingOffset = 40
    /// TT_RING_REPLAY only: dom0 wrote the last record.
    public static let eofOffset = 44
    public static let reservedOffset = 48
}

/// Why a ring cannot be consumed.
public enum RingError: Error, Equatable, CustomStringConvertible {
    /// The control page is not a ring this consumer can read.
    case badControlPage(detail: String)
    /// The producer broke a rule of the ring at byte counter `at`.
    case corrupt(at: UInt64, detail: String)
    /// The consumer (Xen, on the replay ring) moved cons where it cannot be.
    case consumerCorrupt(detail: String)
    /// A record larger than the replay ring can ever take.
    case recordTooBig(size: Int, ringBytes: Int)

    public var description: String {
        switch self {
        case let .badControlPage(detail):
            return "shared ring (log or replay): bad control page: \(detail)"
        case let .corrupt(at, detail):
            return "log ring corrupt at byte \(at): \(detail); the records before it were kept"
        case let .consumerCorrupt(detail):
            return "replay ring: Xen's cons is inconsistent (\(detail)); nothing more is written to it"
        case let .recordTooBig(size, ringBytes):
            return "replay ring: a record of \(size) bytes cannot fit a ring of \(ringBytes) bytes "
                + "(that leaves Xen its \(TTABI.exitMaxBytes) bytes of headroom): use a larger --ring-pages"
        }
    }
}

/// What one `consume` call did.
public struct RingBatch: Equatable, Sendable {
    /// Ring bytes handed back (PAD and skipped tail bytes included).
    public var ringBytes = 0
    /// Records delivered (PAD not counted).
    public var records = 0
    /// Landmark records among them.
    public var landmarks = 0
    /// Ring bytes of the delivered records.
    public var recordBytes = 0
    /// The producer is paused for space: the caller must kick the doorbell.
    public var needsKick = false
    public init() {}
}

/// Reads records out of a ring Xen produces.
public final class RingConsumer {
    public let control: UnsafeMutableRawPointer
    public let data: UnsafeRawPointer
    public let dataSize: Int
    private let mask: UInt64
    /// The consumer's counter (our copy of the control page's `cons`).
    public private(set) var cons: UInt64
    /// `pos.landmark` of the last record delivered.
    public private(set) var lastLandmark: UInt64 = 0
    /// `pos.landmark` of the last landmark record delivered (they strictly increase).
    private var lastLandmarkRecord: UInt64? = nil
    /// Whether the next record is the first of the ring (it must be DOMAIN_START).
    private var atStart: Bool

    /// Checks the control page: magic, interface version, a data size that
    /// is a power of two and equals the `dataBytes` mapped after it, and
    /// counters that make sense.
    public init(control: UnsafeMutableRawPointer, data: UnsafeRawPointer, dataBytes: Int) throws(RingError) {
        self.control = control
        self.data = data
        let magic = tt_ring_load32(control + RingLayout.magicOffset)
        guard magic == RingLayout.magic else {
            throw .badControlPage(detail: "magic \(hex(UInt64(magic), width: 8)), expected \(hex(UInt64(RingLayout.magic), width: 8))")
        }
        let version = tt_ring_load32(control + RingLayout.versionOffset)
        guard version == TTABI.interfaceVersion else {
            throw .badControlPage(detail: "interface version \(version), this tool knows \(TTABI.interfaceVersion): "
                                  + "use the ttd-deviced built with this hypervisor")
        }
        let size = Int(tt_ring_load32(control + RingLayout.dataSizeOffset))
        guard size >= 4096, size & (size - 1) == 0 else {
            throw .badControlPage(detail: "data size \(size) is not a power of two of at least 4096")
        }
        guard size == dataBytes else {
            throw .badControlPage(detail: "data size \(size), but \(dataBytes) bytes are mapped")
        }
        dataSize = size
        mask = UInt64(size - 1)
        cons = tt_ring_load64(control + RingLayout.consOffset)
        atStart = cons == 0
        let prod = tt_ring_load_prod(control + RingLayout.prodOffset)
        guard prod >= cons, prod - cons <= UInt64(size), cons % UInt64(TTABI.recordAlign) == 0 else {
            throw .badControlPage(detail: "prod \(prod) and cons \(cons) are inconsistent for a ring of \(size) bytes")
        }
    }

    /// The producer's counter.
    public var prod: UInt64 { tt_ring_load_prod(control + RingLayout.prodOffset) }
    /// Records the producer says it wrote (PAD not counted).
    public var producedRecords: UInt64 { tt_ring_load64(control + RingLayout.recordsOffset) }
    /// The producer is paused until the consumer makes room and kicks.
    public var producerWaiting: Bool { tt_ring_load32(control + RingLayout.producerWaitingOffset) != 0 }
    /// Bytes produced and not yet consumed.
    public var pendingBytes: UInt64 { prod &- cons }

    /// Consumes the whole records between cons and prod, at most about
    /// `maxBytes` of ring (never less than one record).  `body` gets each
    /// contiguous span of records (PAD left out): the ring bytes, and the
    /// records decoded.  It runs before cons moves, so the producer cannot
    /// overwrite what it reads.  If `body` throws, cons stays where the span
    /// began.
    @discardableResult
    public func consume(maxBytes: Int = Int.max,
                        _ body: (UnsafeRawBufferPointer, [Record]) throws -> Void) throws -> RingBatch {
        let prod = self.prod
        guard prod >= cons, prod - cons <= UInt64(dataSize) else {
            throw RingError.corrupt(at: cons, detail: "prod \(prod) is not within \(dataSize) bytes after cons \(cons)")
        }
        guard prod % UInt64(TTABI.recordAlign) == 0 else {
            throw RingError.corrupt(at: prod, detail: "prod \(prod) is not a multiple of \(TTABI.recordAlign)")
        }
        var batch = RingBatch()
        var c = cons
        var spanStart = c
        var spanRecords: [Record] = []
        var failure: RingError? = nil

        // Delivers the records from spanStart to c, then skips `skip` bytes
        // (PAD, unused tail) and moves cons past them.
        func deliver(skipping skip: Int = 0) throws {
            if c > spanStart {
                let at = Int(spanStart & mask)
                try body(UnsafeRawBufferPointer(start: data + at, count: Int(c - spanStart)), spanRecords)
            }
            spanRecords.removeAll(keepingCapacity: true)
            c += UInt64(skip)
            if c != cons {
                tt_ring_store_cons(control + RingLayout.consOffset, c)
                batch.ringBytes += Int(c - cons)
                cons = c
            }
            spanStart = c
        }

        scan: while c < prod && Int(c - cons) < maxBytes {
            let at = Int(c & mask)
            // A span is contiguous memory: it ends where the data area does.
            if at == 0 && c != spanStart { try deliver() }
            let toEnd = dataSize - at
            let available = Int(prod - c)
            // Fewer bytes before the end than a record header: the producer
            // leaves them unused and goes on at the start of the data area.
            if toEnd < TTABI.recordHeaderSize {
                guard available >= toEnd else {
                    failure = .corrupt(at: c, detail: "prod \(prod) falls inside the \(toEnd) unused bytes at the end of the data area")
                    break scan
                }
                try deliver(skipping: toEnd)
                continue
            }
            guard available >= TTABI.recordHeaderSize else {
                failure = .corrupt(at: c, detail: "only \(available) bytes before prod, less than a record header (prod inside a record)")
                break scan
            }
            let p = UnsafeRawBufferPointer(start: data + at, count: toEnd)
            let type: UInt16 = p.le(0)
            let flags: UInt16 = p.le(2)
            let len = Int(p.le(4, as: UInt32.self))
            guard len <= TTABI.maxPayload else {
                failure = .corrupt(at: c, detail: "payload length \(len) above TT_REC_MAX_PAYLOAD")
                break scan
            }
            let size = TTABI.recordSize(payloadLength: len)
            if type == 0 {
                // TT_REC_PAD fills the space before the end of the data area.
                guard flags == 0, size == toEnd else {
                    failure = .corrupt(at: c, detail: "PAD record of \(size) bytes (flags \(flags)) does not end at the end of the data area (\(toEnd) bytes left)")
                    break scan
                }
                guard size <= available else {
                    failure = .corrupt(at: c, detail: "PAD record of \(size) bytes runs past prod (\(available) bytes)")
                    break scan
                }
                try deliver(skipping: size)
                continue
            }
            guard size <= toEnd else {
                failure = .corrupt(at: c, detail: "record of \(size) bytes wraps around the end of the data area (\(toEnd) bytes left)")
                break scan
            }
            guard size <= available else {
                failure = .corrupt(at: c, detail: "record of \(size) bytes runs past prod (\(available) bytes): prod inside a record")
                break scan
            }
            for i in (TTABI.recordHeaderSize + len)..<size where p[i] != 0 {
                failure = .corrupt(at: c, detail: "non-zero padding byte after the payload")
                break scan
            }
            let landmark: UInt64 = p.le(8)
            let br: UInt64 = p.le(32)
            let raw = RawRecord(type: type, flags: flags,
                                position: Position(landmark: landmark, rip: p.le(16), rcx: p.le(24),
                                                   branches: flags & RecordFlags.branches.rawValue != 0 || br != 0 ? br : nil),
                                payload: UnsafeRawBufferPointer(rebasing: p[TTABI.recordHeaderSize..<(TTABI.recordHeaderSize + len)]),
                                offsetInChunk: 0,
                                bytes: UnsafeRawBufferPointer(rebasing: p[0..<size]))
            let record: Record
            do { record = try Record(raw) } catch {
                failure = .corrupt(at: c, detail: error.description)
                break scan
            }
            if atStart {
                guard record.type == .domainStart else {
                    failure = .corrupt(at: c, detail: "first record is \(record.type.name), not DOMAIN_START")
                    break scan
                }
                atStart = false
            }
            guard landmark >= lastLandmark else {
                failure = .corrupt(at: c, detail: "\(record.type.name) at landmark \(landmark) after landmark \(lastLandmark)")
                break scan
            }
            if record.type.recordClass == .landmark {
                if let l = lastLandmarkRecord, landmark <= l {
                    failure = .corrupt(at: c, detail: "landmark record \(record.type.name) at landmark \(landmark), not after the previous one (\(l))")
                    break scan
                }
                lastLandmarkRecord = landmark
                batch.landmarks += 1
            }
            lastLandmark = landmark
            spanRecords.append(record)
            batch.records += 1
            batch.recordBytes += size
            c += UInt64(size)
        }
        try deliver()
        if let failure { throw failure }
        batch.needsKick = producerWaiting
        return batch
    }
}

// MARK: - The producer side (TT_RING_REPLAY)

/// Writes records into a ring Xen consumes: TT_RING_REPLAY, where ttd-deviced
/// hands Xen the records of the log being replayed (tt.h, above struct
/// xen_tt_ring).  The same rules as the log ring with the roles swapped:
/// whole records, never wrapped (the tail before the end of the data area
/// becomes a zeroed TT_REC_PAD when the next record does not fit there), the
/// records written before `prod` moves (`publish()`), never a byte between
/// Xen's `cons` and `prod` overwritten.  `finish()` sets eof once the last
/// record is published.  After `publish()` and `finish()` the caller kicks
/// the doorbell when `consumerWaiting` is set.
///
/// A `cons` that is not within `dataSize` bytes before `prod`, or not
/// 8-aligned, makes the ring unusable: every write throws
/// `RingError.consumerCorrupt` (the ring counts as full; nothing of Xen's is
/// trusted).
public final class RingProducer {
    public let control: UnsafeMutableRawPointer
    public let data: UnsafeMutableRawPointer
    public let dataSize: Int
    private let mask: UInt64
    /// Our counter: bytes written, published or not.
    public private(set) var prod: UInt64
    /// The `prod` Xen sees.
    public private(set) var publishedProd: UInt64
    /// Records written (PAD not counted), as the control page's `records`.
    public private(set) var records: UInt64
    /// Whether `finish()` was called.
    public private(set) var finished = false

    /// Checks the control page (magic, interface version, data size equal
    /// to the `dataBytes` mapped) and takes over `prod` (0 on a fresh ring).
    public init(control: UnsafeMutableRawPointer, data: UnsafeMutableRawPointer, dataBytes: Int) throws(RingError) {
        self.control = control
        self.data = data
        let magic = tt_ring_load32(control + RingLayout.magicOffset)
        guard magic == RingLayout.magic else {
            throw .badControlPage(detail: "magic \(hex(UInt64(magic), width: 8)), expected \(hex(UInt64(RingLayout.magic), width: 8))")
        }
        let version = tt_ring_load32(control + RingLayout.versionOffset)
        guard version == TTABI.interfaceVersion else {
            throw .badControlPage(detail: "interface version \(version), this tool knows \(TTABI.interfaceVersion): "
                                  + "use the ttd-deviced built with this hypervisor")
        }
        let size = Int(tt_ring_load32(control + RingLayout.dataSizeOffset))
        guard size >= 4096, size & (size - 1) == 0 else {
            throw .badControlPage(detail: "data size \(size) is not a power of two of at least 4096")
        }
        guard size == dataBytes else {
            throw .badControlPage(detail: "data size \(size), but \(dataBytes) bytes are mapped")
        }
        dataSize = size
        mask = UInt64(size - 1)
        prod = tt_ring_load64(control + RingLayout.prodOffset)
        publishedProd = prod
        records = tt_ring_load64(control + RingLayout.recordsOffset)
        guard prod % UInt64(TTABI.recordAlign) == 0 else {
            throw .badControlPage(detail: "prod \(prod) is not a multiple of \(TTABI.recordAlign)")
        }
        guard tt_ring_load32(control + RingLayout.eofOffset) == 0 else {
            throw .badControlPage(detail: "eof is already set: another producer finished this ring")
        }
        _ = try freeBytes()
    }

    /// Xen's counter.
    public var cons: UInt64 { tt_ring_load_cons(control + RingLayout.consOffset) }
    /// Xen waits for records: kick the doorbell after `publish()`/`finish()`.
    public var consumerWaiting: Bool { tt_ring_load32(control + RingLayout.consumerWaitingOffset) != 0 }
    /// Bytes published and not yet consumed by Xen.
    public var unconsumedBytes: UInt64 { publishedProd &- cons }

    /// The bytes free for writing: `dataSize` minus what lies between Xen's
    /// `cons` and our `prod`.  Throws when `cons` is where it cannot be.
    public func freeBytes() throws(RingError) -> Int {
        let c = cons
        guard c <= publishedProd else {
            throw .consumerCorrupt(detail: "cons \(c) is beyond prod \(publishedProd)")
        }
        guard prod - c <= UInt64(dataSize) else {
            throw .consumerCorrupt(detail: "cons \(c) is more than \(dataSize) bytes before prod \(prod)")
        }
        guard c % UInt64(TTABI.recordAlign) == 0 else {
            throw .consumerCorrupt(detail: "cons \(c) is not a multiple of \(TTABI.recordAlign)")
        }
        return dataSize - Int(prod - c)
    }

    /// Ring bytes a record of `size` bytes takes if written now: itself, plus
    /// the tail before the end of the data area when it does not fit there.
    public func bytesNeeded(forRecordOf size: Int) -> Int {
        let toEnd = dataSize - Int(prod & mask)
        return size <= toEnd ? size : toEnd + size
    }

    /// The largest record this ring is sure to take while Xen keeps its
    /// headroom of `TTABI.exitMaxBytes` unconsumed (with a PAD in front).
    public var largestRecord: Int { (dataSize - TTABI.exitMaxBytes) / 2 }

    /// Writes one whole record (header, payload, padding: a size that is a
    /// multiple of 8, its payload length consistent) if it fits; returns
    /// false, writing nothing, when the ring has no room for it now.  The
    /// record is not visible to Xen before `publish()`.
    @discardableResult
    public func write(record bytes: UnsafeRawBufferPointer) throws(RingError) -> Bool {
        precondition(!finished, "write after finish()")
        let size = bytes.count
        guard size >= TTABI.recordHeaderSize, size % TTABI.recordAlign == 0,
              TTABI.recordSize(payloadLength: Int(bytes.le(4, as: UInt32.self))) == size else {
            throw .corrupt(at: prod, detail: "\(size) bytes handed to the replay ring are not one whole record")
        }
        guard size <= largestRecord else { throw .recordTooBig(size: size, ringBytes: dataSize) }
        let free = try freeBytes()
        let need = bytesNeeded(forRecordOf: size)
        guard need <= free else { return false }
        let at = Int(prod & mask)
        if need > size {
            // The tail becomes a TT_REC_PAD, zeroed: a whole PAD record
            // (payload_len covering the tail) when it has room for a header,
            // else zero bytes.  Then on at the start of the data area.
            let tail = dataSize - at
            (data + at).initializeMemory(as: UInt8.self, repeating: 0, count: tail)
            if tail >= TTABI.recordHeaderSize {
                (data + at + 4).storeBytes(of: UInt32(tail - TTABI.recordHeaderSize).littleEndian, as: UInt32.self)
            }
            prod += UInt64(tail)
        }
        (data + Int(prod & mask)).copyMemory(from: bytes.baseAddress!, byteCount: size)
        prod += UInt64(size)
        records += 1
        return true
    }

    /// Makes the records written so far visible to Xen: a write barrier, then
    /// `prod` (and `records`).  Returns whether Xen waits for records: then
    /// the caller kicks the doorbell.
    @discardableResult
    public func publish() -> Bool {
        if prod != publishedProd {
            tt_ring_store64(control + RingLayout.recordsOffset, records)
            tt_ring_publish_prod(control + RingLayout.prodOffset, prod)
            publishedProd = prod
        }
        return consumerWaiting
    }

    /// Publishes what is written, then sets eof: there are no more records.
    /// Returns whether Xen waits (the caller kicks).
    @discardableResult
    public func finish() -> Bool {
        publish()
        if !finished {
            tt_ring_store32(control + RingLayout.eofOffset, 1)
            finished = true
        }
        return consumerWaiting
    }
}
