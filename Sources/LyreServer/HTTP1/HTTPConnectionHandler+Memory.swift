import LyreCore
import NIOCore

/// Request bodies and `operationsApi.network.requestMemory` (`RequestHandling.bodyMemory`).
///
/// A `Content-Length` body is reserved whole before its first byte is read: longer than the
/// budget, it is a `413` at once; otherwise, while other requests hold the room it needs,
/// the connection waits (reads held, a retry every few milliseconds, the request timeout
/// running) and `100 Continue` is sent only once it fits. Waiting cannot deadlock: a waiting
/// request holds nothing, and the holders only need their own clients' bytes. A chunked
/// body reserves each chunk as its size arrives; one that does not fit is a `413` (it
/// already holds memory, so waiting could deadlock two such requests). The reservation
/// is given back once the handler has parsed the body (the parsed tree is its own charge).
extension HTTPConnectionHandler {
    /// How often a waiting body tries again.
    static let memoryRetryInterval = TimeAmount.milliseconds(5)

    /// Reserves a `Content-Length` body. - Returns: whether to go on reading it now (false:
    /// it waits, or it was answered 413).
    func reserveBody(_ length: Int, expectsContinue: Bool, context: ChannelHandlerContext) -> Bool {
        guard length > 0, let budget = handler.bodyMemory else { return true }
        guard length <= budget.limit else {
            rejectTooLarge(context: context)
            return false
        }
        if budget.reserve(length) {
            bodyBudget = budget
            bodyReservation = length
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
        guard budget.reserve(length) else { return scheduleMemoryRetry(context: context) }
        bodyBudget = budget
        bodyReservation = length
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
