import ArgumentParser
import TTLog
import TTTools
#if canImport(Glibc)
import Glibc
#endif

struct Console: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the guest's TT-io console as the log holds it: its output, or with --input what it was given.",
        discussion: """
            The output is the bytes of the guest's TTOP_io_send calls on its \
            console (HYPERCALL records), from the kernel's first line to its \
            last; --input prints the console input it read (TTIO_INPUT \
            records: what ttd-ctl push or a console pty gave it). The bytes \
            as they are, nothing added; with --landmarks one line per record \
            with its landmark, to find where in the log a line was written \
            (ttd-read-log stat --from-landmark). The number of bytes goes to \
            standard error.
            """)

    @OptionGroup var log: LogOptions

    @Flag(help: "Print the console input the guest read instead of its output.")
    var input = false

    @Flag(help: "One line per record instead: its landmark, then its bytes with \\n, \\r, \\t, \\\\ and \\xNN escaped ('lm:L text').")
    var landmarks = false

    func validate() throws {
        if log.json { throw ValidationError("console prints the console's bytes: it has no --json") }
    }

    func run() throws {
        let reader = try log.open()
        let cursor = RecordCursor(reader)
        var bytes = 0
        do {
            while let r = try cursor.next() {
                guard let b = input ? r.consoleInput.map(ArraySlice.init) : r.consoleOutput, !b.isEmpty else { continue }
                bytes += b.count
                if landmarks {
                    stdOut.line("lm:\(r.position.landmark) " + escaped(b))
                    continue
                }
                try b.withUnsafeBytes { p in
                    var done = 0
                    while done < p.count {
                        let n = write(1, p.baseAddress! + done, p.count - done)
                        if n <= 0 { throw ToolError("standard output: \(String(cString: strerror(errno)))") }
                        done += n
                    }
                }
            }
        } catch {
            throw ToolError("\(error)")
        }
        stdOut.flush()
        noteStop(reader, cursor.stop)
        printError("\(tool): \(reader.path): \(bytes) bytes of console \(input ? "input" : "output")")
    }
}

/// Console bytes on one line: \n \r \t \\ and other control bytes escaped.
func escaped(_ b: ArraySlice<UInt8>) -> String {
    var out = ""
    for c in b {
        switch c {
        case 0x0a: out += "\\n"
        case 0x0d: out += "\\r"
        case 0x09: out += "\\t"
        case 0x5c: out += "\\\\"
        case 0x20..<0x7f: out.unicodeScalars.append(Unicode.Scalar(c))
        default: out += "\\x" + (c < 16 ? "0" : "") + String(c, radix: 16)
        }
    }
    return out
}
