import Foundation
import XCTest
@testable import TTLog
import TTXen

/// Issue 10: ttd-xl create -n (libxl's JSON of the domain config, what
/// would be done, nothing created: no Xen needed), -q and -V.
final class DryRunTests: XCTestCase {
    func write(_ path: String, _ text: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    /// A config with every kind of key ttd-xl knows.
    func config(_ dir: String) throws -> String {
        let conf = dir + "/clientA.conf"
        try write(dir + "/vmlinuz", "kernel")
        try write(conf, """
            name = "clientA"
            type = "pvh"
            kernel = "\(dir)/vmlinuz"
            extra = "console=hvc0"
            memory = 96
            vcpus = 1
            disk = [ 'format=raw, vdev=xvda, access=rw, target=\(dir)/disk.img' ]
            vif = [ 'bridge=xenbr0,mac=00:16:3e:00:00:01' ]
            on_crash = "preserve"

            """)
        return conf
    }

    func json(_ text: String) throws -> [String: Any] {
        let o = try JSONSerialization.jsonObject(with: Data(text.utf8))
        return try XCTUnwrap(o as? [String: Any], text)
    }

    func testDryRunPrintsLibxlsJSONAndCreatesNothing() throws {
        let dir = temporaryDirectory()
        let conf = try config(dir)
        let r = try runTool("ttd-xl", ["create", "-n", conf, "memory=128"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertFalse(r.stderr.contains("libxl_ctx_alloc"), r.stderr)
        let j = try json(r.stdout)
        let cInfo = try XCTUnwrap(j["c_info"] as? [String: Any])
        XCTAssertEqual(cInfo["name"] as? String, "clientA")
        XCTAssertEqual(cInfo["type"] as? String, "pvh")
        let bInfo = try XCTUnwrap(j["b_info"] as? [String: Any])
        XCTAssertEqual(bInfo["target_memkb"] as? Int, 128 * 1024, "the override applies")
        XCTAssertEqual(bInfo["max_memkb"] as? Int, 128 * 1024)
        XCTAssertEqual(bInfo["max_vcpus"] as? Int, 1)
        XCTAssertEqual(bInfo["avail_vcpus"] as? [Int], [0])
        XCTAssertEqual(bInfo["kernel"] as? String, dir + "/vmlinuz")
        XCTAssertEqual(bInfo["cmdline"] as? String, "console=hvc0")
        let disks = try XCTUnwrap(j["disks"] as? [[String: Any]])
        XCTAssertEqual(disks.first?["pdev_path"] as? String, dir + "/disk.img")
        XCTAssertEqual(disks.first?["vdev"] as? String, "xvda")
        let nics = try XCTUnwrap(j["nics"] as? [[String: Any]])
        XCTAssertEqual(nics.first?["mac"] as? String, "00:16:3e:00:00:01")
        XCTAssertEqual(nics.first?["bridge"] as? String, "xenbr0")
        XCTAssertEqual(j["on_crash"] as? String, "preserve")
        XCTAssertTrue(r.stderr.contains("ttd-xl: dry run: would create domain clientA (pvh, 1 vCPU, 128 MiB) paused"), r.stderr)
        XCTAssertTrue(r.stderr.contains("ttd-xl: dry run: time_travel: none (an ordinary domain)"), r.stderr)
        XCTAssertTrue(r.stderr.hasSuffix("ttd-xl: dry run: nothing created\n"), r.stderr)

        // -q: the JSON only.
        let q = try runTool("ttd-xl", ["create", conf, "--dry-run", "-q"])
        XCTAssertEqual(q.status, 0, q.stderr)
        XCTAssertEqual(q.stderr, "")
        XCTAssertEqual(try json(q.stdout)["on_crash"] as? String, "preserve")

        // The checks still apply: refused in one line, nothing on standard output.
        let two = try runTool("ttd-xl", ["create", "-n", conf, "time_travel=ttd_flag=1", "vcpus=2"])
        XCTAssertEqual(two.status, 1, two.stderr)
        XCTAssertEqual(two.stdout, "")
        XCTAssertEqual(two.stderr, "ttd-xl: \(conf): time travel needs vcpus = 1 (this config has vcpus = 2)\n")
        let exists = dir + "/old.ttlog"
        try write(exists, "old")
        let old = try runTool("ttd-xl", ["create", "-n", conf, "time_travel=ttd_flag=1", "--log", exists])
        XCTAssertEqual(old.status, 1, old.stderr)
        XCTAssertTrue(old.stderr.hasPrefix("ttd-xl: \(exists) exists already"), old.stderr)
    }

    func testDryRunOfARecordingSaysTheTimeTravelSettings() throws {
        let dir = temporaryDirectory()
        let conf = try config(dir)
        let log = dir + "/rec.ttlog"
        let r = try runTool("ttd-xl", ["create", "-n", conf, "time_travel=ttd_flag=1, tt_counter=icount", "--log", log, "-p", "-c"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try json(r.stdout)["c_info"].flatMap { $0 as? [String: Any] }?["name"] as? String, "clientA")
        for w in ["dry run: time_travel: record (ttd_flag=1), counter icount",
                  "dry run: records into \(log)",
                  "ttd-deviced --domain ID --console-pty --ready-fd N --config \(conf)",
                  "-f \(log) --counter icount --kernel \(dir)/vmlinuz --console-file ",
                  "would leave the domain paused (-p)", "would attach to its console (-c)", "dry run: nothing created"] {
            XCTAssertTrue(r.stderr.contains(w), "lacks '\(w)':\n\(r.stderr)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: log))
        XCTAssertFalse(FileManager.default.fileExists(atPath: log + ".incomplete"))
    }

    func testDryRunOfAReplayChecksTheLogHeader() throws {
        let dir = temporaryDirectory()
        let conf = try config(dir)
        var h = testHeader()
        h.kernelSHA256 = try SHA256.file(dir + "/vmlinuz")
        h.initrdSHA256 = []
        h.configSHA256 = try SHA256.file(conf)
        try writeLog(dir + "/clientA.ttlog", [], header: h)
        let args = ["create", "-n", conf, "time_travel=ttd_flag=1, tt_replay_flag=1", "--log", dir + "/clientA.ttlog"]
        let r = try runTool("ttd-xl", args)
        XCTAssertEqual(r.status, 0, r.stderr)
        for w in ["dry run: time_travel: replay (ttd_flag=1, tt_replay_flag=1)",
                  "dry run: replays \(dir)/clientA.ttlog: kernel, ramdisk and config match its header; its memory (96 MiB)",
                  "--replay -f \(dir)/clientA.ttlog --result-fd N",
                  "would unpause the domain and wait for the replay's result"] {
            XCTAssertTrue(r.stderr.contains(w), "lacks '\(w)':\n\(r.stderr)")
        }
        try write(dir + "/vmlinuz", "another kernel")
        let other = try runTool("ttd-xl", args)
        XCTAssertEqual(other.status, 1, other.stderr)
        XCTAssertEqual(other.stdout, "")
        XCTAssertTrue(other.stderr.hasPrefix("ttd-xl: replay refused: kernel \(dir)/vmlinuz has SHA-256 "), other.stderr)
    }

    func testQuietAndVerbose() throws {
        let dir = temporaryDirectory()
        let conf = try config(dir)
        let v = try runTool("ttd-xl", ["create", "-n", "-V", conf, "time_travel=ttd_flag=1"])
        XCTAssertEqual(v.status, 0, v.stderr)
        XCTAssertTrue(v.stderr.hasPrefix("ttd-xl: \(conf): domain clientA: type pvh, memory 96 MiB, vcpus 1, hap libxl's default, "
                                         + "kernel \(dir)/vmlinuz, ramdisk none, cmdline \"console=hvc0\", 1 disk(s), 1 vif(s)"),
                      v.stderr)
        XCTAssertTrue(v.stderr.contains("ttd-xl: time_travel: record (ttd_flag=1), counter auto"), v.stderr)
        let both = try runTool("ttd-xl", ["create", "-n", "-q", "-V", conf])
        XCTAssertEqual(both.status, 64, both.stderr)
        XCTAssertTrue(both.stderr.contains("-q/--quiet and -V/--verbose exclude each other"), both.stderr)
        // Without Xen the real thing still stops at libxl, -q or not.
        let q = try runTool("ttd-xl", ["create", "-q", conf])
        XCTAssertEqual(q.status, 1)
        XCTAssertTrue(q.stderr.split(separator: "\n").last!.hasPrefix("ttd-xl: libxl_ctx_alloc"), q.stderr)
        let c = try runTool("ttd-xl", ["console", "-q", "4242"])
        XCTAssertEqual(c.stderr, "ttd-xl: domain 4242 has no TT-io console (not recorded by ttd-deviced with --console-pty); try xl console 4242\n")
        for (args, wanted) in [(["help", "create"], ["-n, --dry-run", "-q, --quiet", "-V, --verbose", "as libxl's JSON"]),
                               (["help", "console"], ["-q, --quiet", "-V, --verbose", "libxl_name_to_domid"])] {
            let h = try runTool("ttd-xl", args)
            let text = h.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            for w in wanted { XCTAssertTrue(text.contains(w), "\(args) lacks '\(w)':\n\(h.stdout)") }
        }
    }

    /// In process: the vCPU bitmap ttd-xl allocates without a libxl context.
    func testConfigJSONWithSeveralVCPUs() throws {
        let dir = temporaryDirectory()
        let conf = try config(dir)
        var spec = DomainSpec()
        spec.name = "many"
        spec.vcpus = 10
        spec.memoryMB = 64
        spec.maxMemoryMB = 256
        spec.hap = false
        let j = try json(try LibXL.configJSON(spec, diskConfig: try DomainConfig(path: conf)))
        let bInfo = try XCTUnwrap(j["b_info"] as? [String: Any])
        XCTAssertEqual(bInfo["avail_vcpus"] as? [Int], Array(0..<10))
        XCTAssertEqual(bInfo["max_vcpus"] as? Int, 10)
        XCTAssertEqual(bInfo["max_memkb"] as? Int, 256 * 1024)
        XCTAssertEqual((j["c_info"] as? [String: Any])?["hap"] as? String, "False")
    }
}
