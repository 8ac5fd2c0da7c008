// TTSession: the daemon's sessions, as rr has them.  A session holds the
// state of one domain being recorded (RecordSession) or replayed
// (ReplaySession); step() advances it by one round of the daemon's loop
// and answers whether it goes on or how it ended (SessionStatus); run()
// steps it to its end, closes its log and returns the exit code.  Nothing
// here ends the process: ttd-deviced's command throws the code it gets
// (ExitCode), and its entry point exits.
//
// A session reaches Xen through a SessionDomain: XenDomain (tt_op,
// the doorbell, the domain's life) in the daemon, one of their own in the
// tests, which step a RecordSession over an in-memory ring.

import TTLog
import TTTools
import TTXen

/// Where a session stands after a step.
public enum SessionStatus: Equatable, Sendable {
    /// Going on.
    case running
    /// Asked to stop (SIGTERM, SIGINT): detached, draining the ring until
    /// Xen's END record (at most 5 s).
    case stopping
    /// Over: the exit code and the line that says why.  `finish` closes
    /// the log with them.
    case finished(code: Int32, result: String)
}

/// What ttd-deviced's command line gives a session (`Deviced` fills it).
public struct SessionOptions: Sendable {
    /// --domain: id or name.
    public var domain: String
    /// -f: the log to write (record), the recording to read (replay); nil:
    /// /var/lib/tt-xen/logs/NAME.ttlog.
    public var file: String?
    /// --replay-log.
    public var replayLog: String?
    public var consolePty = false
    public var consoleFile: String?
    public var readyFD: Int32?
    public var resultFD: Int32?
    public var kernel: String?
    public var ramdisk: String?
    public var config: String?
    public var ringPages = 256
    public var counter: CounterChoice?
    /// Recording: the guest's TSC frequency in kHz (nil: the host's).
    public var tscKHz: UInt32?
    public var boundMicroseconds: UInt32 = 0
    public var force = false
    public var testDrainLimit: Int?
    public var zstd = false
    public var onPoweroff = "preserve"
    public var onReboot = "preserve"
    public var onCrash = "preserve"

    public init(domain: String) { self.domain = domain }

    /// SHUTDOWN_* code -> destroy/preserve.
    var actions: [UInt32: String] { [0: onPoweroff, 1: onReboot, 3: onCrash, 4: onCrash] }
}

/// The Xen side of the domain a session serves: its doorbell, the tt_op
/// calls the loop makes, its life.
public protocol SessionDomain: AnyObject {
    var id: DomainID { get }
    /// Readable when Xen rang the doorbell.
    var doorbellFD: Int32 { get }
    /// Takes the pending event (and unmasks the port).
    func acknowledgeDoorbell()
    /// Rings Xen's side.
    func ringDoorbell() throws
    /// TTOP_detach.
    func detach() throws
    /// TTOP_status.
    func status() throws -> TTStatus
    /// TTOP_landmark_counts (while the domain's TT state exists).
    func landmarkCounts() throws -> TTLandmarkCounts
    /// TTOP_io_push on the console; false: Xen's queue is full, try again.
    func pushConsole(_ bytes: UnsafeRawBufferPointer) throws -> Bool
    /// The domain no longer exists, or is dying.
    var isGone: Bool { get }
    /// Destroys the domain (its config said destroy).
    func destroy() throws
}

/// The domain through libxen: tt_op (TTControl), the doorbell
/// (EventChannel), Xen's domain list (XenHost); keeps its rings mapped.
public final class XenDomain: SessionDomain {
    public let id: DomainID
    let tt: TTControl
    let host: XenHost
    let doorbell: EventChannel
    /// The mapped rings, alive as long as the session.
    var rings: [MappedRing] = []

    init(_ id: DomainID, tt: TTControl, host: XenHost, doorbell: EventChannel) {
        self.id = id
        self.tt = tt
        self.host = host
        self.doorbell = doorbell
    }

    public var doorbellFD: Int32 { doorbell.fd }
    public func acknowledgeDoorbell() { doorbell.acknowledge() }
    public func ringDoorbell() throws { try doorbell.notify() }
    public func detach() throws { try tt.detach(id) }
    public func status() throws -> TTStatus { try tt.status(id) }
    public func landmarkCounts() throws -> TTLandmarkCounts { try tt.landmarkCounts(id) }
    public func pushConsole(_ bytes: UnsafeRawBufferPointer) throws -> Bool {
        try tt.ioPush(id, device: UInt16(TTIODevice.console.rawValue), bytes: bytes)
    }
    public var isGone: Bool {
        guard let info = host.domainInfo(id) else { return true }
        return info.dying
    }
    public func destroy() throws {
        guard let libxl = try? LibXL() else { return }
        try libxl.destroy(id)
    }
}
