// ttd-log-gen: writes a SYNTHETIC log for tests and benchmarks.

import ArgumentParser
import TTLog
import TTTools

@main
struct LogGen: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ttd-log-gen",
        abstract: "Write a SYNTHETIC time-traveling Xen log (for tests and benchmarks).",
        discussion: """
            The records are made up by a seeded generator with a realistic mix \
            (mostly RDTSC, hypercalls, PAUSE, interrupts held to landmarks and a \
            few placed by signature, pvclock updates, TT-io input). They are not \
            a recording of anything, and the header says so: ttd-read-log prints \
            'synthetic'. The same seed gives the same records.
            """,
        version: TTToolsVersion.string)

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
        } catch { fail("ttd-log-gen", "\(error)") }
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
        } catch { fail("ttd-log-gen", "\(error)") }
        printError("ttd-log-gen: wrote \(n) SYNTHETIC records (\(writer.rawBytes) bytes, \(writer.storedBytes) stored) to "
                   + (noClose ? writer.incompletePath : writer.path))
    }
}
