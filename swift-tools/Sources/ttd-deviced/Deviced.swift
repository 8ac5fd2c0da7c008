// ttd-deviced: the logging daemon of time-traveling Xen.  It records one
// TT domain: attaches recording to the paused domain, maps its log ring,
// writes the records into the log, and serves the guest's TT-io console.

import ArgumentParser
import CTTSupport
import TTLog
import TTTools
import TTXen
#if canImport(Glibc)
import Glibc
#endif

@main
struct Deviced: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ttd-deviced",
        abstract: "The time-traveling Xen logging daemon: records one domain into a log.",
        discussion: """
            ttd-xl create CONF time_travel="ttd_flag=1" starts it for you. By hand:

              xl create -p clientA.conf            # a PVH guest, 1 vCPU, created paused
              ttd-deviced -f /var/lib/tt-xen/logs/clientA.ttlog --domain clientA --console-pty &
              xl unpause clientA                   # after ttd-deviced says 'recording'

            It attaches recording to the domain (TTOP_attach: the domain must be \
            paused and never have run), sets up and maps its log ring, binds \
            the ring's doorbell, writes the log header (Xen version, guest name, \
            memory, the domain's CPUID policy, SHA-256 of --kernel, --ramdisk and \
            --config, start time), then copies every record into FILE \
            (FILE.incomplete until it is closed cleanly; chunks flushed at least \
            once a second). The guest's TT-io console goes to a pty \
            (--console-pty; its path is printed and kept in \
            /run/tt-xen/domain-ID.pty for 'ttd-xl console') and/or a file \
            (--console-file); what is typed on the pty goes to the guest.

            The log is closed (trailer, rename to FILE) when Xen writes the END \
            record (the guest shut down), when the domain disappears, and on \
            SIGTERM or SIGINT (recording is detached first, then the ring is \
            drained). After SIGKILL, FILE.incomplete reads up to its last whole \
            chunk, and the guest stays paused: it never runs unrecorded.

            Exit codes: 0 log closed cleanly, 1 error, 64 bad arguments.
            """,
        version: TTToolsVersion.string)

    @Option(name: .customShort("f"), help: ArgumentHelp("The log file to write (default /var/lib/tt-xen/logs/NAME.ttlog).", valueName: "file"))
    var file: String?

    @Option(name: .customLong("domain"), help: ArgumentHelp("The domain to record, by id or name (created paused, never run).", valueName: "id|name"))
    var domain: String

    @Flag(name: .customLong("console-pty"), help: "Serve the guest's TT-io console on a pty (its path is printed).")
    var consolePty = false

    @Option(name: .customLong("console-file"), help: ArgumentHelp("Also append the guest's console output to this file.", valueName: "file"))
    var consoleFile: String?

    @Option(name: .customLong("ready-fd"), help: ArgumentHelp("Write one byte to this descriptor once the guest may be unpaused.", valueName: "n"))
    var readyFD: Int32?

    @Option(name: .customLong("kernel"), help: ArgumentHelp("The guest's kernel: its SHA-256 goes into the log header.", valueName: "path"))
    var kernel: String?

    @Option(name: .customLong("ramdisk"), help: ArgumentHelp("The guest's initrd: its SHA-256 goes into the log header.", valueName: "path"))
    var ramdisk: String?

    @Option(name: .customLong("config"), help: ArgumentHelp("The xl config file: its SHA-256 goes into the log header.", valueName: "path"))
    var config: String?

    @Option(name: .customLong("ring-pages"), help: ArgumentHelp("Data pages of the log ring, a power of 2 (default 256: 1 MiB).", valueName: "n"))
    var ringPages = 256

    @Option(name: .customLong("bound-us"), help: ArgumentHelp("Liveness bound for held interrupts, guest microseconds (0: Xen's default, 10000).", valueName: "us"))
    var boundMicroseconds: UInt32 = 0

    @Flag(name: .customLong("zstd"), help: "Compress the log's chunks with zstd.")
    var zstd = false

    @Option(name: .customLong("on-poweroff"), help: ArgumentHelp("destroy or preserve the domain when it powers off (ttd-xl passes the config's on_poweroff).", valueName: "action"))
    var onPoweroff = "preserve"

    @Option(name: .customLong("on-reboot"), help: ArgumentHelp("The same when it reboots (a TT domain is not restarted).", valueName: "action"))
    var onReboot = "preserve"

    @Option(name: .customLong("on-crash"), help: ArgumentHelp("The same when it crashes.", valueName: "action"))
    var onCrash = "preserve"

    func validate() throws {
        if let file, !directoryIsWritable(forFile: file) {
            throw ValidationError("cannot write \(file): its directory does not exist or is not writable")
        }
        guard ringPages >= 32, ringPages <= 4096, ringPages & (ringPages - 1) == 0 else {
            throw ValidationError("--ring-pages \(ringPages): a power of 2 from 32 to 4096")
        }
        for (o, v) in [("--on-poweroff", onPoweroff), ("--on-reboot", onReboot), ("--on-crash", onCrash)]
        where v != "destroy" && v != "preserve" {
            throw ValidationError("\(o) \(v): destroy or preserve")
        }
        for p in [kernel, ramdisk, config].compactMap({ $0 }) where !fileExists(p) {
            throw ValidationError("\(p): no such file")
        }
    }

    func run() throws {
        var session: RecordSession
        do {
            session = try RecordSession(self)
        } catch {
            fail("ttd-deviced", "\(error)")
        }
        session.run()
    }
}

// MARK: - Signals

nonisolated(unsafe) private var signalPipe: [Int32] = [-1, -1]

private func installSignalHandlers() {
    _ = signalPipe.withUnsafeMutableBufferPointer { tt_pipe_cloexec_nonblock($0.baseAddress!) }
    let handler: @convention(c) (Int32) -> Void = { sig in
        var b = UInt8(truncatingIfNeeded: sig)
        _ = write(signalPipe[1], &b, 1)
    }
    signal(SIGTERM, handler)
    signal(SIGINT, handler)
    signal(SIGHUP, handler)
    signal(SIGPIPE, SIG_IGN)
}

// MARK: - The recording session

/// One domain being recorded: the ring, the log, the console.
struct RecordSession {
    let tool = "ttd-deviced"
    let domain: DomainID
    let name: String
    let path: String
    let tt: TTControl
    let host: XenHost
    let ring: MappedRing
    let consumer: RingConsumer
    let doorbell: EventChannel
    let writer: LogWriter
    var console: ConsoleBackend
    let actions: [UInt32: String]      // SHUTDOWN_* code -> destroy/preserve

    // Counters printed at the end.
    var records: UInt64 = 0
    var landmarks: UInt64 = 0
    var recordBytes: UInt64 = 0
    var kicks: UInt64 = 0
    var consoleBytes: UInt64 = 0
    var lastStatus: TTStatus? = nil
    var end: End? = nil

    init(_ o: Deviced) throws {
        let libxl = try LibXL()
        domain = try libxl.domain(o.domain)
        host = try XenHost()
        guard let info = host.domainInfo(domain) else {
            throw XenError.call(what: "domain \(o.domain)", detail: "no such domain (xl list shows the domains)")
        }
        name = libxl.name(of: domain) ?? "domain-\(domain)"
        path = o.file ?? "/var/lib/tt-xen/logs/\(name).ttlog"
        if o.file == nil {
            mkdirs("/var/lib/tt-xen/logs")
            guard directoryIsWritable(forFile: path) else {
                throw XenError.call(what: path, detail: "cannot write the log there; give -f FILE")
            }
        }
        actions = [0: o.onPoweroff, 1: o.onReboot, 3: o.onCrash, 4: o.onCrash]

        tt = try TTControl()
        do {
            try tt.attach(domain, mode: UInt16(Mode.record.rawValue), interfaceVersion: TTABI.interfaceVersion,
                          boundMicroseconds: o.boundMicroseconds)
        } catch let e as XenError where e.errno == EBUSY {
            // Attached already (another daemon), or not a fresh paused domain.
            if let s = try? tt.status(domain) {
                throw XenError.call(what: "domain \(domain) (\(name))",
                                    detail: "already being recorded (state \(s.stateName), \(s.records) records): "
                                        + "another ttd-deviced serves it; only one daemon per domain")
            }
            throw XenError.call(what: "domain \(domain) (\(name))",
                                detail: "has already run or is not paused by the toolstack: time travel starts "
                                    + "from a domain created paused (ttd-xl create, or xl create -p)")
        }
        let port = try tt.ringSetup(domain, ring: TTControlABI.ringLog, pages: UInt32(o.ringPages + 1))
        ring = try MappedRing(domain: domain, ring: TTControlABI.ringLog, pages: o.ringPages + 1)
        consumer = try RingConsumer(control: ring.control, data: ring.data, dataBytes: ring.dataBytes)
        doorbell = try EventChannel(domain: domain, remotePort: port)

        var h = LogHeader()
        h.mode = .record
        h.xenVersion = host.version()
        h.guestName = name
        h.memoryBytes = info.maxPages * 4096
        h.cpuidPolicy = try host.cpuidPolicy(domain).map {
            CPUIDLeaf(leaf: $0.leaf, subleaf: $0.subleaf, eax: $0.eax, ebx: $0.ebx, ecx: $0.ecx, edx: $0.edx)
        }
        if let k = o.kernel { h.kernelSHA256 = try SHA256.file(k) }
        if let r = o.ramdisk { h.initrdSHA256 = try SHA256.file(r) }
        if let c = o.config { h.configSHA256 = try SHA256.file(c) }
        h.startTimeNanoseconds = wallClockNanoseconds()
        h.logID = randomBytes(16)
        h.toolVersion = "ttd-deviced \(TTToolsVersion.string)"
        writer = try LogWriter(path: path, header: h, options: .init(zstd: o.zstd))

        console = try ConsoleBackend(pty: o.consolePty, file: o.consoleFile, domain: domain)
        installSignalHandlers()
        printError("\(tool): recording domain \(domain) (\(name)) into \(path).incomplete; ring \(o.ringPages) pages, doorbell port \(port)")
        if let p = console.ptyPath { printError("\(tool): console: \(p)") }
        if let fd = o.readyFD {
            var b: UInt8 = 1
            _ = write(fd, &b, 1)
            close(fd)
        }
    }

    /// The main loop: until END, the domain's disappearance, or a signal.
    mutating func run() -> Never {
        var lastFlush = monotonicSeconds()
        var lastCheck = 0.0
        var stopping: Double? = nil      // when detach was asked
        var why = ""
        var failed = false
        loop: while true {
            var fds = [pollfd(fd: doorbell.fd, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: signalPipe[0], events: Int16(POLLIN), revents: 0),
                       pollfd(fd: console.inputFD, events: console.wantsInput ? Int16(POLLIN) : 0, revents: 0)]
            _ = poll(&fds, nfds_t(fds.count), 10)
            if fds[0].revents != 0 { doorbell.acknowledge() }
            if fds[1].revents != 0 {
                var b = [UInt8](repeating: 0, count: 16)
                _ = read(signalPipe[0], &b, b.count)
                if stopping == nil {
                    printError("\(tool): signal: detaching recording from domain \(domain), then draining the ring")
                    stopping = monotonicSeconds()
                    do { try tt.detach(domain) } catch { printError("\(tool): \(error)") }
                }
            }
            do {
                try drain()
            } catch {
                why = "\(error)"
                failed = true
                break loop
            }
            if end != nil { why = "the guest's recording ended (\(end!.reason.name))"; break loop }
            if fds[2].revents != 0 { console.readInput() }
            if console.hasPendingInput {
                do { try console.push(tt) } catch { printError("\(tool): console input: \(error)") }
            }
            let now = monotonicSeconds()
            if now - lastFlush >= 1 {
                do { try writer.flush() } catch { why = "\(error)"; failed = true; break loop }
                lastFlush = now
            }
            if now - lastCheck >= 0.2 {
                lastCheck = now
                if let s = try? tt.status(domain) { lastStatus = s }
                let info = host.domainInfo(domain)
                if info == nil || info!.dying {
                    try? drain()
                    why = "domain \(domain) is gone"
                    break loop
                }
            }
            if let t = stopping, now - t > 5 {
                why = "no END record 5 s after the detach"
                break loop
            }
        }
        finish(why, failed: failed)
    }

    /// Moves everything the ring holds into the log.
    mutating func drain() throws {
        var rounds = 0
        // At most 16 MiB per call, so that signals and console input are served.
        while consumer.pendingBytes > 0 && rounds < 16 {
            rounds += 1
            let b = try consumer.consume(maxBytes: 1 << 20) { span, recs in
                try writer.appendRaw(span)
                for r in recs { handle(r) }
            }
            records += UInt64(b.records)
            landmarks += UInt64(b.landmarks)
            recordBytes += UInt64(b.recordBytes)
            if b.needsKick {
                kicks += 1
                try doorbell.notify()
            }
            if end != nil { return }
        }
        if consumer.producerWaiting {
            kicks += 1
            try doorbell.notify()
        }
    }

    mutating func handle(_ r: Record) {
        switch r.payload {
        case .hypercall(let h) where h.nr == UInt64(TTABI.hypercallNumber) && h.args[0] == 1 && h.data.count >= 32:
            // TTOP_io_send: struct xen_tt_io (32 bytes) then the bytes sent.
            let device = h.data.withUnsafeBytes { $0.load(fromByteOffset: 0, as: UInt32.self) }
            let len = Int(h.data.withUnsafeBytes { $0.load(fromByteOffset: 4, as: UInt32.self) })
            if device == TTIODevice.console.rawValue {
                let bytes = h.data[32..<min(h.data.count, 32 + len)]
                consoleBytes += UInt64(bytes.count)
                console.output(Array(bytes))
            }
        case .end(let e):
            end = e
        default:
            break
        }
    }

    func finish(_ why: String, failed: Bool) -> Never {
        var code: Int32 = failed ? 1 : 0
        do {
            try writer.close()
        } catch {
            printError("\(tool): \(error)")
            code = 1
        }
        console.close()
        let waits = lastStatus.map { String($0.ringWaits) } ?? "unknown"
        printError("\(tool): \(why); log \(code == 0 ? path : path + ".incomplete") closed")
        printError("\(tool): records \(records), bytes \(recordBytes), landmarks \(landmarks), ring waits \(waits), "
                   + "console bytes \(consoleBytes)")
        if failed && end == nil {
            printError("\(tool): domain \(domain) stays paused once its ring is full (it never runs unrecorded); "
                       + "inspect it, then 'xl destroy \(domain)'")
        }
        if let e = end, e.reason == .shutdown, actions[e.code] == "destroy" {
            // Let Xen finish with the domain, then destroy it as its config says.
            if let libxl = try? LibXL() {
                do { try libxl.destroy(domain) } catch { printError("\(tool): \(error)") }
            }
        }
        exit(code)
    }
}

// MARK: - The TT-io console backend

/// The guest's console: output to a pty and/or a file, input from the pty.
struct ConsoleBackend {
    private(set) var ptyPath: String? = nil
    private var master: Int32 = -1
    private var slave: Int32 = -1
    private var file: Int32 = -1
    private var pending: [UInt8] = []
    private let domain: DomainID
    private var linkPath: String? = nil

    init(pty: Bool, file path: String?, domain: DomainID) throws {
        self.domain = domain
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
    var wantsInput: Bool { master >= 0 && pending.count < TTControlABI.ioQueueBytes }
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
        guard master >= 0 else { return }
        var buf = [UInt8](repeating: 0, count: TTControlABI.ioQueueBytes - pending.count)
        let n = read(master, &buf, buf.count)
        if n > 0 { pending += buf[0..<n] }
    }

    /// Hands typed input to Xen (TTOP_io_push); keeps it when Xen's queue is full.
    mutating func push(_ tt: TTControl) throws {
        let chunk = Array(pending.prefix(1024))
        let ok = try chunk.withUnsafeBytes { try tt.ioPush(domain, device: UInt16(TTIODevice.console.rawValue), bytes: $0) }
        if ok { pending.removeFirst(chunk.count) }
    }

    func close() {
        if file >= 0 { Glibc.close(file) }
        if let linkPath { unlink(linkPath) }
        if master >= 0 { Glibc.close(master) }
        if slave >= 0 { Glibc.close(slave) }
    }
}

// MARK: - Small helpers

func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func randomBytes(_ n: Int) -> [UInt8] {
    var b = [UInt8](repeating: 0, count: n)
    let fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
    if fd >= 0 {
        _ = b.withUnsafeMutableBytes { read(fd, $0.baseAddress, n) }
        close(fd)
    }
    return b
}

func mkdirs(_ path: String) {
    var p = ""
    for part in path.split(separator: "/") {
        p += "/" + part
        mkdir(p, 0o755)
    }
}
