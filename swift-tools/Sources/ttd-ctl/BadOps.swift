// ttd-ctl badops: every bad input of tt_op's control side, and the order of
// its good ones, on a domain created paused (docs/hypercall-abi.md).

import ArgumentParser
import TTLog
import TTTools
import TTXen
#if canImport(Glibc)
import Glibc
#endif

struct BadOps: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "badops",
        abstract: "Check that every bad input of tt_op gets its documented error (a test of the hypervisor).",
        discussion: """
            DOMAIN must be created paused, never run and not attached (xl \
            create -p). Tried in order, one line each ('ok' or 'FAIL', what, \
            the answer and the one wanted): the bad inputs before attach \
            (unknown sub-op, not attached, guest-only sub-ops from dom0, a bad \
            argument address, bad mode, flags, interface versions and \
            counters, dom0 itself, no such domain, too much console input), \
            the domains given with --vcpus2, --pv and --running (refused), \
            then attach, the ring's bad sizes and padding, a toolstack unpause \
            that must not let the guest run without a ring, the ring set up \
            and mapped (its control page and DOMAIN_START checked), detach \
            (END with reason DETACH in the ring still mapped) and what is \
            refused after it. DOMAIN is left detached and paused. Exit code 0 \
            only when every answer is the documented one.
            """)

    @OptionGroup var target: DomainArgument

    @Option(name: .customLong("vcpus2"), help: ArgumentHelp("A paused domain with two vCPUs: attach must answer EOPNOTSUPP.", valueName: "domain"))
    var vcpus2: [String] = []

    @Option(name: .customLong("pv"), help: ArgumentHelp("A paused PV domain: attach must answer EOPNOTSUPP.", valueName: "domain"))
    var pv: [String] = []

    @Option(name: .customLong("running"), help: ArgumentHelp("A domain that has run: attach must answer EBUSY.", valueName: "domain"))
    var running: [String] = []

    func run() throws {
        let d = try target.resolve()
        let libxl: LibXL, host: XenHost
        do { libxl = try LibXL(); host = try XenHost() } catch { throw ToolError("\(error)") }
        var others: [(String, DomainID, Int32)] = []
        for (kind, names, want) in [("2-vCPU", vcpus2, EOPNOTSUPP), ("PV", pv, EOPNOTSUPP), ("running", running, EBUSY)] {
            for n in names {
                do { others.append((kind, try libxl.domain(n), want)) } catch { throw ToolError("\(error)") }
            }
        }
        var run = BadOpsRun(tt: try control(), host: host, domain: d)
        run.all(others: others)
        stdOut.line("badops: \(run.checks) checks, \(run.failures) failed")
        if run.failures > 0 { throw ExitCode(1) }
    }
}

/// One run of the cases against one domain.
struct BadOpsRun {
    let tt: TTControl
    let host: XenHost
    let domain: DomainID
    var checks = 0
    var failures = 0

    private var domid: UInt16 { UInt16(truncatingIfNeeded: domain.rawValue) }

    /// A check: `ok` says whether it holds.
    mutating func report(_ ok: Bool, _ line: String) {
        checks += 1
        if !ok { failures += 1 }
        stdOut.line("\(ok ? "ok" : "FAIL") \(line)")
        stdOut.flush()      // each case as it is tried: a case that hangs shows where
    }

    /// A call answered `got` (0 or an errno) where `want` was documented.
    mutating func expect(_ what: String, _ got: Int32, _ want: Int32) {
        report(got == want, "\(what): \(errnoName(got)) (want \(errnoName(want)))")
    }

    /// The errno of a throwing call, 0 when it succeeded.
    func answer(_ body: () throws -> Void) -> Int32 {
        do { try body(); return 0 } catch let e as XenError { return e.errno ?? -1 } catch { return -1 }
    }

    // struct xen_tt_attach; ring_setup; detach; landmark_counts.
    func attach(_ d: UInt16, mode: UInt16 = UInt16(Mode.record.rawValue), version: UInt32 = TTABI.interfaceVersion,
                flags: UInt32 = 0, bound: UInt32 = 0, counter: UInt32 = 0) -> Int32 {
        tt.rawCall(TTOp.attach.rawValue) { p in
            p.storeBytes(of: d, as: UInt16.self)
            TTControl.encodeAttach(into: p, mode: mode, interfaceVersion: version, flags: flags, boundMicroseconds: bound,
                                   counter: counter)
        }
    }

    func ringSetup(ring: UInt16 = TTControlABI.ringLog, pages: UInt32, pad: UInt32 = 0, pad1: UInt64 = 0) -> Int32 {
        tt.rawCall(TTOp.ringSetup.rawValue) { p in
            p.storeBytes(of: domid, as: UInt16.self)
            p.storeBytes(of: ring, toByteOffset: 2, as: UInt16.self)
            p.storeBytes(of: pages, toByteOffset: 4, as: UInt32.self)
            p.storeBytes(of: pad, toByteOffset: 12, as: UInt32.self)
            p.storeBytes(of: pad1, toByteOffset: 16, as: UInt64.self)
        }
    }

    func withDomain(_ op: TTOp, pad0: UInt16 = 0, pad1: UInt32 = 0) -> Int32 {
        tt.rawCall(op.rawValue) { p in
            p.storeBytes(of: domid, as: UInt16.self)
            p.storeBytes(of: pad0, toByteOffset: 2, as: UInt16.self)
            p.storeBytes(of: pad1, toByteOffset: 4, as: UInt32.self)
        }
    }

    func map(_ ring: UInt16, first: Int = 0, pages: Int) -> (MappedRing?, Int32) {
        do {
            return (try MappedRing(domain: domain, ring: ring, pages: pages, firstFrame: first, writable: false), 0)
        } catch let e as XenError {
            return (nil, e.errno ?? -1)
        } catch {
            return (nil, -1)
        }
    }

    func state() -> (Int32, TTStatus?) {
        do { return (0, try tt.status(domain)) } catch let e as XenError { return (e.errno ?? -1, nil) } catch { return (-1, nil) }
    }

    mutating func all(others: [(String, DomainID, Int32)]) {
        // Before attach.
        expect("unknown sub-op 99", tt.rawCall(99) { p in p.storeBytes(of: domid, as: UInt16.self) }, EINVAL)
        expect("status of an unattached domain", withDomain(.status), ENOENT)
        expect("detach of an unattached domain", withDomain(.detach), ENOENT)
        expect("ring_setup of an unattached domain", ringSetup(pages: 33), ENOENT)
        expect("info from dom0 (not a TT domain)", tt.rawCall(0) { _ in }, EPERM)
        expect("io_send from dom0 (not a TT domain)", tt.rawCall(1) { _ in }, EPERM)
        expect("attach with a bad argument address", tt.rawCall(TTOp.attach.rawValue, address: 8), EFAULT)
        expect("attach mode 7", attach(domid, mode: 7), EINVAL)
        expect("attach unknown flag bit 5", attach(domid, flags: 1 << 5), EINVAL)
        expect("attach an older interface version", attach(domid, version: TTABI.interfaceVersion - 1), EACCES)
        expect("attach a newer interface version", attach(domid, mode: UInt16(Mode.replay.rawValue), version: TTABI.interfaceVersion + 1), EACCES)
        expect("attach with TT_COUNTER_BRANCHES (no PMU counter yet)", attach(domid, counter: 2), ENODEV)
        expect("attach with counter 9 (unknown)", attach(domid, counter: 9), EINVAL)
        let bounds = TTABI.boundMicrosecondsRange
        expect("attach with a liveness bound of \(bounds.lowerBound - 1) us (below the least)",
               attach(domid, bound: bounds.lowerBound - 1), EINVAL)
        expect("attach with a liveness bound of \(bounds.upperBound + 1) us (above the most)",
               attach(domid, bound: bounds.upperBound + 1), EINVAL)
        expect("attach dom0 itself", attach(0), EINVAL)
        expect("attach a domain that does not exist", attach(31000), ESRCH)
        let big = [UInt8](repeating: UInt8(ascii: "x"), count: TTControlABI.ioQueueBytes + 1)
        expect("io_push of \(big.count) bytes (Xen's queue holds \(TTControlABI.ioQueueBytes))",
               answer { _ = try big.withUnsafeBytes { try tt.ioPush(domain, device: 0, bytes: $0) } }, E2BIG)

        for (kind, other, want) in others {
            let rc = attach(UInt16(truncatingIfNeeded: other.rawValue))
            expect("attach a \(kind) domain (\(other))", rc, want)
            if rc == 0 { _ = try? tt.detach(other) }
        }

        // Attached, no ring yet.
        expect("attach", attach(domid), 0)
        expect("attach twice", attach(domid), EBUSY)
        let (rc, st) = state()
        expect("status after attach", rc, 0)
        if let st { report(st.state == TTState.attached.rawValue, "status after attach: state \(st.stateName) (want attached)") }
        expect("ring_setup of ring 5", ringSetup(ring: 5, pages: 33), EINVAL)
        expect("ring_setup of the replay ring when recording", ringSetup(ring: TTControlABI.ringReplay, pages: 33), EINVAL)
        expect("ring_setup with non-zero pad", ringSetup(pages: 33, pad: 1), EINVAL)
        expect("ring_setup with non-zero pad1", ringSetup(pages: 33, pad1: 1), EINVAL)
        expect("ring_setup of 0 pages", ringSetup(pages: 0), EINVAL)
        expect("ring_setup of 40 pages (39 data pages: not a power of 2)", ringSetup(pages: 40), EINVAL)
        expect("ring_setup of 17 pages (below the minimum)", ringSetup(pages: 17), EINVAL)
        expect("ring_setup of 8193 pages (above the maximum)", ringSetup(pages: 8193), E2BIG)
        expect("detach with non-zero padding", withDomain(.detach, pad1: 1), EINVAL)
        expect("landmark_counts with non-zero padding", withDomain(.landmarkCounts, pad0: 1), EINVAL)
        expect("map the log ring before ring_setup", map(TTControlABI.ringLog, pages: 1).1, EINVAL)

        // The toolstack's unpause must not let it run before its ring exists.
        expect("toolstack unpause before ring_setup", answer { try host.unpause(domain) }, 0)
        sleep(2)
        let (rc2, st2) = state()
        report(rc2 == 0 && st2?.state == TTState.attached.rawValue && st2?.landmarks == 0,
               "the domain did not run without a ring: \(errnoName(rc2)), state \(st2?.stateName ?? "-"), "
               + "landmarks \(st2.map { String($0.landmarks) } ?? "-") (want attached, 0)")
        expect("toolstack pause again", answer { try host.pause(domain) }, 0)

        // A ring.
        expect("ring_setup of 33 pages", ringSetup(pages: 33), 0)
        expect("ring_setup twice", ringSetup(pages: 33), EEXIST)
        expect("map the replay ring (none)", map(TTControlABI.ringReplay, pages: 1).1, EINVAL)
        expect("map frames 30-33 of a 33-page ring", map(TTControlABI.ringLog, first: 30, pages: 4).1, EINVAL)
        let (ring, mrc) = map(TTControlABI.ringLog, pages: 33)
        expect("map the log ring", mrc, 0)
        let startSize = TTABI.recordSize(payloadLength: 40)
        if let ring {
            let c = ring.control, first = ring.data
            let magic = c.load(fromByteOffset: RingLayout.magicOffset, as: UInt32.self)
            let size = c.load(fromByteOffset: RingLayout.dataSizeOffset, as: UInt32.self)
            let prod = c.load(fromByteOffset: RingLayout.prodOffset, as: UInt64.self)
            let records = c.load(fromByteOffset: RingLayout.recordsOffset, as: UInt64.self)
            let type = first.load(as: UInt16.self), landmark = first.load(fromByteOffset: 8, as: UInt64.self)
            report(magic == RingLayout.magic && size == 32 * 4096 && prod == UInt64(startSize) && records == 1
                   && type == UInt16(RecordType.domainStart.rawValue) && landmark == 0,
                   "ring control page and first record: magic \(hex32(magic)) size \(size) prod \(prod) records \(records) "
                   + "first type \(hex32(UInt32(type))) at landmark \(landmark) (want DOMAIN_START at 0)")
        }
        expect("detach", withDomain(.detach), 0)
        if let ring {
            let rec = ring.data + startSize
            let records = ring.control.load(fromByteOffset: RingLayout.recordsOffset, as: UInt64.self)
            let type = rec.load(as: UInt16.self)
            let reason = rec.load(fromByteOffset: TTABI.recordHeaderSize, as: UInt32.self)
            report(records == 2 && type == UInt16(RecordType.end.rawValue) && reason == EndReason.detach.rawValue,
                   "detach wrote END (reason DETACH) into the still mapped ring: records \(records), "
                   + "type \(hex32(UInt32(type))), reason \(reason)")
        }
        expect("status after detach", state().0, ENOENT)
        expect("detach twice", withDomain(.detach), ENOENT)
    }
}

func hex32(_ v: UInt32) -> String { "0x" + String(v, radix: 16) }

/// "EINVAL" for an errno, "0" for success.
func errnoName(_ e: Int32) -> String {
    let names: [Int32: String] = [0: "0", EPERM: "EPERM", ENOENT: "ENOENT", ESRCH: "ESRCH", E2BIG: "E2BIG", ENOMEM: "ENOMEM",
                                  EACCES: "EACCES", EFAULT: "EFAULT", EBUSY: "EBUSY", EEXIST: "EEXIST", ENODEV: "ENODEV",
                                  EINVAL: "EINVAL", ENOSYS: "ENOSYS", EOPNOTSUPP: "EOPNOTSUPP", ESHUTDOWN: "ESHUTDOWN",
                                  EAGAIN: "EAGAIN"]
    return names[e] ?? "errno \(e)"
}
