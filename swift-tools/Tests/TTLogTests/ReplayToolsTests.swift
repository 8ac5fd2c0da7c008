import Foundation
import XCTest
@testable import TTLog
import TTTools

/// The parts of replay in ttd-xl and ttd-deviced that run without Xen.
final class ReplayToolsTests: XCTestCase {
    let k = FileDigest(path: "/boot/k", sha256: Array(repeating: 0x11, count: 32))
    let i = FileDigest(path: "/boot/i", sha256: Array(repeating: 0x22, count: 32))
    let c = FileDigest(path: "/etc/xen/c.conf", sha256: Array(repeating: 0x33, count: 32))

    func testHeaderAgainstConfig() {
        let h = testHeader()        // kernel 0x11.., initrd 0x22.., config 0x33.., 96 MiB
        XCTAssertNil(replayMismatch(header: h, kernel: k, ramdisk: i, config: c, memoryBytes: 96 << 20))
        XCTAssertNil(replayMismatch(header: h, kernel: k, ramdisk: i, config: c, memoryBytes: nil))
        var other = k
        other.sha256[0] = 0xab
        XCTAssertEqual(replayMismatch(header: h, kernel: other, ramdisk: i, config: c, memoryBytes: nil),
                       "kernel /boot/k has SHA-256 ab11111111111111.., the log was recorded with 1111111111111111..")
        var cc = c
        cc.sha256[31] = 0
        XCTAssertEqual(replayMismatch(header: h, kernel: k, ramdisk: i, config: cc, memoryBytes: nil),
                       "config /etc/xen/c.conf has SHA-256 3333333333333333.., the log was recorded with 3333333333333333..")
        XCTAssertEqual(replayMismatch(header: h, kernel: k, ramdisk: nil, config: c, memoryBytes: nil),
                       "no ramdisk is given, the log was recorded with a ramdisk of SHA-256 2222222222222222..")
        XCTAssertEqual(replayMismatch(header: h, kernel: k, ramdisk: i, config: c, memoryBytes: 128 << 20),
                       "memory: the domain has 128 MiB, the log was recorded with 96 MiB")
        XCTAssertTrue(replayMismatch(header: h, kernel: nil, ramdisk: i, config: c, memoryBytes: nil)!.hasPrefix("no kernel is given"))
        // Recorded without an initrd: giving one is a difference; unknown kernel hash: not checked.
        var noInitrd = h
        noInitrd.initrdSHA256 = []
        noInitrd.kernelSHA256 = []
        XCTAssertEqual(replayMismatch(header: noInitrd, kernel: k, ramdisk: i, config: c, memoryBytes: nil),
                       "ramdisk /boot/i is given, the log was recorded without one")
        XCTAssertNil(replayMismatch(header: noInitrd, kernel: k, ramdisk: nil, config: c, memoryBytes: nil))
    }

    /// ttd-xl create ... tt_replay_flag=1 refuses a config that is not the recording's, before creating anything.
    func testXLRefusesAReplayWithOtherInputs() throws {
        let dir = temporaryDirectory()
        try Data("kernel one".utf8).write(to: URL(fileURLWithPath: dir + "/vmlinuz"))
        let conf = dir + "/clientA.conf"
        try Data("name = \"clientA\"\ntype = \"pvh\"\nmemory = 96\nkernel = \"\(dir)/vmlinuz\"\n".utf8)
            .write(to: URL(fileURLWithPath: conf))
        var h = testHeader()
        h.kernelSHA256 = try SHA256.file(dir + "/vmlinuz")
        h.initrdSHA256 = []
        h.configSHA256 = try SHA256.file(conf)
        try writeLog(dir + "/clientA.ttlog", recording(20), header: h)
        let args = ["create", conf, "time_travel=ttd_flag=1, tt_replay_flag=1", "--log", dir + "/clientA.ttlog"]
        // Another kernel.
        try Data("kernel two".utf8).write(to: URL(fileURLWithPath: dir + "/vmlinuz"))
        var r = try runTool("ttd-xl", args)
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.hasPrefix("ttd-xl: replay refused: kernel \(dir)/vmlinuz has SHA-256 "), r.stderr)
        XCTAssertTrue(r.stderr.contains(", the log was recorded with "), r.stderr)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        try Data("kernel one".utf8).write(to: URL(fileURLWithPath: dir + "/vmlinuz"))
        // A ramdisk the recording did not have.
        try Data("initrd".utf8).write(to: URL(fileURLWithPath: dir + "/initrd"))
        r = try runTool("ttd-xl", args + ["ramdisk=\"\(dir)/initrd\""])
        XCTAssertEqual(r.stderr, "ttd-xl: replay refused: ramdisk \(dir)/initrd is given, the log was recorded without one\n")
        // Only FILE.incomplete exists: it is used, with a note; a synthetic log is refused.
        try FileManager.default.moveItem(atPath: dir + "/clientA.ttlog", toPath: dir + "/s.ttlog.incomplete")
        let gen = try runTool("ttd-log-gen", ["-o", dir + "/syn.ttlog", "--records", "10"])
        XCTAssertEqual(gen.status, 0)
        r = try runTool("ttd-xl", ["create", conf, "time_travel=ttd_flag=1, tt_replay_flag=1", "--log", dir + "/syn.ttlog"])
        XCTAssertTrue(r.stderr.hasPrefix("ttd-xl: replay refused: \(dir)/syn.ttlog: a SYNTHETIC log"), r.stderr)
        r = try runTool("ttd-xl", ["create", conf, "time_travel=ttd_flag=1, tt_replay_flag=1", "--log", dir + "/s.ttlog", "kernel=\"/nonexistent\""])
        XCTAssertTrue(r.stderr.contains("replaying \(dir)/s.ttlog.incomplete"), r.stderr)
        XCTAssertTrue(r.stderr.split(separator: "\n").last!.contains("/nonexistent"), r.stderr)
    }

    /// ttd-deviced --replay checks its arguments, and fails in one line without Xen, writing nothing.
    func testDevicedReplayChecksItsInput() throws {
        let dir = temporaryDirectory()
        try writeLog(dir + "/rec.log", recording(20))
        var r = try runTool("ttd-deviced", ["--replay", "-f", dir + "/missing.log", "--domain", "7"])
        XCTAssertEqual(r.status, 64, r.stderr)
        XCTAssertTrue(r.stderr.contains("no such log"), r.stderr)
        try Data().write(to: URL(fileURLWithPath: dir + "/taken"))
        r = try runTool("ttd-deviced", ["--replay", "-f", dir + "/rec.log", "--domain", "7", "--replay-log", dir + "/taken"])
        XCTAssertEqual(r.status, 64, r.stderr)
        XCTAssertTrue(r.stderr.contains("exists already; a replay never overwrites a file"), r.stderr)
        r = try runTool("ttd-deviced", ["-f", dir + "/x.log", "--domain", "7", "--replay-log", dir + "/y"])
        XCTAssertTrue(r.stderr.contains("--replay-log needs --replay"), r.stderr)
        r = try runTool("ttd-deviced", ["--replay", "-f", dir + "/rec.log", "--domain", "7"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.split(separator: "\n").last?.hasPrefix("ttd-deviced: ") ?? false, r.stderr)
        let left = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        XCTAssertEqual(left, ["rec.log", "taken"], "no replay log written")
    }

    /// The request ttd-xl hands a waiting ttd-deviced.
    func testWaitingDaemonRequest() {
        let line = WaitingDaemon.encode([("domain", "7"), ("mode", "replay"), ("log", "/l/a b.ttlog"), ("config", "/etc/xen/c=1.conf")])
        XCTAssertEqual(line, "domain=7\tmode=replay\tlog=/l/a b.ttlog\tconfig=/etc/xen/c=1.conf\n")
        let d = WaitingDaemon.decode(String(line.dropLast()))
        XCTAssertEqual(d, ["domain": "7", "mode": "replay", "log": "/l/a b.ttlog", "config": "/etc/xen/c=1.conf"])
        XCTAssertNil(WaitingDaemon.decode("mode=record"), "no domain")
        XCTAssertNil(WaitingDaemon.decode("domain=1\tgarbage"))
        XCTAssertNil(WaitingDaemon.decode("GET / HTTP/1.0"))
    }
}
