import ArgumentParser
import TTLog
import TTTools

struct Print: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the records of a log (the default subcommand).",
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

    @Option(name: .customShort("n"), help: ArgumentHelp("Print the records around this landmark: LM, or LM+COUNT (at landmark LM, from count COUNT on).", valueName: "landmark"))
    var landmark: LandmarkPoint?

    @Option(name: .customShort("w"), help: ArgumentHelp("Records before and after the landmark of -n.", valueName: "count"))
    var window: Int = 20

    @Flag(name: .customShort("i"), help: "One line of event information per record: type, position, decoded payload.")
    var info = false

    @Flag(name: .customShort("v"), help: "Verbose: every field, the register signature, the payload in hex.")
    var verbose = false

    @Flag(help: "Print the log header first (as '#' lines).")
    var header = false

    func validate() throws {
        guard window >= 0 && window <= 1_000_000 else { throw ValidationError("-w must be between 0 and 1000000") }
    }

    func emit(_ r: Record, _ counter: Counter) {
        if log.json {
            stdOut.line(r.json(verbose: verbose))
            return
        }
        stdOut.line(info || verbose ? r.infoLine(counter: counter) : r.shortLine(counter: counter))
        if verbose { for l in r.verboseLines(counter: counter) { stdOut.line(l) } }
    }

    func run() throws {
        let reader = log.open()
        let counter = reader.domainStart()?.counter ?? .none
        let emit = { (r: Record) in self.emit(r, counter) }
        if let landmark, let c = landmark.count, c > 0, counter == .none {
            printError("\(tool): \(reader.path): note: recorded without a counter (DOMAIN_START counter none): "
                       + "positions carry no count; -n \(landmark) selects from the first record after landmark \(landmark.landmark)")
        }
        if header {
            if log.json { stdOut.line(headerJSON(reader.header)) } else { headerText(reader.header).forEach(stdOut.line) }
        }
        do {
            if let landmark {
                let ex = try reader.excerpt(around: landmark, window: window)
                ex.before.forEach(emit)
                ex.from.forEach(emit)
                if ex.from.count <= window { noteStop(reader, ex.stop) }
            } else {
                let cursor = RecordCursor(reader)
                while let r = try cursor.next() { emit(r) }
                noteStop(reader, cursor.stop)
            }
        } catch {
            fail(tool, "\(error)")
        }
    }
}
