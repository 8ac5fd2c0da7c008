// The guest's TT-io console, as a session serves it.

import CTTSupport
import TTLog
import TTTools
import TTXen
#if canImport(Glibc)
import Glibc
#endif

// MARK: - The TT-io console backend

/// The guest's console: output to a pty and/or a file, input from the pty.
public struct ConsoleBackend {
    public private(set) var ptyPath: String? = nil
    private var master: Int32 = -1
    private var slave: Int32 = -1
    private var file: Int32 = -1
    private var pending: [UInt8] = []
    private let domain: DomainID
    private var linkPath: String? = nil

    /// Whether what is typed on the pty goes to the guest (recording); a
    /// replayed guest takes its console input from the log.
    private let takesInput: Bool

    /// The console of `domain`: on a pty (its path kept in
    /// /run/tt-xen/domain-ID.pty) and/or appended to a file; neither: none.
    public init(pty: Bool, file path: String?, domain: DomainID, input: Bool = true) throws {
        self.domain = domain
        takesInput = input
        if pty {
            var name = [UInt8](repeating: 0, count: 128)
            master = name.withUnsafeMutableBytes { tt_pty_open($0.baseAddress!.assumingMemoryBound(to: CChar.self), 128) }
            guard master >= 0 else {
                throw XenError.call(what: "opening a pty for the console", detail: String(cString: strerror(errno)))
            }
            ptyPath = String(decoding: name.prefix { $0 != 0 }, as: UTF8.self)
            // Keep the other end open: no EIO while nobody is attached.
            slave = open(ptyPath!, O_RDWR | O_NOCTTY | O_CLOEXEC)
            var t = termios()
            if slave >= 0, tcgetattr(slave, &t) == 0 {
                cfmakeraw(&t)
                tcsetattr(slave, TCSANOW, &t)
            }
            _ = fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK)
            mkdirs("/run/tt-xen")
            let link = "/run/tt-xen/domain-\(domain).pty"
            let fd = open(link, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            if fd >= 0 {
                let s = ptyPath! + "\n"
                _ = s.withCString { write(fd, $0, strlen($0)) }
                Glibc.close(fd)
                linkPath = link
            }
        }
        if let path {
            file = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            guard file >= 0 else {
                throw XenError.call(what: "opening the console file \(path)", detail: String(cString: strerror(errno)))
            }
        }
    }

    var inputFD: Int32 { master }
    var wantsInput: Bool { takesInput && master >= 0 && pending.count < TTControlABI.ioQueueBytes }
    var hasPendingInput: Bool { !pending.isEmpty }

    func output(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { b in
            if file >= 0 { _ = write(file, b.baseAddress, b.count) }
            // Nobody reading the pty: its buffer fills and output is dropped there
            // (it is in the log anyway).
            if master >= 0 { _ = write(master, b.baseAddress, b.count) }
        }
    }

    mutating func readInput() {
        guard takesInput, master >= 0 else { return }
        var buf = [UInt8](repeating: 0, count: TTControlABI.ioQueueBytes - pending.count)
        let n = read(master, &buf, buf.count)
        if n > 0 { pending += buf[0..<n] }
    }

    /// Hands typed input to Xen (TTOP_io_push); keeps it when Xen's queue is full.
    mutating func push(_ target: any SessionDomain) throws {
        let chunk = Array(pending.prefix(1024))
        let ok = try chunk.withUnsafeBytes { try target.pushConsole($0) }
        if ok { pending.removeFirst(chunk.count) }
    }

    func close() {
        if file >= 0 { Glibc.close(file) }
        if let linkPath { unlink(linkPath) }
        if master >= 0 { Glibc.close(master) }
        if slave >= 0 { Glibc.close(slave) }
    }
}

