internal import CNATS

extension NATSConnection {
    /// The largest message (headers and data) the connected server accepts from a client:
    /// its `max_payload`, as its INFO announced it (nats.c refuses larger publishes before
    /// sending them). 0 while not connected.
    package var maxPayload: Int {
        Int(natsConnection_GetMaxPayload(connection))
    }
}
