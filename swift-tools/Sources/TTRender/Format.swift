// Text and JSON renderings of records and headers, built from their
// decoded fields (`Record.fields`, TTLog): ttd-read-log's diff and header,
// and the reference FastFormat.swift's lines are tested against.
//
// Lines never contain file offsets, chunk numbers or anything else that
// differs between a recording and its replay, so that the output of the two
// logs lines up record for record (vimdiff -R orig.run replay.run).

import TTLog

extension FieldValue {
    /// The value in JSON.
    public var json: String {
        switch self {
        case .unsigned(let v): return String(v)
        case .signed(let v): return String(v)
        case .hex(let v, let w): return "\"" + TTLog.hex(v, width: w) + "\""
        case .text(let s): return jsonString(s)
        case .bytes(let b): return "\"" + hexBytes(b) + "\""
        }
    }
}

public func jsonString(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if u.value < 0x20 {
                let h = String(u.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
            } else {
                out.unicodeScalars.append(u)
            }
        }
    }
    return out + "\""
}

extension Record {
    /// "lm:12 ip:0xffffffff81000000 TYPE": the position and type.
    public var shortLine: String { shortLine(counter: .none) }

    /// The short line, the count labelled for `counter` (`n:` instructions, else `br:`).
    public func shortLine(counter: Counter) -> String {
        var s = "lm:\(position.landmark) ip:\(hex(position.rip))"
        if let b = position.branches { s += " \(counter.label):\(b)" }
        return s + " " + type.name
    }

    /// The -i line: position, type and decoded payload.
    public var infoLine: String { infoLine(counter: .none) }

    /// The -i line, the counts labelled for `counter`.
    public func infoLine(counter: Counter) -> String {
        var s = "lm:\(position.landmark) ip:\(hex(position.rip)) rcx:\(hex(position.rcx))"
        if let b = position.branches { s += " \(counter.label):\(b)" }
        s += " " + type.name
        if outside { s += " [outside]" }
        for f in fields where !(type == .interrupt && Registers.fieldNames.contains(f.name)) {
            s += " \(textName(f.name, counter))=\(f.value.text)"
        }
        return s
    }

    /// A field's name in text: a divergence's `expected_br` is `expected_n`
    /// with the instruction counter (JSON keeps the one name).
    private func textName(_ name: String, _ counter: Counter) -> String {
        guard type == .divergence, name.hasSuffix("_br"), counter.label != "br" else { return name }
        return String(name.dropLast(2)) + counter.label
    }

    /// The -v lines: every field, the register signature, the payload in hex.
    public var verboseLines: [String] { verboseLines(counter: .none) }

    /// The -v lines, the counts labelled for `counter`.
    public func verboseLines(counter: Counter) -> [String] {
        var lines: [String] = []
        let bytes = encoded()
        lines.append("    type=\(hex(UInt64(type.rawValue), width: 4)) flags=\(hex(UInt64(flags.rawValue), width: 4)) "
                     + "payload_len=\(bytes.count >= 8 ? Int(bytes.withUnsafeBytes { $0.le(4, as: UInt32.self) }) : 0) "
                     + "\(counter.longLabel)=\(position.branches.map(String.init) ?? "invalid")")
        for f in fields {
            switch f.value {
            case .bytes(let b): lines.append("    \(f.name): \(b.count) bytes " + quoted(b, limit: 256))
            default: lines.append("    \(textName(f.name, counter))=\(f.value.text)")
            }
        }
        let payload = Array(bytes.dropFirst(TTABI.recordHeaderSize))
        var o = 0
        while o < payload.count {
            let line = payload[o..<min(o + 16, payload.count)]
            lines.append("    " + hex(UInt64(o), width: 4) + ": " + line.map { hexBytes([$0]) }.joined(separator: " "))
            o += 16
        }
        return lines
    }

    /// One JSON object.  `branches` is the position's count whatever the
    /// counter (DOMAIN_START's `counter` names it), null without one.
    public func json(verbose: Bool = false) -> String {
        var s = "{\"type\":\"\(type.name)\",\"landmark\":\(position.landmark),\"rip\":\"\(hex(position.rip))\","
            + "\"rcx\":\"\(hex(position.rcx))\",\"branches\":\(position.branches.map(String.init) ?? "null")"
        if outside { s += ",\"outside\":true" }
        s += ",\"payload\":{" + fields.map { jsonString($0.name) + ":" + $0.value.json }.joined(separator: ",") + "}"
        if verbose { s += ",\"hex\":\"" + hexBytes(encoded()) + "\"" }
        return s + "}"
    }
}

extension LogHeader {
    /// "name: value" lines for ttd-read-log stat and --header.
    public var fields: [Field] {
        var f = [Field("mode", .text(mode.name)), Field("xen_version", .text(xenVersion)),
                 Field("guest", .text(guestName)), Field("memory_bytes", .unsigned(memoryBytes)),
                 Field("interface_version", .unsigned(UInt64(interfaceVersion))),
                 Field("start_time", .text(startTimeNanoseconds == 0 ? "unknown" : iso8601(nanoseconds: startTimeNanoseconds))),
                 Field("kernel_sha256", .text(hexBytes(kernelSHA256))), Field("initrd_sha256", .text(hexBytes(initrdSHA256))),
                 Field("config_sha256", .text(hexBytes(configSHA256))), Field("cpuid_leaves", .unsigned(UInt64(cpuidPolicy.count))),
                 Field("log_id", .text(hexBytes(logID))), Field("tool_version", .text(toolVersion))]
        if !originalLogID.isEmpty { f.append(Field("original_log_id", .text(hexBytes(originalLogID)))) }
        if synthetic { f.append(Field("synthetic", .text("yes: generated by ttd-log-gen, not a recording"))) }
        return f
    }
}
