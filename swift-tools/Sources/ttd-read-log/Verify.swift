import ArgumentParser
import TTLog
import TTRender
import TTTools

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a log: checksums, structure, every record, positions, index.",
        discussion: """
            Exit code 0 only for a sound log: closed cleanly, every chunk's \
            CRC32C right, every record decodes and re-encodes to the same \
            bytes, positions monotonic, DOMAIN_START first and END last, the \
            stored index equal to the chunks, and TT Xen's record rules hold \
            (docs/log-format.md): landmarks step by one; every interrupt, \
            memory write and TT-io input at its landmark's position, or placed \
            by signature after it; no CPUID result shows RDRAND, RDSEED, HLE or \
            RTM; END's landmark and signature counts equal the log's. \
            Otherwise 1, with the problems \
            found (at most 20), one per line.
            """)

    @OptionGroup var log: LogOptions

    func run() throws {
        let reader = try log.open()
        let r = reader.verify()
        var problems = r.problems
        if !r.stop.isClean { problems.append("\(reader.path): \(r.stop)") }
        if log.json {
            stdOut.line("{\"file\":\(jsonString(reader.path)),\"sound\":\(problems.isEmpty),\"records\":\(r.records),"
                        + "\"chunks\":\(r.chunks),\"index_stored\":\(r.indexStored),\"problems\":["
                        + problems.map(jsonString).joined(separator: ",") + "]}")
        } else if problems.isEmpty {
            stdOut.line("\(reader.path): sound: \(r.records) records in \(r.chunks) chunks, closed cleanly, index matches")
        } else {
            for p in problems.dropLast() { stdOut.line(p) }
        }
        if !problems.isEmpty {
            if log.json { throw ToolError("\(reader.path): not sound (\(problems.count) problems)") }
            throw ToolError(problems.last!)
        }
    }
}
