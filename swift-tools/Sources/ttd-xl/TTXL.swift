// ttd-xl: create a domain with time travel.  Recording is NOT IMPLEMENTED YET.

import ArgumentParser
import TTLog
import TTTools
import TTXen

@main
struct TTXL: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ttd-xl",
        abstract: "Create a Xen domain with recording or replay (recording not implemented yet).",
        discussion: """
            The seed's interface, on modern Xen:

              ttd-xl create clientA.conf time_travel="ttd_flag=1" -c                     # record
              ttd-xl create clientA.conf time_travel="ttd_flag=1, tt_replay_flag=1" -c   # replay

            Start 'ttd-deviced -f FILE' first.
            """,
        version: TTToolsVersion.string,
        subcommands: [Create.self])
}

struct Create: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a domain from an xl config file, recording or replaying it.",
        discussion: """
            Reads the config file with libxlutil as xl does; KEY=VALUE \
            arguments override its settings as on xl's command line. The \
            time_travel setting (in the file or as an argument) chooses the mode: \
            ttd_flag=1 records; ttd_flag=1, tt_replay_flag=1 replays.

            Once implemented: creates the domain paused with libxl, attaches \
            recording or replay (TTOP_attach), unpauses it, and with -c \
            attaches to its console.

            NOT IMPLEMENTED YET: TT Xen's tt_op does not exist yet. This command \
            reads and checks the config and the time_travel option, prints what \
            it would do, says so and exits with code 3; it creates no domain. \
            To run the guest without time travel: xl create CONF.
            """)

    @Argument(help: ArgumentHelp("The xl domain config file.", valueName: "config"))
    var config: String

    @Argument(help: ArgumentHelp("Config overrides, e.g. time_travel=\"ttd_flag=1\".", valueName: "key=value"))
    var overrides: [String] = []

    @Flag(name: .customShort("c"), help: "Attach to the domain's console.")
    var console = false

    @Flag(name: .customShort("p"), help: "Leave the domain paused after creating it.")
    var paused = false

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
            if kv.count == 2, !kv[1].hasPrefix("\"") && !kv[1].hasPrefix("'") { return "\(kv[0])=\"\(kv[1])\"" }
            return o
        }
        let cfg: DomainConfig
        do { cfg = try DomainConfig(path: config, overrides: fixed) } catch { fail(tool, "\(error)") }
        let name = cfg.string("name") ?? "(no name)"
        let type = cfg.string("type") ?? "pv"
        let memory = cfg.integer("memory")
        let tt: TimeTravelOption
        do { tt = try TimeTravelOption(parsing: cfg.string("time_travel") ?? "") } catch { fail(tool, "\(config): \(error)") }
        guard tt.enabled else {
            fail(tool, "\(config): time_travel is not set; for a domain without time travel use 'xl create \(config)'")
        }
        if type != "pvh" {
            printError("\(tool): \(config): warning: type \"\(type)\": time-traveling guests are PVH (type = \"pvh\")")
        }
        let what = tt.mode == .replay ? "replay" : "recording"
        fail(tool, "not implemented yet: would create \(name) (type \(type), \(memory.map { "\($0) MB" } ?? "default memory")) "
             + "with \(what)\(console ? " and its console" : "")\(paused ? ", paused" : ""); TT Xen's tt_op does not exist yet (issue 4)",
             code: 3)
    }
}
