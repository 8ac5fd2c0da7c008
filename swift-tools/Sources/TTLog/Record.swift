// Typed records: one Swift type per payload struct of tt.h.

/// `struct xen_tt_pos`: where in the guest's execution a record happened.
public struct Position: Hashable, Sendable {
    /// Landmarks executed since the domain started, the current one included.
    public var landmark: UInt64
    public var rip: UInt64
    public var rcx: UInt64
    /// The count of the counter attached (`TT_RECF_BRANCHES`; DOMAIN_START's
    /// `counter` says which): for a landmark, since the previous landmark;
    /// for any other record, since its own landmark.  nil without a counter.
    public var branches: UInt64?

    public init(landmark: UInt64, rip: UInt64, rcx: UInt64, branches: UInt64? = nil) {
        self.landmark = landmark
        self.rip = rip
        self.rcx = rcx
        self.branches = branches
    }
}

/// `struct xen_tt_regs` (160 bytes): the register signature of an
/// interrupt placed between two landmarks.
public struct Registers: Hashable, Sendable {
    /// The 64-bit registers at the start of the struct, in ABI order.
    public static let names = ["rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp",
                               "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
                               "rip", "rflags"]
    /// Every field name of a signature as printed: `names`, then cr3 and cpl.
    public static let fieldNames = names + ["cr3", "cpl"]
    /// In the order of `names`.
    public var values: [UInt64]
    /// The guest's CR3 (tells apart two processes running one binary).
    public var cr3: UInt64
    /// The privilege level, 0 kernel .. 3 user.
    public var cpl: UInt32

    public init(values: [UInt64], cr3: UInt64 = 0, cpl: UInt32 = 0) {
        precondition(values.count == Registers.names.count)
        self.values = values
        self.cr3 = cr3
        self.cpl = cpl
    }
}

public struct Hypercall: Hashable, Sendable {
    public var nr: UInt64
    public var args: [UInt64]   // 6
    public var ret: Int64
    /// Bytes the guest sent (TT-io output); empty for other hypercalls.
    public var data: [UInt8]
    public init(nr: UInt64, args: [UInt64], ret: Int64, data: [UInt8] = []) {
        precondition(args.count == 6)
        self.nr = nr; self.args = args; self.ret = ret; self.data = data
    }
}

public struct CPUID: Hashable, Sendable {
    public var leaf, subleaf, eax, ebx, ecx, edx: UInt32
    public init(leaf: UInt32, subleaf: UInt32, eax: UInt32, ebx: UInt32, ecx: UInt32, edx: UInt32) {
        self.leaf = leaf; self.subleaf = subleaf
        self.eax = eax; self.ebx = ebx; self.ecx = ecx; self.edx = edx
    }
}

public struct PortIO: Hashable, Sendable {
    public var port: UInt16
    public var size: UInt8
    /// `TT_IO_OUT` (0) or `TT_IO_IN` (1).
    public var direction: UInt8
    public var count: UInt32
    public var value: UInt64
    /// Bytes of a string (INS/OUTS) access.
    public var data: [UInt8]
    public init(port: UInt16, size: UInt8, direction: UInt8, count: UInt32 = 1,
                value: UInt64, data: [UInt8] = []) {
        self.port = port; self.size = size; self.direction = direction
        self.count = count; self.value = value; self.data = data
    }
}

/// An MMIO landmark: its first access (gpa, size, direction, value), how
/// many accesses Xen made in the exit (0 in logs of before December 2026,
/// which hold the first access only) and, for more than one, the bytes of
/// all of them in order.
public struct MMIO: Hashable, Sendable {
    public var gpa: UInt64
    public var size: UInt8
    public var direction: UInt8
    public var count: UInt32
    public var value: UInt64
    public var data: [UInt8]
    public init(gpa: UInt64, size: UInt8, direction: UInt8, count: UInt32 = 1, value: UInt64, data: [UInt8] = []) {
        self.gpa = gpa; self.size = size; self.direction = direction
        self.count = count; self.value = value; self.data = data
    }
}

public struct GuestException: Hashable, Sendable {
    public var vector: UInt8
    public var errorCode: UInt32
    public var cr2: UInt64
    public init(vector: UInt8, errorCode: UInt32, cr2: UInt64) {
        self.vector = vector; self.errorCode = errorCode; self.cr2 = cr2
    }
}

public struct Interrupt: Hashable, Sendable {
    public var kind: InterruptKind
    public var vector: UInt8
    public var port: UInt32
    /// Present exactly when the record has `TT_RECF_SIGNATURE`.
    public var signature: Registers?
    public init(kind: InterruptKind, vector: UInt8, port: UInt32, signature: Registers? = nil) {
        self.kind = kind; self.vector = vector; self.port = port; self.signature = signature
    }
}

public struct MemoryUpdate: Hashable, Sendable {
    public var gpa: UInt64
    public var kind: MemoryKind
    public var data: [UInt8]
    public init(gpa: UInt64, kind: MemoryKind, data: [UInt8]) {
        self.gpa = gpa; self.kind = kind; self.data = data
    }
}

public struct TTIOInput: Hashable, Sendable {
    public var device: TTIODevice
    public var cookie: UInt64
    public var data: [UInt8]
    public init(device: TTIODevice, cookie: UInt64 = 0, data: [UInt8]) {
        self.device = device; self.cookie = cookie; self.data = data
    }
}

public struct DomainStart: Hashable, Sendable {
    public var interfaceVersion: UInt32
    public var mode: Mode
    public var vcpus: UInt16
    public var attachFlags: UInt32
    public var boundMicroseconds: UInt32
    /// What `pos.branches` counts in this log (`TT_COUNTER_*`).
    public var counter: Counter
    public var memoryKB: UInt64
    public var tscKHz: UInt64
    public init(interfaceVersion: UInt32 = TTABI.interfaceVersion, mode: Mode, vcpus: UInt16 = 1,
                attachFlags: UInt32 = 0, boundMicroseconds: UInt32 = 10_000, counter: Counter = .none,
                memoryKB: UInt64, tscKHz: UInt64) {
        self.interfaceVersion = interfaceVersion; self.mode = mode; self.vcpus = vcpus
        self.attachFlags = attachFlags; self.boundMicroseconds = boundMicroseconds
        self.counter = counter
        self.memoryKB = memoryKB; self.tscKHz = tscKHz
    }
}

public struct Divergence: Hashable, Sendable {
    public var expectedType: UInt16
    public var actualType: UInt16
    public var reason: DivergenceReason
    public var expected: Position
    public var actual: Position
    public init(expectedType: UInt16, actualType: UInt16, reason: DivergenceReason,
                expected: Position, actual: Position) {
        self.expectedType = expectedType; self.actualType = actualType
        self.reason = reason; self.expected = expected; self.actual = actual
    }
}

public struct End: Hashable, Sendable {
    public var reason: EndReason
    public var code: UInt32
    public var landmarks: UInt64
    public var bySignature: UInt64
    public init(reason: EndReason, code: UInt32 = 0, landmarks: UInt64, bySignature: UInt64 = 0) {
        self.reason = reason; self.code = code; self.landmarks = landmarks; self.bySignature = bySignature
    }
}

/// A record's payload, decoded.
public enum Payload: Hashable, Sendable {
    case hypercall(Hypercall)
    case cpuid(CPUID)
    case rdtsc(tsc: UInt64)
    case rdtscp(tsc: UInt64, aux: UInt32)
    case msrRead(index: UInt32, value: UInt64)
    case msrWrite(index: UInt32, value: UInt64)
    case hlt
    case pause
    case io(PortIO)
    case mmio(MMIO)
    case exception(GuestException)
    case interrupt(Interrupt)
    case memory(MemoryUpdate)
    case ttioInput(TTIOInput)
    case domainStart(DomainStart)
    case divergence(Divergence)
    case end(End)

    public var type: RecordType {
        switch self {
        case .hypercall: return .hypercall
        case .cpuid: return .cpuid
        case .rdtsc: return .rdtsc
        case .rdtscp: return .rdtscp
        case .msrRead: return .msrRead
        case .msrWrite: return .msrWrite
        case .hlt: return .hlt
        case .pause: return .pause
        case .io: return .io
        case .mmio: return .mmio
        case .exception: return .exception
        case .interrupt: return .interrupt
        case .memory: return .memory
        case .ttioInput: return .ttioInput
        case .domainStart: return .domainStart
        case .divergence: return .divergence
        case .end: return .end
        }
    }
}

/// One record of the log: `struct xen_tt_rec` and its payload.
public struct Record: Hashable, Sendable {
    public var position: Position
    public var payload: Payload
    /// `TT_RECF_OUTSIDE`; the other flags follow from `position` and `payload`.
    public var outside: Bool

    public init(_ payload: Payload, at position: Position, outside: Bool = false) {
        self.payload = payload
        self.position = position
        self.outside = outside
    }

    public var type: RecordType { payload.type }

    public var flags: RecordFlags {
        var f: RecordFlags = []
        if position.branches != nil { f.insert(.branches) }
        if case .interrupt(let i) = payload, i.signature != nil { f.insert(.signature) }
        if outside { f.insert(.outside) }
        return f
    }
}

// MARK: - Encoding

extension Record {
    /// Appends this record, exactly as Xen writes it into the ring.
    public func encode(into w: inout ByteWriter) {
        let start = w.bytes.count
        w.put(type.rawValue)
        w.put(flags.rawValue)
        w.put(UInt32(0))                    // payload_len, set below
        w.put(position.landmark)
        w.put(position.rip)
        w.put(position.rcx)
        w.put(position.branches ?? 0)
        let payloadStart = w.bytes.count
        encodePayload(into: &w)
        let length = w.bytes.count - payloadStart
        w.set(UInt32(length), at: start + 4)
        w.align(TTABI.recordAlign)
    }

    public func encoded() -> [UInt8] {
        var w = ByteWriter(capacity: 64)
        encode(into: &w)
        return w.bytes
    }

    private func encodePayload(into w: inout ByteWriter) {
        switch payload {
        case .hypercall(let h):
            w.put(h.nr)
            for a in h.args { w.put(a) }
            w.put(h.ret)
            w.put(bytes: h.data)
        case .cpuid(let c):
            for v in [c.leaf, c.subleaf, c.eax, c.ebx, c.ecx, c.edx] { w.put(v) }
        case .rdtsc(let tsc):
            w.put(tsc); w.put(UInt32(0)); w.put(UInt32(0))
        case .rdtscp(let tsc, let aux):
            w.put(tsc); w.put(aux); w.put(UInt32(0))
        case .msrRead(let index, let value), .msrWrite(let index, let value):
            w.put(index); w.put(UInt32(0)); w.put(value)
        case .hlt, .pause:
            break
        case .io(let io):
            w.put(io.port); w.put(io.size); w.put(io.direction); w.put(io.count); w.put(io.value)
            w.put(bytes: io.data)
        case .mmio(let m):
            w.put(m.gpa); w.put(m.size); w.put(m.direction); w.zeros(2); w.put(m.count); w.put(m.value)
            w.put(bytes: m.data)
        case .exception(let e):
            w.put(e.vector); w.zeros(3); w.put(e.errorCode); w.put(e.cr2)
        case .interrupt(let i):
            w.put(i.kind.rawValue); w.put(i.vector); w.put(UInt16(0)); w.put(i.port); w.put(UInt64(0))
            if let s = i.signature {
                for v in s.values { w.put(v) }
                w.put(s.cr3); w.put(s.cpl); w.put(UInt32(0))
            }
        case .memory(let m):
            w.put(m.gpa); w.put(m.kind.rawValue); w.put(UInt32(m.data.count)); w.put(bytes: m.data)
        case .ttioInput(let t):
            w.put(t.device.rawValue); w.put(UInt32(t.data.count)); w.put(t.cookie); w.put(bytes: t.data)
        case .domainStart(let s):
            w.put(s.interfaceVersion); w.put(UInt16(s.mode.rawValue)); w.put(s.vcpus)
            w.put(s.attachFlags); w.put(s.boundMicroseconds); w.put(s.counter.rawValue); w.put(UInt32(0))
            w.put(s.memoryKB); w.put(s.tscKHz)
        case .divergence(let d):
            w.put(d.expectedType); w.put(d.actualType); w.put(d.reason.rawValue)
            for p in [d.expected, d.actual] {
                w.put(p.landmark); w.put(p.rip); w.put(p.rcx); w.put(p.branches ?? 0)
            }
        case .end(let e):
            w.put(e.reason.rawValue); w.put(e.code); w.put(e.landmarks); w.put(e.bySignature)
        }
    }
}

// MARK: - Decoding

/// A record as it lies in a chunk: header fields and a view of the payload.
/// Valid only while the chunk buffer it points into is.
public struct RawRecord {
    public let type: UInt16
    public let flags: UInt16
    public let position: Position
    public let payload: UnsafeRawBufferPointer
    /// Offset of the record inside its chunk's uncompressed data.
    public let offsetInChunk: Int
    /// The whole record: header, payload, padding.
    public let bytes: UnsafeRawBufferPointer
    /// `TT_REC_SIZE(payload.count)`.
    public var size: Int { TTABI.recordSize(payloadLength: payload.count) }
}

/// Why a record could not be decoded.
public struct RecordError: Error, Equatable, CustomStringConvertible {
    public let description: String
    init(_ d: String) { description = d }
}

extension RawRecord {
    /// Checks every rule of tt.h (sizes, padding, flags, kinds) without
    /// decoding: `Record(raw)` succeeds exactly when this does, with the
    /// same error.  Returns the record's type.
    public func check() throws(RecordError) -> RecordType {
        guard let type = RecordType.of(self.type) else {
            throw RecordError("unknown record type \(hex(UInt64(self.type), width: 4))")
        }
        let flags = RecordFlags(rawValue: self.flags)
        guard flags.isSubset(of: .all) else {
            throw RecordError("\(type.name) record has unknown flags \(hex(UInt64(self.flags), width: 4))")
        }
        if !flags.contains(.branches), position.branches != nil {
            throw RecordError("\(type.name) record has a branch count without TT_RECF_BRANCHES")
        }
        let p = payload
        let fixed = type.fixedPayloadSize
        if type == .domainStart, p.count >= 4, p.le(0, as: UInt32.self) < TTABI.interfaceVersion, p.count != fixed {
            throw RecordError("DOMAIN_START of time-travel interface version \(p.le(0, as: UInt32.self)) "
                              + "(\(p.count) bytes): this tool reads version \(TTABI.interfaceVersion) logs only")
        }
        guard p.count >= fixed else {
            throw RecordError("\(type.name) payload is \(p.count) bytes, needs at least \(fixed)")
        }
        let variable: Bool
        switch type {
        case .hypercall, .io, .mmio, .memory, .ttioInput: variable = true
        default: variable = false
        }
        if flags.contains(.signature) && type != .interrupt {
            throw RecordError("\(type.name) record has TT_RECF_SIGNATURE")
        }
        if type == .interrupt {
            let want = fixed + (flags.contains(.signature) ? TTABI.registersSize : 0)
            guard p.count == want else {
                throw RecordError("INTERRUPT payload is \(p.count) bytes, expected \(want)")
            }
        } else if !variable, p.count != fixed {
            throw RecordError("\(type.name) payload is \(p.count) bytes, expected \(fixed)")
        }
        func zero(_ offset: Int, _ n: Int) throws(RecordError) {
            // One load for the usual widths; bytes only to name the first non-zero one.
            if n == 8, p.le(offset, as: UInt64.self) == 0 { return }
            if n == 4, p.le(offset, as: UInt32.self) == 0 { return }
            for i in offset..<offset + n where p[i] != 0 {
                throw RecordError("\(type.name) record has non-zero padding at payload byte \(i)")
            }
        }
        switch type {
        case .hypercall, .cpuid, .hlt, .pause:
            break
        case .rdtsc:
            try zero(8, 8)
        case .rdtscp:
            try zero(12, 4)
        case .msrRead, .msrWrite:
            try zero(4, 4)
        case .io:
            let size: UInt8 = p.le(2), dir: UInt8 = p.le(3)
            guard size == 1 || size == 2 || size == 4, dir <= 1 else {
                throw RecordError("IO record has size \(size) direction \(dir)")
            }
        case .mmio:
            try zero(10, 2)
            let size: UInt8 = p.le(8), dir: UInt8 = p.le(9)
            guard size == 1 || size == 2 || size == 4 || size == 8, dir <= 1 else {
                throw RecordError("MMIO record has size \(size) direction \(dir)")
            }
        case .exception:
            try zero(1, 3)
            let v: UInt8 = p.le(0)
            guard v < 32 else { throw RecordError("EXCEPTION record has vector \(v)") }
        case .interrupt:
            try zero(2, 2); try zero(8, 8)
            guard InterruptKind(rawValue: p.le(0)) != nil else {
                throw RecordError("INTERRUPT record has unknown kind \(p.le(0, as: UInt8.self))")
            }
            if flags.contains(.signature) {
                // struct xen_tt_regs: 18 registers, cr3, cpl, pad (zero).
                let cpl: UInt32 = p.le(16 + 152)
                try zero(16 + 156, 4)
                guard cpl <= 3 else { throw RecordError("INTERRUPT signature has cpl \(cpl)") }
            }
        case .memory:
            guard MemoryKind(rawValue: p.le(8)) != nil else {
                throw RecordError("MEMORY record has unknown kind \(p.le(8, as: UInt32.self))")
            }
            let len: UInt32 = p.le(12)
            guard Int(len) == p.count - 16 else {
                throw RecordError("MEMORY record says \(len) bytes, carries \(p.count - 16)")
            }
        case .ttioInput:
            guard TTIODevice(rawValue: p.le(0)) != nil else {
                throw RecordError("TTIO_INPUT record has unknown device \(p.le(0, as: UInt32.self))")
            }
            let len: UInt32 = p.le(4)
            guard Int(len) == p.count - 16 else {
                throw RecordError("TTIO_INPUT record says \(len) bytes, carries \(p.count - 16)")
            }
        case .domainStart:
            try zero(20, 4)
            guard Mode(rawValue: UInt32(p.le(4, as: UInt16.self))) != nil else {
                throw RecordError("DOMAIN_START record has unknown mode \(p.le(4, as: UInt16.self))")
            }
        case .divergence:
            guard DivergenceReason(rawValue: p.le(4)) != nil else {
                throw RecordError("DIVERGENCE record has unknown reason \(p.le(4, as: UInt32.self))")
            }
        case .end:
            guard EndReason(rawValue: p.le(0)) != nil else {
                throw RecordError("END record has unknown reason \(p.le(0, as: UInt32.self))")
            }
        }
        return type
    }

    /// The type of the record at `r` (its header, then `payloadLength` bytes
    /// of payload) when it certainly passes `check()`: the common records of
    /// the common types, checked in a few loads.  nil: ask `check()`, which
    /// decides (and says what is wrong).  Accepts nothing `check()` refuses.
    @inlinable @inline(__always)
    public static func quickType(_ r: UnsafeRawPointer, payloadLength len: Int) -> RecordType? {
        @inline(__always) func u8(_ o: Int) -> UInt8 { r.load(fromByteOffset: TTABI.recordHeaderSize + o, as: UInt8.self) }
        @inline(__always) func u32(_ o: Int) -> UInt32 {
            UInt32(littleEndian: r.loadUnaligned(fromByteOffset: TTABI.recordHeaderSize + o, as: UInt32.self))
        }
        @inline(__always) func u64(_ o: Int) -> UInt64 {
            UInt64(littleEndian: r.loadUnaligned(fromByteOffset: TTABI.recordHeaderSize + o, as: UInt64.self))
        }
        let type = UInt16(littleEndian: r.loadUnaligned(as: UInt16.self))
        let flags = UInt16(littleEndian: r.loadUnaligned(fromByteOffset: 2, as: UInt16.self))
        let branches = UInt64(littleEndian: r.loadUnaligned(fromByteOffset: 32, as: UInt64.self))
        // Known flags only; a count only with TT_RECF_BRANCHES.
        guard flags & ~RecordFlags.all.rawValue == 0,
              flags & RecordFlags.branches.rawValue != 0 || branches == 0 else { return nil }
        let signature = flags & RecordFlags.signature.rawValue != 0
        if signature {
            // An interrupt placed by signature: xen_tt_regs after the payload,
            // cpl at most 3, its padding zero.
            guard type == RecordType.interrupt.rawValue, len == 16 + TTABI.registersSize,
                  InterruptKind(rawValue: u8(0)) != nil, u8(2) == 0, u8(3) == 0, u64(8) == 0,
                  u32(16 + 152) <= 3, u32(16 + 156) == 0 else { return nil }
            return .interrupt
        }
        switch type {
        case RecordType.rdtsc.rawValue:
            return len == 16 && u64(8) == 0 ? .rdtsc : nil
        case RecordType.pause.rawValue:
            return len == 0 ? .pause : nil
        case RecordType.hlt.rawValue:
            return len == 0 ? .hlt : nil
        case RecordType.hypercall.rawValue:
            return len >= 64 ? .hypercall : nil
        case RecordType.rdtscp.rawValue:
            return len == 16 && u32(12) == 0 ? .rdtscp : nil
        case RecordType.msrRead.rawValue:
            return len == 16 && u32(4) == 0 ? .msrRead : nil
        case RecordType.msrWrite.rawValue:
            return len == 16 && u32(4) == 0 ? .msrWrite : nil
        case RecordType.cpuid.rawValue:
            return len == 24 ? .cpuid : nil
        case RecordType.exception.rawValue:
            return len == 16 && u8(0) < 32 && u8(1) == 0 && u8(2) == 0 && u8(3) == 0 ? .exception : nil
        case RecordType.interrupt.rawValue:
            return len == 16 && InterruptKind(rawValue: u8(0)) != nil && u8(2) == 0 && u8(3) == 0 && u64(8) == 0
                ? .interrupt : nil
        case RecordType.memory.rawValue:
            return len >= 16 && MemoryKind(rawValue: u32(8)) != nil && Int(u32(12)) == len - 16 ? .memory : nil
        case RecordType.ttioInput.rawValue:
            return len >= 16 && TTIODevice(rawValue: u32(0)) != nil && Int(u32(4)) == len - 16 ? .ttioInput : nil
        case RecordType.io.rawValue:
            let size = u8(2)
            return len >= 16 && (size == 1 || size == 2 || size == 4) && u8(3) <= 1 ? .io : nil
        default:
            return nil      // MMIO, DOMAIN_START, DIVERGENCE, END and unknown types: check()
        }
    }

    /// Whether the padding after the payload (to `TT_REC_ALIGN`) is zero:
    /// with `check()`, whether the record re-encodes to its own bytes.
    @inlinable
    public var paddingIsZero: Bool {
        var i = TTABI.recordHeaderSize + payload.count
        while i < bytes.count {
            if bytes[i] != 0 { return false }
            i += 1
        }
        return true
    }
}

extension Record {
    /// Decodes a record, checking every rule of tt.h (sizes, padding, flags):
    /// `RawRecord.check()`, then the values.
    public init(_ raw: RawRecord) throws(RecordError) {
        let type = try raw.check()
        let flags = RecordFlags(rawValue: raw.flags)
        let p = raw.payload
        func tail(_ from: Int) -> [UInt8] { Array(UnsafeRawBufferPointer(rebasing: p[from...])) }
        func pos(_ o: Int) -> Position {
            Position(landmark: p.le(o), rip: p.le(o + 8), rcx: p.le(o + 16),
                     branches: p.le(o + 24, as: UInt64.self) == 0 ? nil : p.le(o + 24))
        }

        let payload: Payload
        switch type {
        case .hypercall:
            payload = .hypercall(Hypercall(nr: p.le(0), args: (0..<6).map { p.le(8 + 8 * $0) },
                                           ret: p.le(56), data: tail(64)))
        case .cpuid:
            payload = .cpuid(CPUID(leaf: p.le(0), subleaf: p.le(4), eax: p.le(8), ebx: p.le(12),
                                   ecx: p.le(16), edx: p.le(20)))
        case .rdtsc:
            payload = .rdtsc(tsc: p.le(0))
        case .rdtscp:
            payload = .rdtscp(tsc: p.le(0), aux: p.le(8))
        case .msrRead, .msrWrite:
            payload = type == .msrRead ? .msrRead(index: p.le(0), value: p.le(8))
                                       : .msrWrite(index: p.le(0), value: p.le(8))
        case .hlt: payload = .hlt
        case .pause: payload = .pause
        case .io:
            payload = .io(PortIO(port: p.le(0), size: p.le(2), direction: p.le(3), count: p.le(4),
                                 value: p.le(8), data: tail(16)))
        case .mmio:
            payload = .mmio(MMIO(gpa: p.le(0), size: p.le(8), direction: p.le(9), count: p.le(12),
                                 value: p.le(16), data: tail(24)))
        case .exception:
            payload = .exception(GuestException(vector: p.le(0), errorCode: p.le(4), cr2: p.le(8)))
        case .interrupt:
            var sig: Registers? = nil
            if flags.contains(.signature) {
                sig = Registers(values: (0..<18).map { p.le(16 + 8 * $0) }, cr3: p.le(16 + 144), cpl: p.le(16 + 152))
            }
            payload = .interrupt(Interrupt(kind: InterruptKind(rawValue: p.le(0))!, vector: p.le(1), port: p.le(4),
                                           signature: sig))
        case .memory:
            payload = .memory(MemoryUpdate(gpa: p.le(0), kind: MemoryKind(rawValue: p.le(8))!, data: tail(16)))
        case .ttioInput:
            payload = .ttioInput(TTIOInput(device: TTIODevice(rawValue: p.le(0))!, cookie: p.le(8), data: tail(16)))
        case .domainStart:
            payload = .domainStart(DomainStart(interfaceVersion: p.le(0), mode: Mode(rawValue: UInt32(p.le(4, as: UInt16.self)))!,
                                               vcpus: p.le(6), attachFlags: p.le(8), boundMicroseconds: p.le(12),
                                               counter: Counter(rawValue: p.le(16)),
                                               memoryKB: p.le(24), tscKHz: p.le(32)))
        case .divergence:
            payload = .divergence(Divergence(expectedType: p.le(0), actualType: p.le(2),
                                             reason: DivergenceReason(rawValue: p.le(4))!,
                                             expected: pos(8), actual: pos(40)))
        case .end:
            payload = .end(End(reason: EndReason(rawValue: p.le(0))!, code: p.le(4), landmarks: p.le(8), bySignature: p.le(16)))
        }
        self.init(payload, at: raw.position, outside: flags.contains(.outside))
    }
}
