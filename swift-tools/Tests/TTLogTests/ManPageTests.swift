import Foundation
import XCTest

/// The man pages are made from each tool's --experimental-dump-help
/// (swift-argument-parser's generate-manual, man-page.sh): what it reads.
final class ManPageTests: XCTestCase {
    func testDumpHelpOfTheInstalledTools() throws {
        for (tool, subcommands) in [("ttd-xl", ["console", "create"]), ("ttd-deviced", []),
                                    ("ttd-read-log", ["console", "diff", "print", "stat", "verify"]),
                                    ("ttd-ctl", ["attach", "badops", "detach", "push", "status"])] {
            let r = try runTool(tool, ["--experimental-dump-help"])
            XCTAssertEqual(r.status, 0, "\(tool): \(r.stderr)")
            let o = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], tool)
            XCTAssertEqual(o["serializationVersion"] as? Int, 0, tool)
            let command = try XCTUnwrap(o["command"] as? [String: Any], tool)
            XCTAssertEqual(command["commandName"] as? String, tool)
            XCTAssertFalse((command["abstract"] as? String ?? "").isEmpty, tool)
            let names = ((command["subcommands"] as? [[String: Any]]) ?? []).compactMap { $0["commandName"] as? String }
            for s in subcommands { XCTAssertTrue(names.contains(s), "\(tool) lacks \(s): \(names)") }
        }
    }
}
