// The recording session: one domain being recorded, its ring drained into
// its log, its console served.  Like rr's RecordSession, step() advances it
// by one round of the daemon's loop and answers how it stands.

import CTTSupport
import Logging
import TTLog
import TTTools
import TTXen
#if canImport(Glibc)
import Glibc
#endif

/// One domain being recorded: the ring, the log, the console.
public final class RecordSession {
    let tool = "ttd-deviced"
    let log = messages()
    public let domain: any SessionDomain
    public let name: String
    /// The log, as named once closed.
    public let path: String
    let consumer: RingConsumer
    let writer: LogWriter
    var console: ConsoleBackend
    let actions: [UInt32: String]      // SHUTDOWN_* code -> destroy/preserve
    /// What Xen counts between landmarks in this recording.
    public let counter: Counter

    // Counters printed at the end.
    private var drained = RingDrain()
    public var records: UInt64 { drained.records }
    public var landmarks: UInt64 { drained.landmarks }
    public var recordBytes: UInt64 { drained.recordBytes }
    public var kicks: UInt64 { drained.kicks }
    public private(set) var consoleBytes: UInt64 = 0
    var lastStatus: TTStatus? = nil
    /// Xen's END record, once it came.
    public private(set) var end: End? = nil
    /// --test-drain-limit: bytes per round (a slow writer), and how often
    /// the guest was then seen waiting for room (TT_STATE_RING_WAIT).
    let drainLimit: Int?
    var ringWaitsSeen: UInt64 = 0
    /// TTOP_landmark_counts read when END came.
    var endCounts: TTLandmarkCounts? = nil

    // Loop state.
    private var lastFlush = monotonicSeconds()
    private var lastCheck = 0.0
    /// When detach was asked (a signal).
    private var stopping: Double? = nil

    /// A session over a domain attached already, its ring's consumer and
    /// the log being written (`start` makes them with Xen; the tests with
    /// their own).  Signals reach it through `signalPipe`
    /// (`installSignalHandlers`).
    public init(domain: any SessionDomain, name: String, path: String, consumer: RingConsumer, writer: LogWriter,
                console: ConsoleBackend, counter: Counter, actions: [UInt32: String] = [:], drainLimit: Int? = nil) {
        self.domain = domain
        self.name = name
        self.path = path
        self.consumer = consumer
        self.writer = writer
        self.console = console
        self.counter = counter
        self.actions = actions
        self.drainLimit = drainLimit
    }

    /// Sets up the recording of `o.domain`: claims the log, attaches
    /// recording, maps the ring, binds the doorbell, writes the log header,
    /// opens the console, catches SIGTERM, SIGINT and SIGHUP, writes the
    /// ready byte.  On failure nothing of the log is left (its claim is
    /// released).
    public static func start(_ o: SessionOptions) throws -> RecordSession {
        // Options out of Xen's ranges fail before anything is touched.
        if let f = o.tscKHz, !TTABI.tscKHzRange.contains(UInt64(f)) {
            throw ToolError("--tsc-khz \(f): the guest's TSC frequency in kHz, "
                            + "\(TTABI.tscKHzRange.lowerBound)..\(TTABI.tscKHzRange.upperBound)")
        }
        if o.boundMicroseconds != 0, !TTABI.boundMicrosecondsRange.contains(o.boundMicroseconds) {
            throw ToolError("--bound-us \(o.boundMicroseconds): the liveness bound in guest microseconds, "
                            + "\(TTABI.boundMicrosecondsRange.lowerBound)..\(TTABI.boundMicrosecondsRange.upperBound) (0: Xen's default)")
        }
        // The log first: one that exists, that another daemon writes, or a
        // path that cannot be written fails before the domain is touched.
        var claim = try o.file.map { try LogClaim(path: $0, overwrite: o.force) }
        do {
            return try start(o, claim: &claim)
        } catch {
            claim?.release()
            throw error
        }
    }

    private static func start(_ o: SessionOptions, claim: inout LogClaim?) throws -> RecordSession {
        let libxl = try LibXL()
        let domain = try libxl.domain(o.domain)
        let host = try XenHost()
        guard let info = host.domainInfo(domain) else {
            throw XenError.call(what: "domain \(o.domain)", detail: "no such domain (xl list shows the domains)")
        }
        let name = libxl.name(of: domain) ?? "domain-\(domain)"
        let path = o.file ?? "/var/lib/tt-xen/logs/\(name).ttlog"
        if claim == nil {
            mkdirs("/var/lib/tt-xen/logs")
            claim = try LogClaim(path: path, overwrite: o.force)
        }

        let tt = try TTControl()
        let counter = try attach(tt, domain, name: name, choice: o.counter ?? .auto,
                                 boundMicroseconds: o.boundMicroseconds, tscKHz: o.tscKHz ?? 0)
        let port = try tt.ringSetup(domain, ring: TTControlABI.ringLog, pages: UInt32(o.ringPages + 1))
        let ring = try MappedRing(domain: domain, ring: TTControlABI.ringLog, pages: o.ringPages + 1)
        let consumer = try RingConsumer(control: ring.control, data: ring.data, dataBytes: ring.dataBytes)
        let xen = XenDomain(domain, tt: tt, host: host, doorbell: try EventChannel(domain: .ownDomain, remotePort: port))
        xen.rings = [ring]

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
        let writer = try LogWriter(claim: claim!, header: h, options: .init(zstd: o.zstd))

        let console = try ConsoleBackend(pty: o.consolePty, file: o.consoleFile, domain: domain)
        let session = RecordSession(domain: xen, name: name, path: path, consumer: consumer, writer: writer,
                                    console: console, counter: counter, actions: o.actions, drainLimit: o.testDrainLimit)
        installSignalHandlers()
        session.log.info(Logger.Message(stringLiteral: "recording domain \(domain) (\(name)) into \(path).incomplete; ring \(o.ringPages) pages, doorbell port \(port); "
                         + "counter: \(counter.description)"))
        if let p = console.ptyPath { session.log.info("console: \(p)") }
        if let fd = o.readyFD {
            var b: UInt8 = 1
            _ = write(fd, &b, 1)
            if fd != o.resultFD { close(fd) }
        }
        return session
    }

    /// TTOP_attach recording with the counter chosen: `auto` asks for icount,
    /// then branches, and falls back to none (one line) when Xen answers
    /// -ENODEV to both; an explicit counter that Xen refuses is an error.  Returns the counter
    /// attached with.
    static func attach(_ tt: TTControl, _ domain: DomainID, name: String, choice: CounterChoice,
                       boundMicroseconds: UInt32, tscKHz: UInt32 = 0) throws -> Counter {
        let attempts = choice.attempts
        var fellBack = false
        for (i, c) in attempts.enumerated() {
            do {
                try tt.attach(domain, mode: UInt16(Mode.record.rawValue), interfaceVersion: TTABI.interfaceVersion,
                              boundMicroseconds: boundMicroseconds, counter: c.rawValue, tscKHz: tscKHz)
                // Said only once attached: a refusal for another reason is the one line.
                if fellBack {
                    messages().info(Logger.Message(stringLiteral: c == .none
                                    ? "this host offers no counter (\(CounterChoice.howOffered)): recording without one; "
                                        + "interrupts between landmarks will be placed by register signature"
                                    : "counter: \(c.description) (this host offers no guest instruction counter)"))
                }
                return c
            } catch let e as XenError where e.errno == ENODEV && i + 1 < attempts.count {
                fellBack = true
            } catch let e as XenError where e.errno == ENODEV {
                throw XenError.call(what: "--counter \(choice.rawValue) on domain \(domain) (\(name))",
                                    detail: "Xen refuses the counter \(c.description): this host does not offer it "
                                        + "(\(CounterChoice.howOffered)), or record with --counter auto or none; "
                                        + "nothing recorded")
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
        }
        fatalError("CounterChoice.attempts is never empty")
    }

    /// Steps the recording to its end: Xen's END, the domain's
    /// disappearance, a write error, or a signal (SIGTERM, SIGINT: detach,
    /// then drain until END or 5 s).  Closes the log and returns the
    /// daemon's exit code.
    public func run() -> Int32 {
        while true {
            if case let .finished(code, result) = step() { return finish(code: code, result: result) }
        }
    }

    /// One round: wait for the doorbell, a signal or console input (10 ms
    /// at most), drain the ring into the log, pass console input on, flush
    /// once a second, check the domain five times a second.
    public func step() -> SessionStatus {
        var fds = [pollfd(fd: domain.doorbellFD, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: signalPipe[0], events: Int16(POLLIN), revents: 0),
                   pollfd(fd: console.inputFD, events: console.wantsInput ? Int16(POLLIN) : 0, revents: 0)]
        _ = poll(&fds, nfds_t(fds.count), 10)
        if fds[0].revents != 0 { domain.acknowledgeDoorbell() }
        if fds[1].revents != 0 && takeSignals(tool: tool) {
            if stopping == nil {
                log.info("signal: detaching recording from domain \(domain.id), then draining the ring")
                stopping = monotonicSeconds()
                do { try domain.detach() } catch { log.info("\(error)") }
            }
        }
        do {
            try drain()
        } catch {
            return .finished(code: 1, result: "\(error)")
        }
        if let end { return .finished(code: 0, result: "the guest's recording ended (\(end.reason.name))") }
        if fds[2].revents != 0 { console.readInput() }
        if console.hasPendingInput {
            do { try console.push(domain) } catch { log.info("console input: \(error)") }
        }
        let now = monotonicSeconds()
        if now - lastFlush >= 1 {
            do { try writer.flush() } catch { return .finished(code: 1, result: "\(error)") }
            lastFlush = now
        }
        if now - lastCheck >= 0.2 {
            lastCheck = now
            if let s = try? domain.status() {
                lastStatus = s
                if s.state == TTState.ringWait.rawValue { ringWaitsSeen += 1 }
            }
            if domain.isGone {
                try? drain()
                if let end { return .finished(code: 0, result: "the guest's recording ended (\(end.reason.name))") }
                // Xen writes END before a TT domain goes: without it the
                // log misses its last records.
                return .finished(code: 1, result: "domain \(domain.id) is gone without an END record: "
                                 + "the log may miss the recording's last records")
            }
        }
        if let t = stopping {
            if now - t > 5 {
                return .finished(code: 1, result: "no END record 5 s after the detach: "
                                 + "the log may miss the recording's last records")
            }
            return .stopping
        }
        return .running
    }

    /// Moves everything the ring holds into the log.
    func drain() throws {
        // At most 16 MiB per call, so that signals and console input are
        // served; a test's slow writer takes drainLimit bytes, then sleeps.
        if drainLimit != nil { usleep(10_000) }
        try drained.drain(consumer, into: writer, rounds: drainLimit == nil ? 16 : 1, maxBytes: drainLimit ?? 1 << 20,
                          doorbell: domain.ringDoorbell, ended: { end != nil }, handle: handle)
    }

    func handle(_ r: Record) {
        if let bytes = r.consoleOutput {
            consoleBytes += UInt64(bytes.count)
            console.output(Array(bytes))
            return
        }
        switch r.payload {
        case .end(let e):
            end = e
            // Xen's diagnostic counters, while the domain's TT state exists.
            endCounts = try? domain.landmarkCounts()
        default:
            break
        }
    }

    /// Closes the log and the console, prints the counters, destroys the
    /// domain when its config says so; returns the exit code (`code`, or 1
    /// when the log cannot be closed).
    public func finish(code: Int32, result: String) -> Int32 {
        let failed = code != 0
        var code = code
        // The file the log is once closed: FILE when its trailer is written
        // (whatever the code), FILE.incomplete when that failed too.
        var closed = true
        do {
            try writer.close()
        } catch {
            log.info("\(error)")
            closed = false
            code = 1
        }
        console.close()
        let waits = lastStatus.map { String($0.ringWaits) } ?? "unknown"
        log.info("\(result); log \(closed ? path : path + ".incomplete") closed")
        log.info(Logger.Message(stringLiteral: "records \(records), bytes \(recordBytes), landmarks \(landmarks), ring waits \(waits), "
                 + "console bytes \(consoleBytes)"))
        if let c = endCounts {
            let types = c.byType.enumerated().filter { $0.element > 0 }
                .map { "\(RecordType.of(UInt16($0.offset))?.name ?? "type_\($0.offset)")=\($0.element)" }
            log.info(Logger.Message(stringLiteral: "Xen's counters at END: exits=\(c.exits) other=\(c.other) continuations=\(c.continuations) "
                     + "max_gap_ns=\(c.maxGapNanoseconds) gap_sum_ns=\(c.gapSumNanoseconds) max_gap_landmark=\(c.maxGapLandmark) "
                     + types.joined(separator: " ")))
        }
        if let l = drainLimit {
            log.info("test drain limit \(l) bytes per 10 ms: the guest was seen waiting for room \(ringWaitsSeen) times")
        }
        if failed && end == nil {
            log.info(Logger.Message(stringLiteral: "domain \(domain.id) stays paused once its ring is full (it never runs unrecorded); "
                     + "inspect it, then 'xl destroy \(domain.id)'"))
        }
        if let e = end, e.reason == .shutdown, actions[e.code] == "destroy" {
            // Let Xen finish with the domain, then destroy it as its config says.
            do { try domain.destroy() } catch { log.info("\(error)") }
        }
        return code
    }
}
