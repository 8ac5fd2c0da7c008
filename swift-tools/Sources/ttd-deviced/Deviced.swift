// ttd-deviced: the logging daemon of time-traveling Xen.  It records one
// TT domain (RecordSession: attaches recording to the paused domain, maps
// its log ring, writes the records into the log) or replays a log into one
// (ReplaySession: feeds the replay ring, writes the replay's own log), and
// serves the guest's TT-io console (ConsoleBackend).  The sessions, their
// loop (step() and run()), the console and the message log live in the
// TTSession library; this is the command line, and the wait for the next
// domain that ttd-xl creates.

import ArgumentParser
import TTLog
import TTSession
import TTTools
#if canImport(Glibc)
import Glibc
#endif

@main
struct Deviced: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ttd-deviced",
        abstract: "The time-traveling Xen logging daemon: records one domain into a log, or replays a log.",
        discussion: """
            ttd-xl create CONF time_travel="ttd_flag=1" (record) or \
            time_travel="ttd_flag=1, tt_replay_flag=1" (replay) starts it for you. \
            By hand:

              xl create -p clientA.conf            # a PVH guest, 1 vCPU, created paused
              ttd-deviced -f /var/lib/tt-xen/logs/clientA.ttlog --domain clientA --console-pty &
              xl unpause clientA                   # after ttd-deviced says 'recording'

            The seed's way: started without --domain, it waits for the next \
            domain that ttd-xl creates with time_travel, records it into FILE \
            (or replays FILE into it, as ttd-xl's tt_replay_flag says), then \
            exits:

              ttd-deviced -f /var/lib/ttd/ttd.log &
              ttd-xl create clientA.conf time_travel="ttd_flag=1" -c

            It listens on /run/tt-xen/ttd-deviced.sock (its pid and FILE in \
            /run/tt-xen/ttd-deviced.wait); ttd-xl hands it the domain and the \
            options it would pass on the command line, and waits for its ready \
            byte there. Its messages stay on its own standard error. Without a \
            waiting daemon, ttd-xl starts one for the domain.

            Recording: it attaches recording to the domain (TTOP_attach: the \
            domain must be paused and never have run), sets up and maps its log \
            ring, binds the ring's doorbell, writes the log header (Xen version, \
            guest name, memory, the domain's CPUID policy, SHA-256 of --kernel, \
            --ramdisk and --config, start time), then copies every record into \
            FILE (FILE.incomplete until it is closed cleanly; chunks flushed at \
            least once a second). A recording never replaces a log: FILE.incomplete \
            is created and locked before the domain is touched, and when FILE or \
            FILE.incomplete exists already (or the path cannot be written) the \
            daemon stops with one line, unless --force is given (which replaces \
            them, but never a FILE.incomplete another daemon still writes). The guest's TT-io console goes to a pty \
            (--console-pty; its path is printed and kept in \
            /run/tt-xen/domain-ID.pty for 'ttd-xl console') and/or a file \
            (--console-file); what is typed on the pty goes to the guest.

            The log is closed (trailer, rename to FILE) when Xen writes the END \
            record (the guest shut down), when the domain disappears, and on \
            SIGTERM or SIGINT (recording is detached first, then the ring is \
            drained). After SIGKILL, FILE.incomplete reads up to its last whole \
            chunk, and the guest stays paused: it never runs unrecorded.

            Its own messages go to its standard error, or with --message-log \
            MSGFILE to MSGFILE (appended; ttd-xl gives \
            /var/log/xen/ttd-deviced-NAME.log). SIGHUP reopens MSGFILE, so that \
            logrotate can move it away (postrotate: kill -HUP the daemon); it \
            does not stop the daemon.

            The counter (--counter): with icount, Xen counts the guest's \
            instructions between landmarks (Xen booted with tt_counter=icount, \
            under QEMU -icount shift=0) and every position in the log carries \
            the count, so that replay delivers an interrupt at the very \
            instruction; with none, interrupts between landmarks are placed by \
            register signature. auto (the default) asks for icount and, when \
            Xen does not offer it, records with none and says so in one line; \
            an explicit icount that Xen refuses is an error (nothing recorded).

            Replay (--replay): FILE is the recording (FILE.incomplete, or a log \
            cut short, replays up to its last whole chunk). The domain, created \
            paused from the same config, must have the memory the log header \
            says (and, when given, --kernel, --ramdisk and --config the SHA-256 \
            it says). It attaches replay with the counter the recording was \
            made with (its DOMAIN_START says it: a host that does not offer it \
            cannot replay the log), sets up and maps the log ring and the \
            replay ring (one doorbell), feeds the replay ring with the \
            recording's records as Xen consumes them, and writes the replay's \
            own log, same format, to FILE.<guest>.replay.N beside FILE (the \
            first N not used; --replay-log PATH instead). The console is output \
            only: the guest's input comes from the log. When the replay's END \
            comes it prints one result line and exits: 0 the guest ended as \
            recorded ('replay done'), 2 replay diverged (where, and why), 3 the \
            log ran out before the guest ended, 4 the guest ended otherwise than \
            recorded, 5 detached by a signal. After a divergence or the end of \
            the log, Xen keeps the domain paused for inspection: 'xl destroy ID'.

            Exit codes: 0 log closed cleanly (replay: same END as recorded), \
            1 error, 2-5 replay results above, 64 bad arguments.
            """,
        version: TTToolsVersion.string)

    static func main() { runCommand(Self.self, tool: "ttd-deviced") }

    @Option(name: .customShort("f"), help: ArgumentHelp("The log file to write, or with --replay the recording to replay (default /var/lib/tt-xen/logs/NAME.ttlog).", valueName: "file"))
    var file: String?

    @Option(name: .customLong("domain"), help: ArgumentHelp("The domain to record or replay into, by id or name (created paused, never run). Without it: wait for the next domain ttd-xl creates with time_travel.", valueName: "id|name"))
    var domain: String?

    /// The --domain argument (sessions run only once there is one).
    var domainName: String { domain ?? "" }

    @Flag(name: .customLong("replay"), help: "Replay the log FILE into the domain instead of recording it.")
    var replay = false

    @Option(name: .customLong("replay-log"), help: ArgumentHelp("With --replay: write the replay's log here (default FILE.<guest>.replay.N, the first N not used); never overwrites.", valueName: "path"))
    var replayLog: String?

    @Flag(name: .customLong("console-pty"), help: "Serve the guest's TT-io console on a pty (its path is printed; output only in replay).")
    var consolePty = false

    @Option(name: .customLong("console-file"), help: ArgumentHelp("Also append the guest's console output to this file.", valueName: "file"))
    var consoleFile: String?

    @Option(name: .customLong("message-log"), help: ArgumentHelp("Append the daemon's own messages (standard output and error) to this file; SIGHUP reopens it (logrotate).", valueName: "file"))
    var messageLogPath: String?

    @Option(name: .customLong("ready-fd"), help: ArgumentHelp("Write one byte to this descriptor once the guest may be unpaused.", valueName: "n"))
    var readyFD: Int32?

    @Option(name: .customLong("result-fd"), help: ArgumentHelp("With --replay: also write the result line to this descriptor.", valueName: "n"))
    var resultFD: Int32?

    @Option(name: .customLong("kernel"), help: ArgumentHelp("The guest's kernel: its SHA-256 goes into the log header (replay: must match it).", valueName: "path"))
    var kernel: String?

    @Option(name: .customLong("ramdisk"), help: ArgumentHelp("The guest's initrd: its SHA-256 goes into the log header (replay: must match it).", valueName: "path"))
    var ramdisk: String?

    @Option(name: .customLong("config"), help: ArgumentHelp("The xl config file: its SHA-256 goes into the log header (replay: must match it).", valueName: "path"))
    var config: String?

    @Option(name: .customLong("ring-pages"), help: ArgumentHelp("Data pages of the log ring (and of the replay ring), a power of 2 (default 256: 1 MiB).", valueName: "n"))
    var ringPages = 256

    @Option(name: .customLong("counter"), help: ArgumentHelp("Recording: what Xen counts between landmarks: none, icount (guest instructions), branches (the guest's retired branches, from the host PMU) or auto (icount when Xen offers it, else branches, else none; the default). Replay uses the recording's.", valueName: "none|icount|branches|auto"))
    var counter: CounterChoice?

    @Option(name: .customLong("tsc-khz"), help: ArgumentHelp("Recording: the frequency of the guest's TSC in kHz, 1000..100000000 (default: the host's). The log keeps it; a replay runs the guest's TSC at the recorded frequency.", valueName: "kHz"))
    var tscKHz: UInt32?

    @Option(name: .customLong("bound-us"), help: ArgumentHelp("Recording without a counter: how long an interrupt may wait for a landmark before it is placed by signature, guest microseconds, 100..1000000 (0: Xen's default, 2000: below a 4 ms guest tick; replay uses the recording's).", valueName: "us"))
    var boundMicroseconds: UInt32 = 0

    @Flag(name: .customLong("force"), help: "Recording: replace an existing FILE or FILE.incomplete (else the daemon refuses to start).")
    var force = false

    /// A test option, hidden from --help: a slow writer.  Recording takes at
    /// most this many bytes from the ring per round of its loop (a round
    /// lasts 10 ms at least), so that a small ring fills and the guest must
    /// wait for room (the lab's ttop scenario).  Not for users: a recording
    /// with it is just slower.
    @Option(name: .customLong("test-drain-limit"), help: ArgumentHelp("Test only: bytes taken from the ring per 10 ms.", visibility: .hidden))
    var testDrainLimit: Int?

    @Flag(name: .customLong("zstd"), help: "Compress the log's chunks with zstd.")
    var zstd = false

    @Option(name: .customLong("on-poweroff"), help: ArgumentHelp("destroy or preserve the domain when it powers off (ttd-xl passes the config's on_poweroff).", valueName: "action"))
    var onPoweroff = "preserve"

    @Option(name: .customLong("on-reboot"), help: ArgumentHelp("The same when it reboots (a TT domain is not restarted).", valueName: "action"))
    var onReboot = "preserve"

    @Option(name: .customLong("on-crash"), help: ArgumentHelp("The same when it crashes.", valueName: "action"))
    var onCrash = "preserve"

    func validate() throws {
        if replay {
            if let file, !fileExists(file), !fileExists(file + ".incomplete") {
                throw ValidationError("\(file): no such log (nor \(file).incomplete) to replay")
            }
            if let r = replayLog {
                if fileExists(r) || fileExists(r + ".incomplete") {
                    throw ValidationError("--replay-log \(r): exists already; a replay never overwrites a file")
                }
                if !directoryIsWritable(forFile: r) {
                    throw ValidationError("cannot write \(r): its directory does not exist or is not writable")
                }
            } else if let file, !directoryIsWritable(forFile: file) {
                throw ValidationError("cannot write the replay log beside \(file): its directory is not writable (give --replay-log PATH)")
            }
        } else {
            // With --domain the recording claims FILE first thing (one line
            // when it cannot); a waiting daemon checks the folder now.
            if domain == nil, let file, !directoryIsWritable(forFile: file) {
                throw ValidationError("cannot write \(file): its directory does not exist or is not writable")
            }
            if replayLog != nil { throw ValidationError("--replay-log needs --replay") }
        }
        if let l = testDrainLimit, l < 4096 {
            throw ValidationError("--test-drain-limit \(l): at least 4096 bytes (a whole record must fit)")
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

    /// What the sessions take from the command line.
    var sessionOptions: SessionOptions {
        var o = SessionOptions(domain: domainName)
        o.file = file
        o.replayLog = replayLog
        o.consolePty = consolePty
        o.consoleFile = consoleFile
        o.readyFD = readyFD
        o.resultFD = resultFD
        o.kernel = kernel
        o.ramdisk = ramdisk
        o.config = config
        o.ringPages = ringPages
        o.counter = counter
        o.tscKHz = tscKHz
        o.boundMicroseconds = boundMicroseconds
        o.force = force
        o.testDrainLimit = testDrainLimit
        o.zstd = zstd
        o.onPoweroff = onPoweroff
        o.onReboot = onReboot
        o.onCrash = onCrash
        return o
    }

    func run() throws {
        if let path = messageLogPath {
            messageLog = try MessageLog(path: path)
        }
        installSignalHandlers([SIGHUP])
        guard domain != nil else { return try serveNextDomain() }
        if replay {
            let session: ReplaySession
            do {
                session = try ReplaySession(sessionOptions)
            } catch {
                if let fd = resultFD { writeLine(fd, "ttd-deviced: \(error)") }
                throw ToolError("\(error)")
            }
            try exitWith(session.run())
            return
        }
        let session: RecordSession
        do {
            session = try RecordSession.start(sessionOptions)
        } catch {
            throw ToolError("\(error)")
        }
        try exitWith(session.run())
    }

    /// A session's exit code, as the command's: returns for 0, else throws
    /// `ExitCode` (the session said why already), which `runCommand`, the
    /// entry point, turns into the process's exit.
    private func exitWith(_ code: Int32) throws {
        if code != 0 { throw ExitCode(code) }
    }
}

/// --counter none|icount|branches|auto.
extension CounterChoice: ExpressibleByArgument {}

// MARK: - Waiting for the next domain

extension Deviced {
    /// No --domain: waits on WaitingDaemon.socketPath for ttd-xl to hand over
    /// the next time-traveling domain, then records or replays it.
    func serveNextDomain() throws {
        let tool = "ttd-deviced"
        mkdirs("/run/tt-xen")
        if let other = WaitingDaemon.find(), other.pid != getpid() {
            let fd = WaitingDaemon.connect()
            if fd >= 0 {
                close(fd)
                throw ToolError("another ttd-deviced (pid \(other.pid), log \(other.log)) waits already for the next domain")
            }
        }
        let listener = WaitingDaemon.listen()
        guard listener >= 0 else {
            throw ToolError("cannot listen on \(WaitingDaemon.socketPath): \(String(cString: strerror(errno))) (run it as root in dom0)")
        }
        let log = file ?? "/var/lib/tt-xen/logs/NAME.ttlog"
        let info = "\(getpid())\n\(file ?? "")\n"
        let ifd = open(WaitingDaemon.infoPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if ifd >= 0 {
            _ = info.withCString { write(ifd, $0, strlen($0)) }
            close(ifd)
        }
        func cleanUp() {
            close(listener)
            unlink(WaitingDaemon.socketPath)
            unlink(WaitingDaemon.infoPath)
        }
        installSignalHandlers()
        messages().info("waiting for the next time-traveling domain (ttd-xl create CONF time_travel=...); log \(log)")
        while true {
            var fds = [pollfd(fd: listener, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: signalPipe[0], events: Int16(POLLIN), revents: 0)]
            if poll(&fds, 2, -1) < 0 { continue }
            if fds[1].revents != 0 && takeSignals(tool: tool) {
                cleanUp()
                throw ToolError("signal: stopped waiting; no domain served", code: 0)
            }
            guard fds[0].revents != 0 else { continue }
            let conn = accept(listener, nil, nil)
            guard conn >= 0 else { continue }
            _ = fcntl(conn, F_SETFD, FD_CLOEXEC)
            guard let line = WaitingDaemon.readLine(conn, seconds: 5), let request = WaitingDaemon.decode(line) else {
                messages().warning("ignored a connection without a request")
                close(conn)
                continue
            }
            cleanUp()
            var o = self
            o.domain = request["domain"]
            o.replay = request["mode"] == "replay"
            if let f = request["log"], !f.isEmpty { o.file = f }
            o.consolePty = true
            o.consoleFile = request["console-file"] ?? o.consoleFile
            o.kernel = request["kernel"] ?? o.kernel
            o.ramdisk = request["ramdisk"] ?? o.ramdisk
            o.config = request["config"] ?? o.config
            o.onPoweroff = request["on-poweroff"] ?? o.onPoweroff
            o.onReboot = request["on-reboot"] ?? o.onReboot
            o.onCrash = request["on-crash"] ?? o.onCrash
            if let c = request["counter"].flatMap(CounterChoice.init(rawValue:)) { o.counter = c }
            if let f = request["tsc-khz"].flatMap(UInt32.init) { o.tscKHz = f }
            if let b = request["bound-us"].flatMap(UInt32.init) { o.boundMicroseconds = b }
            if request["force"] == "1" { o.force = true }
            o.readyFD = conn
            o.resultFD = o.replay ? conn : nil
            messages().info("ttd-xl hands over domain \(o.domainName) to \(o.replay ? "replay" : "record")")
            do {
                try o.validate()
                try o.run()
            } catch let code as ExitCode {
                throw code          // the session ended and said so (a replay on the connection too)
            } catch {
                if o.replay { writeLine(conn, "\(tool): \(error)\nexit 1") }
                throw ToolError("\(error)")
            }
            return
        }
    }
}
