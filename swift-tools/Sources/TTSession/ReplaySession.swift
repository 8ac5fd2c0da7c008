// The replay session (ttd-deviced --replay).  Like rr's ReplaySession, one
// object holds the state of a replay and step() advances it by one round
// of the daemon's loop, answering whether it goes on or how it ended.
//
// Xen replays from TT_RING_REPLAY, which the session fills with the
// recording's records (ReplayFeeder, RingProducer), and writes the replay's
// own log into TT_RING_LOG, which the session drains into the replay log
// exactly as RecordSession drains a recording.  One doorbell serves both
// rings.

import CTTSupport
import Logging
import TTLog
import TTTools
import TTXen
#if canImport(Glibc)
import Glibc
#endif

/// One domain being replayed: both rings, the recording, the replay log, the console.
public final class ReplaySession {
    let tool = "ttd-deviced"
    let log = messages()
    public let domain: any SessionDomain
    public let name: String
    /// The recording (the file actually read: FILE or FILE.incomplete).
    public let recordingPath: String
    /// The replay log, as named once closed.
    public let path: String
    let consumer: RingConsumer
    let producer: RingProducer
    let feeder: ReplayFeeder
    let writer: LogWriter
    var console: ConsoleBackend
    let actions: [UInt32: String]      // SHUTDOWN_* code -> destroy/preserve
    let resultFD: Int32?

    // Counters printed at the end.
    var drained = RingDrain()
    var consoleBytes: UInt64 = 0
    var lastStatus: TTStatus? = nil

    /// The replay log's DIVERGENCE and END records, once Xen wrote them.
    var divergence: Divergence? = nil
    var end: (End, Position)? = nil

    // Loop state.
    private var lastFlush = monotonicSeconds()
    private var lastCheck = 0.0
    private var stopping: Double? = nil
    private var notedFeedEnd = false

    /// Sets up the replay of `o.file` into `o.domain`: checks the recording
    /// against the domain, attaches replay, maps both rings, binds the
    /// doorbell, creates the replay log, feeds the first records, opens the
    /// console, catches SIGTERM, SIGINT and SIGHUP, writes the ready byte.
    public init(_ o: SessionOptions) throws {
        let log = messages()        // self.log, before self is whole
        let libxl = try LibXL()
        let domain = try libxl.domain(o.domain)
        let host = try XenHost()
        guard let info = host.domainInfo(domain) else {
            throw XenError.call(what: "domain \(o.domain)", detail: "no domain of that id (xl list shows the domains)")
        }
        name = libxl.name(of: domain) ?? "domain-\(domain)"
        actions = o.actions
        resultFD = o.resultFD

        // The recording: readable, a recording, of this tool's interface, for this domain.
        var original = o.file ?? "/var/lib/tt-xen/logs/\(name).ttlog"
        if !fileExists(original) && fileExists(original + ".incomplete") {
            log.info(Logger.Message(stringLiteral: "\(original) does not exist; replaying \(original).incomplete "
                       + "(not closed cleanly: it replays up to its last whole chunk)"))
            original += ".incomplete"
        }
        recordingPath = original
        let reader: LogReader
        do {
            reader = try LogReader(path: original)
        } catch LogError.newerFormat(let p, let version, let compat, let supported) {
            throw ReplayError("\(p): log format version \(version) needs a reader of version \(compat) or newer; "
                              + "this ttd-deviced knows version \(supported): replay it with newer tools")
        }
        let recorded = reader.header
        if let why = replayRefusal(of: recorded, path: original) { throw ReplayError(why) }
        feeder = try ReplayFeeder(reader)
        // The files when given (ttd-xl gives them; by hand they may be left
        // out, and ttd-xl checked them already), the memory always.
        let files = o.kernel != nil
            ? replayMismatch(header: recorded, kernel: try FileDigest(file: o.kernel),
                             ramdisk: try FileDigest(file: o.ramdisk), config: try FileDigest(file: o.config),
                             memoryBytes: nil)
            : nil
        if let m = files ?? replayMemoryMismatch(header: recorded, memoryBytes: info.maxPages * 4096) {
            throw ReplayError("replay refused: \(m) (domain \(domain), log \(original))")
        }
        if let r = o.replayLog {
            path = r
        } else {
            path = ReplayLogName.firstFree(log: original, guest: recorded.guestName)
        }
        if fileExists(path) || fileExists(path + ".incomplete") {
            throw ReplayError("\(path): exists already; a replay never overwrites a file")
        }

        // Attach replay with the recording's flags, bound and counter, both rings, one doorbell.
        let start = feeder.domainStart
        if case .unknown(let v) = start.counter {
            throw ReplayError("\(original) was recorded with counter \(v), which this ttd-deviced does not know: "
                              + "replay it with the tools built with the hypervisor that recorded it")
        }
        let tt = try TTControl()
        if o.boundMicroseconds != 0 && o.boundMicroseconds != start.boundMicroseconds {
            log.info("note: --bound-us \(o.boundMicroseconds) ignored: replay uses the recording's \(start.boundMicroseconds)")
        }
        if let c = o.counter, c.attempts.first != start.counter {
            log.info("note: --counter \(c.rawValue) ignored: replay uses the recording's (\(start.counter.name))")
        }
        // The guest's TSC runs at the recorded frequency, whatever this host's.
        guard TTABI.tscKHzRange.contains(start.tscKHz) else {
            throw ReplayError("\(original): its DOMAIN_START gives a guest TSC frequency of \(start.tscKHz) kHz, "
                              + "outside \(TTABI.tscKHzRange) kHz: the log is damaged")
        }
        do {
            try tt.attach(domain, mode: UInt16(Mode.replay.rawValue), interfaceVersion: TTABI.interfaceVersion,
                          flags: start.attachFlags, boundMicroseconds: start.boundMicroseconds,
                          counter: start.counter.rawValue, tscKHz: UInt32(start.tscKHz))
        } catch let e as XenError where e.errno == ENODEV {
            let how = start.counter == .instructions
                ? "boot Xen with tt_counter=icount under QEMU -icount shift=0"
                : "boot Xen with tt_counter=branches on an AMD SVM host whose PMU nothing else uses"
            throw ReplayError("replay refused: \(original) was recorded with counter \(start.counter.name) "
                              + "(\(start.counter.description)), which this host does not offer (\(how)); domain \(domain)")
        } catch let e as XenError where e.errno == EBUSY {
            if let s = try? tt.status(domain) {
                throw XenError.call(what: "domain \(domain) (\(name))",
                                    detail: "already being \(s.mode == UInt16(Mode.replay.rawValue) ? "replayed" : "recorded") "
                                        + "(state \(s.stateName)): another ttd-deviced serves it; only one daemon per domain")
            }
            throw XenError.call(what: "domain \(domain) (\(name))",
                                detail: "has already run or is not paused by the toolstack: replay starts from a domain "
                                    + "created paused (ttd-xl create, or xl create -p)")
        }
        let pages = o.ringPages + 1
        let port = try tt.ringSetup(domain, ring: TTControlABI.ringLog, pages: UInt32(pages))
        let replayPort = try tt.ringSetup(domain, ring: TTControlABI.ringReplay, pages: UInt32(pages))
        guard replayPort == port else {
            throw XenError.call(what: "TTOP_ring_setup of the replay ring of domain \(domain)",
                                detail: "doorbell port \(replayPort), the log ring's is \(port): tt.h says one doorbell "
                                    + "for both rings; use the ttd-deviced built with this hypervisor")
        }
        let logRing = try MappedRing(domain: domain, ring: TTControlABI.ringLog, pages: pages)
        let replayRing = try MappedRing(domain: domain, ring: TTControlABI.ringReplay, pages: pages)
        consumer = try RingConsumer(control: logRing.control, data: logRing.data, dataBytes: logRing.dataBytes)
        producer = try RingProducer(control: replayRing.control, data: replayRing.data, dataBytes: replayRing.dataBytes)
        let xen = XenDomain(domain, tt: tt, host: host, doorbell: try EventChannel(domain: .ownDomain, remotePort: port))
        xen.rings = [logRing, replayRing]
        self.domain = xen

        // The replay log: the recording's header, as a replay of it.
        var h = LogHeader()
        h.mode = .replay
        h.xenVersion = host.version()
        h.guestName = recorded.guestName
        h.memoryBytes = recorded.memoryBytes
        h.kernelSHA256 = recorded.kernelSHA256
        h.initrdSHA256 = recorded.initrdSHA256
        h.configSHA256 = recorded.configSHA256
        h.cpuidPolicy = try host.cpuidPolicy(domain).map {
            CPUIDLeaf(leaf: $0.leaf, subleaf: $0.subleaf, eax: $0.eax, ebx: $0.ebx, ecx: $0.ecx, edx: $0.edx)
        }
        if !recorded.cpuidPolicy.isEmpty && h.cpuidPolicy != recorded.cpuidPolicy {
            log.info(Logger.Message(stringLiteral: "note: the domain's CPUID policy differs from the recording's "
                       + "(\(h.cpuidPolicy.count) leaves, recorded \(recorded.cpuidPolicy.count)): replay may diverge at a CPUID"))
        }
        h.startTimeNanoseconds = wallClockNanoseconds()
        h.interfaceVersion = TTABI.interfaceVersion
        h.logID = randomBytes(16)
        h.originalLogID = recorded.logID
        h.toolVersion = "ttd-deviced \(TTToolsVersion.string)"
        writer = try LogWriter(path: path, header: h, options: .init(zstd: o.zstd))

        // Xen runs the guest once the replay ring holds TT_EXIT_MAX_BYTES or eof.
        let first = try feeder.feed(producer)
        try xen.ringDoorbell()
        drained.kicks += 1

        console = try ConsoleBackend(pty: o.consolePty, file: o.consoleFile, domain: domain, input: false)
        installSignalHandlers()
        log.info(Logger.Message(stringLiteral: "replaying \(original) into domain \(domain) (\(name)); replay log \(path).incomplete; "
                   + "rings \(o.ringPages) pages, doorbell port \(port); counter: \(start.counter.description); "
                   + "\(first.records) records fed"))
        if let p = console.ptyPath { log.info("console (output only): \(p)") }
        if let fd = o.readyFD {
            var b: UInt8 = 1
            _ = write(fd, &b, 1)
            if fd != o.resultFD { close(fd) }
        }
    }

    /// Steps the replay to its end, closes the replay log; returns the
    /// exit code (`ReplayOutcome`'s, or 1 for an error).
    public func run() -> Int32 {
        while true {
            if case let .finished(code, result) = step() { return finish(code: code, result: result) }
        }
    }

    /// One round: wait for the doorbell or a signal (10 ms at most), drain
    /// the log ring into the replay log, feed the replay ring, flush, check
    /// the domain.
    public func step() -> SessionStatus {
        var fds = [pollfd(fd: domain.doorbellFD, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: signalPipe[0], events: Int16(POLLIN), revents: 0)]
        _ = poll(&fds, nfds_t(fds.count), 10)
        let rang = fds[0].revents != 0
        if rang { domain.acknowledgeDoorbell() }
        if fds[1].revents != 0 && takeSignals(tool: tool) {
            if stopping == nil {
                log.info("signal: detaching replay from domain \(domain.id), then draining the ring")
                stopping = monotonicSeconds()
                do { try domain.detach() } catch { log.info("\(error)") }
            }
        }
        do {
            try drain()
        } catch {
            return .finished(code: 1, result: "\(error)")
        }
        if let (e, at) = end {
            let outcome = ReplayOutcome(end: e, at: at, divergence: divergence, original: recordingEnd())
            return .finished(code: outcome.exitCode, result: outcome.message(domain: "\(domain.id)"))
        }
        let now = monotonicSeconds()
        let periodic = now - lastCheck >= 0.2
        do {
            try feed(kickIfWaiting: rang || periodic)
        } catch {
            return .finished(code: 1, result: "\(error)")
        }
        if now - lastFlush >= 1 {
            do { try writer.flush() } catch { return .finished(code: 1, result: "\(error)") }
            lastFlush = now
        }
        if periodic {
            lastCheck = now
            if let s = try? domain.status() { lastStatus = s }
            if domain.isGone {
                try? drain()
                if end == nil {
                    return .finished(code: 1, result: "domain \(domain.id) is gone before the replay's END record")
                }
                return step()
            }
        }
        if let t = stopping {
            if now - t > 5 { return .finished(code: 1, result: "no END record 5 s after the detach") }
            return .stopping
        }
        return .running
    }

    /// The recording's END (nil: its log has none).
    private func recordingEnd() -> End? {
        guard let r = feeder.recordingEnd(), case .end(let e) = r.payload else { return nil }
        return e
    }

    /// Moves everything the log ring holds into the replay log.
    func drain() throws {
        try drained.drain(consumer, into: writer, rounds: 16, maxBytes: 1 << 20,
                          doorbell: domain.ringDoorbell, ended: { end != nil }, handle: handle)
    }

    /// Hands Xen more of the recording; kicks it when it waits for records.
    func feed(kickIfWaiting: Bool) throws {
        let r = try feeder.feed(producer)
        if r.finished && !notedFeedEnd {
            notedFeedEnd = true
            if let e = feeder.readError {
                log.info("note: \(e); the replay stops there (the log ran out)")
            } else if let s = feeder.stop, !s.isClean {
                log.info("note: \(recordingPath): \(s); all of it is fed")
            }
            log.info("the whole recording is fed: \(feeder.recordsFed) records up to landmark \(feeder.lastLandmarkFed)")
        }
        if r.needsKick || (kickIfWaiting && producer.consumerWaiting) {
            drained.kicks += 1
            try domain.ringDoorbell()
        }
    }

    func handle(_ r: Record) {
        if let bytes = r.consoleOutput {
            consoleBytes += UInt64(bytes.count)
            console.output(Array(bytes))
            return
        }
        switch r.payload {
        case .divergence(let d):
            divergence = d
        case .end(let e):
            end = (e, r.position)
        default:
            break
        }
    }

    /// Closes the replay log and the console, prints the counters and the
    /// result line; returns the exit code.
    public func finish(code: Int32, result: String) -> Int32 {
        var code = code
        var closed = true
        do {
            try writer.close()
        } catch {
            log.info("\(error)")
            closed = false
            code = 1
        }
        console.close()
        log.info("replay log \(closed ? path : path + ".incomplete") closed")
        var counters = "records \(drained.records), bytes \(drained.recordBytes), landmarks \(drained.landmarks), fed \(feeder.recordsFed) records "
            + "(\(feeder.bytesFed) bytes), kicks \(drained.kicks), console bytes \(consoleBytes)"
        if let s = lastStatus {
            counters += ", replayed \(s.replayed), placed by signature \(s.signaturePlaced), breakpoint hits \(s.breakpointHits)"
        }
        log.info("\(counters)")
        log.info("\(result)")
        if let fd = resultFD { writeLine(fd, "\(tool): \(result)\nexit \(code)") }
        if end == nil && code != 0 {
            log.info(Logger.Message(stringLiteral: "domain \(domain.id) stays paused once it waits for records (it never runs unreplayed); "
                     + "inspect it, then 'xl destroy \(domain.id)'"))
        }
        if let (e, _) = end, e.reason == .shutdown, actions[e.code] == "destroy" {
            do { try domain.destroy() } catch { log.info("\(error)") }
        }
        return code
    }
}
