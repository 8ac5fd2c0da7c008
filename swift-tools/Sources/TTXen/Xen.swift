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

    public var description: String {
        switch self {
        case let .config(path, e):
            return "\(path): cannot read the domain config (\(String(cString: strerror(e)))); "
                + "check it with 'xl create -n \(path)'"
        case let .configValue(path, key, detail):
            return "\(path): \(key): \(detail)"
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
