import ArgumentParser
import TTLog
import TTRender
import TTTools

struct Stat: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Counts and bytes per record type, landmark span, guest time, compression ratio.",
        discussion: """
            With --from-landmark and --to-landmark, of the records at those \
            landmarks only (both included): a window of the guest's run, e.g. \
            between two of its console lines (ttd-read-log console \
            --landmarks says where each piece of output is). Chunks, stored \
            and file bytes stay the whole log's.
            """)

    @OptionGroup var log: LogOptions

    @Option(name: .customLong("from-landmark"), help: ArgumentHelp("Count only the records from this landmark on.", valueName: "landmark"))
    var fromLandmark: UInt64?

    @Option(name: .customLong("to-landmark"), help: ArgumentHelp("Count only the records up to this landmark.", valueName: "landmark"))
    var toLandmark: UInt64?

    func validate() throws {
        if let a = fromLandmark, let b = toLandmark, a > b {
            throw ValidationError("--from-landmark \(a) is after --to-landmark \(b)")
        }
    }

    func run() throws {
        let reader = try log.open()
        let s: LogStats
        let window = fromLandmark == nil && toLandmark == nil ? nil : (fromLandmark ?? 0)...(toLandmark ?? UInt64.max)
        do { s = try reader.stats(landmarks: window) } catch { throw ToolError("\(error)") }
        let names = s.perType.keys.sorted().map { t in (t, RecordType(rawValue: t)?.name ?? hexName(t)) }
        func f(_ v: Double, _ digits: Int = 2) -> String {
            let p = pow10(digits)
            let r = (v * p).rounded() / p
            var str = String(r)
            if let dot = str.firstIndex(of: ".") {
                let decimals = str.distance(from: dot, to: str.endIndex) - 1
                if decimals < digits { str += String(repeating: "0", count: digits - decimals) }
            }
            return str
        }
        if log.json {
            var o = "{\"file\":\(jsonString(reader.path)),\"header\":\(headerJSON(reader.header))"
            o += ",\"complete\":\(s.stop.isClean),\"stop\":\(jsonString(s.stop.description))"
            o += ",\"records\":\(s.records),\"chunks\":\(s.chunks),\"zstd_chunks\":\(s.compressedChunks)"
            o += ",\"record_bytes\":\(s.recordBytes),\"stored_bytes\":\(s.storedBytes),\"file_bytes\":\(s.fileBytes)"
            o += ",\"bytes_per_record\":\(f(s.bytesPerRecord)),\"compression_ratio\":\(f(s.compressionRatio, 3))"
            o += ",\"first_landmark\":\(s.firstLandmark.map(String.init) ?? "null")"
            o += ",\"last_landmark\":\(s.lastLandmark.map(String.init) ?? "null")"
            o += ",\"guest_seconds\":\(s.guestSeconds.map { f($0, 6) } ?? "null")"
            o += ",\"records_per_guest_second\":\(s.recordsPerGuestSecond.map { f($0, 1) } ?? "null")"
            o += ",\"counter\":\(s.counter.map { jsonString($0.name) } ?? "null")"
            o += ",\"records_with_count\":\(s.recordsWithCount)"
            o += ",\"records_by_signature\":\(s.recordsBySignature)"
            o += ",\"interrupts_by_signature\":\(s.interruptsBySignature)"
            o += ",\"types\":{" + names.map { t, n in
                "\(jsonString(n)):{\"count\":\(s.perType[t]!.count),\"bytes\":\(s.perType[t]!.bytes)}"
            }.joined(separator: ",") + "}}"
            stdOut.line(o)
            return
        }
        stdOut.line("file: \(reader.path)")
        stdOut.line("state: \(s.stop)")
        for l in headerText(reader.header) { stdOut.line(l) }
        if let w = window { stdOut.line("window: landmarks \(w.lowerBound) to \(w.upperBound) (the records at those landmarks only)") }
        stdOut.line("records: \(s.records) in \(s.chunks) chunks (\(s.compressedChunks) zstd)")
        stdOut.line("record bytes: \(s.recordBytes) (\(f(s.bytesPerRecord)) per record); stored: \(s.storedBytes); "
                    + "file: \(s.fileBytes); compression ratio: \(f(s.compressionRatio, 3))")
        if let a = s.firstLandmark, let b = s.lastLandmark {
            stdOut.line("landmarks: \(a) to \(b) (span \(b - a))")
        }
        if let g = s.guestSeconds, let r = s.recordsPerGuestSecond {
            stdOut.line("guest time: \(f(g, 6)) s (RDTSC span); \(f(r, 1)) records per guest second")
        } else {
            stdOut.line("guest time: unknown (needs DOMAIN_START and two RDTSC records)")
        }
        stdOut.line("counter: " + (s.counter.map { $0.description } ?? "unknown (the log has no DOMAIN_START)"))
        if let c = s.counter, c != .none {
            stdOut.line("positions carry the count (\(c.label):): \(s.recordsWithCount) records; a landmark's since "
                        + "the previous landmark, any other record's since its landmark")
        }
        stdOut.line("records placed by signature: \(s.recordsBySignature)")
        stdOut.line(pad("type", 14) + lpad("count", 14) + lpad("bytes", 16) + lpad("% bytes", 9))
        for (t, n) in names {
            let ts = s.perType[t]!
            let pct = s.recordBytes == 0 ? 0 : 100 * Double(ts.bytes) / Double(s.recordBytes)
            stdOut.line(pad(n, 14) + lpad(String(ts.count), 14) + lpad(String(ts.bytes), 16) + lpad(f(pct, 1), 9))
        }
        if !s.stop.isClean { noteStop(reader, s.stop) }
    }
}

func hexName(_ t: UInt16) -> String { "type_" + String(t, radix: 16) }
func pad(_ s: String, _ n: Int) -> String { s + String(repeating: " ", count: max(1, n - s.count)) }
func lpad(_ s: String, _ n: Int) -> String { String(repeating: " ", count: max(1, n - s.count)) + s }
func pow10(_ n: Int) -> Double { (0..<n).reduce(1.0) { acc, _ in acc * 10 } }
