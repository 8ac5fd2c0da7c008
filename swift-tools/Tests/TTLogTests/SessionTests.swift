import Foundation
import XCTest
@testable import TTLog
@testable import TTSession
import TTTools
import TTXen

/// A domain without Xen: a pipe for its doorbell, counts of what the
/// session asked of it.
final class FakeDomain: SessionDomain {
    let id = DomainID(7)
    private var pipe: [Int32] = [-1, -1]
    var rung = 0, detached = 0, destroyed = 0
    var pushed: [UInt8] = []
    var gone = false

    init() { _ = Glibc.pipe(&pipe) }
    deinit { close(pipe[0]); close(pipe[1]) }

    /// Xen rings: the doorbell's descriptor becomes readable.
    func ring() { var b: UInt8 = 1; _ = write(pipe[1], &b, 1) }

    var doorbellFD: Int32 { pipe[0] }
    func acknowledgeDoorbell() { var b: UInt8 = 0; _ = read(pipe[0], &b, 1) }
    func ringDoorbell() throws { rung += 1 }
    func detach() throws { detached += 1 }
    func status() throws -> TTStatus { throw XenError.call(what: "TTOP_status", detail: "no Xen in the tests") }
    func landmarkCounts() throws -> TTLandmarkCounts { throw XenError.call(what: "TTOP_landmark_counts", detail: "no Xen") }
    func pushConsole(_ bytes: UnsafeRawBufferPointer) throws -> Bool { pushed += bytes; return true }
    var isGone: Bool { gone }
    func destroy() throws { destroyed += 1 }
}

/// Issue 8: the daemon's recording loop is a library type whose step()
/// returns a status.  Here a RecordSession is stepped over an in-memory
/// ring (TestRing, as Xen fills it) and a FakeDomain: no Xen.
final class SessionTests: XCTestCase {
    struct Setup {
        let ring: TestRing
        let domain: FakeDomain
        let session: RecordSession
        let path: String
    }

    func makeSession(_ name: String = #function, actions: [UInt32: String] = [:]) throws -> Setup {
        let dir = temporaryDirectory(name)
        let path = dir + "/clientA.ttlog"
        let ring = TestRing(size: 1 << 16)
        let domain = FakeDomain()
        let writer = try LogWriter(path: path, header: testHeader(), options: .init(chunkSize: 4096))
        let console = try ConsoleBackend(pty: false, file: dir + "/console", domain: domain.id)
        let session = RecordSession(domain: domain, name: "clientA", path: path, consumer: try ring.consumer(),
                                    writer: writer, console: console, counter: .none, actions: actions)
        return Setup(ring: ring, domain: domain, session: session, path: path)
    }

    /// Steps until the status is not `.running` (a bound: the test fails rather than hangs).
    func stepWhileRunning(_ s: RecordSession) -> SessionStatus {
        for _ in 0..<500 {
            let st = s.step()
            if st != .running { return st }
        }
        return .running
    }

    func records(_ path: String) throws -> [Record] {
        let r = try LogReader(path: path)
        let c = RecordCursor(r)
        var out: [Record] = []
        while let x = try c.next() { out.append(x) }
        return out
    }

    func testStepDrainsTheRingUntilEND() throws {
        let t = try makeSession(actions: [0: "destroy"])
        let recs = ringRecords(30)
        XCTAssertTrue(t.ring.produce(recs))
        t.domain.ring()
        XCTAssertEqual(t.session.step(), .running)
        XCTAssertEqual(t.session.records, 31)
        XCTAssertEqual(t.session.landmarks, 30)
        // Xen waits for room: the session rings back once it made some.
        t.ring.setWaiting(true)
        XCTAssertEqual(t.session.step(), .running)
        XCTAssertGreaterThanOrEqual(t.domain.rung, 1)
        t.ring.setWaiting(false)
        // The guest shuts down: END, then the session is over, code 0.
        let end = Record(.end(End(reason: .shutdown, code: 0, landmarks: 30)), at: Position(landmark: 30, rip: 0, rcx: 0))
        XCTAssertTrue(t.ring.produce([end]))
        t.domain.ring()
        XCTAssertEqual(t.session.step(), .finished(code: 0, result: "the guest's recording ended (shutdown)"))
        XCTAssertEqual(t.session.end?.reason, .shutdown)
        XCTAssertEqual(t.session.finish(code: 0, result: "the guest's recording ended (shutdown)"), 0)
        // The log is closed (renamed from .incomplete) with every record, and
        // the domain destroyed as its config said (on_poweroff=destroy).
        XCTAssertFalse(fileExists(t.path + ".incomplete"))
        let got = try records(t.path)
        XCTAssertEqual(got, recs + [end])
        XCTAssertEqual(t.domain.destroyed, 1)
        XCTAssertEqual(t.domain.detached, 0)
    }

    func testTheConsoleGoesToItsFile() throws {
        let t = try makeSession()
        let text = Array("hello from the guest\n".utf8)
        var io = ByteWriter()
        io.put(UInt32(TTIODevice.console.rawValue)); io.put(UInt32(text.count)); io.zeros(24)
        io.put(bytes: text)
        let send = Record(.hypercall(Hypercall(nr: UInt64(TTABI.hypercallNumber), args: [1, 0, 0, 0, 0, 0], ret: 0, data: io.bytes)),
                          at: Position(landmark: 1, rip: 1, rcx: 1))
        XCTAssertNotNil(send.consoleOutput)
        XCTAssertTrue(t.ring.produce(ringRecords(0) + [send]))
        XCTAssertEqual(t.session.step(), .running)
        XCTAssertEqual(t.session.consoleBytes, UInt64(text.count))
        XCTAssertEqual(t.session.finish(code: 0, result: "test"), 0)
        let dir = (t.path as NSString).deletingLastPathComponent
        XCTAssertEqual(try String(contentsOfFile: dir + "/console", encoding: .utf8), "hello from the guest\n")
    }

    func testADomainGoneEndsTheSession() throws {
        let t = try makeSession(actions: [0: "destroy"])
        XCTAssertTrue(t.ring.produce(ringRecords(5)))
        t.domain.gone = true
        // The domain is checked five times a second: the first step does.
        let st = stepWhileRunning(t.session)
        // Gone without an END (Xen writes one before a TT domain goes): a
        // failure, whose log still reads to its last record.
        guard case let .finished(code, result) = st else { return XCTFail("\(st)") }
        XCTAssertEqual(code, 1)
        XCTAssertTrue(result.hasPrefix("domain 7 is gone without an END record"), result)
        XCTAssertEqual(t.session.records, 6, "what the ring held is drained first")
        XCTAssertEqual(t.session.finish(code: code, result: result), 1)
        XCTAssertEqual(t.domain.destroyed, 0, "no END: nothing to destroy")
        XCTAssertEqual(try records(t.path).count, 6)
    }

    /// SIGTERM: the session detaches and says it is stopping; Xen's END
    /// (reason detach) then ends it, code 0, the log closed.  SIGHUP does
    /// not stop it.
    func testSIGTERMDetachesThenENDEnds() throws {
        let t = try makeSession()
        installSignalHandlers()
        defer { for s in [SIGTERM, SIGINT, SIGHUP] { signal(s, SIG_DFL) } }
        XCTAssertTrue(t.ring.produce(ringRecords(3)))
        raise(SIGHUP)
        XCTAssertEqual(t.session.step(), .running)
        XCTAssertEqual(t.domain.detached, 0)
        raise(SIGTERM)
        XCTAssertEqual(t.session.step(), .stopping)
        XCTAssertEqual(t.domain.detached, 1)
        raise(SIGTERM)
        XCTAssertEqual(t.session.step(), .stopping)
        XCTAssertEqual(t.domain.detached, 1, "detached once")
        let end = Record(.end(End(reason: .detach, landmarks: 3)), at: Position(landmark: 3, rip: 0, rcx: 0))
        XCTAssertTrue(t.ring.produce([end]))
        t.domain.ring()
        XCTAssertEqual(t.session.step(), .finished(code: 0, result: "the guest's recording ended (detach)"))
        XCTAssertEqual(t.session.finish(code: 0, result: "the guest's recording ended (detach)"), 0)
        XCTAssertEqual(try records(t.path).last?.type, .end)
    }

    /// finish() returns the code a failed step gave (the daemon exits with
    /// it), destroys nothing without END, and names the file the log is.
    func testFinishKeepsAFailureCode() throws {
        let t = try makeSession()
        XCTAssertTrue(t.ring.produce(ringRecords(2)))
        XCTAssertEqual(t.session.step(), .running)
        XCTAssertEqual(t.session.finish(code: 1, result: "ring error"), 1)
        XCTAssertEqual(t.domain.destroyed, 0)
        // The log could be closed: it is FILE, as the closing line says (issue 10).
        XCTAssertTrue(fileExists(t.path))
        XCTAssertFalse(fileExists(t.path + ".incomplete"))
    }
}
