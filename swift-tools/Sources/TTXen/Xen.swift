// Every call into Debian's libxen (libxlutil here), in one file, with the
// C error convention turned once into a typed error.

import CXen
#if canImport(Glibc)
import Glibc
#endif

/// Errors of the libxen calls.
public enum XenError: Error, CustomStringConvertible {
    /// libxlutil could not read or parse a domain config file: the errno
    /// it returned and what it said.
    case config(path: String, errno: Int32, message: String)
    /// A config key has the wrong type.
    case configValue(path: String, key: String, detail: String)
    /// A libxen call failed: what was being done, and why.
    case call(what: String, detail: String)
    /// A hypercall failed with an errno.
    case hypercall(what: String, errno: Int32, detail: String)

    /// The errno of a failed call, when its detail names one.
    public var errno: Int32? {
        guard case let .hypercall(_, e, _) = self else { return nil }
        return e
    }

    public var description: String {
        switch self {
        case let .config(path, e, message):
            if access(path, R_OK) != 0 {
                // libxlutil's own line for a file it cannot open names no reason (it prints strerror(0)).
                let why = String(cString: strerror(Glibc.errno))
                return "\(path): cannot read the domain config: \(why)" + (message.isEmpty ? "" : " (libxlutil: \(message))")
            }
            return "\(path): cannot parse the domain config: "
                + (message.isEmpty ? String(cString: strerror(e)) : message)
                + "; check it with 'xl create -n \(path)'"
        case let .configValue(path, key, detail):
            return "\(path): \(key): \(detail)"
        case let .call(what, detail):
            return "\(what): \(detail)"
        case let .hypercall(what, e, detail):
            return "\(what): \(detail) (errno \(e))"
        }
    }
}

/// What libxlutil reports (its `report` stream), kept in memory so that
/// the tools can put it into their one-line errors.
final class ReportStream {
    let file: UnsafeMutablePointer<FILE>
    private let buffer = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: 1)
    private let size = UnsafeMutablePointer<Int>.allocate(capacity: 1)
    private var taken = 0

    init?() {
        buffer.initialize(to: nil)
        size.initialize(to: 0)
        guard let f = open_memstream(buffer, size) else {
            buffer.deallocate(); size.deallocate()
            return nil
        }
        file = f
    }

    deinit {
        fclose(file)
        free(buffer.pointee)
        buffer.deallocate()
        size.deallocate()
    }

    /// What was reported since the last call, its lines joined with "; ".
    func take() -> String {
        fflush(file)
        guard let b = buffer.pointee, size.pointee > taken else { return "" }
        let bytes = UnsafeRawBufferPointer(start: b + taken, count: size.pointee - taken)
        taken = size.pointee
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n").map {
            String($0).trimmingWhitespace()
        }.filter { !$0.isEmpty }.joined(separator: "; ")
    }
}

/// An xl domain config file, parsed by libxlutil exactly as xl parses it.
public final class DomainConfig {
    public let path: String
    private let cfg: OpaquePointer
    private let report: ReportStream

    /// Reads `path`, then applies `overrides` ("key=value" lines, as xl's
    /// command line does).  Errors carry libxlutil's own message.
    public init(path: String, overrides: [String] = []) throws {
        self.path = path
        // Nothing is stored before everything succeeded: a throwing init
        // of a fully initialized object runs deinit, which would free the
        // libxlutil config a second time.
        guard let report = ReportStream() else { throw XenError.config(path: path, errno: Glibc.errno, message: "") }
        guard let c = xlu_cfg_init(report.file, path) else { throw XenError.config(path: path, errno: Glibc.errno, message: "") }
        let rc = xlu_cfg_readfile(c, path)
        if rc != 0 {
            let message = report.take()
            xlu_cfg_destroy(c)
            throw XenError.config(path: path, errno: rc, message: message)
        }
        for o in overrides {
            let line = o + "\n"
            let rc = line.withCString { xlu_cfg_readdata(c, $0, Int32(strlen($0))) }
            if rc != 0 {
                let message = report.take()
                xlu_cfg_destroy(c)
                throw XenError.configValue(path: path, key: o, detail: "cannot parse this override"
                                           + (message.isEmpty ? "" : " (libxlutil: \(message))"))
            }
        }
        self.cfg = c
        self.report = report
    }

    deinit { xlu_cfg_destroy(cfg) }

    var cfgPointer: OpaquePointer { cfg }

    /// What libxlutil reported since the last call.
    func takeReport() -> String { report.take() }

    /// A list setting (`disk = [ '...', '...' ]`), or nil when absent.
    /// A single string is accepted as a list of one, as xl does.
    public func list(_ key: String) -> [String]? {
        var l: OpaquePointer? = nil
        var n: Int32 = 0
        if xlu_cfg_get_list(cfg, key, &l, &n, 1) == 0, let l {
            return (0..<n).compactMap { xlu_cfg_get_listitem(l, $0).map { String(cString: $0) } }
        }
        return string(key).map { [$0] }
    }

    /// A string setting, or nil when absent.
    public func string(_ key: String) -> String? {
        var v: UnsafePointer<CChar>? = nil
        guard xlu_cfg_get_string(cfg, key, &v, 1) == 0, let v else { return nil }
        return String(cString: v)
    }

    /// An integer setting, or nil when absent.  A value that is not a
    /// number (memory = "lots", an override memory=abc), a list, or one
    /// out of `range` is an error naming the key, never the default.
    public func integer(_ key: String, range: ClosedRange<Int> = Int.min...Int.max) throws -> Int? {
        var v: Int = 0
        let rc = xlu_cfg_get_bounded_long(cfg, key, range.lowerBound, range.upperBound, &v, 0)
        if rc == ESRCH { return nil }
        guard rc == 0 else {
            let message = report.take()
            let shown = string(key).map { "\"\($0)\"" } ?? "a list"
            let bounds = range == Int.min...Int.max ? "" : " from \(range.lowerBound) to \(range.upperBound)"
            throw XenError.configValue(path: path, key: key, detail: "\(shown) is not a number\(bounds)"
                                       + (message.isEmpty ? "" : " (libxlutil: \(message))"))
        }
        return v
    }
}

extension String {
    func trimmingWhitespace() -> String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}

/// The top-level keys of an xl config text, in order (comments, strings and
/// lists skipped), for refusing keys a tool does not support.  libxlutil
/// has no call that lists them.
public func configKeys(_ text: String) -> [String] {
    var keys: [String] = []
    var depth = 0
    var quote: Character? = nil
    var comment = false
    var atStatement = true
    var word = ""
    for ch in text {
        if comment { if ch == "\n" { comment = false; if depth == 0 { atStatement = true } }; continue }
        if let q = quote { if ch == q { quote = nil }; continue }
        switch ch {
        case "#": comment = true
        case "\"", "'": quote = ch; atStatement = false
        case "[": depth += 1; atStatement = false
        case "]": depth -= 1
        case "\n", ";":
            if depth == 0 { atStatement = true; word = "" }
        case "=":
            if depth == 0 && atStatement && !word.isEmpty { keys.append(word) }
            atStatement = false; word = ""
        case " ", "\t", "\r":
            break
        default:
            if atStatement && depth == 0 { word.append(ch) }
        }
    }
    return keys
}
