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
    public static let reservedOffset = 40
}

/// Why a ring cannot be consumed.
public enum RingError: Error, Equatable, CustomStringConvertible {
    /// The control page is not a ring this consumer can read.
    case badControlPage(detail: String)
    /// The producer broke a rule of the ring at byte counter `at`.
    case corrupt(at: UInt64, detail: String)

    public var description: String {
        switch self {
        case let .badControlPage(detail):
            return "log ring: bad control page: \(detail)"
        case let .corrupt(at, detail):
            return "log ring corrupt at byte \(at): \(detail); the records before it were kept"
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
