// Fuzz target for the log reader.
//
// Built with libFuzzer (make -C swift-tools fuzz):
//   swift build --product ttlog-fuzz -Xswiftc -sanitize=fuzzer -Xswiftc -DTT_LIBFUZZER
// Built normally, it runs the same code on the files named on its command
// line, to reproduce a crash that libFuzzer found.

import TTLog
import TTRender
#if canImport(Glibc)
import Glibc
#endif

/// Writes `data` to a scratch file and reads it every way the tools do.
/// Errors are the expected outcome; a crash or a hang is a bug.
func exercise(_ data: UnsafeRawBufferPointer) {
    let path = "/tmp/ttlog-fuzz.\(getpid()).log"
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    guard fd >= 0 else { return }
    if let base = data.baseAddress { _ = write(fd, base, data.count) }
    close(fd)
    defer { unlink(path) }
    guard let reader = try? LogReader(path: path) else { return }
    let cursor = RecordCursor(reader)
    while let r = try? cursor.next() {
        _ = r.infoLine
        _ = r.json(verbose: true)
    }
    // The fast path of ttd-read-log: records checked and printed from their bytes.
    let text = TextBuffer()
    for style in [RecordFormatter.Style.short, .info, .verbose, .json, .jsonVerbose] {
        let format = RecordFormatter(style: style, counter: .instructions)
        _ = try? reader.formatRecords(threads: 0, pieceBytes: 512, format: { format.append($0, to: $1) },
                                      write: { $0.removeAll() })
        _ = try? reader.streamExcerpt(around: LandmarkPoint(landmark: 3, count: 1), window: 2) { raw, type, _ in
            format.append(raw, type, to: text)
        }
        text.removeAll()
    }
    _ = try? reader.stats()
    _ = reader.verify()
    _ = try? reader.index()
    _ = try? reader.excerpt(around: 3, window: 2)
}

#if TT_LIBFUZZER
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    exercise(UnsafeRawBufferPointer(start: start, count: count))
    return 0
}

// SwiftPM links an executable's entry point as <target>_main; hand over to
// libFuzzer's driver from there.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

@_cdecl("ttlog_fuzz_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var c = argc
    var v = argv
    return LLVMFuzzerRunDriver(&c, &v, fuzzOne)
}
#else
@main
struct Replay {
    static func main() {
        for path in CommandLine.arguments.dropFirst() {
            guard let f = fopen(path, "rb") else { continue }
            var bytes: [UInt8] = []
            var buf = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = fread(&buf, 1, buf.count, f)
                if n <= 0 { break }
                bytes += buf[0..<n]
            }
            fclose(f)
            bytes.withUnsafeBytes { exercise($0) }
            print("\(path): read without crash")
        }
    }
}
#endif
