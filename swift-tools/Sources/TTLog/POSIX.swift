// Every system call of TTLog, in one place.  Files are swift-system's
// `FileDescriptor` (open, pread, write, resize, stat, close: EINTR retried,
// errors as `Errno`); flock, fsync, fadvise, rename and unlink, which
// swift-system 1.8 lacks, are the C calls with `Errno(rawValue: errno)`.
// Every `Errno` becomes a `LogError.system` naming the call and the path,
// here and nowhere else.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import SystemPackage

func errnoMessage(_ e: Int32) -> String { Errno(rawValue: e).description }

/// Runs `body`, turning the `Errno` it throws into a `LogError.system`.
@inline(__always)
private func systemCall<T>(_ call: String, _ path: String, _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let e as Errno {
        throw LogError.system(call: call, path: path, errno: e.rawValue, message: e.description)
    }
}

/// A C call's -1 as the `Errno` it left.
private func check(_ rc: Int32) throws(Errno) {
    if rc != 0 { throw Errno(rawValue: errno) }
}

/// An open file.  Closed by `close()` or when dropped.
final class FileHandle {
    let descriptor: FileDescriptor
    let path: String
    private var closed = false

    var fd: Int32 { descriptor.rawValue }

    private init(_ descriptor: FileDescriptor, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    deinit { if !closed { try? descriptor.close() } }

    private static let mode = FilePermissions(rawValue: 0o644)

    static func openForReading(_ path: String) throws -> FileHandle {
        FileHandle(try systemCall("open", path) { try FileDescriptor.open(path, .readOnly, options: [.closeOnExec]) },
                   path: path)
    }

    static func create(_ path: String) throws -> FileHandle {
        FileHandle(try systemCall("open", path) {
            try FileDescriptor.open(path, .writeOnly, options: [.create, .truncate, .closeOnExec], permissions: mode)
        }, path: path)
    }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// Opens `path` for writing, creating it (`exclusive`: only if it does
    /// not exist yet), and takes an exclusive advisory lock on it (flock).
    /// Throws with errno EEXIST (exclusive, the file exists) or
    /// EWOULDBLOCK (another process holds the lock).
    static func createLocked(_ path: String, exclusive: Bool) throws -> FileHandle {
        let options: FileDescriptor.OpenOptions = exclusive ? [.create, .closeOnExec, .exclusiveCreate] : [.create, .closeOnExec]
        let h = FileHandle(try systemCall("open", path) {
            try FileDescriptor.open(path, .writeOnly, options: options, permissions: mode)
        }, path: path)
        try systemCall("flock", path) { try check(flock(h.fd, LOCK_EX | LOCK_NB)) }
        return h
    }

    /// Empties the file and writes from its start again.
    func truncate() throws {
        try systemCall("ftruncate", path) {
            try descriptor.resize(to: 0)
            _ = try descriptor.seek(offset: 0, from: .start)
        }
    }

    static func unlink(_ path: String) { _ = Glibc.unlink(path) }

    static func rename(_ from: String, _ to: String) throws {
        try systemCall("rename to \(to)", from) { try check(Glibc.rename(from, to)) }
    }

    var size: UInt64 {
        get throws { UInt64(try systemCall("fstat", path) { try descriptor.stat() }.size) }
    }

    /// Reads up to `count` bytes at `offset`; fewer only at the end of the file.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws -> Int {
        var done = 0
        while done < buffer.count {
            let n = try systemCall("pread", path) {
                try descriptor.read(fromAbsoluteOffset: Int64(offset) + Int64(done),
                                    into: UnsafeMutableRawBufferPointer(rebasing: buffer[done...]))
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        _ = try systemCall("write", path) { try descriptor.writeAll(bytes) }
    }

    func sync() throws {
        try systemCall("fsync", path) { try check(fsync(fd)) }
    }

    /// Tells the kernel the file is read front to back.
    func adviseSequential() { _ = posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_SEQUENTIAL)) }

    func close() throws {
        guard !closed else { return }
        closed = true
        try systemCall("close", path) { try descriptor.close() }
    }
}

/// Wall-clock time in nanoseconds since the Unix epoch.
public func wallClockNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// "2026-11-22T08:15:00Z" for a time in ns since the epoch.
public func iso8601(nanoseconds: UInt64) -> String {
    var t = time_t(nanoseconds / 1_000_000_000)
    var tmv = tm()
    gmtime_r(&t, &tmv)
    var buf = [CChar](repeating: 0, count: 32)
    let n = strftime(&buf, buf.count, "%Y-%m-%dT%H:%M:%SZ", &tmv)
    return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
