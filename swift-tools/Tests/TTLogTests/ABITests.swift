import CTTABI
import XCTest
@testable import TTLog
import TTXen

/// The Swift constants of TTABI against xen/src/include/public/tt.h.
final class ABITests: XCTestCase {
    func testConstantsMatchTheCHeader() {
        XCTAssertEqual(TTABI.interfaceVersion, UInt32(TT_INTERFACE_VERSION))
        XCTAssertEqual(TTABI.hypercallNumber, Int(__HYPERVISOR_tt_op))
        XCTAssertEqual(TTABI.recordHeaderSize, Int(TT_REC_HDR_SIZE))
        XCTAssertEqual(TTABI.recordAlign, Int(TT_REC_ALIGN))
        XCTAssertEqual(TTABI.maxPayload, Int(TT_REC_MAX_PAYLOAD))
        XCTAssertEqual(TTABI.recordHeaderSize, tt_abi_sizeof_rec())
        XCTAssertEqual(tt_abi_offsetof_payload_len(), 4)
        XCTAssertEqual(tt_abi_offsetof_pos(), 8)
        for len in [0, 1, 7, 8, 9, 64, 1000] {
            XCTAssertEqual(TTABI.recordSize(payloadLength: len), tt_abi_rec_size(UInt32(len)))
        }
        XCTAssertEqual(RecordFlags.branches.rawValue, UInt16(TT_RECF_BRANCHES))
        XCTAssertEqual(RecordFlags.signature.rawValue, UInt16(TT_RECF_SIGNATURE))
        XCTAssertEqual(RecordFlags.outside.rawValue, UInt16(TT_RECF_OUTSIDE))
        XCTAssertEqual(RecordFlags.all.rawValue, UInt16(TT_RECF_ALL))
        XCTAssertEqual(Mode.record.rawValue, UInt32(TT_MODE_RECORD))
        XCTAssertEqual(Mode.replay.rawValue, UInt32(TT_MODE_REPLAY))
        XCTAssertEqual(Counter.none.rawValue, UInt32(TT_COUNTER_NONE))
        XCTAssertEqual(Counter.instructions.rawValue, UInt32(TT_COUNTER_ICOUNT))
        XCTAssertEqual(Counter.branches.rawValue, UInt32(TT_COUNTER_BRANCHES))
        for v: UInt32 in [0, 1, 2, 3, 0xffff_ffff] { XCTAssertEqual(Counter(rawValue: v).rawValue, v) }
        XCTAssertEqual(Counter(rawValue: 7), .unknown(7))
    }

    func testRecordTypesMatchTheCHeader() {
        let c: [RecordType: Int32] = [
            .hypercall: TT_REC_HYPERCALL, .cpuid: TT_REC_CPUID, .rdtsc: TT_REC_RDTSC, .rdtscp: TT_REC_RDTSCP,
            .msrRead: TT_REC_MSR_READ, .msrWrite: TT_REC_MSR_WRITE, .hlt: TT_REC_HLT, .pause: TT_REC_PAUSE,
            .io: TT_REC_IO, .mmio: TT_REC_MMIO, .exception: TT_REC_EXCEPTION, .interrupt: TT_REC_INTERRUPT,
            .memory: TT_REC_MEMORY, .ttioInput: TT_REC_TTIO_INPUT, .domainStart: TT_REC_DOMAIN_START,
            .divergence: TT_REC_DIVERGENCE, .end: TT_REC_END,
        ]
        XCTAssertEqual(c.count, RecordType.allCases.count)
        for (t, v) in c { XCTAssertEqual(Int32(t.rawValue), v, t.name) }
    }

    func testPayloadSizesMatchTheCHeader() {
        let sizes: [RecordType: Int] = [
            .hypercall: MemoryLayout<xen_tt_rec_hypercall>.size, .cpuid: MemoryLayout<xen_tt_rec_cpuid>.size,
            .rdtsc: MemoryLayout<xen_tt_rec_tsc>.size, .rdtscp: MemoryLayout<xen_tt_rec_tsc>.size,
            .msrRead: MemoryLayout<xen_tt_rec_msr>.size, .msrWrite: MemoryLayout<xen_tt_rec_msr>.size,
            .hlt: 0, .pause: 0,
            .io: MemoryLayout<xen_tt_rec_io>.size, .mmio: MemoryLayout<xen_tt_rec_mmio>.size,
            .exception: MemoryLayout<xen_tt_rec_exception>.size, .interrupt: MemoryLayout<xen_tt_rec_interrupt>.size,
            .memory: MemoryLayout<xen_tt_rec_memory>.size, .ttioInput: MemoryLayout<xen_tt_rec_ttio>.size,
            .domainStart: MemoryLayout<xen_tt_rec_start>.size, .divergence: MemoryLayout<xen_tt_rec_divergence>.size,
            .end: MemoryLayout<xen_tt_rec_end>.size,
        ]
        for t in RecordType.allCases { XCTAssertEqual(t.fixedPayloadSize, sizes[t], t.name) }
        XCTAssertEqual(TTABI.registersSize, MemoryLayout<xen_tt_regs>.size)
        XCTAssertEqual(MemoryLayout<xen_tt_regs>.offset(of: \.rip), 16 * 8)
        XCTAssertEqual(MemoryLayout<xen_tt_regs>.offset(of: \.cr3), 144)
        XCTAssertEqual(MemoryLayout<xen_tt_regs>.offset(of: \.cpl), 152)
        XCTAssertEqual(MemoryLayout<xen_tt_regs>.offset(of: \.pad), 156)
        XCTAssertEqual(MemoryLayout<xen_tt_ring>.size, 64)
        XCTAssertEqual(MemoryLayout<xen_tt_pos>.size, 32)
        XCTAssertEqual(MemoryLayout<xen_tt_rec_start>.size, 40)
        XCTAssertEqual(MemoryLayout<xen_tt_rec_start>.offset(of: \.bound_us), 12)
        XCTAssertEqual(MemoryLayout<xen_tt_rec_start>.offset(of: \.counter), 16)
        XCTAssertEqual(MemoryLayout<xen_tt_rec_start>.offset(of: \.pad), 20)
        XCTAssertEqual(MemoryLayout<xen_tt_rec_start>.offset(of: \.memory_kb), 24)
        XCTAssertEqual(MemoryLayout<xen_tt_rec_start>.offset(of: \.tsc_khz), 32)
    }

    /// DOMAIN_START as Xen writes it (the C struct) decodes to its counter,
    /// and TTLog encodes it back to the same bytes.
    func testDomainStartCounterMatchesTheCStruct() throws {
        for (c, want) in [(UInt32(TT_COUNTER_NONE), Counter.none), (UInt32(TT_COUNTER_ICOUNT), .instructions),
                          (UInt32(TT_COUNTER_BRANCHES), .branches), (9, .unknown(9))] {
            var start = xen_tt_rec_start()
            start.interface_version = UInt32(TT_INTERFACE_VERSION)
            start.mode = UInt16(TT_MODE_RECORD)
            start.vcpus = 1
            start.bound_us = 10_000
            start.counter = c
            start.memory_kb = 98304
            start.tsc_khz = 2_000_000
            let payload = withUnsafeBytes(of: &start) { Array($0) }
            var w = ByteWriter(capacity: 128)
            w.put(RecordType.domainStart.rawValue); w.put(UInt16(0)); w.put(UInt32(payload.count))
            for _ in 0..<4 { w.put(UInt64(0)) }
            w.put(bytes: payload)
            let bytes = w.bytes
            let r = try bytes.withUnsafeBytes { b in
                try Record(RawRecord(type: b.le(0), flags: b.le(2), position: Position(landmark: 0, rip: 0, rcx: 0),
                                     payload: UnsafeRawBufferPointer(rebasing: b[40...]), offsetInChunk: 0, bytes: b))
            }
            guard case .domainStart(let s) = r.payload else { return XCTFail("not DOMAIN_START") }
            XCTAssertEqual(s.counter, want)
            XCTAssertEqual(s.boundMicroseconds, 10_000)
            XCTAssertEqual(s.memoryKB, 98304)
            XCTAssertEqual(s.tscKHz, 2_000_000)
            XCTAssertEqual(r.encoded(), bytes)
            XCTAssertEqual(r.fields.first { $0.name == "counter" }?.value, .text(want.name))
        }
        // A non-zero pad is corrupt; a version 2 DOMAIN_START (32 bytes) says so.
        var bad = Record(.domainStart(DomainStart(mode: .record, counter: .instructions, memoryKB: 1, tscKHz: 1)),
                         at: Position(landmark: 0, rip: 0, rcx: 0)).encoded()
        bad[40 + 20] = 1
        XCTAssertThrowsError(try decodeOne(bad)) { XCTAssertTrue("\($0)".contains("non-zero padding"), "\($0)") }
        var old = ByteWriter(capacity: 80)
        old.put(RecordType.domainStart.rawValue); old.put(UInt16(0)); old.put(UInt32(32))
        for _ in 0..<4 { old.put(UInt64(0)) }
        old.put(UInt32(2)); old.put(UInt16(1)); old.put(UInt16(1)); old.zeros(24)
        XCTAssertThrowsError(try decodeOne(old.bytes)) {
            XCTAssertTrue("\($0)".contains("interface version 2"), "\($0)")
        }
    }

    private func decodeOne(_ bytes: [UInt8]) throws -> Record {
        try bytes.withUnsafeBytes { b in
            let len = Int(b.le(4, as: UInt32.self))
            return try Record(RawRecord(type: b.le(0), flags: b.le(2), position: Position(landmark: 0, rip: 0, rcx: 0),
                                        payload: UnsafeRawBufferPointer(rebasing: b[40..<40 + len]), offsetInChunk: 0, bytes: b))
        }
    }

    func testEncodingMatchesCStructLayout() {
        // A CPUID record built through the C struct has the bytes TTLog writes.
        var c = xen_tt_rec_cpuid(leaf: 1, subleaf: 2, eax: 3, ebx: 4, ecx: 5, edx: 6)
        let cBytes = withUnsafeBytes(of: &c) { Array($0) }
        let swift = Record(.cpuid(CPUID(leaf: 1, subleaf: 2, eax: 3, ebx: 4, ecx: 5, edx: 6)),
                           at: Position(landmark: 0, rip: 0, rcx: 0)).encoded()
        XCTAssertEqual(Array(swift[40...]), cBytes)
        var e = xen_tt_rec_end(reason: 2, code: 3, landmarks: 4, by_signature: 5)
        let eBytes = withUnsafeBytes(of: &e) { Array($0) }
        let swiftEnd = Record(.end(End(reason: .diverged, code: 3, landmarks: 4, bySignature: 5)),
                              at: Position(landmark: 0, rip: 0, rcx: 0)).encoded()
        XCTAssertEqual(Array(swiftEnd[40...]), eBytes)
        // An interrupt placed by signature: xen_tt_rec_interrupt then xen_tt_regs.
        var regs = xen_tt_regs()
        withUnsafeMutableBytes(of: &regs) { b in for i in 0..<18 { b.storeBytes(of: UInt64(i + 1) * 0x101, toByteOffset: 8 * i, as: UInt64.self) } }
        regs.cr3 = 0x1234_5000
        regs.cpl = 3
        let rBytes = withUnsafeBytes(of: &regs) { Array($0) }
        let sig = Registers(values: (0..<18).map { UInt64($0 + 1) * 0x101 }, cr3: 0x1234_5000, cpl: 3)
        let irq = Record(.interrupt(Interrupt(kind: .upcall, vector: 0xf3, port: 2, signature: sig)),
                         at: Position(landmark: 9, rip: sig.values[16], rcx: sig.values[2])).encoded()
        XCTAssertEqual(irq.count, 40 + 16 + MemoryLayout<xen_tt_regs>.size)
        XCTAssertEqual(Array(irq[56...]), rBytes)
        XCTAssertEqual(DivergenceReason.result.rawValue, UInt32(TT_DIV_RESULT))
        XCTAssertEqual(DivergenceReason.missed.rawValue, UInt32(TT_DIV_MISSED))
    }

    /// An MMIO landmark of several accesses: xen_tt_rec_mmio (with count)
    /// then every access's bytes; and one of a log of before December 2026
    /// (count 0, no data) still reads.
    func testMMIOCountAndDataMatchTheCStruct() throws {
        var m = xen_tt_rec_mmio()
        m.gpa = 0xfee0_0300; m.size = 4; m.dir = UInt8(TT_IO_OUT); m.count = 2; m.value = 0x11
        let cBytes = withUnsafeBytes(of: &m) { Array($0) }
        let data: [UInt8] = [0x11, 0, 0, 0, 0x22, 0, 0, 0]
        let rec = Record(.mmio(MMIO(gpa: 0xfee0_0300, size: 4, direction: 0, count: 2, value: 0x11, data: data)),
                         at: Position(landmark: 3, rip: 0, rcx: 0))
        let bytes = rec.encoded()
        XCTAssertEqual(Array(bytes[40..<64]), cBytes)
        XCTAssertEqual(Array(bytes[64..<72]), data)
        XCTAssertEqual(try decodeOne(bytes).payload, rec.payload)
        // A log of before December 2026: the six bytes after dir were zero.
        var old = Record(.mmio(MMIO(gpa: 0xfee0_00b0, size: 4, direction: 1, count: 0, value: 7)),
                         at: Position(landmark: 4, rip: 0, rcx: 0)).encoded()
        XCTAssertEqual(old.count, 40 + 24)
        guard case .mmio(let got) = try decodeOne(old).payload else { return XCTFail("not MMIO") }
        XCTAssertEqual(got.count, 0)
        XCTAssertEqual(got.data, [])
        old[40 + 10] = 1  // the padding must stay zero
        XCTAssertThrowsError(try decodeOne(old))
    }
}

final class ControlABITests: XCTestCase {
    func testControlStructSizes() {
        XCTAssertEqual(MemoryLayout<xen_tt_info>.size, 16)
        XCTAssertEqual(MemoryLayout<xen_tt_io>.size, 32)
        XCTAssertEqual(MemoryLayout<xen_tt_attach>.size, 24)
        XCTAssertEqual(MemoryLayout<xen_tt_attach>.size, TTControl.attachSize)
        XCTAssertEqual(MemoryLayout<xen_tt_ring_setup>.size, 24)
        XCTAssertEqual(MemoryLayout<xen_tt_status>.size, 88)
        XCTAssertEqual(MemoryLayout<xen_tt_detach>.size, 8)
    }

    /// The offsets TTXen's TTControl writes and reads, and RingConsumer's.
    func testOffsetsUsedByTheDaemon() {
        XCTAssertEqual(MemoryLayout<xen_tt_attach>.offset(of: \.mode), 2)
        XCTAssertEqual(MemoryLayout<xen_tt_attach>.offset(of: \.interface_version), 4)
        XCTAssertEqual(MemoryLayout<xen_tt_attach>.offset(of: \.flags), 8)
        XCTAssertEqual(MemoryLayout<xen_tt_attach>.offset(of: \.bound_us), 12)
        XCTAssertEqual(MemoryLayout<xen_tt_attach>.offset(of: \.counter), 16)
        XCTAssertEqual(MemoryLayout<xen_tt_attach>.offset(of: \.tsc_khz), 20)
        XCTAssertEqual(MemoryLayout<xen_tt_ring_setup>.offset(of: \.ring), 2)
        XCTAssertEqual(MemoryLayout<xen_tt_ring_setup>.offset(of: \.nr_pages), 4)
        XCTAssertEqual(MemoryLayout<xen_tt_ring_setup>.offset(of: \.port), 8)
        XCTAssertEqual(MemoryLayout<xen_tt_status>.offset(of: \.mode), 2)
        XCTAssertEqual(MemoryLayout<xen_tt_status>.offset(of: \.state), 4)
        XCTAssertEqual(MemoryLayout<xen_tt_status>.offset(of: \.landmarks), 8)
        XCTAssertEqual(MemoryLayout<xen_tt_status>.offset(of: \.records), 16)
        XCTAssertEqual(MemoryLayout<xen_tt_status>.offset(of: \.ring_waits), 24)
        XCTAssertEqual(MemoryLayout<xen_tt_status>.offset(of: \.max_hold_ns), 48)
        // TTControl.status reads the replay counters at 56, 64, 72, 80.
        XCTAssertEqual(MemoryLayout<xen_tt_status>.offset(of: \.replayed), 56)
        XCTAssertEqual(MemoryLayout<xen_tt_status>.offset(of: \.sig_placed), 64)
        XCTAssertEqual(MemoryLayout<xen_tt_status>.offset(of: \.bp_hits), 72)
        XCTAssertEqual(MemoryLayout<xen_tt_status>.offset(of: \.search_ns), 80)
        XCTAssertEqual(MemoryLayout<xen_tt_ring>.size, RingLayout.controlSize)
        XCTAssertEqual(UInt32(TT_RING_MAGIC), RingLayout.magic)
        XCTAssertEqual(MemoryLayout<xen_tt_ring>.offset(of: \.interface_version), RingLayout.versionOffset)
        XCTAssertEqual(MemoryLayout<xen_tt_ring>.offset(of: \.data_size), RingLayout.dataSizeOffset)
        XCTAssertEqual(MemoryLayout<xen_tt_ring>.offset(of: \.producer_waiting), RingLayout.producerWaitingOffset)
        XCTAssertEqual(MemoryLayout<xen_tt_ring>.offset(of: \.prod), RingLayout.prodOffset)
        XCTAssertEqual(MemoryLayout<xen_tt_ring>.offset(of: \.cons), RingLayout.consOffset)
        XCTAssertEqual(MemoryLayout<xen_tt_ring>.offset(of: \.records), RingLayout.recordsOffset)
        XCTAssertEqual(MemoryLayout<xen_tt_ring>.offset(of: \.consumer_waiting), RingLayout.consumerWaitingOffset)
        XCTAssertEqual(MemoryLayout<xen_tt_ring>.offset(of: \.eof), RingLayout.eofOffset)
        XCTAssertEqual(MemoryLayout<xen_tt_ring>.offset(of: \.reserved), RingLayout.reservedOffset)
        XCTAssertEqual(MemoryLayout<xen_tt_ring>.size - RingLayout.reservedOffset, 16)
        XCTAssertEqual(Int(TT_RING_LOG), 0)
        XCTAssertEqual(Int(TT_RING_LOG), Int(TTControlABI.ringLog))
        XCTAssertEqual(Int(TT_RING_REPLAY), Int(TTControlABI.ringReplay))
        XCTAssertEqual(Int(TT_RESOURCE_TYPE), Int(TTControlABI.resourceType))
        XCTAssertEqual(Int(TT_EXIT_MAX_BYTES), TTABI.exitMaxBytes)
        XCTAssertEqual(Int(TT_MODE_REPLAY), Int(Mode.replay.rawValue))
        let states: [(TTState, Int32)] = [(.attached, TT_STATE_ATTACHED), (.running, TT_STATE_RUNNING),
                                          (.ringWait, TT_STATE_RING_WAIT), (.diverged, TT_STATE_DIVERGED),
                                          (.ended, TT_STATE_ENDED)]
        for (s, c) in states { XCTAssertEqual(Int32(s.rawValue), c, s.name) }
        XCTAssertEqual(Int(TTOP_attach), 16)
        XCTAssertEqual(Int(TTOP_ring_setup), 17)
        XCTAssertEqual(Int(TTOP_status), 18)
        XCTAssertEqual(Int(TTOP_detach), 19)
    }

    /// What TTControl.attach writes is the C struct xen_tt_attach.
    func testAttachEncodingIsTheCStruct() {
        var block = [UInt8](repeating: 0, count: 256)
        block.withUnsafeMutableBytes { b in
            b.storeBytes(of: UInt16(5), toByteOffset: 0, as: UInt16.self)      // domid, as TTControl.call writes it
            TTControl.encodeAttach(into: b.baseAddress!, mode: UInt16(TT_MODE_REPLAY), interfaceVersion: TTABI.interfaceVersion,
                                   flags: 0, boundMicroseconds: 2500, counter: UInt32(TT_COUNTER_ICOUNT),
                                   tscKHz: 2_000_000)
        }
        let a = block.withUnsafeBytes { $0.loadUnaligned(as: xen_tt_attach.self) }
        XCTAssertEqual(a.domid, 5)
        XCTAssertEqual(Int(a.mode), Int(TT_MODE_REPLAY))
        XCTAssertEqual(a.interface_version, UInt32(TT_INTERFACE_VERSION))
        XCTAssertEqual(a.flags, 0)
        XCTAssertEqual(a.bound_us, 2500)
        XCTAssertEqual(a.counter, UInt32(TT_COUNTER_ICOUNT))
        XCTAssertEqual(a.tsc_khz, 2_000_000)
        XCTAssertEqual(UInt64(TT_TSC_KHZ_MIN), TTABI.tscKHzRange.lowerBound)
        XCTAssertEqual(UInt64(TT_TSC_KHZ_MAX), TTABI.tscKHzRange.upperBound)
        XCTAssertEqual(UInt32(TT_BOUND_US_MIN), TTABI.boundMicrosecondsRange.lowerBound)
        XCTAssertEqual(UInt32(TT_BOUND_US_MAX), TTABI.boundMicrosecondsRange.upperBound)
        XCTAssertTrue(block[TTControl.attachSize...].allSatisfy { $0 == 0 })
    }
}
