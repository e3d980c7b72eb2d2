import Dispatch
import Synchronization

/// Reads structured choices (bytes, integers, lengths) from a fuzzer input, front to back.
/// Past the end every read gives zeros, so any input decodes to some choices.
struct FuzzInput {
    let bytes: UnsafeRawBufferPointer
    var position = 0

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    var isAtEnd: Bool { position >= bytes.count }

    mutating func byte() -> UInt8 {
        guard position < bytes.count else { return 0 }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func uint64() -> UInt64 {
        var value: UInt64 = 0
        for _ in 0..<8 { value = value << 8 | UInt64(byte()) }
        return value
    }

    mutating func take(_ count: Int) -> [UInt8] {
        let available = Swift.min(count, bytes.count - Swift.min(position, bytes.count))
        defer { position += available }
        return Array(bytes[position..<position + available])
    }

    /// The bytes not read yet.
    var rest: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: bytes[Swift.min(position, bytes.count)...])
    }
}

/// Runs async work to its end from synchronous fuzzing code (the fixtures' requests).
/// The work runs on a thread of its own (`FuzzExecutor`), not the cooperative pool: the
/// corpus replay tests call targets from that pool, and waiting there for work queued on
/// it deadlocked once every pool thread waited.
func blocking<T: Sendable>(_ body: @escaping @Sendable () async -> T) -> T {
    let slot = BlockingSlot<T>()
    Task(executorPreference: FuzzExecutor.shared) {
        let result = await body()
        slot.value.withLock { $0 = result }
        slot.done.signal()
    }
    slot.done.wait()
    return slot.value.withLock { $0! }
}

/// Where `blocking`'s task leaves its result.
private final class BlockingSlot<T: Sendable>: Sendable {
    let value = Mutex<T?>(nil)
    let done = DispatchSemaphore(value: 0)
}

/// A task executor on one serial dispatch queue (see `blocking`).
final class FuzzExecutor: TaskExecutor {
    static let shared = FuzzExecutor()
    private let queue = DispatchQueue(label: "lyre-fuzz")

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
