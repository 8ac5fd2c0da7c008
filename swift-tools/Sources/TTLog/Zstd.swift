// zstd through Debian's libzstd: one chunk at a time.

import CZstd

enum Zstd {
    static func compress(_ src: UnsafeRawBufferPointer, level: Int32, into dst: inout [UInt8]) -> Bool {
        let bound = ZSTD_compressBound(src.count)
        if dst.count < bound { dst = [UInt8](repeating: 0, count: bound) }
        let n = dst.withUnsafeMutableBytes { d in
            ZSTD_compress(d.baseAddress, d.count, src.baseAddress, src.count, level)
        }
        if ZSTD_isError(n) != 0 { return false }
        dst.removeSubrange(n...)
        return true
    }

    /// Decompresses exactly `rawLength` bytes; nil with a reason otherwise.
    static func decompress(_ src: UnsafeRawBufferPointer, rawLength: Int,
                           into dst: UnsafeMutableRawBufferPointer, context: OpaquePointer) -> String? {
        let n = ZSTD_decompressDCtx(context, dst.baseAddress, rawLength, src.baseAddress, src.count)
        if ZSTD_isError(n) != 0 { return String(cString: ZSTD_getErrorName(n)) }
        if n != rawLength { return "decompressed \(n) bytes, chunk header says \(rawLength)" }
        return nil
    }

    static func makeContext() -> OpaquePointer { ZSTD_createDCtx() }
    static func freeContext(_ c: OpaquePointer) { ZSTD_freeDCtx(c) }
}
