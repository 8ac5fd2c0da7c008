// ttd-xl: create a domain, with time travel when its config asks for it.

import ArgumentParser
import TTLog
import TTTools
import TTXen
#if canImport(Glibc)
import Glibc
#endif

@main
struct TTXL: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ttd-xl",
        abstract: "Create a Xen domain, recording or replaying it when its config says time_travel=\"ttd_flag=1[, tt_replay_flag=1]\".",
        discussion: """
            The seed's interface, on modern Xen:

              ttd-xl create clientA.conf time_travel="ttd_flag=1" -c                     # record
              ttd-xl create clientA.conf time_travel="ttd_flag=1, tt_replay_flag=1" -c   # replay
              ttd-xl create -n clientA.conf time_travel="ttd_flag=1"     # what would be created
              ttd-xl console clientA                                     # the console of a recorded domain

            Recording and replay start ttd-deviced for the domain themselves.
            """,
        version: TTToolsVersion.string,
        subcommands: [Create.self, Console.self])

    static func main() { runCommand(Self.self, tool: "ttd-xl") }
}

/// -q and -V of every subcommand: what ttd-xl says on standard error
/// besides its errors and results.
struct OutputOptions: ParsableArguments {
    @Flag(name: [.customShort("q"), .customLong("quiet")],
          help: "Quiet: print only errors, warnings and results, not what is being done.")
    var quiet = false

    @Flag(name: [.customShort("V"), .customLong("verbose")],
          help: "Verbose: say in more detail what is done, and show libxl's messages as xl -v does (-VV, -VVV: more of them).")
    var verbose: Int

    func validate() throws {
        if quiet && verbose > 0 { throw ValidationError("-q/--quiet and -V/--verbose exclude each other") }
    }

    /// A progress line ("created domain 5"), unless -q.
    func info(_ line: String) { if !quiet { printError("ttd-xl: " + line) } }

    /// A line of detail, with -V.
    func detail(_ line: String) { if verbose > 0 { printError("ttd-xl: " + line) } }
}

struct Create: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a domain from an xl config file, recording or replaying it with time_travel.",
        discussion: """
            Reads the config file with libxlutil as xl does; KEY=VALUE \
            arguments override its settings as on xl's command line. Keys \
            understood: name, type, kernel, ramdisk, cmdline, extra, root, \
            memory, maxmem, vcpus, on_poweroff, on_reboot, on_crash, disk, vif \
            (bridge, mac, ip, script), hap (1 hardware-assisted paging, 0 \
            shadow paging; default: HAP when the host has it) and time_travel; \
            every other key xl create reads (xl.cfg(5)) is refused in one \
            line naming it and the reason (use xl create for such a domain), \
            and a key xl does not read is refused as a likely typo. A number \
            that is not one (memory = "lots", memory=abc) or a list given to \
            a string key is refused naming the key; a config libxlutil cannot read is refused with \
            libxlutil's message.

            Creates the domain paused with libxl. With time_travel="ttd_flag=1" \
            (type "pvh" and vcpus = 1 required) it starts ttd-deviced for it \
            (beside ttd-xl, or on PATH), which attaches recording, maps the log \
            ring, writes the log header and serves the TT-io console on a pty, \
            waits until the daemon is ready (30 s at most, else the domain is \
            destroyed), then unpauses the domain unless -p is given. The log goes \
            to --log or /var/lib/tt-xen/logs/NAME.ttlog; a recording never \
            replaces a log: when it or its .incomplete exists, nothing is created \
            unless --force is given. The daemon's messages go to \
            /var/log/xen/ttd-deviced-NAME.log (it reopens the file on SIGHUP, \
            for logrotate), the guest's console output also to \
            /var/log/xen/console/guest-NAME.log. Without time_travel it creates an \
            ordinary domain and unpauses it, as xl create does.

            time_travel may also say tt_counter=none|icount|branches|auto \
            (e.g. time_travel="ttd_flag=1, tt_counter=icount"): what the \
            recording counts between landmarks, passed to ttd-deviced as \
            --counter (default auto: guest instructions when Xen offers them, \
            booted with tt_counter=icount under QEMU -icount shift=0, else \
            the guest's retired branches when Xen offers them, booted with \
            tt_counter=branches on an AMD host, else none), and \
            tt_tsc_khz=N the frequency of the guest's TSC in kHz (default: the \
            host's; the log keeps it, and a replay runs the guest's TSC at the \
            recorded frequency on any host), and tt_bound_us=N how long, in \
            guest microseconds, an interrupt may wait for a landmark when \
            there is no counter (100..1000000, default 2000: Xen's; it must \
            be shorter than the guest's timer tick, 4 ms for Linux at HZ=250, \
            or the guest's CPU-time accounting runs slow). A \
            replay needs none: it uses the counter the log was recorded with.

            -c attaches to the console: the daemon's pty for a recorded domain \
            (Ctrl-] leaves it), 'xl console' for an ordinary one.

            -n (--dry-run) reads the config and the overrides, makes every \
            check that needs no domain (keys, numbers, time_travel, a log that \
            exists, a replay's SHA-256 against the log header), prints on \
            standard output the domain config ttd-xl would hand to libxl, as \
            libxl's JSON (what 'xl create -n' prints), and on standard error \
            what it would do: the time_travel settings, the log, the \
            ttd-deviced command line; it creates nothing and needs no Xen. \
            -q prints only errors, warnings and results; -V says each step and \
            the daemon's command line, and shows libxl's messages (-V as xl -v, \
            -VV, -VVV more).

            With time_travel="ttd_flag=1, tt_replay_flag=1" it replays the log \
            (--log, else /var/lib/tt-xen/logs/NAME.ttlog, else its .incomplete: \
            a log cut short replays up to its last whole chunk). It refuses, \
            with one line naming the difference, a config whose kernel, ramdisk \
            or config file has another SHA-256 than the log header says, or \
            whose memory differs; else it creates the domain paused as for \
            recording, starts 'ttd-deviced --replay' (the replay's own log goes \
            to LOG.NAME.replay.N beside the log), waits until it is ready, \
            unpauses the domain unless -p, shows the console with -c (output \
            only: the guest's input comes from the log), and waits for the \
            replay to end. It prints the daemon's result line and exits with its \
            code: 0 the guest ended as recorded, 2 replay diverged (the line \
            names where), 3 the log ran out, 4 the guest ended otherwise, 1 an \
            error. With -p it does not wait: 'xl unpause ID' starts the replay, \
            whose result goes to the daemon's messages.

            When a ttd-deviced started without --domain waits for the next \
            domain (the seed's 'ttd-deviced -f FILE' first; it listens on \
            /run/tt-xen/ttd-deviced.sock), ttd-xl hands the domain to it instead \
            of starting one: its FILE is the log (unless --log), and its \
            messages stay on its own standard error.
            """)

    @Argument(help: ArgumentHelp("The xl domain config file.", valueName: "config"))
    var config: String

    @Argument(help: ArgumentHelp("Config overrides, e.g. time_travel=\"ttd_flag=1\".", valueName: "key=value"))
    var overrides: [String] = []

    @Flag(name: .customShort("c"), help: "Attach to the domain's console.")
    var console = false

    @Flag(name: .customShort("p"), help: "Leave the domain paused after creating it.")
    var paused = false

    @Option(name: .customLong("log"), help: ArgumentHelp("The log file of a recording, or the recording to replay (default /var/lib/tt-xen/logs/NAME.ttlog).", valueName: "file"))
    var log: String?

    @Flag(name: .customLong("force"), help: "Recording: replace an existing log (and its .incomplete) instead of refusing.")
    var force = false

    @Option(name: .customLong("ready-timeout"), help: ArgumentHelp("Seconds to wait for ttd-deviced (default 30).", valueName: "s"))
    var readyTimeout = 30

    @Flag(name: [.customShort("n"), .customLong("dry-run")],
          help: "Create nothing: print the domain config as libxl's JSON (as xl create -n) and what would be done.")
    var dryRun = false

    @OptionGroup var output: OutputOptions

    func validate() throws {
        for o in overrides where !o.contains("=") {
            throw ValidationError("'\(o)' is not KEY=VALUE")
        }
    }

    func run() throws {
        let tool = "ttd-xl"
        // The seed writes time_travel="ttd_flag=1" unquoted-in-shell: accept both forms.
        let fixed = overrides.map { o -> String in
            let kv = o.split(separator: "=", maxSplits: 1).map(String.init)
            if kv.count == 2, Int(kv[1]) == nil, !kv[1].hasPrefix("\"") && !kv[1].hasPrefix("'") && !kv[1].hasPrefix("[") {
                return "\(kv[0])=\"\(kv[1])\""
            }
            return o
        }
        let cfg: DomainConfig
        do { cfg = try DomainConfig(path: config, overrides: fixed) } catch { throw ToolError("\(error)") }
        var keys = overrides.map { String($0.split(separator: "=", maxSplits: 1)[0]).trimmingCharacters() }
        if let text = readFile(config) { keys += configKeys(text) }
        for k in keys {
            if let why = refusal(ofKey: k, in: config) { throw ToolError(why) }
        }
        // A string key given a list (name = [ "a" ]): libxlutil's string
        // getter finds nothing there (xl warns and goes on without it).
        for k in stringKeys where keys.contains(k) && cfg.string(k) == nil {
            throw ToolError("\(config): \(k) must be a string (\(k) = \"...\"), not a list")
        }
        let tt: TimeTravelOption
        do { tt = try TimeTravelOption(parsing: cfg.string("time_travel") ?? "") } catch { throw ToolError("\(config): \(error)") }

        var spec = DomainSpec()
        spec.name = cfg.string("name") ?? ""
        guard !spec.name.isEmpty else { throw ToolError("\(config): no name = \"...\"") }
        spec.type = cfg.string("type") ?? "pv"
        spec.kernel = cfg.string("kernel")
        spec.ramdisk = cfg.string("ramdisk")
        if let c = cfg.string("cmdline") {
            spec.cmdline = c
        } else {
            let parts = [cfg.string("root").map { "root=\($0)" }, cfg.string("extra")].compactMap { $0 }
            spec.cmdline = parts.isEmpty ? nil : parts.joined(separator: " ")
        }
        do {
            spec.memoryMB = try cfg.integer("memory", range: 1...(1 << 30)) ?? 128
            spec.maxMemoryMB = try cfg.integer("maxmem", range: 1...(1 << 30))
            spec.vcpus = try cfg.integer("vcpus", range: 1...4096) ?? 1
            spec.hap = try cfg.integer("hap", range: 0...1).map { $0 == 1 }
        } catch { throw ToolError("\(error)") }
        func action(_ key: String, _ dflt: ShutdownAction) throws -> ShutdownAction {
            guard let v = cfg.string(key) else { return dflt }
            guard let a = ShutdownAction(rawValue: v) else {
                throw ToolError("\(config): \(key) = \"\(v)\": one of \(ShutdownAction.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return a
        }
        spec.onPoweroff = try action("on_poweroff", .destroy)
        spec.onReboot = try action("on_reboot", .restart)
        spec.onCrash = try action("on_crash", .destroy)
        spec.disks = cfg.list("disk") ?? []
        for v in cfg.list("vif") ?? [] {
            var nic: [String: String] = [:]
            for item in v.split(separator: ",") {
                let kv = item.split(separator: "=", maxSplits: 1).map { String($0).trimmingCharacters() }
                guard kv.count == 2, ["bridge", "mac", "ip", "script"].contains(kv[0]) else {
                    throw ToolError("\(config): vif '\(v)': ttd-xl knows bridge=, mac=, ip=, script= only; use xl create for this domain")
                }
                nic[kv[0]] = kv[1]
            }
            spec.nics.append(nic)
        }

        output.detail("\(config): domain \(spec.name): type \(spec.type), memory \(spec.memoryMB) MiB"
                      + (spec.maxMemoryMB.map { ", maxmem \($0) MiB" } ?? "") + ", vcpus \(spec.vcpus)"
                      + ", hap \(spec.hap.map { $0 ? "1" : "0" } ?? "libxl's default")"
                      + ", kernel \(spec.kernel ?? "none"), ramdisk \(spec.ramdisk ?? "none")"
                      + ", cmdline \(spec.cmdline.map { "\"\($0)\"" } ?? "none")"
                      + ", \(spec.disks.count) disk(s), \(spec.nics.count) vif(s)"
                      + ", on_poweroff \(spec.onPoweroff.rawValue), on_reboot \(spec.onReboot.rawValue), on_crash \(spec.onCrash.rawValue)")
        output.detail("time_travel: \(describe(tt))")
        if tt.enabled {
            guard spec.type == "pvh" else {
                throw ToolError("\(config): time travel needs type = \"pvh\" (this config has type = \"\(spec.type)\")")
            }
            guard spec.vcpus == 1 else {
                throw ToolError("\(config): time travel needs vcpus = 1 (this config has vcpus = \(spec.vcpus))")
            }
        }

        // Replay: the log and its header, checked against the config before anything is created.
        var recording: (path: String, header: LogHeader)? = nil
        if tt.mode == .replay {
            do {
                recording = try findRecording(name: spec.name)
                let r = recording!
                if let why = replayRefusal(of: r.header, path: r.path) { throw ToolError("replay refused: \(why)") }
                if let c = tt.counter {
                    printError("\(tool): note: tt_counter=\(c.rawValue) ignored: a replay attaches with the counter "
                               + "the recording was made with (its DOMAIN_START says it)")
                }
                if let m = replayMismatch(header: r.header, kernel: try FileDigest(file: spec.kernel),
                                          ramdisk: try FileDigest(file: spec.ramdisk), config: try FileDigest(file: config),
                                          memoryBytes: nil) {
                    throw ToolError("replay refused: \(m)")
                }
                output.detail("replaying \(r.path): the SHA-256 of kernel, ramdisk and config match its header")
            } catch { throw ToolError("\(error)") }
        }

        // Recording: never over an existing log (ttd-deviced refuses too,
        // but here nothing has been created yet).
        if tt.mode == .record, !force {
            var path = log ?? "/var/lib/tt-xen/logs/\(spec.name).ttlog"
            if log == nil, let w = WaitingDaemon.find(), !w.log.isEmpty { path = w.log }
            for p in [path, path + ".incomplete"] where fileExists(p) {
                throw ToolError("\(p) exists already; a recording never overwrites a log (remove it, or give --force "
                     + "to replace it); no domain created")
            }
        }

        if dryRun {
            try showDryRun(spec, cfg, tt, recording: recording)
            return
        }

        let libxl: LibXL
        let domid: DomainID
        do {
            libxl = try LibXL(verbosity: output.verbose)
            output.detail("creating domain \(spec.name) with libxl, paused")
            domid = try libxl.create(spec, diskConfig: cfg)
        } catch { throw ToolError("\(error)") }
        output.info("created domain \(domid) (\(spec.name)), paused")

        if let r = recording {
            // The memory the domain got, measured as ttd-deviced records it.
            let memory = (try? XenHost())?.domainInfo(domid).map { $0.maxPages * 4096 }
            if let memory, let m = replayMemoryMismatch(header: r.header, memoryBytes: memory) {
                try? libxl.destroy(domid)
                throw ToolError("replay refused: \(m) (memory = \(spec.memoryMB) in \(config)); domain \(domid) destroyed")
            }
        }

        var daemon: DaemonHandle? = nil
        if tt.enabled {
            do {
                daemon = try startDaemon(domid, spec, replaying: recording?.path, options: tt, tool: tool)
            } catch {
                printError("\(tool): \(error)")
                try? libxl.destroy(domid)
                throw ToolError("domain \(domid) (\(spec.name)) destroyed: it must not run \(recording == nil ? "unrecorded" : "unreplayed")")
            }
        }
        let pty = daemon?.pty
        if let pty { output.detail("the guest's TT-io console: \(pty)") }
        if !paused {
            output.detail("unpausing domain \(domid)")
            do { try libxl.unpause(domid) } catch {
                try? libxl.destroy(domid)
                throw ToolError("\(error); domain \(domid) destroyed")
            }
            output.info("domain \(domid) (\(spec.name)) running\(tt.enabled ? (recording == nil ? ", recorded" : ", replayed") : "")")
        }
        if let d = daemon, recording != nil {
            if paused {
                output.info("domain \(domid) stays paused: 'xl unpause \(domid)' starts the replay; "
                            + "its result goes to \(d.messages)")
                return
            }
            if console, let pty {
                try relayConsole(pty, tool: tool, forwardInput: false)
                output.info("console closed; waiting for the replay's result (ttd-deviced pid \(d.pid))")
            }
            let (code, result) = d.wait()
            stdOut.flush()
            printError("\(tool): \(result)")
            throw ExitCode(code)
        }
        if console {
            if let pty {
                // A recording's console closes when its daemon ends it: the
                // daemon's exit code is ours (a log it could not write, a
                // guest stopped for a full ring, is a failure, not exit 0).
                if try relayConsole(pty, tool: tool, forwardInput: true), let d = daemon {
                    let (code, result) = d.wait()
                    stdOut.flush()
                    if code != 0 { printError("\(tool): the recording failed: \(result)") }
                    throw ExitCode(code)
                }
                return
            } else {
                let args = ["xl", "console", String(domid.rawValue)]
                output.detail("running \(shellCommand(args))")
                var cargs = args.map { strdup($0) } + [nil]
                execvp("xl", &cargs)
                throw ToolError("cannot run xl console: \(String(cString: strerror(errno)))")
            }
        }
    }

    /// The log to replay: --log, else the default path; FILE.incomplete when
    /// only that exists.  Returns the path and the header.
    func findRecording(name: String) throws -> (path: String, header: LogHeader) {
        var path = log ?? "/var/lib/tt-xen/logs/\(name).ttlog"
        if log == nil, let w = WaitingDaemon.find(), !w.log.isEmpty {
            path = w.log         // the waiting ttd-deviced's -f FILE
        }
        if !fileExists(path) && fileExists(path + ".incomplete") {
            printError("ttd-xl: \(path) does not exist; replaying \(path).incomplete (not closed cleanly: "
                       + "it replays up to its last whole chunk)")
            path += ".incomplete"
        }
        guard fileExists(path) else {
            throw ToolError("no log to replay: \(path) does not exist (record first, or give --log FILE)")
        }
        return (path, try LogReader(path: path).header)
    }

    /// Starts ttd-deviced for the paused domain (recording, or replaying the
    /// log `replaying`) and waits for its ready byte.
    func startDaemon(_ domid: DomainID, _ spec: DomainSpec, replaying: String?, options tt: TimeTravelOption,
                     tool: String) throws -> DaemonHandle {
        if let waiting = try handOver(domid, spec, replaying: replaying, options: tt, tool: tool) { return waiting }
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw ToolError("pipe: \(String(cString: strerror(errno)))") }
        var results: [Int32] = [-1, -1]
        if replaying != nil {
            guard pipe(&results) == 0 else { throw ToolError("pipe: \(String(cString: strerror(errno)))") }
            _ = fcntl(results[0], F_SETFD, FD_CLOEXEC)
        }
        let daemon = siblingTool("ttd-deviced")
        let dir = logDirectory(create: true)
        mkdir("\(dir)/console", 0o755)
        let (args, daemonLog) = daemonArguments(daemon, domid: String(domid.rawValue), spec, replaying: replaying,
                                                options: tt, readyFD: String(fds[1]),
                                                resultFD: String(results[1]), directory: dir)
        output.detail("starting \(shellCommand(args))")

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, daemonLog, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        posix_spawn_file_actions_addclose(&actions, fds[0])
        if replaying != nil { posix_spawn_file_actions_addclose(&actions, results[0]) }
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        posix_spawnattr_setflags(&attr, 0x80)    // POSIX_SPAWN_SETSID (glibc): a Ctrl-C at ttd-xl -c must not reach the daemon
        var cargs = args.map { strdup($0) } + [nil]
        defer { for a in cargs { free(a) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, daemon, &actions, &attr, &cargs, environ)
        close(fds[1])
        if replaying != nil { close(results[1]) }
        guard rc == 0 else {
            close(fds[0])
            if replaying != nil { close(results[0]) }
            throw ToolError("cannot start \(daemon): \(String(cString: strerror(rc)))")
        }
        output.info("ttd-deviced (pid \(pid)) \(replaying == nil ? "records" : "replays \(replaying!) into") domain \(domid); "
                    + "its messages: \(daemonLog)")
        // Wait for the ready byte, the daemon's death, or the timeout.
        var pfd = pollfd(fd: fds[0], events: Int16(POLLIN), revents: 0)
        let n = poll(&pfd, 1, Int32(readyTimeout * 1000))
        var b: UInt8 = 0
        let got = n > 0 ? read(fds[0], &b, 1) : 0
        close(fds[0])
        guard got == 1 else {
            var status: Int32 = 0
            let dead = waitpid(pid, &status, WNOHANG) == pid
            if !dead { kill(pid, SIGTERM) }
            if replaying != nil { close(results[0]) }
            let last = readFile(daemonLog)?.split(separator: "\n").last(where: { $0.hasPrefix("ttd-deviced: ") }).map(String.init)
            throw ToolError(n == 0 ? "ttd-deviced was not ready after \(readyTimeout) s (see \(daemonLog))"
                                   : "ttd-deviced failed: \(last ?? "see \(daemonLog)")")
        }
        return DaemonHandle(pid: pid, child: true, pty: readFile("/run/tt-xen/domain-\(domid).pty")?.trimmingCharacters(),
                            messages: daemonLog, resultFD: replaying != nil ? results[0] : -1)
    }

    /// Hands the domain to a ttd-deviced started without --domain, when one
    /// waits (WaitingDaemon), and waits for its ready byte; nil when none waits.
    func handOver(_ domid: DomainID, _ spec: DomainSpec, replaying: String?, options tt: TimeTravelOption,
                  tool: String) throws -> DaemonHandle? {
        guard let w = WaitingDaemon.find() else { return nil }
        let fd = WaitingDaemon.connect()
        guard fd >= 0 else { return nil }
        var dir = "/var/log/xen"
        if access(dir, W_OK) != 0 { dir = "/tmp" }
        mkdir("\(dir)/console", 0o755)
        var request: [(String, String)] = [("domain", String(domid.rawValue)), ("mode", replaying == nil ? "record" : "replay"),
                                           ("config", config), ("console-file", "\(dir)/console/guest-\(spec.name).log"),
                                           ("on-poweroff", spec.onPoweroff == .destroy ? "destroy" : "preserve"),
                                           ("on-reboot", spec.onReboot == .preserve ? "preserve" : "destroy"),
                                           ("on-crash", spec.onCrash == .preserve ? "preserve" : "destroy")]
        if let replaying { request.append(("log", replaying)) } else if let log { request.append(("log", log)) }
        if replaying == nil && force { request.append(("force", "1")) }
        if replaying == nil, let counter = tt.counter { request.append(("counter", counter.rawValue)) }
        if replaying == nil, let tscKHz = tt.tscKHz { request.append(("tsc-khz", String(tscKHz))) }
        if replaying == nil, let bound = tt.boundMicroseconds { request.append(("bound-us", String(bound))) }
        if let k = spec.kernel, fileExists(k) { request.append(("kernel", k)) }
        if let r = spec.ramdisk, fileExists(r) { request.append(("ramdisk", r)) }
        let line = WaitingDaemon.encode(request)
        output.detail("handing over to the waiting ttd-deviced (pid \(w.pid)): "
                      + request.map { "\($0.0)=\($0.1)" }.joined(separator: " "))
        _ = line.withCString { write(fd, $0, strlen($0)) }
        let messages = "the standard error of ttd-deviced (pid \(w.pid))"
        output.info("handed domain \(domid) to the waiting ttd-deviced (pid \(w.pid)) to "
                    + "\(replaying == nil ? "record" : "replay"); its messages: \(messages)")
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        var b: UInt8 = 0
        let n = poll(&p, 1, Int32(readyTimeout * 1000))
        let got = n > 0 ? read(fd, &b, 1) : 0
        guard got == 1, b == 1 else {
            var why = got == 1 ? String(decoding: [b], as: UTF8.self) : ""
            if got == 1, let rest = WaitingDaemon.readLine(fd, seconds: 1) { why += rest }
            close(fd)
            if why.hasPrefix("ttd-deviced: ") { why.removeFirst("ttd-deviced: ".count) }
            throw ToolError(n == 0 ? "the waiting ttd-deviced (pid \(w.pid)) was not ready after \(readyTimeout) s"
                                   : "the waiting ttd-deviced (pid \(w.pid)) failed: \(why.isEmpty ? "see its messages" : why)")
        }
        let pty = readFile("/run/tt-xen/domain-\(domid).pty")?.trimmingCharacters()
        if replaying == nil {
            close(fd)
            return DaemonHandle(pid: w.pid, child: false, pty: pty, messages: messages, resultFD: -1)
        }
        return DaemonHandle(pid: w.pid, child: false, pty: pty, messages: messages, resultFD: fd)
    }
}

extension Create {
    /// Where ttd-deviced's messages and the guest's console go:
    /// /var/log/xen (created when `create`; without, the dry run's answer:
    /// it would be created when /var/log can be written), else /tmp when
    /// it cannot be written.
    func logDirectory(create: Bool) -> String {
        let dir = "/var/log/xen"
        if create { mkdir(dir, 0o755) }
        if access(dir, W_OK) == 0 || (!create && !fileExists(dir) && access("/var/log", W_OK) == 0) { return dir }
        return "/tmp"
    }

    /// ttd-deviced's command line for the paused domain `domid` (recording,
    /// or replaying the log `replaying`), and where its messages go.
    func daemonArguments(_ daemon: String, domid: String, _ spec: DomainSpec, replaying: String?,
                         options tt: TimeTravelOption, readyFD: String, resultFD: String,
                         directory dir: String) -> (arguments: [String], messages: String) {
        var args = [daemon, "--domain", domid, "--console-pty", "--ready-fd", readyFD,
                    "--config", config,
                    "--on-poweroff", spec.onPoweroff == .destroy ? "destroy" : "preserve",
                    "--on-reboot", spec.onReboot == .preserve ? "preserve" : "destroy",
                    "--on-crash", spec.onCrash == .preserve ? "preserve" : "destroy"]
        if let replaying {
            args += ["--replay", "-f", replaying, "--result-fd", resultFD]
        } else {
            if let log { args += ["-f", log] }
            if force { args.append("--force") }
            if let counter = tt.counter { args += ["--counter", counter.rawValue] }
            if let tscKHz = tt.tscKHz { args += ["--tsc-khz", String(tscKHz)] }
            if let bound = tt.boundMicroseconds { args += ["--bound-us", String(bound)] }
        }
        if let k = spec.kernel, fileExists(k) { args += ["--kernel", k] }
        if let r = spec.ramdisk, fileExists(r) { args += ["--ramdisk", r] }
        // The guest's console goes where xenconsoled keeps an ordinary
        // guest's, so that users find it in the usual place.
        args += ["--console-file", "\(dir)/console/guest-\(spec.name).log"]
        // Its messages: the daemon reopens the file on SIGHUP (logrotate).
        let messages = "\(dir)/ttd-deviced-\(spec.name).log"
        args += ["--message-log", messages]
        return (args, messages)
    }

    /// -n: libxl's JSON of the domain config on standard output, what would
    /// be done on standard error (unless -q); nothing is created.
    func showDryRun(_ spec: DomainSpec, _ cfg: DomainConfig, _ tt: TimeTravelOption,
                    recording: (path: String, header: LogHeader)?) throws {
        let json: String
        do { json = try LibXL.configJSON(spec, diskConfig: cfg) } catch { throw ToolError("\(error)") }
        stdOut.line(json.hasSuffix("\n") ? String(json.dropLast()) : json)
        stdOut.flush()
        let say = { (line: String) in output.info("dry run: " + line) }
        say("would create domain \(spec.name) (\(spec.type), \(spec.vcpus) vCPU\(spec.vcpus == 1 ? "" : "s"), "
            + "\(spec.memoryMB) MiB) paused with libxl; its config, as libxl's JSON, is on standard output")
        say("time_travel: \(describe(tt))")
        if tt.enabled {
            if let r = recording {
                say("replays \(r.path): kernel, ramdisk and config match its header; its memory "
                    + "(\(r.header.memoryBytes >> 20) MiB) is checked against the domain's once it exists")
            } else {
                let path = log ?? WaitingDaemon.find().map(\.log).flatMap { $0.isEmpty ? nil : $0 }
                    ?? "/var/lib/tt-xen/logs/\(spec.name).ttlog"
                say("records into \(path)\(force ? " (replacing it, --force)" : "")")
            }
            if let w = WaitingDaemon.find() {
                say("would hand the domain to the waiting ttd-deviced (pid \(w.pid)); its messages: its standard error")
            } else {
                let (args, messages) = daemonArguments(siblingTool("ttd-deviced"), domid: "ID", spec,
                                                       replaying: recording?.path, options: tt,
                                                       readyFD: "N", resultFD: "N", directory: logDirectory(create: false))
                say("would start \(shellCommand(args)) (ID the new domain's, N a pipe to ttd-xl); its messages: \(messages)")
            }
        }
        if paused {
            say("would leave the domain paused (-p)")
        } else {
            say("would unpause the domain\(recording != nil ? " and wait for the replay's result" : "")")
        }
        if console { say("would attach to its console (-c)") }
        say("nothing created")
    }
}

/// time_travel in words.
func describe(_ tt: TimeTravelOption) -> String {
    switch tt.mode {
    case .record:
        return "record (ttd_flag=1), counter \(tt.counter?.rawValue ?? "auto (ttd-deviced's default)")"
    case .replay:
        return "replay (ttd_flag=1, tt_replay_flag=1), with the counter the recording was made with"
    default:
        return "none (an ordinary domain)"
    }
}

/// A command line as a shell would take it (arguments quoted when needed).
func shellCommand(_ args: [String]) -> String {
    args.map { a in
        let plain = !a.isEmpty && a.allSatisfy { $0.isLetter || $0.isNumber || "/._-=,:+@%".contains($0) }
        return plain ? a : "'" + a.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
    }.joined(separator: " ")
}

/// A ttd-deviced that ttd-xl started.
struct DaemonHandle {
    let pid: pid_t
    /// Started by this ttd-xl (else a waiting daemon it handed the domain to).
    let child: Bool
    /// The console pty, when it serves one.
    let pty: String?
    /// Where its messages go.
    let messages: String
    /// The read end of its --result-fd, or -1.
    let resultFD: Int32

    /// Waits for it to exit: its exit code and its result line (without
    /// "ttd-deviced: ").  A daemon that is not our child says its code on
    /// the result descriptor ("exit N").
    func wait() -> (Int32, String) {
        var status: Int32 = 0
        if child { while waitpid(pid, &status, 0) < 0 && errno == EINTR {} }
        var text = ""
        var said: Int32? = nil
        if resultFD >= 0 {
            var buf = [UInt8](repeating: 0, count: 4096)
            var all: [UInt8] = []
            // Our child has exited: take what it wrote, never wait for a
            // writer that inherited the descriptor.  A daemon that is not our
            // child closes it when it ends.
            if child { _ = fcntl(resultFD, F_SETFL, fcntl(resultFD, F_GETFL) | O_NONBLOCK) }
            while true {
                let n = read(resultFD, &buf, buf.count)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                all += buf[0..<n]
            }
            close(resultFD)
            for l in String(decoding: all, as: UTF8.self).split(separator: "\n") {
                if l.hasPrefix("exit "), let c = Int32(l.dropFirst(5)) { said = c } else { text = String(l) }
            }
        }
        if text.hasPrefix("ttd-deviced: ") { text.removeFirst("ttd-deviced: ".count) }
        var (code, how) = exitStatus(status)
        if !child {
            code = said ?? 1
            how = said == nil ? "ended" : "exited with code \(code)"
        }
        if text.isEmpty {
            text = "ttd-deviced \(how) without a result (see \(messages))"
        }
        return (code, text)
    }
}

/// The exit code of a wait status, and how the process ended, in words.
func exitStatus(_ status: Int32) -> (Int32, String) {
    let signal = status & 0x7f
    if signal == 0 {
        let code = (status >> 8) & 0xff
        return (code, "exited with code \(code)")
    }
    return (1, "was killed by signal \(signal)")
}


struct Console: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Attach to the TT-io console of a recorded domain (Ctrl-] leaves).")

    @Argument(help: ArgumentHelp("The domain, by id or name (libxl_name_to_domid, as xl console).", valueName: "id|name"))
    var domain: String

    @OptionGroup var output: OutputOptions

    func run() throws {
        let domid: UInt32
        if let n = UInt32(domain) {
            domid = n
        } else {
            do { domid = try LibXL(verbosity: output.verbose).domain(domain).rawValue } catch { throw ToolError("\(error)") }
            output.detail("domain \(domain) is domain \(domid)")
        }
        let named = UInt32(domain) == nil ? "domain \(domid) (\(domain))" : "domain \(domid)"
        guard let pty = readFile("/run/tt-xen/domain-\(domid).pty")?.trimmingCharacters() else {
            throw ToolError("\(named) has no TT-io console (not recorded by ttd-deviced with --console-pty); try xl console \(domain)")
        }
        output.detail("\(named): TT-io console \(pty) (Ctrl-] leaves)")
        try relayConsole(pty, tool: "ttd-xl", forwardInput: true)
    }
}

/// ttd-deviced beside this executable, else from PATH.
func siblingTool(_ name: String) -> String {
    var buf = [UInt8](repeating: 0, count: 4096)
    let n = buf.withUnsafeMutableBytes { readlink("/proc/self/exe", $0.baseAddress!.assumingMemoryBound(to: CChar.self), 4095) }
    if n > 0 {
        let me = String(decoding: buf[0..<n], as: UTF8.self)
        if let slash = me.lastIndex(of: "/") {
            let p = String(me[..<slash]) + "/" + name
            if access(p, X_OK) == 0 { return p }
        }
    }
    for dir in (String(cString: getenv("PATH") ?? strdup("/usr/sbin:/usr/bin"))).split(separator: ":") {
        let p = "\(dir)/\(name)"
        if access(p, X_OK) == 0 { return p }
    }
    return "/usr/sbin/" + name
}

func readFile(_ path: String) -> String? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var out: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = read(fd, &buf, buf.count)
        if n <= 0 { break }
        out += buf[0..<n]
    }
    return String(decoding: out, as: UTF8.self)
}


/// Relays the terminal and a console pty until Ctrl-] or the pty closes.
/// `forwardInput` false: what is typed is not sent (a replayed guest's input
/// comes from the log), only Ctrl-] is looked for.  Returns true when the
/// pty closed (the daemon ended the console), false on Ctrl-].
@discardableResult
func relayConsole(_ pty: String, tool: String, forwardInput: Bool) throws -> Bool {
    let fd = open(pty, O_RDWR | O_NOCTTY | O_CLOEXEC)
    guard fd >= 0 else { throw ToolError("cannot open the console \(pty): \(String(cString: strerror(errno)))") }
    var saved = termios()
    let isTTY = isatty(0) == 1 && tcgetattr(0, &saved) == 0
    if isTTY {
        var raw = saved
        cfmakeraw(&raw)
        tcsetattr(0, TCSANOW, &raw)
    }
    var buf = [UInt8](repeating: 0, count: 4096)
    var inputOpen = true
    var closed = false
    loop: while true {
        var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: inputOpen ? 0 : -1, events: Int16(POLLIN), revents: 0)]
        if poll(&fds, 2, -1) < 0 { if errno == EINTR { continue }; break }
        if fds[0].revents != 0 {
            let n = read(fd, &buf, buf.count)
            if n <= 0 { closed = true; break loop }
            _ = write(1, buf, n)
        }
        if fds[1].revents != 0 {
            let n = read(0, &buf, buf.count)
            if n <= 0 { inputOpen = false; continue }
            if let i = buf[0..<n].firstIndex(of: 0x1d) {         // Ctrl-]
                if i > 0 && forwardInput { _ = write(fd, buf, i) }
                break loop
            }
            if forwardInput { _ = write(fd, buf, n) }
        }
    }
    if isTTY { tcsetattr(0, TCSANOW, &saved) }
    close(fd)
    return closed
}

extension String {
    func trimmingCharacters() -> String {
        String(drop(while: { $0 == " " || $0 == "\t" || $0 == "\n" }).reversed()
            .drop(while: { $0 == " " || $0 == "\t" || $0 == "\n" }).reversed())
    }
}
