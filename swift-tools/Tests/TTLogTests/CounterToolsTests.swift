import Foundation
import XCTest
@testable import TTLog
import TTTools

/// The counter of a recording as ttd-xl (time_travel's tt_counter) and
/// ttd-deviced (--counter) take it.
final class CounterToolsTests: XCTestCase {
    func testTimeTravelOptionCounter() throws {
        XCTAssertNil(try TimeTravelOption(parsing: "ttd_flag=1").counter)
        XCTAssertEqual(try TimeTravelOption(parsing: "ttd_flag=1, tt_counter=icount").counter, .icount)
        XCTAssertEqual(try TimeTravelOption(parsing: "tt_counter = none ,ttd_flag=1").counter, CounterChoice.none)
        let both = try TimeTravelOption(parsing: "ttd_flag=1, tt_replay_flag=1, tt_counter=auto")
        XCTAssertEqual(both.mode, .replay)
        XCTAssertEqual(both.counter, .auto)
        XCTAssertThrowsError(try TimeTravelOption(parsing: "ttd_flag=1, tt_counter=fast")) {
            XCTAssertTrue("\($0)".contains("tt_counter=fast: one of none, icount, branches, auto"), "\($0)")
        }
        XCTAssertThrowsError(try TimeTravelOption(parsing: "tt_counter=icount")) {
            XCTAssertTrue("\($0)".contains("tt_counter needs ttd_flag=1"), "\($0)")
        }
        XCTAssertEqual(CounterChoice.auto.attempts, [.instructions, .branches, .none])
        XCTAssertEqual(CounterChoice.branches.attempts, [.branches])
        XCTAssertEqual(CounterChoice.icount.attempts, [.instructions])
        XCTAssertEqual(CounterChoice.none.attempts, [Counter.none])
    }

    /// time_travel's KEY=VALUE options with a range: each bad value is
    /// refused naming it and the range, and the key needs ttd_flag=1.
    private func assertRefused(_ key: String, _ bad: [String], good: String, saying range: String,
                               file: StaticString = #filePath, line: UInt = #line) {
        for value in bad {
            XCTAssertThrowsError(try TimeTravelOption(parsing: "ttd_flag=1, \(key)=\(value)"), file: file, line: line) {
                XCTAssertTrue("\($0)".contains("\(key)=\(value): \(range)"), "\($0)", file: file, line: line)
            }
        }
        XCTAssertThrowsError(try TimeTravelOption(parsing: "\(key)=\(good)"), file: file, line: line) {
            XCTAssertTrue("\($0)".contains("\(key) needs ttd_flag=1"), "\($0)", file: file, line: line)
        }
    }

    /// tt_tsc_khz=N: the guest's TSC frequency for a recording (issue 9
    /// part 1 item 8: the log keeps it, a replay runs at it on any host).
    func testTimeTravelOptionTSCFrequency() throws {
        XCTAssertNil(try TimeTravelOption(parsing: "ttd_flag=1").tscKHz)
        XCTAssertEqual(try TimeTravelOption(parsing: "ttd_flag=1, tt_tsc_khz=1500000").tscKHz, 1_500_000)
        assertRefused("tt_tsc_khz", ["0", "999", "100000001", "fast", "-5"], good: "2000000",
                      saying: "the guest's TSC frequency in kHz, 1000..100000000")
        XCTAssertEqual(TTABI.tscKHzRange, 1_000...100_000_000)
    }

    /// tt_bound_us=N: the liveness bound of a recording without a counter
    /// (issue 11 item 8: a bound shorter than the guest's tick keeps its
    /// CPU-time accounting right).
    func testTimeTravelOptionBound() throws {
        XCTAssertNil(try TimeTravelOption(parsing: "ttd_flag=1").boundMicroseconds)
        XCTAssertEqual(try TimeTravelOption(parsing: "ttd_flag=1, tt_counter=none, tt_bound_us=2000").boundMicroseconds, 2_000)
        assertRefused("tt_bound_us", ["0", "99", "1000001", "short", "-1"], good: "2000",
                      saying: "the liveness bound in guest microseconds, 100..1000000")
        // ttd-deviced refuses one out of range before it goes near Xen.
        let dir = temporaryDirectory()
        let r = try runTool("ttd-deviced", ["-f", dir + "/ttd.log", "--domain", "7", "--bound-us", "50"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("--bound-us 50: the liveness bound in guest microseconds, 100..1000000"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/ttd.log.incomplete"))
    }

    func testDevicedAndXLTakeTheCounter() throws {
        let dir = temporaryDirectory()
        let bad = try runTool("ttd-deviced", ["--domain", "7", "--counter", "fast"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("--counter"), bad.stderr)
        // A good one gets as far as Xen (none here), and leaves no log.
        let d = try runTool("ttd-deviced", ["-f", dir + "/ttd.log", "--domain", "7", "--counter", "icount"])
        XCTAssertEqual(d.status, 1, d.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/ttd.log.incomplete"))
        let help = try runTool("ttd-deviced", ["--help"])
        XCTAssertTrue(help.stdout.contains("--counter <none|icount|branches|auto>"), help.stdout)
        let conf = dir + "/clientA.conf"
        try Data("name = \"clientA\"\ntype = \"pvh\"\nmemory = 96\nkernel = \"/boot/vmlinuz\"\n".utf8)
            .write(to: URL(fileURLWithPath: conf))
        let xl = try runTool("ttd-xl", ["create", conf, "time_travel=ttd_flag=1, tt_counter=fast"])
        XCTAssertEqual(xl.status, 1)
        XCTAssertTrue(xl.stderr.contains("tt_counter=fast: one of none, icount, branches, auto"), xl.stderr)
        let ok = try runTool("ttd-xl", ["create", conf, "time_travel=ttd_flag=1, tt_counter=icount"])
        XCTAssertEqual(ok.status, 1)
        XCTAssertTrue(ok.stderr.contains("libxl_ctx_alloc"), ok.stderr)
        let xhelp = try runTool("ttd-xl", ["help", "create"])
        XCTAssertTrue(xhelp.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
                        .contains("tt_counter=none|icount|branches|auto"), xhelp.stdout)
    }
}
