import TTLog

// SYNTHETIC logs for tests and benchmarks: records with a realistic mix,
// made up by a seeded generator.  Not a recording of anything: the header
// says so (`synthetic`), and ttd-read-log prints it.

/// SplitMix64: small, fast, and the same sequence everywhere for a seed.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

/// Makes a plausible stream of records: mostly RDTSC (as the lab's traces of
/// a syscall-heavy PVH guest show), hypercalls, PAUSE spins, interrupts held
/// to landmarks (a few placed by signature), pvclock updates, TT-io traffic.
public struct SyntheticRecords {
    private var rng: SplitMix64
    public private(set) var landmark: UInt64 = 0
    /// The last landmark's position: records delivered at it carry it
    /// (the record rules of `LogReader.verify()`).
    private var landmarkPosition = Position(landmark: 0, rip: 0, rcx: 0)
    /// Interrupts placed by signature so far (END's `by_signature`).
    public private(set) var bySignature: UInt64 = 0
    private var tsc: UInt64 = 0x1_0000_0000
    private let mode: Mode
    private var started = false
    private let kernelRIPs: [UInt64]
    public let tscKHz: UInt64 = 2_000_000

    public init(seed: UInt64, mode: Mode = .record) {
        rng = SplitMix64(seed: seed)
        self.mode = mode
        var r = SplitMix64(seed: seed ^ 0x5eed)
        kernelRIPs = (0..<64).map { _ in 0xffff_ffff_8100_0000 + (r.next() % 0x80_0000) & ~0xf }
    }

    private mutating func rip() -> UInt64 {
        let x = rng.next()
        if x % 10 == 0 { return 0x0000_5555_5555_0000 + (x >> 40) % 0x10000 }   // user space
        return kernelRIPs[Int((x >> 8) % UInt64(kernelRIPs.count))]
    }

    private mutating func bytes(_ n: Int) -> [UInt8] {
        var out = [UInt8](); out.reserveCapacity(n)
        while out.count < n {
            let v = rng.next()
            withUnsafeBytes(of: v) { out.append(contentsOf: $0.prefix(n - out.count)) }
        }
        return out
    }

    private mutating func text() -> [UInt8] {
        let lines = ["[    1.234567] Run /init as init process\n", "root@clientA:~# ", "ls /proc\n",
                     "ping -c 1 10.0.0.1\n", "64 bytes from 10.0.0.1: seq=0 ttl=64 time=0.123 ms\n"]
        return Array(lines[Int(rng.next() % UInt64(lines.count))].utf8)
    }

    /// The DOMAIN_START record every log starts with.
    public mutating func start(memoryKB: UInt64 = 96 * 1024) -> Record {
        started = true
        return Record(.domainStart(DomainStart(mode: mode, memoryKB: memoryKB, tscKHz: tscKHz)),
                      at: landmarkPosition)
    }

    /// The END record.
    public func end() -> Record {
        Record(.end(End(reason: .shutdown, landmarks: landmark, bySignature: bySignature)), at: landmarkPosition)
    }

    /// The next record.
    public mutating func next() -> Record {
        let roll = rng.next() % 1000
        tsc &+= 2_000 + rng.next() % 50_000
        let rcx = rng.next() % 7 == 0 ? rng.next() : rng.next() % 0x1000
        func landmarkAt(_ p: Payload, _ me: inout SyntheticRecords, outside: Bool = false) -> Record {
            me.landmark += 1
            me.landmarkPosition = Position(landmark: me.landmark, rip: me.rip(), rcx: rcx)
            return Record(p, at: me.landmarkPosition, outside: outside)
        }
        func async(_ p: Payload, _ me: inout SyntheticRecords) -> Record {
            Record(p, at: me.landmarkPosition)
        }
        switch roll {
        case 0..<540:
            return landmarkAt(.rdtsc(tsc: tsc), &self)
        case 540..<560:
            return landmarkAt(.rdtscp(tsc: tsc, aux: 0), &self)
        case 560..<670:
            let nr = [29, 24, 32, 17, 34, UInt64(TTABI.hypercallNumber)][Int(rng.next() % 6)]
            let data: [UInt8] = nr == UInt64(TTABI.hypercallNumber) ? text() : []
            return landmarkAt(.hypercall(Hypercall(nr: nr, args: (0..<6).map { _ in rng.next() % 0x10000 },
                                                   ret: 0, data: data)), &self)
        case 670..<750:
            return landmarkAt(.pause, &self)
        case 750..<760:
            return landmarkAt(.cpuid(CPUID(leaf: UInt32(rng.next() % 0x10), subleaf: 0, eax: UInt32(truncatingIfNeeded: rng.next()),
                                           ebx: 0x0200, ecx: 0x80202001, edx: 0x078bfbff)), &self)
        case 760..<790:
            return landmarkAt(.msrRead(index: 0xc000_0080 + UInt32(rng.next() % 4), value: rng.next() % 0x1000), &self)
        case 790..<800:
            return landmarkAt(.msrWrite(index: 0x6e0, value: tsc + 1_000_000), &self)
        case 800..<820:
            return landmarkAt(.hlt, &self)
        case 820..<835:
            let t = text()
            return landmarkAt(.io(PortIO(port: 0xe9, size: 1, direction: 0, value: UInt64(t[0]))), &self)
        case 835..<840:
            return landmarkAt(.mmio(MMIO(gpa: 0xfee0_00b0, size: 4, direction: 0, value: 0)), &self)
        case 840..<870:
            return landmarkAt(.exception(GuestException(vector: 14, errorCode: UInt32(rng.next() % 8),
                                                       cr2: 0x0000_5555_5555_0000 + rng.next() % 0x100_0000)), &self)
        case 870..<940:
            let bySignature = rng.next() % 100 < 3
            var sig: Registers? = nil
            var p = Position(landmark: landmark, rip: rip(), rcx: rcx)
            if !bySignature { p = landmarkPosition }     // held to the landmark
            if bySignature {
                self.bySignature += 1
                var v = (0..<18).map { _ in rng.next() }
                v[2] = p.rcx; v[16] = p.rip; v[17] = 0x246
                let user = p.rip < 0x8000_0000_0000_0000
                sig = Registers(values: v, cr3: 0x0123_4000 + (rng.next() % 16) * 0x1000, cpl: user ? 3 : 0)
            }
            return Record(.interrupt(Interrupt(kind: .upcall, vector: 0xf3, port: UInt32(1 + rng.next() % 4),
                                               signature: sig)), at: p)
        case 940..<985:
            return async(.memory(MemoryUpdate(gpa: 0x1000 + (rng.next() % 4) * 0x40, kind: .pvclock, data: bytes(32))), &self)
        case 985..<995:
            return async(.ttioInput(TTIOInput(device: .console, data: text())), &self)
        default:
            let len = 60 + Int(rng.next() % 1440)
            return async(.ttioInput(TTIOInput(device: .net, data: bytes(len))), &self)
        }
    }
}

/// A header for a synthetic log, labelled as such.
public func syntheticHeader(mode: Mode, guest: String = "synthetic", seed: UInt64) -> LogHeader {
    var h = LogHeader()
    var r = SplitMix64(seed: seed)
    h.mode = mode
    h.xenVersion = "synthetic (ttd-log-gen)"
    h.guestName = guest
    h.memoryBytes = 96 << 20
    h.startTimeNanoseconds = wallClockNanoseconds()
    h.logID = (0..<16).map { _ in UInt8(truncatingIfNeeded: r.next()) }
    h.toolVersion = "ttd-log-gen \(TTToolsVersion.string)"
    h.synthetic = true
    h.cpuidPolicy = [CPUIDLeaf(leaf: 0, subleaf: 0, eax: 0xd, ebx: 0x6874_7541, ecx: 0x444d_4163, edx: 0x6974_6e65),
                     CPUIDLeaf(leaf: 1, subleaf: 0, eax: 0x0060_0f12, ebx: 0x0800, ecx: 0x8020_2001, edx: 0x078b_fbff)]
    return h
}
