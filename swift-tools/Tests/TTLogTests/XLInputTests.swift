import Foundation
import XCTest
@testable import TTLog
import TTXen
@testable import ttd_xl

/// Issue 10: ttd-xl and ttd-deviced on bad input (no Xen on the test
/// machine: everything here fails before libxl, or at libxl_ctx_alloc).
final class XLInputTests: XCTestCase {
    func write(_ path: String, _ text: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    func lastLine(_ r: RunResult) -> String {
        String(r.stderr.split(separator: "\n").last ?? "")
    }

    func testMissingOrMalformedConfigIsOneLineWithLibxlutilsMessage() throws {
        let dir = temporaryDirectory()
        // In process: the error path and deinit no longer both free the config.
        XCTAssertThrowsError(try DomainConfig(path: dir + "/none.conf")) {
            XCTAssertTrue("\($0)".contains("No such file or directory"), "\($0)")
        }
        try write(dir + "/bad.conf", "name = \"a\"\nmemory = lots\n")
        XCTAssertThrowsError(try DomainConfig(path: dir + "/bad.conf")) {
            XCTAssertTrue("\($0)".contains("config parsing error near `lots'"), "\($0)")
        }
        let missing = try runTool("ttd-xl", ["create", dir + "/none.conf"])
        XCTAssertEqual(missing.status, 1, missing.stderr)       // was SIGSEGV (139)
        XCTAssertEqual(missing.stderr.split(separator: "\n").count, 1, missing.stderr)
        XCTAssertTrue(missing.stderr.hasPrefix("ttd-xl: \(dir)/none.conf: cannot read the domain config: No such file or directory"),
                      missing.stderr)
        XCTAssertTrue(missing.stderr.contains("libxlutil: \(dir)/none.conf: unable to open configuration file"), missing.stderr)
        let bad = try runTool("ttd-xl", ["create", dir + "/bad.conf"])
        XCTAssertEqual(bad.status, 1, bad.stderr)
        XCTAssertEqual(bad.stderr.split(separator: "\n").count, 1, bad.stderr)
        XCTAssertTrue(bad.stderr.contains("\(dir)/bad.conf:2: config parsing error near `lots': syntax error"), bad.stderr)
        let override = try runTool("ttd-xl", ["create", dir + "/bad.conf", "memory=[1"])
        XCTAssertEqual(override.status, 1, override.stderr)
    }

    func testNumbersThatAreNotAreRefusedNamingTheKey() throws {
        let dir = temporaryDirectory()
        let conf = dir + "/clientA.conf"
        try write(conf, "name = \"clientA\"\ntype = \"pvh\"\nmemory = \"lots\"\nkernel = \"/boot/vmlinuz\"\n")
        let lots = try runTool("ttd-xl", ["create", conf])
        XCTAssertEqual(lots.status, 1)
        XCTAssertTrue(lots.stderr.hasPrefix("ttd-xl: \(conf): memory: \"lots\" is not a number"), lots.stderr)
        XCTAssertTrue(lots.stderr.contains("libxlutil: \(conf):3: warning: parameter `memory' is not a valid number"), lots.stderr)
        try write(conf, "name = \"clientA\"\ntype = \"pvh\"\nmemory = 96\nkernel = \"/boot/vmlinuz\"\n")
        for (args, text) in [(["memory=abc"], "memory: \"abc\" is not a number"),
                             (["maxmem=1e3"], "maxmem: \"1e3\" is not a number"),
                             (["vcpus=0"], "vcpus: \"0\" is not a number from 1"),
                             (["hap=2"], "hap: \"2\" is not a number from 0 to 1"),
                             (["hap=yes"], "hap: \"yes\" is not a number")] {
            let r = try runTool("ttd-xl", ["create", conf] + args)
            XCTAssertEqual(r.status, 1, "\(args): \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
            XCTAssertTrue(r.stderr.hasPrefix("ttd-xl: \(conf): \(text)"), "\(args): \(r.stderr)")
        }
        // hap=0 and hap=1 are understood: they get as far as libxl.
        for hap in ["hap=0", "hap=1"] {
            let r = try runTool("ttd-xl", ["create", conf, hap])
            XCTAssertEqual(r.status, 1, r.stderr)
            XCTAssertTrue(lastLine(r).hasPrefix("ttd-xl: libxl_ctx_alloc"), "\(hap): \(r.stderr)")
        }
        try write(conf, "name = \"clientA\"\ntype = \"pvh\"\nhap = 0\nkernel = \"/boot/vmlinuz\"\n")
        let inFile = try runTool("ttd-xl", ["create", conf])
        XCTAssertTrue(lastLine(inFile).hasPrefix("ttd-xl: libxl_ctx_alloc"), inFile.stderr)
    }

    /// Every key xl create reads is honoured or refused with a reason,
    /// in one line naming it; a key xl does not know is refused as a typo.
    func testEveryXLKeyIsHonouredOrRefusedNamingIt() throws {
        let dir = temporaryDirectory()
        let conf = dir + "/clientA.conf"
        let base = "name = \"clientA\"\ntype = \"pvh\"\nkernel = \"/boot/vmlinuz\"\n"
        for (line, text) in [("pci = [ '01:00.0' ]", "key 'pci' refused: it passes host hardware into the domain"),
                             ("vnc = 1", "key 'vnc' refused: it configures an HVM guest's"),
                             ("cpuid = \"host,tm=0\"", "key 'cpuid' refused: it changes the virtual CPU"),
                             ("bootloader = \"pygrub\"", "key 'bootloader' refused: ttd-xl boots kernel= directly"),
                             ("vtpm = [ 'backend=0' ]", "key 'vtpm' refused: ttd-xl connects disks, vifs and the TT-io console only"),
                             ("on_watchdog = \"destroy\"", "key 'on_watchdog' refused: ttd-xl does not stay behind"),
                             ("memroy = 128", "key 'memroy' is not an xl.cfg key (xl would ignore it; a typo?)")] {
            try write(conf, base + line + "\n")
            let r = try runTool("ttd-xl", ["create", conf])
            XCTAssertEqual(r.status, 1, "\(line): \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
            XCTAssertTrue(r.stderr.hasPrefix("ttd-xl: \(conf): \(text)"), "\(line): \(r.stderr)")
        }
        // The same refusal for an override on the command line.
        try write(conf, base)
        let o = try runTool("ttd-xl", ["create", conf, "maxvcpus=2"])
        XCTAssertEqual(o.status, 1, o.stderr)
        XCTAssertTrue(o.stderr.hasPrefix("ttd-xl: \(conf): key 'maxvcpus' refused: ttd-xl does not place"), o.stderr)
        // A string key given a list.
        try write(conf, base + "ramdisk = [ \"/boot/initrd\" ]\n")
        let list = try runTool("ttd-xl", ["create", conf])
        XCTAssertEqual(list.status, 1, list.stderr)
        XCTAssertEqual(list.stderr, "ttd-xl: \(conf): ramdisk must be a string (ramdisk = \"...\"), not a list\n")
        // Every honoured key together gets past the checks, as far as libxl.
        try write(conf, base + "ramdisk = \"/boot/initrd\"\ncmdline = \"console=hvc0\"\nmemory = 128\nmaxmem = 128\n"
                  + "vcpus = 1\nhap = 1\non_poweroff = \"destroy\"\non_reboot = \"destroy\"\non_crash = \"destroy\"\n"
                  + "disk = [ 'phy:/dev/vg/a,xvda,w' ]\nvif = [ 'bridge=xenbr0' ]\n")
        let ok = try runTool("ttd-xl", ["create", conf])
        XCTAssertEqual(ok.status, 1, ok.stderr)
        XCTAssertTrue(lastLine(ok).hasPrefix("ttd-xl: libxl_ctx_alloc"), ok.stderr)
    }

    /// The table covers every key Xen 4.17's xl_parse.c reads (a sample
    /// from each family), and refuses none that ttd-xl honours.
    func testTheKeyTableKnowsXLsKeys() {
        for k in ["acpi", "bios", "boot", "builder", "channel", "cpus", "device_model_version", "dtdev", "e820_host",
                  "gic_version", "iomem", "max_grant_frames", "nestedhvm", "p9", "pool", "pvshim", "seclabel",
                  "serial", "soundhw", "spice", "tsc_mode", "usbdev", "uuid", "vfb", "viridian", "vif2", "vnuma",
                  "vpmu", "vsnd", "vuart", "xen_platform_pci"] {
            guard case .refused(let why)? = xlConfigKeys[k] else { return XCTFail("\(k): not refused") }
            XCTAssertFalse(why.isEmpty, k)
        }
        for k in stringKeys where k != "time_travel" { XCTAssertEqual(xlConfigKeys[k], .honoured, k) }
        XCTAssertNil(refusal(ofKey: "time_travel", in: "c.conf"))
        XCTAssertEqual(xlConfigKeys.count, 158)
    }

    func testConsoleTakesANameOrAnID() throws {
        let byID = try runTool("ttd-xl", ["console", "4242"])
        XCTAssertEqual(byID.status, 1)
        XCTAssertEqual(byID.stderr, "ttd-xl: domain 4242 has no TT-io console (not recorded by ttd-deviced with --console-pty); try xl console 4242\n")
        // A name goes to libxl (here there is none: one last line, not a usage error).
        let byName = try runTool("ttd-xl", ["console", "clientA"])
        XCTAssertEqual(byName.status, 1, byName.stderr)
        XCTAssertTrue(lastLine(byName).hasPrefix("ttd-xl: "), byName.stderr)
        XCTAssertFalse(byName.stderr.contains("Usage"), byName.stderr)
    }

    func testARecordingNeverOverwritesALog() throws {
        let dir = temporaryDirectory()
        let log = dir + "/rec.ttlog"
        // LogClaim: refused while FILE or FILE.incomplete exists, unless overwrite.
        try write(log, "old")
        XCTAssertThrowsError(try LogClaim(path: log, overwrite: false)) {
            XCTAssertTrue("\($0)".contains("exists already; a recording never overwrites a log"), "\($0)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: log + ".incomplete"))
        let forced = try LogClaim(path: log, overwrite: true)
        // Another writer of the same FILE.incomplete: refused even with overwrite.
        XCTAssertThrowsError(try LogClaim(path: log, overwrite: true)) {
            XCTAssertTrue("\($0)".contains("another process is writing this log"), "\($0)")
        }
        forced.release()           // released before writing: nothing replaced, nothing left
        XCTAssertEqual(try String(contentsOfFile: log, encoding: .utf8), "old")
        XCTAssertFalse(FileManager.default.fileExists(atPath: log + ".incomplete"))
        let w = try LogWriter(claim: try LogClaim(path: log, overwrite: true), header: testHeader())
        XCTAssertFalse(FileManager.default.fileExists(atPath: log))    // replaced once writing starts
        for r in sampleRecords() { try w.append(r) }
        try w.close()
        XCTAssertEqual(try readAll(log).0, sampleRecords())
        try FileManager.default.removeItem(atPath: log)
        try write(log + ".incomplete", "crashed")
        XCTAssertThrowsError(try LogClaim(path: log, overwrite: false)) {
            XCTAssertTrue("\($0)".contains("rec.ttlog.incomplete: exists already (a recording cut short"), "\($0)")
        }
        XCTAssertEqual(try String(contentsOfFile: log + ".incomplete", encoding: .utf8), "crashed")
        XCTAssertThrowsError(try LogClaim(path: dir + "/no/such/dir/x.ttlog", overwrite: false)) {
            XCTAssertTrue("\($0)".contains("cannot create the log"), "\($0)")
        }

        // ttd-deviced: one line, before anything else (no Xen needed to see it), the file untouched.
        try FileManager.default.removeItem(atPath: log + ".incomplete")
        try write(log, "old")
        for f in [log, log + ".incomplete"] {
            let d = try runTool("ttd-deviced", ["-f", log, "--domain", "7"])
            XCTAssertEqual(d.status, 1, d.stderr)
            XCTAssertEqual(d.stderr.split(separator: "\n").count, 1, d.stderr)
            XCTAssertTrue(d.stderr.hasPrefix("ttd-deviced: \(f): exists already"), d.stderr)
            XCTAssertTrue(d.stderr.contains("--force"), d.stderr)
            if f == log { try FileManager.default.moveItem(atPath: log, toPath: log + ".incomplete") }
        }
        try FileManager.default.removeItem(atPath: log + ".incomplete")
        let unwritable = try runTool("ttd-deviced", ["-f", dir + "/no/such/dir/x.ttlog", "--domain", "7"])
        XCTAssertEqual(unwritable.status, 1, unwritable.stderr)
        XCTAssertEqual(unwritable.stderr, "ttd-deviced: \(dir)/no/such/dir/x.ttlog.incomplete: cannot create the log: No such file or directory (errno 2)\n")
        // --force gets past the log (and fails at libxl here), leaving the old log as it was.
        try write(log, "old")
        let force = try runTool("ttd-deviced", ["-f", log, "--domain", "7", "--force"])
        XCTAssertEqual(force.status, 1, force.stderr)
        XCTAssertFalse(force.stderr.contains("exists already"), force.stderr)
        XCTAssertEqual(try String(contentsOfFile: log, encoding: .utf8), "old")
        XCTAssertFalse(FileManager.default.fileExists(atPath: log + ".incomplete"))

        // ttd-xl: refused before any domain is created; --force passes on.
        let conf = dir + "/clientA.conf"
        try write(conf, "name = \"clientA\"\ntype = \"pvh\"\nmemory = 96\nkernel = \"/boot/vmlinuz\"\n")
        let xl = try runTool("ttd-xl", ["create", conf, "time_travel=ttd_flag=1", "--log", log])
        XCTAssertEqual(xl.status, 1, xl.stderr)
        XCTAssertEqual(xl.stderr, "ttd-xl: \(log) exists already; a recording never overwrites a log (remove it, "
                       + "or give --force to replace it); no domain created\n")
        let xlForce = try runTool("ttd-xl", ["create", conf, "time_travel=ttd_flag=1", "--log", log, "--force"])
        XCTAssertEqual(xlForce.status, 1, xlForce.stderr)
        XCTAssertTrue(lastLine(xlForce).hasPrefix("ttd-xl: libxl_ctx_alloc"), xlForce.stderr)
        // An ordinary domain or a replay does not care.
        let plain = try runTool("ttd-xl", ["create", conf, "--log", log])
        XCTAssertTrue(lastLine(plain).hasPrefix("ttd-xl: libxl_ctx_alloc"), plain.stderr)
    }
}
