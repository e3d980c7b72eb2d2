import Foundation
import LyreCluster
import LyreTestSupport
import Synchronization
import Testing

/// The Swift API over nats.c against real nats-servers (hub and leaf, as a node runs them).
@Suite(.serialized, .enabled(if: NATSTestNode.isAvailable, "nats-server is not installed (scripts/bootstrap)"))
struct JetStreamTests {
    @Test func publishWithMessageIDAndHeadersThenPullAndAck() throws {
        let node = try NATSTestNode(name: "alpha")
        let connection = try node.connect()
        let js = try connection.jetStream()
        try js.addOrUpdateStream(StreamConfiguration(name: "dev_dog", subjects: ["alpha.txn.dev.dog"]))
        for i in 1...3 {
            let ack = try js.publish(subject: "alpha.txn.dev.dog", data: Array("record \(i)".utf8),
                                     messageID: "alpha-\(i)", headers: ["origin": "alpha"])
            #expect(ack.sequence == UInt64(i))
            #expect(!ack.duplicate)
        }
        // The same message id again inside the duplicate window is not stored twice.
        let again = try js.publish(subject: "alpha.txn.dev.dog", data: Array("record 2".utf8), messageID: "alpha-2")
        #expect(again.duplicate)
        #expect(try js.streamState("dev_dog")?.messages == 3)
        #expect(try js.streamState("nope") == nil)

        do {
            let consumer = try js.pullConsumer(stream: "dev_dog", filter: "alpha.txn.dev.dog", durable: "beta", ackWait: .seconds(1))
            var messages: [ReceivedMessage] = []
            let deadline = Date().addingTimeInterval(60)
            while messages.count < 3, Date() < deadline {
                messages += try consumer.fetch(batch: 10, timeout: .seconds(2))
            }
            #expect(messages.map { String(decoding: $0.data, as: UTF8.self) } == ["record 1", "record 2", "record 3"])
            #expect(messages.map(\.streamSequence) == [1, 2, 3])
            #expect(messages.first?.header("origin") == "alpha")
            #expect(messages.last?.pending == 0)
            for message in messages { try message.ack() }
        }
        // The durable position survives the subscription: a new binding starts after the acknowledged.
        let consumer = try js.pullConsumer(stream: "dev_dog", filter: "alpha.txn.dev.dog", durable: "beta", ackWait: .seconds(1))
        #expect(try js.publish(subject: "alpha.txn.dev.dog", data: Array("record 4".utf8), messageID: "alpha-4").sequence == 4)
        var seen: [UInt64] = []
        let deadline = Date().addingTimeInterval(60)
        while seen.isEmpty, Date() < deadline {
            seen = try consumer.fetch(batch: 10, timeout: .seconds(1)).map { message in
                // Not acknowledged but refused: delivered again.
                try message.nak()
                return message.streamSequence
            }
        }
        #expect(seen == [4])
        var redelivered: [UInt64] = []
        while redelivered.isEmpty, Date() < deadline {
            redelivered = try consumer.fetch(batch: 10, timeout: .seconds(1)).map { message in
                try message.ack()
                return message.streamSequence
            }
        }
        #expect(redelivered == [4])
        try js.purgeStream("dev_dog", keep: 1)
        #expect(try js.streamState("dev_dog")?.messages == 1)
        connection.close()
    }

    /// A consumer left with explicit acknowledgements (an older version's) is replaced by
    /// deleting it and creating a cumulative one (JetStream cannot change the policy in
    /// place); there, one acknowledgement of a batch's newest message acknowledges the batch.
    @Test func aCumulativeAcknowledgementOfTheNewestMessageAcknowledgesTheWholeBatch() throws {
        let node = try NATSTestNode(name: "alpha")
        let connection = try node.connect()
        let js = try connection.jetStream()
        try js.addOrUpdateStream(StreamConfiguration(name: "dev_dog", subjects: ["alpha.txn.dev.dog"]))
        for i in 1...5 {
            _ = try js.publish(subject: "alpha.txn.dev.dog", data: Array("record \(i)".utf8), messageID: "alpha-\(i)")
        }
        _ = try js.pullConsumer(stream: "dev_dog", filter: "alpha.txn.dev.dog", durable: "beta")
        #expect(try js.deleteConsumer(stream: "dev_dog", durable: "beta"))
        let consumer = try js.pullConsumer(stream: "dev_dog", filter: "alpha.txn.dev.dog", durable: "beta",
                                           start: .sequence(1), acknowledgement: .cumulative)
        var messages: [ReceivedMessage] = []
        let deadline = Date().addingTimeInterval(60)
        while messages.count < 5, Date() < deadline {
            messages += try consumer.fetchAvailable(batch: 10, timeout: .seconds(1))
        }
        #expect(messages.map(\.streamSequence) == [1, 2, 3, 4, 5])
        try messages.last?.ack()
        // The acknowledgement is a message of its own: wait until the server has taken it.
        var state = try consumer.state()
        while state?.ackFloor != 5, Date() < deadline {
            Thread.sleep(forTimeInterval: 0.05)
            state = try consumer.state()
        }
        #expect(state?.ackFloor == 5)
        #expect(state?.ackPending == 0)
        #expect(state?.pending == 0)
    }

    @Test func asynchronousPublishesAreStoredInSendOrderWithOneResultEachAndDuplicatesDropped() throws {
        let node = try NATSTestNode(name: "delta")
        let connection = try node.connect()
        let js = try connection.jetStream()
        try js.addOrUpdateStream(StreamConfiguration(name: "dev_cat", subjects: ["delta.txn.dev.cat"]))
        final class Collected: Sendable { let results = Mutex<[PublishResult]>([]) }
        let collected = Collected()
        let publisher = try connection.asyncPublisher(maxPending: 64, timeout: .seconds(5)) { result in
            collected.results.withLock { $0.append(result) }
        }
        // 200 messages with at most 64 in flight, then the first 10 again (same ids), and one
        // to a subject no stream takes.
        for i in 1...200 {
            try publisher.publish(subject: "delta.txn.dev.cat", data: Array("\(i)".utf8), messageID: "d-\(i)", headers: ["origin": "delta"])
        }
        for i in 1...10 { try publisher.publish(subject: "delta.txn.dev.cat", data: Array("\(i)".utf8), messageID: "d-\(i)") }
        try publisher.publish(subject: "delta.txn.nowhere", data: [1], messageID: "d-nowhere")
        let deadline = Date().addingTimeInterval(30)
        while collected.results.withLock({ $0.count }) < 211, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        let all = collected.results.withLock { $0 }
        #expect(all.count == 211)
        var sequences: [String: [UInt64]] = [:]
        var duplicates = 0
        for result in all where result.messageID != "d-nowhere" {
            let ack = try result.outcome.get()
            if ack.duplicate { duplicates += 1 } else { sequences[result.messageID, default: []].append(ack.sequence) }
        }
        #expect(duplicates == 10)
        // Each stored once, at the place it was sent in.
        #expect((1...200).allSatisfy { sequences["d-\($0)"] == [UInt64($0)] })
        let nowhere = try #require(all.first { $0.messageID == "d-nowhere" })
        #expect(throws: NATSError.self) { try nowhere.outcome.get() }
        #expect(try js.streamState("dev_cat")?.messages == 200)
        connection.close()
    }

    @Test func aPeerConsumesAnotherNodesStreamThroughTheHubs() throws {
        let alpha = try NATSTestNode(name: "alpha")
        let beta = try NATSTestNode(name: "beta", routes: [alpha.routePort])
        let alphaJS = try alpha.connect().jetStream()
        try alphaJS.addOrUpdateStream(StreamConfiguration(name: "dev_dog", subjects: ["alpha.txn.dev.dog"]))
        _ = try alphaJS.publish(subject: "alpha.txn.dev.dog", data: Array("one".utf8), messageID: "a-1", headers: ["origin": "alpha"])

        // beta's own JetStream has no such stream; alpha's domain, reached through the hubs, has.
        let betaConnection = try beta.connect()
        #expect(try betaConnection.jetStream().streamState("dev_dog") == nil)
        let remote = try betaConnection.jetStream(domain: "alpha")
        var consumer: PullConsumer?
        let deadline = Date().addingTimeInterval(20)
        while consumer == nil, Date() < deadline {
            // The route between the hubs may take a moment.
            consumer = try? remote.pullConsumer(stream: "dev_dog", filter: "alpha.txn.dev.dog", durable: "beta")
            if consumer == nil { Thread.sleep(forTimeInterval: 0.2) }
        }
        let pull = try #require(consumer)
        _ = try alphaJS.publish(subject: "alpha.txn.dev.dog", data: Array("two".utf8), messageID: "a-2", headers: ["origin": "alpha"])
        var received: [String] = []
        while received.count < 2, Date() < deadline {
            for message in try pull.fetch(batch: 10, timeout: .seconds(1)) {
                received.append(String(decoding: message.data, as: UTF8.self))
                #expect(message.header("origin") == "alpha")
                try message.ack()
            }
        }
        #expect(received == ["one", "two"])
        #expect(try pull.state()?.pending == 0)
    }

    @Test func aKilledServerIsRestartedAndTheClientReconnects() throws {
        let node = try NATSTestNode(name: "gamma")
        let connection = try node.connect()
        let js = try connection.jetStream()
        try js.addOrUpdateStream(StreamConfiguration(name: "s", subjects: ["gamma.s"]))
        let first = try #require(node.engine.pids.leaf)
        Foundation.kill(first, SIGKILL)
        let deadline = Date().addingTimeInterval(20)
        var published: PublishAck?
        while published == nil, Date() < deadline {
            published = try? js.publish(subject: "gamma.s", data: [1], messageID: "g-1")
            if published == nil { Thread.sleep(forTimeInterval: 0.1) }
        }
        #expect(published?.sequence == 1)
        #expect(node.engine.pids.leaf != first)
        #expect(node.engine.restarts == 1)
        #expect(connection.isConnected)
    }

    @Test func aTakenPortIsAOneLineError() throws {
        let alpha = try NATSTestNode(name: "alpha")
        #expect {
            _ = try NATSTestNode(name: "beta", routePort: alpha.routePort)
        } throws: { error in
            "\(error)" == "clustering: port \(alpha.routePort) is already in use (nats hub server)"
        }
    }
}
