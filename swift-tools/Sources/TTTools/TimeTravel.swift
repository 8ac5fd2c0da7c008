// The seed's time_travel option: time_travel="ttd_flag=1[, tt_replay_flag=1]",
// and ours: tt_counter=none|icount|branches|auto, tt_tsc_khz=N, tt_bound_us=N.

import TTLog

/// What a recording asks Xen to count between landmarks (ttd-deviced
/// --counter, ttd-xl's tt_counter): `none`, `icount` (guest instructions:
/// Xen booted with tt_counter=icount under QEMU -icount), or `auto`
/// (icount when the host offers it, else none).
public enum CounterChoice: String, CaseIterable, Sendable {
    case none, icount, branches, auto

    /// The counters to attach with, in order: `auto` tries icount (the
    /// lab's), then branches (the host PMU's), then none.
    public var attempts: [Counter] {
        switch self {
        case .none: return [.none]
        case .icount: return [.instructions]
        case .branches: return [.branches]
        case .auto: return [.instructions, .branches, .none]
        }
    }

    /// How a host comes to offer a counter (Xen's boot options), for errors.
    public static let howOffered = "guest instructions: Xen booted with tt_counter=icount under QEMU -icount shift=0; "
        + "guest branches: Xen booted with tt_counter=branches on an AMD SVM host whose PMU nothing else uses"
}

public struct TimeTravelOption: Equatable {
    public var enabled = false
    public var replay = false
    /// tt_counter= (recording; nil: not given, ttd-deviced's default).
    public var counter: CounterChoice? = nil
    /// tt_tsc_khz= (recording; nil: the host's): the guest's TSC frequency.
    public var tscKHz: UInt32? = nil
    /// tt_bound_us= (recording; nil: Xen's default): how long an interrupt
    /// may be held for a landmark when there is no counter.
    public var boundMicroseconds: UInt32? = nil
    public var mode: Mode { !enabled ? .none : (replay ? .replay : .record) }

    /// Parses "ttd_flag=1, tt_replay_flag=1, tt_counter=icount" (spaces
    /// optional, any order).
    public init(parsing text: String) throws(TimeTravelError) {
        for item in text.split(separator: ",") {
            let kv = item.split(separator: "=", maxSplits: 1).map { $0.trimmingSpaces }
            if kv.count == 2, kv[0] == "tt_counter" {
                guard let c = CounterChoice(rawValue: kv[1]) else {
                    throw TimeTravelError(text: text, detail: "tt_counter=\(kv[1]): one of "
                                          + CounterChoice.allCases.map(\.rawValue).joined(separator: ", "))
                }
                counter = c
                continue
            }
            // Numbers within Xen's ranges, refused naming the range.
            func ranged(_ range: ClosedRange<UInt64>, _ what: String) throws(TimeTravelError) -> UInt32 {
                guard let v = UInt32(kv[1]), range.contains(UInt64(v)) else {
                    throw TimeTravelError(text: text, detail: "\(kv[0])=\(kv[1]): \(what), "
                                          + "\(range.lowerBound)..\(range.upperBound)")
                }
                return v
            }
            if kv.count == 2, kv[0] == "tt_tsc_khz" {
                tscKHz = try ranged(TTABI.tscKHzRange, "the guest's TSC frequency in kHz")
                continue
            }
            if kv.count == 2, kv[0] == "tt_bound_us" {
                let r = TTABI.boundMicrosecondsRange
                boundMicroseconds = try ranged(UInt64(r.lowerBound)...UInt64(r.upperBound),
                                               "the liveness bound in guest microseconds")
                continue
            }
            guard kv.count == 2, let v = Int(kv[1]), v == 0 || v == 1 else {
                throw TimeTravelError(text: text, detail: "'\(item.trimmingSpaces)' is not KEY=0 or KEY=1")
            }
            switch kv[0] {
            case "ttd_flag": enabled = v == 1
            case "tt_replay_flag": replay = v == 1
            default: throw TimeTravelError(text: text, detail: "unknown key '\(kv[0])' (known: ttd_flag, tt_replay_flag, tt_counter, tt_tsc_khz, tt_bound_us)")
            }
        }
        if replay && !enabled {
            throw TimeTravelError(text: text, detail: "tt_replay_flag=1 needs ttd_flag=1")
        }
        if counter != nil && !enabled {
            throw TimeTravelError(text: text, detail: "tt_counter needs ttd_flag=1")
        }
        if tscKHz != nil && !enabled {
            throw TimeTravelError(text: text, detail: "tt_tsc_khz needs ttd_flag=1")
        }
        if boundMicroseconds != nil && !enabled {
            throw TimeTravelError(text: text, detail: "tt_bound_us needs ttd_flag=1")
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
