// Little-endian byte helpers.  Everything in a log is little-endian.

extension UnsafeRawBufferPointer {
    /// The little-endian integer at `offset`; the caller has checked bounds.
    @inlinable @inline(__always)
    package func le<T: FixedWidthInteger>(_ offset: Int, as: T.Type = T.self) -> T {
        T(littleEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}

/// Appends little-endian values to a byte array.
public struct ByteWriter {
    public var bytes: [UInt8]

    public init(capacity: Int = 0) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    @inlinable
    public mutating func put<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    public mutating func put(bytes other: [UInt8]) { bytes.append(contentsOf: other) }
    public mutating func put(bytes other: UnsafeRawBufferPointer) { bytes.append(contentsOf: other) }

    public mutating func zeros(_ n: Int) {
        if n > 0 { bytes.append(contentsOf: repeatElement(0, count: n)) }
    }

    /// Zero bytes up to the next multiple of `alignment`.
    public mutating func align(_ alignment: Int) {
        zeros((alignment - bytes.count % alignment) % alignment)
    }

    /// Overwrites a little-endian value at `offset`.
    public mutating func set<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        withUnsafeBytes(of: value.littleEndian) { src in
            for i in 0..<src.count { bytes[offset + i] = src[i] }
        }
    }
}

/// Reads little-endian values from a buffer, checking bounds.
struct ByteReader {
    let buffer: UnsafeRawBufferPointer
    var offset: Int

    init(_ buffer: UnsafeRawBufferPointer, offset: Int = 0) {
        self.buffer = buffer
        self.offset = offset
    }

    var remaining: Int { buffer.count - offset }

    mutating func get<T: FixedWidthInteger>(_: T.Type = T.self) -> T? {
        let n = MemoryLayout<T>.size
        guard remaining >= n else { return nil }
        defer { offset += n }
        return buffer.le(offset)
    }

    mutating func bytes(_ n: Int) -> [UInt8]? {
        guard n >= 0, remaining >= n else { return nil }
        defer { offset += n }
        return Array(UnsafeRawBufferPointer(rebasing: buffer[offset..<offset + n]))
    }
}

package func hex(_ v: UInt64, width: Int = 16) -> String {
    let s = String(v, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, width - s.count)) + s
}

package func hexBytes<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
    let digits: [Character] = Array("0123456789abcdef")
    var s = ""
    s.reserveCapacity(bytes.count * 2)
    for b in bytes {
        s.append(digits[Int(b >> 4)])
        s.append(digits[Int(b & 15)])
    }
    return s
}
