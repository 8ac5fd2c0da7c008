// ttd-ctl: the tt_op hypercall's control side by hand (docs/hypercall-abi.md):
// attach, status, detach, push console input, and badops, which checks that
// every bad input gets its documented error.  ttd-deviced records and
// replays; this is for looking at a TT domain and for testing the hypervisor.

import ArgumentParser
import TTLog
import TTTools
import TTXen
#if canImport(Glibc)
import Glibc
#endif

let tool = "ttd-ctl"

@main
struct Ctl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ttd-ctl",
        abstract: "The time-travel control hypercall (tt_op) by hand: attach, status, detach, push, badops.",
        discussion: """
            ttd-xl and ttd-deviced record and replay domains; ttd-ctl looks at \
            them and drives the hypercall by hand, one sub-operation at a time:

              ttd-ctl status clientA          # state and counters of a recorded domain
              ttd-ctl push clientA 'ls\\n'     # console input for its TT-io console
              ttd-ctl badops ID               # every bad input gets its documented error

            DOMAIN is a domain id or name. Errors are one line on standard \
            error naming the sub-operation and Xen's answer; exit code 1 \
            (badops: 1 when any case got another answer than documented), \
            64 bad arguments.
            """,
        version: TTToolsVersion.string,
        subcommands: [Attach.self, Status.self, Detach.self, Push.self, BadOps.self])

    /// Standard output is buffered (TTTools): runCommand writes it out
    /// before exiting, and prints a ToolError as one line.
    static func main() { runCommand(Self.self, tool: tool) }
}

/// The domain argument of every subcommand.
struct DomainArgument: ParsableArguments {
    @Argument(help: ArgumentHelp("The domain, by id or name.", valueName: "domain"))
    var domain: String

    /// The domain id; an unknown or reserved one throws (one line, exit 1).
    func resolve() throws -> DomainID {
        if let n = UInt32(domain) {
            guard n < 0x7ff0 else { throw ToolError("domain \(domain): not a domain id (DOMID_FIRST_RESERVED is 32752)") }
            return DomainID(n)
        }
        do { return try LibXL().domain(domain) } catch { throw ToolError("\(error)") }
    }
}

/// The control handle; without Xen it throws (one line, exit 1).
func control() throws -> TTControl {
    do { return try TTControl() } catch { throw ToolError("\(error)") }
}

struct Attach: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Attach recording to a domain created paused that has never run (TTOP_attach).",
        discussion: """
            Only the hypercall: no ring, no log. The domain stays paused until \
            a ring is set up (ttd-deviced does all of it); 'ttd-ctl detach' \
            undoes it.
            """)

    @OptionGroup var target: DomainArgument

    func run() throws {
        let d = try target.resolve()
        do {
            try control().attach(d, mode: UInt16(Mode.record.rawValue), interfaceVersion: TTABI.interfaceVersion)
        } catch { throw ToolError("\(error)") }
        stdOut.line("domain \(d): attached (record)")
    }
}

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a time-traveling domain's state and Xen's counters (TTOP_status, TTOP_landmark_counts).",
        discussion: """
            One 'name value' line each: state, landmarks, records, ring_waits, \
            irqs_held, irqs_by_signature, max_hold_ns (replay: replayed, \
            sig_placed, bp_hits, search_ns), then exits, other, continuations, \
            'landmarks TYPE N' per landmark type, max_gap_ns, gap_sum_ns, \
            max_gap_landmark. Host-dependent figures: never part of a log.
            """)

    @OptionGroup var target: DomainArgument

    func run() throws {
        let d = try target.resolve()
        let tt = try control()
        let s: TTStatus
        do { s = try tt.status(d) } catch { throw ToolError("\(error)") }
        var lines = ["state \(s.stateName)", "mode \(Mode(rawValue: UInt32(s.mode))?.name ?? String(s.mode))",
                     "landmarks \(s.landmarks)", "records \(s.records)", "ring_waits \(s.ringWaits)",
                     "irqs_held \(s.irqsHeld)", "irqs_by_signature \(s.irqsBySignature)", "max_hold_ns \(s.maxHoldNanoseconds)"]
        if s.mode == UInt16(Mode.replay.rawValue) {
            lines += ["replayed \(s.replayed)", "sig_placed \(s.signaturePlaced)", "bp_hits \(s.breakpointHits)",
                      "search_ns \(s.searchNanoseconds)"]
        }
        if let c = try? tt.landmarkCounts(d) {
            lines += ["exits \(c.exits)", "other \(c.other)", "continuations \(c.continuations)"]
            for (t, n) in c.byType.enumerated() where n > 0 {
                lines.append("landmarks \(RecordType.of(UInt16(t))?.name ?? "type-\(t)") \(n)")
            }
            lines += ["max_gap_ns \(c.maxGapNanoseconds)", "gap_sum_ns \(c.gapSumNanoseconds)",
                      "max_gap_landmark \(c.maxGapLandmark)"]
        }
        for l in lines { stdOut.line(l) }
    }
}

struct Detach: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "End a domain's recording or replay (TTOP_detach): Xen writes END (DETACH) and lets the guest go on.")

    @OptionGroup var target: DomainArgument

    func run() throws {
        let d = try target.resolve()
        do { try control().detach(d) } catch { throw ToolError("\(error)") }
        stdOut.line("domain \(d): detached")
    }
}

struct Push: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Queue console input for a recorded domain's TT-io console (TTOP_io_push).",
        discussion: """
            TEXT with \\n, \\r and \\\\ expanded. Xen keeps up to 4096 bytes per \
            device until the guest reads them; while its queue is full, ttd-ctl \
            tries again for --wait seconds. The input goes into the recording \
            (a TTIO_INPUT record) when the guest reads it.
            """)

    @OptionGroup var target: DomainArgument

    @Argument(help: ArgumentHelp("The input, with \\n, \\r and \\\\ expanded.", valueName: "text"))
    var text: String

    @Option(help: ArgumentHelp("Seconds to keep trying while Xen's queue is full.", valueName: "seconds"))
    var wait = 10

    /// TEXT with its escapes expanded.
    var bytes: [UInt8] {
        var out: [UInt8] = []
        var it = Array(text.utf8).makeIterator()
        while let c = it.next() {
            guard c == UInt8(ascii: "\\"), let e = it.next() else { out.append(c); continue }
            out.append(e == UInt8(ascii: "n") ? 10 : e == UInt8(ascii: "r") ? 13 : e)
        }
        return out
    }

    func validate() throws {
        if bytes.count > TTControlABI.ioQueueBytes {
            throw ValidationError("\(bytes.count) bytes of input: Xen's queue holds \(TTControlABI.ioQueueBytes); push it in parts")
        }
        if wait < 0 { throw ValidationError("--wait \(wait): a number of seconds, 0 or more") }
    }

    func run() throws {
        let d = try target.resolve()
        let tt = try control()
        let b = bytes
        let deadline = monotonicSeconds() + Double(wait)
        while true {
            let queued: Bool
            do {
                queued = try b.withUnsafeBytes { try tt.ioPush(d, device: UInt16(TTIODevice.console.rawValue), bytes: $0) }
            } catch { throw ToolError("\(error)") }
            if queued { break }
            if monotonicSeconds() >= deadline {
                throw ToolError("domain \(d): Xen's console input queue stayed full for \(wait) s: the guest does not read its console")
            }
            usleep(100_000)
        }
        stdOut.line("domain \(d): pushed \(b.count) bytes of console input")
    }
}

func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}
