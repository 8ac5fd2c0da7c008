// Formatting records on every CPU, written in log order: ttd-read-log's
// print, where turning records into text is most of the work.
//
// This thread reads and checks the chunks (`forEachCheckedChunk`) and
// copies their records into a few slots, a piece of about a MiB each (the
// records of several chunks, or part of a big one: few hand-overs); worker threads
// format the pieces, each into its slot's own buffer; whichever worker
// finds the oldest piece formatted writes it out, and the next ones that
// are ready, one writer at a time.  So the output is exactly the one of
// formatting the chunks one after the other: in log order, and a chunk with
// an error reaches no one (it is never copied); the error is thrown once
// everything before it is written.  Memory: the slots, a piece of records
// and its text each, whatever the size of the chunks.

import TTLog
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension CheckedChunk {
    /// Records `range` of the chunk, as a chunk of their own (the same bytes).
    public func records(_ range: Range<Int>) -> CheckedChunk {
        precondition(range.lowerBound >= 0 && range.upperBound <= count)
        return CheckedChunk(info: info, bytes: bytes, count: range.count,
                            offsets: UnsafeMutablePointer(mutating: offsets + range.lowerBound),
                            types: UnsafeMutablePointer(mutating: types + range.lowerBound))
    }

    /// The pieces of the chunk: runs of records of about `bytes` bytes (a
    /// record more than that is a piece of its own).
    func pieces(of size: Int) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var i = 0
        while i < count {
            var j = i + 1
            while j < count && offsets[j] - offsets[i] < size { j += 1 }
            out.append(i..<j)
            i = j
        }
        return out
    }

    /// Where record `i` ends (the next one starts).
    func end(of i: Int) -> Int { i + 1 < count ? offsets[i + 1] : bytes.count }
}

extension LogReader {
    /// Reads every record (`forEachCheckedChunk`), has `format` turn them
    /// into text on `threads` worker threads, a piece of about `pieceBytes`
    /// bytes of records at a time (the records of several chunks, or part
    /// of one), and hands the text of each piece to `write`, in log order,
    /// one call at a time.  `format` is called on the workers side by side
    /// (for different pieces), each time with its own buffer, empty; `write`
    /// must empty the buffer.  With `threads` 0 (or one CPU) everything runs
    /// on this thread.  Every call is over when this returns or throws; the
    /// records before an error are written first, as `forEachCheckedChunk`
    /// delivers them.
    @discardableResult
    public func formatRecords(threads: Int = 2, pieceBytes: Int = 1 << 20,
                              format: @escaping (CheckedChunk, TextBuffer) -> Void,
                              write: @escaping (TextBuffer) -> Void) throws -> StopReason {
        guard threads > 0, sysconf(Int32(_SC_NPROCESSORS_ONLN)) > 1 else {
            let text = TextBuffer()
            return try forEachCheckedChunk { chunk in
                for r in chunk.pieces(of: pieceBytes) {
                    format(chunk.records(r), text)
                    write(text)
                }
                return true
            }
        }
        let pipe = FormatPipe(slots: threads + 1, pieceBytes: pieceBytes, format: format, write: write)
        pipe.start(threads: threads)
        defer {
            pipe.publish()          // the records read before an error too
            pipe.finish()
        }
        return try forEachCheckedChunk { chunk in
            for r in chunk.pieces(of: pieceBytes) { pipe.add(chunk, r) }
            return true
        }
    }
}

/// Records copied out of the reader's buffers (of one chunk or several),
/// and their text.
private final class Slot {
    var bytes = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 16)
    var bytesCapacity = 64
    var offsets = UnsafeMutablePointer<Int>.allocate(capacity: 1)
    var types = UnsafeMutablePointer<RecordType>.allocate(capacity: 1)
    var recordCapacity = 1
    var count = 0
    var length = 0
    var info: ChunkInfo?
    let text = TextBuffer(capacity: 1 << 16)

    deinit {
        bytes.deallocate()
        offsets.deallocate()
        types.deallocate()
    }

    func reset() {
        count = 0
        length = 0
    }

    /// Appends a copy of records `range` of `chunk`, their offsets made
    /// relative to the slot's bytes.
    func append(from chunk: CheckedChunk, _ range: Range<Int>) {
        let start = chunk.offsets[range.lowerBound]
        let n = chunk.end(of: range.upperBound - 1) - start
        if length + n > bytesCapacity {
            bytesCapacity = max(length + n, 2 * bytesCapacity)
            let b = UnsafeMutableRawPointer.allocate(byteCount: bytesCapacity, alignment: 16)
            b.copyMemory(from: bytes, byteCount: length)
            bytes.deallocate()
            bytes = b
        }
        if count + range.count > recordCapacity {
            recordCapacity = max(count + range.count, 2 * recordCapacity)
            let o = UnsafeMutablePointer<Int>.allocate(capacity: recordCapacity)
            let t = UnsafeMutablePointer<RecordType>.allocate(capacity: recordCapacity)
            o.update(from: offsets, count: count)
            t.update(from: types, count: count)
            offsets.deallocate()
            types.deallocate()
            offsets = o
            types = t
        }
        (bytes + length).copyMemory(from: chunk.bytes.baseAddress! + start, byteCount: n)
        let shift = length - start
        for k in 0..<range.count {
            (offsets + count + k).initialize(to: chunk.offsets[range.lowerBound + k] + shift)
            (types + count + k).initialize(to: chunk.types[range.lowerBound + k])
        }
        count += range.count
        length += n
        info = chunk.info
    }

    var chunk: CheckedChunk {
        CheckedChunk(info: info!, bytes: UnsafeRawBufferPointer(start: bytes, count: length),
                     count: count, offsets: offsets, types: types)
    }
}

/// The slots between the reading thread (`add`, `publish`) and the workers
/// (`work`), under one mutex and one condition variable.  Pieces are
/// numbered in log order; piece k lives in slot k % slots.count.
private final class FormatPipe: @unchecked Sendable {
    private let format: (CheckedChunk, TextBuffer) -> Void
    private let write: (TextBuffer) -> Void
    private let slots: [Slot]
    private let pieceBytes: Int
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let cond = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var threads: [pthread_t] = []
    /// Pieces put, taken by a worker, formatted (a set: they finish out of
    /// order), written.
    private var filled = 0, taken = 0, written = 0
    private var formatted = Set<Int>()
    private var writing = false
    private var done = false
    /// The slot this thread fills (piece `filled`), once it is free.
    private var current: Slot?

    init(slots: Int, pieceBytes: Int, format: @escaping (CheckedChunk, TextBuffer) -> Void,
         write: @escaping (TextBuffer) -> Void) {
        self.format = format
        self.write = write
        self.pieceBytes = pieceBytes
        self.slots = (0..<slots).map { _ in Slot() }
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(cond, nil)
    }

    deinit {
        pthread_cond_destroy(cond)
        pthread_mutex_destroy(mutex)
        cond.deallocate()
        mutex.deallocate()
    }

    func start(threads n: Int) {
        for _ in 0..<n {
            var t = pthread_t()
            let context = Unmanaged.passRetained(self).toOpaque()
            let ok = pthread_create(&t, nil, { context in
                let pipe = Unmanaged<FormatPipe>.fromOpaque(context!).takeRetainedValue()
                pipe.work()
                return nil
            }, context) == 0
            if ok {
                threads.append(t)
            } else {
                Unmanaged<FormatPipe>.fromOpaque(context).release()
            }
        }
    }

    /// Copies records into the piece being filled (into the next slot, once
    /// it is free); hands the piece over once it holds `pieceBytes`.
    func add(_ chunk: CheckedChunk, _ range: Range<Int>) {
        if current == nil {
            pthread_mutex_lock(mutex)
            while filled - written == slots.count { pthread_cond_wait(cond, mutex) }
            pthread_mutex_unlock(mutex)
            current = slots[filled % slots.count]       // written out: no worker touches it
            current!.reset()
        }
        current!.append(from: chunk, range)
        if current!.length >= pieceBytes { publish() }
    }

    /// Hands the piece being filled over to the workers (to this thread's
    /// formatting, when no worker could start).
    func publish() {
        guard let slot = current, slot.count > 0 else { return }
        current = nil
        guard !threads.isEmpty else {
            slot.text.removeAll()
            format(slot.chunk, slot.text)
            write(slot.text)
            filled += 1
            written += 1
            return
        }
        pthread_mutex_lock(mutex)
        filled += 1
        pthread_cond_broadcast(cond)
        pthread_mutex_unlock(mutex)
    }

    /// No more pieces: waits for the workers to format and write the rest.
    func finish() {
        pthread_mutex_lock(mutex)
        done = true
        pthread_cond_broadcast(cond)
        pthread_mutex_unlock(mutex)
        for t in threads { pthread_join(t, nil) }
        threads = []
    }

    private func work() {
        pthread_mutex_lock(mutex)
        while true {
            while taken == filled && !done { pthread_cond_wait(cond, mutex) }
            if taken == filled { break }            // done, nothing left to take
            let k = taken
            taken += 1
            let slot = slots[k % slots.count]
            pthread_mutex_unlock(mutex)
            slot.text.removeAll()
            format(slot.chunk, slot.text)
            pthread_mutex_lock(mutex)
            formatted.insert(k)
            // Write the oldest pieces that are ready, one writer at a time.
            while !writing, formatted.contains(written) {
                writing = true
                let w = slots[written % slots.count]
                pthread_mutex_unlock(mutex)
                write(w.text)
                pthread_mutex_lock(mutex)
                formatted.remove(written)
                written += 1
                writing = false
                pthread_cond_broadcast(cond)
            }
        }
        pthread_mutex_unlock(mutex)
    }
}
