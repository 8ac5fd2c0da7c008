// ttd-deviced: the recording session.

import CTTSupport
import TTLog
import TTTools
import TTXen
#if canImport(Glibc)
import Glibc
#endif

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
    /// What Xen counts between landmarks in this recording.
    let counter: Counter

    // Counters printed at the end.
    var records: UInt64 = 0
    var landmarks: UInt64 = 0
    var recordBytes: UInt64 = 0
    var kicks: UInt64 = 0
    var consoleBytes: UInt64 = 0
    var lastStatus: TTStatus? = nil
    var end: End? = nil
    /// --test-drain-limit: bytes per round (a slow writer), and how often
    /// the guest was then seen waiting for room (TT_STATE_RING_WAIT).
    let drainLimit: Int?
    var ringWaitsSeen: UInt64 = 0
    /// TTOP_landmark_counts read when END came.
    var endCounts: TTLandmarkCounts? = nil

    init(_ o: Deviced) throws {
        // The log first: one that exists, that another daemon writes, or a
        // path that cannot be written fails before the domain is touched.
        var claim = try o.file.map { try LogClaim(path: $0, overwrite: o.force) }
        do {
            try self.init(o, claim: &claim)
        } catch {
            claim?.release()
            throw error
        }
    }

    private init(_ o: Deviced, claim: inout LogClaim?) throws {
        let libxl = try LibXL()
        domain = try libxl.domain(o.domainName)
        host = try XenHost()
        guard let info = host.domainInfo(domain) else {
            throw XenError.call(what: "domain \(o.domainName)", detail: "no such domain (xl list shows the domains)")
        }
        name = libxl.name(of: domain) ?? "domain-\(domain)"
        path = o.file ?? "/var/lib/tt-xen/logs/\(name).ttlog"
        if claim == nil {
            mkdirs("/var/lib/tt-xen/logs")
            claim = try LogClaim(path: path, overwrite: o.force)
        }
        actions = [0: o.onPoweroff, 1: o.onReboot, 3: o.onCrash, 4: o.onCrash]
        drainLimit = o.testDrainLimit

        tt = try TTControl()
        counter = try RecordSession.attach(tt, domain, name: name, choice: o.counter ?? .auto,
                                           boundMicroseconds: o.boundMicroseconds)
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
        writer = try LogWriter(claim: claim!, header: h, options: .init(zstd: o.zstd))

        console = try ConsoleBackend(pty: o.consolePty, file: o.consoleFile, domain: domain)
        installSignalHandlers()
        printError("\(tool): recording domain \(domain) (\(name)) into \(path).incomplete; ring \(o.ringPages) pages, doorbell port \(port); "
                   + "counter: \(counter.description)")
        if let p = console.ptyPath { printError("\(tool): console: \(p)") }
        if let fd = o.readyFD {
            var b: UInt8 = 1
            _ = write(fd, &b, 1)
            if fd != o.resultFD { close(fd) }
        }
    }

    /// TTOP_attach recording with the counter chosen: `auto` asks for icount
    /// and falls back to none (one line) when Xen answers -ENODEV; an
    /// explicit icount that Xen refuses is an error.  Returns the counter
    /// attached with.
    static func attach(_ tt: TTControl, _ domain: DomainID, name: String, choice: CounterChoice,
                       boundMicroseconds: UInt32) throws -> Counter {
        let tool = "ttd-deviced"
        let attempts = choice.attempts
        var fellBack = false
        for (i, c) in attempts.enumerated() {
            do {
                try tt.attach(domain, mode: UInt16(Mode.record.rawValue), interfaceVersion: TTABI.interfaceVersion,
                              boundMicroseconds: boundMicroseconds, counter: c.rawValue)
                // Said only once attached: a refusal for another reason is the one line.
                if fellBack {
                    printError("\(tool): this host offers no guest instruction counter (Xen not booted with tt_counter=icount "
                               + "under QEMU -icount shift=0): recording without one; interrupts between landmarks will be "
                               + "placed by register signature")
                }
                return c
            } catch let e as XenError where e.errno == ENODEV && i + 1 < attempts.count {
                fellBack = true
            } catch let e as XenError where e.errno == ENODEV {
                throw XenError.call(what: "--counter \(choice.rawValue) on domain \(domain) (\(name))",
                                    detail: "Xen refuses the counter \(c.description): this host does not offer it "
                                        + "(boot Xen with tt_counter=icount under QEMU -icount shift=0), "
                                        + "or record with --counter auto or none; nothing recorded")
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

    /// The main loop: until END, the domain's disappearance, or a signal
    /// (SIGTERM, SIGINT: detach, then drain until END or 5 s).  Closes the
    /// log and returns the daemon's exit code.
    mutating func run() -> Int32 {
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
            if fds[1].revents != 0 && takeSignals(tool: tool) {
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
                if let s = try? tt.status(domain) {
                    lastStatus = s
                    if s.state == TTState.ringWait.rawValue { ringWaitsSeen += 1 }
                }
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
        return finish(why, failed: failed)
    }

    /// Moves everything the ring holds into the log.
    mutating func drain() throws {
        var rounds = 0
        // At most 16 MiB per call, so that signals and console input are
        // served; a test's slow writer takes drainLimit bytes, then sleeps.
        if drainLimit != nil { usleep(10_000) }
        while consumer.pendingBytes > 0 && rounds < (drainLimit == nil ? 16 : 1) {
            rounds += 1
            let b = try consumer.consume(maxBytes: drainLimit ?? 1 << 20) { span, recs in
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
        if let bytes = r.consoleOutput {
            consoleBytes += UInt64(bytes.count)
            console.output(Array(bytes))
            return
        }
        switch r.payload {
        case .end(let e):
            end = e
            // Xen's diagnostic counters, while the domain's TT state exists.
            endCounts = try? tt.landmarkCounts(domain)
        default:
            break
        }
    }

    /// Closes the log and the console, prints the counters, destroys the
    /// domain when its config says so; returns the exit code.
    func finish(_ why: String, failed: Bool) -> Int32 {
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
        if let c = endCounts {
            let types = c.byType.enumerated().filter { $0.element > 0 }
                .map { "\(RecordType.of(UInt16($0.offset))?.name ?? "type_\($0.offset)")=\($0.element)" }
            printError("\(tool): Xen's counters at END: exits=\(c.exits) other=\(c.other) continuations=\(c.continuations) "
                       + "max_gap_ns=\(c.maxGapNanoseconds) gap_sum_ns=\(c.gapSumNanoseconds) max_gap_landmark=\(c.maxGapLandmark) "
                       + types.joined(separator: " "))
        }
        if let l = drainLimit {
            printError("\(tool): test drain limit \(l) bytes per 10 ms: the guest was seen waiting for room \(ringWaitsSeen) times")
        }
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
        return code
    }
}

