// Output helpers shared by the executables.  Standard output is buffered
// here (64 KB writes), not through C stdio, so large outputs stay fast.

#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import TTLog
import TTRender

/// Buffered standard output.
public final class StandardOutput {
    /// What is not written yet.  Write into it (`TextBuffer.writer`), then
    /// call `flushIfFull()`.
    public let buffer = TextBuffer(capacity: 1 << 17)

    init() {}

    public func line(_ s: String) {
        buffer.append(s)
        buffer.append(byte: 0x0a)
        flushIfFull()
    }

    /// Writes the buffer out once it holds 64 KB or more.
    @inline(__always)
    public func flushIfFull() {
        if buffer.count >= 1 << 16 { flush() }
    }

    /// Writes the buffer out.  A write error (EPIPE and friends) drops it:
    /// there is nothing more to say.
    public func flush() {
        buffer.flush(to: 1)
    }
}

nonisolated(unsafe) public let stdOut = StandardOutput()

/// Writes one line to standard error.
public func printError(_ line: String) {
    let s = line + "\n"
    _ = s.withCString { write(2, $0, strlen($0)) }
}

/// The one-line failure a command ends with: thrown from any depth of
/// the command, printed once by `runCommand` as "tool: message" with
/// `code` as the exit code.
public struct ToolError: Error, CustomStringConvertible {
    public let message: String
    public let code: Int32

    public init(_ message: String, code: Int32 = 1) {
        self.message = message
        self.code = code
    }

    public var description: String { message }
}

/// The entry point of a tool (its root command's `static func main()`,
/// the process's main, and nothing else calls it):
/// parses `arguments` (default: the command line), runs the command,
/// flushes standard output, and exits: 0, a thrown `ToolError`'s code
/// after its one line, or what swift-argument-parser says for its own
/// errors (`ValidationError`, `ExitCode`, usage).  The only place a tool
/// exits from: commands, option groups, libraries and the daemon's
/// sessions return or throw (`ToolError`, `ExitCode`) instead.
public func runCommand<Command: ParsableCommand>(_ command: Command.Type, tool: String,
                                                 arguments: [String]? = nil) -> Never {
    do {
        var parsed = try Command.parseAsRoot(arguments)
        try parsed.run()
        stdOut.flush()
        exit(0)
    } catch let failure as ToolError {
        stdOut.flush()
        printError("\(tool): \(failure.message)")
        exit(failure.code)
    } catch {
        stdOut.flush()
        Command.exit(withError: error)
    }
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
