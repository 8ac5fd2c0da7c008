// ttd-deviced: the logging daemon of time-traveling Xen.  It records one
// TT domain (RecordSession: attaches recording to the paused domain, maps
// its log ring, writes the records into the log) or replays a log into one
// (ReplaySession: feeds the replay ring, writes the replay's own log), and
// serves the guest's TT-io console (ConsoleBackend).

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
        abstract: "The time-traveling Xen logging daemon: records one domain into a log, or replays a log.",
        discussion: """
            ttd-xl create CONF time_travel="ttd_flag=1" (record) or \
            time_travel="ttd_flag=1, tt_replay_flag=1" (replay) starts it for you. \
            By hand:

              xl create -p clientA.conf            # a PVH guest, 1 vCPU, created paused
              ttd-deviced -f /var/lib/tt-xen/logs/clientA.ttlog --domain clientA --console-pty &
              xl unpause clientA                   # after ttd-deviced says 'recording'

            Recording: it attaches recording to the domain (TTOP_attach: the \
            domain must be paused and never have run), sets up and maps its log \
            ring, binds the ring's doorbell, writes the log header (Xen version, \
            guest name, memory, the domain's CPUID policy, SHA-256 of --kernel, \
            --ramdisk and --config, start time), then copies every record into \
            FILE (FILE.incomplete until it is closed cleanly; chunks flushed at \
            least once a second). The guest's TT-io console goes to a pty \
            (--console-pty; its path is printed and kept in \
            /run/tt-xen/domain-ID.pty for 'ttd-xl console') and/or a file \
            (--console-file); what is typed on the pty goes to the guest.

            The log is closed (trailer, rename to FILE) when Xen writes the END \
            record (the guest shut down), when the domain disappears, and on \
            SIGTERM or SIGINT (recording is detached first, then the ring is \
            drained). After SIGKILL, FILE.incomplete reads up to its last whole \
            chunk, and the guest stays paused: it never runs unrecorded.

            Replay (--replay): FILE is the recording (FILE.incomplete, or a log \
            cut short, replays up to its last whole chunk). The domain, created \
            paused from the same config, must have the memory the log header \
            says (and, when given, --kernel, --ramdisk and --config the SHA-256 \
            it says). It attaches replay, sets up and maps the log ring and the \
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

    @Option(name: .customShort("f"), help: ArgumentHelp("The log file to write, or with --replay the recording to replay (default /var/lib/tt-xen/logs/NAME.ttlog).", valueName: "file"))
    var file: String?

    @Option(name: .customLong("domain"), help: ArgumentHelp("The domain to record or replay into, by id or name (created paused, never run).", valueName: "id|name"))
    var domain: String

    @Flag(name: .customLong("replay"), help: "Replay the log FILE into the domain instead of recording it.")
    var replay = false

    @Option(name: .customLong("replay-log"), help: ArgumentHelp("With --replay: write the replay's log here (default FILE.<guest>.replay.N, the first N not used); never overwrites.", valueName: "path"))
    var replayLog: String?

    @Flag(name: .customLong("console-pty"), help: "Serve the guest's TT-io console on a pty (its path is printed; output only in replay).")
    var consolePty = false

    @Option(name: .customLong("console-file"), help: ArgumentHelp("Also append the guest's console output to this file.", valueName: "file"))
    var consoleFile: String?

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

    @Option(name: .customLong("bound-us"), help: ArgumentHelp("Liveness bound for held interrupts, guest microseconds (0: Xen's default, 10000; replay uses the recording's).", valueName: "us"))
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
            if let file, !directoryIsWritable(forFile: file) {
                throw ValidationError("cannot write \(file): its directory does not exist or is not writable")
            }
            if replayLog != nil { throw ValidationError("--replay-log needs --replay") }
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
        if replay {
            let session: ReplaySession
            do {
                session = try ReplaySession(self)
            } catch {
                if let fd = resultFD { writeLine(fd, "ttd-deviced: \(error)") }
                fail("ttd-deviced", "\(error)")
            }
            session.run()
        }
        var session: RecordSession
        do {
            session = try RecordSession(self)
        } catch {
            fail("ttd-deviced", "\(error)")
        }
        session.run()
    }
}

/// Writes one line to a descriptor.
func writeLine(_ fd: Int32, _ line: String) {
    let s = line + "\n"
    _ = s.withCString { write(fd, $0, strlen($0)) }
}

// MARK: - Signals

nonisolated(unsafe) var signalPipe: [Int32] = [-1, -1]

func installSignalHandlers() {
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
