// The log file header (docs/log-format.md, "Header").

import CTTSupport

/// One CPUID leaf of the guest's policy.
public struct CPUIDLeaf: Hashable, Sendable {
    public var leaf, subleaf, eax, ebx, ecx, edx: UInt32
    public init(leaf: UInt32, subleaf: UInt32, eax: UInt32, ebx: UInt32, ecx: UInt32, edx: UInt32) {
        self.leaf = leaf; self.subleaf = subleaf
        self.eax = eax; self.ebx = ebx; self.ecx = ecx; self.edx = edx
    }
}

/// What a log says about the recording it holds.
public struct LogHeader: Hashable, Sendable {
    public var mode: Mode = .record
    public var xenVersion: String = ""
    public var guestName: String = ""
    /// SHA-256 of the guest kernel, initrd and config file (32 bytes each, or empty).
    public var kernelSHA256: [UInt8] = []
    public var initrdSHA256: [UInt8] = []
    public var configSHA256: [UInt8] = []
    public var memoryBytes: UInt64 = 0
    public var cpuidPolicy: [CPUIDLeaf] = []
    /// Wall-clock start, ns since the Unix epoch (UTC).
    public var startTimeNanoseconds: UInt64 = 0
    public var interfaceVersion: UInt32 = TTABI.interfaceVersion
    /// 16 random bytes naming this log.
    public var logID: [UInt8] = []
    /// Replay logs: the `logID` of the recording replayed.
    public var originalLogID: [UInt8] = []
    public var toolVersion: String = ""
    /// Written by ttd-log-gen: synthetic records, not a real recording.
    public var synthetic: Bool = false
    /// Fields of a newer writer this reader does not know (tag, bytes), kept as they are.
    public var unknownFields: [UInt16: [UInt8]] = [:]

    public init() {}
}

/// Constants of the container format.
public enum LogFormat {
    public static let magic: [UInt8] = Array("TTXENLOG".utf8)
    /// The format version this library writes and reads.
    public static let version: UInt16 = 1
    /// The oldest reader version that can read what this library writes.
    public static let compatVersion: UInt16 = 1
    public static let headerFixedSize = 32
    public static let chunkMagic: UInt32 = 0x4b43_5454       // "TTCK"
    public static let chunkHeaderSize = 56
    public static let chunkFlagZstd: UInt32 = 1 << 0
    public static let maxChunkBytes = 64 << 20
    public static let indexMagic: UInt32 = 0x5849_5454       // "TTIX"
    public static let indexEntrySize = 32
    public static let footerMagic: [UInt8] = Array("TTXENEND".utf8)
    public static let footerSize = 48
    /// Largest header accepted (a CPUID policy is a few KB).
    public static let maxHeaderBytes = 1 << 20

    enum Tag: UInt16 {
        case xenVersion = 1, guestName, kernelSHA256, initrdSHA256, configSHA256, memoryBytes,
             cpuidPolicy, mode, startTime, interfaceVersion, logID, originalLogID, toolVersion,
             synthetic
    }
    /// A field whose tag a reader does not know makes the log unreadable for it.
    static let criticalFlag: UInt16 = 1 << 0
}

extension LogHeader {
    public func encoded() -> [UInt8] {
        var w = ByteWriter(capacity: 512)
        w.put(bytes: LogFormat.magic)
        w.put(LogFormat.version)
        w.put(LogFormat.compatVersion)
        w.put(UInt32(0))            // header_len
        w.put(UInt32(0))            // crc32c
        w.put(UInt32(0))            // flags
        w.put(UInt64(0))            // reserved
        func field(_ tag: LogFormat.Tag, _ body: (inout ByteWriter) -> Void) {
            w.put(tag.rawValue); w.put(UInt16(0))
            let lenAt = w.bytes.count
            w.put(UInt32(0))
            let start = w.bytes.count
            body(&w)
            w.set(UInt32(w.bytes.count - start), at: lenAt)
            w.align(8)
        }
        field(.mode) { $0.put(mode.rawValue) }
        field(.interfaceVersion) { $0.put(interfaceVersion) }
        field(.xenVersion) { $0.put(bytes: Array(xenVersion.utf8)) }
        field(.guestName) { $0.put(bytes: Array(guestName.utf8)) }
        field(.kernelSHA256) { $0.put(bytes: kernelSHA256) }
        field(.initrdSHA256) { $0.put(bytes: initrdSHA256) }
        field(.configSHA256) { $0.put(bytes: configSHA256) }
        field(.memoryBytes) { $0.put(memoryBytes) }
        field(.cpuidPolicy) { w in
            for l in cpuidPolicy { for v in [l.leaf, l.subleaf, l.eax, l.ebx, l.ecx, l.edx] { w.put(v) } }
        }
        field(.startTime) { $0.put(startTimeNanoseconds) }
        field(.logID) { $0.put(bytes: logID) }
        if !originalLogID.isEmpty { field(.originalLogID) { $0.put(bytes: originalLogID) } }
        field(.toolVersion) { $0.put(bytes: Array(toolVersion.utf8)) }
        if synthetic { field(.synthetic) { $0.put(UInt32(1)) } }
        for (tag, bytes) in unknownFields.sorted(by: { $0.key < $1.key }) {
            w.put(tag); w.put(UInt16(0)); w.put(UInt32(bytes.count)); w.put(bytes: bytes); w.align(8)
        }
        w.set(UInt32(w.bytes.count), at: 12)
        let crc = w.bytes.withUnsafeBytes { tt_crc32c(0, $0.baseAddress, $0.count) }
        w.set(crc, at: 16)
        return w.bytes
    }

    /// Reads the fixed part: returns the total header length after checking
    /// magic and version.
    static func headerLength(fixed p: UnsafeRawBufferPointer, path: String) throws -> Int {
        guard p.count >= LogFormat.headerFixedSize else {
            throw LogError.notALog(path: path, detail: "file is \(p.count) bytes, shorter than a log header")
        }
        guard Array(p[0..<8]) == LogFormat.magic else {
            throw LogError.notALog(path: path, detail: "no TTXENLOG magic at offset 0")
        }
        let version: UInt16 = p.le(8), compat: UInt16 = p.le(10)
        if compat > LogFormat.version {
            throw LogError.newerFormat(path: path, version: version, compat: compat, supported: LogFormat.version)
        }
        let len: UInt32 = p.le(12)
        guard len >= LogFormat.headerFixedSize, len <= LogFormat.maxHeaderBytes, len % 8 == 0 else {
            throw LogError.badHeader(path: path, detail: "header length \(len) is invalid")
        }
        return Int(len)
    }

    /// Decodes a whole header (`headerLength` bytes).
    init(decoding p: UnsafeRawBufferPointer, path: String) throws {
        self.init()
        var copy = Array(p)
        copy.withUnsafeMutableBytes { $0.storeBytes(of: UInt32(0), toByteOffset: 16, as: UInt32.self) }
        let crc = copy.withUnsafeBytes { tt_crc32c(0, $0.baseAddress, $0.count) }
        let stored: UInt32 = p.le(16)
        guard crc == stored else {
            throw LogError.badHeader(path: path, detail: "CRC32C \(hex(UInt64(crc), width: 8)) does not match "
                             + "the stored \(hex(UInt64(stored), width: 8))")
        }
        var r = ByteReader(p, offset: LogFormat.headerFixedSize)
        while r.remaining > 0 {
            guard let tag = r.get(UInt16.self), let flags = r.get(UInt16.self), let len = r.get(UInt32.self),
                  let body = r.bytes(Int(len)) else {
                throw LogError.badHeader(path: path, detail: "field at offset \(r.offset) runs past the header")
            }
            let pad = (8 - Int(len) % 8) % 8
            guard r.bytes(pad) != nil else {
                throw LogError.badHeader(path: path, detail: "field at offset \(r.offset) runs past the header")
            }
            try decodeField(tag: tag, flags: flags, body: body, path: path)
        }
    }

    private mutating func decodeField(tag: UInt16, flags: UInt16, body: [UInt8], path: String) throws {
        func u32() throws -> UInt32 {
            guard body.count == 4 else { throw LogError.badHeader(path: path, detail: "field \(tag) is \(body.count) bytes, expected 4") }
            return body.withUnsafeBytes { $0.le(0) }
        }
        func u64() throws -> UInt64 {
            guard body.count == 8 else { throw LogError.badHeader(path: path, detail: "field \(tag) is \(body.count) bytes, expected 8") }
            return body.withUnsafeBytes { $0.le(0) }
        }
        func string() -> String { String(decoding: body, as: UTF8.self) }
        guard let t = LogFormat.Tag(rawValue: tag) else {
            if flags & LogFormat.criticalFlag != 0 {
                throw LogError.badHeader(path: path, detail: "field \(tag) is unknown to this reader and marked critical: update ttd-read-log")
            }
            unknownFields[tag] = body
            return
        }
        switch t {
        case .mode:
            guard let m = Mode(rawValue: try u32()) else {
                throw LogError.badHeader(path: path, detail: "unknown mode \(try u32())")
            }
            mode = m
        case .interfaceVersion: interfaceVersion = try u32()
        case .xenVersion: xenVersion = string()
        case .guestName: guestName = string()
        case .kernelSHA256: kernelSHA256 = body
        case .initrdSHA256: initrdSHA256 = body
        case .configSHA256: configSHA256 = body
        case .memoryBytes: memoryBytes = try u64()
        case .cpuidPolicy:
            guard body.count % 24 == 0 else {
                throw LogError.badHeader(path: path, detail: "CPUID policy is \(body.count) bytes, not a multiple of 24")
            }
            cpuidPolicy = body.withUnsafeBytes { p in
                stride(from: 0, to: p.count, by: 24).map { o in
                    CPUIDLeaf(leaf: p.le(o), subleaf: p.le(o + 4), eax: p.le(o + 8), ebx: p.le(o + 12),
                              ecx: p.le(o + 16), edx: p.le(o + 20))
                }
            }
        case .startTime: startTimeNanoseconds = try u64()
        case .logID: logID = body
        case .originalLogID: originalLogID = body
        case .toolVersion: toolVersion = string()
        case .synthetic: synthetic = try u32() != 0
        }
    }
}

/// The version of the tools, written into each log header.
public enum TTToolsVersion {
    public static let string = "0.1.0"
}
