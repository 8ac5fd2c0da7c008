// Every C call of TTLog, in one place: -1/errno becomes a LogError once.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

func errnoMessage(_ e: Int32) -> String { String(cString: strerror(e)) }

/// An open file.  Closed by `close()` or when dropped.
final class FileHandle {
    let fd: Int32
    let path: String
    private var closed = false

    private init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    deinit { if !closed { _ = Glibc.close(fd) } }

    static func failure(_ call: String, _ path: String) -> LogError {
        let e = errno
        return .system(call: call, path: path, errno: e, message: errnoMessage(e))
    }

    static func openForReading(_ path: String) throws -> FileHandle {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw failure("open", path) }
        return FileHandle(fd: fd, path: path)
    }

    static func create(_ path: String) throws -> FileHandle {
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure("open", path) }
        return FileHandle(fd: fd, path: path)
    }

    static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// Opens `path` for writing, creating it (`exclusive`: only if it does
    /// not exist yet), and takes an exclusive advisory lock on it (flock).
    /// Returns nil with errno EEXIST (exclusive, the file exists) or
    /// EWOULDBLOCK (another process holds the lock).
    static func createLocked(_ path: String, exclusive: Bool) throws -> FileHandle {
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (exclusive ? O_EXCL : 0), 0o644)
        guard fd >= 0 else { throw failure("open", path) }
        let h = FileHandle(fd: fd, path: path)
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { throw failure("flock", path) }
        return h
    }

    /// Empties the file and writes from its start again.
    func truncate() throws {
        guard ftruncate(fd, 0) == 0, lseek(fd, 0, SEEK_SET) == 0 else { throw FileHandle.failure("ftruncate", path) }
    }

    static func unlink(_ path: String) { _ = Glibc.unlink(path) }

    static func rename(_ from: String, _ to: String) throws {
        guard Glibc.rename(from, to) == 0 else { throw failure("rename to \(to)", from) }
    }

    var size: UInt64 {
        get throws {
            var st = stat()
            guard fstat(fd, &st) == 0 else { throw FileHandle.failure("fstat", path) }
            return UInt64(st.st_size)
        }
    }

    /// Reads up to `count` bytes at `offset`; fewer only at the end of the file.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws -> Int {
        var done = 0
        while done < buffer.count {
            let n = pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw FileHandle.failure("pread", path)
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw FileHandle.failure("write", path)
            }
            done += n
        }
    }

    func sync() throws {
        guard fsync(fd) == 0 else { throw FileHandle.failure("fsync", path) }
    }

    /// Tells the kernel the file is read front to back.
    func adviseSequential() { _ = posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_SEQUENTIAL)) }

    func close() throws {
        guard !closed else { return }
        closed = true
        guard Glibc.close(fd) == 0 else { throw FileHandle.failure("close", path) }
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
