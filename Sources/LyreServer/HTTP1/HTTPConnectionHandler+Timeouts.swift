import Logging
import NIOCore

// MARK: - Timeouts

/// The connection's one timer: idle keep-alive, headers, body and answer deadlines
/// (`operationsApi.network.*Timeout`); an answer that runs past its deadline is a 408 and
/// its reads are cancelled (docs/compatibility.md, "Request timeout and shutdown").
extension HTTPConnectionHandler {

    enum Expiry {
        case idle, head, body, answer
    }

    /// The deadline in force now, and what happens when it passes.
    func currentDeadline() -> (NIODeadline, Expiry)? {
        switch phase {
        case .head:
            if let headStarted {
                return limits.headersTimeout.map { (headStarted + $0, .head) }
            }
            return limits.keepAliveTimeout.map { (idleSince + $0, .idle) }
        case .awaitingMemory, .fixedBody, .chunkSize, .chunkData, .chunkDataEnd, .trailers:
            guard let requestStarted else { return nil }
            return limits.requestTimeout.map { (requestStarted + $0, .body) }
        case .responding:
            guard let requestStarted else { return nil }
            return limits.requestTimeout.map { (requestStarted + $0, .answer) }
        case .closing:
            return nil
        }
    }

    /// Makes sure the timer fires no later than the deadline in force.
    func armTimer(context: ChannelHandlerContext) {
        guard !isClosed, let (deadline, _) = currentDeadline() else { return }
        if let firesAt = timerFiresAt, firesAt <= deadline { return }
        timer?.cancel()
        schedule(at: deadline, context: context)
    }

    private func schedule(at deadline: NIODeadline, context: ChannelHandlerContext) {
        timerFiresAt = deadline
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(deadline: deadline) {
            bound.value.handler.timerFired(context: bound.value.context)
        }
    }

    func timerFired(context: ChannelHandlerContext) {
        timer = nil
        timerFiresAt = nil
        guard !isClosed, let (deadline, expiry) = currentDeadline() else { return }
        guard deadline <= .now() else {
            schedule(at: deadline, context: context)
            return
        }
        switch expiry {
        case .idle:
            phase = .closing
            context.close(promise: nil)
        case .head, .body:
            logger.debug("Request timed out", metadata: ["while": "\(expiry)", "peer": "\(remoteAddress ?? "?")"])
            refuse(status: 408, context: context)
            flushIfNeeded(context: context)
        case .answer:
            // 408: the time went on this request's own work (docs/compatibility.md, "Request timeout").
            logger.warning("Request answered 408: still running after operationsApi.network.timeout",
                           metadata: ["peer": "\(remoteAddress ?? "?")"])
            readCancellation?.cancel()
            guard let request else { return }
            phase = .closing
            writeFixed(status: 408, body: ServerResponses.timedOut, info: request, forceClose: true, context: context)
            flushIfNeeded(context: context)
        }
    }
}
