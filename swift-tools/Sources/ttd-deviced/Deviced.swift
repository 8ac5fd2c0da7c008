// ttd-deviced: the logging daemon of time-traveling Xen.  NOT IMPLEMENTED YET.

import ArgumentParser
import TTLog
import TTTools

@main
struct Deviced: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ttd-deviced",
        abstract: "The time-traveling Xen logging daemon (not implemented yet).",
        discussion: """
            The seed's interface:

              ttd-deviced -f /var/lib/ttd/ttd.log      # then: ttd-xl create CONF time_travel="ttd_flag=1" -c

            Once implemented, it maps the log ring of each time-traveling \
            domain (TTOP_ring_setup of xen/include/public/tt.h), copies its \
            records into FILE (written as FILE.incomplete and renamed when \
            closed cleanly), and runs the TT-io backends: console, network, \
            block. In replay it feeds the recorded records back to Xen and \
            writes the replay log beside FILE as FILE.<guest>.replay.0.

            NOT IMPLEMENTED YET: recording needs TT Xen's tt_op, which does \
            not exist yet. This command checks its arguments, then says so \
            and exits with code 3; it writes no log.
            """,
        version: TTToolsVersion.string)

    @Option(name: .customShort("f"), help: ArgumentHelp("The log file to write (or, in replay, to read).", valueName: "file"))
    var file: String

    @Flag(name: .customLong("foreground"), help: "Stay in the foreground (no effect yet).")
    var foreground = false

    func validate() throws {
        guard directoryIsWritable(forFile: file) else {
            throw ValidationError("cannot write \(file): its directory does not exist or is not writable")
        }
    }

    func run() throws {
        fail("ttd-deviced", "not implemented yet: recording needs TT Xen's tt_op hypercall (issue 4); "
             + "no log written to \(file)", code: 3)
    }
}
