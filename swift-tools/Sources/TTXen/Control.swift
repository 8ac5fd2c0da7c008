// The dom0 control side of time travel: the tt_op hypercall (libxencall),
// the log ring (libxenforeignmemory), its doorbell (libxenevtchn), and what
// the log header needs from libxenctrl/libxenguest.  Every C call of these
// libraries is in this file; -1/errno becomes a XenError once, here.

import CXen
#if canImport(Glibc)
import Glibc
#endif

/// A domain id (`domid_t`).
public struct DomainID: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public init(_ v: UInt32) { rawValue = v }
    public var description: String { self == .ownDomain ? "DOMID_SELF" : String(rawValue) }

    /// DOMID_SELF: the caller's own domain (the doorbell's port lives there).
    public static let ownDomain = DomainID(0x7FF0)
}

/// `tt_op` sub-operations of the dom0 control side (tt.h).
public enum TTOp: UInt32, Sendable {
    case attach = 16, ringSetup = 17, status = 18, detach = 19, landmarkCounts = 20, ioPush = 21

    public var name: String {
        switch self {
        case .attach: return "TTOP_attach"
        case .ringSetup: return "TTOP_ring_setup"
        case .status: return "TTOP_status"
        case .detach: return "TTOP_detach"
        case .landmarkCounts: return "TTOP_landmark_counts"
        case .ioPush: return "TTOP_io_push"
        }
    }
}

/// Constants of tt.h's control side that TTLog does not carry.
public enum TTControlABI {
    /// `__HYPERVISOR_tt_op`.
    public static let hypercall: UInt32 = 47
    /// `TT_RESOURCE_TYPE`: the ring's frames for XENMEM_acquire_resource.
    public static let resourceType: UInt32 = 0x7474
    /// `TT_RING_LOG`, `TT_RING_REPLAY`.
    public static let ringLog: UInt16 = 0
    public static let ringReplay: UInt16 = 1
    /// Per-device input queue of TTOP_io_push in Xen.
    public static let ioQueueBytes = 4096
}

/// `TT_STATE_*`.
public enum TTState: UInt32, Sendable {
    case attached = 0, running = 1, ringWait = 2, diverged = 3, ended = 4
    public var name: String {
        switch self {
        case .attached: return "attached"
        case .running: return "running"
        case .ringWait: return "ring-wait"
        case .diverged: return "diverged"
        case .ended: return "ended"
        }
    }
}

/// `struct xen_tt_status`.
public struct TTStatus: Sendable, Equatable {
    public var mode: UInt16
    public var state: UInt32
    public var landmarks, records, ringWaits, irqsHeld, irqsBySignature, maxHoldNanoseconds: UInt64
    /// Replay only (zero when recording): records taken from the replay ring,
    /// interrupts placed again by signature, breakpoint exits while
    /// searching, time spent searching signatures.
    public var replayed: UInt64 = 0, signaturePlaced: UInt64 = 0, breakpointHits: UInt64 = 0, searchNanoseconds: UInt64 = 0
    public var stateName: String { TTState(rawValue: state)?.name ?? "state \(state)" }
}

/// `struct xen_tt_landmark_counts` (OUT fields).
public struct TTLandmarkCounts: Sendable, Equatable {
    /// `TT_LM_KINDS`: entries of `byType`, indexed by landmark record type.
    public static let kinds = 16
    public var exits, other, continuations: UInt64
    public var byType: [UInt64]
    public var maxGapNanoseconds, gapSumNanoseconds, maxGapLandmark: UInt64
}

extension XenError {
    /// One line for a failed tt_op, with what to do about it.
    static func ttOp(_ op: TTOp, domain: DomainID, errno e: Int32) -> XenError {
        let what: String
        switch (op, e) {
        case (_, ENOSYS):
            what = "the hypervisor has no tt_op (boot TT Xen: the 'TT Xen' GRUB entry)"
        case (_, EPERM):
            what = "permission denied (run as root in dom0)"
        case (_, ESRCH):
            what = "no domain \(domain) (or it is dying)"
        case (.attach, EBUSY):
            what = "domain \(domain) is already recorded or replayed by another ttd-deviced, or has already run "
                + "(time travel starts from a domain created paused: use ttd-xl create)"
        case (.attach, EOPNOTSUPP):
            what = "domain \(domain) cannot time-travel: it must be a PVH domain with exactly one vCPU (type = \"pvh\", vcpus = 1)"
        case (.attach, EACCES), (.attach, EPROTO):
            what = "the hypervisor's time-travel interface version differs from this tool's: use the ttd-deviced built with this hypervisor"
        case (.attach, ENODEV):
            what = "this host does not offer the counter asked for (guest instructions need Xen booted with "
                + "tt_counter=icount under QEMU -icount shift=0; guest branches need Xen booted with "
                + "tt_counter=branches on an AMD SVM host whose PMU nothing else uses)"
        case (.ringSetup, EEXIST):
            what = "domain \(domain) already has this ring: another ttd-deviced serves it"
        case (.ringSetup, E2BIG):
            what = "ring size refused by the hypervisor (use a smaller --ring-pages)"
        case (_, ENOENT):
            what = "domain \(domain) is not a time-traveling domain (not attached)"
        default:
            what = String(cString: strerror(e))
        }
        return .hypercall(what: "\(op.name) on domain \(domain)", errno: e, detail: what)
    }
}

/// The tt_op hypercall through libxencall (privcmd).  Arguments live in one
/// hypercall-safe page from xencall_alloc_buffer.
public final class TTControl {
    private let xcall: OpaquePointer
    /// The argument block (the first 256 bytes), then `dataCapacity` bytes
    /// for TTOP_io_push's data from offset 4096.
    private let page: UnsafeMutableRawPointer
    private let logger: OpaquePointer?
    private static let pageSize = 4096
    private static let bufferSize = 3 * pageSize
    /// Bytes one TTOP_io_push can carry from this buffer (more than Xen's
    /// queue, so that Xen's own refusal of too much can be seen).
    public static let dataCapacity = bufferSize - pageSize

    public init() throws {
        // libxencall's own messages only when critical: a failure is our one line.
        let logger = xtl_createlogger_stdiostream(fdopen(dup(2), "w"), XTL_CRITICAL, 0)
        let h = xencall_open(logger.map { UnsafeMutableRawPointer($0).assumingMemoryBound(to: xentoollog_logger.self) }, 0)
        guard let h else {
            let e = errno
            if let logger { xtl_logger_destroy(UnsafeMutableRawPointer(logger).assumingMemoryBound(to: xentoollog_logger.self)) }
            throw XenError.call(what: "xencall_open", detail: "\(String(cString: strerror(e))): "
                                + "is this dom0 of a Xen host, with /dev/xen/privcmd and root rights?")
        }
        guard let b = xencall_alloc_buffer(h, TTControl.bufferSize) else {
            xencall_close(h)
            if let logger { xtl_logger_destroy(UnsafeMutableRawPointer(logger).assumingMemoryBound(to: xentoollog_logger.self)) }
            throw XenError.call(what: "xencall_alloc_buffer", detail: String(cString: strerror(errno)))
        }
        xcall = h
        page = b
        self.logger = logger
    }

    deinit {
        xencall_free_buffer(xcall, page)
        xencall_close(xcall)
        if let logger { xtl_logger_destroy(UnsafeMutableRawPointer(logger).assumingMemoryBound(to: xentoollog_logger.self)) }
    }

    /// Issues `op` with the argument block that `fill` writes (zeroed first:
    /// every pad field is zero); returns the hypercall's value.
    @discardableResult
    private func call(_ op: TTOp, domain: DomainID, _ fill: (UnsafeMutableRawPointer) -> Void) throws -> Int {
        page.initializeMemory(as: UInt8.self, repeating: 0, count: 256)
        page.storeBytes(of: UInt16(truncatingIfNeeded: domain.rawValue), toByteOffset: 0, as: UInt16.self)
        fill(page)
        let rc = xencall2(xcall, TTControlABI.hypercall, UInt64(op.rawValue), UInt64(UInt(bitPattern: page)))
        if rc < 0 { throw XenError.ttOp(op, domain: domain, errno: errno) }
        return Int(rc)
    }

    /// TTOP_attach (struct xen_tt_attach: domid, mode, interface_version,
    /// flags, bound_us, counter, tsc_khz).  `counter` is a `TT_COUNTER_*`;
    /// Xen answers -ENODEV when this host does not offer it.  `flags` must
    /// be zero.  `tscKHz` is the guest's TSC frequency (a replay passes its
    /// recording's), 0 for the host's.
    public func attach(_ domain: DomainID, mode: UInt16, interfaceVersion: UInt32, flags: UInt32 = 0,
                       boundMicroseconds: UInt32 = 0, counter: UInt32 = 0, tscKHz: UInt32 = 0) throws {
        try call(.attach, domain: domain) { p in
            TTControl.encodeAttach(into: p, mode: mode, interfaceVersion: interfaceVersion, flags: flags,
                                   boundMicroseconds: boundMicroseconds, counter: counter, tscKHz: tscKHz)
        }
    }

    /// The IN fields of struct xen_tt_attach after domid (offset 0), into a
    /// zeroed block of `attachSize` bytes or more.
    public static func encodeAttach(into p: UnsafeMutableRawPointer, mode: UInt16, interfaceVersion: UInt32,
                                    flags: UInt32, boundMicroseconds: UInt32, counter: UInt32, tscKHz: UInt32 = 0) {
        p.storeBytes(of: mode, toByteOffset: 2, as: UInt16.self)
        p.storeBytes(of: interfaceVersion, toByteOffset: 4, as: UInt32.self)
        p.storeBytes(of: flags, toByteOffset: 8, as: UInt32.self)
        p.storeBytes(of: boundMicroseconds, toByteOffset: 12, as: UInt32.self)
        p.storeBytes(of: counter, toByteOffset: 16, as: UInt32.self)
        p.storeBytes(of: tscKHz, toByteOffset: 20, as: UInt32.self)
    }

    /// `sizeof(struct xen_tt_attach)`.
    public static let attachSize = 24

    /// TTOP_ring_setup (struct xen_tt_ring_setup: domid, ring, nr_pages IN; port OUT).
    /// Returns the doorbell's port, in the caller's own port space: bind it
    /// with `EventChannel(domain: .ownDomain, remotePort:)`.
    public func ringSetup(_ domain: DomainID, ring: UInt16, pages: UInt32) throws -> UInt32 {
        try call(.ringSetup, domain: domain) { p in
            p.storeBytes(of: ring, toByteOffset: 2, as: UInt16.self)
            p.storeBytes(of: pages, toByteOffset: 4, as: UInt32.self)
        }
        return page.load(fromByteOffset: 8, as: UInt32.self)
    }

    /// TTOP_status.
    public func status(_ domain: DomainID) throws -> TTStatus {
        try call(.status, domain: domain) { _ in }
        let q = { (o: Int) in self.page.load(fromByteOffset: o, as: UInt64.self) }
        return TTStatus(mode: page.load(fromByteOffset: 2, as: UInt16.self),
                        state: page.load(fromByteOffset: 4, as: UInt32.self),
                        landmarks: q(8), records: q(16), ringWaits: q(24), irqsHeld: q(32),
                        irqsBySignature: q(40), maxHoldNanoseconds: q(48),
                        replayed: q(56), signaturePlaced: q(64), breakpointHits: q(72), searchNanoseconds: q(80))
    }

    /// TTOP_detach: Xen writes TT_REC_END and stops recording.
    public func detach(_ domain: DomainID) throws {
        try call(.detach, domain: domain) { _ in }
    }

    /// TTOP_landmark_counts (struct xen_tt_landmark_counts): Xen's
    /// diagnostic counters of the domain's exits and landmarks.
    public func landmarkCounts(_ domain: DomainID) throws -> TTLandmarkCounts {
        try call(.landmarkCounts, domain: domain) { _ in }
        let q = { (o: Int) in self.page.load(fromByteOffset: o, as: UInt64.self) }
        return TTLandmarkCounts(exits: q(8), other: q(16), continuations: q(24),
                                byType: (0..<TTLandmarkCounts.kinds).map { q(32 + 8 * $0) },
                                maxGapNanoseconds: q(32 + 8 * TTLandmarkCounts.kinds),
                                gapSumNanoseconds: q(40 + 8 * TTLandmarkCounts.kinds),
                                maxGapLandmark: q(48 + 8 * TTLandmarkCounts.kinds))
    }

    /// Any tt_op sub-op with the argument block `fill` writes (zeroed first,
    /// nothing else set), for tests of the hypervisor's refusals: 0 or the
    /// errno, never a throw.  `argument` holds the block afterwards.
    public func rawCall(_ cmd: UInt32, _ fill: (UnsafeMutableRawPointer) -> Void) -> Int32 {
        page.initializeMemory(as: UInt8.self, repeating: 0, count: 256)
        fill(page)
        return xencall2(xcall, TTControlABI.hypercall, UInt64(cmd), UInt64(UInt(bitPattern: page))) < 0 ? errno : 0
    }

    /// tt_op `cmd` with `address` as its argument pointer as it is (a bad
    /// one, for the tests): 0 or the errno.
    public func rawCall(_ cmd: UInt32, address: UInt64) -> Int32 {
        xencall2(xcall, TTControlABI.hypercall, UInt64(cmd), address) < 0 ? errno : 0
    }

    /// The argument block of the last call (its OUT fields).
    public var argument: UnsafeRawPointer { UnsafeRawPointer(page) }

    /// TTOP_io_push (struct xen_tt_io_push: domid, device, len, buf): queues
    /// input for a TT-io device.  Returns false when Xen's queue is full
    /// (-EAGAIN): try again later.
    public func ioPush(_ domain: DomainID, device: UInt16, bytes: UnsafeRawBufferPointer) throws -> Bool {
        precondition(bytes.count <= TTControl.dataCapacity)
        let data = page + TTControl.pageSize
        if bytes.count > 0 { data.copyMemory(from: bytes.baseAddress!, byteCount: bytes.count) }
        do {
            try call(.ioPush, domain: domain) { p in
                p.storeBytes(of: device, toByteOffset: 2, as: UInt16.self)
                p.storeBytes(of: UInt32(bytes.count), toByteOffset: 4, as: UInt32.self)
                p.storeBytes(of: UInt64(UInt(bitPattern: data)), toByteOffset: 8, as: UInt64.self)
            }
        } catch let e as XenError where e.errno == EAGAIN {
            return false
        }
        return true
    }
}

/// The frames of a TT ring mapped into this process
/// (XENMEM_acquire_resource, type TT_RESOURCE_TYPE).  Unmapped when dropped.
public final class MappedRing {
    private let fmem: OpaquePointer
    private let resource: OpaquePointer
    /// Page 0: struct xen_tt_ring.
    public let control: UnsafeMutableRawPointer
    /// Pages 1..: the data area.
    public let data: UnsafeMutableRawPointer
    public let dataBytes: Int

    /// Maps `pages` frames of the ring from `firstFrame` (0: the control
    /// page); `writable` false maps them read-only.  A refusal is a
    /// `XenError.hypercall` with its errno.
    public init(domain: DomainID, ring: UInt16, pages: Int, firstFrame: Int = 0, writable: Bool = true) throws {
        guard let f = xenforeignmemory_open(nil, 0) else {
            throw XenError.call(what: "xenforeignmemory_open", detail: String(cString: strerror(errno)))
        }
        var addr: UnsafeMutableRawPointer? = nil
        guard let r = xenforeignmemory_map_resource(f, UInt16(truncatingIfNeeded: domain.rawValue), TTControlABI.resourceType,
                                                    UInt32(ring), UInt(firstFrame), UInt(pages), &addr,
                                                    writable ? PROT_READ | PROT_WRITE : PROT_READ, 0),
              let addr else {
            let e = errno
            xenforeignmemory_close(f)
            throw XenError.hypercall(what: "mapping the \(ring == TTControlABI.ringReplay ? "replay" : "log") ring of domain \(domain) (\(pages) pages)",
                                     errno: e, detail: String(cString: strerror(e)))
        }
        fmem = f
        resource = r
        control = addr
        data = addr + 4096
        dataBytes = (pages - 1) * 4096
    }

    deinit {
        xenforeignmemory_unmap_resource(fmem, resource)
        xenforeignmemory_close(fmem)
    }
}

/// An interdomain event channel bound to a port of another domain.
public final class EventChannel {
    private let xce: OpaquePointer
    public let localPort: UInt32

    public init(domain: DomainID, remotePort: UInt32) throws {
        guard let h = xenevtchn_open(nil, 0) else {
            throw XenError.call(what: "xenevtchn_open", detail: String(cString: strerror(errno)))
        }
        let p = xenevtchn_bind_interdomain(h, domain.rawValue, remotePort)
        guard p >= 0 else {
            let e = errno
            xenevtchn_close(h)
            throw XenError.call(what: "binding the doorbell (port \(remotePort) of domain \(domain))",
                                detail: "\(String(cString: strerror(e))) (errno \(e))")
        }
        xce = h
        localPort = UInt32(p)
    }

    deinit {
        _ = xenevtchn_unbind(xce, localPort)
        xenevtchn_close(xce)
    }

    /// A file descriptor readable when an event is pending.
    public var fd: Int32 { xenevtchn_fd(xce) }

    /// Takes one pending event and unmasks its port for the next one.  Call
    /// it only when `fd` is readable: the read behind it blocks otherwise.
    public func acknowledge() {
        let p = xenevtchn_pending(xce)
        if p >= 0 { _ = xenevtchn_unmask(xce, UInt32(p)) }
    }

    public func notify() throws {
        guard xenevtchn_notify(xce, localPort) == 0 else {
            throw XenError.call(what: "kicking the doorbell", detail: String(cString: strerror(errno)))
        }
    }
}

/// What libxenctrl says about a domain.
public struct DomainInfo: Sendable {
    public var id: DomainID
    public var dying, shutdown, paused, hvm: Bool
    public var shutdownReason: UInt32
    public var pages: UInt64
    public var maxPages: UInt64
    public var vcpus: UInt32
}

/// libxenctrl (and libxenguest for the CPU policy).
public final class XenHost {
    private let xch: OpaquePointer

    public init() throws {
        guard let h = xc_interface_open(nil, nil, 0) else {
            throw XenError.call(what: "xc_interface_open", detail: "\(String(cString: strerror(errno))): "
                                + "is this dom0 of a Xen host, with root rights?")
        }
        xch = h
    }

    deinit { xc_interface_close(xch) }

    /// "4.17.5-tt": XENVER_version and XENVER_extraversion.
    public func version() -> String {
        let v = xc_version(xch, XENVER_version, nil)
        guard v >= 0 else { return "unknown" }
        var extra = [UInt8](repeating: 0, count: 16)
        _ = extra.withUnsafeMutableBytes { xc_version(xch, XENVER_extraversion, $0.baseAddress) }
        return "\(v >> 16).\(v & 0xffff)" + String(decoding: extra.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// The domain's state, or nil when it does not exist.
    public func domainInfo(_ d: DomainID) -> DomainInfo? {
        var info = xc_domaininfo_t()
        let n = xc_domain_getinfolist(xch, d.rawValue, 1, &info)
        guard n == 1, UInt32(info.domain) == d.rawValue else { return nil }
        let f = info.flags
        return DomainInfo(id: d, dying: f & XEN_DOMINF_dying != 0, shutdown: f & XEN_DOMINF_shutdown != 0,
                          paused: f & XEN_DOMINF_paused != 0, hvm: f & XEN_DOMINF_hvm_guest != 0,
                          shutdownReason: (f >> UInt32(XEN_DOMINF_shutdownshift)) & UInt32(XEN_DOMINF_shutdownmask),
                          pages: info.tot_pages, maxPages: info.max_pages, vcpus: info.nr_online_vcpus)
    }

    /// The CPUID leaves of the domain's policy (what the guest sees).
    public func cpuidPolicy(_ d: DomainID) throws -> [(leaf: UInt32, subleaf: UInt32, eax: UInt32, ebx: UInt32, ecx: UInt32, edx: UInt32)] {
        var nrLeaves: UInt32 = 0, nrMSRs: UInt32 = 0
        guard xc_cpu_policy_get_size(xch, &nrLeaves, &nrMSRs) == 0 else {
            throw XenError.call(what: "xc_cpu_policy_get_size", detail: String(cString: strerror(errno)))
        }
        guard let policy = xc_cpu_policy_init() else {
            throw XenError.call(what: "xc_cpu_policy_init", detail: String(cString: strerror(errno)))
        }
        defer { xc_cpu_policy_destroy(policy) }
        guard xc_cpu_policy_get_domain(xch, d.rawValue, policy) == 0 else {
            throw XenError.call(what: "reading the CPUID policy of domain \(d)", detail: String(cString: strerror(errno)))
        }
        var leaves = [xen_cpuid_leaf_t](repeating: xen_cpuid_leaf_t(), count: Int(nrLeaves))
        var n = nrLeaves
        guard xc_cpu_policy_serialise(xch, policy, &leaves, &n, nil, nil) == 0 else {
            throw XenError.call(what: "serialising the CPUID policy of domain \(d)", detail: String(cString: strerror(errno)))
        }
        return leaves[0..<Int(n)].map { ($0.leaf, $0.subleaf, $0.a, $0.b, $0.c, $0.d) }
    }

    public func unpause(_ d: DomainID) throws {
        guard xc_domain_unpause(xch, d.rawValue) == 0 else {
            throw XenError.call(what: "unpausing domain \(d)", detail: String(cString: strerror(errno)))
        }
    }

    public func pause(_ d: DomainID) throws {
        guard xc_domain_pause(xch, d.rawValue) == 0 else {
            throw XenError.call(what: "pausing domain \(d)", detail: String(cString: strerror(errno)))
        }
    }
}
