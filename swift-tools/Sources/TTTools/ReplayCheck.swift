// Whether a domain config matches the recording it is to replay: the same
// kernel, initrd and config file (SHA-256 in the log header) and the same
// memory.  Pure, so that the tests check it without Xen.

import TTLog

/// A file and its SHA-256.
public struct FileDigest: Equatable, Sendable {
    public var path: String
    public var sha256: [UInt8]
    public init(path: String, sha256: [UInt8]) { self.path = path; self.sha256 = sha256 }

    /// The digest of `path`, nil for no path.
    public init?(file path: String?) throws {
        guard let path else { return nil }
        self.init(path: path, sha256: try SHA256.file(path))
    }
}

/// "ab12cd34ef56..." : the start of a digest, enough to tell two apart.
func short(_ sha: [UInt8]) -> String {
    String(sha.prefix(8).map { b in
        let s = String(b, radix: 16)
        return b < 16 ? "0" + s : s
    }.joined()) + ".."
}

/// The first way the inputs of a replay differ from what the log header
/// says was recorded, as one line ("kernel /boot/x has SHA-256 ab12..,
/// the log was recorded with cd34.."), or nil when they match.  A hash the
/// header does not have (empty: not known when recording) is not checked,
/// except the initrd's, whose empty hash means "recorded without one".
/// `memoryBytes` nil: not checked (the domain does not exist yet).
public func replayMismatch(header: LogHeader, kernel: FileDigest?, ramdisk: FileDigest?, config: FileDigest?,
                           memoryBytes: UInt64?) -> String? {
    func check(_ what: String, _ file: FileDigest?, _ recorded: [UInt8], emptyMeansNone: Bool) -> String? {
        switch (file, recorded.isEmpty) {
        case (nil, true):
            return nil
        case (nil, false):
            return emptyMeansNone || what != "kernel"
                ? "no \(what) is given, the log was recorded with a \(what) of SHA-256 \(short(recorded))"
                : "no kernel is given, the log was recorded with a kernel of SHA-256 \(short(recorded))"
        case (let f?, true):
            return emptyMeansNone ? "\(what) \(f.path) is given, the log was recorded without one" : nil
        case (let f?, false):
            return f.sha256 == recorded ? nil
                : "\(what) \(f.path) has SHA-256 \(short(f.sha256)), the log was recorded with \(short(recorded))"
        }
    }
    if let m = check("kernel", kernel, header.kernelSHA256, emptyMeansNone: false) { return m }
    if let m = check("ramdisk", ramdisk, header.initrdSHA256, emptyMeansNone: true) { return m }
    if let m = check("config", config, header.configSHA256, emptyMeansNone: false) { return m }
    if let m = memoryBytes { return replayMemoryMismatch(header: header, memoryBytes: m) }
    return nil
}

/// The memory check alone, once the domain exists (its files were checked
/// before it was created): one line, or nil when it matches.
public func replayMemoryMismatch(header: LogHeader, memoryBytes: UInt64) -> String? {
    memoryBytes == header.memoryBytes ? nil
        : "memory: the domain has \(mebibytes(memoryBytes)), the log was recorded with \(mebibytes(header.memoryBytes))"
}

func mebibytes(_ b: UInt64) -> String {
    b % (1 << 20) == 0 ? "\(b >> 20) MiB" : "\(b) bytes"
}
