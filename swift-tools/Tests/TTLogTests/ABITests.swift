import CTTABI
import XCTest
@testable import TTLog

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
        XCTAssertEqual(MemoryLayout<xen_tt_ring>.size, 64)
        XCTAssertEqual(MemoryLayout<xen_tt_pos>.size, 32)
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
    }
}

final class ControlABITests: XCTestCase {
    func testControlStructSizes() {
        XCTAssertEqual(MemoryLayout<xen_tt_info>.size, 16)
        XCTAssertEqual(MemoryLayout<xen_tt_io>.size, 32)
        XCTAssertEqual(MemoryLayout<xen_tt_attach>.size, 16)
        XCTAssertEqual(MemoryLayout<xen_tt_ring_setup>.size, 24)
        XCTAssertEqual(MemoryLayout<xen_tt_status>.size, 56)
        XCTAssertEqual(MemoryLayout<xen_tt_detach>.size, 8)
    }

    /// The offsets TTXen's TTControl writes and reads, and RingConsumer's.
    func testOffsetsUsedByTheDaemon() {
        XCTAssertEqual(MemoryLayout<xen_tt_attach>.offset(of: \.mode), 2)
        XCTAssertEqual(MemoryLayout<xen_tt_attach>.offset(of: \.interface_version), 4)
        XCTAssertEqual(MemoryLayout<xen_tt_attach>.offset(of: \.flags), 8)
        XCTAssertEqual(MemoryLayout<xen_tt_attach>.offset(of: \.bound_us), 12)
        XCTAssertEqual(MemoryLayout<xen_tt_ring_setup>.offset(of: \.ring), 2)
        XCTAssertEqual(MemoryLayout<xen_tt_ring_setup>.offset(of: \.nr_pages), 4)
        XCTAssertEqual(MemoryLayout<xen_tt_ring_setup>.offset(of: \.port), 8)
        XCTAssertEqual(MemoryLayout<xen_tt_status>.offset(of: \.mode), 2)
        XCTAssertEqual(MemoryLayout<xen_tt_status>.offset(of: \.state), 4)
        XCTAssertEqual(MemoryLayout<xen_tt_status>.offset(of: \.landmarks), 8)
        XCTAssertEqual(MemoryLayout<xen_tt_status>.offset(of: \.records), 16)
        XCTAssertEqual(MemoryLayout<xen_tt_status>.offset(of: \.ring_waits), 24)
        XCTAssertEqual(MemoryLayout<xen_tt_status>.offset(of: \.max_hold_ns), 48)
        XCTAssertEqual(MemoryLayout<xen_tt_ring>.size, RingLayout.controlSize)
        XCTAssertEqual(UInt32(TT_RING_MAGIC), RingLayout.magic)
        XCTAssertEqual(MemoryLayout<xen_tt_ring>.offset(of: \.interface_version), RingLayout.versionOffset)
        XCTAssertEqual(MemoryLayout<xen_tt_ring>.offset(of: \.data_size), RingLayout.dataSizeOffset)
        XCTAssertEqual(MemoryLayout<xen_tt_ring>.offset(of: \.producer_waiting), RingLayout.producerWaitingOffset)
        XCTAssertEqual(MemoryLayout<xen_tt_ring>.offset(of: \.prod), RingLayout.prodOffset)
        XCTAssertEqual(MemoryLayout<xen_tt_ring>.offset(of: \.cons), RingLayout.consOffset)
        XCTAssertEqual(MemoryLayout<xen_tt_ring>.offset(of: \.records), RingLayout.recordsOffset)
        XCTAssertEqual(MemoryLayout<xen_tt_ring>.offset(of: \.reserved), RingLayout.reservedOffset)
        XCTAssertEqual(Int(TT_RING_LOG), 0)
        XCTAssertEqual(Int(TTOP_attach), 16)
        XCTAssertEqual(Int(TTOP_ring_setup), 17)
        XCTAssertEqual(Int(TTOP_status), 18)
        XCTAssertEqual(Int(TTOP_detach), 19)
    }
}
