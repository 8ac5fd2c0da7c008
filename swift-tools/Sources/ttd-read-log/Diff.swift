import ArgumentParser
import TTLog
import TTRender
import TTTools

struct Diff: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Find the first record where two logs differ, with context from both.",
        discussion: """
            Compares records only (the headers of a recording and its replay \
            differ by nature: mode, start time), every field of every record, \
            except the mode of DOMAIN_START (record in the recording, replay in \
            its replay) and, in a log with a counter, the arithmetic flags \
            (CF PF AF ZF SF OF) of an interrupt's signature, as Xen's replay \
            compares them (docs/design-replay.md): a good replay has no \
            difference. Typically: \
            'ttd-read-log diff ttd.log ttd.log.clientA.replay.0'. When they \
            differ, prints the first differing record of each log with its \
            index, the fields that differ, and context from both. \
            Exit code 0 identical, 1 different, 2 an error.
            """)

    @Argument(help: "The first log (A), usually the recording.") var a: String
    @Argument(help: "The second log (B), usually the replay.") var b: String

    @Option(name: [.customShort("w"), .customLong("window")],
            help: ArgumentHelp("Records of context before and after.", valueName: "count"))
    var window: Int = 5

    @Flag(help: "Print JSON instead of text.")
    var json = false

    func validate() throws {
        guard window >= 0 && window <= 10_000 else { throw ValidationError("-w must be between 0 and 10000") }
    }

    func run() throws {
        func open(_ p: String) throws -> LogReader {
            do { return try LogReader(path: p) } catch { throw ToolError("\(error)", code: 2) }
        }
        let ra = try open(a), rb = try open(b)
        // The recording a log stands for: its own id, or the one it replays.
        func recording(_ r: LogReader) -> [UInt8] {
            r.header.originalLogID.isEmpty ? r.header.logID : r.header.originalLogID
        }
        if !recording(ra).isEmpty && !recording(rb).isEmpty && recording(ra) != recording(rb) {
            printError("\(tool): note: \(a) and \(b) are not of the same recording (log ids differ)")
        }
        let d: LogDiff
        do { d = try diffLogs(ra, rb, window: window) } catch { throw ToolError("\(error)", code: 2) }
        if json {
            func list(_ rs: [Record]) -> String { "[" + rs.map { $0.json() }.joined(separator: ",") + "]" }
            var o = "{\"a\":\(jsonString(a)),\"b\":\(jsonString(b)),\"identical\":\(d.identical)"
            o += ",\"records_compared\":\(d.recordsCompared)"
            if !d.identical {
                o += ",\"record\":\(d.recordNumber),\"differences\":[" + d.differences.map(jsonString).joined(separator: ",") + "]"
                o += ",\"context\":\(list(d.context)),\"a_from\":\(list(d.afterA)),\"b_from\":\(list(d.afterB))"
            }
            stdOut.line(o + "}")
        } else if d.identical {
            stdOut.line("identical: \(d.recordsCompared) records")
        } else {
            let count = { (r: Record) in r.position.branches.map { " \(d.counter.label):\($0)" } ?? "" }
            let where_ = [d.a.map { "A lm:\($0.position.landmark)\(count($0)) ip:\(hexString($0.position.rip))" },
                          d.b.map { "B lm:\($0.position.landmark)\(count($0)) ip:\(hexString($0.position.rip))" }]
                .compactMap { $0 }.joined(separator: ", ")
            stdOut.line("first difference at record \(d.recordNumber) (\(where_))")
            stdOut.line("A record \(d.recordNumber): " + (d.a?.infoLine(counter: d.counter) ?? "none (A ends here)"))
            stdOut.line("B record \(d.recordNumber): " + (d.b?.infoLine(counter: d.counter) ?? "none (B ends here)"))
            for x in d.differences { stdOut.line("  " + x) }
            stdOut.line("context (equal in both):")
            for r in d.context { stdOut.line("  " + r.infoLine(counter: d.counter)) }
            stdOut.line("A \(a):")
            for r in d.afterA { stdOut.line("< " + r.infoLine(counter: d.counter)) }
            stdOut.line("B \(b):")
            for r in d.afterB { stdOut.line("> " + r.infoLine(counter: d.counter)) }
        }
        noteStop(ra, d.stopA)
        noteStop(rb, d.stopB)
        if !d.identical {
            stdOut.flush()
            throw ExitCode(1)
        }
    }
}

func hexString(_ v: UInt64) -> String {
    let s = String(v, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 16 - s.count)) + s
}
