// Output bytes formatted by hand: the fast path of ttd-read-log.
//
// `TextBuffer` is a growable byte buffer that the tools fill and flush to a
// file descriptor.  `TextWriter` writes into room reserved in it through a
// plain pointer: integers in decimal and hex, byte strings, quoted bytes,
// with no String and no allocation per value.  Reserve first (an upper
// bound of what will be written), then write.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A growable byte buffer, written through `TextWriter`.
public final class TextBuffer {
    /// The state lives behind a pointer: reading and writing it costs no
    /// dynamic exclusivity check (as a class's `var`s would, per record).
    @usableFromInline
    struct State {
        @usableFromInline var base: UnsafeMutablePointer<UInt8>
        @usableFromInline var count: Int
        @usableFromInline var capacity: Int
    }

    @usableFromInline let state: UnsafeMutablePointer<State>

    public init(capacity: Int = 1 << 17) {
        let c = max(capacity, 64)
        state = .allocate(capacity: 1)
        state.initialize(to: State(base: .allocate(capacity: c), count: 0, capacity: c))
    }

    deinit {
        state.pointee.base.deallocate()
        state.deallocate()
    }

    public var base: UnsafeMutablePointer<UInt8> {
        @inlinable @inline(__always) get { state.pointee.base }
    }

    public var capacity: Int {
        @inlinable @inline(__always) get { state.pointee.capacity }
    }

    /// Bytes written so far.
    public var count: Int {
        @inlinable @inline(__always) get { state.pointee.count }
        @inlinable @inline(__always) set { state.pointee.count = newValue }
    }

    /// Makes room for `n` more bytes.
    @inlinable @inline(__always)
    public func reserve(_ n: Int) {
        if state.pointee.count + n > state.pointee.capacity { grow(n) }
    }

    @usableFromInline @inline(never)
    func grow(_ n: Int) {
        var c = state.pointee.capacity
        let count = state.pointee.count
        while count + n > c { c *= 2 }
        let b = UnsafeMutablePointer<UInt8>.allocate(capacity: c)
        b.update(from: state.pointee.base, count: count)
        state.pointee.base.deallocate()
        state.pointee.base = b
        state.pointee.capacity = c
    }

    /// A writer at the end of the buffer, with room for `n` bytes: write at
    /// most `n`, then `commit` it.
    @inlinable @inline(__always)
    public func writer(reserving n: Int) -> TextWriter {
        reserve(n)
        return TextWriter(state.pointee.base + state.pointee.count)
    }

    /// Takes what `w` wrote.
    @inlinable @inline(__always)
    public func commit(_ w: TextWriter) {
        state.pointee.count = w.p - state.pointee.base
    }

    public func removeAll() { count = 0 }

    /// The bytes written, as an array.
    public var bytes: [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }

    /// The bytes written, as UTF-8 text.
    public var text: String { String(decoding: UnsafeBufferPointer(start: base, count: count), as: UTF8.self) }

    /// Appends a string's UTF-8 bytes.
    public func append(_ s: String) {
        var s = s
        s.withUTF8 { u in
            reserve(u.count)
            (base + count).update(from: u.baseAddress!, count: u.count)
            count += u.count
        }
    }

    /// Appends what another buffer holds.
    public func append(_ other: TextBuffer) {
        reserve(other.count)
        (base + count).update(from: other.base, count: other.count)
        count += other.count
    }

    /// Appends one byte.
    public func append(byte: UInt8) {
        reserve(1)
        base[count] = byte
        count += 1
    }

    /// Writes everything to `fd` (retrying on EINTR) and empties the buffer.
    /// A write error (EPIPE: the reader went away) drops the rest: there is
    /// nothing more to say.  Returns false then.
    @discardableResult
    public func flush(to fd: Int32) -> Bool {
        var done = 0
        var ok = true
        while done < count {
            let n = write(fd, base + done, count - done)
            if n < 0 {
                if errno == EINTR { continue }
                ok = false
                break
            }
            done += n
        }
        count = 0
        return ok
    }
}

/// Writes into room reserved in a `TextBuffer` (`writer(reserving:)`); no
/// bounds checks: the caller reserved an upper bound of what it writes.
public struct TextWriter {
    public var p: UnsafeMutablePointer<UInt8>

    @inlinable @inline(__always)
    public init(_ p: UnsafeMutablePointer<UInt8>) { self.p = p }

    @inlinable @inline(__always)
    public mutating func byte(_ b: UInt8) {
        p.pointee = b
        p += 1
    }

    /// A constant string (ASCII).
    @inlinable @inline(__always)
    public mutating func put(_ s: StaticString) {
        let n = s.utf8CodeUnitCount
        let from = UnsafeRawPointer(s.utf8Start)
        let to = UnsafeMutableRawPointer(p)
        // Short constants (most): two overlapping word moves, no memcpy call.
        if n >= 8 && n <= 16 {
            let a = from.loadUnaligned(as: UInt64.self)
            let b = from.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
            to.storeBytes(of: a, as: UInt64.self)
            to.storeBytes(of: b, toByteOffset: n - 8, as: UInt64.self)
        } else if n >= 4 && n < 8 {
            let a = from.loadUnaligned(as: UInt32.self)
            let b = from.loadUnaligned(fromByteOffset: n - 4, as: UInt32.self)
            to.storeBytes(of: a, as: UInt32.self)
            to.storeBytes(of: b, toByteOffset: n - 4, as: UInt32.self)
        } else if n < 4 {
            var i = 0
            while i < n { p[i] = s.utf8Start[i]; i += 1 }
        } else {
            to.copyMemory(from: from, byteCount: n)
        }
        p += n
    }

    @inlinable @inline(__always)
    public mutating func put(_ bytes: UnsafeRawBufferPointer) {
        if bytes.count > 0 {
            UnsafeMutableRawPointer(p).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
            p += bytes.count
        }
    }

    /// A string's UTF-8 bytes (the caller reserved `s.utf8.count`).
    @inlinable
    public mutating func putString(_ s: String) {
        var s = s
        s.withUTF8 { put(UnsafeRawBufferPointer($0)) }
    }

    @inlinable @inline(__always)
    mutating func store64(_ v: UInt64) {
        UnsafeMutableRawPointer(p).storeBytes(of: v.littleEndian, as: UInt64.self)
    }

    /// The 8 decimal digits of `v` < 10^8 (zeros in front) as the bytes of
    /// a little-endian UInt64, the most significant digit first in memory:
    /// lanes of 4, 2 and 1 digits computed side by side (SWAR).
    @inlinable @inline(__always)
    static func decimal8(_ v: UInt64) -> UInt64 {
        let merged = (v / 10_000) | ((v % 10_000) << 32)            // 4-digit lanes
        let top2 = ((merged &* 10_486) >> 20) & 0x0000_007f_0000_007f   // lane / 100
        let bottom2 = merged &- 100 &* top2
        let hundreds = (bottom2 << 16) &+ top2                       // 2-digit lanes
        var tens = ((hundreds &* 103) >> 10) & 0x000f_000f_000f_000f   // lane / 10
        tens = tens &+ ((hundreds &- 10 &* tens) << 8)               // 1-digit lanes
        return tens | 0x3030_3030_3030_3030
    }

    /// The number of decimal digits of `v` < 10^8.
    @inlinable @inline(__always)
    static func digits8(_ v: UInt64) -> Int {
        if v < 10_000 {
            return v < 100 ? (v < 10 ? 1 : 2) : (v < 1_000 ? 3 : 4)
        }
        return v < 1_000_000 ? (v < 100_000 ? 5 : 6) : (v < 10_000_000 ? 7 : 8)
    }

    /// `v` in decimal (at most 20 bytes; the 8 bytes after them are
    /// scribbled on).
    @inlinable @inline(__always)
    public mutating func decimal(_ v: UInt64) {
        if v < 100_000_000 {
            let n = TextWriter.digits8(v)
            store64(TextWriter.decimal8(v) >> UInt64(8 * (8 - n)))
            p += n
        } else {
            decimalLong(v)
        }
    }

    /// `decimal` of 10^8 and more.
    @usableFromInline @inline(never)
    mutating func decimalLong(_ v: UInt64) {
        if v < 10_000_000_000_000_000 {
            let high = v / 100_000_000
            let n = TextWriter.digits8(high)
            store64(TextWriter.decimal8(high) >> UInt64(8 * (8 - n)))
            p += n
            store64(TextWriter.decimal8(v % 100_000_000))
            p += 8
        } else {
            let high = v / 10_000_000_000_000_000              // 1 to 1844
            let rest = v % 10_000_000_000_000_000
            let n = TextWriter.digits8(high)
            store64(TextWriter.decimal8(high) >> UInt64(8 * (8 - n)))
            p += n
            store64(TextWriter.decimal8(rest / 100_000_000))
            p += 8
            store64(TextWriter.decimal8(rest % 100_000_000))
            p += 8
        }
    }

    /// `v` in decimal, with a minus sign when negative (at most 20 bytes).
    @inlinable
    public mutating func signed(_ v: Int64) {
        if v < 0 {
            byte(0x2d)
            decimal(v.magnitude)
        } else {
            decimal(UInt64(v))
        }
    }

    /// The 8 hex digits of `v` as the bytes of a little-endian UInt64: the
    /// most significant digit first in memory.
    @inlinable @inline(__always)
    static func hex8(_ v: UInt32) -> UInt64 {
        var x = UInt64(v)
        x = (x | (x << 16)) & 0x0000_ffff_0000_ffff
        x = (x | (x << 8)) & 0x00ff_00ff_00ff_00ff
        x = (x | (x << 4)) & 0x0f0f_0f0f_0f0f_0f0f
        // Byte i holds nibble i (least significant first): to ASCII, then
        // reverse so that the most significant digit comes first.
        let letters = ((x &+ 0x0606_0606_0606_0606) >> 4) & 0x0101_0101_0101_0101
        x = x &+ 0x3030_3030_3030_3030 &+ letters &* 0x27
        return x.byteSwapped
    }

    /// "0x" and the hex digits of `v`, at least `width` of them (zeros in
    /// front), as `hex(_:width:)` prints it (at most 18 bytes; 8 bytes of
    /// room after them are scribbled on).
    @inlinable
    public mutating func hex(_ v: UInt64, width: Int) {
        if width == 16 {
            hex16(v)
            return
        }
        put("0x")
        let digits = v == 0 ? 1 : (67 - v.leadingZeroBitCount) >> 2
        let n = max(digits, width)
        let lo = TextWriter.hex8(UInt32(truncatingIfNeeded: v))
        if n <= 8 {
            // The last n digits of the low eight.
            store64(lo >> UInt64(8 * (8 - n)))
            p += n
        } else {
            let k = n - 8
            store64(TextWriter.hex8(UInt32(truncatingIfNeeded: v >> 32)) >> UInt64(8 * (8 - k)))
            p += k
            store64(lo)
            p += 8
        }
    }

    /// "0x" and the 16 hex digits of `v` (18 bytes).
    @inlinable @inline(__always)
    public mutating func hex16(_ v: UInt64) {
        UnsafeMutableRawPointer(p).storeBytes(of: UInt16(0x7830).littleEndian, as: UInt16.self)   // "0x"
        UnsafeMutableRawPointer(p + 2).storeBytes(of: TextWriter.hex8(UInt32(truncatingIfNeeded: v >> 32)).littleEndian,
                                                  as: UInt64.self)
        UnsafeMutableRawPointer(p + 10).storeBytes(of: TextWriter.hex8(UInt32(truncatingIfNeeded: v)).littleEndian,
                                                   as: UInt64.self)
        p += 18
    }

    /// Two lowercase hex digits per byte (2 × count bytes).
    @inlinable
    public mutating func hexBytes(_ b: UnsafeRawBufferPointer) {
        var i = 0
        let n = b.count
        while i + 4 <= n {
            let v = UInt32(littleEndian: b.loadUnaligned(fromByteOffset: i, as: UInt32.self))
            // hex8 prints the most significant nibble first: byte-swap so
            // that the first byte comes first.
            store64(TextWriter.hex8(v.byteSwapped))
            p += 8
            i += 4
        }
        let digits = TextWriter.hexDigits
        while i < n {
            let x = Int(b[i])
            p[0] = digits[x >> 4]
            p[1] = digits[x & 15]
            p += 2
            i += 1
        }
    }

    /// One byte as two lowercase hex digits.
    @inlinable @inline(__always)
    public mutating func hexByte(_ b: UInt8) {
        let digits = TextWriter.hexDigits
        p[0] = digits[Int(b >> 4)]
        p[1] = digits[Int(b & 15)]
        p += 2
    }

    /// The bytes as a C-style quoted string, the first `limit` of them,
    /// "..." after when there are more: `quoted(_:limit:)` of Format.swift
    /// (at most 4 × min(count, limit) + 5 bytes).
    @inlinable
    public mutating func quoted(_ b: UnsafeRawBufferPointer, limit: Int) {
        byte(0x22)
        let table = quoteTable
        let n = min(b.count, limit)
        var i = 0
        while i < n {
            // Each byte's quoted form: up to 4 bytes, and its length.
            let e = table[Int(b[i])]
            UnsafeMutableRawPointer(p).storeBytes(of: UInt32(truncatingIfNeeded: e).littleEndian, as: UInt32.self)
            p += Int(e >> 32)
            i += 1
        }
        byte(0x22)
        if b.count > limit { put("...") }
    }

    /// A string as a JSON string literal: `jsonString(_:)` of Format.swift
    /// (at most 6 × s.utf8.count + 2 bytes).
    public mutating func jsonString(_ s: String) {
        byte(0x22)
        let digits = TextWriter.hexDigits
        for c in s.utf8 {
            switch c {
            case 0x22: byte(0x5c); byte(0x22)
            case 0x5c: byte(0x5c); byte(0x5c)
            case 0x0a: byte(0x5c); byte(0x6e)
            case 0x0d: byte(0x5c); byte(0x72)
            case 0x09: byte(0x5c); byte(0x74)
            case 0..<0x20:
                put("\\u00")
                byte(digits[Int(c >> 4)])
                byte(digits[Int(c & 15)])
            default: byte(c)
            }
        }
        byte(0x22)
    }

    @inlinable
    static var hexDigits: UnsafePointer<UInt8> { ("0123456789abcdef" as StaticString).utf8Start }
}

/// For each byte, its form in `TextWriter.quoted`: up to 4 bytes in the low
/// 32 bits (the first in the lowest byte), their number above.
@usableFromInline
nonisolated(unsafe) let quoteTable: UnsafePointer<UInt64> = {
    let t = UnsafeMutablePointer<UInt64>.allocate(capacity: 256)
    let digits = Array("0123456789abcdef".utf8)
    for b in 0..<256 {
        let form: [UInt8]
        switch b {
        case 0x0a: form = [0x5c, 0x6e]
        case 0x0d: form = [0x5c, 0x72]
        case 0x09: form = [0x5c, 0x74]
        case 0x22: form = [0x5c, 0x22]
        case 0x5c: form = [0x5c, 0x5c]
        case 0x20..<0x7f: form = [UInt8(b)]
        default: form = [0x5c, 0x78, digits[b >> 4], digits[b & 15]]
        }
        var v = UInt64(form.count) << 32
        for (i, c) in form.enumerated() { v |= UInt64(c) << (8 * UInt64(i)) }
        t[b] = v
    }
    return UnsafePointer(t)
}()
