import Foundation
import XCTest

/// ttd-ctl on bad input and without Xen (the test host has none): one line
/// on standard error naming the cause, a non-zero exit, nothing else.
final class CtlTests: XCTestCase {
    func testBadInputIsOneLine() throws {
        let big = String(repeating: "x", count: 4097)
        for (args, code, text) in [
            (["push", "5", big], Int32(64), "4097 bytes of input: Xen's queue holds 4096; push it in parts"),
            (["push", "5", "x", "--wait=-1"], 64, "--wait -1: a number of seconds, 0 or more"),
            (["status", "40000"], 1, "domain 40000: not a domain id"),
            (["badops"], 64, "Missing expected argument '<domain>'"),
            (["status", "5"], 1, "ttd-ctl: "),
            (["push", "5", "ls\\n"], 1, "ttd-ctl: "),
        ] as [([String], Int32, String)] {
            let r = try runTool("ttd-ctl", args)
            XCTAssertEqual(r.status, code, "\(args.prefix(2)): \(r.stderr)")
            XCTAssertEqual(r.stdout, "", "\(args.prefix(2))")
            XCTAssertTrue(r.stderr.contains(text), "\(args.prefix(2)): \(r.stderr)")
            if code == 1 {
                XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, "\(args.prefix(2)): \(r.stderr)")
            }
        }
    }

    /// Without Xen the first hypercall handle fails: the line says what to do.
    func testWithoutXenSaysWhy() throws {
        let r = try runTool("ttd-ctl", ["detach", "3"])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.hasPrefix("ttd-ctl: xencall_open: "), r.stderr)
        XCTAssertTrue(r.stderr.contains("dom0 of a Xen host"), r.stderr)
    }
}
