// The seed's way of starting the daemon first: 'ttd-deviced -f FILE' with
// no --domain waits for the next time-traveling domain that ttd-xl creates.
//
// The waiting daemon listens on /run/tt-xen/ttd-deviced.sock and writes
// its pid and log into /run/tt-xen/ttd-deviced.wait.  ttd-xl, before it
// starts a daemon of its own, connects there and sends one request line
// (tab-separated key=value: domain, mode, and the options it would have
// passed on the command line); the daemon serves that one domain, writes
// the ready byte (0x01) on the connection once the guest may run and, for
// a replay, its result line and "exit N" when it is over.

#if canImport(Glibc)
import Glibc
#endif

public enum WaitingDaemon {
    public static let socketPath = "/run/tt-xen/ttd-deviced.sock"
    public static let infoPath = "/run/tt-xen/ttd-deviced.wait"

    /// A request from ttd-xl: "key=value" pairs (values without tabs or newlines).
    public static func encode(_ request: [(String, String)]) -> String {
        request.map { "\($0.0)=\($0.1)" }.joined(separator: "\t") + "\n"
    }

    /// The pairs of a request line; nil when it is not one.
    public static func decode(_ line: String) -> [String: String]? {
        var out: [String: String] = [:]
        for item in line.split(separator: "\t", omittingEmptySubsequences: true) {
            let kv = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard kv.count == 2, !kv[0].isEmpty else { return nil }
            out[String(kv[0])] = String(kv[1].filter { $0 != "\n" && $0 != "\r" })
        }
        return out["domain"] != nil && out["mode"] != nil ? out : nil
    }

    /// The waiting daemon's pid and log (empty: the default,
    /// /var/lib/tt-xen/logs/NAME.ttlog), from its info file, if it is alive.
    public static func find() -> (pid: Int32, log: String)? {
        let fd = open(infoPath, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buf = [UInt8](repeating: 0, count: 4096)
        let n = read(fd, &buf, buf.count)
        guard n > 0 else { return nil }
        let fields = String(decoding: buf[0..<n], as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard fields.count >= 2, let pid = Int32(fields[0]), kill(pid, 0) == 0 else { return nil }
        return (pid, fields[1])
    }

    /// A connected unix stream socket to `path`, or -1.
    public static func connect(_ path: String = socketPath) -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return -1 }
        var addr = address(path)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if rc != 0 { close(fd); return -1 }
        return fd
    }

    /// A listening unix stream socket at `path` (a stale one is replaced), or -1 and errno.
    public static func listen(_ path: String = socketPath) -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return -1 }
        unlink(path)
        var addr = address(path)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0, Glibc.listen(fd, 4) == 0 else {
            let e = errno
            close(fd)
            errno = e
            return -1
        }
        chmod(path, 0o600)
        return fd
    }

    private static func address(_ path: String) -> sockaddr_un {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { b in
            let bytes = Array(path.utf8.prefix(b.count - 1))
            b.copyBytes(from: bytes)
            b[bytes.count] = 0
        }
        return addr
    }

    /// Reads one line from `fd` (at most 64 KiB), waiting at most `seconds`.
    public static func readLine(_ fd: Int32, seconds: Int32) -> String? {
        var out: [UInt8] = []
        var b: UInt8 = 0
        while out.count < 1 << 16 {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, seconds * 1000) > 0, read(fd, &b, 1) == 1 else { return nil }
            if b == 0x0a { return String(decoding: out, as: UTF8.self) }
            out.append(b)
        }
        return nil
    }
}
