import LyreCore
import NIOCore

/// Request bodies and `operationsApi.network.requestMemory` (`RequestHandling.bodyMemory`).
///
/// A `Content-Length` body is reserved before its first byte is read, with room for its
/// parsed tree (`parseFactor` times its length, at most the whole budget): longer than the
/// budget, it is a `413` at once; otherwise, while other requests hold the room it needs,
/// the connection waits (reads held, a retry every few milliseconds, the request timeout
/// running) and `100 Continue` is sent only once it fits. Waiting cannot deadlock: a waiting
/// request holds nothing, and the holders only need their own clients' bytes. A chunked
/// body reserves each chunk as its size arrives; one that does not fit is a `413` (it
/// already holds memory, so waiting could deadlock two such requests). The reservation is
/// handed to the handler with the body (`IncomingRequest.memory`): the parser uses it
/// first and gives back what the tree does not need.
extension HTTPConnectionHandler {
    /// How often a waiting body tries again.
    static let memoryRetryInterval = TimeAmount.milliseconds(5)
    /// Bytes reserved per byte of a `Content-Length` body: the text, and its tree (records
    /// of small values parse to about six times their text), so that a parse seldom needs
    /// more than it was given and contention is met by waiting here, not by a 413 later.
    static let parseFactor = 8

    /// What a body of `length` bytes reserves from `budget`.
    static func reservation(for length: Int, in budget: MemoryBudget) -> Int {
        let (scaled, overflow) = length.multipliedReportingOverflow(by: parseFactor)
        return overflow ? budget.limit : min(budget.limit, scaled)
    }

    /// Whether reads stop: an answer is pending with a body's worth buffered, or a body waits
    /// for memory with more than a head buffered.
    var holdsReads: Bool {
        let buffered = inbound?.readableBytes ?? 0
        switch phase {
        case .responding: return buffered > maximumBodySize + Self.maximumHeadSize
        case .awaitingMemory: return buffered > Self.maximumHeadSize
        default: return false
        }
    }

    /// Reserves a `Content-Length` body. - Returns: whether to go on reading it now (false:
    /// it waits, or it was answered 413).
    func reserveBody(_ length: Int, expectsContinue: Bool, context: ChannelHandlerContext) -> Bool {
        guard length > 0, let budget = handler.bodyMemory else { return true }
        guard length <= budget.limit else {
            rejectTooLarge(context: context)
            return false
        }
        let wanted = Self.reservation(for: length, in: budget)
        if budget.reserve(wanted) {
            bodyBudget = budget
            bodyReservation = wanted
            return true
        }
        phase = .awaitingMemory(length: length, expectsContinue: expectsContinue)
        scheduleMemoryRetry(context: context)
        return false
    }

    /// Reserves one more chunk of a chunked body. - Returns: false if it does not fit.
    func reserveChunk(_ size: Int) -> Bool {
        guard let budget = bodyBudget ?? handler.bodyMemory else { return true }
        guard budget.reserve(size) else { return false }
        bodyBudget = budget
        bodyReservation += size
        return true
    }

    /// The body's reservation, for the handler (this connection no longer answers for it).
    func handOverBodyMemory() -> MemoryBudget.Reservation? {
        guard let budget = bodyBudget else { return nil }
        let reservation = MemoryBudget.Reservation(bytes: bodyReservation, budget: budget)
        bodyBudget = nil
        bodyReservation = 0
        return reservation
    }

    func releaseBodyMemory() {
        bodyBudget?.release(bodyReservation)
        bodyBudget = nil
        bodyReservation = 0
    }

    func sendContinue(context: ChannelHandlerContext) {
        guard let request else { return }
        var interim = ResponseHead(status: 100, minorVersion: request.minorVersion)
        interim.finish()
        context.write(wrapOutboundOut(context.channel.allocator.buffer(bytes: interim.bytes)), promise: nil)
        needsFlush = true
    }

    private func scheduleMemoryRetry(context: ChannelHandlerContext) {
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(in: Self.memoryRetryInterval) {
            bound.value.handler.retryMemory(context: bound.value.context)
        }
    }

    private func retryMemory(context: ChannelHandlerContext) {
        guard !isClosed, case .awaitingMemory(let length, let expectsContinue) = phase else { return }
        guard let budget = handler.bodyMemory, length <= budget.limit else {
            rejectTooLarge(context: context)  // a restart lowered the budget meanwhile
            flushIfNeeded(context: context)
            return
        }
        let wanted = Self.reservation(for: length, in: budget)
        guard budget.reserve(wanted) else { return scheduleMemoryRetry(context: context) }
        bodyBudget = budget
        bodyReservation = wanted
        phase = .fixedBody(remaining: length)
        if expectsContinue { sendContinue(context: context) }
        process(context: context)
        flushIfNeeded(context: context)
        if readHeld, !isClosed {
            readHeld = false
            context.read()
        }
    }
}
