// ttd-log-gen: writes a SYNTHETIC log for tests and benchmarks (the
// default command), and makes bad logs from good ones for tests and the
// lab: `alter` changes one record's value, `cut` cuts a copy short.

import ArgumentParser
import TTLog
import TTLogTestSupport
import TTTools

@main
struct LogGenTool: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ttd-log-gen",
        abstract: "Write a SYNTHETIC time-traveling Xen log, or make a bad log from a good one (tests, benchmarks, the lab).",
        discussion: """
            Without a subcommand it generates (ttd-log-gen -o FILE --records N \
            ...: see 'ttd-log-gen help generate'). 'alter' copies a log with one \
            record's value changed (a replay of it must diverge there); 'cut' \
            copies a log cut short inside a chunk, as a crashed recording \
            leaves it.
            """,
        version: TTToolsVersion.string,
        subcommands: [LogGen.self, Alter.self, Cut.self],
        defaultSubcommand: LogGen.self)

    static func main() { runCommand(Self.self, tool: "ttd-log-gen") }
}

struct LogGen: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write a SYNTHETIC time-traveling Xen log (for tests and benchmarks).",
        discussion: """
            The records are made up by a seeded generator with a realistic mix \
            (mostly RDTSC, hypercalls, PAUSE, interrupts held to landmarks and a \
            few placed by signature, pvclock updates, TT-io input). They are not \
            a recording of anything, and the header says so: ttd-read-log prints \
            'synthetic'. The same seed gives the same records.
            """)

    @Option(name: .shortAndLong, help: ArgumentHelp("The log to write.", valueName: "file"))
    var output: String

    @Option(help: "Number of records (DOMAIN_START and END included).")
    var records: Int?

    @Option(help: ArgumentHelp("Stop once the records reach this many bytes (K, M, G suffixes).", valueName: "size"))
    var size: String?

    @Option(help: "Seed of the generator.")
    var seed: UInt64 = 1

    @Flag(help: "Compress chunks with zstd.")
    var zstd = false

    @Option(help: ArgumentHelp("Uncompressed bytes per chunk.", valueName: "bytes"))
    var chunkSize: Int = 128 << 10

    @Option(help: "Guest name in the header.")
    var guest: String = "synthetic"

    @Flag(help: "Write a replay log (mode replay) instead of a recording.")
    var replay = false

    @Option(help: ArgumentHelp("Change the RIP of record N (0-based), to make two logs differ in one field.", valueName: "n"))
    var perturb: Int?

    @Flag(help: "Stop without the trailer, as a crash would: leaves FILE.incomplete.")
    var noClose = false

    func validate() throws {
        if records == nil && size == nil { throw ValidationError("give --records or --size") }
        if let r = records, r < 2 { throw ValidationError("--records must be at least 2") }
        if let s = size, parseSize(s) == nil { throw ValidationError("--size: '\(s)' is not a size such as 64M") }
        if chunkSize < 64 || chunkSize > 16 << 20 { throw ValidationError("--chunk-size must be between 64 and 16M") }
    }

    func parseSize(_ s: String) -> UInt64? {
        let mult: UInt64
        var digits = Substring(s)
        switch s.last {
        case "K", "k": mult = 1 << 10; digits = digits.dropLast()
        case "M", "m": mult = 1 << 20; digits = digits.dropLast()
        case "G", "g": mult = 1 << 30; digits = digits.dropLast()
        default: mult = 1
        }
        return UInt64(digits).map { $0 * mult }
    }

    func run() throws {
        let mode: Mode = replay ? .replay : .record
        let header = syntheticHeader(mode: mode, guest: guest, seed: seed)
        let writer: LogWriter
        do {
            writer = try LogWriter(path: output, header: header,
                                   options: .init(chunkSize: chunkSize, zstd: zstd))
        } catch { throw ToolError("\(error)") }
        var gen = SyntheticRecords(seed: seed, mode: mode)
        let limitBytes = size.flatMap(parseSize)
        let limitRecords = records.map { $0 - 1 }
        var n = 0
        var bytes: UInt64 = 0
        do {
            var r = gen.start()
            while true {
                if n == perturb { r.position.rip ^= 0x10 }
                try writer.append(r)
                bytes += UInt64(TTABI.recordSize(payloadLength: r.encoded().count - TTABI.recordHeaderSize))
                n += 1
                if let l = limitRecords, n >= l { break }
                if let l = limitBytes, bytes >= l { break }
                r = gen.next()
            }
            var end = gen.end()
            if n == perturb { end.position.rip ^= 0x10 }
            try writer.append(end)
            n += 1
            if noClose { try writer.abandon() } else { try writer.close() }
        } catch { throw ToolError("\(error)") }
        printError("ttd-log-gen: wrote \(n) SYNTHETIC records (\(writer.rawBytes) bytes, \(writer.storedBytes) stored) to "
                   + (noClose ? writer.incompletePath : writer.path))
    }
}

struct Alter: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy a log with one record's value changed (a replay of it must diverge there).",
        discussion: """
            Reads IN (up to its last whole chunk) and writes OUT with TTLog's \
            writer: the same header, the same records in the same chunks (valid \
            CRCs, a trailer), except one. --record N picks record N, 0-based \
            over all records (ttd-read-log prints them in order); --first TYPE \
            picks the first record of TYPE at or after --after-landmark L.

            --field value (the default) adds K (wrapping) to the record's \
            first value: RDTSC, RDTSCP: tsc; CPUID: eax of the result; \
            HYPERCALL: ret; IO: value (masked to the access size); MSR_READ, \
            MSR_WRITE: value. Any other type is refused. --field rip adds K to \
            the RIP of any landmark record.

            Replay compares a landmark's position, inputs and local results, \
            but takes outside results from the log: an RDTSC/RDTSCP tsc, or \
            the result of a record flagged outside, changed here is fed to the \
            guest and does not diverge at that record (alter says so); use \
            --field rip, or a CPUID, HYPERCALL, IO or MSR record that is not \
            outside, for a divergence at the record itself.

            Prints the change on standard output, e.g. \
            'record 12345: RDTSC at landmark 6789: tsc 0x... -> 0x...'.
            """)

    @Argument(help: ArgumentHelp("The log to read.", valueName: "in"))
    var input: String

    @Argument(help: ArgumentHelp("The log to write (OUT.incomplete while writing).", valueName: "out"))
    var output: String

    @Option(help: ArgumentHelp("Change record N (0-based over all records).", valueName: "n"))
    var record: UInt64?

    @Option(help: ArgumentHelp("Change the first record of this type (RDTSC, CPUID, HYPERCALL, IO, MSR_READ, ...).", valueName: "type"))
    var first: String?

    @Option(name: .customLong("after-landmark"), help: ArgumentHelp("With --first: at or after this landmark (default 0).", valueName: "l"))
    var afterLandmark: UInt64 = 0

    @Option(help: ArgumentHelp("What to change: value (by type, above), rip, or count (a landmark's instruction count, logs with a counter).", valueName: "field"))
    var field: String = "value"

    @Option(help: ArgumentHelp("Add this to the field (decimal or 0x hex, wrapping; default 1).", valueName: "k"))
    var add: String = "1"

    func validate() throws {
        if (record == nil) == (first == nil) { throw ValidationError("give --record N or --first TYPE") }
        if record != nil && afterLandmark != 0 { throw ValidationError("--after-landmark goes with --first") }
        if let f = first, recordType(f) == nil {
            throw ValidationError("--first \(f): not a record type (\(RecordType.allCases.map(\.name).joined(separator: ", ")))")
        }
        if AlterField(rawValue: field) == nil { throw ValidationError("--field \(field): value, rip or count") }
        if parseNumber(add) == nil { throw ValidationError("--add \(add): a number (decimal or 0x hex)") }
    }

    func recordType(_ s: String) -> RecordType? {
        RecordType.allCases.first { $0.name == s.uppercased() || $0.name == "TT_REC_" + s.uppercased() }
            ?? RecordType.allCases.first { "TT_REC_" + $0.name == s.uppercased() }
    }

    func run() throws {
        let target: AlterTarget = record.map { .record($0) } ?? .first(recordType(first!)!, atOrAfterLandmark: afterLandmark)
        do {
            let (change, stop, n) = try alterLog(input: input, output: output, target: target,
                                                 field: AlterField(rawValue: field)!, add: parseNumber(add)!)
            stdOut.line(change.description)
            stdOut.flush()
            if !stop.isClean { printError("ttd-log-gen: note: \(input): \(stop); \(output) holds the records up to there") }
            if change.notCompared {
                printError("ttd-log-gen: note: \(change.type.name)'s \(change.field) is a result replay takes from the log "
                           + "(outside), not one it compares: a replay will not diverge at this record (use --field rip)")
            }
            printError("ttd-log-gen: wrote \(n) records to \(output)")
        } catch { throw ToolError("\(error)") }
    }
}

struct Cut: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy a log cut short inside a chunk, as a crashed recording leaves it.",
        discussion: """
            Writes the first bytes of IN to OUT: --bytes N (at least the \
            header), or --at-landmark L, which cuts in the middle of the chunk \
            holding landmark L. The copy has no trailer; a reader (and a \
            replay) takes its chunks before the cut. OUT is written as named: \
            call it FILE.incomplete for the name a crashed ttd-deviced leaves \
            (ttd-read-log -f FILE and ttd-xl's replay then find it). Prints \
            where the cut is and what is left.
            """)

    @Argument(help: ArgumentHelp("The log to read.", valueName: "in"))
    var input: String

    @Argument(help: ArgumentHelp("The copy to write.", valueName: "out"))
    var output: String

    @Option(help: ArgumentHelp("Keep the first N bytes.", valueName: "n"))
    var bytes: UInt64?

    @Option(name: .customLong("at-landmark"), help: ArgumentHelp("Cut in the middle of the chunk holding landmark L.", valueName: "l"))
    var atLandmark: UInt64?

    func validate() throws {
        if (bytes == nil) == (atLandmark == nil) { throw ValidationError("give --bytes N or --at-landmark L") }
    }

    func run() throws {
        do {
            let r = try cutLog(input: input, output: output, at: bytes.map { .bytes($0) } ?? .landmark(atLandmark!))
            stdOut.line("cut \(input) at byte \(r.bytes): \(r.stop)")
            stdOut.line("\(output): \(r.wholeChunks) whole chunks, \(r.records) records, "
                        + "last landmark \(r.lastLandmark.map(String.init) ?? "none")")
            stdOut.flush()
        } catch { throw ToolError("\(error)") }
    }
}

/// A number in decimal or 0x hex.
func parseNumber(_ s: String) -> UInt64? {
    if s.hasPrefix("0x") || s.hasPrefix("0X") { return UInt64(s.dropFirst(2), radix: 16) }
    return UInt64(s)
}
