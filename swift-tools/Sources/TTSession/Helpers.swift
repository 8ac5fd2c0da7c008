// Small helpers of the daemon and its sessions.

import TTTools
#if canImport(Glibc)
import Glibc
#endif

/// Writes one line to a descriptor.
public func writeLine(_ fd: Int32, _ line: String) {
    let s = line + "\n"
    _ = s.withCString { write(fd, $0, strlen($0)) }
}

func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// `n` random bytes from the system's generator (`SystemRandomNumberGenerator`:
/// getrandom(2) on Linux).  It never hands out zeros on failure, as a
/// short read of /dev/urandom did: the Swift runtime stops the process
/// instead, before any log header is written.
func randomBytes(_ n: Int) -> [UInt8] {
    var generator = SystemRandomNumberGenerator()
    return (0..<n).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
}

/// mkdir -p, errors ignored (what then fails to be created says so).
public func mkdirs(_ path: String) {
    var p = ""
    for part in path.split(separator: "/") {
        p += "/" + part
        mkdir(p, 0o755)
    }
}
