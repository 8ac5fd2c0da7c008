import XCTest
@testable import TTLog
import TTXen

/// The pieces of ttd-deviced and ttd-xl that run without Xen.
final class RecordToolsTests: XCTestCase {
    func hex(_ b: [UInt8]) -> String { b.map { String(format: "%02x", $0) }.joined() }

    func testSHA256() throws {
        XCTAssertEqual(hex({ var s = SHA256(); return s.finish() }()),
                       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        var s = SHA256()
        s.update(Array("abc".utf8))
        XCTAssertEqual(hex(s.finish()), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        // Fed in odd pieces across block boundaries.
        let text = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        var t = SHA256()
        t.update(Array(text[0..<3])); t.update(Array(text[3..<50])); t.update(Array(text[50...]))
        XCTAssertEqual(hex(t.finish()), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        var m = SHA256()
        let a = [UInt8](repeating: 0x61, count: 1000)
        for _ in 0..<1000 { m.update(a) }
        XCTAssertEqual(hex(m.finish()), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        let dir = temporaryDirectory()
        try Data(text).write(to: URL(fileURLWithPath: dir + "/f"))
        XCTAssertEqual(hex(try SHA256.file(dir + "/f")), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    func testConfigKeys() {
        let text = """
            # clientA.conf
            name    = "clientA"   # a comment with key = value
            type="pvh"; memory = 96
            disk = [ 'phy:/dev/vg/x,xvda,w',
                     'file:/a=b,xvdb,w' ]
            extra = "console=hvc0 a=[b]"
            #time_travel = "ttd_flag=1"
            vif = [ 'ip=10.0.0.1, script=vif-nat' ]
            """
        XCTAssertEqual(configKeys(text), ["name", "type", "memory", "disk", "extra", "vif"])
    }
}
