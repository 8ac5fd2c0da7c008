// The lines of ttd-read-log written straight from a record's bytes.
//
// `RecordFormatter` prints a checked `RawRecord` (`RawRecord.check()`) into
// a `TextBuffer`, byte for byte what `Record.shortLine`, `infoLine`,
// `verboseLines` and `json` of Format.swift print for the decoded record,
// without decoding it: no Record, no String, no allocation per record.
// Format.swift stays the reference (diff, the tests); the tests compare the
// two over records of every type.

import TTLog

/// A record in place: its bytes in a chunk, read field by field.  The
/// record was checked (`RawRecord.check()`), and its framing: the payload
/// and padding lie inside the chunk.
@usableFromInline
struct RecordBytes {
    @usableFromInline let p: UnsafeRawPointer

    @inlinable init(_ p: UnsafeRawPointer) { self.p = p }

    @inline(__always) func u64(_ o: Int) -> UInt64 { UInt64(littleEndian: p.loadUnaligned(fromByteOffset: o, as: UInt64.self)) }
    @inline(__always) var type: UInt16 { UInt16(littleEndian: p.loadUnaligned(as: UInt16.self)) }
    @inline(__always) var flags: UInt16 { UInt16(littleEndian: p.loadUnaligned(fromByteOffset: 2, as: UInt16.self)) }
    @inline(__always) var payloadLength: Int { Int(UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 4, as: UInt32.self))) }
    @inline(__always) var landmark: UInt64 { u64(8) }
    @inline(__always) var rip: UInt64 { u64(16) }
    @inline(__always) var rcx: UInt64 { u64(24) }
    /// `pos.branches` when the record has a count (after the checks: exactly
    /// when it has `TT_RECF_BRANCHES`).
    @inline(__always) var branches: UInt64? { flags & RecordFlags.branches.rawValue != 0 ? u64(32) : nil }
    @inline(__always) var outside: Bool { flags & RecordFlags.outside.rawValue != 0 }
    @inline(__always) var payload: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: p + TTABI.recordHeaderSize, count: payloadLength)
    }
    /// `TT_REC_SIZE(payload_len)`.
    @inline(__always) var size: Int { TTABI.recordSize(payloadLength: payloadLength) }
}

/// Writes the lines of records, one style, straight from their bytes.
public struct RecordFormatter {
    public enum Style: Sendable {
        /// `shortLine`: position and type.
        case short
        /// `infoLine` (-i): position, type and decoded payload.
        case info
        /// `infoLine`, then `verboseLines` (-v).
        case verbose
        /// `json()` (--json).
        case json
        /// `json(verbose: true)` (--json -v): with the record's bytes in hex.
        case jsonVerbose
    }

    public var style: Style
    /// DOMAIN_START's counter: labels the count `n:` (instructions) or `br:`.
    public var counter: Counter

    public init(style: Style, counter: Counter) {
        self.style = style
        self.counter = counter
    }

    /// An upper bound of the bytes the lines of a record with `payloadLength`
    /// bytes of payload take, in any style.
    @inlinable
    public static func bound(payloadLength: Int) -> Int { 4096 + 8 * payloadLength }

    /// Appends the record's line(s), each with its newline.  `type` is what
    /// `raw.check()` returned: the record must have passed it.
    public func append(_ raw: RawRecord, _ type: RecordType, to buffer: TextBuffer) {
        append(RecordBytes(raw.bytes.baseAddress!), type, buffer)
    }

    /// Appends the lines of every record of a checked chunk, calling `flush`
    /// whenever the buffer holds `flushAbove` bytes or more.
    public func append(_ chunk: CheckedChunk, to buffer: TextBuffer, flushAbove: Int, _ flush: () -> Void) {
        guard let base = chunk.bytes.baseAddress else { return }
        for i in 0..<chunk.count {
            append(RecordBytes(base + chunk.offsets[i]), chunk.types[i], buffer)
            if buffer.count >= flushAbove { flush() }
        }
    }

    /// Appends the lines of every record of a checked chunk.
    public func append(_ chunk: CheckedChunk, to buffer: TextBuffer) {
        guard let base = chunk.bytes.baseAddress else { return }
        // One loop per style: no style switch per record.
        switch style {
        case .short: each(chunk, base, buffer) { w, r, t in shortLine(&w, r, t) }
        case .info: each(chunk, base, buffer) { w, r, t in infoLine(&w, r, t) }
        case .json: each(chunk, base, buffer) { w, r, t in json(&w, r, t, hex: false) }
        case .verbose, .jsonVerbose:
            for i in 0..<chunk.count { append(RecordBytes(base + chunk.offsets[i]), chunk.types[i], buffer) }
        }
    }

    @inline(__always)
    private func each(_ chunk: CheckedChunk, _ base: UnsafeRawPointer, _ buffer: TextBuffer,
                      _ line: (inout TextWriter, RecordBytes, RecordType) -> Void) {
        for i in 0..<chunk.count {
            let r = RecordBytes(base + chunk.offsets[i])
            var w = buffer.writer(reserving: RecordFormatter.bound(payloadLength: r.payloadLength))
            line(&w, r, chunk.types[i])
            buffer.commit(w)
        }
    }

    @inline(__always)
    private func append(_ r: RecordBytes, _ type: RecordType, _ buffer: TextBuffer) {
        var w = buffer.writer(reserving: RecordFormatter.bound(payloadLength: r.payloadLength))
        switch style {
        case .short: shortLine(&w, r, type)
        case .info: infoLine(&w, r, type)
        case .verbose: infoLine(&w, r, type); verboseLines(&w, r, type)
        case .json: json(&w, r, type, hex: false)
        case .jsonVerbose: json(&w, r, type, hex: true)
        }
        buffer.commit(w)
    }

    @inline(__always)
    private var instructions: Bool { counter == .instructions }

    @inline(__always)
    private func count(_ w: inout TextWriter, _ b: UInt64) {
        if instructions { w.put(" n:") } else { w.put(" br:") }
        w.decimal(b)
    }

    /// "lm:L ip:RIP[ rcx:RCX][ n:COUNT] TYPE", the start of every line.
    @inline(__always)
    private func position(_ w: inout TextWriter, _ r: RecordBytes, _ type: RecordType, rcx: Bool) {
        w.put("lm:")
        w.decimal(r.landmark)
        w.put(" ip:")
        w.hex16(r.rip)
        if rcx {
            w.put(" rcx:")
            w.hex16(r.rcx)
        }
        if let b = r.branches { count(&w, b) }
        w.byte(0x20)
        w.put(name: type)
    }

    private func shortLine(_ w: inout TextWriter, _ r: RecordBytes, _ type: RecordType) {
        position(&w, r, type, rcx: false)
        w.byte(0x0a)
    }

    private func infoLine(_ w: inout TextWriter, _ r: RecordBytes, _ type: RecordType) {
        position(&w, r, type, rcx: true)
        if r.outside { w.put(" [outside]") }
        var f = FieldWriter<InfoFields>(w: w, instructions: instructions)
        payloadFields(&f, r, type)
        w = f.w
        w.byte(0x0a)
    }

    private func verboseLines(_ w: inout TextWriter, _ r: RecordBytes, _ type: RecordType) {
        w.put("    type=")
        w.hex(UInt64(r.type), width: 4)
        w.put(" flags=")
        w.hex(UInt64(r.flags), width: 4)
        w.put(" payload_len=")
        w.decimal(UInt64(r.payloadLength))
        if instructions { w.put(" instructions=") } else { w.put(" branches=") }
        if let b = r.branches { w.decimal(b) } else { w.put("invalid") }
        w.byte(0x0a)
        var f = FieldWriter<VerboseFields>(w: w, instructions: instructions)
        payloadFields(&f, r, type)
        w = f.w
        // The payload as it re-encodes: its bytes, then zeros to the alignment.
        let total = r.size - TTABI.recordHeaderSize
        let p = r.payload
        var o = 0
        while o < total {
            w.put("    ")
            w.hex(UInt64(o), width: 4)
            w.byte(0x3a)
            let end = min(o + 16, total)
            var i = o
            while i < end {
                w.byte(0x20)
                w.hexByte(i < p.count ? p[i] : 0)
                i += 1
            }
            w.byte(0x0a)
            o += 16
        }
    }

    private func json(_ w: inout TextWriter, _ r: RecordBytes, _ type: RecordType, hex: Bool) {
        w.put("{\"type\":\"")
        w.put(name: type)
        w.put("\",\"landmark\":")
        w.decimal(r.landmark)
        w.put(",\"rip\":\"")
        w.hex16(r.rip)
        w.put("\",\"rcx\":\"")
        w.hex16(r.rcx)
        w.put("\",\"branches\":")
        if let b = r.branches { w.decimal(b) } else { w.put("null") }
        if r.outside { w.put(",\"outside\":true") }
        w.put(",\"payload\":{")
        var f = FieldWriter<JSONFields>(w: w, instructions: false)
        payloadFields(&f, r, type)
        w = f.w
        w.byte(0x7d)
        if hex {
            // The record as it re-encodes: its bytes, zeros to the alignment.
            w.put(",\"hex\":\"")
            let used = TTABI.recordHeaderSize + r.payloadLength
            w.hexBytes(UnsafeRawBufferPointer(start: r.p, count: used))
            var i = used
            while i < r.size { w.put("00"); i += 1 }
            w.byte(0x22)
        }
        w.put("}\n")
    }

    /// The fields of `Record.fields`, in its order, straight from the payload.
    private func payloadFields<S: FieldStyle>(_ f: inout FieldWriter<S>, _ r: RecordBytes, _ type: RecordType) {
        let p = r.payload
        switch type {
        case .hypercall:
            f.unsigned("nr", p.le(0))
            f.hex("a1", p.le(8), 1); f.hex("a2", p.le(16), 1); f.hex("a3", p.le(24), 1)
            f.hex("a4", p.le(32), 1); f.hex("a5", p.le(40), 1); f.hex("a6", p.le(48), 1)
            f.signed("ret", p.le(56))
            if p.count > 64 { f.bytes("data", UnsafeRawBufferPointer(rebasing: p[64...])) }
        case .cpuid:
            f.hex("leaf", UInt64(p.le(0, as: UInt32.self)), 8)
            f.hex("subleaf", UInt64(p.le(4, as: UInt32.self)), 1)
            f.hex("eax", UInt64(p.le(8, as: UInt32.self)), 8)
            f.hex("ebx", UInt64(p.le(12, as: UInt32.self)), 8)
            f.hex("ecx", UInt64(p.le(16, as: UInt32.self)), 8)
            f.hex("edx", UInt64(p.le(20, as: UInt32.self)), 8)
        case .rdtsc:
            f.hex("tsc", p.le(0), 16)
        case .rdtscp:
            f.hex("tsc", p.le(0), 16)
            f.hex("aux", UInt64(p.le(8, as: UInt32.self)), 1)
        case .msrRead, .msrWrite:
            f.hex("msr", UInt64(p.le(0, as: UInt32.self)), 8)
            f.hex("value", p.le(8), 16)
        case .hlt, .pause:
            break
        case .io:
            f.hex("port", UInt64(p.le(0, as: UInt16.self)), 4)
            f.unsigned("size", UInt64(p.le(2, as: UInt8.self)))
            f.text("dir", p.le(3, as: UInt8.self) == 1 ? "in" : "out")
            f.unsigned("count", UInt64(p.le(4, as: UInt32.self)))
            f.hex("value", p.le(8), 1)
            if p.count > 16 { f.bytes("data", UnsafeRawBufferPointer(rebasing: p[16...])) }
        case .mmio:
            f.hex("gpa", p.le(0), 1)
            f.unsigned("size", UInt64(p.le(8, as: UInt8.self)))
            f.text("dir", p.le(9, as: UInt8.self) == 1 ? "read" : "write")
            let count = p.le(12, as: UInt32.self)
            if count != 0 { f.unsigned("count", UInt64(count)) }
            f.hex("value", p.le(16), 1)
            if p.count > 24 { f.bytes("data", UnsafeRawBufferPointer(rebasing: p[24...])) }
        case .exception:
            f.unsigned("vector", UInt64(p.le(0, as: UInt8.self)))
            f.hex("error", UInt64(p.le(4, as: UInt32.self)), 1)
            f.hex("cr2", p.le(8), 16)
        case .interrupt:
            f.text("kind", InterruptKind(rawValue: p.le(0))?.staticName ?? "?")
            f.hex("vector", UInt64(p.le(1, as: UInt8.self)), 2)
            f.unsigned("port", UInt64(p.le(4, as: UInt32.self)))
            let signature = r.flags & RecordFlags.signature.rawValue != 0
            f.text("placed", signature ? "signature" : "landmark")
            if signature && f.style != .info {
                f.hex("rax", p.le(16), 16); f.hex("rbx", p.le(24), 16); f.hex("rcx", p.le(32), 16)
                f.hex("rdx", p.le(40), 16); f.hex("rsi", p.le(48), 16); f.hex("rdi", p.le(56), 16)
                f.hex("rbp", p.le(64), 16); f.hex("rsp", p.le(72), 16); f.hex("r8", p.le(80), 16)
                f.hex("r9", p.le(88), 16); f.hex("r10", p.le(96), 16); f.hex("r11", p.le(104), 16)
                f.hex("r12", p.le(112), 16); f.hex("r13", p.le(120), 16); f.hex("r14", p.le(128), 16)
                f.hex("r15", p.le(136), 16); f.hex("rip", p.le(144), 16); f.hex("rflags", p.le(152), 16)
                f.hex("cr3", p.le(160), 16)
                f.unsigned("cpl", UInt64(p.le(168, as: UInt32.self)))
            }
        case .memory:
            f.hex("gpa", p.le(0), 1)
            f.text("kind", MemoryKind(rawValue: p.le(8))?.staticName ?? "?")
            f.bytes("data", UnsafeRawBufferPointer(rebasing: p[16...]))
        case .ttioInput:
            let device = TTIODevice(rawValue: p.le(0))
            f.text("device", device?.staticName ?? "?")
            if device == .block { f.unsigned("sector", p.le(8)) }
            f.bytes("data", UnsafeRawBufferPointer(rebasing: p[16...]))
        case .domainStart:
            f.unsigned("version", UInt64(p.le(0, as: UInt32.self)))
            f.text("mode", Mode(rawValue: UInt32(p.le(4, as: UInt16.self)))?.staticName ?? "?")
            f.unsigned("vcpus", UInt64(p.le(6, as: UInt16.self)))
            f.hex("flags", UInt64(p.le(8, as: UInt32.self)), 1)
            f.unsigned("bound_us", UInt64(p.le(12, as: UInt32.self)))
            f.counter("counter", Counter(rawValue: p.le(16)))
            f.unsigned("memory_kb", p.le(24))
            f.unsigned("tsc_khz", p.le(32))
        case .divergence:
            f.text("reason", DivergenceReason(rawValue: p.le(4))?.staticName ?? "?")
            f.typeName("expected", p.le(0))
            f.typeName("actual", p.le(2))
            f.position(expected: true, p, 8)
            f.position(expected: false, p, 40)
        case .end:
            f.text("reason", EndReason(rawValue: p.le(0))?.staticName ?? "?")
            f.unsigned("code", UInt64(p.le(4, as: UInt32.self)))
            f.unsigned("landmarks", p.le(8))
            f.unsigned("by_signature", p.le(16))
        }
    }
}

/// The style of `FieldWriter`, a type: the writer is specialized for each.
protocol FieldStyle { static var style: FieldWriterStyle { get } }
enum FieldWriterStyle { case info, verbose, json }
enum InfoFields: FieldStyle { static var style: FieldWriterStyle { .info } }
enum VerboseFields: FieldStyle { static var style: FieldWriterStyle { .verbose } }
enum JSONFields: FieldStyle { static var style: FieldWriterStyle { .json } }

/// One payload field at a time, in the style of a line: ` name=value` (-i),
/// `    name=value` lines (-v), `"name":value` (JSON).
struct FieldWriter<S: FieldStyle> {
    var w: TextWriter
    var style: FieldWriterStyle { S.style }
    /// Text names a divergence's `_br` fields `_n` with the instruction counter.
    let instructions: Bool
    var first = true

    @inline(__always)
    mutating func name(_ n: StaticString) {
        switch style {
        case .info:
            w.byte(0x20); w.put(n); w.byte(0x3d)
        case .verbose:
            w.put("    "); w.put(n); w.byte(0x3d)
        case .json:
            if !first { w.byte(0x2c) }
            first = false
            w.byte(0x22); w.put(n); w.put("\":")
        }
    }

    @inline(__always)
    mutating func end() { if style == .verbose { w.byte(0x0a) } }

    @inline(__always)
    mutating func unsigned(_ n: StaticString, _ v: UInt64) {
        name(n); w.decimal(v); end()
    }

    @inline(__always)
    mutating func signed(_ n: StaticString, _ v: Int64) {
        name(n); w.signed(v); end()
    }

    @inline(__always)
    mutating func hex(_ n: StaticString, _ v: UInt64, _ width: Int) {
        name(n)
        if style == .json { w.byte(0x22) }
        if width == 16 { w.hex16(v) } else { w.hex(v, width: width) }
        if style == .json { w.byte(0x22) }
        end()
    }

    /// A name of the ABI's: nothing to escape in JSON.
    @inline(__always)
    mutating func text(_ n: StaticString, _ s: StaticString) {
        name(n)
        if style == .json {
            w.byte(0x22); w.put(s); w.byte(0x22)
        } else {
            w.put(s)
        }
        end()
    }

    mutating func counter(_ n: StaticString, _ c: Counter) {
        name(n)
        if style == .json { w.byte(0x22) }
        switch c {
        case .none: w.put("none")
        case .instructions: w.put("icount")
        case .branches: w.put("branches")
        case .unknown(let v): w.put("unknown("); w.decimal(UInt64(v)); w.byte(0x29)
        }
        if style == .json { w.byte(0x22) }
        end()
    }

    /// A record type's name, or its number in hex when this tool does not know it.
    mutating func typeName(_ n: StaticString, _ t: UInt16) {
        name(n)
        if style == .json { w.byte(0x22) }
        if let type = RecordType(rawValue: t) { w.put(type.staticName) } else { w.hex(UInt64(t), width: 4) }
        if style == .json { w.byte(0x22) }
        end()
    }

    mutating func bytes(_ n: StaticString, _ b: UnsafeRawBufferPointer) {
        switch style {
        case .info:
            name(n)
            w.decimal(UInt64(b.count)); w.byte(0x3a)
            w.quoted(b, limit: 48)
        case .verbose:
            w.put("    "); w.put(n); w.put(": ")
            w.decimal(UInt64(b.count)); w.put(" bytes ")
            w.quoted(b, limit: 256)
            w.byte(0x0a)
        case .json:
            name(n)
            w.byte(0x22); w.hexBytes(b); w.byte(0x22)
        }
    }

    /// A divergence's position at payload offset `o`: `expected_lm`, `_ip`,
    /// `_rcx` and, with a count, `_br` (`_n` in text with the instruction counter).
    mutating func position(expected: Bool, _ p: UnsafeRawBufferPointer, _ o: Int) {
        unsigned(expected ? "expected_lm" : "actual_lm", p.le(o))
        hex(expected ? "expected_ip" : "actual_ip", p.le(o + 8), 16)
        hex(expected ? "expected_rcx" : "actual_rcx", p.le(o + 16), 16)
        let b: UInt64 = p.le(o + 24)
        if b != 0 {
            if instructions && style != .json {
                unsigned(expected ? "expected_n" : "actual_n", b)
            } else {
                unsigned(expected ? "expected_br" : "actual_br", b)
            }
        }
    }
}

// The names of the ABI's values as constant bytes, for the writer.

extension TextWriter {
    /// A record type's name (`RecordType.name`): 16 bytes copied from a
    /// table, the pointer moved by the name's length (the 16 bytes of room
    /// after it are scribbled on).
    @inlinable @inline(__always)
    public mutating func put(name type: RecordType) {
        let e = UnsafeRawPointer(RecordType.paddedNames.utf8Start) + 16 * type.nameSlot
        let a = e.loadUnaligned(as: UInt64.self)
        let b = e.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
        UnsafeMutableRawPointer(p).storeBytes(of: a, as: UInt64.self)
        UnsafeMutableRawPointer(p).storeBytes(of: b, toByteOffset: 8, as: UInt64.self)
        p += Int(e.load(fromByteOffset: 15, as: UInt8.self))
    }
}

extension RecordType {
    /// Every type's name in 16 bytes: the name, zeros, its length in the last byte.
    @usableFromInline
    static var paddedNames: StaticString { "HYPERCALL\0\0\0\0\0\0\u{9}CPUID\0\0\0\0\0\0\0\0\0\0\u{5}RDTSC\0\0\0\0\0\0\0\0\0\0\u{5}RDTSCP\0\0\0\0\0\0\0\0\0\u{6}MSR_READ\0\0\0\0\0\0\0\u{8}MSR_WRITE\0\0\0\0\0\0\u{9}HLT\0\0\0\0\0\0\0\0\0\0\0\0\u{3}PAUSE\0\0\0\0\0\0\0\0\0\0\u{5}IO\0\0\0\0\0\0\0\0\0\0\0\0\0\u{2}MMIO\0\0\0\0\0\0\0\0\0\0\0\u{4}EXCEPTION\0\0\0\0\0\0\u{9}INTERRUPT\0\0\0\0\0\0\u{9}MEMORY\0\0\0\0\0\0\0\0\0\u{6}TTIO_INPUT\0\0\0\0\0\u{a}DOMAIN_START\0\0\0\u{c}DIVERGENCE\0\0\0\0\0\u{a}END\0\0\0\0\0\0\0\0\0\0\0\0\u{3}" }

    /// The type's entry in `paddedNames`.
    @inlinable @inline(__always)
    var nameSlot: Int {
        switch self {
        case .hypercall: return 0
        case .cpuid: return 1
        case .rdtsc: return 2
        case .rdtscp: return 3
        case .msrRead: return 4
        case .msrWrite: return 5
        case .hlt: return 6
        case .pause: return 7
        case .io: return 8
        case .mmio: return 9
        case .exception: return 10
        case .interrupt: return 11
        case .memory: return 12
        case .ttioInput: return 13
        case .domainStart: return 14
        case .divergence: return 15
        case .end: return 16
        }
    }
}
