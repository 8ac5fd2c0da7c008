#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import TTLog
import TTRender
import TTTools

struct Print: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the records of a log.",
        discussion: """
            Without -i or -v: one line per record, position and type. \
            -i: one line per record with the decoded payload. \
            -v: also every field, the register signature of interrupts placed \
            between landmarks, and the payload in hex. --json: one JSON object \
            per record (JSON Lines).

            -n LM prints the records around landmark LM: the -w records before \
            the first record at landmark LM, that record, and the -w after it. \
            -n LM+COUNT, for a log recorded with a counter (DOMAIN_START's \
            counter: icount), anchors instead at the first record of landmark \
            LM whose count is COUNT or more (the count of a record other than \
            a landmark is what the counter counted since its landmark; the \
            landmark's own record is at 0), or at the next landmark when there \
            is none. Text lines label the count n: (guest instructions) with \
            the icount counter, br: otherwise; JSON calls it "branches" \
            whatever the counter.
            """)

    @OptionGroup var log: LogOptions

    @Option(name: [.customShort("n"), .customLong("landmark")],
            help: ArgumentHelp("Print the records around this landmark: LM, or LM+COUNT (at landmark LM, from count COUNT on).", valueName: "landmark"))
    var landmark: LandmarkPoint?

    @Option(name: [.customShort("w"), .customLong("window")],
            help: ArgumentHelp("Records before and after the landmark of -n.", valueName: "count"))
    var window: Int = 20

    @Flag(name: [.customShort("i"), .customLong("info")],
          help: "One line of event information per record: type, position, decoded payload.")
    var info = false

    @Flag(name: [.customShort("v"), .customLong("verbose")],
          help: "Verbose: every field, the register signature, the payload in hex.")
    var verbose = false

    @Flag(help: "Print the log header first (as '#' lines).")
    var header = false

    func validate() throws {
        guard window >= 0 && window <= 1_000_000 else { throw ValidationError("-w must be between 0 and 1000000") }
    }

    func run() throws {
        let reader = try log.open()
        let counter = reader.domainStart()?.counter ?? .none
        // Each record is written straight from its bytes into the output
        // buffer (RecordFormatter): what Record.shortLine, infoLine,
        // verboseLines and json print, without decoding it.
        let style: RecordFormatter.Style = log.json ? (verbose ? .jsonVerbose : .json)
            : verbose ? .verbose : info ? .info : .short
        let format = RecordFormatter(style: style, counter: counter)
        let output = stdOut
        let out = output.buffer
        if let landmark, let c = landmark.count, c > 0, counter == .none {
            printError("\(tool): \(reader.path): note: recorded without a counter (DOMAIN_START counter none): "
                       + "positions carry no count; -n \(landmark) selects from the first record after landmark \(landmark.landmark)")
        }
        if header {
            if log.json { stdOut.line(headerJSON(reader.header)) } else { headerText(reader.header).forEach(stdOut.line) }
        }
        do {
            if let landmark {
                // Streamed: the records of the window are never all in memory.
                let r = try reader.streamExcerpt(around: landmark, window: window) { raw, type, _ in
                    format.append(raw, type, to: out)
                    output.flushIfFull()
                }
                if r.from <= window { noteStop(reader, r.stop) }
            } else {
                // Formatted on two worker threads, a piece of a chunk each,
                // while this one reads and checks the next chunks; written
                // in log order.
                output.flush()
                let stop = try reader.formatRecords(threads: formatThreads(), format: { chunk, text in format.append(chunk, to: text) },
                                                    write: { text in text.flush(to: 1) })
                noteStop(reader, stop)
            }
        } catch {
            throw ToolError("\(error)")
        }
    }
}

/// Worker threads that format records: TTD_READ_LOG_THREADS (0: none, all
/// on the reading thread), else 2.
func formatThreads() -> Int {
    guard let v = getenv("TTD_READ_LOG_THREADS"), let n = Int(String(cString: v)), n >= 0 else { return 2 }
    return min(n, 16)
}
