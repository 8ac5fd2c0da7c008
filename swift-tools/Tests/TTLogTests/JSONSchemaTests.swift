import Foundation
import XCTest
@testable import TTLog
@testable import TTRender

/// `ttd-read-log --json` against its documentation: every line of every
/// record type validates against docs/log-record.schema.json (its payload
/// has the documented fields: the required ones, no others), the schema
/// knows every record type, and docs/log-json.md lists every field of the
/// schema.  The JSON is parsed here (numbers kept as written: 64-bit values
/// stay exact, a duplicate key is an error) and validated by the keywords
/// the schema uses.
final class JSONSchemaTests: XCTestCase {
    static var docs: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../docs").standardized
    }

    func schema() throws -> JSON {
        let text = try String(contentsOf: Self.docs.appendingPathComponent("log-record.schema.json"), encoding: .utf8)
        return try JSON.parse(text)
    }

    /// Records that between them have every field of every type: optional
    /// fields present and absent, every flag, every name.
    func records() -> [Record] {
        sampleRecords() + FastFormatTests.edgeRecords() + FastFormatTests.countedSynthetic(400, seed: 4)
    }

    func testEveryRecordLineValidatesAgainstTheSchema() throws {
        let schema = try schema()
        let dir = temporaryDirectory()
        let path = dir + "/all.log"
        let records = records()
        try writeLog(path, records, chunkSize: 2048)
        var seen: [String: Set<String>] = [:]           // type: payload fields met
        for args in [["--json"], ["--json", "-v"]] {
            let r = try runTool("ttd-read-log", args + ["-f", path])
            XCTAssertEqual(r.status, 0, r.stderr)
            let lines = r.stdout.split(separator: "\n")
            XCTAssertEqual(lines.count, records.count)
            for (line, record) in zip(lines, records) {
                let value = try JSON.parse(String(line))
                let problems = Validator(root: schema).validate(value, schema)
                XCTAssertEqual(problems, [], "\(line)")
                guard case .object(let o) = value, case .object(let payload)? = o["payload"] else {
                    XCTFail("not an object: \(line)")
                    continue
                }
                XCTAssertEqual(o["type"], .string(record.type.name))
                seen[record.type.name, default: []].formUnion(payload.keys)
                XCTAssertEqual(o["hex"] != nil, args.contains("-v"))
            }
        }
        // Every type met, with every field its schema allows.
        guard case .object(let defs)? = schema["$defs"] else { return XCTFail("no $defs") }
        for type in RecordType.allCases {
            let allowed = Self.fields(of: type.name, defs)
            XCTAssertFalse(type != .hlt && type != .pause && allowed.isEmpty, "\(type.name): no fields in the schema")
            XCTAssertEqual(seen[type.name], allowed, "\(type.name): the fields printed and those of the schema")
        }
        // The schema names exactly the record types there are.
        XCTAssertEqual(defs["typeName"]?["enum"], .array(RecordType.allCases.map { .string($0.name) }))
    }

    /// A payload's fields in the schema: the properties of its definition,
    /// or of each of its variants (oneOf).
    static func fields(of type: String, _ defs: [String: JSON]) -> Set<String> {
        func props(_ d: JSON?) -> Set<String> {
            guard let d else { return [] }
            if case .array(let variants)? = d["oneOf"] {
                return variants.reduce(into: Set<String>()) { acc, v in
                    if case .string(let r)? = v["$ref"] { acc.formUnion(props(defs[String(r.dropFirst("#/$defs/".count))])) }
                }
            }
            if case .object(let p)? = d["properties"] { return Set(p.keys) }
            return []
        }
        return props(defs["payload." + type])
    }

    func testTheSchemaRefusesWhatIsNotDocumented() throws {
        let schema = try schema()
        let good = #"{"type":"RDTSC","landmark":1,"rip":"0xffffffff81000000","rcx":"0x0000000000000000","branches":null,"payload":{"tsc":"0x0000000000000001"}}"#
        XCTAssertEqual(Validator(root: schema).validate(try JSON.parse(good), schema), [])
        let bad = [
            good.replacingOccurrences(of: #""tsc""#, with: #""tsc2""#),                    // unknown field
            good.replacingOccurrences(of: #","payload""#, with: #","extra":1,"payload""#),   // unknown top field
            good.replacingOccurrences(of: #""0x0000000000000001""#, with: #""0x1""#),         // not 16 digits
            good.replacingOccurrences(of: #""landmark":1"#, with: #""landmark":-1"#),
            good.replacingOccurrences(of: #""landmark":1"#, with: #""landmark":18446744073709551616"#),
            good.replacingOccurrences(of: #""branches":null"#, with: #""branches":"1""#),
            good.replacingOccurrences(of: #""RDTSC""#, with: #""PAUSE""#),                 // PAUSE has no field
            good.replacingOccurrences(of: #""RDTSC""#, with: #""RDTSC2""#),
            #"{"type":"INTERRUPT","landmark":1,"rip":"0xffffffff81000000","rcx":"0x0000000000000000","branches":null,"payload":{"kind":"upcall","vector":"0xf3","port":1,"placed":"signature"}}"#,
        ]
        for b in bad {
            XCTAssertNotEqual(Validator(root: schema).validate(try JSON.parse(b), schema), [], b)
        }
        XCTAssertThrowsError(try JSON.parse(#"{"a":1,"a":2}"#))
    }

    func testTheHeaderLineValidates() throws {
        let schema = try schema()
        let dir = temporaryDirectory()
        try writeLog(dir + "/h.log", sampleRecords())
        for log in [dir + "/h.log"] {
            let r = try runTool("ttd-read-log", ["--header", "--json", "-f", log])
            let first = try JSON.parse(String(r.stdout.split(separator: "\n")[0]))
            let header = schema["$defs"]!["header"]!
            XCTAssertEqual(Validator(root: schema).validate(first, header), [], r.stdout)
            let stat = try JSON.parse(try runTool("ttd-read-log", ["stat", "--json", "-f", log]).stdout)
            XCTAssertEqual(Validator(root: schema).validate(stat["header"]!, header), [])
        }
    }

    func testTheDocumentationListsEveryField() throws {
        let schema = try schema()
        let doc = try String(contentsOf: Self.docs.appendingPathComponent("log-json.md"), encoding: .utf8)
        guard case .object(let defs)? = schema["$defs"] else { return XCTFail("no $defs") }
        for type in RecordType.allCases {
            for field in Self.fields(of: type.name, defs) {
                XCTAssertTrue(doc.contains("| `\(type.name)` | `\(field)` |"), "log-json.md lacks \(type.name) \(field)")
            }
        }
        guard case .object(let top)? = schema["properties"] else { return XCTFail("no properties") }
        for field in top.keys { XCTAssertTrue(doc.contains("| `\(field)` |"), "log-json.md lacks \(field)") }
    }
}

// MARK: - JSON, parsed

enum JSON: Equatable {
    case object([String: JSON])
    case array([JSON])
    case string(String)
    /// As written: integers stay exact whatever their size.
    case number(String)
    case bool(Bool)
    case null

    subscript(key: String) -> JSON? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    struct Error: Swift.Error, CustomStringConvertible { let description: String }

    static func parse(_ text: String) throws -> JSON {
        var p = Parser(bytes: Array(text.utf8))
        let v = try p.value()
        p.space()
        guard p.i == p.bytes.count else { throw Error(description: "text after the value at \(p.i)") }
        return v
    }

    private struct Parser {
        let bytes: [UInt8]
        var i = 0

        mutating func space() { while i < bytes.count, [0x20, 0x0a, 0x0d, 0x09].contains(bytes[i]) { i += 1 } }

        mutating func expect(_ s: String) throws {
            for c in s.utf8 {
                guard i < bytes.count, bytes[i] == c else { throw Error(description: "expected \(s) at \(i)") }
                i += 1
            }
        }

        mutating func value() throws -> JSON {
            space()
            guard i < bytes.count else { throw Error(description: "end of text") }
            switch bytes[i] {
            case UInt8(ascii: "{"):
                i += 1
                var o: [String: JSON] = [:]
                space()
                if bytes[i] == UInt8(ascii: "}") { i += 1; return .object(o) }
                while true {
                    space()
                    guard case .string(let k) = try value() else { throw Error(description: "key at \(i)") }
                    space()
                    try expect(":")
                    guard o[k] == nil else { throw Error(description: "duplicate key \(k)") }
                    o[k] = try value()
                    space()
                    if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                    try expect("}")
                    return .object(o)
                }
            case UInt8(ascii: "["):
                i += 1
                var a: [JSON] = []
                space()
                if bytes[i] == UInt8(ascii: "]") { i += 1; return .array(a) }
                while true {
                    a.append(try value())
                    space()
                    if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                    try expect("]")
                    return .array(a)
                }
            case UInt8(ascii: "\""):
                i += 1
                var out: [UInt8] = []
                while true {
                    guard i < bytes.count else { throw Error(description: "unterminated string") }
                    let c = bytes[i]
                    i += 1
                    if c == UInt8(ascii: "\"") { break }
                    guard c >= 0x20 else { throw Error(description: "control character in a string") }
                    if c != UInt8(ascii: "\\") { out.append(c); continue }
                    let e = bytes[i]
                    i += 1
                    switch e {
                    case UInt8(ascii: "n"): out.append(0x0a)
                    case UInt8(ascii: "r"): out.append(0x0d)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0c)
                    case UInt8(ascii: "u"):
                        guard let v = UInt32(String(decoding: bytes[i..<(i + 4)], as: UTF8.self), radix: 16),
                              let s = Unicode.Scalar(v) else { throw Error(description: "bad \\u at \(i)") }
                        out += Array(String(Character(s)).utf8)
                        i += 4
                    default: out.append(e)      // \" \\ \/
                    }
                }
                return .string(String(decoding: out, as: UTF8.self))
            case UInt8(ascii: "t"): try expect("true"); return .bool(true)
            case UInt8(ascii: "f"): try expect("false"); return .bool(false)
            case UInt8(ascii: "n"): try expect("null"); return .null
            default:
                let start = i
                while i < bytes.count, "+-0123456789.eE".utf8.contains(bytes[i]) { i += 1 }
                let s = String(decoding: bytes[start..<i], as: UTF8.self)
                guard !s.isEmpty, Decimal(string: s) != nil else { throw Error(description: "bad value at \(start)") }
                return .number(s)
            }
        }
    }
}

// MARK: - JSON Schema, the keywords log-record.schema.json uses

struct Validator {
    let root: JSON

    /// What is wrong with `v` under `schema` (empty: valid).
    func validate(_ v: JSON, _ schema: JSON, at path: String = "$") -> [String] {
        guard case .object(let s) = schema else { return ["\(path): schema is not an object"] }
        var out: [String] = []
        if case .string(let ref)? = s["$ref"] {
            guard ref.hasPrefix("#/$defs/"), let d = root["$defs"]?[String(ref.dropFirst("#/$defs/".count))] else {
                return ["\(path): unknown $ref \(ref)"]
            }
            out += validate(v, d, at: path)
        }
        if let t = s["type"] {
            let types: [String]
            switch t {
            case .string(let one): types = [one]
            case .array(let a): types = a.compactMap { if case .string(let x) = $0 { return x } else { return nil } }
            default: types = []
            }
            if !types.contains(where: { Self.isOfType(v, $0) }) { out.append("\(path): not of type \(types)") }
        }
        if let c = s["const"], !Self.same(c, v) { out.append("\(path): not \(c)") }
        if case .array(let e)? = s["enum"], !e.contains(where: { Self.same($0, v) }) { out.append("\(path): not one of \(e)") }
        if case .string(let pattern)? = s["pattern"], case .string(let str) = v {
            if str.range(of: pattern, options: .regularExpression) == nil { out.append("\(path): \(str) does not match \(pattern)") }
        }
        if case .number(let n) = v, let x = Decimal(string: n) {
            if case .number(let m)? = s["minimum"], let min = Decimal(string: m), x < min { out.append("\(path): below \(m)") }
            if case .number(let m)? = s["maximum"], let max = Decimal(string: m), x > max { out.append("\(path): above \(m)") }
        }
        if case .object(let o) = v {
            let props: [String: JSON]
            if case .object(let p)? = s["properties"] { props = p } else { props = [:] }
            for (k, sub) in props { if let x = o[k] { out += validate(x, sub, at: path + "." + k) } }
            if case .array(let req)? = s["required"] {
                for case .string(let k) in req where o[k] == nil { out.append("\(path): lacks \(k)") }
            }
            if case .bool(false)? = s["additionalProperties"] {
                for k in o.keys where props[k] == nil { out.append("\(path): has \(k), not in the schema") }
            }
        }
        if case .array(let variants)? = s["oneOf"] {
            let matching = variants.filter { validate(v, $0, at: path).isEmpty }.count
            if matching != 1 { out.append("\(path): matches \(matching) of the oneOf variants, not 1") }
        }
        return out
    }

    static func isOfType(_ v: JSON, _ t: String) -> Bool {
        switch (t, v) {
        case ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool), ("null", .null): return true
        case ("number", .number): return true
        case ("integer", .number(let n)): return !n.contains(".") && !n.contains("e") && !n.contains("E")
        default: return false
        }
    }

    static func same(_ a: JSON, _ b: JSON) -> Bool {
        if case .number(let x) = a, case .number(let y) = b { return Decimal(string: x) == Decimal(string: y) }
        return a == b
    }
}
