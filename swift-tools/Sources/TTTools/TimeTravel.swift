// The seed's time_travel option: time_travel="ttd_flag=1[, tt_replay_flag=1]".

import TTLog

public struct TimeTravelOption: Equatable {
    public var enabled = false
    public var replay = false
    public var mode: Mode { !enabled ? .none : (replay ? .replay : .record) }

    /// Parses "ttd_flag=1, tt_replay_flag=1" (spaces optional, any order).
    public init(parsing text: String) throws(TimeTravelError) {
        for item in text.split(separator: ",") {
            let kv = item.split(separator: "=", maxSplits: 1).map { $0.trimmingSpaces }
            guard kv.count == 2, let v = Int(kv[1]), v == 0 || v == 1 else {
                throw TimeTravelError(text: text, detail: "'\(item.trimmingSpaces)' is not KEY=0 or KEY=1")
            }
            switch kv[0] {
            case "ttd_flag": enabled = v == 1
            case "tt_replay_flag": replay = v == 1
            default: throw TimeTravelError(text: text, detail: "unknown key '\(kv[0])' (known: ttd_flag, tt_replay_flag)")
            }
        }
        if replay && !enabled {
            throw TimeTravelError(text: text, detail: "tt_replay_flag=1 needs ttd_flag=1")
        }
    }
}

public struct TimeTravelError: Error, CustomStringConvertible {
    public let text: String
    public let detail: String
    public var description: String { "time_travel=\"\(text)\": \(detail)" }
}

extension Substring {
    var trimmingSpaces: String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}
