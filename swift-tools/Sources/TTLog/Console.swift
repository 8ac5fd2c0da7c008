// The guest's TT-io console in a log: what it wrote (TTOP_io_send) and what
// it was given (TTOP_io_push, read by the guest).

extension Record {
    /// The console output this record carries: for a HYPERCALL record of
    /// `TTOP_io_send` on `TT_DEV_CONSOLE`, the bytes sent (after the guest's
    /// `struct xen_tt_io`, 32 bytes, whose `len` says how many); nil for
    /// any other record.
    public var consoleOutput: ArraySlice<UInt8>? {
        guard case .hypercall(let h) = payload, h.nr == UInt64(TTABI.hypercallNumber), h.args.first == 1,
              h.data.count >= 32 else { return nil }
        let device = h.data.withUnsafeBytes { $0.load(fromByteOffset: 0, as: UInt32.self) }
        let len = Int(h.data.withUnsafeBytes { $0.load(fromByteOffset: 4, as: UInt32.self) })
        guard device == TTIODevice.console.rawValue else { return nil }
        return h.data[32..<min(h.data.count, 32 + len)]
    }

    /// The console input this record carries: the data of a TTIO_INPUT
    /// record of `TT_DEV_CONSOLE`; nil for any other record.
    public var consoleInput: [UInt8]? {
        guard case .ttioInput(let i) = payload, i.device == .console else { return nil }
        return i.data
    }
}
