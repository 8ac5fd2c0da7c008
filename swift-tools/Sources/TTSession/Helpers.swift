// Small helpers of the daemon and its sessions.

import TTLog
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

/// What a session has taken from its log ring, and how often it rang Xen.
struct RingDrain {
    var records: UInt64 = 0
    var landmarks: UInt64 = 0
    var recordBytes: UInt64 = 0
    var kicks: UInt64 = 0

    /// Moves what the ring holds into `writer`, at most `rounds` rounds of
    /// `maxBytes`, so that signals and console input are served between
    /// calls; hands each record to `handle`.  Rings `doorbell` when the
    /// batch freed room Xen waits for (the ring's headroom rule) and when Xen
    /// still waits afterwards; stops early once `ended()` (Xen's END came).
    mutating func drain(_ consumer: RingConsumer, into writer: LogWriter, rounds: Int, maxBytes: Int,
                        doorbell: () throws -> Void, ended: () -> Bool, handle: (Record) -> Void) throws {
        var round = 0
        while consumer.pendingBytes > 0 && round < rounds {
            round += 1
            let b = try consumer.consume(maxBytes: maxBytes) { span, recs in
                try writer.appendRaw(span)
                for r in recs { handle(r) }
            }
            records += UInt64(b.records)
            landmarks += UInt64(b.landmarks)
            recordBytes += UInt64(b.recordBytes)
            if b.needsKick {
                kicks += 1
                try doorbell()
            }
            if ended() { return }
        }
        if consumer.producerWaiting {
            kicks += 1
            try doorbell()
        }
    }
}
