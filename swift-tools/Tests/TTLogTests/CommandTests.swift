import Foundation
import XCTest
@testable import TTLog

/// End-to-end tests of the executables, with their help text pinned.
final class CommandTests: XCTestCase {
    func gen(_ dir: String, _ name: String, _ extra: [String] = []) throws {
        let r = try runTool("ttd-log-gen", ["-o", dir + "/" + name, "--records", "500", "--chunk-size", "2048"] + extra)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("SYNTHETIC"))
    }

    func testPrintLinesUpOriginalAndReplay() throws {
        let dir = temporaryDirectory()
        try gen(dir, "ttd.log", ["--guest", "clientA"])
        try gen(dir, "ttd.log.clientA.replay.0", ["--guest", "clientA", "--replay", "--zstd"])
        let orig = try runTool("ttd-read-log", ["-i", "-n", "200", "-v", "-f", dir + "/ttd.log"])
        let replay = try runTool("ttd-read-log", ["-i", "-r", "-n", "200", "-v", "-f", dir + "/ttd.log"])
        XCTAssertEqual(orig.status, 0, orig.stderr)
        XCTAssertEqual(replay.status, 0, replay.stderr)
        XCTAssertEqual(orig.stdout, replay.stdout)
        XCTAssertEqual(orig.stdout.split(separator: "\n").filter { $0.hasPrefix("lm:") }.count, 41)
        let explicit = try runTool("ttd-read-log", ["-i", "-r", dir + "/ttd.log.clientA.replay.0", "-n", "200", "-v", "-f", dir + "/ttd.log"])
        XCTAssertEqual(explicit.stdout, replay.stdout)
    }

    func testStatVerifyDiffAndJSON() throws {
        let dir = temporaryDirectory()
        try gen(dir, "a.log")
        try gen(dir, "b.log", ["--perturb", "123"])
        let stat = try runTool("ttd-read-log", ["stat", "-f", dir + "/a.log"])
        XCTAssertEqual(stat.status, 0)
        XCTAssertTrue(stat.stdout.contains("records: 500 in"), stat.stdout)
        XCTAssertTrue(stat.stdout.contains("synthetic: yes"), stat.stdout)
        let json = try runTool("ttd-read-log", ["stat", "--json", "-f", dir + "/a.log"])
        let obj = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(obj["records"] as? Int, 500)
        let verify = try runTool("ttd-read-log", ["verify", "-f", dir + "/a.log"])
        XCTAssertEqual(verify.status, 0, verify.stdout + verify.stderr)
        XCTAssertTrue(verify.stdout.contains("sound"))
        let same = try runTool("ttd-read-log", ["diff", dir + "/a.log", dir + "/a.log"])
        XCTAssertEqual(same.status, 0)
        XCTAssertEqual(same.stdout, "identical: 500 records\n")
        let diff = try runTool("ttd-read-log", ["diff", dir + "/a.log", dir + "/b.log"])
        XCTAssertEqual(diff.status, 1)
        XCTAssertTrue(diff.stdout.hasPrefix("first difference at record 123 "), diff.stdout)
        XCTAssertTrue(diff.stdout.contains("  rip: A="), diff.stdout)
        let dj = try runTool("ttd-read-log", ["diff", "--json", dir + "/a.log", dir + "/b.log"])
        let d = try JSONSerialization.jsonObject(with: Data(dj.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(d["record"] as? Int, 123)
        let lines = try runTool("ttd-read-log", ["--json", "-f", dir + "/a.log"])
        for l in lines.stdout.split(separator: "\n") {
            XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(l.utf8)))
        }
        XCTAssertEqual(lines.stdout.split(separator: "\n").count, 500)
    }

    /// The log as an argument (as rr dump and xl take files) for every
    /// subcommand, the same as -f FILE; and the long name of every option.
    func testLogAsArgumentAndLongOptionNames() throws {
        let dir = temporaryDirectory()
        try gen(dir, "ttd.log", ["--guest", "clientA"])
        try gen(dir, "ttd.log.clientA.replay.0", ["--guest", "clientA", "--replay", "--seed", "3"])
        let log = dir + "/ttd.log", replay = dir + "/ttd.log.clientA.replay.0"
        let same: [([String], [String])] = [
            (["-f", log], [log]),
            (["-f", log], ["--file", log]),
            (["-f", log], ["-f", log, log]),                                  // the same log twice: fine
            (["-i", "-f", log], ["-i", log]),
            (["-i", "-f", log], ["--info", log]),
            (["-v", "-f", log], ["--verbose", log]),
            (["--json", "-f", log], [log, "--json"]),
            (["--header", "-f", log], ["--header", log]),
            (["-i", "-n", "200", "-w", "3", "-v", "-f", log], ["-i", "-n", "200", "-w", "3", "-v", log]),
            (["-i", "-n", "200", "-w", "3", "-f", log], ["--info", "--landmark", "200", "--window", "3", "--file", log]),
            (["print", "-i", "-f", log], ["print", "-i", log]),
            (["stat", "-f", log], ["stat", log]),
            (["stat", "--json", "-f", log], ["stat", "--json", "--file", log]),
            (["verify", "-f", log], ["verify", log]),
            (["verify", "--json", "-f", log], ["verify", log, "--json"]),
            // -r: the newest replay beside the log, or the replay log named.
            (["-i", "-r", "-f", log], ["-i", "-r", log]),
            (["-i", "-r", "-f", log], ["-i", "--replay", log]),
            (["-i", "-f", replay], ["-i", "-r", replay, log]),
            (["-i", "-f", replay], ["-i", "-r", replay, "-f", log]),
            (["-i", "-f", replay], ["-i", "--replay-log", replay, log]),
            (["stat", "-f", replay], ["stat", "-r", log]),
            (["diff", "-w", "2", log, replay], ["diff", "--window", "2", log, replay]),
        ]
        for (a, b) in same {
            let ra = try runTool("ttd-read-log", a), rb = try runTool("ttd-read-log", b)
            XCTAssertEqual(ra.stdout, rb.stdout, "\(a) vs \(b)")
            XCTAssertEqual(ra.status, rb.status, "\(a) vs \(b): \(rb.stderr)")
            XCTAssertFalse(ra.stdout.isEmpty, "\(a)")
        }
        XCTAssertNotEqual(try runTool("ttd-read-log", ["-i", log]).stdout, try runTool("ttd-read-log", ["-i", replay]).stdout)
        // No log, or two different ones: one error, with the usage.
        for (args, text) in [([], "Missing the log"), (["stat"], "Missing the log"), (["verify"], "Missing the log"),
                             (["-f", log, replay], "Two logs given"), (["stat", "-f", replay, log], "Two logs given")] {
            let r = try runTool("ttd-read-log", args)
            XCTAssertNotEqual(r.status, 0, "\(args)")
            XCTAssertTrue(r.stderr.contains(text), "\(args): \(r.stderr)")
        }
    }

    func testBadInputOneLineErrors() throws {
        let dir = temporaryDirectory()
        try gen(dir, "a.log")
        try Data("not a log".utf8).write(to: URL(fileURLWithPath: dir + "/junk"))
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/a.log")))
        bytes[10] = 7
        try Data(bytes).write(to: URL(fileURLWithPath: dir + "/newer.log"))
        let cases: [([String], String)] = [
            (["-f", dir + "/junk"], "not a time-traveling Xen log"),
            (["-f", dir + "/newer.log"], "needs a reader of version 7"),
            (["-f", dir + "/nothing"], "No such file"),
            (["-n", "99999999", "-f", dir + "/a.log"], "beyond the end of the log"),
            (["-r", "-f", dir + "/a.log"], "no replay log beside"),
            (["verify", "-f", dir + "/junk"], "not a time-traveling Xen log"),
        ]
        for (args, text) in cases {
            let r = try runTool("ttd-read-log", args)
            XCTAssertNotEqual(r.status, 0, "\(args)")
            let lines = r.stderr.split(separator: "\n")
            XCTAssertEqual(lines.count, 1, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.hasPrefix("ttd-read-log: "), r.stderr)
            XCTAssertTrue(r.stderr.contains(text), "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(dir), "\(args): names the file: \(r.stderr)")
        }
    }

    func testCutShortAndIncompleteLogs() throws {
        let dir = temporaryDirectory()
        try gen(dir, "crash.log", ["--no-close"])
        // FILE missing, FILE.incomplete present: read with a note.
        let r = try runTool("ttd-read-log", ["-f", dir + "/crash.log"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("reading \(dir)/crash.log.incomplete"), r.stderr)
        XCTAssertTrue(r.stderr.contains("without a trailer"), r.stderr)
        XCTAssertEqual(r.stdout.split(separator: "\n").count, 500)
        let v = try runTool("ttd-read-log", ["verify", "-f", dir + "/crash.log.incomplete"])
        XCTAssertEqual(v.status, 1)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/crash.log.incomplete")))
        bytes.removeLast(100)
        try Data(bytes).write(to: URL(fileURLWithPath: dir + "/cut.log"))
        let c = try runTool("ttd-read-log", ["stat", "-f", dir + "/cut.log"])
        XCTAssertEqual(c.status, 0)
        XCTAssertTrue(c.stderr.contains("cut short inside chunk"), c.stderr)
    }

    func testDevicedAndXLCheckTheirInput() throws {
        let dir = temporaryDirectory()
        // No Xen on the test machine: one last line saying what is missing, no log.
        let d = try runTool("ttd-deviced", ["-f", dir + "/ttd.log", "--domain", "7"])
        XCTAssertEqual(d.status, 1, d.stderr)
        XCTAssertTrue(d.stderr.split(separator: "\n").last?.hasPrefix("ttd-deviced: ") ?? false, d.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/ttd.log"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/ttd.log.incomplete"))
        let badRing = try runTool("ttd-deviced", ["--domain", "1", "--ring-pages", "100"])
        XCTAssertTrue(badRing.stderr.contains("a power of 2 from 32 to 4096"), badRing.stderr)

        let conf = dir + "/clientA.conf"
        try Data("name = \"clientA\"\ntype = \"pvh\"\nmemory = 96\nkernel = \"/boot/vmlinuz\"\n# a = comment\nextra = \"console=hvc0 x=[1]\"\n".utf8)
            .write(to: URL(fileURLWithPath: conf))
        let two = try runTool("ttd-xl", ["create", conf, "time_travel=ttd_flag=1", "vcpus=2"])
        XCTAssertEqual(two.status, 1, two.stderr)
        XCTAssertEqual(two.stderr, "ttd-xl: \(conf): time travel needs vcpus = 1 (this config has vcpus = 2)\n")
        let hvm = try runTool("ttd-xl", ["create", conf, "time_travel=ttd_flag=1", "type=hvm"])
        XCTAssertTrue(hvm.stderr.contains("time travel needs type = \"pvh\""), hvm.stderr)
        let rp = try runTool("ttd-xl", ["create", conf, "time_travel=ttd_flag=1, tt_replay_flag=1", "--log", dir + "/none.ttlog"])
        XCTAssertEqual(rp.status, 1, rp.stderr)
        XCTAssertEqual(rp.stderr, "ttd-xl: no log to replay: \(dir)/none.ttlog does not exist (record first, or give --log FILE)\n")
        let bad = try runTool("ttd-xl", ["create", conf, "time_travel=ttd_flag=2"])
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.contains("is not KEY=0 or KEY=1"), bad.stderr)
        let key = try runTool("ttd-xl", ["create", conf, "cpus=2"])
        XCTAssertEqual(key.status, 1)
        XCTAssertTrue(key.stderr.contains("key 'cpus' refused: ttd-xl does not place or schedule vCPUs"), key.stderr)
        XCTAssertTrue(key.stderr.contains("use 'xl create \(conf)'"), key.stderr)
        let vif = try runTool("ttd-xl", ["create", conf, "vif=['model=e1000']"])
        XCTAssertTrue(vif.stderr.contains("ttd-xl knows bridge=, mac=, ip=, script= only"), vif.stderr)
    }

    /// ttd-read-log console: the TT-io bytes of the guest, output or input,
    /// nothing else (other devices, other hypercalls, short records left out).
    func testConsoleOutputAndInput() throws {
        let path = temporaryDirectory() + "/c.log"
        func ioSend(_ device: UInt32, _ text: String, at l: UInt64) -> Record {
            var io = [UInt8](repeating: 0, count: 32)
            withUnsafeBytes(of: device.littleEndian) { io.replaceSubrange(0..<4, with: $0) }
            withUnsafeBytes(of: UInt32(text.utf8.count).littleEndian) { io.replaceSubrange(4..<8, with: $0) }
            return Record(.hypercall(Hypercall(nr: 47, args: [1, 0, 0, 0, 0, 0], ret: 0, data: io + Array(text.utf8))),
                          at: Position(landmark: l, rip: 0x100 * l, rcx: 0))
        }
        let records = [
            Record(.domainStart(DomainStart(mode: .record, memoryKB: 98304, tscKHz: 2_000_000)), at: Position(landmark: 0, rip: 0, rcx: 0)),
            ioSend(0, "Linux version 6.1\n", at: 1),
            ioSend(1, "not the console", at: 2),
            Record(.hypercall(Hypercall(nr: 47, args: [2, 0, 0, 0, 0, 0], ret: 0, data: [UInt8](repeating: 65, count: 40))),
                   at: Position(landmark: 3, rip: 0x300, rcx: 0)),
            Record(.ttioInput(TTIOInput(device: .console, data: Array("ls\r".utf8))), at: Position(landmark: 3, rip: 0x300, rcx: 0)),
            Record(.ttioInput(TTIOInput(device: .net, data: [1, 2, 3])), at: Position(landmark: 3, rip: 0x300, rcx: 0)),
            ioSend(0, "# ", at: 4),
            Record(.end(End(reason: .shutdown, landmarks: 4)), at: Position(landmark: 4, rip: 0x400, rcx: 0)),
        ]
        try writeLog(path, records)
        let out = try runTool("ttd-read-log", ["console", path])
        XCTAssertEqual(out.status, 0, out.stderr)
        XCTAssertEqual(out.stdout, "Linux version 6.1\n# ")
        XCTAssertTrue(out.stderr.contains("20 bytes of console output"), out.stderr)
        let input = try runTool("ttd-read-log", ["console", "--input", "-f", path])
        XCTAssertEqual(input.status, 0, input.stderr)
        XCTAssertEqual(input.stdout, "ls\r")
        let lines = try runTool("ttd-read-log", ["console", "--landmarks", path])
        XCTAssertEqual(lines.stdout, "lm:1 Linux version 6.1\\n\nlm:4 # \n")
        // The window between two of those landmarks: its records only.
        let all = try runTool("ttd-read-log", ["stat", path])
        XCTAssertTrue(all.stdout.contains("records: 8 in"), all.stdout)
        let w = try runTool("ttd-read-log", ["stat", "--from-landmark", "2", "--to-landmark", "3", path])
        XCTAssertEqual(w.status, 0, w.stderr)
        XCTAssertTrue(w.stdout.contains("window: landmarks 2 to 3"), w.stdout)
        XCTAssertTrue(w.stdout.contains("records: 4 in"), w.stdout)
        XCTAssertTrue(w.stdout.contains("landmarks: 2 to 3 (span 1)"), w.stdout)
        XCTAssertFalse(w.stdout.contains("\nDOMAIN_START "), w.stdout)
        XCTAssertTrue(w.stdout.contains("\nTTIO_INPUT "), w.stdout)
        let bad = try runTool("ttd-read-log", ["stat", "--from-landmark", "3", "--to-landmark", "2", path])
        XCTAssertEqual(bad.status, 64)
        XCTAssertTrue(bad.stderr.contains("--from-landmark 3 is after --to-landmark 2"), bad.stderr)
        let json = try runTool("ttd-read-log", ["console", "--json", path])
        XCTAssertEqual(json.status, 64)
        XCTAssertTrue(json.stderr.contains("it has no --json"), json.stderr)
    }

    /// The --help texts, pinned: a change to the interface shows up here.
    func testHelpTextsArePinned() throws {
        let pins: [(String, [String], [String])] = [
            ("ttd-read-log", ["--help"], ["USAGE: ttd-read-log <subcommand>", "print (default)", "stat", "verify", "diff",
                                          "ttd-read-log -i -r -n 533717582 -v -f ttd.log > replay.run"]),
            ("ttd-read-log", ["help", "print"], ["[<file>]", "-f, --file <file>", "-r, --replay", "--replay-log <path>",
                                                 "-n, --landmark <landmark>", "-w, --window <count>", "-i, --info",
                                                 "-v, --verbose", "--json", "--header"]),
            ("ttd-read-log", ["help", "stat"], ["[<file>]", "-f, --file <file>"]),
            ("ttd-read-log", ["help", "verify"], ["[<file>]", "-f, --file <file>", "landmarks step by one"]),
            ("ttd-read-log", ["help", "console"], ["[<file>]", "-f, --file <file>", "--input", "TTOP_io_send"]),
            ("ttd-read-log", ["help", "diff"], ["USAGE: ttd-read-log diff <a> <b>", "-w, --window <count>",
                                                "Exit code 0 identical, 1 different, 2 an error"]),
            ("ttd-deviced", ["--help"], ["USAGE: ttd-deviced <options>", "--domain <id|name>", "waits for the next domain that ttd-xl creates",
                                         "/run/tt-xen/ttd-deviced.sock", "-f <file>", "--console-pty",
                                         "--console-file <file>", "--ready-fd <n>", "--kernel <path>", "--ramdisk <path>",
                                         "--config <path>", "--ring-pages <n>", "--zstd", "SIGKILL", "--replay",
                                         "--replay-log <path>", "--result-fd <n>", "FILE.<guest>.replay.N",
                                         "2 replay diverged", "xl destroy ID", "--force", "A recording never replaces a log"]),
            ("ttd-xl", ["help", "create"], ["USAGE: ttd-xl create <config> [<key=value> ...] [-c] [-p]", "--log <file>",
                                            "time_travel=\"ttd_flag=1, tt_replay_flag=1\" it replays the log",
                                            "2 replay diverged", "--force", "hap (1 hardware-assisted paging, 0 shadow paging"]),
            ("ttd-xl", ["help", "console"], ["USAGE: ttd-xl console <id|name>"]),
            ("ttd-ctl", ["--help"], ["USAGE: ttd-ctl <subcommand>", "attach", "status", "detach", "push", "badops",
                                     "ttd-ctl push clientA"]),
            ("ttd-ctl", ["help", "badops"], ["USAGE: ttd-ctl badops <domain> [--vcpus2 <domain> ...] [--pv <domain> ...] [--running <domain> ...]",
                                             "END with reason DETACH", "Exit code 0 only when every answer is the documented one"]),
            ("ttd-ctl", ["help", "push"], ["USAGE: ttd-ctl push <domain> <text> [--wait <seconds>]", "Xen keeps up to 4096 bytes"]),
            ("ttd-ctl", ["help", "status"], ["USAGE: ttd-ctl status <domain>", "ring_waits"]),
            ("ttd-log-gen", ["--help"], ["SYNTHETIC", "generate (default)", "alter", "cut"]),
            ("ttd-log-gen", ["help", "generate"], ["SYNTHETIC", "--perturb <n>", "--no-close"]),
            ("ttd-log-gen", ["help", "alter"], ["USAGE: ttd-log-gen alter <in> <out>", "--record <n>", "--first <type>",
                                                "--after-landmark <l>", "--field <field>", "--add <k>", "CPUID: eax of the result"]),
            ("ttd-log-gen", ["help", "cut"], ["USAGE: ttd-log-gen cut <in> <out>", "--bytes <n>", "--at-landmark <l>",
                                              "FILE.incomplete"]),
        ]
        for (tool, args, wanted) in pins {
            let r = try runTool(tool, args)
            XCTAssertEqual(r.status, 0, "\(tool) \(args)")
            let text = r.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            for w in wanted {
                let ww = w.split(whereSeparator: \.isWhitespace).joined(separator: " ")
                XCTAssertTrue(text.contains(ww), "\(tool) \(args) lacks '\(w)':\n\(r.stdout)")
            }
        }
        // Every option of ttd-read-log has a long name, and the default
        // subcommand is said once ("print (default)").
        for sub in ["print", "stat", "verify", "diff"] {
            let r = try runTool("ttd-read-log", ["help", sub])
            for line in r.stdout.split(separator: "\n") where line.hasPrefix("  -") {
                XCTAssertTrue(line.contains("--"), "ttd-read-log \(sub): an option without a long name: \(line)")
            }
        }
        let root = try runTool("ttd-read-log", ["--help"])
        XCTAssertFalse(root.stdout.contains("default subcommand"), root.stdout)
    }
}
