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
        abstract: "Create a Xen domain, recording it when its config says time_travel=\"ttd_flag=1\".",
        discussion: """
            The seed's interface, on modern Xen:

              ttd-xl create clientA.conf time_travel="ttd_flag=1" -c                     # record
              ttd-xl create clientA.conf time_travel="ttd_flag=1, tt_replay_flag=1" -c   # replay (not implemented yet)

            Recording starts ttd-deviced for the domain itself.
            """,
        version: TTToolsVersion.string,
        subcommands: [Create.self, Console.self])
}

/// The config keys ttd-xl understands; any other is refused.
let supportedKeys: Set<String> = [
    "name", "type", "kernel", "ramdisk", "cmdline", "extra", "root", "memory", "maxmem", "vcpus",
    "on_poweroff", "on_reboot", "on_crash", "disk", "vif", "time_travel",
]

struct Create: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a domain from an xl config file, recording it with time_travel=\"ttd_flag=1\".",
        discussion: """
            Reads the config file with libxlutil as xl does; KEY=VALUE \
            arguments override its settings as on xl's command line. Keys \
            understood: name, type, kernel, ramdisk, cmdline, extra, root, \
            memory, maxmem, vcpus, on_poweroff, on_reboot, on_crash, disk, vif \
            (bridge, mac, ip, script) and time_travel; any other key is refused \
            (use xl create for such a domain).

            Creates the domain paused with libxl. With time_travel="ttd_flag=1" \
            (type "pvh" and vcpus = 1 required) it starts ttd-deviced for it \
            (beside ttd-xl, or on PATH), which attaches recording, maps the log \
            ring, writes the log header and serves the TT-io console on a pty, \
            waits until the daemon is ready (30 s at most, else the domain is \
            destroyed), then unpauses the domain unless -p is given. The log goes \
            to --log or /var/lib/tt-xen/logs/NAME.ttlog, the daemon's messages to \
            /var/log/xen/ttd-deviced-NAME.log, the guest's console output also to \
            /var/log/xen/console/guest-NAME.log. Without time_travel it creates an \
            ordinary domain and unpauses it, as xl create does.

            -c attaches to the console: the daemon's pty for a recorded domain \
            (Ctrl-] leaves it), 'xl console' for an ordinary one.

            Replay (tt_replay_flag=1) is not implemented yet: exit code 3.
            """)

    @Argument(help: ArgumentHelp("The xl domain config file.", valueName: "config"))
    var config: String

    @Argument(help: ArgumentHelp("Config overrides, e.g. time_travel=\"ttd_flag=1\".", valueName: "key=value"))
    var overrides: [String] = []

    @Flag(name: .customShort("c"), help: "Attach to the domain's console.")
    var console = false

    @Flag(name: .customShort("p"), help: "Leave the domain paused after creating it.")
    var paused = false

    @Option(name: .customLong("log"), help: ArgumentHelp("The log file of a recording (default /var/lib/tt-xen/logs/NAME.ttlog).", valueName: "file"))
    var log: String?

    @Option(name: .customLong("ready-timeout"), help: ArgumentHelp("Seconds to wait for ttd-deviced (default 30).", valueName: "s"))
    var readyTimeout = 30

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
        do { cfg = try DomainConfig(path: config, overrides: fixed) } catch { fail(tool, "\(error)") }
        var keys = overrides.map { String($0.split(separator: "=", maxSplits: 1)[0]).trimmingCharacters() }
        if let text = readFile(config) { keys += configKeys(text) }
        for k in keys where !supportedKeys.contains(k) {
            fail(tool, "\(config): key '\(k)' is not supported by ttd-xl (it knows: \(supportedKeys.sorted().joined(separator: ", "))); "
                 + "for such a domain use 'xl create \(config)'")
        }
        let tt: TimeTravelOption
        do { tt = try TimeTravelOption(parsing: cfg.string("time_travel") ?? "") } catch { fail(tool, "\(config): \(error)") }

        var spec = DomainSpec()
        spec.name = cfg.string("name") ?? ""
        guard !spec.name.isEmpty else { fail(tool, "\(config): no name = \"...\"") }
        spec.type = cfg.string("type") ?? "pv"
        spec.kernel = cfg.string("kernel")
        spec.ramdisk = cfg.string("ramdisk")
        if let c = cfg.string("cmdline") {
            spec.cmdline = c
        } else {
            let parts = [cfg.string("root").map { "root=\($0)" }, cfg.string("extra")].compactMap { $0 }
            spec.cmdline = parts.isEmpty ? nil : parts.joined(separator: " ")
        }
        spec.memoryMB = cfg.integer("memory") ?? 128
        spec.maxMemoryMB = cfg.integer("maxmem")
        spec.vcpus = cfg.integer("vcpus") ?? 1
        func action(_ key: String, _ dflt: ShutdownAction) -> ShutdownAction {
            guard let v = cfg.string(key) else { return dflt }
            guard let a = ShutdownAction(rawValue: v) else {
                fail(tool, "\(config): \(key) = \"\(v)\": one of \(ShutdownAction.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return a
        }
        spec.onPoweroff = action("on_poweroff", .destroy)
        spec.onReboot = action("on_reboot", .restart)
        spec.onCrash = action("on_crash", .destroy)
        spec.disks = cfg.list("disk") ?? []
        for v in cfg.list("vif") ?? [] {
            var nic: [String: String] = [:]
            for item in v.split(separator: ",") {
                let kv = item.split(separator: "=", maxSplits: 1).map { String($0).trimmingCharacters() }
                guard kv.count == 2, ["bridge", "mac", "ip", "script"].contains(kv[0]) else {
                    fail(tool, "\(config): vif '\(v)': ttd-xl knows bridge=, mac=, ip=, script= only; use xl create for this domain")
                }
                nic[kv[0]] = kv[1]
            }
            spec.nics.append(nic)
        }

        if tt.mode == .replay {
            fail(tool, "not implemented yet: replay (tt_replay_flag=1); record with time_travel=\"ttd_flag=1\"", code: 3)
        }
        if tt.enabled {
            guard spec.type == "pvh" else {
                fail(tool, "\(config): time travel needs type = \"pvh\" (this config has type = \"\(spec.type)\")")
            }
            guard spec.vcpus == 1 else {
                fail(tool, "\(config): time travel needs vcpus = 1 (this config has vcpus = \(spec.vcpus))")
            }
        }

        let libxl: LibXL
        let domid: DomainID
        do {
            libxl = try LibXL()
            domid = try libxl.create(spec, diskConfig: cfg)
        } catch { fail(tool, "\(error)") }
        printError("\(tool): created domain \(domid) (\(spec.name)), paused")

        var pty: String? = nil
        if tt.enabled {
            do {
                pty = try startDaemon(domid, spec, tool: tool)
            } catch {
                printError("\(tool): \(error)")
                try? libxl.destroy(domid)
                fail(tool, "domain \(domid) (\(spec.name)) destroyed: it must not run unrecorded")
            }
        }
        if !paused {
            do { try libxl.unpause(domid) } catch {
                try? libxl.destroy(domid)
                fail(tool, "\(error); domain \(domid) destroyed")
            }
            printError("\(tool): domain \(domid) (\(spec.name)) running\(tt.enabled ? ", recorded" : "")")
        }
        if console {
            if let pty {
                attachConsole(pty, tool: tool)
            } else {
                let args = ["xl", "console", String(domid.rawValue)]
                var cargs = args.map { strdup($0) } + [nil]
                execvp("xl", &cargs)
                fail(tool, "cannot run xl console: \(String(cString: strerror(errno)))")
            }
        }
    }

    /// Starts ttd-deviced for the paused domain and waits for its ready byte.
    /// Returns the console pty.
    func startDaemon(_ domid: DomainID, _ spec: DomainSpec, tool: String) throws -> String? {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw ToolError("pipe: \(String(cString: strerror(errno)))") }
        let daemon = siblingTool("ttd-deviced")
        var args = [daemon, "--domain", String(domid.rawValue), "--console-pty", "--ready-fd", String(fds[1]),
                     "--config", config,
                     "--on-poweroff", spec.onPoweroff == .destroy ? "destroy" : "preserve",
                     "--on-reboot", spec.onReboot == .preserve ? "preserve" : "destroy",
                     "--on-crash", spec.onCrash == .preserve ? "preserve" : "destroy"]
        if let log { args += ["-f", log] }
        if let k = spec.kernel, fileExists(k) { args += ["--kernel", k] }
        if let r = spec.ramdisk, fileExists(r) { args += ["--ramdisk", r] }
        var dir = "/var/log/xen"
        mkdir(dir, 0o755)
        if access(dir, W_OK) != 0 { dir = "/tmp" }
        let daemonLog = "\(dir)/ttd-deviced-\(spec.name).log"
        // The guest's console goes where xenconsoled keeps an ordinary
        // guest's, so that users find it in the usual place.
        mkdir("\(dir)/console", 0o755)
        args += ["--console-file", "\(dir)/console/guest-\(spec.name).log"]

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, daemonLog, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        posix_spawn_file_actions_addclose(&actions, fds[0])
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        posix_spawnattr_setflags(&attr, 0x80)    // POSIX_SPAWN_SETSID (glibc): a Ctrl-C at ttd-xl -c must not reach the daemon
        var cargs = args.map { strdup($0) } + [nil]
        defer { for a in cargs { free(a) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, daemon, &actions, &attr, &cargs, environ)
        close(fds[1])
        guard rc == 0 else {
            close(fds[0])
            throw ToolError("cannot start \(daemon): \(String(cString: strerror(rc)))")
        }
        printError("\(tool): ttd-deviced (pid \(pid)) records domain \(domid); its messages: \(daemonLog)")
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
            let last = readFile(daemonLog)?.split(separator: "\n").last(where: { $0.hasPrefix("ttd-deviced: ") }).map(String.init)
            throw ToolError(n == 0 ? "ttd-deviced was not ready after \(readyTimeout) s (see \(daemonLog))"
                                   : "ttd-deviced failed: \(last ?? "see \(daemonLog)")")
        }
        return readFile("/run/tt-xen/domain-\(domid).pty")?.trimmingCharacters()
    }
}

struct Console: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Attach to the TT-io console of a recorded domain (Ctrl-] leaves).")

    @Argument(help: ArgumentHelp("The domain id.", valueName: "domid"))
    var domid: UInt32

    func run() throws {
        guard let pty = readFile("/run/tt-xen/domain-\(domid).pty")?.trimmingCharacters() else {
            fail("ttd-xl", "domain \(domid) has no TT-io console (not recorded by ttd-deviced with --console-pty); try xl console \(domid)")
        }
        attachConsole(pty, tool: "ttd-xl")
    }
}

struct ToolError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
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
func attachConsole(_ pty: String, tool: String) -> Never {
    let fd = open(pty, O_RDWR | O_NOCTTY | O_CLOEXEC)
    guard fd >= 0 else { fail(tool, "cannot open the console \(pty): \(String(cString: strerror(errno)))") }
    var saved = termios()
    let isTTY = isatty(0) == 1 && tcgetattr(0, &saved) == 0
    if isTTY {
        var raw = saved
        cfmakeraw(&raw)
        tcsetattr(0, TCSANOW, &raw)
    }
    var buf = [UInt8](repeating: 0, count: 4096)
    var inputOpen = true
    loop: while true {
        var fds = [pollfd(fd: fd, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: inputOpen ? 0 : -1, events: Int16(POLLIN), revents: 0)]
        if poll(&fds, 2, -1) < 0 { if errno == EINTR { continue }; break }
        if fds[0].revents != 0 {
            let n = read(fd, &buf, buf.count)
            if n <= 0 { break loop }
            _ = write(1, buf, n)
        }
        if fds[1].revents != 0 {
            let n = read(0, &buf, buf.count)
            if n <= 0 { inputOpen = false; continue }
            if let i = buf[0..<n].firstIndex(of: 0x1d) {         // Ctrl-]
                if i > 0 { _ = write(fd, buf, i) }
                break loop
            }
            _ = write(fd, buf, n)
        }
    }
    if isTTY { tcsetattr(0, TCSANOW, &saved) }
    exit(0)
}

extension String {
    func trimmingCharacters() -> String {
        String(drop(while: { $0 == " " || $0 == "\t" || $0 == "\n" }).reversed()
            .drop(while: { $0 == " " || $0 == "\t" || $0 == "\n" }).reversed())
    }
}
