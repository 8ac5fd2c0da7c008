import Foundation
import XCTest
@testable import TTSession
import Logging
import TTTools

/// Issue 10: ttd-deviced's SIGHUP reopens its message log (after
/// logrotate moved it) instead of stopping the daemon.
final class MessageLogTests: XCTestCase {
    func contents(_ path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8)) ?? "<none>"
    }

    /// In process, on a spare descriptor: SIGHUP reopens, SIGTERM stops.
    func testSIGHUPReopensTheMessageLog() throws {
        let dir = temporaryDirectory()
        let path = dir + "/ttd-deviced-clientA.log"
        let target = open("/dev/null", O_WRONLY)
        XCTAssertGreaterThanOrEqual(target, 0)
        defer { close(target) }
        messageLog = try MessageLog(path: path, descriptors: [target])
        installSignalHandlers()
        defer {
            for s in [SIGTERM, SIGINT, SIGHUP] { signal(s, SIG_DFL) }
            messageLog = nil
        }
        func say(_ s: String) { _ = s.withCString { write(target, $0, strlen($0)) } }
        say("before\n")
        XCTAssertEqual(rename(path, path + ".1"), 0)        // logrotate
        say("still the old file\n")
        raise(SIGHUP)
        XCTAssertFalse(takeSignals(tool: "test"), "SIGHUP does not stop")
        say("after\n")
        XCTAssertEqual(contents(path + ".1"), "before\nstill the old file\n")
        XCTAssertEqual(contents(path), "after\n")
        // Twice in a row, and a stop among them.
        XCTAssertEqual(rename(path, path + ".2"), 0)
        raise(SIGHUP)
        raise(SIGTERM)
        XCTAssertTrue(takeSignals(tool: "test"), "SIGTERM stops")
        say("again\n")
        XCTAssertEqual(contents(path), "again\n")
        XCTAssertFalse(takeSignals(tool: "test"), "nothing pending")
        // A file that cannot be opened: an error, the descriptor unchanged.
        XCTAssertThrowsError(try MessageLog(path: dir + "/no/such/dir/m.log", descriptors: [target])) {
            XCTAssertEqual("\($0)", "--message-log \(dir)/no/such/dir/m.log: cannot open it: No such file or directory")
        }
    }

    func testHelpSaysIt() throws {
        let h = try runTool("ttd-deviced", ["--help"])
        let text = h.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        for w in ["--message-log <file>", "SIGHUP reopens MSGFILE, so that logrotate can move it away"] {
            XCTAssertTrue(text.contains(w), "lacks '\(w)':\n\(h.stdout)")
        }
        let xl = try runTool("ttd-xl", ["help", "create"])
        XCTAssertTrue(xl.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
                        .contains("(it reopens the file on SIGHUP, for logrotate)"), xl.stdout)
    }

    /// The daemon itself, waiting for the next domain (needs no Xen; root,
    /// for /run/tt-xen): SIGHUP moves its messages to the new file and it
    /// keeps waiting; SIGTERM ends it.
    func testWaitingDaemonReopensOnSIGHUP() throws {
        guard getuid() == 0 else { throw XCTSkip("needs root for /run/tt-xen") }
        guard WaitingDaemon.find() == nil else { throw XCTSkip("a ttd-deviced waits on this host already") }
        let dir = temporaryDirectory()
        let path = dir + "/messages.log"
        let p = Process()
        p.executableURL = productsDirectory.appendingPathComponent("ttd-deviced")
        p.arguments = ["-f", dir + "/next.ttlog", "--message-log", path]
        try p.run()
        defer { if p.isRunning { kill(p.processIdentifier, SIGKILL) } }
        func waitFor(_ text: String, in file: String) -> Bool {
            for _ in 0..<100 {
                if contents(file).contains(text) { return true }
                usleep(50_000)
            }
            return false
        }
        XCTAssertTrue(waitFor("waiting for the next time-traveling domain", in: path), contents(path))
        XCTAssertEqual(rename(path, path + ".1"), 0)
        kill(p.processIdentifier, SIGHUP)
        XCTAssertTrue(waitFor("ttd-deviced: SIGHUP: reopened \(path)", in: path), contents(path))
        XCTAssertTrue(p.isRunning, "SIGHUP does not stop the daemon")
        XCTAssertNotNil(WaitingDaemon.find(), "it still waits")
        kill(p.processIdentifier, SIGTERM)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        XCTAssertTrue(contents(path).contains("signal: stopped waiting; no domain served"), contents(path))
        XCTAssertFalse(contents(path + ".1").contains("SIGHUP: reopened"), contents(path + ".1"))
        XCTAssertNil(WaitingDaemon.find())
    }

    /// swift-log's lines: "tool: message", the level from warning up,
    /// metadata as key=value (the handler's and the message's, sorted).
    func testMessageLogHandlerLines() {
        var h = MessageLogHandler(tool: "ttd-deviced")
        XCTAssertEqual(h.line(level: .info, message: "recording domain 3", metadata: nil), "ttd-deviced: recording domain 3")
        XCTAssertEqual(h.line(level: .notice, message: "n", metadata: nil), "ttd-deviced: n")
        XCTAssertEqual(h.line(level: .warning, message: "disk full", metadata: nil), "ttd-deviced: warning: disk full")
        XCTAssertEqual(h.line(level: .error, message: "e", metadata: nil), "ttd-deviced: error: e")
        h[metadataKey: "domain"] = "3"
        XCTAssertEqual(h.line(level: .info, message: "m", metadata: ["log": "a.ttlog"]), "ttd-deviced: m domain=3 log=a.ttlog")
        XCTAssertTrue(messages("test").handler is MessageLogHandler, "swift-log bootstrapped with the daemon's handler")
    }
}
