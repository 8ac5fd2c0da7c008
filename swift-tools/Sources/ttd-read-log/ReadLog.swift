// ttd-read-log: print, check and compare time-traveling Xen logs.

import ArgumentParser
import TTLog
import TTRender
import TTTools

let tool = "ttd-read-log"

@main
struct ReadLog: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ttd-read-log",
        abstract: "Print, check and compare time-traveling Xen logs.",
        discussion: """
            With no subcommand, prints the records of a log (the 'print' subcommand), \
            with the seed's options. The bug-report recipe:

              ttd-read-log -i -n 533717582 -v -f ttd.log > orig.run
              ttd-read-log -i -r -n 533717582 -v -f ttd.log > replay.run
              vimdiff -R orig.run replay.run

            With a log recorded with a counter, -n LM+COUNT names a point \
            between landmarks: COUNT guest instructions after landmark LM.

            Record lines hold no file offsets, so the original and the replay \
            line up record for record. 'ttd-read-log diff' finds the first \
            difference for you.

            The log is FILE or -f FILE, for every subcommand (diff takes two \
            FILEs). -r alone reads the newest replay log written beside the log \
            (FILE.<guest>.replay.N with the highest N); -r PATH reads PATH (with \
            the log named too: -r PATH FILE or -r PATH -f FILE). A log not closed \
            cleanly (FILE.incomplete, or cut short) is read up to its last \
            whole chunk, and a note on standard error says where it stopped.

            Exit codes: 0 success; 1 an error (one line on standard error); \
            diff: 0 identical, 1 different, 2 an error.
            """,
        version: TTToolsVersion.string,
        subcommands: [Print.self, Stat.self, Verify.self, Diff.self, Console.self],
        defaultSubcommand: Print.self)

    /// The seed's `-r [PATH]`: argument-parser has no optional option values,
    /// so `-r PATH` becomes `--replay-log PATH` before parsing, when the
    /// command line names the log otherwise (`-f FILE` or a FILE argument);
    /// without one, `-r FILE` is the flag and FILE the log (the replay beside
    /// FILE, as `-r -f FILE`).
    static func rewrite(_ args: [String]) -> [String] {
        var out: [String] = []
        var i = 0
        let subcommands: Set<String> = ["print", "stat", "verify", "diff", "console", "help"]
        while i < args.count {
            let a = args[i]
            if a == "-r", i + 1 < args.count, !args[i + 1].hasPrefix("-"), !subcommands.contains(args[i + 1]),
               namesLog(args, skipping: i) {
                out += ["--replay-log", args[i + 1]]
                i += 2
                continue
            }
            out.append(a)
            i += 1
        }
        return out
    }

    /// Whether `args` name a log (`-f FILE`, `--file FILE` or a FILE
    /// argument) other than by the `-r X` at index `r`.
    static func namesLog(_ args: [String], skipping r: Int) -> Bool {
        let valued: Set<String> = ["-f", "--file", "-n", "--landmark", "-w", "--window", "--replay-log",
                                   "--from-landmark", "--to-landmark"]
        let subcommands: Set<String> = ["print", "stat", "verify", "console"]
        var i = 0
        while i < args.count {
            let a = args[i]
            if i == r { i += 2; continue }
            if a == "--" { return i + 1 < args.count }
            if a == "-f" || a == "--file" || a.hasPrefix("--file=") || (a.hasPrefix("-f") && !a.hasPrefix("--")) {
                return true
            }
            if valued.contains(a) { i += 2; continue }
            if a.hasPrefix("-") || (i == 0 && subcommands.contains(a)) { i += 1; continue }
            return true
        }
        return false
    }

    static func main() {
        runCommand(Self.self, tool: tool, arguments: rewrite(Array(CommandLine.arguments.dropFirst())))
    }
}

/// FILE or -f FILE, -r [PATH], --json: which log to read.
struct LogOptions: ParsableArguments {
    @Argument(help: ArgumentHelp("The log file (the same as -f FILE).", valueName: "file"))
    var path: String?

    @Option(name: [.customShort("f"), .customLong("file")], help: ArgumentHelp("The log file.", valueName: "file"))
    var fileOption: String?

    @Flag(name: [.customShort("r"), .customLong("replay")],
          help: "Read the newest replay log beside the log: FILE.<guest>.replay.N, highest N. '-r PATH' reads PATH instead.")
    var replay = false

    @Option(name: .customLong("replay-log"), help: ArgumentHelp("Read this replay log (same as -r PATH).", valueName: "path"))
    var replayLog: String?

    @Flag(help: "Print JSON instead of text.")
    var json = false

    /// The log: the FILE argument or -f FILE.
    var file: String { fileOption ?? path ?? "" }

    func validate() throws {
        switch (path, fileOption) {
        case (nil, nil):
            throw ValidationError("Missing the log: give it as FILE or -f FILE.")
        case (let a?, let b?) where a != b:
            throw ValidationError("Two logs given, '\(a)' and -f '\(b)': give one (-r PATH reads a replay log).")
        default:
            break
        }
    }

    /// Opens the log the options name, or fails with one line.
    func open() throws -> LogReader {
        let base = try openLog(file)
        guard replay || replayLog != nil else { return base }
        if let replayLog { return try openLog(replayLog) }
        guard let path = ReplayLogName.newest(log: file, guest: base.header.guestName) else {
            let first = ReplayLogName.path(log: file, guest: base.header.guestName, number: 0)
            throw ToolError("\(first): no replay log beside \(file) (a replay writes it there; name another with -r PATH)")
        }
        return try openLog(path)
    }
}

/// Opens a log; FILE.incomplete stands in for a missing FILE, with a note.
func openLog(_ path: String) throws -> LogReader {
    var p = path
    if !fileExists(p) && fileExists(p + ".incomplete") {
        printError("\(tool): \(p) does not exist; reading \(p).incomplete (not closed cleanly: recording crashed or is still running)")
        p += ".incomplete"
    }
    do {
        return try LogReader(path: p)
    } catch {
        throw ToolError("\(error)")
    }
}

/// The note printed when a log ends without a clean trailer.
func noteStop(_ reader: LogReader, _ stop: StopReason?) {
    if let stop, !stop.isClean { printError("\(tool): \(reader.path): note: \(stop)") }
}

/// -n LM or -n LM+COUNT.
extension LandmarkPoint: ExpressibleByArgument {
    public init?(argument: String) { self.init(parsing: argument) }
}

func headerText(_ h: LogHeader) -> [String] {
    h.fields.map { "# \($0.name): \($0.value.text)" }
}

func headerJSON(_ h: LogHeader) -> String {
    "{" + h.fields.map { jsonString($0.name) + ":" + $0.value.json }.joined(separator: ",") + "}"
}
