// Output helpers shared by the executables.  Standard output is buffered
// here (64 KB writes), not through C stdio, so large outputs stay fast.

#if canImport(Glibc)
import Glibc
#endif

/// Buffered standard output.
public final class StandardOutput {
    private var buffer: [UInt8] = []

    init() { buffer.reserveCapacity(1 << 16) }

    public func line(_ s: String) {
        buffer.append(contentsOf: s.utf8)
        buffer.append(0x0a)
        if buffer.count >= 1 << 16 { flush() }
    }

    public func flush() {
        buffer.withUnsafeBytes { b in
            var done = 0
            while done < b.count {
                let n = write(1, b.baseAddress! + done, b.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    break       // EPIPE and friends: nothing more to say
                }
                done += n
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }
}

nonisolated(unsafe) public let stdOut = StandardOutput()

/// Writes one line to standard error.
public func printError(_ line: String) {
    let s = line + "\n"
    _ = s.withCString { write(2, $0, strlen($0)) }
}

/// The one-line failure every tool ends with: "tool: message", exit code.
public func fail(_ tool: String, _ message: String, code: Int32 = 1) -> Never {
    stdOut.flush()
    printError("\(tool): \(message)")
    exit(code)
}

/// A path's directory exists and is writable.
public func directoryIsWritable(forFile path: String) -> Bool {
    let dir: String
    if let slash = path.lastIndex(of: "/") {
        dir = slash == path.startIndex ? "/" : String(path[..<slash])
    } else {
        dir = "."
    }
    return access(dir, W_OK) == 0
}

public func fileExists(_ path: String) -> Bool { access(path, F_OK) == 0 }
