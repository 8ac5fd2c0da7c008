// The named values of a record: its payload field by field, in ABI order
// (`Record.fields`), which diffLogs compares and names.  Their text and
// JSON renderings are ttd-read-log's (TTRender: Format.swift, FastFormat.swift).

/// A named value of a record, for field-by-field diffs (and the renderings of TTRender).
public enum FieldValue: Hashable, Sendable {
    case unsigned(UInt64)
    case signed(Int64)
    case hex(UInt64, width: Int)
    case text(String)
    case bytes([UInt8])

    public var text: String {
        switch self {
        case .unsigned(let v): return String(v)
        case .signed(let v): return String(v)
        case .hex(let v, let w): return TTLog.hex(v, width: w)
        case .text(let s): return s
        case .bytes(let b): return "\(b.count):" + quoted(b, limit: 48)
        }
    }
}

public struct Field: Hashable, Sendable {
    public let name: String
    public let value: FieldValue
    package init(_ name: String, _ value: FieldValue) { self.name = name; self.value = value }
}

/// Printable bytes as a C-style quoted string, the rest escaped.
package func quoted(_ bytes: [UInt8], limit: Int) -> String {
    var s = "\""
    for b in bytes.prefix(limit) {
        switch b {
        case 0x0a: s += "\\n"
        case 0x0d: s += "\\r"
        case 0x09: s += "\\t"
        case 0x22: s += "\\\""
        case 0x5c: s += "\\\\"
        case 0x20..<0x7f: s.append(Character(Unicode.Scalar(b)))
        default: s += "\\x" + hexBytes([b])
        }
    }
    s += "\""
    if bytes.count > limit { s += "..." }
    return s
}

private func posFields(_ prefix: String, _ p: Position) -> [Field] {
    var f = [Field(prefix + "lm", .unsigned(p.landmark)), Field(prefix + "ip", .hex(p.rip, width: 16)),
             Field(prefix + "rcx", .hex(p.rcx, width: 16))]
    if let b = p.branches { f.append(Field(prefix + "br", .unsigned(b))) }
    return f
}

extension Record {
    /// The decoded payload, field by field, in ABI order.
    public var fields: [Field] {
        switch payload {
        case .hypercall(let h):
            var f = [Field("nr", .unsigned(h.nr))]
            for (i, a) in h.args.enumerated() { f.append(Field("a\(i + 1)", .hex(a, width: 1))) }
            f.append(Field("ret", .signed(h.ret)))
            if !h.data.isEmpty { f.append(Field("data", .bytes(h.data))) }
            return f
        case .cpuid(let c):
            return [Field("leaf", .hex(UInt64(c.leaf), width: 8)), Field("subleaf", .hex(UInt64(c.subleaf), width: 1)),
                    Field("eax", .hex(UInt64(c.eax), width: 8)), Field("ebx", .hex(UInt64(c.ebx), width: 8)),
                    Field("ecx", .hex(UInt64(c.ecx), width: 8)), Field("edx", .hex(UInt64(c.edx), width: 8))]
        case .rdtsc(let tsc):
            return [Field("tsc", .hex(tsc, width: 16))]
        case .rdtscp(let tsc, let aux):
            return [Field("tsc", .hex(tsc, width: 16)), Field("aux", .hex(UInt64(aux), width: 1))]
        case .msrRead(let i, let v), .msrWrite(let i, let v):
            return [Field("msr", .hex(UInt64(i), width: 8)), Field("value", .hex(v, width: 16))]
        case .hlt, .pause:
            return []
        case .io(let io):
            var f = [Field("port", .hex(UInt64(io.port), width: 4)), Field("size", .unsigned(UInt64(io.size))),
                     Field("dir", .text(io.direction == 1 ? "in" : "out")), Field("count", .unsigned(UInt64(io.count))),
                     Field("value", .hex(io.value, width: 1))]
            if !io.data.isEmpty { f.append(Field("data", .bytes(io.data))) }
            return f
        case .mmio(let m):
            var f = [Field("gpa", .hex(m.gpa, width: 1)), Field("size", .unsigned(UInt64(m.size))),
                     Field("dir", .text(m.direction == 1 ? "read" : "write"))]
            // Logs of before December 2026 have no count (0).
            if m.count != 0 { f.append(Field("count", .unsigned(UInt64(m.count)))) }
            f.append(Field("value", .hex(m.value, width: 1)))
            if !m.data.isEmpty { f.append(Field("data", .bytes(m.data))) }
            return f
        case .exception(let e):
            return [Field("vector", .unsigned(UInt64(e.vector))), Field("error", .hex(UInt64(e.errorCode), width: 1)),
                    Field("cr2", .hex(e.cr2, width: 16))]
        case .interrupt(let i):
            var f = [Field("kind", .text(i.kind.name)), Field("vector", .hex(UInt64(i.vector), width: 2)),
                     Field("port", .unsigned(UInt64(i.port)))]
            f.append(Field("placed", .text(i.signature == nil ? "landmark" : "signature")))
            if let s = i.signature {
                for (n, v) in zip(Registers.names, s.values) { f.append(Field(n, .hex(v, width: 16))) }
                f.append(Field("cr3", .hex(s.cr3, width: 16)))
                f.append(Field("cpl", .unsigned(UInt64(s.cpl))))
            }
            return f
        case .memory(let m):
            return [Field("gpa", .hex(m.gpa, width: 1)), Field("kind", .text(m.kind.name)), Field("data", .bytes(m.data))]
        case .ttioInput(let t):
            var f = [Field("device", .text(t.device.name))]
            if t.device == .block { f.append(Field("sector", .unsigned(t.cookie))) }
            f.append(Field("data", .bytes(t.data)))
            return f
        case .domainStart(let s):
            return [Field("version", .unsigned(UInt64(s.interfaceVersion))), Field("mode", .text(s.mode.name)),
                    Field("vcpus", .unsigned(UInt64(s.vcpus))), Field("flags", .hex(UInt64(s.attachFlags), width: 1)),
                    Field("bound_us", .unsigned(UInt64(s.boundMicroseconds))), Field("counter", .text(s.counter.name)),
                    Field("memory_kb", .unsigned(s.memoryKB)),
                    Field("tsc_khz", .unsigned(s.tscKHz))]
        case .divergence(let d):
            let name = { (t: UInt16) in RecordType(rawValue: t)?.name ?? hex(UInt64(t), width: 4) }
            return [Field("reason", .text(d.reason.name)), Field("expected", .text(name(d.expectedType))),
                    Field("actual", .text(name(d.actualType)))]
                + posFields("expected_", d.expected) + posFields("actual_", d.actual)
        case .end(let e):
            return [Field("reason", .text(e.reason.name)), Field("code", .unsigned(UInt64(e.code))),
                    Field("landmarks", .unsigned(e.landmarks)), Field("by_signature", .unsigned(e.bySignature))]
        }
    }
}
