// The daemon's own messages (--message-log FILE) and its signals: SIGTERM
// and SIGINT stop it, SIGHUP reopens FILE (after logrotate moved it away).
//
// Messages go through swift-log (`messages()`, a `Logger` whose handler is
// `MessageLogHandler`): one line "ttd-deviced: message" on standard error,
// which --message-log puts into FILE.  The reopen works on the descriptor,
// not in the handler, so that everything the daemon's process writes there
// (libxl's messages too) lands in the same file after a SIGHUP.

import CTTSupport
import Logging
import TTTools
#if canImport(Glibc)
import Glibc
#endif

/// --message-log FILE: the daemon's standard output and error, appended to
/// FILE and reopened on SIGHUP.
public struct MessageLog {
    public let path: String
    /// The descriptors that write into FILE (the daemon: 1 and 2).
    public let descriptors: [Int32]

    /// Opens FILE (appending, created 0644) onto the descriptors.
    public init(path: String, descriptors: [Int32] = [1, 2]) throws {
        self.path = path
        self.descriptors = descriptors
        try reopen()
    }

    /// Opens FILE again onto the descriptors; they keep writing where they
    /// did when FILE cannot be opened.
    public func reopen() throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ToolError("--message-log \(path): cannot open it: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        for d in descriptors where dup2(fd, d) < 0 {
            throw ToolError("--message-log \(path): cannot put it on descriptor \(d): \(String(cString: strerror(errno)))")
        }
    }
}

/// swift-log's handler for the daemon: one line per message on standard
/// error, "ttd-deviced: message", warnings and worse with their level
/// ("ttd-deviced: warning: ..."), metadata appended as key=value.
public struct MessageLogHandler: LogHandler {
    public let tool: String
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider? = nil

    public init(tool: String) { self.tool = tool }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// The line a message becomes (without the newline).
    public func line(level: Logger.Level, message: Logger.Message, metadata extra: Logger.Metadata?) -> String {
        var all = metadata
        if let extra { all.merge(extra) { $1 } }
        let level = level >= .warning ? "\(level): " : ""
        let fields = all.sorted { $0.key < $1.key }.map { " \($0.key)=\($0.value)" }.joined()
        return "\(tool): \(level)\(message)\(fields)"
    }

    public func log(event: LogEvent) {
        printError(line(level: event.level, message: event.message, metadata: event.metadata))
    }
}

/// swift-log set up once for the process: every `Logger` gets a
/// `MessageLogHandler` that names its label at the start of the line.
private let loggingBootstrapped: Void = LoggingSystem.bootstrap { MessageLogHandler(tool: $0) }

/// The logger of `tool` ("ttd-deviced": "ttd-deviced: message").
public func messages(_ tool: String = "ttd-deviced") -> Logger {
    loggingBootstrapped
    return Logger(label: tool)
}

/// The message log SIGHUP reopens, when --message-log is given.
nonisolated(unsafe) public var messageLog: MessageLog? = nil

nonisolated(unsafe) public var signalPipe: [Int32] = [-1, -1]

/// Signals go into signalPipe (one byte each, the signal number), which the
/// main loops poll and hand to takeSignals().  The pipe is made once.
/// SIGHUP alone is caught from the start (a reopen waits for the main
/// loop); SIGTERM and SIGINT once a session runs (before, they end the
/// daemon at once, as when ttd-xl gives up waiting for it).
public func installSignalHandlers(_ signals: [Int32] = [SIGTERM, SIGINT, SIGHUP]) {
    if signalPipe[0] < 0 {
        _ = signalPipe.withUnsafeMutableBufferPointer { tt_pipe_cloexec_nonblock($0.baseAddress!) }
    }
    let handler: @convention(c) (Int32) -> Void = { sig in
        var b = UInt8(truncatingIfNeeded: sig)
        _ = write(signalPipe[1], &b, 1)
    }
    for s in signals { signal(s, handler) }
    signal(SIGPIPE, SIG_IGN)
}

/// Reads the signals that came: reopens the message log for SIGHUP, and
/// says whether one asks the daemon to stop (SIGTERM, SIGINT).
public func takeSignals(tool: String = "ttd-deviced") -> Bool {
    var stop = false
    let log = messages(tool)
    var b = [UInt8](repeating: 0, count: 16)
    while true {
        let n = read(signalPipe[0], &b, b.count)
        if n < 0 && errno == EINTR { continue }
        guard n > 0 else { break }
        for sig in b[0..<n].map(Int32.init) {
            if sig != SIGHUP { stop = true; continue }
            guard let file = messageLog else {
                log.notice("SIGHUP: no --message-log to reopen; ignored")
                continue
            }
            do {
                try file.reopen()
                log.info("SIGHUP: reopened \(file.path)")
            } catch {
                log.warning("SIGHUP: \(error); messages stay where they went")
            }
        }
    }
    return stop
}
