// Every call into Debian's libxen (libxlutil here), in one file, with the
// C error convention turned once into a typed error.

import CXen
#if canImport(Glibc)
import Glibc
#endif

/// Errors of the libxen calls.
public enum XenError: Error, CustomStringConvertible {
    /// libxlutil could not read or parse a domain config file.
    case config(path: String, errno: Int32)
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
        case let .config(path, e):
            return "\(path): cannot read the domain config (\(String(cString: strerror(e)))); "
                + "check it with 'xl create -n \(path)'"
        case let .configValue(path, key, detail):
            return "\(path): \(key): \(detail)"
        case let .call(what, detail):
            return "\(what): \(detail)"
        case let .hypercall(what, e, detail):
            return "\(what): \(detail) (errno \(e))"
        }
    }
}

/// An xl domain config file, parsed by libxlutil exactly as xl parses it.
public final class DomainConfig {
    public let path: String
    private let cfg: OpaquePointer

    /// Reads `path`, then applies `overrides` ("key=value" lines, as xl's
    /// command line does).
    public init(path: String, overrides: [String] = []) throws {
        self.path = path
        guard let c = xlu_cfg_init(fdopen(dup(2), "w"), path) else { throw XenError.config(path: path, errno: errno) }
        cfg = c
        let rc = xlu_cfg_readfile(cfg, path)
        if rc != 0 {
            xlu_cfg_destroy(cfg)
            throw XenError.config(path: path, errno: rc)
        }
        for o in overrides {
            let line = o + "\n"
            let rc = line.withCString { xlu_cfg_readdata(cfg, $0, Int32(strlen($0))) }
            if rc != 0 {
                xlu_cfg_destroy(cfg)
                throw XenError.configValue(path: path, key: o, detail: "cannot parse this override")
            }
        }
    }

    deinit { xlu_cfg_destroy(cfg) }

    var cfgPointer: OpaquePointer { cfg }

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

    /// An integer setting, or nil when absent.
    public func integer(_ key: String) -> Int? {
        var v: Int = 0
        guard xlu_cfg_get_long(cfg, key, &v, 1) == 0 else { return nil }
        return v
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
