// The record ABI of xen/src/include/public/tt.h, in Swift.
//
// TTLog does not import the C header (the log library must build without
// Xen's headers); the ABI tests check every constant and layout here
// against the C header through the CTTABI target.

/// Constants of `tt.h`.
public enum TTABI {
    /// `TT_INTERFACE_VERSION`.
    public static let interfaceVersion: UInt32 = 4
    /// The guest TSC frequencies (kHz) a TT domain can be given besides 0,
    /// the host's: TT_TSC_KHZ_MIN..TT_TSC_KHZ_MAX.
    public static let tscKHzRange: ClosedRange<UInt64> = 1_000...100_000_000
    /// The liveness bounds (guest µs) a recording can ask for besides 0,
    /// Xen's default of 2 000: TT_BOUND_US_MIN..TT_BOUND_US_MAX.
    public static let boundMicrosecondsRange: ClosedRange<UInt32> = 100...1_000_000
    /// `__HYPERVISOR_tt_op`.
    public static let hypercallNumber = 47
    /// `TT_REC_HDR_SIZE`: bytes of a record header.
    public static let recordHeaderSize = 40
    /// `TT_REC_ALIGN`.
    public static let recordAlign = 8
    /// `TT_REC_MAX_PAYLOAD`.
    public static let maxPayload = 1 << 20
    /// `sizeof(struct xen_tt_regs)`.
    public static let registersSize = 160
    /// `TT_EXIT_MAX_BYTES`: the most bytes of records one VM exit writes; Xen
    /// replays only while the replay ring holds this much (or eof is set).
    public static let exitMaxBytes = 64 << 10

    /// `TT_REC_SIZE(len)`: bytes a record with `payloadLength` bytes of payload takes.
    @inlinable
    public static func recordSize(payloadLength: Int) -> Int {
        recordHeaderSize + ((payloadLength + recordAlign - 1) & ~(recordAlign - 1))
    }
}

/// `TT_REC_*`: what a record describes.
public enum RecordType: UInt16, CaseIterable, Sendable {
    case hypercall = 0x01
    case cpuid = 0x02
    case rdtsc = 0x03
    case rdtscp = 0x04
    case msrRead = 0x05
    case msrWrite = 0x06
    case hlt = 0x07
    case pause = 0x08
    case io = 0x09
    case mmio = 0x0a
    case exception = 0x0b
    case interrupt = 0x40
    case memory = 0x41
    case ttioInput = 0x42
    case domainStart = 0x80
    case divergence = 0x81
    case end = 0x82

    /// `init(rawValue:)`, one jump: on every record of the readers' hot paths.
    @inlinable
    public static func of(_ raw: UInt16) -> RecordType? {
        switch raw {
        case 0x01: return .hypercall
        case 0x02: return .cpuid
        case 0x03: return .rdtsc
        case 0x04: return .rdtscp
        case 0x05: return .msrRead
        case 0x06: return .msrWrite
        case 0x07: return .hlt
        case 0x08: return .pause
        case 0x09: return .io
        case 0x0a: return .mmio
        case 0x0b: return .exception
        case 0x40: return .interrupt
        case 0x41: return .memory
        case 0x42: return .ttioInput
        case 0x80: return .domainStart
        case 0x81: return .divergence
        case 0x82: return .end
        default: return nil
        }
    }

    /// The three classes of `TT_REC_CLASS()`.
    public enum Class: Sendable { case landmark, asynchronous, control }

    public var recordClass: Class {
        switch rawValue & 0xc0 {
        case 0x00: return .landmark
        case 0x40: return .asynchronous
        default: return .control
        }
    }

    /// The name printed by ttd-read-log, in the seed's style.
    public var name: String { staticName.description }

    /// Fixed payload bytes before any variable data (`sizeof` of the payload struct).
    public var fixedPayloadSize: Int {
        switch self {
        case .hypercall: return 64
        case .cpuid: return 24
        case .rdtsc, .rdtscp, .msrRead, .msrWrite, .io, .exception, .interrupt,
             .memory, .ttioInput: return 16
        case .mmio, .end: return 24
        case .hlt, .pause: return 0
        case .domainStart: return 40
        case .divergence: return 72
        }
    }
}

/// `TT_RECF_*`.  The flags are computed and inlinable, not stored
/// `static let`s: the printers of another module (TTRender) test them on
/// every record, and a stored one costs a call to its addressor each time.
public struct RecordFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt16
    @inlinable public init(rawValue: UInt16) { self.rawValue = rawValue }
    /// `pos.branches` is valid: it holds the count of the counter attached
    /// (`Counter`, named by DOMAIN_START).
    @inlinable public static var branches: RecordFlags { RecordFlags(rawValue: 1 << 0) }
    /// Interrupt placed by signature: `xen_tt_regs` follows the payload.
    @inlinable public static var signature: RecordFlags { RecordFlags(rawValue: 1 << 1) }
    /// The result came from outside the guest.
    @inlinable public static var outside: RecordFlags { RecordFlags(rawValue: 1 << 2) }
    /// `TT_RECF_ALL`.
    @inlinable public static var all: RecordFlags { RecordFlags(rawValue: 0x0007) }
}

/// `TT_COUNTER_*`: what counts the guest's progress between landmarks,
/// asked for at attach (`xen_tt_attach.counter`) and named by DOMAIN_START.
/// With one, every record but the control records carries
/// `TT_RECF_BRANCHES` and `pos.branches` holds its count: for a landmark,
/// since the previous landmark; for any other record, since its own
/// landmark (0 at the landmark itself).  Without one, interrupts between
/// landmarks are placed by register signature.
public enum Counter: Hashable, Sendable, CustomStringConvertible {
    /// `TT_COUNTER_NONE`.
    case none
    /// `TT_COUNTER_ICOUNT`: guest instructions (the TSC under QEMU `-icount shift=0`).
    case instructions
    /// `TT_COUNTER_BRANCHES`: the host PMU's guest-only retired-branch counter.
    case branches
    /// A value this tool does not know.
    case unknown(UInt32)

    public init(rawValue: UInt32) {
        switch rawValue {
        case 0: self = .none
        case 1: self = .instructions
        case 2: self = .branches
        default: self = .unknown(rawValue)
        }
    }

    public var rawValue: UInt32 {
        switch self {
        case .none: return 0
        case .instructions: return 1
        case .branches: return 2
        case .unknown(let v): return v
        }
    }

    /// The short name of JSON and of the tools' options: none, icount, branches.
    public var name: String {
        switch self {
        case .none: return "none"
        case .instructions: return "icount"
        case .branches: return "branches"
        case .unknown(let v): return "unknown(\(v))"
        }
    }

    /// What it counts, in words ("guest instructions (QEMU icount)").
    public var description: String {
        switch self {
        case .none: return "none (interrupts between landmarks placed by register signature)"
        case .instructions: return "guest instructions (QEMU icount)"
        case .branches: return "guest branches (host PMU)"
        case .unknown(let v): return "unknown counter \(v)"
        }
    }

    /// The label of `pos.branches` in text output: `n` (instructions) with
    /// `TT_COUNTER_ICOUNT`, else `br`.
    public var label: String { self == .instructions ? "n" : "br" }

    /// The same in words, for -v and diff: `instructions`, else `branches`.
    public var longLabel: String { self == .instructions ? "instructions" : "branches" }
}

/// `TT_MODE_*`.
public enum Mode: UInt32, Sendable {
    case none = 0, record = 1, replay = 2
    public var name: String { staticName.description }
}

/// `TT_DEV_*`.
public enum TTIODevice: UInt32, Sendable {
    case console = 0, net = 1, block = 2
    public var name: String { staticName.description }
}

/// `TT_IRQ_*`.
public enum InterruptKind: UInt8, Sendable {
    case upcall = 0, lapic = 1, nmi = 2
    public var name: String { staticName.description }
}

/// `TT_MEM_*`.
public enum MemoryKind: UInt32, Sendable {
    case pvclock = 0, wallclock = 1, runstate = 2, other = 3
    /// An outside hypercall's result: the bytes Xen wrote at `gpa`.
    case hypercall = 4
    /// Results the recording could not keep (length 0): replay stops there.
    case lost = 5
    public var name: String { staticName.description }
}

/// `TT_DIV_*`.
public enum DivergenceReason: UInt32, Sendable {
    case type = 0, position = 1, arguments = 2, missed = 3, result = 4
    public var name: String { staticName.description }

    /// What the reason means, for one-line messages.
    public var explanation: String {
        switch self {
        case .type: return "the guest reached a landmark of another type than the log's"
        case .position: return "same landmark type, other RIP/RCX/branches"
        case .arguments: return "same landmark, other arguments"
        case .missed: return "the guest passed the log's position"
        case .result: return "same landmark and inputs, another local result or other data sent"
        }
    }
}

/// `TT_END_*`.
public enum EndReason: UInt32, Sendable {
    case shutdown = 0, detach = 1, diverged = 2, crash = 3, logDone = 4
    public var name: String { staticName.description }
}

// The names of the ABI's values as constants: `name` is each one's
// `staticName`, which the printers write without a String.

extension RecordType {
    /// The type's name, as a constant (`name` is this one; the printers of
    /// TTRender write it without a String).
    public var staticName: StaticString {
        switch self {
        case .hypercall: return "HYPERCALL"
        case .cpuid: return "CPUID"
        case .rdtsc: return "RDTSC"
        case .rdtscp: return "RDTSCP"
        case .msrRead: return "MSR_READ"
        case .msrWrite: return "MSR_WRITE"
        case .hlt: return "HLT"
        case .pause: return "PAUSE"
        case .io: return "IO"
        case .mmio: return "MMIO"
        case .exception: return "EXCEPTION"
        case .interrupt: return "INTERRUPT"
        case .memory: return "MEMORY"
        case .ttioInput: return "TTIO_INPUT"
        case .domainStart: return "DOMAIN_START"
        case .divergence: return "DIVERGENCE"
        case .end: return "END"
        }
    }
}

extension Mode {
    public var staticName: StaticString {
        switch self {
        case .none: return "none"
        case .record: return "record"
        case .replay: return "replay"
        }
    }
}

extension TTIODevice {
    public var staticName: StaticString {
        switch self {
        case .console: return "console"
        case .net: return "net"
        case .block: return "block"
        }
    }
}

extension InterruptKind {
    public var staticName: StaticString {
        switch self {
        case .upcall: return "upcall"
        case .lapic: return "lapic"
        case .nmi: return "nmi"
        }
    }
}

extension MemoryKind {
    public var staticName: StaticString {
        switch self {
        case .pvclock: return "pvclock"
        case .wallclock: return "wallclock"
        case .runstate: return "runstate"
        case .other: return "other"
        case .hypercall: return "hypercall"
        case .lost: return "lost"
        }
    }
}

extension DivergenceReason {
    public var staticName: StaticString {
        switch self {
        case .type: return "type"
        case .position: return "position"
        case .arguments: return "arguments"
        case .missed: return "missed"
        case .result: return "result"
        }
    }
}

extension EndReason {
    public var staticName: StaticString {
        switch self {
        case .shutdown: return "shutdown"
        case .detach: return "detach"
        case .diverged: return "diverged"
        case .crash: return "crash"
        case .logDone: return "log-done"
        }
    }
}
